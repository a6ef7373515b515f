/* SPDX-License-Identifier: MIT */
/*
 * Description: posix-points — every POSIX cancellation point that is not
 * a plain system call (condition waits, semaphore waits, joins, message
 * queues, sleep, usleep, lockf, aio_suspend, system, sigwait, wait) acts
 * on a cancellation, and acting consumes nothing.
 *
 * The race is the plain one of a cancellation point: a request pending
 * when the call starts, or made while it blocks, must end the thread
 * there (cleanup handlers run, the thread exits PTHREAD_CANCELED), and a
 * call that acts must not have done what it was for: the token, message,
 * signal, child, thread or lock it waited for is still there for somebody
 * else, a condition wait holds its mutex again before the cleanup
 * handlers run, and system leaves no shell behind.
 *
 * Two phases per call, each forced by construction:
 *  - pending: the thread requests its own cancellation, then makes the
 *    call with what it waits for already there, so the call would not
 *    block.  POSIX says cancellation points "shall occur" in these
 *    functions, so it must act all the same (a pending request is not
 *    left for the next call).
 *  - blocked: the call blocks (per /proc, in its syscall), then the
 *    request is made; it must act within 5 s.
 *
 * Correct: in both phases the call never returns, the cleanup handler
 * runs, and what it waited for is untouched.
 */
#define _GNU_SOURCE
#include <case.h>
#include <fixtures.h>
#include <handshake.h>
#include <procfs.h>

#include <aio.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PP_SIG SIGUSR1   /* blocked in every thread: sigwait's signal */

static const struct backend *be;

enum pp_phase { PP_PENDING, PP_BLOCKED };

struct pp_run {
	TARGET_RECORD;
	const struct pp_variant *v;
	enum pp_phase phase;
	volatile int cleanup_ran, owned;
	/* What the calls wait on. */
	pthread_mutex_t m;
	pthread_cond_t c;
	sem_t sem;
	pthread_t other;             /* join's target */
	volatile pid_t other_tid;
	volatile int release_other;
	mqd_t q;
	int msqid, fd, pipe[2];
	pid_t child;
	struct aiocb cb;
	char buf[16];
};

struct pp_variant {
	const char *name;
	long nr[2];                  /* syscalls it blocks in (per /proc) */
	/* Set up, with what the call waits for there (pending) or not. */
	int (*prepare)(struct pp_run *r);
	long (*call)(struct pp_run *r);
	/* After the call acted: "" or what it consumed or left wrong. */
	const char *(*untouched)(struct pp_run *r);
	void (*release)(struct pp_run *r);
	int (*available)(void);      /* NULL: always; 0 when libc lacks it */
};

static struct timespec pp_far(clockid_t clock)
{
	return deadline_in_ms(clock, 60000);
}

static const char *pp_nothing(struct pp_run *r)
{
	(void)r;
	return "";
}

/* ---- condition variables: the cleanup handler must own the mutex ---- */

static int prepare_cond(struct pp_run *r)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&r->m, &a);
	return be->posix->cond_init(&r->c, NULL);
}

/* Error-checking: the unlock succeeds only for the owner. */
static void pp_cond_cleanup(void *p)
{
	struct pp_run *r = p;

	r->owned = pthread_mutex_unlock(&r->m) == 0;
}

static long pp_cond(struct pp_run *r, int how)
{
	struct timespec abs = pp_far(how == 2 ? CLOCK_MONOTONIC : CLOCK_REALTIME);
	volatile long rc = 0;

	pthread_mutex_lock(&r->m);
	pthread_cleanup_push(pp_cond_cleanup, r);
	if (how == 0)
		rc = be->posix->cond_wait(&r->c, &r->m);
	else if (how == 1)
		rc = be->posix->cond_timedwait(&r->c, &r->m, &abs);
	else
		rc = be->posix->cond_clockwait(&r->c, &r->m, CLOCK_MONOTONIC, &abs);
	pthread_cleanup_pop(1);
	return rc;
}

static long call_cond_wait(struct pp_run *r) { return pp_cond(r, 0); }
static long call_cond_timedwait(struct pp_run *r) { return pp_cond(r, 1); }
static long call_cond_clockwait(struct pp_run *r) { return pp_cond(r, 2); }

static const char *untouched_cond(struct pp_run *r)
{
	return r->owned ? "" : "the cleanup handler ran without the mutex";
}

static void release_cond(struct pp_run *r)
{
	be->posix->cond_destroy(&r->c);
	pthread_mutex_destroy(&r->m);
}

/* ---- semaphores: a token there (pending) stays there ---- */

static int prepare_sem(struct pp_run *r)
{
	return sem_init(&r->sem, 0, r->phase == PP_PENDING);
}

static long call_sem_wait(struct pp_run *r)
{
	return be->posix->sem_wait(&r->sem);
}

static long call_sem_timedwait(struct pp_run *r)
{
	struct timespec abs = pp_far(CLOCK_REALTIME);

	return be->posix->sem_timedwait(&r->sem, &abs);
}

static long call_sem_clockwait(struct pp_run *r)
{
	struct timespec abs = pp_far(CLOCK_MONOTONIC);

	return be->posix->sem_clockwait(&r->sem, CLOCK_MONOTONIC, &abs);
}

/* The value is what it was, and the semaphore still works (a waiter that
 * left without unregistering would not break this, a lost token would). */
static const char *untouched_sem(struct pp_run *r)
{
	int v = -1;

	sem_getvalue(&r->sem, &v);
	if (v != (r->phase == PP_PENDING))
		return "the token was taken by the cancelled call";
	sem_post(&r->sem);
	return sem_trywait(&r->sem) ? "a post after it was not seen" : "";
}

static void release_sem(struct pp_run *r)
{
	sem_destroy(&r->sem);
}

/* ---- joins: the target stays joinable ---- */

static void *pp_other_main(void *p)
{
	struct pp_run *r = p;

	r->other_tid = (pid_t)syscall(SYS_gettid);
	flag_wait(&r->release_other);
	return r;
}

static int pp_other_gone(void *p)
{
	return task_state(((struct pp_run *)p)->other_tid) == 0;
}

/* Pending: the target has exited (its /proc entry is gone), unjoined. */
static int prepare_join(struct pp_run *r)
{
	r->release_other = r->phase == PP_PENDING;
	if (pthread_create(&r->other, NULL, pp_other_main, r))
		return -1;
	if (r->phase == PP_BLOCKED)
		return 0;
	while (!r->other_tid)
		sched_yield();
	return wait_until(pp_other_gone, r, SETUP_BOUND_MS) ? 0 : -1;
}

static long call_join(struct pp_run *r)
{
	return be->posix->join(r->other, NULL);
}

static long call_timedjoin(struct pp_run *r)
{
	struct timespec abs = pp_far(CLOCK_REALTIME);

	return be->posix->timedjoin(r->other, NULL, &abs);
}

static long call_clockjoin(struct pp_run *r)
{
	struct timespec abs = pp_far(CLOCK_MONOTONIC);

	return be->posix->clockjoin(r->other, NULL, CLOCK_MONOTONIC, &abs);
}

static const char *untouched_join(struct pp_run *r)
{
	void *ret = NULL;

	flag_set(&r->release_other);
	if (join_bounded(r->other, &ret, ACT_BOUND_MS) || ret != r)
		return "the target was no longer joinable";
	r->other = 0;
	return "";
}

static void release_join(struct pp_run *r)
{
	(void)r;
}

/* ---- message queues: a message there (or room) stays ---- */

static int prepare_mq(struct pp_run *r, int full)
{
	return (r->q = fixture_mq(sizeof r->buf, full)) < 0 ? -1 : 0;
}

/* A receive waits for a message; a send for room in a full queue. */
static int prepare_mq_receive(struct pp_run *r)
{
	return prepare_mq(r, r->phase == PP_PENDING);
}

static int prepare_mq_send(struct pp_run *r)
{
	return prepare_mq(r, r->phase == PP_BLOCKED);
}

static long call_mq_receive(struct pp_run *r)
{
	return be->posix->mq_receive(r->q, r->buf, sizeof r->buf, NULL);
}

static long call_mq_timedreceive(struct pp_run *r)
{
	struct timespec abs = pp_far(CLOCK_REALTIME);

	return be->posix->mq_timedreceive(r->q, r->buf, sizeof r->buf, NULL, &abs);
}

static long call_mq_send(struct pp_run *r)
{
	return be->posix->mq_send(r->q, FIXTURE_MSG, sizeof FIXTURE_MSG, 0);
}

static long call_mq_timedsend(struct pp_run *r)
{
	struct timespec abs = pp_far(CLOCK_REALTIME);

	return be->posix->mq_timedsend(r->q, FIXTURE_MSG, sizeof FIXTURE_MSG, 0, &abs);
}

static const char *untouched_mq_receive(struct pp_run *r)
{
	return fixture_mq_count(r->q) == (r->phase == PP_PENDING) ? ""
		: "the queued message was taken";
}

static const char *untouched_mq_send(struct pp_run *r)
{
	return fixture_mq_count(r->q) == (r->phase == PP_BLOCKED) ? ""
		: "the message was sent";
}

static void release_mq(struct pp_run *r)
{
	mq_close(r->q);
}

static int prepare_msg(struct pp_run *r, int full)
{
	return (r->msqid = fixture_msg(full)) < 0 ? -1 : 0;
}

static int prepare_msgrcv(struct pp_run *r)
{
	return prepare_msg(r, r->phase == PP_PENDING);
}

static int prepare_msgsnd(struct pp_run *r)
{
	return prepare_msg(r, r->phase == PP_BLOCKED);
}

static long call_msgrcv(struct pp_run *r)
{
	struct fixture_msgbuf m;

	return be->posix->msgrcv(r->msqid, &m, sizeof m.text, 0, 0);
}

static long call_msgsnd(struct pp_run *r)
{
	struct fixture_msgbuf m = { 1, FIXTURE_MSG };

	return be->posix->msgsnd(r->msqid, &m, sizeof m.text, 0);
}

static const char *untouched_msgrcv(struct pp_run *r)
{
	return fixture_msg_count(r->msqid) == (r->phase == PP_PENDING) ? ""
		: "the queued message was taken";
}

static const char *untouched_msgsnd(struct pp_run *r)
{
	return fixture_msg_count(r->msqid) == (r->phase == PP_BLOCKED) ? ""
		: "the message was sent";
}

static void release_msg(struct pp_run *r)
{
	msgctl(r->msqid, IPC_RMID, NULL);
}

/* ---- sleeps ---- */

static long call_sleep(struct pp_run *r)
{
	return be->posix->sleep(r->phase == PP_PENDING ? 0 : 60);
}

static long call_usleep(struct pp_run *r)
{
	return be->posix->usleep(r->phase == PP_PENDING ? 0 : 30000000u);
}

/* ---- lockf: another process holds the lock (blocked) or nobody ---- */

/* Another process holds it: our test lock fails. */
static int pp_locked_elsewhere(void *p)
{
	return lockf(((struct pp_run *)p)->fd, F_TEST, 0) != 0;
}

static int prepare_lockf(struct pp_run *r)
{
	char path[] = "/tmp/cpstorm-posix-points-XXXXXX";
	char c;

	if ((r->fd = mkstemp(path)) < 0)
		return -1;
	unlink(path);
	if (r->phase == PP_PENDING)
		return 0;
	if (pipe2(r->pipe, O_CLOEXEC) || (r->child = fork()) < 0)
		return -1;
	if (r->child == 0) {
		/* Holds the lock until the pipe's write end closes. */
		close(r->pipe[1]);
		if (lockf(r->fd, F_LOCK, 0) == 0)
			while (read(r->pipe[0], &c, 1) > 0)
				;
		_exit(0);
	}
	close(r->pipe[0]);
	return wait_until(pp_locked_elsewhere, r, SETUP_BOUND_MS) ? 0 : -1;
}

static long call_lockf(struct pp_run *r)
{
	return be->posix->lockf(r->fd, F_LOCK, 0);
}

/* Another process can take the lock: the cancelled call did not. */
static const char *untouched_lockf(struct pp_run *r)
{
	int status;
	pid_t p;

	if (r->phase == PP_BLOCKED)
		return "";
	if ((p = fork()) == 0)
		_exit(lockf(r->fd, F_TLOCK, 0) == 0 ? 0 : 1);
	if (p < 0 || waitpid(p, &status, 0) != p)
		return "could not check the lock";
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? ""
		: "the lock was taken by the cancelled call";
}

static void release_lockf(struct pp_run *r)
{
	if (r->phase == PP_BLOCKED) {
		close(r->pipe[1]);
		waitpid(r->child, NULL, 0);
	}
	close(r->fd);
}

/* ---- aio_suspend: a read that completed (pending) or cannot ---- */

static int pp_aio_done(void *p)
{
	return aio_error(&((struct pp_run *)p)->cb) != EINPROGRESS;
}

static int prepare_aio(struct pp_run *r)
{
	if (pipe2(r->pipe, O_CLOEXEC))
		return -1;
	memset(&r->cb, 0, sizeof r->cb);
	r->cb.aio_fildes = r->pipe[0];
	r->cb.aio_buf = r->buf;
	r->cb.aio_nbytes = 1;
	if (aio_read(&r->cb))
		return -1;
	if (r->phase == PP_BLOCKED)
		return 0;
	if (write(r->pipe[1], "x", 1) != 1)
		return -1;
	return wait_until(pp_aio_done, r, SETUP_BOUND_MS) &&
	       aio_error(&r->cb) == 0 ? 0 : -1;
}

static long call_aio_suspend(struct pp_run *r)
{
	const struct aiocb *list[] = { &r->cb };

	return be->posix->aio_suspend(list, 1, NULL);
}

static void release_aio(struct pp_run *r)
{
	if (r->phase == PP_BLOCKED && write(r->pipe[1], "x", 1) == 1)
		wait_until(pp_aio_done, r, SETUP_BOUND_MS);
	aio_return(&r->cb);
	close(r->pipe[0]);
	close(r->pipe[1]);
}

/* ---- system: no shell left behind ---- */

static struct sigaction pp_sigint;   /* SIGINT's disposition before */

static long call_system(struct pp_run *r)
{
	/* exec: the shell becomes the sleep, so killing it leaves nothing. */
	return be->posix->system(r->phase == PP_PENDING ? "exit 0"
						       : "exec sleep 60");
}

/* A child the backend's system left running (the finding) must not
 * outlive the case: it would hold the runner's output pipe open (its
 * timeout, not a verdict).  Every child of every thread goes. */
static void kill_children(void)
{
	char path[300], buf[256];
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		FILE *f;
		long pid;
		char *p = buf, *end;

		snprintf(path, sizeof path, "/proc/self/task/%s/children", e->d_name);
		if (e->d_name[0] == '.' || !(f = fopen(path, "r")))
			continue;
		if (fgets(buf, sizeof buf, f))
			while ((pid = strtol(p, &end, 10)) > 0 && end != p) {
				kill((pid_t)pid, SIGKILL);
				waitpid((pid_t)pid, NULL, __WALL);
				p = end;
			}
		fclose(f);
	}
	if (d)
		closedir(d);
}

static const char *untouched_no_child(struct pp_run *r)
{
	struct sigaction sa;

	(void)r;
	if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD) {
		kill_children();
		return "a child was left behind (not killed and reaped)";
	}
	sigaction(SIGINT, NULL, &sa);
	return sa.sa_handler == pp_sigint.sa_handler ? ""
		: "SIGINT was left ignored";
}

/* ---- sigwait: a process-directed signal every thread blocks ---- */

static int prepare_sigwait(struct pp_run *r)
{
	return r->phase == PP_PENDING ? kill(getpid(), PP_SIG) : 0;
}

static long call_sigwait(struct pp_run *r)
{
	sigset_t set;
	int sig;

	(void)r;
	sigemptyset(&set);
	sigaddset(&set, PP_SIG);
	return be->posix->sigwait(&set, &sig);
}

static const char *untouched_sigwait(struct pp_run *r)
{
	return fixture_sig_pending(PP_SIG) == (r->phase == PP_PENDING) ? ""
		: "the pending signal was taken";
}

static void release_sigwait(struct pp_run *r)
{
	(void)r;
	fixture_sig_drain(PP_SIG);
}

/* ---- wait: a child that has exited (pending) or has not ---- */

static int prepare_wait(struct pp_run *r)
{
	if (pipe2(r->pipe, O_CLOEXEC) || (r->child = fork()) < 0)
		return -1;
	if (r->child == 0) {
		char c;

		close(r->pipe[1]);
		while (read(r->pipe[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(r->pipe[0]);
	if (r->phase == PP_BLOCKED)
		return 0;
	close(r->pipe[1]);
	r->pipe[1] = -1;
	return fixture_child_exited(r->child);
}

static long call_wait(struct pp_run *r)
{
	int status;

	(void)r;
	return be->posix->wait(&status);
}

static const char *untouched_wait(struct pp_run *r)
{
	if (r->phase == PP_BLOCKED)
		return "";
	return fixture_child_reaped(r->child) ? "the exited child was reaped" : "";
}

static void release_wait(struct pp_run *r)
{
	if (r->pipe[1] >= 0)
		close(r->pipe[1]);
	waitpid(r->child, NULL, 0);
}

static void release_nothing(struct pp_run *r)
{
	(void)r;
}

/* The C library may lack the clock forms (musl). */
static int has_cond_clockwait(void) { return be->posix->cond_clockwait != NULL; }
static int has_sem_clockwait(void) { return be->posix->sem_clockwait != NULL; }
static int has_clockjoin(void) { return be->posix->clockjoin != NULL; }

/* 32-bit arches wait with a deadline through futex_time64. */
#ifdef SYS_futex_time64
#define PP_FUTEX { SYS_futex, SYS_futex_time64 }
#else
#define PP_FUTEX { SYS_futex, SYS_futex }
#endif
/* i386's C library reaches the System V queues through ipc(2). */
#ifdef SYS_ipc
#define PP_SYSV(nr) { nr, SYS_ipc }
#else
#define PP_SYSV(nr) { nr, nr }
#endif
/* 32-bit C libraries lock through fcntl64. */
#ifdef SYS_fcntl64
#define PP_FCNTL { SYS_fcntl, SYS_fcntl64 }
#else
#define PP_FCNTL { SYS_fcntl, SYS_fcntl }
#endif

static const struct pp_variant variants[] = {
	{ .name = "cond_wait", .nr = PP_FUTEX, .prepare = prepare_cond,
	  .call = call_cond_wait, .untouched = untouched_cond,
	  .release = release_cond },
	{ .name = "cond_timedwait", .nr = PP_FUTEX, .prepare = prepare_cond,
	  .call = call_cond_timedwait, .untouched = untouched_cond,
	  .release = release_cond },
	{ .name = "cond_clockwait", .nr = PP_FUTEX, .prepare = prepare_cond,
	  .call = call_cond_clockwait, .untouched = untouched_cond,
	  .release = release_cond, .available = has_cond_clockwait },
	{ .name = "sem_wait", .nr = PP_FUTEX, .prepare = prepare_sem,
	  .call = call_sem_wait, .untouched = untouched_sem,
	  .release = release_sem },
	{ .name = "sem_timedwait", .nr = PP_FUTEX, .prepare = prepare_sem,
	  .call = call_sem_timedwait, .untouched = untouched_sem,
	  .release = release_sem },
	{ .name = "sem_clockwait", .nr = PP_FUTEX, .prepare = prepare_sem,
	  .call = call_sem_clockwait, .untouched = untouched_sem,
	  .release = release_sem, .available = has_sem_clockwait },
	{ .name = "join", .nr = PP_FUTEX, .prepare = prepare_join,
	  .call = call_join, .untouched = untouched_join,
	  .release = release_join },
	{ .name = "timedjoin", .nr = PP_FUTEX, .prepare = prepare_join,
	  .call = call_timedjoin, .untouched = untouched_join,
	  .release = release_join },
	{ .name = "clockjoin", .nr = PP_FUTEX, .prepare = prepare_join,
	  .call = call_clockjoin, .untouched = untouched_join,
	  .release = release_join, .available = has_clockjoin },
	{ .name = "mq_receive", .nr = { SYS_mq_timedreceive, SYS_mq_timedreceive },
	  .prepare = prepare_mq_receive, .call = call_mq_receive,
	  .untouched = untouched_mq_receive, .release = release_mq },
	{ .name = "mq_timedreceive",
	  .nr = { SYS_mq_timedreceive, SYS_mq_timedreceive },
	  .prepare = prepare_mq_receive, .call = call_mq_timedreceive,
	  .untouched = untouched_mq_receive, .release = release_mq },
	{ .name = "mq_send", .nr = { SYS_mq_timedsend, SYS_mq_timedsend },
	  .prepare = prepare_mq_send, .call = call_mq_send,
	  .untouched = untouched_mq_send, .release = release_mq },
	{ .name = "mq_timedsend", .nr = { SYS_mq_timedsend, SYS_mq_timedsend },
	  .prepare = prepare_mq_send, .call = call_mq_timedsend,
	  .untouched = untouched_mq_send, .release = release_mq },
	{ .name = "msgrcv", .nr = PP_SYSV(SYS_msgrcv),
	  .prepare = prepare_msgrcv, .call = call_msgrcv,
	  .untouched = untouched_msgrcv, .release = release_msg },
	{ .name = "msgsnd", .nr = PP_SYSV(SYS_msgsnd),
	  .prepare = prepare_msgsnd, .call = call_msgsnd,
	  .untouched = untouched_msgsnd, .release = release_msg },
	{ .name = "sleep", .nr = { SYS_nanosleep, SYS_clock_nanosleep },
	  .call = call_sleep, .untouched = pp_nothing, .release = release_nothing },
	{ .name = "usleep", .nr = { SYS_nanosleep, SYS_clock_nanosleep },
	  .call = call_usleep, .untouched = pp_nothing, .release = release_nothing },
	{ .name = "lockf", .nr = PP_FCNTL,
	  .prepare = prepare_lockf, .call = call_lockf,
	  .untouched = untouched_lockf, .release = release_lockf },
	{ .name = "aio_suspend", .nr = PP_FUTEX, .prepare = prepare_aio,
	  .call = call_aio_suspend, .untouched = pp_nothing,
	  .release = release_aio },
	{ .name = "system", .nr = { SYS_wait4, SYS_wait4 },
	  .call = call_system, .untouched = untouched_no_child,
	  .release = release_nothing },
	{ .name = "sigwait", .nr = { SYS_rt_sigtimedwait, SYS_rt_sigtimedwait },
	  .prepare = prepare_sigwait, .call = call_sigwait,
	  .untouched = untouched_sigwait, .release = release_sigwait },
	{ .name = "wait", .nr = { SYS_wait4, SYS_wait4 },
	  .prepare = prepare_wait, .call = call_wait,
	  .untouched = untouched_wait, .release = release_wait },
};

#define N_VARIANTS (sizeof variants / sizeof *variants)

static void pp_cleanup(void *p)
{
	((struct pp_run *)p)->cleanup_ran = 1;
}

static void *pp_target_main(void *p)
{
	struct pp_run *r = p;

	if (r->phase == PP_PENDING)
		be->cancel(pthread_self());
	target_begin(&r->target);
	pthread_cleanup_push(pp_cleanup, r);
	target_returned(&r->target, r->v->call(r));
	pthread_cleanup_pop(0);
	be->testcancel();
	return NULL;
}

static int pp_blocked(void *p)
{
	struct pp_run *r = p;
	long nr = task_syscall(r->tid);

	return nr == r->v->nr[0] || nr == r->v->nr[1];
}

/* One phase: "" or what went wrong. */
static const char *pp_phase(const struct pp_variant *v, enum pp_phase phase,
			    char *why, size_t len)
{
	struct pp_run r = { .v = v, .phase = phase, .q = -1, .msqid = -1,
			    .fd = -1, .pipe = { -1, -1 } };
	const char *name = phase == PP_PENDING ? "pending" : "blocked";
	const char *what;
	char diag[512];
	void *ret;

	if (v->prepare && v->prepare(&r))
		verdict_exit(VERDICT_ERROR, "%s/%s: setup: %s", v->name, name,
			     strerror(errno));
	if (pthread_create(&r.th, NULL, pp_target_main, &r))
		verdict_exit(VERDICT_ERROR, "pthread_create: %s", strerror(errno));
	if (!wait_until(target_started, &r.target, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "%s/%s: the thread never started",
			     v->name, name);
	watchdog_watch(r.tid);
	if (phase == PP_BLOCKED) {
		if (!wait_until(pp_blocked, &r, SETUP_BOUND_MS)) {
			task_diagnose(r.tid, diag, sizeof diag);
			verdict_exit(VERDICT_ERROR, "%s: never blocked in its "
				     "syscall: %s", v->name, diag);
		}
		be->cancel(r.th);
	}
	if (target_join(&r.target, &ret, ACT_BOUND_MS, diag, sizeof diag))
		verdict_exit(VERDICT_FAIL, "%s/%s: the request did not act within "
			     "%d s: %s", v->name, name, BOUND_S(ACT_BOUND_MS), diag);
	why[0] = 0;
	if (r.returned)
		snprintf(why, len, "%s/%s: returned %ld instead of acting", v->name,
			 name, r.result);
	else if (ret != PTHREAD_CANCELED || !r.cleanup_ran)
		snprintf(why, len, "%s/%s: the thread ended without its cleanup "
			 "handler", v->name, name);
	if (*(what = v->untouched(&r)))
		snprintf(why + strlen(why), len - strlen(why), "%s%s/%s: %s",
			 *why ? "; " : "", v->name, name, what);
	v->release(&r);
	return why;
}

int main(int argc, char **argv)
{
	static char why[N_VARIANTS][2][384];
	char bad[4000] = "", missing[256] = "";
	sigset_t block;

	/* Before any thread exists: every thread inherits it. */
	sigemptyset(&block);
	sigaddset(&block, PP_SIG);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	be = case_start(argc, argv, &(struct case_info){ .name = "posix-points" });
	sigaction(SIGINT, NULL, &pp_sigint);
	for (size_t i = 0; i < N_VARIANTS; i++) {
		if (variants[i].available && !variants[i].available()) {
			verdict_append(missing, sizeof missing, variants[i].name);
			continue;
		}
		verdict_append(bad, sizeof bad, pp_phase(&variants[i], PP_PENDING,
				why[i][0], sizeof why[i][0]));
		verdict_append(bad, sizeof bad, pp_phase(&variants[i], PP_BLOCKED,
				why[i][1], sizeof why[i][1]));
	}
	verdict_metric("calls", "%zu", N_VARIANTS);
	if (*bad)
		verdict_exit(VERDICT_FAIL, "%s", bad);
	verdict_exit(VERDICT_PASS, "every call acted on a pending request and "
		     "on one made while it blocked, consuming nothing (tokens, "
		     "messages, signals, children, joinable threads and locks "
		     "left, condition mutex owned by the cleanup, no shell left)"
		     "%s%s", *missing ? "; the C library has no: " : "", missing);
}
