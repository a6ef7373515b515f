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

#include <poll.h>
#include <pthread.h>
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
};

/* Resolve "libc", "cp" (= cp:reraise) or "cp:<strategy>" and prepare it
 * (for cp, select the strategy).  On failure returns NULL and writes a
 * one-line reason naming the valid choices into err. */
const struct backend *backend_open(const char *name, char *err, size_t errlen);

/* Space-separated list of every backend name, for usage messages. */
const char *backend_names(void);

#endif
