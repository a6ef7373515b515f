/* SPDX-License-Identifier: MIT */
/*
 * backend_posix.h - a backend's POSIX cancellation points beyond the
 * plain system calls (struct backend's `posix`): condition variables,
 * semaphores, joins, message queues, sleeps, lockf, aio_suspend, system,
 * sigwait, wait.  "libc" is the C library's own; libcp's are the cp_
 * calls of LIBCP_1.1.  A NULL entry: the C library has no such function
 * (musl has no pthread_cond_clockwait, for one).
 *
 * A backend's condition variable lives in a pthread_cond_t either way
 * (libcp's cp_cond_t fits in one), initialised by its own cond_init.
 * Semaphores are the C library's sem_t for both, posted with the C
 * library's sem_post: libcp speaks glibc's protocol.
 */
#ifndef SUPPORT_BACKEND_POSIX_H
#define SUPPORT_BACKEND_POSIX_H

#include <aio.h>
#include <mqueue.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/types.h>
#include <time.h>

struct backend_posix {
	int (*cond_init)(pthread_cond_t *c, const pthread_condattr_t *a);
	int (*cond_destroy)(pthread_cond_t *c);
	int (*cond_signal)(pthread_cond_t *c);
	int (*cond_broadcast)(pthread_cond_t *c);
	int (*cond_wait)(pthread_cond_t *c, pthread_mutex_t *m);
	int (*cond_timedwait)(pthread_cond_t *c, pthread_mutex_t *m,
			      const struct timespec *abs);
	int (*cond_clockwait)(pthread_cond_t *c, pthread_mutex_t *m,
			      clockid_t clock, const struct timespec *abs);
	int (*sem_wait)(sem_t *s);
	int (*sem_timedwait)(sem_t *s, const struct timespec *abs);
	int (*sem_clockwait)(sem_t *s, clockid_t clock,
			     const struct timespec *abs);
	int (*join)(pthread_t t, void **ret);
	int (*timedjoin)(pthread_t t, void **ret, const struct timespec *abs);
	int (*clockjoin)(pthread_t t, void **ret, clockid_t clock,
			 const struct timespec *abs);
	ssize_t (*mq_receive)(mqd_t q, char *buf, size_t len, unsigned int *prio);
	ssize_t (*mq_timedreceive)(mqd_t q, char *buf, size_t len,
				   unsigned int *prio, const struct timespec *abs);
	int (*mq_send)(mqd_t q, const char *buf, size_t len, unsigned int prio);
	int (*mq_timedsend)(mqd_t q, const char *buf, size_t len,
			    unsigned int prio, const struct timespec *abs);
	ssize_t (*msgrcv)(int id, void *msg, size_t size, long type, int flags);
	int (*msgsnd)(int id, const void *msg, size_t size, int flags);
	unsigned int (*sleep)(unsigned int seconds);
	int (*usleep)(unsigned int usec);
	int (*lockf)(int fd, int cmd, off_t len);
	int (*aio_suspend)(const struct aiocb *const list[], int n,
			   const struct timespec *timeout);
	int (*system)(const char *command);
	int (*sigwait)(const sigset_t *set, int *sig);
	pid_t (*wait)(int *status);
};

extern const struct backend_posix backend_posix_libc, backend_posix_cp;

#endif
