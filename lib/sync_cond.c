/* SPDX-License-Identifier: MIT */
/*
 * sync_cond.c - condition variables whose wait is a libcp cancellation
 * point (cp_cond_*).
 *
 * Why a type of libcp's own: a condition wait is a cancellation point of
 * the new approach only if the futex wait inside it is libcp's window, and
 * the C library's pthread_cond_wait sleeps in its own code with a private
 * protocol (glibc's signal groups).  cp_cond_t is small, fits inside a
 * pthread_cond_t, and all-zero is its initial state, so the drop-in
 * library keeps one inside a program's pthread_cond_t (static initialiser
 * included).  Every operation on one condition variable must then be a
 * cp_cond_ one; glibc's pthread_cond_init and pthread_cond_destroy happen
 * to be harmless on it (they write zeros / wait on a word libcp leaves 0).
 *
 * The algorithm.  `seq` is the futex word; every signal and broadcast
 * bumps it.  A waiter registers (`waiters`) and reads seq while it holds
 * the mutex, unlocks, and sleeps for as long as seq still holds what it
 * read.  A signal bumps seq and wakes one sleeper; a registered waiter that
 * had not gone to sleep yet sees seq moved and returns (a spurious wake-up,
 * which POSIX allows).  So the only thing a waiter can consume is the
 * kernel's wake of a sleeper, and libcp's window rule decides exactly that
 * race: the cancellation acts only while the futex wait has not completed
 * (the waiter was never woken, and the kernel gives the wake to another
 * sleeper), and a wait the kernel completed returns to the caller with the
 * cancellation deferred to the next cancellation point.  Nothing needs to
 * be passed on.  An implementation that acts after the wait completed, as
 * asynchronous cancellation around the syscall does, loses the wake
 * (cases/wake-kept.c forces it).
 *
 * Cancellation re-acquires the mutex in a cleanup handler, which runs
 * before any handler of the caller (POSIX).  Destruction: POSIX allows
 * destroying the condition variable once no thread is blocked on it, e.g.
 * right after a broadcast, while woken waiters may still be leaving; a
 * waiter's last access is its decrement of `waiters`, and cp_cond_destroy
 * waits for the count to reach zero.
 */
#define _GNU_SOURCE
#include "posix_internal.h"

#include <cp.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CP_COND_SHARED 1u
#define CP_COND_MONOTONIC 2u
/* In `waiters`: cp_cond_destroy waits for the count to drain. */
#define CP_COND_DESTROYING 0x80000000u

static int cp_cond_private(const cp_cond_t *c)
{
	return c->flags & CP_COND_SHARED ? 0 : FUTEX_PRIVATE_FLAG;
}

int cp_cond_init(cp_cond_t *c, const pthread_condattr_t *attr)
{
	int shared = PTHREAD_PROCESS_PRIVATE;
	clockid_t clock = CLOCK_REALTIME;

	if (attr && (pthread_condattr_getpshared(attr, &shared) ||
		     pthread_condattr_getclock(attr, &clock)))
		return EINVAL;
	*c = (cp_cond_t)CP_COND_INITIALIZER;
	c->flags = (shared == PTHREAD_PROCESS_SHARED ? CP_COND_SHARED : 0) |
		   (clock == CLOCK_MONOTONIC ? CP_COND_MONOTONIC : 0);
	return 0;
}

/* Not a cancellation point: the raw futex wait (libc's syscall() is none). */
int cp_cond_destroy(cp_cond_t *c)
{
	int priv = cp_cond_private(c);
	uint32_t w = __atomic_or_fetch(&c->waiters, CP_COND_DESTROYING,
				       __ATOMIC_ACQ_REL);

	while (w != CP_COND_DESTROYING) {
		syscall(SYS_futex, &c->waiters, FUTEX_WAIT | priv, w, NULL, NULL, 0);
		w = __atomic_load_n(&c->waiters, __ATOMIC_ACQUIRE);
	}
	return 0;
}

static int cp_cond_wake(cp_cond_t *c, int n)
{
	if (!(__atomic_load_n(&c->waiters, __ATOMIC_SEQ_CST) & ~CP_COND_DESTROYING))
		return 0;
	__atomic_fetch_add(&c->seq, 1, __ATOMIC_SEQ_CST);
	cp_futex(&c->seq, FUTEX_WAKE | cp_cond_private(c), (uint32_t)n, NULL,
		 NULL, 0);
	return 0;
}

int cp_cond_signal(cp_cond_t *c)
{
	return cp_cond_wake(c, 1);
}

int cp_cond_broadcast(cp_cond_t *c)
{
	return cp_cond_wake(c, INT_MAX);
}

/* A waiter's last access to c: after the decrement, c may be destroyed
 * (the wake then hits a stale word, which futex users tolerate). */
static void cp_cond_leave(cp_cond_t *c)
{
	int priv = cp_cond_private(c);
	uint32_t *w = &c->waiters;

	if (__atomic_sub_fetch(w, 1, __ATOMIC_RELEASE) == CP_COND_DESTROYING)
		syscall(SYS_futex, w, FUTEX_WAKE | priv, INT_MAX, NULL, NULL, 0);
}

struct cp_cond_waiter {
	cp_cond_t *c;
	pthread_mutex_t *m;
};

/* Cleanup handler: the cancelled waiter leaves and takes the mutex back
 * before the caller's own handlers run. */
static void cp_cond_cancelled(void *p)
{
	struct cp_cond_waiter *w = p;

	cp_cond_leave(w->c);
	pthread_mutex_lock(w->m);
}

/* Sleep while seq == seen: 0 when it moved (or the wait was woken),
 * ETIMEDOUT when the deadline passed first.  The futex wait is the
 * cancellation point. */
static int cp_cond_sleep(cp_cond_t *c, uint32_t seen, int clock_flag,
			 const struct cp_abstime *abs)
{
	int op = FUTEX_WAIT_BITSET | cp_cond_private(c) | clock_flag;

	if (abs && abs->tv_sec < 0)
		return ETIMEDOUT;   /* the kernel would say EINVAL */
	while (__atomic_load_n(&c->seq, __ATOMIC_ACQUIRE) == seen) {
		if (cp_futex_wait_until(&c->seq, op, seen, abs) < 0 &&
		    errno == ETIMEDOUT)
			return __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE) == seen
				       ? ETIMEDOUT : 0;
	}
	return 0;
}

/* The sleep with its cleanup handler (setjmp's frame, apart). */
static int cp_cond_sleep_cancellable(struct cp_cond_waiter *w, uint32_t seen,
				     int clock_flag,
				     const struct cp_abstime *abs)
{
	volatile int err;

	pthread_cleanup_push(cp_cond_cancelled, w);
	err = cp_cond_sleep(w->c, seen, clock_flag, abs);
	pthread_cleanup_pop(0);
	return err;
}

int cp_cond_wait_until(cp_cond_t *c, pthread_mutex_t *m, clockid_t clock,
		       const struct cp_abstime *abs)
{
	struct cp_cond_waiter w = { c, m };
	int clock_flag = clock == CLOCK_REALTIME ? FUTEX_CLOCK_REALTIME : 0;
	int saved_errno = errno, err, lock_err;
	uint32_t seen;

	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
		return EINVAL;
	if (abs && !cp_abstime_valid(abs))
		return EINVAL;
	cp_testcancel();
	/* Both under the mutex: a signaller that holds it sees this waiter,
	 * and one that does not is concurrent with the wait's start. */
	__atomic_fetch_add(&c->waiters, 1, __ATOMIC_SEQ_CST);
	seen = __atomic_load_n(&c->seq, __ATOMIC_SEQ_CST);
	if ((err = pthread_mutex_unlock(m))) {
		cp_cond_leave(c);
		return err;
	}
	err = cp_cond_sleep_cancellable(&w, seen, clock_flag, abs);
	cp_cond_leave(c);
	lock_err = pthread_mutex_lock(m);
	errno = saved_errno;
	return lock_err ? lock_err : err;
}

int cp_cond_wait(cp_cond_t *c, pthread_mutex_t *m)
{
	return cp_cond_wait_until(c, m, CLOCK_REALTIME, NULL);
}

int cp_cond_clockwait(cp_cond_t *c, pthread_mutex_t *m, clockid_t clock,
		      const struct timespec *abstime)
{
	struct cp_abstime abs;

	return cp_cond_wait_until(c, m, clock, cp_abstime_of(abstime, &abs));
}

/* The clock of the attribute cp_cond_init was given. */
clockid_t cp_cond_clock(const cp_cond_t *c)
{
	return c->flags & CP_COND_MONOTONIC ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

int cp_cond_timedwait(cp_cond_t *c, pthread_mutex_t *m,
		      const struct timespec *abstime)
{
	return cp_cond_clockwait(c, m, cp_cond_clock(c), abstime);
}
