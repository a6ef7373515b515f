/* SPDX-License-Identifier: MIT */
#include "unit.h"

#include <handshake.h>
#include <procfs.h>
#include <cp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <verdict.h>

struct unit_start_arg {
	struct unit_target *t;
	void (*fn)(struct unit_target *);
	volatile int started;
};

static void *unit_trampoline(void *p)
{
	struct unit_start_arg *a = p;
	struct unit_target *t = a->t;
	void (*fn)(struct unit_target *) = a->fn;

	target_begin(&t->target);
	flag_set(&a->started);
	fn(t);
	return t;
}

void unit_start_attr(struct unit_target *t, void (*fn)(struct unit_target *),
		     const pthread_attr_t *attr)
{
	struct unit_start_arg a = { .t = t, .fn = fn };

	ck_assert_int_eq(pthread_create(&t->th, attr, unit_trampoline, &a), 0);
	flag_wait(&a.started);
}

void unit_start(struct unit_target *t, void (*fn)(struct unit_target *))
{
	unit_start_attr(t, fn, NULL);
}

struct unit_in_syscall {
	pid_t tid;
	long nr;
};

static int unit_is_in_syscall(void *p)
{
	struct unit_in_syscall *s = p;

	return task_syscall(s->tid) == s->nr;
}

void unit_wait_in_syscall(const struct unit_target *t, long nr)
{
	struct unit_in_syscall s = { t->tid, nr };
	char diag[512];

	if (wait_until(unit_is_in_syscall, &s, UNIT_WAIT_MS))
		return;
	task_diagnose(t->tid, diag, sizeof diag);
	ck_abort_msg("target never blocked in syscall %ld within %d ms: %s", nr,
		     UNIT_WAIT_MS, diag);
}

void *unit_join(struct unit_target *t)
{
	char diag[512];
	void *ret = NULL;

	if (join_bounded(t->th, &ret, UNIT_WAIT_MS) == 0)
		return ret;
	task_diagnose(t->tid, diag, sizeof diag);
	ck_abort_msg("target did not exit within %d ms: %s", UNIT_WAIT_MS, diag);
	return NULL;
}

int unit_flag_wait_bounded(volatile int *flag, int timeout_ms)
{
	return wait_until(flag_is_set, (void *)flag, timeout_ms);
}

uint64_t unit_sigpending(const struct unit_target *t)
{
	uint64_t mask = 0;

	task_sigpending(t->tid, &mask);
	return mask;
}

struct unit_sig {
	const struct unit_target *t;
	int sig;
};

static int unit_sig_is_pending(void *p)
{
	struct unit_sig *s = p;

	return (unit_sigpending(s->t) >> (s->sig - 1)) & 1;
}

int unit_wait_sigpending(const struct unit_target *t, int sig)
{
	struct unit_sig s = { t, sig };

	return wait_until(unit_sig_is_pending, &s, UNIT_WAIT_MS);
}

static int unit_sig_is_settled(void *p)
{
	struct unit_sig *s = p;
	uint64_t pending = 0, blocked = 0, bit = 1ULL << (s->sig - 1);

	if (task_sigpending(s->t->tid, &pending) ||
	    task_sigblocked(s->t->tid, &blocked))
		return 0;
	return !(pending & bit) || (blocked & bit);
}

int unit_wait_sig_settled(const struct unit_target *t, int sig)
{
	struct unit_sig s = { t, sig };

	return wait_until(unit_sig_is_settled, &s, UNIT_WAIT_MS);
}

static void unit_held_body(struct unit_target *t)
{
	struct unit_held *h = t->arg;

	h->listener = notify_install(h->nr, h->arg0);
	flag_set(&h->ready);
	if (h->listener < 0)
		return;
	t->result = h->call();
	t->saved_errno = errno;
	t->returned = 1;
	cp_testcancel();
}

void unit_hold(struct unit_target *t, struct unit_held *h)
{
	t->arg = h;
	unit_start(t, unit_held_body);
	flag_wait(&h->ready);
	ck_assert_msg(h->listener >= 0, "seccomp user notification with "
		      "WAIT_KILLABLE_RECV (Linux >= 5.19) unavailable: %s",
		      strerror(-h->listener));
	ck_assert_int_eq(notify_recv(h->listener, &h->n), 0);
	cp_cancel(t->th);
	ck_assert_msg(unit_wait_sigpending(t, cp_signal()),
		      "cancel signal never became pending");
}

struct unit_gate unit_gate;

void unit_gate_handler(int sig)
{
	sigset_t s;

	(void)sig;
	hold.in = 1;
	flag_set(&hold.entered);
	flag_wait(&unit_gate.open);
	sigemptyset(&s);
	sigaddset(&s, cp_signal());
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	flag_set(&unit_gate.unblocked);
	flag_wait(&hold.release);
	hold.in = 0;
}

void unit_gate_install(int sig)
{
	struct sigaction sa;

	memset(&unit_gate, 0, sizeof unit_gate);
	hold_reset();
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = unit_gate_handler;
	sa.sa_flags = SA_RESTART;
	sigaddset(&sa.sa_mask, cp_signal());
	ck_assert_int_eq(sigaction(sig, &sa, NULL), 0);
}

int unit_spin_len(int max)
{
	static uint32_t x = 2463534242u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return (int)(x % (uint32_t)max);
}

void unit_altstack_off(void *unused)
{
	stack_t off = { .ss_flags = SS_DISABLE };

	(void)unused;
	sigaltstack(&off, NULL);
}

uint64_t unit_own_mask(void)
{
	uint64_t m = 0;

	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, sizeof m);
	return m;
}

int unit_pipe[2];

void unit_pipe_open(void)
{
	ck_assert_int_eq(pipe2(unit_pipe, O_CLOEXEC), 0);
	hold_reset();
}

void unit_pipe_close(void)
{
	close(unit_pipe[0]);
	close(unit_pipe[1]);
}

void unit_request_on_handler(struct unit_target *t)
{
	unit_wait_in_syscall(t, SYS_read);
	pthread_kill(t->th, SIGUSR1);
	ck_assert(unit_flag_wait_bounded(&hold.entered, UNIT_WAIT_MS));
	ck_assert_int_eq(cp_cancel(t->th), 0);
}

void unit_join_cancelled(struct unit_target *t, const char *what)
{
	void *ret = NULL;
	char diag[512];

	if (join_bounded(t->th, &ret, UNIT_WAIT_MS) == 0) {
		ck_assert_ptr_eq(ret, PTHREAD_CANCELED);
		return;
	}
	task_diagnose(t->tid, diag, sizeof diag);
	ck_assert_int_eq(write(unit_pipe[1], "x", 1), 1);
	join_bounded(t->th, &ret, UNIT_WAIT_MS);
	ck_abort_msg("request lost %s: %s", what, diag);
}
