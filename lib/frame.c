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
 * alternate stack, between it and that stack's top).  The search cannot
 * pick "the" frame, though: older frames of the same shape survive in
 * memory the kernel did not rewrite, a previous thread's on a reused
 * stack at the same depth, or one inside the live frame's own extended
 * state area, which XSAVE writes only in part (seen on i386: a stale frame
 * 620 bytes above the live one, its PC on the landing pad, while the live
 * one sat on the syscall instruction).  So it answers for all of them: no
 * frame at all means the call was abandoned; a frame whose PC is in the
 * window means the call may enter the kernel again and needs a retry (a
 * retry that a stale frame caused is harmless: it is taken, and judged by
 * the PC, once the handler returns).
 *
 * Harmless only if a handler does return: a context that is no handler
 * at all, ordinary code gone deeper than an abandoned call, finds that
 * call's own stale frame in memory it has not written, and a re-raise
 * kept blocked "until the handler returns" would stay blocked in the
 * thread's mask.  The frame says who runs on top of it: the kernel saved
 * the interrupted mask in it and runs the handler with that mask plus the
 * handler's signal and sa_mask, so a context whose mask holds a signal the
 * frame's does not is a handler still running on top of it (CP_FRAME_LIVE).
 * Without that evidence (ordinary code, or a SA_NODEFER handler with an
 * empty sa_mask) the caller patches the frame instead of blocking
 * anything: a live one resumes at the landing pad, a stale one is memory
 * nobody reads.
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

#include <errno.h>
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

/* Set when process_vm_readv/writev are not available here (a seccomp
 * sandbox that denies them, a kernel without them): memory is then read
 * and written directly, which a range crossing a guard page would turn
 * into a fault, but which keeps a handler on top of a call from being
 * taken for an abandoned call (and its request lost). */
static int cp_vm_denied;

static long cp_vm_copy(long nr, void *buf, uintptr_t at, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)at, len };
	long pid = cp_arch_syscall6(SYS_getpid, 0, 0, 0, 0, 0, 0);
	long n = cp_arch_syscall6(nr, pid, (long)&local, 1, (long)&remote, 1, 0);

	if (n == -ENOSYS || n == -EPERM || n == -EACCES)
		__atomic_store_n(&cp_vm_denied, 1, __ATOMIC_RELAXED);
	return n;
}

/* Copy len bytes at address `at` of this process into buf; returns how
 * many could be read (0 at an unreadable address). */
static size_t cp_peek(void *buf, uintptr_t at, size_t len)
{
	long n;

	if (!__atomic_load_n(&cp_vm_denied, __ATOMIC_RELAXED)) {
		n = cp_vm_copy(SYS_process_vm_readv, buf, at, len);
		if (!__atomic_load_n(&cp_vm_denied, __ATOMIC_RELAXED))
			return n > 0 ? (size_t)n : 0;
	}
	__builtin_memcpy(buf, (const void *)at, len);
	return len;
}

static int cp_on_stack(uintptr_t a, const stack_t *alt)
{
	uintptr_t lo = (uintptr_t)alt->ss_sp;

	return !(alt->ss_flags & SS_DISABLE) && a >= lo && a - lo < alt->ss_size;
}

/* Rewrite the saved PC at `at` (a frame's) to the landing pad. */
static void cp_poke_landing(uintptr_t at)
{
	uintptr_t pc = (uintptr_t)cp_window_landing;

	if (__atomic_load_n(&cp_vm_denied, __ATOMIC_RELAXED) ||
	    cp_vm_copy(SYS_process_vm_writev, &pc, at, sizeof pc) != sizeof pc)
		*(uintptr_t *)at = pc;
}

/* Does the context with blocked signals `mask` run in a handler on top of
 * the frame whose ucontext is at `u`?  It blocks a signal the frame's saved
 * mask does not (the kernel's uc_sigmask sits where the C library's
 * ucontext_t has it, on every Linux arch; its first 64 bits suffice).  Our
 * own signal does not count: a re-raise may have blocked it in `mask`. */
static int cp_frame_live(uintptr_t u, uint64_t mask)
{
	uint64_t saved;

	if (cp_peek(&saved, u + offsetof(ucontext_t, uc_sigmask), sizeof saved)
	    != sizeof saved)
		return 0;
	return (mask & ~saved & ~(1ULL << (cp_sig - 1))) != 0;
}

/* Every signal frame in [lo, hi) whose saved context has this stack
 * pointer and a PC in the routine: CP_FRAME_FOUND, CP_FRAME_IN_WINDOW when
 * one has its PC in the window (with `patch`, those PCs are moved to the
 * landing pad), CP_FRAME_LIVE when such a one is a running handler's. */
static int cp_scan(uintptr_t lo, uintptr_t hi, uintptr_t sp, uint64_t mask,
		   int patch)
{
	uintptr_t words[32];
	uintptr_t a = (lo + sizeof(uintptr_t) - 1) & ~(uintptr_t)(sizeof(uintptr_t) - 1);
	int found = 0;

	while (a < hi) {
		size_t want = hi - a < sizeof words ? hi - a : sizeof words;
		size_t got = cp_peek(words, a, want) / sizeof(uintptr_t);

		for (size_t i = 0; i < got; i++) {
			uintptr_t u = a + i * sizeof(uintptr_t) - CP_ARCH_UC_SP_OFF;
			uintptr_t pc;

			if (words[i] != sp ||
			    cp_peek(&pc, u + CP_ARCH_UC_PC_OFF, sizeof pc) != sizeof pc ||
			    !cp_pc_in_routine(pc))
				continue;
			found |= CP_FRAME_FOUND;
			if (!cp_pc_in_window(pc))
				continue;
			found |= CP_FRAME_IN_WINDOW;
			if (cp_frame_live(u, mask))
				found |= CP_FRAME_LIVE;
			if (patch)
				cp_poke_landing(u + CP_ARCH_UC_PC_OFF);
		}
		if (got * sizeof(uintptr_t) < want)
			break;
		a += want;
	}
	return found;
}

int cp_frames(const struct cp_thread *t, uintptr_t from, int from_on_altstack,
	      const stack_t *alt, uint64_t mask, int patch)
{
	uintptr_t sp = t->sp;

	/* A context on the alternate stack above a call made elsewhere: the
	 * frame, if any, is on that stack, whose top bounds the search. */
	if (from_on_altstack && !cp_on_stack(sp, alt))
		return cp_scan(from, (uintptr_t)alt->ss_sp + alt->ss_size, sp,
			       mask, patch);
	/* Same stack: a live frame lies between the context and the call.  A
	 * context above the call (the stack grows down) has left it. */
	if (from >= sp)
		return 0;
	return cp_scan(from, sp, sp, mask, patch);
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
		if (cp_frames(t, from, from_on_altstack, alt, 0, 0))
			return;
	}
	t->sp = 0;
	cp_retry_stop(t);
}
