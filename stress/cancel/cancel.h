/* SPDX-License-Identifier: MIT */
/*
 * cancel.h - who cancels the targets, and the signals that disturb them.
 *
 *   cancellers.c  canceller threads: batches of cancels, bounded joins,
 *                 refilled slots
 *   timer.c       cancels sent from a POSIX timer's signal handler
 *   fuzzy.c       cancels aimed at a calibrated offset into the call
 *   signals.c     the noise before a cancel and the unrelated signal
 *                 bursts (one of them leaves the op by siglongjmp), with
 *                 what the targets' cleanup asks of them
 *   bare.c        --bare: the create/cancel/join ceiling alone
 */
#ifndef STORM_CANCEL_H
#define STORM_CANCEL_H

#include "storm.h"

/* Cancellers (cancellers.c). */
int storm_cancellers_start(void);
void storm_cancellers_join(void);
void storm_spin(uint64_t n);

/* Join th by `end` (storm_now() time).  While owed(arg) says cancels are
 * still owed (made again, they returned EAGAIN once more: libcp with the
 * real-time queue full publishes the request but cannot send its signal,
 * and its caller must call again), the wait goes in slices of a few
 * milliseconds with owed() between them.  0 joined, 1 not. */
int storm_join_resending(pthread_t th, double end, int (*owed)(void *),
			 void *arg, void **ret);
/* A cancel of th that returned *err: made again when that was EAGAIN;
 * 1 when it is still owed. */
int storm_resend(const struct backend *be, pthread_t th, int *err);

/* A cancel sent and not yet joined: one per batch entry of a canceller,
 * each with its POSIX timer (timer.c) delivered to the canceller thread
 * itself. */
struct storm_pending {
	struct storm_slot *slot;
	enum storm_how how;
	double t0;               /* cancel sent */
	volatile int fired;      /* timer handler has cancelled */
	int err;                 /* what the backend's cancel returned */
	int has_timer;
	timer_t timer;
};
int storm_timer_install(void);
int storm_timer_create(struct storm_pending *p);
void storm_timer_arm(struct storm_pending *p, long ns);
void storm_timer_settle(struct storm_pending *p);   /* fired or cancel now */
void storm_timer_delete(struct storm_pending *p);

/* Wait for the target's next call to begin, then cancel at a fraction of
 * that op's measured length that sweeps across [0, 1.25) (fuzzy.c). */
int storm_fuzzy_cancel(struct storm_slot *s, unsigned *sweep);

/* Signals (signals.c): the noise before a cancel, and the unrelated storm
 * of several signals, SA_RESTART and not, nesting. */
int storm_noise_install(void);
void storm_noise_bind(struct storm_slot *s);   /* by the target itself */
void storm_noise_send(struct storm_slot *s);
void storm_signals_burst(struct storm_slot *s, uint64_t *rng);
int storm_noise_active(void);      /* a storm handler runs, not in its cp */
int storm_noise_in_cp(void);       /* a storm handler's own cp runs */
int storm_in_storm_handler(void);  /* either: a storm handler runs */
int storm_eintr_excused(void);     /* a non-SA_RESTART handler ran */
void storm_eintr_reset(void);
unsigned storm_handlers_entered(void);   /* by this thread, so far */

/* --bare: the create/cancel/join loop alone (bare.c).  Exit status. */
int storm_bare(const struct storm_config *c);

#endif
