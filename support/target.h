/* SPDX-License-Identifier: MIT */
/*
 * target.h - the record of a target thread, shared by the cases, the
 * harness's drivers, libcp's unit tests, the benchmarks and the storm.
 *
 * A target is the thread a request is aimed at.  The supervisor needs its
 * pthread_t (to cancel and join it), its kernel tid (to read its state in
 * /proc), and, once its cancellation point returned instead of acting,
 * what the call returned and the errno it left.
 */
#ifndef SUPPORT_TARGET_H
#define SUPPORT_TARGET_H

#include "bounds.h"

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

/* The fields, listed once for struct target and TARGET_RECORD. */
#define TARGET_FIELDS                                                        \
	pthread_t th;                                                        \
	volatile pid_t tid;        /* set by the thread itself */            \
	volatile long result;      /* what its cancellation point returned */ \
	volatile int saved_errno;  /* the errno that call left */            \
	volatile int returned      /* the call returned (it did not act) */

struct target {
	TARGET_FIELDS;
};

/* A target record inside a larger one (a case's, a driver's): its fields
 * read as the larger record's own (r->tid), and r->target is the record
 * itself for the functions below (the shape of the Linux kernel's
 * struct_group). */
#define TARGET_RECORD                                                        \
	union {                                                              \
		struct { TARGET_FIELDS; };                                   \
		struct target target;                                        \
	}

#ifdef __cplusplus
extern "C" {
#endif

/* In the target, first thing: its tid (release order, for
 * target_started). */
void target_begin(struct target *t);

/* In the target, right after its cancellation point returned: the
 * result, errno, then `returned` (release order: a supervisor that sees
 * returned sees the other two).  Returns rc. */
long target_returned(struct target *t, long rc);

/* For wait_until(): the target has run target_begin. */
int target_started(void *t);

/* Is the target asleep in syscall nr, per /proc?  (/proc names the
 * syscall only of a thread that is not running.) */
int target_in_syscall(const struct target *t, long nr);

/* Join within timeout_ms: 0, or -1 with a one-line /proc diagnosis of
 * the thread (syscall, wchan, stack) in diag. */
int target_join(struct target *t, void **ret, int timeout_ms, char *diag,
		size_t len);

#ifdef __cplusplus
}
#endif
#endif
