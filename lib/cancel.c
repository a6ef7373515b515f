/* SPDX-License-Identifier: MIT */
/*
 * cancel.c - requesting cancellation and acting on it.
 *
 * The request protocol closes the race the seed calls "the thread had not
 * yet reached the syscall instruction": the canceller publishes `pending`
 * and then looks at the target's `in_cp`/`async`/`disabled`; the target
 * publishes `in_cp` and then looks at `pending` (asm routine).  With a full
 * barrier between each side's store and load, at least one side sees the
 * other: either the target's inline check acts, or the canceller signals a
 * thread that is inside the window.  The target's barrier is made free by
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) on the canceller's side
 * (Linux >= 4.14), which forces a barrier on every running thread.
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

__thread struct cp_thread cp_self __attribute__((tls_model("initial-exec")));
static uintptr_t cp_tls_delta;

struct cp_thread *cp_thread_of(pthread_t t)
{
	return (struct cp_thread *)((uintptr_t)t + cp_tls_delta);
}

__attribute__((constructor)) static void cp_tls_delta_init(void)
{
	cp_tls_delta = (uintptr_t)&cp_self - (uintptr_t)pthread_self();
}

void cp_fence_slow(void)
{
	atomic_thread_fence(memory_order_seq_cst);
}

static void cp_fence_remote(void)
{
	if (cp_have_membarrier)
		cp_arch_syscall6(SYS_membarrier,
				 MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0, 0, 0, 0);
	else
		atomic_thread_fence(memory_order_seq_cst);
}

static void cp_flight_done(struct cp_thread *t)
{
	__atomic_store_n(&t->sig_in_flight, 0, __ATOMIC_RELEASE);
	cp_arch_syscall6(SYS_futex, (long)&t->sig_in_flight,
			 FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
}

/* Does the target need a signal?  Only to interrupt a call inside the
 * window, or to act at once under asynchronous type.  A deferred thread in
 * ordinary code gets none, so none of its ordinary syscalls can be
 * interrupted by us (no stray EINTR outside cancellation points). */
static int cp_needs_signal(const struct cp_thread *t)
{
	if (__atomic_load_n(&t->disabled, __ATOMIC_RELAXED))
		return 0;
	return __atomic_load_n(&t->in_cp, __ATOMIC_RELAXED) ||
	       __atomic_load_n(&t->async, __ATOMIC_RELAXED);
}

int cp_cancel(pthread_t th)
{
	struct cp_thread *t = cp_thread_of(th);

	cp_init();
	__atomic_store_n(&cp_cancel_used, 1, __ATOMIC_RELAXED);
	if (pthread_equal(th, pthread_self())) {
		t->pending = 1;
		if (t->async && !t->disabled)
			cp_act();
		return 0;
	}
	/* Only the first request signals: a flood of requests cannot exhaust
	 * the real-time signal queue (RLIMIT_SIGPENDING). */
	if (__atomic_exchange_n(&t->pending, 1, __ATOMIC_SEQ_CST))
		return 0;
	__atomic_store_n(&t->sig_in_flight, 1, __ATOMIC_SEQ_CST);
	/* A "yes" needs no fence: the target really was inside a call (or
	 * asynchronous) after our store, and the handler copes with it having
	 * left since, exactly as after the fence.  Only a "no" may be a stale
	 * view of the target's plain in_cp store, so only then pay for the
	 * remote barrier (an IPI to every CPU running us) and look again.  A
	 * thread blocked in a cancellation point, the case whose latency
	 * matters, takes the first branch. */
	if (!cp_needs_signal(t)) {
		cp_fence_remote();
		if (!cp_needs_signal(t)) {
			cp_flight_done(t);
			return 0;
		}
	}
	int err = pthread_kill(th, cp_sig);
	if (err)
		cp_flight_done(t);
	return err == ESRCH ? 0 : err;
}

_Noreturn CP_ARCH_REALIGN void cp_act(void)
{
	struct cp_thread *t = &cp_self;

	/* Cleanup handlers may call cancellation points: they must not act
	 * again (POSIX: cancellation is disabled while acting). */
	t->disabled = 1;
	t->async = 0;
	t->in_cp = 0;
	cp_retry_stop(t);
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

int cp_setcancelstate(int state, int *old)
{
	struct cp_thread *t = &cp_self;

	if (state != PTHREAD_CANCEL_ENABLE && state != PTHREAD_CANCEL_DISABLE)
		return EINVAL;
	if (old)
		*old = t->disabled ? PTHREAD_CANCEL_DISABLE : PTHREAD_CANCEL_ENABLE;
	t->disabled = state == PTHREAD_CANCEL_DISABLE;
	cp_fence_local();
	if (t->pending) {
		if (t->disabled)
			cp_quiesce(t);   /* no EINTR from us while disabled */
		else if (t->async)
			cp_act();
	}
	return 0;
}

int cp_setcanceltype(int type, int *old)
{
	struct cp_thread *t = &cp_self;

	if (type != PTHREAD_CANCEL_DEFERRED &&
	    type != PTHREAD_CANCEL_ASYNCHRONOUS)
		return EINVAL;
	if (old)
		*old = t->async ? PTHREAD_CANCEL_ASYNCHRONOUS
				: PTHREAD_CANCEL_DEFERRED;
	t->async = type == PTHREAD_CANCEL_ASYNCHRONOUS;
	cp_fence_local();
	if (t->async && t->pending && !t->disabled)
		cp_act();
	return 0;
}
