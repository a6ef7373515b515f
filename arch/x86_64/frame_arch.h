/* SPDX-License-Identifier: MIT */
/*
 * x86_64 piece of libcp's frame-search test (lib/tests/test_frames.c):
 * where an older signal frame of the same call can be forged above the
 * live one without touching anything the kernel writes or reads back.
 */
#ifndef FRAME_ARCH_H
#define FRAME_ARCH_H

#include <stdint.h>
#include <ucontext.h>

/* The red zone: the kernel starts the frame 128 bytes below the
 * interrupted stack pointer, so the bytes in between are free.  Returns
 * where the forged frame's saved SP goes; its PC goes 8 bytes above. */
static inline uintptr_t frame_arch_older_sp_slot(const ucontext_t *uc,
						 uintptr_t call_sp)
{
	(void)uc;
	return call_sp - 64;
}

#endif
