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
#define STORM_RECOVER_MS 2000
#define STORM_GAP_SPIN 20000     /* between cancels */
#define STORM_NOISE_GAP 24000    /* ~ the noise handler's length */

struct storm_canceller {
	unsigned index, first, count;
	pthread_t th;
};

static struct storm_canceller *cancellers;
volatile int storm_spawn_failed;

static void storm_spin(uint64_t n)
{
	for (volatile uint64_t i = 0; i < n; i++)
		;
}

static void storm_joined(void *ret, double t0)
{
	uint64_t us = (uint64_t)((storm_now() - t0) * 1e6);
	uint64_t max = __atomic_load_n(&storm_counts.join_us_max, __ATOMIC_RELAXED);

	storm_slot_count(ret);
	storm_add(&storm_counts.joins_timed, 1);
	storm_add(&storm_counts.join_us_total, us);
	while (us > max &&
	       !__atomic_compare_exchange_n(&storm_counts.join_us_max, &max, us, 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* One round on a live slot: maybe noise first, cancel, bounded join,
 * respawn.  Returns 0 to go on, -1 when the slot could not be refilled. */
static int storm_cancel_one(struct storm_slot *s, uint64_t *rng)
{
	double t0;
	void *ret;
	int err;

	if (storm_rng_below(rng, 100) < storm_cfg->noise_pct) {
		storm_noise_send(s);
		storm_spin(storm_rng_below(rng, STORM_NOISE_GAP));
	}
	t0 = storm_now();
	storm_cfg->be->cancel(s->th);
	if (storm_slot_join(s, STORM_JOIN_MS, &ret) == 0)
		storm_joined(ret, t0);
	else if (storm_lost(s, "run", STORM_RECOVER_MS))
		return 0;   /* stuck: the slot stays out of the game */
	if ((err = storm_slot_spawn(s))) {
		storm_spawn_failed = err;
		return -1;
	}
	return 0;
}

static void *storm_canceller_main(void *p)
{
	struct storm_canceller *c = p;
	uint64_t rng = storm_rng_stream(storm_cfg->seed, STORM_RNG_CANCELLER,
					c->index);

	while (!storm_stopping && c->count) {
		struct storm_slot *s =
			&storm_slots[c->first + storm_rng_below(&rng, c->count)];

		storm_spin(storm_rng_below(&rng, STORM_GAP_SPIN));
		if (!s->live || s->lost)
			continue;
		if (storm_cancel_one(s, &rng))
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
