/*
 * x86_64 pieces of libcp that generic code needs: the ucontext PC/SP
 * accessors used by the cancel signal handler, and a raw syscall used for
 * non-cancellable calls (it must not be inside the cancellation window, so
 * it is inline code of the caller, never cp_syscall_asm).
 */
#ifndef CP_ARCH_H
#define CP_ARCH_H

#include <stdint.h>
#include <ucontext.h>

static inline uintptr_t cp_arch_pc(const ucontext_t *uc)
{
	return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
}

static inline void cp_arch_set_pc(ucontext_t *uc, uintptr_t pc)
{
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)pc;
}

static inline uintptr_t cp_arch_sp(const ucontext_t *uc)
{
	return (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
}

/* Does the instruction at pc enter the kernel?  (`syscall` is 0f 05.)
 * Used only by the "pcsyscall" strategy, the seed's first idea. */
static inline int cp_arch_is_syscall_insn(uintptr_t pc)
{
	const unsigned char *p = (const unsigned char *)pc;

	return p[0] == 0x0f && p[1] == 0x05;
}

static inline long cp_arch_syscall6(long nr, long a1, long a2, long a3,
				    long a4, long a5, long a6)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10),
			   "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#endif
