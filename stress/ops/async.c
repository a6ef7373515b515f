/* SPDX-License-Identifier: MIT */
/*
 * async.c - the one op with the asynchronous cancellation type: a compute
 * loop with it switched on, as a program makes a long computation
 * cancellable.  A cancellation that lands in the loop acts at once, from
 * the cancel signal's handler, in every backend; the storm sees whether it
 * does (a thread that never exits is lost), and libcp's coverage counts
 * the landing as "async".  The loop calls nothing, so nothing in it can be
 * interrupted half-way to a leak; the type switches are async-cancel-safe
 * (POSIX).
 *
 * The storm's own signals are held off around the loop: asynchronous type
 * may act inside a handler that interrupted the loop, which the storm's
 * inside-a-handler oracle is right to call a defect everywhere else.  The
 * real-time signals, where the backends' cancel signals are, stay open;
 * a thread cancelled in the loop gets its mask back in its cleanup.
 */
#define _GNU_SOURCE
#include "ops/op_fns.h"
#include "rng.h"

#include <signal.h>

#define STORM_ASYNC_SPIN_MAX 200000  /* iterations: up to a few hundred us */

/* Cancelled in the loop: the thread's cleanup sees its own mask again. */
static void storm_restore_mask(void *old_mask)
{
	pthread_sigmask(SIG_SETMASK, old_mask, NULL);
}

void op_async_spin(const struct backend *be, uint64_t *rng)
{
	unsigned n = (unsigned)storm_rng_below(rng, STORM_ASYNC_SPIN_MAX);
	sigset_t classic, old_mask;
	int old;

	sigfillset(&classic);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigdelset(&classic, sig);
	pthread_sigmask(SIG_BLOCK, &classic, &old_mask);
	pthread_cleanup_push(storm_restore_mask, &old_mask);
	storm_call_begin();
	be->setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
	for (volatile unsigned i = 0; i < n; i++)
		;
	be->setcanceltype(old, NULL);
	storm_call_end();
	pthread_cleanup_pop(1);
}
