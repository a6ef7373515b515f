/* SPDX-License-Identifier: MIT */
/*
 * account.h - what the storm found, and how it is told.
 *
 *   outcomes.c  the outcomes that fail a run: one table, read by the exit
 *               status, the JSON record and --minimise
 *   lost.c      requests not acted on in time: diagnosis and recovery
 *   memory.c    memory and descriptors sampled during the run
 *   report.c    the summary for people and the JSON record
 */
#ifndef STORM_ACCOUNT_H
#define STORM_ACCOUNT_H

#include "storm.h"

#include <procfs.h>

/* What the run measured, beside storm.counts. */
struct storm_result {
	double elapsed_s;            /* run and stop phases */
	double run_s;                /* run phase: the throughput figure */
	double run_cpu_s;            /* CPU the process used meanwhile */
	uint64_t run_cancellations;
	const struct fd_set_snapshot *leaked;
};

/* An outcome that fails the run (exit 1) when its value is not 0: a
 * counter of storm.counts, or what count() computes. */
struct storm_outcome {
	const char *key;         /* in the JSON record */
	int is_flag;             /* written true/false, not as a count */
	const uint64_t *counter;
	uint64_t (*count)(const struct storm_result *r);
};
extern const struct storm_outcome storm_outcomes[];
extern const unsigned storm_noutcomes;
uint64_t storm_outcome_value(const struct storm_outcome *o,
			     const struct storm_result *r);

/* Did any outcome fail the run? */
int storm_failed(const struct storm_result *r);

/* A cancelled thread not joined in time (lost.c): count and diagnose it,
 * feed its op, and try to join it again within budget_ms.  Returns 0
 * when joined (the slot may be reused), 1 when it stays stuck. */
int storm_lost(struct storm_slot *s, const char *when, int budget_ms);
void storm_lost_print(FILE *f);
void storm_lost_json(FILE *f);

/* Memory and descriptors (memory.c).  storm_mem_sample: 1 when the
 * sample due at t (seconds into the run) was taken or dropped, 0 when it
 * must be taken again later (a pressure window is applied). */
int storm_mem_sample(double t);
void storm_mem_print(FILE *f);
void storm_mem_json(FILE *f);
int storm_mem_growing(void);
double storm_mem_cost_ms(void);

/* Human summary, then the JSON record as the last stdout line (and
 * appended to --json FILE) (report.c). */
void storm_report(const struct storm_result *r);
/* s as a JSON string: /proc text is plain, but must not break a record. */
void storm_json_string(FILE *f, const char *s);

#endif
