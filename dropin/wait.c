/* SPDX-License-Identifier: MIT */
/*
 * wait.c - the waiting cancellation points under their POSIX names:
 * poll/select/epoll, sleeps, signal waits, child waits, system and
 * aio_suspend.
 */
#define _GNU_SOURCE
#include "dropin.h"

#include <aio.h>
#include <cp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

CP_DROPIN int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	return cp_poll(fds, n, timeout);
}
CP_DROPIN_ALIAS(poll, __poll);

CP_DROPIN int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
		    const sigset_t *mask)
{
	return cp_ppoll(fds, n, timeout, mask);
}

CP_DROPIN int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout)
{
	return cp_select(n, r, w, e, timeout);
}
CP_DROPIN_ALIAS(select, __select);

CP_DROPIN int pselect(int n, fd_set *r, fd_set *w, fd_set *e,
		      const struct timespec *timeout, const sigset_t *mask)
{
	return cp_pselect(n, r, w, e, timeout, mask);
}

CP_DROPIN int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	return cp_epoll_wait(epfd, ev, max, timeout);
}

CP_DROPIN int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout,
			  const sigset_t *mask)
{
	return cp_epoll_pwait(epfd, ev, max, timeout, mask);
}

CP_DROPIN int nanosleep(const struct timespec *req, struct timespec *rem)
{
	return cp_nanosleep(req, rem);
}
CP_DROPIN_ALIAS(nanosleep, __nanosleep);

CP_DROPIN int clock_nanosleep(clockid_t clock, int flags,
			      const struct timespec *req, struct timespec *rem)
{
	return cp_clock_nanosleep(clock, flags, req, rem);
}

CP_DROPIN unsigned int sleep(unsigned int seconds)
{
	return cp_sleep(seconds);
}

CP_DROPIN int usleep(useconds_t usec)
{
	return cp_usleep(usec);
}

CP_DROPIN int pause(void)
{
	return cp_pause();
}

CP_DROPIN int sigsuspend(const sigset_t *mask)
{
	return cp_sigsuspend(mask);
}
CP_DROPIN_ALIAS(sigsuspend, __sigsuspend);

/* glibc reports a signal sent by tgkill (raise's way) as sent by kill:
 * SI_USER, not the kernel's SI_TKILL.  Programs test for SI_USER. */
static int cp_dropin_si_user(int sig, siginfo_t *info)
{
	if (sig > 0 && info && info->si_code == SI_TKILL)
		info->si_code = SI_USER;
	return sig;
}

CP_DROPIN int sigtimedwait(const sigset_t *set, siginfo_t *info,
			   const struct timespec *timeout)
{
	return cp_dropin_si_user(cp_sigtimedwait(set, info, timeout), info);
}

CP_DROPIN int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
	return cp_dropin_si_user(cp_sigwaitinfo(set, info), info);
}

CP_DROPIN int sigwait(const sigset_t *set, int *sig)
{
	return cp_sigwait(set, sig);
}

CP_DROPIN pid_t wait(int *status)
{
	return cp_wait(status);
}
CP_DROPIN_ALIAS(wait, __wait);

CP_DROPIN pid_t waitpid(pid_t pid, int *status, int options)
{
	return cp_wait4(pid, status, options, NULL);
}
CP_DROPIN_ALIAS(waitpid, __waitpid);

CP_DROPIN pid_t wait3(int *status, int options, struct rusage *ru)
{
	return cp_wait4(-1, status, options, ru);
}

CP_DROPIN pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
	return cp_wait4(pid, status, options, ru);
}

CP_DROPIN int waitid(idtype_t type, id_t id, siginfo_t *info, int options)
{
	return cp_waitid(type, id, info, options);
}

CP_DROPIN int system(const char *command)
{
	return cp_system(command);
}

CP_DROPIN int aio_suspend(const struct aiocb *const list[], int n,
			  const struct timespec *timeout)
{
	return cp_aio_suspend(list, n, timeout);
}
/* On 64-bit systems struct aiocb64 is struct aiocb. */
CP_DROPIN int aio_suspend64(const struct aiocb64 *const list[], int n,
			    const struct timespec *timeout)
{
	_Static_assert(sizeof(struct aiocb64) == sizeof(struct aiocb),
		       "one AIO control block on 64-bit systems");
	return cp_aio_suspend((const struct aiocb *const *)list, n, timeout);
}
