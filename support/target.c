/* SPDX-License-Identifier: MIT */
/* target.c - the target thread record (see target.h). */
#define _GNU_SOURCE
#include "target.h"

#include "handshake.h"
#include "procfs.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

void target_begin(struct target *t)
{
	__atomic_store_n(&t->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
}

long target_returned(struct target *t, long rc)
{
	t->saved_errno = errno;
	t->result = rc;
	__atomic_store_n(&t->returned, 1, __ATOMIC_RELEASE);
	return rc;
}

int target_started(void *t)
{
	return __atomic_load_n(&((struct target *)t)->tid, __ATOMIC_ACQUIRE) != 0;
}

int target_in_syscall(const struct target *t, long nr)
{
	return t->tid && task_syscall(t->tid) == nr;
}

int target_join(struct target *t, void **ret, int timeout_ms, char *diag,
		size_t len)
{
	if (join_bounded(t->th, ret, timeout_ms) == 0)
		return 0;
	task_diagnose(t->tid, diag, len);
	return -1;
}
