/* SPDX-License-Identifier: MIT */
/*
 * test_timer.c - the "timer" strategy's retry: armed only while a
 * declined request waits below a handler, never left behind, never
 * ticking into ordinary code, and not lost when no timer can be made.
 */
#include "unit.h"

#include <cp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <procfs.h>

static int pipefd[2];

static void setup(void)
{
	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
	ck_assert_int_eq(cp_set_strategy("timer"), 0);
	hold_reset();
}

static void teardown(void)
{
	close(pipefd[0]);
	close(pipefd[1]);
}

/* POSIX timers of this process (/proc/self/timers: one "ID:" line each),
 * or -1 when the kernel does not list them (no CONFIG_CHECKPOINT_RESTORE). */
static int process_timers(void)
{
	FILE *f = fopen("/proc/self/timers", "r");
	char line[256];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		n += strncmp(line, "ID:", 3) == 0;
	fclose(f);
	return n;
}

static void body_read(struct unit_target *t)
{
	char c;

	t->result = cp_read(pipefd[0], &c, 1);
	t->saved_errno = errno;
	t->returned = 1;
}

/* Start a target blocked in cp_read with the gate handler on top of it
 * and a request declined inside the handler. */
static void declined_in_handler(struct unit_target *t)
{
	unit_start(t, body_read);
	unit_wait_in_syscall(t, SYS_read);
	pthread_kill(t->th, SIGUSR1);
	ck_assert(unit_flag_wait_bounded(&hold.entered, UNIT_WAIT_MS));
	ck_assert_int_eq(cp_cancel(t->th), 0);
	ck_assert(unit_wait_sigpending(t, cp_signal()));
}

/* timer_create fails (the signal queue is at RLIMIT_SIGPENDING, which its
 * preallocated signal counts against) exactly when the declined request
 * needs a retry: the request must not be lost. */
START_TEST(no_timer_no_loss)
{
	struct unit_target t = { 0 };
	struct rlimit zero, old;
	char diag[512];
	void *ret = NULL;

	unit_gate_install(SIGUSR1);
	declined_in_handler(&t);
	ck_assert_int_eq(getrlimit(RLIMIT_SIGPENDING, &old), 0);
	zero = (struct rlimit){ 0, old.rlim_max };
	ck_assert_int_eq(setrlimit(RLIMIT_SIGPENDING, &zero), 0);
	flag_set(&unit_gate.open);
	ck_assert(unit_flag_wait_bounded(&unit_gate.unblocked, UNIT_WAIT_MS));
	flag_set(&hold.release);
	if (join_bounded(t.th, &ret, UNIT_WAIT_MS)) {
		task_diagnose(t.tid, diag, sizeof diag);
		setrlimit(RLIMIT_SIGPENDING, &old);
		ck_abort_msg("no retry timer could be made and the request was "
			     "lost: %s", diag);
	}
	ck_assert_int_eq(setrlimit(RLIMIT_SIGPENDING, &old), 0);
	ck_assert_ptr_eq(ret, PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 0);
}
END_TEST

/* The retry timer is armed, then the call completes before the next tick
 * (the pipe got a byte while the handler held the thread) and the thread
 * ends without another cancellation point.  Its timer must go with it:
 * POSIX timers belong to the process and outlive the thread. */
START_TEST(completed_call_leaves_no_timer)
{
	int before = process_timers(), returned = 0;
	char c;

	if (before < 0) {
		printf("skip: /proc/self/timers not available\n");
		return;
	}
	for (int i = 0; i < 10; i++) {
		struct unit_target t = { 0 };

		unit_gate_install(SIGUSR1);
		declined_in_handler(&t);
		flag_set(&unit_gate.open);
		ck_assert(unit_flag_wait_bounded(&unit_gate.unblocked, UNIT_WAIT_MS));
		ck_assert_int_eq(write(pipefd[1], "x", 1), 1);
		flag_set(&hold.release);
		if (unit_join(&t) != PTHREAD_CANCELED) {
			returned++;
			continue;
		}
		/* A tick acted before the restarted read took the byte: take
		 * it, or the next target's read returns at once. */
		ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
	}
	ck_assert_msg(returned > 0, "every read acted before completing: the "
		      "case never reached a completed call with a timer armed");
	ck_assert_msg(process_timers() == before, "%d POSIX timer(s) left "
		      "behind by %d threads that ended normally",
		      process_timers() - before, returned);
}
END_TEST

/* A handler on top of the cancellation point leaves by siglongjmp while
 * the retry timer runs; the thread then disables cancellation and sleeps
 * in ordinary code.  No tick may reach it there.  The variant keeps
 * cancellation enabled and calls nothing of libcp's: the first tick finds
 * the call abandoned and must stop the timer, so at most that one tick
 * ends an ordinary sleep with EINTR (docs/design.md: one signal may reach
 * ordinary code in that span), not every sleep. */
static sigjmp_buf escape_to;
static volatile int in_escape, escape_release, sleeps_eintr, slept;
static volatile int stay_enabled;

static void escape_handler(int sig)
{
	sigset_t s;

	(void)sig;
	sigemptyset(&s);
	sigaddset(&s, cp_signal());
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	flag_set(&in_escape);
	flag_wait(&escape_release);
	siglongjmp(escape_to, 1);
}

static void body_escape_then_sleep(struct unit_target *t)
{
	struct timespec ts = { 0, 20 * 1000000L };
	char c;

	if (sigsetjmp(escape_to, 1) == 0) {
		cp_read(pipefd[0], &c, 1);
		t->returned = 1;
		return;
	}
	if (!stay_enabled)
		cp_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	for (int i = 0; i < 10; i++, slept++)
		if (syscall(SYS_nanosleep, &ts, NULL) < 0 && errno == EINTR)
			sleeps_eintr++;
	t->aux = process_timers();
	cp_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	cp_testcancel();
}

START_TEST(escape_stops_the_ticks)
{
	struct unit_target t = { 0 };
	struct sigaction sa;
	int before = process_timers();

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = escape_handler;
	sa.sa_flags = SA_RESTART;
	sigaddset(&sa.sa_mask, cp_signal());
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	in_escape = escape_release = sleeps_eintr = slept = 0;
	stay_enabled = _i;
	unit_start(&t, body_escape_then_sleep);
	unit_wait_in_syscall(&t, SYS_read);
	pthread_kill(t.th, SIGUSR1);
	ck_assert(unit_flag_wait_bounded(&in_escape, UNIT_WAIT_MS));
	ck_assert_int_eq(cp_cancel(t.th), 0);
	ck_assert(unit_wait_sig_settled(&t, cp_signal()));
	flag_set(&escape_release);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(slept, 10);
	ck_assert_msg(sleeps_eintr <= stay_enabled, "%d of 10 ordinary 20 ms "
		      "sleeps with cancellation %s ended in EINTR after the "
		      "escape", sleeps_eintr, _i ? "enabled" : "disabled");
	if (before >= 0)
		ck_assert_msg(t.aux == before, "%ld POSIX timer(s) still armed "
			      "after the escape", t.aux - before);
}
END_TEST

Suite *unit_suite_timer(void)
{
	Suite *s = suite_create("timer");
	TCase *tc = tcase_create("timer");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, no_timer_no_loss);
	tcase_add_test(tc, completed_call_leaves_no_timer);
	tcase_add_loop_test(tc, escape_stops_the_ticks, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
