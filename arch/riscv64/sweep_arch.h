/* SPDX-License-Identifier: MIT */
/*
 * riscv64 pieces of the pc-sweep case (cases/pc-sweep.c): the register
 * names and the syscall instruction; the regset reading they plug into is
 * support/sweep_regset.h.
 */
#ifndef SWEEP_ARCH_H
#define SWEEP_ARCH_H

#include <asm/ptrace.h>   /* struct user_regs_struct: glibc has none for riscv */
#include <stdint.h>

#define SWEEP_REGSET_PC(r) ((r).pc)
#define SWEEP_REGSET_SP(r) ((r).sp)
/* `jal`/`call` leave the return address in ra. */
#define SWEEP_REGSET_LINK(r) ((r).ra)
/* `ecall` */
#define SWEEP_REGSET_SYSCALL_WORD 0x73UL

/* Atomic sequences, which the tracer runs through as one step (support/
 * sweep.c): lr.w/lr.d opens one, sc.w/sc.d closes it; Linux clears the
 * reservation on every return from a trap, so a single-stepped sc always
 * fails.  Instructions are 2 bytes (C extension) or 4. */
#define SWEEP_INSN_LEN(i) (((i) & 3u) == 3u ? 4 : 2)
#define SWEEP_ATOMIC_LOAD(i) (((i) & 0x7fu) == 0x2fu && ((i) >> 27) == 0x02u)
#define SWEEP_ATOMIC_STORE(i) (((i) & 0x7fu) == 0x2fu && ((i) >> 27) == 0x03u)
/* `c.ebreak`: two bytes, so it never covers the instruction after it */
#define SWEEP_BREAKPOINT 0x9002UL
#define SWEEP_BREAKPOINT_MASK 0xffffUL

/* Where a conditional branch (beq..bgeu, c.beqz, c.bnez) at pc goes, or 0
 * when insn is none. */
static inline uintptr_t sweep_arch_branch_target(uintptr_t pc, uint32_t i)
{
	int32_t off;

	if ((i & 3u) == 3u) {
		if ((i & 0x7fu) != 0x63u)
			return 0;
		off = (int32_t)((((i >> 31) & 1u) << 12) | (((i >> 7) & 1u) << 11) |
				(((i >> 25) & 0x3fu) << 5) | (((i >> 8) & 0xfu) << 1));
		off = (off << 19) >> 19;
		return pc + (uintptr_t)(intptr_t)off;
	}
	if ((i & 3u) != 1u || ((i >> 13) & 7u) < 6u)
		return 0;
	off = (int32_t)((((i >> 12) & 1u) << 8) | (((i >> 10) & 3u) << 3) |
			(((i >> 5) & 3u) << 6) | (((i >> 3) & 3u) << 1) |
			(((i >> 2) & 1u) << 5));
	off = (off << 23) >> 23;
	return pc + (uintptr_t)(intptr_t)off;
}

#include "sweep_regset.h"

/* RISC-V has no hardware single step: Linux refuses PTRACE_SINGLESTEP
 * there (EIO).  The tracer steps in software, like a debugger: a
 * breakpoint on every address the instruction at pc can go to next. */
#define SWEEP_ARCH_SOFT_STEP 1

static inline uintptr_t sweep_arch_xreg(const struct user_regs_struct *r,
					unsigned n)
{
	/* pc, then x1 (ra) .. x31 in order; x0 reads as 0 */
	return n ? (uintptr_t)((const unsigned long *)r)[n] : 0;
}

/* The addresses the instruction `i` at pc can go to next (1 or 2), or -1
 * when the registers cannot be read. */
static inline int sweep_arch_next_pcs(pid_t tid, uintptr_t pc, uint32_t i,
				      uintptr_t next[2])
{
	struct user_regs_struct r;
	int32_t off;

	next[0] = pc + (uintptr_t)SWEEP_INSN_LEN(i);
	if ((i & 3u) == 3u) {
		switch (i & 0x7fu) {
		case 0x6fu:                                     /* jal */
			off = (int32_t)((((i >> 31) & 1u) << 20) |
					(((i >> 21) & 0x3ffu) << 1) |
					(((i >> 20) & 1u) << 11) |
					(((i >> 12) & 0xffu) << 12));
			next[0] = pc + (uintptr_t)(intptr_t)((off << 11) >> 11);
			return 1;
		case 0x67u:                                     /* jalr */
			if (sweep_arch_getregs(tid, &r))
				return -1;
			next[0] = (sweep_arch_xreg(&r, (i >> 15) & 31u) +
				   (uintptr_t)(intptr_t)((int32_t)i >> 20)) &
				  ~(uintptr_t)1;
			return 1;
		}
	} else if ((i & 3u) == 1u && ((i >> 13) & 7u) == 5u) { /* c.j */
		off = (int32_t)((((i >> 12) & 1u) << 11) | (((i >> 11) & 1u) << 4) |
				(((i >> 9) & 3u) << 8) | (((i >> 8) & 1u) << 10) |
				(((i >> 7) & 1u) << 6) | (((i >> 6) & 1u) << 7) |
				(((i >> 3) & 7u) << 1) | (((i >> 2) & 1u) << 5));
		next[0] = pc + (uintptr_t)(intptr_t)((off << 20) >> 20);
		return 1;
	} else if ((i & 3u) == 2u && ((i >> 13) & 7u) == 4u &&
		   ((i >> 2) & 31u) == 0 && ((i >> 7) & 31u) != 0) {
		/* c.jr, c.jalr: to the register's address */
		if (sweep_arch_getregs(tid, &r))
			return -1;
		next[0] = sweep_arch_xreg(&r, (i >> 7) & 31u) & ~(uintptr_t)1;
		return 1;
	}
	next[1] = sweep_arch_branch_target(pc, i);          /* taken or not */
	return next[1] ? 2 : 1;
}

#endif
