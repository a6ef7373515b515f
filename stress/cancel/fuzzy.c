/* SPDX-License-Identifier: MIT */
/*
 * fuzzy.c - delay calibration in the spirit of LTP's fuzzy sync.
 *
 * Random delays rarely land in a window a few hundred nanoseconds wide.
 * Here the targets time every call (storm_call_begin/_end keep a running
 * mean per op); the canceller waits for its target's next call to begin,
 * then cancels at a fraction of that op's mean length.  The fraction
 * sweeps [0, 1.25) in 40 steps, one per fuzzy cancel, so over a run the
 * arrival moves across the whole call: its entry, the blocked middle, the
 * completion, and just past it.
 */
#define _GNU_SOURCE
#include "cancel/cancel.h"

#define STORM_FUZZY_WAIT_NS 50000    /* for the next call to begin */
#define STORM_FUZZY_MAX_NS 50000     /* aim no further into a call: the
				      * canceller spins meanwhile */
#define STORM_FUZZY_STEPS 40         /* 32 steps span one mean length */

int storm_fuzzy_cancel(struct storm_slot *s, unsigned *sweep)
{
	unsigned seq = __atomic_load_n(&s->call_seq, __ATOMIC_ACQUIRE);
	uint64_t now = storm_now_ns(), end = now + STORM_FUZZY_WAIT_NS;
	uint64_t mean, at;
	int op;

	while (__atomic_load_n(&s->call_seq, __ATOMIC_ACQUIRE) == seq &&
	       (now = storm_now_ns()) < end)
		;
	op = s->op;
	mean = op >= 0 ? __atomic_load_n(&storm.counts.op_call_ns[op],
					 __ATOMIC_RELAXED) : 0;
	if (mean > STORM_FUZZY_MAX_NS)
		mean = STORM_FUZZY_MAX_NS;
	at = s->call_start_ns + mean * (*sweep % STORM_FUZZY_STEPS) / 32;
	(*sweep)++;
	while (storm_now_ns() < at)
		;
	return storm.cfg->be->cancel(s->th);
}
