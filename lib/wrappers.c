/* SPDX-License-Identifier: MIT */
/*
 * wrappers.c - cancellation points with libc signatures.  Each is the
 * cancellable syscall plus cp_ret(), the single -errno -> errno step.
 */
#define _GNU_SOURCE
#include "cp_internal.h"
#include "open_mode.h"

#include <cp.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/syscall.h>

ssize_t cp_read(int fd, void *buf, size_t count)
{
	return CP_CALL3(SYS_read, fd, buf, count);
}

ssize_t cp_write(int fd, const void *buf, size_t count)
{
	return CP_CALL3(SYS_write, fd, buf, count);
}

int cp_openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = CP_OPEN_MODE(flags, ap);
	va_end(ap);
	return CP_CALL(SYS_openat, dirfd, path, flags, mode, 0, 0);
}

int cp_open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = CP_OPEN_MODE(flags, ap);
	va_end(ap);
	return CP_CALL(SYS_openat, AT_FDCWD, path, flags, mode, 0, 0);
}

int cp_close(int fd)
{
	return CP_CALL3(SYS_close, fd, 0, 0);
}

int cp_accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags)
{
	return CP_CALL(SYS_accept4, fd, addr, addrlen, flags, 0, 0);
}

ssize_t cp_recvmsg(int fd, struct msghdr *msg, int flags)
{
	return CP_CALL3(SYS_recvmsg, fd, msg, flags);
}

/* Through ppoll: every architecture has it, not all have poll. */
int cp_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	struct timespec ts, *tsp = NULL;

	if (timeout >= 0) {
		ts.tv_sec = timeout / 1000;
		ts.tv_nsec = (long)(timeout % 1000) * 1000000L;
		tsp = &ts;
	}
	return CP_CALL(SYS_ppoll, fds, nfds, tsp, NULL, _NSIG / 8, 0);
}

int cp_nanosleep(const struct timespec *req, struct timespec *rem)
{
	return CP_CALL3(SYS_nanosleep, req, rem, 0);
}
