/* SPDX-License-Identifier: MIT */
/*
 * broken.c - libcp's default strategy with one defect added on purpose,
 * per oracle, for the storm's test build only (testing.h).  Each defect
 * is the kind the oracle exists for, made certain instead of rare:
 *
 *   broken:mask          poll returns with a signal left blocked
 *   broken:timers        poll creates a POSIX timer and never deletes it
 *   broken:cleanup-eintr a cancel keeps signalling its target for a while
 *                        after it acted (a retry that outlives the request)
 *   broken:children      the first pause() is no cancellation point (a
 *                        raw wait), so the child that waits in it cannot
 *                        be cancelled
 *   broken:escape        poll arms a timer for the call and deletes it on
 *                        return, so a call left by siglongjmp leaks it
 */
#define _GNU_SOURCE
#include "testing/testing.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define BROKEN_BASE "cp:reraise"
#define BROKEN_TIMERS 8              /* timers broken:timers leaks */
#define BROKEN_PESTER_MS 20          /* how long a cancel keeps signalling */
#define BROKEN_PESTER_SLOTS 4096

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

/* Targets register their tid on their first poll, so that a cancel,
 * which names a pthread_t, can find whom to signal.  No locks: the storm
 * also cancels from a timer's signal handler.  A slot two threads share
 * by hash is the later one's (some targets then go unpestered). */
struct broken_target {
	pthread_t th;
	pid_t tid;
	uint64_t until_ns;      /* keep signalling it until then */
};

static struct broken_target targets[BROKEN_PESTER_SLOTS];
static __thread int registered;

static uint64_t broken_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static struct broken_target *broken_slot(pthread_t th)
{
	return &targets[((uintptr_t)th / 64) % BROKEN_PESTER_SLOTS];
}

static int eintr_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct broken_target *t = broken_slot(pthread_self());

	if (!registered) {
		__atomic_store_n(&t->until_ns, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&t->tid, gettid(), __ATOMIC_RELEASE);
		__atomic_store_n(&t->th, pthread_self(), __ATOMIC_RELEASE);
		registered = 1;
	}
	return base->poll(fds, n, timeout);
}

static int eintr_cancel(pthread_t th)
{
	struct broken_target *t = broken_slot(th);
	int r = base->cancel(th);

	if (pthread_equal(__atomic_load_n(&t->th, __ATOMIC_ACQUIRE), th))
		__atomic_store_n(&t->until_ns, broken_now_ns() +
				 BROKEN_PESTER_MS * 1000000ULL, __ATOMIC_RELEASE);
	return r;
}

/* Signals every recently cancelled target every few tens of
 * microseconds, as a retry timer left armed after its request acted
 * would. */
static void *broken_pester(void *p)
{
	(void)p;
	for (;;) {
		struct timespec ts = { 0, 20000 };
		uint64_t now = broken_now_ns();

		for (unsigned i = 0; i < BROKEN_PESTER_SLOTS; i++)
			if (__atomic_load_n(&targets[i].until_ns,
					    __ATOMIC_ACQUIRE) > now)
				syscall(SYS_tgkill, getpid(),
					__atomic_load_n(&targets[i].tid,
							__ATOMIC_ACQUIRE),
					broken_signal());
		nanosleep(&ts, NULL);
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
		if (pthread_create(&th, NULL, broken_pester, NULL) == 0)
			pthread_detach(th);
	} else if (!strcmp(name, "broken:children"))
		broken.pause = children_pause;
	else if (!strcmp(name, "broken:escape"))
		broken.poll = escape_poll;
	else {
		fprintf(stderr, "cpstorm-storm: no test backend '%s' (broken:mask, "
			"broken:timers, broken:cleanup-eintr, broken:children, "
			"broken:escape)\n", name);
		exit(2);
	}
	broken.name = name;
	return &broken;
}
