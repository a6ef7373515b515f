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
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

struct storm_config {
	const struct backend *be;
	unsigned threads;
	double duration_s;
	uint64_t seed;
	unsigned cancellers;
	unsigned noise_pct;   /* % of cancels preceded by the noise signal */
	const char *json_path;
	FILE *json;           /* opened at parse time: a bad path is exit 2 */
	int expect_any;       /* ctest "record" mode: fail only on error */
};

/* Command line (storm_opts.c).  Bad input: one line on stderr, exit 2. */
void storm_parse(int argc, char **argv, struct storm_config *c);

/* One target slot: the thread living in it now and its generation. */
struct storm_slot {
	pthread_t th;
	volatile pid_t tid;   /* set by the thread itself, for diagnoses */
	unsigned index;
	uint64_t generation;
	volatile int op;      /* ops-table index the thread is in, -1 none */
	volatile int live;
	volatile int lost;    /* cancelled, not joined even after unblocking */
	unsigned noise_entered;   /* noise handler entries (atomic) */
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
	uint64_t recovered;       /* lost, then joined once its op was fed */
	uint64_t stuck;           /* lost and never joined at all */
	uint64_t spurious_eintr;  /* a call returned EINTR: the only other
				   * signal (noise) is SA_RESTART */
	uint64_t noise_sent;
	uint64_t noise_handled;
	uint64_t inside_handler;  /* cancellation acted while the noise
				   * handler ran (a lower bound, see
				   * storm_noise.c) */
	uint64_t joins_timed;
	uint64_t join_us_total;   /* cancel sent -> joined, run phase only: a */
	uint64_t join_us_max;     /* request deferred past its moment shows
				   * up as delay before it shows up as loss */
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
 * and the feeder thread that keeps blocking reads moving (storm_ops.c). */
int storm_resources_open(uint64_t seed);
void storm_resources_close(void);

/* Push every kind of blocking op forward `rounds` times. */
void storm_feed(unsigned rounds);

/* Slots (storm_target.c).  join: 0 joined (slot free), 1 timed out;
 * count: book a joined thread's return value. */
int storm_slot_spawn(struct storm_slot *s);
int storm_slot_join(struct storm_slot *s, int timeout_ms, void **ret);
void storm_slot_count(void *ret);

/* A cancelled thread not joined in time (storm_lost.c): count and diagnose
 * it, feed its op, and try to join it again within budget_ms.  Returns 0
 * when joined (the slot may be reused), 1 when it stays stuck. */
int storm_lost(struct storm_slot *s, const char *when, int budget_ms);
void storm_lost_print(FILE *f);
void storm_lost_json(FILE *f);

/* The noise signal (storm_noise.c). */
int storm_noise_install(void);
void storm_noise_bind(struct storm_slot *s);   /* by the target itself */
void storm_noise_send(struct storm_slot *s);
int storm_noise_active(void);   /* in the calling thread */

/* Cancellers (storm_cancel.c). */
int storm_cancellers_start(void);
void storm_cancellers_join(void);
extern volatile int storm_spawn_failed;   /* errno of a failed respawn */

/* A spurious EINTR seen by an op. */
void storm_note_result(long r);

static inline double storm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void storm_add(uint64_t *c, uint64_t n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

#endif
