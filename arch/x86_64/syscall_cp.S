/* SPDX-License-Identifier: MIT */
/*
 * x86_64 cancellable syscall routine.
 *
 *   long cp_syscall_asm(const int *pending, long nr,
 *                       long a1, long a2, long a3, long a4, long a5, long a6);
 *
 * The code between cp_window_begin and cp_window_end is the cancellation
 * window.  The signal handler (lib/signal.c) acts on a cancellation only
 * when the interrupted PC lies in [cp_window_begin, cp_window_end):
 *   - before the syscall instruction: the kernel was never entered, so
 *     nothing happened that user space must learn about;
 *   - at the syscall instruction: the kernel rewound the PC by the length
 *     of `syscall` (2 bytes) because it is restarting an interrupted call
 *     (-ERESTARTSYS under SA_RESTART, -ERESTART_RESTARTBLOCK turned into
 *     restart_syscall); no result exists yet.
 * cp_window_end is the instruction after `syscall`: a PC in
 * [cp_window_end, cp_routine_end) means the kernel completed the call and
 * %rax holds a result (an fd, a byte count, or -EINTR) that must reach the
 * caller, so the handler leaves the decision to the C wrapper.
 *
 * The call is published within the routine itself, so that every PC at
 * which the thread counts as "inside" lies in [cp_syscall_asm,
 * cp_routine_end): on entry the routine pushes the enclosing call's record
 * (struct cp_thread's `sp`, lib/cp_offsets.h) and stores its own %rsp
 * there; on the way out it pops the enclosing record back.  A canceller
 * signals only a thread whose record is set; the handler finds the signal
 * frame of a handler that runs on top of the call by that %rsp
 * (lib/frame.c), and reads the pushed word to walk back to an enclosing
 * call.  Between the push and the pop the CFA is %rsp+16 at every
 * instruction, so cp_window_landing can be reached by redirecting the PC
 * from any point of the window and the unwinder still finds the caller.
 *
 * Two entries, one window:
 *   cp_syscall_asm   SysV C convention (slow paths, other callers);
 *   cp_window_call   the fast path's entry (cp_arch_window_call in
 *                    cp_arch.h): the wrapper's inline asm has already put
 *                    everything in the kernel's registers, so the window
 *                    is four instructions and no argument is moved.
 *
 * C entry register map (SysV call -> Linux syscall):
 *   %rdi pending  -> %r11, as its offset from the thread pointer (%fs:0):
 *                    the window reads the flag %fs-relative, which saves
 *                    the fast path forming its address; read once, before
 *                    the syscall (`syscall` clobbers %r11 anyway)
 *   %rsi nr       -> %rax
 *   %rdx a1       -> %rdi
 *   %rcx a2       -> %rsi
 *   %r8  a3       -> %rdx
 *   %r9  a4       -> %r10
 *   8(%rsp)  a5   -> %r8
 *   16(%rsp) a6   -> %r9
 * cp_window_call takes exactly the right-hand column (%r11 already an
 * offset).  `syscall` clobbers %rcx and %r11; the result (or -errno) is in
 * %rax.  `pending` is always the calling thread's own flag (cp_self), so
 * after the syscall %r11 is reloaded as cp_self's offset from the thread
 * pointer.
 */
#include "cp_offsets.h"

	.text
	cp_routine_labels
	.globl	cp_window_call
	.hidden	cp_window_call
	.p2align 4
cp_syscall_asm:
	.cfi_startproc
	mov	%rdi, %r11
	sub	%fs:0, %r11
	mov	%rsi, %rax
	mov	%rdx, %rdi
	mov	%rcx, %rsi
	mov	%r8, %rdx
	mov	%r9, %r10
	mov	8(%rsp), %r8
	mov	16(%rsp), %r9
cp_window_call:
	pushq	%fs:CP_OFF_SP(%r11)
	.cfi_adjust_cfa_offset 8
	movq	%rsp, %fs:CP_OFF_SP(%r11)
cp_window_begin:
	/* A request that arrived before this load is acted on here; one that
	 * arrives after it is delivered as a signal whose handler sees a PC
	 * inside the window (the canceller saw `sp` set, see lib/cancel.c). */
	cmpl	$0, %fs:CP_OFF_PENDING(%r11)
	jne	cp_window_landing
	syscall
cp_window_end:
	movq	cp_self@gottpoff(%rip), %r11
	popq	%fs:CP_OFF_SP(%r11)
	.cfi_adjust_cfa_offset -8
	ret
cp_window_landing:
	/* Reached from the window, with the enclosing record still pushed:
	 * drop it (cp_act clears the record), then tail-call cp_act(), which
	 * never returns; its frame's return address is our caller's, which
	 * the unwinder walks on to.  The stack may be misaligned here (the
	 * inline-asm caller does not align it for a call), which is why
	 * cp_act realigns (CP_ARCH_REALIGN). */
	.cfi_adjust_cfa_offset 8
	leaq	8(%rsp), %rsp
	.cfi_adjust_cfa_offset -8
	jmp	cp_act
cp_routine_end:
	.cfi_endproc
	.size	cp_syscall_asm, .-cp_syscall_asm

	.section .note.GNU-stack, "", @progbits
