/* SPDX-License-Identifier: MIT */
/* test_wrappers.c - every cp_ wrapper is a cancellation point (and the
 * non-waiting fcntl/futex commands are not); every call that the kernel
 * ends with EINTR acts on a cancellation instead of surfacing it. */
#include "unit.h"

#include <cp.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int fds[2], epfd;
static uint32_t futex_word;
static char buf[8];

static void setup(void)
{
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	ck_assert_int_ge(epfd = epoll_create1(EPOLL_CLOEXEC), 0);
	futex_word = 0;
}

static void teardown(void)
{
	close(fds[0]);
	close(fds[1]);
	close(epfd);
}

static const struct timespec hour = { .tv_sec = 3600 };

static sigset_t just_sigusr2(void)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	return s;
}

/* Calls with harmless arguments: each would return at once if it were
 * not a cancellation point. */
static long call_read(void) { return cp_read(fds[0], buf, 0); }
static long call_write(void) { return cp_write(fds[1], buf, 0); }
static long call_readv(void) { struct iovec v = { buf, 0 }; return cp_readv(fds[0], &v, 1); }
static long call_writev(void) { struct iovec v = { buf, 0 }; return cp_writev(fds[1], &v, 1); }
static long call_pread(void) { return cp_pread(-1, buf, 1, 0); }
static long call_pwrite(void) { return cp_pwrite(-1, buf, 1, 0); }
static long call_preadv(void) { struct iovec v = { buf, 1 }; return cp_preadv(-1, &v, 1, 0); }
static long call_pwritev(void) { struct iovec v = { buf, 1 }; return cp_pwritev(-1, &v, 1, 0); }
static long call_open(void) { return cp_open("/dev/null", O_RDONLY | O_CLOEXEC); }
static long call_openat(void) { return cp_openat(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC); }
static long call_creat(void) { return cp_creat("/nonexistent/dir/file", 0600); }
static long call_close(void) { return cp_close(-1); }
static long call_fsync(void) { return cp_fsync(-1); }
static long call_fdatasync(void) { return cp_fdatasync(-1); }
static long call_msync(void) { return cp_msync(NULL, 0, MS_SYNC); }
static long call_tcdrain(void) { return cp_tcdrain(-1); }
static long call_fcntl_setlkw(void) { struct flock l = { 0 }; return cp_fcntl(-1, F_SETLKW, &l); }
static long call_accept(void) { return cp_accept(-1, NULL, NULL); }
static long call_accept4(void) { return cp_accept4(-1, NULL, NULL, 0); }
static long call_connect(void) { return cp_connect(-1, NULL, 0); }
static long call_recv(void) { return cp_recv(-1, buf, 1, 0); }
static long call_recvfrom(void) { return cp_recvfrom(-1, buf, 1, 0, NULL, NULL); }
static long call_recvmsg(void) { struct msghdr m = { 0 }; return cp_recvmsg(-1, &m, 0); }
static long call_recvmmsg(void) { return cp_recvmmsg(-1, NULL, 0, 0, NULL); }
static long call_send(void) { return cp_send(-1, buf, 1, 0); }
static long call_sendto(void) { return cp_sendto(-1, buf, 1, 0, NULL, 0); }
static long call_sendmsg(void) { struct msghdr m = { 0 }; return cp_sendmsg(-1, &m, 0); }
static long call_sendmmsg(void) { return cp_sendmmsg(-1, NULL, 0, 0); }
static long call_poll(void) { return cp_poll(NULL, 0, 0); }
static long call_ppoll(void) { struct timespec z = { 0 }; return cp_ppoll(NULL, 0, &z, NULL); }
static long call_select(void) { struct timeval z = { 0 }; return cp_select(0, NULL, NULL, NULL, &z); }
static long call_pselect(void) { struct timespec z = { 0 }; return cp_pselect(0, NULL, NULL, NULL, &z, NULL); }
static long call_epoll_wait(void) { struct epoll_event e; return cp_epoll_wait(epfd, &e, 1, 0); }
static long call_epoll_pwait(void) { struct epoll_event e; return cp_epoll_pwait(epfd, &e, 1, 0, NULL); }
static long call_nanosleep(void) { struct timespec z = { 0 }; return cp_nanosleep(&z, NULL); }
static long call_clock_nanosleep(void) { struct timespec z = { 0 }; return cp_clock_nanosleep(CLOCK_MONOTONIC, 0, &z, NULL); }
static long call_sigtimedwait(void) { sigset_t s = just_sigusr2(); struct timespec z = { 0 }; return cp_sigtimedwait(&s, NULL, &z); }
static long call_wait4(void) { return cp_wait4(-1, NULL, WNOHANG, NULL); }
static long call_waitpid(void) { return cp_waitpid(-1, NULL, WNOHANG); }
static long call_waitid(void) { siginfo_t si; return cp_waitid(P_ALL, 0, &si, WEXITED | WNOHANG); }
static long call_futex_wait(void) { return cp_futex(&futex_word, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0); }
static long call_io_uring_enter(void) { return cp_io_uring_enter(-1, 0, 0, 0, NULL); }
static long call_syscall(void) { return cp_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0); }

static const struct {
	const char *name;
	long (*call)(void);
} cancellation_points[] = {
	{ "read", call_read }, { "write", call_write }, { "readv", call_readv },
	{ "writev", call_writev }, { "pread", call_pread }, { "pwrite", call_pwrite },
	{ "preadv", call_preadv }, { "pwritev", call_pwritev }, { "open", call_open },
	{ "openat", call_openat }, { "creat", call_creat }, { "close", call_close },
	{ "fsync", call_fsync }, { "fdatasync", call_fdatasync }, { "msync", call_msync },
	{ "tcdrain", call_tcdrain }, { "fcntl(F_SETLKW)", call_fcntl_setlkw },
	{ "accept", call_accept }, { "accept4", call_accept4 }, { "connect", call_connect },
	{ "recv", call_recv }, { "recvfrom", call_recvfrom }, { "recvmsg", call_recvmsg },
	{ "recvmmsg", call_recvmmsg }, { "send", call_send }, { "sendto", call_sendto },
	{ "sendmsg", call_sendmsg }, { "sendmmsg", call_sendmmsg }, { "poll", call_poll },
	{ "ppoll", call_ppoll }, { "select", call_select }, { "pselect", call_pselect },
	{ "epoll_wait", call_epoll_wait }, { "epoll_pwait", call_epoll_pwait },
	{ "nanosleep", call_nanosleep }, { "clock_nanosleep", call_clock_nanosleep },
	{ "sigtimedwait", call_sigtimedwait }, { "wait4", call_wait4 },
	{ "waitpid", call_waitpid }, { "waitid", call_waitid },
	{ "futex(FUTEX_WAIT)", call_futex_wait }, { "io_uring_enter", call_io_uring_enter },
	{ "syscall", call_syscall },
};

static long (*current_call)(void);

static void body_pending_then_call(struct unit_target *t)
{
	cp_cancel(pthread_self());
	t->result = current_call();
	t->returned = 1;
}

START_TEST(each_wrapper_acts_on_pending)
{
	struct unit_target t = { 0 };

	current_call = cancellation_points[_i].call;
	unit_start(&t, body_pending_then_call);
	ck_assert_msg(unit_join(&t) == PTHREAD_CANCELED && !t.returned,
		      "cp_%s is not a cancellation point (returned %ld)",
		      cancellation_points[_i].name, t.result);
}
END_TEST

/* Not cancellation points: they must complete despite the request. */
static long call_fcntl_getfl(void) { return cp_fcntl(fds[0], F_GETFL); }
static long call_futex_wake(void) { return cp_futex(&futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0); }

START_TEST(non_waiting_commands_do_not_act)
{
	long (*calls[])(void) = { call_fcntl_getfl, call_futex_wake };

	for (size_t i = 0; i < sizeof calls / sizeof *calls; i++) {
		struct unit_target t = { 0 };

		current_call = calls[i];
		unit_start(&t, body_pending_then_call);
		ck_assert_ptr_eq(unit_join(&t), &t);
		ck_assert_int_eq(t.returned, 1);
		ck_assert_int_ge(t.result, 0);
	}
}
END_TEST

/* Calls that block until a signal or forever, and that the kernel ends
 * with EINTR when the cancel signal's handler runs. */
static long block_ppoll(void) { return cp_ppoll(NULL, 0, NULL, NULL); }
static long block_select(void) { return cp_select(0, NULL, NULL, NULL, NULL); }
static long block_pselect(void) { return cp_pselect(0, NULL, NULL, NULL, NULL, NULL); }
static long block_epoll_wait(void) { struct epoll_event e; return cp_epoll_wait(epfd, &e, 1, -1); }
static long block_epoll_pwait(void) { struct epoll_event e; return cp_epoll_pwait(epfd, &e, 1, -1, NULL); }
static long block_sigsuspend(void) { sigset_t s; sigemptyset(&s); return cp_sigsuspend(&s); }
static long block_pause(void) { return cp_pause(); }
static long block_sigtimedwait(void) { sigset_t s = just_sigusr2(); return cp_sigtimedwait(&s, NULL, NULL); }
static long block_sigwaitinfo(void) { sigset_t s = just_sigusr2(); return cp_sigwaitinfo(&s, NULL); }
static long block_clock_nanosleep(void) { return cp_clock_nanosleep(CLOCK_MONOTONIC, 0, &hour, NULL); }
static long block_futex(void) { return cp_futex(&futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0); }
static long block_futex_bitset(void)
{
	struct timespec far;

	clock_gettime(CLOCK_MONOTONIC, &far);
	far.tv_sec += 3600;
	return cp_futex(&futex_word, FUTEX_WAIT_BITSET_PRIVATE, 0, &far, NULL,
			FUTEX_BITSET_MATCH_ANY);
}

static const struct {
	const char *name;
	long nr;
	long (*call)(void);
} eintr_calls[] = {
	{ "ppoll", SYS_ppoll, block_ppoll },
	{ "select", SYS_pselect6, block_select },
	{ "pselect", SYS_pselect6, block_pselect },
	{ "epoll_wait", SYS_epoll_pwait, block_epoll_wait },
	{ "epoll_pwait", SYS_epoll_pwait, block_epoll_pwait },
	{ "sigsuspend", SYS_rt_sigsuspend, block_sigsuspend },
	{ "pause", SYS_rt_sigsuspend, block_pause },
	{ "sigtimedwait", SYS_rt_sigtimedwait, block_sigtimedwait },
	{ "sigwaitinfo", SYS_rt_sigtimedwait, block_sigwaitinfo },
	{ "clock_nanosleep", SYS_clock_nanosleep, block_clock_nanosleep },
	{ "futex(FUTEX_WAIT)", SYS_futex, block_futex },
	{ "futex(FUTEX_WAIT_BITSET)", SYS_futex, block_futex_bitset },
};

static void body_block(struct unit_target *t)
{
	t->result = current_call();
	t->saved_errno = errno;
	t->returned = 1;
}

START_TEST(blocked_wait_acts_not_eintr)
{
	struct unit_target t = { 0 };

	current_call = eintr_calls[_i].call;
	unit_start(&t, body_block);
	unit_wait_in_syscall(&t, eintr_calls[_i].nr);
	cp_cancel(t.th);
	ck_assert_msg(unit_join(&t) == PTHREAD_CANCELED && !t.returned,
		      "cp_%s returned %ld (errno %d) instead of acting",
		      eintr_calls[_i].name, t.result, t.saved_errno);
}
END_TEST

/* A wrapper that passes a constant zero as the syscall's fourth to sixth
 * argument must still put that zero where the kernel reads it: the
 * registers hold whatever an earlier call left there.  Junk is put there
 * first (x86_64: r10, r8, r9, the kernel's fourth to sixth argument
 * registers, which no C argument of these wrappers fills). */
static __attribute__((noinline)) void dirty_argument_registers(void)
{
#ifdef __x86_64__
	__asm__ volatile("mov $1, %%r10\n\tmov $1, %%r8\n\tmov $1, %%r9"
			 ::: "r10", "r8", "r9");
#endif
}

START_TEST(zero_arguments_reach_the_kernel)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int l, c, a, st;
	pid_t pid, r;

	/* The thread's first call takes the slow path: make it now, so the
	 * calls below take the fast one. */
	ck_assert_int_eq(cp_read(-1, buf, 1), -1);
	if ((pid = fork()) == 0)
		_exit(3);
	dirty_argument_registers();
	r = cp_waitpid(pid, &st, 0);   /* wait4(pid, &st, 0, NULL) */
	ck_assert_msg(r == pid, "cp_waitpid returned %d (errno %s): wait4's "
		      "rusage argument was not NULL", r, strerror(errno));
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 3);
	snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "cp-zero-%d",
		 (int)getpid());
	ck_assert_int_ge(l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), 0);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	ck_assert_int_ge(c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&sa, sizeof sa), 0);
	dirty_argument_registers();
	a = cp_accept(l, NULL, NULL);   /* accept4(l, NULL, NULL, 0) */
	ck_assert_msg(a >= 0, "cp_accept failed (%s): accept4's flags argument "
		      "was not 0", strerror(errno));
	ck_assert_int_eq(fcntl(a, F_GETFD) & FD_CLOEXEC, 0);
	close(a);
	close(c);
	close(l);
}
END_TEST

Suite *unit_suite_wrappers(void)
{
	Suite *s = suite_create("wrappers");
	TCase *tc = tcase_create("cancellation-points");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, each_wrapper_acts_on_pending, 0,
			    sizeof cancellation_points / sizeof *cancellation_points);
	tcase_add_test(tc, non_waiting_commands_do_not_act);
	tcase_add_loop_test(tc, blocked_wait_acts_not_eintr, 0,
			    sizeof eintr_calls / sizeof *eintr_calls);
	tcase_add_test(tc, zero_arguments_reach_the_kernel);
	suite_add_tcase(s, tc);
	return s;
}
