/* SPDX-License-Identifier: MIT */
/*
 * resources.c - what the ops share, and the feeder that keeps it moving.
 *
 * Blocking ops wait on shared objects (a pipe to read, a pipe to write
 * into, an SCM_RIGHTS socketpair, a futex word, two listening
 * sockets).  The feeder pushes each forward at a random pace, so some
 * targets are cancelled while blocked and others just as their call
 * completes.  A lost target gets the same push (storm_feed) so that a
 * missed request can still be acted on and the thread joined.
 */
#define _GNU_SOURCE
#include "ops/op_fns.h"
#include "rng.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define STORM_WPIPE_SIZE 4096
#define STORM_FEED_PAUSE_NS 200000  /* at most, between rounds: a faster
				     * feeder costs the cancellers CPU */

struct storm_res storm_res = {
	.listen_fd = -1, .ulisten_fd = -1, .pipe_fds = { -1, -1 }, .wpipe_fds = { -1, -1 },
	.scm_fds = { -1, -1 }, .scm_payload = -1,
	.idle_fd = -1, .epoll_fd = -1,
};
static struct sockaddr_un listen_addr, ulisten_addr;
static int idle_peer = -1;
static pthread_t feeder;
static volatile int feeder_stop;
static uint64_t feeder_rng;

static void feeder_send_scm(void)
{
	char data = 'f', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &data, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &storm_res.scm_payload, sizeof(int));
	sendmsg(storm_res.scm_fds[0], &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* One push of every blocking op on a shared object: a byte to read, room
 * to write, an SCM message, a futex wake, a connection to accept (the
 * eventfd and timerfd ops wait on descriptors of their own). */
static int storm_feed_round(void)
{
	char drain[2048];
	int c;

	if (write(storm_res.pipe_fds[1], "f", 1) < 0 && errno != EAGAIN)
		return -1;
	if (read(storm_res.wpipe_fds[0], drain, sizeof drain) < 0 &&
	    errno != EAGAIN)
		return -1;
	feeder_send_scm();
	__atomic_add_fetch(&storm_res.futex_word, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &storm_res.futex_word, FUTEX_WAKE_PRIVATE, 1,
		NULL, NULL, 0);
	for (int i = 0; i < 2; i++) {
		c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (c < 0)
			break;
		connect(c, i ? storm_res.uaddr : storm_res.addr,
			i ? storm_res.uaddr_len : storm_res.addr_len);
		close(c);
	}
	return 0;
}

static void *feeder_main(void *p)
{
	(void)p;
	while (!feeder_stop) {
		struct timespec ts = {
			0, 1000 + (long)storm_rng_below(&feeder_rng,
							STORM_FEED_PAUSE_NS) };

		if (storm_feed_round())
			break;
		nanosleep(&ts, NULL);   /* load pacing, not synchronisation */
	}
	return NULL;
}

void storm_feed(unsigned rounds)
{
	for (unsigned i = 0; i < rounds; i++)
		if (storm_feed_round())
			break;
}

/* Abstract names (nothing on disk, unique per process) that tell the two
 * listeners apart: a leaked accepted socket keeps its listener's name,
 * which is how the report attributes it (cpstorm-a: accept4, -u: io_uring). */
static int storm_listen(struct sockaddr_un *a, char tag, int *fd,
			const struct sockaddr **addr, unsigned *addr_len)
{
	socklen_t len;

	if ((*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "cpstorm-%c%d", tag,
		 (int)getpid());
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			  strlen(a->sun_path + 1));
	*addr = (const struct sockaddr *)a;
	*addr_len = len;
	return bind(*fd, *addr, len) || listen(*fd, 4096) ? -1 : 0;
}

/* idle_fd never becomes readable: poll and epoll_wait on it end by their
 * timeout (or by cancellation), with no feeding and no herd to wake. */
static int storm_idle(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	storm_res.idle_fd = sv[0];
	idle_peer = sv[1];
	storm_res.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (storm_res.epoll_fd < 0)
		return -1;
	ev.data.fd = sv[0];
	return epoll_ctl(storm_res.epoll_fd, EPOLL_CTL_ADD, sv[0], &ev);
}

int storm_resources_open(uint64_t seed)
{
	struct storm_res *r = &storm_res;

	feeder_rng = storm_rng_stream(seed, STORM_RNG_FEEDER, 0);
	if (storm_listen(&listen_addr, 'a', &r->listen_fd, &r->addr,
			 &r->addr_len) ||
	    storm_listen(&ulisten_addr, 'u', &r->ulisten_fd, &r->uaddr,
			 &r->uaddr_len) ||
	    storm_idle() ||
	    pipe2(r->pipe_fds, O_CLOEXEC) ||
	    fcntl(r->pipe_fds[1], F_SETFL, O_NONBLOCK) ||
	    pipe2(r->wpipe_fds, O_CLOEXEC) ||
	    fcntl(r->wpipe_fds[0], F_SETFL, O_NONBLOCK) ||
	    fcntl(r->wpipe_fds[1], F_SETPIPE_SZ, STORM_WPIPE_SIZE) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, r->scm_fds) ||
	    (r->scm_payload = memfd_create("cpstorm-scm", MFD_CLOEXEC)) < 0)
		return -1;
	if ((errno = pthread_create(&feeder, NULL, feeder_main, NULL)))
		return -1;   /* the caller reports errno */
	return 0;
}

void storm_resources_close(void)
{
	struct storm_res *r = &storm_res;
	int fds[] = { r->listen_fd, r->ulisten_fd, r->pipe_fds[0], r->pipe_fds[1],
		      r->wpipe_fds[0], r->wpipe_fds[1], r->scm_fds[0],
		      r->scm_fds[1], r->scm_payload, r->idle_fd,
		      idle_peer, r->epoll_fd };

	feeder_stop = 1;
	pthread_join(feeder, NULL);
	storm_uring_close_all();
	for (size_t i = 0; i < sizeof fds / sizeof *fds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}
