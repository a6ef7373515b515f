/* SPDX-License-Identifier: MIT */
/*
 * cp_offsets.h - what every arch's routine (arch/<arch>/syscall_cp.S) and
 * the C side share: where the routine finds its thread's state (the
 * offsets of two fields of struct cp_thread; cp_internal.h checks them at
 * compile time), and the labels it defines for the handler.
 */
#ifndef CP_OFFSETS_H
#define CP_OFFSETS_H

/* int pending: the request flag the window tests. */
#define CP_OFF_PENDING 0
/* uintptr_t sp: the stack pointer of the innermost cancellable call while
 * it runs, 0 outside (four ints precede it on every arch). */
#define CP_OFF_SP 16

#ifdef __ASSEMBLER__
/* The routine's entry and the labels lib/signal.c and lib/frame.c judge
 * PCs by: global within libcp, invisible outside it. */
	.macro	cp_routine_labels
	.globl	cp_syscall_asm
	.hidden	cp_syscall_asm
	.type	cp_syscall_asm, %function
	.globl	cp_window_begin
	.hidden	cp_window_begin
	.globl	cp_window_end
	.hidden	cp_window_end
	.globl	cp_window_landing
	.hidden	cp_window_landing
	.globl	cp_routine_end
	.hidden	cp_routine_end
	.endm
#endif

#endif
