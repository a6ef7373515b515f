/* SPDX-License-Identifier: MIT */
/*
 * Description: handler-nocancel-stays — a non-cancellable blocking syscall
 * inside a signal handler that interrupted a cancellation point must stay
 * non-cancellable; the request acts once the handler has returned.
 *
 * The race: the thread is blocked in read() (a cancellation point);
 * SIGUSR1's handler runs on top of it (SA_RESTART) and itself blocks in a
 * plain read(2) made with syscall(), which no backend treats as a
 * cancellation point.  The cancel request lands while the handler sits in
 * that inner read.  Two designs turn the inner read into a cancellation
 * point: classic glibc (asynchronous cancellation is still on from the
 * outer call) and an "in a cancellation point, and the PC is on a syscall
 * instruction" test (the interrupted inner read is rewound onto its
 * syscall instruction for the restart, and the flag is still set from the
 * outer call).  A design that declines and forgets leaves the thread
 * blocked in the restarted outer read.
 *
 * The interleaving, forced by handshakes: the supervisor waits until /proc
 * shows the target in read, sends SIGUSR1, waits until the handler has
 * announced its inner read and /proc shows it blocked there, requests
 * cancellation, waits until the cancel signal has acted, been taken, or is
 * held pending behind a blocked mask, then writes one byte to the inner
 * read's pipe.
 *
 * Correct: the inner read returns 1 (not cancelled, not EINTR: every
 * handler involved restarts), the handler finishes, and the cancellation
 * acts after it returned, in the restarted outer read (bounded wait; a
 * hang is FAIL with the thread's /proc diagnosis).  The time from the byte
 * to the cleanup handler is reported as latency_us.
 */
#define _GNU_SOURCE
#include <case.h>
#include <handler_run.h>
#include <handshake.h>
#include <procfs.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct handler_run run;
static int inner[2];                     /* the handler's own pipe */
static volatile int inner_announced, inner_returned, handler_done;
static volatile long inner_result = -1;
static volatile int inner_errno;

static void case_handler(int sig)
{
	char c;

	(void)sig;
	run.must_not_act = 1;
	flag_set(&inner_announced);
	inner_result = syscall(SYS_read, inner[0], &c, 1);
	inner_errno = errno;
	inner_returned = 1;
	handler_done = 1;
	run.must_not_act = 0;
}

static int case_in_inner_read(void *p)
{
	(void)p;
	return inner_announced && target_in_syscall(&run.target, SYS_read);
}

/* The cancellation never came: say where the thread is, then give the
 * outer read a byte so the process can end. */
static _Noreturn void case_lost(void)
{
	char diag[512];

	task_diagnose(run.tid, diag, sizeof diag);
	handler_run_unblock(&run);
	join_bounded(run.th, NULL, ACT_BOUND_MS);
	verdict_exit(VERDICT_FAIL, "cancellation lost: the inner read returned "
		     "%ld and the handler finished, yet the thread is still not "
		     "cancelled %d s later; %s", inner_result,
		     BOUND_S(ACT_BOUND_MS), diag);
}

static void case_setup(const struct backend *be)
{
	char err[160];

	handler_install(SIGUSR1, case_handler);
	if (pipe2(inner, O_CLOEXEC))
		verdict_exit(VERDICT_ERROR, "pipe2: %s", strerror(errno));
	run.be = be;
	run.own_signals = 1ULL << (SIGUSR1 - 1);
	if (handler_run_start(&run, 1, err, sizeof err))
		verdict_exit(VERDICT_ERROR, "%s", err);
	pthread_kill(run.th, SIGUSR1);
	if (!wait_until(case_in_inner_read, NULL, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "the SIGUSR1 handler never blocked in "
			     "its inner read");
}

int main(int argc, char **argv)
{
	const struct backend *be = case_start(argc, argv, &(struct case_info){
		.name = "handler-nocancel-stays" });
	struct timespec woken;
	void *ret;

	case_setup(be);
	if (be->cancel(run.th))
		verdict_exit(VERDICT_ERROR, "cancel failed");
	if (!wait_until(handler_run_settled, &run, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "cancel signal neither taken nor held "
			     "within %d s", BOUND_S(SETUP_BOUND_MS));
	clock_gettime(CLOCK_MONOTONIC, &woken);
	if (write(inner[1], "w", 1) != 1)
		verdict_exit(VERDICT_ERROR, "write: %s", strerror(errno));
	if (handler_run_finish(&run, &ret))
		case_lost();
	if (run.acted_inside || !handler_done)
		verdict_exit(VERDICT_FAIL, "cancellation acted inside the SIGUSR1 "
			     "handler, %s", inner_returned ? "after its inner read "
			     "returned" : "in its non-cancellable read (the read "
			     "became a cancellation point)");
	if (inner_result != 1)
		verdict_exit(VERDICT_FAIL, "the handler's non-cancellable read "
			     "returned %ld (%s) instead of the byte", inner_result,
			     inner_result < 0 ? strerror(inner_errno) : "short");
	if (ret != PTHREAD_CANCELED || run.returned)
		verdict_exit(VERDICT_FAIL, "thread %s", run.returned
			     ? "was not cancelled in its outer read: the read "
			       "returned" : "ended without being cancelled");
	verdict_metric("latency_us", "%ld", handler_run_latency_us(&run, &woken));
	verdict_exit(VERDICT_PASS, "the handler's read stayed non-cancellable "
		     "and returned the byte; the cancellation acted %ld us after "
		     "it was woken, in the restarted outer read",
		     handler_run_latency_us(&run, &woken));
}
