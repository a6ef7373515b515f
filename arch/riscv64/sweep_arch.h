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
/* `c.ebreak`: two bytes, so it never covers the next instruction */
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

#endif
