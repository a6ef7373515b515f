/* SPDX-License-Identifier: MIT */
/*
 * offcpu.h - keep a woken thread off the CPU, so that "the kernel
 * completed its wait, then a cancellation was requested" happens by
 * construction, not by luck.
 *
 * The target shares one CPU with the thread that wakes it and runs under
 * SCHED_IDLE, which never preempts a normal thread on wake-up (Linux
 * check_preempt_wakeup_fair: "idle tasks do not preempt non-idle tasks").
 * After the waker signals, posts or lets a thread exit, the target's wait
 * has completed in the kernel and the target is runnable, but it cannot
 * run until the waker blocks; a cancellation requested in between is
 * delivered on the target's way back to user space, after the syscall.
 * Only a scheduler tick in those microseconds could run the target early;
 * that is detected, not assumed away: the number of times the target was
 * put on a CPU (task_runs, procfs.h) must not have moved, or the
 * attempt is void.  Needs 2 CPUs (the thread whose exit wakes a joiner
 * runs on the other one) and SCHED_IDLE (any user may lower a thread to
 * it).
 */
#ifndef SUPPORT_OFFCPU_H
#define SUPPORT_OFFCPU_H

#include <sys/types.h>

/* Pin the calling thread to the CPU it runs on: the waker's CPU, which
 * the target will share.  -1 (errno set) when fewer than 2 CPUs are
 * usable or the affinity cannot be set; the CPU otherwise. */
int offcpu_waker(void);

/* In the target: share the waker's CPU, under SCHED_IDLE.  0 or -errno. */
int offcpu_target(int cpu);

/* In any other thread the case starts: every CPU but the waker's, so it
 * runs while the waker holds its CPU.  0 or -errno. */
int offcpu_elsewhere(int cpu);

/* Spin (never sleep: the waker must keep its CPU) until the thread is
 * runnable, at most timeout_ms.  1 when it is; 0 at the timeout, or at
 * once when it has run (task_runs moved past `runs`): the attempt is void
 * either way. */
int offcpu_wait_runnable(pid_t tid, long long runs, int timeout_ms);

#endif
