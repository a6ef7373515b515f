/*
 * storm_ops.c - the operations targets run, and what they share.
 *
 * Each op allocates descriptors through a cancellation point and releases
 * them with cancellation disabled.  What the op itself holds across a
 * cancellation point (a client socket while accept4 blocks) is released by
 * a cleanup handler, so the storm never leaks on its own account.
 */
#define _GNU_SOURCE
#include "storm.h"
#include "storm_rng.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int listen_fd = -1;
static struct sockaddr_un listen_addr;
static socklen_t listen_len;
static int pipe_fds[2] = { -1, -1 };
static int scm_fds[2] = { -1, -1 };
static int scm_payload = -1;        /* the fd every SCM message carries */
static pthread_t feeder;
static volatile int feeder_stop;
static uint64_t feeder_rng;

void storm_note_result(long r)
{
	if (r < 0 && errno == EINTR)
		storm_add(&storm_counts.spurious_eintr, 1);
	if (r < 0 && (errno == EMFILE || errno == ENFILE))
		storm_add(&storm_counts.fd_table_full, 1);
}

/* Release with cancellation disabled: close is a cancellation point in
 * some backends, and a cancel acting inside it would make the leak ours. */
static void storm_release(const struct backend *be, int fd)
{
	int old;

	if (fd < 0)
		return;
	be->setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	close(fd);
	be->setcancelstate(old, NULL);
}

static void op_openat(const struct backend *be, uint64_t *rng)
{
	int fd;

	(void)rng;
	fd = be->openat(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC, 0);
	storm_note_result(fd);
	storm_release(be, fd);
}

static void close_client(void *p)
{
	close(*(int *)p);
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
	pthread_cleanup_push(close_client, &client);
	connect(client, (struct sockaddr *)&listen_addr, listen_len);
	fd = be->accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	storm_note_result(fd);
	storm_release(be, fd);
	pthread_cleanup_pop(0);
	storm_release(be, client);
}

static void op_pipe_read(const struct backend *be, uint64_t *rng)
{
	char c;

	(void)rng;
	storm_note_result(be->read(pipe_fds[0], &c, 1));
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
	r = be->recvmsg(scm_fds[1], &msg, MSG_CMSG_CLOEXEC);
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

const struct storm_op storm_ops[] = {
	{ "openat", 3, "/dev/null", op_openat },
	{ "accept4", 2, "socket:", op_accept4 },
	{ "pipe-read", 2, NULL, op_pipe_read },
	{ "recvmsg-scm", 2, "anon_inode:[eventfd]", op_recvmsg },
};
const unsigned storm_nops = sizeof storm_ops / sizeof *storm_ops;

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
	memcpy(CMSG_DATA(cm), &scm_payload, sizeof(int));
	sendmsg(scm_fds[0], &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* Keeps the blocking reads moving at a random pace: some targets are
 * cancelled while blocked, others just as their call completes. */
static void *feeder_main(void *p)
{
	(void)p;
	while (!feeder_stop) {
		struct timespec ts = { 0, 1000 + (long)storm_rng_below(&feeder_rng, 50000) };

		if (write(pipe_fds[1], "f", 1) < 0 && errno != EAGAIN)
			break;
		feeder_send_scm();
		nanosleep(&ts, NULL);   /* load pacing, not synchronisation */
	}
	return NULL;
}

static int storm_listen(void)
{
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		return -1;
	memset(&listen_addr, 0, sizeof listen_addr);
	listen_addr.sun_family = AF_UNIX;
	/* Abstract name: nothing on disk, unique per process. */
	snprintf(listen_addr.sun_path + 1, sizeof listen_addr.sun_path - 1,
		 "cpstorm-%d", (int)getpid());
	listen_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				 strlen(listen_addr.sun_path + 1));
	if (bind(listen_fd, (struct sockaddr *)&listen_addr, listen_len) ||
	    listen(listen_fd, 4096))
		return -1;
	return 0;
}

int storm_resources_open(uint64_t seed)
{
	feeder_rng = storm_rng_stream(seed, STORM_RNG_FEEDER, 0);
	if (storm_listen() || pipe2(pipe_fds, O_CLOEXEC) ||
	    fcntl(pipe_fds[1], F_SETFL, O_NONBLOCK) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, scm_fds) ||
	    (scm_payload = eventfd(0, EFD_CLOEXEC)) < 0)
		return -1;
	return pthread_create(&feeder, NULL, feeder_main, NULL) ? -1 : 0;
}

void storm_resources_close(void)
{
	feeder_stop = 1;
	pthread_join(feeder, NULL);
	close(listen_fd);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	close(scm_fds[0]);
	close(scm_fds[1]);
	close(scm_payload);
}

/* Feed every kind of blocking op: a lost target blocked in its call gets
 * a chance to return to a cancellation point and be joined. */
void storm_feed(unsigned rounds)
{
	for (unsigned i = 0; i < rounds; i++) {
		int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

		if (c >= 0) {
			connect(c, (struct sockaddr *)&listen_addr, listen_len);
			close(c);
		}
		if (write(pipe_fds[1], "u", 1) < 0 && errno != EAGAIN)
			break;
		feeder_send_scm();
	}
}
