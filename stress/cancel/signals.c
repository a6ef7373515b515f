/* SPDX-License-Identifier: MIT */
/*
 * signals.c - unrelated signal handlers on top of cancellation points.
 *
 * The second half of the bug class: classic glibc switches asynchronous
 * cancellation on around the syscall, so a handler that interrupts a
 * blocked call runs with it on, and a cancel arriving then acts inside the
 * handler.  Two ways in:
 *
 * - the noise: a canceller sends SIGUSR1 to the target it is about to
 *   cancel, waits (bounded) until the handler has started, and cancels
 *   while it runs.  The handler blocks in a raw nanosleep, a syscall that
 *   is a cancellation point in no backend: "PC on a syscall instruction"
 *   is not "at a cancellation point", and a request that lands while a
 *   handler sits on a blocked call must still be acted on once the call
 *   restarts, not lost.
 * - the storm: bursts of SIGUSR2 (no SA_RESTART), SIGWINCH and SIGUSR1
 *   (SA_RESTART) at random targets.  Pending together they nest (the
 *   kernel stacks one frame per signal).  The SIGUSR2 handler calls a
 *   cancellation point itself (poll with a zero timeout): a cancellation
 *   acting there is allowed and counted apart (in_handler_cp).
 *
 * The target's cleanup handler asks storm_noise_active(): true means the
 * cancellation acted inside a handler, outside a cancellation point the
 * handler called.  The count is a lower bound: when the noise and the
 * cancel are pending at once, the kernel builds the noise frame first
 * (lower number) and the cancel frame on top of it, so a cancel can act at
 * the handler's first instruction, before the handler has marked itself.
 *
 * EINTR: every restarting op of the storm (read, write, accept4, connect,
 * recvmsg, futex, wait4) is restarted by the kernel after a SA_RESTART
 * handler (signal(7)).  An EINTR from one is excused only when the
 * SIGUSR2 handler ran during the call; otherwise it is spurious.  Every
 * storm handler counts its entries (storm_handlers_entered), so that an
 * EINTR in a cleanup handler with none of them run is known to be the
 * backend's (oracles/cleanup.c).
 *
 * The escape: SIGURG's handler leaves the op by siglongjmp when it
 * interrupted a target inside an escapable op's call (targets.c arms it),
 * as a program that abandons a blocking call on a signal does.  It jumps
 * only when no other storm handler is under it (their depth counts would
 * never come down) and before any cancel was sent to the thread (the
 * backend's own handler could be running below it then: jumping out of
 * that is no program's business).  After the escape, requests must still
 * act at cancellation points only, with nothing left blocked or ticking:
 * the oracles judge that.
 */
#define _GNU_SOURCE
#include "cancel/cancel.h"
#include "ops/ops.h"
#include "rng.h"

#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STORM_NOISE_SIG SIGUSR1
#define STORM_NOISE_SPIN 2000        /* iterations on each side of the sleep */
#define STORM_NOISE_SLEEP_NS 20000   /* the handler's blocking syscall */
#define STORM_NOISE_WAIT_NS 500000   /* for the handler to start */

static __thread volatile sig_atomic_t noise_depth;
static __thread volatile sig_atomic_t cp_at_depth;   /* 0: none */
static __thread volatile sig_atomic_t eintr_excused;
static __thread volatile unsigned handlers_entered;
static __thread struct storm_slot *noise_slot;

static void storm_noise_spin(unsigned n)
{
	for (volatile unsigned i = 0; i < n; i++)
		;
}

/* SIGUSR1, SA_RESTART: spins, blocks in a raw syscall, spins. */
static void storm_noise_handler(int sig)
{
	int saved = errno;
	struct timespec ts = { 0, STORM_NOISE_SLEEP_NS };

	(void)sig;
	noise_depth++;
	handlers_entered++;
	if (noise_slot) {
		__atomic_add_fetch(&noise_slot->noise_entered, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&noise_slot->noise_waiting, __ATOMIC_SEQ_CST))
			syscall(SYS_futex, &noise_slot->noise_entered,
				FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	}
	storm_add(&storm.counts.noise_handled, 1);
	storm_noise_spin(STORM_NOISE_SPIN);
	syscall(SYS_nanosleep, &ts, NULL);
	storm_noise_spin(STORM_NOISE_SPIN);
	noise_depth--;
	errno = saved;
}

/* SIGUSR2, no SA_RESTART: excuses an EINTR, and calls a cancellation
 * point of the backend (async-signal-safe: poll).  Acting there is
 * allowed, but it must not cost the storm anything of its own, so the
 * poll runs only when the handler interrupted an op inside its call
 * (whatever the op holds is then guarded by a cleanup handler: a socket,
 * its own eventfd, a child running on its stack) and only for an op whose
 * call hands back no descriptor (one that completed under the handler
 * would be dropped).  Elsewhere the handler calls a plain syscall only.
 * Switching cancellation off around the poll is no way out:
 * pthread_setcancelstate is not async-signal-safe. */
static void storm_cp_handler(int sig)
{
	struct storm_slot *s = noise_slot;
	int saved = errno, outer = cp_at_depth, op = s ? s->op : -1;

	(void)sig;
	noise_depth++;
	handlers_entered++;
	eintr_excused = 1;
	storm_noise_spin(STORM_NOISE_SPIN);
	if (s && s->in_call && op >= 0 && !storm_ops[op].result_fd) {
		cp_at_depth = noise_depth;
		storm.cfg->be->poll(NULL, 0, 0);
		cp_at_depth = outer;
	}
	syscall(SYS_getppid);
	noise_depth--;
	errno = saved;
}

/* SIGWINCH, SA_RESTART: short, a plain syscall. */
static void storm_short_handler(int sig)
{
	int saved = errno;

	(void)sig;
	noise_depth++;
	handlers_entered++;
	syscall(SYS_getppid);
	noise_depth--;
	errno = saved;
}

/* SIGURG, SA_RESTART: the escape (see above), else a plain syscall. */
static void storm_escape_handler(int sig)
{
	struct storm_slot *s = noise_slot;

	(void)sig;
	handlers_entered++;
	if (s && !noise_depth && s->escape_armed && s->in_call &&
	    !__atomic_load_n(&s->in_batch, __ATOMIC_SEQ_CST) && !storm.stopping) {
		s->escape_armed = 0;
		siglongjmp(s->escape, 1);
	}
	noise_depth++;
	syscall(SYS_getppid);
	noise_depth--;
}

static const struct {
	int sig;
	void (*handler)(int);
	int flags;
} storm_signals[] = {
	{ .sig = SIGUSR1, .handler = storm_noise_handler, .flags = SA_RESTART },
	{ .sig = SIGUSR2, .handler = storm_cp_handler, .flags = 0 },
	{ .sig = SIGWINCH, .handler = storm_short_handler, .flags = SA_RESTART },
	{ .sig = SIGURG, .handler = storm_escape_handler, .flags = SA_RESTART },
};
#define STORM_NSIGNALS (sizeof storm_signals / sizeof *storm_signals)

int storm_noise_install(void)
{
	for (unsigned i = 0; i < STORM_NSIGNALS; i++) {
		struct sigaction sa;

		memset(&sa, 0, sizeof sa);
		sa.sa_handler = storm_signals[i].handler;
		sa.sa_flags = storm_signals[i].flags;
		sigemptyset(&sa.sa_mask);
		if (sigaction(storm_signals[i].sig, &sa, NULL))
			return -1;
	}
	return 0;
}

void storm_noise_bind(struct storm_slot *s)
{
	noise_slot = s;
}

int storm_noise_active(void)
{
	return noise_depth > cp_at_depth;
}

int storm_in_storm_handler(void)
{
	return noise_depth > 0;
}

int storm_noise_in_cp(void)
{
	return cp_at_depth && noise_depth == cp_at_depth;
}

int storm_eintr_excused(void)
{
	return eintr_excused;
}

void storm_eintr_reset(void)
{
	eintr_excused = 0;
}

unsigned storm_handlers_entered(void)
{
	return handlers_entered;
}

/* Bounded wait for the handler to start: the cancel that follows then
 * meets a handler already marked (see the lower-bound note above).  The
 * canceller sleeps on the entry count and the handler wakes it: polling
 * with sched_yield lost the CPU to a thousand runnable targets for a
 * millisecond and more per noise (the wait averaged 1.4 ms against its
 * 0.5 ms bound), the largest share of a batch's sending time.  The
 * waiting flag spares the handler the wake when nobody waits (bursts);
 * both sides use sequentially consistent accesses, so either the
 * handler sees the flag or the futex sees the new count. */
void storm_noise_send(struct storm_slot *s)
{
	unsigned before = __atomic_load_n(&s->noise_entered, __ATOMIC_SEQ_CST);
	uint64_t now, end;

	if (pthread_kill(s->th, STORM_NOISE_SIG))
		return;
	storm_add(&storm.counts.noise_sent, 1);
	__atomic_store_n(&s->noise_waiting, 1, __ATOMIC_SEQ_CST);
	end = storm_now_ns() + STORM_NOISE_WAIT_NS;
	while (__atomic_load_n(&s->noise_entered, __ATOMIC_SEQ_CST) == before &&
	       (now = storm_now_ns()) < end) {
		struct timespec left = { 0, (long)(end - now) };

		syscall(SYS_futex, &s->noise_entered, FUTEX_WAIT_PRIVATE, before,
			&left, NULL, 0);
	}
	__atomic_store_n(&s->noise_waiting, 0, __ATOMIC_SEQ_CST);
}

/* One to three signals back to back: pending together, they nest. */
void storm_signals_burst(struct storm_slot *s, uint64_t *rng)
{
	unsigned n = 1 + (unsigned)storm_rng_below(rng, 3);

	for (unsigned i = 0; i < n; i++) {
		int sig = storm_signals[storm_rng_below(rng, STORM_NSIGNALS)].sig;

		if (pthread_kill(s->th, sig) == 0)
			storm_add(&storm.counts.signals_sent, 1);
	}
}
