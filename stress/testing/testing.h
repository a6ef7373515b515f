/* SPDX-License-Identifier: MIT */
/*
 * testing.h - backends that exist only in the storm's test build.
 *
 * cpstorm-storm-broken is the storm linked with broken.c: libcp's default
 * strategy with one defect added on purpose per backend, so that each
 * oracle can be shown to fire (ctest storm.oracle.*).  cpstorm-storm, the
 * program people run, is linked with none.c and knows no such backend;
 * nothing of either is installed.
 */
#ifndef STORM_TESTING_H
#define STORM_TESTING_H

#include <backend.h>

/* The test backend called name, NULL when there is none of that name (or
 * in the real build); on a failure to set it up, NULL with a reason. */
const struct backend *storm_test_backend(const char *name, char *err,
					 size_t len);

#endif
