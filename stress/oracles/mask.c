/* SPDX-License-Identifier: MIT */
/*
 * mask.c - mask_violations: a thread's blocked signals are what they were.
 *
 * A cancellation point may block signals for its own purposes (the new
 * approach re-raises its signal with itself blocked while an unrelated
 * handler runs on top of the call), but when the call returns, or when
 * the cancellation has acted and the cleanup handlers run in ordinary
 * code, the mask must be the caller's again.  A cancel signal left blocked
 * is invisible to every other check: the thread itself may still be
 * cancelled by a retry, but every thread it creates afterwards inherits
 * the mask and can never be cancelled.
 *
 * Checked: a target's mask when it starts (inherited from its creator, a
 * canceller: the storm's baseline), after each op, and in its cleanup
 * handler.  Cleanup handlers run with the mask of the place the
 * cancellation acted (glibc reaches a C cleanup handler by longjmp, which
 * keeps the mask), so two cases are left out there: a cancellation that
 * acted inside one of the storm's handlers (a cancellation point the
 * handler called: the handler's own mask), and the signals below SIGRTMIN,
 * which the C library keeps for itself (glibc and musl act with their
 * cancel signal blocked and do not pass it on to threads created then).
 * A backend that acts from inside its own handler (cp:async) shows its
 * signal blocked in the cleanup.  The mask is read with the raw
 * rt_sigprocmask, as the kernel has it (a C library may hide its own
 * signals from pthread_sigmask).
 */
#define _GNU_SOURCE
#include "oracles/oracles.h"
#include "cancel/cancel.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint64_t baseline;

uint64_t storm_mask_now(void)
{
	uint64_t m = 0;

	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, sizeof m);
	return m;
}

void storm_mask_baseline(void)
{
	baseline = storm_mask_now();
}

/* The Linux numbering of x86, arm and riscv (asm-generic). */
static const char *const storm_sig_names[32] = {
	NULL, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL",
	"USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD",
	"CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
	"VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
};

/* One signal, for a person: "10 (SIGUSR1)", "63 (SIGRTMIN+29)", and for
 * the real-time signals below SIGRTMIN, which the C library keeps for
 * itself (its cancel signal among them), "32 (C library internal)". */
static size_t storm_sig_name(int sig, char *buf, size_t len)
{
	if (sig < 32)
		return (size_t)snprintf(buf, len, "%d (SIG%s)", sig,
					storm_sig_names[sig]);
	if (sig < SIGRTMIN)
		return (size_t)snprintf(buf, len, "%d (C library internal)", sig);
	return (size_t)snprintf(buf, len, "%d (SIGRTMIN+%d)", sig,
				sig - SIGRTMIN);
}

void storm_mask_names(uint64_t mask, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (int sig = 1; sig <= 64 && used + 2 < len; sig++) {
		if (!(mask & (1ULL << (sig - 1))))
			continue;
		if (used)
			used += (size_t)snprintf(buf + used, len - used, ", ");
		if (used < len)
			used += storm_sig_name(sig, buf + used, len - used);
	}
	if (!used)
		snprintf(buf, len, "none");
}

/* "signal 63 (SIGRTMIN+29) blocked, 10 (SIGUSR1) unblocked" */
static void storm_mask_diff(uint64_t was, uint64_t now, char *buf, size_t len)
{
	char added[120], removed[120];

	storm_mask_names(now & ~was, added, sizeof added);
	storm_mask_names(was & ~now, removed, sizeof removed);
	snprintf(buf, len, "blocked now: %s; unblocked now: %s", added, removed);
}

void storm_mask_start(struct storm_slot *s)
{
	char diff[320];

	s->start_mask = storm_mask_now();
	if (s->start_mask == baseline)
		return;
	storm_add(&storm.counts.mask_violations, 1);
	storm_mask_diff(baseline, s->start_mask, diff, sizeof diff);
	storm_violation("mask_violations", s, -1, "started with its creator's mask "
			"differing from the storm's: %s", diff);
}

/* The C library's own real-time signals, below SIGRTMIN. */
static uint64_t storm_libc_signals(void)
{
	uint64_t m = 0;

	for (int sig = 32; sig < SIGRTMIN; sig++)
		m |= 1ULL << (sig - 1);
	return m;
}

void storm_mask_check(struct storm_slot *s, int op, const char *where)
{
	uint64_t now = storm_mask_now();
	char diff[320];

	if (now == s->start_mask)
		return;
	if (!strcmp(where, "cleanup") &&
	    (storm_in_storm_handler() ||
	     !((now ^ s->start_mask) & ~storm_libc_signals())))
		return;
	storm_add(&storm.counts.mask_violations, 1);
	storm_mask_diff(s->start_mask, now, diff, sizeof diff);
	storm_violation("mask_violations", s, op, "%s: %s", where, diff);
}
