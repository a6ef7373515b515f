/* SPDX-License-Identifier: MIT */
/*
 * Description: pc-sweep — a cancellation request that lands at any
 * instruction of a cancellable write() must be acted on exactly when the
 * kernel has not yet run the call, and deferred exactly when it has.
 *
 * The race: the window between "the wrapper decided to enter the kernel"
 * and "the result is in the caller's hands" is a handful of instructions.
 * A request landing before the syscall instruction must act (the call
 * could block forever otherwise: a "PC on the syscall instruction" test
 * loses it); one landing after it must not (the result, here a byte
 * written, would be lost to the caller: glibc BZ#12683).
 *
 * The interleaving, forced for every instruction: a forked child runs a
 * target thread that calls the backend's write() on a pipe, and a helper
 * thread that issues the cancel request on command.  The parent first
 * single-steps the target (ptrace) through one uncancelled call to learn
 * the instruction trace from the wrapper's entry to its return.  Then, for
 * each instruction i of that trace, a fresh child is stepped to i, the
 * request is made while the target is stopped there, and the target is
 * released.  The child reports what happened: cancelled with nothing
 * written (acted before), or write returned 1 and the next cancellation
 * point acted (deferred after), or something else.
 *
 * Correct: acted-before for every i up to and including the syscall
 * instruction, deferred-after for every i after it, with the thread's
 * signal mask after the call what it was before (a deferred request that
 * leaves the cancel signal blocked makes every thread created later
 * uncancellable).  The case prints the instruction map it verified.
 */
#define _GNU_SOURCE
#include <case.h>
#include <sweep.h>

#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct backend *be;

static void sweep_print_map(const uintptr_t *trace, const int *out, size_t n,
			    size_t sys_at)
{
	char sym[96];

	printf("instruction map of %s write (step, nearest symbol, outcome):\n",
	       be->name);
	for (size_t i = 0; i < n; i++) {
		int want = i <= sys_at ? OUT_ACTED_BEFORE : OUT_DEFERRED;

		sweep_symbol(trace[i], sym, sizeof sym);
		printf("  %3zu %-36s %-14s%s%s\n", i, sym,
		       sweep_outcome_name(out[i]),
		       i == sys_at ? " <- syscall" : "",
		       out[i] == want ? "" : "   WRONG");
	}
}

int main(int argc, char **argv)
{
	static uintptr_t trace[SWEEP_MAX_TRACE];
	static int out[SWEEP_MAX_TRACE];
	size_t n, sys_at, early = 0, late = 0, mask = 0, other = 0;
	uintptr_t entry;

	/* A watchdog below ctest's TIMEOUT 60, so a hang ends as a verdict. */
	be = case_start(argc, argv, &(struct case_info){
		.name = "pc-sweep", .watchdog_s = 50, .hang_is_harness = 1 });
	sweep_use(be);
	entry = (uintptr_t)be->write;
	n = sweep_trace(entry, trace, &sys_at);
	for (size_t i = 0; i < n; i++) {
		out[i] = sweep_at(entry, trace, i);
		if (i <= sys_at && out[i] != OUT_ACTED_BEFORE)
			out[i] == OUT_DEFERRED ? early++ : other++;
		else if (i > sys_at && out[i] == OUT_MASK_LEFT)
			mask++;
		else if (i > sys_at && out[i] != OUT_DEFERRED)
			out[i] == OUT_ACTED_AFTER ? late++ : other++;
	}
	sweep_print_map(trace, out, n, sys_at);
	verdict_metric("instructions", "%zu", n);
	verdict_metric("syscall_at", "%zu", sys_at);
	if (early || late || mask || other)
		verdict_exit(VERDICT_FAIL, "%zu of %zu instruction(s) wrong: %zu "
			     "before the syscall deferred (a blocking call would "
			     "never be cancelled), %zu after it acted (the "
			     "result is lost), %zu deferred but left the thread's "
			     "signal mask changed, %zu other",
			     early + late + mask + other, n, early, late, mask,
			     other);
	verdict_exit(VERDICT_PASS, "all %zu instructions: acted on up to the "
		     "syscall instruction (#%zu), deferred after it", n, sys_at);
}
