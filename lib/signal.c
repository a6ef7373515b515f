/* SPDX-License-Identifier: MIT */
/*
 * signal.c - the cancel signal handler: where the race is decided.
 *
 * The handler looks at the context it interrupted (the innermost one):
 *   - PC inside [cp_window_begin, cp_window_end): the syscall has not been
 *     completed (not entered, or being restarted with the PC rewound onto
 *     the syscall instruction).  Redirect the PC to the landing pad, which
 *     acts in normal context once the handler returns.
 *   - PC elsewhere in the routine: the thread's own bookkeeping around the
 *     window; the call has not started (the window's check will see the
 *     request) or has completed (the wrapper sees the request after it).
 *   - anywhere else, outside every cancellable call (sp == 0): deferred to
 *     the next cancellation point.
 *   - anywhere else while a call is recorded (sp != 0): another handler
 *     runs on top of that call, or the call was abandoned (a handler left
 *     it by siglongjmp).  frame.c tells which from the signal frame that
 *     handler's delivery saved.  Abandoned: forget the call, defer.  On
 *     top: acting here would cancel inside that handler, i.e.
 *     asynchronously, so the request must act when the handler returns to
 *     the call, if the call will then enter the kernel again (the frame's
 *     saved PC is in the window): the strategy's retry.
 * Retries: "reraise" sends the signal again, kept blocked in the handler's
 * context, so it is taken when that handler's sigreturn restores the
 * call's mask (with the PC back in the window: act; or past it with EINTR:
 * the wrapper acts).  If it comes back while the handler still runs (the
 * handler unblocked it, or is leaving by siglongjmp, which restores its
 * saved mask), it is not blocked again: the handler's frame is redirected
 * to the landing pad instead, so sigreturn lands there, and a frame that
 * is abandoned leaves nothing behind.  "timer" re-sends it every
 * millisecond from a POSIX timer, stopped once the call is over.
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

/* Queue our signal to the calling thread with si_code SI_USER.  tgkill of
 * a real-time signal fails with EAGAIN once the user's queue is at
 * RLIMIT_SIGPENDING; the kernel only guarantees delivery, dropping the
 * siginfo instead, for a signal whose si_code is SI_USER (kill's promise:
 * kernel/signal.c, __send_signal_locked, "kill is not allowed to fail
 * with EAGAIN").  rt_tgsigqueueinfo may claim SI_USER only when the target
 * is the calling thread itself, which it is for a re-raise. */
/* Tells our re-raise apart from a canceller's signal and a timer tick. */
#define CP_TAG_RERAISE 0x72657261

static long cp_queue_si_user(int tid, int tag)
{
	long pid = cp_arch_syscall6(SYS_getpid, 0, 0, 0, 0, 0, 0);
	siginfo_t si;

	memset(&si, 0, sizeof si);
	si.si_signo = cp_sig;
	si.si_code = SI_USER;
	si.si_pid = (pid_t)pid;
	si.si_uid = getuid();   /* async-signal-safe (POSIX) */
	si.si_value.sival_int = tag;
	return cp_arch_syscall6(SYS_rt_tgsigqueueinfo, pid, tid, cp_sig,
				(long)&si, 0, 0);
}

/* The re-raise: it must not fail, nothing else would re-send the request
 * (hence SI_USER).  Kept blocked in the context we return to, so it stays
 * pending until that handler's sigreturn restores the call's mask. */
static void cp_reraise_blocked(struct cp_thread *t, ucontext_t *uc)
{
	sigaddset(&uc->uc_sigmask, cp_sig);
	t->reraise_held = 1;
	cp_queue_si_user(t->tid, CP_TAG_RERAISE);
}

static void cp_act_async(const ucontext_t *uc)
{
	/* Leaving the handler by unwinding: restore the interrupted mask so
	 * the thread does not die with signals blocked by this handler. */
	pthread_sigmask(SIG_SETMASK, &uc->uc_sigmask, NULL);
	cp_act();
}

/* Was this delivery the canceller's signal (not a retry tick, not our own
 * re-raise)?  Only that one ends a wait in cp_quiesce. */
static int cp_from_canceller(const siginfo_t *si)
{
	if (si->si_code == SI_TIMER)
		return 0;
	return !(si->si_code == SI_USER &&
		 si->si_value.sival_int == CP_TAG_RERAISE);
}

#ifdef CP_TEST_STRATEGIES
/* The flawed designs' decisions (test build only): "async" leaves it all
 * to the asynchronous type around the call; "pcsyscall" acts from the
 * handler when the thread is inside a call and the PC sits on a syscall
 * instruction, any syscall instruction, also one in a handler running on
 * top of the call, and defers a PC just before it although the call has
 * not run.  Returns 1 when the decision was taken. */
static int cp_flawed_decision(struct cp_thread *t, ucontext_t *uc)
{
	if (cp_decides(async))
		return 1;
	if (!cp_decides(pcsyscall))
		return 0;
	if (t->sp && cp_arch_is_syscall_insn(cp_arch_pc(uc)))
		cp_act_async(uc);
	return 1;
}
#else
#define cp_flawed_decision(t, uc) 0
#endif

/* The blocked signals of the interrupted context (the first 64). */
static uint64_t cp_context_mask(const ucontext_t *uc)
{
	uint64_t m;

	__builtin_memcpy(&m, &uc->uc_sigmask, sizeof m);
	return m;
}

/* A handler runs on top of the call, which may enter the kernel again
 * once the handler returns: make sure the request acts then. */
static void cp_retry(struct cp_thread *t, ucontext_t *uc, int held,
		     int frames, uintptr_t from, int on_alt)
{
	if (!cp_retries(timer) && !cp_retries(reraise))
		return;   /* retry none: lost, by design */
	if (held || !(frames & CP_FRAME_LIVE)) {
		/* No re-raise may be kept blocked in this context, and no timer
		 * started for it: either a re-raise of ours was held and our
		 * signal got through while the handler still runs (it
		 * unblocked it, or is leaving by siglongjmp, which restores its
		 * saved mask), or nothing shows that this context is a handler
		 * at all (it may be ordinary code over an abandoned call's
		 * stale frame, whose mask a blocked re-raise would keep for
		 * good).  The frame resumes at the landing pad instead: a live
		 * one acts when its handler returns, a stale or abandoned one
		 * is memory nobody reads; a call left for good acts at the
		 * next cancellation point, the request being pending. */
		cp_frames(t, from, on_alt, &uc->uc_stack, 0, 1);
		return;
	}
	if (cp_retries(timer) && cp_retry_start(t) == 0)
		return;
	cp_reraise_blocked(t, uc);
}

static void cp_decide(struct cp_thread *t, ucontext_t *uc, int held)
{
	uintptr_t pc = cp_arch_pc(uc), from = cp_arch_sp(uc);
	int on_alt = uc->uc_stack.ss_flags & SS_ONSTACK, frames;

	if (cp_pc_in_window(pc)) {
		cp_arch_set_pc(uc, (uintptr_t)cp_window_landing);
		return;
	}
	if (cp_pc_in_routine(pc) || t->sp <= CP_SP_ENTERING) {
		if (!t->sp && t->retry_armed)
			cp_retry_stop(t);   /* ticks are only for a call below a handler */
		return;
	}
	frames = cp_frames(t, from, on_alt, &uc->uc_stack, cp_context_mask(uc),
			   0);
	if (!frames)
		cp_abandoned(t, from, on_alt, &uc->uc_stack);
	else if (frames & CP_FRAME_IN_WINDOW)
		cp_retry(t, uc, held, frames, from, on_alt);
	/* else the call completed: the wrapper sees the request after it */
}

static void cp_on_signal(int sig, siginfo_t *si, void *ctx)
{
	struct cp_thread *t = &cp_self;
	ucontext_t *uc = ctx;
	int saved_errno = errno;
	int held = t->reraise_held;

	(void)sig;
	/* The canceller's signal has arrived: cp_quiesce may go on. */
	if (cp_from_canceller(si))
		__atomic_store_n(&t->sig_in_flight, 0, __ATOMIC_RELEASE);
	else if (si->si_code == SI_USER)
		t->reraise_held = 0;   /* our re-raise, delivered */
	cp_cover_note(t, uc);
	if (!t->pending || t->disabled)
		goto out;
	if (t->async) {
		if (!t->requesting)
			cp_act_async(uc);
		goto out;   /* cp_cancel acts once its own request is out */
	}
	if (cp_flawed_decision(t, uc))
		goto out;
	cp_decide(t, uc, held);
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

/* A child of fork() has only the forking thread, no pending signals and
 * no POSIX timers: a cancel signal that was in flight to it never arrives
 * there, a held re-raise is not pending there, and the retry timer's id
 * names nothing. */
static void cp_atfork_child(void)
{
	cp_self.sig_in_flight = 0;
	cp_self.reraise_held = 0;
	cp_self.retry_armed = 0;
}

static void cp_init_once(void)
{
	const char *env = getenv("CP_STRATEGY");

	cp_tls_delta_init();
	if (env && *env && cp_set_strategy(env))
		cp_die(cp_strategy_error(env), env);
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
