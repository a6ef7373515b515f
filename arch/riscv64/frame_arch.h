/* SPDX-License-Identifier: MIT */
/*
 * riscv64 piece of libcp's frame-search test (lib/tests/test_frames.c):
 * where an older signal frame of the same call can be forged above the
 * live one without touching anything the kernel writes or reads back.
 */
#ifndef FRAME_ARCH_H
#define FRAME_ARCH_H

#include <stdint.h>
#include <ucontext.h>

/* No red zone: the live frame ends right below the call's stack pointer,
 * its FP area (room for the Q extension's 64 words) at the top.  The
 * kernel saves and restores only the D state there (f0-f31 and fcsr, the
 * first 264 bytes) and uses the last 12 bytes for the extension-header
 * chain (arch/riscv/kernel/signal.c); words 34-63 are neither written nor
 * read.  Returns where the forged frame's saved SP goes; its PC goes 16
 * bytes below (gregs[0] is the PC, gregs[2] the SP). */
static inline uintptr_t frame_arch_older_sp_slot(const ucontext_t *uc,
						 uintptr_t call_sp)
{
	(void)call_sp;
	return (uintptr_t)&uc->uc_mcontext.__fpregs.__q.__f[40];
}

#endif
