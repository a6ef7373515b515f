/* SPDX-License-Identifier: MIT */
/*
 * aarch64 pieces of the pc-sweep case (cases/pc-sweep.c): the register
 * names and the syscall instruction; the regset reading they plug into is
 * support/sweep_regset.h.
 */
#ifndef SWEEP_ARCH_H
#define SWEEP_ARCH_H

#include <sys/user.h>

#define SWEEP_REGSET_PC(r) ((r).pc)
#define SWEEP_REGSET_SP(r) ((r).sp)
/* `bl` leaves the return address in x30, the link register. */
#define SWEEP_REGSET_LINK(r) ((r).regs[30])
/* `svc #0` */
#define SWEEP_REGSET_SYSCALL_WORD 0xd4000001UL

#include "sweep_regset.h"

#endif
