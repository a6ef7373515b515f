/* SPDX-License-Identifier: MIT */
/* case.c - the shared command line of the cases. */
#define _GNU_SOURCE
#include "case.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static _Noreturn void case_usage(const char *name, const char *why)
{
	if (why)
		fprintf(stderr, "case-%s: %s (try --help)\n", name, why);
	else
		printf("usage: case-%s [--backend NAME] [--expect pass|fail|any]\n"
		       "backends: %s\n"
		       "exit: 0 pass, 1 fail, 2 error, 77 skip; with --expect, "
		       "0 when the verdict is the expected one\n",
		       name, backend_names());
	exit(why ? 2 : 0);
}

static void case_parse_expect(const char *name, const char *arg)
{
	if (!strcmp(arg, "pass"))
		verdict_expect(VERDICT_PASS, 0);
	else if (!strcmp(arg, "fail"))
		verdict_expect(VERDICT_FAIL, 0);
	else if (!strcmp(arg, "any"))
		verdict_expect(VERDICT_PASS, 1);
	else
		case_usage(name, "--expect takes pass, fail or any");
}

static _Noreturn void case_bad_option(const char *name, int c, const char *arg)
{
	char why[160];

	snprintf(why, sizeof why, c == ':' ? "option '%s' needs a value"
					   : "unknown option '%s'", arg);
	case_usage(name, why);
}

static const struct backend *case_parse(int argc, char **argv,
					const char *case_name)
{
	static const struct option opts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "expect", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *backend = "cp";
	const struct backend *be;
	char err[256];
	int c;

	opterr = 0;   /* our own one-line messages, not getopt's */
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'b')
			backend = optarg;
		else if (c == 'e')
			case_parse_expect(case_name, optarg);
		else if (c == 'h')
			case_usage(case_name, NULL);
		else
			case_bad_option(case_name, c, argv[optind - 1]);
	}
	if (optind < argc) {
		snprintf(err, sizeof err, "unexpected argument '%s'", argv[optind]);
		case_usage(case_name, err);
	}
	if (!(be = backend_open(backend, err, sizeof err)))
		case_usage(case_name, err);
	return be;
}

const struct backend *case_start(int argc, char **argv,
				 const struct case_info *info)
{
	const struct backend *be = case_parse(argc, argv, info->name);

	verdict_begin(info->name, be->name);
	watchdog_start(info->watchdog_s ? info->watchdog_s : CASE_WATCHDOG_S,
		       (pid_t)syscall(SYS_gettid),
		       info->hang_is_harness ? VERDICT_ERROR : VERDICT_FAIL,
		       info->name);
	/* libgcc_s is loaded on the first cancellation: before anything is
	 * timed or a descriptor table is snapshotted. */
	case_warm_unwinder(be);
	return be;
}

static void *case_warm_main(void *p)
{
	const struct backend *be = p;

	be->cancel(pthread_self());
	be->testcancel();
	return NULL;
}

void case_warm_unwinder(const struct backend *be)
{
	pthread_t th;

	if (pthread_create(&th, NULL, case_warm_main, (void *)be) == 0)
		pthread_join(th, NULL);
}

_Noreturn void case_run_variants(const struct backend *be, size_t n,
				 case_variant_fn *fn, const char *pass_detail)
{
	char why[512], bad[1000] = "";

	for (size_t i = 0; i < n; i++)
		verdict_append(bad, sizeof bad, fn(be, i, why, sizeof why));
	if (*bad)
		verdict_exit(VERDICT_FAIL, "%s", bad);
	verdict_exit(VERDICT_PASS, "%s", pass_detail);
}
