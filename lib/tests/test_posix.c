/* SPDX-License-Identifier: MIT */
/*
 * test_posix.c - the LIBCP_1.1 cancellation points do their job: the
 * condition variable, glibc-compatible semaphore, join, message queues,
 * sleeps, lockf, sigwait, wait, system and aio_suspend return what their
 * POSIX namesakes return, and each is cancellable while it blocks.  (The
 * races against cancellation are forced by the cases: cases/wake-kept.c,
 * cases/result-kept.c, cases/posix-points.c.)
 */
#include "unit.h"

#include <aio.h>
#include <cp.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct timespec in_ms(clockid_t clock, long ms)
{
	return deadline_in_ms(clock, (int)ms);
}

/* ---- condition variables ---- */

static cp_cond_t cond = CP_COND_INITIALIZER;
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static int ready, woken;

static void cond_waiter(struct unit_target *t)
{
	pthread_mutex_lock(&mutex);
	while (!ready)
		t->result = cp_cond_wait(&cond, &mutex);
	woken++;
	pthread_mutex_unlock(&mutex);
}

START_TEST(cond_signal_wakes_each_waiter)
{
	struct unit_target t[4] = { 0 };

	for (int i = 0; i < 4; i++) {
		unit_start(&t[i], cond_waiter);
		unit_wait_in_syscall(&t[i], SYS_futex);
	}
	pthread_mutex_lock(&mutex);
	ready = 1;
	pthread_mutex_unlock(&mutex);
	for (int i = 0; i < 4; i++)
		cp_cond_signal(&cond);
	for (int i = 0; i < 4; i++) {
		unit_join(&t[i]);
		ck_assert_int_eq(t[i].result, 0);
	}
	ck_assert_int_eq(woken, 4);
	ck_assert_int_eq(cp_cond_destroy(&cond), 0);
}
END_TEST

START_TEST(cond_broadcast_then_destroy)
{
	struct unit_target t[3] = { 0 };

	ck_assert_int_eq(cp_cond_init(&cond, NULL), 0);
	for (int i = 0; i < 3; i++) {
		unit_start(&t[i], cond_waiter);
		unit_wait_in_syscall(&t[i], SYS_futex);
	}
	pthread_mutex_lock(&mutex);
	ready = 1;
	cp_cond_broadcast(&cond);
	pthread_mutex_unlock(&mutex);
	/* POSIX: destroyable as soon as nobody is blocked on it; the woken
	 * waiters may still be leaving, and destroy waits for them. */
	ck_assert_int_eq(cp_cond_destroy(&cond), 0);
	for (int i = 0; i < 3; i++)
		unit_join(&t[i]);
	ck_assert_int_eq(woken, 3);
}
END_TEST

START_TEST(cond_timedwait_times_out_with_mutex)
{
	pthread_mutexattr_t ma;
	pthread_mutex_t m;
	pthread_condattr_t ca;
	cp_cond_t c;
	struct timespec abs;

	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&m, &ma);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	ck_assert_int_eq(cp_cond_init(&c, &ca), 0);
	pthread_mutex_lock(&m);
	abs = in_ms(CLOCK_MONOTONIC, 20);
	ck_assert_int_eq(cp_cond_timedwait(&c, &m, &abs), ETIMEDOUT);
	abs = in_ms(CLOCK_REALTIME, 20);
	ck_assert_int_eq(cp_cond_clockwait(&c, &m, CLOCK_REALTIME, &abs), ETIMEDOUT);
	abs.tv_sec = -1;
	ck_assert_int_eq(cp_cond_clockwait(&c, &m, CLOCK_MONOTONIC, &abs), ETIMEDOUT);
	abs.tv_nsec = 1000000000L;
	ck_assert_int_eq(cp_cond_timedwait(&c, &m, &abs), EINVAL);
	ck_assert_int_eq(cp_cond_clockwait(&c, &m, CLOCK_PROCESS_CPUTIME_ID, &abs),
			 EINVAL);
	/* Every return kept the mutex: the error-checking unlock succeeds. */
	ck_assert_int_eq(pthread_mutex_unlock(&m), 0);
	ck_assert_int_eq(cp_cond_wait(&c, &m), EPERM);   /* not locked */
}
END_TEST

static pthread_mutex_t ec_mutex;
static volatile int cleanup_owned = -1;

static void cond_cleanup(void *p)
{
	(void)p;
	/* Error-checking: unlock succeeds only for the owner. */
	cleanup_owned = pthread_mutex_unlock(&ec_mutex) == 0;
}

static void cond_cancel_body(struct unit_target *t)
{
	pthread_mutex_lock(&ec_mutex);
	pthread_cleanup_push(cond_cleanup, NULL);
	for (;;)
		t->result = cp_cond_wait(&cond, &ec_mutex);
	pthread_cleanup_pop(0);
}

START_TEST(cond_cancel_reacquires_mutex_first)
{
	pthread_mutexattr_t ma;
	struct unit_target t = { 0 };

	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&ec_mutex, &ma);
	unit_start(&t, cond_cancel_body);
	unit_wait_in_syscall(&t, SYS_futex);
	/* Hold the mutex while cancelling: the cleanup must wait for it. */
	pthread_mutex_lock(&ec_mutex);
	cp_cancel(t.th);
	ck_assert(unit_wait_sig_settled(&t, cp_signal()));
	/* Acting, it blocks on the mutex we hold before its handler runs. */
	unit_wait_in_syscall(&t, SYS_futex);
	ck_assert_int_eq(cleanup_owned, -1);
	pthread_mutex_unlock(&ec_mutex);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(cleanup_owned, 1);
	/* It left: a signal finds no waiter, destroy does not wait. */
	ck_assert_int_eq(cond.waiters, 0);
	ck_assert_int_eq(cp_cond_destroy(&cond), 0);
}
END_TEST

/* A condition variable in shared memory, signalled by another process. */
START_TEST(cond_process_shared)
{
	struct shared {
		cp_cond_t c;
		pthread_mutex_t m;
		int flag;
	} *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_condattr_t ca;
	pthread_mutexattr_t ma;
	int status;
	pid_t child;

	ck_assert_ptr_ne(s, MAP_FAILED);
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&s->m, &ma);
	cp_cond_init(&s->c, &ca);
	pthread_mutex_lock(&s->m);
	if ((child = fork()) == 0) {
		pthread_mutex_lock(&s->m);
		s->flag = 1;
		cp_cond_signal(&s->c);
		pthread_mutex_unlock(&s->m);
		_exit(0);
	}
	while (!s->flag) {
		struct timespec abs = in_ms(CLOCK_REALTIME, UNIT_WAIT_MS);

		ck_assert_int_eq(cp_cond_timedwait(&s->c, &s->m, &abs), 0);
	}
	pthread_mutex_unlock(&s->m);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	munmap(s, sizeof *s);
}
END_TEST

/* Producers and consumers through one condition variable: every item is
 * consumed, so no signal was lost (a lost one leaves a consumer asleep
 * with items queued, and the bounded join fails). */
#define PC_ITEMS 20000
static int pc_items, pc_done;

static void pc_consumer(struct unit_target *t)
{
	for (;;) {
		pthread_mutex_lock(&mutex);
		while (!pc_items && !pc_done)
			cp_cond_wait(&cond, &mutex);
		if (!pc_items) {
			pthread_mutex_unlock(&mutex);
			return;
		}
		pc_items--;
		t->aux++;
		pthread_mutex_unlock(&mutex);
	}
}

START_TEST(cond_no_lost_signal_under_load)
{
	struct unit_target t[3] = { 0 };
	long total = 0;

	for (int i = 0; i < 3; i++)
		unit_start(&t[i], pc_consumer);
	for (int i = 0; i < PC_ITEMS; i++) {
		pthread_mutex_lock(&mutex);
		pc_items++;
		pthread_mutex_unlock(&mutex);
		cp_cond_signal(&cond);   /* outside the mutex, on purpose */
	}
	pthread_mutex_lock(&mutex);
	pc_done = 1;
	cp_cond_broadcast(&cond);
	pthread_mutex_unlock(&mutex);
	for (int i = 0; i < 3; i++) {
		unit_join(&t[i]);
		total += t[i].aux;
	}
	ck_assert_int_eq(total, PC_ITEMS);
}
END_TEST

/* ---- semaphores: glibc's sem_t, its sem_post ---- */

static sem_t sem;

static void sem_waiter(struct unit_target *t)
{
	t->result = cp_sem_wait(&sem);
	t->returned = 1;
}

START_TEST(sem_wait_takes_glibc_post)
{
	struct unit_target t = { 0 };
	int v;

	ck_assert_int_eq(sem_init(&sem, 0, 1), 0);
	ck_assert_int_eq(cp_sem_wait(&sem), 0);   /* a token, no wait */
	unit_start(&t, sem_waiter);
	unit_wait_in_syscall(&t, SYS_futex);
	ck_assert_int_eq(sem_post(&sem), 0);
	unit_join(&t);
	ck_assert_int_eq(t.result, 0);
	sem_getvalue(&sem, &v);
	ck_assert_int_eq(v, 0);
}
END_TEST

START_TEST(sem_timedwait_times_out)
{
	struct timespec abs = in_ms(CLOCK_REALTIME, 20);

	sem_init(&sem, 0, 0);
	ck_assert_int_eq(cp_sem_timedwait(&sem, &abs), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	abs = in_ms(CLOCK_MONOTONIC, 20);
	ck_assert_int_eq(cp_sem_clockwait(&sem, CLOCK_MONOTONIC, &abs), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	abs.tv_nsec = -1;
	ck_assert_int_eq(cp_sem_timedwait(&sem, &abs), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* It left as a waiter: glibc's own trywait and post still agree. */
	ck_assert_int_eq(sem_post(&sem), 0);
	ck_assert_int_eq(sem_trywait(&sem), 0);
}
END_TEST

START_TEST(sem_cancel_leaves_as_waiter)
{
	struct unit_target t = { 0 };
	struct timespec abs;
	int v;

	sem_init(&sem, 0, 0);
	unit_start(&t, sem_waiter);
	unit_wait_in_syscall(&t, SYS_futex);
	cp_cancel(t.th);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 0);
	ck_assert_int_eq(sem_post(&sem), 0);
	sem_getvalue(&sem, &v);
	ck_assert_int_eq(v, 1);
	/* glibc's own timed wait on the same semaphore takes the token. */
	abs = in_ms(CLOCK_REALTIME, UNIT_WAIT_MS);
	ck_assert_int_eq(sem_timedwait(&sem, &abs), 0);
}
END_TEST

/* A process-shared semaphore posted by glibc in another process. */
START_TEST(sem_process_shared)
{
	sem_t *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct timespec abs = in_ms(CLOCK_REALTIME, UNIT_WAIT_MS);
	int status;
	pid_t child;

	ck_assert_ptr_ne(s, MAP_FAILED);
	ck_assert_int_eq(sem_init(s, 1, 0), 0);
	if ((child = fork()) == 0)
		_exit(sem_post(s) ? 1 : 0);
	ck_assert_int_eq(cp_sem_timedwait(s, &abs), 0);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	munmap(s, sizeof *s);
}
END_TEST

/* ---- join ---- */

static volatile int exit_now;

static void exits_on_flag(struct unit_target *t)
{
	(void)t;
	flag_wait(&exit_now);
}

static void *returns_value(void *p)
{
	return p;
}

START_TEST(join_returns_value)
{
	pthread_t th;
	void *ret = NULL;
	struct timespec abs = in_ms(CLOCK_MONOTONIC, 20);
	struct unit_target t = { 0 };

	ck_assert_int_eq(pthread_create(&th, NULL, returns_value, (void *)7), 0);
	ck_assert_int_eq(cp_pthread_join(th, &ret), 0);
	ck_assert_ptr_eq(ret, (void *)7);
	/* Joining it again is undefined; glibc says ESRCH, and so do we
	 * (rather than wait for a thread that is gone). */
	ck_assert_int_eq(cp_pthread_join(th, NULL), ESRCH);
	ck_assert_int_eq(cp_pthread_join(pthread_self(), NULL), EDEADLK);
	unit_start(&t, exits_on_flag);
	ck_assert_int_eq(cp_pthread_clockjoin_np(t.th, NULL, CLOCK_MONOTONIC, &abs),
			 ETIMEDOUT);
	abs = in_ms(CLOCK_REALTIME, 20);
	ck_assert_int_eq(cp_pthread_timedjoin_np(t.th, NULL, &abs), ETIMEDOUT);
	flag_set(&exit_now);
	abs = in_ms(CLOCK_REALTIME, UNIT_WAIT_MS);
	ck_assert_int_eq(cp_pthread_timedjoin_np(t.th, &ret, &abs), 0);
	ck_assert_ptr_eq(ret, &t);
}
END_TEST

static pthread_t join_target;

static void joiner(struct unit_target *t)
{
	t->result = cp_pthread_join(join_target, NULL);
	t->returned = 1;
}

START_TEST(join_cancelled_leaves_target_joinable)
{
	struct unit_target target = { 0 }, j = { 0 };
	void *ret;

	unit_start(&target, exits_on_flag);
	join_target = target.th;
	unit_start(&j, joiner);
	unit_wait_in_syscall(&j, SYS_futex);
	cp_cancel(j.th);
	ck_assert_ptr_eq(unit_join(&j), PTHREAD_CANCELED);
	ck_assert_int_eq(j.returned, 0);
	flag_set(&exit_now);
	ret = unit_join(&target);
	ck_assert_ptr_eq(ret, &target);
}
END_TEST

/* ---- message queues, sleeps, lockf, sigwait, wait, system, aio ---- */

START_TEST(mq_and_msg_round_trip)
{
	struct mq_attr a = { .mq_maxmsg = 2, .mq_msgsize = 8 };
	struct { long type; char text[8]; } m = { 5, "hello" }, got = { 0 };
	char name[64], buf[8];
	unsigned int prio = 0;
	int id;
	mqd_t q;

	snprintf(name, sizeof name, "/cp-unit-%d", getpid());
	q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &a);
	ck_assert_int_ge(q, 0);
	mq_unlink(name);
	ck_assert_int_eq(cp_mq_send(q, "abc", 3, 4), 0);
	ck_assert_int_eq(cp_mq_receive(q, buf, sizeof buf, &prio), 3);
	ck_assert_int_eq(prio, 4);
	struct timespec abs = in_ms(CLOCK_REALTIME, 20);
	ck_assert_int_eq(cp_mq_timedreceive(q, buf, sizeof buf, NULL, &abs), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	mq_close(q);
	ck_assert_int_ge(id = msgget(IPC_PRIVATE, 0600), 0);
	ck_assert_int_eq(cp_msgsnd(id, &m, sizeof m.text, 0), 0);
	ck_assert_int_eq(cp_msgrcv(id, &got, sizeof got.text, 5, 0), sizeof got.text);
	ck_assert_str_eq(got.text, "hello");
	ck_assert_int_eq(cp_msgrcv(id, &got, sizeof got.text, 0, IPC_NOWAIT), -1);
	ck_assert_int_eq(errno, ENOMSG);
	msgctl(id, IPC_RMID, NULL);
}
END_TEST

START_TEST(sleeps_lockf_sigwait_wait_system)
{
	char path[] = "/tmp/cp-unit-lockf-XXXXXX";
	int fd = mkstemp(path), status, sig;
	sigset_t set, old;
	pid_t child;

	ck_assert_int_eq(cp_sleep(0), 0);
	ck_assert_int_eq(cp_usleep(1000), 0);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(cp_lockf(fd, F_LOCK, 0), 0);
	ck_assert_int_eq(cp_lockf(fd, F_TEST, 0), 0);   /* our own lock */
	if ((child = fork()) == 0)
		_exit(cp_lockf(fd, F_TLOCK, 0) == -1 &&
		      (errno == EACCES || errno == EAGAIN) ? 0 : 1);
	ck_assert_int_eq(cp_wait(&status), child);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(cp_lockf(fd, F_ULOCK, 0), 0);
	close(fd);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	raise(SIGUSR2);
	ck_assert_int_eq(cp_sigwait(&set, &sig), 0);
	ck_assert_int_eq(sig, SIGUSR2);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	ck_assert_int_eq(cp_system("exit 7"), 7 << 8);
	ck_assert_int_ne(cp_system(NULL), 0);
}
END_TEST

static void system_body(struct unit_target *t)
{
	t->result = cp_system("sleep 60");
	t->returned = 1;
}

/* Cancelled in its wait, system kills and reaps its shell. */
START_TEST(system_cancel_reaps_child)
{
	struct unit_target t = { 0 };
	struct sigaction before, after;

	sigaction(SIGINT, NULL, &before);
	unit_start(&t, system_body);
	unit_wait_in_syscall(&t, SYS_wait4);
	cp_cancel(t.th);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 0);
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	sigaction(SIGINT, NULL, &after);   /* restored, not left ignored */
	ck_assert_ptr_eq((void *)after.sa_handler, (void *)before.sa_handler);
}
END_TEST

static int aio_pipe[2];
static struct aiocb aio_cb;

static void aio_body(struct unit_target *t)
{
	const struct aiocb *list[] = { &aio_cb };

	t->result = cp_aio_suspend(list, 1, NULL);
	t->returned = 1;
}

START_TEST(aio_suspend_completes_and_cancels)
{
	const struct aiocb *list[] = { &aio_cb };
	struct timespec zero = { 0, 0 };
	struct unit_target t = { 0 }, u = { 0 };
	char buf[4];

	ck_assert_int_eq(pipe(aio_pipe), 0);
	memset(&aio_cb, 0, sizeof aio_cb);
	aio_cb.aio_fildes = aio_pipe[0];
	aio_cb.aio_buf = buf;
	aio_cb.aio_nbytes = 1;
	ck_assert_int_eq(aio_read(&aio_cb), 0);
	ck_assert_int_eq(cp_aio_suspend(list, 1, &zero), -1);
	ck_assert_int_eq(errno, EAGAIN);
	unit_start(&t, aio_body);
	ck_assert_int_eq(write(aio_pipe[1], "x", 1), 1);
	unit_join(&t);
	ck_assert_int_eq(t.result, 0);
	ck_assert_int_eq(aio_return(&aio_cb), 1);
	ck_assert_int_eq(aio_read(&aio_cb), 0);
	unit_start(&u, aio_body);
	cp_cancel(u.th);
	ck_assert_ptr_eq(unit_join(&u), PTHREAD_CANCELED);
	ck_assert_int_eq(u.returned, 0);
	ck_assert_int_eq(write(aio_pipe[1], "y", 1), 1);
	ck_assert_int_eq(cp_aio_suspend(list, 1, NULL), 0);
}
END_TEST

Suite *unit_suite_posix(void)
{
	Suite *s = suite_create("posix");
	TCase *tc = tcase_create("posix");

	tcase_add_test(tc, cond_signal_wakes_each_waiter);
	tcase_add_test(tc, cond_broadcast_then_destroy);
	tcase_add_test(tc, cond_timedwait_times_out_with_mutex);
	tcase_add_test(tc, cond_cancel_reacquires_mutex_first);
	tcase_add_test(tc, cond_process_shared);
	tcase_add_test(tc, cond_no_lost_signal_under_load);
	tcase_add_test(tc, sem_wait_takes_glibc_post);
	tcase_add_test(tc, sem_timedwait_times_out);
	tcase_add_test(tc, sem_cancel_leaves_as_waiter);
	tcase_add_test(tc, sem_process_shared);
	tcase_add_test(tc, join_returns_value);
	tcase_add_test(tc, join_cancelled_leaves_target_joinable);
	tcase_add_test(tc, mq_and_msg_round_trip);
	tcase_add_test(tc, sleeps_lockf_sigwait_wait_system);
	tcase_add_test(tc, system_cancel_reaps_child);
	tcase_add_test(tc, aio_suspend_completes_and_cancels);
	suite_add_tcase(s, tc);
	return s;
}
