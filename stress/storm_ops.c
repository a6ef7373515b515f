/* SPDX-License-Identifier: MIT */
/*
 * storm_ops.c - the ops table, and the descriptor-passing ops.
 *
 * Each op reaches one cancellation point (between storm_call_begin and
 * storm_call_end) and releases what the call returned with cancellation
 * disabled.  What the op holds across the cancellation point (a client
 * socket while accept4 blocks) is released by a cleanup handler, so the
 * storm never leaks on its own account: a descriptor left over belongs to
 * a call whose result the implementation dropped.
 */
#define _GNU_SOURCE
#include "storm_ops.h"
#include "storm_rng.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void storm_note_result(long r)
{
	int op = storm_self ? storm_self->op : -1;

	if (r < 0 && errno == EINTR) {
		if (storm_eintr_excused() || (op >= 0 && storm_ops[op].eintr_ok))
			storm_add(&storm_counts.eintr_excused, 1);
		else
			storm_add(&storm_counts.spurious_eintr, 1);
	}
	if (r < 0 && (errno == EMFILE || errno == ENFILE))
		storm_add(&storm_counts.fd_table_full, 1);
}

void storm_release(const struct backend *be, int fd)
{
	int old;

	if (fd < 0)
		return;
	be->setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	close(fd);
	be->setcancelstate(old, NULL);
}

void storm_close_held(void *p)
{
	if (*(int *)p >= 0)
		close(*(int *)p);
}

static void op_openat(const struct backend *be, uint64_t *rng)
{
	int fd;

	(void)rng;
	storm_call_begin();
	fd = be->openat(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC, 0);
	storm_call_end();
	storm_note_result(fd);
	storm_release(be, fd);
}

/* Connect first, then accept: connects and accepts balance, but which
 * connection a target accepts (and whether it blocks) is up to the race. */
static void op_accept4(const struct backend *be, uint64_t *rng)
{
	int client, fd;

	(void)rng;
	client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (client < 0)
		return;
	pthread_cleanup_push(storm_close_held, &client);
	connect(client, storm_res.addr, storm_res.addr_len);
	storm_call_begin();
	fd = be->accept4(storm_res.listen_fd, NULL, NULL, SOCK_CLOEXEC);
	storm_call_end();
	storm_note_result(fd);
	storm_release(be, fd);
	pthread_cleanup_pop(0);
	storm_release(be, client);
}

/* A blocking connect: it waits when the listener's backlog is full, until
 * an accept4 op makes room. */
static void op_connect(const struct backend *be, uint64_t *rng)
{
	int client;
	long r;

	(void)rng;
	client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (client < 0) {
		storm_note_result(client);
		return;
	}
	pthread_cleanup_push(storm_close_held, &client);
	storm_call_begin();
	r = be->connect(client, storm_res.addr, storm_res.addr_len);
	storm_call_end();
	storm_note_result(r);
	pthread_cleanup_pop(0);
	storm_release(be, client);
}

static void op_pipe_read(const struct backend *be, uint64_t *rng)
{
	char c;
	long r;

	(void)rng;
	storm_call_begin();
	r = be->read(storm_res.pipe_fds[0], &c, 1);
	storm_call_end();
	storm_note_result(r);
}

/* Blocks while the small pipe is full, until the feeder drains it. */
static void op_pipe_write(const struct backend *be, uint64_t *rng)
{
	static const char buf[1024];
	long r;

	storm_call_begin();
	r = be->write(storm_res.wpipe_fds[1], buf,
		      64 + storm_rng_below(rng, sizeof buf - 64));
	storm_call_end();
	storm_note_result(r);
}

/* recvmsg with SCM_RIGHTS: the kernel installs the passed descriptor while
 * completing the call, so a late cancellation loses it. */
static void op_recvmsg(const struct backend *be, uint64_t *rng)
{
	char data, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &data, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm;
	ssize_t r;

	(void)rng;
	storm_call_begin();
	r = be->recvmsg(storm_res.scm_fds[1], &msg, MSG_CMSG_CLOEXEC);
	storm_call_end();
	storm_note_result(r);
	if (r <= 0)
		return;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm), sizeof fd);
			storm_release(be, fd);
		}
}

/* Weights: the descriptor-allocating calls (where a late cancellation
 * leaks) and the calls that block dominate; calls that return at once
 * (openat, connect, pipe-write, io_uring) keep their target on a CPU the
 * cancellers need, so they are fewer.  The leak kinds must stay distinct,
 * so a leak names its op. */
const struct storm_op storm_ops[] = {
	{ "openat", 3, "/dev/null", 1, 0, op_openat },
	{ "accept4", 2, "socket:@cpstorm-a", 1, 0, op_accept4 },
	{ "connect", 1, NULL, 0, 0, op_connect },
	{ "recvmsg-scm", 4, "/memfd:cpstorm-scm", 1, 0, op_recvmsg },
	{ "pipe-read", 3, NULL, 0, 0, op_pipe_read },
	{ "pipe-write", 1, NULL, 0, 0, op_pipe_write },
	{ "eventfd-read", 2, "anon_inode:[eventfd]", 0, 0, op_eventfd_read },
	{ "timerfd-read", 2, "anon_inode:[timerfd]", 0, 0, op_timerfd_read },
	{ "epoll-wait", 1, NULL, 0, 1, op_epoll_wait },
	{ "poll", 1, NULL, 0, 1, op_poll },
	{ "nanosleep", 1, NULL, 0, 1, op_nanosleep },
	{ "futex-wait", 2, NULL, 0, 0, op_futex_wait },
	{ "waitpid", 1, NULL, 0, 0, op_waitpid },
	{ "uring-openat", 1, "/dev/zero", 1, 0, op_uring_openat },
	{ "uring-accept", 1, "socket:@cpstorm-u", 1, 0, op_uring_accept },
};
const unsigned storm_nops = sizeof storm_ops / sizeof *storm_ops;
