/* SPDX-License-Identifier: MIT */
/*
 * Description: eintr-acts — a cancellation request that interrupts a call
 * the kernel ends with EINTR (not restarts) must act, never surface EINTR.
 *
 * The race: poll, ppoll, select, pselect, epoll_wait, sigsuspend, pause,
 * sigtimedwait, nanosleep and clock_nanosleep return EINTR after any
 * signal handler, even one installed with SA_RESTART (signal(7); the
 * kernel's ERESTARTNOHAND and restart-block paths).  The cancel signal's
 * handler is such a handler, and it defers when the PC is past the syscall
 * instruction — where the kernel leaves it for EINTR.  An implementation
 * that only acts inside its window would return EINTR to a caller that
 * asked for neither a signal nor an error.
 *
 * The interleaving: for each of those calls (the blockers table in
 * support/blockers.c marks them as not restarting), a target thread blocks
 * in it (waited for via /proc/<tid>/syscall), then the request is made.
 *
 * Correct: the thread is cancelled inside the call; the call never
 * returns to its caller.
 */
#define _GNU_SOURCE
#include <blockers.h>
#include <case.h>
#include <handshake.h>
#include <procfs.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* One variant: "" when it acted, else what went wrong. */
static const char *case_variant(const struct backend *be,
				const struct blocker *b, char *why, size_t len)
{
	struct blocked_run r = { .b = b, .be = be, .bound_ms = 3600 * 1000 };
	char diag[384];
	void *ret;

	if (blocked_start(&r))
		verdict_exit(VERDICT_ERROR, "target never blocked in %s", b->name);
	watchdog_watch(r.tid);
	be->cancel(r.th);
	if (target_join(&r.target, &ret, ACT_BOUND_MS, diag, sizeof diag))
		verdict_exit(VERDICT_FAIL, "%s: cancellation lost, still blocked "
			     "%d s later; %s", b->name, BOUND_S(ACT_BOUND_MS),
			     diag);
	blocked_end(&r);
	if (ret == PTHREAD_CANCELED && !r.returned)
		return "";
	snprintf(why, len, "%s returned %ld (%s) instead of acting", b->name,
		 r.result, r.result < 0 ? strerror(r.saved_errno) : "no error");
	return why;
}

int main(int argc, char **argv)
{
	const struct backend *be = case_start(argc, argv, &(struct case_info){
		.name = "eintr-acts", .watchdog_s = 50 });
	char why[600], bad[1000] = "", names[200] = "";

	for (unsigned i = 0; i < n_blockers; i++) {
		if (blockers[i].restarts)
			continue;
		verdict_append(bad, sizeof bad,
			       case_variant(be, &blockers[i], why, sizeof why));
		verdict_append(names, sizeof names, blockers[i].name);
	}
	if (*bad)
		verdict_exit(VERDICT_FAIL, "%s", bad);
	verdict_exit(VERDICT_PASS, "%s: the cancellation acted, no EINTR "
		     "reached the caller", names);
}
