/* SPDX-License-Identifier: MIT */
/*
 * wrappers_ipc.c - the message-queue cancellation points: POSIX message
 * queues (a mqd_t is a descriptor on Linux) and System V queues.  Each is
 * one cancellable syscall, so the window rule keeps a message the kernel
 * handed over (received) or took (sent): the call returns, and the
 * cancellation waits for the next cancellation point.
 */
#define _GNU_SOURCE
#include "cp_internal.h"

#include <cp.h>
#include <sys/syscall.h>

ssize_t cp_mq_timedreceive(mqd_t q, char *buf, size_t len, unsigned int *prio,
			   const struct timespec *abstime)
{
	return CP_CALL(SYS_mq_timedreceive, q, buf, len, prio, abstime, 0);
}

ssize_t cp_mq_receive(mqd_t q, char *buf, size_t len, unsigned int *prio)
{
	return cp_mq_timedreceive(q, buf, len, prio, NULL);
}

int cp_mq_timedsend(mqd_t q, const char *buf, size_t len, unsigned int prio,
		    const struct timespec *abstime)
{
	return CP_CALL(SYS_mq_timedsend, q, buf, len, prio, abstime, 0);
}

int cp_mq_send(mqd_t q, const char *buf, size_t len, unsigned int prio)
{
	return cp_mq_timedsend(q, buf, len, prio, NULL);
}

/* i386 has had these as syscalls of their own (not only through ipc(2))
 * since Linux 5.1. */
ssize_t cp_msgrcv(int id, void *msg, size_t size, long type, int flags)
{
	return CP_CALL(SYS_msgrcv, id, msg, size, type, flags, 0);
}

int cp_msgsnd(int id, const void *msg, size_t size, int flags)
{
	return CP_CALL(SYS_msgsnd, id, msg, size, flags, 0, 0);
}
