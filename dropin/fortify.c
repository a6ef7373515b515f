/* SPDX-License-Identifier: MIT */
/*
 * fortify.c - the _FORTIFY_SOURCE entry points of cancellation points.
 * Debian builds its packages with -D_FORTIFY_SOURCE=2, so a read into a
 * buffer of known size is a call of __read_chk, open without a mode one
 * of __open_2: without these, most of a distribution's programs would
 * bypass the drop-in.  Each checks what glibc's checks, then is the
 * cancellation point.
 */
#define _GNU_SOURCE
#include "dropin.h"
#include "open_mode.h"

#include <cp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* glibc's, exported for exactly this: "buffer overflow detected". */
extern void __chk_fail(void) __attribute__((noreturn));

/* glibc says the same through a private symbol: print, abort. */
static _Noreturn void cp_dropin_open_fail(void)
{
	fputs("*** invalid open call: O_CREAT or O_TMPFILE without mode ***: "
	      "terminated\n", stderr);
	abort();
}

static void cp_dropin_open_check(int flags)
{
	if (cp_open_takes_mode(flags))
		cp_dropin_open_fail();
}

CP_DROPIN ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	if (n > buflen)
		__chk_fail();
	return cp_read(fd, buf, n);
}

CP_DROPIN ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off,
			      size_t buflen)
{
	if (n > buflen)
		__chk_fail();
	return cp_pread(fd, buf, n, off);
}
CP_DROPIN_ALIAS(__pread_chk, __pread64_chk);

CP_DROPIN ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen,
			     int flags)
{
	if (n > buflen)
		__chk_fail();
	return cp_recv(fd, buf, n, flags);
}

CP_DROPIN ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen,
				 int flags, struct sockaddr *src,
				 socklen_t *len)
{
	if (n > buflen)
		__chk_fail();
	return cp_recvfrom(fd, buf, n, flags, src, len);
}

CP_DROPIN int __open_2(const char *path, int flags)
{
	cp_dropin_open_check(flags);
	return cp_open(path, flags);
}
CP_DROPIN_ALIAS(__open_2, __open64_2);

CP_DROPIN int __openat_2(int dirfd, const char *path, int flags)
{
	cp_dropin_open_check(flags);
	return cp_openat(dirfd, path, flags);
}
CP_DROPIN_ALIAS(__openat_2, __openat64_2);

CP_DROPIN int __poll_chk(struct pollfd *fds, nfds_t n, int timeout,
			 size_t fdslen)
{
	if (fdslen / sizeof *fds < n)
		__chk_fail();
	return cp_poll(fds, n, timeout);
}

CP_DROPIN int __ppoll_chk(struct pollfd *fds, nfds_t n,
			  const struct timespec *timeout, const sigset_t *mask,
			  size_t fdslen)
{
	if (fdslen / sizeof *fds < n)
		__chk_fail();
	return cp_ppoll(fds, n, timeout, mask);
}
