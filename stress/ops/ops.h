/* SPDX-License-Identifier: MIT */
/*
 * ops.h - what the targets do: the ops table, and the shared objects the
 * ops wait on (listening sockets, pipes, an SCM_RIGHTS pair, a futex
 * word) with the feeder thread that keeps them moving.
 *
 * An op reaches one cancellation point (between storm_call_begin and
 * storm_call_end, targets.h) and releases what the call returned with
 * cancellation disabled, so any leak is the implementation's.
 */
#ifndef STORM_OPS_H
#define STORM_OPS_H

#include "storm.h"

/* result_fd: the call itself hands back descriptors (a cancellation
 * acting after it completed loses them).  eintr_ok: the call reports
 * EINTR after any handler, SA_RESTART or not (signal(7)), so an EINTR
 * from it is not spurious.  escapable: the op holds nothing across its
 * call (no cleanup handler, no descriptor on the way back), so a handler
 * may leave it by siglongjmp (cancel/signals.c). */
struct storm_op {
	const char *name;
	unsigned weight;         /* in the default mix */
	const char *leak_kind;   /* readlink prefix of what it allocates */
	int result_fd;
	int eintr_ok;
	int escapable;
	void (*run)(const struct backend *be, uint64_t *rng);
};

extern const struct storm_op storm_ops[];
extern const unsigned storm_nops;

/* A result of an op's call: counts spurious EINTR, and a resource that
 * ran out (EMFILE, ENOMEM, ...) as the op's outcome. */
void storm_note_result(long r);
/* Does errno err say a resource ran out (descriptors, memory, buffers)
 * rather than that the call was refused? */
int storm_resource_errno(int err);
/* The op met a resource that ran out some other way (a thread it could
 * not create, a descriptor recvmsg dropped with MSG_CTRUNC). */
void storm_note_resource(void);

/* What a target holds for its ops (its io_uring), released at its end
 * from its cleanup handler. */
void storm_ops_thread_end(void);

/* The shared objects (resources.c), opened before the targets start and
 * closed once every thread is joined. */
struct storm_res {
	int listen_fd;        /* accept4 and connect ops */
	int ulisten_fd;       /* io_uring ACCEPT */
	int pipe_fds[2];      /* targets read, the feeder writes */
	int wpipe_fds[2];     /* targets write, the feeder drains */
	int scm_fds[2];
	int scm_payload;      /* the fd every SCM message carries */
	int idle_fd;          /* never readable: poll/epoll time out */
	int epoll_fd;         /* watches idle_fd */
	uint32_t futex_word;
	const struct sockaddr *addr, *uaddr;
	unsigned addr_len, uaddr_len;
};
extern struct storm_res storm_res;

int storm_resources_open(uint64_t seed);
void storm_resources_close(void);

/* Push every kind of blocking op forward `rounds` times (a lost target's
 * op gets this, so a merely missed request can still be acted on). */
void storm_feed(unsigned rounds);

/* The io_uring ops need liburing, which not every C library has a build
 * of (Debian ships none for musl): without it the storm runs every other
 * op, and its record says so ("uring_ops":0). */
#if __has_include(<liburing.h>)
#define STORM_URING_OPS 1
#else
#define STORM_URING_OPS 0
#endif

#endif
