/* SPDX-License-Identifier: MIT */
/*
 * options.h - how a storm is configured: the command line (cli.c), the op
 * and canceller mixes as text (mix.c), the configuration of a recorded
 * run (--replay, replay.c), and the search for the smallest configuration
 * that still fails (--minimise, minimise.c).
 */
#ifndef STORM_OPTIONS_H
#define STORM_OPTIONS_H

#include "storm.h"

#include <stddef.h>

/* Command line.  Bad input: one line on stderr, exit 2. */
void storm_parse(int argc, char **argv, struct storm_config *c);

/* support/backend.h's backend_open, and in the test build the backends
 * of testing/testing.h as well. */
const struct backend *storm_backend_open(const char *name, char *err,
					 size_t len);

/* Mixes as text, "openat:3,accept4:2"; parse returns 0 or writes a
 * one-line reason into why. */
int storm_mix_parse(const char *text, const char *const *names, unsigned n,
		    unsigned *weights, char *why, size_t whylen);
void storm_mix_format(const unsigned *weights, const char *const *names,
		      unsigned n, char *buf, size_t len);
void storm_op_names(const char **names);   /* storm_nops entries */
void storm_mixes_format(const struct storm_config *c, char *ops,
			size_t opslen, char *how, size_t howlen);
/* The command line that reruns configuration c (for replay/minimise). */
void storm_command_line(const struct storm_config *c, const char *argv0,
			char *buf, size_t len);

/* --replay FILE: the configuration of FILE's last storm record into c.
 * Bad input: one line on stderr, exit 2. */
void storm_replay_load(const char *path, struct storm_config *c);

/* --minimise: rerun c smaller while it fails the same way; print the
 * smallest reproducing command line.  Exit status. */
int storm_minimise(const struct storm_config *c, const char *argv0);

#endif
