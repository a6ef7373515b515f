/* SPDX-License-Identifier: MIT */
/*
 * i386 pieces of the pc-sweep case (cases/pc-sweep.c): the register
 * names and the instructions that enter the kernel; the PTRACE_GETREGS
 * reading they plug into is support/sweep_getregs.h.
 */
#ifndef SWEEP_ARCH_H
#define SWEEP_ARCH_H

#define SWEEP_GETREGS_PC(r) ((r).eip)
#define SWEEP_GETREGS_SP(r) ((r).esp)
/* libcp's routine enters with `int $0x80` (cd 80).  glibc's wrappers call
 * *%gs:0x10, __kernel_vsyscall in the vDSO, which the tracer steps into
 * like any call: there a 64-bit kernel's compat vDSO enters with
 * `sysenter` (0f 34) on Intel CPUs or `syscall` (0f 05) on AMD's, with
 * `int $0x80` after them for the restart and the CPUs that have neither. */
#define SWEEP_GETREGS_IS_SYSCALL(op) \
	((op) == 0x80cd || (op) == 0x340f || (op) == 0x050f)

#include "sweep_getregs.h"

#endif
