/* SPDX-License-Identifier: MIT */
/*
 * x86_64 pieces of the sigsys-trap case (cases/sigsys-trap.c): a SIGSYS
 * handler emulates the syscall that SECCOMP_RET_TRAP refused by writing
 * its result (%rax) into the interrupted context, which the kernel left
 * just past the syscall instruction.  The harness's arch interface, next
 * to libcp's.
 */
#ifndef TRAP_ARCH_H
#define TRAP_ARCH_H

#include <ucontext.h>

static inline void trap_arch_set_result(ucontext_t *uc, long result)
{
	uc->uc_mcontext.gregs[REG_RAX] = (greg_t)result;
}

#endif
