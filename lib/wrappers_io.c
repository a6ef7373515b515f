/* SPDX-License-Identifier: MIT */
/*
 * wrappers_io.c - file and descriptor cancellation points (POSIX's list)
 * with libc signatures; each is one cp_syscall plus cp_ret().
 */
#define _GNU_SOURCE
#include "cp_internal.h"

#include <cp.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>

/* The kernel's preadv/pwritev take the offset as (low, high) longs and
 * rebuild it with two half-word shifts, so one form serves 32 and 64 bit. */
#define CP_LO(off) ((long)(off))
#define CP_HI(off) ((long)((unsigned long long)(off) >> 32))

ssize_t cp_readv(int fd, const struct iovec *iov, int iovcnt)
{
	return CP_CALL3(SYS_readv, fd, iov, iovcnt);
}

ssize_t cp_writev(int fd, const struct iovec *iov, int iovcnt)
{
	return CP_CALL3(SYS_writev, fd, iov, iovcnt);
}

ssize_t cp_pread(int fd, void *buf, size_t count, off_t offset)
{
	return CP_CALL(SYS_pread64, fd, buf, count, offset, 0, 0);
}

ssize_t cp_pwrite(int fd, const void *buf, size_t count, off_t offset)
{
	return CP_CALL(SYS_pwrite64, fd, buf, count, offset, 0, 0);
}

ssize_t cp_preadv(int fd, const struct iovec *iov, int iovcnt, off_t offset)
{
	return CP_CALL(SYS_preadv, fd, iov, iovcnt, CP_LO(offset), CP_HI(offset), 0);
}

ssize_t cp_pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset)
{
	return CP_CALL(SYS_pwritev, fd, iov, iovcnt, CP_LO(offset), CP_HI(offset), 0);
}

int cp_creat(const char *path, mode_t mode)
{
	return cp_open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

int cp_fsync(int fd)
{
	return CP_CALL3(SYS_fsync, fd, 0, 0);
}

int cp_fdatasync(int fd)
{
	return CP_CALL3(SYS_fdatasync, fd, 0, 0);
}

int cp_msync(void *addr, size_t length, int flags)
{
	return CP_CALL3(SYS_msync, addr, length, flags);
}

/* tcdrain is TCSBRK with a non-zero argument (no break, just drain). */
int cp_tcdrain(int fd)
{
	return CP_CALL3(SYS_ioctl, fd, TCSBRK, 1);
}

/* Only the waiting lock commands are cancellation points (POSIX); every
 * other command is an ordinary, non-cancellable call. */
int cp_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	if (cmd == F_SETLKW || cmd == F_OFD_SETLKW)
		return CP_CALL3(SYS_fcntl, fd, cmd, arg);
	return cp_ret(cp_syscall_nocancel(SYS_fcntl, fd, cmd, arg, 0, 0, 0));
}
