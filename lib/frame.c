/* SPDX-License-Identifier: MIT */
/*
 * frame.c - is a handler running on top of the innermost cancellable call,
 * or was that call abandoned?
 *
 * When the kernel delivers a signal to a thread that is inside the
 * routine, it saves the thread's context in a signal frame: on the stack
 * just below the routine's stack pointer (below the red zone where the ABI
 * has one), or at the top of the alternate signal stack when the handler
 * asked for it.  That saved context holds the routine's stack pointer,
 * exactly the `sp` the routine recorded, and a PC inside the routine.  The
 * frame lives as long as the handler has not returned: sigreturn reads it
 * back.  A handler that leaves by siglongjmp abandons it, and with it the
 * call; `sp` then still names the call, which no longer exists.
 *
 * So: a handler runs on top of the call exactly when such a frame lies
 * between the interrupted stack pointer and `sp` (or, for a context on the
 * alternate stack, between it and that stack's top).  The search keeps the
 * highest match: a copy of the context that the handler itself made (in
 * its own frame, which lies below the kernel's) is never taken for it.  A
 * frame left by an earlier handler on top of the same call was overwritten
 * by the current one, which the kernel put at the same place.
 *
 * The memory searched is read through process_vm_readv on our own
 * process, never dereferenced: after an escape to another stack (a
 * coroutine's, say) the range may cross guard pages or unmapped memory,
 * which then only ends the search.  Async-signal-safe, no allocation, a
 * small buffer (the handler may run on a minimal alternate stack).
 */
#define _GNU_SOURCE
#include "cp_internal.h"
#include "cp_arch.h"

#include <signal.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/uio.h>

int cp_pc_in_window(uintptr_t pc)
{
	return pc >= (uintptr_t)cp_window_begin && pc < (uintptr_t)cp_window_end;
}

int cp_pc_in_routine(uintptr_t pc)
{
	return pc >= (uintptr_t)cp_syscall_asm && pc < (uintptr_t)cp_routine_end;
}

/* Copy len bytes at address `at` of this process into buf; returns how
 * many could be read (0 at an unreadable address). */
static size_t cp_peek(void *buf, uintptr_t at, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)at, len };
	long pid = cp_arch_syscall6(SYS_getpid, 0, 0, 0, 0, 0, 0);
	long n = cp_arch_syscall6(SYS_process_vm_readv, pid, (long)&local, 1,
				  (long)&remote, 1, 0);

	return n > 0 ? (size_t)n : 0;
}

static int cp_on_stack(uintptr_t a, const stack_t *alt)
{
	uintptr_t lo = (uintptr_t)alt->ss_sp;

	return !(alt->ss_flags & SS_DISABLE) && a >= lo && a - lo < alt->ss_size;
}

/* A signal frame whose saved context has this stack pointer and a PC in
 * the routine, within [lo, hi): its ucontext, or NULL. */
static ucontext_t *cp_scan(uintptr_t lo, uintptr_t hi, uintptr_t sp)
{
	uintptr_t words[32], found = 0;
	uintptr_t a = (lo + sizeof(uintptr_t) - 1) & ~(uintptr_t)(sizeof(uintptr_t) - 1);

	while (a < hi) {
		size_t want = hi - a < sizeof words ? hi - a : sizeof words;
		size_t got = cp_peek(words, a, want) / sizeof(uintptr_t);

		for (size_t i = 0; i < got; i++) {
			uintptr_t u = a + i * sizeof(uintptr_t) - CP_ARCH_UC_SP_OFF;
			uintptr_t pc;

			if (words[i] == sp &&
			    u + CP_ARCH_UC_PC_OFF + sizeof pc <= hi &&
			    cp_peek(&pc, u + CP_ARCH_UC_PC_OFF, sizeof pc) == sizeof pc &&
			    cp_pc_in_routine(pc))
				found = u;
		}
		if (got * sizeof(uintptr_t) < want)
			break;
		a += want;
	}
	return (ucontext_t *)found;
}

ucontext_t *cp_find_frame(const struct cp_thread *t, uintptr_t from,
			  int from_on_altstack, const stack_t *alt)
{
	uintptr_t sp = t->sp;

	/* A context on the alternate stack above a call made elsewhere: the
	 * frame, if any, is on that stack, whose top bounds the search. */
	if (from_on_altstack && !cp_on_stack(sp, alt))
		return cp_scan(from, (uintptr_t)alt->ss_sp + alt->ss_size, sp);
	/* Same stack: a live frame lies between the context and the call.  A
	 * context above the call (the stack grows down) has left it. */
	if (from >= sp)
		return NULL;
	return cp_scan(from, sp, sp);
}

/* The routine keeps the enclosing call's `sp` on its own stack, at the
 * address it records (every arch's syscall_cp.S): a call nested in a
 * handler that runs on top of another call links back to it.  Walking that
 * link from an abandoned call finds the innermost call still alive; the
 * memory of an abandoned call may have been reused since, so a link is
 * believed only if it points further up the stack and a live frame stands
 * on top of the call it names. */
void cp_abandoned(struct cp_thread *t, uintptr_t from, int from_on_altstack,
		  const stack_t *alt)
{
	uintptr_t sp = t->sp, up;

	for (int depth = 0; depth < 16; depth++, sp = up) {
		if (cp_peek(&up, sp, sizeof up) != sizeof up || up <= sp)
			break;
		t->sp = up;
		if (cp_find_frame(t, from, from_on_altstack, alt))
			return;
	}
	t->sp = 0;
	cp_retry_stop(t);
}
