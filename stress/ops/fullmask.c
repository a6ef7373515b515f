/* SPDX-License-Identifier: MIT */
/*
 * fullmask.c - waits whose own signal mask, or wait set, is full: what a
 * program writes that wants nothing to interrupt it (sigfillset()).
 *
 * ppoll, pselect, epoll_pwait and sigsuspend install the mask for the
 * duration of the wait; sigtimedwait takes every signal of its set
 * instead of running its handler.  Either way the backend's cancel
 * signal is in the set the caller passed.  A request during the wait must
 * still act: a design that lets its signal be blocked by the call's mask
 * loses the request (or hangs in sigsuspend, which nothing else can end),
 * and one that lets sigtimedwait take its signal swallows it.  So the
 * waits last longer than the storm's bound: only the cancellation ends
 * them in time, and one held off until a timeout counts as lost, not as
 * merely late.  The storm's own signals are held off or taken too; none
 * of these ops holds anything across its call.
 */
#define _GNU_SOURCE
#include "ops/op_fns.h"
#include "rng.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>

/* Beyond STORM_JOIN_MS, seeded up to as much again. */
#define STORM_FULL_WAIT_MS (2 * STORM_JOIN_MS)

static struct timespec storm_full_timeout(uint64_t *rng)
{
	long ms = STORM_FULL_WAIT_MS +
		  (long)storm_rng_below(rng, STORM_FULL_WAIT_MS);

	return (struct timespec){ ms / 1000, (ms % 1000) * 1000000L };
}

void op_ppoll_all(const struct backend *be, uint64_t *rng)
{
	struct pollfd p = { .fd = storm_res.idle_fd, .events = POLLIN };
	struct timespec ts = storm_full_timeout(rng);
	sigset_t all;
	long r;

	sigfillset(&all);
	storm_call_begin();
	r = be->ppoll(&p, 1, &ts, &all);
	storm_call_end();
	storm_note_result(r);
}

void op_pselect_all(const struct backend *be, uint64_t *rng)
{
	struct timespec ts = storm_full_timeout(rng);
	sigset_t all;
	fd_set in;
	long r;

	sigfillset(&all);
	FD_ZERO(&in);
	FD_SET(storm_res.idle_fd, &in);
	storm_call_begin();
	r = be->pselect(storm_res.idle_fd + 1, &in, NULL, NULL, &ts, &all);
	storm_call_end();
	storm_note_result(r);
}

void op_epoll_pwait_all(const struct backend *be, uint64_t *rng)
{
	struct epoll_event ev;
	sigset_t all;
	long r;

	sigfillset(&all);
	storm_call_begin();
	r = be->epoll_pwait(storm_res.epoll_fd, &ev, 1,
			    STORM_FULL_WAIT_MS +
				    (int)storm_rng_below(rng, STORM_FULL_WAIT_MS),
			    &all);
	storm_call_end();
	storm_note_result(r);
}

/* Takes whatever signal comes first; with none, times out (EAGAIN). */
void op_sigtimedwait_all(const struct backend *be, uint64_t *rng)
{
	struct timespec ts = storm_full_timeout(rng);
	siginfo_t si;
	sigset_t all;
	long r;

	sigfillset(&all);
	storm_call_begin();
	r = be->sigtimedwait(&all, &si, &ts);
	storm_call_end();
	if (r < 0 && errno == EAGAIN)
		return;   /* the timeout: a normal end */
	storm_note_result(r);
}

/* Nothing but the cancellation can end it. */
void op_sigsuspend_all(const struct backend *be, uint64_t *rng)
{
	sigset_t all;
	long r;

	(void)rng;
	sigfillset(&all);
	storm_call_begin();
	r = be->sigsuspend(&all);
	storm_call_end();
	storm_note_result(r);
}
