/* SPDX-License-Identifier: MIT */
/*
 * bench_call.c - what a cancellation point costs when nothing is pending.
 *
 * One cheap syscall, read(-1, buf, 0) (EBADF: the kernel does almost
 * nothing, so the wrapper's own instructions dominate; the errno path), or
 * with --ok read(fd of /dev/zero, buf, 1) (the success path), called in a
 * loop through one implementation:
 *   raw   the inline syscall instruction, no wrapper (the baseline);
 *   cp    cp_read (built only when linked with libcp: CP_BENCH_WITH_CP);
 *   libc  the C library's read (glibc, or musl when built with musl-gcc).
 * The process is made multi-threaded first: glibc skips its cancellation
 * bookkeeping while single-threaded, and a single-threaded figure would
 * flatter it.  musl's cancellable path is only linked in when the program
 * references pthread_cancel, which this one does unless built with
 * -DCP_BENCH_NO_CANCEL (then musl's read is a plain syscall wrapper).
 *
 * Prints one JSON object: ns per call (min and median over --reps
 * repetitions of --calls calls).  Instruction counts come from running it
 * under callgrind twice with different --calls (runner/cpstorm bench).
 */
#define _GNU_SOURCE
#include "cp_arch.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#ifdef CP_BENCH_WITH_CP
#include <cp.h>
#endif

static char buf[1];
static int bench_fd = -1;
static size_t bench_len;

static long call_raw(void) { return cp_arch_syscall6(SYS_read, bench_fd, (long)buf, bench_len, 0, 0, 0); }
static long call_libc(void) { return read(bench_fd, buf, bench_len); }
#ifdef CP_BENCH_WITH_CP
static long call_cp(void) { return cp_read(bench_fd, buf, bench_len); }
#endif

static const struct {
	const char *name;
	long (*call)(void);
} bench_impls[] = {
	{ "raw", call_raw },
	{ "libc", call_libc },
#ifdef CP_BENCH_WITH_CP
	{ "cp", call_cp },
#endif
};

/* Keeps the process multi-threaded; never woken. */
static void *bench_idle(void *arg)
{
	int *fds = arg;

	(void)!read(fds[0], buf, 1);
	return NULL;
}

static double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static long bench_arg(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v <= 0) {
		fprintf(stderr, "cp-bench-call: %s must be a positive integer, got '%s'\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	long (*call)(void) = NULL;
	const char *impl = "raw";
	long calls = 1000000, reps = 11;
	pthread_t idle;
	int fds[2];

	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(opt, "--ok")) {
			bench_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
			bench_len = 1;
			continue;
		}
		if (strcmp(opt, "--impl") && strcmp(opt, "--calls") && strcmp(opt, "--reps")) {
			fprintf(stderr, "cp-bench-call: unknown option %s (--impl NAME, --calls N, --reps N, --ok)\n", opt);
			return 2;
		}
		if (!val) {
			fprintf(stderr, "cp-bench-call: %s needs a value\n", opt);
			return 2;
		}
		if (!strcmp(opt, "--impl"))
			impl = val;
		else if (!strcmp(opt, "--calls"))
			calls = bench_arg(val, "--calls");
		else
			reps = bench_arg(val, "--reps");
		i++;
	}
	for (size_t i = 0; i < sizeof bench_impls / sizeof *bench_impls; i++)
		if (!strcmp(bench_impls[i].name, impl))
			call = bench_impls[i].call;
	if (!call) {
		fprintf(stderr, "cp-bench-call: unknown --impl '%s' (raw, libc%s)\n",
			impl, sizeof bench_impls / sizeof *bench_impls > 2 ? ", cp" : "");
		return 2;
	}
#ifndef CP_BENCH_NO_CANCEL
	/* Referenced so that musl links its cancellable syscall path
	 * (CP_BENCH_NO_CANCEL builds the variant without it). */
	if (argc < 0)
		pthread_cancel(pthread_self());
#endif
	if (pipe(fds) || pthread_create(&idle, NULL, bench_idle, fds)) {
		fprintf(stderr, "cp-bench-call: cannot start the idle thread\n");
		return 2;
	}
	double *ns = calloc(reps, sizeof *ns);
	for (long r = 0; r < reps; r++) {
		double t0 = bench_now_ns();
		for (long i = 0; i < calls; i++)
			call();
		ns[r] = (bench_now_ns() - t0) / calls;
	}
	qsort(ns, reps, sizeof *ns, bench_cmp);
	printf("{\"impl\": \"%s\", \"path\": \"%s\", \"calls\": %ld, \"reps\": %ld, \"ns_min\": %.2f, \"ns_median\": %.2f}\n",
	       impl, bench_len ? "ok" : "ebadf", calls, reps, ns[0], ns[reps / 2]);
	free(ns);
	return 0;
}
