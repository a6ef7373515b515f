/* SPDX-License-Identifier: MIT */
/*
 * Description: leak-after-return — a cancellation that arrives while an
 * fd-allocating syscall completes must not lose the fd (glibc BZ#12683).
 *
 * The race: the kernel has installed a new descriptor and is returning it
 * (in the result register, in the caller's int[2] for pipe2, or inside an
 * SCM_RIGHTS control message for recvmsg); the cancel signal is delivered
 * on the way back to user space, before the caller stored the result.  An
 * implementation that acts on the cancellation there (classic glibc:
 * asynchronous cancellation is on around the syscall) unwinds the thread
 * and the fd is leaked: nobody ever learns its number.
 *
 * The interleaving, forced by construction, once per call in the variant
 * table: a target thread makes the call with a first argument that a
 * seccomp user-notification filter (its own thread only) hands to the
 * supervisor.  With WAIT_KILLABLE_RECV, once the supervisor holds the
 * notification the target cannot be pulled out of the syscall by the
 * cancel signal: the signal waits, pending.  The supervisor requests
 * cancellation, checks whether a signal became pending for the target (per
 * /proc; a cancel call queues its signal before it returns, the 200 ms
 * bound only covers a backend that signals from elsewhere), then completes
 * the call.  Calls that return the fd are completed by installing one and
 * making it the return value in one step (SECCOMP_ADDFD_FLAG_SEND; the
 * kernel never looks at their magic arguments).  pipe2 and recvmsg deliver
 * their fds through memory, so the supervisor lets the kernel run them for
 * real (FLAG_CONTINUE): pipe2 creates a pipe, recvmsg receives a datagram
 * queued beforehand with an eventfd attached.  Either way the target
 * returns to user space with the call completed and the cancel signal due.
 *
 * Correct: the caller gets every fd (the syscall completed), the
 * cancellation is deferred to the next cancellation point, and the
 * descriptor table is unchanged once the caller closed what it got.
 *
 * i386's glibc enters the kernel another way than libcp for some calls:
 * built for kernels before 4.3, it multiplexes socket, accept4 and recvmsg
 * through socketcall(2), and makes fcntl an fcntl64.  The filter holds
 * those entries too (socketcall's first argument is the call's number, its
 * own arguments sit in memory out of the filter's reach; the target thread
 * makes no other such call).  A call that reaches none of them is an
 * ERROR naming it, not a hang.
 *
 * The C library makes only openat, accept4 and recvmsg cancellation points
 * (POSIX); for the others pthread_cancel leaves a thread in deferred mode
 * alone, so the libc backend passes those variants for the plain reason
 * that the call cannot be cancelled.  The verdict names them.  libcp
 * reaches them through cp_syscall, which makes any call cancellable, so
 * every variant meets the race there.
 */
#define _GNU_SOURCE
#include <case.h>
#include <handshake.h>
#include <notify.h>
#include <procfs.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/net.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CASE_MAGIC 0x5eed0   /* no real descriptor, domain or flag has this value */

static const struct backend *be;
static int case_leaky;   /* variants that leaked */

struct case_target {
	const struct case_variant *v;
	TARGET_RECORD;
	uint64_t match;              /* the first argument the filter holds */
	int sock[2];                 /* recvmsg: the pair, a datagram queued */
	int pipefds[2];              /* pipe2 writes its result here */
	volatile int listener;       /* -errno when the filter failed */
	volatile int ready;
	volatile int got[2], ngot;   /* fds the call handed to its caller */
};

struct case_variant {
	const char *name;
	long nr;
	long alt_nr;     /* another entry a C library may use, or 0 */
	long alt_arg0;   /* its first argument, or ALT_SAME_ARG0 */
	int libc_cp;     /* a cancellation point of the C library (POSIX) */
	int real;        /* completed by the kernel (FLAG_CONTINUE), not ADDFD */
	/* Sets t->match (default CASE_MAGIC) and whatever the call needs. */
	int (*prepare)(struct case_target *t);
	/* Makes the call through the backend; records the fds it got. */
	long (*call)(struct case_target *t);
};

static long case_took(struct case_target *t, long fd)
{
	if (fd >= 0)
		t->got[t->ngot++] = (int)fd;
	return fd;
}

static long call_openat(struct case_target *t)
{
	return case_took(t, be->openat(CASE_MAGIC, "leak-after-return",
				       O_RDONLY | O_CLOEXEC, 0));
}

static long call_accept4(struct case_target *t)
{
	return case_took(t, be->accept4(CASE_MAGIC, NULL, NULL, SOCK_CLOEXEC));
}

static long call_socket(struct case_target *t)
{
	return case_took(t, be->socket(CASE_MAGIC, SOCK_STREAM | SOCK_CLOEXEC, 0));
}

static long call_dup(struct case_target *t)
{
	return case_took(t, be->dup(CASE_MAGIC));
}

static long call_dupfd(struct case_target *t)
{
	return case_took(t, be->dupfd(CASE_MAGIC, 0));
}

static long call_eventfd(struct case_target *t)
{
	return case_took(t, be->eventfd(CASE_MAGIC, EFD_CLOEXEC));
}

static const char case_memfd_name[] = "leak-after-return";

static int prepare_memfd(struct case_target *t)
{
	t->match = (uintptr_t)case_memfd_name;
	return 0;
}

static long call_memfd(struct case_target *t)
{
	return case_took(t, be->memfd_create(case_memfd_name, MFD_CLOEXEC));
}

static long call_epoll(struct case_target *t)
{
	return case_took(t, be->epoll_create1(CASE_MAGIC));
}

static int prepare_pipe2(struct case_target *t)
{
	t->match = (uintptr_t)t->pipefds;
	return 0;
}

static long call_pipe2(struct case_target *t)
{
	long r = be->pipe2(t->pipefds, O_CLOEXEC);

	if (r == 0) {
		case_took(t, t->pipefds[0]);
		case_took(t, t->pipefds[1]);
	}
	return r;
}

/* A datagram carrying an eventfd waits in the pair; the supervisor's own
 * copy of the eventfd is closed, so only the message holds it. */
static int prepare_recvmsg(struct case_target *t)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	int efd, rc;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, t->sock))
		return -1;
	if ((efd = eventfd(0, EFD_CLOEXEC)) < 0)
		return -1;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &efd, sizeof efd);
	rc = sendmsg(t->sock[1], &m, 0) == 1 ? 0 : -1;
	close(efd);
	t->match = (uint64_t)t->sock[0];
	return rc;
}

static long call_recvmsg(struct case_target *t)
{
	char cbuf[CMSG_SPACE(sizeof(int))], b;
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	long r = be->recvmsg(t->sock[0], &m, MSG_CMSG_CLOEXEC);
	struct cmsghdr *c;
	int fd;

	if (r < 0)
		return r;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			memcpy(&fd, CMSG_DATA(c), sizeof fd);
			case_took(t, fd);
		}
	return r;
}

#define ALT_SAME_ARG0 (-1L)   /* the alternative entry takes the same arg0 */
#ifdef SYS_socketcall
#define VIA_SOCKETCALL(call) .alt_nr = SYS_socketcall, .alt_arg0 = (call)
#else
#define VIA_SOCKETCALL(call) .alt_nr = 0
#endif
#ifdef SYS_fcntl64
#define VIA_FCNTL64 .alt_nr = SYS_fcntl64, .alt_arg0 = ALT_SAME_ARG0
#else
#define VIA_FCNTL64 .alt_nr = 0
#endif

static const struct case_variant variants[] = {
	{ .name = "openat", .nr = SYS_openat, .libc_cp = 1,
	  .call = call_openat },
	{ .name = "accept4", .nr = SYS_accept4, VIA_SOCKETCALL(SYS_ACCEPT4),
	  .libc_cp = 1, .call = call_accept4 },
	{ .name = "socket", .nr = SYS_socket, VIA_SOCKETCALL(SYS_SOCKET),
	  .call = call_socket },
	{ .name = "recvmsg-scm", .nr = SYS_recvmsg, VIA_SOCKETCALL(SYS_RECVMSG),
	  .libc_cp = 1, .real = 1, .prepare = prepare_recvmsg,
	  .call = call_recvmsg },
	{ .name = "dup", .nr = SYS_dup, .call = call_dup },
	{ .name = "fcntl-dupfd", .nr = SYS_fcntl, VIA_FCNTL64,
	  .call = call_dupfd },
	{ .name = "pipe2", .nr = SYS_pipe2, .real = 1,
	  .prepare = prepare_pipe2, .call = call_pipe2 },
	{ .name = "eventfd", .nr = SYS_eventfd2, .call = call_eventfd },
	{ .name = "memfd_create", .nr = SYS_memfd_create,
	  .prepare = prepare_memfd, .call = call_memfd },
	{ .name = "epoll_create1", .nr = SYS_epoll_create1,
	  .call = call_epoll },
};

#define N_VARIANTS (sizeof variants / sizeof *variants)

static void *case_target_main(void *p)
{
	struct case_target *t = p;

	struct notify_rule held[2] = {
		{ .nr = t->v->nr, .arg0 = t->match },
		{ .nr = t->v->alt_nr, .arg0 = t->v->alt_arg0 == ALT_SAME_ARG0
					? t->match : (uint64_t)t->v->alt_arg0 },
	};

	target_begin(&t->target);
	t->listener = notify_install_rules(held, t->v->alt_nr ? 2 : 1);
	__atomic_store_n(&t->ready, 1, __ATOMIC_RELEASE);
	if (t->listener < 0)
		return NULL;
	target_returned(&t->target, t->v->call(t));
	be->testcancel();
	return NULL;
}

static int case_ready(void *p)
{
	return __atomic_load_n(&((struct case_target *)p)->ready, __ATOMIC_ACQUIRE);
}

/* "a, b, c": the variants a remark applies to. */
static void case_name_add(char *buf, size_t len, const char *name)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name);
}

static int case_signal_pending(void *p)
{
	uint64_t mask = 0;

	return task_sigpending(((struct case_target *)p)->tid, &mask) == 0 &&
	       mask != 0;
}

static void case_start_target(struct case_target *t)
{
	if (pthread_create(&t->th, NULL, case_target_main, t))
		verdict_exit(VERDICT_ERROR, "pthread_create: %s", strerror(errno));
	if (!wait_until(case_ready, t, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "%s: target never installed its "
			     "filter", t->v->name);
	watchdog_watch(t->tid);
	notify_require(t->listener);
}

/* Complete the held call: an fd as its result, or the real call. */
static int case_complete(struct case_target *t, uint64_t id)
{
	int src, rc;

	if (t->v->real)
		return notify_reply_continue(t->listener, id);
	if ((src = eventfd(0, EFD_CLOEXEC)) < 0)
		verdict_exit(VERDICT_ERROR, "eventfd: %s", strerror(errno));
	rc = notify_reply_fd(t->listener, id, src);
	close(src);
	if (rc == -EINVAL)
		verdict_exit(VERDICT_SKIP, "SECCOMP_ADDFD_FLAG_SEND (Linux >= "
			     "5.14) unavailable");
	return rc;
}

/* Request cancellation while the target is held in its call, then
 * complete the call.  Returns whether a signal was pending at completion. */
/* Until the filter holds the target's call; a call that returned without
 * being held entered the kernel some other way: say which. */
static void case_wait_held(struct case_target *t)
{
	struct pollfd p = { .fd = t->listener, .events = POLLIN };

	for (int waited = 0; waited < 5000; waited += 100) {
		if (poll(&p, 1, 100) == 1 && (p.revents & POLLIN))
			return;
		if (t->returned)
			verdict_exit(VERDICT_ERROR, "%s: the call returned %ld "
				     "(%s) without the filter holding it: the "
				     "backend entered the kernel through neither "
				     "syscall %ld nor %ld", t->v->name, t->result,
				     strerror(t->saved_errno), t->v->nr, t->v->alt_nr);
	}
	verdict_exit(VERDICT_ERROR, "%s: the filter held no call within 5 s",
		     t->v->name);
}

static int case_race(struct case_target *t)
{
	struct seccomp_notif n;
	int pending, rc;

	case_wait_held(t);
	if ((rc = notify_recv(t->listener, &n)))
		verdict_exit(VERDICT_ERROR, "NOTIF_RECV: %s", strerror(-rc));
	if ((rc = be->cancel(t->th)))
		verdict_exit(VERDICT_ERROR, "cancel: %s", strerror(rc));
	pending = wait_until(case_signal_pending, t, 200);
	if ((rc = case_complete(t, n.id)) < 0)
		verdict_exit(VERDICT_ERROR, "%s: completing the held call: %s",
			     t->v->name, strerror(-rc));
	return pending;
}

static void case_join(struct case_target *t, void **ret)
{
	char diag[512];

	if (target_join(&t->target, ret, ACT_BOUND_MS, diag, sizeof diag) == 0)
		return;
	verdict_exit(VERDICT_FAIL, "%s: target still alive %d s after the call "
		     "completed: %s", t->v->name, BOUND_S(ACT_BOUND_MS), diag);
}

static void case_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* One variant: "" when it passed, else what went wrong.  *signalled says
 * whether the cancel signal was pending when the call completed. */
static const char *case_variant(const struct case_variant *v, int *signalled,
				char *why, size_t len)
{
	struct fd_set_snapshot before, after, leaked;
	struct case_target t = { .v = v, .match = CASE_MAGIC,
				 .sock = { -1, -1 } };
	char what[256];
	void *ret;

	if (fds_snapshot(&before))
		verdict_exit(VERDICT_ERROR, "cannot read /proc/self/fd");
	if (v->prepare && v->prepare(&t))
		verdict_exit(VERDICT_ERROR, "%s: setup: %s", v->name,
			     strerror(errno));
	case_start_target(&t);
	*signalled = case_race(&t);
	case_join(&t, &ret);
	close(t.listener);
	for (int i = 0; i < t.ngot; i++)
		close(t.got[i]);
	case_close(&t.sock[0]);
	case_close(&t.sock[1]);
	if (fds_snapshot(&after))
		verdict_exit(VERDICT_ERROR, "cannot read /proc/self/fd");
	fds_new(&before, &after, &leaked);
	fds_describe(&leaked, what, sizeof what);
	if (leaked.n) {
		snprintf(why, len, "%s leaked %s", v->name, what);
		case_leaky++;
	} else if (!t.returned) {
		snprintf(why, len, "%s: completed but never returned to the "
			 "caller", v->name);
	} else if (t.result < 0) {
		snprintf(why, len, "%s: returned %ld (%s)", v->name, t.result,
			 strerror(t.saved_errno));
	} else if (ret != PTHREAD_CANCELED) {
		snprintf(why, len, "%s: cancellation lost: the thread passed the "
			 "next cancellation point", v->name);
	} else {
		why[0] = 0;
	}
	fds_free(&before);
	fds_free(&after);
	fds_free(&leaked);
	return why;
}

int main(int argc, char **argv)
{
	static char why[N_VARIANTS][384];
	char bad[2048] = "", quiet[256] = "", noncp[256] = "";
	int signalled, n_signalled = 0;

	/* case_start warms the unwinder: its dlopen must not count as a
	 * leak. */
	be = case_start(argc, argv, &(struct case_info){
		.name = "leak-after-return" });
	for (size_t i = 0; i < N_VARIANTS; i++) {
		const char *w = case_variant(&variants[i], &signalled, why[i],
					     sizeof why[i]);

		verdict_append(bad, sizeof bad, w);
		n_signalled += signalled;
		/* A backend that never signals a thread blocked in the kernel
		 * did not meet the race for that call: say so, so a pass is
		 * read for what it is. */
		if (!signalled)
			case_name_add(quiet, sizeof quiet, variants[i].name);
		if (!variants[i].libc_cp && !strcmp(be->name, "libc"))
			case_name_add(noncp, sizeof noncp, variants[i].name);
	}
	verdict_metric("variants", "%zu", N_VARIANTS);
	verdict_metric("signal_pending_at_completion", "%d", n_signalled);
	if (*bad)
		verdict_exit(VERDICT_FAIL, "%s%s%s%s", bad, case_leaky ?
			     " (the cancellation acted after the kernel "
			     "completed the call)" : "",
			     *noncp ? "; not cancellation points in libc, "
				      "deferred: " : "", noncp);
	verdict_exit(VERDICT_PASS, "%zu calls: every fd reached the caller, 0 "
		     "leaked; cancellation acted at the next cancellation point"
		     "%s%s%s%s", N_VARIANTS,
		     *quiet ? "; no signal pending at completion for: " : "",
		     quiet, *noncp ? "; not cancellation points in libc: " : "",
		     noncp);
}
