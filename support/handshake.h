/* SPDX-License-Identifier: MIT */
/*
 * handshake.h - one-shot flags between threads, backed by a futex.
 *
 * flag_wait() uses the raw futex syscall: async-signal-safe, and not a
 * cancellation point in any backend (only an asynchronous cancellation can
 * end it early), which is what a signal handler that must hold a thread
 * needs.
 */
#ifndef SUPPORT_HANDSHAKE_H
#define SUPPORT_HANDSHAKE_H

#include <pthread.h>
#include <time.h>

void flag_set(volatile int *flag);
void flag_wait(volatile int *flag);
int flag_is_set(void *flag);   /* for wait_until() */

/* A signal handler that holds its thread until released, so that a
 * cancellation point sits below a handler for as long as the other side
 * wants: hold.in is set while it runs (a cleanup handler that sees it set
 * was run inside the handler), hold.entered once it started; flag_set
 * (&hold.release) lets it return.  Async-signal-safe.  hold_reset() before
 * each use. */
struct hold {
	volatile int in, entered, release;
};
extern struct hold hold;
void hold_handler(int sig);
void hold_reset(void);

/* The absolute time timeout_ms from now on `clock`. */
struct timespec deadline_in_ms(clockid_t clock, int timeout_ms);

/* pthread_timedjoin_np with a relative bound: 0, or ETIMEDOUT. */
int join_bounded(pthread_t th, void **ret, int timeout_ms);

#endif
