/* SPDX-License-Identifier: MIT */
/*
 * pressure.h - resources running out while the storm runs.
 *
 * A cancellation design that works with resources to spare can still lose
 * a request when they run out: the re-raise of a request fails when the
 * real-time signal queue is at RLIMIT_SIGPENDING, a retry timer cannot be
 * created, an accept4 or openat fails with EMFILE, a thread cannot be
 * created.  A controller thread (controller.c) applies the configured
 * kinds in windows (seeded lengths: off, then on, part of the time), each
 * window a random non-empty subset of the kinds, and tightens them every
 * few milliseconds while the window lasts:
 *
 *   sigqueue  this process's RLIMIT_SIGPENDING lowered to the queue's
 *             current count plus a few, which a filler then queues: a
 *             real-time signal sent by tgkill fails with EAGAIN
 *   fds       RLIMIT_NOFILE lowered to the lowest free descriptor plus a
 *             few: EMFILE in openat, accept4, socket; recvmsg drops the
 *             descriptor it carries (MSG_CTRUNC)
 *   threads   RLIMIT_AS lowered to the address space in use plus a little,
 *             that little reserved (PROT_NONE, never a stack: kinds.c says
 *             why), and idle threads take the C library's cached stacks until
 *             no thread can be created: pthread_create fails (EAGAIN)
 *   timers    RLIMIT_SIGPENDING lowered to the queue's count: timer_create
 *             fails with EAGAIN (so do real-time signals: both draw on the
 *             same limit)
 *
 * Only this process's limits are lowered, so other processes of the same
 * user keep theirs (the queue count is per user: the filler adds a few).
 * What an op sees under pressure is an outcome, counted per op
 * (op_resource_failed), never a storm error; a violation's detail says
 * which kinds were active.
 */
#ifndef STORM_PRESSURE_H
#define STORM_PRESSURE_H

#include "storm.h"

enum {
	STORM_PRESSURE_SIGQUEUE = 1,
	STORM_PRESSURE_FDS = 2,
	STORM_PRESSURE_THREADS = 4,
	STORM_PRESSURE_TIMERS = 8,
	STORM_PRESSURE_ALL = 15,
};

/* "all", "none", or names joined by commas: 0 with *kinds set, or -1
 * with a one-line reason in why. */
int storm_pressure_parse(const char *text, unsigned *kinds, char *why,
			 size_t len);
/* "sigqueue,fds", "all" or "none" (for the command line and record), or
 * with an empty buffer for none (violations). */
void storm_pressure_format(unsigned kinds, char *buf, size_t len);
void storm_pressure_names(unsigned kinds, char *buf, size_t len);

/* The controller: started with the cancellers when storm.cfg->pressure is
 * not 0; stop releases every limit (back to the run's own) before the
 * stop phase and the final accounting. */
int storm_pressure_start(void);
void storm_pressure_stop(void);

/* The kinds active right now (0 outside a window). */
unsigned storm_pressure_active(void);
/* Counts each window's start and its release (after every kind let go:
 * the hogs joined, the limits back): odd from the first apply until the
 * last release.  A reading that sees the same even epoch before and after
 * saw no window at all. */
unsigned storm_pressure_epoch(void);

void storm_pressure_print(FILE *f);
void storm_pressure_json(FILE *f);

#endif
