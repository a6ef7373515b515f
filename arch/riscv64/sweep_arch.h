/* SPDX-License-Identifier: MIT */
/*
 * riscv64 pieces of the pc-sweep case (cases/pc-sweep.c): the register
 * names and the syscall instruction; the regset reading they plug into is
 * support/sweep_regset.h.
 */
#ifndef SWEEP_ARCH_H
#define SWEEP_ARCH_H

#include <asm/ptrace.h>   /* struct user_regs_struct: glibc has none for riscv */

#define SWEEP_REGSET_PC(r) ((r).pc)
#define SWEEP_REGSET_SP(r) ((r).sp)
/* `jal`/`call` leave the return address in ra. */
#define SWEEP_REGSET_LINK(r) ((r).ra)
/* `ecall` */
#define SWEEP_REGSET_SYSCALL_WORD 0x73UL

#include "sweep_regset.h"

#endif
