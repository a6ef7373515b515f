/* SPDX-License-Identifier: MIT */
/*
 * Description: result-kept — a cancellation point that the kernel
 * completed keeps its result: a message received or sent (POSIX and
 * System V queues), a signal taken by sigwait, a child reaped by wait, the
 * shell reaped by system.
 *
 * The race: the kernel has taken the message off the queue (or put the
 * caller's on it, dequeued the signal, reaped the child) and is returning;
 * the cancel signal is delivered on the way back to user space.  An
 * implementation that acts there (classic glibc: asynchronous cancellation
 * around the syscall) unwinds a caller whose call has happened: the
 * message or signal is gone and nobody has it, the child's status is
 * lost, and a sent message was sent by a caller that cannot know it.
 * glibc's system() then also kills, in its cleanup, a pid it has already
 * reaped (one the system may have given to another process).
 *
 * The interleaving, forced by construction once per variant: the target
 * thread installs a seccomp user-notification filter on the call's
 * syscall (its own thread only) and makes the call; the supervisor holds
 * it in the kernel (WAIT_KILLABLE_RECV: signals stay pending), requests
 * cancellation, sees the signal pending, makes sure the call will complete
 * without sleeping (the message is queued, the child has exited), and lets
 * the kernel run it (FLAG_CONTINUE).  The call completes, and the cancel
 * signal is due on its way out.
 *
 * Correct: the call returns its result to the caller (the message, the
 * signal number, the pid and status), and the cancellation acts at the
 * next cancellation point.
 */
#define _GNU_SOURCE
#include <case.h>
#include <fixtures.h>
#include <handshake.h>
#include <notify.h>
#include <procfs.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define RK_SIG SIGUSR1   /* blocked in every thread: sigwait takes it */

static const struct backend *be;
static int rk_lossy;   /* variants whose result was lost */

struct rk_target {
	TARGET_RECORD;
	const struct rk_variant *v;
	volatile int listener, ready;
	mqd_t q;
	int msqid;
	pid_t child;
	int status, sig;
	char buf[64];
};

struct rk_variant {
	const char *name;
	long nr;
	int (*prepare)(struct rk_target *t);            /* 0, or -1 (errno) */
	long (*call)(struct rk_target *t);
	/* After a call that returned: "" or what is wrong with the result. */
	const char *(*check)(struct rk_target *t);
	/* After a call that did not return: what was lost, or "". */
	const char *(*lost)(struct rk_target *t);
	/* Held, before the kernel runs the call: make it complete at once. */
	int (*settle)(struct rk_target *t, const struct seccomp_notif *n);
	void (*release)(struct rk_target *t);
	long (*count)(struct rk_target *t);   /* a queue's messages */
};

static struct timespec rk_far(void)
{
	return deadline_in_ms(CLOCK_REALTIME, 60000);
}

/* ---- POSIX message queues ---- */

static int rk_mq_open(struct rk_target *t, int full)
{
	return (t->q = fixture_mq(sizeof t->buf, full)) < 0 ? -1 : 0;
}

static long rk_mq_count(struct rk_target *t)
{
	return fixture_mq_count(t->q);
}

static int prepare_mq_full(struct rk_target *t) { return rk_mq_open(t, 1); }
static int prepare_mq_empty(struct rk_target *t) { return rk_mq_open(t, 0); }

static long call_mq_receive(struct rk_target *t)
{
	return be->posix->mq_receive(t->q, t->buf, sizeof t->buf, NULL);
}

static long call_mq_timedreceive(struct rk_target *t)
{
	struct timespec abs = rk_far();

	return be->posix->mq_timedreceive(t->q, t->buf, sizeof t->buf, NULL, &abs);
}

static long call_mq_send(struct rk_target *t)
{
	return be->posix->mq_send(t->q, FIXTURE_MSG, sizeof FIXTURE_MSG, 0);
}

static long call_mq_timedsend(struct rk_target *t)
{
	struct timespec abs = rk_far();

	return be->posix->mq_timedsend(t->q, FIXTURE_MSG, sizeof FIXTURE_MSG, 0, &abs);
}

static const char *check_received(struct rk_target *t)
{
	return strcmp(t->buf, FIXTURE_MSG) ? "returned, but not the message" : "";
}

static const char *check_nothing(struct rk_target *t)
{
	(void)t;
	return "";
}

/* A queue's messages after the call: none left means the received one
 * was taken, one means the sent one went out. */
static const char *lost_received(struct rk_target *t)
{
	return t->v->count(t) == 0 ? "the message was taken off the queue, "
		"and the cancelled caller never got it" : "";
}

static const char *lost_sent(struct rk_target *t)
{
	return t->v->count(t) == 1 ? "the message was sent, and the cancelled "
		"caller cannot know it" : "";
}

static void release_mq(struct rk_target *t)
{
	mq_close(t->q);
}

/* ---- System V queues ---- */

static int rk_msg_open(struct rk_target *t, int full)
{
	return (t->msqid = fixture_msg(full)) < 0 ? -1 : 0;
}

static long rk_msg_count(struct rk_target *t)
{
	return fixture_msg_count(t->msqid);
}

static int prepare_msg_full(struct rk_target *t) { return rk_msg_open(t, 1); }
static int prepare_msg_empty(struct rk_target *t) { return rk_msg_open(t, 0); }

static long call_msgrcv(struct rk_target *t)
{
	struct fixture_msgbuf m = { 0 };
	long r = be->posix->msgrcv(t->msqid, &m, sizeof m.text, 0, 0);

	memcpy(t->buf, m.text, sizeof m.text);
	return r;
}

static long call_msgsnd(struct rk_target *t)
{
	struct fixture_msgbuf m = { 1, FIXTURE_MSG };

	return be->posix->msgsnd(t->msqid, &m, sizeof m.text, 0);
}

static void release_msg(struct rk_target *t)
{
	msgctl(t->msqid, IPC_RMID, NULL);
}

/* ---- sigwait: a process-directed signal every thread blocks ---- */

static long call_sigwait(struct rk_target *t)
{
	sigset_t set;
	int rc;

	sigemptyset(&set);
	sigaddset(&set, RK_SIG);
	rc = be->posix->sigwait(&set, &t->sig);
	if (rc) {
		errno = rc;
		return -1;
	}
	return 0;
}

static int settle_sigwait(struct rk_target *t, const struct seccomp_notif *n)
{
	(void)t;
	(void)n;
	return kill(getpid(), RK_SIG);
}

static const char *check_sigwait(struct rk_target *t)
{
	return t->sig == RK_SIG ? "" : "returned, but not the signal";
}

static const char *lost_sigwait(struct rk_target *t)
{
	(void)t;
	return fixture_sig_pending(RK_SIG) ? "" : "the signal was taken, and the "
		"cancelled caller never got it";
}

static void release_sigwait(struct rk_target *t)
{
	(void)t;
	fixture_sig_drain(RK_SIG);
}

/* ---- wait and system: a child that has exited ---- */

static int prepare_child(struct rk_target *t)
{
	if ((t->child = fork()) < 0)
		return -1;
	if (t->child == 0)
		_exit(3);
	return fixture_child_exited(t->child);
}

static long call_wait(struct rk_target *t)
{
	return be->posix->wait(&t->status);
}

static const char *check_wait(struct rk_target *t)
{
	return t->result == t->child && WIFEXITED(t->status) &&
	       WEXITSTATUS(t->status) == 3 ? "" : "returned, but not the child";
}

static const char *lost_child(struct rk_target *t)
{
	return fixture_child_reaped(t->child) ? "the child was reaped, and its status "
		"never reached the cancelled caller" : "";
}

static void release_child(struct rk_target *t)
{
	if (t->child > 0 && !fixture_child_reaped(t->child))
		waitpid(t->child, NULL, 0);
}

static long call_system(struct rk_target *t)
{
	(void)t;
	return be->posix->system("exit 3");
}

/* The held wait4's first argument is the shell's pid. */
static int settle_system(struct rk_target *t, const struct seccomp_notif *n)
{
	t->child = (pid_t)n->data.args[0];
	return t->child > 0 ? fixture_child_exited(t->child) : -1;
}

static const char *check_system(struct rk_target *t)
{
	static char why[96];

	if (WIFEXITED(t->result) && WEXITSTATUS(t->result) == 3)
		return "";
	snprintf(why, sizeof why, "returned %ld (errno %d), not the shell's "
		 "status", t->result, t->saved_errno);
	return why;
}

static const struct rk_variant variants[] = {
	{ .name = "mq_receive", .nr = SYS_mq_timedreceive,
	  .prepare = prepare_mq_full, .call = call_mq_receive,
	  .check = check_received, .lost = lost_received,
	  .release = release_mq, .count = rk_mq_count },
	{ .name = "mq_timedreceive", .nr = SYS_mq_timedreceive,
	  .prepare = prepare_mq_full, .call = call_mq_timedreceive,
	  .check = check_received, .lost = lost_received,
	  .release = release_mq, .count = rk_mq_count },
	{ .name = "mq_send", .nr = SYS_mq_timedsend,
	  .prepare = prepare_mq_empty, .call = call_mq_send,
	  .check = check_nothing, .lost = lost_sent,
	  .release = release_mq, .count = rk_mq_count },
	{ .name = "mq_timedsend", .nr = SYS_mq_timedsend,
	  .prepare = prepare_mq_empty, .call = call_mq_timedsend,
	  .check = check_nothing, .lost = lost_sent,
	  .release = release_mq, .count = rk_mq_count },
	{ .name = "msgrcv", .nr = SYS_msgrcv,
	  .prepare = prepare_msg_full, .call = call_msgrcv,
	  .check = check_received, .lost = lost_received,
	  .release = release_msg, .count = rk_msg_count },
	{ .name = "msgsnd", .nr = SYS_msgsnd,
	  .prepare = prepare_msg_empty, .call = call_msgsnd,
	  .check = check_nothing, .lost = lost_sent,
	  .release = release_msg, .count = rk_msg_count },
	{ .name = "sigwait", .nr = SYS_rt_sigtimedwait,
	  .call = call_sigwait, .check = check_sigwait, .lost = lost_sigwait,
	  .settle = settle_sigwait, .release = release_sigwait },
	{ .name = "wait", .nr = SYS_wait4, .prepare = prepare_child,
	  .call = call_wait, .check = check_wait, .lost = lost_child,
	  .release = release_child },
	{ .name = "system", .nr = SYS_wait4, .call = call_system,
	  .check = check_system, .lost = lost_child, .settle = settle_system,
	  .release = release_child },
};

#define N_VARIANTS (sizeof variants / sizeof *variants)

static void *rk_target_main(void *p)
{
	struct rk_target *t = p;

	target_begin(&t->target);
	t->listener = notify_install_any(t->v->nr);
	__atomic_store_n(&t->ready, 1, __ATOMIC_RELEASE);
	if (t->listener < 0)
		return NULL;
	target_returned(&t->target, t->v->call(t));
	be->testcancel();
	return NULL;
}

static int rk_ready(void *p)
{
	return __atomic_load_n(&((struct rk_target *)p)->ready, __ATOMIC_ACQUIRE);
}

static int rk_signal_pending(void *p)
{
	uint64_t mask = 0;

	return task_sigpending(((struct rk_target *)p)->tid, &mask) == 0 &&
	       (mask & ~(1ULL << (RK_SIG - 1))) != 0;
}

/* The target's own held call: another process (system's shell, which
 * inherits the filter) may be held too; let those run. */
static void rk_recv_target(struct rk_target *t, struct seccomp_notif *n)
{
	int rc;

	for (;;) {
		if ((rc = notify_recv(t->listener, n)))
			verdict_exit(VERDICT_ERROR, "%s: NOTIF_RECV: %s",
				     t->v->name, strerror(-rc));
		if ((pid_t)n->pid == t->tid)
			return;
		notify_reply_continue(t->listener, n->id);
	}
}

/* Hold the call, request cancellation, let the kernel complete it.
 * Returns whether the cancel signal was pending when it ran. */
static int rk_race(struct rk_target *t)
{
	struct seccomp_notif n;
	int pending, rc;

	rk_recv_target(t, &n);
	if ((rc = be->cancel(t->th)))
		verdict_exit(VERDICT_ERROR, "cancel: %s", strerror(rc));
	pending = wait_until(rk_signal_pending, t, 200);
	if (t->v->settle && t->v->settle(t, &n))
		verdict_exit(VERDICT_ERROR, "%s: making the held call complete: %s",
			     t->v->name, strerror(errno));
	if ((rc = notify_reply_continue(t->listener, n.id)))
		verdict_exit(VERDICT_ERROR, "%s: FLAG_CONTINUE: %s", t->v->name,
			     strerror(-rc));
	return pending;
}

/* Join the target, letting its later calls of the filtered syscall run
 * (a cleanup handler that reaps the shell waits too).  0, or ETIMEDOUT
 * after ACT_BOUND_MS. */
static int rk_join_serving(struct rk_target *t, void **ret)
{
	struct pollfd p = { .fd = t->listener, .events = POLLIN };
	struct seccomp_notif n;

	for (int waited = 0; waited < ACT_BOUND_MS; waited += 10) {
		if (join_bounded(t->th, ret, 10) == 0)
			return 0;
		if (poll(&p, 1, 0) == 1 && notify_recv(t->listener, &n) == 0)
			notify_reply_continue(t->listener, n.id);
	}
	return ETIMEDOUT;
}

static const char *rk_variant(const struct rk_variant *v, int *signalled,
			      char *why, size_t len)
{
	struct rk_target t = { .v = v, .q = -1, .msqid = -1 };
	const char *what;
	void *ret;

	if (v->prepare && v->prepare(&t))
		verdict_exit(VERDICT_ERROR, "%s: setup: %s", v->name, strerror(errno));
	if (pthread_create(&t.th, NULL, rk_target_main, &t))
		verdict_exit(VERDICT_ERROR, "pthread_create: %s", strerror(errno));
	if (!wait_until(rk_ready, &t, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "%s: the target never installed its "
			     "filter", v->name);
	watchdog_watch(t.tid);
	notify_require(t.listener);
	*signalled = rk_race(&t);
	if (rk_join_serving(&t, &ret)) {
		char diag[512];

		task_diagnose(t.tid, diag, sizeof diag);
		verdict_exit(VERDICT_FAIL, "%s: target still alive %d s after "
			     "the call completed: %s", v->name,
			     BOUND_S(ACT_BOUND_MS), diag);
	}
	close(t.listener);
	if (t.returned && t.result < 0)
		snprintf(why, len, "%s: returned -1 (%s)", v->name,
			 strerror(t.saved_errno));
	else if (t.returned && *(what = v->check(&t)))
		snprintf(why, len, "%s: %s", v->name, what);
	else if (!t.returned && *(what = v->lost(&t)) && ++rk_lossy)
		snprintf(why, len, "%s: %s", v->name, what);
	else if (!t.returned)
		snprintf(why, len, "%s: cancelled, yet nothing was taken: the "
			 "call did not complete", v->name);
	else if (ret != PTHREAD_CANCELED)
		snprintf(why, len, "%s: cancellation lost: the thread passed the "
			 "next cancellation point", v->name);
	else
		why[0] = 0;
	v->release(&t);
	return why;
}

int main(int argc, char **argv)
{
	static char why[N_VARIANTS][384];
	char bad[3000] = "", quiet[256] = "";
	int signalled, n_signalled = 0;
	sigset_t block;

	/* Before any thread exists: every thread inherits it. */
	sigemptyset(&block);
	sigaddset(&block, RK_SIG);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	be = case_start(argc, argv, &(struct case_info){ .name = "result-kept" });
	for (size_t i = 0; i < N_VARIANTS; i++) {
		verdict_append(bad, sizeof bad, rk_variant(&variants[i],
				&signalled, why[i], sizeof why[i]));
		n_signalled += signalled;
		if (!signalled)
			verdict_append(quiet, sizeof quiet, variants[i].name);
	}
	verdict_metric("variants", "%zu", N_VARIANTS);
	verdict_metric("signal_pending_at_completion", "%d", n_signalled);
	if (*bad)
		verdict_exit(VERDICT_FAIL, "%s%s", bad, rk_lossy ? " (the "
			     "cancellation acted after the kernel completed the "
			     "call)" : "");
	verdict_exit(VERDICT_PASS, "%zu calls completed by the kernel with a "
		     "request pending: each returned its result (message, "
		     "signal, child status) and the cancellation acted at the "
		     "next cancellation point%s%s", N_VARIANTS,
		     *quiet ? "; no signal pending at completion for: " : "", quiet);
}
