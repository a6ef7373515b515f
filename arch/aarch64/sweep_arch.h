/* SPDX-License-Identifier: MIT */
/*
 * aarch64 pieces of the pc-sweep case (cases/pc-sweep.c): the register
 * names and the syscall instruction; the regset reading they plug into is
 * support/sweep_regset.h.
 */
#ifndef SWEEP_ARCH_H
#define SWEEP_ARCH_H

#include <stdint.h>
#include <sys/user.h>

#define SWEEP_REGSET_PC(r) ((r).pc)
#define SWEEP_REGSET_SP(r) ((r).sp)
/* `bl` leaves the return address in x30, the link register. */
#define SWEEP_REGSET_LINK(r) ((r).regs[30])
/* `svc #0` */
#define SWEEP_REGSET_SYSCALL_WORD 0xd4000001UL

/* Atomic sequences, which the tracer runs through as one step (support/
 * sweep.c): a load-exclusive (LDXR, LDAXR, LDXP, LDAXP, byte and half
 * forms) opens one, a store-exclusive closes it.  An ARMv8.0 CPU without
 * LSE atomics (cortex-a72) makes glibc's atomics such loops. */
#define SWEEP_INSN_LEN(i) 4
#define SWEEP_ATOMIC_LOAD(i) (((i) & 0x3fc00000u) == 0x08400000u)
#define SWEEP_ATOMIC_STORE(i) (((i) & 0x3fc00000u) == 0x08000000u)
/* `brk #0` */
#define SWEEP_BREAKPOINT 0xd4200000UL
#define SWEEP_BREAKPOINT_MASK 0xffffffffUL

/* Where a conditional branch (B.cond, CBZ/CBNZ, TBZ/TBNZ) at pc goes, or
 * 0 when insn is none. */
static inline uintptr_t sweep_arch_branch_target(uintptr_t pc, uint32_t i)
{
	if ((i & 0xff000010u) == 0x54000000u || (i & 0x7e000000u) == 0x34000000u)
		return pc + (uintptr_t)((int64_t)((int32_t)(i << 8) >> 13) * 4);
	if ((i & 0x7e000000u) == 0x36000000u)
		return pc + (uintptr_t)((int64_t)((int32_t)(i << 13) >> 18) * 4);
	return 0;
}

#include "sweep_regset.h"

#endif
