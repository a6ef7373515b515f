/* unit_main.c - runs libcp's Check suites (fork mode: one process per
 * test, so a broken cancellation cannot take the others down). */
#include "unit.h"

#include <stdlib.h>

int main(void)
{
	SRunner *sr = srunner_create(unit_suite_cancel());
	int failed;

	srunner_add_suite(sr, unit_suite_signals());
	srunner_add_suite(sr, unit_suite_wrappers());
	srunner_add_suite(sr, unit_suite_lifecycle());
	srunner_add_suite(sr, unit_suite_cleanup());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
