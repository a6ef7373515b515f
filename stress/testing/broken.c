/* SPDX-License-Identifier: MIT */
/*
 * broken.c - libcp's default strategy with one defect added on purpose,
 * per oracle, for the storm's test build only (testing.h).  Each defect
 * is the kind the oracle exists for, made certain instead of rare:
 *
 *   broken:mask          poll returns with a signal left blocked
 *   broken:timers        poll creates a POSIX timer and never deletes it
 *   broken:cleanup-eintr a cancel starts a timer that keeps signalling its
 *                        target until after its cleanup handlers (a retry
 *                        that outlives the request)
 *   broken:children      the first pause() is no cancellation point (a
 *                        raw wait), so the child that waits in it cannot
 *                        be cancelled
 *   broken:escape        poll arms a timer for the call and deletes it on
 *                        return, so a call left by siglongjmp leaks it
 *   broken:memory        every cancel maps a few KiB and never unmaps them
 *                        (a request record nobody frees)
 */
#define _GNU_SOURCE
#include "testing/testing.h"

#include <procfs.h>
#include <sched.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define BROKEN_BASE "cp:reraise"
#define BROKEN_TIMERS 8              /* timers broken:timers leaks */
#define BROKEN_TARGETS 4096
/* What broken:memory loses a cancel (address space, one page touched):
 * enough that an aarch64 TCG guest's few dozen cancellations a second pass
 * the growth thresholds (4 MiB and 10% over the judged span) within the
 * check's run. */
#define BROKEN_LEAK_BYTES 65536

static const struct backend *base;
static struct backend broken;

/* A signal nobody else uses, with a handler that does nothing. */
static int broken_signal(void)
{
	return SIGRTMIN + 12;
}

static void broken_handler(int sig)
{
	(void)sig;
}

/* ---- mask ----------------------------------------------------------- */

static int mask_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	int r = base->poll(fds, n, timeout), err = errno;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, broken_signal());
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	errno = err;
	return r;
}

/* ---- timers --------------------------------------------------------- */

static int leaked;

static int broken_timer(timer_t *t)
{
	struct sigevent sev;

	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = broken_signal();
#ifdef sigev_notify_thread_id
	sev.sigev_notify_thread_id = gettid();
#else
	sev._sigev_un._tid = gettid();
#endif
	return timer_create(CLOCK_MONOTONIC, &sev, t);   /* never armed */
}

static int timers_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	timer_t t;

	if (__atomic_fetch_add(&leaked, 1, __ATOMIC_RELAXED) < BROKEN_TIMERS)
		broken_timer(&t);
	return base->poll(fds, n, timeout);
}

/* ---- cleanup-eintr -------------------------------------------------- */

/* Each target makes, on its first poll, a POSIX timer aimed at itself; a
 * cancel starts it ticking every BROKEN_TICK_NS, and it is deleted only by
 * a TSD destructor, which runs after the cleanup handlers: a retry timer
 * that outlives the request it was for.  Where timers are coarse (a guest
 * without high-resolution timers expires the tick and the cleanup's short
 * sleep together), a watcher also signals a cancelled target it finds
 * asleep in nanosleep (/proc).  No locks: the storm also cancels from a
 * timer's signal handler.  A cancel finds its target's record by
 * pthread_t in a table (a slot two live threads share by hash is the
 * later one's: the earlier then goes unsignalled). */
#define BROKEN_TICK_NS 50000

struct broken_target {
	pthread_t th;
	pid_t tid;
	timer_t timer;
	volatile int cancelled;
	volatile int gone;      /* its timer deleted: the thread ended */
};

static struct broken_target *targets[BROKEN_TARGETS];
static pthread_key_t broken_key;

static struct broken_target **broken_slot(pthread_t th)
{
	return &targets[((uintptr_t)th / 64) % BROKEN_TARGETS];
}

/* Records are never freed: a cancel may still hold one when its thread
 * ends (a timer_t read from freed memory made glibc's timer_settime
 * dereference garbage).  A few bytes per target of a short test run. */
static void broken_timer_gone(void *p)
{
	struct broken_target *t = p;

	__atomic_store_n(&t->gone, 1, __ATOMIC_SEQ_CST);
	timer_delete(t->timer);
}

static int eintr_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct broken_target *t;

	if (!pthread_getspecific(broken_key) && (t = calloc(1, sizeof *t))) {
		if (broken_timer(&t->timer)) {
			free(t);
		} else {
			t->th = pthread_self();
			t->tid = gettid();
			pthread_setspecific(broken_key, t);
			__atomic_store_n(broken_slot(t->th), t, __ATOMIC_RELEASE);
		}
	}
	return base->poll(fds, n, timeout);
}

static int eintr_cancel(pthread_t th)
{
	struct broken_target *t = __atomic_load_n(broken_slot(th),
						  __ATOMIC_ACQUIRE);
	struct itimerspec tick = { { 0, BROKEN_TICK_NS }, { 0, BROKEN_TICK_NS } };
	int r = base->cancel(th);

	/* A timer deleted just after the check: EINVAL, harmless. */
	if (t && pthread_equal(t->th, th) &&
	    !__atomic_load_n(&t->gone, __ATOMIC_SEQ_CST)) {
		timer_settime(t->timer, 0, &tick, NULL);
		__atomic_store_n(&t->cancelled, 1, __ATOMIC_SEQ_CST);
	}
	return r;
}

/* The watcher: a cancelled, live target asleep in nanosleep (its cleanup
 * handler's probe: the storm's ops here are polls) gets the signal. */
static void *broken_watcher(void *p)
{
	(void)p;
	for (;;) {
		for (unsigned i = 0; i < BROKEN_TARGETS; i++) {
			struct broken_target *t =
				__atomic_load_n(&targets[i], __ATOMIC_ACQUIRE);

			if (t && t->cancelled && !t->gone &&
			    task_syscall(t->tid) == SYS_nanosleep)
				syscall(SYS_tgkill, getpid(), t->tid,
					broken_signal());
		}
		sched_yield();
	}
	return NULL;
}

/* ---- children ------------------------------------------------------- */

static int children_broken;

/* ppoll with no descriptors and no timeout: waits for a signal, as pause
 * does, on every arch (some have no pause syscall). */
static int children_pause(void)
{
	if (!__atomic_exchange_n(&children_broken, 1, __ATOMIC_RELAXED))
		return (int)syscall(SYS_ppoll, NULL, 0, NULL, NULL, 0);
	return base->pause();
}

/* ---- escape --------------------------------------------------------- */

static int escape_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	int r, err;
	timer_t t;
	int made = broken_timer(&t) == 0;

	r = base->poll(fds, n, timeout);
	err = errno;
	if (made)
		timer_delete(t);   /* not reached when the call is left */
	errno = err;
	return r;
}

/* ---- memory --------------------------------------------------------- */

/* mmap, not malloc: the storm also cancels from a timer's signal
 * handler.  Written to, so it is memory, not only address space. */
static int memory_cancel(pthread_t th)
{
	char *p = mmap(NULL, BROKEN_LEAK_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED)
		p[0] = 1;
	return base->cancel(th);
}

/* ---- the table ------------------------------------------------------ */

static void broken_setup(void)
{
	struct sigaction sa;
	char err[256];

	if (!(base = backend_open(BROKEN_BASE, err, sizeof err))) {
		fprintf(stderr, "cpstorm-storm: %s\n", err);
		exit(2);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = broken_handler;
	sigaction(broken_signal(), &sa, NULL);
	broken = *base;
}

const struct backend *storm_test_backend(const char *name, char *err,
					 size_t len)
{
	pthread_t th;

	(void)err;
	(void)len;
	if (strncmp(name, "broken:", 7))
		return NULL;
	broken_setup();
	if (!strcmp(name, "broken:mask"))
		broken.poll = mask_poll;
	else if (!strcmp(name, "broken:timers"))
		broken.poll = timers_poll;
	else if (!strcmp(name, "broken:cleanup-eintr")) {
		broken.poll = eintr_poll;
		broken.cancel = eintr_cancel;
		pthread_key_create(&broken_key, broken_timer_gone);
		if (pthread_create(&th, NULL, broken_watcher, NULL) == 0)
			pthread_detach(th);
	} else if (!strcmp(name, "broken:children"))
		broken.pause = children_pause;
	else if (!strcmp(name, "broken:escape"))
		broken.poll = escape_poll;
	else if (!strcmp(name, "broken:memory"))
		broken.cancel = memory_cancel;
	else {
		fprintf(stderr, "cpstorm-storm: no test backend '%s' (broken:mask, "
			"broken:timers, broken:cleanup-eintr, broken:children, "
			"broken:escape, broken:memory)\n", name);
		exit(2);
	}
	broken.name = name;
	return &broken;
}
