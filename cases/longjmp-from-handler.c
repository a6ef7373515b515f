/* SPDX-License-Identifier: MIT */
/*
 * Description: longjmp-from-handler — after a siglongjmp out of a signal
 * handler that interrupted a cancellation point, a later cancellation
 * request must still be deferred: it acts at the next cancellation point,
 * never asynchronously in ordinary code (cf. glibc BZ#14147).
 *
 * The race: the thread is blocked in read(); SIGUSR1's handler leaves by
 * siglongjmp, abandoning the read.  Whatever the cancellation point had
 * switched on for its duration is never switched off: classic glibc's
 * asynchronous type (the thread stays asynchronously cancellable), or an
 * "inside a cancellation point" flag (a design that acts when that flag is
 * set and the PC sits on a syscall instruction then cancels any ordinary
 * syscall the thread is restarting).  The thread now runs ordinary code,
 * which is not a cancellation point: a request that lands there must wait.
 *
 * The interleaving, forced by handshakes, once per kind of ordinary code:
 * the supervisor waits until /proc shows the target in read, sends
 * SIGUSR1 (its handler jumps back to the target's sigsetjmp), waits until
 * the target runs its ordinary code, requests cancellation there, waits
 * until the cancel signal has acted, been taken, or is held pending behind
 * a blocked mask (per /proc), then lets the ordinary code finish.  Variant
 * "compute": a compute loop spinning on the handshake flag, no syscall.
 * Variant "futex": a raw, non-cancellable futex wait on that flag (the
 * cancel signal interrupts it; SA_RESTART restarts it).  The target then
 * calls read() again on its empty pipe: the next cancellation point.
 *
 * Correct: the ordinary code runs to its end (a marker), and the
 * cancellation acts in the next read (bounded wait: a thread still blocked
 * ACT_BOUND_MS later is a FAIL with its /proc diagnosis).  Nothing of the
 * abandoned call is left behind: the thread's signal mask after the ordinary code is
 * the one it had before the read (a cancel signal left blocked there is
 * inherited by every thread it creates), and a thread it creates at that
 * point, blocked in read, is cancelled like any other.
 */
#define _GNU_SOURCE
#include <case.h>
#include <handler_run.h>
#include <handshake.h>
#include <procfs.h>

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct case_variant {
	const char *name;
	void (*hold)(volatile int *release);   /* the ordinary code's wait */
	long blocked_in;                        /* per /proc, or -1: running */
};

static void case_compute(volatile int *release)
{
	unsigned long n = 0;

	while (!__atomic_load_n(release, __ATOMIC_SEQ_CST))
		n = n * 6364136223846793005UL + 1;   /* work, not a syscall */
	__asm__ volatile("" : : "r"(n));
}

static const struct case_variant variants[] = {
	{ .name = "compute", .hold = case_compute, .blocked_in = -1 },
	{ .name = "futex", .hold = flag_wait, .blocked_in = SYS_futex },
};

#define N_VARIANTS (sizeof variants / sizeof *variants)

static const struct case_variant *variant;
static struct handler_run run;
static sigjmp_buf jump_back;
static volatile int ordinary_entered, ordinary_release, ordinary_done,
		    abandoned_returned;
static volatile uint64_t mask_before, mask_after;

/* A thread created in the ordinary code, blocked in the backend's read of
 * its own pipe: it inherits the target's mask of that moment. */
static struct child {
	pthread_t th;
	int pipefd[2];
	volatile pid_t tid;
	volatile int made, started;
} child;

static uint64_t own_mask(void)
{
	uint64_t m = 0;

	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, sizeof m);
	return m;
}

static void *case_child(void *p)
{
	char c;

	(void)p;
	child.tid = (pid_t)syscall(SYS_gettid);
	flag_set(&child.started);
	run.be->read(child.pipefd[0], &c, 1);
	return NULL;
}

static void case_jump_handler(int sig)
{
	(void)sig;
	siglongjmp(jump_back, 1);
}

static void case_body(struct handler_run *r)
{
	char c;

	mask_before = own_mask();
	if (sigsetjmp(jump_back, 1) == 0) {
		r->be->read(r->pipefd[0], &c, 1);   /* SIGUSR1 jumps out of it */
		abandoned_returned = 1;
	}
	r->must_not_act = 1;
	flag_set(&ordinary_entered);
	variant->hold(&ordinary_release);
	mask_after = own_mask();
	if (pipe2(child.pipefd, O_CLOEXEC) == 0 &&
	    pthread_create(&child.th, NULL, case_child, NULL) == 0) {
		child.made = 1;
		flag_wait(&child.started);
	}
	r->must_not_act = 0;
	ordinary_done = 1;
	/* The next cancellation point. */
	target_returned(&r->target, r->be->read(r->pipefd[0], &c, 1));
}

/* In its ordinary code, and inside the variant's syscall if it has one. */
static int case_in_ordinary(void *p)
{
	(void)p;
	return ordinary_entered &&
	       (variant->blocked_in < 0 ||
		target_in_syscall(&run.target, variant->blocked_in));
}

static void case_launch(const struct backend *be, const struct case_variant *v)
{
	char err[160];

	variant = v;
	run = (struct handler_run){ .be = be, .body = case_body,
				    .own_signals = 1ULL << (SIGUSR1 - 1) };
	ordinary_entered = ordinary_release = ordinary_done = 0;
	abandoned_returned = 0;
	memset(&child, 0, sizeof child);
	if (handler_run_start(&run, 1, err, sizeof err))
		verdict_exit(VERDICT_ERROR, "%s: %s", v->name, err);
	pthread_kill(run.th, SIGUSR1);
	if (!wait_until(case_in_ordinary, NULL, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "%s: target never reached its "
			     "ordinary code after the siglongjmp", v->name);
}

/* The request survived the ordinary code but the next read did not act:
 * say where the thread is, then give it a byte so the process can end. */
static const char *case_lost(const struct case_variant *v, char *why,
			     size_t len)
{
	char diag[384];

	task_diagnose(run.tid, diag, sizeof diag);
	handler_run_unblock(&run);
	join_bounded(run.th, NULL, ACT_BOUND_MS);
	snprintf(why, len, "%s: cancellation lost: still blocked in the next "
		 "read %d s later; %s", v->name, BOUND_S(ACT_BOUND_MS), diag);
	return why;
}

/* The thread created after the escape must be cancellable. */
static int case_child_blocked(void *p)
{
	(void)p;
	return task_syscall(child.tid) == SYS_read;
}

static const char *case_child_check(const struct case_variant *v, char *why,
				    size_t len)
{
	char diag[384];
	void *ret = NULL;

	if (!wait_until(case_child_blocked, NULL, 5000))
		verdict_exit(VERDICT_ERROR, "%s: the thread created after the "
			     "escape never blocked in read", v->name);
	if (run.be->cancel(child.th))
		verdict_exit(VERDICT_ERROR, "%s: cancel of the child failed",
			     v->name);
	if (join_bounded(child.th, &ret, 5000) == 0 && ret == PTHREAD_CANCELED)
		return NULL;
	task_diagnose(child.tid, diag, sizeof diag);
	if (write(child.pipefd[1], "x", 1) == 1)
		join_bounded(child.th, NULL, 5000);
	snprintf(why, len, "%s: a thread created after the escape (mask %#llx) "
		 "was not cancelled: still blocked 5 s after the request; %s",
		 v->name, (unsigned long long)mask_after, diag);
	return why;
}

static const char *case_variant(const struct backend *be, size_t i,
				char *why, size_t len)
{
	const struct case_variant *v = &variants[i];
	void *ret;

	case_launch(be, v);
	if (be->cancel(run.th))
		verdict_exit(VERDICT_ERROR, "%s: cancel failed", v->name);
	if (!wait_until(handler_run_settled, &run, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "%s: cancel signal neither taken nor "
			     "held within %d s", v->name, BOUND_S(SETUP_BOUND_MS));
	flag_set(&ordinary_release);
	if (handler_run_finish(&run, &ret))
		return case_lost(v, why, len);
	close(run.pipefd[0]);
	close(run.pipefd[1]);
	if (abandoned_returned)
		verdict_exit(VERDICT_ERROR, "%s: the read SIGUSR1 should have "
			     "jumped out of returned", v->name);
	if (run.acted_inside || !ordinary_done)
		snprintf(why, len, "%s: cancellation acted asynchronously in "
			 "ordinary code after the siglongjmp", v->name);
	else if (run.returned || ret != PTHREAD_CANCELED)
		snprintf(why, len, "%s: the next read returned instead of acting",
			 v->name);
	else if (mask_after != mask_before)
		snprintf(why, len, "%s: after the escape and the deferred request "
			 "the thread's signal mask changed from %#llx to %#llx",
			 v->name, (unsigned long long)mask_before,
			 (unsigned long long)mask_after);
	else
		why[0] = 0;
	if (child.made) {
		char lost[512];

		if (case_child_check(v, lost, sizeof lost))
			verdict_append(why, len, lost);
		close(child.pipefd[0]);
		close(child.pipefd[1]);
	}
	return why;
}

int main(int argc, char **argv)
{
	const struct backend *be = case_start(argc, argv, &(struct case_info){
		.name = "longjmp-from-handler", .watchdog_s = 40 });

	handler_install(SIGUSR1, case_jump_handler);
	case_run_variants(be, N_VARIANTS, case_variant, "after the siglongjmp, "
			  "a request in a compute loop and in a raw futex wait "
			  "was deferred and left the thread's mask as it was; "
			  "it acted in the next read, and a thread created "
			  "after the escape was cancelled");
}
