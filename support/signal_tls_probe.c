/* SPDX-License-Identifier: MIT */
/*
 * signal_tls_probe.c - does a thread keep its own thread-local storage
 * across a signal handler while a newer thread exists?
 *
 * Why: every cancellation backend (libcp, and the libc's own) reads
 * thread-local state right after a signal handler returns (the cancel
 * flag, errno, pthread_self).  If the platform hands the thread another
 * thread's TLS at that moment, any storm or case there crashes or lies,
 * whatever the backend; its result says nothing about cancellation.
 *
 * Seen on qemu-i386 (qemu-user 7.2, the emulator of our i386 port when
 * the kernel refuses i386 binaries): thread A, signalled after thread B
 * was created, comes back from its handler reading B's __thread variables
 * and B's pthread_self(), and the storm then dies with SIGSEGV on a NULL
 * thread-local pointer.  With B created before A, A keeps its own: the
 * symptom of one descriptor table shared by all emulated threads, whose
 * TLS entry each new thread's set_thread_area rewrites and from which
 * sigreturn reloads %gs.  The kernel switches that entry per thread.
 *
 * The interleaving, by construction: A starts with the signal blocked,
 * writes its TLS and says so; then B starts and writes its TLS; only then
 * is the signal sent to A, which takes it inside sigsuspend() (unblocked
 * atomically there, so it cannot arrive anywhere else) and then reads
 * its TLS back.
 *
 * Exit: 0 A's TLS survived; 77 (SKIP) it did not: what needs signals in a
 * multithreaded process cannot run trustworthily here (qemu-run.sh skips
 * the storm on it); 2 the probe could not set itself up.
 */
#define _GNU_SOURCE
#include "handshake.h"
#include "verdict.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define PROBE_TIMEOUT_S 20

static __thread int probe_mine;
static volatile int a_ready, a_done, b_ready;

struct probe_seen {
	int mine;
	int self_same;
};

static void probe_handler(int sig)
{
	(void)sig;
}

static void *probe_a(void *p)
{
	struct probe_seen *seen = p;
	/* pthread_self is declared const: through a volatile pointer, so the
	 * second call reads the thread pointer again. */
	pthread_t (*volatile self_of)(void) = pthread_self;
	pthread_t self = self_of();
	sigset_t none;

	probe_mine = 1;
	flag_set(&a_ready);
	sigemptyset(&none);
	sigsuspend(&none);
	seen->mine = probe_mine;
	seen->self_same = pthread_equal(self_of(), self);
	/* Not joined: with a foreign TLS, A's own exit would use B's thread
	 * descriptor.  The verdict's exit ends both threads. */
	flag_set(&a_done);
	return NULL;
}

static void *probe_b(void *p)
{
	static volatile int never;

	(void)p;
	probe_mine = 2;
	flag_set(&b_ready);
	flag_wait(&never);   /* lives until the process exits */
	return NULL;
}

int main(void)
{
	struct sigaction sa;
	struct probe_seen seen = { 0, 0 };
	pthread_t a, b;
	sigset_t usr1;

	verdict_begin("signal-tls", "platform");
	watchdog_start(PROBE_TIMEOUT_S, gettid(), VERDICT_ERROR, "the probe");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = probe_handler;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if (sigaction(SIGUSR1, &sa, NULL) ||
	    pthread_sigmask(SIG_BLOCK, &usr1, NULL))
		verdict_exit(VERDICT_ERROR, "sigaction/sigmask: %s", strerror(errno));
	if (pthread_create(&a, NULL, probe_a, &seen))
		verdict_exit(VERDICT_ERROR, "cannot start thread A");
	flag_wait(&a_ready);
	if (pthread_create(&b, NULL, probe_b, NULL))
		verdict_exit(VERDICT_ERROR, "cannot start thread B");
	flag_wait(&b_ready);
	if (pthread_kill(a, SIGUSR1))
		verdict_exit(VERDICT_ERROR, "cannot signal thread A");
	flag_wait(&a_done);
	if (seen.mine != 1 || !seen.self_same)
		verdict_exit(VERDICT_SKIP, "signals break thread-local storage here: "
			     "after its handler returned, a thread read the newer "
			     "thread's TLS (__thread value %d, wrote 1; "
			     "pthread_self %s); known on qemu-i386, which reloads "
			     "%%gs on sigreturn from a descriptor table shared by "
			     "all threads", seen.mine,
			     seen.self_same ? "its own" : "another thread's");
	verdict_exit(VERDICT_PASS, "a thread kept its own TLS across a signal "
		     "handler with a newer thread alive");
}
