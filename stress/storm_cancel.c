/*
 * storm_cancel.c - canceller threads.  Each owns a disjoint slice of the
 * slots, so a slot's thread is cancelled, joined and replaced by one
 * thread only.  The delay before each cancel is random (from the seed) and
 * spun, not slept: cancellations should land at any instruction of the
 * targets' ops, at a finer grain than the timer slack of a sleep.
 */
#define _GNU_SOURCE
#include "storm.h"
#include "storm_rng.h"

#include <procfs.h>
#include <stdio.h>
#include <stdlib.h>

#define STORM_JOIN_MS 5000

struct storm_canceller {
	unsigned index, first, count;
	pthread_t th;
};

static struct storm_canceller *cancellers;

static void storm_spin(uint64_t n)
{
	for (volatile uint64_t i = 0; i < n; i++)
		;
}

static void storm_report_lost(struct storm_slot *s)
{
	storm_add(&storm_counts.lost, 1);
	s->lost = 1;
	fprintf(stderr, "storm: LOST cancellation: slot %u (generation %llu, "
		"op %s) not joined %d ms after cancel\n", s->index,
		(unsigned long long)s->generation,
		s->op >= 0 ? storm_ops[s->op].name : "-", STORM_JOIN_MS);
}

static void *storm_canceller_main(void *p)
{
	struct storm_canceller *c = p;
	uint64_t rng = storm_rng_stream(storm_cfg->seed, STORM_RNG_CANCELLER,
					c->index);

	while (!storm_stopping && c->count) {
		struct storm_slot *s =
			&storm_slots[c->first + storm_rng_below(&rng, c->count)];

		storm_spin(storm_rng_below(&rng, 20000));
		if (!s->live || s->lost)
			continue;
		storm_cfg->be->cancel(s->th);
		if (storm_slot_reap(s, STORM_JOIN_MS)) {
			storm_report_lost(s);
			continue;
		}
		if (storm_slot_spawn(s))
			break;
	}
	return NULL;
}

int storm_cancellers_start(void)
{
	unsigned k = storm_cfg->cancellers, n = storm_cfg->threads;

	cancellers = calloc(k, sizeof *cancellers);
	if (!cancellers)
		return -1;
	for (unsigned i = 0; i < k; i++) {
		cancellers[i].index = i;
		cancellers[i].first = n * i / k;
		cancellers[i].count = n * (i + 1) / k - n * i / k;
		if (pthread_create(&cancellers[i].th, NULL, storm_canceller_main,
				   &cancellers[i]))
			return -1;
	}
	return 0;
}

void storm_cancellers_join(void)
{
	for (unsigned i = 0; i < storm_cfg->cancellers; i++)
		pthread_join(cancellers[i].th, NULL);
	free(cancellers);
}
