/* SPDX-License-Identifier: MIT */
/* test_cancel.c - requesting and acting: before the syscall, while blocked,
 * state and type, cleanup, targets that never used libcp. */
#include "unit.h"

#include <cp.h>
#include <cp_internal.h>
#include <errno.h>
#include <notify.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int pipefd[2];

static void unit_cleanup(void *p)
{
	((struct unit_target *)p)->cleanup_ran = 1;
}

static void setup(void)
{
	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
}

static void teardown(void)
{
	close(pipefd[0]);
	close(pipefd[1]);
}

static int pipe_bytes(void)
{
	struct pollfd p = { .fd = pipefd[0], .events = POLLIN };

	return poll(&p, 1, 0);
}

/* A request made before the call: the inline check acts, the write never
 * reaches the kernel (the pipe stays empty). */
static void body_self_cancel_then_write(struct unit_target *t)
{
	pthread_cleanup_push(unit_cleanup, t);
	cp_cancel(pthread_self());
	t->result = cp_write(pipefd[1], "x", 1);
	t->returned = 1;
	pthread_cleanup_pop(0);
}

START_TEST(before_syscall_self)
{
	struct unit_target t = { 0 };

	unit_start(&t, body_self_cancel_then_write);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.cleanup_ran, 1);
	ck_assert_int_eq(t.returned, 0);
	ck_assert_int_eq(pipe_bytes(), 0);
}
END_TEST

static volatile int go;

static void body_wait_then_write(struct unit_target *t)
{
	pthread_cleanup_push(unit_cleanup, t);
	flag_wait(&go);
	t->result = cp_write(pipefd[1], "x", 1);
	t->returned = 1;
	pthread_cleanup_pop(0);
}

START_TEST(before_syscall_remote)
{
	struct unit_target t = { 0 };

	go = 0;
	unit_start(&t, body_wait_then_write);
	ck_assert_int_eq(cp_cancel(t.th), 0);
	flag_set(&go);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 0);
	ck_assert_int_eq(pipe_bytes(), 0);
}
END_TEST

static void body_blocking_read(struct unit_target *t)
{
	char c;

	pthread_cleanup_push(unit_cleanup, t);
	t->result = cp_read(pipefd[0], &c, 1);
	t->returned = 1;
	pthread_cleanup_pop(0);
}

START_TEST(blocked_read_interrupted)
{
	struct unit_target t = { 0 };

	unit_start(&t, body_blocking_read);
	unit_wait_in_syscall(&t, SYS_read);
	ck_assert_int_eq(cp_cancel(t.th), 0);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.cleanup_ran, 1);
	ck_assert_int_eq(t.returned, 0);
}
END_TEST

/* The kernel completed the call while the request was pending: the caller
 * gets the result, the cancellation waits for the next point.  seccomp
 * user notification holds the target inside getpgid (never run for real:
 * the supervisor supplies the result) while the request is made, and the
 * cancel signal stays pending until the reply (WAIT_KILLABLE_RECV). */
#define UNIT_MAGIC 0x5eed

static long call_getpgid(void)
{
	return cp_syscall(SYS_getpgid, UNIT_MAGIC, 0, 0, 0, 0, 0);
}

static void held_completes_with(long val, long want)
{
	struct unit_target t = { 0 };
	struct unit_held h = { .nr = SYS_getpgid, .arg0 = UNIT_MAGIC,
			       .call = call_getpgid };

	unit_hold(&t, &h);
	ck_assert_int_eq(notify_reply_val(h.listener, h.n.id, val, 0), 0);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 1);
	ck_assert_int_eq(t.result, want);
	close(h.listener);
}

START_TEST(completed_syscall_defers)
{
	held_completes_with(4242, 4242);
}
END_TEST

/* Results above INT_MAX travel untruncated (cf. glibc BZ#33245).  With a
 * 32-bit long (i386) the largest ones have the sign bit set (an mmap
 * address above 2 GiB) and must still not read as -errno. */
#if LONG_MAX > INT_MAX
#define UNIT_BIG_RESULT (1L << 33)
#else
#define UNIT_BIG_RESULT ((long)0x80000000UL)
#endif
START_TEST(result_above_int_max_intact)
{
	held_completes_with(UNIT_BIG_RESULT, UNIT_BIG_RESULT);
}
END_TEST

/* Disabled: the request waits, through a cancellation point, until
 * enabled and the next point. */
static void body_disabled(struct unit_target *t)
{
	int old;

	cp_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	flag_wait(&go);
	cp_testcancel();
	t->result = cp_write(pipefd[1], "x", 1);
	cp_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
	t->returned = 1;
	t->aux = old;
	cp_testcancel();
	t->saved_errno = -1; /* not reached when cancelled */
}

START_TEST(disable_defers_until_enable)
{
	struct unit_target t = { 0 };

	go = 0;
	unit_start(&t, body_disabled);
	cp_cancel(t.th);
	flag_set(&go);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 1);
	ck_assert_int_eq(t.result, 1);
	ck_assert_int_eq(t.saved_errno, 0);
	ck_assert_int_eq(t.aux, PTHREAD_CANCEL_DISABLE);
	ck_assert_int_eq(pipe_bytes(), 1);
}
END_TEST

/* Asynchronous type acts in code that makes no call at all. */
static void body_async_spin(struct unit_target *t)
{
	cp_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
	pthread_cleanup_push(unit_cleanup, t);
	flag_set(&go);
	for (;;)
		__asm__ volatile("" ::: "memory");
	pthread_cleanup_pop(0);
}

START_TEST(async_acts_in_compute_loop)
{
	struct unit_target t = { 0 };

	go = 0;
	unit_start(&t, body_async_spin);
	flag_wait(&go);
	cp_cancel(t.th);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.cleanup_ran, 1);
}
END_TEST

/* Cleanup handlers run last-pushed first. */
static volatile int order[3];
static volatile int norder;

static void record(void *p)
{
	order[norder++] = (int)(intptr_t)p;
}

static void body_lifo(struct unit_target *t)
{
	(void)t;
	pthread_cleanup_push(record, (void *)1);
	pthread_cleanup_push(record, (void *)2);
	pthread_cleanup_push(record, (void *)3);
	cp_cancel(pthread_self());
	cp_testcancel();
	pthread_cleanup_pop(0);
	pthread_cleanup_pop(0);
	pthread_cleanup_pop(0);
}

START_TEST(cleanup_lifo)
{
	struct unit_target t = { 0 };

	norder = 0;
	unit_start(&t, body_lifo);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(norder, 3);
	ck_assert_int_eq(order[0], 3);
	ck_assert_int_eq(order[1], 2);
	ck_assert_int_eq(order[2], 1);
}
END_TEST

/* A thread that never called libcp, blocked in an ordinary (libc) read:
 * the request must not interrupt it (no signal is sent to a deferred thread
 * outside a cancellation point, so no stray EINTR), and its first cp_ call
 * acts. */
static void body_plain_read(struct unit_target *t)
{
	char c;

	t->result = read(pipefd[0], &c, 1);
	t->saved_errno = errno;
	t->returned = 1;
	cp_testcancel();
}

START_TEST(never_used_libcp)
{
	struct unit_target t = { 0 };

	unit_start(&t, body_plain_read);
	unit_wait_in_syscall(&t, SYS_read);
	cp_cancel(t.th);
	ck_assert_int_eq(write(pipefd[1], "x", 1), 1);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.result, 1);
}
END_TEST

/* cp_thread_of() (the canceller's view) must find each thread's own TLS. */
static void body_thread_of(struct unit_target *t)
{
	t->result = cp_thread_of(pthread_self()) == &cp_self;
}

START_TEST(thread_of_finds_own_state)
{
	for (int i = 0; i < 64; i++) {
		struct unit_target t = { 0 };

		unit_start(&t, body_thread_of);
		unit_join(&t);
		ck_assert_int_eq(t.result, 1);
	}
	ck_assert_ptr_eq(cp_thread_of(pthread_self()), &cp_self);
}
END_TEST

/* The installed library (this test links it) offers the correct designs
 * only: the flawed ones are unknown names to it. */
START_TEST(strategy_names)
{
	static const char *const flawed[] = { "noretry", "async", "pcsyscall" };

	ck_assert_int_eq(cp_set_strategy("no-such-strategy"), EINVAL);
	for (size_t i = 0; i < sizeof flawed / sizeof *flawed; i++)
		ck_assert_int_eq(cp_set_strategy(flawed[i]), EINVAL);
	ck_assert_int_eq(cp_set_strategy("timer"), 0);
	ck_assert_str_eq(cp_strategy(), "timer");
	ck_assert_int_eq(cp_set_strategy("reraise"), 0);
	ck_assert_str_eq(cp_strategy(), "reraise");
	ck_assert_int_eq(cp_setcancelstate(42, NULL), EINVAL);
	ck_assert_int_eq(cp_setcanceltype(42, NULL), EINVAL);
}
END_TEST

Suite *unit_suite_cancel(void)
{
	Suite *s = suite_create("cancel");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, before_syscall_self);
	tcase_add_test(tc, before_syscall_remote);
	tcase_add_test(tc, blocked_read_interrupted);
	tcase_add_test(tc, completed_syscall_defers);
	tcase_add_test(tc, result_above_int_max_intact);
	tcase_add_test(tc, disable_defers_until_enable);
	tcase_add_test(tc, async_acts_in_compute_loop);
	tcase_add_test(tc, cleanup_lifo);
	tcase_add_test(tc, never_used_libcp);
	tcase_add_test(tc, thread_of_finds_own_state);
	tcase_add_test(tc, strategy_names);
	suite_add_tcase(s, tc);
	return s;
}
