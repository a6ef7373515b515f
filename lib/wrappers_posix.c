/* SPDX-License-Identifier: MIT */
/*
 * wrappers_posix.c - POSIX cancellation points that are one of libcp's
 * cancellable calls under another name or with other conventions: sleep,
 * usleep, lockf(F_LOCK), sigwait, wait.  Each inherits that call's window
 * rule.
 */
#define _GNU_SOURCE
#include "posix_internal.h"

#include <cp.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* The unslept seconds when a handler ended the sleep, rounded up as
 * glibc does; 0 when the whole time passed. */
unsigned int cp_sleep(unsigned int seconds)
{
	struct timespec ts = { .tv_sec = seconds }, left;
	int saved_errno = errno;

	if (cp_nanosleep(&ts, &left) == 0)
		return 0;
	errno = saved_errno;
	return (unsigned int)left.tv_sec + (left.tv_nsec >= 500000000L);
}

int cp_usleep(unsigned int usec)
{
	struct timespec ts = { .tv_sec = usec / 1000000u,
			       .tv_nsec = (long)(usec % 1000000u) * 1000L };

	return cp_nanosleep(&ts, NULL);
}

/* libcp's 64-bit-offset fcntl (cp.h names it only for callers built with
 * _FILE_OFFSET_BITS=64; on a 64-bit arch it is cp_fcntl). */
int cp_fcntl64(int fd, int cmd, ...);

/* A lock on [current offset, +len) (len 0: to the end of the file, len
 * negative: the len bytes before the offset), through record locks as
 * POSIX describes lockf: struct flock64 and the 64-bit lock commands,
 * which on a 64-bit arch are the plain ones.  Only F_LOCK waits, so only
 * it is a cancellation point (F_SETLKW); F_TEST reports EACCES when
 * another process holds a lock there. */
#ifdef __GLIBC__
typedef struct flock64 cp_flock64_t;
#define CP_F_GETLK64 F_GETLK64
#define CP_F_SETLK64 F_SETLK64
#define CP_F_SETLKW64 F_SETLKW64
#else
/* musl: off_t is 64-bit everywhere, struct flock and the plain commands
 * are the 64-bit ones (1.2.4 dropped the *64 names). */
typedef struct flock cp_flock64_t;
#define CP_F_GETLK64 F_GETLK
#define CP_F_SETLK64 F_SETLK
#define CP_F_SETLKW64 F_SETLKW
#endif

int cp_lockf64(int fd, int cmd, int64_t len)
{
	cp_flock64_t fl = { .l_type = F_WRLCK, .l_whence = SEEK_CUR,
			    .l_len = len };

	switch (cmd) {
	case F_LOCK:
		return cp_fcntl64(fd, CP_F_SETLKW64, &fl);
	case F_TLOCK:
		return cp_fcntl64(fd, CP_F_SETLK64, &fl);
	case F_ULOCK:
		fl.l_type = F_UNLCK;
		return cp_fcntl64(fd, CP_F_SETLK64, &fl);
	case F_TEST:
		if (cp_fcntl64(fd, CP_F_GETLK64, &fl))
			return -1;
		if (fl.l_type == F_UNLCK || fl.l_pid == getpid())
			return 0;
		errno = EACCES;
		return -1;
	}
	errno = EINVAL;
	return -1;
}

int cp_lockf(int fd, int cmd, off_t len)
{
	return cp_lockf64(fd, cmd, len);
}

/* POSIX: returns the error number, never EINTR (a handler that ended the
 * wait makes it wait again). */
int cp_sigwait(const sigset_t *set, int *sig)
{
	int saved_errno = errno, r;

	do
		r = cp_sigwaitinfo(set, NULL);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		r = errno;
		errno = saved_errno;
		return r;
	}
	*sig = r;
	return 0;
}

pid_t cp_wait(int *status)
{
	return cp_wait4(-1, status, 0, NULL);
}
