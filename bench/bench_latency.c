/* SPDX-License-Identifier: MIT */
/*
 * bench_latency.c - how long a cancellation takes to act.
 *
 * From the cancel request to the target's cleanup handler, for a thread
 * blocked in read (a pipe), in poll, in a futex wait (libcp's FUTEX_WAIT
 * wrapper; the C library has no cancellable futex call of its own, so
 * libc waits in sem_wait, a cancellation point that blocks in FUTEX_WAIT),
 * and inside a nested handler: the target is
 * blocked in read, an unrelated SIGUSR1 handler holds it, the cancel is
 * requested, and the clock starts when the handler is released (what a
 * design that loses or delays the request shows).  Each sample starts only
 * when /proc shows the target blocked, so the figure is the design's, not
 * thread start-up.  Prints one JSON object per kind: p50/p99/max in us,
 * and how many requests acted inside the handler or never acted within the
 * bound (--bound-ms).
 */
#define _GNU_SOURCE
#include "backend.h"
#include "handshake.h"
#include "procfs.h"
#include "target.h"
#include "verdict.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* aarch64 and riscv64 have no poll syscall: glibc's poll is ppoll. */
#ifndef SYS_poll
#define SYS_poll SYS_ppoll
#endif

static const struct backend *be;
static int pipefd[2];
static sem_t never;

struct lat_target {
	TARGET_RECORD;
	volatile double cleanup_ns;
	volatile int acted_in_handler;
};

static double lat_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void lat_cleanup(void *p)
{
	struct lat_target *t = p;

	t->cleanup_ns = lat_now_ns();
	t->acted_in_handler = hold.in;
}

static void block_read(void) { char c; be->read(pipefd[0], &c, 1); }
static void block_poll(void)
{
	struct pollfd p = { .fd = pipefd[0], .events = POLLIN };

	be->poll(&p, 1, -1);
}
static uint32_t never_word;
static void block_futex(void)
{
	if (!strcmp(be->name, "libc"))
		sem_wait(&never);
	else
		be->futex_wait(&never_word, 0);
}

static const struct {
	const char *name;
	void (*block)(void);
	long nr[2];        /* where /proc shows it blocked */
	int nested;        /* an unrelated handler on top when cancelled */
} lat_kinds[] = {
	{ .name = "read", .block = block_read, .nr = { SYS_read, SYS_read } },
	{ .name = "poll", .block = block_poll, .nr = { SYS_poll, SYS_ppoll } },
	{ .name = "futex", .block = block_futex, .nr = { SYS_futex, SYS_futex } },
	{ .name = "nested-handler", .block = block_read,
	  .nr = { SYS_read, SYS_read }, .nested = 1 },
};

static unsigned lat_kind;
static volatile int lat_started;

static void *lat_body(void *p)
{
	struct lat_target *t = p;

	target_begin(&t->target);
	flag_set(&lat_started);
	pthread_cleanup_push(lat_cleanup, t);
	lat_kinds[lat_kind].block();
	pthread_cleanup_pop(0);
	return NULL;
}

static int lat_is_blocked(void *p)
{
	struct lat_target *t = p;
	long nr = task_syscall(t->tid);

	return nr == lat_kinds[lat_kind].nr[0] || nr == lat_kinds[lat_kind].nr[1];
}

/* One sample: >= 0 latency in ns; -1 acted inside the handler; -2 never
 * acted within the bound; -3 the target never blocked (setup broke). */
static double lat_sample(int bound_ms)
{
	struct lat_target t = { 0 };
	double t0;

	lat_started = 0;
	hold_reset();
	if (pthread_create(&t.th, NULL, lat_body, &t))
		return -3;
	flag_wait(&lat_started);
	if (!wait_until(lat_is_blocked, &t, SETUP_BOUND_MS))
		return -3;
	if (lat_kinds[lat_kind].nested) {
		pthread_kill(t.th, SIGUSR1);
		flag_wait(&hold.entered);
	}
	t0 = lat_now_ns();
	be->cancel(t.th);
	if (lat_kinds[lat_kind].nested) {
		t0 = lat_now_ns();
		flag_set(&hold.release);
	}
	if (join_bounded(t.th, NULL, bound_ms)) {
		/* Lost: end the thread for good (the next sample needs a clean
		 * process) by reporting and exiting; the caller counts it. */
		return -2;
	}
	if (t.acted_in_handler)
		return -1;
	return t.cleanup_ns - t0;
}

static int lat_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void lat_run(int samples, int bound_ms)
{
	double *ns = calloc(samples, sizeof *ns);
	int n = 0, inside = 0, lost = 0, broke = 0;

	for (int i = 0; i < samples && !lost && !broke; i++) {
		double v = lat_sample(bound_ms);

		if (v >= 0)
			ns[n++] = v;
		else if (v == -1)
			inside++;
		else if (v == -2)
			lost++;
		else
			broke++;
	}
	qsort(ns, n, sizeof *ns, lat_cmp);
	printf("{\"backend\": \"%s\", \"kind\": \"%s\", \"samples\": %d, "
	       "\"p50_us\": %.1f, \"p99_us\": %.1f, \"max_us\": %.1f, "
	       "\"acted_in_handler\": %d, \"lost\": %d, \"setup_failed\": %d}\n",
	       be->name, lat_kinds[lat_kind].name, n,
	       n ? ns[n / 2] / 1e3 : -1, n ? ns[(n * 99) / 100] / 1e3 : -1,
	       n ? ns[n - 1] / 1e3 : -1, inside, lost, broke);
	fflush(stdout);
	free(ns);
}

int main(int argc, char **argv)
{
	const char *backend = "cp:reraise", *kind = "all";
	int samples = 1000, bound_ms = 1000;
	char err[256];

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--backend"))
			backend = argv[i + 1];
		else if (!strcmp(argv[i], "--kind"))
			kind = argv[i + 1];
		else if (!strcmp(argv[i], "--samples"))
			samples = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--bound-ms"))
			bound_ms = atoi(argv[i + 1]);
		else
			break;
	}
	if (argc % 2 == 0 || samples <= 0 || bound_ms <= 0) {
		fprintf(stderr, "usage: cp-bench-latency [--backend NAME] [--kind read|poll|futex|nested-handler|all] [--samples N>0] [--bound-ms N>0]\n");
		return 2;
	}
	be = backend_open(backend, err, sizeof err);
	if (!be) {
		fprintf(stderr, "cp-bench-latency: %s\n", err);
		return 2;
	}
	struct sigaction sa = { .sa_handler = hold_handler, .sa_flags = SA_RESTART };
	sigaction(SIGUSR1, &sa, NULL);
	if (pipe(pipefd) || sem_init(&never, 0, 0)) {
		fprintf(stderr, "cp-bench-latency: setup failed: %s\n", strerror(errno));
		return 2;
	}
	int found = 0;
	for (lat_kind = 0; lat_kind < sizeof lat_kinds / sizeof *lat_kinds; lat_kind++) {
		if (strcmp(kind, "all") && strcmp(kind, lat_kinds[lat_kind].name))
			continue;
		found = 1;
		lat_run(samples, bound_ms);
	}
	if (!found) {
		fprintf(stderr, "cp-bench-latency: unknown --kind '%s' (read, poll, futex, nested-handler, all)\n", kind);
		return 2;
	}
	return 0;
}
