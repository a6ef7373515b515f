/* SPDX-License-Identifier: MIT */
/* cli.c - the storm's command line. */
#define _GNU_SOURCE
#include "options/options.h"
#include "ops/ops.h"
#include "pressure/pressure.h"
#include "rng.h"
#include "testing/testing.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Noreturn void storm_usage(const char *why)
{
	if (why) {
		fprintf(stderr, "cpstorm-storm: %s (try --help)\n", why);
		exit(2);
	}
	printf("usage: cpstorm-storm [--backend NAME] [--threads N] [--duration S]\n"
	       "                     [--seed N] [--cancellers K] [--batch B]\n"
	       "                     [--stack KIB] [--noise PCT] [--signals PCT]\n"
	       "                     [--ops MIX] [--how MIX] [--json FILE]\n"
	       "                     [--expect any] [--replay FILE] [--minimise]\n"
	       "                     [--sample S] [--pressure KINDS] [--bare]\n"
	       "  --backend NAME   one of: %s (default cp = cp:reraise)\n"
	       "  --threads N      concurrent target threads (default 1000)\n"
	       "  --duration S     seconds of storm, fractions allowed (default 10)\n"
	       "  --seed N         default: from the clock; printed first as seed=N\n"
	       "  --cancellers K   canceller threads (default: the online CPUs,\n"
	       "                   at least 4)\n"
	       "  --batch B        cancels each canceller sends before joining\n"
	       "                   them (default 32)\n"
	       "  --stack KIB      target thread stack size (default 64)\n"
	       "  --noise PCT      %% of direct cancels preceded by a SIGUSR1\n"
	       "                   handler on the target (default 25; 0 = none)\n"
	       "  --signals PCT    unrelated signal bursts (SIGUSR1, SIGUSR2 without\n"
	       "                   SA_RESTART, SIGWINCH) per 100 cancels (default 20)\n"
	       "  --ops MIX        ops and weights, e.g. openat:3,recvmsg-scm\n"
	       "                   (default: every op at its table weight)\n"
	       "  --how MIX        canceller kinds: direct, timer (POSIX timer\n"
	       "                   handler), fuzzy (calibrated sweep into the call)\n"
	       "                   (default direct:7,timer:2,fuzzy:1)\n"
	       "  --pressure KINDS resources that run out in windows, about a\n"
	       "                   third of the run: sigqueue (RLIMIT_SIGPENDING\n"
	       "                   reached), fds (EMFILE), threads (no room for a\n"
	       "                   stack), timers (timer_create fails), all, or\n"
	       "                   none (default all)\n"
	       "  --sample S       seconds between /proc samples of memory and\n"
	       "                   descriptors (default 0.5; 0: none, memory is\n"
	       "                   then not judged); under --pressure taken\n"
	       "                   between windows only\n"
	       "  --json FILE      append the JSON record to FILE\n"
	       "  --expect any     exit 0 whether or not leaks/losses were found\n"
	       "  --replay FILE    rerun the configuration of the last JSON record\n"
	       "                   in FILE (options given too override it)\n"
	       "  --minimise       rerun with fewer threads, ops, canceller kinds\n"
	       "                   while it still fails the same way; print the\n"
	       "                   smallest reproducing command line\n"
	       "  --bare           no storm: measure the ceiling, --cancellers\n"
	       "                   threads each creating --batch targets (stack\n"
	       "                   --stack), cancelling and joining them\n"
	       "The seed fixes every random choice (ops, cancel targets, delays,\n"
	       "signals); thread timing is the kernel's, so a replay repeats the\n"
	       "choices, not the interleavings.  Exit 0: no leak, nothing lost,\n"
	       "no cancellation inside a handler, no spurious EINTR, memory flat,\n"
	       "no oracle violated (masks, timers, EINTR in cleanup, children);\n"
	       "1: any of those (0 with --expect any); 2: bad input, setup\n"
	       "failure, or the harness itself hung.\n",
	       backend_names());
	exit(0);
}

static unsigned long long storm_number(const char *opt, const char *s,
				       unsigned long long lo,
				       unsigned long long hi)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || !*s || *s == '-' || v < lo || v > hi) {
		char why[160];

		snprintf(why, sizeof why, "%s needs a whole number from %llu to %llu, got '%s'",
			 opt, lo, hi, s);
		storm_usage(why);
	}
	return v;
}

static double storm_seconds(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || !*s || !(v > 0 && v <= 86400))
		storm_usage("--duration needs seconds, more than 0 and at most 86400");
	return v;
}

static double storm_sample_period(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || !*s || !(v >= 0 && v <= 3600))
		storm_usage("--sample needs seconds from 0 (no sampling) to 3600");
	return v;
}

/* Different every run, and printed, so any run can be replayed. */
static uint64_t storm_default_seed(void)
{
	struct timespec ts;
	uint64_t s;

	clock_gettime(CLOCK_REALTIME, &ts);
	s = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	s ^= (uint64_t)getpid() << 40;
	return storm_rng_next(&s);
}

static void storm_open_json(struct storm_config *c, const char *path)
{
	char why[300];

	c->json_path = path;
	if ((c->json = fopen(path, "a")))
		return;
	snprintf(why, sizeof why, "--json %s: cannot append: %s", path,
		 strerror(errno));
	storm_usage(why);
}

/* getopt has moved past the offending word: name it in the message. */
static _Noreturn void storm_bad_option(int argc, char **argv, const char *what)
{
	char why[160];

	snprintf(why, sizeof why, "option %s %s",
		 optind - 1 < argc ? argv[optind - 1] : "?", what);
	storm_usage(why);
}

static void storm_mix_option(const char *opt, const char *text,
			     const char *const *names, unsigned n,
			     unsigned *weights)
{
	char why[600], msg[700];

	if (storm_mix_parse(text, names, n, weights, why, sizeof why)) {
		snprintf(msg, sizeof msg, "%s: %s", opt, why);
		storm_usage(msg);
	}
}

/* One canceller per online CPU, at least 4: the storm's rate is bounded
 * by how fast threads are created, cancelled and joined, which scales
 * with the cores doing it. */
static unsigned storm_default_cancellers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 4 ? (unsigned)(n > 64 ? 64 : n) : 4;
}

const struct backend *storm_backend_open(const char *name, char *err,
					 size_t len)
{
	const struct backend *be = storm_test_backend(name, err, len);

	return be ? be : backend_open(name, err, len);
}

static void storm_pressure_option(const char *text, struct storm_config *c)
{
	char why[200], msg[260];

	if (storm_pressure_parse(text, &c->pressure, why, sizeof why)) {
		snprintf(msg, sizeof msg, "--pressure: %s", why);
		storm_usage(msg);
	}
}

static void storm_defaults(struct storm_config *c)
{
	*c = (struct storm_config){ .threads = 1000, .duration_s = 10,
				    .seed = storm_default_seed(),
				    .cancellers = storm_default_cancellers(),
				    .noise_pct = 25,
				    .signals_pct = 20, .batch = 32,
				    .stack_kib = 64, .sample_s = 0.5,
				    .pressure = STORM_PRESSURE_ALL,
				    .how_weight = { 7, 2, 1 } };
	for (unsigned i = 0; i < storm_nops; i++)
		c->op_weight[i] = storm_ops[i].weight;
}

/* --replay first, whatever its place: the other options override it. */
static void storm_replay_first(int argc, char **argv, struct storm_config *c)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return;
		if (!strcmp(argv[i], "--replay") && i + 1 < argc)
			storm_replay_load(argv[i + 1], c);
		else if (!strncmp(argv[i], "--replay=", 9))
			storm_replay_load(argv[i] + 9, c);
	}
}

void storm_parse(int argc, char **argv, struct storm_config *c)
{
	static const struct option opts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "threads", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "cancellers", required_argument, NULL, 'c' },
		{ "batch", required_argument, NULL, 'B' },
		{ "stack", required_argument, NULL, 'S' },
		{ "noise", required_argument, NULL, 'n' },
		{ "signals", required_argument, NULL, 'g' },
		{ "ops", required_argument, NULL, 'o' },
		{ "how", required_argument, NULL, 'w' },
		{ "json", required_argument, NULL, 'j' },
		{ "expect", required_argument, NULL, 'e' },
		{ "replay", required_argument, NULL, 'r' },
		{ "minimise", no_argument, NULL, 'm' },
		{ "minimize", no_argument, NULL, 'm' },
		{ "bare", no_argument, NULL, 'a' },
		{ "sample", required_argument, NULL, 'p' },
		{ "pressure", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *backend = NULL, *json = NULL, *names[STORM_MAX_OPS];
	char err[256];
	int o;

	storm_defaults(c);
	storm_op_names(names);
	storm_replay_first(argc, argv, c);
	opterr = 0;
	while ((o = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (o) {
		case 'b': backend = optarg; break;
		case 't': c->threads = (unsigned)storm_number("--threads", optarg, 1, 100000); break;
		case 'd': c->duration_s = storm_seconds(optarg); break;
		case 's': c->seed = storm_number("--seed", optarg, 0, UINT64_MAX); break;
		case 'c': c->cancellers = (unsigned)storm_number("--cancellers", optarg, 1, 64); break;
		case 'B': c->batch = (unsigned)storm_number("--batch", optarg, 1, 1024); break;
		case 'S': c->stack_kib = (unsigned)storm_number("--stack", optarg, 32, 65536); break;
		case 'n': c->noise_pct = (unsigned)storm_number("--noise", optarg, 0, 100); break;
		case 'g': c->signals_pct = (unsigned)storm_number("--signals", optarg, 0, 1000); break;
		case 'o': storm_mix_option("--ops", optarg, names, storm_nops, c->op_weight); break;
		case 'w': storm_mix_option("--how", optarg, storm_how_names, STORM_NHOW, c->how_weight); break;
		case 'j': json = optarg; break;
		case 'r': c->replay_path = optarg; break;
		case 'm': c->minimise = 1; break;
		case 'a': c->bare = 1; break;
		case 'p': c->sample_s = storm_sample_period(optarg); break;
		case 'P': storm_pressure_option(optarg, c); break;
		case 'e':
			if (strcmp(optarg, "any"))
				storm_usage("--expect takes only 'any' (record without judging)");
			c->expect_any = 1;
			break;
		case 'h': storm_usage(NULL);
		case ':': storm_bad_option(argc, argv, "needs a value");
		default: storm_bad_option(argc, argv, "is unknown");
		}
	}
	if (optind < argc) {
		char why[160];

		snprintf(why, sizeof why, "unexpected argument '%s'", argv[optind]);
		storm_usage(why);
	}
	if (c->cancellers > c->threads)
		c->cancellers = c->threads;
	if (backend && !(c->be = storm_backend_open(backend, err, sizeof err)))
		storm_usage(err);
	if (!c->be && !(c->be = backend_open("cp", err, sizeof err)))
		storm_usage(err);
	if (json)
		storm_open_json(c, json);
}
