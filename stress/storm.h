/*
 * storm.h - the randomized cancellation storm: shared types.
 *
 * N target threads loop over fd-allocating cancellation points chosen at
 * random from an ops table; K canceller threads cancel them at random
 * moments, join them (bounded) and start new ones in their slots.  Leaks
 * are found by diffing /proc/self/fd once every thread is gone.  Every
 * random choice comes from the seed (timing, of course, does not).
 */
#ifndef STORM_H
#define STORM_H

#include <backend.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

struct storm_config {
	const struct backend *be;
	unsigned threads;
	double duration_s;
	uint64_t seed;
	unsigned cancellers;
	const char *json_path;
	int expect_any;       /* ctest "record" mode: fail only on error */
};

/* One target slot: the thread living in it now and its generation. */
struct storm_slot {
	pthread_t th;
	unsigned index;
	uint64_t generation;
	volatile int op;      /* ops-table index the thread is in, -1 none */
	volatile int live;
	volatile int lost;    /* cancelled but never exited */
};

/* An operation: one cancellation point plus the release of its result
 * (with cancellation disabled, so any leak is the implementation's). */
struct storm_op {
	const char *name;
	unsigned weight;
	const char *leak_kind;   /* readlink prefix of what it allocates */
	void (*run)(const struct backend *be, uint64_t *rng);
};

extern const struct storm_op storm_ops[];
extern const unsigned storm_nops;

/* Counters shared by all threads (relaxed atomics). */
struct storm_counts {
	uint64_t cancellations;   /* joined with PTHREAD_CANCELED */
	uint64_t not_cancelled;   /* joined with another value */
	uint64_t lost;            /* not joined within the bound */
	uint64_t spurious_eintr;  /* a call returned EINTR: nobody else signals */
	uint64_t fd_table_full;   /* EMFILE: leaks filled the table, so the
				   * leak count is a lower bound */
	uint64_t op_runs[16];     /* completed runs */
	uint64_t op_cancelled[16];
};

extern struct storm_counts storm_counts;
extern struct storm_slot *storm_slots;
extern const struct storm_config *storm_cfg;
extern volatile int storm_stopping;

/* Ops' shared resources: listening socket, pipe, SCM_RIGHTS socketpair,
 * and the feeder thread that keeps blocking reads moving. */
int storm_resources_open(uint64_t seed);
void storm_resources_close(void);
void storm_unblock_all(unsigned n);

/* Slots. */
int storm_slot_spawn(struct storm_slot *s);
int storm_slot_reap(struct storm_slot *s, int timeout_ms);

/* Cancellers. */
int storm_cancellers_start(void);
void storm_cancellers_join(void);

/* A spurious EINTR seen by an op. */
void storm_note_result(long r);

static inline void storm_add(uint64_t *c, uint64_t n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

#endif
