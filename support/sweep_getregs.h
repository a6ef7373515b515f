/* SPDX-License-Identifier: MIT */
/*
 * sweep_getregs.h - the pc-sweep pieces (support/sweep.c) of an arch whose
 * ptrace has PTRACE_GETREGS, whose syscall instruction is two bytes, and
 * whose calls push the return address on the stack (i386, x86_64).  Such
 * an arch's sweep_arch.h defines
 *   SWEEP_GETREGS_PC(r), SWEEP_GETREGS_SP(r)   (fields of user_regs_struct)
 *   SWEEP_GETREGS_IS_SYSCALL(op)  (whether op, the two bytes at the PC
 *                                  as a little-endian 16-bit value, enter
 *                                  the kernel)
 * and includes this file.
 */
#ifndef SWEEP_GETREGS_H
#define SWEEP_GETREGS_H

#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/user.h>

static inline int sweep_arch_regs(pid_t tid, uintptr_t *pc, uintptr_t *sp)
{
	struct user_regs_struct r;

	if (ptrace(PTRACE_GETREGS, tid, NULL, &r))
		return -1;
	*pc = (uintptr_t)SWEEP_GETREGS_PC(r);
	*sp = (uintptr_t)SWEEP_GETREGS_SP(r);
	return 0;
}

/* The low bytes of the word at pc come first. */
static inline int sweep_arch_is_syscall(unsigned long word_at_pc)
{
	unsigned long op = word_at_pc & 0xffff;

	return SWEEP_GETREGS_IS_SYSCALL(op);
}

/* The call pushed the return address: it is the word at SP on entry. */
static inline uintptr_t sweep_arch_ret_addr(pid_t tid, uintptr_t sp_at_entry)
{
	return (uintptr_t)ptrace(PTRACE_PEEKDATA, tid, (void *)sp_at_entry, NULL);
}

/* After the routine's final `ret`, the stack holds one word less: the
 * return address the call pushed. */
#define SWEEP_ARCH_RET_SP_DELTA sizeof(uintptr_t)

#endif
