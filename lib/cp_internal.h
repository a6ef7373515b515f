/* SPDX-License-Identifier: MIT */
/*
 * cp_internal.h - libcp's per-thread state and the seams between its files.
 *
 * Every thread's state lives in static (initial-exec) TLS, so it exists,
 * initialised from the TLS image (all zero but fast_off, which sends the
 * thread's first call through the slow path that introduces it), for any
 * thread from the moment pthread_create returns, with no registration and
 * no allocation.  A canceller reaches another thread's
 * copy through cp_thread_of(): with initial-exec TLS both the variable and
 * the pthread_t (the libc's thread descriptor) sit at fixed offsets from
 * the thread pointer, so their distance is the same in every thread
 * (checked by the unit tests for glibc and musl layouts).
 */
#ifndef CP_INTERNAL_H
#define CP_INTERNAL_H

#include "cp_arch.h"
#include "cp_offsets.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>

#define CP_HIDDEN __attribute__((visibility("hidden")))

struct cp_thread {
	/* CP_OFF_PENDING: read by the asm routine.  Set once (0 -> 1) by the
	 * first cp_cancel; sticky, so every later cancellation point acts. */
	int pending;
	/* A cancel signal is on its way to this thread (or the canceller is
	 * still deciding whether to send one).  Leaving a cancellation point,
	 * changing the cancel state and acting wait for it, so it cannot later
	 * interrupt a non-cancellable call and surface as EINTR (cp_quiesce). */
	int sig_in_flight;
	/* Written only by the thread itself. */
	int disabled;   /* PTHREAD_CANCEL_DISABLE in force */
	int async;      /* PTHREAD_CANCEL_ASYNCHRONOUS in force */
	/* CP_OFF_SP: the stack pointer of the innermost cancellable call while
	 * the asm routine runs it (the routine saves the enclosing call's value
	 * on entry and puts it back on the way out), CP_SP_ENTERING while a
	 * fenced slow path is about to enter the routine, 0 outside.  Nonzero
	 * tells a canceller to signal; its value lets the handler find the
	 * signal frame of a handler that runs on top of the call (frame.c). */
	uintptr_t sp;
	/* Nonzero: this thread's cancellable calls take the slow path
	 * (CP_OFF_FRESH until its first call, CP_OFF_DISABLED while disabled). */
	int fast_off;
	/* The thread is inside cp_cancel: an asynchronous cancellation of
	 * its own waits until the request is complete (async-cancel safety). */
	int requesting;
	/* A re-raise of ours is held blocked in some mask (reraise strategy);
	 * cleared when it is delivered. */
	int reraise_held;
	/* The request is published but its signal could not be queued (the
	 * real-time queue is at RLIMIT_SIGPENDING): the next cp_cancel of this
	 * thread sends it again. */
	int sig_owed;
	/* "timer" strategy: the retry timer re-sending the signal. */
	int retry_armed;
	int retry_timer;
	/* Kernel thread id, recorded at the thread's first libcp call (the
	 * re-raise and the retry timer name it). */
	int tid;
	/* This thread's errno, cached by the first failing call: the libc's
	 * errno lives in the libc's TLS, reachable only through its accessor
	 * (a call through the GOT), and its address never changes for the
	 * life of the thread. */
	int *errno_at;
};

#define CP_OFF_FRESH 1
#define CP_OFF_DISABLED 2
#define CP_SP_ENTERING ((uintptr_t)1)

_Static_assert(__builtin_offsetof(struct cp_thread, pending) == CP_OFF_PENDING,
	       "cp_offsets.h: pending");
_Static_assert(__builtin_offsetof(struct cp_thread, sp) == CP_OFF_SP,
	       "cp_offsets.h: sp");

extern __thread struct cp_thread cp_self
	__attribute__((tls_model("initial-exec"))) CP_HIDDEN;

CP_HIDDEN struct cp_thread *cp_thread_of(pthread_t t);
/* Computes what cp_thread_of needs (cp_init runs it). */
CP_HIDDEN void cp_tls_delta_init(void);

/* The strategies (strategies.h): how the handler judges the interrupted
 * context (decide) and what becomes of a request declined because a
 * handler runs on top of a cancellation point (retry). */
enum cp_decide { CP_DECIDE_window, CP_DECIDE_pcsyscall, CP_DECIDE_async };
enum cp_retry { CP_RETRY_reraise, CP_RETRY_timer, CP_RETRY_none };
struct cp_strategy {
	const char *name;
	unsigned char flawed;   /* offered by the test build only */
	unsigned char decide;   /* enum cp_decide */
	unsigned char retry;    /* enum cp_retry */
};
/* The one in force (the table's first line until chosen otherwise). */
extern const struct cp_strategy *cp_mode CP_HIDDEN;
extern int cp_sig CP_HIDDEN;          /* the cancel signal number */
extern int cp_cancel_used CP_HIDDEN;  /* a request was made: strategy fixed */
/* What is wrong with a CP_STRATEGY value that cp_set_strategy refused:
 * a message that lists the strategies this build has (strategy.c). */
CP_HIDDEN const char *cp_strategy_error(const char *name);

/* Does the strategy in force decide / retry this way?  Only flawed
 * designs decide by pcsyscall or async, and they exist only in the test
 * build (CP_TEST_STRATEGIES): in the installed library those answers are
 * a constant 0, so their code is compiled out. */
#ifdef CP_TEST_STRATEGIES
#define CP_TEST_BUILD 1
#else
#define CP_TEST_BUILD 0
#endif
#define CP_DECIDE_ONLY_FLAWED_window 0
#define CP_DECIDE_ONLY_FLAWED_pcsyscall 1
#define CP_DECIDE_ONLY_FLAWED_async 1
#define cp_decides(how) ((CP_TEST_BUILD || !CP_DECIDE_ONLY_FLAWED_##how) && \
			 cp_mode->decide == CP_DECIDE_##how)
#define cp_retries(how) (cp_mode->retry == CP_RETRY_##how)

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

/* The thread's first libcp call (cp_thread_intro): record its tid, make
 * sure libcp's signal is not blocked in the mask it inherited, clear
 * CP_OFF_FRESH. */
CP_HIDDEN void cp_thread_intro(struct cp_thread *t);

/* Outside every cancellable call (sp == 0): a re-raise of ours still held
 * blocked in this thread's mask is let through (cp_release_held). */
CP_HIDDEN void cp_release_held(struct cp_thread *t);

/* The signal frames of a handler running on top of the innermost
 * cancellable call, searched from stack address `from` (frame.c): 0 when
 * there is none (the call was abandoned: a handler left it by siglongjmp),
 * else CP_FRAME_FOUND, with CP_FRAME_IN_WINDOW when the call may enter the
 * kernel again once the handler returns, and CP_FRAME_LIVE when such a
 * frame is shown to belong to a handler that still runs: `mask`, the
 * blocked signals of the context searched from, holds one that frame's
 * saved mask does not (the handler's own signal or its sa_mask).  With
 * `patch`, the in-window frames resume at the landing pad instead. */
#define CP_FRAME_FOUND 1
#define CP_FRAME_IN_WINDOW 2
#define CP_FRAME_LIVE 4
CP_HIDDEN int cp_frames(const struct cp_thread *t, uintptr_t from,
			int from_on_altstack, const stack_t *alt,
			uint64_t mask, int patch);

/* Forget a cancellable call that was abandoned (cp_find_frame found no
 * frame from `from`): sp back to the innermost call still alive, or 0 and
 * the retry timer stopped. */
CP_HIDDEN void cp_abandoned(struct cp_thread *t, uintptr_t from,
			    int from_on_altstack, const stack_t *alt);

/* The test build counts where its signal lands (coverage.c, the classes
 * of landings.h) for the storm's coverage; the installed library has no
 * such code. */
#ifdef CP_TEST_STRATEGIES
CP_HIDDEN void cp_cover_note(const struct cp_thread *t, const ucontext_t *uc);
#else
#define cp_cover_note(t, uc) ((void)0)
#endif

/* Is pc inside the routine / inside its window? */
CP_HIDDEN int cp_pc_in_routine(uintptr_t pc);
CP_HIDDEN int cp_pc_in_window(uintptr_t pc);


/* The timer strategy's retry (retry_timer.c); async-signal-safe.  Start
 * returns 0, or -1 when no timer could be made. */
CP_HIDDEN int cp_retry_start(struct cp_thread *t);
CP_HIDDEN void cp_retry_stop(struct cp_thread *t);

/* Install the handler, pick the signal, strategy and fence (once). */
CP_HIDDEN void cp_init(void);

/* libcp's signal as a bit of a kernel signal set (initialises libcp if a
 * wrapper runs before anything else did). */
static inline uint64_t cp_sig_bit(void)
{
	if (__builtin_expect(!cp_sig, 0))
		cp_init();
	return 1ULL << (cp_sig - 1);
}

/* A caller's signal set as the kernel gets it: a copy without libcp's
 * signal, which no mask of the caller's may hold off during a wait and
 * no wait of the caller's may take (it would be consumed instead of
 * running its handler).  NULL stays NULL. */
static inline const uint64_t *cp_sigset_without_ours(const sigset_t *set,
						     uint64_t *copy)
{
	if (!set)
		return NULL;
	__builtin_memcpy(copy, set, sizeof *copy);
	*copy &= ~cp_sig_bit();
	return copy;
}

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
static inline long cp_arch_window_call(const int *pending, int nargs, long nr,
				       long a1, long a2, long a3, long a4,
				       long a5, long a6)
{
	(void)nargs;
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

/* The cancellable syscall, inlined into every wrapper: the asm routine
 * publishes the call (sp, see struct cp_thread; a canceller runs
 * membarrier before it reads it, so no fence is needed here, see
 * lib/cancel.c), checks `pending`, enters the kernel and unpublishes, all
 * within its own code, so every PC where the thread counts as "inside" lies
 * in the routine.  A thread's first call, disabled cancellation, the async
 * strategy and the no-membarrier fallback take cp_call_slow().  nargs: how
 * many arguments the syscall reads (an arch may leave the registers of the
 * others as they are); a1..a6 past it are 0. */
static inline __attribute__((always_inline)) long
cp_call_inline(int libc_conv, int nargs, long nr, long a1, long a2, long a3,
	       long a4, long a5, long a6)
{
	long r;

	/* cp_self's fields by name, not through a pointer: the TLS address
	 * is never null, and UBSan's null check on a pointer to it reads the
	 * flags of an instruction the linker may relax away (IE -> LE). */
	if (__builtin_expect(cp_self.fast_off | cp_fast_off, 0)) {
		const long a[6] = { a1, a2, a3, a4, a5, a6 };

		return cp_call_slow(libc_conv, nr, a);
	}
	r = cp_arch_window_call(&cp_self.pending, nargs, nr, a1, a2, a3, a4, a5,
				a6);
	if (__builtin_expect(cp_self.pending, 0))
		return cp_call_pending(r, nr, libc_conv);
	return libc_conv ? cp_ret(r) : r;
}

/* A wrapper's whole body: the inlined cancellable syscall, ending in the
 * one -errno -> errno conversion (cp_ret).  CP_CALL passes all six
 * arguments, constant zeros included: a syscall that reads its fourth to
 * sixth argument must find those zeros (wait4's rusage, accept4's flags).
 * CP_CALL3 is for a syscall of at most three arguments. */
#define CP_CALL(nr, a1, a2, a3, a4, a5, a6)                                  \
	cp_call_inline(1, 6, (nr), (long)(a1), (long)(a2), (long)(a3),       \
		       (long)(a4), (long)(a5), (long)(a6))
#define CP_CALL3(nr, a1, a2, a3)                                             \
	cp_call_inline(1, 3, (nr), (long)(a1), (long)(a2), (long)(a3), 0, 0, 0)

#endif
