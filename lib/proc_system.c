/* SPDX-License-Identifier: MIT */
/*
 * proc_system.c - system() as a libcp cancellation point.
 *
 * POSIX: run "sh -c command" with SIGINT and SIGQUIT ignored and SIGCHLD
 * blocked in the caller, wait for it and return its status.  The wait is
 * cp_wait4, so the window rule decides the race with the child's exit:
 * a wait the kernel completed has reaped the child and returns its status;
 * a cancellation that acts has reaped nothing, so the child still exists,
 * and the cleanup handler kills it and reaps it: no zombie, and the pid it
 * kills cannot have been recycled.  Classic glibc acts after a completed
 * wait too: the status is lost, and its cleanup kills a pid it has
 * already reaped.
 *
 * The dispositions are process-wide: concurrent calls share them (a count
 * under a lock), and the last one out restores them.
 */
#define _GNU_SOURCE
#include <cp.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static pthread_mutex_t cp_system_lock = PTHREAD_MUTEX_INITIALIZER;
static int cp_system_users;
static struct sigaction cp_system_old_int, cp_system_old_quit;

struct cp_system_run {
	pid_t pid;
	sigset_t old_mask;
};

static void cp_system_enter(struct cp_system_run *run)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigset_t chld;

	sigemptyset(&ign.sa_mask);
	pthread_mutex_lock(&cp_system_lock);
	if (cp_system_users++ == 0) {
		sigaction(SIGINT, &ign, &cp_system_old_int);
		sigaction(SIGQUIT, &ign, &cp_system_old_quit);
	}
	pthread_mutex_unlock(&cp_system_lock);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &chld, &run->old_mask);
}

static void cp_system_leave(const struct cp_system_run *run)
{
	pthread_mutex_lock(&cp_system_lock);
	if (--cp_system_users == 0) {
		sigaction(SIGINT, &cp_system_old_int, NULL);
		sigaction(SIGQUIT, &cp_system_old_quit, NULL);
	}
	pthread_mutex_unlock(&cp_system_lock);
	pthread_sigmask(SIG_SETMASK, &run->old_mask, NULL);
}

/* Cleanup handler: the wait never completed, so the child is unreaped.
 * The raw wait4 is no cancellation point under any name. */
static void cp_system_cancelled(void *p)
{
	struct cp_system_run *run = p;
	int status;

	kill(run->pid, SIGKILL);
	while (syscall(SYS_wait4, run->pid, &status, 0, NULL) < 0 && errno == EINTR)
		;
	cp_system_leave(run);
}

/* The shell gets the caller's mask and default SIGINT/SIGQUIT. */
static int cp_system_spawn(const char *cmd, struct cp_system_run *run)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	posix_spawnattr_t attr;
	sigset_t def;
	int err;

	sigemptyset(&def);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGQUIT);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setsigmask(&attr, &run->old_mask);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	err = posix_spawn(&run->pid, "/bin/sh", NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	return err;
}

/* The wait, with its cleanup handler (setjmp's frame, apart). */
static pid_t cp_system_wait(struct cp_system_run *run, int *status)
{
	volatile pid_t r;

	pthread_cleanup_push(cp_system_cancelled, run);
	do
		r = cp_wait4(run->pid, status, 0, NULL);
	while (r < 0 && errno == EINTR);
	pthread_cleanup_pop(0);
	return r;
}

/* NULL asks whether a shell is there.  A shell that cannot be started
 * reports status 127 (as glibc does), errno saying why. */
int cp_system(const char *cmd)
{
	struct cp_system_run run;
	int status = -1, err;
	pid_t r;

	if (!cmd)
		return cp_system("exit 0") == 0;
	cp_testcancel();
	cp_system_enter(&run);
	if ((err = cp_system_spawn(cmd, &run))) {
		cp_system_leave(&run);
		errno = err;
		return 127 << 8;
	}
	r = cp_system_wait(&run, &status);
	cp_system_leave(&run);
	return r < 0 ? -1 : status;
}
