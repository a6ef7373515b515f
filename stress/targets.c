/* SPDX-License-Identifier: MIT */
/* targets.c - target threads and their slots (see targets.h). */
#define _GNU_SOURCE
#include "targets.h"
#include "cancel/cancel.h"
#include "ops/ops.h"
#include "oracles/oracles.h"
#include "rng.h"

#include <handshake.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

__thread struct storm_slot *storm_self;
static unsigned op_cumulative[STORM_MAX_OPS];   /* of the configured mix */
static pthread_attr_t target_attr;

/* Small stacks: 10,000 targets on a small machine.  glibc keeps the
 * stacks of joined threads in its cache, so a respawn rarely maps.  Some
 * arches refuse the default 64 KiB (aarch64: PTHREAD_STACK_MIN is 128 KiB,
 * room for its large signal frames): there the threads get the minimum,
 * said once on stderr. */
size_t storm_stack_bytes(const struct storm_config *c)
{
	static int said;
	size_t stack = (size_t)c->stack_kib * 1024;
	long min = sysconf(_SC_THREAD_STACK_MIN);

	if (min <= 0 || stack >= (size_t)min)
		return stack;
	if (!__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
		fprintf(stderr, "storm: --stack %u KiB is below this system's "
			"thread stack minimum (%ld KiB): threads get %ld KiB\n",
			c->stack_kib, min / 1024, min / 1024);
	return (size_t)min;
}

int storm_targets_init(void)
{
	unsigned w = 0;
	int err;

	for (unsigned i = 0; i < storm_nops; i++)
		op_cumulative[i] = (w += storm.cfg->op_weight[i]);
	if ((err = pthread_attr_init(&target_attr)) ||
	    (err = pthread_attr_setstacksize(&target_attr,
					     storm_stack_bytes(storm.cfg)))) {
		errno = err;   /* the caller reports errno */
		return -1;
	}
	if (!w)
		errno = EINVAL;
	return w ? 0 : -1;
}

static int storm_pick_op(uint64_t *rng)
{
	unsigned r = (unsigned)storm_rng_below(rng, op_cumulative[storm_nops - 1]);
	unsigned i = 0;

	while (r >= op_cumulative[i])
		i++;
	return (int)i;
}

/* The call's length feeds the fuzzy canceller (a racy EWMA is enough:
 * it only aims the sweep). */
void storm_call_begin(void)
{
	struct storm_slot *s = storm_self;

	storm_eintr_reset();
	s->call_start_ns = storm_now_ns();
	__atomic_add_fetch(&s->call_seq, 1, __ATOMIC_RELEASE);
	s->in_call = 1;
}

void storm_call_end(void)
{
	struct storm_slot *s = storm_self;
	uint64_t *mean = &storm.counts.op_call_ns[s->op];
	uint64_t d = storm_now_ns() - s->call_start_ns;
	uint64_t m = __atomic_load_n(mean, __ATOMIC_RELAXED);

	s->in_call = 0;
	__atomic_store_n(mean, m ? (7 * m + d) / 8 : d, __ATOMIC_RELAXED);
}

/* Runs during cancellation: attribute it to the op and the place it
 * interrupted, note one that acted inside a signal handler, check the
 * mask and probe for EINTR (oracles/), and release the thread's
 * io_uring. */
static void storm_target_cancelled(void *p)
{
	struct storm_slot *s = p;

	s->escape_armed = 0;
	if (s->op >= 0)
		storm_add(&storm.counts.op_cancelled[s->op], 1);
	if (storm_noise_active())
		storm_add(&storm.counts.inside_handler, 1);
	else if (storm_noise_in_cp())
		storm_add(&storm.counts.in_handler_cp, 1);
	else if (s->in_call)
		storm_add(&storm.counts.acted_in_call, 1);
	else
		storm_add(&storm.counts.acted_between, 1);
	storm_mask_check(s, s->op, "cleanup");
	storm_cleanup_probe(s);
	storm_timers_note_end(s);
	storm_ops_thread_end();
}

/* One op.  An escapable one may be left by the escape handler's
 * siglongjmp (cancel/signals.c), which lands here with the mask of this
 * moment restored; either way the mask must then be the thread's own. */
static void storm_target_op(struct storm_slot *s, const struct backend *be)
{
	s->op = storm_pick_op(&s->rng);
	if (storm_ops[s->op].escapable && sigsetjmp(s->escape, 1)) {
		s->in_call = 0;
		storm_add(&storm.counts.longjmp_escapes, 1);
	} else {
		s->escape_armed = storm_ops[s->op].escapable;
		storm_ops[s->op].run(be, &s->rng);
		s->escape_armed = 0;
		storm_add(&storm.counts.op_runs[s->op], 1);
	}
	storm_mask_check(s, s->op, "after the op");
	s->op = -1;
}

static void *storm_target_main(void *p)
{
	struct storm_slot *s = p;
	const struct backend *be = storm.cfg->be;

	s->rng = storm_rng_stream(storm.cfg->seed, STORM_RNG_TARGET,
				  ((uint64_t)s->index << 32) ^ s->generation);
	target_begin(&s->target);
	storm_self = s;
	storm_noise_bind(s);
	storm_mask_start(s);
	pthread_cleanup_push(storm_target_cancelled, s);
	for (;;) {
		storm_target_op(s, be);
		be->testcancel();
	}
	pthread_cleanup_pop(0);
	return NULL;
}

int storm_slot_spawn(struct storm_slot *s)
{
	int err;

	s->op = -1;
	s->in_call = 0;
	s->escape_armed = 0;
	s->tid = 0;
	s->generation++;
	err = pthread_create(&s->th, &target_attr, storm_target_main, s);
	s->live = err == 0;
	return err;
}

int storm_slot_join(struct storm_slot *s, int timeout_ms, void **ret)
{
	if (join_bounded(s->th, ret, timeout_ms))
		return 1;
	storm_slot_gone(s);
	return 0;
}

void storm_slot_gone(struct storm_slot *s)
{
	s->live = 0;
}

void storm_slot_count(void *ret)
{
	storm_add(ret == PTHREAD_CANCELED ? &storm.counts.cancellations
					  : &storm.counts.not_cancelled, 1);
}
