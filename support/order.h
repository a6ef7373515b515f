/*
 * order.h - the cleanup-order cases' shared driver (C and C++ targets).
 *
 * A target body pushes its cleanup handlers (or builds C++ objects),
 * noting each one's run in an ordered log, and then calls order_block(),
 * the cancellation point.  The driver runs the body once per way a
 * cancellation can act: the request pending before the call (inline
 * check), the call blocked in read (the cancel signal's handler), the call
 * blocked in poll (the kernel ends it with EINTR); it holds a TSD value
 * whose destructor notes 'T', joins, and compares the log with the one
 * expected.
 */
#ifndef SUPPORT_ORDER_H
#define SUPPORT_ORDER_H

#include "blockers.h"

#ifdef __cplusplus
extern "C" {
#endif

struct order_run {
	struct blocked_run br;     /* be, the blocker and its pipe */
	int pending_first;         /* request made before the call */
	volatile int go;
	volatile int returned;
	volatile int n;
	char log[32];
};

/* Append c to r's log (async-signal-safe). */
void order_note(struct order_run *r, char c);

/* The cancellation point: never returns when the cancellation acts. */
long order_block(struct order_run *r);

/* Run body(r) in a thread once per way of acting and collect findings in
 * bad ("" when every log was `want` + "T" and every join returned
 * PTHREAD_CANCELED).  Setup failures end the case with ERROR. */
void order_check_all(const struct backend *be, void *(*body)(void *),
		     const char *want, char *bad, size_t len);

#ifdef __cplusplus
}
#endif
#endif
