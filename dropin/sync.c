/* SPDX-License-Identifier: MIT */
/*
 * sync.c - condition variables, semaphores and joins under their POSIX
 * names.
 *
 * A pthread_cond_t holds a cp_cond_t (all-zero, PTHREAD_COND_INITIALIZER,
 * is its initial state), so every pthread_cond_ function is libcp's: a
 * condition variable is waited on and signalled by one implementation.
 * One that another process uses without the drop-in (process-shared, in
 * shared memory) is the exception: that process speaks the C library's
 * protocol.  C11's cnd_* stay the C library's own, consistently (they
 * call its internal functions), and are no cancellation points here.
 *
 * Semaphores keep the C library's sem_t and its protocol (sync_sem.c in
 * libcp): only the waits are replaced, sem_post and friends stay glibc's.
 */
#define _GNU_SOURCE
#include "dropin.h"

#include <cp.h>
#include <pthread.h>
#include <semaphore.h>

_Static_assert(sizeof(cp_cond_t) <= sizeof(pthread_cond_t) &&
	       _Alignof(cp_cond_t) <= _Alignof(pthread_cond_t),
	       "a cp_cond_t fits in a pthread_cond_t");

#define CP_COND(c) ((cp_cond_t *)(c))

CP_DROPIN int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a)
{
	return cp_cond_init(CP_COND(c), a);
}

CP_DROPIN int pthread_cond_destroy(pthread_cond_t *c)
{
	return cp_cond_destroy(CP_COND(c));
}

CP_DROPIN int pthread_cond_signal(pthread_cond_t *c)
{
	return cp_cond_signal(CP_COND(c));
}

CP_DROPIN int pthread_cond_broadcast(pthread_cond_t *c)
{
	return cp_cond_broadcast(CP_COND(c));
}

CP_DROPIN int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	return cp_cond_wait(CP_COND(c), m);
}

CP_DROPIN int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
				     const struct timespec *abstime)
{
	return cp_cond_timedwait(CP_COND(c), m, abstime);
}

CP_DROPIN int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m,
				     clockid_t clock,
				     const struct timespec *abstime)
{
	return cp_cond_clockwait(CP_COND(c), m, clock, abstime);
}

CP_DROPIN int sem_wait(sem_t *s)
{
	return cp_sem_wait(s);
}

CP_DROPIN int sem_timedwait(sem_t *s, const struct timespec *abstime)
{
	return cp_sem_timedwait(s, abstime);
}

CP_DROPIN int sem_clockwait(sem_t *s, clockid_t clock,
			    const struct timespec *abstime)
{
	return cp_sem_clockwait(s, clock, abstime);
}

CP_DROPIN int pthread_join(pthread_t t, void **ret)
{
	return cp_pthread_join(t, ret);
}

CP_DROPIN int pthread_timedjoin_np(pthread_t t, void **ret,
				   const struct timespec *abstime)
{
	return cp_pthread_timedjoin_np(t, ret, abstime);
}

CP_DROPIN int pthread_clockjoin_np(pthread_t t, void **ret, clockid_t clock,
				   const struct timespec *abstime)
{
	return cp_pthread_clockjoin_np(t, ret, clock, abstime);
}
