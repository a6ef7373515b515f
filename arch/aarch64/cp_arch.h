/* SPDX-License-Identifier: MIT */
/*
 * aarch64 pieces of libcp that generic code needs: the ucontext PC/SP
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
	return (uintptr_t)uc->uc_mcontext.pc;
}

static inline void cp_arch_set_pc(ucontext_t *uc, uintptr_t pc)
{
	uc->uc_mcontext.pc = pc;
}

static inline uintptr_t cp_arch_sp(const ucontext_t *uc)
{
	return (uintptr_t)uc->uc_mcontext.sp;
}

/* Where a saved context keeps the stack pointer and the PC (the kernel's
 * struct ucontext and glibc's ucontext_t agree up to uc_mcontext's
 * registers): lib/frame.c reads them in signal frames it finds. */
#define CP_ARCH_UC_SP_OFF offsetof(ucontext_t, uc_mcontext.sp)
#define CP_ARCH_UC_PC_OFF offsetof(ucontext_t, uc_mcontext.pc)

/* Does the instruction at pc enter the kernel?  (`svc #0` is d4000001.)
 * Used only by the flawed "pcsyscall" strategy of the test build. */
static inline int cp_arch_is_syscall_insn(uintptr_t pc)
{
	return *(const uint32_t *)pc == 0xd4000001u;
}

static inline long cp_arch_syscall6(long nr, long a1, long a2, long a3,
				    long a4, long a5, long a6)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a1;
	register long x1 __asm__("x1") = a2;
	register long x2 __asm__("x2") = a3;
	register long x3 __asm__("x3") = a4;
	register long x4 __asm__("x4") = a5;
	register long x5 __asm__("x5") = a6;

	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}

#endif
