/* SPDX-License-Identifier: MIT */
/*
 * record.h - reading the storm's JSON records back (--replay, --minimise).
 *
 * A file holds JSON records, one a line: the storm's --json output, a
 * runner results file, or a saved stdout.  The readers look up keys the
 * storm itself wrote, in the order it writes them, so a small scanner
 * does, not a JSON parser.  A lookup scans from the text it is given, so
 * record_key(record_key(rec, "ops"), "openat") is the "openat" entry of
 * the "ops" object.
 */
#ifndef STORM_RECORD_H
#define STORM_RECORD_H

#include <stddef.h>

/* The last line of path that is a storm record (it names a backend, a
 * seed and a thread count), malloc'd; NULL with *why set when the file
 * cannot be read or holds none. */
char *record_last(const char *path, const char **why);

/* The text right after "key": at or after rec, or NULL (rec NULL too). */
const char *record_key(const char *rec, const char *key);

/* "key":<number>: 1 and *v, or 0. */
int record_number(const char *rec, const char *key, double *v);

/* "key":"<text>" (no escapes) into buf: 1, or 0 (also when too long). */
int record_string(const char *rec, const char *key, char *buf, size_t len);

/* "key":true */
int record_true(const char *rec, const char *key);

/* Is there a "key":"value" pair anywhere at or after rec? */
int record_has_string(const char *rec, const char *key, const char *value);

#endif
