/* SPDX-License-Identifier: MIT */
/*
 * storm.h - the randomized cancellation storm: shared types.
 *
 * N target threads loop over cancellation points chosen at random from an
 * ops table; K canceller threads cancel them at random moments (directly,
 * from a POSIX timer's handler, or at a calibrated offset into the call),
 * join them (bounded) and start new ones in their slots, while unrelated
 * signals rain on the targets.  Leaks are found by diffing /proc/self/fd
 * once every thread is gone, and memory is sampled during the run.  Every
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

#define STORM_MAX_OPS 32

/* How a cancel is sent (storm_cancel.c, storm_timer.c, storm_fuzzy.c). */
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
	const char *json_path;
	FILE *json;           /* opened at parse time: a bad path is exit 2 */
	int expect_any;       /* ctest "record" mode: fail only on error */
	int minimise;         /* drive reruns that shrink a failing config */
	int bare;             /* measure the create/cancel/join ceiling */
	const char *replay_path;
};

/* Command line (storm_opts.c).  Bad input: one line on stderr, exit 2. */
void storm_parse(int argc, char **argv, struct storm_config *c);

/* Mixes as text, "openat:3,accept4:2" (storm_mix.c); parse returns 0 or
 * writes a one-line reason into why. */
int storm_mix_parse(const char *text, const char *const *names, unsigned n,
		    unsigned *weights, char *why, size_t whylen);
void storm_mix_format(const unsigned *weights, const char *const *names,
		      unsigned n, char *buf, size_t len);
void storm_op_names(const char **names);   /* storm_nops entries */
void storm_mixes_format(const struct storm_config *c, char *ops,
			size_t opslen, char *how, size_t howlen);
/* The command line that reruns configuration c (for replay/minimise). */
void storm_command_line(const struct storm_config *c, const char *argv0,
			char *buf, size_t len);

/* One target slot: the thread living in it now and its generation. */
struct storm_slot {
	pthread_t th;
	volatile pid_t tid;   /* set by the thread itself, for diagnoses */
	unsigned index;
	uint64_t generation;
	volatile int op;      /* ops-table index the thread is in, -1 none */
	volatile int in_call; /* between storm_call_begin and _end */
	volatile unsigned call_seq;       /* calls begun (fuzzy sync) */
	volatile uint64_t call_start_ns;
	volatile int live;
	volatile int lost;    /* cancelled, not joined even after unblocking */
	int in_batch;         /* owned by its canceller's current batch */
	unsigned noise_entered;   /* noise handler entries (atomic; a futex
				   * the canceller waits on) */
	int noise_waiting;        /* a canceller waits for the next entry */
};

/* An operation: one cancellation point plus the release of its result
 * (with cancellation disabled, so any leak is the implementation's).
 * result_fd: the call itself hands back descriptors (a cancellation acting
 * after it completed loses them).  eintr_ok: the call reports EINTR after
 * any handler, SA_RESTART or not (signal(7)), so an EINTR from it is not
 * spurious. */
struct storm_op {
	const char *name;
	unsigned weight;
	const char *leak_kind;   /* readlink prefix of what it allocates */
	int result_fd;
	int eintr_ok;
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
				   * see storm_noise.c) */
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
	uint64_t how_sent[STORM_NHOW];
	uint64_t timer_late;      /* timer not fired in time: cancelled
				   * directly instead */
	uint64_t op_runs[STORM_MAX_OPS];     /* completed runs */
	uint64_t op_cancelled[STORM_MAX_OPS];
	uint64_t op_call_ns[STORM_MAX_OPS];  /* mean call length (EWMA) */
};

extern struct storm_counts storm_counts;
extern struct storm_slot *storm_slots;
extern const struct storm_config *storm_cfg;
extern volatile int storm_stopping;

/* Ops' shared resources: listening socket, pipes, SCM_RIGHTS socketpair,
 * futex word, and the feeder thread that keeps blocking calls
 * moving (storm_res.c). */
int storm_resources_open(uint64_t seed);
void storm_resources_close(void);
void storm_uring_close_all(void);   /* storm_uring.c */
struct storm_res {
	int listen_fd;        /* accept4 and connect ops */
	int ulisten_fd;       /* io_uring ACCEPT */
	int pipe_fds[2];      /* targets read, the feeder writes */
	int wpipe_fds[2];     /* targets write, the feeder drains */
	int scm_fds[2];
	int scm_payload;      /* the fd every SCM message carries */
	int idle_fd;          /* never readable: poll/epoll time out */
	int epoll_fd;         /* watches idle_fd */
	uint32_t futex_word;
	const struct sockaddr *addr, *uaddr;
	unsigned addr_len, uaddr_len;
};
extern struct storm_res storm_res;

/* Push every kind of blocking op forward `rounds` times. */
void storm_feed(unsigned rounds);

/* The calling target's slot, and the bracket around an op's cancellation
 * point: attributes where a cancellation acted, times the call for the
 * fuzzy canceller, and resets the EINTR excuse (storm_target.c). */
extern __thread struct storm_slot *storm_self;
void storm_call_begin(void);
void storm_call_end(void);

/* Slots (storm_target.c).  join: 0 joined (slot free), 1 timed out;
 * count: book a joined thread's return value. */
int storm_targets_init(void);
int storm_slot_spawn(struct storm_slot *s);
int storm_slot_join(struct storm_slot *s, int timeout_ms, void **ret);
void storm_slot_count(void *ret);

/* A cancelled thread not joined in time (storm_lost.c): count and diagnose
 * it, feed its op, and try to join it again within budget_ms.  Returns 0
 * when joined (the slot may be reused), 1 when it stays stuck. */
int storm_lost(struct storm_slot *s, const char *when, int budget_ms);
void storm_lost_print(FILE *f);
void storm_lost_json(FILE *f);

/* Signals (storm_noise.c): the noise before a cancel, and the unrelated
 * storm of several signals, SA_RESTART and not, nesting. */
int storm_noise_install(void);
void storm_noise_bind(struct storm_slot *s);   /* by the target itself */
void storm_noise_send(struct storm_slot *s);
void storm_signals_burst(struct storm_slot *s, uint64_t *rng);
int storm_noise_active(void);      /* a storm handler runs, not in its cp */
int storm_noise_in_cp(void);       /* a storm handler's own cp runs */
int storm_eintr_excused(void);     /* a non-SA_RESTART handler ran */
void storm_eintr_reset(void);

/* Cancellers (storm_cancel.c). */
int storm_cancellers_start(void);
void storm_cancellers_join(void);
extern volatile int storm_spawn_failed;   /* errno of a failed respawn */
void storm_spin(uint64_t n);

/* POSIX timers whose handler cancels (storm_timer.c): one per batch entry
 * of each canceller, delivered to the canceller thread itself. */
struct storm_pending {
	struct storm_slot *slot;
	enum storm_how how;
	double t0;               /* cancel sent */
	volatile int fired;      /* timer handler has cancelled */
	int has_timer;
	timer_t timer;
};
int storm_timer_install(void);
int storm_timer_create(struct storm_pending *p);
void storm_timer_arm(struct storm_pending *p, long ns);
void storm_timer_settle(struct storm_pending *p);   /* fired or cancel now */
void storm_timer_delete(struct storm_pending *p);

/* The fuzzy-sync canceller (storm_fuzzy.c): wait for the target's next
 * call to begin, then cancel at a fraction of that op's measured length
 * that sweeps across [0, 1.25). */
void storm_fuzzy_cancel(struct storm_slot *s, unsigned *sweep);

/* Memory and descriptors sampled during the run (storm_mem.c). */
void storm_mem_sample(double t);
void storm_mem_print(FILE *f);
void storm_mem_json(FILE *f);
int storm_mem_growing(void);
double storm_mem_cost_ms(void);

/* The target threads' stack size: --stack, raised to the system's
 * minimum where it is below (storm_target.c). */
size_t storm_stack_bytes(const struct storm_config *c);

/* --bare: the create/cancel/join loop alone (storm_bare.c). */
int storm_bare(const struct storm_config *c);

/* --replay and --minimise (storm_replay.c, storm_minimise.c). */
void storm_replay_load(const char *path, struct storm_config *c);
int storm_minimise(const struct storm_config *c, const char *argv0);

/* A result of an op's call: counts spurious EINTR and EMFILE. */
void storm_note_result(long r);

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

static inline void storm_add(uint64_t *c, uint64_t n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

#endif
