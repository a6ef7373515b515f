/* SPDX-License-Identifier: MIT */
/* storm_ops.h - what the ops files share (not for the rest of the storm). */
#ifndef STORM_OPS_H
#define STORM_OPS_H

#include "storm.h"

/* Close with cancellation disabled: close is a cancellation point in some
 * backends, and a cancel acting inside it would make the leak ours. */
void storm_release(const struct backend *be, int fd);
/* Cleanup handler closing *(int *)p: what an op holds across its
 * cancellation point (cleanup handlers run with cancellation disabled). */
void storm_close_held(void *p);

void op_eventfd_read(const struct backend *be, uint64_t *rng);
void op_timerfd_read(const struct backend *be, uint64_t *rng);
void op_epoll_wait(const struct backend *be, uint64_t *rng);
void op_poll(const struct backend *be, uint64_t *rng);
void op_nanosleep(const struct backend *be, uint64_t *rng);
void op_futex_wait(const struct backend *be, uint64_t *rng);
void op_waitpid(const struct backend *be, uint64_t *rng);
void op_uring_openat(const struct backend *be, uint64_t *rng);
void op_uring_accept(const struct backend *be, uint64_t *rng);
/* A thread's io_uring, back to the pool when the thread ends. */
void storm_uring_thread_end(void);

#endif
