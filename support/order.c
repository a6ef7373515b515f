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
#include <unistd.h>

static const struct {
	const char *name;
	const char *blocker;
	int pending_first;
} order_ways[] = {
	{ .name = "pending", .blocker = "read", .pending_first = 1 },
	{ .name = "blocked", .blocker = "read" },
	{ .name = "eintr", .blocker = "poll" },
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
	if (r->pending_first)
		flag_wait(&r->go);   /* raw futex: not a cancellation point */
	return target_returned(&r->br.target, r->br.b->call(&r->br));
}

struct order_start {
	struct order_run *r;
	void *(*body)(void *);
};

static void *order_main(void *p)
{
	struct order_start *s = p;

	target_begin(&s->r->br.target);
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
		if (!wait_until(order_blocked, &r, SETUP_BOUND_MS))
			verdict_exit(VERDICT_ERROR, "%s: target never blocked in "
				     "%s", order_ways[way].name, r.br.b->name);
		be->cancel(r.br.th);
	}
	if (join_bounded(r.br.th, &ret, ACT_BOUND_MS))
		verdict_exit(VERDICT_FAIL, "%s: target not cancelled within %d s",
			     order_ways[way].name, BOUND_S(ACT_BOUND_MS));
	blocked_end(&r.br);
	snprintf(expect, sizeof expect, "%sT", want);
	if (ret == PTHREAD_CANCELED && !r.br.returned && !strcmp(r.log, expect))
		return "";
	snprintf(why, len, "%s: %s, ran %s (want %s)", order_ways[way].name,
		 ret != PTHREAD_CANCELED ? "join value is not PTHREAD_CANCELED"
		 : r.br.returned ? "the call returned" : "cancelled",
		 r.n ? r.log : "nothing", expect);
	return why;
}

_Noreturn void order_case(int argc, char **argv, const char *case_name,
			  void *(*body)(void *), const char *want,
			  const char *pass_detail)
{
	const struct backend *be =
		case_start(argc, argv, &(struct case_info){ .name = case_name });
	char why[160], bad[800] = "";

	if (pthread_key_create(&order_key, order_tsd_dtor))
		verdict_exit(VERDICT_ERROR, "pthread_key_create failed");
	for (size_t i = 0; i < sizeof order_ways / sizeof *order_ways; i++)
		verdict_append(bad, sizeof bad,
			       order_check(be, i, body, want, why, sizeof why));
	if (*bad)
		verdict_exit(VERDICT_FAIL, "%s", bad);
	verdict_exit(VERDICT_PASS, "%s", pass_detail);
}
