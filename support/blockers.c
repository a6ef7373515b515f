/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "blockers.h"

#include "procfs.h"
#include "verdict.h"
#include "sysnr.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long call_poll(struct blocked_run *r)
{
	struct pollfd p = { .fd = r->pipe[0], .events = POLLIN };

	return r->be->poll(&p, 1, -1);
}

static long call_ppoll(struct blocked_run *r)
{
	struct pollfd p = { .fd = r->pipe[0], .events = POLLIN };

	return r->be->ppoll(&p, 1, NULL, NULL);
}

static long call_select(struct blocked_run *r)
{
	fd_set set;

	FD_ZERO(&set);
	FD_SET(r->pipe[0], &set);
	return r->be->select(r->pipe[0] + 1, &set, NULL, NULL, NULL);
}

static long call_pselect(struct blocked_run *r)
{
	fd_set set;

	FD_ZERO(&set);
	FD_SET(r->pipe[0], &set);
	return r->be->pselect(r->pipe[0] + 1, &set, NULL, NULL, NULL, NULL);
}

static long call_epoll_wait(struct blocked_run *r)
{
	struct epoll_event ev;

	return r->be->epoll_wait(r->aux, &ev, 1, -1);
}

static long call_read(struct blocked_run *r)
{
	char c;

	return r->be->read(r->pipe[0], &c, 1);
}

static struct timespec bound_ts(const struct blocked_run *r)
{
	return (struct timespec){ r->bound_ms / 1000,
				  (long)(r->bound_ms % 1000) * 1000000L };
}

/* A sleep cannot be woken by a write: it is bounded instead, and "returns
 * normally" means it ran its full time and returned 0. */
static long call_nanosleep(struct blocked_run *r)
{
	struct timespec ts = bound_ts(r);

	return r->be->nanosleep(&ts, NULL);
}

/* clock_nanosleep returns the error number; made -1/errno like the rest. */
static long call_clock_nanosleep(struct blocked_run *r)
{
	struct timespec ts = bound_ts(r);
	int err = r->be->clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);

	if (!err)
		return 0;
	errno = err;
	return -1;
}

/* The signal that completes sigsuspend, pause and sigtimedwait. */
#define BLOCKER_WAKE_SIG SIGUSR2

static __thread volatile sig_atomic_t blocker_woken;

static void blocker_wake_handler(int sig)
{
	(void)sig;
	blocker_woken = 1;
}

static int prepare_wake_handler(struct blocked_run *r)
{
	struct sigaction sa;

	(void)r;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = blocker_wake_handler;
	return sigaction(BLOCKER_WAKE_SIG, &sa, NULL) ? -errno : 0;
}

/* These always end with -1/EINTR; the normal completion is the one our
 * wake signal caused (0), any other EINTR stays -1. */
static long woken_by_us(long rc)
{
	return rc == -1 && errno == EINTR && blocker_woken ? 0 : rc;
}

static long call_sigsuspend(struct blocked_run *r)
{
	sigset_t mask;

	blocker_woken = 0;
	pthread_sigmask(SIG_BLOCK, NULL, &mask);
	sigdelset(&mask, BLOCKER_WAKE_SIG);
	return woken_by_us(r->be->sigsuspend(&mask));
}

static long call_pause(struct blocked_run *r)
{
	blocker_woken = 0;
	return woken_by_us(r->be->pause());
}

/* Waits for the wake signal, blocked so that it is taken by the wait. */
static long call_sigtimedwait(struct blocked_run *r)
{
	struct timespec ts = bound_ts(r);
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, BLOCKER_WAKE_SIG);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return r->be->sigtimedwait(&set, NULL, &ts);
}

static void unblock_signal(struct blocked_run *r)
{
	syscall(SYS_tgkill, getpid(), r->tid, BLOCKER_WAKE_SIG);
}

static int prepare_epoll(struct blocked_run *r)
{
	struct epoll_event ev = { .events = EPOLLIN };

	r->aux = epoll_create1(EPOLL_CLOEXEC);
	if (r->aux < 0)
		return -errno;
	return epoll_ctl(r->aux, EPOLL_CTL_ADD, r->pipe[0], &ev) ? -errno : 0;
}

static int prepare_listener(struct blocked_run *r)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	r->aux = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r->aux < 0)
		return -errno;
	if (bind(r->aux, (struct sockaddr *)&a, sizeof a) || listen(r->aux, 4))
		return -errno;
	return 0;
}

static long call_accept(struct blocked_run *r)
{
	long fd = r->be->accept4(r->aux, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return fd;
	close((int)fd);
	return 0;
}

static void unblock_connect(struct blocked_run *r)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;

	r->client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r->client < 0 || getsockname(r->aux, (struct sockaddr *)&a, &len) ||
	    connect(r->client, (struct sockaddr *)&a, len))
		return;
}

static long call_futex(struct blocked_run *r)
{
	return r->be->futex_wait(&r->word, 0);
}

static void unblock_futex(struct blocked_run *r)
{
	__atomic_store_n(&r->word, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &r->word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* A child that exits once a byte arrives on the run's pipe. */
static int prepare_child(struct blocked_run *r)
{
	char c;

	r->child = fork();
	if (r->child < 0)
		return -errno;
	if (r->child == 0)
		_exit(read(r->pipe[0], &c, 1) == 1 ? 0 : 1);
	return 0;
}

static long call_wait4(struct blocked_run *r)
{
	int status;
	pid_t pid = r->be->wait4(r->child, &status, 0, NULL);
	long rc = pid == r->child ? 0 : pid;

	if (pid > 0)
		r->child = 0;   /* reaped: blocked_end must not wait again */
	return rc;
}

static void unblock_pipe(struct blocked_run *r)
{
	if (write(r->pipe[1], "u", 1) != 1)
		return;
}

const struct blocker blockers[] = {
	/* EINTR after any handler (signal(7)). */
	{ .name = "poll", .nr = { SYS_poll, SYS_ppoll },
	  .call = call_poll, .unblock = unblock_pipe, .want = 1 },
	{ .name = "ppoll", .nr = { SYS_ppoll, SYS_ppoll },
	  .call = call_ppoll, .unblock = unblock_pipe, .want = 1 },
	{ .name = "select", .nr = { SYS_select, SYS_pselect6 },
	  .call = call_select, .unblock = unblock_pipe, .want = 1 },
	{ .name = "pselect", .nr = { SYS_pselect6, SYS_pselect6 },
	  .call = call_pselect, .unblock = unblock_pipe, .want = 1 },
	{ .name = "epoll_wait", .nr = { SYS_epoll_wait, SYS_epoll_pwait },
	  .call = call_epoll_wait, .unblock = unblock_pipe, .want = 1,
	  .prepare = prepare_epoll },
	{ .name = "sigsuspend", .nr = { SYS_rt_sigsuspend, SYS_rt_sigsuspend },
	  .call = call_sigsuspend, .unblock = unblock_signal, .want = 0,
	  .prepare = prepare_wake_handler },
	{ .name = "pause", .nr = { SYS_pause, SYS_rt_sigsuspend },
	  .call = call_pause, .unblock = unblock_signal, .want = 0,
	  .prepare = prepare_wake_handler },
	{ .name = "sigtimedwait",
	  .nr = { SYS_rt_sigtimedwait, SYS_rt_sigtimedwait },
	  .call = call_sigtimedwait, .unblock = unblock_signal,
	  .want = BLOCKER_WAKE_SIG },
	/* Sleeps (EINTR too): no unblock, they end by themselves after
	 * bound_ms. */
	{ .name = "nanosleep", .nr = { SYS_nanosleep, SYS_clock_nanosleep },
	  .call = call_nanosleep, .want = 0 },
	{ .name = "clock_nanosleep",
	  .nr = { SYS_clock_nanosleep, SYS_clock_nanosleep },
	  .call = call_clock_nanosleep, .want = 0 },
	/* Restarted after an SA_RESTART handler. */
	{ .name = "read", .nr = { SYS_read, SYS_read }, .restarts = 1,
	  .call = call_read, .unblock = unblock_pipe, .want = 1 },
	{ .name = "accept", .nr = { SYS_accept4, SYS_accept }, .restarts = 1,
	  .call = call_accept, .unblock = unblock_connect, .want = 0,
	  .prepare = prepare_listener },
	{ .name = "futex", .nr = { SYS_futex, SYS_futex }, .restarts = 1,
	  .call = call_futex, .unblock = unblock_futex, .want = 0 },
	{ .name = "wait4", .nr = { SYS_wait4, SYS_waitid }, .restarts = 1,
	  .call = call_wait4, .unblock = unblock_pipe, .want = 0,
	  .prepare = prepare_child },
};
const unsigned n_blockers = sizeof blockers / sizeof *blockers;

int blocker_is_blocked(const struct blocker *b, pid_t tid)
{
	long nr = task_syscall(tid);

	return nr == b->nr[0] || nr == b->nr[1];
}

const struct blocker *blocker_find(const char *name)
{
	for (unsigned i = 0; i < n_blockers; i++)
		if (!strcmp(blockers[i].name, name))
			return &blockers[i];
	return NULL;
}

static void *blocked_main(void *p)
{
	struct blocked_run *r = p;

	if (r->disable)
		r->be->setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	target_begin(&r->target);
	target_returned(&r->target, r->b->call(r));
	if (r->disable)
		r->be->setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	r->be->testcancel();
	return NULL;
}

static int blocked_ready(void *p)
{
	struct blocked_run *r = p;

	return r->tid && blocker_is_blocked(r->b, r->tid);
}

int blocked_start(struct blocked_run *r)
{
	r->aux = r->client = -1;
	if (pipe2(r->pipe, O_CLOEXEC)) {
		r->pipe[0] = r->pipe[1] = -1;
		return -1;
	}
	if (r->b->prepare && r->b->prepare(r))
		return -1;
	if (pthread_create(&r->th, NULL, blocked_main, r))
		return -1;
	return wait_until(blocked_ready, r, SETUP_BOUND_MS) ? 0 : -1;
}

static void close_if_open(int fd)
{
	if (fd >= 0)
		close(fd);
}

void blocked_end(struct blocked_run *r)
{
	if (r->child > 0) {
		kill(r->child, SIGKILL);
		waitpid(r->child, NULL, 0);
		r->child = 0;
	}
	close_if_open(r->pipe[0]);
	close_if_open(r->pipe[1]);
	close_if_open(r->aux);
	close_if_open(r->client);
}
