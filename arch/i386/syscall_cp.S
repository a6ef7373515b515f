/* SPDX-License-Identifier: MIT */
/*
 * i386 cancellable syscall routine.
 *
 *   long cp_syscall_asm(const int *pending, long nr,
 *                       long a1, long a2, long a3, long a4, long a5, long a6);
 *
 * The kernel is entered with `int $0x80`, never through the vDSO's
 * __kernel_vsyscall: there the PC at the moment of the trap (and after a
 * restart rewind) would lie in the vDSO page, outside [cp_window_begin,
 * cp_window_end), and a request landing on a blocked call would be
 * deferred forever.
 *
 * The window is [cp_window_begin, cp_window_end):
 *   - before `int $0x80`: the kernel was never entered;
 *   - at `int $0x80`: the kernel rewound %eip by the length of the
 *     instruction (2 bytes, cd 80) to restart an interrupted call, and
 *     restored %eax to the syscall number; no result exists yet.
 * cp_window_end is the instruction after `int $0x80`: from there on %eax
 * holds the kernel's result, which must reach the caller.
 *
 * A six-argument syscall needs every general register: %ebx (which may be
 * the caller's PIC register) and %ebp (maybe its frame pointer) included,
 * so the four callee-saved registers are pushed first, *before* the
 * window: every PC inside the window then has the same frame (CFA =
 * %esp+20), which the landing pad's CFI repeats, and the pad pops them
 * before the tail jump, so cp_act runs with our caller's registers and
 * stack exactly as at our entry.  A request whose signal arrives during
 * the pushes is not lost: `pending` was set before the signal was sent, so
 * the flag check at cp_window_begin sees it.
 *
 * Then the call is published, within the routine: the enclosing call's
 * record (struct cp_thread's `sp`, lib/cp_offsets.h) is pushed and %esp
 * stored there; on the way out the pushed record is popped back.  A
 * canceller signals only a thread whose record is set; the handler finds
 * the signal frame of a handler that runs on top of the call by that %esp
 * (lib/frame.c), and reads the pushed word to walk back to an enclosing
 * call.  From the record's push to its pop the CFA is %esp+24.
 *
 * Register map (cdecl call -> Linux int $0x80), offsets after the pushes:
 *   24(%esp) pending -> %eax, flag read once, before the syscall; %ecx
 *                       after it, to pop the record back
 *   28(%esp) nr      -> %eax
 *   32(%esp) a1      -> %ebx
 *   36(%esp) a2      -> %ecx
 *   40(%esp) a3      -> %edx
 *   44(%esp) a4      -> %esi
 *   48(%esp) a5      -> %edi
 *   52(%esp) a6      -> %ebp
 * The result (or -errno) is in %eax; `int $0x80` clobbers nothing else.
 */
#include "cp_offsets.h"
	.text
	cp_routine_labels

/* Save (and describe for the unwinder) the callee-saved registers that the
 * kernel's argument registers overwrite. */
	.macro	cp_push_callee_saved
	pushl	%ebp
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset %ebp, 0
	pushl	%ebx
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset %ebx, 0
	pushl	%esi
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset %esi, 0
	pushl	%edi
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset %edi, 0
	.endm

	.macro	cp_pop_callee_saved
	popl	%edi
	.cfi_adjust_cfa_offset -4
	.cfi_restore %edi
	popl	%esi
	.cfi_adjust_cfa_offset -4
	.cfi_restore %esi
	popl	%ebx
	.cfi_adjust_cfa_offset -4
	.cfi_restore %ebx
	popl	%ebp
	.cfi_adjust_cfa_offset -4
	.cfi_restore %ebp
	.endm

	.p2align 4
cp_syscall_asm:
	.cfi_startproc
	cp_push_callee_saved
	movl	20(%esp), %eax
	pushl	CP_OFF_SP(%eax)
	.cfi_adjust_cfa_offset 4
	movl	%esp, CP_OFF_SP(%eax)
cp_window_begin:
	/* A request that arrived before this load is acted on here; one that
	 * arrives after it is delivered as a signal whose handler sees a PC
	 * inside the window (the canceller saw `sp` set, see lib/cancel.c). */
	cmpl	$0, CP_OFF_PENDING(%eax)
	jne	cp_window_landing
	movl	28(%esp), %eax
	movl	32(%esp), %ebx
	movl	36(%esp), %ecx
	movl	40(%esp), %edx
	movl	44(%esp), %esi
	movl	48(%esp), %edi
	movl	52(%esp), %ebp
	int	$0x80
cp_window_end:
	.cfi_remember_state
	movl	24(%esp), %ecx
	popl	CP_OFF_SP(%ecx)
	.cfi_adjust_cfa_offset -4
	cp_pop_callee_saved
	ret
	.cfi_restore_state
cp_window_landing:
	/* Reached from any PC of the window, all with the frame above.  Drop
	 * the pushed record (cp_act clears it) and undo the pushes, then
	 * tail-call cp_act() (hidden: a direct jump, no PLT, no GOT register
	 * needed); it never returns, and its return address is our caller's,
	 * which the unwinder walks on to. */
	addl	$4, %esp
	.cfi_adjust_cfa_offset -4
	cp_pop_callee_saved
	jmp	cp_act
cp_routine_end:
	.cfi_endproc
	.size	cp_syscall_asm, .-cp_syscall_asm

	.section .note.GNU-stack, "", @progbits
