/* SPDX-License-Identifier: MIT */
/*
 * cleanup.c - cleanup_eintr: a cleanup handler's own blocking calls are
 * left alone.
 *
 * Once a cancellation acts, the thread runs its cleanup handlers with
 * cancellation disabled: they close files, flush, release locks, and some
 * of that blocks.  A design that keeps sending its cancel signal (a retry
 * timer still armed, a re-raised signal still queued) interrupts those
 * calls, and a call the kernel never restarts (nanosleep, poll, a close
 * that flushes) fails with EINTR where the program expected none.
 *
 * The probe: a raw nanosleep of a few microseconds, a call the kernel ends
 * with EINTR after any signal handler (signal(7)), made from the target's
 * cleanup handler.  The storm's own signals are told apart by their
 * handlers' entry count (cancel/signals.c): an EINTR with none of them
 * run is the backend's.
 */
#define _GNU_SOURCE
#include "oracles/oracles.h"
#include "cancel/cancel.h"

#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define STORM_CLEANUP_SLEEP_NS 5000

void storm_cleanup_probe(struct storm_slot *s)
{
	struct timespec ts = { 0, STORM_CLEANUP_SLEEP_NS };
	unsigned before = storm_handlers_entered();
	int saved = errno;
	char blocked[200];
	long r;

	r = syscall(SYS_nanosleep, &ts, NULL);
	if (r == 0 || errno != EINTR || storm_handlers_entered() != before) {
		errno = saved;
		return;
	}
	storm_add(&storm.counts.cleanup_eintr, 1);
	storm_mask_names(storm_mask_now(), blocked, sizeof blocked);
	storm_violation("cleanup_eintr", s, s->op, "a raw nanosleep(%d us) in "
			"the cleanup handler failed with EINTR, and no storm "
			"handler ran: a signal of the backend interrupted it "
			"(blocked then: %s)", STORM_CLEANUP_SLEEP_NS / 1000,
			blocked);
	errno = saved;
}
