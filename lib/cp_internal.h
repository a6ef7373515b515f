/* SPDX-License-Identifier: MIT */
/*
 * cp_internal.h - libcp's per-thread state and the seams between its files.
 *
 * Every thread's state lives in static (initial-exec) TLS, so it exists,
 * zeroed, for any thread from the moment pthread_create returns, with no
 * registration and no allocation.  A canceller reaches another thread's
 * copy through cp_thread_of(): with initial-exec TLS both the variable and
 * the pthread_t (the libc's thread descriptor) sit at fixed offsets from
 * the thread pointer, so their distance is the same in every thread
 * (checked by the unit tests for glibc and musl layouts).
 */
#ifndef CP_INTERNAL_H
#define CP_INTERNAL_H

#include "cp_arch.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#define CP_HIDDEN __attribute__((visibility("hidden")))

struct cp_thread {
	/* Offset 0: read by the asm routine.  Set once (0 -> 1) by the first
	 * cp_cancel; sticky, so every later cancellation point acts. */
	int pending;
	/* A cancel signal is on its way to this thread (or the canceller is
	 * still deciding whether to send one).  Leaving a cancellation window
	 * and disabling cancellation wait for it, so it cannot later interrupt
	 * a non-cancellable call and surface as EINTR (cp_quiesce). */
	int sig_in_flight;
	/* Written only by the thread itself. */
	int disabled;   /* PTHREAD_CANCEL_DISABLE in force */
	int async;      /* PTHREAD_CANCEL_ASYNCHRONOUS in force */
	int in_cp;      /* inside a cancellable call: a canceller must signal */
	/* "timer" strategy: the retry timer re-sending the signal. */
	int retry_armed;
	int retry_timer;
	/* This thread's errno, cached by the first failing call: the libc's
	 * errno lives in the libc's TLS, reachable only through its accessor
	 * (a call through the GOT), and its address never changes for the
	 * life of the thread. */
	int *errno_at;
};

extern __thread struct cp_thread cp_self
	__attribute__((tls_model("initial-exec"))) CP_HIDDEN;

CP_HIDDEN struct cp_thread *cp_thread_of(pthread_t t);

/* How the cancel signal is handled; see cp.h for the designs. */
enum cp_mode {
	CP_MODE_RERAISE,
	CP_MODE_NORETRY,
	CP_MODE_ASYNC,
	CP_MODE_PCSYSCALL,
	CP_MODE_TIMER,
};
extern enum cp_mode cp_mode CP_HIDDEN;
extern int cp_sig CP_HIDDEN;          /* the cancel signal number */
extern int cp_cancel_used CP_HIDDEN;  /* a request was made: strategy fixed */

/* An arch whose landing pad may reach cp_act with a misaligned stack
 * realigns there (x86_64: the inline-asm call, see cp_arch.h). */
#ifndef CP_ARCH_REALIGN
#define CP_ARCH_REALIGN
#endif

/* Act on the cancellation: never returns (pthread_exit(PTHREAD_CANCELED)).
 * Called from normal context (asm landing pad, cp_testcancel, EINTR path)
 * or, for asynchronous cancellation, from the signal handler. */
CP_HIDDEN _Noreturn CP_ARCH_REALIGN void cp_act(void);

/* Order this thread's plain stores to its cp_thread before its next load
 * of `pending` against a concurrent cp_cancel (Dekker).  Free when the
 * canceller can use membarrier(2); a real fence otherwise. */
CP_HIDDEN void cp_fence_slow(void);
extern int cp_have_membarrier CP_HIDDEN;
static inline void cp_fence_local(void)
{
	if (__builtin_expect(!cp_have_membarrier, 0))
		cp_fence_slow();
	else
		__asm__ volatile("" ::: "memory");
}

/* Wait until an in-flight cancel signal has been delivered (see above). */
CP_HIDDEN void cp_quiesce(struct cp_thread *t);

/* The timer strategy's retry (retry_timer.c); async-signal-safe. */
CP_HIDDEN void cp_retry_start(struct cp_thread *t);
CP_HIDDEN void cp_retry_stop(struct cp_thread *t);

/* Install the handler, pick the signal, strategy and fence (once). */
CP_HIDDEN void cp_init(void);

/* The asm routine and its window labels (arch/<arch>/syscall_cp.S).
 * `pending` is always the calling thread's own flag (x86_64 turns it into
 * an offset from the thread pointer). */
CP_HIDDEN long cp_syscall_asm(const int *pending, long nr, long a1, long a2,
			      long a3, long a4, long a5, long a6);
extern const char cp_window_begin[] CP_HIDDEN;
extern const char cp_window_end[] CP_HIDDEN;
extern const char cp_window_landing[] CP_HIDDEN;
extern const char cp_routine_end[] CP_HIDDEN;

/* An arch without a register-convention entry (cp_arch.h defines
 * CP_ARCH_HAS_WINDOW_CALL when it has one) enters the window through the
 * C-convention routine. */
#ifndef CP_ARCH_HAS_WINDOW_CALL
static inline long cp_arch_window_call(const int *pending, long nr, long a1,
				       long a2, long a3, long a4, long a5,
				       long a6)
{
	return cp_syscall_asm(pending, nr, a1, a2, a3, a4, a5, a6);
}
#endif

/* A plain, non-cancellable syscall (-errno): outside the window. */
static inline long cp_syscall_nocancel(long nr, long a1, long a2, long a3,
				       long a4, long a5, long a6)
{
	return cp_arch_syscall6(nr, a1, a2, a3, a4, a5, a6);
}

/* The one place where a kernel result becomes the libc convention:
 * cp_ret's cold half, out of line so that the wrappers' fast path keeps
 * no frame and no register shuffle for it (syscall.c). */
CP_HIDDEN __attribute__((cold)) long cp_set_errno(long r);
static inline __attribute__((always_inline)) long cp_ret(long r)
{
	if (__builtin_expect((unsigned long)r > -4096UL, 0))
		return cp_set_errno(r);
	return r;
}

/* Cleared by cp_init when the strategy uses the window and membarrier(2)
 * works, so the fast path below needs no fence at all.  Negative sense so
 * that one OR with the thread's `disabled` tests both. */
extern int cp_fast_off CP_HIDDEN;
CP_HIDDEN void cp_fast_path_update(void);

CP_HIDDEN long cp_after(struct cp_thread *t, long nr, long r);
CP_HIDDEN long cp_syscall_slow(struct cp_thread *t, long nr, long a1, long a2,
			       long a3, long a4, long a5, long a6);

/* The out-of-line ends of cp_call_inline, each finishing with the result
 * in the caller's convention (libc_conv: errno, else -errno), so that the
 * wrappers reach them by tail calls and their fast path keeps no frame. */
CP_HIDDEN long cp_call_slow(int libc_conv, long nr, const long a[6]);
CP_HIDDEN long cp_call_pending(long r, long nr, int libc_conv);

/* The cancellable syscall, inlined into every wrapper: publish in_cp (a
 * canceller that reads it as 0 runs membarrier before believing that, so
 * no fence is needed here; lib/cancel.c), let the
 * asm routine check `pending` and enter the kernel, unpublish.  in_cp
 * counts: a handler may nest a call inside a call, and its increment and
 * decrement cancel out before the outer call goes on.  Disabled
 * cancellation, the async strategy and the no-membarrier fallback take
 * cp_call_slow(). */
static inline __attribute__((always_inline)) long
cp_call_inline(int libc_conv, long nr, long a1, long a2, long a3, long a4,
	       long a5, long a6)
{
	struct cp_thread *t = &cp_self;
	long r;

	if (__builtin_expect(t->disabled | cp_fast_off, 0)) {
		const long a[6] = { a1, a2, a3, a4, a5, a6 };

		return cp_call_slow(libc_conv, nr, a);
	}
	t->in_cp++;
	__asm__ volatile("" ::: "memory");
	r = cp_arch_window_call(&t->pending, nr, a1, a2, a3, a4, a5, a6);
	t->in_cp--;
	__asm__ volatile("" ::: "memory");
	if (__builtin_expect(t->pending, 0))
		return cp_call_pending(r, nr, libc_conv);
	return libc_conv ? cp_ret(r) : r;
}

/* A wrapper's whole body: the inlined cancellable syscall, ending in the
 * one -errno -> errno conversion (cp_ret). */
#define CP_CALL(nr, a1, a2, a3, a4, a5, a6)                                  \
	cp_call_inline(1, (nr), (long)(a1), (long)(a2), (long)(a3),          \
		       (long)(a4), (long)(a5), (long)(a6))

#endif
