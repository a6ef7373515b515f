/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "handshake.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void flag_set(volatile int *flag)
{
	__atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, flag, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
}

void flag_wait(volatile int *flag)
{
	while (!__atomic_load_n(flag, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, flag, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

int flag_is_set(void *flag)
{
	return __atomic_load_n((volatile int *)flag, __ATOMIC_SEQ_CST) != 0;
}

struct timespec deadline_in_ms(clockid_t clock, int timeout_ms)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

int join_bounded(pthread_t th, void **ret, int timeout_ms)
{
	struct timespec ts = deadline_in_ms(CLOCK_REALTIME, timeout_ms);

	return pthread_timedjoin_np(th, ret, &ts) == ETIMEDOUT ? ETIMEDOUT : 0;
}

struct hold hold;

void hold_handler(int sig)
{
	(void)sig;
	hold.in = 1;
	flag_set(&hold.entered);
	flag_wait(&hold.release);
	hold.in = 0;
}

void hold_reset(void)
{
	hold.in = hold.entered = hold.release = 0;
}
