/* SPDX-License-Identifier: MIT */
/*
 * outcomes.c - the outcomes that fail a storm.  The exit status, the JSON
 * record's keys and --minimise's notion of "fails the same way" all read
 * this table, so a new outcome is one row.
 */
#define _GNU_SOURCE
#include "account/account.h"

static uint64_t leaked_fds(const struct storm_result *r)
{
	return r->leaked->n;
}

static uint64_t lost(const struct storm_result *r)
{
	(void)r;
	return storm.counts.lost;
}

static uint64_t inside_handler(const struct storm_result *r)
{
	(void)r;
	return storm.counts.inside_handler;
}

static uint64_t spurious_eintr(const struct storm_result *r)
{
	(void)r;
	return storm.counts.spurious_eintr;
}

static uint64_t memory_growing(const struct storm_result *r)
{
	(void)r;
	return (uint64_t)storm_mem_growing();
}

const struct storm_outcome storm_outcomes[] = {
	/* A descriptor the implementation dropped (/proc/self/fd diff). */
	{ .key = "leaked_fds", .count = leaked_fds },
	/* A cancelled target not joined within STORM_JOIN_MS. */
	{ .key = "lost", .count = lost },
	/* Acted inside a storm handler, outside its own cancellation point. */
	{ .key = "inside_handler", .count = inside_handler },
	/* EINTR where only SA_RESTART handlers interrupted a restarting call. */
	{ .key = "spurious_eintr", .count = spurious_eintr },
	/* VmData or the maps count still climbing after warm-up. */
	{ .key = "memory_growing", .is_flag = 1, .count = memory_growing },
};
const unsigned storm_noutcomes = sizeof storm_outcomes / sizeof *storm_outcomes;

int storm_failed(const struct storm_result *r)
{
	for (unsigned i = 0; i < storm_noutcomes; i++)
		if (storm_outcomes[i].count(r))
			return 1;
	return 0;
}
