/* SPDX-License-Identifier: MIT */
/*
 * memory.c - memory and descriptors sampled during the run.
 *
 * /proc/self/status (VmRSS, VmData, Threads), the line count of
 * /proc/self/maps and the entries of /proc/self/fd, a few times a second.
 * Growth is judged after warm-up (the first quarter of the run, at least
 * 2 s) by the least-squares slope over the remaining samples: the thread
 * stack cache and the allocator's arenas fill early and then plateau, a
 * leak keeps climbing.  "Growing" means the slope of VmData (every private
 * writable mapping: heap, arenas, thread stacks) or of the maps count,
 * over the judged span, adds more than 4 MiB (64 maps) and 10% of the
 * mean: slack for the noise of a shared machine, none for a leak of a page
 * per thousand cancellations over a long run.  RSS is reported, not
 * judged: with thousands of cached stacks it keeps rising slowly for
 * minutes as rare deep paths (nested handlers, unwinding) touch pages of
 * stacks that are already mapped, bounded by VmData.
 *
 * Under --pressure only what the process holds between windows is judged:
 * a window's idle threads hold stacks and its reservations hold address
 * space (pressure/kinds.c), so a sample due while a window is applied
 * waits for its release (the windows last at most 200 ms), and a reading
 * a window began or ended during is set aside and taken again.  A leak
 * grows between windows as well as in them; the harness's own holdings
 * are gone by then.  A sample /proc could not give whole (the descriptor
 * table full) is dropped.  How many of each is in the summary and the
 * record.
 */
#define _GNU_SOURCE
#include "account/account.h"
#include "pressure/pressure.h"

#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define STORM_MEM_MAX 4096
#define STORM_WARM_S 2.0
#define STORM_GROWTH_KIB 4096.0
#define STORM_GROWTH_MAPS 64.0
#define STORM_GROWTH_FRAC 0.10
#define STORM_JUDGE_MIN 8        /* samples after warm-up, to judge at all */

struct storm_mem_sample {
	double t;
	double rss_kib, data_kib, threads, maps, fds;
};

static struct storm_mem_sample samples[STORM_MEM_MAX];
static unsigned nsamples;
static double cost_s;
static unsigned waiting;          /* the due sample waits for a release */
static unsigned postponed, set_aside, unreadable;

static int storm_read_status(struct storm_mem_sample *m)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		sscanf(line, "VmRSS: %lf", &m->rss_kib);
		sscanf(line, "VmData: %lf", &m->data_kib);
		sscanf(line, "Threads: %lf", &m->threads);
	}
	fclose(f);
	return 0;
}

/* -1 when the file cannot be opened (a full descriptor table). */
static double storm_count_lines(const char *path)
{
	char buf[65536];
	size_t n;
	double lines = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		for (size_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	fclose(f);
	return lines;
}

static double storm_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	double n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n > 2 ? n - 3 : 0;   /* ".", "..", the DIR's own fd */
}

/* Is the reading it was taken in free of any pressure window?  0 (and
 * counted) when a window was applied at its start or came or went while
 * it read. */
static int storm_mem_quiet(unsigned before)
{
	if (before != storm_pressure_epoch()) {
		set_aside++;
		return 0;
	}
	return 1;
}

int storm_mem_sample(double t)
{
	unsigned epoch = storm_pressure_epoch();
	struct storm_mem_sample *m;
	double t0;
	int whole;

	if (epoch & 1) {
		postponed += !waiting;
		waiting = 1;
		return 0;
	}
	t0 = storm_now();
	if (nsamples == STORM_MEM_MAX) {
		/* Long run: keep every other sample, halve the density. */
		for (unsigned i = 0; i < STORM_MEM_MAX / 2; i++)
			samples[i] = samples[2 * i];
		nsamples = STORM_MEM_MAX / 2;
	}
	m = &samples[nsamples];
	memset(m, 0, sizeof *m);
	m->t = t;
	whole = !storm_read_status(m) &&
		(m->maps = storm_count_lines("/proc/self/maps")) >= 0 &&
		(m->fds = storm_count_fds()) >= 0;
	cost_s += storm_now() - t0;
	if (!storm_mem_quiet(epoch))
		return 0;
	waiting = 0;
	if (whole)
		nsamples++;
	else
		unreadable++;
	return 1;
}

static unsigned storm_warm_index(void)
{
	double warm;
	unsigned i = 0;

	if (!nsamples)
		return 0;
	warm = samples[nsamples - 1].t / 4;
	if (warm < STORM_WARM_S)
		warm = STORM_WARM_S;
	while (i < nsamples && samples[i].t < warm)
		i++;
	return i;
}

/* Least-squares slope (per second) of one field after warm-up, and the
 * mean over the same samples. */
static double storm_slope(size_t off, double *mean, double *span)
{
	unsigned w = storm_warm_index(), n = nsamples - w;
	double st = 0, sv = 0, stt = 0, stv = 0;

	*mean = *span = 0;
	if (n < 2)
		return 0;
	for (unsigned i = w; i < nsamples; i++) {
		double t = samples[i].t;
		double v = *(const double *)((const char *)&samples[i] + off);

		st += t;
		sv += v;
		stt += t * t;
		stv += t * v;
	}
	*mean = sv / n;
	*span = samples[nsamples - 1].t - samples[w].t;
	return (n * stv - st * sv) / (n * stt - st * st);
}

static int storm_grows(size_t off, double floor)
{
	double mean, span, slope = storm_slope(off, &mean, &span);

	return slope * span > floor && slope * span > STORM_GROWTH_FRAC * mean;
}

int storm_mem_growing(void)
{
	if (nsamples - storm_warm_index() < STORM_JUDGE_MIN)
		return 0;
	return storm_grows(offsetof(struct storm_mem_sample, data_kib),
			   STORM_GROWTH_KIB) ||
	       storm_grows(offsetof(struct storm_mem_sample, maps),
			   STORM_GROWTH_MAPS);
}

double storm_mem_cost_ms(void)
{
	return cost_s * 1e3;
}

static const struct {
	const char *name;
	size_t off;
} storm_mem_fields[] = {
	{ "rss_kib", offsetof(struct storm_mem_sample, rss_kib) },
	{ "data_kib", offsetof(struct storm_mem_sample, data_kib) },
	{ "threads", offsetof(struct storm_mem_sample, threads) },
	{ "maps", offsetof(struct storm_mem_sample, maps) },
	{ "fds", offsetof(struct storm_mem_sample, fds) },
};
#define STORM_NFIELDS (sizeof storm_mem_fields / sizeof *storm_mem_fields)

static double storm_field(unsigned i, size_t off)
{
	return *(const double *)((const char *)&samples[i] + off);
}

/* One field: first, last, mean after warm-up, slope, in `fmt`. */
static void storm_mem_field(FILE *f, const char *fmt, unsigned i)
{
	double mean, span, slope = storm_slope(storm_mem_fields[i].off, &mean,
					       &span);

	fprintf(f, fmt, storm_mem_fields[i].name,
		storm_field(0, storm_mem_fields[i].off),
		storm_field(nsamples - 1, storm_mem_fields[i].off), mean, slope);
}

void storm_mem_print(FILE *f)
{
	unsigned w = storm_warm_index();

	if (!nsamples) {
		fprintf(f, "storm: memory: not sampled (--sample 0): not judged\n");
		return;
	}
	fprintf(f, "storm: memory: %u samples (%.1f ms of /proc reading), "
		"judged after %.1f s of warm-up: %s\n", nsamples,
		storm_mem_cost_ms(), w < nsamples ? samples[w].t : 0,
		nsamples - w < STORM_JUDGE_MIN ? "run too short to judge"
		: storm_mem_growing() ? "GROWING" : "flat");
	if (postponed || set_aside || unreadable)
		fprintf(f, "storm:   outside pressure windows only: %u waited "
			"for a window's release, %u readings set aside (a window "
			"came or went meanwhile), %u unreadable (descriptor "
			"table full)\n", postponed, set_aside, unreadable);
	for (unsigned i = 0; i < STORM_NFIELDS; i++)
		storm_mem_field(f, "storm:   %-8s first %10.0f  last %10.0f  "
				"mean %10.0f  slope %+10.1f/s\n", i);
}

void storm_mem_json(FILE *f)
{
	fprintf(f, "\"memory\":{\"samples\":%u,\"sample_ms\":%.1f,"
		"\"judged\":%s,\"judged_samples\":%u,\"growing\":%s,"
		"\"postponed_in_window\":%u,\"set_aside_window\":%u,"
		"\"unreadable\":%u", nsamples, storm_mem_cost_ms(),
		nsamples - storm_warm_index() >= STORM_JUDGE_MIN ? "true" : "false",
		nsamples - storm_warm_index(),
		storm_mem_growing() ? "true" : "false", postponed, set_aside,
		unreadable);
	for (unsigned i = 0; i < STORM_NFIELDS && nsamples; i++)
		storm_mem_field(f, ",\"%s\":{\"first\":%.0f,\"last\":%.0f,"
				"\"mean\":%.0f,\"slope_per_s\":%.2f}", i);
	fputs("}", f);
}
