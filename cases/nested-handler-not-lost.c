/* SPDX-License-Identifier: MIT */
/*
 * Description: nested-handler-not-lost — a cancellation requested while an
 * unrelated signal handler runs on top of a blocked cancellation point must
 * neither act inside that handler nor be lost.
 *
 * The race: the thread is blocked in read(); SIGUSR1 arrives and its
 * handler runs (the read will be restarted, SA_RESTART).  The cancel
 * request lands now.  Acting at once would cancel the handler
 * asynchronously, in the middle of code that is only async-signal-safe
 * (classic glibc: the handler inherits the asynchronous type of the
 * cancellation point).  Declining and forgetting leaves the thread blocked
 * in the restarted read forever (the noretry strategy).
 *
 * The interleaving, forced by handshakes: the supervisor waits until /proc
 * shows the target in read, sends SIGUSR1, waits until the handler says it
 * has started (the handler then blocks on a futex), requests cancellation,
 * waits until the cancel signal has been taken by the thread or is held
 * pending behind a blocked mask (per /proc), then releases the handler.
 *
 * Correct: the cleanup handler does not run while the SIGUSR1 handler is
 * active, and runs promptly after it returns (the restarted read is
 * cancelled).  The time from release to cleanup is reported as latency_us.
 */
#define _GNU_SOURCE
#include <case.h>
#include <handshake.h>
#include <procfs.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const struct backend *be;
static int pipefd[2];
static volatile int cleanup_ran, cleanup_in_handler;
static struct timespec cleanup_at;
static struct target target;

static void case_cleanup(void *p)
{
	(void)p;
	clock_gettime(CLOCK_MONOTONIC, &cleanup_at);
	cleanup_in_handler = hold.in;
	flag_set(&cleanup_ran);
}

static void *case_target_main(void *p)
{
	char c;

	(void)p;
	target_begin(&target);
	pthread_cleanup_push(case_cleanup, NULL);
	be->read(pipefd[0], &c, 1);
	be->testcancel();
	pthread_cleanup_pop(0);
	return NULL;
}

static int case_in_read(void *p)
{
	(void)p;
	return target_in_syscall(&target, SYS_read);
}

/* Where did the cancel signal go?  The cancel call has returned, so any
 * signal it sends is already queued.  Settled means: it acted (cleanup
 * ran), or it was taken (nothing but SIGUSR1 pending any more), or it is
 * held: pending and blocked, i.e. re-raised behind the handler's mask.  A
 * signal pending but not blocked is still on its way: keep waiting. */
static int case_settled(void *p)
{
	uint64_t pending = 0, blocked = 0, other;

	(void)p;
	if (cleanup_ran)
		return 1;
	if (task_sigpending(target.tid, &pending) ||
	    task_sigblocked(target.tid, &blocked))
		return 0;
	other = pending & ~(1ULL << (SIGUSR1 - 1));
	return other == 0 || (other & blocked) == other;
}

static void case_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = hold_handler;
	sa.sa_flags = SA_RESTART;
	if (pipe2(pipefd, O_CLOEXEC) || sigaction(SIGUSR1, &sa, NULL) ||
	    pthread_create(&target.th, NULL, case_target_main, NULL))
		verdict_exit(VERDICT_ERROR, "setup: %s", strerror(errno));
	if (!wait_until(case_in_read, NULL, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "target never blocked in read");
	watchdog_watch(target.tid);
	pthread_kill(target.th, SIGUSR1);
	if (!wait_until(flag_is_set, (void *)&hold.entered, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "SIGUSR1 handler never started");
}

static long elapsed_us(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000L +
	       (b->tv_nsec - a->tv_nsec) / 1000L;
}

/* The cancellation was lost: say where the thread is, then unblock it so
 * the process can end (its next cancellation point acts). */
static _Noreturn void case_lost(void)
{
	char diag[512];

	task_diagnose(target.tid, diag, sizeof diag);
	if (write(pipefd[1], "x", 1) == 1)
		join_bounded(target.th, NULL, ACT_BOUND_MS);
	verdict_exit(VERDICT_FAIL, "cancellation lost: still blocked %d s after "
		     "the handler returned; %s", BOUND_S(ACT_BOUND_MS), diag);
}

int main(int argc, char **argv)
{
	struct timespec released;
	void *ret;

	be = case_start(argc, argv, &(struct case_info){
		.name = "nested-handler-not-lost" });
	case_setup();
	if (be->cancel(target.th))
		verdict_exit(VERDICT_ERROR, "cancel failed");
	if (!wait_until(case_settled, NULL, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "cancel signal neither taken nor "
			     "held within %d s", BOUND_S(SETUP_BOUND_MS));
	if (cleanup_ran && cleanup_in_handler)
		verdict_exit(VERDICT_FAIL, "cancellation acted inside the "
			     "SIGUSR1 handler (asynchronously)");
	clock_gettime(CLOCK_MONOTONIC, &released);
	flag_set(&hold.release);
	if (!wait_until(flag_is_set, (void *)&cleanup_ran, ACT_BOUND_MS))
		case_lost();
	if (join_bounded(target.th, &ret, ACT_BOUND_MS))
		verdict_exit(VERDICT_FAIL, "cleanup handler ran but the thread "
			     "did not end within %d s", BOUND_S(ACT_BOUND_MS));
	if (cleanup_in_handler)
		verdict_exit(VERDICT_FAIL, "cancellation acted inside the "
			     "SIGUSR1 handler (asynchronously)");
	verdict_metric("latency_us", "%ld", elapsed_us(&released, &cleanup_at));
	if (ret != PTHREAD_CANCELED)
		verdict_exit(VERDICT_FAIL, "thread ended without being cancelled");
	verdict_exit(VERDICT_PASS, "not acted inside the handler; acted %ld us "
		     "after it returned", elapsed_us(&released, &cleanup_at));
}
