/* SPDX-License-Identifier: MIT */
/*
 * test_ctor.c - cp_cancel from a constructor that runs before libcp's own.
 *
 * This object is linked before libcp.a, so its constructor runs first
 * (.init_array runs in link order): libcp has not initialised anything
 * yet.  The constructor starts a thread blocked in cp_read and cancels
 * it.  A correct libcp initialises whatever the request needs on the
 * spot: the thread is cancelled, and nothing in its thread descriptor is
 * written over.  Exit 0 on success, 1 with a one-line reason otherwise.
 */
#define _GNU_SOURCE
#include <cp.h>

#include <handshake.h>
#include <procfs.h>
#include <verdict.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CTOR_WAIT_MS 5000

static int pipefd[2];
static volatile pid_t tid;
static volatile int started;
static const char *failure;

static void *reader(void *p)
{
	char c;

	(void)p;
	tid = (pid_t)syscall(SYS_gettid);
	flag_set(&started);
	cp_read(pipefd[0], &c, 1);
	return (void *)1;
}

static int in_read(void *p)
{
	(void)p;
	return task_syscall(tid) == SYS_read;
}

__attribute__((constructor)) static void cancel_before_libcp_init(void)
{
	pthread_t th;
	void *ret = NULL;

	if (pipe(pipefd) || pthread_create(&th, NULL, reader, NULL)) {
		failure = "setup: pipe or pthread_create failed";
		return;
	}
	flag_wait(&started);
	/* Under qemu-user /proc shows host syscall numbers (qemu-run.sh says
	 * so): the request then goes out without the wait. */
	if (!getenv("CP_UNDER_QEMU_USER") &&
	    !wait_until(in_read, NULL, CTOR_WAIT_MS)) {
		failure = "setup: the thread never blocked in read";
		return;
	}
	if (cp_cancel(th)) {
		failure = "cp_cancel failed";
		return;
	}
	if (join_bounded(th, &ret, CTOR_WAIT_MS))
		failure = "the request from the constructor was lost (still "
			  "blocked 5 s later)";
	else if (ret != PTHREAD_CANCELED)
		failure = "the thread returned instead of being cancelled";
}

int main(void)
{
	if (failure) {
		printf("FAIL: %s\n", failure);
		return 1;
	}
	printf("PASS: a request made from a constructor that runs before "
	       "libcp's acted\n");
	return 0;
}
