/* SPDX-License-Identifier: MIT */
/*
 * io.c - the file and descriptor cancellation points under their POSIX
 * names, with the 64-bit file-offset names (a program built with
 * _FILE_OFFSET_BITS=64 calls open64, pread64, fcntl64, ...) and glibc's
 * public double-underscore aliases.  64-bit systems only: there off_t is
 * off64_t, so each pair is one function.
 */
#define _GNU_SOURCE
#include "dropin.h"
#include "open_mode.h"

#include <cp.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

_Static_assert(sizeof(off_t) == 8, "the drop-in needs a 64-bit off_t");

CP_DROPIN ssize_t read(int fd, void *buf, size_t n)
{
	return cp_read(fd, buf, n);
}
CP_DROPIN_ALIAS(read, __read);

CP_DROPIN ssize_t write(int fd, const void *buf, size_t n)
{
	return cp_write(fd, buf, n);
}
CP_DROPIN_ALIAS(write, __write);

CP_DROPIN ssize_t readv(int fd, const struct iovec *iov, int n)
{
	return cp_readv(fd, iov, n);
}

CP_DROPIN ssize_t writev(int fd, const struct iovec *iov, int n)
{
	return cp_writev(fd, iov, n);
}

CP_DROPIN ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	return cp_pread(fd, buf, n, off);
}
CP_DROPIN_ALIAS(pread, pread64);
CP_DROPIN_ALIAS(pread, __pread64);

CP_DROPIN ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return cp_pwrite(fd, buf, n, off);
}
CP_DROPIN_ALIAS(pwrite, pwrite64);

CP_DROPIN ssize_t preadv(int fd, const struct iovec *iov, int n, off_t off)
{
	return cp_preadv(fd, iov, n, off);
}
CP_DROPIN_ALIAS(preadv, preadv64);

CP_DROPIN ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
	return cp_pwritev(fd, iov, n, off);
}
CP_DROPIN_ALIAS(pwritev, pwritev64);

CP_DROPIN int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = CP_OPEN_MODE(flags, ap);
	va_end(ap);
	return cp_open(path, flags, mode);
}
CP_DROPIN_ALIAS(open, open64);
CP_DROPIN_ALIAS(open, __open);
CP_DROPIN_ALIAS(open, __open64);

CP_DROPIN int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = CP_OPEN_MODE(flags, ap);
	va_end(ap);
	return cp_openat(dirfd, path, flags, mode);
}
CP_DROPIN_ALIAS(openat, openat64);

CP_DROPIN int creat(const char *path, mode_t mode)
{
	return cp_creat(path, mode);
}
CP_DROPIN_ALIAS(creat, creat64);

CP_DROPIN int close(int fd)
{
	return cp_close(fd);
}
CP_DROPIN_ALIAS(close, __close);

CP_DROPIN int fsync(int fd)
{
	return cp_fsync(fd);
}

CP_DROPIN int fdatasync(int fd)
{
	return cp_fdatasync(fd);
}

CP_DROPIN int msync(void *addr, size_t len, int flags)
{
	return cp_msync(addr, len, flags);
}

CP_DROPIN int tcdrain(int fd)
{
	return cp_tcdrain(fd);
}

/* Every command's argument is an int or a pointer: passing it on as a
 * long reads one argument slot, whatever the command. */
CP_DROPIN int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	return cp_fcntl(fd, cmd, arg);
}
CP_DROPIN_ALIAS(fcntl, fcntl64);

CP_DROPIN int lockf(int fd, int cmd, off_t len)
{
	return cp_lockf(fd, cmd, len);
}
CP_DROPIN_ALIAS(lockf, lockf64);
