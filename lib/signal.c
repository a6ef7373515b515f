/* SPDX-License-Identifier: MIT */
/*
 * signal.c - the cancel signal handler: where the race is decided.
 *
 * The handler only ever looks at the context it interrupted, which is the
 * innermost one.  Three answers:
 *   - PC inside [cp_window_begin, cp_window_end): the syscall has not been
 *     completed (not entered, or being restarted with the PC rewound onto
 *     the syscall instruction).  Redirect the PC to the landing pad, which
 *     acts in normal context once the handler returns.
 *   - PC anywhere else while the thread is inside a cancellable call
 *     (in_cp): either the kernel completed the call (PC past the syscall
 *     instruction; the wrapper handles EINTR) or another handler runs on top
 *     of the cancellation point.  Acting here would cancel inside that
 *     handler, i.e. asynchronously.  The "reraise" strategy sends the signal
 *     again with it kept blocked in the context we return to: it stays
 *     pending until that handler's sigreturn restores the mask of the
 *     cancellation point, and is then taken again with the PC back inside
 *     the window (SA_RESTART rewound it) or past it (EINTR: the wrapper
 *     acts).
 *   - PC anywhere else outside a cancellable call: deferred; the next
 *     cancellation point's inline check acts.
 */
#define _GNU_SOURCE
#include "cp_internal.h"
#include "cp_arch.h"

#include <cp.h>
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int cp_sig;
int cp_have_membarrier;

static int cp_pc_in_window(uintptr_t pc)
{
	return pc >= (uintptr_t)cp_window_begin && pc < (uintptr_t)cp_window_end;
}

/* Past the syscall instruction but still in the routine: the kernel has
 * completed the call; the wrapper sees the result (and acts on EINTR). */
static int cp_pc_after_syscall(uintptr_t pc)
{
	return pc >= (uintptr_t)cp_window_end && pc < (uintptr_t)cp_routine_end;
}

/* The re-raise must not fail: nothing else would re-send the request.
 * tgkill of a real-time signal fails with EAGAIN once the user's queue is
 * at RLIMIT_SIGPENDING; the kernel only guarantees delivery, dropping the
 * siginfo instead, for a signal whose si_code is SI_USER (kill's
 * promise: kernel/signal.c, __send_signal_locked, "kill is not allowed to
 * fail with EAGAIN").  rt_tgsigqueueinfo may claim SI_USER when the
 * target is in the caller's own process, which it is here; the handler
 * never reads the siginfo. */
static void cp_reraise_blocked(ucontext_t *uc)
{
	long pid = cp_arch_syscall6(SYS_getpid, 0, 0, 0, 0, 0, 0);
	siginfo_t si;

	sigaddset(&uc->uc_sigmask, cp_sig);
	memset(&si, 0, sizeof si);
	si.si_signo = cp_sig;
	si.si_code = SI_USER;
	si.si_pid = (pid_t)pid;
	si.si_uid = getuid();   /* async-signal-safe (POSIX) */
	cp_arch_syscall6(SYS_rt_tgsigqueueinfo, pid,
			 cp_arch_syscall6(SYS_gettid, 0, 0, 0, 0, 0, 0), cp_sig,
			 (long)&si, 0, 0);
}

static void cp_act_async(const ucontext_t *uc)
{
	/* Leaving the handler by unwinding: restore the interrupted mask so
	 * the thread does not die with signals blocked by this handler. */
	pthread_sigmask(SIG_SETMASK, &uc->uc_sigmask, NULL);
	cp_act();
}

static void cp_on_signal(int sig, siginfo_t *si, void *ctx)
{
	struct cp_thread *t = &cp_self;
	ucontext_t *uc = ctx;
	int saved_errno = errno;

	(void)sig;
	(void)si;
	/* The canceller's signal has arrived: cp_quiesce may go on. */
	__atomic_store_n(&t->sig_in_flight, 0, __ATOMIC_RELEASE);
	if (!t->pending)
		goto out;
	/* Timer ticks are only for a request waiting below a handler. */
	if (t->retry_armed && !t->in_cp)
		cp_retry_stop(t);
	if (t->disabled)
		goto out;
	if (t->async)
		cp_act_async(uc);
	if (cp_mode == CP_MODE_ASYNC)
		goto out;
	if (cp_mode == CP_MODE_PCSYSCALL) {
		/* The seed's first idea: "at a cancellation point" flag plus
		 * "the PC sits on a syscall instruction" (a blocked call being
		 * restarted).  Any syscall instruction counts, also one in a
		 * handler running on top of the point, and a PC just before
		 * the instruction is deferred although the call has not run. */
		if (t->in_cp && cp_arch_is_syscall_insn(cp_arch_pc(uc)))
			cp_act_async(uc);
		goto out;
	}
	if (cp_pc_in_window(cp_arch_pc(uc))) {
		cp_arch_set_pc(uc, (uintptr_t)cp_window_landing);
		goto out;
	}
	if (!t->in_cp || cp_pc_after_syscall(cp_arch_pc(uc)))
		goto out;
	if (cp_mode == CP_MODE_RERAISE)
		cp_reraise_blocked(uc);
	else if (cp_mode == CP_MODE_TIMER)
		cp_retry_start(t);
out:
	errno = saved_errno;
}

static _Noreturn void cp_die(const char *msg, const char *val)
{
	fprintf(stderr, "libcp: %s%s\n", msg, val ? val : "");
	_exit(2);
}

static int cp_pick_signal(void)
{
	const char *env = getenv("CP_SIGNAL");
	char *end;
	long n;

	if (!env || !*env)
		return SIGRTMAX - 1;
	n = strtol(env, &end, 10);
	if (*end || n < SIGRTMIN || n > SIGRTMAX)
		cp_die("CP_SIGNAL must be a real-time signal number between "
		       "SIGRTMIN and SIGRTMAX, got: ", env);
	return (int)n;
}

static void cp_install_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = cp_on_signal;
	/* SA_RESTART: a blocked call that the handler declines is restarted
	 * by the kernel instead of failing with EINTR.  Full mask: nothing
	 * may nest inside the decision.  SA_ONSTACK: threads with an
	 * alternate stack (tiny main stacks, Go-style runtimes) keep working. */
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sigfillset(&sa.sa_mask);
	if (sigaction(cp_sig, &sa, NULL))
		cp_die("cannot install the cancel signal handler: ",
		       strerror(errno));
}

/* A child of fork() has only the forking thread and no pending signals:
 * a cancel signal that was in flight to it never arrives there. */
static void cp_atfork_child(void)
{
	cp_self.sig_in_flight = 0;
}

static void cp_init_once(void)
{
	const char *env = getenv("CP_STRATEGY");

	if (env && *env && cp_set_strategy(env))
		cp_die("unknown CP_STRATEGY (use reraise, timer, noretry, async or pcsyscall): ",
		       env);
	cp_sig = cp_pick_signal();
	cp_install_handler();
	pthread_atfork(NULL, NULL, cp_atfork_child);
	if (cp_arch_syscall6(SYS_membarrier,
			     MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0, 0,
			     0, 0) == 0)
		__atomic_store_n(&cp_have_membarrier, 1, __ATOMIC_RELEASE);
	cp_fast_path_update();
}

void cp_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, cp_init_once);
}

__attribute__((constructor)) static void cp_init_at_load(void)
{
	cp_init();
}

int cp_signal(void)
{
	cp_init();
	return cp_sig;
}
