/* SPDX-License-Identifier: MIT */
/*
 * Description: sigsys-trap — a cancellation requested while a SIGSYS
 * handler emulates a syscall that seccomp trapped inside the cancellable
 * routine must not act inside that handler, and must not be lost.
 *
 * The race: sandboxes (seccomp-bpf with SECCOMP_RET_TRAP) refuse a syscall
 * and let a SIGSYS handler perform it another way, often by asking a
 * broker and waiting for the answer.  The kernel delivers SIGSYS with the
 * PC just past the syscall instruction, inside the cancellable routine, as
 * if the call had completed; the handler writes the emulated result into
 * the interrupted context.  A cancel request that lands while the handler
 * waits must not unwind the handler (classic glibc: asynchronous
 * cancellation is on around the syscall; an "in a cancellation point, PC
 * on a syscall instruction" test fires on the handler's own restarted
 * wait), and must survive it: the emulated result belongs to the caller,
 * the request to the next cancellation point.
 *
 * The interleaving, forced by construction: the target thread loads a
 * filter (its own thread only) that traps read() of its pipe, and calls
 * the backend's read.  The SIGSYS handler announces itself and waits for
 * its "broker" in a raw futex wait (a handshake).  The supervisor waits
 * until /proc shows the handler asleep in that wait, requests
 * cancellation, waits until the cancel signal has acted, been taken, or
 * is held pending behind a blocked mask (per /proc), then answers; the
 * handler emulates the read (one byte, result 1) and returns.
 *
 * Correct: the cleanup handler does not run inside the SIGSYS handler; the
 * read returns the emulated byte to its caller; the cancellation acts at
 * the caller's next cancellation point (bounded wait: a thread that is not
 * cancelled within 5 s is a FAIL with its /proc diagnosis).
 *
 * A design that declines without retrying (noretry) cannot lose this
 * request: the trapped call never blocks in the kernel, so after the
 * handler the call returns at once and the next cancellation point sees
 * the request.  It is expected to pass.
 */
#define _GNU_SOURCE
#include <case.h>
#include <handler_run.h>
#include <handshake.h>
#include <procfs.h>
#include <trap_arch.h>

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CASE_EMULATED_BYTE 'e'

static struct handler_run run;
static volatile int handler_entered, broker_answered, handler_done;

static void case_sigsys(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	if (si->si_syscall != SYS_read)
		return;
	run.must_not_act = 1;
	flag_set(&handler_entered);
	flag_wait(&broker_answered);
	run.byte = CASE_EMULATED_BYTE;
	trap_arch_set_result(ctx, 1);
	handler_done = 1;
	run.must_not_act = 0;
}

/* The handler is asleep in its futex wait for the broker: the request
 * must land there, not in the handler's few instructions before it. */
static int case_waiting_broker(void *p)
{
	(void)p;
	return handler_entered && target_in_syscall(&run.target, SYS_futex);
}

/* In the target: trap read() of its own pipe, in this thread only. */
static int case_trap_read(struct handler_run *r)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc;

	if (!ctx)
		return -ENOMEM;
	rc = seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(read), 1,
			      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)r->pipefd[0]));
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}

static void case_setup(const struct backend *be)
{
	struct sigaction sa;
	char err[160];

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = case_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	if (sigaction(SIGSYS, &sa, NULL))
		verdict_exit(VERDICT_ERROR, "sigaction: %s", strerror(errno));
	run.be = be;
	run.prepare = case_trap_read;
	run.own_signals = 1ULL << (SIGSYS - 1);
	if (handler_run_start(&run, 0, err, sizeof err)) {
		if (run.prepare_err == -EACCES || run.prepare_err == -EPERM ||
		    run.prepare_err == -EINVAL || run.prepare_err == -ENOSYS)
			verdict_exit(VERDICT_SKIP, "seccomp filters unavailable "
				     "here: %s", strerror(-run.prepare_err));
		verdict_exit(VERDICT_ERROR, "%s", err);
	}
	if (!wait_until(case_waiting_broker, NULL, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "the trapped read never reached the "
			     "SIGSYS handler's wait for its broker");
}

static _Noreturn void case_lost(void)
{
	char diag[512];

	task_diagnose(run.tid, diag, sizeof diag);
	verdict_exit(VERDICT_FAIL, "cancellation lost: not acted on %d s after "
		     "the SIGSYS handler answered (read %s); %s",
		     BOUND_S(ACT_BOUND_MS), run.returned ? "returned"
							 : "did not return", diag);
}

int main(int argc, char **argv)
{
	const struct backend *be = case_start(argc, argv, &(struct case_info){
		.name = "sigsys-trap" });
	void *ret;

	case_setup(be);
	if (be->cancel(run.th))
		verdict_exit(VERDICT_ERROR, "cancel failed");
	if (!wait_until(handler_run_settled, &run, SETUP_BOUND_MS))
		verdict_exit(VERDICT_ERROR, "cancel signal neither taken nor held "
			     "within %d s", BOUND_S(SETUP_BOUND_MS));
	flag_set(&broker_answered);
	if (handler_run_finish(&run, &ret))
		case_lost();
	if (run.acted_inside || !handler_done)
		verdict_exit(VERDICT_FAIL, "cancellation acted inside the SIGSYS "
			     "handler (asynchronously); the emulation never "
			     "finished");
	if (!run.returned)
		verdict_exit(VERDICT_FAIL, "the emulated read never returned to "
			     "its caller: the cancellation acted on a call the "
			     "handler had completed");
	if (run.result != 1 || run.byte != CASE_EMULATED_BYTE)
		verdict_exit(VERDICT_FAIL, "the read returned %ld (%s) instead of "
			     "the emulated byte", run.result,
			     run.result < 0 ? strerror(run.saved_errno) : "data");
	if (ret != PTHREAD_CANCELED)
		verdict_exit(VERDICT_FAIL, "thread ended without being cancelled");
	verdict_exit(VERDICT_PASS, "not acted inside the SIGSYS handler; the "
		     "emulated byte reached the caller; acted at the next "
		     "cancellation point");
}
