/* SPDX-License-Identifier: MIT */
/* strategy.c - the table of cancellation strategies (see cp.h). */
#define _GNU_SOURCE
#include "cp_internal.h"

#include <cp.h>
#include <errno.h>
#include <string.h>

enum cp_mode cp_mode = CP_MODE_RERAISE;
int cp_cancel_used;
/* Nonzero until cp_init has run, so that the first call takes the slow
 * path, which initialises. */
int cp_fast_off = 1;

void cp_fast_path_update(void)
{
	__atomic_store_n(&cp_fast_off, cp_mode == CP_MODE_ASYNC ||
			 !__atomic_load_n(&cp_have_membarrier, __ATOMIC_ACQUIRE),
			 __ATOMIC_RELEASE);
}

static const struct {
	const char *name;
	enum cp_mode mode;
} cp_strategies[] = {
	{ "reraise", CP_MODE_RERAISE },
	{ "noretry", CP_MODE_NORETRY },
	{ "async", CP_MODE_ASYNC },
	{ "pcsyscall", CP_MODE_PCSYSCALL },
	{ "timer", CP_MODE_TIMER },
};

int cp_set_strategy(const char *name)
{
	for (size_t i = 0; i < sizeof cp_strategies / sizeof *cp_strategies; i++) {
		if (strcmp(name, cp_strategies[i].name))
			continue;
		if (__atomic_load_n(&cp_cancel_used, __ATOMIC_RELAXED) &&
		    cp_mode != cp_strategies[i].mode)
			return EBUSY;
		cp_mode = cp_strategies[i].mode;
		cp_fast_path_update();
		return 0;
	}
	return EINVAL;
}

const char *cp_strategy(void)
{
	for (size_t i = 0; i < sizeof cp_strategies / sizeof *cp_strategies; i++)
		if (cp_strategies[i].mode == cp_mode)
			return cp_strategies[i].name;
	return "?";
}
