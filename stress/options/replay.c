/* SPDX-License-Identifier: MIT */
/*
 * replay.c - --replay FILE: the configuration of a recorded run.
 *
 * FILE holds JSON records, one a line (the storm's --json output, a
 * runner results file, or a saved stdout); the last line that is a storm
 * record is replayed: backend, seed, threads, duration, cancellers, batch,
 * stack, noise, signals, sampling period and both mixes.  Records from
 * before the mixes existed replay with today's defaults for what they
 * lack.  options/record.c reads the records.
 */
#define _GNU_SOURCE
#include "options/options.h"
#include "options/record.h"
#include "ops/ops.h"
#include "pressure/pressure.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Noreturn void storm_replay_fail(const char *path, const char *why)
{
	fprintf(stderr, "cpstorm-storm: --replay %s: %s (give a file with the "
		"storm's JSON record, e.g. from --json)\n", path, why);
	exit(2);
}

static char *storm_last_record(const char *path)
{
	const char *why;
	char *rec = record_last(path, &why);

	if (!rec)
		storm_replay_fail(path, why);
	return rec;
}

static void storm_replay_mix(const char *path, const char *rec,
			     const char *key, const char *const *names,
			     unsigned n, unsigned *weights)
{
	char text[1024], why[600];

	if (!record_string(rec, key, text, sizeof text))
		return;
	if (storm_mix_parse(text, names, n, weights, why, sizeof why))
		storm_replay_fail(path, why);
}

/* A record from before the pressure existed ran without it. */
static void storm_replay_pressure(const char *path, const char *rec,
				  struct storm_config *c)
{
	char text[64], why[200];

	if (!record_string(rec, "pressure_kinds", text, sizeof text)) {
		c->pressure = 0;
		return;
	}
	if (storm_pressure_parse(text, &c->pressure, why, sizeof why))
		storm_replay_fail(path, why);
}

void storm_replay_load(const char *path, struct storm_config *c)
{
	static const struct {
		const char *key;
		size_t off;
		double min;
	} uints[] = {
		{ .key = "threads", .off = offsetof(struct storm_config, threads),
		  .min = 1 },
		{ .key = "cancellers", .off = offsetof(struct storm_config, cancellers),
		  .min = 1 },
		{ .key = "noise_pct", .off = offsetof(struct storm_config, noise_pct),
		  .min = 0 },
		{ .key = "signals_pct", .off = offsetof(struct storm_config, signals_pct),
		  .min = 0 },
		{ .key = "batch", .off = offsetof(struct storm_config, batch),
		  .min = 1 },
		{ .key = "stack_kib", .off = offsetof(struct storm_config, stack_kib),
		  .min = 32 },
	};
	char *rec = storm_last_record(path), backend[64], err[256];
	const char *names[STORM_MAX_OPS], *seed;
	double v;

	storm_op_names(names);
	if (!record_string(rec, "backend", backend, sizeof backend) ||
	    !(seed = record_key(rec, "seed")))
		storm_replay_fail(path, "the record has no backend or seed");
	if (!(c->be = storm_backend_open(backend, err, sizeof err)))
		storm_replay_fail(path, err);
	c->seed = strtoull(seed, NULL, 10);
	for (size_t i = 0; i < sizeof uints / sizeof *uints; i++)
		if (record_number(rec, uints[i].key, &v) && v >= uints[i].min)
			*(unsigned *)((char *)c + uints[i].off) = (unsigned)v;
	/* The configured length, not the measured one (a stop phase adds). */
	if (record_number(rec, "duration_config_s", &v) ||
	    record_number(rec, "duration_s", &v))
		c->duration_s = v > 0 ? v : c->duration_s;
	if (record_number(rec, "sample_s", &v) && v >= 0)
		c->sample_s = v;
	storm_replay_pressure(path, rec, c);
	storm_replay_mix(path, rec, "ops_mix", names, storm_nops, c->op_weight);
	storm_replay_mix(path, rec, "how_mix", storm_how_names, STORM_NHOW,
			 c->how_weight);
	fprintf(stderr, "cpstorm-storm: replaying %s %s seed %llu\n", path,
		backend, (unsigned long long)c->seed);
	free(rec);
}
