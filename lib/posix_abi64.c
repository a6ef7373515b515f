/* SPDX-License-Identifier: MIT */
/*
 * posix_abi64.c - the LIBCP_1.2 entry points of callers built with 64-bit
 * times and file offsets on a 32-bit arch (-D_TIME_BITS=64
 * -D_FILE_OFFSET_BITS=64), which cp.h sends here under the same names
 * (cp_cond_timedwait -> cp_cond_timedwait_time64, cp_lockf -> cp_lockf64):
 * their struct timespec is a struct cp_abstime.  On a 64-bit arch the types
 * are the same and each is its plain twin.  (cp_lockf64, the one body of
 * both lockf entry points, is in wrappers_posix.c.)
 */
#define _GNU_SOURCE
#include "posix_internal.h"

#include <cp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Reached through asm labels, not declared under these names: exported
 * here. */
#define CP_EXPORT __attribute__((visibility("default")))

CP_EXPORT int cp_cond_timedwait_time64(cp_cond_t *c, pthread_mutex_t *m,
				       const struct cp_abstime *abs)
{
	return cp_cond_wait_until(c, m, cp_cond_clock(c), abs);
}

CP_EXPORT int cp_cond_clockwait_time64(cp_cond_t *c, pthread_mutex_t *m,
				       clockid_t clock,
				       const struct cp_abstime *abs)
{
	return cp_cond_wait_until(c, m, clock, abs);
}

CP_EXPORT int cp_sem_timedwait_time64(sem_t *s, const struct cp_abstime *abs)
{
	return cp_sem_wait_until(s, CLOCK_REALTIME, abs);
}

CP_EXPORT int cp_sem_clockwait_time64(sem_t *s, clockid_t clock,
				      const struct cp_abstime *abs)
{
	return cp_sem_wait_until(s, clock, abs);
}

CP_EXPORT int cp_pthread_timedjoin_np_time64(pthread_t t, void **ret,
					     const struct cp_abstime *abs)
{
	return cp_join_until(t, ret, CLOCK_REALTIME, abs);
}

CP_EXPORT int cp_pthread_clockjoin_np_time64(pthread_t t, void **ret,
					     clockid_t clock,
					     const struct cp_abstime *abs)
{
	return cp_join_until(t, ret, clock, abs);
}

#if __SIZEOF_LONG__ == 4

/* struct __kernel_timespec, without the caller's padding. */
struct cp_kernel_ts {
	int64_t tv_sec, tv_nsec;
};

static const struct cp_kernel_ts *cp_kernel_ts(const struct cp_abstime *abs,
					       struct cp_kernel_ts *buf)
{
	if (!abs)
		return NULL;
	*buf = (struct cp_kernel_ts){ abs->tv_sec, abs->tv_nsec };
	return buf;
}

static long cp_posix_ret(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

CP_EXPORT ssize_t cp_mq_timedreceive_time64(mqd_t q, char *buf, size_t len,
					    unsigned int *prio,
					    const struct cp_abstime *abs)
{
	struct cp_kernel_ts ts;

	return cp_posix_ret(cp_syscall(SYS_mq_timedreceive_time64, q, (long)buf,
				       (long)len, (long)prio,
				       (long)cp_kernel_ts(abs, &ts), 0));
}

CP_EXPORT int cp_mq_timedsend_time64(mqd_t q, const char *buf, size_t len,
				     unsigned int prio,
				     const struct cp_abstime *abs)
{
	struct cp_kernel_ts ts;

	return (int)cp_posix_ret(cp_syscall(SYS_mq_timedsend_time64, q,
					    (long)buf, (long)len, (long)prio,
					    (long)cp_kernel_ts(abs, &ts), 0));
}

/* A relative timeout: past 2038 seconds away is as good as forever. */
CP_EXPORT int cp_aio_suspend_time64(const struct aiocb *const list[], int n,
				    const struct cp_abstime *timeout)
{
	struct timespec ts;

	if (!timeout)
		return cp_aio_suspend(list, n, NULL);
	ts.tv_sec = timeout->tv_sec > INT_MAX ? INT_MAX : (time_t)timeout->tv_sec;
	ts.tv_nsec = timeout->tv_nsec;
	return cp_aio_suspend(list, n, &ts);
}

#else /* 64-bit: one struct timespec, one off_t */

CP_EXPORT ssize_t cp_mq_timedreceive_time64(mqd_t q, char *buf, size_t len,
					    unsigned int *prio,
					    const struct cp_abstime *abs)
{
	return cp_mq_timedreceive(q, buf, len, prio,
				  (const struct timespec *)abs);
}

CP_EXPORT int cp_mq_timedsend_time64(mqd_t q, const char *buf, size_t len,
				     unsigned int prio,
				     const struct cp_abstime *abs)
{
	return cp_mq_timedsend(q, buf, len, prio, (const struct timespec *)abs);
}

CP_EXPORT int cp_aio_suspend_time64(const struct aiocb *const list[], int n,
				    const struct cp_abstime *timeout)
{
	return cp_aio_suspend(list, n, (const struct timespec *)timeout);
}

#endif
