/* SPDX-License-Identifier: MIT */
/*
 * oracles.h - invariants every backend must keep, checked while the storm
 * runs.  "Nothing leaked, nothing lost" passes over a whole class of
 * defects: a cancel signal left blocked in a thread's mask (threads it
 * creates later cannot be cancelled), POSIX timers or queued signals left
 * behind, a retry signal that interrupts cleanup handlers with EINTR.
 *
 *   violations.c  the first few violations of each oracle, with the
 *                 thread, the op and what differed, for the report
 *   mask.c        mask_violations: a thread's blocked signals, when it
 *                 starts, after every op and in its cleanup handler
 *   timers.c      timers_leaked, signals_queued: POSIX timers and
 *                 pending signals back at their baseline once every
 *                 thread is gone
 *   cleanup.c     cleanup_eintr: a short non-cancellable sleep in the
 *                 cleanup handler, which no backend signal may interrupt
 *   children.c    children_lost: a thread an op created mid-op (with the
 *                 target's mask at that instant) must be cancellable
 * longjmp_escapes (cancel/signals.c, targets.c) are counted, not judged:
 * what an escape leaves behind shows in the oracles above.
 */
#ifndef STORM_ORACLES_H
#define STORM_ORACLES_H

#include "storm.h"

#include <stdarg.h>

/* Record a violation of `oracle` by slot s (NULL: none) in op (-1: none);
 * what: a printf format saying what differed. */
void storm_violation(const char *oracle, const struct storm_slot *s, int op,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void storm_violations_print(FILE *f);
void storm_violations_json(FILE *f);

/* Signal masks (mask.c).  The storm's baseline is the main thread's mask
 * at set-up; a target checks its own at start, after each op and in its
 * cleanup handler (where a mask blocked by a signal handler still on the
 * stack is no violation: the cleanup then runs inside that handler). */
void storm_mask_baseline(void);
uint64_t storm_mask_now(void);
void storm_mask_start(struct storm_slot *s);
void storm_mask_check(struct storm_slot *s, int op, const char *where);
/* "63 (SIGRTMAX-1), 10 (SIGUSR1)": the signals in mask. */
void storm_mask_names(uint64_t mask, char *buf, size_t len);

/* POSIX timers and queued signals (timers.c).  baseline: before the
 * targets start; final: once every thread is joined. */
void storm_timers_baseline(void);
void storm_timers_note_end(const struct storm_slot *s);   /* cleanup */
void storm_timers_final(void);
uint64_t storm_timers_leaked(void);
uint64_t storm_signals_queued(void);
void storm_timers_print(FILE *f);
void storm_timers_json(FILE *f);

/* Cleanup handlers (cleanup.c): run from the target's cleanup handler. */
void storm_cleanup_probe(struct storm_slot *s);

/* Threads created mid-op (children.c).  spawn: by the target, with its
 * current mask; cancel: the slot's child, if any; reap: cancel it if not
 * yet and join it, counting it lost when it does not end within
 * STORM_JOIN_MS of its cancel (budget_ms may cut the wait short: then it
 * is left unjudged). */
int storm_child_spawn(struct storm_slot *s, int op);
void storm_child_cancel(struct storm_slot *s);
void storm_child_reap(struct storm_slot *s, int budget_ms);

#endif
