#define _GNU_SOURCE
#include "blockers.h"

#include "procfs.h"
#include "verdict.h"

#include <errno.h>
#include <string.h>

#include <poll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long call_poll(const struct backend *be, int fd, int bound_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	(void)bound_ms;
	return be->poll(&p, 1, -1);
}

static long call_read(const struct backend *be, int fd, int bound_ms)
{
	char c;

	(void)bound_ms;
	return be->read(fd, &c, 1);
}

/* A sleep cannot be woken by a write: it is bounded instead, and "returns
 * normally" means it ran its full time and returned 0. */
static long call_nanosleep(const struct backend *be, int fd, int bound_ms)
{
	struct timespec ts = { bound_ms / 1000, (long)(bound_ms % 1000) * 1000000L };

	(void)fd;
	return be->nanosleep(&ts, NULL);
}

static void unblock_pipe(int wfd)
{
	if (write(wfd, "u", 1) != 1)
		return;
}

static void unblock_nothing(int wfd)
{
	(void)wfd;
}

const struct blocker blockers[] = {
	{ "poll", { SYS_poll, SYS_ppoll }, call_poll, unblock_pipe },
	{ "read", { SYS_read, SYS_read }, call_read, unblock_pipe },
	{ "nanosleep", { SYS_nanosleep, SYS_clock_nanosleep }, call_nanosleep,
	  unblock_nothing },
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
	r->tid = (pid_t)syscall(SYS_gettid);
	r->result = r->b->call(r->be, r->fd, r->bound_ms);
	r->err = errno;
	r->returned = 1;
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
	if (pthread_create(&r->th, NULL, blocked_main, r))
		return -1;
	return wait_until(blocked_ready, r, 5000) ? 0 : -1;
}
