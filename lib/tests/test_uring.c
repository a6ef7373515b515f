/* SPDX-License-Identifier: MIT */
/* test_uring.c - io_uring: a cancellable wait for completions, and a
 * submit-and-wait that already submitted reports its count (the
 * cancellation then waits for the next point) instead of losing it. */
#include "unit.h"

#include <cp_uring.h>
#include <sys/syscall.h>

static struct io_uring ring;

static void setup(void)
{
	ck_assert_int_eq(io_uring_queue_init(8, &ring, 0), 0);
}

static void teardown(void)
{
	io_uring_queue_exit(&ring);
}

static void body_wait_cqe(struct unit_target *t)
{
	struct io_uring_cqe *cqe;

	t->result = cp_io_uring_wait_cqe(&ring, &cqe);
	t->returned = 1;
}

START_TEST(wait_cqe_is_cancellable)
{
	struct unit_target t = { 0 };

	unit_start(&t, body_wait_cqe);
	unit_wait_in_syscall(&t, SYS_io_uring_enter);
	cp_cancel(t.th);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 0);
}
END_TEST

/* One NOP queued by hand (liburing's submit would enter the kernel
 * itself): make it visible to the kernel by publishing the SQ tail. */
static void queue_nop(void)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

	io_uring_prep_nop(sqe);
	io_uring_smp_store_release(ring.sq.ktail, ring.sq.sqe_tail);
}

static void body_submit_and_wait(struct unit_target *t)
{
	/* Submits the NOP (which completes) and waits for a second
	 * completion that never comes. */
	t->result = cp_io_uring_enter((unsigned int)ring.ring_fd, 1, 2,
				      IORING_ENTER_GETEVENTS, NULL);
	t->returned = 1;
	cp_testcancel();
}

START_TEST(submit_and_wait_reports_submitted)
{
	struct unit_target t = { 0 };

	queue_nop();
	unit_start(&t, body_submit_and_wait);
	unit_wait_in_syscall(&t, SYS_io_uring_enter);
	cp_cancel(t.th);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 1);
	ck_assert_int_eq(t.result, 1);
	ck_assert_int_eq(io_uring_cq_ready(&ring), 1);   /* the NOP's CQE */
}
END_TEST

Suite *unit_suite_uring(void)
{
	Suite *s = suite_create("uring");
	TCase *tc = tcase_create("io_uring_enter");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, wait_cqe_is_cancellable);
	tcase_add_test(tc, submit_and_wait_reports_submitted);
	suite_add_tcase(s, tc);
	return s;
}
