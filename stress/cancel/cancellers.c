/* SPDX-License-Identifier: MIT */
/*
 * cancellers.c - canceller threads.  Each owns a disjoint slice of the
 * slots, so a slot's thread is cancelled, joined and replaced by one
 * thread only.
 *
 * Throughput comes from batches: a canceller sends up to --batch cancels
 * (each its own way: a direct call after a random spin, a POSIX timer
 * whose handler cancels, or a fuzzy-sync cancel aimed into the call), and
 * only then joins them.  The targets die in parallel instead of one join
 * latency per cancellation.  Random delays are spun, not slept:
 * cancellations should land at any instruction of the targets' ops, at a
 * finer grain than the timer slack of a sleep.
 */
#define _GNU_SOURCE
#include "cancel/cancel.h"
#include "account/account.h"
#include "oracles/oracles.h"
#include "pressure/pressure.h"
#include "targets.h"
#include "rng.h"

#include <handshake.h>
#include <procfs.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STORM_RECOVER_MS 2000
#define STORM_GAP_SPIN 2000      /* before each cancel */
#define STORM_NOISE_GAP 24000    /* ~ the noise handler's length */
#define STORM_TIMER_MAX_NS 100000

const char *const storm_how_names[STORM_NHOW] = { "direct", "timer", "fuzzy" };

struct storm_canceller {
	unsigned index, first, count;
	pthread_t th;
	unsigned how_cumulative[STORM_NHOW];
	unsigned sweep;                /* fuzzy: where the next cancel aims */
	struct storm_pending *pend;    /* --batch entries */
};

static struct storm_canceller *cancellers;

void storm_spin(uint64_t n)
{
	for (volatile uint64_t i = 0; i < n; i++)
		;
}

static void storm_joined(void *ret, double t0)
{
	uint64_t us = (uint64_t)((storm_now() - t0) * 1e6);
	uint64_t max = __atomic_load_n(&storm.counts.join_us_max, __ATOMIC_RELAXED);

	storm_slot_count(ret);
	storm_add(&storm.counts.joins_timed, 1);
	storm_add(&storm.counts.join_us_total, us);
	while (us > max &&
	       !__atomic_compare_exchange_n(&storm.counts.join_us_max, &max, us, 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static enum storm_how storm_pick_how(struct storm_canceller *c, uint64_t *rng)
{
	unsigned r = (unsigned)storm_rng_below(rng,
					       c->how_cumulative[STORM_NHOW - 1]);
	unsigned i = 0;

	while (r >= c->how_cumulative[i])
		i++;
	return (enum storm_how)i;
}

/* Send one cancel its way.  A timer's cancel comes later, from the
 * handler (timer.c). */
static void storm_send(struct storm_canceller *c, struct storm_pending *p,
		       uint64_t *rng)
{
	struct storm_slot *s = p->slot;

	s->cancel_pressure = storm_pressure_active();
	storm_add(&storm.counts.how_sent[p->how], 1);
	switch (p->how) {
	case STORM_HOW_TIMER:
		storm_timer_arm(p, (long)storm_rng_below(rng, STORM_TIMER_MAX_NS));
		return;
	case STORM_HOW_FUZZY:
		p->err = storm_fuzzy_cancel(s, &c->sweep);
		break;
	default:
		if (storm_rng_below(rng, 100) < storm.cfg->noise_pct) {
			storm_noise_send(s);
			storm_spin(storm_rng_below(rng, STORM_NOISE_GAP));
		}
		p->err = storm.cfg->be->cancel(s->th);
		break;
	}
	p->t0 = storm_now();
	p->fired = 1;
}

/* Join one sent cancel (bounded) and refill the slot.  Returns 0 to go
 * on, -1 when the slot could not be refilled. */
/* A slot that could not be refilled: under thread pressure an outcome
 * (the slot waits empty for a later batch), otherwise the storm ran
 * short of targets: an error.  Returns 0 to go on, -1 to stop. */
static int storm_respawn_failed(int err)
{
	if (!(storm.cfg->pressure & STORM_PRESSURE_THREADS)) {
		storm.spawn_failed = err;
		return -1;
	}
	storm_add(&storm.counts.respawn_failed, 1);
	return 0;
}

/* What is left, in ms (at least 1), of a bound that ends at `end`. */
static int storm_ms_until(double end)
{
	double left = (end - storm_now()) * 1e3;

	return left < 1 ? 1 : (int)left;
}

#define STORM_RESEND_MS 5

int storm_join_resending(pthread_t th, double end, int (*owed)(void *),
			 void *arg, void **ret)
{
	while (owed(arg) && storm_now() + STORM_RESEND_MS / 1e3 < end)
		if (join_bounded(th, ret, STORM_RESEND_MS) == 0)
			return 0;
	return join_bounded(th, ret, storm_ms_until(end)) ? 1 : 0;
}

int storm_resend(const struct backend *be, pthread_t th, int *err)
{
	if (*err != EAGAIN)
		return 0;
	storm_add(&storm.counts.cancel_eagain, 1);
	*err = be->cancel(th);
	return *err == EAGAIN;
}

/* The cancels of a batch not joined yet (from `next` on): make the owed
 * ones again.  The others' threads are joined, their slots refilled. */
struct storm_owed {
	struct storm_canceller *c;
	unsigned next, n;
};

static int storm_batch_owed(void *p)
{
	struct storm_owed *o = p;
	int left = 0;

	for (unsigned i = o->next; i < o->n; i++)
		left += storm_resend(storm.cfg->be, o->c->pend[i].slot->th,
				     &o->c->pend[i].err);
	return left;
}


/* Join one sent cancel (bounded: STORM_JOIN_MS after it was sent), cancel
 * and join the thread it created if any, and refill the slot.  The lost
 * ones of a batch share STORM_RECOVER_MS for their recovery, from
 * *recover_end on.  Returns 0 to go on, -1 when the slot could not be
 * refilled. */
static int storm_reap_one(struct storm_owed *o, double *recover_end)
{
	struct storm_pending *p = &o->c->pend[o->next];
	struct storm_slot *s = p->slot;
	void *ret;
	int err;

	if (p->how == STORM_HOW_TIMER)
		storm_timer_settle(p);
	/* The cancels of a batch were all sent before the first join: one
	 * lost target must not make the next ones wait a whole bound again.
	 * Meanwhile every owed cancel of the batch is made again. */
	if (storm_join_resending(s->th, p->t0 + STORM_JOIN_MS / 1e3,
				 storm_batch_owed, o, &ret) == 0) {
		storm_slot_gone(s);
		storm_joined(ret, p->t0);
	} else {
		if (!*recover_end)
			*recover_end = storm_now() + STORM_RECOVER_MS / 1e3;
		if (storm_lost(s, "run", storm_ms_until(*recover_end)))
			return 0;   /* stuck: the slot stays out of the game */
	}
	storm_child_reap(s, STORM_JOIN_MS);
	/* Only now, with the thread gone, may its next one escape again. */
	__atomic_store_n(&s->in_batch, 0, __ATOMIC_SEQ_CST);
	if (storm.stopping)
		return 0;   /* the stop phase has nothing to refill */
	if ((err = storm_slot_spawn(s)))
		return storm_respawn_failed(err);
	return 0;
}

static struct storm_slot *storm_pick_slot(struct storm_canceller *c,
					  uint64_t *rng)
{
	struct storm_slot *s =
		&storm.slots[c->first + storm_rng_below(rng, c->count)];

	if (!s->live && !s->lost && !s->in_batch && !storm.stopping) {
		int err = storm_slot_spawn(s);   /* left empty under pressure */

		if (err && storm_respawn_failed(err))
			return NULL;
	}
	return s->live && !s->lost ? s : NULL;
}

/* One batch: up to --batch distinct live slots, cancels sent, then all
 * joined.  Unrelated signal bursts fall on the slice meanwhile. */
static int storm_batch(struct storm_canceller *c, uint64_t *rng)
{
	unsigned want = 1 + (unsigned)storm_rng_below(rng, storm.cfg->batch);
	double recover_end = 0;
	unsigned n = 0;
	int rc = 0;
	struct storm_owed o = { .c = c };

	for (unsigned tries = 0; tries < 2 * want && n < want; tries++) {
		struct storm_slot *s = storm_pick_slot(c, rng), *o;
		struct storm_pending *p = &c->pend[n];

		if (storm_rng_below(rng, 100) < storm.cfg->signals_pct &&
		    (o = storm_pick_slot(c, rng)))
			storm_signals_burst(o, rng);
		if (!s || s->in_batch)
			continue;
		__atomic_store_n(&s->in_batch, 1, __ATOMIC_SEQ_CST);
		p->slot = s;
		p->how = storm_pick_how(c, rng);
		p->fired = 0;
		storm_spin(storm_rng_below(rng, STORM_GAP_SPIN));
		storm_send(c, p, rng);
		n++;
	}
	o.n = n;
	for (o.next = 0; o.next < n; o.next++)
		if (storm_reap_one(&o, &recover_end))
			rc = -1;
	return rc;
}

static void *storm_canceller_main(void *p)
{
	struct storm_canceller *c = p;
	uint64_t rng = storm_rng_stream(storm.cfg->seed, STORM_RNG_CANCELLER,
					c->index);

	c->sweep = (unsigned)storm_rng_below(&rng, 64);
	for (unsigned i = 0; i < storm.cfg->batch; i++)
		if (storm.cfg->how_weight[STORM_HOW_TIMER] &&
		    storm_timer_create(&c->pend[i])) {
			/* Setup, not a respawn: say which limit (once:
			 * the other cancellers hit it too), and stop. */
			static int said;

			if (__atomic_exchange_n(&said, 1, __ATOMIC_SEQ_CST))
				return NULL;
			fprintf(stderr, "cpstorm-storm: timer_create: %s: the "
				"timer canceller needs --cancellers x --batch = "
				"%u POSIX timers (qemu-user has 32 per process, "
				"the kernel RLIMIT_SIGPENDING): lower --batch or "
				"--cancellers, or leave timer out of --how\n",
				strerror(errno),
				storm.cfg->cancellers * storm.cfg->batch);
			exit(2);
		}
	while (!storm.stopping && c->count && !storm.spawn_failed)
		if (storm_batch(c, &rng))
			break;
	for (unsigned i = 0; i < storm.cfg->batch; i++)
		storm_timer_delete(&c->pend[i]);
	return NULL;
}

int storm_cancellers_start(void)
{
	unsigned k = storm.cfg->cancellers, n = storm.cfg->threads;

	if (storm_timer_install())
		return -1;
	cancellers = calloc(k, sizeof *cancellers);
	if (!cancellers)
		return -1;
	for (unsigned i = 0; i < k; i++) {
		struct storm_canceller *c = &cancellers[i];
		unsigned w = 0;

		c->index = i;
		c->first = n * i / k;
		c->count = n * (i + 1) / k - n * i / k;
		for (unsigned h = 0; h < STORM_NHOW; h++)
			c->how_cumulative[h] = (w += storm.cfg->how_weight[h]);
		c->pend = calloc(storm.cfg->batch, sizeof *c->pend);
		if (!c->pend || pthread_create(&c->th, NULL, storm_canceller_main, c))
			return -1;
	}
	return 0;
}

void storm_cancellers_join(void)
{
	for (unsigned i = 0; i < storm.cfg->cancellers; i++) {
		pthread_join(cancellers[i].th, NULL);
		free(cancellers[i].pend);
	}
	free(cancellers);
}
