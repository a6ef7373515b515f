/* SPDX-License-Identifier: MIT */
/*
 * procfs.h - what /proc says about this process and its threads.
 *
 * Cases and the storm judge leaks and hangs from /proc, never from their
 * own bookkeeping alone: a descriptor the kernel installed but user space
 * never saw is exactly the bug we hunt.  Every function here is safe to call
 * from a thread other than the one inspected; none is async-signal-safe.
 */
#ifndef SUPPORT_PROCFS_H
#define SUPPORT_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One open descriptor, identified like glibc's support_descriptors: number,
 * readlink target, and the (dev, ino) of what it refers to. */
struct fd_entry {
	int fd;
	dev_t dev;
	ino_t ino;
	char target[120];
};

struct fd_set_snapshot {
	size_t n;
	struct fd_entry *e;   /* sorted by fd; free with fds_free() */
};

/* Read /proc/self/fd.  Returns 0 or -errno. */
int fds_snapshot(struct fd_set_snapshot *s);
void fds_free(struct fd_set_snapshot *s);

/* Entries of `after` that are not in `before` (same fd, dev and ino):
 * written into out (caller frees with fds_free).  Returns the count. */
size_t fds_new(const struct fd_set_snapshot *before,
	       const struct fd_set_snapshot *after, struct fd_set_snapshot *out);

/* Human summary of a set, e.g. "fd 7 -> anon_inode:[eventfd], fd 9 ->
 * socket:[1234]", truncated to fit. */
void fds_describe(const struct fd_set_snapshot *s, char *buf, size_t len);

/* Signals pending for one thread of this process (thread-directed SigPnd
 * of /proc/self/task/<tid>/status), as a mask with bit (sig - 1) set.
 * Returns 0 or -errno. */
int task_sigpending(pid_t tid, uint64_t *mask);

/* For wait_until(): is any signal pending for the thread *(pid_t *)tid?
 * (A canceller's signal is queued once its call returned.) */
int task_signal_due(void *tid);

/* Signals blocked by that thread (SigBlk).  Returns 0 or -errno. */
int task_sigblocked(pid_t tid, uint64_t *mask);

/* Signals pending for the whole process (ShdPnd).  0 or -errno. */
int proc_sigshared(uint64_t *mask);

/* The first number after "key:" in /proc/self/status ("VmHWM", "SigQ"),
 * or -1. */
long proc_status_number(const char *key);

/* The syscall the thread is blocked in (first field of
 * /proc/self/task/<tid>/syscall), -1 when running in user space, -2 when
 * unknown (thread gone, or no permission).  */
long task_syscall(pid_t tid);

/* The thread's scheduler state letter (/proc/.../stat: 'R' runnable,
 * 'S' sleeping, ...), or 0 when unreadable. */
char task_state(pid_t tid);

/* How often the thread was put on a CPU (/proc/.../schedstat, third
 * field), or -1 when the kernel does not say (no CONFIG_SCHED_INFO). */
long long task_runs(pid_t tid);

/* One line for a diagnosis of a stuck thread: its /proc syscall line, wchan,
 * state, and the first frames of /proc/.../stack when readable. */
void task_diagnose(pid_t tid, char *buf, size_t len);

#endif
