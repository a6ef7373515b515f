/* SPDX-License-Identifier: MIT */
/* order.c - the cleanup-order driver (see order.h). */
#define _GNU_SOURCE
#include "order.h"

#include "case.h"
#include "handshake.h"
#include "procfs.h"
#include "verdict.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
	const char *name;
	const char *blocker;
	int pending_first;
} order_ways[] = {
	{ "pending", "read", 1 },
	{ "blocked", "read", 0 },
	{ "eintr", "poll", 0 },
};

static pthread_key_t order_key;

void order_note(struct order_run *r, char c)
{
	int i = __atomic_fetch_add(&r->n, 1, __ATOMIC_SEQ_CST);

	if (i < (int)sizeof r->log - 1)
		r->log[i] = c;
}

static void order_tsd_dtor(void *p)
{
	order_note(p, 'T');
}

long order_block(struct order_run *r)
{
	long rc;

	if (r->pending_first)
		flag_wait(&r->go);   /* raw futex: not a cancellation point */
	rc = r->br.b->call(&r->br);
	r->returned = 1;
	return rc;
}

struct order_start {
	struct order_run *r;
	void *(*body)(void *);
};

static void *order_main(void *p)
{
	struct order_start *s = p;

	s->r->br.tid = (pid_t)syscall(SYS_gettid);
	pthread_setspecific(order_key, s->r);
	return s->body(s->r);
}

static int order_blocked(void *p)
{
	struct order_run *r = p;

	return r->br.tid && blocker_is_blocked(r->br.b, r->br.tid);
}

/* One way: "" or what went wrong. */
static const char *order_check(const struct backend *be, size_t way,
			       void *(*body)(void *), const char *want,
			       char *why, size_t len)
{
	struct order_run r = { .br = { .be = be, .aux = -1, .client = -1 } };
	struct order_start s = { &r, body };
	char expect[40];
	void *ret;

	r.br.b = blocker_find(order_ways[way].blocker);
	r.pending_first = order_ways[way].pending_first;
	if (!r.br.b || pipe2(r.br.pipe, O_CLOEXEC) ||
	    pthread_create(&r.br.th, NULL, order_main, &s))
		verdict_exit(VERDICT_ERROR, "setup: %s", strerror(errno));
	if (r.pending_first) {
		be->cancel(r.br.th);
		flag_set(&r.go);
	} else {
		if (!wait_until(order_blocked, &r, 5000))
			verdict_exit(VERDICT_ERROR, "%s: target never blocked in "
				     "%s", order_ways[way].name, r.br.b->name);
		be->cancel(r.br.th);
	}
	if (join_bounded(r.br.th, &ret, 5000))
		verdict_exit(VERDICT_FAIL, "%s: target not cancelled within 5 s",
			     order_ways[way].name);
	blocked_end(&r.br);
	snprintf(expect, sizeof expect, "%sT", want);
	if (ret == PTHREAD_CANCELED && !r.returned && !strcmp(r.log, expect))
		return "";
	snprintf(why, len, "%s: %s, ran %s (want %s)", order_ways[way].name,
		 ret != PTHREAD_CANCELED ? "join value is not PTHREAD_CANCELED"
		 : r.returned ? "the call returned" : "cancelled",
		 r.n ? r.log : "nothing", expect);
	return why;
}

_Noreturn void order_case(int argc, char **argv, const char *case_name,
			  void *(*body)(void *), const char *want,
			  const char *pass_detail)
{
	const struct backend *be = case_start(argc, argv, case_name);
	char why[160], bad[800] = "";

	watchdog_start(30, (pid_t)syscall(SYS_gettid), VERDICT_FAIL, case_name);
	case_warm_unwinder(be);
	if (pthread_key_create(&order_key, order_tsd_dtor))
		verdict_exit(VERDICT_ERROR, "pthread_key_create failed");
	for (size_t i = 0; i < sizeof order_ways / sizeof *order_ways; i++)
		verdict_append(bad, sizeof bad,
			       order_check(be, i, body, want, why, sizeof why));
	if (*bad)
		verdict_exit(VERDICT_FAIL, "%s", bad);
	verdict_exit(VERDICT_PASS, "%s", pass_detail);
}
