/* SPDX-License-Identifier: MIT */
/*
 * test_dropin.c - the drop-in as a program meets it: linked with
 * -lcp-dropin (here the test build's), built as Debian builds
 * (-O2 -D_FORTIFY_SOURCE=2 -D_FILE_OFFSET_BITS=64), so its reads are
 * __read_chk, its opens __open_2 and open64, and it knows nothing of
 * libcp.  Checks:
 *  - a thread blocked in a fortified read, in a 64-bit open of a FIFO and
 *    in pthread_cond_wait is cancelled, the last with its mutex owned by
 *    the cleanup handler;
 *  - the cancel signal cannot be blocked (a full mask leaves it out) nor
 *    its handler replaced (EINVAL), and is above SIGRTMAX;
 *  - sigwaitinfo reports raise's signal as SI_USER, as glibc does;
 *  - a thread blocked inside stdio (fgets: glibc's internal read) is not
 *    cancelled there, and keeps its line: the drop-in's stated limit.
 * Exit 0 when every check passes, 1 with one line per failure.
 */
#define _GNU_SOURCE
#include <bounds.h>
#include <handshake.h>
#include <procfs.h>
#include <verdict.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if !defined(_FORTIFY_SOURCE) || _FILE_OFFSET_BITS != 64
#error "build with -O2 -D_FORTIFY_SOURCE=2 -D_FILE_OFFSET_BITS=64"
#endif

static int failures;

static void check(int ok, const char *what)
{
	if (!ok) {
		printf("FAIL: %s\n", what);
		failures++;
	}
}

struct target {
	pthread_t th;
	volatile pid_t tid;
	volatile int returned, cleanup_owned;
	int fd;
	size_t n;            /* not a constant: the read is __read_chk */
	char path[64];
	FILE *f;
};

static pthread_mutex_t mutex;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;

static void *blocked_read(void *p)
{
	struct target *t = p;
	char buf[16];

	t->tid = (pid_t)syscall(SYS_gettid);
	if (read(t->fd, buf, t->n) >= 0)   /* __read_chk */
		t->returned = 1;
	return NULL;
}

static void *blocked_open(void *p)
{
	struct target *t = p;

	t->tid = (pid_t)syscall(SYS_gettid);
	if (open(t->path, O_RDONLY) >= 0)   /* open64 (a FIFO without writer) */
		t->returned = 1;
	return NULL;
}

static void unlock_owned(void *p)
{
	((struct target *)p)->cleanup_owned = pthread_mutex_unlock(&mutex) == 0;
}

static void *blocked_cond(void *p)
{
	struct target *t = p;

	t->tid = (pid_t)syscall(SYS_gettid);
	pthread_mutex_lock(&mutex);
	pthread_cleanup_push(unlock_owned, t);
	pthread_cond_wait(&cond, &mutex);
	t->returned = 1;
	pthread_cleanup_pop(1);
	return NULL;
}

static void *blocked_fgets(void *p)
{
	struct target *t = p;
	char line[16];

	t->tid = (pid_t)syscall(SYS_gettid);
	if (fgets(line, sizeof line, t->f))
		t->returned = 1;
	pthread_testcancel();
	return NULL;
}

static long in_syscall_nr;

static int in_the_syscall(void *p)
{
	struct target *t = p;

	return t->tid && task_syscall(t->tid) == in_syscall_nr;
}

static int in_syscall(struct target *t, long nr)
{
	in_syscall_nr = nr;
	return wait_until(in_the_syscall, t, SETUP_BOUND_MS);
}

/* Start fn, see it blocked in nr, cancel it: is it cancelled? */
static int cancelled_in(void *(*fn)(void *), struct target *t, long nr)
{
	void *ret = NULL;

	pthread_create(&t->th, NULL, fn, t);
	if (!in_syscall(t, nr)) {
		printf("ERROR: the thread never blocked in syscall %ld\n", nr);
		_exit(2);
	}
	pthread_cancel(t->th);
	if (join_bounded(t->th, &ret, ACT_BOUND_MS)) {
		printf("FAIL: still blocked %d s after the request\n",
		       BOUND_S(ACT_BOUND_MS));
		_exit(1);
	}
	return ret == PTHREAD_CANCELED && !t->returned;
}

/* raise sends with tgkill (the kernel's SI_TKILL); glibc says SI_USER. */
static int raised_is_si_user(void)
{
	siginfo_t si = { 0 };
	sigset_t usr1, old;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, &old);
	raise(SIGUSR1);
	if (sigwaitinfo(&usr1, &si) != SIGUSR1)
		return 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return si.si_code == SI_USER;
}

int main(void)
{
	struct target r = { 0 }, o = { 0 }, c = { 0 }, s = { 0 };
	pthread_mutexattr_t ma;
	struct sigaction sa = { .sa_handler = SIG_IGN };
	const char *env = getenv("CP_SIGNAL");
	/* libcp's default, the C library's SIGRTMAX - 1 (the drop-in's
	 * SIGRTMAX is lower: that is one of the checks). */
	int fds[2], sig = env && *env ? atoi(env) : _NSIG - 2;
	sigset_t all, now;

	if (pipe(fds))
		return 2;
	r.fd = fds[0];
	r.n = (size_t)getpid() % 8 + 1;
	check(cancelled_in(blocked_read, &r, SYS_read),
	      "a fortified read (__read_chk) was not cancelled");
	snprintf(o.path, sizeof o.path, "/tmp/cp-dropin-fifo-%d", getpid());
	if (mkfifo(o.path, 0600))
		return 2;
	check(cancelled_in(blocked_open, &o, SYS_openat),
	      "a 64-bit open of a FIFO was not cancelled");
	unlink(o.path);
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&mutex, &ma);
	check(cancelled_in(blocked_cond, &c, SYS_futex),
	      "pthread_cond_wait was not cancelled");
	check(c.cleanup_owned, "the cleanup handler ran without the mutex");

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_sigmask(SIG_BLOCK, NULL, &now);
	check(!sigismember(&now, sig), "a full mask blocked the cancel signal");
	pthread_sigmask(SIG_UNBLOCK, &all, NULL);
	check(sigaction(sig, &sa, NULL) == -1 && errno == EINVAL,
	      "the cancel signal's handler could be replaced");
	check(SIGRTMAX < sig, "the cancel signal is inside SIGRTMIN..SIGRTMAX");
	check(raised_is_si_user(), "sigwaitinfo reported raise's signal as "
	      "other than SI_USER");

	/* stdio reads through glibc's internal read: no cancellation point
	 * under the drop-in, so the request sends no signal at all and the
	 * thread stays where it is.  The request waits; the line is kept. */
	if (pipe(fds) || !(s.f = fdopen(fds[0], "r")))
		return 2;
	pthread_create(&s.th, NULL, blocked_fgets, &s);
	if (!in_syscall(&s, SYS_read))
		return 2;
	pthread_cancel(s.th);
	check(task_syscall(s.tid) == SYS_read && !task_signal_due((void *)&s.tid),
	      "fgets was cancelled inside glibc (the limit has moved: update "
	      "docs/drop-in.md)");
	check(write(fds[1], "line\n", 5) == 5, "write");
	pthread_join(s.th, NULL);
	check(s.returned, "fgets lost its line");
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
