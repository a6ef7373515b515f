/* SPDX-License-Identifier: MIT */
/*
 * Description: io-uring-wait — a thread waiting in io_uring_enter for
 * completions must be cancellable there, and no descriptor that a
 * completed OPENAT or ACCEPT produced may be lost: each is either in a CQE
 * the thread reaped, or still in the completion ring after the cancel.
 *
 * The race: with io_uring the kernel's result lives in the shared CQ ring,
 * not in a register, so the leak of leak-after-return (BZ#12683) cannot
 * happen as long as CQEs are consumed only outside the cancellable call.
 * A cancellable wait that consumed a CQE inside it (advanced the CQ head
 * and then acted) would lose the fd in it; a wait that is no cancellation
 * point at all leaves a cancelled thread waiting until some completion
 * happens to arrive.
 *
 * The interleaving, by construction, in two phases:
 *   completion-held  the target's io_uring_enter is held in the kernel by
 *                    a seccomp user notification (its thread only,
 *                    WAIT_KILLABLE_RECV) while the ring is empty; the
 *                    supervisor then submits an OPENAT and an ACCEPT,
 *                    connects, waits until both CQEs are in the ring,
 *                    requests cancellation, waits for the signal to be
 *                    pending, and lets the call run: it returns with
 *                    completions ready and the cancel signal due;
 *   waiting          an ACCEPT is in flight, the target waits (per /proc)
 *                    in io_uring_enter on an empty ring, and the request is
 *                    made; only then does the supervisor connect.
 * The target reaps CQEs in a loop (noting each fd, then cqe_seen) with a
 * cancellation point after each.  After the join the supervisor drains the
 * ring and diffs /proc/self/fd.
 *
 * Correct: the thread is cancelled (in "waiting", within 2 s of the
 * request, while still waiting); every new descriptor in /proc/self/fd is
 * one the target noted or one still in the ring.  cp backends wait with
 * cp_io_uring_wait_cqe (lib/include/cp_uring.h); libc with liburing's
 * io_uring_wait_cqe, which is what a libc program has.
 */
#define _GNU_SOURCE
#include <case.h>
#include <handshake.h>
#include <notify.h>
#include <procfs.h>

#include <cp_uring.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CASE_MAX_FDS 8

static const struct backend *be;
static struct io_uring ring;
static int listener;

struct case_target {
	int hold;                       /* completion-held phase */
	TARGET_RECORD;
	volatile int listener_fd;       /* seccomp listener, -errno */
	volatile int ready;
	volatile int n_fds, wait_err;
	int fds[CASE_MAX_FDS];          /* what the CQEs it reaped carried */
};

/* libc has no cancellable io_uring wait: liburing's own is what a libc
 * program calls. */
static int case_wait_cqe(struct io_uring_cqe **cqe)
{
	if (!strcmp(be->name, "libc"))
		return io_uring_wait_cqe(&ring, cqe);
	return cp_io_uring_wait_cqe(&ring, cqe);
}

static void *case_target_main(void *p)
{
	struct case_target *t = p;
	struct io_uring_cqe *cqe;
	int rc;

	target_begin(&t->target);
	if (t->hold)
		t->listener_fd = notify_install(SYS_io_uring_enter,
						(uint64_t)ring.ring_fd);
	flag_set(&t->ready);
	if (t->listener_fd < 0)
		return NULL;
	for (;;) {
		if ((rc = case_wait_cqe(&cqe))) {
			t->wait_err = rc;
			break;
		}
		if (cqe->res >= 0 && t->n_fds < CASE_MAX_FDS)
			t->fds[t->n_fds++] = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		be->testcancel();
	}
	return NULL;
}

static void case_submit(int openat_too)
{
	struct io_uring_sqe *sqe;

	if (openat_too) {
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_openat(sqe, AT_FDCWD, "/dev/null",
				     O_RDONLY | O_CLOEXEC, 0);
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_accept(sqe, listener, NULL, NULL, SOCK_CLOEXEC);
	if (io_uring_submit(&ring) != 1 + openat_too)
		verdict_exit(VERDICT_ERROR, "io_uring_submit failed");
}

/* A client connection for the in-flight ACCEPT; closed by the caller. */
static int case_connect(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (c < 0 || getsockname(listener, (struct sockaddr *)&a, &len) ||
	    connect(c, (struct sockaddr *)&a, len))
		verdict_exit(VERDICT_ERROR, "connect: %s", strerror(errno));
	return c;
}

struct case_count {
	const struct case_target *t;
	unsigned want;
};

/* This phase's completions seen: reaped by the target or in the ring.
 * (Polling also runs this thread's io_uring task work, which posts the
 * ACCEPT's completion: the supervisor submitted it.) */
static int case_all_completed(void *p)
{
	const struct case_count *c = p;

	return (unsigned)c->t->n_fds + io_uring_cq_ready(&ring) >= c->want;
}

static int case_waiting(void *p)
{
	return target_in_syscall(&((struct case_target *)p)->target,
				 SYS_io_uring_enter);
}

static void case_start_target(struct case_target *t)
{
	if (pthread_create(&t->th, NULL, case_target_main, t))
		verdict_exit(VERDICT_ERROR, "pthread_create: %s", strerror(errno));
	flag_wait(&t->ready);
	watchdog_watch(t->tid);
	notify_require(t->listener_fd);
}

static void case_join(struct case_target *t, const char *phase)
{
	char diag[400];
	void *ret;

	if (join_bounded(t->th, &ret, ACT_BOUND_MS) == 0 &&
	    ret == PTHREAD_CANCELED)
		return;
	task_diagnose(t->tid, diag, sizeof diag);
	verdict_exit(VERDICT_FAIL, "%s: cancellation lost: the target went on "
		     "reaping and waiting; %s", phase, diag);
}

/* completion-held: returns with both completions accounted for below. */
static void case_phase_held(struct case_target *t, int *client)
{
	struct case_count all = { t, 2 };
	struct seccomp_notif n;
	int rc;

	t->hold = 1;
	case_start_target(t);
	if ((rc = notify_recv(t->listener_fd, &n)))
		verdict_exit(VERDICT_ERROR, "NOTIF_RECV: %s", strerror(-rc));
	case_submit(1);
	*client = case_connect();
	if (!wait_until(case_all_completed, &all, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "completion-held: OPENAT and ACCEPT "
			     "did not complete within %d s",
			     BOUND_S(SETUP_BOUND_MS));
	if ((rc = be->cancel(t->th)))
		verdict_exit(VERDICT_ERROR, "cancel: %s", strerror(rc));
	verdict_metric("held_signal_pending", "%d",
		       wait_until(task_signal_due, (void *)&t->tid, 2000));
	if ((rc = notify_reply_continue(t->listener_fd, n.id)))
		verdict_exit(VERDICT_ERROR, "NOTIF_SEND: %s", strerror(-rc));
	case_join(t, "completion-held");
	close(t->listener_fd);
}

/* waiting: "" when the request acted while the target waited. */
static const char *case_phase_waiting(struct case_target *t, int *client)
{
	struct case_count all = { t, 1 };
	void *ret = NULL;
	int acted;

	case_submit(0);
	case_start_target(t);
	if (!wait_until(case_waiting, t, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "waiting: target never waited in "
			     "io_uring_enter");
	be->cancel(t->th);
	acted = join_bounded(t->th, &ret, 2000) == 0;
	*client = case_connect();
	if (!acted)
		case_join(t, "waiting");
	else if (ret != PTHREAD_CANCELED)
		verdict_exit(VERDICT_FAIL, "waiting: the target ended without "
			     "being cancelled");
	if (!wait_until(case_all_completed, &all, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "waiting: ACCEPT did not complete "
			     "within %d s of the connect", BOUND_S(SETUP_BOUND_MS));
	if (acted && t->n_fds == 0)
		return "";
	return "waiting: the request did not act while the thread waited in "
	       "io_uring_enter (it ended only after a completion arrived and "
	       "it passed a cancellation point)";
}

/* Every fd a CQE carried, from the targets' notes and from the ring. */
static int produced[2 * CASE_MAX_FDS + 8], n_produced;

static void case_note_fd(int fd)
{
	if (n_produced < (int)(sizeof produced / sizeof *produced))
		produced[n_produced++] = fd;
}

/* After a phase: take the target's notes and drain the ring, so that the
 * next phase starts waiting on an empty ring. */
static void case_collect(const struct case_target *t)
{
	struct io_uring_cqe *cqe;

	for (int j = 0; j < t->n_fds; j++)
		case_note_fd(t->fds[j]);
	while (io_uring_peek_cqe(&ring, &cqe) == 0 && cqe) {
		if (cqe->res < 0)
			verdict_exit(VERDICT_ERROR, "a CQE failed: %s",
				     strerror(-cqe->res));
		case_note_fd(cqe->res);
		io_uring_cqe_seen(&ring, cqe);
	}
}

static int case_known(int fd)
{
	for (int i = 0; i < n_produced; i++)
		if (produced[i] == fd)
			return 1;
	return 0;
}

static void case_setup(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int rc = io_uring_queue_init(8, &ring, 0);

	if (rc == -ENOSYS || rc == -EPERM || rc == -EACCES)
		verdict_exit(VERDICT_SKIP, "io_uring unavailable: %s "
			     "(kernel.io_uring_disabled, seccomp, or no "
			     "CONFIG_IO_URING)", strerror(-rc));
	if (rc)
		verdict_exit(VERDICT_ERROR, "io_uring_queue_init: %s", strerror(-rc));
	listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&a, sizeof a) ||
	    listen(listener, 4))
		verdict_exit(VERDICT_ERROR, "listener: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	struct fd_set_snapshot before, after, fresh;
	struct case_target t[2] = { { 0 }, { 0 } };
	int clients[2], unknown = 0, reaped;
	const char *bad;
	char what[400];

	be = case_start(argc, argv, &(struct case_info){
		.name = "io-uring-wait", .watchdog_s = 40 });
	case_setup();
	if (fds_snapshot(&before))
		verdict_exit(VERDICT_ERROR, "cannot read /proc/self/fd");
	case_phase_held(&t[0], &clients[0]);
	case_collect(&t[0]);
	bad = case_phase_waiting(&t[1], &clients[1]);
	case_collect(&t[1]);
	close(clients[0]);
	close(clients[1]);
	if (fds_snapshot(&after))
		verdict_exit(VERDICT_ERROR, "cannot read /proc/self/fd");
	fds_new(&before, &after, &fresh);
	for (size_t i = 0; i < fresh.n; i++)
		unknown += !case_known(fresh.e[i].fd);
	fds_describe(&fresh, what, sizeof what);
	for (int i = 0; i < n_produced; i++)
		close(produced[i]);
	reaped = t[0].n_fds + t[1].n_fds;
	verdict_metric("completion_fds", "%d", n_produced);
	verdict_metric("reaped_by_target", "%d", reaped);
	if (unknown)
		verdict_exit(VERDICT_FAIL, "%d new fd(s) that no CQE accounts for "
			     "(new: %s)%s%s", unknown, what, *bad ? "; " : "", bad);
	if ((size_t)n_produced != fresh.n)
		verdict_exit(VERDICT_ERROR, "%d fds from CQEs but %zu new in "
			     "/proc/self/fd", n_produced, fresh.n);
	if (*bad)
		verdict_exit(VERDICT_FAIL, "%s", bad);
	verdict_exit(VERDICT_PASS, "cancelled in io_uring_enter with and "
		     "without completions ready; all %d fds from OPENAT/ACCEPT "
		     "accounted for (%d reaped, %d left in the ring)", n_produced,
		     reaped, n_produced - reaped);
}
