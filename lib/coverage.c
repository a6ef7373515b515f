/* SPDX-License-Identifier: MIT */
/*
 * coverage.c - the test build's landing-site count (never in the
 * installed library): where each cancel signal interrupted the thread,
 * in the classes of landings.h, so that the storm can tell which of the
 * handler's paths its cancels reach and aim at the ones they do not.
 *
 * The handler calls cp_cover_note() before it decides; the class is
 * judged here from the same state the decision reads, with the same
 * helpers (frame.c), without changing anything.  The count itself is the
 * program's: it defines cp_test_landed(), which this file references
 * weakly, so every other program of the suite (and libcp's own unit
 * tests) runs without it and pays only for one null test.
 */
#define _GNU_SOURCE
#include "cp_internal.h"
#include "cp_arch.h"

#include <signal.h>

enum cp_landing {
#define CP_LANDING(name, what) CP_LANDING_##name,
#include "landings.h"
#undef CP_LANDING
};

/* Defined by the program that counts (the storm); null elsewhere. */
extern void cp_test_landed(int landing)
	__attribute__((weak, visibility("default")));
extern void cp_test_window(const void *begin, const void *landing)
	__attribute__((weak, visibility("default")));

/* Where the window begins and where its landing pad is, told once at
 * load to a program that holds threads there with breakpoints (the
 * storm's window-trap op): a cancel then lands on instructions that its
 * timing alone would almost never find. */
__attribute__((constructor)) static void cp_cover_announce(void)
{
	if (cp_test_window)
		cp_test_window(cp_window_begin, cp_window_landing);
}

static int cp_landing_of(const struct cp_thread *t, const ucontext_t *uc)
{
	uintptr_t pc = cp_arch_pc(uc);
	int frames;

	if (t->disabled)
		return CP_LANDING_disabled;
	if (t->async)
		return CP_LANDING_async;
	if (cp_pc_in_window(pc))
		return cp_arch_is_syscall_insn(pc) ? CP_LANDING_at_syscall
						   : CP_LANDING_before_syscall;
	if (pc >= (uintptr_t)cp_window_end && pc < (uintptr_t)cp_window_landing)
		return CP_LANDING_after_syscall;
	if (cp_pc_in_routine(pc) || t->sp == CP_SP_ENTERING)
		return CP_LANDING_routine_bookkeeping;
	if (!t->sp)
		return CP_LANDING_ordinary;
	frames = cp_frames(t, cp_arch_sp(uc), uc->uc_stack.ss_flags & SS_ONSTACK,
			   &uc->uc_stack, 0, 0);
	if (!frames)
		return CP_LANDING_abandoned;
	return frames & CP_FRAME_IN_WINDOW ? CP_LANDING_handler_on_call
					   : CP_LANDING_handler_on_completed;
}

void cp_cover_note(const struct cp_thread *t, const ucontext_t *uc)
{
	if (cp_test_landed && t->pending)
		cp_test_landed(cp_landing_of(t, uc));
}
