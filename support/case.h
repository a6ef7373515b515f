/* SPDX-License-Identifier: MIT */
/*
 * case.h - the command line every case shares.
 *
 *   case-<name> [--backend NAME] [--expect pass|fail|any]
 *
 * --backend picks what runs (support/backend.h; default cp).  --expect is
 * for ctest: the exit status then says whether the verdict was the one
 * expected for this backend (cases/expected.txt holds the table).
 */
#ifndef SUPPORT_CASE_H
#define SUPPORT_CASE_H

#include "backend.h"
#include "verdict.h"

/* Parse the command line, resolve the backend, and start the verdict line
 * for case_name.  Bad input: one line on stderr, exit 2. */
const struct backend *case_start(int argc, char **argv, const char *case_name);

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
