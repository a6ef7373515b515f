/* SPDX-License-Identifier: MIT */
/*
 * Description: cleanup-order — acting on a cancellation runs the thread's
 * cleanup handlers last-pushed first, across frames, then its TSD
 * destructors, and pthread_join returns PTHREAD_CANCELED; the same
 * whichever way the cancellation acts.
 *
 * The race: a library that acts on a cancellation by some other exit than
 * pthread_exit(PTHREAD_CANCELED) from a context the unwinder can walk (a
 * longjmp, an exit from inside a signal frame without CFI, a raw thread
 * exit) skips or reorders cleanup: locks stay held, memory and fds leak,
 * and the joiner cannot tell a cancelled thread from one that returned.
 * Each acting path of libcp must get it right: the inline check (request
 * pending before the call), the landing pad the cancel signal's handler
 * redirects a blocked call to, the wrapper acting on EINTR, and (async,
 * pcsyscall) pthread_exit from inside the handler through its signal
 * frame.
 *
 * The interleaving (support/order.c): a target thread holds a TSD value,
 * pushes cleanup A in one frame and B, C in a nested one, then either
 * waits (request made, then released: pending before the call), or blocks
 * in read or poll (per /proc) before the request is made.
 *
 * Correct: the log reads C, B, A, then the TSD destructor T; the join
 * value is PTHREAD_CANCELED; the call never returned.  The C++ variant is
 * cleanup-order-cxx.
 */
#define _GNU_SOURCE
#include <order.h>

static void case_note_a(void *p)
{
	order_note(p, 'A');
}

static void case_note_b(void *p)
{
	order_note(p, 'B');
}

static void case_note_c(void *p)
{
	order_note(p, 'C');
}

static __attribute__((noinline)) void case_inner(struct order_run *r)
{
	pthread_cleanup_push(case_note_b, r);
	pthread_cleanup_push(case_note_c, r);
	order_block(r);
	r->br.be->testcancel();
	pthread_cleanup_pop(0);
	pthread_cleanup_pop(0);
}

static void *case_body(void *p)
{
	struct order_run *r = p;

	pthread_cleanup_push(case_note_a, r);
	case_inner(r);
	pthread_cleanup_pop(0);
	return NULL;
}

int main(int argc, char **argv)
{
	order_case(argc, argv, "cleanup-order", case_body, "CBA",
		   "pending, blocked in read, EINTR from poll: cleanups C B A "
		   "(LIFO across frames), then the TSD destructor; joined "
		   "PTHREAD_CANCELED");
}
