/* SPDX-License-Identifier: MIT */
/*
 * Description: before-syscall — a cancellation request that lands after
 * the cancellation point's last check of the request but before its
 * syscall instruction must act, and the syscall must not run.
 *
 * The race: a cancellation point checks for a pending request, then
 * enters the kernel.  A request that arrives between the two finds the
 * check already passed.  The implementation must still act: the call
 * could block forever otherwise (a read that nobody will ever answer), and
 * a call with a side effect must not have it (the caller is cancelled, so
 * it never learns the call ran).  An "in a cancellation point, and the PC
 * is on the syscall instruction" test (the pcsyscall strategy) defers
 * here: the PC is one instruction short.
 *
 * The interleaving, forced by ptrace (support/sweep.h): a forked child's
 * target thread calls the backend's write() of one byte to a pipe.  The
 * parent single-steps one uncancelled call to find the syscall
 * instruction, then, in a fresh child, steps the target to the instruction
 * right before it (for libcp, the branch that follows the check of the
 * request), makes the request while the target is stopped there, and lets
 * it go.
 *
 * Correct: the thread is cancelled and the pipe stays empty: no byte may
 * arrive.  pc-sweep covers every instruction; this case names the one that
 * matters for this race.  Classic glibc's asynchronous cancellation is on
 * there, so it acts before the syscall too (its loss is after it).
 */
#define _GNU_SOURCE
#include <case.h>
#include <sweep.h>

#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const struct backend *be = case_start(argc, argv, &(struct case_info){
		.name = "before-syscall", .hang_is_harness = 1 });
	static uintptr_t trace[SWEEP_MAX_TRACE];
	uintptr_t entry = (uintptr_t)be->write;
	size_t n, sys_at;
	char sym[96];
	int out;

	sweep_use(be);
	n = sweep_trace(entry, trace, &sys_at);
	if (sys_at == 0)
		verdict_exit(VERDICT_ERROR, "the write wrapper's first instruction "
			     "is the syscall: no instruction before it to stop at");
	out = sweep_at(entry, trace, sys_at - 1);
	sweep_symbol(trace[sys_at - 1], sym, sizeof sym);
	verdict_metric("instructions", "%zu", n);
	verdict_metric("stopped_at", "%zu", sys_at - 1);
	if (out == OUT_ACTED_BEFORE)
		verdict_exit(VERDICT_PASS, "request made at %s, the instruction "
			     "before the syscall: acted, nothing written", sym);
	if (out == OUT_DEFERRED)
		verdict_exit(VERDICT_FAIL, "request made at %s, the instruction "
			     "before the syscall, was deferred: the write ran (a "
			     "byte arrived) and the thread was cancelled only "
			     "afterwards; a blocking call would never have been "
			     "cancelled", sym);
	verdict_exit(VERDICT_FAIL, "request made at %s, the instruction before "
		     "the syscall: %s", sym, sweep_outcome_name(out));
}
