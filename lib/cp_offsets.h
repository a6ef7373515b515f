/* SPDX-License-Identifier: MIT */
/*
 * cp_offsets.h - where the asm routines find their thread's state: the
 * offsets of two fields of struct cp_thread (cp_internal.h, which checks
 * them at compile time).  Plain numbers, so arch/<arch>/syscall_cp.S can
 * include this file too.
 */
#ifndef CP_OFFSETS_H
#define CP_OFFSETS_H

/* int pending: the request flag the window tests. */
#define CP_OFF_PENDING 0
/* uintptr_t sp: the stack pointer of the innermost cancellable call while
 * it runs, 0 outside (four ints precede it on every arch). */
#define CP_OFF_SP 16

#endif
