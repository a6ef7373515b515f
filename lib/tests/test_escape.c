/* SPDX-License-Identifier: MIT */
/*
 * test_escape.c - a cancellation point nested in a signal handler, left
 * by siglongjmp, with the timer strategy's retry running: a tick that
 * finds the inner call gone walks back to the outer call still alive
 * and keeps retrying.
 */
#include "unit.h"
#include "cp_internal.h"

#include <cp.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <procfs.h>
#include <verdict.h>

static int outer_pipe[2], inner_pipe[2];

static void setup(void)
{
	ck_assert_int_eq(pipe2(outer_pipe, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(inner_pipe, O_CLOEXEC), 0);
	ck_assert_int_eq(cp_set_strategy("timer"), 0);
}

static void teardown(void)
{
	close(outer_pipe[0]);
	close(outer_pipe[1]);
	close(inner_pipe[0]);
	close(inner_pipe[1]);
}

static void install(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = SA_RESTART | flags;
	ck_assert_int_eq(sigaction(sig, &sa, NULL), 0);
}

/* ---- an inner call left, the outer one still alive ------------------- */

/*
 * The thread has a sigaltstack (libcp's handler runs there, so its frames
 * never overwrite the thread's stack).  It blocks in cp_read, the outer
 * call; SIGUSR1's handler runs on top of it, on the thread's stack, and
 * calls cp_read of another pipe, the inner call; SIGUSR2's handler runs
 * on top of that, the request lands there (the timer starts), and it
 * leaves by siglongjmp back into SIGUSR1's handler.  The inner call is
 * gone, the outer one still waits below SIGUSR1's handler, which now
 * waits for three ticks in a raw ppoll (touching no stack below it).  The
 * ticks must go on: the first one that finds the inner call gone walks
 * back to the outer call, finds it alive with a handler on top, and keeps
 * retrying; once the handler returns, the restarted outer read is
 * cancelled.
 */
static sigjmp_buf inner_escape;
static volatile int in_outer, in_inner_handler, inner_release, back_in_outer;
static volatile int give_up, ticks_seen;

static void outer_handler(int sig)
{
	char c;

	(void)sig;
	if (sigsetjmp(inner_escape, 1) == 0) {
		flag_set(&in_outer);
		cp_read(inner_pipe[0], &c, 1);
		return;   /* never: SIGUSR2 jumps out of it */
	}
	/* From here on, nothing below this frame: the inner call's record,
	 * which the walk back reads, stays as it was. */
	back_in_outer = 1;
	while (ticks_seen < 3 && !give_up)
		if (cp_arch_syscall6(SYS_ppoll, 0, 0, 0, 0, 8, 0) == -EINTR)
			ticks_seen++;
}

static void inner_handler(int sig)
{
	(void)sig;
	flag_set(&in_inner_handler);
	flag_wait(&inner_release);
	siglongjmp(inner_escape, 1);
}

static void nothing(int sig)
{
	(void)sig;
}

static void body_outer_read_on_altstack(struct unit_target *t)
{
	static char altstack[1 << 16] __attribute__((aligned(16)));
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
	char c;

	ck_assert_int_eq(sigaltstack(&ss, NULL), 0);
	pthread_cleanup_push(unit_altstack_off, NULL);
	t->result = cp_read(outer_pipe[0], &c, 1);
	t->returned = 1;
	pthread_cleanup_pop(1);
}

static int three_ticks(void *p)
{
	(void)p;
	return ticks_seen >= 3;
}

START_TEST(tick_walks_back_to_the_outer_call)
{
	struct unit_target t = { 0 };
	void *ret = NULL;
	char diag[512];

	install(SIGUSR1, outer_handler, 0);
	install(SIGUSR2, inner_handler, 0);
	install(SIGWINCH, nothing, 0);
	in_outer = in_inner_handler = inner_release = back_in_outer = 0;
	give_up = ticks_seen = 0;
	unit_start(&t, body_outer_read_on_altstack);
	unit_wait_in_syscall(&t, SYS_read);
	pthread_kill(t.th, SIGUSR1);
	ck_assert(unit_flag_wait_bounded(&in_outer, UNIT_WAIT_MS));
	unit_wait_in_syscall(&t, SYS_read);        /* the inner read */
	pthread_kill(t.th, SIGUSR2);
	ck_assert(unit_flag_wait_bounded(&in_inner_handler, UNIT_WAIT_MS));
	ck_assert_int_eq(cp_cancel(t.th), 0);
	ck_assert(unit_wait_sig_settled(&t, cp_signal()));
	flag_set(&inner_release);
	ck_assert(unit_flag_wait_bounded(&back_in_outer, UNIT_WAIT_MS));
	if (wait_until(three_ticks, NULL, UNIT_WAIT_MS) &&
	    join_bounded(t.th, &ret, UNIT_WAIT_MS) == 0) {
		ck_assert_ptr_eq(ret, PTHREAD_CANCELED);
		return;
	}
	task_diagnose(t.tid, diag, sizeof diag);
	give_up = 1;
	pthread_kill(t.th, SIGWINCH);
	ck_assert_int_eq(write(outer_pipe[1], "x", 1), 1);
	join_bounded(t.th, &ret, UNIT_WAIT_MS);
	ck_abort_msg("request lost: the retry stopped while a handler still ran "
		     "on top of the outer call (%d tick(s) reached the handler "
		     "after the inner call was left by siglongjmp): %s",
		     ticks_seen, diag);
}
END_TEST

Suite *unit_suite_escape(void)
{
	Suite *s = suite_create("escape");
	TCase *tc = tcase_create("escape");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, tick_walks_back_to_the_outer_call);
	suite_add_tcase(s, tc);
	return s;
}
