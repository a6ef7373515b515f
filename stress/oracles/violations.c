/* SPDX-License-Identifier: MIT */
/*
 * violations.c - the first few violations of each oracle, kept with what a
 * reader needs to chase one: the oracle, the slot and thread, the op, what
 * differed, and which resource pressure was active at that moment.
 *
 * Called from cleanup handlers, which may run inside a signal handler (an
 * asynchronous cancellation) of a thread interrupted anywhere: no locks
 * and no stdio here, only atomics, snprintf and write(2).
 */
#define _GNU_SOURCE
#include "oracles/oracles.h"
#include "account/account.h"
#include "ops/ops.h"
#include "pressure/pressure.h"

#include <string.h>
#include <unistd.h>

#define STORM_VIOLATIONS_KEEP 16   /* in all, for the summary and record */
#define STORM_VIOLATIONS_PER 4     /* of one oracle */

struct storm_violation {
	const char *oracle;
	unsigned slot;
	pid_t tid;
	const char *op;
	char pressure[64];
	char what[240];
	int done;               /* filled in: the readers may show it */
};

static struct storm_violation kept[STORM_VIOLATIONS_KEEP];
static unsigned nkept;

/* Oracles seen so far, and how many of each were kept (by index). */
static const char *oracle_names[STORM_VIOLATIONS_KEEP];
static unsigned oracle_kept[STORM_VIOLATIONS_KEEP];

static unsigned *storm_oracle_count(const char *oracle)
{
	for (unsigned i = 0; i < STORM_VIOLATIONS_KEEP; i++) {
		const char *seen = __atomic_load_n(&oracle_names[i],
						   __ATOMIC_ACQUIRE);

		if (!seen && __atomic_compare_exchange_n(&oracle_names[i], &seen,
							 oracle, 0,
							 __ATOMIC_ACQ_REL,
							 __ATOMIC_ACQUIRE))
			return &oracle_kept[i];
		if (seen == oracle || (seen && !strcmp(seen, oracle)))
			return &oracle_kept[i];
	}
	return NULL;
}

static struct storm_violation *storm_violation_slot(const char *oracle)
{
	unsigned *same = storm_oracle_count(oracle), i;

	if (!same || __atomic_fetch_add(same, 1, __ATOMIC_RELAXED) >=
			     STORM_VIOLATIONS_PER)
		return NULL;
	if ((i = __atomic_fetch_add(&nkept, 1, __ATOMIC_RELAXED)) >=
	    STORM_VIOLATIONS_KEEP)
		return NULL;
	kept[i].oracle = oracle;
	return &kept[i];
}

void storm_violation(const char *oracle, const struct storm_slot *s, int op,
		     const char *fmt, ...)
{
	struct storm_violation *v = storm_violation_slot(oracle);
	char line[512];
	va_list ap;
	int n;

	if (!v)
		return;
	v->slot = s ? s->index : 0;
	v->tid = s ? s->tid : 0;
	v->op = op >= 0 ? storm_ops[op].name : "-";
	storm_pressure_names(storm_pressure_active(), v->pressure,
			     sizeof v->pressure);
	va_start(ap, fmt);
	vsnprintf(v->what, sizeof v->what, fmt, ap);
	va_end(ap);
	__atomic_store_n(&v->done, 1, __ATOMIC_RELEASE);
	n = snprintf(line, sizeof line, "storm: VIOLATION %s: slot %u tid %d op "
		     "%s: %s%s%s\n", oracle, v->slot, (int)v->tid, v->op, v->what,
		     *v->pressure ? "; pressure: " : "", v->pressure);
	if (write(2, line, n < (int)sizeof line ? (size_t)n : sizeof line - 1) < 0)
		return;   /* stderr gone: the record still has it */
}

static unsigned storm_violations_kept(void)
{
	unsigned n = __atomic_load_n(&nkept, __ATOMIC_ACQUIRE);

	return n < STORM_VIOLATIONS_KEEP ? n : STORM_VIOLATIONS_KEEP;
}

void storm_violations_print(FILE *f)
{
	for (unsigned i = 0; i < storm_violations_kept(); i++)
		if (__atomic_load_n(&kept[i].done, __ATOMIC_ACQUIRE))
			fprintf(f, "storm:   %s: slot %u tid %d op %s: %s%s%s\n",
				kept[i].oracle, kept[i].slot, (int)kept[i].tid,
				kept[i].op, kept[i].what,
				*kept[i].pressure ? "; pressure: " : "",
				kept[i].pressure);
}

void storm_violations_json(FILE *f)
{
	fputs("[", f);
	for (unsigned i = 0, n = 0; i < storm_violations_kept(); i++) {
		if (!__atomic_load_n(&kept[i].done, __ATOMIC_ACQUIRE))
			continue;
		fprintf(f, "%s{\"oracle\":\"%s\",\"slot\":%u,\"tid\":%d,"
			"\"op\":\"%s\",\"pressure\":\"%s\",\"what\":",
			n++ ? "," : "", kept[i].oracle, kept[i].slot,
			(int)kept[i].tid, kept[i].op, kept[i].pressure);
		storm_json_string(f, kept[i].what);
		fputs("}", f);
	}
	fputs("]", f);
}
