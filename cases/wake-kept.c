/* SPDX-License-Identifier: MIT */
/*
 * Description: wake-kept — a wake-up the kernel delivered to a waiter is
 * not lost when a cancellation lands right after it: a condition signal,
 * a semaphore post, a thread's exit that ends a join.
 *
 * The race: the waiter's futex wait has completed in the kernel (the
 * signaller's wake chose it, the post's wake, the kernel's wake of the
 * joiner when the thread's tid word is cleared), and the cancel signal is
 * delivered on its way back to user space.  An implementation that acts
 * there (classic glibc: asynchronous cancellation around the futex wait)
 * unwinds a thread that was woken: unless it passes the wake-up on, the
 * condition signal and the post reach nobody (another waiter stays blocked
 * with the token there: a semaphore of value 1 with a blocked waiter), and
 * the exited thread is never reaped by its joiner, its value lost.
 *
 * The interleaving, forced by construction once per variant
 * (support/offcpu.h): waiter A, then waiter B, block on one object; A
 * shares the waker's CPU under SCHED_IDLE.  The waker wakes one waiter
 * (the futex queue is first-in first-out among equal priorities: A), sees
 * A runnable, requests A's cancellation, and checks from A's schedstat
 * that A has not run since it blocked: A's wait completed in the kernel
 * and the cancel signal is due on its way out.  Then the waker blocks and
 * A runs.  An attempt where A ran early or was not the one woken is void
 * and repeated.
 *
 * Correct: A's wait returns to its caller (it was woken; the result is
 * the caller's) and the cancellation acts at the next cancellation point;
 * or an implementation that acts passes the wake-up on, so that B gets
 * it.  For a join there is nobody to pass it to: the join must complete.
 */
#define _GNU_SOURCE
#include <case.h>
#include <handshake.h>
#include <offcpu.h>
#include <procfs.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WK_ATTEMPTS 10
#define WK_PASS_ON_MS 1000   /* how long B may take to get a passed-on wake */

static const struct backend *be;
static int wk_cpu;
static int wk_kept, wk_passed_on, wk_void_total;

enum wk_kind { WK_COND, WK_SEM, WK_JOIN };

struct wk_variant {
	const char *name;
	enum wk_kind kind;
	int timed;            /* 0: untimed; else the clock of a far deadline */
	clockid_t clock;
};

struct wk_waiter {
	TARGET_RECORD;
	struct wk_run *run;
	volatile int started, setup_err;
	int offcpu;           /* A: on the waker's CPU, under SCHED_IDLE */
};

struct wk_run {
	const struct wk_variant *v;
	pthread_mutex_t m;
	pthread_cond_t c;
	sem_t sem;
	int tokens;                 /* condition: signals sent, under m */
	pthread_t exiting;          /* join: the thread A joins */
	int exiting_reaped;         /* joined already (by A, or the judge) */
	volatile int release_exiting;
	void *joined_value;
	struct wk_waiter a, b;
};

/* The backend's call, or NULL when its C library has none. */
static int wk_available(const struct wk_variant *v)
{
	const struct backend_posix *p = be->posix;

	switch (v->kind) {
	case WK_COND:
		return !v->timed ? 1 : v->clock == CLOCK_REALTIME
			? p->cond_timedwait != NULL : p->cond_clockwait != NULL;
	case WK_SEM:
		return !v->timed ? 1 : v->clock == CLOCK_REALTIME
			? p->sem_timedwait != NULL : p->sem_clockwait != NULL;
	case WK_JOIN:
		return !v->timed ? 1 : v->clock == CLOCK_REALTIME
			? p->timedjoin != NULL : p->clockjoin != NULL;
	}
	return 0;
}

static int wk_cond_wait(struct wk_run *r)
{
	struct timespec abs = deadline_in_ms(r->v->clock, 60000);

	if (!r->v->timed)
		return be->posix->cond_wait(&r->c, &r->m);
	if (r->v->clock == CLOCK_REALTIME)
		return be->posix->cond_timedwait(&r->c, &r->m, &abs);
	return be->posix->cond_clockwait(&r->c, &r->m, r->v->clock, &abs);
}

static int wk_sem_wait(struct wk_run *r)
{
	struct timespec abs = deadline_in_ms(r->v->clock, 60000);
	int rc;

	if (!r->v->timed)
		rc = be->posix->sem_wait(&r->sem);
	else if (r->v->clock == CLOCK_REALTIME)
		rc = be->posix->sem_timedwait(&r->sem, &abs);
	else
		rc = be->posix->sem_clockwait(&r->sem, r->v->clock, &abs);
	return rc ? errno : 0;
}

static int wk_join(struct wk_run *r)
{
	struct timespec abs = deadline_in_ms(r->v->clock, 60000);

	if (!r->v->timed)
		return be->posix->join(r->exiting, &r->joined_value);
	if (r->v->clock == CLOCK_REALTIME)
		return be->posix->timedjoin(r->exiting, &r->joined_value, &abs);
	return be->posix->clockjoin(r->exiting, &r->joined_value, r->v->clock,
				    &abs);
}

static void wk_unlock(void *m)
{
	pthread_mutex_unlock(m);
}

/* A condition waiter takes a token once its wait returned with one. */
static int wk_cond_take(struct wk_waiter *w)
{
	struct wk_run *r = w->run;
	int err = 0;

	pthread_mutex_lock(&r->m);
	pthread_cleanup_push(wk_unlock, &r->m);
	while (!r->tokens && !err)
		err = wk_cond_wait(r);
	if (!err)
		r->tokens--;
	pthread_cleanup_pop(1);
	return err;
}

static void *wk_waiter_main(void *p)
{
	struct wk_waiter *w = p;
	int err = 0;

	target_begin(&w->target);
	if (w->offcpu)
		err = offcpu_target(wk_cpu);
	else
		err = offcpu_elsewhere(wk_cpu);
	w->setup_err = -err;
	flag_set(&w->started);
	if (err)
		return NULL;
	switch (w->run->v->kind) {
	case WK_COND:
		target_returned(&w->target, wk_cond_take(w));
		break;
	case WK_SEM:
		target_returned(&w->target, wk_sem_wait(w->run));
		break;
	case WK_JOIN:
		target_returned(&w->target, wk_join(w->run));
		break;
	}
	be->testcancel();
	return NULL;
}

static void *wk_exiting_main(void *p)
{
	struct wk_run *r = p;

	offcpu_elsewhere(wk_cpu);
	flag_wait(&r->release_exiting);
	return r;
}

struct wk_blocked {
	pid_t tid;
};

/* A futex wait; 32-bit arches wait with a deadline through futex_time64. */
static int wk_is_blocked(void *p)
{
	long nr = task_syscall(((struct wk_blocked *)p)->tid);

#ifdef SYS_futex_time64
	if (nr == SYS_futex_time64)
		return 1;
#endif
	return nr == SYS_futex;
}

static void wk_start(struct wk_run *r, struct wk_waiter *w, int offcpu)
{
	struct wk_blocked b;
	char diag[512];

	w->run = r;
	w->offcpu = offcpu;
	if (pthread_create(&w->th, NULL, wk_waiter_main, w))
		verdict_exit(VERDICT_ERROR, "pthread_create: %s", strerror(errno));
	flag_wait(&w->started);
	if (w->setup_err)
		verdict_exit(VERDICT_SKIP, "cannot hold a thread off the CPU: "
			     "affinity or SCHED_IDLE refused: %s",
			     strerror(w->setup_err));
	b.tid = w->tid;
	if (wait_until(wk_is_blocked, &b, SETUP_BOUND_MS))
		return;
	task_diagnose(w->tid, diag, sizeof diag);
	verdict_exit(VERDICT_ERROR, "%s: waiter %s never blocked in a futex "
		     "wait: %s", r->v->name, offcpu ? "A" : "B", diag);
}

static void wk_setup(struct wk_run *r)
{
	pthread_mutex_init(&r->m, NULL);
	if (be->posix->cond_init(&r->c, NULL) || sem_init(&r->sem, 0, 0))
		verdict_exit(VERDICT_ERROR, "cond/sem init: %s", strerror(errno));
	if (r->v->kind == WK_JOIN &&
	    pthread_create(&r->exiting, NULL, wk_exiting_main, r))
		verdict_exit(VERDICT_ERROR, "pthread_create: %s", strerror(errno));
}

/* What A's waiting was woken by. */
static void wk_wake(struct wk_run *r)
{
	switch (r->v->kind) {
	case WK_COND:
		pthread_mutex_lock(&r->m);
		r->tokens++;
		be->posix->cond_signal(&r->c);
		pthread_mutex_unlock(&r->m);
		break;
	case WK_SEM:
		sem_post(&r->sem);
		break;
	case WK_JOIN:
		flag_set(&r->release_exiting);
		break;
	}
}

/* Release B whatever happened, and join what is left. */
static void wk_teardown(struct wk_run *r)
{
	if (r->v->kind == WK_COND) {
		pthread_mutex_lock(&r->m);
		r->tokens++;
		be->posix->cond_broadcast(&r->c);
		pthread_mutex_unlock(&r->m);
	} else if (r->v->kind == WK_SEM) {
		sem_post(&r->sem);
	}
	if (r->v->kind != WK_JOIN && join_bounded(r->b.th, NULL, ACT_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "%s: waiter B never returned after "
			     "the teardown's wake-up", r->v->name);
	/* A thread joined once is gone: joining it again is undefined
	 * (musl faults on the freed descriptor). */
	if (r->v->kind == WK_JOIN && !r->exiting_reaped && !r->a.returned) {
		flag_set(&r->release_exiting);
		pthread_tryjoin_np(r->exiting, NULL);
	}
	be->posix->cond_destroy(&r->c);
	sem_destroy(&r->sem);
}

static int wk_b_returned(void *p)
{
	return ((struct wk_run *)p)->b.returned;
}

/* The outcome once A has ended: "" or what was lost. */
static const char *wk_judge(struct wk_run *r, void *a_ret, char *why, size_t len)
{
	const char *name = r->v->name;
	int sval = 0;

	if (a_ret != PTHREAD_CANCELED)
		verdict_exit(VERDICT_ERROR, "%s: A ended without being cancelled", name);
	if (r->a.returned) {
		wk_kept++;
		return "";
	}
	if (r->v->kind == WK_JOIN) {
		int rc = pthread_tryjoin_np(r->exiting, NULL);

		r->exiting_reaped = rc == 0;
		if (rc == 0)
			snprintf(why, len, "%s: the joined thread had exited and "
				 "woken its joiner, which was cancelled: it was "
				 "left unreaped, its value lost", name);
		else
			snprintf(why, len, "%s: joiner cancelled after the "
				 "thread's exit; reaping it: %s", name, strerror(rc));
		return why;
	}
	if (wait_until(wk_b_returned, r, WK_PASS_ON_MS)) {
		wk_passed_on++;
		return "";
	}
	sem_getvalue(&r->sem, &sval);
	snprintf(why, len, "%s: the wake-up the kernel gave A was lost: A "
		 "cancelled after its wait completed, B still blocked %d ms "
		 "later%s", name, WK_PASS_ON_MS, r->v->kind == WK_SEM && sval ?
		 " with the semaphore at 1" : " with the signal unused");
	return why;
}

/* One attempt: 1 when the interleaving was forced (*why set), 0 void. */
static int wk_attempt(const struct wk_variant *v, char *why, size_t len,
		      const char **voided)
{
	struct wk_run r = { .v = v };
	char diag[512];
	long long runs;
	void *a_ret;

	wk_setup(&r);
	wk_start(&r, &r.a, 1);
	if (v->kind != WK_JOIN)
		wk_start(&r, &r.b, 0);
	runs = task_runs(r.a.tid);
	if (runs < 0)
		verdict_exit(VERDICT_SKIP, "/proc/<tid>/schedstat unreadable "
			     "(no CONFIG_SCHED_INFO): cannot prove the woken "
			     "waiter stayed off the CPU");
	wk_wake(&r);
	if (!offcpu_wait_runnable(r.a.tid, runs, SETUP_BOUND_MS)) {
		*voided = "the wake-up did not reach A, or A ran first";
	} else {
		be->cancel(r.a.th);
		if (task_runs(r.a.tid) != runs)
			*voided = "A ran before the request";
		else
			*voided = NULL;
	}
	if (target_join(&r.a.target, &a_ret, ACT_BOUND_MS, diag, sizeof diag))
		verdict_exit(VERDICT_FAIL, "%s: A still alive %d s after the "
			     "request: %s", v->name, BOUND_S(ACT_BOUND_MS), diag);
	why[0] = 0;
	if (!*voided)
		wk_judge(&r, a_ret, why, len);
	wk_teardown(&r);
	return !*voided;
}

static const struct wk_variant variants[] = {
	{ "cond_wait", WK_COND, 0, CLOCK_REALTIME },
	{ "cond_timedwait", WK_COND, 1, CLOCK_REALTIME },
	{ "cond_clockwait", WK_COND, 1, CLOCK_MONOTONIC },
	{ "sem_wait", WK_SEM, 0, CLOCK_REALTIME },
	{ "sem_timedwait", WK_SEM, 1, CLOCK_REALTIME },
	{ "sem_clockwait", WK_SEM, 1, CLOCK_MONOTONIC },
	{ "join", WK_JOIN, 0, CLOCK_REALTIME },
	{ "timedjoin", WK_JOIN, 1, CLOCK_REALTIME },
	{ "clockjoin", WK_JOIN, 1, CLOCK_MONOTONIC },
};

#define N_VARIANTS (sizeof variants / sizeof *variants)

static const char *wk_variant(const struct wk_variant *v, char *why,
			      size_t len)
{
	const char *voided = NULL;

	if (!wk_available(v))
		return "";
	for (int n = 0; n < WK_ATTEMPTS; n++) {
		if (wk_attempt(v, why, len, &voided))
			return why;
		wk_void_total++;
	}
	verdict_exit(VERDICT_ERROR, "%s: %d attempts void (last: %s): the "
		     "woken waiter could not be kept off the CPU", v->name,
		     WK_ATTEMPTS, voided);
}

int main(int argc, char **argv)
{
	static char why[N_VARIANTS][384];
	char bad[2048] = "", missing[256] = "";

	be = case_start(argc, argv, &(struct case_info){
		.name = "wake-kept", .watchdog_s = 50 });
	if ((wk_cpu = offcpu_waker()) < 0)
		verdict_exit(VERDICT_SKIP, "needs 2 usable CPUs and its own "
			     "affinity: %s", strerror(errno));
	for (size_t i = 0; i < N_VARIANTS; i++) {
		if (!wk_available(&variants[i]))
			verdict_append(missing, sizeof missing, variants[i].name);
		verdict_append(bad, sizeof bad, wk_variant(&variants[i], why[i],
							   sizeof why[i]));
	}
	verdict_metric("variants", "%zu", N_VARIANTS);
	verdict_metric("kept", "%d", wk_kept);
	verdict_metric("passed_on", "%d", wk_passed_on);
	verdict_metric("void_attempts", "%d", wk_void_total);
	if (*bad)
		verdict_exit(VERDICT_FAIL, "%s", bad);
	verdict_exit(VERDICT_PASS, "every wake-up the kernel delivered reached "
		     "a caller: %d kept by the woken waiter (its wait returned, "
		     "the cancellation acted at its next cancellation point), %d "
		     "passed on to the other waiter%s%s", wk_kept, wk_passed_on,
		     *missing ? "; the C library has no: " : "", missing);
}
