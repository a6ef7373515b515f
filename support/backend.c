/* SPDX-License-Identifier: MIT */
/* backend.c - the table of backends a case or the storm can run against. */
#define _GNU_SOURCE
#include "backend.h"

#include <cp.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* libc's openat is variadic; the table wants a fixed signature. */
static int libc_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	return openat(dirfd, path, flags, mode);
}

static int cp_openat4(int dirfd, const char *path, int flags, mode_t mode)
{
	return cp_openat(dirfd, path, flags, mode);
}

static long libc_futex_wait(uint32_t *word, uint32_t val)
{
	return syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static long cp_futex_wait(uint32_t *word, uint32_t val)
{
	return cp_futex(word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static int libc_io_uring_enter(unsigned int fd, unsigned int to_submit,
				unsigned int min_complete, unsigned int flags)
{
	return (int)syscall(SYS_io_uring_enter, fd, to_submit, min_complete,
			    flags, NULL, 0);
}

static int cp_io_uring_enter4(unsigned int fd, unsigned int to_submit,
			      unsigned int min_complete, unsigned int flags)
{
	return cp_io_uring_enter(fd, to_submit, min_complete, flags, NULL);
}

static int libc_dupfd(int fd, int min)
{
	return fcntl(fd, F_DUPFD, min);
}

/* The calls libcp has no wrapper for: cp_syscall, -errno to errno. */
static int cp_fdcall(long nr, long a1, long a2, long a3)
{
	long r = cp_syscall(nr, a1, a2, a3, 0, 0, 0);

	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (int)r;
}

static int cp_sys_socket(int domain, int type, int protocol)
{
	return cp_fdcall(SYS_socket, domain, type, protocol);
}

static int cp_sys_dup(int fd)
{
	return cp_fdcall(SYS_dup, fd, 0, 0);
}

static int cp_sys_dupfd(int fd, int min)
{
	return cp_fdcall(SYS_fcntl, fd, F_DUPFD, min);
}

static int cp_sys_pipe2(int fds[2], int flags)
{
	return cp_fdcall(SYS_pipe2, (long)fds, flags, 0);
}

static int cp_sys_eventfd(unsigned int initval, int flags)
{
	return cp_fdcall(SYS_eventfd2, initval, flags, 0);
}

static int cp_sys_memfd_create(const char *name, unsigned int flags)
{
	return cp_fdcall(SYS_memfd_create, (long)name, flags, 0);
}

static int cp_sys_epoll_create1(int flags)
{
	return cp_fdcall(SYS_epoll_create1, flags, 0, 0);
}

static const struct backend backend_libc = {
	.name = "libc",
	.cancel = pthread_cancel,
	.testcancel = pthread_testcancel,
	.setcancelstate = pthread_setcancelstate,
	.setcanceltype = pthread_setcanceltype,
	.read = read,
	.write = write,
	.openat = libc_openat,
	.close = close,
	.accept4 = accept4,
	.recvmsg = recvmsg,
	.poll = poll,
	.nanosleep = nanosleep,
	.socket = socket,
	.dup = dup,
	.dupfd = libc_dupfd,
	.pipe2 = pipe2,
	.eventfd = eventfd,
	.memfd_create = memfd_create,
	.epoll_create1 = epoll_create1,
	.clock_nanosleep = clock_nanosleep,
	.ppoll = ppoll,
	.select = select,
	.pselect = pselect,
	.epoll_wait = epoll_wait,
	.epoll_pwait = epoll_pwait,
	.sigsuspend = sigsuspend,
	.pause = pause,
	.sigtimedwait = sigtimedwait,
	.wait4 = wait4,
	.futex_wait = libc_futex_wait,
	.connect = connect,
	.io_uring_enter = libc_io_uring_enter,
	.posix = &backend_posix_libc,
};

/* One libcp backend per strategy; they differ only in name. */
#define CP_BACKEND(strategy) {                                          \
	.name = "cp:" strategy,                                         \
	.cancel = cp_cancel,                                            \
	.testcancel = cp_testcancel,                                    \
	.setcancelstate = cp_setcancelstate,                            \
	.setcanceltype = cp_setcanceltype,                              \
	.read = cp_read,                                                \
	.write = cp_write,                                              \
	.openat = cp_openat4,                                           \
	.close = cp_close,                                              \
	.accept4 = cp_accept4,                                          \
	.recvmsg = cp_recvmsg,                                          \
	.poll = cp_poll,                                                \
	.nanosleep = cp_nanosleep,                                      \
	.socket = cp_sys_socket,                                        \
	.dup = cp_sys_dup,                                              \
	.dupfd = cp_sys_dupfd,                                          \
	.pipe2 = cp_sys_pipe2,                                          \
	.eventfd = cp_sys_eventfd,                                      \
	.memfd_create = cp_sys_memfd_create,                            \
	.epoll_create1 = cp_sys_epoll_create1,                          \
	.clock_nanosleep = cp_clock_nanosleep,                          \
	.ppoll = cp_ppoll,                                              \
	.select = cp_select,                                            \
	.pselect = cp_pselect,                                          \
	.epoll_wait = cp_epoll_wait,                                    \
	.epoll_pwait = cp_epoll_pwait,                                  \
	.sigsuspend = cp_sigsuspend,                                    \
	.pause = cp_pause,                                              \
	.sigtimedwait = cp_sigtimedwait,                                \
	.wait4 = cp_wait4,                                              \
	.futex_wait = cp_futex_wait,                                    \
	.connect = cp_connect,                                          \
	.io_uring_enter = cp_io_uring_enter4,                           \
	.posix = &backend_posix_cp,                                     \
}

/* Every strategy of libcp's table, in its order (the default first). */
static const struct backend backend_cp[] = {
#define CP_STRATEGY(name, kind, decide, retry, text) CP_BACKEND(#name),
#include "../lib/strategies.h"
#undef CP_STRATEGY
};

#define N_CP (sizeof backend_cp / sizeof *backend_cp)

const char *backend_names(void)
{
	static char names[512];
	size_t len;

	if (!names[0]) {
		len = (size_t)snprintf(names, sizeof names, "%s", backend_libc.name);
		for (size_t i = 0; i < N_CP && len < sizeof names; i++)
			len += (size_t)snprintf(names + len, sizeof names - len,
						" %s", backend_cp[i].name);
	}
	return names;
}

/* The strategy is libcp's to accept: EINVAL means this table names one the
 * library does not have (out of step), EBUSY that a request was already
 * made in this process. */
static const struct backend *backend_select(const struct backend *be,
					    char *err, size_t errlen)
{
	int rc = cp_set_strategy(be->name + 3);

	if (rc == 0)
		return be;
	if (rc == EINVAL)
		snprintf(err, errlen, "libcp has no strategy '%s' (backends: %s)",
			 be->name + 3, backend_names());
	else
		snprintf(err, errlen, "backend %s: cp_set_strategy: %s", be->name,
			 strerror(rc));
	return NULL;
}

const struct backend *backend_open(const char *name, char *err, size_t errlen)
{
	if (!strcmp(name, "libc"))
		return &backend_libc;
	if (!strcmp(name, "cp"))
		name = backend_cp[0].name;
	for (size_t i = 0; i < N_CP; i++) {
		if (strcmp(name, backend_cp[i].name))
			continue;
		return backend_select(&backend_cp[i], err, errlen);
	}
	snprintf(err, errlen, "unknown backend '%s' (choose from: %s)", name,
		 backend_names());
	return NULL;
}
