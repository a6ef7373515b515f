/* SPDX-License-Identifier: MIT */
/*
 * storm_replay.c - --replay FILE: the configuration of a recorded run.
 *
 * FILE holds JSON records, one a line (the storm's --json output, a
 * runner results file, or a saved stdout); the last line that is a storm
 * record is replayed: backend, seed, threads, duration, cancellers, batch,
 * stack, noise, signals, sampling period and both mixes.  Records from
 * before the mixes existed replay with today's defaults for what they
 * lack.  The reader
 * only looks up top-level keys the storm itself wrote, so a small scanner
 * does, not a JSON parser.
 */
#define _GNU_SOURCE
#include "storm.h"

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

/* The text right after "key": in rec, or NULL. */
static const char *storm_key(const char *rec, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	p = strstr(rec, pat);
	return p ? p + strlen(pat) : NULL;
}

static int storm_key_number(const char *rec, const char *key, double *v)
{
	const char *p = storm_key(rec, key);
	char *end;

	if (!p)
		return 0;
	*v = strtod(p, &end);
	return end != p;
}

static int storm_key_string(const char *rec, const char *key, char *buf,
			    size_t len)
{
	const char *p = storm_key(rec, key), *q;

	if (!p || *p != '"' || !(q = strchr(p + 1, '"')) ||
	    (size_t)(q - p - 1) >= len)
		return 0;
	memcpy(buf, p + 1, (size_t)(q - p - 1));
	buf[q - p - 1] = 0;
	return 1;
}

static char *storm_last_record(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *last = NULL;
	size_t cap = 0;

	if (!f)
		storm_replay_fail(path, "cannot read it");
	while (getline(&line, &cap, f) > 0)
		if (line[0] == '{' && strstr(line, "\"backend\":") &&
		    strstr(line, "\"seed\":") && strstr(line, "\"threads\":")) {
			free(last);
			last = strdup(line);
		}
	free(line);
	fclose(f);
	if (!last)
		storm_replay_fail(path, "no storm record in it");
	return last;
}

static void storm_replay_mix(const char *path, const char *rec,
			     const char *key, const char *const *names,
			     unsigned n, unsigned *weights)
{
	char text[1024], why[600];

	if (!storm_key_string(rec, key, text, sizeof text))
		return;
	if (storm_mix_parse(text, names, n, weights, why, sizeof why))
		storm_replay_fail(path, why);
}

void storm_replay_load(const char *path, struct storm_config *c)
{
	static const struct {
		const char *key;
		size_t off;
		double min;
	} uints[] = {
		{ "threads", offsetof(struct storm_config, threads), 1 },
		{ "cancellers", offsetof(struct storm_config, cancellers), 1 },
		{ "noise_pct", offsetof(struct storm_config, noise_pct), 0 },
		{ "signals_pct", offsetof(struct storm_config, signals_pct), 0 },
		{ "batch", offsetof(struct storm_config, batch), 1 },
		{ "stack_kib", offsetof(struct storm_config, stack_kib), 32 },
	};
	char *rec = storm_last_record(path), backend[64], err[256];
	const char *names[STORM_MAX_OPS], *seed;
	double v;

	storm_op_names(names);
	if (!storm_key_string(rec, "backend", backend, sizeof backend) ||
	    !(seed = storm_key(rec, "seed")))
		storm_replay_fail(path, "the record has no backend or seed");
	if (!(c->be = backend_open(backend, err, sizeof err)))
		storm_replay_fail(path, err);
	c->seed = strtoull(seed, NULL, 10);
	for (size_t i = 0; i < sizeof uints / sizeof *uints; i++)
		if (storm_key_number(rec, uints[i].key, &v) && v >= uints[i].min)
			*(unsigned *)((char *)c + uints[i].off) = (unsigned)v;
	/* The configured length, not the measured one (a stop phase adds). */
	if (storm_key_number(rec, "duration_config_s", &v) ||
	    storm_key_number(rec, "duration_s", &v))
		c->duration_s = v > 0 ? v : c->duration_s;
	if (storm_key_number(rec, "sample_s", &v) && v >= 0)
		c->sample_s = v;
	storm_replay_mix(path, rec, "ops_mix", names, storm_nops, c->op_weight);
	storm_replay_mix(path, rec, "how_mix", storm_how_names, STORM_NHOW,
			 c->how_weight);
	fprintf(stderr, "cpstorm-storm: replaying %s %s seed %llu\n", path,
		backend, (unsigned long long)c->seed);
	free(rec);
}
