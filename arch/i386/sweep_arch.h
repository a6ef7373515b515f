/* SPDX-License-Identifier: MIT */
/*
 * i386 pieces of the pc-sweep case (cases/pc-sweep.c): reading a
 * ptrace-stopped thread's PC and SP, and recognising the instruction that
 * enters the kernel.
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
	*pc = (uintptr_t)r.eip;
	*sp = (uintptr_t)r.esp;
	return 0;
}

/* `int $0x80` is cd 80; the low bytes of the word at pc come first. */
static inline int sweep_arch_is_syscall(unsigned long word_at_pc)
{
	return (word_at_pc & 0xffff) == 0x80cd;
}

/* After the routine's final `ret`, the stack holds one word less: the
 * return address the call pushed. */
#define SWEEP_ARCH_RET_SP_DELTA 4

#endif
