/* SPDX-License-Identifier: MIT */
/* backend_posix.c - the two tables of backend_posix.h. */
#define _GNU_SOURCE
#include "backend_posix.h"

#include <cp.h>
#include <stdlib.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

static int libc_usleep(unsigned int usec)
{
	return usleep(usec);
}

const struct backend_posix backend_posix_libc = {
	.cond_init = pthread_cond_init,
	.cond_destroy = pthread_cond_destroy,
	.cond_signal = pthread_cond_signal,
	.cond_broadcast = pthread_cond_broadcast,
	.cond_wait = pthread_cond_wait,
	.cond_timedwait = pthread_cond_timedwait,
	.sem_wait = sem_wait,
	.sem_timedwait = sem_timedwait,
	.join = pthread_join,
	.timedjoin = pthread_timedjoin_np,
#if defined(__GLIBC__)
	.cond_clockwait = pthread_cond_clockwait,
	.sem_clockwait = sem_clockwait,
	.clockjoin = pthread_clockjoin_np,
#endif
	.mq_receive = mq_receive,
	.mq_timedreceive = mq_timedreceive,
	.mq_send = mq_send,
	.mq_timedsend = mq_timedsend,
	.msgrcv = msgrcv,
	.msgsnd = msgsnd,
	.sleep = sleep,
	.usleep = libc_usleep,
	.lockf = lockf,
	.aio_suspend = aio_suspend,
	.system = system,
	.sigwait = sigwait,
	.wait = wait,
};

/* libcp's condition variable, kept in the pthread_cond_t. */
#define CP_COND(c) ((cp_cond_t *)(c))
_Static_assert(sizeof(cp_cond_t) <= sizeof(pthread_cond_t),
	       "a cp_cond_t fits in a pthread_cond_t");

static int cp_cond_init_pc(pthread_cond_t *c, const pthread_condattr_t *a)
{
	return cp_cond_init(CP_COND(c), a);
}

static int cp_cond_destroy_pc(pthread_cond_t *c)
{
	return cp_cond_destroy(CP_COND(c));
}

static int cp_cond_signal_pc(pthread_cond_t *c)
{
	return cp_cond_signal(CP_COND(c));
}

static int cp_cond_broadcast_pc(pthread_cond_t *c)
{
	return cp_cond_broadcast(CP_COND(c));
}

static int cp_cond_wait_pc(pthread_cond_t *c, pthread_mutex_t *m)
{
	return cp_cond_wait(CP_COND(c), m);
}

static int cp_cond_timedwait_pc(pthread_cond_t *c, pthread_mutex_t *m,
				const struct timespec *abs)
{
	return cp_cond_timedwait(CP_COND(c), m, abs);
}

static int cp_cond_clockwait_pc(pthread_cond_t *c, pthread_mutex_t *m,
				clockid_t clock, const struct timespec *abs)
{
	return cp_cond_clockwait(CP_COND(c), m, clock, abs);
}

const struct backend_posix backend_posix_cp = {
	.cond_init = cp_cond_init_pc,
	.cond_destroy = cp_cond_destroy_pc,
	.cond_signal = cp_cond_signal_pc,
	.cond_broadcast = cp_cond_broadcast_pc,
	.cond_wait = cp_cond_wait_pc,
	.cond_timedwait = cp_cond_timedwait_pc,
	.cond_clockwait = cp_cond_clockwait_pc,
	.sem_wait = cp_sem_wait,
	.sem_timedwait = cp_sem_timedwait,
	.sem_clockwait = cp_sem_clockwait,
	.join = cp_pthread_join,
	.timedjoin = cp_pthread_timedjoin_np,
	.clockjoin = cp_pthread_clockjoin_np,
	.mq_receive = cp_mq_receive,
	.mq_timedreceive = cp_mq_timedreceive,
	.mq_send = cp_mq_send,
	.mq_timedsend = cp_mq_timedsend,
	.msgrcv = cp_msgrcv,
	.msgsnd = cp_msgsnd,
	.sleep = cp_sleep,
	.usleep = cp_usleep,
	.lockf = cp_lockf,
	.aio_suspend = cp_aio_suspend,
	.system = cp_system,
	.sigwait = cp_sigwait,
	.wait = cp_wait,
};
