/* SPDX-License-Identifier: MIT */
/*
 * step.h - moving a ptrace-stopped thread on by one instruction, on every
 * arch: PTRACE_SINGLESTEP where the kernel has it and the instruction can
 * be stepped; an atomic load-exclusive/store-exclusive sequence run
 * through as one step (stepped, it would fail forever); software single
 * step with breakpoints where Linux has no PTRACE_SINGLESTEP (riscv64).
 * Used by pc-sweep and by libcp's unit tests that hold a thread at an
 * instruction.  The thread's arch pieces are <sweep_arch.h>.
 */
#ifndef SUPPORT_STEP_H
#define SUPPORT_STEP_H

#include <sys/types.h>

/* 0, or -1 when the thread did not stop again where expected. */
int step_one(pid_t tid);

#endif
