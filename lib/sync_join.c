/* SPDX-License-Identifier: MIT */
/*
 * sync_join.c - pthread_join and its timed forms as libcp cancellation
 * points.
 *
 * The joiner sleeps on the thread's tid word, which the kernel clears and
 * wakes when the thread has exited (CLONE_CHILD_CLEARTID, set_tid_address
 * (2); a shared futex, as the kernel's wake is), then has the C library
 * reap the thread with pthread_tryjoin_np, which no longer blocks.  The
 * futex wait is the cancellation point, and the window rule decides the
 * race with the thread's exit: a wait the kernel completed means the
 * thread is gone, so the join completes and the caller gets its value,
 * the cancellation deferred; a cancellation that acts means the wait never
 * completed, and the thread stays joinable (POSIX: a cancelled join does
 * not detach its target).  Classic glibc acts after a completed wait: the
 * joiner dies and the exited thread stays unreaped (cases/wake-kept.c).
 *
 * The tid word: glibc publishes its offset in the thread descriptor for
 * libthread_db (the symbol _thread_db_pthread_tid: size in bits, count,
 * offset), and libcp checks it against the calling thread before trusting
 * it.  Without it (another C library), the join waits in slices of the C
 * library's pthread_timedjoin_np (posix_internal.h).
 */
#define _GNU_SOURCE
#include "posix_internal.h"

#include <cp.h>
#include <dlfcn.h>
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The offset of the tid word in a pthread_t, or -1 when unknown. */
static long cp_tid_offset(void)
{
	static long offset = -2;
	long off = __atomic_load_n(&offset, __ATOMIC_ACQUIRE);
	const uint32_t *desc;

	if (off != -2)
		return off;
	off = -1;
	desc = dlsym(RTLD_DEFAULT, "_thread_db_pthread_tid");
	if (desc && desc[0] == 32 &&
	    *(const int *)((const char *)pthread_self() + desc[2]) ==
		    (int)syscall(SYS_gettid))
		off = (long)desc[2];
	__atomic_store_n(&offset, off, __ATOMIC_RELEASE);
	return off;
}

/* 0 once the thread has exited, or ETIMEDOUT.  The cancellation point.
 * glibc marks the word of a thread already joined (its descriptor freed)
 * with -1: joining it again is ESRCH, as glibc's own join says. */
static int cp_join_sleep(pthread_t t, long off, int clock_flag,
			 const struct cp_abstime *abs)
{
	uint32_t *word = (uint32_t *)((char *)t + off);
	uint32_t tid;

	while ((tid = __atomic_load_n(word, __ATOMIC_ACQUIRE)) != 0) {
		if ((int32_t)tid < 0)
			return ESRCH;
		if (abs && abs->tv_sec < 0)
			return ETIMEDOUT;
		if (cp_futex_wait_until(word, FUTEX_WAIT_BITSET | clock_flag, tid,
					abs) < 0 && errno == ETIMEDOUT)
			return ETIMEDOUT;
	}
	return 0;
}

typedef int cp_timedjoin_fn(pthread_t, void **, const struct timespec *);

/* No tid word: slices of the C library's timed join (realtime deadlines),
 * acting on a cancellation between them.  A slice that joined returns 0. */
static int cp_join_sliced(pthread_t t, void **ret, clockid_t clock,
			  const struct cp_abstime *abs)
{
	static cp_timedjoin_fn *timedjoin;
	struct timespec end;
	int err;

	if (!timedjoin)
		timedjoin = (cp_timedjoin_fn *)cp_libc_sym("pthread_timedjoin_np");
	if (!timedjoin)
		return ENOSYS;
	for (;;) {
		if (abs && cp_slice_end(clock, &(struct timespec){
					(time_t)abs->tv_sec, abs->tv_nsec }, &end))
			return ETIMEDOUT;
		cp_slice_end(CLOCK_REALTIME, NULL, &end);
		if ((err = timedjoin(t, ret, &end)) != ETIMEDOUT)
			return err;
		cp_testcancel();
	}
}

int cp_join_until(pthread_t t, void **ret, clockid_t clock,
		  const struct cp_abstime *abs)
{
	long off = cp_tid_offset();
	int saved_errno = errno, err;

	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
		return EINVAL;
	if (abs && !cp_abstime_valid(abs))
		return EINVAL;
	/* POSIX: "shall occur", also when the thread has already exited. */
	cp_testcancel();
	if ((err = pthread_tryjoin_np(t, ret)) != EBUSY)
		return err;
	if (pthread_equal(t, pthread_self()))
		return EDEADLK;
	if (off < 0)
		err = cp_join_sliced(t, ret, clock, abs);
	else if (!(err = cp_join_sleep(t, off, clock == CLOCK_REALTIME ?
				       FUTEX_CLOCK_REALTIME : 0, abs)))
		err = pthread_tryjoin_np(t, ret);
	errno = saved_errno;
	return err;
}

int cp_pthread_join(pthread_t t, void **ret)
{
	return cp_join_until(t, ret, CLOCK_MONOTONIC, NULL);
}

int cp_pthread_clockjoin_np(pthread_t t, void **ret, clockid_t clock,
			    const struct timespec *abstime)
{
	struct cp_abstime abs;

	return cp_join_until(t, ret, clock, cp_abstime_of(abstime, &abs));
}

int cp_pthread_timedjoin_np(pthread_t t, void **ret,
			    const struct timespec *abstime)
{
	return cp_pthread_clockjoin_np(t, ret, CLOCK_REALTIME, abstime);
}
