/* SPDX-License-Identifier: MIT */
/*
 * test_mask.c - libcp's signal and the masks around it: it never stays
 * blocked in a thread's mask once the handler it interrupted is gone, a
 * caller's signal set never holds it off or swallows it, and a thread
 * that inherited it blocked is still cancellable.
 */
#include "unit.h"

#include <cp.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
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


static uint64_t sigbit(int sig)
{
	return 1ULL << (sig - 1);
}

/* ---- a deferred request must not leave the signal blocked ------------ */

/*
 * The race: a thread loops on cp_read of an empty non-blocking pipe
 * (EAGAIN at once), so the cancel signal lands anywhere in the wrapper:
 * in the window, past the syscall, and on the wrapper's own instructions
 * around the routine.  Whatever it does there, when cp_read returns the
 * thread's mask must be the one it had: a cancel signal left blocked
 * would be inherited by every thread it creates, which could then never
 * be interrupted in a blocking call.  The request itself acts at the next
 * cp_read.  Many short lives, each cancelled once, at a random moment.
 */
static volatile int mask_changed;
static volatile uint64_t mask_seen;

/* The request acts at the cp_read after the one it was deferred past:
 * its cleanup handler sees the mask that call left behind. */
static void note_mask(void *before)
{
	uint64_t now = unit_own_mask();

	if (now != *(uint64_t *)before) {
		mask_seen = now;
		mask_changed = 1;
	}
}

static void *loop_read_checking_mask(void *p)
{
	uint64_t before = unit_own_mask();
	char c;

	(void)p;
	pthread_cleanup_push(note_mask, &before);
	for (;;)
		cp_read(pipefd[0], &c, 1);
	pthread_cleanup_pop(0);
	return NULL;
}

START_TEST(deferred_request_leaves_mask_alone)
{
	int iterations = 0, changed = 0;
	struct timespec start, now;

	ck_assert_int_eq(fcntl(pipefd[0], F_SETFL, O_NONBLOCK), 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	/* At least 20,000 cancellations, or 60 s on a slow machine. */
	do {
		pthread_t th;
		void *ret;

		mask_changed = 0;
		ck_assert_int_eq(pthread_create(&th, NULL,
						loop_read_checking_mask, NULL), 0);
		for (volatile int spin = unit_spin_len(2000); spin > 0; spin--)
			;
		ck_assert_int_eq(cp_cancel(th), 0);
		ck_assert_int_eq(join_bounded(th, &ret, UNIT_WAIT_MS), 0);
		ck_assert_ptr_eq(ret, PTHREAD_CANCELED);
		changed += mask_changed;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (++iterations < 20000 && now.tv_sec - start.tv_sec < 60);
	ck_assert_msg(changed == 0, "%d of %d threads returned from cp_read "
		      "with their mask changed to %#llx (cancel signal %d "
		      "blocked: %d)", changed, iterations,
		      (unsigned long long)mask_seen, cp_signal(),
		      !!(mask_seen & sigbit(cp_signal())));
}
END_TEST

/* ---- a thread that inherited the signal blocked ---------------------- */

static void body_read(struct unit_target *t)
{
	char c;

	t->result = cp_read(pipefd[0], &c, 1);
	t->saved_errno = errno;
	t->returned = 1;
}

/* pthread_create copies the creator's mask: a creator with libcp's signal
 * blocked (by accident or by its own sigprocmask) must not produce a
 * thread that can never be interrupted in a cancellation point. */
START_TEST(inherited_blocked_signal_still_cancellable)
{
	struct unit_target t = { 0 };
	sigset_t s, old;

	sigemptyset(&s);
	sigaddset(&s, cp_signal());
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &s, &old), 0);
	unit_start(&t, body_read);
	ck_assert_int_eq(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
	unit_wait_in_syscall(&t, SYS_read);
	ck_assert_int_eq(cp_cancel(t.th), 0);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 0);
}
END_TEST

/* ---- a caller's signal set ------------------------------------------- */

/*
 * Each of these takes a signal set from the caller and hands it to the
 * kernel.  A set built with sigfillset() must neither hold libcp's signal
 * off for the whole wait (the request would be lost) nor, for the waits
 * that dequeue signals, consume it (its handler would never run and the
 * caller would be handed a signal that is not its own).
 */
static sigset_t all;

static void body_ppoll_all(struct unit_target *t)
{
	struct pollfd p = { .fd = pipefd[0], .events = POLLIN };

	t->result = cp_ppoll(&p, 1, NULL, &all);
	t->returned = 1;
}

static void body_pselect_all(struct unit_target *t)
{
	fd_set r;

	FD_ZERO(&r);
	FD_SET(pipefd[0], &r);
	t->result = cp_pselect(pipefd[0] + 1, &r, NULL, NULL, NULL, &all);
	t->returned = 1;
}

static void body_epoll_pwait_all(struct unit_target *t)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	epoll_ctl(ep, EPOLL_CTL_ADD, pipefd[0], &ev);
	t->aux = ep;
	t->result = cp_epoll_pwait(ep, &out, 1, -1, &all);
	t->returned = 1;
}

static void body_sigsuspend_all(struct unit_target *t)
{
	t->result = cp_sigsuspend(&all);
	t->returned = 1;
}

static void body_sigwaitinfo_all(struct unit_target *t)
{
	siginfo_t si;

	t->result = cp_sigwaitinfo(&all, &si);
	t->returned = 1;
}

static void body_sigtimedwait_all(struct unit_target *t)
{
	struct timespec ts = { 3600, 0 };
	siginfo_t si;

	t->result = cp_sigtimedwait(&all, &si, &ts);
	t->returned = 1;
}

static void body_uring_all(struct unit_target *t)
{
	struct io_uring ring;

	if (io_uring_queue_init(2, &ring, 0)) {
		t->aux = -1;
		return;
	}
	/* Nothing submitted, wait for one completion: blocks until a signal. */
	t->result = cp_io_uring_enter(ring.ring_fd, 0, 1,
				      IORING_ENTER_GETEVENTS, &all);
	t->returned = 1;
}

static const struct full_set_call {
	const char *name;
	void (*body)(struct unit_target *);
	long nr;
} full_set_calls[] = {
	{ "ppoll", body_ppoll_all, SYS_ppoll },
	{ "pselect", body_pselect_all, SYS_pselect6 },
	{ "epoll_pwait", body_epoll_pwait_all, SYS_epoll_pwait },
	{ "sigsuspend", body_sigsuspend_all, SYS_rt_sigsuspend },
	{ "sigwaitinfo", body_sigwaitinfo_all, SYS_rt_sigtimedwait },
	{ "sigtimedwait", body_sigtimedwait_all, SYS_rt_sigtimedwait },
	{ "io_uring_enter", body_uring_all, SYS_io_uring_enter },
};

START_TEST(full_signal_set_wait_acts)
{
	const struct full_set_call *c = &full_set_calls[_i];
	struct unit_target t = { 0 };
	char diag[512];
	void *ret = NULL;

	sigfillset(&all);
	unit_start(&t, c->body);
	unit_wait_in_syscall(&t, c->nr);
	ck_assert_int_eq(cp_cancel(t.th), 0);
	if (join_bounded(t.th, &ret, UNIT_WAIT_MS)) {
		task_diagnose(t.tid, diag, sizeof diag);
		ck_abort_msg("%s with a full signal set: the request was lost "
			     "(still blocked %d ms later): %s", c->name,
			     UNIT_WAIT_MS, diag);
	}
	ck_assert_msg(ret == PTHREAD_CANCELED, "%s with a full signal set "
		      "returned %ld instead of acting (a signal number here is "
		      "libcp's own, handed to the caller)", c->name, t.result);
}
END_TEST

/* The caller's set is read, never written: libcp works on a copy. */
START_TEST(caller_set_is_not_modified)
{
	struct timespec zero = { 0, 0 };
	struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
	sigset_t set, copy;
	siginfo_t si;

	sigfillset(&set);
	copy = set;
	ck_assert_int_eq(cp_ppoll(&p, 1, &zero, &set), 0);
	ck_assert_int_eq(cp_sigtimedwait(&set, &si, &zero), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(memcmp(&set, &copy, sizeof set), 0);
}
END_TEST

/* ---- siglongjmp out of a handler on top of a cancellation point ------ */

/*
 * The race: the thread is blocked in cp_read; SIGUSR1's handler leaves by
 * siglongjmp, abandoning the call.  The thread then runs ordinary code.
 * A request that lands there must be deferred to the next cancellation
 * point and leave nothing behind: the thread's mask as it was, and a
 * thread it creates afterwards fully cancellable.
 */
static sigjmp_buf escape_to;
static volatile int escaped, ordinary_go, child_made;
static volatile uint64_t mask_before, mask_after;
static struct unit_target child;

static void escape_handler(int sig)
{
	(void)sig;
	siglongjmp(escape_to, 1);
}

/* The thread made in the ordinary code: it inherits the mask of that
 * moment, and blocks in a cancellation point. */
static volatile int child_started;

static void *child_read(void *p)
{
	char c;

	(void)p;
	child.tid = (pid_t)syscall(SYS_gettid);
	flag_set(&child_started);
	child.result = cp_read(pipefd[0], &c, 1);
	child.returned = 1;
	return NULL;
}

/* The ordinary code after the escape: the request lands in its wait. */
static void ordinary_after_escape(void)
{
	flag_set(&escaped);
	flag_wait(&ordinary_go);   /* ordinary code, a raw futex wait */
	mask_after = unit_own_mask();
	child_made = pthread_create(&child.th, NULL, child_read, NULL) == 0;
	flag_wait(&child_started);
}

/*
 * The same, gone deeper than the abandoned call, into a frame that leaves
 * its memory unwritten: the signal frame of the handler that escaped is
 * still there, below the call's recorded stack pointer, with its saved PC
 * in the window.  The request must not take that stale frame for a
 * handler on top of the call: a re-raise kept blocked "until the handler
 * returns" would stay blocked in the thread's own mask.
 */
static __attribute__((noinline)) void ordinary_below_stale_frame(void)
{
	char unwritten[16384];   /* spans the abandoned frame */

	/* The array exists (its address escapes) but is never written. */
	__asm__ volatile("" : : "r"(unwritten) : "memory");
	ordinary_after_escape();
}

static int escape_deeper;

static void body_escape_then_ordinary(struct unit_target *t)
{
	char c;

	mask_before = unit_own_mask();
	if (sigsetjmp(escape_to, 1) == 0) {
		cp_read(pipefd[0], &c, 1);
		t->returned = 1;   /* never: SIGUSR1 jumps out of it */
		return;
	}
	if (escape_deeper)
		ordinary_below_stale_frame();
	else
		ordinary_after_escape();
	cp_testcancel();           /* the next cancellation point */
	t->result = 1;             /* not reached when it acts */
}

/* _i: 0 the ordinary code at the escape's level, 1 deeper than the call. */
START_TEST(siglongjmp_escape_leaves_nothing)
{
	static const char *const where[] = {
		"at the level the escape returned to",
		"deeper than the call, over its stale signal frame",
	};
	struct unit_target t = { 0 };
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = escape_handler;
	sa.sa_flags = SA_RESTART;
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	escaped = ordinary_go = child_made = child_started = 0;
	escape_deeper = _i;
	memset(&child, 0, sizeof child);
	unit_start(&t, body_escape_then_ordinary);
	unit_wait_in_syscall(&t, SYS_read);
	pthread_kill(t.th, SIGUSR1);
	ck_assert(unit_flag_wait_bounded(&escaped, UNIT_WAIT_MS));
	unit_wait_in_syscall(&t, SYS_futex);
	ck_assert_int_eq(cp_cancel(t.th), 0);
	ck_assert(unit_wait_sig_settled(&t, cp_signal()));
	flag_set(&ordinary_go);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_msg(mask_after == mask_before, "after the escape and a "
		      "request in ordinary code %s the mask changed from %#llx "
		      "to %#llx", where[_i], (unsigned long long)mask_before,
		      (unsigned long long)mask_after);
	ck_assert(child_made);
	unit_wait_in_syscall(&child, SYS_read);
	ck_assert_int_eq(cp_cancel(child.th), 0);
	unit_join_cancelled(&child, "a thread created after the escape");
}
END_TEST

/* The request lands while the handler still runs; the handler then
 * leaves by siglongjmp.  Nothing acts in the handler or in the ordinary
 * code, the mask is the one from before, nothing stays pending, and the
 * next cancellation point acts. */
static volatile int in_escape_handler, escape_release;

static void escape_later_handler(int sig)
{
	(void)sig;
	flag_set(&in_escape_handler);
	flag_wait(&escape_release);
	siglongjmp(escape_to, 1);
}

static void body_escape_with_request(struct unit_target *t)
{
	char c;

	mask_before = unit_own_mask();
	if (sigsetjmp(escape_to, 1) == 0) {
		cp_read(pipefd[0], &c, 1);
		t->returned = 1;
		return;
	}
	mask_after = unit_own_mask();
	t->aux = (long)unit_sigpending(t);
	flag_set(&escaped);
	flag_wait(&ordinary_go);
	cp_testcancel();
	t->result = 1;
}

START_TEST(siglongjmp_escape_after_request)
{
	struct unit_target t = { 0 };
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = escape_later_handler;
	sa.sa_flags = SA_RESTART;
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	escaped = ordinary_go = in_escape_handler = escape_release = 0;
	unit_start(&t, body_escape_with_request);
	unit_wait_in_syscall(&t, SYS_read);
	pthread_kill(t.th, SIGUSR1);
	ck_assert(unit_flag_wait_bounded(&in_escape_handler, UNIT_WAIT_MS));
	ck_assert_int_eq(cp_cancel(t.th), 0);
	ck_assert(unit_wait_sig_settled(&t, cp_signal()));
	flag_set(&escape_release);
	ck_assert(unit_flag_wait_bounded(&escaped, UNIT_WAIT_MS));
	flag_set(&ordinary_go);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_msg(mask_after == mask_before, "after the escape the mask "
		      "changed from %#llx to %#llx", (unsigned long long)mask_before,
		      (unsigned long long)mask_after);
	ck_assert_msg(((uint64_t)t.aux & sigbit(cp_signal())) == 0,
		      "libcp's signal still pending after the escape "
		      "(pending %#lx)", t.aux);
	ck_assert_int_eq(t.result, 0);
}
END_TEST

Suite *unit_suite_mask(void)
{
	Suite *s = suite_create("mask");
	TCase *tc = tcase_create("mask");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, deferred_request_leaves_mask_alone);
	tcase_add_test(tc, inherited_blocked_signal_still_cancellable);
	tcase_add_loop_test(tc, full_signal_set_wait_acts, 0,
			    sizeof full_set_calls / sizeof *full_set_calls);
	tcase_add_test(tc, caller_set_is_not_modified);
	tcase_add_loop_test(tc, siglongjmp_escape_leaves_nothing, 0, 2);
	tcase_add_test(tc, siglongjmp_escape_after_request);
	suite_add_tcase(s, tc);
	return s;
}
