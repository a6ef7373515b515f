/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "offcpu.h"

#include "procfs.h"

#include <errno.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

int offcpu_waker(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof set, &set) || CPU_COUNT(&set) < 2 ||
	    cpu < 0) {
		errno = ENODEV;
		return -1;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof set, &set) ? -1 : cpu;
}

int offcpu_target(int cpu)
{
	struct sched_param p = { 0 };
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set))
		return -errno;
	return sched_setscheduler(0, SCHED_IDLE, &p) ? -errno : 0;
}

int offcpu_elsewhere(int cpu)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&set);
	for (long i = 0; i < n && i < CPU_SETSIZE; i++)
		if (i != cpu)
			CPU_SET(i, &set);
	return sched_setaffinity(0, sizeof set, &set) ? -errno : 0;
}

int offcpu_wait_runnable(pid_t tid, long long runs, int timeout_ms)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (task_state(tid) == 'R')
			return 1;
		if (task_runs(tid) != runs)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000 >= timeout_ms)
			return 0;
	}
}
