/* SPDX-License-Identifier: MIT */
/*
 * sync_aio.c - aio_suspend as a libcp cancellation point.
 *
 * glibc's POSIX AIO is a pool of helper threads; aio_suspend sleeps on a
 * counter the helper decrements on completion, with no way in for libcp.
 * So libcp waits in slices of the C library's own aio_suspend and acts on
 * a pending cancellation between them (posix_internal.h): nothing is
 * consumed by a wait (the completed requests stay complete for aio_error
 * and aio_return), so acting between slices loses nothing; a request acts
 * within one slice.
 */
#define _GNU_SOURCE
#include "posix_internal.h"

#include <cp.h>
#include <errno.h>

typedef int cp_aio_suspend_fn(const struct aiocb *const[], int,
			      const struct timespec *);

static struct timespec cp_ts_sub(struct timespec a, struct timespec b)
{
	a.tv_sec -= b.tv_sec;
	a.tv_nsec -= b.tv_nsec;
	if (a.tv_nsec < 0) {
		a.tv_sec--;
		a.tv_nsec += 1000000000L;
	}
	return a;
}

static struct timespec cp_ts_add(struct timespec a, struct timespec b)
{
	a.tv_sec += b.tv_sec;
	a.tv_nsec += b.tv_nsec;
	if (a.tv_nsec >= 1000000000L) {
		a.tv_sec++;
		a.tv_nsec -= 1000000000L;
	}
	return a;
}

static int cp_ts_before(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

/* POSIX's timeout is relative; EAGAIN when it passes.  Every slice asks
 * the C library, so a zero timeout still reports what is complete. */
int cp_aio_suspend(const struct aiocb *const list[], int n,
		   const struct timespec *timeout)
{
	static cp_aio_suspend_fn *suspend;
	const struct timespec slice_max = { 0, CP_SLICE_MS * 1000000L };
	struct timespec now, deadline, slice;

	if (!suspend)
		suspend = (cp_aio_suspend_fn *)cp_libc_sym("aio_suspend");
	if (!suspend) {
		errno = ENOSYS;
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (timeout)
		deadline = cp_ts_add(now, *timeout);
	for (;;) {
		cp_testcancel();
		slice = slice_max;
		if (timeout && cp_ts_before(cp_ts_sub(deadline, now), slice))
			slice = cp_ts_sub(deadline, now);
		if (slice.tv_sec < 0)
			slice = (struct timespec){ 0, 0 };
		if (suspend(list, n, &slice) == 0)
			return 0;
		if (errno != EAGAIN)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (timeout && !cp_ts_before(now, deadline))
			return -1;   /* errno is EAGAIN */
	}
}
