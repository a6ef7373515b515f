/* SPDX-License-Identifier: MIT */
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
	struct blocked_run br;     /* be, the blocker, its pipe, the target */
	int pending_first;         /* request made before the call */
	volatile int go;
	volatile int n;
	char log[32];
};

/* Append c to r's log (async-signal-safe). */
void order_note(struct order_run *r, char c);

/* The cancellation point: never returns when the cancellation acts. */
long order_block(struct order_run *r);

/* A cleanup-order case's main: parse the command line, run body(r) in a
 * thread once per way of acting, and end with the verdict: PASS (with
 * pass_detail) when every log read `want` + "T", the call never returned
 * and every join gave PTHREAD_CANCELED; FAIL listing the ways that did
 * not; ERROR when the setup broke. */
_Noreturn void order_case(int argc, char **argv, const char *case_name,
			  void *(*body)(void *), const char *want,
			  const char *pass_detail);

#ifdef __cplusplus
}
#endif
#endif
