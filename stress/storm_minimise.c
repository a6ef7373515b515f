/*
 * storm_minimise.c - --minimise: shrink a failing configuration.
 *
 * Reruns this binary (same seed and duration) with one thing less at a
 * time: half the threads, one op kind, one canceller kind, no signals,
 * no noise, one canceller, batches of one.  A step is kept when the rerun
 * still fails with one of the original outcome kinds (leak, lost, inside
 * a handler, spurious EINTR, memory growth), read from the rerun's JSON
 * record.  Timing is the kernel's, so a candidate gets two tries before
 * it counts as passing.  Prints the smallest command line that reproduced.
 */
#define _GNU_SOURCE
#include "storm.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define STORM_MIN_TRIES 2
#define STORM_MIN_RUNS 60      /* bound on reruns */

enum { KIND_LEAK = 1, KIND_LOST = 2, KIND_INSIDE = 4, KIND_EINTR = 8,
       KIND_MEMORY = 16 };

static const struct {
	const char *key;
	int kind;
} storm_kind_keys[] = {
	{ "\"leaked_fds\":", KIND_LEAK }, { "\"lost\":", KIND_LOST },
	{ "\"inside_handler\":", KIND_INSIDE },
	{ "\"spurious_eintr\":", KIND_EINTR },
};

static unsigned storm_runs;
static char json_path[64];

/* Failure kinds of the last record in json_path (0: passed or no record). */
static int storm_kinds(void)
{
	FILE *f = fopen(json_path, "r");
	char *line = NULL;
	size_t cap = 0;
	int kinds = 0;

	while (f && getline(&line, &cap, f) > 0) {
		kinds = 0;
		for (size_t i = 0; i < sizeof storm_kind_keys /
				       sizeof *storm_kind_keys; i++) {
			const char *p = strstr(line, storm_kind_keys[i].key);

			if (p && atol(p + strlen(storm_kind_keys[i].key)) > 0)
				kinds |= storm_kind_keys[i].kind;
		}
		if (strstr(line, "\"memory_growing\":true"))
			kinds |= KIND_MEMORY;
	}
	free(line);
	if (f)
		fclose(f);
	return kinds;
}

static int storm_run_child(const struct storm_config *c)
{
	char cmd[2048], *argv[64], *save = NULL;
	int n = 0, status;
	pid_t pid;

	storm_command_line(c, "/proc/self/exe", cmd, sizeof cmd);
	for (char *t = strtok_r(cmd, " ", &save); t && n < 60;
	     t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	argv[n++] = "--json";
	argv[n++] = json_path;
	argv[n] = NULL;
	truncate(json_path, 0);
	storm_runs++;
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 1 ? storm_kinds() : 0;
}

/* Does c fail with one of `want`?  Up to STORM_MIN_TRIES runs. */
static int storm_fails(const struct storm_config *c, int want)
{
	for (int i = 0; i < STORM_MIN_TRIES && storm_runs < STORM_MIN_RUNS; i++)
		if (storm_run_child(c) & want)
			return 1;
	return 0;
}

static void storm_try(struct storm_config *best, const struct storm_config *cand,
		      int want, const char *what)
{
	char cmd[2048];

	if (storm_runs >= STORM_MIN_RUNS)
		return;
	fprintf(stderr, "minimise: %s ... ", what);
	if (storm_fails(cand, want)) {
		*best = *cand;
		storm_command_line(best, "cpstorm-storm", cmd, sizeof cmd);
		fprintf(stderr, "still fails: %s\n", cmd);
	} else {
		fprintf(stderr, "passes: not taken\n");
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
			     const char *const *names, unsigned n, int want)
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

static void storm_shrink_knobs(struct storm_config *best, int want)
{
	static const struct {
		const char *what;
		size_t off;
		unsigned to;
	} knobs[] = {
		{ "no unrelated signals", offsetof(struct storm_config, signals_pct), 0 },
		{ "no noise", offsetof(struct storm_config, noise_pct), 0 },
		{ "one canceller", offsetof(struct storm_config, cancellers), 1 },
		{ "batches of one", offsetof(struct storm_config, batch), 1 },
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

int storm_minimise(const struct storm_config *c, const char *argv0)
{
	struct storm_config best = *c;
	const char *names[STORM_MAX_OPS];
	char cmd[2048];
	int want;

	(void)argv0;
	best.json = NULL;
	best.minimise = 0;
	snprintf(json_path, sizeof json_path, "/tmp/cpstorm-minimise-%d.jsonl",
		 (int)getpid());
	storm_op_names(names);
	storm_command_line(&best, "cpstorm-storm", cmd, sizeof cmd);
	fprintf(stderr, "minimise: first, the configuration as given: %s\n", cmd);
	want = storm_run_child(&best);
	if (!want && !(want = storm_run_child(&best))) {
		fprintf(stderr, "minimise: it did not fail (twice): nothing to "
			"minimise\n");
		unlink(json_path);
		return 0;
	}
	while (best.threads > 1) {
		struct storm_config cand = best;
		char what[64];

		cand.threads = best.threads / 2;
		if (cand.cancellers > cand.threads)
			cand.cancellers = cand.threads;
		snprintf(what, sizeof what, "%u threads", cand.threads);
		storm_try(&best, &cand, want, what);
		if (best.threads != cand.threads)
			break;
	}
	storm_shrink_mix(&best, storm_ops_of, names, storm_nops, want);
	storm_shrink_mix(&best, storm_how_of, storm_how_names, STORM_NHOW, want);
	storm_shrink_knobs(&best, want);
	unlink(json_path);
	storm_command_line(&best, "cpstorm-storm", cmd, sizeof cmd);
	printf("minimised (%u reruns): %s\n", storm_runs, cmd);
	return 1;
}
