/*
 * storm_noise.c - an unrelated signal handler on top of cancellation points.
 *
 * The second half of the bug class: classic glibc switches asynchronous
 * cancellation on around the syscall, so a handler that interrupts a
 * blocked call runs with it on, and a cancel arriving then acts inside the
 * handler.  A canceller sends the noise signal to the target it is about to
 * cancel, waits (bounded) until the handler has started, and cancels at a
 * random moment around it.  The target's cleanup handler asks
 * storm_noise_active(): set means the cancellation acted inside the handler.
 *
 * The count is a lower bound: when both signals are pending at once (the
 * wait timed out), the kernel builds the noise frame first (lower number)
 * and the cancel frame on top of it, so a cancel can act at the handler's
 * first instruction, before the handler has marked itself.
 *
 * SA_RESTART: every blocking op of the storm (read, accept4, recvmsg
 * without SO_RCVTIMEO) is restarted by the kernel after a SA_RESTART
 * handler (signal(7)), so any EINTR an op sees is spurious.
 */
#define _GNU_SOURCE
#include "storm.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STORM_NOISE_SIG SIGUSR1
#define STORM_NOISE_SPIN 10000          /* iterations on each side of the syscall */
#define STORM_NOISE_WAIT_S 0.0005      /* for the handler to start */

static __thread volatile sig_atomic_t noise_depth;
static __thread struct storm_slot *noise_slot;

static void storm_noise_spin(unsigned n)
{
	for (volatile unsigned i = 0; i < n; i++)
		;
}

static void storm_noise_handler(int sig)
{
	int saved = errno;

	(void)sig;
	noise_depth++;
	if (noise_slot)
		__atomic_add_fetch(&noise_slot->noise_entered, 1, __ATOMIC_SEQ_CST);
	storm_add(&storm_counts.noise_handled, 1);
	storm_noise_spin(STORM_NOISE_SPIN);
	/* A plain syscall, a cancellation point in no backend: a backend that
	 * decides by "PC on a syscall instruction" may wrongly act here. */
	syscall(SYS_getppid);
	storm_noise_spin(STORM_NOISE_SPIN);
	noise_depth--;
	errno = saved;
}

int storm_noise_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = storm_noise_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	return sigaction(STORM_NOISE_SIG, &sa, NULL);
}

void storm_noise_bind(struct storm_slot *s)
{
	noise_slot = s;
}

int storm_noise_active(void)
{
	return noise_depth != 0;
}

/* Bounded wait for the handler to start: the cancel that follows then
 * meets a handler already marked (see the lower-bound note above). */
void storm_noise_send(struct storm_slot *s)
{
	unsigned before = __atomic_load_n(&s->noise_entered, __ATOMIC_SEQ_CST);
	double end;

	if (pthread_kill(s->th, STORM_NOISE_SIG))
		return;
	storm_add(&storm_counts.noise_sent, 1);
	end = storm_now() + STORM_NOISE_WAIT_S;
	while (__atomic_load_n(&s->noise_entered, __ATOMIC_SEQ_CST) == before &&
	       storm_now() < end)
		sched_yield();
}
