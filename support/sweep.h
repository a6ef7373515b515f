/* SPDX-License-Identifier: MIT */
/*
 * sweep.h - holding a backend's write() at any chosen instruction while a
 * cancellation request lands (cases/pc-sweep.c, cases/before-syscall.c).
 *
 * A forked child runs a target thread that calls the backend's write() on
 * a pipe, and a helper thread that issues the cancel request on command.
 * The parent single-steps the target with ptrace: once through an
 * uncancelled call, to learn the trace of PCs from the wrapper's entry to
 * its return and where the syscall instruction is; then, in a fresh child
 * per instruction, up to that instruction, where the request is made while
 * the target is stopped.  The child reports what happened as its exit
 * status (enum sweep_outcome).  Setup failures end the case (verdict_exit:
 * SKIP when ptrace is not permitted, ERROR otherwise).
 */
#ifndef SUPPORT_SWEEP_H
#define SUPPORT_SWEEP_H

#include "backend.h"

#include <stddef.h>
#include <stdint.h>

#define SWEEP_MAX_TRACE 4096
#define SWEEP_MAX_LEAD 1000000

/* What a child reports (its exit status). */
enum sweep_outcome {
	OUT_ACTED_BEFORE = 10,  /* cancelled, nothing written */
	OUT_DEFERRED = 11,      /* write returned 1, cancelled afterwards */
	OUT_ACTED_AFTER = 12,   /* byte written, write never returned */
	OUT_NOT_CANCELLED = 13, /* ran to the end uncancelled */
	OUT_OTHER = 14,
	OUT_HANG = 15,
	OUT_SETUP = 16,
	OUT_MASK_LEFT = 17,     /* deferred, but write returned with the
				 * thread's signal mask changed */
};

const char *sweep_outcome_name(int o);

/* The backend whose write() is stepped (call first). */
void sweep_use(const struct backend *be);

/* The uncancelled call: the trace of PCs from entry to return, and the
 * index of the syscall instruction.  Returns the trace length. */
size_t sweep_trace(uintptr_t entry, uintptr_t *trace, size_t *sys_at);

/* Cancel while the target is stopped at trace[i], then let it go.  Returns
 * the child's outcome. */
int sweep_at(uintptr_t entry, const uintptr_t *trace, size_t i);

/* "cp_write+0x12": the nearest exported symbol, else "libcp.so.1+0xf10"
 * (the child is a fork, so the parent's addresses are the child's). */
void sweep_symbol(uintptr_t pc, char *buf, size_t len);

#endif
