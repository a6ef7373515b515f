/* SPDX-License-Identifier: MIT */
/* handler_run.c - a thread in a cancellation point with a handler on top. */
#define _GNU_SOURCE
#include "handler_run.h"

#include "handshake.h"
#include "procfs.h"
#include "verdict.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void handler_run_cleanup(void *p)
{
	struct handler_run *r = p;

	clock_gettime(CLOCK_MONOTONIC, &r->cleanup_at);
	r->acted_inside = r->must_not_act;
	__atomic_store_n(&r->cleanup_ran, 1, __ATOMIC_SEQ_CST);
}

static void *handler_run_main(void *p)
{
	struct handler_run *r = p;
	int rc = r->prepare ? r->prepare(r) : 0;

	r->prepare_err = rc;
	target_begin(&r->target);
	if (rc)
		return NULL;
	pthread_cleanup_push(handler_run_cleanup, r);
	if (r->body) {
		r->body(r);
	} else {
		target_returned(&r->target, r->be->read(r->pipefd[0], &r->byte, 1));
		r->be->testcancel();
	}
	pthread_cleanup_pop(0);
	return NULL;
}

static int handler_run_in_read(void *p)
{
	return target_in_syscall(&((struct handler_run *)p)->target, SYS_read);
}

int handler_run_start(struct handler_run *r, int wait_blocked, char *why,
		      size_t len)
{
	if (pipe2(r->pipefd, O_CLOEXEC) ||
	    pthread_create(&r->th, NULL, handler_run_main, r)) {
		snprintf(why, len, "setup: %s", strerror(errno));
		return -1;
	}
	if (!wait_until(target_started, &r->target, SETUP_BOUND_MS)) {
		snprintf(why, len, "target thread never started");
		return -1;
	}
	if (r->prepare_err) {
		snprintf(why, len, "target's preparation failed: %s",
			 strerror(-r->prepare_err));
		return -1;
	}
	watchdog_watch(r->tid);
	if (wait_blocked && !wait_until(handler_run_in_read, r, SETUP_BOUND_MS)) {
		snprintf(why, len, "target never blocked in read");
		return -1;
	}
	return 0;
}

int handler_run_settled(void *p)
{
	struct handler_run *r = p;
	uint64_t pending = 0, blocked = 0, other;

	if (__atomic_load_n(&r->cleanup_ran, __ATOMIC_SEQ_CST))
		return 1;
	if (task_sigpending(r->tid, &pending) || task_sigblocked(r->tid, &blocked))
		return 0;
	other = pending & ~r->own_signals;
	return other == 0 || (other & blocked) == other;
}

int handler_run_finish(struct handler_run *r, void **ret)
{
	if (!wait_until(flag_is_set, (void *)&r->cleanup_ran, ACT_BOUND_MS))
		return -1;
	if (join_bounded(r->th, ret, ACT_BOUND_MS))
		verdict_exit(VERDICT_FAIL, "cleanup handler ran but the thread did "
			     "not end within %d s", BOUND_S(ACT_BOUND_MS));
	return 0;
}

void handler_install(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = SA_RESTART;
	if (sigaction(sig, &sa, NULL))
		verdict_exit(VERDICT_ERROR, "sigaction(%d): %s", sig,
			     strerror(errno));
}

void handler_run_unblock(struct handler_run *r)
{
	if (write(r->pipefd[1], "u", 1) != 1)
		return;
}

long handler_run_latency_us(const struct handler_run *r,
			    const struct timespec *from)
{
	return (r->cleanup_at.tv_sec - from->tv_sec) * 1000000L +
	       (r->cleanup_at.tv_nsec - from->tv_nsec) / 1000L;
}
