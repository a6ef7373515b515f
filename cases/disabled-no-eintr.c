/* SPDX-License-Identifier: MIT */
/*
 * Description: disabled-no-eintr — with cancellation disabled, a request
 * must not disturb a blocked call: no EINTR, no early return.
 *
 * The race: the request arrives while the target sits, with cancellation
 * disabled, in a blocking call.  An implementation that signals the thread
 * anyway makes the EINTR-only calls (poll, ppoll, select, pselect,
 * epoll_wait, sigsuspend, pause, sigtimedwait, nanosleep, clock_nanosleep:
 * signal(7)) return EINTR, even under SA_RESTART; the caller, which
 * disabled cancellation precisely to finish its work, sees a spurious
 * error.  The restarting
 * calls (read, accept, futex, wait4) are run too: there a stray signal
 * must stay invisible.
 *
 * The interleaving: for each call of the blockers table
 * (support/blockers.c), a target disables cancellation and blocks in it
 * (waited for via /proc); the request is made; the supervisor waits until
 * any signal sent for it has been taken or is held blocked, checks the
 * call is still waiting, then completes it (a byte on the pipe, a
 * connection, a futex wake, the child's exit, or SIGUSR2 for the signal
 * waits; the sleeps are bounded at 300 ms).  The target then re-enables
 * cancellation and passes a cancellation point.
 *
 * Correct: every call returns its normal result (for sigsuspend and pause:
 * EINTR from the SIGUSR2 handler, not from anything else), and the
 * cancellation acts at the cancellation point afterwards.
 */
#define _GNU_SOURCE
#include <blockers.h>
#include <case.h>
#include <handshake.h>
#include <procfs.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* No signal for the target on its way: none pending, or pending but
 * blocked (held).  cancel() has returned, so any signal is queued. */
static int case_quiet(void *p)
{
	const struct blocked_run *r = p;
	uint64_t pending = 0, blocked = 0;

	if (r->returned)
		return 1;
	if (task_sigpending(r->tid, &pending) || task_sigblocked(r->tid, &blocked))
		return 0;
	return (pending & ~blocked) == 0;
}

static const char *case_variant(const struct backend *be,
				const struct blocker *b, char *why, size_t len)
{
	struct blocked_run r = { .b = b, .be = be, .bound_ms = 300,
				 .disable = 1 };
	int early;
	void *ret;

	if (blocked_start(&r))
		verdict_exit(VERDICT_ERROR, "target never blocked in %s", b->name);
	watchdog_watch(r.tid);
	be->cancel(r.th);
	if (!wait_until(case_quiet, &r, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "a signal for the target stayed "
			     "undelivered for %d s", BOUND_S(SETUP_BOUND_MS));
	/* A sleep may end by itself; anything else must still be waiting. */
	early = b->unblock && __atomic_load_n(&r.returned, __ATOMIC_ACQUIRE);
	if (b->unblock)
		b->unblock(&r);
	if (join_bounded(r.th, &ret, ACT_BOUND_MS))
		verdict_exit(VERDICT_FAIL, "%s: thread did not end %d s after the "
			     "call was completed", b->name, BOUND_S(ACT_BOUND_MS));
	blocked_end(&r);
	if (!early && r.returned && r.result == b->want && ret == PTHREAD_CANCELED)
		return "";
	if (!r.returned)
		snprintf(why, len, "%s: cancelled although disabled", b->name);
	else if (early || r.result != b->want)
		snprintf(why, len, "%s returned %ld (%s) with cancellation "
			 "disabled%s", b->name, r.result,
			 r.result < 0 ? strerror(r.saved_errno) : "no error",
			 early ? ", before it was completed" : "");
	else
		snprintf(why, len, "%s: cancellation lost after re-enabling",
			 b->name);
	return why;
}

int main(int argc, char **argv)
{
	const struct backend *be = case_start(argc, argv, &(struct case_info){
		.name = "disabled-no-eintr", .watchdog_s = 50 });
	char why[200], bad[1000] = "", names[200] = "";

	for (unsigned i = 0; i < n_blockers; i++) {
		verdict_append(bad, sizeof bad,
			       case_variant(be, &blockers[i], why, sizeof why));
		verdict_append(names, sizeof names, blockers[i].name);
	}
	if (*bad)
		verdict_exit(VERDICT_FAIL, "%s", bad);
	verdict_exit(VERDICT_PASS, "%s completed normally while disabled; the "
		     "cancellation acted afterwards", names);
}
