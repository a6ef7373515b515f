/* SPDX-License-Identifier: MIT */
/*
 * Description: restart-syscall — a cancellation that arrives while a sleep
 * is being continued by the kernel through restart_syscall(2) must act.
 *
 * The race: a thread sleeping in nanosleep or clock_nanosleep that is
 * stopped and resumed (job control, a debugger) is not failed with EINTR:
 * the kernel saves the remaining time in the thread's restart block, sets
 * the syscall number to restart_syscall (219 on x86_64) and rewinds the PC
 * onto the syscall instruction.  The thread then sleeps in a syscall its
 * caller never made.  A cancellation design that recognised the call by
 * its number, or whose window did not cover the re-executed instruction,
 * would leave the request unserved until the sleep ends (an hour here).
 * (An unrelated handler cannot start this: signal(7) says a sleep that
 * ran a handler fails with EINTR even under SA_RESTART; eintr-acts covers
 * that.  Only a stop without a handler continues through restart_syscall.)
 *
 * The interleaving, by construction: for nanosleep and clock_nanosleep,
 * the target blocks in the call (per /proc/<tid>/syscall); a forked helper
 * PTRACE_SEIZEs that one thread, PTRACE_INTERRUPTs it (a ptrace stop, no
 * signal handler runs), waits for the stop and detaches; the supervisor
 * waits until /proc shows the thread blocked in restart_syscall, then
 * requests cancellation.
 *
 * Correct: the thread is cancelled in the restarted sleep; the call never
 * returns to its caller.
 */
#define _GNU_SOURCE
#include <blockers.h>
#include <case.h>
#include <handshake.h>
#include <procfs.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const variants[] = { "nanosleep", "clock_nanosleep" };

/* Helper exit statuses: what failed, in the order it is tried. */
enum { CASE_STOPPED = 0, CASE_NO_SEIZE = 10, CASE_NO_INTERRUPT, CASE_NO_STOP,
       CASE_NO_DETACH };

/* In the forked helper (async-signal-safe calls only): stop the thread
 * with a ptrace trap and let it go again. */
static _Noreturn void case_helper(pid_t tid)
{
	int st;

	if (ptrace(PTRACE_SEIZE, tid, 0, 0))
		_exit(CASE_NO_SEIZE);
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0))
		_exit(CASE_NO_INTERRUPT);
	if (waitpid(tid, &st, __WALL) != tid || !WIFSTOPPED(st))
		_exit(CASE_NO_STOP);
	if (ptrace(PTRACE_DETACH, tid, 0, 0))
		_exit(CASE_NO_DETACH);
	_exit(CASE_STOPPED);
}

static void case_stop_and_resume(pid_t tid)
{
	pid_t helper;
	int st;

	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);   /* Yama scope 1 */
	helper = fork();
	if (helper < 0)
		verdict_exit(VERDICT_ERROR, "fork: %s", strerror(errno));
	if (helper == 0)
		case_helper(tid);
	if (waitpid(helper, &st, 0) != helper || !WIFEXITED(st))
		verdict_exit(VERDICT_ERROR, "ptrace helper died");
	prctl(PR_SET_PTRACER, 0, 0, 0, 0);
	if (WEXITSTATUS(st) == CASE_NO_SEIZE)
		verdict_exit(VERDICT_SKIP, "ptrace(PTRACE_SEIZE) of a thread not "
			     "permitted here: cannot stop the sleep without a "
			     "handler");
	if (WEXITSTATUS(st) != CASE_STOPPED)
		verdict_exit(VERDICT_ERROR, "ptrace helper failed at step %d",
			     WEXITSTATUS(st) - CASE_NO_SEIZE);
}

static int case_in_restart(void *p)
{
	const struct blocked_run *r = p;

	return __atomic_load_n(&r->returned, __ATOMIC_ACQUIRE) ||
	       target_in_syscall(&r->target, SYS_restart_syscall);
}

/* One variant: "" when it acted, else what went wrong. */
static const char *case_variant(const struct backend *be, const char *name,
				char *why, size_t len)
{
	struct blocked_run r = { .b = blocker_find(name), .be = be,
				 .bound_ms = 3600 * 1000 };
	char diag[400];
	void *ret;

	if (!r.b || blocked_start(&r))
		verdict_exit(VERDICT_ERROR, "target never blocked in %s", name);
	watchdog_watch(r.tid);
	case_stop_and_resume(r.tid);
	if (!wait_until(case_in_restart, &r, SETUP_BOUND_MS) || r.returned)
		verdict_exit(VERDICT_ERROR, "%s: not continued through "
			     "restart_syscall after the stop (/proc shows %ld, "
			     "returned %d)", name, task_syscall(r.tid), r.returned);
	be->cancel(r.th);
	if (target_join(&r.target, &ret, ACT_BOUND_MS, diag, sizeof diag))
		verdict_exit(VERDICT_FAIL, "%s: cancellation lost in "
			     "restart_syscall, still blocked %d s later; %s",
			     name, BOUND_S(ACT_BOUND_MS), diag);
	blocked_end(&r);
	if (ret == PTHREAD_CANCELED && !r.returned)
		return "";
	snprintf(why, len, "%s returned %ld (%s) instead of acting", name,
		 r.result, r.result < 0 ? strerror(r.saved_errno) : "no error");
	return why;
}

int main(int argc, char **argv)
{
	const struct backend *be = case_start(argc, argv, &(struct case_info){
		.name = "restart-syscall", .watchdog_s = 50 });
	char why[600], bad[1000] = "";

	for (size_t i = 0; i < sizeof variants / sizeof *variants; i++)
		verdict_append(bad, sizeof bad,
			       case_variant(be, variants[i], why, sizeof why));
	if (*bad)
		verdict_exit(VERDICT_FAIL, "%s", bad);
	verdict_exit(VERDICT_PASS, "nanosleep and clock_nanosleep continued "
		     "through restart_syscall after a ptrace stop; the "
		     "cancellation acted there");
}
