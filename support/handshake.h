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

/* The absolute time timeout_ms from now on `clock`. */
struct timespec deadline_in_ms(clockid_t clock, int timeout_ms);

/* pthread_timedjoin_np with a relative bound: 0, or ETIMEDOUT. */
int join_bounded(pthread_t th, void **ret, int timeout_ms);

#endif
