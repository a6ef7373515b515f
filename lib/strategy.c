/* SPDX-License-Identifier: MIT */
/* strategy.c - the table of cancellation strategies (see cp.h). */
#define _GNU_SOURCE
#include "cp_internal.h"

#include <cp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int cp_cancel_used;
/* Nonzero until cp_init has run, so that the first call takes the slow
 * path, which initialises. */
int cp_fast_off = 1;

void cp_fast_path_update(void)
{
	__atomic_store_n(&cp_fast_off, cp_decides(async) ||
			 !__atomic_load_n(&cp_have_membarrier, __ATOMIC_ACQUIRE),
			 __ATOMIC_RELEASE);
}

/* The strategies (strategies.h): the correct designs, and the flawed ones
 * the suite must catch, which only cancelstorm's test build
 * (CP_TEST_STRATEGIES) offers.  The installed library cannot be switched
 * into a flawed design, by cp_set_strategy or by CP_STRATEGY in a
 * program's environment. */
#define CP_KIND_correct 0
#define CP_KIND_flawed 1
static const struct cp_strategy cp_strategies[] = {
#define CP_STRATEGY(name, kind, decide, retry, what) \
	{ #name, CP_KIND_##kind, CP_DECIDE_##decide, CP_RETRY_##retry },
#include "strategies.h"
#undef CP_STRATEGY
};

/* The first line is the default. */
const struct cp_strategy *cp_mode = &cp_strategies[0];

#define CP_N_STRATEGIES (sizeof cp_strategies / sizeof *cp_strategies)

#ifdef CP_TEST_STRATEGIES
#define cp_offered(i) 1
#else
#define cp_offered(i) (!cp_strategies[i].flawed)
#endif

int cp_set_strategy(const char *name)
{
	for (size_t i = 0; i < CP_N_STRATEGIES; i++) {
		if (!cp_offered(i) || strcmp(name, cp_strategies[i].name))
			continue;
		if (__atomic_load_n(&cp_cancel_used, __ATOMIC_RELAXED) &&
		    cp_mode != &cp_strategies[i])
			return EBUSY;
		cp_mode = &cp_strategies[i];
		cp_fast_path_update();
		return 0;
	}
	return EINVAL;
}

const char *cp_strategy(void)
{
	return cp_mode->name;
}

/* "unknown CP_STRATEGY (use reraise, timer): ", naming what this build
 * offers, and saying so when the name is a flawed design it leaves out. */
const char *cp_strategy_error(const char *name)
{
	static char msg[200];
	const char *sep = "";
	size_t n = 0;
	int flawed = 0;

	for (size_t i = 0; i < CP_N_STRATEGIES; i++)
		flawed |= !cp_offered(i) && !strcmp(name, cp_strategies[i].name);
	n += (size_t)snprintf(msg, sizeof msg, "%s (use ",
			      flawed ? "CP_STRATEGY names a deliberately flawed "
				       "design that only cancelstorm's test "
				       "build offers"
				     : "unknown CP_STRATEGY");
	for (size_t i = 0; i < CP_N_STRATEGIES && n < sizeof msg; i++) {
		if (!cp_offered(i))
			continue;
		n += (size_t)snprintf(msg + n, sizeof msg - n, "%s%s", sep,
				      cp_strategies[i].name);
		sep = ", ";
	}
	if (n < sizeof msg)
		snprintf(msg + n, sizeof msg - n, "): ");
	return msg;
}
