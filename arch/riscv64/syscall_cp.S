/* SPDX-License-Identifier: MIT */
/*
 * riscv64 cancellable syscall routine.
 *
 *   long cp_syscall_asm(const int *pending, long nr,
 *                       long a1, long a2, long a3, long a4, long a5, long a6);
 *
 * The window is [cp_window_begin, cp_window_end):
 *   - before `ecall`: the kernel was never entered;
 *   - at `ecall`: the kernel rewound the PC by the length of the
 *     instruction (4 bytes; `ecall` has no compressed form) to restart an
 *     interrupted call and restored a0 from orig_a0 (a7 still holds the
 *     number); no result exists yet.
 * cp_window_end is the instruction after `ecall`: from there on a0 holds
 * the kernel's result, which must reach the caller.
 *
 * The call is published within the routine itself: on entry it pushes the
 * enclosing call's record (struct cp_thread's `sp`, lib/cp_offsets.h) in a
 * 16-byte slot and stores its own sp there; on the way out it puts the
 * pushed record back.  A canceller signals only a thread whose record is
 * set; the handler finds the signal frame of a handler that runs on top of
 * the call by that sp (lib/frame.c), and reads the pushed word to walk
 * back to an enclosing call.  The routine never touches ra, and from the
 * push to the pop the CFA is sp+16 at every instruction, so a PC
 * redirected to cp_window_landing from anywhere in the window unwinds to
 * our caller.  The pad uses `tail` (auipc+jr, +-2 GiB,
 * relaxed to `j` when near) rather than `j` (+-1 MiB), because libcp.a may
 * be linked into a large program; cp_act is hidden, so there is no PLT.
 *
 * Register map (LP64 call -> Linux ecall):
 *   a0 pending -> t0, flag read once, before the syscall; kept in t3 for
 *                 the way out (ecall preserves every register but a0)
 *   a1 nr      -> a7
 *   a2 a1      -> a0
 *   a3 a2      -> a1
 *   a4 a3      -> a2
 *   a5 a4      -> a3
 *   a6 a5      -> a4
 *   a7 a6      -> a5 (through t1: a7 is overwritten by nr first)
 * The result (or -errno) is in a0; `ecall` clobbers nothing else.  t0-t3
 * are scratch (caller-saved).
 */
#include "cp_offsets.h"
	.text
	cp_routine_labels
	.p2align 4
cp_syscall_asm:
	.cfi_startproc
	ld	t2, CP_OFF_SP(a0)
	addi	sp, sp, -16
	.cfi_def_cfa_offset 16
	sd	t2, 0(sp)
	sd	sp, CP_OFF_SP(a0)
	mv	t3, a0
cp_window_begin:
	/* A request that arrived before this load is acted on here; one that
	 * arrives after it is delivered as a signal whose handler sees a PC
	 * inside the window (the canceller saw `sp` set, see lib/cancel.c). */
	lw	t0, CP_OFF_PENDING(a0)
	bnez	t0, cp_window_landing
	mv	t1, a7
	mv	a7, a1
	mv	a0, a2
	mv	a1, a3
	mv	a2, a4
	mv	a3, a5
	mv	a4, a6
	mv	a5, t1
	ecall
cp_window_end:
	ld	t2, 0(sp)
	sd	t2, CP_OFF_SP(t3)
	addi	sp, sp, 16
	.cfi_def_cfa_offset 0
	ret
cp_window_landing:
	/* Drop the pushed record (cp_act clears it), then tail-call cp_act(),
	 * which never returns; ra still holds our caller's return address,
	 * which the unwinder walks on to. */
	.cfi_def_cfa_offset 16
	addi	sp, sp, 16
	.cfi_def_cfa_offset 0
	tail	cp_act
cp_routine_end:
	.cfi_endproc
	.size	cp_syscall_asm, .-cp_syscall_asm

	.section .note.GNU-stack, "", @progbits
