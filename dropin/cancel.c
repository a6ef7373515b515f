/* SPDX-License-Identifier: MIT */
/*
 * cancel.c - pthread_cancel and the cancellation state: libcp's.
 *
 * The C library's own request is never made, so the C library's own
 * cancellation points (those it calls internally: stdio's reads and
 * writes, getaddrinfo's, pclose's wait) are not cancellation points under
 * the drop-in; a request acts at the next interposed one.
 */
#define _GNU_SOURCE
#include "dropin.h"

#include <cp.h>
#include <pthread.h>

CP_DROPIN int pthread_cancel(pthread_t t)
{
	return cp_cancel(t);
}

CP_DROPIN void pthread_testcancel(void)
{
	cp_testcancel();
}

CP_DROPIN int pthread_setcancelstate(int state, int *old)
{
	return cp_setcancelstate(state, old);
}

CP_DROPIN int pthread_setcanceltype(int type, int *old)
{
	return cp_setcanceltype(type, old);
}

/* libcp's constructor has run (a needed library initialises first); its
 * handler is installed, so from now on the signal is guarded. */
__attribute__((constructor)) static void cp_dropin_init(void)
{
	cp_signal();
	__atomic_store_n(&cp_dropin_guarding, 1, __ATOMIC_RELEASE);
}
