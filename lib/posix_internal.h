/* SPDX-License-Identifier: MIT */
/*
 * posix_internal.h - what the POSIX cancellation points of LIBCP_1.1
 * share: the C library's own functions by name, and waiting in slices.
 */
#ifndef CP_POSIX_INTERNAL_H
#define CP_POSIX_INTERNAL_H

#include <cp.h>
#include <stdint.h>
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

/*
 * An absolute time as the timed waits take it inside libcp, whatever the
 * caller's time_t: 64-bit seconds, then the nanoseconds in a long (and
 * the caller's padding on a 32-bit arch), which is glibc's struct
 * __timespec64, the struct timespec of a caller built with _TIME_BITS=64,
 * and plain struct timespec on a 64-bit arch.  The native entry points
 * convert into it (cp_abstime_of), the *_time64 ones take it as it is.
 */
struct cp_abstime {
	int64_t tv_sec;
	long tv_nsec;
#if __SIZEOF_LONG__ == 4
	long pad;
#endif
};

/* ts as a cp_abstime in *buf (NULL stays NULL). */
CP_POSIX_HIDDEN const struct cp_abstime *
cp_abstime_of(const struct timespec *ts, struct cp_abstime *buf);

/* 0 <= tv_nsec < 10^9. */
CP_POSIX_HIDDEN int cp_abstime_valid(const struct cp_abstime *abs);

/* The cancellable FUTEX_WAIT_BITSET until abs (NULL: no deadline), with
 * the libc convention of cp_futex; 32-bit arches pass the 64-bit time to
 * futex_time64, so no deadline is cut to 2038. */
CP_POSIX_HIDDEN long cp_futex_wait_until(uint32_t *word, int op, uint32_t val,
					 const struct cp_abstime *abs);

/* lockf's one body, for 32 and 64-bit offsets (exported as cp_lockf64,
 * which cp.h reaches through an asm label). */
__attribute__((visibility("default"))) int cp_lockf64(int fd, int cmd,
						      int64_t len);

/* The timed waits' one body each, for both entry points. */
CP_POSIX_HIDDEN clockid_t cp_cond_clock(const cp_cond_t *c);
CP_POSIX_HIDDEN int cp_cond_wait_until(cp_cond_t *c, pthread_mutex_t *m,
				       clockid_t clock,
				       const struct cp_abstime *abs);
CP_POSIX_HIDDEN int cp_sem_wait_until(sem_t *s, clockid_t clock,
				      const struct cp_abstime *abs);
CP_POSIX_HIDDEN int cp_join_until(pthread_t t, void **ret, clockid_t clock,
				  const struct cp_abstime *abs);

#endif
