/* SPDX-License-Identifier: MIT */
/*
 * test_state.c - what each thread keeps of its own: the errno a failing
 * cancellation point sets is the calling thread's, and a thread's request
 * to cancel itself obeys its cancel state like anyone else's.
 */
#include "unit.h"

#include <cp.h>
#include <errno.h>
#include <unistd.h>

/* Another thread fails first (a libcp that cached where errno lives would
 * cache that thread's); then this thread's failure must set its own. */
static void *fail_once(void *p)
{
	char c;

	*(int *)p = cp_read(-1, &c, 1) < 0 ? errno : 0;
	return NULL;
}

START_TEST(errno_is_the_callers)
{
	pthread_t th;
	int other = 0;
	char c;

	ck_assert_int_eq(pthread_create(&th, NULL, fail_once, &other), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(other, EBADF);
	errno = 0;
	ck_assert_int_eq(cp_write(-1, &c, 1), -1);
	ck_assert_msg(errno == EBADF, "cp_write(-1) left this thread's errno at "
		      "%d after another thread's failure", errno);
	ck_assert_int_eq(cp_read(-2, &c, 1), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

/* Asynchronous type, cancellation disabled, the thread cancels itself:
 * nothing happens until it enables cancellation again, and then it acts
 * at once. */
static void body_self_cancel(struct unit_target *t)
{
	cp_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
	cp_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	t->result = cp_cancel(pthread_self());
	t->aux = 1;   /* still running: the request waits */
	cp_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	t->returned = 1;
}

START_TEST(own_request_waits_while_disabled)
{
	struct unit_target t = { 0 };

	unit_start(&t, body_self_cancel);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_msg(t.aux == 1, "the thread's own request acted while its "
		      "cancellation was disabled");
	ck_assert_int_eq(t.result, 0);
	ck_assert_int_eq(t.returned, 0);
}
END_TEST

Suite *unit_suite_state(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("state");

	tcase_add_test(tc, errno_is_the_callers);
	tcase_add_test(tc, own_request_waits_while_disabled);
	suite_add_tcase(s, tc);
	return s;
}
