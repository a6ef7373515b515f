/* SPDX-License-Identifier: MIT */
/*
 * test_abi.c - libcp's calls from a program built with 64-bit file offsets
 * and 64-bit times (-D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64), which is what
 * Debian builds 32-bit programs with.  On 64-bit arches both are already
 * the only ABI; on i386 off_t and time_t change size under these macros,
 * and a library that passes them to the old 32-bit system calls cuts them:
 * an offset past 4 GiB lands in the wrong place, a time past 2038 (or any
 * 64-bit value) is truncated.
 *
 * Each check uses a value whose truncation is visible at once: offsets of
 * 5 GiB (truncated: 1 GiB), and times whose 64-bit value is invalid (a
 * negative tv_sec, EINVAL at once) but whose low 32 bits are one second
 * (truncated, the call sleeps 1 s and returns 0).
 * Exit 0 when every check passes, 1 with one line per failure, 2 on setup.
 */
#define _GNU_SOURCE
#include <cp.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if !defined(_FILE_OFFSET_BITS) || _FILE_OFFSET_BITS != 64
#error "build with -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64"
#endif

static int failures;

static void check(int ok, const char *what, long got, int err)
{
	if (ok)
		return;
	printf("FAIL: %s (returned %ld, errno %s)\n", what, got, strerror(err));
	failures++;
}

/* -2^32 + 1 seconds: invalid as a 64-bit time (negative), one second
 * once cut to 32 bits. */
#define CUT_TO_ONE_SECOND ((time_t)(-(1LL << 32) + 1))

static const off_t five_gib = (off_t)5 << 30;

static void check_offsets(int fd)
{
	char c = 0, cut = 0;
	struct iovec iov = { &c, 1 };
	long r;

	r = cp_pwrite(fd, "A", 1, five_gib);
	check(r == 1, "cp_pwrite at 5 GiB", r, errno);
	r = pread(fd, &c, 1, five_gib);
	check(r == 1 && c == 'A', "cp_pwrite's byte is at 5 GiB", r, errno);
	r = pread(fd, &cut, 1, (off_t)1 << 30);
	check(r <= 0 || cut == 0, "nothing written at 1 GiB (5 GiB cut)", r, errno);
	c = 0;
	r = cp_pread(fd, &c, 1, five_gib);
	check(r == 1 && c == 'A', "cp_pread at 5 GiB", r, errno);
	c = 'B';
	r = cp_pwritev(fd, &iov, 1, five_gib + 1);
	check(r == 1, "cp_pwritev at 5 GiB + 1", r, errno);
	c = 0;
	r = cp_preadv(fd, &iov, 1, five_gib + 1);
	check(r == 1 && c == 'B', "cp_preadv at 5 GiB + 1", r, errno);
}

static void check_open_and_lock(const char *path)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = five_gib, .l_len = 1 };
	int fd = cp_open(path, O_RDWR), st;
	long r;
	pid_t pid;

	check(fd >= 0, "cp_open of a file larger than 4 GiB", fd, errno);
	if (fd < 0)
		return;
	r = cp_fcntl(fd, F_SETLKW, &fl);
	check(r == 0, "cp_fcntl(F_SETLKW) on a range at 5 GiB", r, errno);
	if ((pid = fork()) == 0) {
		struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
				   .l_start = five_gib, .l_len = 1 };

		if (fcntl(fd, F_GETLK, &q))
			_exit(2);
		_exit(q.l_type == F_WRLCK && q.l_start == five_gib ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the lock is held at 5 GiB (seen by another process)", st, 0);
	close(fd);
}

static void check_times(void)
{
	struct timespec cut = { CUT_TO_ONE_SECOND, 0 };
	struct timeval tv = { CUT_TO_ONE_SECOND, 0 };
	uint32_t word = 0;
	sigset_t set;
	long r;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	r = cp_nanosleep(&cut, NULL);
	check(r == -1 && errno == EINVAL, "cp_nanosleep with a 64-bit time", r, errno);
	r = cp_clock_nanosleep(CLOCK_MONOTONIC, 0, &cut, NULL);
	check(r == EINVAL, "cp_clock_nanosleep with a 64-bit time", r, 0);
	r = cp_ppoll(NULL, 0, &cut, NULL);
	check(r == -1 && errno == EINVAL, "cp_ppoll with a 64-bit time", r, errno);
	r = cp_pselect(0, NULL, NULL, NULL, &cut, NULL);
	check(r == -1 && errno == EINVAL, "cp_pselect with a 64-bit time", r, errno);
	r = cp_select(0, NULL, NULL, NULL, &tv);
	check(r == -1 && errno == EINVAL, "cp_select with a 64-bit time", r, errno);
	r = cp_sigtimedwait(&set, NULL, &cut);
	check(r == -1 && errno == EINVAL, "cp_sigtimedwait with a 64-bit time", r, errno);
	r = cp_futex(&word, FUTEX_WAIT_PRIVATE, 0, &cut, NULL, 0);
	check(r == -1 && errno == EINVAL, "cp_futex with a 64-bit time", r, errno);
}

static void check_recvmmsg(void)
{
	struct timespec cut = { CUT_TO_ONE_SECOND, 0 };
	struct mmsghdr m;
	char buf[8];
	struct iovec iov = { buf, sizeof buf };
	int sv[2];
	long r;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv)) {
		printf("ERROR: socketpair: %s\n", strerror(errno));
		exit(2);
	}
	memset(&m, 0, sizeof m);
	m.msg_hdr.msg_iov = &iov;
	m.msg_hdr.msg_iovlen = 1;
	/* A datagram waits, so a timeout that is not refused returns it at
	 * once instead of sleeping. */
	if (send(sv[1], "x", 1, 0) != 1) {
		printf("ERROR: send: %s\n", strerror(errno));
		exit(2);
	}
	r = cp_recvmmsg(sv[0], &m, 1, 0, &cut);
	if (getenv("CP_UNDER_QEMU_USER"))
		printf("not checked: cp_recvmmsg's timeout (qemu-user's recvmmsg "
		       "ignores it)\n");
	else
		check(r == -1 && errno == EINVAL, "cp_recvmmsg with a 64-bit time",
		      r, errno);
	close(sv[0]);
	close(sv[1]);
}

/* wait4's struct rusage holds timevals: under _TIME_BITS=64 its layout
 * differs from the kernel's 32-bit one. */
static void check_rusage(void)
{
	struct rusage ru;
	int st;
	long r;
	pid_t pid = fork();

	if (pid == 0) {
		volatile unsigned long x = 0;

		for (unsigned long i = 0; i < 50000000UL; i++)
			x += i;
		_exit(7);
	}
	memset(&ru, 0xff, sizeof ru);
	r = cp_wait4(pid, &st, 0, &ru);
	check(r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7, "cp_wait4", r, errno);
	/* Every field written (the struct was filled with 0xff), the times
	 * in range: a 32-bit kernel layout in a 64-bit-time struct leaves
	 * its last fields untouched and its microseconds misplaced. */
	check(ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_sec < 3600 &&
	      ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000 &&
	      ru.ru_stime.tv_usec >= 0 && ru.ru_stime.tv_usec < 1000000 &&
	      ru.ru_nivcsw != -1 && ru.ru_nvcsw != -1,
	      "cp_wait4's rusage in the caller's layout", (long)ru.ru_nivcsw, 0);
}

/* The POSIX cancellation points of LIBCP_1.2 with a deadline whose
 * 64-bit tv_sec has a high half of 2,000,000,000: read as a 32-bit
 * timespec, that high half is the nanoseconds, out of range (EINVAL);
 * read right, the deadline is centuries away and each call completes on
 * what it waits for (a token, a message, a signal, an exit). */
#define HIGH_HALF_INVALID_NSEC ((time_t)((int64_t)2000000000 << 32))

static pthread_mutex_t abi_mutex = PTHREAD_MUTEX_INITIALIZER;
static cp_cond_t abi_cond = CP_COND_INITIALIZER;
static int abi_flag;

/* Signals once the waiter has released the mutex inside its wait. */
static void *abi_signaller(void *p)
{
	(void)p;
	pthread_mutex_lock(&abi_mutex);
	abi_flag = 1;
	cp_cond_signal(&abi_cond);
	pthread_mutex_unlock(&abi_mutex);
	return NULL;
}

static void *abi_exits(void *p)
{
	return p;
}

static void check_posix_times(const char *path)
{
	const struct timespec far = { HIGH_HALF_INVALID_NSEC, 0 };
	struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = 8 };
	char name[64], buf[8];
	pthread_t th;
	void *ret = NULL;
	sem_t sem;
	mqd_t q;
	pid_t pid;
	long r;
	int fd, st;

	pthread_mutex_lock(&abi_mutex);
	pthread_create(&th, NULL, abi_signaller, NULL);
	r = 0;
	while (!abi_flag && r == 0)
		r = cp_cond_timedwait(&abi_cond, &abi_mutex, &far);
	pthread_mutex_unlock(&abi_mutex);
	pthread_join(th, NULL);
	check(r == 0, "cp_cond_timedwait with a 64-bit time", r, 0);
	sem_init(&sem, 0, 1);
	r = cp_sem_timedwait(&sem, &far);
	check(r == 0, "cp_sem_timedwait with a 64-bit time", r, errno);
	pthread_create(&th, NULL, abi_exits, &sem);
	r = cp_pthread_timedjoin_np(th, &ret, &far);
	check(r == 0 && ret == &sem, "cp_pthread_timedjoin_np with a 64-bit time",
	      r, 0);
	snprintf(name, sizeof name, "/cp-abi-%d", getpid());
	q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &a);
	mq_unlink(name);
	mq_send(q, "m", 1, 0);
	r = cp_mq_timedreceive(q, buf, sizeof buf, NULL, &far);
	check(r == 1, "cp_mq_timedreceive with a 64-bit time", r, errno);
	mq_close(q);
	/* lockf of 5 GiB: cut to 32 bits, 1 GiB. */
	fd = cp_open(path, O_RDWR);
	r = cp_lockf(fd, F_LOCK, five_gib);
	check(r == 0, "cp_lockf of 5 GiB", r, errno);
	if ((pid = fork()) == 0) {
		struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
				   .l_start = five_gib - 4096, .l_len = 1 };

		_exit(fcntl(fd, F_GETLK, &q) == 0 && q.l_type == F_WRLCK ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "cp_lockf's lock reaches 5 GiB (seen by another process)", st, 0);
	close(fd);
}

int main(void)
{
	char path[] = "/tmp/cp-abi-XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || ftruncate(fd, five_gib + 4096)) {
		printf("ERROR: cannot make a sparse 5 GiB file in /tmp: %s\n",
		       strerror(errno));
		return 2;
	}
	check_offsets(fd);
	close(fd);
	check_open_and_lock(path);
	check_posix_times(path);
	unlink(path);
	check_times();
	check_recvmmsg();
	check_rusage();
	printf("%s: off_t %zu and time_t %zu bytes: %d failure(s)\n",
	       failures ? "FAIL" : "PASS", sizeof(off_t), sizeof(time_t),
	       failures);
	return failures ? 1 : 0;
}
