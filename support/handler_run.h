/* SPDX-License-Identifier: MIT */
/*
 * handler_run.h - a target thread sitting in a cancellation point (the
 * backend's read() of an empty pipe) with a signal handler on top of it:
 * the common start of the cases about cancellation and handlers
 * (handler-not-async, handler-nocancel-stays, sigsys-trap,
 * longjmp-from-handler).
 *
 * The case marks the code where a deferred request must not act (its
 * handler; ordinary code) by keeping `must_not_act` set while it runs;
 * the target's cleanup handler records whether it ran there.  By default
 * the target reads one byte and then passes one more cancellation point
 * (testcancel), so a request that survived the handler acts there.
 */
#ifndef SUPPORT_HANDLER_RUN_H
#define SUPPORT_HANDLER_RUN_H

#include "backend.h"
#include "target.h"

#include <stdint.h>
#include <time.h>

struct handler_run {
	const struct backend *be;
	/* Runs in the target just before its read (e.g. to load a seccomp
	 * filter for that thread): 0, or -errno, which ends the thread and
	 * is kept in prepare_err for the case to judge (skip or error). */
	int (*prepare)(struct handler_run *r);
	/* Replaces the read and testcancel (runs under the cleanup handler). */
	void (*body)(struct handler_run *r);
	uint64_t own_signals;   /* the case's signals (bit sig - 1): not ours */
	int pipefd[2];
	TARGET_RECORD;
	volatile int prepare_err;
	volatile int must_not_act;            /* kept by the case */
	volatile int cleanup_ran, acted_inside;
	char byte;                            /* what the read got */
	struct timespec cleanup_at;
};

/* Make the pipe, start the target and wait (SETUP_BOUND_MS) until it is
 * blocked in read per /proc, or, with wait_blocked = 0, until it exists.
 * 0, or a one-line reason in why. */
int handler_run_start(struct handler_run *r, int wait_blocked, char *why,
		      size_t len);

/* For wait_until(): has the cancel request settled?  It acted (cleanup
 * ran), or no signal but the case's own is pending, or the pending ones
 * are blocked (held behind a handler's mask).  A signal pending and not
 * blocked is still on its way.  The cancel call has returned before this
 * is asked, so any signal it sends is queued already. */
int handler_run_settled(void *run);

/* Once the case has let its handler go on: wait (ACT_BOUND_MS) for the
 * cleanup handler and the thread's end.  0, or -1 when the cleanup handler never
 * ran (the request was lost: the caller diagnoses).  A thread that ran
 * its cleanup handler but does not end is a FAIL (verdict_exit). */
int handler_run_finish(struct handler_run *r, void **ret);

/* Write a byte to the pipe, so a read still blocked returns. */
void handler_run_unblock(struct handler_run *r);

/* Microseconds from `from` to the cleanup handler. */
long handler_run_latency_us(const struct handler_run *r,
			    const struct timespec *from);

/* sigaction(sig) with fn and SA_RESTART (the blocked read is restarted
 * after the handler); a failure is the case's ERROR verdict. */
void handler_install(int sig, void (*fn)(int));

#endif
