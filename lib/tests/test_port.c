/* SPDX-License-Identifier: MIT */
/* test_port.c - what every arch port must get right, checked without
 * seccomp, ptrace or /proc/<tid>/syscall, so that it also runs under
 * qemu-user (where the other suites cannot force their interleavings):
 * the window's shape, the canceller's view of a thread's state, and both
 * ways into the landing pad (the flag check, and the signal handler's PC
 * redirect) unwinding through the arch routine's CFI. */
#include "unit.h"

#include <cp.h>
#include <cp_internal.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The kernel restarts a call by rewinding the PC over the syscall
 * instruction (2 bytes on x86, 4 on aarch64/riscv64), so that instruction
 * must be the last one of [cp_window_begin, cp_window_end). */
START_TEST(window_ends_after_syscall_insn)
{
	uintptr_t begin = (uintptr_t)cp_window_begin;
	uintptr_t end = (uintptr_t)cp_window_end;

	ck_assert((uintptr_t)cp_syscall_asm <= begin);
	ck_assert(begin < end);
	ck_assert(end <= (uintptr_t)cp_window_landing);
	ck_assert((uintptr_t)cp_window_landing < (uintptr_t)cp_routine_end);
	ck_assert_msg(cp_arch_is_syscall_insn(end - 2) ||
		      cp_arch_is_syscall_insn(end - 4),
		      "no syscall instruction right before cp_window_end");
}
END_TEST

/* The canceller finds a target's state from its pthread_t alone
 * (initial-exec TLS at a constant distance: TLS variant II on x86,
 * variant I on aarch64/riscv64). */
#define PORT_THREADS 16
static volatile int port_release;

static void body_publish(struct unit_target *t)
{
	t->arg = &cp_self;
	__atomic_store_n(&t->returned, 1, __ATOMIC_RELEASE);
	flag_wait(&port_release);
}

START_TEST(thread_of_from_another_thread)
{
	struct unit_target t[PORT_THREADS];

	memset(t, 0, sizeof t);
	port_release = 0;
	for (int i = 0; i < PORT_THREADS; i++)
		unit_start(&t[i], body_publish);
	for (int i = 0; i < PORT_THREADS; i++) {
		ck_assert(unit_flag_wait_bounded(&t[i].returned, UNIT_WAIT_MS));
		ck_assert_ptr_eq(cp_thread_of(t[i].th), t[i].arg);
	}
	flag_set(&port_release);
	for (int i = 0; i < PORT_THREADS; i++)
		unit_join(&t[i]);
}
END_TEST

static int port_pipe[2];

static void port_cleanup(void *p)
{
	((struct unit_target *)p)->cleanup_ran = 1;
}

static void body_read(struct unit_target *t)
{
	char c;

	pthread_cleanup_push(port_cleanup, t);
	if (t->aux)
		cp_cancel(pthread_self());
	t->result = cp_read(port_pipe[0], &c, 1);
	t->returned = 1;
	pthread_cleanup_pop(0);
}

static int port_pipe_bytes(void)
{
	char buf[8];
	long n = read(port_pipe[0], buf, sizeof buf);

	return n < 0 ? 0 : (int)n;
}

/* A request made before the call: the routine's flag check jumps to the
 * landing pad; the byte waiting in the pipe is not consumed. */
START_TEST(pending_request_acts_at_flag_check)
{
	struct unit_target t = { .aux = 1 };

	ck_assert_int_eq(pipe2(port_pipe, O_CLOEXEC | O_NONBLOCK), 0);
	ck_assert_int_eq(write(port_pipe[1], "x", 1), 1);
	unit_start(&t, body_read);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 0);
	ck_assert_int_eq(t.cleanup_ran, 1);
	ck_assert_int_eq(port_pipe_bytes(), 1);
	close(port_pipe[0]);
	close(port_pipe[1]);
}
END_TEST

/* The target's state letter from /proc (R, S, ...), or 0. */
static char port_task_state(pid_t tid)
{
	char path[64], buf[256], *p;
	FILE *f;

	snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
	if (!(f = fopen(path, "r")))
		return 0;
	p = fgets(buf, sizeof buf, f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	return p && p[1] == ' ' ? p[2] : 0;
}

/* A request while the call blocks: the cancel signal's handler finds the
 * PC inside the window (on the syscall instruction, rewound for the
 * restart) and redirects it to the landing pad.  Waiting for state S only
 * makes that path likely (under qemu-user the PC the guest handler sees
 * is qemu's choice); either path must end in PTHREAD_CANCELED with the
 * pipe untouched. */
START_TEST(blocked_read_acts_through_landing_pad)
{
	struct unit_target t = { 0 };
	struct timespec tick = { 0, 1000 * 1000 };
	int waited = 0;

	ck_assert_int_eq(pipe2(port_pipe, O_CLOEXEC), 0);
	unit_start(&t, body_read);
	while (port_task_state(t.tid) != 'S' && waited++ < UNIT_WAIT_MS)
		nanosleep(&tick, NULL);   /* polling a kernel state, bounded */
	ck_assert_int_eq(cp_cancel(t.th), 0);
	ck_assert_ptr_eq(unit_join(&t), PTHREAD_CANCELED);
	ck_assert_int_eq(t.returned, 0);
	ck_assert_int_eq(t.cleanup_ran, 1);
	ck_assert_int_eq(fcntl(port_pipe[0], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(write(port_pipe[1], "y", 1), 1);
	ck_assert_int_eq(port_pipe_bytes(), 1);
	close(port_pipe[0]);
	close(port_pipe[1]);
}
END_TEST

Suite *unit_suite_port(void)
{
	Suite *s = suite_create("port");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, window_ends_after_syscall_insn);
	tcase_add_test(tc, thread_of_from_another_thread);
	tcase_add_test(tc, pending_request_acts_at_flag_check);
	tcase_add_test(tc, blocked_read_acts_through_landing_pad);
	suite_add_tcase(s, tc);
	return s;
}
