/* SPDX-License-Identifier: MIT */
/*
 * minimise.c - --minimise: shrink a failing configuration.
 *
 * Reruns this binary (same seed) with one thing less at a time and keeps
 * a step when the rerun still fails with one of the original outcomes
 * (account/outcomes.c: leak, lost, inside a handler, spurious EINTR,
 * memory growth, ...), read from the rerun's JSON record.  The steps, cheapest reruns first:
 * only the ops the failure was attributed to (leaked descriptors, lost
 * threads), half the duration, half the threads, one op kind less, one
 * canceller kind less, no pressure, no signals, no noise, one canceller,
 * batches of one.
 *
 * Timing is the kernel's, so a failing configuration fails only with some
 * probability per run, and a candidate that passes once may still
 * reproduce.  The first runs of the configuration as given measure that
 * probability (its detection power p), and each candidate then gets k
 * tries, k the smallest number with (1 - p)^k <= 5%: a candidate that
 * reproduces as often as the original is wrongly dropped at most one time
 * in twenty.  p is estimated as (failures + 1) / (runs + 2), never 1, and
 * k is at most STORM_MIN_TRIES_MAX, so a rare failure is not chased for
 * ever.  The result is rerun k times at the end and the count of
 * reproductions is printed with it.  Every rerun is bounded in time by the
 * storm itself, and the whole search by STORM_MIN_RUNS reruns.  The
 * reruns write their records to a file of our own (mkstemp), not to a
 * name another user could predict and plant.
 */
#define _GNU_SOURCE
#include "options/options.h"
#include "options/record.h"
#include "account/account.h"
#include "ops/ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <limits.h>
#include <unistd.h>

#define STORM_MIN_FIRST 3        /* runs of the original: its power */
#define STORM_MIN_TRIES_MAX 5
#define STORM_MIN_MISS 0.05      /* chance to drop a candidate as good */
#define STORM_MIN_RUNS 80        /* bound on reruns */
#define STORM_MIN_DURATION 0.5   /* shortest duration tried, s */

static unsigned storm_runs, storm_tries = 1;
static char json_path[PATH_MAX];
static const char *storm_argv0;   /* in the command lines printed */
static unsigned attributed[STORM_MAX_OPS];   /* ops a failure named */

/* Ops the record blames: a leaked descriptor is attributed to the op
 * that allocates its kind, a lost thread names the op it sat in. */
static void storm_note_attributed(const char *rec)
{
	const char *ops = record_key(rec, "ops");
	double leaked;

	for (unsigned i = 0; i < storm_nops; i++)
		if ((record_number(record_key(ops, storm_ops[i].name), "leaked",
				   &leaked) && leaked > 0) ||
		    record_has_string(rec, "op", storm_ops[i].name))
			attributed[i] = 1;
}

/* The outcomes a record failed with, bit i for storm_outcomes[i] (0:
 * passed). */
static unsigned storm_kinds(const char *rec)
{
	unsigned kinds = 0;
	double v;

	for (unsigned i = 0; i < storm_noutcomes; i++)
		if (storm_outcomes[i].is_flag
			    ? record_true(rec, storm_outcomes[i].key)
			    : record_number(rec, storm_outcomes[i].key, &v) &&
				      v > 0)
			kinds |= 1U << i;
	return kinds;
}

/* A fresh file of our own for the reruns' records (their --json), in
 * $TMPDIR or /tmp.  Returns the directory when it cannot be made. */
static const char *storm_json_file(void)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(json_path, sizeof json_path, "%s/cpstorm-minimise-XXXXXX", dir);
	if ((fd = mkostemp(json_path, O_CLOEXEC)) < 0)
		return dir;
	close(fd);
	return NULL;
}

/* One rerun of c: its failure kinds (0: passed, or no record); with
 * `attribute`, a failure's record also marks the ops it names. */
static unsigned storm_run_child(const struct storm_config *c, int attribute)
{
	char cmd[2048], *argv[64], *save = NULL, *rec;
	const char *why;
	unsigned kinds;
	int n = 0, status;
	pid_t pid;

	storm_command_line(c, "/proc/self/exe", cmd, sizeof cmd);
	for (char *t = strtok_r(cmd, " ", &save); t && n < 60;
	     t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	argv[n++] = "--json";
	argv[n++] = json_path;
	argv[n] = NULL;
	if (truncate(json_path, 0))
		return 0;
	storm_runs++;
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 1 ||
	    !(rec = record_last(json_path, &why)))
		return 0;
	kinds = storm_kinds(rec);
	if (kinds && attribute)
		storm_note_attributed(rec);
	free(rec);
	return kinds;
}

/* Does c fail with one of `want`?  Up to storm_tries runs. */
static int storm_fails(const struct storm_config *c, unsigned want)
{
	for (unsigned i = 0; i < storm_tries && storm_runs < STORM_MIN_RUNS; i++)
		if (storm_run_child(c, 0) & want)
			return 1;
	return 0;
}

static void storm_try(struct storm_config *best, const struct storm_config *cand,
		      unsigned want, const char *what)
{
	char cmd[2048];

	if (storm_runs >= STORM_MIN_RUNS)
		return;
	fprintf(stderr, "minimise: %s ... ", what);
	if (storm_fails(cand, want)) {
		*best = *cand;
		storm_command_line(best, storm_argv0, cmd, sizeof cmd);
		fprintf(stderr, "still fails: %s\n", cmd);
	} else {
		fprintf(stderr, "passes %u time%s: not taken\n", storm_tries,
			storm_tries > 1 ? "s" : "");
	}
}

static unsigned storm_count_on(const unsigned *w, unsigned n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++)
		k += w[i] != 0;
	return k;
}

/* Leave out one entry of a mix at a time, while more than one is on. */
static void storm_shrink_mix(struct storm_config *best, unsigned *(*mix)(struct storm_config *),
			     const char *const *names, unsigned n, unsigned want)
{
	for (unsigned i = 0; i < n; i++) {
		struct storm_config cand = *best;
		char what[96];

		if (!mix(&cand)[i] || storm_count_on(mix(&cand), n) < 2)
			continue;
		mix(&cand)[i] = 0;
		snprintf(what, sizeof what, "without %s", names[i]);
		storm_try(best, &cand, want, what);
	}
}

static unsigned *storm_ops_of(struct storm_config *c) { return c->op_weight; }
static unsigned *storm_how_of(struct storm_config *c) { return c->how_weight; }

/* Straight to the ops the failure was attributed to, if that is fewer. */
static void storm_only_attributed(struct storm_config *best, unsigned want)
{
	struct storm_config cand = *best;
	char what[600] = "only the ops it was attributed to:";
	unsigned kept = 0;

	for (unsigned i = 0; i < storm_nops; i++) {
		if (!attributed[i] || !cand.op_weight[i]) {
			cand.op_weight[i] = 0;
			continue;
		}
		kept++;
		snprintf(what + strlen(what), sizeof what - strlen(what), " %s",
			 storm_ops[i].name);
	}
	if (kept && kept < storm_count_on(best->op_weight, storm_nops))
		storm_try(best, &cand, want, what);
}

static void storm_shrink_duration(struct storm_config *best, unsigned want)
{
	while (best->duration_s / 2 >= STORM_MIN_DURATION) {
		struct storm_config cand = *best;
		char what[64];

		cand.duration_s = best->duration_s / 2;
		snprintf(what, sizeof what, "%g s", cand.duration_s);
		storm_try(best, &cand, want, what);
		if (best->duration_s != cand.duration_s)
			break;
	}
}

static void storm_shrink_threads(struct storm_config *best, unsigned want)
{
	while (best->threads > 1) {
		struct storm_config cand = *best;
		char what[64];

		cand.threads = best->threads / 2;
		if (cand.cancellers > cand.threads)
			cand.cancellers = cand.threads;
		snprintf(what, sizeof what, "%u threads", cand.threads);
		storm_try(best, &cand, want, what);
		if (best->threads != cand.threads)
			break;
	}
}

static void storm_shrink_knobs(struct storm_config *best, unsigned want)
{
	static const struct {
		const char *what;
		size_t off;
		unsigned to;
	} knobs[] = {
		{ .what = "no resource pressure",
		  .off = offsetof(struct storm_config, pressure), .to = 0 },
		{ .what = "no unrelated signals",
		  .off = offsetof(struct storm_config, signals_pct), .to = 0 },
		{ .what = "no noise",
		  .off = offsetof(struct storm_config, noise_pct), .to = 0 },
		{ .what = "one canceller",
		  .off = offsetof(struct storm_config, cancellers), .to = 1 },
		{ .what = "batches of one",
		  .off = offsetof(struct storm_config, batch), .to = 1 },
	};

	for (size_t i = 0; i < sizeof knobs / sizeof *knobs; i++) {
		struct storm_config cand = *best;
		unsigned *v = (unsigned *)((char *)&cand + knobs[i].off);

		if (*v == knobs[i].to)
			continue;
		*v = knobs[i].to;
		storm_try(best, &cand, want, knobs[i].what);
	}
}

/* The original, STORM_MIN_FIRST times: the kinds it fails with, the ops
 * they name, and from its failure rate the tries a candidate gets. */
static unsigned storm_measure(const struct storm_config *c)
{
	unsigned failed = 0, want = 0;
	double p, miss;

	for (unsigned i = 0; i < STORM_MIN_FIRST; i++) {
		unsigned kinds = storm_run_child(c, 1);

		if (!kinds)
			continue;
		failed++;
		want |= kinds;
	}
	p = (failed + 1.0) / (STORM_MIN_FIRST + 2.0);
	for (storm_tries = 1, miss = 1 - p;
	     miss > STORM_MIN_MISS && storm_tries < STORM_MIN_TRIES_MAX;
	     storm_tries++)
		miss *= 1 - p;
	if (failed)
		fprintf(stderr, "minimise: failed %u of %u runs (detection "
			"power about "
			"%.0f%%): each candidate gets %u tries, so one that "
			"reproduces as often is dropped at most %.0f%% of the "
			"time\n", failed, STORM_MIN_FIRST, 100 * p, storm_tries,
			100 * miss);
	return want;
}

int storm_minimise(const struct storm_config *c, const char *argv0)
{
	struct storm_config best = *c;
	const char *names[STORM_MAX_OPS];
	char cmd[2048];
	unsigned again = 0, want;
	const char *dir;

	storm_argv0 = argv0;
	best.json = NULL;
	best.minimise = 0;
	if ((dir = storm_json_file())) {
		fprintf(stderr, "cpstorm-storm: --minimise: cannot create a file "
			"for the reruns' records in %s: %s (set TMPDIR to a "
			"writable directory)\n", dir, strerror(errno));
		return 2;
	}
	storm_op_names(names);
	storm_command_line(&best, argv0, cmd, sizeof cmd);
	fprintf(stderr, "minimise: first, the configuration as given: %s\n", cmd);
	if (!(want = storm_measure(&best))) {
		fprintf(stderr, "minimise: it did not fail in %u runs: nothing to "
			"minimise\n", STORM_MIN_FIRST);
		unlink(json_path);
		return 0;
	}
	storm_only_attributed(&best, want);
	storm_shrink_duration(&best, want);
	storm_shrink_threads(&best, want);
	storm_shrink_mix(&best, storm_ops_of, names, storm_nops, want);
	storm_shrink_mix(&best, storm_how_of, storm_how_names, STORM_NHOW, want);
	storm_shrink_knobs(&best, want);
	for (unsigned i = 0; i < storm_tries; i++)
		again += (storm_run_child(&best, 0) & want) != 0;
	unlink(json_path);
	storm_command_line(&best, argv0, cmd, sizeof cmd);
	printf("minimised (%u reruns; it reproduced %u of %u times when run "
	       "again): %s\n", storm_runs, again, storm_tries, cmd);
	return 1;
}
