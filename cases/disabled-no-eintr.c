/*
 * Description: disabled-no-eintr — with cancellation disabled, a request
 * must not disturb a blocked call: no EINTR, no early return.
 *
 * The race: the request arrives while the target sits, with cancellation
 * disabled, in poll, read or nanosleep.  An implementation that signals
 * the thread anyway makes poll and nanosleep return EINTR (they are not
 * restarted after a handler, signal(7)); the caller, which disabled
 * cancellation precisely to finish its work, sees a spurious error.
 *
 * The interleaving: for each call, a target disables cancellation and
 * blocks in it (waited for via /proc); the request is made; the supervisor
 * waits until any signal sent for it has been taken or is held blocked,
 * then completes the call (a byte on the pipe; the sleep is bounded at
 * 300 ms).  The target then re-enables cancellation and passes a
 * cancellation point.
 *
 * Correct: every call returns its normal result (1, 1, 0), and the
 * cancellation acts at the cancellation point afterwards.
 */
#define _GNU_SOURCE
#include <blockers.h>
#include <case.h>
#include <handshake.h>
#include <procfs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
	const char *name;
	long want;
} variants[] = { { "poll", 1 }, { "read", 1 }, { "nanosleep", 0 } };

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

static const char *case_variant(const struct backend *be, size_t i,
				char *why, size_t len)
{
	int p[2];
	struct blocked_run r = { .b = blocker_find(variants[i].name), .be = be,
				 .bound_ms = 300, .disable = 1 };
	void *ret;

	if (!r.b || pipe2(p, O_CLOEXEC))
		verdict_exit(VERDICT_ERROR, "setup of %s", variants[i].name);
	r.fd = p[0];
	if (blocked_start(&r))
		verdict_exit(VERDICT_ERROR, "target never blocked in %s",
			     variants[i].name);
	watchdog_watch(r.tid);
	be->cancel(r.th);
	if (!wait_until(case_quiet, &r, 5000))
		verdict_exit(VERDICT_ERROR, "a signal for the target stayed "
			     "undelivered for 5 s");
	r.b->unblock(p[1]);
	if (join_bounded(r.th, &ret, 5000))
		verdict_exit(VERDICT_FAIL, "%s: thread did not end 5 s after the "
			     "call was completed", variants[i].name);
	close(p[0]);
	close(p[1]);
	if (r.returned && r.result == variants[i].want && ret == PTHREAD_CANCELED)
		return "";
	if (!r.returned)
		snprintf(why, len, "%s: cancelled although disabled", variants[i].name);
	else if (r.result != variants[i].want)
		snprintf(why, len, "%s returned %ld (%s) with cancellation disabled",
			 variants[i].name, r.result,
			 r.result < 0 ? strerror(r.err) : "no error");
	else
		snprintf(why, len, "%s: cancellation lost after re-enabling",
			 variants[i].name);
	return why;
}

int main(int argc, char **argv)
{
	const struct backend *be = case_start(argc, argv, "disabled-no-eintr");
	char why[3][512], bad[1600] = "";

	watchdog_start(50, (pid_t)syscall(SYS_gettid), VERDICT_FAIL,
		       "disabled-no-eintr");
	case_warm_unwinder(be);
	for (size_t i = 0; i < sizeof variants / sizeof *variants; i++) {
		const char *w = case_variant(be, i, why[i], sizeof why[i]);

		verdict_append(bad, sizeof bad, w);
	}
	if (*bad)
		verdict_exit(VERDICT_FAIL, "%s", bad);
	verdict_exit(VERDICT_PASS, "poll, read and nanosleep completed normally "
		     "while disabled; the cancellation acted afterwards");
}
