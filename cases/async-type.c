/* SPDX-License-Identifier: MIT */
/*
 * Description: async-type — with PTHREAD_CANCEL_ASYNCHRONOUS, a
 * cancellation acts promptly in a thread that only computes (no syscall,
 * no cancellation point), also when the request came first and the type
 * is switched afterwards.
 *
 * The race: asynchronous cancellation is the one kind that cannot wait for
 * a cancellation point.  An implementation that only signals threads
 * inside cancellable calls, that treats every cancel signal outside its
 * window as "defer", or that forgets to act when the type becomes
 * asynchronous while a request is pending, never ends a computing thread.
 *
 * The interleaving, by handshakes (no timing):
 *   type-first     the target switches to asynchronous, says so, and
 *                  spins on a counter; once the counter is seen moving the
 *                  request is made;
 *   request-first  the target spins deferred; the request is made; the
 *                  counter is seen moving on (deferred: nothing may act);
 *                  then the target is told to switch to asynchronous and
 *                  spins again.
 * Each wait is bounded (ACT_BOUND_MS); a target still spinning then is a
 * FAIL with its /proc state.
 *
 * Correct: the cleanup handler runs and the join returns PTHREAD_CANCELED,
 * without the target ever reaching a cancellation point; in request-first
 * not before the switch.  latency_us is request (or switch) to cleanup.
 */
#define _GNU_SOURCE
#include <case.h>
#include <handshake.h>
#include <procfs.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

struct case_target {
	const struct backend *be;
	int request_first;
	TARGET_RECORD;
	volatile int spinning, switch_now, switched, cleanup_ran;
	volatile unsigned long counter;
	struct timespec cleanup_at;
};

static void case_cleanup(void *p)
{
	struct case_target *t = p;

	clock_gettime(CLOCK_MONOTONIC, &t->cleanup_at);
	__atomic_store_n(&t->cleanup_ran, 1, __ATOMIC_RELEASE);
}

/* Pure computation: no call, no syscall, only the counter. */
static void case_spin(struct case_target *t, volatile int *until)
{
	while (!*until)
		t->counter++;
}

static void *case_target_main(void *p)
{
	struct case_target *t = p;
	int never = 0;

	target_begin(&t->target);
	pthread_cleanup_push(case_cleanup, t);
	if (!t->request_first)
		t->be->setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
	t->spinning = 1;
	if (t->request_first) {
		case_spin(t, &t->switch_now);
		t->be->setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
		t->switched = 1;
	}
	case_spin(t, (volatile int *)&never);
	pthread_cleanup_pop(0);
	return NULL;
}

struct case_progress {
	struct case_target *t;
	unsigned long from;
};

static int case_moved(void *p)
{
	struct case_progress *g = p;

	return g->t->counter > g->from + 1000;
}

static void case_see_spinning(struct case_target *t, const char *when)
{
	struct case_progress g = { t, t->counter };

	if (!wait_until(case_moved, &g, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "%s: target's counter did not move "
			     "for %d s", when, BOUND_S(SETUP_BOUND_MS));
}

static long elapsed_us(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000L +
	       (b->tv_nsec - a->tv_nsec) / 1000L;
}

/* One variant: "" when it acted in time, else what went wrong. */
static const char *case_variant(const struct backend *be, int request_first,
				char *why, size_t len)
{
	struct case_target t = { .be = be, .request_first = request_first };
	const char *name = request_first ? "request-first" : "type-first";
	struct timespec from;
	void *ret;

	if (pthread_create(&t.th, NULL, case_target_main, &t))
		verdict_exit(VERDICT_ERROR, "pthread_create failed");
	if (!wait_until(flag_is_set, (void *)&t.spinning, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "%s: target never started", name);
	watchdog_watch(t.tid);
	case_see_spinning(&t, name);
	clock_gettime(CLOCK_MONOTONIC, &from);
	if (be->cancel(t.th))
		verdict_exit(VERDICT_ERROR, "cancel failed");
	if (request_first) {
		case_see_spinning(&t, name);
		if (t.cleanup_ran) {
			snprintf(why, len, "%s: acted while deferred, outside any "
				 "cancellation point", name);
			return why;
		}
		clock_gettime(CLOCK_MONOTONIC, &from);
		t.switch_now = 1;
	}
	if (!wait_until(flag_is_set, (void *)&t.cleanup_ran, ACT_BOUND_MS)) {
		char diag[400];

		task_diagnose(t.tid, diag, sizeof diag);
		verdict_exit(VERDICT_FAIL, "%s: still computing %d s after the %s "
			     "(counter %lu); %s", name, BOUND_S(ACT_BOUND_MS),
			     request_first ? "switch to asynchronous" : "request",
			     t.counter, diag);
	}
	if (join_bounded(t.th, &ret, ACT_BOUND_MS))
		verdict_exit(VERDICT_FAIL, "%s: cleanup ran but the thread did not "
			     "end within %d s", name, BOUND_S(ACT_BOUND_MS));
	verdict_metric(request_first ? "request_first_latency_us"
				     : "type_first_latency_us",
		       "%ld", elapsed_us(&from, &t.cleanup_at));
	if (ret == PTHREAD_CANCELED)
		return "";
	snprintf(why, len, "%s: join value is not PTHREAD_CANCELED", name);
	return why;
}

int main(int argc, char **argv)
{
	const struct backend *be =
		case_start(argc, argv, &(struct case_info){ .name = "async-type" });
	char why[2][600], bad[1000] = "";

	for (int request_first = 0; request_first <= 1; request_first++)
		verdict_append(bad, sizeof bad,
			       case_variant(be, request_first, why[request_first],
					    sizeof why[request_first]));
	if (*bad)
		verdict_exit(VERDICT_FAIL, "%s", bad);
	verdict_exit(VERDICT_PASS, "a computing thread was cancelled promptly, "
		     "with the type set before the request and after it");
}
