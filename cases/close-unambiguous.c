/* SPDX-License-Identifier: MIT */
/*
 * Description: close-unambiguous — under cancellation, close must leave
 * its caller knowing whether the descriptor is gone: if the call returns
 * (whatever it returns, EINTR included) the fd is gone; if the thread is
 * cancelled in it, the fd is still open (cp.h; docs/design.md, "close").
 *
 * The race: Linux removes the descriptor from the table before anything
 * in close can fail or block, and never restores it: a close that reports
 * EINTR has closed the fd (close(2)).  An implementation that acts on a
 * cancellation after the kernel ran close (classic glibc: asynchronous
 * cancellation around the syscall) unwinds a thread whose fd is gone, and
 * cleanup code that closes "its still-open fd" closes whatever another
 * thread opened under that number since.  One that acted on the EINTR
 * close returns would do the same.
 *
 * The interleaving, by construction, one phase each (a fresh target
 * closing a fresh eventfd; seccomp user notification on close(fd) in the
 * target's thread only, WAIT_KILLABLE_RECV):
 *   before-entry  the request is made before the target calls close;
 *   in-kernel     the target waits in the kernel for the notification to
 *                 be received (per /proc); the cancel signal interrupts
 *                 that wait, so close never ran (the kernel would restart);
 *   after-close   the notification is received, the request made, its
 *                 signal held pending; the supervisor lets the real close
 *                 run (FLAG_CONTINUE), which returns 0 with the signal due;
 *   eintr         as after-close, but the supervisor does what Linux does
 *                 when a flush fails: the fd leaves the (shared) table and
 *                 close reports EINTR, with the signal due.
 * /proc/self/fd then says whether the fd (same number, dev and inode) is
 * still open.
 *
 * Correct: in every phase, "returned" goes with "fd gone" and "cancelled"
 * with "fd open"; a thread that returned is cancelled at the next
 * cancellation point.
 */
#define _GNU_SOURCE
#include <case.h>
#include <handshake.h>
#include <notify.h>
#include <procfs.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

enum case_phase { CASE_BEFORE_ENTRY, CASE_IN_KERNEL, CASE_AFTER_CLOSE,
		  CASE_EINTR };

static const char *const phase_names[] = {
	"before-entry", "in-kernel", "after-close", "eintr",
};

static const struct backend *be;

struct case_target {
	TARGET_RECORD;             /* result: close's */
	int fd;
	enum case_phase phase;
	volatile int listener;     /* -errno when the filter failed */
	volatile int ready, go;
};

static void *case_target_main(void *p)
{
	struct case_target *t = p;

	target_begin(&t->target);
	if (t->phase != CASE_BEFORE_ENTRY)
		t->listener = notify_install(SYS_close, (uint64_t)t->fd);
	flag_set(&t->ready);
	if (t->listener < 0)
		return NULL;
	flag_wait(&t->go);   /* raw futex: not a cancellation point */
	target_returned(&t->target, be->close(t->fd));
	be->testcancel();
	return NULL;
}

static int case_in_close(void *p)
{
	return target_in_syscall(&((struct case_target *)p)->target, SYS_close);
}

/* Hold the target's close in the kernel with the request's signal
 * pending, then finish the close the phase's way. */
static void case_complete_held(struct case_target *t)
{
	struct seccomp_notif n;
	int rc;

	if ((rc = notify_recv(t->listener, &n)))
		verdict_exit(VERDICT_ERROR, "NOTIF_RECV: %s", strerror(-rc));
	if ((rc = be->cancel(t->th)))
		verdict_exit(VERDICT_ERROR, "cancel: %s", strerror(rc));
	if (!wait_until(task_signal_due, (void *)&t->tid, 2000))
		verdict_metric("no_signal_pending", "%s", phase_names[t->phase]);
	if (t->phase == CASE_AFTER_CLOSE) {
		rc = notify_reply_continue(t->listener, n.id);
	} else {
		close(t->fd);   /* what Linux does before a flush fails */
		rc = notify_reply_val(t->listener, n.id, 0, -EINTR);
	}
	if (rc)
		verdict_exit(VERDICT_ERROR, "NOTIF_SEND: %s", strerror(-rc));
}

static void case_drive(struct case_target *t)
{
	if (t->phase == CASE_BEFORE_ENTRY) {
		if (be->cancel(t->th))
			verdict_exit(VERDICT_ERROR, "cancel failed");
		flag_set(&t->go);
		return;
	}
	flag_set(&t->go);
	if (t->phase != CASE_IN_KERNEL) {
		case_complete_held(t);
		return;
	}
	if (!wait_until(case_in_close, t, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "in-kernel: target never waited in close");
	if (be->cancel(t->th))
		verdict_exit(VERDICT_ERROR, "cancel failed");
}

/* Is fd still the descriptor `st` describes, per /proc/self/fd? */
static int case_fd_open(int fd, const struct stat *st)
{
	struct fd_set_snapshot s;
	int open = 0;

	if (fds_snapshot(&s))
		verdict_exit(VERDICT_ERROR, "cannot read /proc/self/fd");
	for (size_t i = 0; i < s.n; i++)
		open |= s.e[i].fd == fd && s.e[i].dev == st->st_dev &&
			s.e[i].ino == st->st_ino;
	fds_free(&s);
	return open;
}

/* One phase: "" when the rule held, else what happened. */
static const char *case_phase_run(enum case_phase phase, char *why,
				  size_t len)
{
	struct case_target t = { .phase = phase };
	const char *name = phase_names[phase];
	char diag[400];
	struct stat st;
	void *ret;
	int open;

	t.fd = eventfd(0, EFD_CLOEXEC);
	if (t.fd < 0 || fstat(t.fd, &st))
		verdict_exit(VERDICT_ERROR, "eventfd: %s", strerror(errno));
	if (pthread_create(&t.th, NULL, case_target_main, &t))
		verdict_exit(VERDICT_ERROR, "pthread_create: %s", strerror(errno));
	flag_wait(&t.ready);
	watchdog_watch(t.tid);
	notify_require(t.listener);
	case_drive(&t);
	if (target_join(&t.target, &ret, ACT_BOUND_MS, diag, sizeof diag))
		verdict_exit(VERDICT_FAIL, "%s: cancellation lost, target still "
			     "in close %d s later; %s", name,
			     BOUND_S(ACT_BOUND_MS), diag);
	if (phase != CASE_BEFORE_ENTRY)
		close(t.listener);
	open = case_fd_open(t.fd, &st);
	if (open)
		close(t.fd);
	if (ret != PTHREAD_CANCELED) {
		snprintf(why, len, "%s: cancellation lost after close returned",
			 name);
		return why;
	}
	if (t.returned && open) {
		snprintf(why, len, "%s: close returned %ld (%s) but fd %d is "
			 "still open", name, t.result,
			 t.result ? strerror(t.saved_errno) : "no error", t.fd);
		return why;
	}
	if (!t.returned && !open) {
		snprintf(why, len, "%s: cancelled in close, but fd %d is gone "
			 "(the kernel had closed it)", name, t.fd);
		return why;
	}
	verdict_metric(name, "%s", t.returned ? (t.result ? "returned-eintr"
					       : "returned-0")
					      : "cancelled-open");
	return "";
}

int main(int argc, char **argv)
{
	char why[4][300], bad[1000] = "";

	be = case_start(argc, argv, &(struct case_info){
		.name = "close-unambiguous", .watchdog_s = 40 });
	for (int p = CASE_BEFORE_ENTRY; p <= CASE_EINTR; p++)
		verdict_append(bad, sizeof bad,
			       case_phase_run((enum case_phase)p, why[p],
					      sizeof why[p]));
	if (*bad)
		verdict_exit(VERDICT_FAIL, "%s", bad);
	verdict_exit(VERDICT_PASS, "in all 4 phases a returning close had "
		     "closed the fd and a cancelled one had left it open");
}
