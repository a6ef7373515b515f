/* SPDX-License-Identifier: MIT */
/*
 * uring.c - io_uring OPENAT and ACCEPT, waited for through the
 * backend's io_uring_enter (cp_io_uring_enter, or the plain syscall for
 * libc, which is no cancellation point: a libc target acts only after its
 * completion, at the next cancellation point).
 *
 * A cancelled wait leaves its request in flight: the thread's cleanup
 * (storm_ops_thread_end) waits for every completion and closes what
 * they carry, so only a completion the wrapper consumed and dropped can
 * leak.  Rings come from a pool, one thread at a time each: setting a ring
 * up and tearing it down for every short-lived target would cost more
 * than the rest of the storm.  With the pool empty the op does nothing.
 */
#define _GNU_SOURCE
#include "ops/op_fns.h"

#if STORM_URING_OPS
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <sys/socket.h>
#include <unistd.h>

#define STORM_RINGS 32

struct storm_uring {
	struct io_uring ring;
	int ready;
	unsigned inflight;
};

static struct storm_uring rings[STORM_RINGS];
static int ring_taken[STORM_RINGS];
static pthread_mutex_t rings_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread struct storm_uring *storm_ring;

static struct storm_uring *storm_uring_get(void)
{
	if (storm_ring)
		return storm_ring;
	pthread_mutex_lock(&rings_lock);
	for (unsigned i = 0; i < STORM_RINGS && !storm_ring; i++) {
		if (ring_taken[i])
			continue;
		if (!rings[i].ready &&
		    io_uring_queue_init(4, &rings[i].ring, 0) == 0)
			rings[i].ready = 1;
		if (rings[i].ready) {
			ring_taken[i] = 1;
			storm_ring = &rings[i];
		}
	}
	pthread_mutex_unlock(&rings_lock);
	return storm_ring;
}

/* Wait for one completion through the backend; -errno or its result. */
static int storm_uring_wait(const struct backend *be, struct storm_uring *u)
{
	struct io_uring_cqe *cqe;
	int res;

	for (;;) {
		if (io_uring_peek_cqe(&u->ring, &cqe) == 0 && cqe)
			break;
		if (be->io_uring_enter((unsigned)u->ring.ring_fd, 0, 1,
				       IORING_ENTER_GETEVENTS) < 0 &&
		    errno != EAGAIN && errno != EINTR)
			return -errno;
	}
	res = cqe->res;
	io_uring_cqe_seen(&u->ring, cqe);
	u->inflight--;
	return res;
}

/* Submit the one prepared request and wait for a completion.  Whatever
 * was submitted is in flight and counted, so that the thread's cleanup
 * claims it even when this op gives up. */
static int storm_uring_run(const struct backend *be, struct io_uring_sqe *sqe,
			   struct storm_uring *u)
{
	int n, r;

	(void)sqe;
	n = io_uring_submit(&u->ring);
	if (n > 0)
		u->inflight += (unsigned)n;
	if (n != 1)
		return -EIO;
	storm_call_begin();
	r = storm_uring_wait(be, u);
	storm_call_end();
	return r;
}

void op_uring_openat(const struct backend *be, uint64_t *rng)
{
	struct storm_uring *u = storm_uring_get();
	struct io_uring_sqe *sqe;
	int r;

	(void)rng;
	if (!u || !(sqe = io_uring_get_sqe(&u->ring)))
		return;
	io_uring_prep_openat(sqe, AT_FDCWD, "/dev/zero", O_RDONLY | O_CLOEXEC, 0);
	r = storm_uring_run(be, sqe, u);
	if (r >= 0)
		storm_release(be, r);
}

void op_uring_accept(const struct backend *be, uint64_t *rng)
{
	struct storm_uring *u = storm_uring_get();
	struct io_uring_sqe *sqe;
	int client, r;

	(void)rng;
	if (!u)
		return;
	/* The socket before the request: a request slot taken and left
	 * unprepared (no descriptor for the socket under fds pressure) would
	 * go out with the next submit, stale, and nobody would claim it. */
	client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (client < 0) {
		storm_note_result(client);
		return;
	}
	if (!(sqe = io_uring_get_sqe(&u->ring))) {
		close(client);
		return;
	}
	pthread_cleanup_push(storm_close_held, &client);
	connect(client, storm_res.uaddr, storm_res.uaddr_len);
	io_uring_prep_accept(sqe, storm_res.ulisten_fd, NULL, NULL, SOCK_CLOEXEC);
	r = storm_uring_run(be, sqe, u);
	if (r >= 0)
		storm_release(be, r);
	pthread_cleanup_pop(0);
	storm_release(be, client);
}

/* Runs from the target's cleanup, cancellation disabled.  An ACCEPT still
 * in flight completes when the feeder's next connection arrives.  The
 * ring goes back to the pool empty. */
void storm_ops_thread_end(void)
{
	struct storm_uring *u = storm_ring;
	struct io_uring_cqe *cqe;

	if (!u)
		return;
	while (u->inflight) {
		int r = io_uring_wait_cqe(&u->ring, &cqe);

		if (r == -EINTR || r == -EAGAIN)
			continue;   /* the storm's signals: wait on */
		if (r)
			break;
		if (cqe->res >= 0)
			close(cqe->res);
		io_uring_cqe_seen(&u->ring, cqe);
		u->inflight--;
	}
	pthread_mutex_lock(&rings_lock);
	ring_taken[u - rings] = 0;
	pthread_mutex_unlock(&rings_lock);
	storm_ring = NULL;
}

/* At the end of the run: the rings' descriptors are the storm's own, and
 * so is any completion still queued: its descriptor is closed first.
 * With every thread joined, each completion should have been claimed by
 * its op or its thread's cleanup; one still here is a request the
 * harness lost track of (uring_unclaimed). */
void storm_uring_close_all(void)
{
	struct io_uring_cqe *cqe;

	for (unsigned i = 0; i < STORM_RINGS; i++) {
		if (!rings[i].ready)
			continue;
		while (io_uring_peek_cqe(&rings[i].ring, &cqe) == 0 && cqe) {
			if (cqe->res >= 0)
				close(cqe->res);
			io_uring_cqe_seen(&rings[i].ring, cqe);
			storm_add(&storm.counts.uring_unclaimed, 1);
		}
		io_uring_queue_exit(&rings[i].ring);
		rings[i].ready = 0;
	}
}
#else

/* No liburing: no rings, nothing to wait for or close. */
void storm_ops_thread_end(void)
{
}

void storm_uring_close_all(void)
{
}

#endif
