/*
 * riscv64 pieces of the pc-sweep case (cases/pc-sweep.c): reading a
 * ptrace-stopped thread's PC and SP, recognising the instruction that
 * enters the kernel, and where a call keeps its return address.
 */
#ifndef SWEEP_ARCH_H
#define SWEEP_ARCH_H

#include <elf.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <asm/ptrace.h>   /* struct user_regs_struct: glibc has none for riscv */

/* riscv64 has no PTRACE_GETREGS: the general registers are regset
 * NT_PRSTATUS (pc, ra, sp, ...). */
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
	*pc = (uintptr_t)r.pc;
	*sp = (uintptr_t)r.sp;
	return 0;
}

/* `ecall` is 00000073 (one little-endian 32-bit word). */
static inline int sweep_arch_is_syscall(unsigned long word_at_pc)
{
	return (word_at_pc & 0xffffffffUL) == 0x73UL;
}

/* `jal`/`call` leave the return address in ra, not on the stack; `ret`
 * leaves SP as it was at the entry. */
#define SWEEP_ARCH_LINK_REGISTER 1
static inline uintptr_t sweep_arch_ret_addr(pid_t tid, uintptr_t sp_at_entry)
{
	struct user_regs_struct r;

	(void)sp_at_entry;
	return sweep_arch_getregs(tid, &r) ? 0 : (uintptr_t)r.ra;
}
#define SWEEP_ARCH_RET_SP_DELTA 0

#endif
