/* SPDX-License-Identifier: MIT */
/*
 * children.c - children_lost: a thread created mid-op can be cancelled.
 *
 * A new thread inherits its creator's signal mask at that instant.  A
 * cancellation point that returns with its cancel signal still blocked
 * leaves every later thread of its caller uncancellable, and nothing the
 * caller itself does shows it.  The child op (ops/wait.c) creates a thread
 * between two cancellation points; the child blocks in the backend's
 * pause(), a cancellation point, until the storm cancels it together with
 * its creator: the canceller that joined the target cancels the child and
 * joins it within the bound every target gets.
 */
#define _GNU_SOURCE
#include "oracles/oracles.h"
#include "cancel/cancel.h"
#include "pressure/pressure.h"
#include "targets.h"

#include <errno.h>
#include <handshake.h>
#include <procfs.h>
#include <stdlib.h>

struct storm_child {
	TARGET_RECORD;
	const struct backend *be;
	uint64_t mask;       /* what it inherited: its creator's mask then */
	int op;              /* the op that created it */
	double cancelled_at; /* 0: not yet */
	int err;             /* what its cancel returned */
	unsigned pressure;   /* kinds active at its cancel */
};

static void *storm_child_main(void *p)
{
	struct storm_child *c = p;

	target_begin(&c->target);
	for (;;)
		c->be->pause();   /* a cancellation point; only a cancel ends it */
	return NULL;
}

int storm_child_spawn(struct storm_slot *s, int op)
{
	struct storm_child *c;
	pthread_attr_t attr;
	int err;

	if (s->child)
		return 0;   /* one per target */
	if (!(c = calloc(1, sizeof *c)))
		return -1;
	c->be = storm.cfg->be;
	c->op = op;
	c->mask = storm_mask_now();
	err = pthread_attr_init(&attr);
	if (!err)
		err = pthread_attr_setstacksize(&attr, storm_stack_bytes(storm.cfg));
	if (!err)
		err = pthread_create(&c->th, &attr, storm_child_main, c);
	pthread_attr_destroy(&attr);
	if (err) {
		free(c);
		errno = err;
		return -1;
	}
	__atomic_store_n(&s->child, c, __ATOMIC_RELEASE);
	storm_add(&storm.counts.children, 1);
	return 0;
}

void storm_child_cancel(struct storm_slot *s)
{
	struct storm_child *c = __atomic_load_n(&s->child, __ATOMIC_ACQUIRE);

	if (!c || c->cancelled_at)
		return;
	c->cancelled_at = storm_now();
	c->pressure = storm_pressure_active();
	c->err = c->be->cancel(c->th);
}

static int storm_child_owed(void *p)
{
	struct storm_child *c = p;

	return storm_resend(c->be, c->th, &c->err);
}

/* A child is lost once it has had STORM_JOIN_MS since its cancel; the
 * stop phase may have less budget left than that, and then a child not
 * joined yet is left unjudged (counted apart). */
void storm_child_reap(struct storm_slot *s, int budget_ms)
{
	struct storm_child *c = s->child;
	char diag[400], mask[200], now[200], pressure[64];
	uint64_t blocked = 0;
	int wait_ms;
	void *ret;

	if (!c)
		return;
	storm_child_cancel(s);
	wait_ms = STORM_JOIN_MS - (int)((storm_now() - c->cancelled_at) * 1e3);
	if (wait_ms < 1)
		wait_ms = 1;
	s->child = NULL;
	if (storm_join_resending(c->th, storm_now() +
				 (wait_ms < budget_ms ? wait_ms : budget_ms) / 1e3,
				 storm_child_owed, c, &ret) == 0) {
		free(c);
		return;
	}
	if (wait_ms > budget_ms) {
		storm_add(&storm.counts.children_unjudged, 1);
		return;
	}
	/* It stays: its record is the thread's until it ends, if ever. */
	storm_add(&storm.counts.children_lost, 1);
	task_diagnose(c->tid, diag, sizeof diag);
	storm_mask_names(c->mask & ~s->start_mask, mask, sizeof mask);
	task_sigblocked(c->tid, &blocked);
	storm_mask_names(blocked & ~s->start_mask, now, sizeof now);
	storm_pressure_format(c->pressure, pressure, sizeof pressure);
	storm_violation("children_lost", s, c->op, "child tid %d, created "
			"mid-op, not joined %d ms after its cancel (pressure at "
			"the cancel: %s; blocked beyond its creator's start "
			"mask: at its creation %s, now %s); %s", (int)c->tid,
			STORM_JOIN_MS, pressure, mask, now, diag);
}
