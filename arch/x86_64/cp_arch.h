/* SPDX-License-Identifier: MIT */
/*
 * x86_64 pieces of libcp that generic code needs: the ucontext PC/SP
 * accessors used by the cancel signal handler, and a raw syscall used for
 * non-cancellable calls (it must not be inside the cancellation window, so
 * it is inline code of the caller, never cp_syscall_asm).
 */
#ifndef CP_ARCH_H
#define CP_ARCH_H

#include <stddef.h>
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

/* Where a saved context keeps the stack pointer and the PC (the kernel's
 * struct ucontext and glibc's ucontext_t agree up to uc_mcontext's
 * registers): lib/frame.c reads them in signal frames it finds. */
#define CP_ARCH_UC_SP_OFF offsetof(ucontext_t, uc_mcontext.gregs[REG_RSP])
#define CP_ARCH_UC_PC_OFF offsetof(ucontext_t, uc_mcontext.gregs[REG_RIP])

/* Does the instruction at pc enter the kernel?  (`syscall` is 0f 05.)
 * Used only by the flawed "pcsyscall" strategy of the test build. */
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

/* The fast path's way into the window: a call to cp_window_call with the
 * arguments already where the kernel wants them, so the routine moves
 * nothing.  The call pushes a return address below %rsp, where the
 * compiler may keep red-zone data: libcp is built with -mno-red-zone on
 * x86_64 (arch/x86_64/flags.cmake).  The stack is not aligned for a call
 * here either; only cp_act, reached from the landing pad, cares, and it
 * realigns (CP_ARCH_REALIGN).  The unwinder is fine: the routine keeps
 * CFA = %rsp+8 and the wrapper's own CFI is unchanged across the asm. */
#define CP_ARCH_HAS_WINDOW_CALL 1
extern const char cp_window_call[] __attribute__((visibility("hidden")));
#define CP_ARCH_WINDOW_ASM(...)                                               \
	__asm__ volatile("call cp_window_call"                               \
			 : "=a"(ret), "+r"(r11)                              \
			 : "0"(nr), "D"(a1), "S"(a2), "d"(a3) __VA_ARGS__    \
			 : "rcx", "cc", "memory")
static inline __attribute__((always_inline)) long
cp_arch_window_call(const int *pending, int nargs, long nr, long a1, long a2,
		    long a3, long a4, long a5, long a6)
{
	/* The window reads `pending` %fs-relative: the thread's own flag is
	 * at a fixed offset from the thread pointer, which the compiler
	 * already holds for the TLS accesses around the call. */
	register long r11 __asm__("r11") =
		(long)((uintptr_t)pending - (uintptr_t)__builtin_thread_pointer());
	long ret;

	/* A syscall of at most three arguments does not read the others'
	 * registers, so leave them be.  (A constant zero for a syscall that
	 * reads it must be loaded: wait4's NULL rusage, accept4's 0 flags.) */
	if (__builtin_constant_p(nargs) && nargs <= 3) {
		CP_ARCH_WINDOW_ASM();
	} else {
		register long r10 __asm__("r10") = a4;
		register long r8 __asm__("r8") = a5;
		register long r9 __asm__("r9") = a6;

		CP_ARCH_WINDOW_ASM(, "r"(r10), "r"(r8), "r"(r9));
	}
	return ret;
}
#undef CP_ARCH_WINDOW_ASM

/* cp_act may be entered with the stack misaligned (see above). */
#define CP_ARCH_REALIGN __attribute__((force_align_arg_pointer))

#endif
