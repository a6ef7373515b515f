/* SPDX-License-Identifier: MIT */
/*
 * timer.c - cancels sent from a POSIX timer's signal handler.
 *
 * timer_create(CLOCK_MONOTONIC, SIGEV_THREAD_ID) aimed at the canceller
 * thread itself, armed with a random offset in nanoseconds: the cancel
 * then comes from a handler that interrupted whatever the canceller was
 * doing (sending the next cancel, spinning, spawning), at a moment no
 * loop of ours chose.  pthread_cancel is not async-signal-safe by the
 * letter of POSIX; glibc's and libcp's are atomics plus tgkill, and a
 * request made from a signal handler is one an implementation must
 * survive.
 *
 * Whoever swaps `fired` from 0 to 1 sends the cancel: the handler, or
 * settle() when the signal is late.  A late timer is deleted and made
 * again, which drops its pending signal (a stale one would cancel the
 * entry's next slot).
 */
#define _GNU_SOURCE
#include "cancel/cancel.h"

#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define STORM_TIMER_SIG (SIGRTMIN + 4)
#define STORM_TIMER_LATE_S 1.0

static void storm_timer_cancel(struct storm_pending *p)
{
	if (__atomic_exchange_n(&p->fired, 1, __ATOMIC_SEQ_CST))
		return;
	p->t0 = storm_now();
	p->err = storm.cfg->be->cancel(p->slot->th);
}

static void storm_timer_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_code == SI_TIMER && si->si_value.sival_ptr)
		storm_timer_cancel(si->si_value.sival_ptr);
}

int storm_timer_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = storm_timer_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	return sigaction(STORM_TIMER_SIG, &sa, NULL);
}

int storm_timer_create(struct storm_pending *p)
{
	struct sigevent sev;

	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = STORM_TIMER_SIG;
	sev.sigev_value.sival_ptr = p;
	/* musl (and glibc from 2.41) name the target thread
	 * sigev_notify_thread_id; older glibc only has the union member. */
#ifdef sigev_notify_thread_id
	sev.sigev_notify_thread_id = gettid();
#else
	sev._sigev_un._tid = gettid();
#endif
	if (timer_create(CLOCK_MONOTONIC, &sev, &p->timer))
		return -1;
	p->has_timer = 1;
	return 0;
}

void storm_timer_arm(struct storm_pending *p, long ns)
{
	struct itimerspec its = { .it_value = { 0, ns > 0 ? ns : 1 } };

	if (timer_settime(p->timer, 0, &its, NULL))
		storm_timer_cancel(p);
}

/* The handler runs in this thread: a yield (a syscall) gives the kernel
 * a return to user space on which to deliver it. */
void storm_timer_settle(struct storm_pending *p)
{
	double end = storm_now() + STORM_TIMER_LATE_S;

	while (!__atomic_load_n(&p->fired, __ATOMIC_SEQ_CST) && storm_now() < end)
		sched_yield();
	if (__atomic_load_n(&p->fired, __ATOMIC_SEQ_CST))
		return;
	storm_add(&storm.counts.timer_late, 1);
	storm_timer_delete(p);
	storm_timer_cancel(p);
	storm_timer_create(p);
}

void storm_timer_delete(struct storm_pending *p)
{
	if (p->has_timer)
		timer_delete(p->timer);
	p->has_timer = 0;
}
