/* SPDX-License-Identifier: MIT */
/*
 * mix.c - the op and canceller mixes as text ("openat:3,poll"), and
 * the command line that reruns a configuration.  The same text goes to
 * the JSON record, so --replay and --minimise read back what was run.
 */
#define _GNU_SOURCE
#include "options/options.h"
#include "ops/ops.h"
#include "pressure/pressure.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void storm_op_names(const char **names)
{
	for (unsigned i = 0; i < storm_nops; i++)
		names[i] = storm_ops[i].name;
}

static int storm_mix_lookup(const char *name, size_t len,
			    const char *const *names, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (strlen(names[i]) == len && !strncmp(name, names[i], len))
			return (int)i;
	return -1;
}

/* "name[:weight],..." -> weights (names not given: 0).  A bare name keeps
 * the weight already in weights[] (the default), or 1 when that is 0. */
int storm_mix_parse(const char *text, const char *const *names, unsigned n,
		    unsigned *weights, char *why, size_t whylen)
{
	unsigned out[STORM_MAX_OPS] = { 0 }, any = 0;
	const char *p = text;

	while (*p) {
		size_t len = strcspn(p, ":,");
		int i = storm_mix_lookup(p, len, names, n);
		unsigned long w = i >= 0 && weights[i] ? weights[i] : 1;

		if (i < 0) {
			snprintf(why, whylen, "unknown name '%.*s' (choose from:",
				 (int)len, p);
			for (unsigned j = 0; j < n; j++)
				snprintf(why + strlen(why), whylen - strlen(why),
					 " %s", names[j]);
			snprintf(why + strlen(why), whylen - strlen(why), ")");
			return -1;
		}
		p += len;
		if (*p == ':') {
			char *end;

			errno = 0;
			w = strtoul(p + 1, &end, 10);
			if (errno || end == p + 1 || w > 1000 || p[1] == '-' ||
			    (*end && *end != ',')) {
				snprintf(why, whylen, "weight of '%s' must be a "
					 "whole number from 0 to 1000", names[i]);
				return -1;
			}
			p = end;
		}
		if (*p == ',')
			p++;
		out[i] = (unsigned)w;
		any += (unsigned)w;
	}
	if (!any) {
		snprintf(why, whylen, "the mix '%s' has no positive weight", text);
		return -1;
	}
	memcpy(weights, out, n * sizeof *weights);
	return 0;
}

void storm_mix_format(const unsigned *weights, const char *const *names,
		      unsigned n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < n && used < len; i++)
		if (weights[i])
			used += (size_t)snprintf(buf + used, len - used, "%s%s:%u",
						 used ? "," : "", names[i],
						 weights[i]);
}

void storm_mixes_format(const struct storm_config *c, char *ops,
			size_t opslen, char *how, size_t howlen)
{
	const char *names[STORM_MAX_OPS];

	storm_op_names(names);
	storm_mix_format(c->op_weight, names, storm_nops, ops, opslen);
	storm_mix_format(c->how_weight, storm_how_names, STORM_NHOW, how, howlen);
}

void storm_command_line(const struct storm_config *c, const char *argv0,
			char *buf, size_t len)
{
	char ops[1024], how[128], pressure[64];

	storm_mixes_format(c, ops, sizeof ops, how, sizeof how);
	storm_pressure_format(c->pressure, pressure, sizeof pressure);
	snprintf(buf, len, "%s --backend %s --seed %llu --threads %u "
		 "--duration %g --cancellers %u --batch %u --stack %u "
		 "--noise %u --signals %u --sample %g --pressure %s --ops %s "
		 "--how %s", argv0,
		 c->be->name, (unsigned long long)c->seed, c->threads,
		 c->duration_s, c->cancellers, c->batch, c->stack_kib,
		 c->noise_pct, c->signals_pct, c->sample_s, pressure, ops, how);
}
