/* SPDX-License-Identifier: MIT */
/*
 * x86_64 pieces of the pc-sweep case (cases/pc-sweep.c): reading a
 * ptrace-stopped thread's PC and SP, and recognising the instruction that
 * enters the kernel.  The harness's arch interface, next to libcp's.
 */
#ifndef SWEEP_ARCH_H
#define SWEEP_ARCH_H

#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/user.h>

static inline int sweep_arch_regs(pid_t tid, uintptr_t *pc, uintptr_t *sp)
{
	struct user_regs_struct r;

	if (ptrace(PTRACE_GETREGS, tid, NULL, &r))
		return -1;
	*pc = (uintptr_t)r.rip;
	*sp = (uintptr_t)r.rsp;
	return 0;
}

/* `syscall` is 0f 05; the low bytes of the word at pc come first. */
static inline int sweep_arch_is_syscall(unsigned long word_at_pc)
{
	return (word_at_pc & 0xffff) == 0x050f;
}

/* After the routine's final `ret`, the stack holds one word less: the
 * return address the call pushed. */
#define SWEEP_ARCH_RET_SP_DELTA 8

#endif
