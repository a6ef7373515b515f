/* SPDX-License-Identifier: MIT */
/*
 * verdict.h - how a case reports.
 *
 * Exit status (liburing/kselftest style): 0 pass, 1 fail, 2 error (the
 * setup broke: the case could not force its interleaving, so it says
 * nothing about the backend), 77 skip (something the case needs is
 * missing; the reason is the detail).  Exactly one verdict line goes to
 * stdout, last:
 *
 *   verdict=<pass|fail|error|skip> case=<name> backend=<name> [key=value ...] detail=<text>
 *
 * key=value pairs carry measurements (latency_us=...); detail runs to the
 * end of the line.  runner/cpstorm parses this line.
 */
#ifndef SUPPORT_VERDICT_H
#define SUPPORT_VERDICT_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

enum verdict {
	VERDICT_PASS = 0,
	VERDICT_FAIL = 1,
	VERDICT_ERROR = 2,
	VERDICT_SKIP = 77,
};

/* Identify the running case for every later verdict line. */
void verdict_begin(const char *case_name, const char *backend_name);

/* ctest mode (--expect): the exit status is 0 when the verdict is `v`
 * (or, with any=1, pass or fail), 1 otherwise; skip and error keep 77 and
 * 2.  The printed verdict is always the real one. */
void verdict_expect(enum verdict v, int any);

/* Add a measurement printed as key=value before detail. */
void verdict_metric(const char *key, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Collect one finding into buf, "; "-separated; an empty one is skipped.
 * For cases that try several variants and report all that went wrong. */
void verdict_append(char *buf, size_t len, const char *finding);

/* Print the verdict line and exit with the verdict's status.
 * Async-signal-unsafe; call from the main thread or the watchdog. */
_Noreturn void verdict_exit(enum verdict v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Bounded waits: poll `cond(arg)` every 100 us up to `timeout_ms`.  This
 * is waiting for a state (LTP style), not sleeping for synchronisation.
 * Returns 1 when the condition became true, 0 on timeout.
 */
int wait_until(int (*cond)(void *arg), void *arg, int timeout_ms);

/*
 * Watchdog: if the case has not called verdict_exit() within `seconds`,
 * a helper thread prints a diagnosis of thread `tid` (task_diagnose) and
 * exits with verdict `on_timeout` (FAIL for "the backend hung", ERROR for
 * "the harness hung").  A hang thus always ends as a verdict.
 */
void watchdog_start(int seconds, pid_t tid, enum verdict on_timeout,
		    const char *what);

/* Point the watchdog's diagnosis at another thread (e.g. once the target
 * thread exists). */
void watchdog_watch(pid_t tid);

#endif
