/* SPDX-License-Identifier: MIT */
/*
 * wait.c - ops that wait without allocating (eventfd, futex,
 * waitpid) or whose waits end by a timeout (poll, epoll_wait, nanosleep,
 * a private timerfd), so targets block everywhere a cancellation may land.
 */
#define _GNU_SOURCE
#include "ops/op_fns.h"
#include "oracles/oracles.h"
#include "rng.h"

#include <errno.h>
#include <signal.h>
#include <sched.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define STORM_WAIT_MAX_MS 200   /* timeouts of poll, epoll, sleeps: long
				 * enough that 10,000 waiting targets do
				 * not keep two cores busy waking up */
#define STORM_CHILD_MAX_US 20000 /* a child's life: each exit walks the
				  * whole shared address space (acct), so
				  * children are few and live a while */
#define STORM_CHILD_STACK 4096

/* A blocking read of the op's own descriptor, which the op holds across
 * the read: a cleanup handler closes it if the read is cancelled. */
static void storm_read_own(const struct backend *be, int fd)
{
	uint64_t v;
	long r;

	if (fd < 0) {
		storm_note_result(fd);
		return;
	}
	pthread_cleanup_push(storm_close_held, &fd);
	storm_call_begin();
	r = be->read(fd, &v, sizeof v);
	storm_call_end();
	storm_note_result(r);
	pthread_cleanup_pop(0);
	storm_release(be, fd);
}

/* The op's own eventfd (a shared one would wake every reader on each
 * write: a herd of thousands).  Half the time it starts at 1 and the read
 * completes at once; otherwise only the cancellation ends it. */
void op_eventfd_read(const struct backend *be, uint64_t *rng)
{
	storm_read_own(be, eventfd((unsigned)storm_rng_below(rng, 2),
				   EFD_CLOEXEC));
}

/* The op's own timerfd, expiring within STORM_WAIT_MAX_MS. */
void op_timerfd_read(const struct backend *be, uint64_t *rng)
{
	struct itimerspec its = { .it_value = {
		0, 1000000 * (1 + (long)storm_rng_below(rng, STORM_WAIT_MAX_MS)) } };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);

	if (fd >= 0)
		timerfd_settime(fd, 0, &its, NULL);
	storm_read_own(be, fd);
}

void op_epoll_wait(const struct backend *be, uint64_t *rng)
{
	struct epoll_event ev;
	long r;

	storm_call_begin();
	r = be->epoll_wait(storm_res.epoll_fd, &ev, 1,
			   (int)storm_rng_below(rng, STORM_WAIT_MAX_MS));
	storm_call_end();
	storm_note_result(r);
}

void op_poll(const struct backend *be, uint64_t *rng)
{
	struct pollfd p = { .fd = storm_res.idle_fd, .events = POLLIN };
	long r;

	storm_call_begin();
	r = be->poll(&p, 1, (int)storm_rng_below(rng, STORM_WAIT_MAX_MS));
	storm_call_end();
	storm_note_result(r);
}

void op_nanosleep(const struct backend *be, uint64_t *rng)
{
	struct timespec ts = {
		0, 1000000 * (long)storm_rng_below(rng, STORM_WAIT_MAX_MS) };
	long r;

	storm_call_begin();
	r = be->nanosleep(&ts, NULL);
	storm_call_end();
	storm_note_result(r);
}

/* Waits until the feeder bumps the word and wakes one waiter. */
void op_futex_wait(const struct backend *be, uint64_t *rng)
{
	uint32_t v = __atomic_load_n(&storm_res.futex_word, __ATOMIC_SEQ_CST);
	long r;

	(void)rng;
	storm_call_begin();
	r = be->futex_wait(&storm_res.futex_word, v);
	storm_call_end();
	if (r < 0 && errno == EAGAIN)
		return;   /* the word moved first: no wait */
	storm_note_result(r);
}

/* A cancelled or interrupted wait leaves the child to be reaped here, by
 * the raw syscall: no cancellation point in any backend. */
static void storm_reap(void *p)
{
	pid_t pid = *(pid_t *)p;

	while (syscall(SYS_wait4, pid, NULL, 0, NULL) < 0 && errno == EINTR)
		;
}

/* The child shares our memory (CLONE_VM) and even our TLS pointer, so it
 * touches nothing: a raw sleep, a raw exit. */
static int storm_child(void *p)
{
	syscall(SYS_nanosleep, p, NULL);
	syscall(SYS_exit, 0);
	return 0;
}

/* waitpid on a short-lived child.  clone(CLONE_VM | CLONE_FILES) rather
 * than fork or posix_spawn: no page tables or descriptor table copied, no
 * exec, cheap in a process of thousands of threads.  The child's stack is on ours: the child is
 * always reaped (by us or by the cleanup) before this frame goes. */
void op_waitpid(const struct backend *be, uint64_t *rng)
{
	char stack[STORM_CHILD_STACK] __attribute__((aligned(16)));
	struct timespec life = {
		0, 1000 * (long)storm_rng_below(rng, STORM_CHILD_MAX_US) };
	pid_t pid;
	int status;
	long r;

	pid = clone(storm_child, stack + sizeof stack, CLONE_VM | CLONE_FILES | SIGCHLD,
		    &life);
	if (pid < 0) {
		if (errno == EAGAIN || errno == ENOMEM)
			storm_note_resource();
		return;
	}
	pthread_cleanup_push(storm_reap, &pid);
	storm_call_begin();
	r = be->wait4(pid, &status, 0, NULL);
	storm_call_end();
	storm_note_result(r);
	pthread_cleanup_pop(r < 0);
}

/* A thread created mid-op (oracles/children.c): after one cancellation
 * point has returned, with whatever mask the backend left, then a second
 * one.  The child blocks in pause() until the canceller that joins this
 * target cancels it too. */
void op_child(const struct backend *be, uint64_t *rng)
{
	struct storm_slot *s = storm_self;

	op_poll(be, rng);
	if (storm_child_spawn(s, s->op))
		storm_note_resource();
	op_poll(be, rng);
}
