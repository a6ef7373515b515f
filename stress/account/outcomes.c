/* SPDX-License-Identifier: MIT */
/*
 * outcomes.c - the outcomes that fail a storm.  The exit status, the JSON
 * record's keys and "failed" list, and --minimise's notion of "fails the
 * same way" all read this table, so a new outcome is one row.
 */
#define _GNU_SOURCE
#include "account/account.h"
#include "oracles/oracles.h"

static uint64_t leaked_fds(const struct storm_result *r)
{
	return r->leaked->n;
}

static uint64_t memory_growing(const struct storm_result *r)
{
	(void)r;
	return (uint64_t)storm_mem_growing();
}

static uint64_t timers_leaked(const struct storm_result *r)
{
	(void)r;
	return storm_timers_leaked();
}

static uint64_t signals_queued(const struct storm_result *r)
{
	(void)r;
	return storm_signals_queued();
}

const struct storm_outcome storm_outcomes[] = {
	/* A descriptor the implementation dropped (/proc/self/fd diff). */
	{ .key = "leaked_fds", .count = leaked_fds },
	/* A cancelled target not joined within STORM_JOIN_MS. */
	{ .key = "lost", .counter = &storm.counts.lost },
	/* Acted inside a storm handler, outside its own cancellation point. */
	{ .key = "inside_handler", .counter = &storm.counts.inside_handler },
	/* EINTR where only SA_RESTART handlers interrupted a restarting call. */
	{ .key = "spurious_eintr", .counter = &storm.counts.spurious_eintr },
	/* VmData or the maps count still climbing after warm-up. */
	{ .key = "memory_growing", .is_flag = 1, .count = memory_growing },
	/* The oracles (oracles/): a thread's blocked signals changed; POSIX
	 * timers or pending signals left once every thread is gone; EINTR in
	 * a cleanup handler's own call; a thread created mid-op that could not
	 * be cancelled. */
	{ .key = "mask_violations", .counter = &storm.counts.mask_violations },
	{ .key = "timers_leaked", .count = timers_leaked },
	{ .key = "signals_queued", .count = signals_queued },
	{ .key = "cleanup_eintr", .counter = &storm.counts.cleanup_eintr },
	{ .key = "children_lost", .counter = &storm.counts.children_lost },
};
const unsigned storm_noutcomes = sizeof storm_outcomes / sizeof *storm_outcomes;

uint64_t storm_outcome_value(const struct storm_outcome *o,
			     const struct storm_result *r)
{
	return o->counter ? *o->counter : o->count(r);
}

int storm_failed(const struct storm_result *r)
{
	for (unsigned i = 0; i < storm_noutcomes; i++)
		if (storm_outcome_value(&storm_outcomes[i], r))
			return 1;
	return 0;
}
