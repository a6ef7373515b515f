/*
 * storm_main.c - cpstorm-storm: options, the run, the stop, the verdict.
 *
 *   cpstorm-storm [--backend NAME] [--threads N] [--duration S] [--seed N]
 *                 [--cancellers K] [--json FILE] [--expect any]
 *
 * Exit: 0 no leak and nothing lost, 1 otherwise, 2 bad options or setup.
 */
#define _GNU_SOURCE
#include "storm.h"
#include "storm_report.h"

#include <case.h>
#include <errno.h>
#include <getopt.h>
#include <procfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct storm_counts storm_counts;
struct storm_slot *storm_slots;
const struct storm_config *storm_cfg;
volatile int storm_stopping;

static _Noreturn void storm_usage(const char *why)
{
	if (why) {
		fprintf(stderr, "cpstorm-storm: %s (try --help)\n", why);
		exit(2);
	}
	printf("usage: cpstorm-storm [--backend NAME] [--threads N] [--duration S]\n"
	       "                     [--seed N] [--cancellers K] [--json FILE] [--expect any]\n"
	       "backends: %s\n"
	       "The seed fixes every random choice (ops, cancel targets, delays);\n"
	       "thread timing is the kernel's, so a replay repeats the choices,\n"
	       "not the interleavings.  Exit 0: no leak, nothing lost; 1: leak or\n"
	       "lost cancellation (0 with --expect any); 2: bad input or setup.\n",
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
		char why[128];

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

static void storm_parse(int argc, char **argv, struct storm_config *c)
{
	static const struct option opts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "threads", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "cancellers", required_argument, NULL, 'c' },
		{ "json", required_argument, NULL, 'j' },
		{ "expect", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *backend = "cp";
	char err[256];
	int o;

	*c = (struct storm_config){ .threads = 1000, .duration_s = 10,
				    .seed = (uint64_t)time(NULL) ^ (uint64_t)getpid(),
				    .cancellers = 2 };
	opterr = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'b': backend = optarg; break;
		case 't': c->threads = (unsigned)storm_number("--threads", optarg, 1, 100000); break;
		case 'd': c->duration_s = storm_seconds(optarg); break;
		case 's': c->seed = storm_number("--seed", optarg, 0, UINT64_MAX); break;
		case 'c': c->cancellers = (unsigned)storm_number("--cancellers", optarg, 1, 64); break;
		case 'j': c->json_path = optarg; break;
		case 'e':
			if (strcmp(optarg, "any"))
				storm_usage("--expect takes only 'any'");
			c->expect_any = 1;
			break;
		case 'h': storm_usage(NULL);
		default: storm_usage("unknown option");
		}
	}
	if (optind < argc)
		storm_usage("unexpected argument");
	if (c->cancellers > c->threads)
		c->cancellers = c->threads;
	if (!(c->be = backend_open(backend, err, sizeof err)))
		storm_usage(err);
}

static double storm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Every target holds a few descriptors at a time: lift the soft limit. */
static void storm_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void storm_progress(double start)
{
	double t = storm_now() - start;

	fprintf(stderr, "\rstorm: %5.1f s  %llu cancellations  %llu lost   ", t,
		(unsigned long long)storm_counts.cancellations,
		(unsigned long long)storm_counts.lost);
}

static void storm_run(const struct storm_config *c, double start)
{
	int tty = isatty(2);
	double next = start + 1;

	while (storm_now() < start + c->duration_s) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		nanosleep(&ts, NULL);   /* the run's length, not synchronisation */
		if (tty && storm_now() >= next) {
			storm_progress(start);
			next += 1;
		}
	}
	if (tty)
		fputc('\n', stderr);
}

/* Cancel and join everything still running; a thread that does not exit
 * is a lost cancellation: push its op forward once and try again. */
static void storm_stop(const struct storm_config *c)
{
	storm_stopping = 1;
	storm_cancellers_join();
	for (unsigned i = 0; i < c->threads; i++)
		if (storm_slots[i].live && !storm_slots[i].lost)
			c->be->cancel(storm_slots[i].th);
	for (unsigned i = 0; i < c->threads; i++) {
		struct storm_slot *s = &storm_slots[i];

		if (s->live && !s->lost && storm_slot_reap(s, 5000)) {
			storm_add(&storm_counts.lost, 1);
			s->lost = 1;
			fprintf(stderr, "storm: LOST cancellation at stop: slot %u (op %s)\n",
				i, s->op >= 0 ? storm_ops[s->op].name : "-");
		}
	}
	storm_unblock_all(c->threads);
	for (unsigned i = 0; i < c->threads; i++)
		if (storm_slots[i].lost && storm_slots[i].live &&
		    storm_slot_reap(&storm_slots[i], 5000)) {
			fprintf(stderr, "storm: slot %u still blocked after its op "
				"was unblocked; giving up\n", i);
			fflush(NULL);
			_exit(1);
		}
}

int main(int argc, char **argv)
{
	struct fd_set_snapshot before, after, leaked;
	struct storm_config c;
	struct storm_result r;
	double start;

	storm_parse(argc, argv, &c);
	storm_cfg = &c;
	printf("seed=%llu\n", (unsigned long long)c.seed);
	fflush(stdout);
	storm_raise_nofile();
	case_warm_unwinder(c.be);
	if (!(storm_slots = calloc(c.threads, sizeof *storm_slots)))
		return 2;
	if (storm_resources_open(c.seed) || fds_snapshot(&before)) {
		fprintf(stderr, "cpstorm-storm: setup failed: %s\n", strerror(errno));
		return 2;
	}
	for (unsigned i = 0; i < c.threads; i++) {
		storm_slots[i].index = i;
		if (storm_slot_spawn(&storm_slots[i])) {
			fprintf(stderr, "cpstorm-storm: cannot start %u threads "
				"(stopped at %u): lower --threads\n", c.threads, i);
			return 2;
		}
	}
	start = storm_now();
	if (storm_cancellers_start())
		return 2;
	storm_run(&c, start);
	storm_stop(&c);
	r.elapsed_s = storm_now() - start;
	storm_resources_close();
	fds_snapshot(&after);
	fds_new(&before, &after, &leaked);
	r.leaked = &leaked;
	storm_report(&r);
	if (c.expect_any)
		return 0;
	return leaked.n || storm_counts.lost ? 1 : 0;
}
