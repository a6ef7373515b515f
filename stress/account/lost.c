/* SPDX-License-Identifier: MIT */
/*
 * lost.c - cancellations that were not acted on in time.
 *
 * A target not joined within the bound after its cancel is a lost
 * cancellation, whatever happens next.  We record where the thread sits
 * (its /proc syscall line, wchan and kernel stack: that tells "blocked in
 * read with the request pending" from "spinning in user space"), then feed
 * every blocking op so that a thread whose request was merely missed gets
 * to its next cancellation point and can be joined, and the slot reused.
 */
#define _GNU_SOURCE
#include "account/account.h"
#include "ops/ops.h"
#include "oracles/oracles.h"
#include "pressure/pressure.h"
#include "targets.h"

#include <handshake.h>
#include <procfs.h>
#include <string.h>

#define STORM_LOST_KEEP 8       /* diagnoses kept for the summary */
#define STORM_LOST_STEP_MS 100

struct storm_lost_rec {
	unsigned slot;
	pid_t tid;
	int op;
	const char *when;
	int joined;
	char diag[400];
	char pressure[64];    /* active when the cancel was sent */
	char blocked[200];    /* the thread's mask when found lost */
};

static struct storm_lost_rec lost_recs[STORM_LOST_KEEP];
static unsigned lost_nrecs;
static pthread_mutex_t lost_lock = PTHREAD_MUTEX_INITIALIZER;

static struct storm_lost_rec *storm_lost_record(struct storm_slot *s,
						const char *when)
{
	struct storm_lost_rec *r = NULL;
	uint64_t blocked = 0;

	pthread_mutex_lock(&lost_lock);
	if (lost_nrecs < STORM_LOST_KEEP)
		r = &lost_recs[lost_nrecs++];
	pthread_mutex_unlock(&lost_lock);
	if (!r)
		return NULL;
	*r = (struct storm_lost_rec){ .slot = s->index, .tid = s->tid,
				      .op = s->op, .when = when };
	task_diagnose(s->tid, r->diag, sizeof r->diag);
	storm_pressure_names(s->cancel_pressure, r->pressure,
			     sizeof r->pressure);
	if (task_sigblocked(s->tid, &blocked))
		snprintf(r->blocked, sizeof r->blocked, "?");
	else
		storm_mask_names(blocked, r->blocked, sizeof r->blocked);
	fprintf(stderr, "storm: LOST cancellation (%s): slot %u op %s not "
		"joined in time; blocked signals: %s%s%s; %s\n", when, s->index,
		r->op >= 0 ? storm_ops[r->op].name : "-", r->blocked,
		*r->pressure ? "; pressure at the cancel: " : "", r->pressure,
		r->diag);
	return r;
}

int storm_lost(struct storm_slot *s, const char *when, int budget_ms)
{
	struct storm_lost_rec *r;
	void *ret;
	int spent = 0;

	storm_add(&storm.counts.lost, 1);
	r = storm_lost_record(s, when);
	do {
		int left = budget_ms - spent;
		int step = left > STORM_LOST_STEP_MS ? STORM_LOST_STEP_MS
						     : left > 0 ? left : 1;

		storm_feed(4);
		if (!storm_slot_join(s, step, &ret)) {
			storm_add(&storm.counts.recovered, 1);
			if (r)
				r->joined = 1;
			return 0;
		}
		spent += step;
	} while (spent < budget_ms);
	s->lost = 1;
	storm_add(&storm.counts.stuck, 1);
	return 1;
}

static const char *storm_lost_op(const struct storm_lost_rec *r)
{
	return r->op >= 0 ? storm_ops[r->op].name : "-";
}

void storm_lost_print(FILE *f)
{
	for (unsigned i = 0; i < lost_nrecs; i++)
		fprintf(f, "storm:   lost (%s) slot %u op %s, %s; blocked "
			"signals: %s%s%s; %s\n",
			lost_recs[i].when, lost_recs[i].slot,
			storm_lost_op(&lost_recs[i]),
			lost_recs[i].joined ? "joined after feeding its op"
					    : "never joined",
			lost_recs[i].blocked,
			*lost_recs[i].pressure ? "; pressure at the cancel: " : "",
			lost_recs[i].pressure, lost_recs[i].diag);
}

void storm_lost_json(FILE *f)
{
	fputs("[", f);
	for (unsigned i = 0; i < lost_nrecs; i++) {
		fprintf(f, "%s{\"when\":\"%s\",\"slot\":%u,\"tid\":%d,\"op\":\"%s\","
			"\"joined\":%s,\"pressure\":\"%s\",\"blocked\":\"%s\","
			"\"diagnosis\":", i ? "," : "",
			lost_recs[i].when, lost_recs[i].slot,
			(int)lost_recs[i].tid, storm_lost_op(&lost_recs[i]),
			lost_recs[i].joined ? "true" : "false",
			lost_recs[i].pressure, lost_recs[i].blocked);
		storm_json_string(f, lost_recs[i].diag);
		fputs("}", f);
	}
	fputs("]", f);
}
