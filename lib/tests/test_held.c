/* SPDX-License-Identifier: MIT */
/*
 * test_held.c - libcp's signal held off: a re-raise kept blocked in the
 * mask of a handler that runs on top of a cancellation point, or the
 * canceller's signal blocked.  Whatever the thread then does (acts in the
 * handler's own cancellation point, switches its cancel state there, or
 * forks), the request acts once, at a cancellation point, with nothing
 * left blocked and nothing waited for in vain.
 */
#include "unit.h"

#include <cp.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <verdict.h>

static uint64_t cp_bit(void)
{
	return 1ULL << (cp_signal() - 1);
}

/* SIGUSR1's handler holds the thread on top of its blocked read until
 * released, then does what the test asks of it. */
enum then { THEN_CANCELLATION_POINT, THEN_SWITCH_STATE };
static volatile int then;

static void held_handler(int sig)
{
	int old;

	hold_handler(sig);
	if (then == THEN_CANCELLATION_POINT) {
		cp_poll(NULL, 0, 0);
	} else {
		cp_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
		cp_setcancelstate(old, NULL);
	}
}

static void install_held_handler(int block_ours)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = held_handler;
	sa.sa_flags = SA_RESTART;
	if (block_ours)
		sigaddset(&sa.sa_mask, cp_signal());
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
}

static void cleanup_mask(void *p)
{
	struct unit_target *t = p;

	t->cleanup_ran = 1;
	t->aux = (long)unit_own_mask();
}

static void body_read(struct unit_target *t)
{
	char c;

	pthread_cleanup_push(cleanup_mask, t);
	t->result = cp_read(unit_pipe[0], &c, 1);
	t->returned = 1;
	pthread_cleanup_pop(0);
}

/* The request lands in the handler (a re-raise is held blocked in the
 * handler's mask); the handler then calls a cancellation point, which
 * acts.  The cleanup handlers run from there: libcp's signal must not be
 * blocked in their mask (the held re-raise is let through first). */
START_TEST(acting_in_handler_lets_held_reraise_through)
{
	struct unit_target t = { 0 };

	then = THEN_CANCELLATION_POINT;
	install_held_handler(0);
	unit_start(&t, body_read);
	unit_request_on_handler(&t);
	ck_assert(unit_wait_sig_settled(&t, cp_signal()));
	flag_set(&hold.release);
	unit_join_cancelled(&t, "in the handler's own cancellation point");
	ck_assert_int_eq(t.cleanup_ran, 1);
	ck_assert_msg(!((uint64_t)t.aux & cp_bit()), "the cleanup handler ran "
		      "with libcp's signal blocked (mask %#lx)", t.aux);
}
END_TEST

/* The handler's mask holds libcp's signal, so the canceller's signal is
 * pending there, not delivered; the handler calls a cancellation point,
 * which acts.  Acting must not wait for that signal (it cannot arrive
 * while the handler's mask holds it). */
START_TEST(acting_with_signal_held_off_does_not_wait)
{
	struct unit_target t = { 0 };

	then = THEN_CANCELLATION_POINT;
	install_held_handler(1);
	unit_start(&t, body_read);
	unit_request_on_handler(&t);
	ck_assert(unit_wait_sigpending(&t, cp_signal()));
	flag_set(&hold.release);
	unit_join_cancelled(&t, "acting in a handler whose mask holds libcp's "
			    "signal (the thread waited for that signal)");
}
END_TEST

/* The request lands in the handler (a re-raise is held); the handler
 * disables and re-enables cancellation around its work, as a library it
 * calls may.  The held re-raise must survive that, and act when the
 * handler returns to the read. */
START_TEST(handler_switching_state_keeps_the_retry)
{
	struct unit_target t = { 0 };

	then = THEN_SWITCH_STATE;
	install_held_handler(0);
	unit_start(&t, body_read);
	unit_request_on_handler(&t);
	ck_assert(unit_wait_sig_settled(&t, cp_signal()));
	flag_set(&hold.release);
	unit_join_cancelled(&t, "after the handler switched its cancel state");
	ck_assert_int_eq(t.returned, 0);
}
END_TEST

/* ---- fork with a signal in flight ------------------------------------ */

/*
 * The thread blocks libcp's signal, is cancelled inside a read (the signal
 * stays pending: "in flight"), the read completes and the thread forks.
 * The child has no pending signal: its cancel-state switch must not wait
 * for one.
 */
static volatile pid_t child_pid;

static void body_blocked_read_then_fork(struct unit_target *t)
{
	uint64_t bit = cp_bit();
	char c;

	cp_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);   /* introduced */
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &bit, NULL, sizeof bit);
	t->result = cp_read(unit_pipe[0], &c, 1);
	child_pid = fork();
	if (child_pid == 0) {
		syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &bit, NULL, sizeof bit);
		cp_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		_exit(0);
	}
	syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &bit, NULL, sizeof bit);
	cp_testcancel();
	t->returned = 1;
}

static int child_exited(void *p)
{
	int *status = p;

	return waitpid(child_pid, status, WNOHANG) == child_pid;
}

START_TEST(fork_child_waits_for_no_signal)
{
	struct unit_target t = { 0 };
	int status = -1, exited;

	child_pid = 0;
	unit_start(&t, body_blocked_read_then_fork);
	unit_wait_in_syscall(&t, SYS_read);
	ck_assert_int_eq(cp_cancel(t.th), 0);
	ck_assert(unit_wait_sigpending(&t, cp_signal()));
	ck_assert_int_eq(write(unit_pipe[1], "x", 1), 1);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_gt(child_pid, 0);
	exited = wait_until(child_exited, &status, UNIT_WAIT_MS);
	if (!exited) {
		kill(child_pid, SIGKILL);
		waitpid(child_pid, &status, 0);
	}
	ck_assert_msg(exited, "the fork child hung in cp_setcancelstate, waiting "
		      "for a signal that was on its way to its parent");
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

Suite *unit_suite_held(void)
{
	Suite *s = suite_create("held");
	TCase *tc = tcase_create("held");

	tcase_add_checked_fixture(tc, unit_pipe_open, unit_pipe_close);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, acting_in_handler_lets_held_reraise_through);
	tcase_add_test(tc, acting_with_signal_held_off_does_not_wait);
	tcase_add_test(tc, handler_switching_state_keeps_the_retry);
	tcase_add_test(tc, fork_child_waits_for_no_signal);
	suite_add_tcase(s, tc);
	return s;
}
