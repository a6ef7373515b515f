/* SPDX-License-Identifier: MIT */
/*
 * riscv64 pieces of libcp that generic code needs: the ucontext PC/SP
 * accessors used by the cancel signal handler, and a raw syscall used for
 * non-cancellable calls (inline code of the caller, so never inside the
 * cancellation window).
 */
#ifndef CP_ARCH_H
#define CP_ARCH_H

#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

static inline uintptr_t cp_arch_pc(const ucontext_t *uc)
{
	return (uintptr_t)uc->uc_mcontext.__gregs[REG_PC];
}

static inline void cp_arch_set_pc(ucontext_t *uc, uintptr_t pc)
{
	uc->uc_mcontext.__gregs[REG_PC] = pc;
}

static inline uintptr_t cp_arch_sp(const ucontext_t *uc)
{
	return (uintptr_t)uc->uc_mcontext.__gregs[REG_SP];
}

/* Where a saved context keeps the stack pointer and the PC (the kernel's
 * struct ucontext and glibc's ucontext_t agree up to uc_mcontext's
 * registers): lib/frame.c reads them in signal frames it finds. */
#define CP_ARCH_UC_SP_OFF offsetof(ucontext_t, uc_mcontext.__gregs[REG_SP])
#define CP_ARCH_UC_PC_OFF offsetof(ucontext_t, uc_mcontext.__gregs[REG_PC])

/* Does the instruction at pc enter the kernel?  (`ecall` is 00000073.)
 * Read in halves: with compressed code the PC is only 2-aligned and a
 * 2-byte instruction may end its page; only a low half ending in 0b11
 * announces 4 bytes.  Used only by the "pcsyscall" strategy. */
static inline int cp_arch_is_syscall_insn(uintptr_t pc)
{
	const uint16_t *p = (const uint16_t *)pc;

	return p[0] == 0x0073 && p[1] == 0x0000;
}

static inline long cp_arch_syscall6(long nr, long a1, long a2, long a3,
				    long a4, long a5, long a6)
{
	register long a7_ __asm__("a7") = nr;
	register long a0_ __asm__("a0") = a1;
	register long a1_ __asm__("a1") = a2;
	register long a2_ __asm__("a2") = a3;
	register long a3_ __asm__("a3") = a4;
	register long a4_ __asm__("a4") = a5;
	register long a5_ __asm__("a5") = a6;

	__asm__ volatile("ecall"
			 : "+r"(a0_)
			 : "r"(a7_), "r"(a1_), "r"(a2_), "r"(a3_), "r"(a4_),
			   "r"(a5_)
			 : "memory");
	return a0_;
}

#endif
