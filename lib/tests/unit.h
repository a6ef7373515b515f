/* SPDX-License-Identifier: MIT */
/*
 * unit.h - helpers shared by libcp's Check tests: start a target thread,
 * wait (bounded) until it is blocked in a given syscall, handshakes.
 * Waiting is always for a state the kernel reports, never a sleep.
 */
#ifndef UNIT_H
#define UNIT_H

#define _GNU_SOURCE
#include <check.h>
#include <notify.h>
#include <handshake.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include <target.h>

#define UNIT_WAIT_MS ACT_BOUND_MS

/* A target thread (support/target.h) and what else it reports back. */
struct unit_target {
	TARGET_RECORD;
	volatile int cleanup_ran;
	volatile long aux;         /* one more observation, test-specific */
	void *arg;
};

/* Start fn(target) in a new thread; returns once its tid is known. */
void unit_start(struct unit_target *t, void (*fn)(struct unit_target *));
void unit_start_attr(struct unit_target *t, void (*fn)(struct unit_target *),
		     const pthread_attr_t *attr);

/* Block until the target is in syscall nr (per /proc), or fail the test. */
void unit_wait_in_syscall(const struct unit_target *t, long nr);

/* Join with a bound; fails the test (with a diagnosis) on a hang.
 * Returns the thread's exit value. */
void *unit_join(struct unit_target *t);

/* flag_wait (support/handshake.h) with the unit tests' bound. */
int unit_flag_wait_bounded(volatile int *flag, int timeout_ms);

/* Pending signals of the target thread (bit sig-1). */
uint64_t unit_sigpending(const struct unit_target *t);

/* Wait (bounded) until signal sig is pending for the target; 1 if so. */
int unit_wait_sigpending(const struct unit_target *t, int sig);

/* Wait (bounded) until a signal already sent to the target is no longer
 * on its way: taken (its handler has started) or held (pending while
 * blocked).  1 if so. */
int unit_wait_sig_settled(const struct unit_target *t, int sig);

/* A cleanup handler for a target that set its own sigaltstack: the thread
 * must not exit still on it (a sanitizer's thread teardown unmaps the
 * alternate stack it finds, taking it for its own). */
void unit_altstack_off(void *unused);

/* The calling thread's blocked signals, straight from the kernel. */
uint64_t unit_own_mask(void);

/* A pipe for the tests of one file to block on: a Check fixture pair. */
extern int unit_pipe[2];
void unit_pipe_open(void);    /* also resets `hold` */
void unit_pipe_close(void);

/* The target blocked in a read, SIGUSR1's handler (which calls
 * hold_handler) holding it on top of the read: the request is made while
 * the handler runs.  The caller then waits for the signal as it needs and
 * releases the handler. */
void unit_request_on_handler(struct unit_target *t);

/* Join the target: it must have been cancelled within the bound; else the
 * test fails with a diagnosis saying `what` lost the request (the target's
 * read of unit_pipe gets a byte first, so that it can end). */
void unit_join_cancelled(struct unit_target *t, const char *what);

/*
 * A call held inside the kernel (seccomp user notification) while a
 * cancellation request is made.  unit_hold() starts a target that installs
 * the filter for (nr, arg0) and makes `call`, then returns once the call is
 * held and the cancel signal is pending for it.  The test then completes
 * the call (notify_reply_*) with h->listener and h->n.id and joins.  After
 * the call returns, the target passes cp_testcancel().
 */
struct unit_held {
	long nr;
	uint64_t arg0;
	long (*call)(void);
	volatile int listener, ready;
	struct seccomp_notif n;
};

void unit_hold(struct unit_target *t, struct unit_held *h);

/* hold_handler with a gate: libcp's signal stays blocked (the handler's
 * sa_mask) until the test opens the gate, then the handler unblocks it, so
 * a request is taken on top of this handler at a moment the test chose.
 * unit_gate_install(sig) resets the gate and hold, and installs the
 * handler for sig (SA_RESTART). */
struct unit_gate {
	volatile int open, unblocked;
};
extern struct unit_gate unit_gate;
void unit_gate_handler(int sig);
void unit_gate_install(int sig);

/* How long a canceller spins before a request in a race test: a fixed
 * xorshift sequence, so every run tries the same spread of moments (the
 * kernel's scheduling is what varies).  In [0, max). */
int unit_spin_len(int max);

/* Suites, one file each. */
Suite *unit_suite_cancel(void);
Suite *unit_suite_signals(void);
Suite *unit_suite_wrappers(void);
Suite *unit_suite_lifecycle(void);
Suite *unit_suite_cleanup(void);
Suite *unit_suite_uring(void);
Suite *unit_suite_port(void);
Suite *unit_suite_mask(void);
Suite *unit_suite_request(void);
Suite *unit_suite_timer(void);
Suite *unit_suite_posix(void);
Suite *unit_suite_escape(void);
Suite *unit_suite_held(void);
Suite *unit_suite_frames(void);
Suite *unit_suite_state(void);
Suite *unit_suite_race(void);

#endif
