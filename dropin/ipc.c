/* SPDX-License-Identifier: MIT */
/* ipc.c - the message-queue cancellation points under their POSIX names. */
#define _GNU_SOURCE
#include "dropin.h"

#include <cp.h>
#include <mqueue.h>
#include <sys/msg.h>

CP_DROPIN ssize_t mq_receive(mqd_t q, char *buf, size_t len, unsigned int *prio)
{
	return cp_mq_receive(q, buf, len, prio);
}

CP_DROPIN ssize_t mq_timedreceive(mqd_t q, char *buf, size_t len,
				  unsigned int *prio,
				  const struct timespec *abstime)
{
	return cp_mq_timedreceive(q, buf, len, prio, abstime);
}

CP_DROPIN int mq_send(mqd_t q, const char *buf, size_t len, unsigned int prio)
{
	return cp_mq_send(q, buf, len, prio);
}

CP_DROPIN int mq_timedsend(mqd_t q, const char *buf, size_t len,
			   unsigned int prio, const struct timespec *abstime)
{
	return cp_mq_timedsend(q, buf, len, prio, abstime);
}

CP_DROPIN ssize_t msgrcv(int id, void *msg, size_t size, long type, int flags)
{
	return cp_msgrcv(id, msg, size, type, flags);
}

CP_DROPIN int msgsnd(int id, const void *msg, size_t size, int flags)
{
	return cp_msgsnd(id, msg, size, flags);
}
