/* SPDX-License-Identifier: MIT */
/*
 * Description: restart-transparent — an unrelated signal delivered while a
 * thread waits in a cancellation point must look exactly as it does with
 * the plain libc call: a call the kernel restarts after an SA_RESTART
 * handler never surfaces EINTR, however often it is interrupted; without
 * SA_RESTART (and for the calls that are never restarted) EINTR appears
 * just as libc shows it.
 *
 * The race: the cancellable routine is where the kernel rewinds the PC for
 * a restart (-ERESTARTSYS under SA_RESTART: the PC goes back onto the
 * syscall instruction with the registers of the original call).  A routine
 * that clobbered an argument register after the syscall instruction, a
 * wrapper that turned EINTR into something else, or a library that
 * installed handlers without SA_RESTART would break callers that never
 * asked for cancellation.  No cancellation is requested here, so every
 * libcp strategy takes the same path: this guards the routine and the
 * wrappers, not a strategy.
 *
 * The interleaving, forced by handshakes and repeated: for every call of
 * the blockers table (support/blockers.c: read on a pipe, accept, futex,
 * wait4, and the EINTR-only waits), the target blocks in it (per
 * /proc/<tid>/syscall); the supervisor sends SIGUSR1, waits for the
 * handler's handshake, waits until the thread is back in the call (or has
 * returned), and repeats, 20 times.  Then it completes the call (a byte,
 * a connection, a futex wake, the child's exit).  This is done with
 * SA_RESTART and without, for the backend and, as the reference, for the
 * libc call in the same process.
 *
 * Correct: with SA_RESTART a restarting call survives all 20 signals and
 * returns its normal result; in every other combination the call returns
 * after the same signal, with the same result and errno, as the libc call.
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
#include <sys/syscall.h>
#include <unistd.h>

#define CASE_ROUNDS 20

static volatile int handled;

static void case_count_handler(int sig)
{
	(void)sig;
	__atomic_add_fetch(&handled, 1, __ATOMIC_SEQ_CST);
}

/* What one run saw: how many signals the call took before it returned,
 * and what it returned. */
struct case_outcome {
	int signals;
	long result;
	int err;
};

static int case_back_or_done(void *p)
{
	struct blocked_run *r = p;

	return __atomic_load_n(&r->returned, __ATOMIC_ACQUIRE) ||
	       blocker_is_blocked(r->b, r->tid);
}

struct case_handled_past {
	int before;
};

static int case_handled(void *p)
{
	return __atomic_load_n(&handled, __ATOMIC_SEQ_CST) >
	       ((struct case_handled_past *)p)->before;
}

static struct case_outcome case_run(const struct backend *be,
				    const struct blocker *b)
{
	struct blocked_run r = { .b = b, .be = be, .bound_ms = 3600 * 1000 };
	struct case_outcome o = { 0, 0, 0 };

	if (blocked_start(&r))
		verdict_exit(VERDICT_ERROR, "%s (%s): target never blocked",
			     b->name, be->name);
	watchdog_watch(r.tid);
	for (; o.signals < CASE_ROUNDS; o.signals++) {
		struct case_handled_past past = { __atomic_load_n(&handled,
							       __ATOMIC_SEQ_CST) };

		if (!wait_until(case_back_or_done, &r, SETUP_BOUND_MS))
			verdict_exit(VERDICT_ERROR, "%s (%s): not back in the "
				     "call %d s after a handler", b->name, be->name,
				     BOUND_S(SETUP_BOUND_MS));
		if (__atomic_load_n(&r.returned, __ATOMIC_ACQUIRE))
			break;
		syscall(SYS_tgkill, getpid(), r.tid, SIGUSR1);
		if (!wait_until(case_handled, &past, SETUP_BOUND_MS))
			verdict_exit(VERDICT_ERROR, "%s (%s): SIGUSR1 handler "
				     "never ran", b->name, be->name);
	}
	if (!wait_until(case_back_or_done, &r, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "%s (%s): not back in the call %d s "
			     "after the last handler", b->name, be->name,
			     BOUND_S(SETUP_BOUND_MS));
	if (!__atomic_load_n(&r.returned, __ATOMIC_ACQUIRE) && b->unblock)
		b->unblock(&r);
	if (join_bounded(r.th, NULL, ACT_BOUND_MS))
		verdict_exit(VERDICT_FAIL, "%s (%s): still blocked %d s after it "
			     "was completed", b->name, be->name,
			     BOUND_S(ACT_BOUND_MS));
	blocked_end(&r);
	o.result = r.result;
	o.err = r.result < 0 ? r.saved_errno : 0;
	return o;
}

static void case_describe(const struct case_outcome *o, char *buf, size_t len)
{
	if (o->signals == CASE_ROUNDS)
		snprintf(buf, len, "survived %d signals, then returned %ld",
			 o->signals, o->result);
	else
		snprintf(buf, len, "returned %ld (%s) after signal %d", o->result,
			 o->err ? strerror(o->err) : "no error", o->signals);
}

/* One call under one sa_flags: "" when right, else what went wrong. */
static const char *case_variant(const struct backend *be,
				const struct backend *libc,
				const struct blocker *b, int restart,
				char *why, size_t len)
{
	struct sigaction sa;
	struct case_outcome got, ref;
	char g[96], f[96];
	int must_restart = restart && b->restarts;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = case_count_handler;
	sa.sa_flags = restart ? SA_RESTART : 0;
	if (sigaction(SIGUSR1, &sa, NULL))
		verdict_exit(VERDICT_ERROR, "sigaction: %s", strerror(errno));
	got = case_run(be, b);
	ref = case_run(libc, b);
	case_describe(&got, g, sizeof g);
	case_describe(&ref, f, sizeof f);
	if (must_restart && (got.signals != CASE_ROUNDS || got.result != b->want)) {
		snprintf(why, len, "%s under SA_RESTART %s (must survive every "
			 "signal and return %ld)", b->name, g, b->want);
		return why;
	}
	if (!must_restart && (got.signals != ref.signals ||
			      got.result != ref.result || got.err != ref.err)) {
		snprintf(why, len, "%s %s %s, libc's call %s", b->name,
			 restart ? "under SA_RESTART" : "without SA_RESTART", g, f);
		return why;
	}
	return "";
}

int main(int argc, char **argv)
{
	const struct backend *be = case_start(argc, argv, &(struct case_info){
		.name = "restart-transparent", .watchdog_s = 50 });
	const struct backend *libc;
	char why[300], bad[1000] = "", err[256];
	int eintr = 0, restarted = 0;

	if (!(libc = backend_open("libc", err, sizeof err)))
		verdict_exit(VERDICT_ERROR, "%s", err);
	for (unsigned i = 0; i < n_blockers; i++)
		for (int restart = 1; restart >= 0; restart--) {
			verdict_append(bad, sizeof bad,
				       case_variant(be, libc, &blockers[i], restart,
						    why, sizeof why));
			restarted += restart && blockers[i].restarts;
			eintr += !(restart && blockers[i].restarts);
		}
	verdict_metric("restarting_runs", "%d", restarted);
	verdict_metric("eintr_runs", "%d", eintr);
	if (*bad)
		verdict_exit(VERDICT_FAIL, "%s", bad);
	verdict_exit(VERDICT_PASS, "%d restarting call(s) survived %d SA_RESTART "
		     "signals each and completed normally; in %d other run(s) "
		     "EINTR appeared exactly as with the libc call", restarted,
		     CASE_ROUNDS, eintr);
}
