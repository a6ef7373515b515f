/* SPDX-License-Identifier: MIT */
/*
 * wrappers_abi64.c - the entry points of callers built with 64-bit file
 * offsets and times on a 32-bit arch (-D_FILE_OFFSET_BITS=64
 * -D_TIME_BITS=64: Debian's i386 default from trixie on, and any program
 * that handles files past 2 GiB or times past 2038).
 *
 * Such a caller's off_t, time_t, struct timespec, struct timeval and
 * struct rusage are not the ones libcp was built with; cp.h sends its
 * calls here under the same names (asm labels: cp_pread -> cp_pread64,
 * cp_nanosleep -> cp_nanosleep_time64, ...).  The 64-bit offsets go to the
 * kernel as (low, high) halves, the times through the *_time64 system
 * calls (Linux >= 5.1), whose struct __kernel_timespec has the caller's
 * layout: a 64-bit tv_sec, then tv_nsec in the low half of a 64-bit field
 * whose high half is the caller's padding, which the kernel ignores on
 * input (get_timespec64) and writes as 0 on output.  On a 64-bit arch both
 * types are already 64-bit and every entry point here is its plain twin.
 */
#define _GNU_SOURCE
#include "cp_internal.h"
#include "open_mode.h"

#include <cp.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <sys/syscall.h>

/* Not declared in cp.h (which reaches them through asm labels), so
 * exported here. */
#define CP_EXPORT __attribute__((visibility("default")))

/* A caller's 64-bit-time struct timeval (glibc: __time64_t tv_sec,
 * __suseconds64_t tv_usec). */
struct cp_timeval64 {
	int64_t tv_sec;
	int64_t tv_usec;
};

/* struct __kernel_timespec. */
struct cp_timespec64 {
	int64_t tv_sec;
	int64_t tv_nsec;
};

#if __SIZEOF_LONG__ == 4

#define CP_SIGSETSIZE (_NSIG / 8)
#define CP_LO(off) ((long)(uint32_t)(off))
#define CP_HI(off) ((long)((uint64_t)(off) >> 32))

CP_EXPORT ssize_t cp_pread64(int fd, void *buf, size_t count, int64_t offset)
{
	return CP_CALL(SYS_pread64, fd, buf, count, CP_LO(offset), CP_HI(offset), 0);
}

CP_EXPORT ssize_t cp_pwrite64(int fd, const void *buf, size_t count, int64_t offset)
{
	return CP_CALL(SYS_pwrite64, fd, buf, count, CP_LO(offset), CP_HI(offset), 0);
}

CP_EXPORT ssize_t cp_preadv64(int fd, const struct iovec *iov, int iovcnt, int64_t offset)
{
	return CP_CALL(SYS_preadv, fd, iov, iovcnt, CP_LO(offset), CP_HI(offset), 0);
}

CP_EXPORT ssize_t cp_pwritev64(int fd, const struct iovec *iov, int iovcnt, int64_t offset)
{
	return CP_CALL(SYS_pwritev, fd, iov, iovcnt, CP_LO(offset), CP_HI(offset), 0);
}

/* O_LARGEFILE: without it a 32-bit task cannot open a file past 2 GiB
 * (EOVERFLOW), which a caller with 64-bit offsets can handle. */
CP_EXPORT int cp_openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = CP_OPEN_MODE(flags, ap);
	va_end(ap);
	return CP_CALL(SYS_openat, dirfd, path, flags | O_LARGEFILE, mode, 0, 0);
}

CP_EXPORT int cp_open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = CP_OPEN_MODE(flags, ap);
	va_end(ap);
	return CP_CALL(SYS_openat, AT_FDCWD, path, flags | O_LARGEFILE, mode, 0, 0);
}

CP_EXPORT int cp_creat64(const char *path, mode_t mode)
{
	return cp_open64(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

/* fcntl64: the command set of 64-bit offsets (F_SETLKW is then
 * F_SETLKW64, and every lock takes struct flock64). */
CP_EXPORT int cp_fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	if (cmd == F_SETLKW64 || cmd == F_OFD_SETLKW)
		return CP_CALL3(SYS_fcntl64, fd, cmd, arg);
	return cp_ret(cp_syscall_nocancel(SYS_fcntl64, fd, cmd, arg, 0, 0, 0));
}

CP_EXPORT int cp_nanosleep_time64(const struct cp_timespec64 *req,
			struct cp_timespec64 *rem)
{
	return CP_CALL(SYS_clock_nanosleep_time64, CLOCK_REALTIME, 0, req, rem,
		       0, 0);
}

CP_EXPORT int cp_clock_nanosleep_time64(clockid_t clock, int flags,
			      const struct cp_timespec64 *req,
			      struct cp_timespec64 *rem)
{
	long r = cp_syscall(SYS_clock_nanosleep_time64, clock, flags, (long)req,
			    (long)rem, 0, 0);

	return r < 0 ? (int)-r : 0;
}

CP_EXPORT int cp_ppoll_time64(struct pollfd *fds, nfds_t nfds,
		    const struct cp_timespec64 *timeout, const sigset_t *sigmask)
{
	/* The kernel writes the time left back; the caller's is const. */
	struct cp_timespec64 ts, *tsp = NULL;
	uint64_t m;

	if (timeout) {
		ts = *timeout;
		tsp = &ts;
	}
	return CP_CALL(SYS_ppoll_time64, fds, nfds, tsp,
		       cp_sigset_without_ours(sigmask, &m), CP_SIGSETSIZE, 0);
}

static int cp_pselect6_time64(int nfds, fd_set *r, fd_set *w, fd_set *e,
			      struct cp_timespec64 *ts, const sigset_t *sigmask)
{
	uint64_t m;
	struct { const uint64_t *set; size_t size; } mask = {
		cp_sigset_without_ours(sigmask, &m), CP_SIGSETSIZE
	};

	return CP_CALL(SYS_pselect6_time64, nfds, r, w, e, ts,
		       sigmask ? &mask : NULL);
}

CP_EXPORT int cp_pselect_time64(int nfds, fd_set *r, fd_set *w, fd_set *e,
		      const struct cp_timespec64 *timeout, const sigset_t *sigmask)
{
	struct cp_timespec64 ts, *tsp = NULL;

	if (timeout) {
		ts = *timeout;
		tsp = &ts;
	}
	return cp_pselect6_time64(nfds, r, w, e, tsp, sigmask);
}

CP_EXPORT int cp_select_time64(int nfds, fd_set *r, fd_set *w, fd_set *e,
		     struct cp_timeval64 *timeout)
{
	struct cp_timespec64 ts;
	int ret;

	if (!timeout)
		return cp_pselect6_time64(nfds, r, w, e, NULL, NULL);
	ts.tv_sec = timeout->tv_sec;
	ts.tv_nsec = timeout->tv_usec * 1000;
	ret = cp_pselect6_time64(nfds, r, w, e, &ts, NULL);
	timeout->tv_sec = ts.tv_sec;
	timeout->tv_usec = ts.tv_nsec / 1000;
	return ret;
}

CP_EXPORT int cp_sigtimedwait_time64(const sigset_t *set, siginfo_t *info,
			   const struct cp_timespec64 *timeout)
{
	uint64_t m;

	return CP_CALL(SYS_rt_sigtimedwait_time64, cp_sigset_without_ours(set, &m),
		       info, timeout, CP_SIGSETSIZE, 0, 0);
}

CP_EXPORT int cp_recvmmsg_time64(int fd, struct mmsghdr *vec, unsigned int vlen,
		       int flags, struct cp_timespec64 *timeout)
{
	return CP_CALL(SYS_recvmmsg_time64, fd, vec, vlen, flags, timeout, 0);
}

CP_EXPORT long cp_futex_time64(uint32_t *uaddr, int op, uint32_t val,
		     const struct cp_timespec64 *timeout, uint32_t *uaddr2,
		     uint32_t val3)
{
	int cmd = op & FUTEX_CMD_MASK;

	if (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET)
		return CP_CALL(SYS_futex_time64, uaddr, op, val, timeout, uaddr2,
			       val3);
	return cp_ret(cp_syscall_nocancel(SYS_futex_time64, (long)uaddr, op, val,
					  (long)timeout, (long)uaddr2, val3));
}

/* A caller's 64-bit-time struct rusage: two 64-bit timevals, then the
 * fourteen longs of the kernel's. */
struct cp_rusage64 {
	struct cp_timeval64 ru_utime, ru_stime;
	long rest[14];
};

CP_EXPORT pid_t cp_wait4_time64(pid_t pid, int *status, int options,
		      struct cp_rusage64 *ru)
{
	struct rusage k;
	pid_t r = cp_wait4(pid, status, options, ru ? &k : NULL);

	if (r > 0 && ru) {
		ru->ru_utime = (struct cp_timeval64){ k.ru_utime.tv_sec,
						      k.ru_utime.tv_usec };
		ru->ru_stime = (struct cp_timeval64){ k.ru_stime.tv_sec,
						      k.ru_stime.tv_usec };
		__builtin_memcpy(ru->rest, &k.ru_maxrss, sizeof ru->rest);
	}
	return r;
}

#else /* 64-bit: the types are already 64-bit; the plain calls serve */

CP_EXPORT ssize_t cp_pread64(int fd, void *buf, size_t count, int64_t offset)
{
	return cp_pread(fd, buf, count, offset);
}

CP_EXPORT ssize_t cp_pwrite64(int fd, const void *buf, size_t count, int64_t offset)
{
	return cp_pwrite(fd, buf, count, offset);
}

CP_EXPORT ssize_t cp_preadv64(int fd, const struct iovec *iov, int iovcnt, int64_t offset)
{
	return cp_preadv(fd, iov, iovcnt, offset);
}

CP_EXPORT ssize_t cp_pwritev64(int fd, const struct iovec *iov, int iovcnt, int64_t offset)
{
	return cp_pwritev(fd, iov, iovcnt, offset);
}

CP_EXPORT int cp_openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = CP_OPEN_MODE(flags, ap);
	va_end(ap);
	return cp_openat(dirfd, path, flags, mode);
}

CP_EXPORT int cp_open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = CP_OPEN_MODE(flags, ap);
	va_end(ap);
	return cp_open(path, flags, mode);
}

CP_EXPORT int cp_creat64(const char *path, mode_t mode)
{
	return cp_creat(path, mode);
}

CP_EXPORT int cp_fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	return cp_fcntl(fd, cmd, arg);
}

CP_EXPORT int cp_nanosleep_time64(const struct timespec *req, struct timespec *rem)
{
	return cp_nanosleep(req, rem);
}

CP_EXPORT int cp_clock_nanosleep_time64(clockid_t clock, int flags,
			      const struct timespec *req, struct timespec *rem)
{
	return cp_clock_nanosleep(clock, flags, req, rem);
}

CP_EXPORT int cp_ppoll_time64(struct pollfd *fds, nfds_t nfds,
		    const struct timespec *timeout, const sigset_t *sigmask)
{
	return cp_ppoll(fds, nfds, timeout, sigmask);
}

CP_EXPORT int cp_pselect_time64(int nfds, fd_set *r, fd_set *w, fd_set *e,
		      const struct timespec *timeout, const sigset_t *sigmask)
{
	return cp_pselect(nfds, r, w, e, timeout, sigmask);
}

CP_EXPORT int cp_select_time64(int nfds, fd_set *r, fd_set *w, fd_set *e,
		     struct timeval *timeout)
{
	return cp_select(nfds, r, w, e, timeout);
}

CP_EXPORT int cp_sigtimedwait_time64(const sigset_t *set, siginfo_t *info,
			   const struct timespec *timeout)
{
	return cp_sigtimedwait(set, info, timeout);
}

CP_EXPORT int cp_recvmmsg_time64(int fd, struct mmsghdr *vec, unsigned int vlen,
		       int flags, struct timespec *timeout)
{
	return cp_recvmmsg(fd, vec, vlen, flags, timeout);
}

CP_EXPORT long cp_futex_time64(uint32_t *uaddr, int op, uint32_t val,
		     const struct timespec *timeout, uint32_t *uaddr2,
		     uint32_t val3)
{
	return cp_futex(uaddr, op, val, timeout, uaddr2, val3);
}

CP_EXPORT pid_t cp_wait4_time64(pid_t pid, int *status, int options, struct rusage *ru)
{
	return cp_wait4(pid, status, options, ru);
}

#endif
