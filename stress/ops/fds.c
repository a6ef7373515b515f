/* SPDX-License-Identifier: MIT */
/*
 * fds.c - the ops whose calls hand back descriptors (openat, accept4,
 * recvmsg with SCM_RIGHTS) or move bytes through the shared pipes and
 * sockets (connect, pipe read and write).
 */
#define _GNU_SOURCE
#include "ops/op_fns.h"
#include "rng.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void op_openat(const struct backend *be, uint64_t *rng)
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
void op_accept4(const struct backend *be, uint64_t *rng)
{
	int client, fd;

	(void)rng;
	client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (client < 0) {
		storm_note_result(client);
		return;
	}
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
void op_connect(const struct backend *be, uint64_t *rng)
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

void op_pipe_read(const struct backend *be, uint64_t *rng)
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
void op_pipe_write(const struct backend *be, uint64_t *rng)
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
void op_recvmsg(const struct backend *be, uint64_t *rng)
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
	if (msg.msg_flags & MSG_CTRUNC)
		storm_note_resource();   /* EMFILE: the kernel dropped it */
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm), sizeof fd);
			storm_release(be, fd);
		}
}
