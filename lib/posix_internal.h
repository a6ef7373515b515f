/* SPDX-License-Identifier: MIT */
/*
 * posix_internal.h - what the POSIX cancellation points of LIBCP_1.1
 * share: the C library's own functions by name, and waiting in slices.
 */
#ifndef CP_POSIX_INTERNAL_H
#define CP_POSIX_INTERNAL_H

#include <time.h>

#define CP_POSIX_HIDDEN __attribute__((visibility("hidden")))

/* The C library's own definition of `name`, never an interposed one: the
 * drop-in library defines aio_suspend, pthread_timedjoin_np, ... itself,
 * and libcp calling them by name would come back to itself.  NULL when
 * the C library has no such function. */
CP_POSIX_HIDDEN void *cp_libc_sym(const char *name);

/*
 * Where the C library gives libcp no way into its wait (glibc's aio
 * completion, a join without the thread's tid word), libcp waits in
 * slices of the C library's own timed call and acts on a pending
 * cancellation between them.  That is race-free (a slice that completed
 * returns its result, and nothing is consumed between slices), at a
 * latency of up to one slice.
 */
#define CP_SLICE_MS 10

/* The end of the next slice on `clock`, never past *deadline (when given,
 * an absolute time on the same clock).  Returns 0, or ETIMEDOUT when the
 * deadline has passed. */
CP_POSIX_HIDDEN int cp_slice_end(clockid_t clock, const struct timespec *deadline,
				 struct timespec *end);

#endif
