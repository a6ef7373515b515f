/* SPDX-License-Identifier: MIT */
/* sweep.c - a backend's write() held by ptrace at a chosen instruction. */
#define _GNU_SOURCE
#include "sweep.h"

#include "handshake.h"
#include "step.h"
#include "verdict.h"
#include <sweep_arch.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *sweep_outcome_name(int o)
{
	static const char *names[] = { "acted-before", "deferred-after",
				       "acted-after", "not-cancelled", "other",
				       "hang", "setup", "mask-left" };

	return o >= OUT_ACTED_BEFORE && o <= OUT_MASK_LEFT
		       ? names[o - OUT_ACTED_BEFORE] : "crashed";
}

static const struct backend *be;

void sweep_use(const struct backend *backend)
{
	be = backend;
}

/* ---- the child: a target thread and a canceller on command ---------- */

static int data_pipe[2];
static volatile int target_ready, target_start, target_returned;
static volatile long target_result;
static volatile pid_t target_tid;
static volatile uint64_t mask_before, mask_after;

/* The thread's blocked mask, from the kernel. */
static uint64_t sweep_own_mask(void)
{
	uint64_t m = 0;

	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, sizeof m);
	return m;
}

static void *sweep_target(void *p)
{
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

	(void)p;
	/* One call first, so that the traced one is the steady state: lazy
	 * binding resolved, and the thread's first-call setup (libcp's takes
	 * the slow path once) done. */
	be->write(devnull, "", 0);
	close(devnull);
	target_tid = (pid_t)syscall(SYS_gettid);
	mask_before = sweep_own_mask();
	flag_set(&target_ready);
	flag_wait(&target_start);
	target_result = be->write(data_pipe[1], "x", 1);
	mask_after = sweep_own_mask();
	target_returned = 1;
	be->testcancel();
	return NULL;
}

static int sweep_pipe_has_byte(void)
{
	struct pollfd p = { .fd = data_pipe[0], .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static int sweep_judge_child(void *ret)
{
	int written = sweep_pipe_has_byte();

	if (ret != PTHREAD_CANCELED)
		return OUT_NOT_CANCELLED;
	if (!target_returned && !written)
		return OUT_ACTED_BEFORE;
	/* A deferred request must leave the mask as it found it: a signal
	 * left blocked would be inherited by every thread created later. */
	if (target_returned && written && target_result == 1)
		return mask_after == mask_before ? OUT_DEFERRED : OUT_MASK_LEFT;
	if (!target_returned && written)
		return OUT_ACTED_AFTER;
	return OUT_OTHER;
}

static _Noreturn void sweep_child(int cmd, int reply)
{
	pthread_t th;
	void *ret;
	char c;

	if (pipe2(data_pipe, O_CLOEXEC) ||
	    pthread_create(&th, NULL, sweep_target, NULL))
		_exit(OUT_SETUP);
	flag_wait(&target_ready);
	if (write(reply, (const void *)&target_tid, sizeof target_tid) < 0)
		_exit(OUT_SETUP);
	while (read(cmd, &c, 1) == 1 && c != 'e') {
		if (c == 's')
			flag_set(&target_start);
		else if (c == 'c')
			be->cancel(th);
		if (write(reply, "k", 1) != 1)
			_exit(OUT_SETUP);
	}
	if (join_bounded(th, &ret, 3000))
		_exit(OUT_HANG);
	_exit(sweep_judge_child(ret));
}

/* ---- the parent: stepping ------------------------------------------- */

struct sweep_run {
	pid_t pid, tid;
	int cmd, reply;
};

static int sweep_command(struct sweep_run *r, char c)
{
	char k;

	return write(r->cmd, &c, 1) == 1 && (c == 'e' || read(r->reply, &k, 1) == 1)
		       ? 0 : -1;
}

/* Fork a child, seize its target thread while it waits to start, start
 * it, and step it to the first instruction of the write wrapper. */
static int sweep_spawn(struct sweep_run *r, uintptr_t entry, uintptr_t *sp)
{
	int to_child[2], from_child[2], st;
	uintptr_t pc = 0;
	long n;

	if (pipe2(to_child, O_CLOEXEC) || pipe2(from_child, O_CLOEXEC))
		return -1;
	if ((r->pid = fork()) == 0)
		sweep_child(to_child[0], from_child[1]);
	close(to_child[0]);
	close(from_child[1]);
	r->cmd = to_child[1];
	r->reply = from_child[0];
	if (read(r->reply, &r->tid, sizeof r->tid) != sizeof r->tid)
		return -1;
	if (ptrace(PTRACE_SEIZE, r->tid, NULL, (void *)PTRACE_O_EXITKILL))
		return -errno;
	if (ptrace(PTRACE_INTERRUPT, r->tid, NULL, NULL) ||
	    waitpid(r->tid, &st, __WALL) != r->tid || sweep_command(r, 's'))
		return -1;
	for (n = 0; n < SWEEP_MAX_LEAD; n++) {
		if (sweep_arch_regs(r->tid, &pc, sp))
			return -1;
		if (pc == entry)
			return 0;
		if (step_one(r->tid))
			return -1;
	}
	return -1;
}

/* Wait (bounded) for the child's report. */
static int sweep_reap(struct sweep_run *r)
{
	struct timespec ts = { 0, 200 * 1000 };
	int st;

	close(r->cmd);
	close(r->reply);
	for (int i = 0; i < 25000; i++) {
		pid_t w = waitpid(r->pid, &st, WNOHANG);

		if (w == r->pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		nanosleep(&ts, NULL);   /* polling the child's state, bounded */
	}
	kill(r->pid, SIGKILL);
	waitpid(r->pid, &st, 0);
	return OUT_HANG;
}

static _Noreturn void sweep_setup_failed(struct sweep_run *r, int rc)
{
	if (r->pid > 0) {
		/* The seized target thread is ours to reap (__WALL) before its
		 * process can be: a plain waitpid(pid) would wait forever. */
		kill(r->pid, SIGKILL);
		while (waitpid(-1, NULL, __WALL) > 0 || errno == EINTR)
			;
	}
	if (rc == -EPERM || rc == -EACCES)
		verdict_exit(VERDICT_SKIP, "ptrace not permitted here (%s): run "
			     "as root or lower kernel.yama.ptrace_scope",
			     strerror(-rc));
	if (rc == -ENOSYS)
		verdict_exit(VERDICT_SKIP, "ptrace not implemented here "
			     "(ENOSYS); the sweep needs a kernel with ptrace");
	verdict_exit(VERDICT_ERROR, "could not step the target to the write "
		     "wrapper (%s)", rc < 0 ? strerror(-rc) : "setup");
}

/* The uncancelled call: the trace of PCs from entry to return, and the
 * index of the syscall instruction.  Returns the trace length. */
size_t sweep_trace(uintptr_t entry, uintptr_t *trace, size_t *sys_at)
{
	struct sweep_run r = { 0 };
	uintptr_t sp0 = 0, ret_addr, pc = 0, sp = 0;
	size_t n = 0;
	int rc = sweep_spawn(&r, entry, &sp0);

	if (rc)
		sweep_setup_failed(&r, rc);
	/* The return address: on the stack (x86) or in the link register
	 * (aarch64, riscv64); the arch's sweep_arch.h knows which. */
	ret_addr = sweep_arch_ret_addr(r.tid, sp0);
	*sys_at = SIZE_MAX;
	while (n < SWEEP_MAX_TRACE && !sweep_arch_regs(r.tid, &pc, &sp)) {
		if (pc == ret_addr && sp == sp0 + SWEEP_ARCH_RET_SP_DELTA)
			break;
		if (*sys_at == SIZE_MAX &&
		    sweep_arch_is_syscall((unsigned long)ptrace(
			    PTRACE_PEEKTEXT, r.tid, (void *)pc, NULL)))
			*sys_at = n;
		trace[n++] = pc;
		if (step_one(r.tid))
			break;
	}
	ptrace(PTRACE_DETACH, r.tid, NULL, NULL);
	sweep_command(&r, 'e');
	if (sweep_reap(&r) != OUT_NOT_CANCELLED || *sys_at == SIZE_MAX || !n)
		verdict_exit(VERDICT_ERROR, "dry run: no clean trace of the write "
			     "wrapper (%zu instructions, syscall %s)", n,
			     *sys_at == SIZE_MAX ? "not found" : "found");
	return n;
}

/* Cancel while the target is stopped at trace[i], then let it go. */
int sweep_at(uintptr_t entry, const uintptr_t *trace, size_t i)
{
	struct sweep_run r = { 0 };
	uintptr_t pc = 0, sp = 0;
	int rc = sweep_spawn(&r, entry, &sp);

	if (rc)
		sweep_setup_failed(&r, rc);
	for (size_t k = 0; k < i; k++)
		if (step_one(r.tid))
			sweep_setup_failed(&r, 0);
	if (sweep_arch_regs(r.tid, &pc, &sp) || pc != trace[i])
		verdict_exit(VERDICT_ERROR, "step %zu: the target took another "
			     "path (pc %#lx, dry run %#lx)", i, (unsigned long)pc,
			     (unsigned long)trace[i]);
	if (sweep_command(&r, 'c'))
		sweep_setup_failed(&r, 0);
	ptrace(PTRACE_DETACH, r.tid, NULL, NULL);
	sweep_command(&r, 'e');
	return sweep_reap(&r);
}

/* "cp_write+0x12": the nearest exported symbol (the child is a fork, so
 * the parent's addresses are the child's). */
void sweep_symbol(uintptr_t pc, char *buf, size_t len)
{
	Dl_info di;
	int found = dladdr((void *)pc, &di) != 0;

	if (found && di.dli_sname)
		snprintf(buf, len, "%s+%#lx", di.dli_sname,
			 (unsigned long)(pc - (uintptr_t)di.dli_saddr));
	else if (found && di.dli_fname)   /* hidden: its object and offset */
		snprintf(buf, len, "%s+%#lx", basename(di.dli_fname),
			 (unsigned long)(pc - (uintptr_t)di.dli_fbase));
	else
		snprintf(buf, len, "%#lx", (unsigned long)pc);
}
