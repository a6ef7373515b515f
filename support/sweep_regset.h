/* SPDX-License-Identifier: MIT */
/*
 * sweep_regset.h - the pc-sweep pieces (support/sweep.c) of an arch whose
 * ptrace has no PTRACE_GETREGS, only regset NT_PRSTATUS, whose syscall
 * instruction is one 32-bit word, and whose calls leave the return
 * address in a link register (aarch64, riscv64).  Such an arch's
 * sweep_arch.h brings its struct user_regs_struct, defines
 *   SWEEP_REGSET_PC(r), SWEEP_REGSET_SP(r), SWEEP_REGSET_LINK(r)
 *   SWEEP_REGSET_SYSCALL_WORD   (the syscall instruction, little-endian)
 * and includes this file.
 */
#ifndef SWEEP_REGSET_H
#define SWEEP_REGSET_H

#include <elf.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

static inline int sweep_arch_getregs(pid_t tid, struct user_regs_struct *r)
{
	struct iovec io = { .iov_base = r, .iov_len = sizeof *r };

	return ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &io) ? -1 : 0;
}

static inline int sweep_arch_regs(pid_t tid, uintptr_t *pc, uintptr_t *sp)
{
	struct user_regs_struct r;

	if (sweep_arch_getregs(tid, &r))
		return -1;
	*pc = (uintptr_t)SWEEP_REGSET_PC(r);
	*sp = (uintptr_t)SWEEP_REGSET_SP(r);
	return 0;
}

static inline int sweep_arch_is_syscall(unsigned long word_at_pc)
{
	return (word_at_pc & 0xffffffffUL) == SWEEP_REGSET_SYSCALL_WORD;
}

/* The return address is in the link register, not on the stack; `ret`
 * leaves SP as it was at the entry. */
static inline uintptr_t sweep_arch_ret_addr(pid_t tid, uintptr_t sp_at_entry)
{
	struct user_regs_struct r;

	(void)sp_at_entry;
	return sweep_arch_getregs(tid, &r) ? 0 : (uintptr_t)SWEEP_REGSET_LINK(r);
}
#define SWEEP_ARCH_RET_SP_DELTA 0

#endif
