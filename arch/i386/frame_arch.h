/* SPDX-License-Identifier: MIT */
/*
 * i386 piece of libcp's frame-search test (lib/tests/test_frames.c):
 * where an older signal frame of the same call can be forged above the
 * live one without touching anything the kernel writes or reads back.
 */
#ifndef FRAME_ARCH_H
#define FRAME_ARCH_H

#include <stdint.h>
#include <ucontext.h>

/* No red zone: the live frame starts right below the call's stack
 * pointer, the FPU state at its top.  That state is the 112-byte FNSAVE
 * header, then the FXSAVE image, whose XMM8-15 slots (bytes 288-415)
 * belong to registers 32-bit code cannot see: a 32-bit kernel's FXSAVE/
 * XSAVE leaves them alone (Intel SDM vol. 1, 10.5.1), and what a 64-bit
 * kernel saves there and restores from there is invisible to the task.
 * Returns where the forged frame's saved SP goes; its PC goes 28 bytes
 * above (EIP is 7 registers after ESP). */
static inline uintptr_t frame_arch_older_sp_slot(const ucontext_t *uc,
						 uintptr_t call_sp)
{
	(void)call_sp;
	return (uintptr_t)uc->uc_mcontext.fpregs + 112 + 288 + 16;
}

#endif
