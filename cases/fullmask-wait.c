/* SPDX-License-Identifier: MIT */
/*
 * Description: fullmask-wait — a request made while a thread waits with
 * every signal in the call's own set must act, and the cleanup handlers
 * must run with the thread's own signal mask.
 *
 * The race: ppoll, pselect, epoll_pwait and sigsuspend install the
 * caller's mask for the length of the wait; sigtimedwait takes the
 * signals of its set instead of running their handlers.  A program that
 * wants nothing to interrupt a wait passes sigfillset(), and that set
 * holds the implementation's cancel signal.  A design that lets the
 * call's mask block its signal never hears of a request made during the
 * wait (the thread sleeps to its timeout, or for good in sigsuspend); one
 * that lets sigtimedwait take its signal hands the request to the caller
 * as a signal number; one that acts from its handler inside the call's
 * temporary mask runs the cleanup handlers with every signal blocked, and
 * every thread they create inherits that.
 *
 * The interleaving: for each of the five calls, a target thread records
 * its mask, then waits with a full set and a timeout far beyond the
 * bound; the case waits until /proc/<tid>/syscall shows it asleep in the
 * call, then requests cancellation and joins within ACT_BOUND_MS.
 *
 * Correct: every thread is cancelled inside its call (the call never
 * returns), and its cleanup handler sees the mask it had before the call.
 */
#define _GNU_SOURCE
#include <case.h>
#include <handshake.h>
#include <procfs.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FM_WAIT_MS (4 * ACT_BOUND_MS)   /* only the request ends it in time */

/* Where 32-bit arches have a 64-bit time variant, the C library may use
 * either. */
#ifndef SYS_ppoll_time64
#define SYS_ppoll_time64 SYS_ppoll
#endif
#ifndef SYS_pselect6_time64
#define SYS_pselect6_time64 SYS_pselect6
#endif
#ifndef SYS_rt_sigtimedwait_time64
#define SYS_rt_sigtimedwait_time64 SYS_rt_sigtimedwait
#endif

struct fm_run {
	TARGET_RECORD;
	const struct backend *be;
	const struct fm_call *call;
	int pipe[2];          /* never written: the waits watch its read end */
	int epfd;
	sigset_t before;      /* the thread's mask before the call */
	sigset_t in_cleanup;  /* and in its cleanup handler */
	volatile int cleaned;
};

struct fm_call {
	const char *name;
	long nr[2];           /* syscalls /proc may show it asleep in */
	long (*wait)(struct fm_run *r, const sigset_t *full);
};

static struct timespec fm_timeout(void)
{
	return (struct timespec){ FM_WAIT_MS / 1000, 0 };
}

static long fm_ppoll(struct fm_run *r, const sigset_t *full)
{
	struct pollfd p = { .fd = r->pipe[0], .events = POLLIN };
	struct timespec ts = fm_timeout();

	return r->be->ppoll(&p, 1, &ts, full);
}

static long fm_pselect(struct fm_run *r, const sigset_t *full)
{
	struct timespec ts = fm_timeout();
	fd_set rd;

	FD_ZERO(&rd);
	FD_SET(r->pipe[0], &rd);
	return r->be->pselect(r->pipe[0] + 1, &rd, NULL, NULL, &ts, full);
}

static long fm_epoll_pwait(struct fm_run *r, const sigset_t *full)
{
	struct epoll_event ev;

	return r->be->epoll_pwait(r->epfd, &ev, 1, FM_WAIT_MS, full);
}

static long fm_sigsuspend(struct fm_run *r, const sigset_t *full)
{
	return r->be->sigsuspend(full);
}

static long fm_sigtimedwait(struct fm_run *r, const sigset_t *full)
{
	struct timespec ts = fm_timeout();

	return r->be->sigtimedwait(full, NULL, &ts);
}

static const struct fm_call fm_calls[] = {
	{ "ppoll", { SYS_ppoll, SYS_ppoll_time64 }, fm_ppoll },
	{ "pselect", { SYS_pselect6, SYS_pselect6_time64 }, fm_pselect },
	{ "epoll_pwait", { SYS_epoll_pwait, SYS_epoll_pwait }, fm_epoll_pwait },
	{ "sigsuspend", { SYS_rt_sigsuspend, SYS_rt_sigsuspend },
	  fm_sigsuspend },
	{ "sigtimedwait", { SYS_rt_sigtimedwait, SYS_rt_sigtimedwait_time64 },
	  fm_sigtimedwait },
};

static void fm_cleanup(void *p)
{
	struct fm_run *r = p;

	pthread_sigmask(SIG_BLOCK, NULL, &r->in_cleanup);
	r->cleaned = 1;
}

static void *fm_main(void *p)
{
	struct fm_run *r = p;
	sigset_t full;

	sigfillset(&full);
	pthread_sigmask(SIG_BLOCK, NULL, &r->before);
	pthread_cleanup_push(fm_cleanup, r);
	target_begin(&r->target);
	target_returned(&r->target, r->call->wait(r, &full));
	r->be->testcancel();
	pthread_cleanup_pop(0);
	return NULL;
}

static int fm_asleep(void *p)
{
	struct fm_run *r = p;
	long nr;

	if (!r->tid)
		return 0;
	nr = task_syscall(r->tid);
	return nr == r->call->nr[0] || nr == r->call->nr[1];
}

/* The signals blocked in the cleanup handler and not before, as text. */
static void fm_mask_diff(const struct fm_run *r, char *out, size_t len)
{
	size_t used = 0;

	out[0] = 0;
	for (int sig = 1; sig < NSIG && used < len; sig++)
		if (sigismember(&r->in_cleanup, sig) > 0 &&
		    sigismember(&r->before, sig) <= 0)
			used += (size_t)snprintf(out + used, len - used, "%s%d",
						 used ? "," : "", sig);
}

/* One call: "" when the request acted as it should, else what went
 * wrong.  A thread that never acted is left behind, blocked: the case
 * goes on with the next call, and the process ends it. */
static const char *fm_variant(const struct backend *be,
			      const struct fm_call *call, char *why, size_t len)
{
	static struct fm_run runs[sizeof fm_calls / sizeof *fm_calls];
	struct fm_run *r = &runs[call - fm_calls];
	struct epoll_event ev = { .events = EPOLLIN };
	char diag[384], extra[200];
	void *ret;

	r->be = be;
	r->call = call;
	if (pipe2(r->pipe, O_CLOEXEC) ||
	    (r->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->pipe[0], &ev))
		verdict_exit(VERDICT_ERROR, "%s: pipe or epoll set-up: %s",
			     call->name, strerror(errno));
	if (pthread_create(&r->th, NULL, fm_main, r))
		verdict_exit(VERDICT_ERROR, "%s: cannot start the target",
			     call->name);
	if (!wait_until(fm_asleep, r, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "%s: the target never slept in the "
			     "call (syscall %ld)", call->name,
			     r->tid ? task_syscall(r->tid) : -1);
	be->cancel(r->th);
	if (target_join(&r->target, &ret, ACT_BOUND_MS, diag, sizeof diag)) {
		snprintf(why, len, "%s: request lost, still waiting %d s later "
			 "(%s)", call->name, BOUND_S(ACT_BOUND_MS), diag);
		return why;
	}
	if (ret != PTHREAD_CANCELED || r->returned) {
		snprintf(why, len, "%s returned %ld (%s) instead of acting",
			 call->name, r->result, r->result < 0 ?
			 strerror(r->saved_errno) : "no error");
		return why;
	}
	fm_mask_diff(r, extra, sizeof extra);
	close(r->pipe[0]);
	close(r->pipe[1]);
	close(r->epfd);
	if (!r->cleaned || *extra) {
		snprintf(why, len, "%s: cleanup handler ran with signals %s "
			 "blocked that the thread had not blocked (the call's "
			 "full mask)", call->name, r->cleaned ? extra : "?");
		return why;
	}
	return "";
}

int main(int argc, char **argv)
{
	const struct backend *be = case_start(argc, argv, &(struct case_info){
		.name = "fullmask-wait", .watchdog_s = 60 });
	char why[600], bad[2000] = "", names[200] = "";

	for (unsigned i = 0; i < sizeof fm_calls / sizeof *fm_calls; i++) {
		verdict_append(bad, sizeof bad,
			       fm_variant(be, &fm_calls[i], why, sizeof why));
		verdict_append(names, sizeof names, fm_calls[i].name);
	}
	if (*bad)
		verdict_exit(VERDICT_FAIL, "%s", bad);
	verdict_exit(VERDICT_PASS, "%s with a full signal set: the request "
		     "acted inside the call, the cleanup saw the thread's own "
		     "mask", names);
}
