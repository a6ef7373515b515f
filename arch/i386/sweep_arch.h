/* SPDX-License-Identifier: MIT */
/*
 * i386 pieces of the pc-sweep case (cases/pc-sweep.c): the register
 * names and the syscall instruction; the PTRACE_GETREGS reading they plug
 * into is support/sweep_getregs.h.
 */
#ifndef SWEEP_ARCH_H
#define SWEEP_ARCH_H

#define SWEEP_GETREGS_PC(r) ((r).eip)
#define SWEEP_GETREGS_SP(r) ((r).esp)
/* `int $0x80` is cd 80. */
#define SWEEP_GETREGS_SYSCALL_BYTES 0x80cd

#include "sweep_getregs.h"

#endif
