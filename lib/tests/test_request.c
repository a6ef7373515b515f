/* SPDX-License-Identifier: MIT */
/*
 * test_request.c - the request protocol under pressure: a full real-time
 * signal queue, a canceller that is itself cancelled in the middle of a
 * request, a signal still on its way when the target acts on its own, a
 * barrier that a seccomp filter takes away, and a canceller that must
 * never signal a thread outside a cancellation point.
 */
#include "unit.h"

#include <cp.h>
#include <cp_internal.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <notify.h>
#include <step.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <procfs.h>
#include <verdict.h>

static int pipefd[2];

static void setup(void)
{
	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
}

static void teardown(void)
{
	close(pipefd[0]);
	close(pipefd[1]);
}

static void body_read(struct unit_target *t)
{
	char c;

	t->result = cp_read(pipefd[0], &c, 1);
	t->saved_errno = errno;
	t->returned = 1;
}

/* The first forced unwind of a process loads the unwinder (dlopen of
 * libgcc_s: files, locks, futexes); do it once before a test that reads
 * the target's syscalls, so they are the test's own. */
static void warm_unwinder(void)
{
	struct unit_target t = { 0 };

	unit_start(&t, body_read);
	unit_wait_in_syscall(&t, SYS_read);
	cp_cancel(t.th);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
}


/* Soft RLIMIT_SIGPENDING to 0: every queued real-time signal that may
 * fail (tgkill, sigqueue, timer_create's preallocation) now fails with
 * EAGAIN.  The soft limit only, so it can be restored. */
static struct rlimit saved_sigpending;

static void sigqueue_full(void)
{
	struct rlimit zero;

	ck_assert_int_eq(getrlimit(RLIMIT_SIGPENDING, &saved_sigpending), 0);
	zero = (struct rlimit){ 0, saved_sigpending.rlim_max };
	ck_assert_int_eq(setrlimit(RLIMIT_SIGPENDING, &zero), 0);
	ck_assert_int_eq(sigqueue(getpid(), SIGRTMIN, (union sigval){ 0 }), -1);
	ck_assert_int_eq(errno, EAGAIN);
}

static void sigqueue_restore(void)
{
	ck_assert_int_eq(setrlimit(RLIMIT_SIGPENDING, &saved_sigpending), 0);
}

/* ---- the first signal cannot be queued ------------------------------- */

/* The real-time queue is at RLIMIT_SIGPENDING when the request is made:
 * the request must still reach the blocked target, or fail in a way a
 * retry repairs.  A request marked pending but never signalled would be
 * lost for good, since later requests see it pending and send nothing.
 * (The kernel refuses every way of queueing a real-time signal to another
 * thread then, so "fail with EAGAIN" is what a library can do.) */
START_TEST(request_survives_full_signal_queue)
{
	struct unit_target t = { 0 };
	char diag[512];
	void *ret = NULL;
	int rc;

	unit_start(&t, body_read);
	unit_wait_in_syscall(&t, SYS_read);
	sigqueue_full();
	rc = cp_cancel(t.th);
	sigqueue_restore();
	ck_assert_msg(rc == 0 || rc == EAGAIN, "cp_cancel returned %d", rc);
	if (rc == EAGAIN)   /* then a retry, once the queue has room, works */
		ck_assert_int_eq(cp_cancel(t.th), 0);
	if (join_bounded(t.th, &ret, UNIT_WAIT_MS)) {
		task_diagnose(t.tid, diag, sizeof diag);
		ck_abort_msg("request lost after the signal queue was full "
			     "(first cp_cancel returned %d): %s", rc, diag);
	}
	ck_assert_ptr_eq(ret, PTHREAD_CANCELED);
}
END_TEST

/* ---- a signal on its way while the target acts on its own ------------ */

/*
 * The interleaving: the target runs with asynchronous type in ordinary
 * code; the canceller's request sets the flag and sends the signal, but
 * the send is held in the kernel (seccomp user notification on the
 * canceller's tgkill).  Meanwhile the target reaches cp_testcancel, sees
 * the flag and acts on its own: its cleanup handler makes a blocking,
 * non-restarting call (ppoll on a pipe).  Only then is the held signal
 * released.  A correct libcp does not start the cleanup handlers while
 * its own signal is still on its way, so the ppoll returns what the pipe
 * gives it, never EINTR.  The variant: instead of acting, the target
 * disables cancellation and makes the same ppoll; switching the state
 * must wait for the signal on its way just as acting does.
 */
static int go_pipe[2];
static volatile int canceller_listener = -1, canceller_ready;
static struct unit_target target;

static void cleanup_ppoll(void *p)
{
	struct unit_target *t = p;
	struct pollfd pf = { .fd = pipefd[0], .events = POLLIN };

	t->cleanup_ran = 1;
	t->aux = syscall(SYS_ppoll, &pf, 1, NULL, NULL, 8) < 0 ? -errno : 1;
}

/* Asynchronous type while it waits (an ordinary read of go_pipe): the
 * canceller must signal it.  Then it acts on its own at cp_testcancel. */
static void body_async_then_testcancel(struct unit_target *t)
{
	char c;

	pthread_cleanup_push(cleanup_ppoll, t);
	cp_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
	if (read(go_pipe[0], &c, 1) == 1)
		cp_testcancel();
	t->returned = 1;
	pthread_cleanup_pop(0);
}

/* The same wait, then it disables cancellation and makes the same ppoll
 * as ordinary code: switching the state must wait for the signal on its
 * way as acting does.  Enabled again, it acts. */
static void body_async_then_disable(struct unit_target *t)
{
	char c;

	cp_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
	if (read(go_pipe[0], &c, 1) != 1)
		return;
	cp_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	cleanup_ppoll(t);
	cp_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	t->returned = 1;
}

static void *canceller_held(void *p)
{
	(void)p;
	canceller_listener = notify_install(SYS_tgkill, (uint64_t)getpid());
	flag_set(&canceller_ready);
	if (canceller_listener >= 0)
		cp_cancel(target.th);
	return NULL;
}

/* The first two fields of /proc/self/task/<tid>/syscall: the number of
 * the syscall the thread sleeps in and its first argument; -1 if running. */
static long syscall_and_arg0(pid_t tid, unsigned long *arg0)
{
	char path[64], line[256];
	FILE *f;
	long nr = -1;

	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
	if (!(f = fopen(path, "r")))
		return -1;
	if (!fgets(line, sizeof line, f) ||
	    sscanf(line, "%ld %lx", &nr, arg0) != 2)
		nr = -1;
	fclose(f);
	return nr;
}

/* In the cleanup handler's ppoll (a signal on its way would end it), or
 * waiting in libcp for that signal (a futex on its in-flight flag). */
static int in_ppoll_or_quiesce(void *p)
{
	struct unit_target *t = p;
	unsigned long arg0 = 0;
	long nr = syscall_and_arg0(t->tid, &arg0);

	return nr == SYS_ppoll ||
	       (nr == SYS_futex &&
		arg0 == (unsigned long)&cp_thread_of(t->th)->sig_in_flight);
}

static int signal_handled(void *p)
{
	struct unit_target *t = p;

	return !__atomic_load_n(&cp_thread_of(t->th)->sig_in_flight,
				__ATOMIC_ACQUIRE);
}

static int in_ppoll_or_done(void *p)
{
	struct unit_target *t = p;

	return task_syscall(t->tid) == SYS_ppoll || t->aux != 0;
}

START_TEST(cleanup_not_interrupted_by_signal_in_flight)
{
	struct seccomp_notif n;
	pthread_t c;

	memset(&target, 0, sizeof target);
	canceller_ready = 0;
	warm_unwinder();
	ck_assert_int_eq(pipe2(go_pipe, O_CLOEXEC), 0);
	unit_start(&target, _i ? body_async_then_disable
			       : body_async_then_testcancel);
	unit_wait_in_syscall(&target, SYS_read);
	ck_assert_int_eq(pthread_create(&c, NULL, canceller_held, NULL), 0);
	flag_wait(&canceller_ready);
	ck_assert_msg(canceller_listener >= 0, "seccomp user notification "
		      "unavailable: %s", strerror(-canceller_listener));
	ck_assert_int_eq(notify_recv(canceller_listener, &n), 0);
	ck_assert_int_eq(write(go_pipe[1], "g", 1), 1);
	ck_assert_msg(wait_until(in_ppoll_or_quiesce, &target, UNIT_WAIT_MS),
		      "the target never blocked in its cleanup handler's ppoll "
		      "nor waited for the signal");
	ck_assert_int_eq(notify_reply_continue(canceller_listener, n.id), 0);
	/* The signal's handler has run (it clears the flag) before the pipe
	 * gets its byte: a ppoll it interrupted has returned EINTR by then. */
	ck_assert(wait_until(signal_handled, &target, UNIT_WAIT_MS));
	ck_assert(wait_until(in_ppoll_or_done, &target, UNIT_WAIT_MS));
	ck_assert_int_eq(write(pipefd[1], "x", 1), 1);
	ck_assert_ptr_eq(unit_join(&target), PTHREAD_CANCELED);
	ck_assert_int_eq(pthread_join(c, NULL), 0);
	ck_assert_int_eq(target.cleanup_ran, 1);   /* the variant: its ppoll ran */
	ck_assert_msg(target.aux == 1, "the %s ppoll was interrupted by "
		      "libcp's signal (returned %ld)", _i ? "disabled region's"
		      : "cleanup handler's", target.aux);
	close(go_pipe[0]);
	close(go_pipe[1]);
}
END_TEST

/* ---- the canceller is cancelled asynchronously mid-request ----------- */

/*
 * pthread_cancel is one of the three functions POSIX requires to be
 * async-cancel-safe.  The interleaving, forced with ptrace: a child
 * process runs a target blocked in cp_read and a canceller with
 * asynchronous type.  The test single-steps the canceller through its
 * cp_cancel (support/step.c: atomic sequences run through as one step)
 * until the target's "signal in flight" flag turns 1 (the
 * request is published, the signal not yet sent); while it is stopped
 * there, a third thread cancels the canceller.  Released, the canceller
 * must finish its request before it is cancelled itself: the target is
 * cancelled, nothing hangs.
 */
struct mid_child {
	pthread_t target, canceller;
	volatile pid_t canceller_tid;
	volatile int go;
	int *in_flight;
};
static struct mid_child mid;

static void *mid_target(void *p)
{
	char c;

	(void)p;
	cp_read(pipefd[0], &c, 1);
	return NULL;
}

static void *mid_canceller(void *p)
{
	(void)p;
	mid.canceller_tid = (pid_t)syscall(SYS_gettid);
	cp_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
	while (!mid.go)   /* the tracer writes it while this thread is stopped */
		;
	cp_cancel(mid.target);
	return NULL;
}

/* The child: 0 when both threads ended cancelled, 1 otherwise. */
static _Noreturn void mid_child_run(int to_parent, int from_parent)
{
	void *rt = NULL, *rc = NULL;
	char c;

	pthread_create(&mid.target, NULL, mid_target, NULL);
	pthread_create(&mid.canceller, NULL, mid_canceller, NULL);
	while (!mid.canceller_tid)
		sched_yield();
	mid.in_flight = &cp_thread_of(mid.target)->sig_in_flight;
	if (write(to_parent, &mid, sizeof mid) != sizeof mid)
		_exit(2);
	if (read(from_parent, &c, 1) != 1)   /* canceller stopped mid-request */
		_exit(2);
	cp_cancel(mid.canceller);
	if (write(to_parent, "k", 1) != 1)
		_exit(2);
	if (join_bounded(mid.canceller, &rc, 3000) ||
	    join_bounded(mid.target, &rt, 3000))
		_exit(1);
	_exit(rt == PTHREAD_CANCELED && rc == PTHREAD_CANCELED ? 0 : 1);
}

START_TEST(canceller_cancelled_mid_request)
{
	int up[2], down[2], st, steps = 0;
	struct mid_child m;
	pid_t pid;
	char k;

	ck_assert_int_eq(pipe(up), 0);
	ck_assert_int_eq(pipe(down), 0);
	if ((pid = fork()) == 0)
		mid_child_run(up[1], down[0]);
	ck_assert_int_eq(read(up[0], &m, sizeof m), (ssize_t)sizeof m);
	if (ptrace(PTRACE_SEIZE, m.canceller_tid, NULL,
		   (void *)PTRACE_O_EXITKILL)) {
		kill(pid, SIGKILL);
		ck_abort_msg("ptrace unavailable: %s", strerror(errno));
	}
	ck_assert_int_eq(ptrace(PTRACE_INTERRUPT, m.canceller_tid, NULL, NULL), 0);
	ck_assert_int_eq(waitpid(m.canceller_tid, &st, __WALL), m.canceller_tid);
	/* Let it go (the write is seen once it runs), then step it. */
	ck_assert_int_eq(ptrace(PTRACE_POKEDATA, m.canceller_tid,
				(void *)&mid.go, (void *)1L), 0);
	for (;;) {
		long v = ptrace(PTRACE_PEEKDATA, m.canceller_tid,
				(void *)m.in_flight, NULL);

		if ((int)v == 1)
			break;
		ck_assert_msg(++steps < 2000000, "the request never set the "
			      "target's in-flight flag");
		ck_assert_msg(step_one(m.canceller_tid) == 0,
			      "the canceller did not stop after one step");
	}
	ck_assert_int_eq(write(down[1], "c", 1), 1);
	ck_assert_int_eq(read(up[0], &k, 1), 1);   /* cancel requested */
	ck_assert_int_eq(ptrace(PTRACE_DETACH, m.canceller_tid, NULL, NULL), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "stopped %d steps into its request, the canceller was "
		      "cancelled; then the target or the canceller did not end "
		      "cancelled within 3 s (child status %#x)", steps, st);
}
END_TEST

/* ---- the barrier taken away ------------------------------------------ */

/* A seccomp filter installed after libcp initialised makes membarrier(2)
 * fail.  The canceller must notice (it cannot trust a "not inside" view
 * any more): it sends the signal when in doubt, and from then on the
 * targets fence on their own side. */
static volatile int deny_ready, deny_done;

static void *canceller_without_membarrier(void *p)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

	if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				     SCMP_SYS(membarrier), 0) ||
	    seccomp_load(ctx))
		deny_ready = -1;
	else
		deny_ready = 1;
	if (ctx)
		seccomp_release(ctx);
	if (deny_ready > 0)
		cp_cancel(*(pthread_t *)p);
	flag_set(&deny_done);
	return NULL;
}

static volatile int ordinary_go;

static void body_ordinary_then_read(struct unit_target *t)
{
	char c;

	flag_wait(&ordinary_go);
	t->result = cp_read(pipefd[0], &c, 1);
	t->returned = 1;
}

START_TEST(membarrier_failure_is_not_ignored)
{
	struct unit_target t = { 0 };
	pthread_t c;

	ordinary_go = deny_ready = deny_done = 0;
	unit_start(&t, body_ordinary_then_read);
	unit_wait_in_syscall(&t, SYS_futex);
	ck_assert_int_eq(pthread_create(&c, NULL, canceller_without_membarrier,
					&t.th), 0);
	ck_assert(unit_flag_wait_bounded(&deny_done, UNIT_WAIT_MS));
	ck_assert_int_eq(pthread_join(c, NULL), 0);
	ck_assert_msg(deny_ready > 0, "could not install the seccomp filter");
	flag_set(&ordinary_go);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 0);
	ck_assert_msg(__atomic_load_n(&cp_fast_off, __ATOMIC_ACQUIRE),
		      "membarrier failed, yet the targets' fast path still "
		      "relies on it");
}
END_TEST

/* ---- no signal into ordinary code ------------------------------------ */

/*
 * A thread alternates a cancellation point that returns at once (cp_read
 * of an empty non-blocking pipe) with an ordinary, non-restarting wait
 * (a raw ppoll with a short timeout: any handler ends it with EINTR).  A
 * request that finds it leaving the cancellation point must either be
 * seen by the thread (which then waits for the signal inside libcp) or
 * not signal at all: a signal that reaches the ordinary ppoll is a
 * cancellation surfacing as EINTR outside a cancellation point.  The
 * "inside" answer read without a barrier can be stale (the thread's
 * store leaving the call still in its store buffer while it reads the
 * flag): a memory-ordering race, run many times.
 */
static volatile int ordinary_eintr;

static void *loop_cp_then_ordinary(void *p)
{
	struct timespec ts = { 0, 20000 };
	char c;

	(void)p;
	for (;;) {
		cp_read(pipefd[0], &c, 1);
		if (syscall(SYS_ppoll, NULL, 0, &ts, NULL, 8) < 0 &&
		    errno == EINTR)
			ordinary_eintr++;
	}
	return NULL;
}

START_TEST(no_signal_reaches_ordinary_code)
{
	struct timespec start, now;
	int iterations = 0, eintr = 0;

	ck_assert_int_eq(fcntl(pipefd[0], F_SETFL, O_NONBLOCK), 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		pthread_t th;
		void *ret;

		ordinary_eintr = 0;
		ck_assert_int_eq(pthread_create(&th, NULL, loop_cp_then_ordinary,
						NULL), 0);
		for (volatile int spin = unit_spin_len(4000); spin > 0; spin--)
			;
		ck_assert_int_eq(cp_cancel(th), 0);
		ck_assert_int_eq(join_bounded(th, &ret, UNIT_WAIT_MS), 0);
		eintr += ordinary_eintr;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (++iterations < 20000 && now.tv_sec - start.tv_sec < 60);
	ck_assert_msg(eintr == 0, "%d of %d requests interrupted an ordinary "
		      "ppoll with EINTR", eintr, iterations);
}
END_TEST

/* ---- a sandbox that denies process_vm_readv ------------------------- */

/* A seccomp policy of the program's (here: in the target thread) makes
 * process_vm_readv/writev fail with EPERM.  A request that lands while a
 * handler runs on top of the target's blocked read must still act once
 * the handler returns. */
static volatile int sandboxed;

static void body_sandboxed_read(struct unit_target *t)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	char c;

	sandboxed = ctx && !seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
					     SCMP_SYS(process_vm_readv), 0) &&
		    !seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				      SCMP_SYS(process_vm_writev), 0) &&
		    !seccomp_load(ctx) ? 1 : -1;
	if (ctx)
		seccomp_release(ctx);
	t->result = cp_read(pipefd[0], &c, 1);
	t->returned = 1;
}

START_TEST(sandboxed_handler_on_top_not_lost)
{
	struct unit_target t = { 0 };
	struct sigaction sa;
	char diag[512];
	void *ret = NULL;

	hold_reset();
	sandboxed = 0;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = hold_handler;
	sa.sa_flags = SA_RESTART;
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	unit_start(&t, body_sandboxed_read);
	unit_wait_in_syscall(&t, SYS_read);
	ck_assert_msg(sandboxed > 0, "could not install the seccomp filter");
	pthread_kill(t.th, SIGUSR1);
	ck_assert(unit_flag_wait_bounded(&hold.entered, UNIT_WAIT_MS));
	ck_assert_int_eq(cp_cancel(t.th), 0);
	ck_assert(unit_wait_sig_settled(&t, cp_signal()));
	flag_set(&hold.release);
	if (join_bounded(t.th, &ret, UNIT_WAIT_MS)) {
		task_diagnose(t.tid, diag, sizeof diag);
		ck_abort_msg("with process_vm_readv denied, the request that "
			     "landed in the handler was lost: %s", diag);
	}
	ck_assert_ptr_eq(ret, PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 0);
}
END_TEST

Suite *unit_suite_request(void)
{
	Suite *s = suite_create("request");
	TCase *tc = tcase_create("request");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, request_survives_full_signal_queue);
	tcase_add_loop_test(tc, cleanup_not_interrupted_by_signal_in_flight, 0, 2);
	tcase_add_test(tc, canceller_cancelled_mid_request);
	tcase_add_test(tc, membarrier_failure_is_not_ignored);
	tcase_add_test(tc, no_signal_reaches_ordinary_code);
	tcase_add_test(tc, sandboxed_handler_on_top_not_lost);
	suite_add_tcase(s, tc);
	return s;
}
