/* SPDX-License-Identifier: MIT */
/*
 * case.h - the command line every case shares.
 *
 *   case-<name> [--backend NAME] [--expect pass|fail|any]
 *
 * --backend picks what runs (support/backend.h; default cp).  --expect is
 * for ctest: the exit status then says whether the verdict was the one
 * expected for this backend (cases/expected.txt holds the table).
 *
 * A case's main begins with
 *
 *   const struct backend *be = case_start(argc, argv,
 *                                         &(struct case_info){ .name = "x" });
 */
#ifndef SUPPORT_CASE_H
#define SUPPORT_CASE_H

#include "backend.h"
#include "bounds.h"
#include "target.h"
#include "verdict.h"

/* The whole case's bound when it names none: well below ctest's TIMEOUT
 * (60 s), so a hang ends as a verdict with a diagnosis, not a kill. */
#define CASE_WATCHDOG_S 30

struct case_info {
	const char *name;
	int watchdog_s;        /* 0: CASE_WATCHDOG_S */
	/* The watchdog's verdict is FAIL (the backend hung: a lost request)
	 * unless the case's own machinery is what can hang (ptrace stepping):
	 * then ERROR. */
	int hang_is_harness;
};

/* Every case's prologue: parse the command line, resolve the backend,
 * start the verdict line, start the watchdog on the calling thread, and
 * warm the unwinder.  Bad input: one line on stderr, exit 2. */
const struct backend *case_start(int argc, char **argv,
				 const struct case_info *info);

/* Cancel one throw-away thread so that the unwinder (libgcc_s, loaded on
 * the first cancellation) is in place before anything is timed. */
void case_warm_unwinder(const struct backend *be);

/* A case made of variants: run variant 0..n-1 in turn (each returns "" or
 * a finding written into why), then exit FAIL with every finding, or
 * PASS with pass_detail. */
typedef const char *case_variant_fn(const struct backend *be, size_t i,
				    char *why, size_t len);
_Noreturn void case_run_variants(const struct backend *be, size_t n,
				 case_variant_fn *fn, const char *pass_detail);

#endif
