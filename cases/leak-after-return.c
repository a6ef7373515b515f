/*
 * Description: leak-after-return — a cancellation that arrives while an
 * fd-allocating syscall completes must not lose the fd (glibc BZ#12683).
 *
 * The race: the kernel has installed a new descriptor and is returning it
 * in the result register; the cancel signal is delivered on the way back
 * to user space, before the caller stored the result.  An implementation
 * that acts on the cancellation there (classic glibc: asynchronous
 * cancellation is on around the syscall) unwinds the thread and the fd is
 * leaked: nobody ever learns its number.
 *
 * The interleaving, forced by construction: the target calls openat with a
 * magic dirfd that a seccomp user-notification filter (its own thread only)
 * hands to the supervisor.  With WAIT_KILLABLE_RECV, once the supervisor
 * holds the notification the target cannot be pulled out of the syscall by
 * the cancel signal: the signal waits, pending.  The supervisor requests
 * cancellation, waits until a signal is pending for the target (per /proc),
 * then completes the openat by installing a descriptor and making it the
 * return value in one step (SECCOMP_ADDFD_FLAG_SEND).  The target returns
 * to user space with the fd in %rax and the cancel signal due at once.
 *
 * Correct: the caller gets the fd (the syscall completed), the cancellation
 * is deferred to the next cancellation point (here cp_testcancel), and the
 * descriptor table is unchanged once the caller closed its fd.
 */
#define _GNU_SOURCE
#include <case.h>
#include <handshake.h>
#include <notify.h>
#include <procfs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CASE_MAGIC_DIRFD 0x5eed0   /* no real descriptor has this number */

static const struct backend *be;

struct case_target {
	pthread_t th;
	volatile pid_t tid;
	volatile int listener;       /* -errno when the filter failed */
	volatile int ready;
	volatile int got_fd;         /* what openat returned to the caller */
	volatile int returned;
	volatile int cleanup_ran;
};

static void case_cleanup(void *p)
{
	((struct case_target *)p)->cleanup_ran = 1;
}

static void *case_target_main(void *p)
{
	struct case_target *t = p;

	t->tid = (pid_t)syscall(SYS_gettid);
	t->listener = notify_install(SYS_openat, CASE_MAGIC_DIRFD);
	__atomic_store_n(&t->ready, 1, __ATOMIC_RELEASE);
	if (t->listener < 0)
		return NULL;
	pthread_cleanup_push(case_cleanup, t);
	t->got_fd = be->openat(CASE_MAGIC_DIRFD, "leak-after-return",
			       O_RDONLY | O_CLOEXEC, 0);
	t->returned = 1;
	be->testcancel();
	pthread_cleanup_pop(0);
	return NULL;
}

static int case_ready(void *p)
{
	return __atomic_load_n(&((struct case_target *)p)->ready, __ATOMIC_ACQUIRE);
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
	if (!wait_until(case_ready, t, 5000))
		verdict_exit(VERDICT_ERROR, "target never installed its filter");
	watchdog_watch(t->tid);
	if (t->listener == -EINVAL || t->listener == -EACCES ||
	    t->listener == -EPERM || t->listener == -ENOSYS)
		verdict_exit(VERDICT_SKIP, "seccomp user notification with "
			     "WAIT_KILLABLE_RECV (Linux >= 5.19) unavailable: %s",
			     strerror(-t->listener));
	if (t->listener < 0)
		verdict_exit(VERDICT_ERROR, "seccomp filter: %s",
			     strerror(-t->listener));
}

/* Request cancellation while the target is held in openat, then complete
 * the openat.  Returns whether a signal was pending at completion. */
static int case_race(struct case_target *t)
{
	struct seccomp_notif n;
	int src, pending, rc;

	if ((rc = notify_recv(t->listener, &n)))
		verdict_exit(VERDICT_ERROR, "NOTIF_RECV: %s", strerror(-rc));
	if ((rc = be->cancel(t->th)))
		verdict_exit(VERDICT_ERROR, "cancel: %s", strerror(rc));
	pending = wait_until(case_signal_pending, t, 2000);
	src = eventfd(0, EFD_CLOEXEC);
	if (src < 0)
		verdict_exit(VERDICT_ERROR, "eventfd: %s", strerror(errno));
	rc = notify_reply_fd(t->listener, n.id, src);
	close(src);
	if (rc == -EINVAL)
		verdict_exit(VERDICT_SKIP, "SECCOMP_ADDFD_FLAG_SEND (Linux >= "
			     "5.14) unavailable");
	if (rc < 0)
		verdict_exit(VERDICT_ERROR, "NOTIF_ADDFD: %s", strerror(-rc));
	return pending;
}

static void case_join(struct case_target *t, void **ret)
{
	char diag[512];

	if (join_bounded(t->th, ret, 5000) == 0)
		return;
	task_diagnose(t->tid, diag, sizeof diag);
	verdict_exit(VERDICT_FAIL, "target still alive 5 s after openat "
		     "completed: %s", diag);
}

int main(int argc, char **argv)
{
	struct fd_set_snapshot before, after, leaked;
	struct case_target t = { .got_fd = -1 };
	char what[512];
	const char *nosig;
	void *ret;
	int pending;

	be = case_start(argc, argv, "leak-after-return");
	watchdog_start(30, (pid_t)syscall(SYS_gettid), VERDICT_FAIL, "leak-after-return");
	if (fds_snapshot(&before))
		verdict_exit(VERDICT_ERROR, "cannot read /proc/self/fd");
	case_start_target(&t);
	pending = case_race(&t);
	case_join(&t, &ret);
	close(t.listener);
	if (t.got_fd >= 0)
		close(t.got_fd);
	if (fds_snapshot(&after))
		verdict_exit(VERDICT_ERROR, "cannot read /proc/self/fd");
	fds_new(&before, &after, &leaked);
	fds_describe(&leaked, what, sizeof what);
	verdict_metric("signal_pending_at_completion", "%d", pending);
	/* A backend that never signals a thread blocked in the kernel did not
	 * meet the race; every verdict says so, so a pass is read for what it
	 * is. */
	nosig = pending ? "" : " (no signal became pending for the target "
			       "within 2 s of the cancel request)";
	if (leaked.n)
		verdict_exit(VERDICT_FAIL, "leaked %zu fd (%s): cancellation "
			     "acted after the kernel completed openat%s",
			     leaked.n, what, nosig);
	if (!t.returned)
		verdict_exit(VERDICT_FAIL, "openat completed but never returned "
			     "to the caller%s", nosig);
	if (ret != PTHREAD_CANCELED)
		verdict_exit(VERDICT_FAIL, "cancellation lost: the thread "
			     "passed the next cancellation point%s", nosig);
	verdict_exit(VERDICT_PASS, "fd %d reached the caller, 0 leaked; "
		     "cancellation acted at the next cancellation point%s",
		     t.got_fd, nosig);
}
