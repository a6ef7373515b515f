/* SPDX-License-Identifier: MIT */
/* test_signals.c - the cancel signal against the kernel's restart rules
 * and against other handlers. */
#include "unit.h"

#include <procfs.h>
#include <verdict.h>

#include <cp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int pipefd[2];
static volatile int handler_runs;

static void setup(void)
{
	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
	hold_reset();
	handler_runs = 0;
}

static void teardown(void)
{
	close(pipefd[0]);
	close(pipefd[1]);
}

static void install(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	ck_assert_int_eq(sigaction(sig, &sa, NULL), 0);
}

static void count_handler(int sig)
{
	(void)sig;
	flag_set(&handler_runs);
}

static void cleanup_note_handler(void *p)
{
	struct unit_target *t = p;

	t->cleanup_ran = 1;
	t->aux = hold.in;   /* 1: cancellation acted inside the handler */
}

static void body_read(struct unit_target *t)
{
	char c;

	pthread_cleanup_push(cleanup_note_handler, t);
	t->result = cp_read(pipefd[0], &c, 1);
	t->saved_errno = errno;
	t->returned = 1;
	pthread_cleanup_pop(0);
}

/* Cancel requested while an unrelated handler runs on top of a blocked
 * cp_read: not acted inside the handler (the request is re-raised and held
 * blocked: pending), acted once the handler returns. */
START_TEST(nested_handler_defers_then_acts)
{
	struct unit_target t = { 0 };

	install(SIGUSR1, hold_handler, SA_RESTART);
	unit_start(&t, body_read);
	unit_wait_in_syscall(&t, SYS_read);
	pthread_kill(t.th, SIGUSR1);
	ck_assert(unit_flag_wait_bounded(&hold.entered, UNIT_WAIT_MS));
	cp_cancel(t.th);
	ck_assert_msg(unit_wait_sigpending(&t, cp_signal()),
		      "the declined request was not re-raised (not pending), "
		      "cleanup_ran=%d", t.cleanup_ran);
	ck_assert_int_eq(t.cleanup_ran, 0);
	flag_set(&hold.release);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.aux, 0);
	ck_assert_int_eq(t.returned, 0);
}
END_TEST

/* The re-raise must survive a full real-time signal queue: with
 * RLIMIT_SIGPENDING at 0 every queued RT signal to this process fails with
 * EAGAIN, so a tgkill re-raise would be dropped and the thread would stay
 * blocked in cp_read after the handler.  The request was sent (and queued)
 * before the limit drops; only the re-raise meets the full queue. */
START_TEST(reraise_survives_full_signal_queue)
{
	struct unit_target t = { 0 };
	struct rlimit zero, old;

	if (strcmp(cp_strategy(), "reraise"))
		return;   /* only this strategy re-raises */
	unit_gate_install(SIGUSR1);
	unit_start(&t, body_read);
	unit_wait_in_syscall(&t, SYS_read);
	pthread_kill(t.th, SIGUSR1);
	ck_assert(unit_flag_wait_bounded(&hold.entered, UNIT_WAIT_MS));
	ck_assert_int_eq(cp_cancel(t.th), 0);
	ck_assert(unit_wait_sigpending(&t, cp_signal()));
	ck_assert_int_eq(getrlimit(RLIMIT_SIGPENDING, &old), 0);
	zero = (struct rlimit){ 0, old.rlim_max };   /* soft only: restorable */
	ck_assert_int_eq(setrlimit(RLIMIT_SIGPENDING, &zero), 0);
	/* The limit really bites: a queued RT signal to ourselves fails. */
	ck_assert_int_eq(sigqueue(getpid(), SIGRTMIN, (union sigval){ 0 }), -1);
	ck_assert_int_eq(errno, EAGAIN);
	flag_set(&unit_gate.open);
	ck_assert(unit_flag_wait_bounded(&unit_gate.unblocked, UNIT_WAIT_MS));
	ck_assert_msg(unit_wait_sigpending(&t, cp_signal()),
		      "the re-raise was lost to the full signal queue");
	ck_assert_int_eq(t.cleanup_ran, 0);
	flag_set(&hold.release);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(setrlimit(RLIMIT_SIGPENDING, &old), 0);
	ck_assert_int_eq(t.aux, 0);
}
END_TEST

static void body_poll(struct unit_target *t)
{
	struct pollfd p = { .fd = pipefd[0], .events = POLLIN };

	t->result = cp_poll(&p, 1, -1);
	t->saved_errno = errno;
	t->returned = 1;
}

/* ppoll ends with EINTR even under SA_RESTART (ERESTARTNOHAND): the
 * pending cancellation acts instead of surfacing EINTR. */
START_TEST(eintr_syscall_acts_poll)
{
	struct unit_target t = { 0 };

	unit_start(&t, body_poll);
	unit_wait_in_syscall(&t, SYS_ppoll);
	cp_cancel(t.th);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 0);
}
END_TEST

static void body_sleep(struct unit_target *t)
{
	struct timespec ts = { .tv_sec = 3600 };

	t->result = cp_nanosleep(&ts, NULL);
	t->saved_errno = errno;
	t->returned = 1;
}

START_TEST(eintr_syscall_acts_nanosleep)
{
	struct unit_target t = { 0 };

	unit_start(&t, body_sleep);
	unit_wait_in_syscall(&t, SYS_nanosleep);
	cp_cancel(t.th);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 0);
}
END_TEST

/* restart_syscall: a nanosleep whose thread was stopped and continued is
 * resumed by the kernel as restart_syscall with the PC rewound onto our
 * syscall instruction (with a handler it would end in EINTR instead, see
 * nanosleep(2)).  It must still be a cancellation point.  The stop has to
 * hit a whole process, so the target lives in a child; the parent stops
 * and continues it, waits for restart_syscall, then lets the child cancel. */
static long other_task_syscall(pid_t tid)
{
	char path[64], line[64] = "";
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/syscall", (int)tid);
	if (!(f = fopen(path, "r")))
		return -2;
	if (!fgets(line, sizeof line, f))
		line[0] = 0;
	fclose(f);
	return line[0] >= '0' && line[0] <= '9' ? strtol(line, NULL, 10) : -1;
}

static void wait_other_in_syscall(pid_t tid, long nr)
{
	struct timespec ts = { 0, 100000 };

	for (int i = 0; i < UNIT_WAIT_MS * 10; i++) {
		if (other_task_syscall(tid) == nr)
			return;
		nanosleep(&ts, NULL);   /* polling a state, bounded */
	}
	ck_abort_msg("task %d never in syscall %ld (now %ld)", (int)tid, nr,
		     other_task_syscall(tid));
}

static _Noreturn void restart_child(int cmd, int report)
{
	struct unit_target t = { 0 };
	pid_t tid;
	char c;

	unit_start(&t, body_sleep);
	tid = t.tid;
	if (write(report, &tid, sizeof tid) != sizeof tid ||
	    read(cmd, &c, 1) != 1)
		_exit(2);
	cp_cancel(t.th);
	_exit(unit_join(&t) == PTHREAD_CANCELED && !t.returned ? 0 : 1);
}

START_TEST(restart_syscall_still_cancellable)
{
	int cmd[2], report[2], status;
	pid_t pid, tid;

	ck_assert_int_eq(pipe(cmd), 0);
	ck_assert_int_eq(pipe(report), 0);
	if ((pid = fork()) == 0)
		restart_child(cmd[0], report[1]);
	ck_assert_int_eq(read(report[0], &tid, sizeof tid), sizeof tid);
	wait_other_in_syscall(tid, SYS_nanosleep);
	kill(pid, SIGSTOP);
	ck_assert_int_eq(waitpid(pid, &status, WUNTRACED), pid);
	kill(pid, SIGCONT);
	wait_other_in_syscall(tid, SYS_restart_syscall);
	ck_assert_int_eq(write(cmd[1], "c", 1), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "restarted nanosleep not cancelled (child status %#x)",
		      status);
}
END_TEST

static void body_poll_disabled(struct unit_target *t)
{
	cp_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	body_poll(t);
	cp_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	cp_testcancel();
}

/* Disabled: the request must not interrupt the blocked ppoll (which would
 * surface as EINTR); it completes normally and the cancellation acts after
 * re-enabling. */
START_TEST(disabled_no_eintr)
{
	struct unit_target t = { 0 };

	unit_start(&t, body_poll_disabled);
	unit_wait_in_syscall(&t, SYS_ppoll);
	cp_cancel(t.th);
	ck_assert_int_eq(write(pipefd[1], "x", 1), 1);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 1);
	ck_assert_int_eq(t.result, 1);
}
END_TEST

/* Unrelated signals keep libc semantics: restarted under SA_RESTART,
 * EINTR without it. */
static void unrelated_signal(int flags, long want_result, int want_errno)
{
	struct unit_target t = { 0 };

	install(SIGUSR2, count_handler, flags);
	unit_start(&t, body_read);
	unit_wait_in_syscall(&t, SYS_read);
	pthread_kill(t.th, SIGUSR2);
	ck_assert(unit_flag_wait_bounded(&handler_runs, UNIT_WAIT_MS));
	if (flags & SA_RESTART) {
		unit_wait_in_syscall(&t, SYS_read);
		ck_assert_int_eq(write(pipefd[1], "x", 1), 1);
	}
	ck_assert_ptr_eq(unit_join(&t), &t);
	ck_assert_int_eq(t.result, want_result);
	if (want_result < 0)
		ck_assert_int_eq(t.saved_errno, want_errno);
}

START_TEST(unrelated_sa_restart_transparent)
{
	unrelated_signal(SA_RESTART, 1, 0);
}
END_TEST

START_TEST(unrelated_no_restart_eintr)
{
	unrelated_signal(0, -1, EINTR);
}
END_TEST

/* siglongjmp out of a handler that interrupted a blocked cp_read (cf.
 * glibc BZ#14147): the abandoned cancellation point must not leave the
 * thread cancellable asynchronously.  A request made while the thread then
 * spins in ordinary code must wait for the next cancellation point. */
static sigjmp_buf escape;
static volatile int escaped, spin_release;

static void escaping_handler(int sig)
{
	(void)sig;
	siglongjmp(escape, 1);
}

static void body_escape_then_spin(struct unit_target *t)
{
	char c;

	pthread_cleanup_push(cleanup_note_handler, t);
	if (!sigsetjmp(escape, 1))
		t->result = cp_read(pipefd[0], &c, 1);
	flag_set(&escaped);
	while (!__atomic_load_n(&spin_release, __ATOMIC_SEQ_CST))
		;   /* ordinary code, no cancellation point */
	t->returned = 1;
	cp_testcancel();
	pthread_cleanup_pop(0);
}

START_TEST(siglongjmp_leaves_no_async_state)
{
	struct unit_target t = { 0 };

	escaped = spin_release = 0;
	install(SIGUSR1, escaping_handler, SA_RESTART);
	unit_start(&t, body_escape_then_spin);
	unit_wait_in_syscall(&t, SYS_read);
	pthread_kill(t.th, SIGUSR1);
	ck_assert(unit_flag_wait_bounded(&escaped, UNIT_WAIT_MS));
	cp_cancel(t.th);
	/* Once the signal is taken (or held), an asynchronous action would
	 * already be under way and the spin could never reach `returned`. */
	ck_assert(unit_wait_sig_settled(&t, cp_signal()));
	__atomic_store_n(&spin_release, 1, __ATOMIC_SEQ_CST);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 1);
}
END_TEST

/* Tiny stacks: the handler and the unwinder must fit in PTHREAD_STACK_MIN
 * plus an alternate signal stack (SA_ONSTACK). */
static void body_tiny(struct unit_target *t)
{
	static char altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
	char c;

	sigaltstack(&ss, NULL);
	pthread_cleanup_push(unit_altstack_off, NULL);
	t->result = cp_read(pipefd[0], &c, 1);
	t->returned = 1;
	pthread_cleanup_pop(1);
}

START_TEST(tiny_stack_with_altstack)
{
	struct unit_target t = { 0 };
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN + 16384);
	unit_start_attr(&t, body_tiny, &attr);
	unit_wait_in_syscall(&t, SYS_read);
	cp_cancel(t.th);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 0);
}
END_TEST

/* The documented rule for cp_ calls inside a handler: they are
 * cancellation points too.  A handler on top of a blocked cp_read makes a
 * blocking cp_read of its own; a request acts there, inside the handler,
 * because the program asked for a cancellation point there. */
static int inner_pipe[2];

static void cp_calling_handler(int sig)
{
	char c;

	(void)sig;
	hold.in = 1;
	flag_set(&hold.entered);
	cp_read(inner_pipe[0], &c, 1);
	hold.in = 0;
}

START_TEST(cp_call_in_handler_is_a_cancellation_point)
{
	struct unit_target t = { 0 };

	ck_assert_int_eq(pipe2(inner_pipe, O_CLOEXEC), 0);
	install(SIGUSR1, cp_calling_handler, SA_RESTART);
	unit_start(&t, body_read);
	unit_wait_in_syscall(&t, SYS_read);
	pthread_kill(t.th, SIGUSR1);
	ck_assert(unit_flag_wait_bounded(&hold.entered, UNIT_WAIT_MS));
	unit_wait_in_syscall(&t, SYS_read);   /* now the handler's read */
	cp_cancel(t.th);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.aux, 1);   /* acted inside, at the handler's cp_read */
	close(inner_pipe[0]);
	close(inner_pipe[1]);
}
END_TEST

/* A handler on top of a cancellation point that makes a plain,
 * non-cancellable blocking call (a futex wait): the request that arrives
 * meanwhile must not turn that call into a cancellation point (no EINTR,
 * no acting inside it); it acts after the handler returns. */
static volatile int nocancel_word;
static volatile long nocancel_result = 1;

static void futex_waiting_handler(int sig)
{
	long r;

	(void)sig;
	hold.in = 1;
	flag_set(&hold.entered);
	do
		r = syscall(SYS_futex, &nocancel_word, FUTEX_WAIT_PRIVATE, 0,
			    NULL, NULL, 0);
	while (r == -1 && errno == EAGAIN && !nocancel_word);
	nocancel_result = r == -1 ? -errno : r;
	hold.in = 0;
}

/* Back in the futex wait (restarted after the cancel signal), or gone. */
static int futex_again_or_gone(void *p)
{
	long nr = task_syscall(((struct unit_target *)p)->tid);

	return nr == SYS_futex || nr == -2;
}

START_TEST(handler_nocancel_call_stays_nocancel)
{
	struct unit_target t = { 0 };

	nocancel_word = 0;
	nocancel_result = 1;
	install(SIGUSR1, futex_waiting_handler, SA_RESTART);
	unit_start(&t, body_read);
	unit_wait_in_syscall(&t, SYS_read);
	pthread_kill(t.th, SIGUSR1);
	unit_wait_in_syscall(&t, SYS_futex);
	cp_cancel(t.th);
	ck_assert_msg(unit_wait_sig_settled(&t, cp_signal()),
		      "the cancel signal never reached the target");
	ck_assert_msg(wait_until(futex_again_or_gone, &t, UNIT_WAIT_MS),
		      "the target neither went back to its futex wait nor exited");
	ck_assert_msg(nocancel_result == 1 && task_syscall(t.tid) == SYS_futex,
		      "the handler's futex wait ended (%ld) or the thread was "
		      "cancelled inside the handler (cleanup ran: %d)",
		      nocancel_result, t.cleanup_ran);
	__atomic_store_n(&nocancel_word, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &nocancel_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_msg(nocancel_result == 0, "the handler's non-cancellable "
		      "futex wait returned %ld instead of 0", nocancel_result);
	ck_assert_int_eq(t.aux, 0);
	ck_assert_int_eq(t.returned, 0);
}
END_TEST

/* The cancel signal's disposition (cp.h): SA_RESTART so declined
 * requests restart blocked calls, SA_SIGINFO for the context, SA_ONSTACK
 * for threads with an alternate stack, and a full mask so that nothing
 * nests inside the decision (32..SIGRTMIN-1 are the libc's own, never in
 * a user mask). */
START_TEST(cancel_signal_disposition)
{
	struct sigaction sa;
	int wanted = SA_RESTART | SA_SIGINFO | SA_ONSTACK;

	ck_assert_int_eq(sigaction(cp_signal(), NULL, &sa), 0);
	ck_assert_int_eq(sa.sa_flags & wanted, wanted);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && (sig < 32 || sig >= SIGRTMIN) &&
		    sigismember(&sa.sa_mask, sig) == 0)
			ck_abort_msg("signal %d is not masked during the cancel handler", sig);
}
END_TEST

Suite *unit_suite_signals(void)
{
	Suite *s = suite_create("signals");
	TCase *tc = tcase_create("restart-and-handlers");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, nested_handler_defers_then_acts);
	tcase_add_test(tc, reraise_survives_full_signal_queue);
	tcase_add_test(tc, eintr_syscall_acts_poll);
	tcase_add_test(tc, eintr_syscall_acts_nanosleep);
	tcase_add_test(tc, restart_syscall_still_cancellable);
	tcase_add_test(tc, disabled_no_eintr);
	tcase_add_test(tc, unrelated_sa_restart_transparent);
	tcase_add_test(tc, unrelated_no_restart_eintr);
	tcase_add_test(tc, siglongjmp_leaves_no_async_state);
	tcase_add_test(tc, tiny_stack_with_altstack);
	tcase_add_test(tc, cp_call_in_handler_is_a_cancellation_point);
	tcase_add_test(tc, handler_nocancel_call_stays_nocancel);
	tcase_add_test(tc, cancel_signal_disposition);
	suite_add_tcase(s, tc);
	return s;
}
