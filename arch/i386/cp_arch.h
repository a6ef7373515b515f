/* SPDX-License-Identifier: MIT */
/*
 * i386 pieces of libcp that generic code needs: the ucontext PC/SP
 * accessors used by the cancel signal handler, and the raw syscall used
 * for non-cancellable calls.
 *
 * The raw syscall is an out-of-line naked function, not an asm statement:
 * six arguments need %ebx and %ebp, %ebp cannot be an asm operand when it
 * is the frame pointer (sanitizer builds), and pushing it inside an asm
 * statement would make the compiler's CFI wrong exactly where the "async"
 * strategy unwinds from (a cancel acting inside the raw syscall).  Like
 * the other ports' raw syscalls it is outside the cancellation window.
 */
#ifndef CP_ARCH_H
#define CP_ARCH_H

#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

static inline uintptr_t cp_arch_pc(const ucontext_t *uc)
{
	return (uintptr_t)uc->uc_mcontext.gregs[REG_EIP];
}

static inline void cp_arch_set_pc(ucontext_t *uc, uintptr_t pc)
{
	uc->uc_mcontext.gregs[REG_EIP] = (greg_t)pc;
}

static inline uintptr_t cp_arch_sp(const ucontext_t *uc)
{
	return (uintptr_t)uc->uc_mcontext.gregs[REG_ESP];
}

/* Where a saved context keeps the stack pointer and the PC (the kernel's
 * struct ucontext and glibc's ucontext_t agree up to uc_mcontext's
 * registers): lib/frame.c reads them in signal frames it finds. */
#define CP_ARCH_UC_SP_OFF offsetof(ucontext_t, uc_mcontext.gregs[REG_ESP])
#define CP_ARCH_UC_PC_OFF offsetof(ucontext_t, uc_mcontext.gregs[REG_EIP])

/* Does the instruction at pc enter the kernel?  (`int $0x80` is cd 80.)
 * Used only by the flawed "pcsyscall" strategy of the test build. */
static inline int cp_arch_is_syscall_insn(uintptr_t pc)
{
	const unsigned char *p = (const unsigned char *)pc;

	return p[0] == 0xcd && p[1] == 0x80;
}

/* The kernel's argument registers: nr %eax, a1..a6 %ebx %ecx %edx %esi %edi
 * %ebp, all the general registers.  A naked function, so it exists in
 * every object that uses it (the benchmark links libcp.so, which exports
 * nothing of the sort), with CFI for the pushes when the compiler emits
 * CFI at all.  The cdecl arguments sit at 20..44(%esp) after the pushes. */
#ifdef __GCC_HAVE_DWARF2_CFI_ASM
#define CP_I386_CFI(directive) directive "\n\t"
#else
#define CP_I386_CFI(directive)
#endif
#define CP_I386_PUSH(reg) "pushl " reg "\n\t"                               \
	CP_I386_CFI(".cfi_adjust_cfa_offset 4")                             \
	CP_I386_CFI(".cfi_rel_offset " reg ", 0")
#define CP_I386_POP(reg) "popl " reg "\n\t"                                 \
	CP_I386_CFI(".cfi_adjust_cfa_offset -4")                            \
	CP_I386_CFI(".cfi_restore " reg)
#define CP_UNUSED __attribute__((unused))
static __attribute__((naked, unused)) long
cp_arch_syscall6(long nr CP_UNUSED, long a1 CP_UNUSED, long a2 CP_UNUSED,
		 long a3 CP_UNUSED, long a4 CP_UNUSED, long a5 CP_UNUSED,
		 long a6 CP_UNUSED)
{
	__asm__(CP_I386_PUSH("%ebp") CP_I386_PUSH("%ebx")
		CP_I386_PUSH("%esi") CP_I386_PUSH("%edi")
		"movl 20(%esp), %eax\n\t"
		"movl 24(%esp), %ebx\n\t"
		"movl 28(%esp), %ecx\n\t"
		"movl 32(%esp), %edx\n\t"
		"movl 36(%esp), %esi\n\t"
		"movl 40(%esp), %edi\n\t"
		"movl 44(%esp), %ebp\n\t"
		"int $0x80\n\t"
		CP_I386_POP("%edi") CP_I386_POP("%esi")
		CP_I386_POP("%ebx") CP_I386_POP("%ebp")
		"ret");
}
#undef CP_UNUSED
#undef CP_I386_POP
#undef CP_I386_PUSH
#undef CP_I386_CFI

#endif
