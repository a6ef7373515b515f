/* storm_target.c - target threads and their slots. */
#define _GNU_SOURCE
#include "storm.h"
#include "storm_rng.h"

#include <handshake.h>
#include <unistd.h>

#define STORM_STACK (64 * 1024)

static unsigned storm_weight_total(void)
{
	unsigned w = 0;

	for (unsigned i = 0; i < storm_nops; i++)
		w += storm_ops[i].weight;
	return w;
}

static int storm_pick_op(uint64_t *rng)
{
	unsigned r = (unsigned)storm_rng_below(rng, storm_weight_total());

	for (unsigned i = 0; i < storm_nops; i++) {
		if (r < storm_ops[i].weight)
			return (int)i;
		r -= storm_ops[i].weight;
	}
	return 0;
}

/* Runs during cancellation: attribute it to the op it interrupted, and
 * note a cancellation that acted inside the noise handler. */
static void storm_target_cancelled(void *p)
{
	struct storm_slot *s = p;

	if (s->op >= 0)
		storm_add(&storm_counts.op_cancelled[s->op], 1);
	if (storm_noise_active())
		storm_add(&storm_counts.inside_handler, 1);
}

static void *storm_target_main(void *p)
{
	struct storm_slot *s = p;
	const struct backend *be = storm_cfg->be;
	uint64_t rng = storm_rng_stream(storm_cfg->seed, STORM_RNG_TARGET,
					((uint64_t)s->index << 32) ^ s->generation);

	s->tid = gettid();
	storm_noise_bind(s);
	pthread_cleanup_push(storm_target_cancelled, s);
	for (;;) {
		int op = storm_pick_op(&rng);

		s->op = op;
		storm_ops[op].run(be, &rng);
		s->op = -1;
		storm_add(&storm_counts.op_runs[op], 1);
		be->testcancel();
	}
	pthread_cleanup_pop(0);
	return NULL;
}

int storm_slot_spawn(struct storm_slot *s)
{
	pthread_attr_t attr;
	int err;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STORM_STACK);
	s->op = -1;
	s->tid = 0;
	s->generation++;
	err = pthread_create(&s->th, &attr, storm_target_main, s);
	pthread_attr_destroy(&attr);
	s->live = err == 0;
	return err;
}

int storm_slot_join(struct storm_slot *s, int timeout_ms, void **ret)
{
	if (join_bounded(s->th, ret, timeout_ms))
		return 1;
	s->live = 0;
	return 0;
}

void storm_slot_count(void *ret)
{
	storm_add(ret == PTHREAD_CANCELED ? &storm_counts.cancellations
					  : &storm_counts.not_cancelled, 1);
}
