/* SPDX-License-Identifier: MIT */
/*
 * trap.c - the op that holds a libcp thread at its syscall window with a
 * hardware breakpoint, so that cancels land where the storm's timing
 * alone never puts them: x86_64's window has two instructions before the
 * syscall, and a cancel signal reaches a thread there only when the
 * thread was preempted exactly there (none in 330,000 cancellations of a
 * 30 s storm).
 *
 * libcp's test build tells the storm where its window begins and where
 * its landing pad is (cp_test_window).  The op arms an execute breakpoint
 * for its own thread (perf_event_open, PERF_TYPE_BREAKPOINT with sigtrap:
 * Linux 5.13), then makes a cancellable nanosleep.  At the breakpoint,
 * SIGTRAP's handler runs with every signal blocked and waits (bounded)
 * until libcp's cancel signal is pending; the canceller has seen the call
 * published, since the window begins after it is.  Then:
 *   - breakpoint on the window's start only: the handler returns and the
 *     cancel signal is delivered there, before the flag check
 *     (coverage: before_syscall);
 *   - on the landing pad too: the handler keeps the pending signal
 *     blocked in the context it returns to, so the flag check, which sees
 *     the request, jumps to the landing pad, whose breakpoint lets the
 *     signal through there (coverage: routine_bookkeeping).
 * Either way the request must act at once, with nothing left behind.
 * Without breakpoints (another backend, perf events refused, qemu-user)
 * the op is the plain sleep, and the record says why.
 *
 * x86 only: its debug exception sets RF in the context the handler
 * returns to, so the breakpointed instruction then runs once.  An arm64
 * breakpoint has no such flag: with a sigtrap perf event the kernel
 * returns to the instruction, which traps again, and the thread spins
 * there for good (seen in an aarch64 VM: cancellations "lost" in this op,
 * the thread running in el0_breakpt).
 */
#define _GNU_SOURCE
#include "ops/op_fns.h"
#include "account/account.h"
#include "rng.h"

#include <cp.h>
#include <errno.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef TRAP_PERF
#define TRAP_PERF 6   /* si_code of a perf event's SIGTRAP (Linux 5.13) */
#endif
#define STORM_TRAP_SLEEP_MAX_US 1000   /* the op's nanosleep */
#define STORM_TRAP_WAIT_US 1000        /* for a cancel, in the handler */
#define STORM_TRAP_POLL_NS 20000

/* Told by libcp's test build at load (lib/coverage.c). */
static const void *window_begin, *window_landing;

void cp_test_window(const void *begin, const void *landing);
void cp_test_window(const void *begin, const void *landing)
{
	window_begin = begin;
	window_landing = landing;
}

static int trap_sig;          /* libcp's cancel signal */
static int trap_refused;      /* errno of the first refused breakpoint */
static uint64_t trap_armed, trap_caught, trap_held, trap_released;
static __thread int trap_fds[2] = { -1, -1 };
static __thread volatile sig_atomic_t trap_hold, trap_holding;

/* Bounded: the cancel signal pending (held off by this handler's mask). */
static int storm_trap_wait(void)
{
	struct timespec step = { 0, STORM_TRAP_POLL_NS };
	uint64_t end = storm_now_ns() + STORM_TRAP_WAIT_US * 1000ULL;
	sigset_t pending;

	do {
		if (sigpending(&pending) == 0 && sigismember(&pending, trap_sig))
			return 1;
		nanosleep(&step, NULL);
	} while (storm_now_ns() < end);
	return 0;
}

/* Is a cancel on its way to this thread?  Its canceller takes the slot
 * (in_batch) before it sends and lets go once the thread is joined.
 * Only then is waiting worth it: the breakpoint fires at every pass
 * through the window while armed, and a wait for a cancel nobody sends
 * holds the thread the whole bound, in short sleeps, for nothing. */
static int storm_trap_cancel_coming(void)
{
	struct storm_slot *s = storm_self;

	return s && __atomic_load_n(&s->in_batch, __ATOMIC_SEQ_CST);
}

static void storm_trap_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	int saved = errno;

	(void)sig;
	if (si->si_code != TRAP_PERF)
		goto out;
	if (si->si_addr == window_landing && trap_holding) {
		sigdelset(&uc->uc_sigmask, trap_sig);
		trap_holding = 0;
		storm_add(&trap_released, 1);
	} else if (si->si_addr == window_begin && !trap_holding &&
		   storm_trap_cancel_coming() && storm_trap_wait()) {
		storm_add(&trap_caught, 1);
		if (trap_hold) {
			sigaddset(&uc->uc_sigmask, trap_sig);
			trap_holding = 1;
			storm_add(&trap_held, 1);
		}
	}
out:
	errno = saved;
}

#if defined(PERF_ATTR_SIZE_VER7)
/* bp_len is sizeof(long): an i386 program on a 64-bit kernel is refused
 * (EINVAL: x86 wants the kernel's sizeof(long)), and the record says so.
 * Asking for 8 there works, but such breakpoints brought down a 6.12
 * i386-on-amd64 guest under TCG (an int3 oops in __schedule with DR0/DR1
 * armed), so the op stays off there. */
static int storm_trap_open(const void *at)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof a);
	a.type = PERF_TYPE_BREAKPOINT;
	a.size = sizeof a;
	a.bp_type = HW_BREAKPOINT_X;
	a.bp_addr = (uintptr_t)at;
	a.bp_len = sizeof(long);
	a.sample_period = 1;
	a.sigtrap = 1;
	a.remove_on_exec = 1;   /* required with sigtrap */
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1,
			    PERF_FLAG_FD_CLOEXEC);
}
#else
static int storm_trap_open(const void *at)
{
	(void)at;
	errno = ENOSYS;
	return -1;
}
#endif

static void storm_trap_disarm(void *unused)
{
	(void)unused;
	for (int i = 0; i < 2; i++)
		if (trap_fds[i] >= 0) {
			close(trap_fds[i]);
			trap_fds[i] = -1;
		}
	trap_hold = 0;
}

static int trap_installed;

static void storm_trap_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = storm_trap_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	trap_sig = cp_signal();
	trap_installed = sigaction(SIGTRAP, &sa, NULL) == 0;
}

/* Breakpoints on the window's start, and with `both` on the landing pad
 * (only both or neither: a signal held at the start must be let through
 * at the landing pad).  1 when armed. */
static int storm_trap_arm(int both)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	if (!window_begin || strncmp(storm.cfg->be->name, "cp:", 3) ||
	    __atomic_load_n(&trap_refused, __ATOMIC_RELAXED))
		return 0;
#if !defined(__x86_64__) && !defined(__i386__)
	{
		int none = 0;

		__atomic_compare_exchange_n(&trap_refused, &none, ENOTSUP, 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
		return 0;
	}
#endif
	pthread_once(&once, storm_trap_install);
	trap_fds[0] = trap_installed ? storm_trap_open(window_begin) : -1;
	if (trap_fds[0] >= 0 && both)
		trap_fds[1] = storm_trap_open(window_landing);
	if (trap_fds[0] < 0 || (both && trap_fds[1] < 0)) {
		int err = trap_installed ? errno : EINVAL, none = 0;

		storm_trap_disarm(NULL);
		/* A descriptor table or memory run short (--pressure) is
		 * the op's outcome; the next trap is armed as usual.  Any
		 * other refusal lasts: the op stays the plain sleep. */
		if (storm_resource_errno(err)) {
			storm_note_resource();
			return 0;
		}
		__atomic_compare_exchange_n(&trap_refused, &none, err, 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
		return 0;
	}
	trap_hold = both;
	storm_add(&trap_armed, 1);
	return 1;
}

void op_window_trap(const struct backend *be, uint64_t *rng)
{
	struct timespec ts = { 0, 1000 * (long)storm_rng_below(
					  rng, STORM_TRAP_SLEEP_MAX_US) };
	int both = (int)storm_rng_below(rng, 2);
	long r;

	pthread_cleanup_push(storm_trap_disarm, NULL);
	storm_trap_arm(both);
	storm_call_begin();
	r = be->nanosleep(&ts, NULL);
	storm_call_end();
	storm_note_result(r);
	pthread_cleanup_pop(1);
}

void storm_trap_json(FILE *f)
{
	int refused = __atomic_load_n(&trap_refused, __ATOMIC_RELAXED);

	fprintf(f, "\"window_trap\":{\"armed\":%llu,\"caught\":%llu,"
		"\"held\":%llu,\"released\":%llu,\"refused\":",
		(unsigned long long)trap_armed, (unsigned long long)trap_caught,
		(unsigned long long)trap_held,
		(unsigned long long)trap_released);
	if (refused)
		storm_json_string(f, strerror(refused));
	else
		fputs("null", f);
	fputc('}', f);
}
