/* SPDX-License-Identifier: MIT */
/*
 * aarch64 piece of libcp's frame-search test (lib/tests/test_frames.c):
 * where an older signal frame of the same call can be forged above the
 * live one without touching anything the kernel writes or reads back.
 */
#ifndef FRAME_ARCH_H
#define FRAME_ARCH_H

#include <stdint.h>
#include <ucontext.h>

/* No red zone: the live frame ends 16 bytes (a frame record) below the
 * call's stack pointer, with the 4096 bytes of uc_mcontext.__reserved at
 * its top.  The kernel fills those from their start with its records
 * (FPSIMD's 528 bytes, a few small ones, the terminator) and reads them
 * back only up to the terminator; only SVE/SME state could reach the last
 * 64 bytes, and larger state goes to an extra_context outside.  Returns
 * where the forged frame's saved SP goes; its PC goes 8 bytes above. */
static inline uintptr_t frame_arch_older_sp_slot(const ucontext_t *uc,
						 uintptr_t call_sp)
{
	(void)call_sp;
	return (uintptr_t)uc->uc_mcontext.__reserved +
		sizeof uc->uc_mcontext.__reserved - 64;
}

#endif
