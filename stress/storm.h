/* SPDX-License-Identifier: MIT */
/*
 * storm.h - the randomized cancellation storm: its configuration, its
 * target slots, its counters, and the one struct that holds the state
 * every part shares.
 *
 * N target threads loop over cancellation points chosen at random from an
 * ops table; K canceller threads cancel them at random moments (directly,
 * from a POSIX timer's handler, or at a calibrated offset into the call),
 * join them (bounded) and start new ones in their slots, while unrelated
 * signals rain on the targets.  Leaks are found by diffing /proc/self/fd
 * once every thread is gone, and memory is sampled during the run.  Every
 * random choice comes from the seed (timing, of course, does not).
 *
 * The parts, one folder and one header each:
 *   options/   command line, mixes, --replay and --minimise (options.h),
 *              reading JSON records back (record.h)
 *   ops/       the ops table, the cancellation points the targets call,
 *              and the shared objects they wait on (ops.h)
 *   cancel/    canceller threads, timer and fuzzy cancels, the unrelated
 *              signals, and the bare create/cancel/join ceiling (cancel.h)
 *   account/   lost requests, memory samples, the outcomes that fail a
 *              run, the summary and the JSON record (account.h)
 *   oracles/   invariants every backend must keep beyond "nothing leaked,
 *              nothing lost": signal masks, POSIX timers and queued
 *              signals, EINTR in cleanup handlers, threads created
 *              mid-op, siglongjmp escapes (oracles.h)
 *   pressure/  windows in which the signal queue, the descriptor table,
 *              thread creation or timer creation run out (pressure.h)
 * and here: targets.h (the target threads and their slots) and main.c.
 */
#ifndef STORM_H
#define STORM_H

#include <backend.h>
#include <bounds.h>
#include <target.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define STORM_MAX_OPS 32

/* How a cancel is sent (cancel/). */
enum storm_how { STORM_HOW_DIRECT, STORM_HOW_TIMER, STORM_HOW_FUZZY,
		 STORM_NHOW };
extern const char *const storm_how_names[STORM_NHOW];

struct storm_config {
	const struct backend *be;
	unsigned threads;
	double duration_s;
	uint64_t seed;
	unsigned cancellers;
	unsigned noise_pct;   /* % of direct cancels preceded by SIGUSR1 */
	unsigned signals_pct; /* unrelated signal bursts per 100 cancels */
	unsigned batch;       /* cancels in flight per canceller, at most */
	unsigned stack_kib;   /* target thread stacks */
	double sample_s;      /* /proc sampling period; 0: no sampling */
	unsigned op_weight[STORM_MAX_OPS];   /* 0: op left out */
	unsigned how_weight[STORM_NHOW];     /* 0: canceller kind left out */
	unsigned pressure;    /* bit per kind (pressure/pressure.h); 0: none */
	const char *json_path;
	FILE *json;           /* opened at parse time: a bad path is exit 2 */
	int expect_any;       /* ctest "record" mode: fail only on error */
	int minimise;         /* drive reruns that shrink a failing config */
	int bare;             /* measure the create/cancel/join ceiling */
	const char *replay_path;
};

/* One target slot: the thread living in it now and its generation. */
struct storm_slot {
	TARGET_RECORD;        /* th and tid (set by the thread itself) */
	unsigned index;
	uint64_t generation;
	volatile int op;      /* ops-table index the thread is in, -1 none */
	volatile int in_call; /* between storm_call_begin and _end */
	volatile unsigned call_seq;       /* calls begun (fuzzy sync) */
	volatile uint64_t call_start_ns;
	volatile int live;
	volatile int lost;    /* cancelled, not joined even after unblocking */
	int in_batch;         /* owned by its canceller's current batch */
	unsigned cancel_pressure; /* pressure kinds active at its cancel */
	unsigned noise_entered;   /* noise handler entries (atomic; a futex
				   * the canceller waits on) */
	int noise_waiting;        /* a canceller waits for the next entry */
	uint64_t rng;             /* the thread's own stream (targets.c) */
	uint64_t start_mask;      /* blocked signals when the thread began */
	volatile int escape_armed;    /* escape may siglongjmp to it */
	sigjmp_buf escape;            /* back into the target's loop */
	struct storm_child *child;    /* a thread its op created, or NULL */
};

/* Counters shared by all threads (relaxed atomics, storm_add). */
struct storm_counts {
	uint64_t cancellations;   /* joined with PTHREAD_CANCELED */
	uint64_t not_cancelled;   /* joined with another value */
	uint64_t lost;            /* not joined within the bound */
	uint64_t recovered;       /* lost, then joined once its op was fed */
	uint64_t stuck;           /* lost and never joined at all */
	uint64_t spurious_eintr;  /* EINTR from a restarting call that only
				   * SA_RESTART handlers interrupted */
	uint64_t eintr_excused;   /* EINTR after a non-SA_RESTART handler, or
				   * from a call that always reports it */
	uint64_t noise_sent;
	uint64_t noise_handled;
	uint64_t signals_sent;    /* unrelated signals of the storm */
	uint64_t inside_handler;  /* cancellation acted while a storm handler
				   * ran, outside a cancellation point the
				   * handler itself called (a lower bound,
				   * see cancel/signals.c) */
	uint64_t in_handler_cp;   /* acted in a cancellation point a handler
				   * called: allowed */
	uint64_t acted_in_call;   /* acted inside the op's call */
	uint64_t acted_between;   /* acted at a testcancel between calls:
				   * deferred past the call's completion */
	uint64_t joins_timed;
	uint64_t join_us_total;   /* cancel sent -> joined, run phase only: a */
	uint64_t join_us_max;     /* request deferred past its moment shows
				   * up as delay before it shows up as loss */
	uint64_t fd_table_full;   /* EMFILE: leaks filled the table, so the
				   * leak count is a lower bound */
	uint64_t uring_unclaimed; /* io_uring completions still queued once
				   * every thread was joined: requests the
				   * harness submitted and lost track of */
	uint64_t how_sent[STORM_NHOW];
	uint64_t timer_late;      /* timer not fired in time: cancelled
				   * directly instead */
	uint64_t op_runs[STORM_MAX_OPS];     /* completed runs */
	uint64_t op_cancelled[STORM_MAX_OPS];
	uint64_t op_call_ns[STORM_MAX_OPS];  /* mean call length (EWMA) */
	uint64_t op_resource_failed[STORM_MAX_OPS];  /* EMFILE, EAGAIN, ... */
	uint64_t respawn_failed;  /* a slot left empty under pressure */
	uint64_t cancel_eagain;   /* cancels made again: EAGAIN, queue full */
	/* The oracles (oracles/). */
	uint64_t mask_violations; /* a thread's blocked signals changed */
	uint64_t cleanup_eintr;   /* EINTR in a cleanup handler's call */
	uint64_t children;        /* threads ops created mid-op */
	uint64_t children_lost;   /* ... not joined after their cancel */
	uint64_t children_unjudged;   /* ... the stop phase's budget ran out */
	uint64_t longjmp_escapes; /* ops abandoned by a handler's siglongjmp */
};

/* What every part of a running storm shares, in one place. */
struct storm {
	const struct storm_config *cfg;
	struct storm_slot *slots;      /* cfg->threads of them */
	struct storm_counts counts;
	volatile int stopping;         /* the stop phase has begun */
	volatile int spawn_failed;     /* errno of a failed respawn */
};
extern struct storm storm;

/* A cancelled target must be joined within this, or it is lost. */
#define STORM_JOIN_MS ACT_BOUND_MS

static inline double storm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline uint64_t storm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* CPU seconds the whole process has used (every thread, user and
 * system): rate per CPU-second tells work from waiting. */
static inline double storm_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* The share of the online CPUs that `cpu_s` of CPU time kept busy over
 * `wall_s`. */
static inline double storm_cpu_busy(double cpu_s, double wall_s)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return wall_s > 0 && n > 0 ? cpu_s / (wall_s * (double)n) : 0;
}

static inline void storm_add(uint64_t *c, uint64_t n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

#endif
