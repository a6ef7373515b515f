/* SPDX-License-Identifier: MIT */
/* record.c - the one reader of the storm's JSON records (see record.h). */
#define _GNU_SOURCE
#include "options/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int record_is_storm(const char *line)
{
	return line[0] == '{' && strstr(line, "\"backend\":") &&
	       strstr(line, "\"seed\":") && strstr(line, "\"threads\":");
}

char *record_last(const char *path, const char **why)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *last = NULL;
	size_t cap = 0;

	if (!f) {
		*why = "cannot read it";
		return NULL;
	}
	while (getline(&line, &cap, f) > 0)
		if (record_is_storm(line)) {
			free(last);
			last = strdup(line);
		}
	free(line);
	fclose(f);
	if (!last)
		*why = "no storm record in it";
	return last;
}

const char *record_key(const char *rec, const char *key)
{
	char pat[96];
	const char *p;

	if (!rec)
		return NULL;
	snprintf(pat, sizeof pat, "\"%s\":", key);
	p = strstr(rec, pat);
	return p ? p + strlen(pat) : NULL;
}

int record_number(const char *rec, const char *key, double *v)
{
	const char *p = record_key(rec, key);
	char *end;

	if (!p)
		return 0;
	*v = strtod(p, &end);
	return end != p;
}

int record_string(const char *rec, const char *key, char *buf, size_t len)
{
	const char *p = record_key(rec, key), *q;

	if (!p || *p != '"' || !(q = strchr(p + 1, '"')) ||
	    (size_t)(q - p - 1) >= len)
		return 0;
	memcpy(buf, p + 1, (size_t)(q - p - 1));
	buf[q - p - 1] = 0;
	return 1;
}

int record_true(const char *rec, const char *key)
{
	const char *p = record_key(rec, key);

	return p && !strncmp(p, "true", 4);
}

int record_has_string(const char *rec, const char *key, const char *value)
{
	size_t n = strlen(value);

	for (const char *p = record_key(rec, key); p; p = record_key(p, key))
		if (p[0] == '"' && !strncmp(p + 1, value, n) && p[1 + n] == '"')
			return 1;
	return 0;
}
