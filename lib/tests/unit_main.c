/* SPDX-License-Identifier: MIT */
/* unit_main.c - runs libcp's Check suites (fork mode: one process per
 * test, so a broken cancellation cannot take the others down). */
#include "unit.h"

#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The uring suite needs io_uring (kernel.io_uring_disabled, seccomp
 * policies and old kernels take it away): without it that suite is a
 * skip (77) with the reason, not a failure and not a pass. */
static int unit_uring_missing(void)
{
	const char *suite = getenv("CK_RUN_SUITE");
	struct io_uring ring;
	int rc;

	if (!suite || strcmp(suite, "uring"))
		return 0;
	if ((rc = io_uring_queue_init(2, &ring, 0)) == 0) {
		io_uring_queue_exit(&ring);
		return 0;
	}
	printf("skip: io_uring unavailable here (%s)\n", strerror(-rc));
	return 1;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (unit_uring_missing())
		return 77;
	sr = srunner_create(unit_suite_cancel());
	srunner_add_suite(sr, unit_suite_signals());
	srunner_add_suite(sr, unit_suite_wrappers());
	srunner_add_suite(sr, unit_suite_lifecycle());
	srunner_add_suite(sr, unit_suite_cleanup());
	srunner_add_suite(sr, unit_suite_uring());
	srunner_add_suite(sr, unit_suite_port());
	srunner_add_suite(sr, unit_suite_mask());
	srunner_add_suite(sr, unit_suite_request());
	srunner_add_suite(sr, unit_suite_timer());
	srunner_add_suite(sr, unit_suite_posix());
	srunner_add_suite(sr, unit_suite_escape());
	srunner_add_suite(sr, unit_suite_held());
	srunner_add_suite(sr, unit_suite_frames());
	srunner_add_suite(sr, unit_suite_state());
	srunner_add_suite(sr, unit_suite_race());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
