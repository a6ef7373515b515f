/* SPDX-License-Identifier: MIT */
/*
 * main.c - cpstorm-storm: the run, the stop, the exit status.
 *
 *   cpstorm-storm [--backend NAME] [--threads N] [--duration S] [--seed N]
 *                 [--cancellers K] [--batch B] [--stack KIB] [--noise PCT]
 *                 [--signals PCT] [--ops MIX] [--how MIX] [--json FILE]
 *                 [--expect any] [--replay FILE] [--minimise]
 *
 * Exit: 0 when no outcome of account/outcomes.c failed (no leak, nothing
 * lost, no cancellation inside a handler, no spurious EINTR, memory flat);
 * 1 otherwise; 2 bad options, setup, or the harness hung.  Bounded: the stop phase has a budget, and a watchdog
 * ends the process if even that is exceeded.
 */
#define _GNU_SOURCE
#include "storm.h"
#include "account/account.h"
#include "cancel/cancel.h"
#include "ops/ops.h"
#include "options/options.h"
#include "oracles/oracles.h"
#include "pressure/pressure.h"
#include "targets.h"

#include <case.h>
#include <errno.h>
#include <procfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define STORM_STOP_BUDGET_S 15.0
#define STORM_WATCHDOG_SLACK_S 90   /* beyond --duration; > stop phase */

struct storm storm;

/* Every target holds a few descriptors at a time: lift the soft limit. */
static void storm_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void storm_progress(double start, uint64_t *last, double *last_t)
{
	double now = storm_now();
	uint64_t n = storm.counts.cancellations;

	fprintf(stderr, "\rstorm: %5.1f s  %llu cancellations  %6.0f/s  "
		"%llu lost  %llu inside handler   ", now - start,
		(unsigned long long)n, (double)(n - *last) / (now - *last_t),
		(unsigned long long)storm.counts.lost,
		(unsigned long long)storm.counts.inside_handler);
	*last = n;
	*last_t = now;
}

/* Sample memory every --sample seconds (default 0.5; at least 1/500 of a
 * long run: reading /proc/self/maps of a process with 10,000 thread
 * stacks costs tens of milliseconds), none with --sample 0; a sample due
 * in a pressure window is taken at the first tick after it; show
 * progress on a terminal once a second. */
static void storm_run(const struct storm_config *c, double start)
{
	int tty = isatty(2);
	double every = c->duration_s / 500 > c->sample_s ? c->duration_s / 500
							  : c->sample_s;
	double next = start + 1, next_sample = c->sample_s > 0 ? start : 1e300;
	double last_t = start;
	uint64_t last = 0;

	while (storm_now() < start + c->duration_s && !storm.spawn_failed) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		nanosleep(&ts, NULL);   /* the run's length, not synchronisation */
		if (storm_now() >= next_sample &&
		    storm_mem_sample(storm_now() - start))
			next_sample += every;
		if (tty && storm_now() >= next) {
			storm_progress(start, &last, &last_t);
			next += 1;
		}
	}
	if (tty)
		fputc('\n', stderr);
}

/* What is left of the stop budget for one join, in [1, STORM_JOIN_MS]
 * ms: with every thread stuck the stop still ends about when the budget
 * does. */
static int storm_ms_left(double deadline)
{
	double ms = (deadline - storm_now()) * 1000;

	return ms < 1 ? 1 : ms > STORM_JOIN_MS ? STORM_JOIN_MS : (int)ms;
}

/* Cancel everything, then join everything within the budget. */
static void storm_stop(const struct storm_config *c)
{
	double deadline;

	storm.stopping = 1;
	storm_cancellers_join();
	deadline = storm_now() + STORM_STOP_BUDGET_S;
	for (unsigned i = 0; i < c->threads; i++)
		if (storm.slots[i].live && !storm.slots[i].lost) {
			c->be->cancel(storm.slots[i].th);
			storm_child_cancel(&storm.slots[i]);
		}
	for (unsigned i = 0; i < c->threads; i++) {
		struct storm_slot *s = &storm.slots[i];
		void *ret;

		if (!s->live || s->lost)
			continue;
		if (storm_slot_join(s, storm_ms_left(deadline), &ret) == 0)
			storm_slot_count(ret);
		else if (storm_lost(s, "stop", storm_ms_left(deadline) - 1))
			continue;
		storm_child_reap(s, storm_ms_left(deadline));
	}
}

static void storm_start_targets(const struct storm_config *c)
{
	for (unsigned i = 0; i < c->threads; i++) {
		int err;

		storm.slots[i].index = i;
		if ((err = storm_slot_spawn(&storm.slots[i]))) {
			fprintf(stderr, "cpstorm-storm: cannot start %u threads "
				"(stopped at %u: %s): lower --threads\n",
				c->threads, i, strerror(err));
			exit(2);
		}
	}
}

static void storm_setup(const struct storm_config *c,
			struct fd_set_snapshot *before)
{
	storm_raise_nofile();
	if (storm_noise_install()) {
		fprintf(stderr, "cpstorm-storm: sigaction: %s\n", strerror(errno));
		exit(2);
	}
	case_warm_unwinder(c->be);
	storm.slots = calloc(c->threads, sizeof *storm.slots);
	if (!storm.slots || storm_targets_init() ||
	    storm_resources_open(c->seed) ||
	    fds_snapshot(before)) {
		fprintf(stderr, "cpstorm-storm: setup failed: %s\n", strerror(errno));
		exit(2);
	}
	storm_mask_baseline();
	storm_timers_baseline();
}

static int storm_status(const struct storm_config *c,
			const struct storm_result *r)
{
	if (storm.spawn_failed) {
		fprintf(stderr, "cpstorm-storm: a respawn failed (%s): the storm "
			"ran short of targets; lower --threads\n",
			strerror(storm.spawn_failed));
		return 2;
	}
	if (c->expect_any)
		return 0;
	return storm_failed(r);
}

int main(int argc, char **argv)
{
	struct fd_set_snapshot before, after, leaked;
	struct storm_config c;
	struct storm_result r;
	double start, cpu0;
	char cmd[2048];

	storm_parse(argc, argv, &c);
	storm.cfg = &c;
	if (c.minimise)
		return storm_minimise(&c, argv[0]);
	if (c.bare)
		return storm_bare(&c);
	printf("seed=%llu\n", (unsigned long long)c.seed);
	storm_command_line(&c, argv[0], cmd, sizeof cmd);
	printf("storm: replay: %s\n", cmd);
	fflush(stdout);
	/* Exit 2 on a hang of the harness itself: the stop phase is bounded,
	 * so reaching this means the storm, not the backend, is broken. */
	verdict_begin("storm", c.be->name);
	watchdog_start((int)c.duration_s + STORM_WATCHDOG_SLACK_S, gettid(),
		       VERDICT_ERROR, "the storm harness");
	storm_setup(&c, &before);
	storm_start_targets(&c);
	start = storm_now();
	cpu0 = storm_cpu_s();
	if (storm_cancellers_start() || storm_pressure_start()) {
		fprintf(stderr, "cpstorm-storm: cannot start cancellers or the "
			"pressure controller: %s\n", strerror(errno));
		return 2;
	}
	storm_run(&c, start);
	r.run_s = storm_now() - start;
	r.run_cpu_s = storm_cpu_s() - cpu0;
	r.run_cancellations = storm.counts.cancellations;
	storm_pressure_stop();
	storm_stop(&c);
	r.elapsed_s = storm_now() - start;
	storm_resources_close();
	storm_timers_final();
	if (fds_snapshot(&after)) {
		fprintf(stderr, "cpstorm-storm: /proc/self/fd: %s\n", strerror(errno));
		return 2;
	}
	fds_new(&before, &after, &leaked);
	r.leaked = &leaked;
	storm_report(&r);
	return storm_status(&c, &r);
}
