/* SPDX-License-Identifier: MIT */
/*
 * kinds.c - the four kinds of pressure (pressure.h): each lowers one of
 * this process's soft limits to what is in use right now, tightens it
 * again every few milliseconds while its window lasts (other threads free
 * what they held), and puts the run's own limit back.
 *
 * The controller reads what is in use from /proc files it opened before
 * the first window, so a full descriptor table does not blind it.
 */
#define _GNU_SOURCE
#include "pressure/kinds.h"
#include "targets.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STORM_SIGQ_FILL 16        /* signals the filler queues */
#define STORM_FDS_SLACK 2         /* descriptors left free under fds */
#define STORM_AS_SLACK (256 << 10)  /* bytes of address space left free */
#define STORM_HOGS_MAX 4096       /* idle threads holding stacks */
#define STORM_FILL_MAX 4096       /* bound on one fill, whatever others do */
#define STORM_ROOMS_MAX 1024      /* reservations taking the room left */

static struct rlimit orig_sigpending, orig_nofile, orig_as;
static int status_fd = -1, statm_fd = -1;
static int filled;                /* signals the filler has queued */

/* The filler's signal: blocked in the controller thread, queued to it. */
int storm_pressure_filler_signal(void)
{
	return SIGRTMIN + 10;
}

static long storm_proc_number(int fd, const char *key)
{
	char buf[4096];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	const char *p;

	if (n <= 0)
		return -1;
	buf[n] = 0;
	if (!*key)
		return strtol(buf, NULL, 10);
	p = strstr(buf, key);
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

int storm_pressure_kinds_setup(void)
{
	status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (status_fd < 0 || statm_fd < 0 ||
	    getrlimit(RLIMIT_SIGPENDING, &orig_sigpending) ||
	    getrlimit(RLIMIT_NOFILE, &orig_nofile) ||
	    getrlimit(RLIMIT_AS, &orig_as))
		return -1;
	return 0;
}

void storm_pressure_kinds_teardown(void)
{
	close(status_fd);
	close(statm_fd);
}

static void storm_soft_limit(int resource, const struct rlimit *orig,
			     rlim_t soft)
{
	struct rlimit rl = { soft < orig->rlim_cur ? soft : orig->rlim_cur,
			     orig->rlim_max };

	setrlimit(resource, &rl);
}

/* The user's queued signals (SigQ counts them for the whole user). */
static long storm_sigq_now(void)
{
	return storm_proc_number(status_fd, "SigQ:");
}

static int storm_fill_one(void)
{
	siginfo_t si;

	memset(&si, 0, sizeof si);
	si.si_signo = storm_pressure_filler_signal();
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	return (int)syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(),
			    si.si_signo, &si);
}

/* Lower the limit to the count plus a few, then queue those few. */
static void sigqueue_apply(void)
{
	long q = storm_sigq_now();

	if (q < 0)
		return;
	storm_soft_limit(RLIMIT_SIGPENDING, &orig_sigpending,
			 (rlim_t)q + (filled ? 0 : STORM_SIGQ_FILL));
	for (int i = 0; i < STORM_FILL_MAX && storm_fill_one() == 0; i++)
		filled++;
}

static void sigqueue_release(void)
{
	sigset_t set;
	struct timespec now = { 0, 0 };

	sigemptyset(&set);
	sigaddset(&set, storm_pressure_filler_signal());
	while (filled && sigtimedwait(&set, NULL, &now) > 0)
		filled--;
	setrlimit(RLIMIT_SIGPENDING, &orig_sigpending);
}

static void timers_apply(void)
{
	long q = storm_sigq_now();

	if (q >= 0)
		storm_soft_limit(RLIMIT_SIGPENDING, &orig_sigpending, (rlim_t)q);
}

static void timers_release(void)
{
	setrlimit(RLIMIT_SIGPENDING, &orig_sigpending);
}

/* The lowest free descriptor plus a few. */
static void fds_apply(void)
{
	int lowest = fcntl(status_fd, F_DUPFD_CLOEXEC, 0);

	if (lowest < 0)
		return;   /* at the limit already */
	close(lowest);
	storm_soft_limit(RLIMIT_NOFILE, &orig_nofile,
			 (rlim_t)lowest + STORM_FDS_SLACK);
}

static void fds_release(void)
{
	setrlimit(RLIMIT_NOFILE, &orig_nofile);
}

/* Idle threads that hold stacks: the C library keeps the stacks of
 * joined threads for reuse, so a thread can be created without mapping
 * anything as long as its cache lasts.  The hogs take those stacks only;
 * the room the lowered limit leaves is taken by reservations of our own
 * first.  A stack a hog mapped itself would join the C library's cache
 * when the hog is joined and stay there (glibc keeps up to 40 MiB of
 * stacks, glibc.pthread.stack_cache_size): every window would leave the
 * process bigger than it found it until the cache is full, a growth of
 * the harness's making that the memory judgement would see. */
static pthread_t hogs[STORM_HOGS_MAX];
int threads_unenforced;          /* the limit is not enforced here */
static unsigned nhogs;
static volatile int hogs_release;
static struct storm_room {
	void *at;
	size_t len;
} rooms[STORM_ROOMS_MAX];
static unsigned nrooms;

static void *storm_hog(void *p)
{
	(void)p;
	while (!__atomic_load_n(&hogs_release, __ATOMIC_ACQUIRE))
		syscall(SYS_futex, &hogs_release, FUTEX_WAIT_PRIVATE, 0, NULL,
			NULL, 0);
	return NULL;
}

/* Is the lowered limit enforced?  qemu-user accepts RLIMIT_AS and
 * ignores it: there the hogs would never stop. */
static int storm_as_enforced(void)
{
	size_t len = 4 * STORM_AS_SLACK;
	void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 1;
	munmap(p, len);
	return 0;
}

/* Reserve what the limit leaves, a stack's size at a time (its guard
 * page included), until no stack fits: what is left then is smaller than
 * the room a thread creation needs, as before, but no stack was mapped.
 * PROT_NONE: address space, no memory. */
static void storm_take_room(void)
{
	size_t len = storm_stack_bytes(storm.cfg) + (size_t)sysconf(_SC_PAGESIZE);

	while (nrooms < STORM_ROOMS_MAX) {
		void *p = mmap(NULL, len, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED)
			break;
		rooms[nrooms++] = (struct storm_room){ p, len };
	}
}

/* The address space in use plus a little, taken by reservations, then
 * hogs until no thread can be created: no room for a new stack, none
 * cached. */
static void threads_apply(void)
{
	long pages = storm_proc_number(statm_fd, "");
	pthread_attr_t attr;

	if (pages > 0)
		storm_soft_limit(RLIMIT_AS, &orig_as,
				 (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) +
					 STORM_AS_SLACK);
	if (!storm_as_enforced()) {
		threads_unenforced = 1;
		return;
	}
	storm_take_room();
	if (pthread_attr_init(&attr) ||
	    pthread_attr_setstacksize(&attr, storm_stack_bytes(storm.cfg)))
		return;
	while (nhogs < STORM_HOGS_MAX &&
	       pthread_create(&hogs[nhogs], &attr, storm_hog, NULL) == 0)
		nhogs++;
	pthread_attr_destroy(&attr);
}

static void threads_release(void)
{
	setrlimit(RLIMIT_AS, &orig_as);
	__atomic_store_n(&hogs_release, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &hogs_release, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
		NULL, 0);
	while (nhogs)
		pthread_join(hogs[--nhogs], NULL);
	hogs_release = 0;
	while (nrooms) {
		nrooms--;
		munmap(rooms[nrooms].at, rooms[nrooms].len);
	}
}

const struct storm_pressure_kind storm_pressure_kinds[] = {
	{ .name = "sigqueue", .bit = STORM_PRESSURE_SIGQUEUE,
	  .apply = sigqueue_apply, .release = sigqueue_release },
	{ .name = "fds", .bit = STORM_PRESSURE_FDS,
	  .apply = fds_apply, .release = fds_release },
	{ .name = "threads", .bit = STORM_PRESSURE_THREADS,
	  .apply = threads_apply, .release = threads_release },
	{ .name = "timers", .bit = STORM_PRESSURE_TIMERS,
	  .apply = timers_apply, .release = timers_release },
};
const unsigned storm_npressure_kinds =
	sizeof storm_pressure_kinds / sizeof *storm_pressure_kinds;
