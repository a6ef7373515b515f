/* SPDX-License-Identifier: MIT */
/*
 * backend.h - the thing a case or the storm runs against.
 *
 * A backend bundles a cancel call with the cancellation points it pairs
 * with: "libc" is the C library's own pthread_cancel and read/openat/...;
 * "cp" and "cp:<strategy>" are libcp.  Cases and the storm call only through
 * this table, so one binary covers every backend (selected by --backend).
 * All calls follow the libc convention (-1 and errno).
 */
#ifndef SUPPORT_BACKEND_H
#define SUPPORT_BACKEND_H

#include "backend_posix.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

struct backend {
	const char *name;      /* "libc", "cp:reraise", ... (canonical) */
	int (*cancel)(pthread_t t);
	void (*testcancel)(void);
	int (*setcancelstate)(int state, int *old);
	int (*setcanceltype)(int type, int *old);
	ssize_t (*read)(int fd, void *buf, size_t n);
	ssize_t (*write)(int fd, const void *buf, size_t n);
	int (*openat)(int dirfd, const char *path, int flags, mode_t mode);
	int (*close)(int fd);
	int (*accept4)(int fd, struct sockaddr *sa, socklen_t *len, int flags);
	ssize_t (*recvmsg)(int fd, struct msghdr *msg, int flags);
	int (*poll)(struct pollfd *fds, nfds_t n, int timeout);
	int (*nanosleep)(const struct timespec *req, struct timespec *rem);
	int (*clock_nanosleep)(clockid_t clock, int flags,
			       const struct timespec *req, struct timespec *rem);
	int (*ppoll)(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
		     const sigset_t *mask);
	int (*select)(int nfds, fd_set *r, fd_set *w, fd_set *e,
		      struct timeval *timeout);
	int (*pselect)(int nfds, fd_set *r, fd_set *w, fd_set *e,
		       const struct timespec *timeout, const sigset_t *mask);
	int (*epoll_wait)(int epfd, struct epoll_event *ev, int max, int timeout);
	int (*epoll_pwait)(int epfd, struct epoll_event *ev, int max, int timeout,
			   const sigset_t *mask);
	int (*sigsuspend)(const sigset_t *mask);
	int (*pause)(void);
	int (*sigtimedwait)(const sigset_t *set, siginfo_t *info,
			    const struct timespec *timeout);
	pid_t (*wait4)(pid_t pid, int *status, int options, struct rusage *ru);
	/* FUTEX_WAIT only.  libc has no futex wrapper: its entry is the plain
	 * syscall(), which is no cancellation point. */
	long (*futex_wait)(uint32_t *word, uint32_t val);
	/* Descriptor-allocating calls (leak-after-return).  The C library
	 * makes none of these a cancellation point (POSIX does not ask it
	 * to); libcp has no wrapper for them, so its entries go through
	 * cp_syscall, which makes any call cancellable. */
	int (*socket)(int domain, int type, int protocol);
	int (*dup)(int fd);
	int (*dupfd)(int fd, int min);               /* fcntl F_DUPFD */
	int (*pipe2)(int fds[2], int flags);
	int (*eventfd)(unsigned int initval, int flags);
	int (*memfd_create)(const char *name, unsigned int flags);
	int (*epoll_create1)(int flags);
	/* For the storm's loopback and io_uring ops.  The C library has no
	 * io_uring_enter wrapper: its entry is the plain syscall(), which is
	 * no cancellation point (liburing's own wait uses the same). */
	int (*connect)(int fd, const struct sockaddr *sa, socklen_t len);
	int (*io_uring_enter)(unsigned int fd, unsigned int to_submit,
			      unsigned int min_complete, unsigned int flags);
	/* The POSIX cancellation points that are not plain system calls. */
	const struct backend_posix *posix;
};

/* Resolve "libc", "cp:<strategy>" (lib/strategies.h) or "cp" (the default
 * strategy, the table's first) and prepare it (for cp, select the
 * strategy).  On failure returns NULL and writes a one-line reason naming
 * the valid choices into err. */
const struct backend *backend_open(const char *name, char *err, size_t errlen);

/* Space-separated list of every backend name, for usage messages. */
const char *backend_names(void);

#endif
