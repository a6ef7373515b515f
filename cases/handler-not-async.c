/* SPDX-License-Identifier: MIT */
/*
 * Description: handler-not-async — a cancellation requested while an
 * unrelated signal handler runs on top of a blocked cancellation point
 * must not act inside that handler.
 *
 * The race: the thread is blocked in read(); SIGUSR1 arrives and its
 * handler runs (SA_RESTART: the read will be restarted).  The handler is
 * ordinary async-signal-safe code, not a cancellation point: a request
 * that lands now must wait until the handler is done.  Classic glibc
 * switches asynchronous cancellation on around the blocking call, and the
 * handler inherits it: the thread is unwound from the middle of the
 * handler, which never finishes its work (a lock it took stays taken, a
 * half-written structure stays half-written).
 *
 * The interleaving, forced by handshakes, once per way the handler can be
 * caught: the supervisor waits until /proc shows the target in read, sends
 * SIGUSR1, waits until the handler holds (asleep in its futex wait per
 * /proc, or spinning), requests cancellation,
 * waits until the cancel signal has acted, been taken, or is held pending
 * behind a blocked mask (per /proc), then releases the handler, which then
 * does the rest of its work and sets a marker as its last step.  Variant
 * "futex": the handler waits for its release in a raw (non-cancellable)
 * futex wait, so the cancel signal interrupts a syscall inside the
 * handler.  Variant "spin": it waits spinning in user code, with no
 * syscall at all.
 *
 * Correct: the handler completes (marker set) before any cleanup handler
 * runs, and the thread is cancelled in the end.  Whether the request also
 * acts promptly after the handler returns is nested-handler-not-lost's
 * question; here a thread still blocked afterwards is woken with a byte so
 * that its next cancellation point decides.
 */
#define _GNU_SOURCE
#include <case.h>
#include <handler_run.h>
#include <handshake.h>
#include <procfs.h>

#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

struct case_variant {
	const char *name;
	void (*hold)(volatile int *release);   /* how the handler waits */
	long asleep_in;                         /* per /proc, or -1: running */
};

static void case_spin(volatile int *release)
{
	while (!__atomic_load_n(release, __ATOMIC_SEQ_CST))
		__asm__ volatile("" ::: "memory");
}

static const struct case_variant variants[] = {
	{ .name = "futex", .hold = flag_wait, .asleep_in = SYS_futex },
	{ .name = "spin", .hold = case_spin, .asleep_in = -1 },
};

#define N_VARIANTS (sizeof variants / sizeof *variants)

static struct handler_run *run;
static const struct case_variant *variant;
static volatile int handler_entered, handler_release, handler_done;

static void case_handler(int sig)
{
	(void)sig;
	run->must_not_act = 1;
	flag_set(&handler_entered);
	variant->hold(&handler_release);
	/* The rest of the handler's work: its marker is its last step. */
	handler_done = 1;
	run->must_not_act = 0;
}

/* The handler holds: spinning, or asleep in its futex wait (not merely
 * announced: a request landing before the wait's syscall instruction
 * would test the spin variant again). */
static int case_holding(void *p)
{
	struct handler_run *r = p;

	return handler_entered &&
	       (variant->asleep_in < 0 ||
		target_in_syscall(&r->target, variant->asleep_in));
}

/* Released handler: it finished, or the cancellation ended it.  Then the
 * thread is cancelled, or back in a blocked read (whether the request
 * was lost there is not this case's question). */
static int case_handler_over(void *p)
{
	struct handler_run *r = p;

	if (r->cleanup_ran)
		return 1;
	return handler_done && target_in_syscall(&r->target, SYS_read);
}

static const char *case_variant(const struct backend *be, size_t i,
				char *why, size_t len)
{
	const struct case_variant *v = &variants[i];
	struct handler_run r = { .be = be, .own_signals = 1ULL << (SIGUSR1 - 1) };
	char err[160];
	void *ret;

	run = &r;
	variant = v;
	handler_entered = handler_release = handler_done = 0;
	if (handler_run_start(&r, 1, err, sizeof err))
		verdict_exit(VERDICT_ERROR, "%s: %s", v->name, err);
	pthread_kill(r.th, SIGUSR1);
	if (!wait_until(case_holding, &r, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "%s: SIGUSR1 handler never started "
			     "holding", v->name);
	if (be->cancel(r.th))
		verdict_exit(VERDICT_ERROR, "%s: cancel failed", v->name);
	if (!wait_until(handler_run_settled, &r, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "%s: cancel signal neither taken nor "
			     "held within %d s", v->name, BOUND_S(SETUP_BOUND_MS));
	flag_set(&handler_release);
	if (!wait_until(case_handler_over, &r, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "%s: the released handler neither "
			     "finished nor was cancelled within %d s", v->name,
			     BOUND_S(SETUP_BOUND_MS));
	handler_run_unblock(&r);
	if (join_bounded(r.th, &ret, ACT_BOUND_MS))
		verdict_exit(VERDICT_FAIL, "%s: thread did not end %d s after its "
			     "read was given a byte", v->name, BOUND_S(ACT_BOUND_MS));
	close(r.pipefd[0]);
	close(r.pipefd[1]);
	if (r.acted_inside || (r.cleanup_ran && !handler_done))
		snprintf(why, len, "%s: cancellation acted inside the SIGUSR1 "
			 "handler (asynchronously); its work was never finished",
			 v->name);
	else if (ret != PTHREAD_CANCELED)
		snprintf(why, len, "%s: thread ended without being cancelled",
			 v->name);
	else
		why[0] = 0;
	return why;
}

int main(int argc, char **argv)
{
	const struct backend *be = case_start(argc, argv, &(struct case_info){
		.name = "handler-not-async" });

	handler_install(SIGUSR1, case_handler);
	case_run_variants(be, N_VARIANTS, case_variant, "handler blocked in a "
			  "futex wait and spinning: it completed its work, the "
			  "cancellation acted only after it returned");
}
