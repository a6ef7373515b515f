/* SPDX-License-Identifier: MIT */
/*
 * test_frames.c - the search for the signal frame of a handler that runs
 * on top of a cancellation point (lib/frame.c), where the frame is not
 * simply just below the call: on a sigaltstack, or with an older frame of
 * the same call left in memory above the live one, or a handler whose
 * mask shows nothing of it.  In each, a request that lands in the handler
 * must act once the handler returns to the blocked read.
 */
#include "unit.h"
#include "cp_internal.h"

#include <cp.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <frame_arch.h>
#include <procfs.h>
#include <verdict.h>

static void install_hold(int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = hold_handler;
	sa.sa_flags = SA_RESTART | flags;
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
}

/* Request made while SIGUSR1's handler holds the thread on top of its
 * read; released; the read must then be cancelled. */
static void request_in_handler_acts(struct unit_target *t, const char *where)
{
	unit_request_on_handler(t);
	ck_assert(unit_wait_sig_settled(t, cp_signal()));
	flag_set(&hold.release);
	unit_join_cancelled(t, where);
}

/* ---- a handler on a sigaltstack below the call ---------------------- */

/* The alternate stack from malloc, below the thread's stack (mmap places
 * thread stacks first): the handler's frame lies between the interrupted
 * stack pointer and the call's, as on the thread's own stack. */
static void *altstack;

static void body_read_on_altstack(struct unit_target *t)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = 1 << 16 };
	char c;

	ck_assert_int_eq(sigaltstack(&ss, NULL), 0);
	pthread_cleanup_push(unit_altstack_off, NULL);
	t->result = cp_read(unit_pipe[0], &c, 1);
	t->returned = 1;
	pthread_cleanup_pop(1);
}

static uintptr_t stack_of(pthread_t th)
{
	pthread_attr_t a;
	void *addr = NULL;
	size_t size = 0;

	ck_assert_int_eq(pthread_getattr_np(th, &a), 0);
	pthread_attr_getstack(&a, &addr, &size);
	pthread_attr_destroy(&a);
	return (uintptr_t)addr;
}

START_TEST(handler_on_altstack_below_the_call)
{
	struct unit_target t = { 0 };

	altstack = malloc(1 << 16);
	ck_assert_ptr_nonnull(altstack);
	install_hold(SA_ONSTACK);
	unit_start(&t, body_read_on_altstack);
	ck_assert_msg((uintptr_t)altstack < stack_of(t.th), "malloc gave an "
		      "alternate stack above the thread's stack here");
	request_in_handler_acts(&t, "in a handler on a sigaltstack below the "
				"thread's stack, on top of the read");
	free(altstack);
}
END_TEST

/* ---- a state switch in a handler on a sigaltstack above the call ------ */

/*
 * SIGUSR1's handler runs on an alternate stack above the thread's stack
 * (in the main thread's stack), on top of the blocked read, and switches
 * its cancel state there (a no-op switch: enabled to enabled).  Libcp then
 * looks for the handler's frame to tell a live call from an abandoned one:
 * above the call, it is on the alternate stack.  Taking the live call for
 * an abandoned one would forget it, and a request made once the handler
 * has returned would find the thread "outside every call" and send no
 * signal: lost.
 */
static int handler_returned(void *p)
{
	(void)p;
	return hold.in == 0;
}

static void switching_handler(int sig)
{
	cp_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	hold_handler(sig);
}

START_TEST(state_switch_on_altstack_above_the_call)
{
	char above[1 << 16] __attribute__((aligned(16)));
	struct unit_target t = { 0 };
	struct sigaction sa;

	altstack = above;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = switching_handler;
	sa.sa_flags = SA_RESTART | SA_ONSTACK;
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	unit_start(&t, body_read_on_altstack);
	ck_assert_msg((uintptr_t)altstack > stack_of(t.th), "the main thread's "
		      "stack is not above the thread's stack here");
	unit_wait_in_syscall(&t, SYS_read);
	pthread_kill(t.th, SIGUSR1);
	ck_assert(unit_flag_wait_bounded(&hold.entered, UNIT_WAIT_MS));
	flag_set(&hold.release);
	ck_assert(wait_until(handler_returned, NULL, UNIT_WAIT_MS));
	unit_wait_in_syscall(&t, SYS_read);
	ck_assert_int_eq(cp_cancel(t.th), 0);
	unit_join_cancelled(&t, "made after a handler on a sigaltstack above "
			    "the thread's stack switched its cancel state (the "
			    "blocked read was forgotten)");
}
END_TEST

/* ---- an older frame above the live one ------------------------------- */

/*
 * Memory above the live signal frame may still hold an older frame of the
 * same call (the kernel does not clear what it does not write: seen on
 * i386 inside a partly written XSAVE area).  The handler forges one above
 * the live frame's saved registers, in bytes the kernel neither writes
 * nor reads back (the red zone, or an unused part of the live frame's FP
 * area: <frame_arch.h>): a saved stack pointer equal to the call's and a
 * PC past the window, as a frame saved after the call completed would
 * have.  The live frame, below it, has its PC in the window: the search
 * must answer for both, so the request is retried.  Forged below the live
 * frame it would prove nothing: a search that believed only the highest
 * frame would still see the live one.
 */
static uintptr_t forged_sp_slot, forged_pc_slot, live_sp_slot;

static void forging_handler(int sig, siginfo_t *si, void *ctx)
{
	uintptr_t sp = cp_thread_of(pthread_self())->sp;
	uintptr_t at = frame_arch_older_sp_slot(ctx, sp);

	(void)si;
	forged_sp_slot = at;
	forged_pc_slot = at + (CP_ARCH_UC_PC_OFF - CP_ARCH_UC_SP_OFF);
	live_sp_slot = (uintptr_t)ctx + CP_ARCH_UC_SP_OFF;
	*(uintptr_t *)forged_sp_slot = sp;                /* call's SP */
	*(uintptr_t *)forged_pc_slot = (uintptr_t)cp_window_end; /* completed */
	hold_handler(sig);
}

static void body_read(struct unit_target *t)
{
	char c;

	t->result = cp_read(unit_pipe[0], &c, 1);
	t->returned = 1;
}

START_TEST(older_frame_above_the_live_one)
{
	struct unit_target t = { 0 };
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = forging_handler;
	sa.sa_flags = SA_RESTART | SA_SIGINFO;
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	unit_start(&t, body_read);
	request_in_handler_acts(&t, "in a handler whose live frame sits below "
				"an older frame of the same call");
	ck_assert_msg(forged_sp_slot > live_sp_slot &&
		      forged_pc_slot > live_sp_slot,
		      "the forged frame (SP at %#lx, PC at %#lx) is not above "
		      "the live frame's SP slot (%#lx): <frame_arch.h>",
		      (unsigned long)forged_sp_slot,
		      (unsigned long)forged_pc_slot,
		      (unsigned long)live_sp_slot);
}
END_TEST

/* ---- a live handler that blocks nothing more ------------------------ */

/*
 * A handler installed with SA_NODEFER and an empty sa_mask runs with the
 * very mask its frame saved: nothing shows it is a handler rather than
 * ordinary code over a stale frame, so libcp patches its frame instead of
 * keeping a re-raise blocked (or ticking).  The request must still act
 * once the handler returns to the blocked read, under either strategy.
 */
START_TEST(handler_with_nothing_blocked_on_top)
{
	static const char *const strategy[] = { "reraise", "timer" };
	struct unit_target t = { 0 };

	ck_assert_int_eq(cp_set_strategy(strategy[_i]), 0);
	install_hold(SA_NODEFER);
	unit_start(&t, body_read);
	request_in_handler_acts(&t, "in a SA_NODEFER handler with an empty "
				"sa_mask on top of the read");
}
END_TEST

Suite *unit_suite_frames(void)
{
	Suite *s = suite_create("frames");
	TCase *tc = tcase_create("frames");

	tcase_add_checked_fixture(tc, unit_pipe_open, unit_pipe_close);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, handler_on_altstack_below_the_call);
	tcase_add_test(tc, state_switch_on_altstack_above_the_call);
	tcase_add_test(tc, older_frame_above_the_live_one);
	tcase_add_loop_test(tc, handler_with_nothing_blocked_on_top, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
