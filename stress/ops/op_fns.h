/* SPDX-License-Identifier: MIT */
/* op_fns.h - what the ops files share among themselves (not for the rest
 * of the storm, which sees the table through ops.h). */
#ifndef STORM_OP_FNS_H
#define STORM_OP_FNS_H

#include "ops/ops.h"
#include "targets.h"

/* Close with cancellation disabled: close is a cancellation point in some
 * backends, and a cancel acting inside it would make the leak ours. */
void storm_release(const struct backend *be, int fd);
/* Cleanup handler closing *(int *)p: what an op holds across its
 * cancellation point (cleanup handlers run with cancellation disabled). */
void storm_close_held(void *p);

/* fds.c: descriptor-passing and pipe ops. */
void op_openat(const struct backend *be, uint64_t *rng);
void op_accept4(const struct backend *be, uint64_t *rng);
void op_connect(const struct backend *be, uint64_t *rng);
void op_pipe_read(const struct backend *be, uint64_t *rng);
void op_pipe_write(const struct backend *be, uint64_t *rng);
void op_recvmsg(const struct backend *be, uint64_t *rng);
/* wait.c */
void op_eventfd_read(const struct backend *be, uint64_t *rng);
void op_timerfd_read(const struct backend *be, uint64_t *rng);
void op_epoll_wait(const struct backend *be, uint64_t *rng);
void op_poll(const struct backend *be, uint64_t *rng);
void op_nanosleep(const struct backend *be, uint64_t *rng);
void op_futex_wait(const struct backend *be, uint64_t *rng);
void op_waitpid(const struct backend *be, uint64_t *rng);
void op_child(const struct backend *be, uint64_t *rng);
/* fullmask.c */
void op_ppoll_all(const struct backend *be, uint64_t *rng);
void op_pselect_all(const struct backend *be, uint64_t *rng);
void op_epoll_pwait_all(const struct backend *be, uint64_t *rng);
void op_sigtimedwait_all(const struct backend *be, uint64_t *rng);
void op_sigsuspend_all(const struct backend *be, uint64_t *rng);
/* async.c */
void op_async_spin(const struct backend *be, uint64_t *rng);
/* trap.c: holds a libcp thread at its window with a breakpoint */
void op_window_trap(const struct backend *be, uint64_t *rng);
/* uring.c: only where liburing is (ops.h, STORM_URING_OPS). */
void op_uring_openat(const struct backend *be, uint64_t *rng);
void op_uring_accept(const struct backend *be, uint64_t *rng);
/* The rings and any completion still queued, at the end of the run. */
void storm_uring_close_all(void);

#endif
