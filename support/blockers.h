/* SPDX-License-Identifier: MIT */
/*
 * blockers.h - calls that block a thread until something happens, made
 * through a backend, with the syscalls /proc shows while they block (libc
 * and libcp may use different ones: glibc's nanosleep is clock_nanosleep,
 * libcp's poll is ppoll).  Cases that need "a thread blocked in X" take
 * their variants from this table.
 */
#ifndef SUPPORT_BLOCKERS_H
#define SUPPORT_BLOCKERS_H

#include "backend.h"
#include "target.h"

struct blocked_run;

struct blocker {
	const char *name;
	long nr[2];                 /* syscalls it may block in */
	/* signal(7): the kernel restarts it after an SA_RESTART handler.
	 * The others end with EINTR after any handler. */
	int restarts;
	/* Blocks until unblock() (or for r->bound_ms at most).  Returns the
	 * call's result, made comparable: a normal completion returns `want`
	 * (an accepted connection or a reaped child counts as 0); errno as
	 * the call left it. */
	long (*call)(struct blocked_run *r);
	/* Makes call() complete normally; NULL for a sleep, which completes
	 * by itself after bound_ms. */
	void (*unblock)(struct blocked_run *r);
	long want;
	/* Extra set-up beyond the pipe every run has (listener, child,
	 * epoll instance, signal handler): 0 or -errno.  NULL: none. */
	int (*prepare)(struct blocked_run *r);
};

extern const struct blocker blockers[];
extern const unsigned n_blockers;

/* Is the thread blocked in one of b's syscalls (per /proc)? */
int blocker_is_blocked(const struct blocker *b, pid_t tid);

/* One target thread making one blocking call, then passing a
 * cancellation point.  Zero-initialise, set b, be, bound_ms (and disable),
 * then blocked_start(); blocked_end() releases what the run set up. */
struct blocked_run {
	const struct blocker *b;
	const struct backend *be;
	int bound_ms;
	int disable;              /* make the call with cancellation disabled */
	TARGET_RECORD;            /* result: the blocker's call() */
	/* What the blocker waits on: a pipe whose write end completes it,
	 * and per blocker a listener, its client, an epoll instance, a
	 * child, a futex word. */
	int pipe[2], aux, client;
	pid_t child;
	uint32_t word;
};

/* Start r's thread and wait (SETUP_BOUND_MS) until /proc shows it
 * blocked in the call.  0, or -1 when it never blocked. */
int blocked_start(struct blocked_run *r);

/* Release what blocked_start set up (the thread must have ended). */
void blocked_end(struct blocked_run *r);

/* The first blocker named `name`, or NULL. */
const struct blocker *blocker_find(const char *name);

#endif
