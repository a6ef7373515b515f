/* SPDX-License-Identifier: MIT */
/*
 * signals.c - the cancel signal stays libcp's, as glibc keeps its own
 * SIGCANCEL: a program cannot block it (it is taken out of every mask it
 * sets) or replace its handler (sigaction and signal fail with EINVAL).
 * A program that blocks every signal in its threads, or resets every
 * disposition, would otherwise make cancellation hang or kill the
 * process.  Other ways to a disposition (sigset, sigvec, bsd_signal) go
 * through the C library's internal sigaction and are not guarded.
 *
 * And it is out of the program's real-time range, as glibc's own two
 * signals are: SIGRTMAX is a call (__libc_current_sigrtmax), and with
 * libcp's signal at the top of the range (its default, SIGRTMAX - 1, or
 * SIGRTMAX) the drop-in's answer ends the range below it.  A program that
 * uses every real-time signal it is given then never meets it.
 */
#define _GNU_SOURCE
#include "dropin.h"

#include "posix_internal.h"

#include <cp.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>

int cp_dropin_guarding;

static int cp_dropin_guards(int sig)
{
	return __atomic_load_n(&cp_dropin_guarding, __ATOMIC_ACQUIRE) &&
	       sig == cp_signal();
}

static const sigset_t *cp_dropin_unblockable(int how, const sigset_t *set,
					     sigset_t *copy)
{
	if (!set || how == SIG_UNBLOCK || !cp_dropin_guarding ||
	    !sigismember(set, cp_signal()))
		return set;
	*copy = *set;
	sigdelset(copy, cp_signal());
	return copy;
}

typedef int cp_sigmask_fn(int, const sigset_t *, sigset_t *);

CP_DROPIN int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	static cp_sigmask_fn *real;
	sigset_t copy;

	if (!real)
		real = (cp_sigmask_fn *)cp_libc_sym("pthread_sigmask");
	return real(how, cp_dropin_unblockable(how, set, &copy), old);
}

CP_DROPIN int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	static cp_sigmask_fn *real;
	sigset_t copy;

	if (!real)
		real = (cp_sigmask_fn *)cp_libc_sym("sigprocmask");
	return real(how, cp_dropin_unblockable(how, set, &copy), old);
}

typedef int cp_sigaction_fn(int, const struct sigaction *, struct sigaction *);

CP_DROPIN int sigaction(int sig, const struct sigaction *act,
			struct sigaction *old)
{
	static cp_sigaction_fn *real;

	if (!real)
		real = (cp_sigaction_fn *)cp_libc_sym("sigaction");
	if (act && cp_dropin_guards(sig)) {
		errno = EINVAL;
		return -1;
	}
	return real(sig, act, old);
}

CP_DROPIN_ALIAS(sigaction, __sigaction);

typedef int cp_sigrtmax_fn(void);

/* Before the drop-in's constructor (libcp's own start-up, which picks its
 * signal from SIGRTMAX), the C library's answer. */
CP_DROPIN int __libc_current_sigrtmax(void)
{
	static cp_sigrtmax_fn *real;
	int max, sig;

	if (!real)
		real = (cp_sigrtmax_fn *)cp_libc_sym("__libc_current_sigrtmax");
	max = real();
	if (!__atomic_load_n(&cp_dropin_guarding, __ATOMIC_ACQUIRE))
		return max;
	sig = cp_signal();
	return sig >= max - 1 && sig <= max ? sig - 1 : max;
}

typedef sighandler_t cp_signal_fn(int, sighandler_t);

CP_DROPIN sighandler_t signal(int sig, sighandler_t handler)
{
	static cp_signal_fn *real;

	if (!real)
		real = (cp_signal_fn *)cp_libc_sym("signal");
	if (cp_dropin_guards(sig)) {
		errno = EINVAL;
		return SIG_ERR;
	}
	return real(sig, handler);
}
