/* SPDX-License-Identifier: MIT */
/* none.c - the real storm has no test backends (testing.h). */
#include "testing/testing.h"

const struct backend *storm_test_backend(const char *name, char *err,
					 size_t len)
{
	(void)name;
	(void)err;
	(void)len;
	return NULL;
}
