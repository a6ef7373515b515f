/* SPDX-License-Identifier: MIT */
/*
 * x86_64 pieces of the pc-sweep case (cases/pc-sweep.c): the register
 * names and the syscall instruction; the PTRACE_GETREGS reading they plug
 * into is support/sweep_getregs.h.
 */
#ifndef SWEEP_ARCH_H
#define SWEEP_ARCH_H

#define SWEEP_GETREGS_PC(r) ((r).rip)
#define SWEEP_GETREGS_SP(r) ((r).rsp)
/* `syscall` is 0f 05. */
#define SWEEP_GETREGS_IS_SYSCALL(op) ((op) == 0x050f)

#include "sweep_getregs.h"

#endif
