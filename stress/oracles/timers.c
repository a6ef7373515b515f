/* SPDX-License-Identifier: MIT */
/*
 * timers.c - timers_leaked and signals_queued: nothing left ticking or
 * queued once every thread is gone.
 *
 * A design that retries a declined request with a per-thread POSIX timer
 * must delete the timer when the thread ends, however it ends; one that
 * re-raises a request must not leave the signal queued where nobody takes
 * it.  A leaked timer keeps a slot of RLIMIT_SIGPENDING (the kernel
 * preallocates its signal), so a long-running program runs out of timers
 * and real-time signals.
 *
 * Judged, against a baseline taken before the targets start and read again
 * once every target, child and canceller is joined: the POSIX timers of
 * /proc/self/timers (by ID), and the signals pending for the process
 * (ShdPnd) or for its main thread (SigPnd; a target that never ended keeps
 * its own).  SigQ of
 * /proc/self/status is reported beside them, not judged: it counts every
 * queued signal and timer of the user, so other processes of the same user
 * move it.  A leaked timer is described with the thread its signal was
 * meant for, and that thread's slot and the op it was cancelled in
 * (noted by every target's cleanup handler, storm_timers_note_end).
 */
#define _GNU_SOURCE
#include "oracles/oracles.h"
#include "account/account.h"
#include "ops/ops.h"

#include <procfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STORM_TIMERS_MAX 4096
#define STORM_TIMERS_SHOWN 4
#define STORM_ENDS 65536          /* threads remembered, by tid */

/* How each target thread ended, by tid (a later thread with a colliding
 * tid overwrites: the description then names that one). */
static struct storm_end {
	pid_t tid;
	int op;
	unsigned slot;
} ends[STORM_ENDS];

struct storm_timer_set {
	unsigned n;
	long id[STORM_TIMERS_MAX];
};

static struct storm_timer_set before, after;
static uint64_t pending_before, pending_after;
static long sigq_before = -1, sigq_after = -1;
static uint64_t leaked_timers;
static char shown[STORM_TIMERS_SHOWN][240];
static unsigned nshown;

static int storm_timer_known(const struct storm_timer_set *s, long id)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->id[i] == id)
			return 1;
	return 0;
}

void storm_timers_note_end(const struct storm_slot *s)
{
	struct storm_end *e = &ends[(unsigned)s->tid % STORM_ENDS];

	e->op = s->op;
	e->slot = s->index;
	__atomic_store_n(&e->tid, s->tid, __ATOMIC_RELEASE);
}

/* "timer 7 notify: signal/tid.1234 (slot 12, cancelled in op poll)" */
static void storm_timer_describe(char *buf, const char *timer,
				 const char *notify)
{
	const char *t = strstr(notify, "tid.");
	int tid = t ? atoi(t + 4) : 0;
	const struct storm_end *e = &ends[(unsigned)tid % STORM_ENDS];

	if (tid && __atomic_load_n(&e->tid, __ATOMIC_ACQUIRE) == tid)
		snprintf(buf, sizeof *shown, "%s %s (target of slot %u, "
			 "cancelled in op %s)", timer, notify, e->slot,
			 e->op >= 0 ? storm_ops[e->op].name : "- (between ops)");
	else
		snprintf(buf, sizeof *shown, "%s %s", timer, notify);
}

/* /proc/self/timers: "ID: n", then "signal: s/...", "notify: kind/who",
 * "ClockID: c" per timer.  With `base`, the timers not in it are counted
 * as leaked and the first few described. */
static void storm_timers_read(struct storm_timer_set *s,
			      const struct storm_timer_set *base)
{
	FILE *f = fopen("/proc/self/timers", "r");
	char line[128], desc[96] = "";
	long id = -1;
	int fresh = 0;

	s->n = 0;
	while (f && fgets(line, sizeof line, f)) {
		if (sscanf(line, "ID: %ld", &id) == 1) {
			fresh = base && !storm_timer_known(base, id);
			if (s->n < STORM_TIMERS_MAX)
				s->id[s->n++] = id;
			leaked_timers += fresh;
			snprintf(desc, sizeof desc, "timer %ld", id);
		} else if (fresh && !strncmp(line, "notify:", 7)) {
			line[strcspn(line, "\n")] = 0;
			if (nshown < STORM_TIMERS_SHOWN)
				storm_timer_describe(shown[nshown++], desc, line);
		}
	}
	if (f)
		fclose(f);
}

/* Signals pending for the process, or for its main thread (this one:
 * the baseline and the final reading are both made by main). */
static uint64_t storm_pending_now(void)
{
	uint64_t shared = 0, own = 0;

	proc_sigshared(&shared);
	task_sigpending((pid_t)syscall(SYS_gettid), &own);
	return shared | own;
}

void storm_timers_baseline(void)
{
	storm_timers_read(&before, NULL);
	pending_before = storm_pending_now();
	sigq_before = proc_status_number("SigQ");
}

void storm_timers_final(void)
{
	storm_timers_read(&after, &before);
	pending_after = storm_pending_now();
	sigq_after = proc_status_number("SigQ");
}

uint64_t storm_timers_leaked(void)
{
	return leaked_timers;
}

uint64_t storm_signals_queued(void)
{
	return (uint64_t)__builtin_popcountll(pending_after & ~pending_before);
}

void storm_timers_print(FILE *f)
{
	char names[200];

	storm_mask_names(pending_after & ~pending_before, names, sizeof names);
	fprintf(f, "storm: timers and queued signals once every thread was "
		"joined: %llu POSIX timer(s) left (%u before, %u after); "
		"signals left pending: %s; SigQ (per user, not judged) %ld -> "
		"%ld\n", (unsigned long long)leaked_timers, before.n, after.n,
		pending_after & ~pending_before ? names : "none", sigq_before,
		sigq_after);
	for (unsigned i = 0; i < nshown; i++)
		fprintf(f, "storm:   left: %s\n", shown[i]);
}

void storm_timers_json(FILE *f)
{
	char names[200];

	storm_mask_names(pending_after & ~pending_before, names, sizeof names);
	fprintf(f, "\"timers\":{\"before\":%u,\"after\":%u,\"sigq_before\":%ld,"
		"\"sigq_after\":%ld,\"pending_left\":", before.n, after.n,
		sigq_before, sigq_after);
	storm_json_string(f, pending_after & ~pending_before ? names : "");
	fputs(",\"left\":[", f);
	for (unsigned i = 0; i < nshown; i++) {
		fputs(i ? "," : "", f);
		storm_json_string(f, shown[i]);
	}
	fputs("]}", f);
}
