/* SPDX-License-Identifier: MIT */
/*
 * test_dlclose.c - libcp loaded with dlopen and closed with dlclose.
 *
 * libcp installs a process-wide handler for its signal.  If dlclose
 * unmapped the library, that handler would point into unmapped memory and
 * the next signal (a late request, a retry tick) would kill the process.
 * A correct libcp stays loaded (or leaves no handler behind).  The program
 * loads libcp, lets it install its handler, closes it, then raises the
 * signal: exit 0 when the process survives, 1 otherwise.
 * usage: test_dlclose PATH_TO_LIBCP_SO
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int (*cp_signal_fn)(void);
	void *h;
	int sig, st;
	pid_t pid;

	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH_TO_LIBCP_SO\n", argv[0]);
		return 2;
	}
	if (!(h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL))) {
		printf("ERROR: dlopen: %s\n", dlerror());
		return 2;
	}
	cp_signal_fn = (int (*)(void))dlsym(h, "cp_signal");
	if (!cp_signal_fn) {
		printf("ERROR: dlsym cp_signal: %s\n", dlerror());
		return 2;
	}
	sig = cp_signal_fn();
	dlclose(h);
	if ((pid = fork()) == 0) {
		raise(sig);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st)) {
		printf("FAIL: after dlclose, libcp's signal %d killed the "
		       "process with signal %d (handler left in unmapped code)\n",
		       sig, WTERMSIG(st));
		return 1;
	}
	printf("PASS: after dlopen and dlclose, libcp's signal %d is harmless\n",
	       sig);
	return 0;
}
