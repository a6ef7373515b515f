/* SPDX-License-Identifier: MIT */
/* test_lifecycle.c - the close rule, and per-thread state over many
 * thread lifetimes. */
#include "unit.h"

#include <cp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <procfs.h>
#include <sysnr.h>   /* SYS_poll on arches without poll */
#include <verdict.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * The close rule (cp.h): Linux releases the descriptor before close can
 * block, and reports EINTR with the descriptor already gone.  So cp_close
 * acts on a cancellation only before entering the kernel; whenever it
 * returns, whatever it returns, the fd is gone; when it is cancelled, the
 * fd is still open.
 */
#define UNIT_CLOSE_FD 777

static int fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

static long call_close(void)
{
	return cp_close(UNIT_CLOSE_FD);
}

static void body_cancelled_close(struct unit_target *t)
{
	cp_cancel(pthread_self());
	t->result = cp_close(UNIT_CLOSE_FD);
	t->returned = 1;
}

START_TEST(close_cancelled_keeps_fd)
{
	struct unit_target t = { 0 };

	ck_assert_int_eq(dup2(0, UNIT_CLOSE_FD), UNIT_CLOSE_FD);
	unit_start(&t, body_cancelled_close);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 0);
	ck_assert_msg(fd_is_open(UNIT_CLOSE_FD), "cancelled close lost the fd");
	close(UNIT_CLOSE_FD);
}
END_TEST

/* The kernel closed the fd while the request was pending: cp_close
 * returns 0, the cancellation waits for the next point. */
START_TEST(close_completed_returns)
{
	struct unit_target t = { 0 };
	struct unit_held h = { .nr = SYS_close, .arg0 = UNIT_CLOSE_FD,
			       .call = call_close };

	ck_assert_int_eq(dup2(0, UNIT_CLOSE_FD), UNIT_CLOSE_FD);
	unit_hold(&t, &h);
	ck_assert_int_eq(notify_reply_continue(h.listener, h.n.id), 0);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 1);
	ck_assert_int_eq(t.result, 0);
	ck_assert(!fd_is_open(UNIT_CLOSE_FD));
	close(h.listener);
}
END_TEST

/* close ending in EINTR with a request pending: returned to the caller
 * (who must treat the fd as gone), not acted on. */
START_TEST(close_eintr_returns_not_acts)
{
	struct unit_target t = { 0 };
	struct unit_held h = { .nr = SYS_close, .arg0 = UNIT_CLOSE_FD,
			       .call = call_close };

	ck_assert_int_eq(dup2(0, UNIT_CLOSE_FD), UNIT_CLOSE_FD);
	unit_hold(&t, &h);
	ck_assert_int_eq(notify_reply_val(h.listener, h.n.id, 0, -EINTR), 0);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 1);
	ck_assert_int_eq(t.result, -1);
	ck_assert_int_eq(t.saved_errno, EINTR);
	close(UNIT_CLOSE_FD);   /* the emulated EINTR did not really close it */
	close(h.listener);
}
END_TEST

#ifndef __SANITIZE_ADDRESS__
/* Per-thread state lives in static TLS: nothing to allocate or free, so
 * 100,000 cancelled thread lifetimes leave the process's memory flat. */
static long status_kib(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key) + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static void *cancel_self(void *p)
{
	cp_cancel(pthread_self());
	cp_testcancel();
	return p;
}

static void lifetimes(int n)
{
	for (int i = 0; i < n; i++) {
		pthread_t th;
		void *ret;

		ck_assert_int_eq(pthread_create(&th, NULL, cancel_self, NULL), 0);
		pthread_join(th, &ret);
		ck_assert_ptr_eq(ret, PTHREAD_CANCELED);
	}
}

START_TEST(state_flat_over_100k_lifetimes)
{
	long rss0, data0, rss1, data1;

	lifetimes(1000);   /* warm-up: stack cache, unwinder, arenas */
	rss0 = status_kib("VmRSS:");
	data0 = status_kib("VmData:");
	lifetimes(100000);
	rss1 = status_kib("VmRSS:");
	data1 = status_kib("VmData:");
	printf("100000 lifetimes: VmRSS %ld -> %ld KiB, VmData %ld -> %ld KiB\n",
	       rss0, rss1, data0, data1);
	/* 2 MiB over 100,000 threads: any per-thread leak of 21 bytes shows. */
	ck_assert_int_lt(rss1 - rss0, 2048);
	ck_assert_int_lt(data1 - data0, 2048);
}
END_TEST
#endif

/* POSIX: while a cancellation acts, cancelability is disabled, so the
 * cancellation points a cleanup handler calls run normally (acting again
 * would re-enter the unwinder from inside it). */
static int cleanup_pipe[2];

static void cleanup_calls_points(void *p)
{
	struct unit_target *t = p;

	cp_testcancel();
	t->aux = cp_write(cleanup_pipe[1], "x", 1);
	t->cleanup_ran = 1;
}

static void body_cancel_self_with_cleanup(struct unit_target *t)
{
	pthread_cleanup_push(cleanup_calls_points, t);
	cp_cancel(pthread_self());
	cp_testcancel();
	pthread_cleanup_pop(0);
	t->returned = 1;
}

START_TEST(cleanup_handler_points_do_not_act)
{
	struct unit_target t = { 0 };

	ck_assert_int_eq(pipe2(cleanup_pipe, O_CLOEXEC), 0);
	unit_start(&t, body_cancel_self_with_cleanup);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_msg(t.cleanup_ran && t.aux == 1, "a cancellation point in "
		      "the cleanup handler acted again (write returned %ld)",
		      (long)t.aux);
}
END_TEST

/*
 * A cancel signal still on its way when the call it was meant for
 * completes must land before the wrapper returns: later it would interrupt
 * the caller's ordinary code (an EINTR-only call like poll fails).  Forced
 * by holding the canceller inside its tgkill (seccomp user notification in
 * that thread only) while the target's read completes.
 */
static int flight_pipe[2];
static volatile int flight_listener = -1, flight_ready, flight_sent;
static pthread_t flight_target;

static void *flight_canceller(void *p)
{
	(void)p;
	flight_listener = notify_install(SYS_tgkill, (uint64_t)getpid());
	flag_set(&flight_ready);
	if (flight_listener >= 0)
		cp_cancel(flight_target);
	flag_set(&flight_sent);
	return NULL;
}

static void body_read_then_poll(struct unit_target *t)
{
	struct pollfd p = { .fd = flight_pipe[0], .events = POLLIN };
	char c;

	t->result = cp_read(flight_pipe[0], &c, 1);
	t->returned = 1;
	t->aux = poll(&p, 1, -1) == -1 ? -errno : 1;
	cp_testcancel();
}

static int waits_or_polls(void *p)
{
	long nr = task_syscall(((struct unit_target *)p)->tid);

	return nr == SYS_futex || nr == SYS_poll || nr == SYS_ppoll;
}

/* The signal was taken and the target sits in its own poll, or it is
 * gone (the signal broke the poll and the next point acted). */
static int taken_and_polling_or_gone(void *p)
{
	const struct unit_target *t = p;
	long nr = task_syscall(t->tid);
	uint64_t pending = 0;

	if (nr == -2)
		return 1;
	if (task_sigpending(t->tid, &pending) || (pending >> (cp_signal() - 1)) & 1)
		return 0;
	return nr == SYS_poll || nr == SYS_ppoll;
}

START_TEST(in_flight_signal_lands_before_return)
{
	struct unit_target t = { 0 };
	struct seccomp_notif n;
	pthread_t canceller;

	flight_ready = flight_sent = 0;
	ck_assert_int_eq(pipe2(flight_pipe, O_CLOEXEC), 0);
	unit_start(&t, body_read_then_poll);
	unit_wait_in_syscall(&t, SYS_read);
	flight_target = t.th;
	ck_assert_int_eq(pthread_create(&canceller, NULL, flight_canceller, NULL), 0);
	flag_wait(&flight_ready);
	ck_assert_msg(flight_listener >= 0, "seccomp user notification unavailable: %s",
		      strerror(-flight_listener));
	ck_assert_int_eq(notify_recv(flight_listener, &n), 0);  /* held in tgkill */
	ck_assert_int_eq(write(flight_pipe[1], "a", 1), 1);
	ck_assert_msg(wait_until(waits_or_polls, &t, UNIT_WAIT_MS),
		      "the target neither waited for the signal nor went on");
	ck_assert_int_eq(notify_reply_continue(flight_listener, n.id), 0);
	ck_assert(unit_flag_wait_bounded(&flight_sent, UNIT_WAIT_MS));
	ck_assert_msg(wait_until(taken_and_polling_or_gone, &t, UNIT_WAIT_MS),
		      "the cancel signal was never taken");
	ck_assert_int_eq(write(flight_pipe[1], "b", 1), 1);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	pthread_join(canceller, NULL);
	ck_assert_int_eq(t.result, 1);
	ck_assert_msg(t.aux == 1, "the late cancel signal interrupted the "
		      "caller's own poll (%ld)", (long)t.aux);
}
END_TEST

Suite *unit_suite_lifecycle(void)
{
	Suite *s = suite_create("lifecycle");
	TCase *tc = tcase_create("close-and-threads");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, close_cancelled_keeps_fd);
	tcase_add_test(tc, close_completed_returns);
	tcase_add_test(tc, close_eintr_returns_not_acts);
	tcase_add_test(tc, cleanup_handler_points_do_not_act);
	tcase_add_test(tc, in_flight_signal_lands_before_return);
#ifndef __SANITIZE_ADDRESS__
	/* ASan's quarantine keeps freed memory on purpose: the memory
	 * measurement means something only in a plain build (CI runs both). */
	tcase_add_test(tc, state_flat_over_100k_lifetimes);
#endif
	suite_add_tcase(s, tc);
	return s;
}
