/* SPDX-License-Identifier: MIT */
/* step.c - one instruction further, on every arch (see step.h). */
#define _GNU_SOURCE
#include "step.h"

#include <stddef.h>
#include <sweep_arch.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#ifdef SWEEP_ATOMIC_LOAD
/* ---- atomic sequences: run through, not stepped --------------------- */

/* A load-exclusive / store-exclusive pair (aarch64's LDXR..STXR, riscv's
 * LR..SC) succeeds only when nothing happens between the two; every
 * ptrace stop is a trip through the kernel, which clears the exclusive
 * monitor or the reservation, so a single-stepped store-exclusive fails
 * forever and the loop around it never ends (glibc's atomics on CPUs
 * without single-instruction ones).  Like a debugger, the tracer runs such
 * a sequence as one step: breakpoints where it can leave (after the store
 * and its retry branch, and at the targets of the conditional branches
 * that jump out of it), continue, restore. */
#define SWEEP_ATOMIC_SCAN 16
#define SWEEP_ATOMIC_EXITS 4

static uint32_t sweep_insn(pid_t tid, uintptr_t pc)
{
	return (uint32_t)ptrace(PTRACE_PEEKTEXT, tid, (void *)pc, NULL);
}

static void sweep_exit_add(uintptr_t *exits, int *n, uintptr_t at)
{
	for (int k = 0; k < *n; k++)
		if (exits[k] == at)
			return;
	if (*n < SWEEP_ATOMIC_EXITS)
		exits[(*n)++] = at;
}

/* The addresses an atomic sequence that starts at pc can leave by, or 0
 * when pc is no load-exclusive. */
static int sweep_atomic_exits(pid_t tid, uintptr_t pc, uintptr_t *exits)
{
	uintptr_t at = pc, to;
	uint32_t i = sweep_insn(tid, pc);
	int n = 0;

	if (!SWEEP_ATOMIC_LOAD(i))
		return 0;
	for (int k = 0; k < SWEEP_ATOMIC_SCAN; k++) {
		at += SWEEP_INSN_LEN(i);
		i = sweep_insn(tid, at);
		to = sweep_arch_branch_target(at, i);
		if (to > at)
			sweep_exit_add(exits, &n, to);
		if (SWEEP_ATOMIC_STORE(i)) {
			at += SWEEP_INSN_LEN(i);
			i = sweep_insn(tid, at);
			to = sweep_arch_branch_target(at, i);
			if (to && to <= pc)   /* the retry branch: skip it too */
				at += SWEEP_INSN_LEN(i);
			sweep_exit_add(exits, &n, at);
			return n;
		}
	}
	return 0;       /* no store within reach: step it like any other */
}

/* Put a breakpoint at `at`, keeping the rest of the word as it is now
 * (another exit's breakpoint may already be in it). */
static int sweep_break_at(pid_t tid, uintptr_t at)
{
	long word;

	errno = 0;
	word = ptrace(PTRACE_PEEKTEXT, tid, (void *)at, NULL);
	if (errno)
		return -1;
	return ptrace(PTRACE_POKETEXT, tid, (void *)at,
		      (void *)((word & ~(long)SWEEP_BREAKPOINT_MASK) |
			       (long)SWEEP_BREAKPOINT)) ? -1 : 0;
}

/* Continue until one of the exits; 0 when the target stopped there.
 * PEEKTEXT and POKETEXT move a whole word, wider than an instruction, so
 * two exits close together (a branch back to just before the next
 * instruction) share bytes: every word is saved before any breakpoint goes
 * in, or a saved word would hold the other's breakpoint and put it back,
 * to trap on a later run through code that is no exit. */
static int sweep_run_through(pid_t tid, const uintptr_t *exits, int n)
{
	long saved[SWEEP_ATOMIC_EXITS];
	uintptr_t pc = 0, sp;
	int st, rc = 0;

	for (int k = 0; k < n; k++) {
		errno = 0;
		saved[k] = ptrace(PTRACE_PEEKTEXT, tid, (void *)exits[k], NULL);
		if (errno)
			return -1;
	}
	for (int k = 0; k < n; k++)
		if (sweep_break_at(tid, exits[k]))
			rc = -1;
	if (rc)
		goto restore;
	if (ptrace(PTRACE_CONT, tid, NULL, NULL) ||
	    waitpid(tid, &st, __WALL) != tid || !WIFSTOPPED(st) ||
	    WSTOPSIG(st) != SIGTRAP || sweep_arch_regs(tid, &pc, &sp))
		rc = -1;
restore:
	for (int k = n - 1; k >= 0; k--)
		if (ptrace(PTRACE_POKETEXT, tid, (void *)exits[k],
			   (void *)saved[k]))
			rc = -1;
	for (int k = 0; rc == 0 && k < n; k++)
		if (pc == exits[k])
			return 0;
	return -1;
}
#endif

int step_one(pid_t tid)
{
	int st;
#ifdef SWEEP_ATOMIC_LOAD
	uintptr_t pc = 0, sp, exits[SWEEP_ATOMIC_EXITS];
	int n;

	if (sweep_arch_regs(tid, &pc, &sp))
		return -1;
	if ((n = sweep_atomic_exits(tid, pc, exits)) > 0)
		return sweep_run_through(tid, exits, n);
#ifdef SWEEP_ARCH_SOFT_STEP
	if ((n = sweep_arch_next_pcs(tid, pc, sweep_insn(tid, pc), exits)) < 0)
		return -1;
	return sweep_run_through(tid, exits, n);
#endif
#endif
	if (ptrace(PTRACE_SINGLESTEP, tid, NULL, NULL) ||
	    waitpid(tid, &st, __WALL) != tid || !WIFSTOPPED(st))
		return -1;
	return 0;
}

