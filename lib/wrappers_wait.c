/* SPDX-License-Identifier: MIT */
/*
 * wrappers_wait.c - the waiting cancellation points: poll/select/epoll,
 * sleeps, signal waits, child waits, futex and io_uring waits.
 *
 * Most of these end with EINTR rather than restarting when any handler
 * runs (signal(7): ppoll, pselect, epoll_pwait, sigsuspend, sigtimedwait,
 * nanosleep, clock_nanosleep...); cp_syscall turns that EINTR into acting
 * on a pending cancellation, so callers never see an EINTR caused by it.
 * Timeouts go through the raw syscalls that every architecture has
 * (ppoll, pselect6, epoll_pwait), with the signal set size the kernel
 * expects (_NSIG / 8), not glibc's larger sigset_t.  A signal set from the
 * caller reaches the kernel without libcp's signal
 * (cp_sigset_without_ours): a mask built with sigfillset() must not hold
 * off a request for the whole wait, and a wait set must not swallow it.
 */
#define _GNU_SOURCE
#include "cp_internal.h"

#include <cp.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/syscall.h>

#define CP_SIGSETSIZE (_NSIG / 8)

int cp_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
	     const sigset_t *sigmask)
{
	/* The kernel writes the time left back; the caller's is const. */
	struct timespec ts, *tsp = NULL;

	if (timeout) {
		ts = *timeout;
		tsp = &ts;
	}
	uint64_t m;

	return CP_CALL(SYS_ppoll, fds, nfds, tsp,
		       cp_sigset_without_ours(sigmask, &m), CP_SIGSETSIZE, 0);
}

static int cp_pselect6(int nfds, fd_set *r, fd_set *w, fd_set *e,
		       struct timespec *ts, const sigset_t *sigmask)
{
	uint64_t m;
	struct { const uint64_t *set; size_t size; } mask = {
		cp_sigset_without_ours(sigmask, &m), CP_SIGSETSIZE
	};

	return CP_CALL(SYS_pselect6, nfds, r, w, e, ts, sigmask ? &mask : NULL);
}

int cp_pselect(int nfds, fd_set *r, fd_set *w, fd_set *e,
	       const struct timespec *timeout, const sigset_t *sigmask)
{
	struct timespec ts, *tsp = NULL;

	if (timeout) {
		ts = *timeout;
		tsp = &ts;
	}
	return cp_pselect6(nfds, r, w, e, tsp, sigmask);
}

/* select updates the caller's timeval with the time left, as Linux does. */
int cp_select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout)
{
	struct timespec ts;
	int ret;

	if (!timeout)
		return cp_pselect6(nfds, r, w, e, NULL, NULL);
	ts.tv_sec = timeout->tv_sec;
	ts.tv_nsec = timeout->tv_usec * 1000L;
	ret = cp_pselect6(nfds, r, w, e, &ts, NULL);
	timeout->tv_sec = ts.tv_sec;
	timeout->tv_usec = ts.tv_nsec / 1000L;
	return ret;
}

int cp_epoll_pwait(int epfd, struct epoll_event *events, int maxevents,
		   int timeout, const sigset_t *sigmask)
{
	uint64_t m;

	return CP_CALL(SYS_epoll_pwait, epfd, events, maxevents, timeout,
		       cp_sigset_without_ours(sigmask, &m), CP_SIGSETSIZE);
}

int cp_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	return cp_epoll_pwait(epfd, events, maxevents, timeout, NULL);
}

/* POSIX: returns the error number itself, never -1/errno. */
int cp_clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
		       struct timespec *rem)
{
	long r = cp_syscall(SYS_clock_nanosleep, clock, flags, (long)req,
			    (long)rem, 0, 0);

	return r < 0 ? (int)-r : 0;
}

int cp_sigsuspend(const sigset_t *mask)
{
	uint64_t m;

	return CP_CALL(SYS_rt_sigsuspend, cp_sigset_without_ours(mask, &m),
		       CP_SIGSETSIZE, 0, 0, 0, 0);
}

/* pause() is sigsuspend with the mask in force (not every arch has
 * SYS_pause). */
int cp_pause(void)
{
	sigset_t cur;

	sigemptyset(&cur);
	cp_syscall_nocancel(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&cur,
			    CP_SIGSETSIZE, 0, 0);
	return cp_sigsuspend(&cur);
}

int cp_sigtimedwait(const sigset_t *set, siginfo_t *info,
		    const struct timespec *timeout)
{
	uint64_t m;

	return CP_CALL(SYS_rt_sigtimedwait, cp_sigset_without_ours(set, &m),
		       info, timeout, CP_SIGSETSIZE, 0, 0);
}

int cp_sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
	return cp_sigtimedwait(set, info, NULL);
}

pid_t cp_wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
	return CP_CALL(SYS_wait4, pid, status, options, ru, 0, 0);
}

pid_t cp_waitpid(pid_t pid, int *status, int options)
{
	return cp_wait4(pid, status, options, NULL);
}

int cp_waitid(idtype_t idtype, id_t id, siginfo_t *info, int options)
{
	return CP_CALL(SYS_waitid, idtype, id, info, options, NULL, 0);
}

/* Only the waits are cancellation points; wakes, requeues and the rest
 * are ordinary calls (a cancelled wake would lose a wake-up). */
long cp_futex(uint32_t *uaddr, int op, uint32_t val,
	      const struct timespec *timeout, uint32_t *uaddr2, uint32_t val3)
{
	int cmd = op & FUTEX_CMD_MASK;

	if (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET)
		return CP_CALL(SYS_futex, uaddr, op, val, timeout, uaddr2, val3);
	return cp_ret(cp_syscall_nocancel(SYS_futex, (long)uaddr, op, val,
					  (long)timeout, (long)uaddr2, val3));
}

/* A submit-and-wait that submitted anything returns the count even when
 * the wait is interrupted, so a pending cancellation is deferred and the
 * caller learns what it submitted; with nothing submitted it is EINTR,
 * and the cancellation acts. */
int cp_io_uring_enter(unsigned int fd, unsigned int to_submit,
		      unsigned int min_complete, unsigned int flags,
		      const sigset_t *sig)
{
	uint64_t m;

	return CP_CALL(SYS_io_uring_enter, fd, to_submit, min_complete, flags,
		       cp_sigset_without_ours(sig, &m), CP_SIGSETSIZE);
}
