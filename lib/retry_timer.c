/* SPDX-License-Identifier: MIT */
/*
 * retry_timer.c - the "timer" strategy's retry: a per-thread timer that
 * re-sends the request until it can act.
 *
 * When the handler must decline (another handler runs on top of the
 * cancellation point), it arms a per-thread POSIX timer that sends the
 * cancel signal to this thread every millisecond; each tick asks the
 * handler again, until the PC is back inside the window and the request
 * acts.  Armed and disarmed from the signal handler, so raw syscalls only
 * (timer_create/settime/delete are async-signal-safe as syscalls; glibc's
 * wrappers are not documented as such).
 */
#define _GNU_SOURCE
#include "cp_internal.h"
#include "cp_arch.h"

#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#define CP_RETRY_NS 1000000L

int cp_retry_start(struct cp_thread *t)
{
	struct sigevent sev;
	struct itimerspec its = {
		.it_interval = { 0, CP_RETRY_NS },
		.it_value = { 0, CP_RETRY_NS },
	};
	int id;

	if (t->retry_armed)
		return 0;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = cp_sig;
	/* musl (and glibc from 2.41) name the target thread
	 * sigev_notify_thread_id; older glibc only has the union member. */
#ifdef sigev_notify_thread_id
	sev.sigev_notify_thread_id =
#else
	sev._sigev_un._tid =
#endif
		(pid_t)t->tid;
	/* timer_create preallocates the timer's signal, which counts against
	 * RLIMIT_SIGPENDING: with the queue full it fails (EAGAIN), and the
	 * caller falls back to the re-raise, which cannot fail. */
	if (cp_arch_syscall6(SYS_timer_create, CLOCK_MONOTONIC, (long)&sev,
			     (long)&id, 0, 0, 0))
		return -1;
	t->retry_timer = id;
	t->retry_armed = 1;
	cp_arch_syscall6(SYS_timer_settime, id, 0, (long)&its, 0, 0, 0);
	return 0;
}

/* After timer_delete no tick of this timer is queued any more (the kernel
 * waits for a running expiry), and one already queued is delivered on the
 * way back from the syscall if the signal is not blocked: stopping is
 * complete when this returns. */
void cp_retry_stop(struct cp_thread *t)
{
	if (!t->retry_armed)
		return;
	t->retry_armed = 0;
	cp_arch_syscall6(SYS_timer_delete, t->retry_timer, 0, 0, 0, 0, 0);
}
