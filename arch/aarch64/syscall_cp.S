/* SPDX-License-Identifier: MIT */
/*
 * aarch64 cancellable syscall routine.
 *
 *   long cp_syscall_asm(const int *pending, long nr,
 *                       long a1, long a2, long a3, long a4, long a5, long a6);
 *
 * The window is [cp_window_begin, cp_window_end):
 *   - before `svc #0`: the kernel was never entered;
 *   - at `svc #0`: the kernel rewound the PC by the length of the
 *     instruction (4 bytes) to restart an interrupted call and restored x0
 *     from orig_x0 (x8 still holds the number); no result exists yet.
 * cp_window_end is the instruction after `svc`: from there on x0 holds the
 * kernel's result, which must reach the caller.
 *
 * The call is published within the routine itself: on entry it pushes the
 * enclosing call's record (struct cp_thread's `sp`, lib/cp_offsets.h) in a
 * 16-byte slot and stores its own sp there; on the way out it puts the
 * pushed record back.  A canceller signals only a thread whose record is
 * set; the handler finds the signal frame of a handler that runs on top of
 * the call by that sp (lib/frame.c), and reads the pushed word to walk
 * back to an enclosing call.  The routine never touches x30, and from the
 * push to the pop the CFA is sp+16 at every instruction, so a PC
 * redirected to cp_window_landing from anywhere in the window unwinds to
 * our caller.  The pad's `b cp_act` reaches +-128 MiB;
 * cp_act is hidden, so the static linker binds it directly (no PLT, and a
 * veneer if a huge program ever puts it farther away).
 *
 * Register map (AAPCS64 call -> Linux svc):
 *   x0 pending -> w8, flag read once, before the syscall; kept in x10 for
 *                 the way out (svc preserves every register but x0)
 *   x1 nr      -> x8
 *   x2 a1      -> x0
 *   x3 a2      -> x1
 *   x4 a3      -> x2
 *   x5 a4      -> x3
 *   x6 a5      -> x4
 *   x7 a6      -> x5
 * The result (or -errno) is in x0; `svc` clobbers nothing else.  x9 and
 * x10 are scratch (caller-saved in AAPCS64).
 */
#include "cp_offsets.h"
	.text
	cp_routine_labels
	.p2align 4
cp_syscall_asm:
	.cfi_startproc
	ldr	x9, [x0, #CP_OFF_SP]
	str	x9, [sp, #-16]!
	.cfi_def_cfa_offset 16
	mov	x9, sp
	str	x9, [x0, #CP_OFF_SP]
	mov	x10, x0
cp_window_begin:
	/* A request that arrived before this load is acted on here; one that
	 * arrives after it is delivered as a signal whose handler sees a PC
	 * inside the window (the canceller saw `sp` set, see lib/cancel.c). */
	ldr	w8, [x0, #CP_OFF_PENDING]
	cbnz	w8, cp_window_landing
	mov	x8, x1
	mov	x0, x2
	mov	x1, x3
	mov	x2, x4
	mov	x3, x5
	mov	x4, x6
	mov	x5, x7
	svc	#0
cp_window_end:
	ldr	x9, [sp], #16
	.cfi_def_cfa_offset 0
	str	x9, [x10, #CP_OFF_SP]
	ret
cp_window_landing:
	/* Drop the pushed record (cp_act clears it), then tail-call cp_act(),
	 * which never returns; x30 still holds our caller's return address,
	 * which the unwinder walks on to. */
	.cfi_def_cfa_offset 16
	add	sp, sp, #16
	.cfi_def_cfa_offset 0
	b	cp_act
cp_routine_end:
	.cfi_endproc
	.size	cp_syscall_asm, .-cp_syscall_asm

	.section .note.GNU-stack, "", %progbits
