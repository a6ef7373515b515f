/* SPDX-License-Identifier: MIT */
/*
 * table.c - the ops table, and what every op shares: the note of a
 * call's result, releasing with cancellation disabled, the cleanup that
 * closes what an op holds across its cancellation point.
 *
 * Each op reaches one cancellation point (between storm_call_begin and
 * storm_call_end) and releases what the call returned with cancellation
 * disabled.  What the op holds across the cancellation point (a client
 * socket while accept4 blocks) is released by a cleanup handler, so the
 * storm never leaks on its own account: a descriptor left over belongs to
 * a call whose result the implementation dropped.
 */
#define _GNU_SOURCE
#include "ops/op_fns.h"
#include "cancel/cancel.h"
#include "pressure/pressure.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* An EMFILE the fds pressure explains: its window is on, or was when
 * the call failed and has ended since, so the table has room again under
 * the limit put back (leaked descriptors would still fill it). */
static int storm_fds_pressure_explains(void)
{
	int saved = errno, fd;

	if (storm_pressure_active() & STORM_PRESSURE_FDS)
		return 1;
	if (!(storm.cfg->pressure & STORM_PRESSURE_FDS) || errno != EMFILE)
		return 0;
	fd = fcntl(storm_res.idle_fd, F_DUPFD_CLOEXEC, 0);
	if (fd >= 0)
		close(fd);
	errno = saved;
	return fd >= 0;
}

int storm_resource_errno(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOMEM ||
	       err == ENOBUFS;
}

void storm_note_result(long r)
{
	int op = storm_self ? storm_self->op : -1;

	if (r < 0 && errno == EINTR) {
		if (storm_eintr_excused() || (op >= 0 && storm_ops[op].eintr_ok))
			storm_add(&storm.counts.eintr_excused, 1);
		else
			storm_add(&storm.counts.spurious_eintr, 1);
	}
	if (r < 0 && storm_resource_errno(errno))
		storm_note_resource();
	/* EMFILE that no fds window explains: leaks filled the table. */
	if (r < 0 && (errno == EMFILE || errno == ENFILE) &&
	    !storm_fds_pressure_explains())
		storm_add(&storm.counts.fd_table_full, 1);
}

void storm_note_resource(void)
{
	int op = storm_self ? storm_self->op : -1;

	if (op >= 0)
		storm_add(&storm.counts.op_resource_failed[op], 1);
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

/* Weights: the descriptor-allocating calls (where a late cancellation
 * leaks) and the calls that block dominate; calls that return at once
 * (openat, connect, pipe-write, io_uring) keep their target on a CPU the
 * cancellers need, so they are fewer.  The leak kinds must stay distinct,
 * so a leak names its op. */
const struct storm_op storm_ops[] = {
	{ .name = "openat", .weight = 3, .leak_kind = "/dev/null",
	  .result_fd = 1, .run = op_openat },
	{ .name = "accept4", .weight = 2, .leak_kind = "socket:@cpstorm-a",
	  .result_fd = 1, .run = op_accept4 },
	{ .name = "connect", .weight = 1, .run = op_connect },
	{ .name = "recvmsg-scm", .weight = 4,
	  .leak_kind = "/memfd:cpstorm-scm", .result_fd = 1,
	  .run = op_recvmsg },
	{ .name = "pipe-read", .weight = 3, .escapable = 1,
	  .run = op_pipe_read },
	{ .name = "pipe-write", .weight = 1, .escapable = 1,
	  .run = op_pipe_write },
	{ .name = "eventfd-read", .weight = 2,
	  .leak_kind = "anon_inode:[eventfd]", .run = op_eventfd_read },
	{ .name = "timerfd-read", .weight = 2,
	  .leak_kind = "anon_inode:[timerfd]", .run = op_timerfd_read },
	{ .name = "epoll-wait", .weight = 1, .eintr_ok = 1, .escapable = 1,
	  .run = op_epoll_wait },
	{ .name = "poll", .weight = 1, .eintr_ok = 1, .escapable = 1,
	  .run = op_poll },
	{ .name = "nanosleep", .weight = 1, .eintr_ok = 1, .escapable = 1,
	  .run = op_nanosleep },
	{ .name = "futex-wait", .weight = 2, .escapable = 1,
	  .run = op_futex_wait },
	{ .name = "waitpid", .weight = 1, .run = op_waitpid },
	{ .name = "child", .weight = 1, .eintr_ok = 1, .run = op_child },
	/* Full signal sets (fullmask.c). */
	{ .name = "ppoll-all", .weight = 1, .eintr_ok = 1, .escapable = 1,
	  .run = op_ppoll_all },
	{ .name = "pselect-all", .weight = 1, .eintr_ok = 1, .escapable = 1,
	  .run = op_pselect_all },
	{ .name = "epoll-pwait-all", .weight = 1, .eintr_ok = 1,
	  .escapable = 1, .run = op_epoll_pwait_all },
	{ .name = "sigtimedwait-all", .weight = 1, .eintr_ok = 1,
	  .escapable = 1, .run = op_sigtimedwait_all },
	{ .name = "sigsuspend-all", .weight = 1, .eintr_ok = 1,
	  .escapable = 1, .run = op_sigsuspend_all },
	{ .name = "async-spin", .weight = 1, .run = op_async_spin },
	{ .name = "window-trap", .weight = 1, .eintr_ok = 1,
	  .run = op_window_trap },
#if STORM_URING_OPS
	{ .name = "uring-openat", .weight = 1, .leak_kind = "/dev/zero",
	  .result_fd = 1, .run = op_uring_openat },
	{ .name = "uring-accept", .weight = 1,
	  .leak_kind = "socket:@cpstorm-u", .result_fd = 1,
	  .run = op_uring_accept },
#endif
};
const unsigned storm_nops = sizeof storm_ops / sizeof *storm_ops;
