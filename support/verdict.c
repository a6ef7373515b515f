/* SPDX-License-Identifier: MIT */
/* verdict.c - the verdict line, bounded waits and the watchdog. */
#define _GNU_SOURCE
#include "verdict.h"

#include "handshake.h"
#include "procfs.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *verdict_case = "?", *verdict_backend = "?";
static char verdict_metrics[512];
static pthread_mutex_t verdict_lock = PTHREAD_MUTEX_INITIALIZER;
static enum verdict verdict_expected = VERDICT_PASS;
static int verdict_expect_set, verdict_expect_any;

void verdict_begin(const char *case_name, const char *backend_name)
{
	verdict_case = case_name;
	verdict_backend = backend_name;
}

void verdict_expect(enum verdict v, int any)
{
	verdict_expected = v;
	verdict_expect_any = any;
	verdict_expect_set = 1;
}

void verdict_metric(const char *key, const char *fmt, ...)
{
	size_t used = strlen(verdict_metrics);
	va_list ap;

	if (used + strlen(key) + 2 >= sizeof verdict_metrics)
		return;
	used += (size_t)snprintf(verdict_metrics + used,
				 sizeof verdict_metrics - used, "%s=", key);
	va_start(ap, fmt);
	vsnprintf(verdict_metrics + used, sizeof verdict_metrics - used, fmt, ap);
	va_end(ap);
	strncat(verdict_metrics, " ",
		sizeof verdict_metrics - strlen(verdict_metrics) - 1);
}

void verdict_append(char *buf, size_t len, const char *finding)
{
	size_t used = strlen(buf);

	if (*finding && used < len)
		snprintf(buf + used, len - used, "%s%s", used ? "; " : "", finding);
}

static const char *verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_PASS: return "pass";
	case VERDICT_FAIL: return "fail";
	case VERDICT_SKIP: return "skip";
	default: return "error";
	}
}

/* With --expect (ctest), the exit status says whether the verdict was the
 * expected one; skip and error keep their own status either way. */
static int verdict_status(enum verdict v)
{
	if (!verdict_expect_set || v == VERDICT_SKIP || v == VERDICT_ERROR)
		return (int)v;
	if (verdict_expect_any || v == verdict_expected)
		return 0;
	fprintf(stderr, "expected verdict %s, got %s\n",
		verdict_name(verdict_expected), verdict_name(v));
	return 1;
}

_Noreturn void verdict_exit(enum verdict v, const char *fmt, ...)
{
	char detail[1024];
	va_list ap;

	pthread_mutex_lock(&verdict_lock);   /* one verdict, even if raced */
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	fflush(stderr);
	printf("verdict=%s case=%s backend=%s %sdetail=%s\n", verdict_name(v),
	       verdict_case, verdict_backend, verdict_metrics, detail);
	fflush(stdout);
	_exit(verdict_status(v));
}

int wait_until(int (*cond)(void *arg), void *arg, int timeout_ms)
{
	struct timespec step = { 0, 100 * 1000 }, now;
	struct timespec end = deadline_in_ms(CLOCK_MONOTONIC, timeout_ms);

	for (;;) {
		if (cond(arg))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			return cond(arg);
		nanosleep(&step, NULL);   /* polling a state, not synchronising */
	}
}

struct watchdog {
	int seconds;
	pid_t tid;
	enum verdict on_timeout;
	const char *what;
};

static struct watchdog watchdog;

void watchdog_watch(pid_t tid)
{
	__atomic_store_n(&watchdog.tid, tid, __ATOMIC_RELEASE);
}

static void *watchdog_main(void *p)
{
	struct watchdog *w = p;
	struct timespec ts = { .tv_sec = w->seconds };
	char diag[768];

	while (nanosleep(&ts, &ts))
		;
	task_diagnose(__atomic_load_n(&w->tid, __ATOMIC_ACQUIRE), diag,
		      sizeof diag);
	verdict_exit(w->on_timeout, "hang: %s did not finish within %d s; %s",
		     w->what, w->seconds, diag);
}

void watchdog_start(int seconds, pid_t tid, enum verdict on_timeout,
		    const char *what)
{
	pthread_t th;

	watchdog = (struct watchdog){ seconds, tid, on_timeout, what };
	if (pthread_create(&th, NULL, watchdog_main, &watchdog) == 0)
		pthread_detach(th);
}
