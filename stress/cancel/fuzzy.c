/* SPDX-License-Identifier: MIT */
/*
 * fuzzy.c - delay calibration in the spirit of LTP's fuzzy sync.
 *
 * Random delays rarely land in a window a few hundred nanoseconds wide.
 * Here the targets time every call (storm_call_begin/_end keep a running
 * mean per op); the canceller waits for its target's next call to begin,
 * then cancels at a fraction of that op's mean length.  The fraction
 * sweeps [0, 1.25) in 40 steps, so over a run the arrival moves across
 * the whole call: its entry, the blocked middle, the completion, and just
 * past it.
 *
 * For libcp, the sweep is steered by landing-site coverage
 * (account/coverage.c): three fuzzy cancels in four take the step, or an
 * unrelated handler on the target first, that for this op has most often
 * landed where little has landed at all; the fourth keeps sweeping.
 */
#define _GNU_SOURCE
#include "cancel/cancel.h"
#include "account/coverage.h"

#define STORM_FUZZY_WAIT_NS 50000    /* for the next call to begin */
#define STORM_FUZZY_MAX_NS 50000     /* aim no further into a call: the
				      * canceller spins meanwhile */

/* 32 of the STORM_COVER_STEPS steps span one mean length. */
static uint64_t storm_fuzzy_at(uint64_t start, uint64_t mean, int step)
{
	return start + mean * (uint64_t)step / 32;
}

int storm_fuzzy_cancel(struct storm_slot *s, unsigned *sweep)
{
	unsigned seq = __atomic_load_n(&s->call_seq, __ATOMIC_ACQUIRE);
	int op = s->op, arm = storm_coverage_pick(op, *sweep);
	uint64_t now = storm_now_ns(), end = now + STORM_FUZZY_WAIT_NS;
	uint64_t mean;

	while (__atomic_load_n(&s->call_seq, __ATOMIC_ACQUIRE) == seq &&
	       (now = storm_now_ns()) < end)
		;
	if (s->op != op)   /* the op changed meanwhile: plain sweep */
		arm = (int)(*sweep % STORM_COVER_STEPS);
	op = s->op;
	mean = op >= 0 ? __atomic_load_n(&storm.counts.op_call_ns[op],
					 __ATOMIC_RELAXED) : 0;
	if (mean > STORM_FUZZY_MAX_NS)
		mean = STORM_FUZZY_MAX_NS;
	(*sweep)++;
	storm_coverage_tag(s, op, arm);
	if (arm == STORM_COVER_NOISE_ARM) {
		/* Into the call, then a handler on top of it, then the cancel. */
		while (storm_now_ns() < storm_fuzzy_at(s->call_start_ns, mean, 16))
			;
		storm_noise_send(s);
	} else {
		while (storm_now_ns() < storm_fuzzy_at(s->call_start_ns, mean, arm))
			;
	}
	return storm.cfg->be->cancel(s->th);
}
