/* SPDX-License-Identifier: MIT */
/*
 * syscall.c - cp_syscall: the one cancellable system call every wrapper
 * goes through.  Returns the kernel's result or -errno.
 */
#define _GNU_SOURCE
#include "cp_internal.h"
#include "cp_arch.h"

#include <cp.h>
#include <errno.h>
#include <sys/syscall.h>

/* A thread's first failure asks the libc where its errno is. */
static __attribute__((noinline, cold)) long cp_set_errno_first(long r)
{
	cp_self.errno_at = &errno;
	errno = (int)-r;
	return -1;
}

long cp_set_errno(long r)
{
	int *e = cp_self.errno_at;

	if (__builtin_expect(!e, 0))
		return cp_set_errno_first(r);
	*e = (int)-r;
	return -1;
}

/* After the call: anything to do only when a request is pending. */
long cp_after(struct cp_thread *t, long nr, long r)
{
	/* Outside every call now: a retry is no longer needed (a POSIX timer
	 * belongs to the process and would outlive the thread), and a re-raise
	 * left blocked in this thread's mask is let through. */
	if (!t->sp) {
		cp_retry_stop(t);
		cp_release_held(t);
	}
	/* A signal still on its way must land now, while we are in libcp,
	 * and not interrupt the caller's next ordinary syscall. */
	cp_quiesce(t);
	/* The kernel gives EINTR instead of restarting some calls (poll,
	 * nanosleep with a handler, ...) even under SA_RESTART: the call did
	 * nothing, so the cancellation acts rather than surfacing EINTR.
	 * close is the exception: Linux has freed the fd even on EINTR, and
	 * cp.h promises that a returning cp_close means the fd is gone. */
	if (r == -EINTR && nr != SYS_close && !t->disabled)
		cp_act();
	return r;
}

void cp_thread_intro(struct cp_thread *t)
{
	uint64_t bit;

	cp_init();
	t->tid = (int)cp_arch_syscall6(SYS_gettid, 0, 0, 0, 0, 0, 0);
	/* pthread_create hands the creator's mask to the new thread.  A
	 * creator that had libcp's signal blocked (by its own sigprocmask, or
	 * inside a handler whose mask holds it) would otherwise make a thread
	 * that can never be interrupted in a cancellation point.  The signal
	 * is libcp's own, like glibc's SIGCANCEL. */
	bit = 1ULL << (cp_sig - 1);
	cp_arch_syscall6(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&bit, 0,
			 sizeof bit, 0, 0);
	t->fast_off &= ~CP_OFF_FRESH;
}

/* The routine without membarrier(2): real fences on the target's side.
 * The routine's own record of the call comes after the fence a canceller
 * would need, so the call is published first with a placeholder. */
static long cp_syscall_fenced(struct cp_thread *t, long nr, long a1, long a2,
			      long a3, long a4, long a5, long a6)
{
	uintptr_t outer = t->sp;
	long r;

	t->sp = CP_SP_ENTERING;
	cp_fence_slow();
	r = cp_syscall_asm(&t->pending, nr, a1, a2, a3, a4, a5, a6);
	t->sp = outer;
	cp_fence_slow();
	if (__builtin_expect(t->pending, 0))
		return cp_after(t, nr, r);
	return r;
}

#ifdef CP_TEST_STRATEGIES
/* Classic glibc <= 2.40, faithfully: asynchronous cancellation is on from
 * before the syscall until after it returns, so a request that arrives
 * between the kernel's return and the type switch acts and loses r.  The
 * "inside a call" record is kept as the other strategies keep it (sp), so
 * the canceller signals a blocked thread. */
static long cp_syscall_async(struct cp_thread *t, long nr, long a1, long a2,
			     long a3, long a4, long a5, long a6)
{
	int outer = t->async;
	long r;

	t->async = 1;
	cp_fence_local();
	if (t->pending)
		cp_act();
	r = cp_arch_syscall6(nr, a1, a2, a3, a4, a5, a6);
	t->async = outer;
	cp_fence_local();
	if (__builtin_expect(t->pending, 0))
		return cp_after(t, nr, r);
	return r;
}
#endif

long cp_syscall_slow(struct cp_thread *t, long nr, long a1, long a2, long a3,
		     long a4, long a5, long a6)
{
	if (t->fast_off & CP_OFF_FRESH)
		cp_thread_intro(t);
	if (t->disabled)
		return cp_arch_syscall6(nr, a1, a2, a3, a4, a5, a6);
#ifdef CP_TEST_STRATEGIES
	if (cp_decides(async))
		return cp_syscall_async(t, nr, a1, a2, a3, a4, a5, a6);
#endif
	if (__atomic_load_n(&cp_fast_off, __ATOMIC_ACQUIRE))
		return cp_syscall_fenced(t, nr, a1, a2, a3, a4, a5, a6);
	/* Introduced just now: the routine as the fast path runs it. */
	long r = cp_syscall_asm(&t->pending, nr, a1, a2, a3, a4, a5, a6);

	if (__builtin_expect(t->pending, 0))
		return cp_after(t, nr, r);
	return r;
}

long cp_call_slow(int libc_conv, long nr, const long a[6])
{
	long r = cp_syscall_slow(&cp_self, nr, a[0], a[1], a[2], a[3], a[4], a[5]);

	return libc_conv ? cp_ret(r) : r;
}

long cp_call_pending(long r, long nr, int libc_conv)
{
	r = cp_after(&cp_self, nr, r);
	return libc_conv ? cp_ret(r) : r;
}

long cp_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	return cp_call_inline(0, 6, nr, a1, a2, a3, a4, a5, a6);
}
