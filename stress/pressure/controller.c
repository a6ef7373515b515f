/* SPDX-License-Identifier: MIT */
/*
 * controller.c - the pressure windows (see pressure.h): a thread that,
 * until the stop phase, waits a seeded while, then applies a seeded
 * non-empty subset of the configured kinds for a seeded while, tightening
 * them every STORM_PRESSURE_TIGHTEN_MS, and releases them.  The lengths
 * make the pressure active about a third of the run.
 */
#define _GNU_SOURCE
#include "pressure/kinds.h"
#include "account/account.h"
#include "rng.h"

#include <signal.h>
#include <string.h>
#include <time.h>

#define STORM_PRESSURE_OFF_MS 200      /* + up to as much again */
#define STORM_PRESSURE_ON_MS 100       /* + up to as much again */
#define STORM_PRESSURE_TIGHTEN_MS 10

static pthread_t controller;
static int running;
static volatile int stop;
static unsigned active, windows;
static unsigned epoch;            /* odd while a window is applied */
static double active_s[8];

unsigned storm_pressure_active(void)
{
	return __atomic_load_n(&active, __ATOMIC_RELAXED);
}

unsigned storm_pressure_epoch(void)
{
	return __atomic_load_n(&epoch, __ATOMIC_ACQUIRE);
}

int storm_pressure_parse(const char *text, unsigned *kinds, char *why,
			 size_t len)
{
	const char *p = text;

	*kinds = 0;
	if (!strcmp(text, "none"))
		return 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		unsigned i;

		for (i = 0; i < storm_npressure_kinds; i++)
			if (strlen(storm_pressure_kinds[i].name) == n &&
			    !strncmp(p, storm_pressure_kinds[i].name, n))
				break;
		if (i < storm_npressure_kinds)
			*kinds |= storm_pressure_kinds[i].bit;
		else if (n == 3 && !strncmp(p, "all", 3))
			*kinds |= STORM_PRESSURE_ALL;
		else {
			snprintf(why, len, "unknown pressure '%.*s' (choose from "
				 "sigqueue, fds, threads, timers, all, none)",
				 (int)n, p);
			return -1;
		}
		p += n + (p[n] == ',');
	}
	return 0;
}

void storm_pressure_names(unsigned kinds, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < storm_npressure_kinds && used < len; i++)
		if (kinds & storm_pressure_kinds[i].bit)
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
						 used ? "," : "",
						 storm_pressure_kinds[i].name);
}

void storm_pressure_format(unsigned kinds, char *buf, size_t len)
{
	if (kinds == STORM_PRESSURE_ALL)
		snprintf(buf, len, "all");
	else if (!kinds)
		snprintf(buf, len, "none");
	else
		storm_pressure_names(kinds, buf, len);
}

/* Sleep ms in steps, waking for the stop: the pacing of the windows, not
 * synchronisation. */
static void storm_pressure_wait(unsigned ms, int tighten)
{
	for (unsigned spent = 0; spent < ms && !stop;
	     spent += STORM_PRESSURE_TIGHTEN_MS) {
		struct timespec ts = { 0, STORM_PRESSURE_TIGHTEN_MS * 1000000L };

		nanosleep(&ts, NULL);
		for (unsigned i = 0; tighten && i < storm_npressure_kinds; i++)
			if (active & storm_pressure_kinds[i].bit)
				storm_pressure_kinds[i].apply();
	}
}

/* A non-empty subset of the configured kinds. */
static unsigned storm_pressure_pick(uint64_t *rng)
{
	unsigned want = storm.cfg->pressure, pick;

	do
		pick = want & (unsigned)storm_rng_below(rng, STORM_PRESSURE_ALL + 1);
	while (!pick);
	return pick;
}

static void storm_pressure_window(unsigned kinds, unsigned ms)
{
	double t0 = storm_now();

	/* Active from before the first limit is lowered until after the
	 * last is restored: applying one kind can take milliseconds (the
	 * threads hogs, the signal filler), and an op failing for a limit
	 * already lowered must be told a pressure outcome, not a leak
	 * (fd_table_full). */
	__atomic_add_fetch(&epoch, 1, __ATOMIC_ACQ_REL);
	__atomic_store_n(&active, kinds, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < storm_npressure_kinds; i++)
		if (kinds & storm_pressure_kinds[i].bit)
			storm_pressure_kinds[i].apply();
	windows++;
	storm_pressure_wait(ms, 1);
	for (unsigned i = 0; i < storm_npressure_kinds; i++)
		if (kinds & storm_pressure_kinds[i].bit) {
			storm_pressure_kinds[i].release();
			active_s[i] += storm_now() - t0;
		}
	__atomic_store_n(&active, 0, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&epoch, 1, __ATOMIC_ACQ_REL);
}

static void *storm_pressure_main(void *p)
{
	uint64_t rng = storm_rng_stream(storm.cfg->seed, STORM_RNG_PRESSURE, 0);
	sigset_t filler;

	(void)p;
	sigemptyset(&filler);
	sigaddset(&filler, storm_pressure_filler_signal());
	pthread_sigmask(SIG_BLOCK, &filler, NULL);
	for (;;) {
		unsigned off = STORM_PRESSURE_OFF_MS +
			       (unsigned)storm_rng_below(&rng, STORM_PRESSURE_OFF_MS);
		unsigned on = STORM_PRESSURE_ON_MS +
			      (unsigned)storm_rng_below(&rng, STORM_PRESSURE_ON_MS);
		unsigned kinds = storm_pressure_pick(&rng);

		storm_pressure_wait(off, 0);
		if (stop)
			break;
		storm_pressure_window(kinds, on);
	}
	return NULL;
}

int storm_pressure_start(void)
{
	if (!storm.cfg->pressure)
		return 0;
	if (storm_pressure_kinds_setup() ||
	    pthread_create(&controller, NULL, storm_pressure_main, NULL))
		return -1;
	running = 1;
	return 0;
}

void storm_pressure_stop(void)
{
	if (!running)
		return;
	stop = 1;
	pthread_join(controller, NULL);
	storm_pressure_kinds_teardown();
	running = 0;
}

void storm_pressure_print(FILE *f)
{
	char kinds[64];

	storm_pressure_format(storm.cfg->pressure, kinds, sizeof kinds);
	fprintf(f, "storm: pressure %s: %u windows", kinds, windows);
	for (unsigned i = 0; i < storm_npressure_kinds; i++)
		if (storm.cfg->pressure & storm_pressure_kinds[i].bit)
			fprintf(f, ", %s %.1f s", storm_pressure_kinds[i].name,
				active_s[i]);
	if (threads_unenforced)
		fprintf(f, " (threads not enforced here: RLIMIT_AS is ignored, "
			"as qemu-user does)");
	fputc('\n', f);
}

void storm_pressure_json(FILE *f)
{
	char kinds[64];

	storm_pressure_format(storm.cfg->pressure, kinds, sizeof kinds);
	fprintf(f, "\"pressure\":{\"kinds\":\"%s\",\"windows\":%u", kinds,
		windows);
	for (unsigned i = 0; i < storm_npressure_kinds; i++)
		if (storm.cfg->pressure & storm_pressure_kinds[i].bit)
			fprintf(f, ",\"%s_s\":%.2f", storm_pressure_kinds[i].name,
				active_s[i]);
	fprintf(f, ",\"threads_enforced\":%s}", threads_unenforced ? "false"
								 : "true");
}
