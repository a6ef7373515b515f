/* SPDX-License-Identifier: MIT */
/* test_cleanup.c - what runs when a cancellation acts: cleanup handlers,
 * then thread-specific data destructors; and type switching under a flood
 * of requests. */
#include "unit.h"

#include <cp.h>
#include <procfs.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

static pthread_key_t key;
static volatile int events[4], nevents;

static void note(int what)
{
	events[__atomic_fetch_add(&nevents, 1, __ATOMIC_SEQ_CST)] = what;
}

static void tsd_destructor(void *p)
{
	(void)p;
	note(2);
}

static void cleanup(void *p)
{
	(void)p;
	note(1);
}

static void body_tsd(struct unit_target *t)
{
	(void)t;
	pthread_setspecific(key, (void *)1);
	pthread_cleanup_push(cleanup, NULL);
	cp_cancel(pthread_self());
	cp_testcancel();
	pthread_cleanup_pop(0);
}

/* POSIX: cleanup handlers run first, then TSD destructors. */
START_TEST(tsd_destructors_after_cleanup)
{
	struct unit_target t = { 0 };

	nevents = 0;
	ck_assert_int_eq(pthread_key_create(&key, tsd_destructor), 0);
	unit_start(&t, body_tsd);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(nevents, 2);
	ck_assert_int_eq(events[0], 1);
	ck_assert_int_eq(events[1], 2);
	pthread_key_delete(key);
}
END_TEST

/* A thread flipping between deferred and asynchronous type while
 * requests arrive (cf. glibc BZ#32782: acting twice would re-enter the
 * unwinder).  It must end cancelled exactly once, every time. */
static void body_flip(struct unit_target *t)
{
	pthread_cleanup_push(cleanup, NULL);
	flag_set(&t->cleanup_ran);   /* "started" */
	for (;;) {
		cp_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
		cp_setcanceltype(PTHREAD_CANCEL_DEFERRED, NULL);
		cp_testcancel();
	}
	pthread_cleanup_pop(0);
}

START_TEST(type_switching_under_requests)
{
	for (int i = 0; i < 2000; i++) {
		struct unit_target t = { 0 };

		nevents = 0;
		unit_start(&t, body_flip);
		flag_wait(&t.cleanup_ran);
		cp_cancel(t.th);
		ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
		ck_assert_int_eq(nevents, 1);
	}
}
END_TEST

/* Targets at the end of their life: one running its TSD destructors
 * (exiting), one that has exited but is not joined yet.  A request must
 * neither crash nor change how they end. */
static volatile int in_destructor, destructor_release;
static pthread_key_t exit_key;

static void holding_destructor(void *p)
{
	(void)p;
	flag_set(&in_destructor);
	flag_wait(&destructor_release);
}

static void body_exit_normally(struct unit_target *t)
{
	pthread_setspecific(exit_key, (void *)1);
	t->returned = 1;
}

START_TEST(cancel_exiting_thread)
{
	struct unit_target t = { 0 };

	in_destructor = destructor_release = 0;
	ck_assert_int_eq(pthread_key_create(&exit_key, holding_destructor), 0);
	unit_start(&t, body_exit_normally);
	flag_wait(&in_destructor);
	ck_assert_int_eq(cp_cancel(t.th), 0);
	flag_set(&destructor_release);
	ck_assert_ptr_eq(unit_join(&t), &t);   /* its own return value */
	pthread_key_delete(exit_key);
}
END_TEST

static void body_return(struct unit_target *t)
{
	t->returned = 1;
}

START_TEST(cancel_exited_unjoined_thread)
{
	struct unit_target t = { 0 };

	unit_start(&t, body_return);
	/* Exited: /proc no longer lists the task (the zombie is reaped by
	 * the kernel at once for threads). */
	for (int i = 0; i < 50000 && task_syscall(t.tid) != -2; i++)
		sched_yield();
	ck_assert_int_eq(task_syscall(t.tid), -2);
	ck_assert_int_eq(cp_cancel(t.th), 0);
	ck_assert_ptr_eq(unit_join(&t), &t);
}
END_TEST

static volatile int a_ready, a_go;

static void body_pending_at_exit(struct unit_target *t)
{
	cp_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	flag_set(&a_ready);
	flag_wait(&a_go);
	t->returned = 1;   /* exits with the request still pending */
}

static void body_cancellation_points(struct unit_target *t)
{
	cp_testcancel();
	cp_close(-1);
	t->returned = 1;
}

/* A thread ID outlives its thread only until join; the next thread may
 * get the same pthread_t (glibc reuses the descriptor and stack from its
 * cache).  A request that was pending when the old owner exited must not
 * be inherited by the new one (its state must start clean), while a
 * request made to the ID now is for the new owner: that is its thread. */
START_TEST(reused_id_starts_clean)
{
	struct unit_target a = { 0 }, b = { 0 };
	int reused = 0;

	a_ready = a_go = 0;
	unit_start(&a, body_pending_at_exit);
	flag_wait(&a_ready);
	ck_assert_int_eq(cp_cancel(a.th), 0);
	flag_set(&a_go);
	ck_assert_ptr_eq(unit_join(&a), &a);
	/* Same attributes, so the cached descriptor fits; a few tries in
	 * case another test's thread took it. */
	for (int i = 0; i < 8 && !reused; i++) {
		memset(&b, 0, sizeof b);
		unit_start(&b, body_cancellation_points);
		ck_assert_msg(unit_join(&b) == &b && b.returned,
			      "a new thread inherited its ID's old pending "
			      "cancellation (try %d, ID %s)", i,
			      pthread_equal(a.th, b.th) ? "reused" : "new");
		reused = pthread_equal(a.th, b.th);
	}
	ck_assert_msg(reused, "the libc never reused the pthread_t: the "
		      "inheritance check above ran on new IDs only");
}
END_TEST

Suite *unit_suite_cleanup(void)
{
	Suite *s = suite_create("cleanup");
	TCase *tc = tcase_create("acting");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tsd_destructors_after_cleanup);
	tcase_add_test(tc, type_switching_under_requests);
	tcase_add_test(tc, cancel_exiting_thread);
	tcase_add_test(tc, cancel_exited_unjoined_thread);
	tcase_add_test(tc, reused_id_starts_clean);
	suite_add_tcase(s, tc);
	return s;
}
