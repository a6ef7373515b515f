/* SPDX-License-Identifier: MIT */
/*
 * coverage.c - landing-site coverage of libcp's backends.
 *
 * libcp's test build judges, for every delivery of its cancel signal with
 * a request pending, where the signal found the thread (lib/landings.h:
 * in the window before or on the syscall instruction, after it, in the
 * routine's bookkeeping, in a handler on top of a call, an abandoned
 * call, ordinary code, asynchronous type, cancellation disabled) and calls
 * cp_test_landed(), which this file defines.  It runs in the target
 * thread, inside libcp's handler: atomic counts only.
 *
 * The counts are kept per op, and per way the fuzzy canceller aimed its
 * cancel (an arm: a step of its sweep into the call, or an unrelated
 * handler first), so the fuzzy canceller can pick the arm that, for this
 * op, has landed most often where little has landed at all.  Timing
 * decides what lands where, so steering is not reproducible by seed;
 * which classes were hit is in the record either way.
 */
#define _GNU_SOURCE
#include "account/coverage.h"
#include "ops/ops.h"
#include "targets.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum {
#define CP_LANDING(name, what) STORM_LANDING_##name,
#include "../../lib/landings.h"
#undef CP_LANDING
	STORM_NLANDINGS
};

static const char *const storm_landing_names[STORM_NLANDINGS] = {
#define CP_LANDING(name, what) #name,
#include "../../lib/landings.h"
#undef CP_LANDING
};

/* Landings by op: [0] between ops, [1 + op] in op. */
static uint64_t storm_landings[1 + STORM_MAX_OPS][STORM_NLANDINGS];

/* Steering: per op and arm, fuzzy cancels sent and where they landed. */
static uint32_t storm_arm_tries[STORM_MAX_OPS][STORM_COVER_ARMS];
static uint32_t storm_arm_hits[STORM_MAX_OPS][STORM_COVER_ARMS][STORM_NLANDINGS];
static uint64_t storm_steered;

/* Which arm cancelled each slot's thread: its generation names the thread,
 * so landings of the thread that replaced it are not credited. */
struct storm_arm_tag {
	uint64_t generation;
	int op, arm;
};
static struct storm_arm_tag *storm_tags;
static pthread_once_t storm_tags_once = PTHREAD_ONCE_INIT;

static void storm_tags_alloc(void)
{
	struct storm_arm_tag *t = calloc(storm.cfg->threads, sizeof *t);

	__atomic_store_n(&storm_tags, t, __ATOMIC_RELEASE);
}

int storm_coverage_on(void)
{
	return !strncmp(storm.cfg->be->name, "cp:", 3);
}

/* Called by libcp's test build from its handler (see lib/coverage.c). */
void cp_test_landed(int landing);
void cp_test_landed(int landing)
{
	struct storm_slot *s = storm_self;
	struct storm_arm_tag *tags = __atomic_load_n(&storm_tags, __ATOMIC_ACQUIRE);
	int op = s ? s->op : -1;

	if (landing < 0 || landing >= STORM_NLANDINGS)
		return;
	storm_add(&storm_landings[op + 1][landing], 1);
	if (!s || !tags)
		return;
	struct storm_arm_tag *t = &tags[s->index];

	if (__atomic_load_n(&t->generation, __ATOMIC_ACQUIRE) != s->generation)
		return;
	__atomic_add_fetch(&storm_arm_hits[t->op][t->arm][landing], 1,
			   __ATOMIC_RELAXED);
}

void storm_coverage_tag(const struct storm_slot *s, int op, int arm)
{
	struct storm_arm_tag *t;

	if (op < 0 || !storm_coverage_on())
		return;
	pthread_once(&storm_tags_once, storm_tags_alloc);
	if (!storm_tags)
		return;
	t = &storm_tags[s->index];
	__atomic_store_n(&t->generation, 0, __ATOMIC_RELAXED);
	t->op = op;
	t->arm = arm;
	__atomic_store_n(&t->generation, s->generation, __ATOMIC_RELEASE);
	__atomic_add_fetch(&storm_arm_tries[op][arm], 1, __ATOMIC_RELAXED);
}

static void storm_landing_totals(uint64_t *total)
{
	memset(total, 0, STORM_NLANDINGS * sizeof *total);
	for (unsigned o = 0; o <= STORM_MAX_OPS; o++)
		for (unsigned c = 0; c < STORM_NLANDINGS; c++)
			total[c] += __atomic_load_n(&storm_landings[o][c],
						    __ATOMIC_RELAXED);
}

#define STORM_COVER_MIN_TRIES 3    /* before an arm's record means much */
#define STORM_COVER_PLAIN_EVERY 4  /* every 4th fuzzy cancel sweeps as is */

/* What an arm is worth for op: its landings per try, each weighted by how
 * rare its class is overall (a class never hit weighs 1). */
static double storm_arm_worth(int op, int arm, const uint64_t *total)
{
	uint32_t tries = __atomic_load_n(&storm_arm_tries[op][arm],
					 __ATOMIC_RELAXED);
	double worth = 0;

	for (unsigned c = 0; c < STORM_NLANDINGS; c++)
		worth += __atomic_load_n(&storm_arm_hits[op][arm][c],
					 __ATOMIC_RELAXED) / (1.0 + (double)total[c]);
	return tries ? worth / tries : 0;
}

int storm_coverage_pick(int op, unsigned sweep)
{
	int plain = (int)(sweep % STORM_COVER_STEPS), best = plain;
	uint64_t total[STORM_NLANDINGS];
	double best_worth = -1;

	if (op < 0 || op >= (int)storm_nops || !storm_coverage_on() ||
	    sweep % STORM_COVER_PLAIN_EVERY == 0)
		return plain;
	for (int k = 0; k < STORM_COVER_ARMS; k++) {
		int arm = (int)((sweep + (unsigned)k) % STORM_COVER_ARMS);

		if (__atomic_load_n(&storm_arm_tries[op][arm],
				    __ATOMIC_RELAXED) < STORM_COVER_MIN_TRIES)
			return arm;
	}
	storm_landing_totals(total);
	for (int arm = 0; arm < STORM_COVER_ARMS; arm++) {
		double w = storm_arm_worth(op, arm, total);

		if (w > best_worth) {
			best_worth = w;
			best = arm;
		}
	}
	storm_add(&storm_steered, 1);
	return best;
}

void storm_coverage_print(FILE *f)
{
	uint64_t total[STORM_NLANDINGS];
	unsigned hit = 0;
	const char *sep = "";

	if (!storm_coverage_on())
		return;
	storm_landing_totals(total);
	for (unsigned c = 0; c < STORM_NLANDINGS; c++)
		hit += total[c] != 0;
	fprintf(f, "storm: landing sites: %u of %u classes hit:", hit,
		STORM_NLANDINGS);
	for (unsigned c = 0; c < STORM_NLANDINGS; c++)
		if (total[c])
			fprintf(f, " %s %llu", storm_landing_names[c],
				(unsigned long long)total[c]);
	fputs(hit == STORM_NLANDINGS ? "\n" : "; never hit:", f);
	for (unsigned c = 0; c < STORM_NLANDINGS; c++)
		if (!total[c]) {
			fprintf(f, "%s %s", sep, storm_landing_names[c]);
			sep = ",";
		}
	if (hit < STORM_NLANDINGS)
		fputc('\n', f);
}

static void storm_coverage_json_counts(FILE *f, const uint64_t *n, int all)
{
	const char *sep = "";

	fputc('{', f);
	for (unsigned c = 0; c < STORM_NLANDINGS; c++)
		if (all || n[c]) {
			fprintf(f, "%s\"%s\":%llu", sep, storm_landing_names[c],
				(unsigned long long)n[c]);
			sep = ",";
		}
	fputc('}', f);
}

/* "coverage":{"classes":{every class: count},"never_hit":[...],
 * "steered":N,"ops":{op: {class: count, only those hit}}}, */
void storm_coverage_json(FILE *f)
{
	uint64_t total[STORM_NLANDINGS];
	const char *sep = "";

	if (!storm_coverage_on())
		return;
	storm_landing_totals(total);
	fputs("\"coverage\":{\"classes\":", f);
	storm_coverage_json_counts(f, total, 1);
	fputs(",\"never_hit\":[", f);
	for (unsigned c = 0; c < STORM_NLANDINGS; c++)
		if (!total[c]) {
			fprintf(f, "%s\"%s\"", sep, storm_landing_names[c]);
			sep = ",";
		}
	fprintf(f, "],\"steered\":%llu,", (unsigned long long)storm_steered);
	storm_trap_json(f);
	fputs(",\"ops\":{\"between_ops\":", f);
	storm_coverage_json_counts(f, storm_landings[0], 0);
	for (unsigned o = 0; o < storm_nops; o++) {
		fprintf(f, ",\"%s\":", storm_ops[o].name);
		storm_coverage_json_counts(f, storm_landings[o + 1], 0);
	}
	fputs("}},", f);
}
