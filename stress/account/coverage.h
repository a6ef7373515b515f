/* SPDX-License-Identifier: MIT */
/*
 * coverage.h - landing-site coverage of libcp's backends (coverage.c):
 * where each cancel signal found its target, per op, in the classes of
 * lib/landings.h, counted by libcp's test build through cp_test_landed().
 * The fuzzy canceller reads it back to aim at what is not yet hit.
 */
#ifndef STORM_COVERAGE_H
#define STORM_COVERAGE_H

#include "storm.h"

#include <stdio.h>

/* Is the backend libcp (whose test build reports its landings)? */
int storm_coverage_on(void);

/* The summary line (classes hit, and those never hit) and the record's
 * "coverage" member with its trailing comma; nothing for other backends. */
void storm_coverage_print(FILE *f);
void storm_coverage_json(FILE *f);

/* The window-trap op's counts, as the record's "window_trap" member
 * (ops/trap.c). */
void storm_trap_json(FILE *f);

/* Steering (fuzzy.c): a fuzzy cancel of op `op` tries one of the
 * STORM_COVER_ARMS ways: an offset step into the call (arm < steps), or
 * an unrelated handler first (the last arm).  storm_coverage_pick() picks
 * the arm most likely to land where little has landed yet; tag() credits
 * the landings of the slot's current thread to it. */
#define STORM_COVER_STEPS 40
#define STORM_COVER_NOISE_ARM STORM_COVER_STEPS
#define STORM_COVER_ARMS (STORM_COVER_STEPS + 1)
int storm_coverage_pick(int op, unsigned sweep);
void storm_coverage_tag(const struct storm_slot *s, int op, int arm);

#endif
