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
 * The routine is a leaf that touches neither the stack nor x30, so the CIE's
 * default rule (CFA = sp, return address in x30) is exact at every
 * instruction, and a PC redirected to cp_window_landing from anywhere in
 * the window unwinds to our caller.  The pad's `b cp_act` reaches +-128 MiB;
 * cp_act is hidden, so the static linker binds it directly (no PLT, and a
 * veneer if a huge program ever puts it farther away).
 *
 * Register map (AAPCS64 call -> Linux svc):
 *   x0 pending -> w8, flag read once, before the syscall
 *   x1 nr      -> x8
 *   x2 a1      -> x0
 *   x3 a2      -> x1
 *   x4 a3      -> x2
 *   x5 a4      -> x3
 *   x6 a5      -> x4
 *   x7 a6      -> x5
 * The result (or -errno) is in x0; `svc` clobbers nothing else.
 */
	.text
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
	.p2align 4
cp_syscall_asm:
	.cfi_startproc
cp_window_begin:
	/* A request that arrived before this load is acted on here; one that
	 * arrives after it is delivered as a signal whose handler sees a PC
	 * inside the window (the canceller saw in_cp set, see lib/cancel.c). */
	ldr	w8, [x0]
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
	ret
cp_window_landing:
	/* Tail call: cp_act() never returns; x30 still holds our caller's
	 * return address, which the unwinder walks on to. */
	b	cp_act
cp_routine_end:
	.cfi_endproc
	.size	cp_syscall_asm, .-cp_syscall_asm

	.section .note.GNU-stack, "", %progbits
