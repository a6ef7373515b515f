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

struct blocker {
	const char *name;
	long nr[2];                 /* syscalls it may block in */
	/* Blocks until unblock() (or for `bound_ms` at most); returns the
	 * call's result, errno as the call left it. */
	long (*call)(const struct backend *be, int fd, int bound_ms);
	/* Makes call() return normally; fd is the write end of its pipe. */
	void (*unblock)(int fd);
};

extern const struct blocker blockers[];
extern const unsigned n_blockers;

/* Is the thread blocked in one of b's syscalls (per /proc)? */
int blocker_is_blocked(const struct blocker *b, pid_t tid);

/* One target thread making one blocking call, then passing a
 * cancellation point. */
struct blocked_run {
	const struct blocker *b;
	const struct backend *be;
	int fd, bound_ms;
	int disable;              /* make the call with cancellation disabled */
	pthread_t th;
	volatile pid_t tid;
	volatile long result;
	volatile int err, returned;
};

/* Start r's thread and wait (bounded, 5 s) until /proc shows it blocked
 * in the call.  0, or -1 when it never blocked. */
int blocked_start(struct blocked_run *r);

/* The first blocker named `name`, or NULL. */
const struct blocker *blocker_find(const char *name);

#endif
