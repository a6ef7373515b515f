/* SPDX-License-Identifier: MIT */
/*
 * cancel.c - requesting cancellation and acting on it.
 *
 * The request protocol closes the race between "the target decided to
 * enter the kernel" and "the canceller decided not to signal": the
 * canceller publishes `pending`, then looks at the target's `sp` (inside a
 * cancellable call), `async` and `disabled`; the target publishes `sp` and
 * then looks at `pending` (the asm routine's check).  A full barrier on
 * each side between its store and its load makes at least one side see the
 * other: the target's check acts, or the canceller signals a thread that is
 * inside.  The same holds on the way out: the target unpublishes `sp` and
 * then looks at `pending` (the wrapper), so a canceller that saw it inside
 * and signals is one the target sees and waits for (cp_quiesce).
 *
 * The target's barrier is free: the canceller runs
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) (Linux >= 4.14) before it
 * looks, which executes a full barrier on every CPU that runs one of our
 * threads.  It pays it on every request, whatever it then reads: a view
 * of the target read without it may be stale either way (a store that
 * left the call still in the target's store buffer reads as "inside", and
 * the signal would then reach ordinary code).  Requests are rare, calls
 * are not.  Where membarrier is not available, or stops working (a seccomp
 * filter installed later), the targets fence on their own side from then
 * on (cp_fast_off), and a request that could not be sure signals.
 */
#define _GNU_SOURCE
#include "cp_internal.h"
#include "cp_arch.h"

#include <cp.h>
#include <errno.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#endif

__thread struct cp_thread cp_self
	__attribute__((tls_model("initial-exec"))) = { .fast_off = CP_OFF_FRESH };

/* pthread_t -> cp_thread: see cp_internal.h; computed in cp_init, which
 * every path that needs it runs first (a constructor of the program may
 * run before libcp's own). */
static uintptr_t cp_tls_delta;

void cp_tls_delta_init(void)
{
	cp_tls_delta = (uintptr_t)&cp_self - (uintptr_t)pthread_self();
}

struct cp_thread *cp_thread_of(pthread_t t)
{
	return (struct cp_thread *)((uintptr_t)t + cp_tls_delta);
}

void cp_fence_slow(void)
{
	atomic_thread_fence(memory_order_seq_cst);
}

/* A barrier on every thread of the process.  0 when done; -1 when
 * membarrier failed, so the caller cannot trust what it reads next (and
 * the targets fence on their own side from now on). */
static int cp_fence_remote(void)
{
	if (!__atomic_load_n(&cp_have_membarrier, __ATOMIC_ACQUIRE)) {
		atomic_thread_fence(memory_order_seq_cst);
		return 0;
	}
	if (cp_arch_syscall6(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED,
			     0, 0, 0, 0, 0) == 0)
		return 0;
	__atomic_store_n(&cp_have_membarrier, 0, __ATOMIC_RELEASE);
	cp_fast_path_update();
	atomic_thread_fence(memory_order_seq_cst);
	return -1;
}

static void cp_flight_done(struct cp_thread *t)
{
	__atomic_store_n(&t->sig_in_flight, 0, __ATOMIC_RELEASE);
	cp_arch_syscall6(SYS_futex, (long)&t->sig_in_flight,
			 FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
}

/* Does the target need a signal?  Only to interrupt a call inside a
 * cancellable call, or to act at once under asynchronous type.  A deferred
 * thread in ordinary code gets none, so none of its ordinary syscalls can
 * be interrupted by us (no stray EINTR outside cancellation points). */
static int cp_needs_signal(const struct cp_thread *t)
{
	if (__atomic_load_n(&t->disabled, __ATOMIC_RELAXED))
		return 0;
	return __atomic_load_n(&t->sp, __ATOMIC_RELAXED) ||
	       __atomic_load_n(&t->async, __ATOMIC_RELAXED);
}

/* The request's second half, once `pending` is published.  The signal
 * cannot always be queued: pthread_kill fails with EAGAIN when the
 * real-time queue is at RLIMIT_SIGPENDING, and no other way reaches
 * another thread then (the kernel lets only kill-like SI_USER signals
 * past the limit, and refuses SI_USER aimed at another thread).  The
 * request is then not lost: it stays published (the target acts at its
 * next cancellation point), the caller gets EAGAIN, and a later cp_cancel
 * of the same thread sends the signal again (sig_owed). */
static int cp_request(pthread_t th, struct cp_thread *t)
{
	int err;

	__atomic_store_n(&t->sig_in_flight, 1, __ATOMIC_SEQ_CST);
	if (cp_fence_remote() == 0 && !cp_needs_signal(t)) {
		cp_flight_done(t);
		return 0;
	}
	err = pthread_kill(th, cp_sig);
	if (err)
		cp_flight_done(t);
	if (err == EAGAIN)
		__atomic_store_n(&t->sig_owed, 1, __ATOMIC_SEQ_CST);
	return err == ESRCH ? 0 : err;
}

int cp_cancel(pthread_t th)
{
	struct cp_thread *self = &cp_self, *t;
	int err = 0;

	cp_init();
	t = cp_thread_of(th);
	__atomic_store_n(&cp_cancel_used, 1, __ATOMIC_RELAXED);
	if (t == self) {
		t->pending = 1;
		if (t->async && !t->disabled)
			cp_act();
		return 0;
	}
	/* POSIX requires pthread_cancel to be async-cancel-safe: cancelled
	 * asynchronously half-way, a request that set the target's flags and
	 * never sent its signal would be lost, and a target waiting for that
	 * signal would wait forever.  Our own asynchronous cancellation waits
	 * until the request is complete. */
	__atomic_store_n(&self->requesting, 1, __ATOMIC_RELAXED);
	__asm__ volatile("" ::: "memory");
	/* Only the first request signals (or one whose signal is still owed):
	 * a flood of requests cannot exhaust the real-time signal queue. */
	if (!__atomic_exchange_n(&t->pending, 1, __ATOMIC_SEQ_CST) ||
	    __atomic_exchange_n(&t->sig_owed, 0, __ATOMIC_SEQ_CST))
		err = cp_request(th, t);
	__asm__ volatile("" ::: "memory");
	__atomic_store_n(&self->requesting, 0, __ATOMIC_RELAXED);
	__asm__ volatile("" ::: "memory");
	if (self->pending && self->async && !self->disabled)
		cp_act();
	return err;
}

_Noreturn CP_ARCH_REALIGN void cp_act(void)
{
	struct cp_thread *t = &cp_self;

	/* Cleanup handlers may call cancellation points: they must not act
	 * again (POSIX: cancellation is disabled while acting). */
	t->disabled = 1;
	t->fast_off |= CP_OFF_DISABLED;
	t->async = 0;
	t->sp = 0;
	cp_retry_stop(t);
	/* Nothing of ours may interrupt the cleanup handlers: a re-raise held
	 * blocked is let through now, and a canceller's signal still on its
	 * way (the thread may have acted on its own at a check while it was
	 * being sent) is waited for. */
	cp_release_held(t);
	cp_quiesce(t);
#ifdef __SANITIZE_ADDRESS__
	/* The forced unwind skips the epilogues that would unpoison the
	 * frames' redzones; tell ASan the stack is left for good. */
	__asan_handle_no_return();
#endif
	pthread_exit(PTHREAD_CANCELED);
}

void cp_testcancel(void)
{
	struct cp_thread *t = &cp_self;

	if (t->pending && !t->disabled)
		cp_act();
}

/* Is our signal blocked in this thread right now?  (Slow path only.) */
static int cp_sig_blocked(void)
{
	uint64_t mask = 0;

	cp_arch_syscall6(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&mask,
			 sizeof mask, 0, 0);
	return (mask >> (cp_sig - 1)) & 1;
}

void cp_quiesce(struct cp_thread *t)
{
	if (!__atomic_load_n(&t->sig_in_flight, __ATOMIC_ACQUIRE))
		return;
	/* Blocked (e.g. inside a handler whose mask holds it): it cannot
	 * arrive now and so cannot interrupt anything until unblocked. */
	if (cp_sig_blocked())
		return;
	while (__atomic_load_n(&t->sig_in_flight, __ATOMIC_ACQUIRE))
		cp_arch_syscall6(SYS_futex, (long)&t->sig_in_flight,
				 FUTEX_WAIT_PRIVATE, 1, 0, 0, 0);
}

void cp_release_held(struct cp_thread *t)
{
	uint64_t bit;

	if (!__atomic_load_n(&t->reraise_held, __ATOMIC_RELAXED) || t->sp)
		return;
	bit = 1ULL << (cp_sig - 1);
	/* Delivered before this returns; the handler finds the thread outside
	 * every call and only clears reraise_held. */
	cp_arch_syscall6(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&bit, 0,
			 sizeof bit, 0, 0);
	t->reraise_held = 0;
}

/* After a state change with a request pending: settle our own signal
 * (a call it was sent for has been left) and act if the new state says so. */
static void cp_state_changed(struct cp_thread *t)
{
	cp_fence_local();
	if (t->sp > CP_SP_ENTERING) {
		stack_t alt;
		uintptr_t here = (uintptr_t)__builtin_frame_address(0);
		int on_alt = 0;

		if (cp_arch_syscall6(SYS_sigaltstack, 0, (long)&alt, 0, 0, 0, 0) == 0)
			on_alt = alt.ss_flags & SS_ONSTACK;
		else
			alt.ss_flags = SS_DISABLE;
		if (!cp_frames(t, here, on_alt, &alt, 0, 0))
			cp_abandoned(t, here, on_alt, &alt);
	}
	if (!t->pending)
		return;
	cp_release_held(t);
	cp_quiesce(t);   /* no EINTR from us in what follows */
	if (!t->disabled && t->async)
		cp_act();
}

int cp_setcancelstate(int state, int *old)
{
	struct cp_thread *t = &cp_self;

	if (state != PTHREAD_CANCEL_ENABLE && state != PTHREAD_CANCEL_DISABLE)
		return EINVAL;
	if (t->fast_off & CP_OFF_FRESH)
		cp_thread_intro(t);
	if (old)
		*old = t->disabled ? PTHREAD_CANCEL_DISABLE : PTHREAD_CANCEL_ENABLE;
	t->disabled = state == PTHREAD_CANCEL_DISABLE;
	if (t->disabled)
		t->fast_off |= CP_OFF_DISABLED;
	else
		t->fast_off &= ~CP_OFF_DISABLED;
	cp_state_changed(t);
	return 0;
}

int cp_setcanceltype(int type, int *old)
{
	struct cp_thread *t = &cp_self;

	if (type != PTHREAD_CANCEL_DEFERRED &&
	    type != PTHREAD_CANCEL_ASYNCHRONOUS)
		return EINVAL;
	if (t->fast_off & CP_OFF_FRESH)
		cp_thread_intro(t);
	if (old)
		*old = t->async ? PTHREAD_CANCEL_ASYNCHRONOUS
				: PTHREAD_CANCEL_DEFERRED;
	t->async = type == PTHREAD_CANCEL_ASYNCHRONOUS;
	cp_state_changed(t);
	return 0;
}
