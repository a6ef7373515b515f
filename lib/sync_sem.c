/* SPDX-License-Identifier: MIT */
/*
 * sync_sem.c - sem_wait, sem_timedwait and sem_clockwait as libcp
 * cancellation points, on the C library's own sem_t.
 *
 * glibc's semaphore protocol is effectively ABI: a process-shared sem_t
 * lives in shared memory between programs linked against different glibc
 * versions, so its layout and its futex use cannot change.  libcp speaks
 * it (facts from glibc's nptl/sem_waitcommon.c and sem_post.c, code of our
 * own), so cp_sem_wait works with glibc's sem_init, sem_open, sem_post,
 * sem_trywait, sem_getvalue and with glibc's own sem_wait on the same
 * semaphore, in this process or another one.
 *
 *  - 64-bit atomics (x86_64, aarch64, riscv64): one 64-bit word, the value
 *    in its low half (the futex word, on these little-endian machines) and
 *    the number of waiters in its high half.  sem_post adds a token and
 *    wakes one futex waiter when the waiter count is non-zero; a waiter
 *    registers, sleeps while the value is 0, and takes a token and leaves
 *    in one compare-and-swap.
 *  - 32-bit (i386): the value shifted left by one, its low bit meaning "there
 *    may be waiters", and the waiter count in a word of its own; the last
 *    waiter to leave clears the bit, and repairs a wrong guess by setting it
 *    again and waking as many waiters as there are tokens.
 *
 * The window rule decides the race with sem_post: a wait that the kernel
 * completed (the post's wake reached this waiter) returns to its loop and
 * takes the token; only a wait that never completed is cancelled, so the
 * wake went to another waiter.  glibc's own sem_wait acts on a
 * cancellation that lands after the wake and does not pass it on
 * (cases/wake-kept.c).
 *
 * Other C libraries: their sem_t speaks another protocol; cp_sem_* there
 * fail with ENOSYS.
 */
#define _GNU_SOURCE
#include "posix_internal.h"

#include <cp.h>
#include <errno.h>
#include <linux/futex.h>

#if defined(__GLIBC__)

#define CP_SEM_SHARED 128   /* glibc's `private` field: 0 private, 128 shared */

static int cp_sem_futex_flags(int private_field)
{
	return private_field == CP_SEM_SHARED ? 0 : FUTEX_PRIVATE_FLAG;
}

/* Sleep while *word == val: 0 (woken, or the word moved) or the errno
 * value the caller reports (ETIMEDOUT, EINTR).  The cancellation point. */
static int cp_sem_sleep(uint32_t *word, uint32_t val, int private_field,
			int clock_flag, const struct cp_abstime *abs)
{
	int op = FUTEX_WAIT_BITSET | cp_sem_futex_flags(private_field) | clock_flag;

	if (abs && abs->tv_sec < 0)
		return ETIMEDOUT;   /* the kernel would say EINVAL */
	if (cp_futex_wait_until(word, op, val, abs) == 0)
		return 0;
	return errno == EAGAIN ? 0 : errno;
}

#if UINTPTR_MAX > 0xffffffffu

struct cp_glibc_sem {
	uint64_t data;        /* value | nwaiters << 32 */
	int private_field;
};

#define CP_SEM_VALUE 0xffffffffull
#define CP_SEM_WAITER (1ull << 32)

static int cp_sem_take(struct cp_glibc_sem *s)
{
	uint64_t d = __atomic_load_n(&s->data, __ATOMIC_RELAXED);

	while (d & CP_SEM_VALUE)
		if (__atomic_compare_exchange_n(&s->data, &d, d - 1, 1,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 1;
	return 0;
}

static void cp_sem_unregister(void *p)
{
	struct cp_glibc_sem *s = p;

	__atomic_fetch_sub(&s->data, CP_SEM_WAITER, __ATOMIC_RELAXED);
}

/* Until a token is taken (0) or the wait fails (an errno value). */
static int cp_sem_wait_registered(struct cp_glibc_sem *s, uint64_t d,
				  int clock_flag, const struct cp_abstime *abs)
{
	int err;

	for (;;) {
		if (!(d & CP_SEM_VALUE)) {
			err = cp_sem_sleep((uint32_t *)&s->data, 0,
					   s->private_field, clock_flag, abs);
			if (err) {
				cp_sem_unregister(s);
				return err;
			}
			d = __atomic_load_n(&s->data, __ATOMIC_RELAXED);
		} else if (__atomic_compare_exchange_n(&s->data, &d,
						       d - 1 - CP_SEM_WAITER, 1,
						       __ATOMIC_ACQUIRE,
						       __ATOMIC_RELAXED)) {
			return 0;
		}
	}
}

static int cp_sem_wait_slow(struct cp_glibc_sem *s, int clock_flag,
			    const struct cp_abstime *abs)
{
	uint64_t d = __atomic_fetch_add(&s->data, CP_SEM_WAITER, __ATOMIC_RELAXED);
	volatile int err;

	pthread_cleanup_push(cp_sem_unregister, s);
	err = cp_sem_wait_registered(s, d, clock_flag, abs);
	pthread_cleanup_pop(0);
	return err;
}

#else /* 32-bit */

struct cp_glibc_sem {
	uint32_t value;       /* tokens << 1 | "there may be waiters" */
	int private_field;
	int pad;
	uint32_t nwaiters;
};

#define CP_SEM_SHIFT 1
#define CP_SEM_WAITERS_BIT 1u

static int cp_sem_take(struct cp_glibc_sem *s)
{
	uint32_t v = __atomic_load_n(&s->value, __ATOMIC_RELAXED);

	while (v >> CP_SEM_SHIFT)
		if (__atomic_compare_exchange_n(&s->value, &v,
						v - (1u << CP_SEM_SHIFT), 1,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 1;
	return 0;
}

/* Leave as a waiter.  The bit is cleared speculatively by what looks like
 * the last waiter, before the count drops, so newcomers see it cleared; if
 * another waiter arrived meanwhile, set it again and wake one waiter per
 * available token (what the posts that saw no bit did not do). */
static void cp_sem_unregister(void *p)
{
	struct cp_glibc_sem *s = p;
	uint32_t guess = __atomic_load_n(&s->nwaiters, __ATOMIC_RELAXED), v;

	if (guess == 1)
		__atomic_fetch_and(&s->value, ~CP_SEM_WAITERS_BIT, __ATOMIC_ACQUIRE);
	if (__atomic_fetch_sub(&s->nwaiters, 1, __ATOMIC_RELEASE) > 1 &&
	    guess == 1) {
		v = __atomic_fetch_or(&s->value, CP_SEM_WAITERS_BIT,
				      __ATOMIC_RELAXED) >> CP_SEM_SHIFT;
		if (v)
			cp_futex(&s->value, FUTEX_WAKE |
				 cp_sem_futex_flags(s->private_field), v, NULL,
				 NULL, 0);
	}
}

/* Until there is a token: keep the waiters bit set, sleep on a value of
 * "no tokens, waiters" (0 tokens, bit set). */
static int cp_sem_wait_token(struct cp_glibc_sem *s, uint32_t *v,
			     int clock_flag, const struct cp_abstime *abs)
{
	int err;

	while (!(*v >> CP_SEM_SHIFT)) {
		while (!(*v & CP_SEM_WAITERS_BIT) &&
		       !__atomic_compare_exchange_n(&s->value, v,
						    *v | CP_SEM_WAITERS_BIT, 1,
						    __ATOMIC_RELEASE,
						    __ATOMIC_RELAXED))
			;
		if (*v >> CP_SEM_SHIFT)
			break;
		if ((err = cp_sem_sleep(&s->value, CP_SEM_WAITERS_BIT,
					s->private_field, clock_flag, abs)))
			return err;
		*v = __atomic_load_n(&s->value, __ATOMIC_RELAXED);
	}
	return 0;
}

/* Until a token is taken (0) or the wait fails (an errno value). */
static int cp_sem_wait_registered(struct cp_glibc_sem *s, int clock_flag,
				  const struct cp_abstime *abs)
{
	uint32_t v = __atomic_load_n(&s->value, __ATOMIC_RELAXED);
	int err;

	do {
		if ((err = cp_sem_wait_token(s, &v, clock_flag, abs)))
			return err;
	} while (!__atomic_compare_exchange_n(&s->value, &v,
					      v - (1u << CP_SEM_SHIFT), 1,
					      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	return 0;
}

static int cp_sem_wait_slow(struct cp_glibc_sem *s, int clock_flag,
			    const struct cp_abstime *abs)
{
	volatile int err;

	__atomic_fetch_add(&s->nwaiters, 1, __ATOMIC_ACQUIRE);
	pthread_cleanup_push(cp_sem_unregister, s);
	err = cp_sem_wait_registered(s, clock_flag, abs);
	pthread_cleanup_pop(0);
	cp_sem_unregister(s);
	return err;
}

#endif

_Static_assert(sizeof(struct cp_glibc_sem) <= sizeof(sem_t),
	       "glibc's semaphore layout fits its sem_t");

/* POSIX: "shall occur" even when a token is there, so test first. */
static int cp_sem_wait_abs(sem_t *sem, int clock_flag,
			   const struct cp_abstime *abs)
{
	struct cp_glibc_sem *s = (struct cp_glibc_sem *)sem;
	int err;

	cp_testcancel();
	if (cp_sem_take(s))
		return 0;
	if (!(err = cp_sem_wait_slow(s, clock_flag, abs)))
		return 0;
	errno = err;
	return -1;
}

#else /* not glibc */

static int cp_sem_wait_abs(sem_t *sem, int clock_flag,
			   const struct cp_abstime *abs)
{
	(void)sem;
	(void)clock_flag;
	(void)abs;
	errno = ENOSYS;
	return -1;
}

#endif

int cp_sem_wait(sem_t *sem)
{
	return cp_sem_wait_abs(sem, 0, NULL);
}

/* The deadline is checked before anything else, as glibc does. */
int cp_sem_wait_until(sem_t *sem, clockid_t clock, const struct cp_abstime *abs)
{
	if ((clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) ||
	    (abs && !cp_abstime_valid(abs))) {
		errno = EINVAL;
		return -1;
	}
	return cp_sem_wait_abs(sem, clock == CLOCK_REALTIME ?
			       FUTEX_CLOCK_REALTIME : 0, abs);
}

int cp_sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *abstime)
{
	struct cp_abstime abs;

	return cp_sem_wait_until(sem, clock, cp_abstime_of(abstime, &abs));
}

int cp_sem_timedwait(sem_t *sem, const struct timespec *abstime)
{
	return cp_sem_clockwait(sem, CLOCK_REALTIME, abstime);
}
