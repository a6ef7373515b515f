/*
 * bench_call.c - what a cancellation point costs when nothing is pending.
 *
 * One cheap syscall, read(-1, buf, 0) (EBADF: the kernel does almost
 * nothing, so the wrapper's own instructions dominate), called in a loop
 * through one implementation:
 *   raw   the inline syscall instruction, no wrapper (the baseline);
 *   cp    cp_read (built only when linked with libcp: CP_BENCH_WITH_CP);
 *   libc  the C library's read (glibc, or musl when built with musl-gcc).
 * The process is made multi-threaded first: glibc skips its cancellation
 * bookkeeping while single-threaded, and a single-threaded figure would
 * flatter it.  musl's cancellable path is only linked in when the program
 * references pthread_cancel, which this one does.
 *
 * Prints one JSON object: ns per call (min and median over --reps
 * repetitions of --calls calls).  Instruction counts come from running it
 * under callgrind twice with different --calls (runner/cpstorm bench).
 */
#define _GNU_SOURCE
#include "cp_arch.h"

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

static long call_raw(void) { return cp_arch_syscall6(SYS_read, -1, (long)buf, 0, 0, 0, 0); }
static long call_libc(void) { return read(-1, buf, 0); }
#ifdef CP_BENCH_WITH_CP
static long call_cp(void) { return cp_read(-1, buf, 0); }
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

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--impl"))
			impl = argv[i + 1];
		else if (!strcmp(argv[i], "--calls"))
			calls = bench_arg(argv[i + 1], "--calls");
		else if (!strcmp(argv[i], "--reps"))
			reps = bench_arg(argv[i + 1], "--reps");
	}
	for (size_t i = 0; i < sizeof bench_impls / sizeof *bench_impls; i++)
		if (!strcmp(bench_impls[i].name, impl))
			call = bench_impls[i].call;
	if (!call) {
		fprintf(stderr, "cp-bench-call: unknown --impl '%s' (raw, libc%s)\n",
			impl, sizeof bench_impls / sizeof *bench_impls > 2 ? ", cp" : "");
		return 2;
	}
	/* Referenced so that musl links its cancellable syscall path. */
	if (argc < 0)
		pthread_cancel(pthread_self());
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
	printf("{\"impl\": \"%s\", \"calls\": %ld, \"reps\": %ld, \"ns_min\": %.2f, \"ns_median\": %.2f}\n",
	       impl, calls, reps, ns[0], ns[reps / 2]);
	free(ns);
	return 0;
}
