/* SPDX-License-Identifier: MIT */
/*
 * cp.h - libcp: race-free cancellable system calls for POSIX threads.
 *
 * libcp implements thread cancellation the "new approach" way (see
 * docs/design.md): a cancellation point is a small per-arch assembly
 * routine whose code range [begin, end) ends right after the syscall
 * instruction.  cp_cancel() sets a flag and, when the target may be inside
 * that routine, sends a signal.  The signal handler looks at the PC of the
 * interrupted context: inside [begin, end) means the kernel has not
 * completed the syscall (it was never entered, or it is being restarted),
 * so the cancellation is acted on; anywhere else means "defer".  A request
 * that lands while an unrelated handler runs on top of a cancellation point
 * acts when that handler returns to it; a handler that leaves by siglongjmp
 * abandons the call and leaves nothing of libcp's behind.
 *
 * Threads are plain pthread_create() threads; no registration is needed.
 * Acting on a cancellation calls pthread_exit(PTHREAD_CANCELED) from normal
 * (not signal) context, so pthread_cleanup_push handlers run and
 * pthread_join() returns PTHREAD_CANCELED.
 *
 * Conventions: cp_syscall() returns -errno; every other cp_ call follows
 * the libc convention of its namesake (return -1 and set errno).
 */
#ifndef CP_H
#define CP_H

#include <aio.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif
/* libcp is built with hidden visibility: exactly these are exported. */
#pragma GCC visibility push(default)

/* A 32-bit program built with 64-bit file offsets (_FILE_OFFSET_BITS=64)
 * or 64-bit times (_TIME_BITS=64, glibc >= 2.34) has its own off_t,
 * time_t, struct timespec, timeval and rusage: its calls reach the entry
 * points made for those types (cp_pread64, cp_nanosleep_time64, ...),
 * under the same names here.  On 64-bit arches nothing changes. */
#if defined(__USE_FILE_OFFSET64) && defined(__WORDSIZE) && __WORDSIZE == 32
#define CP_ABI_OFF64(name) __asm__(#name "64")
#else
#define CP_ABI_OFF64(name)
#endif
#if defined(__USE_TIME_BITS64) && defined(__TIMESIZE) && __TIMESIZE == 32
#define CP_ABI_TIME64(name) __asm__(#name "_time64")
#else
#define CP_ABI_TIME64(name)
#endif

/* Request cancellation of thread t (PTHREAD_CANCEL_* semantics: acted on
 * at t's next cp_ cancellation point while enabled, or at once when t's
 * type is asynchronous).  Returns 0 or an errno value, like pthread_cancel;
 * async-cancel-safe, as POSIX requires of pthread_cancel.  EAGAIN: the
 * request is made, but the signal that interrupts a blocked t could not be
 * queued (the real-time signal queue is at RLIMIT_SIGPENDING, and the
 * kernel then refuses every signal to another thread); t acts at its next
 * cancellation point, and calling cp_cancel(t) again sends the signal.
 * As with pthread_cancel, t must not have been joined or detached-and-
 * exited: its thread-local state is written directly.  libcp keeps its
 * own signal unblocked wherever it matters: a thread that inherited it
 * blocked unblocks it at its first cp_ call, and signal sets passed to cp_
 * calls never hold it. */
int cp_cancel(pthread_t t);

/* A cancellation point that does nothing else. */
void cp_testcancel(void);

/* Like pthread_setcancelstate / pthread_setcanceltype, with the
 * PTHREAD_CANCEL_* constants; they govern libcp cancellation only.
 * Return 0 or EINVAL. */
int cp_setcancelstate(int state, int *oldstate);
int cp_setcanceltype(int type, int *oldtype);

/* The raw cancellable system call: returns the kernel's result, -errno on
 * error, and never touches errno. */
long cp_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

/* Cancellation points with libc signatures and errno conventions. */
ssize_t cp_read(int fd, void *buf, size_t count);
ssize_t cp_write(int fd, const void *buf, size_t count);
int cp_open(const char *path, int flags, ...) CP_ABI_OFF64(cp_open);
int cp_openat(int dirfd, const char *path, int flags, ...)
	CP_ABI_OFF64(cp_openat);
/* close: Linux releases the descriptor even when close() reports EINTR, so
 * cp_close never acts on a cancellation after the syscall has run: it is a
 * cancellation point only before the kernel is entered.  If cp_close
 * returns (with any result), fd is gone; if it is cancelled, fd is open. */
int cp_close(int fd);
int cp_accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);
ssize_t cp_recvmsg(int fd, struct msghdr *msg, int flags);
int cp_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int cp_nanosleep(const struct timespec *req, struct timespec *rem)
	CP_ABI_TIME64(cp_nanosleep);

/* Files and descriptors.  cp_fcntl is a cancellation point only for
 * F_SETLKW and F_OFD_SETLKW; any other command is an ordinary call. */
ssize_t cp_readv(int fd, const struct iovec *iov, int iovcnt);
ssize_t cp_writev(int fd, const struct iovec *iov, int iovcnt);
ssize_t cp_pread(int fd, void *buf, size_t count, off_t offset)
	CP_ABI_OFF64(cp_pread);
ssize_t cp_pwrite(int fd, const void *buf, size_t count, off_t offset)
	CP_ABI_OFF64(cp_pwrite);
ssize_t cp_preadv(int fd, const struct iovec *iov, int iovcnt, off_t offset)
	CP_ABI_OFF64(cp_preadv);
ssize_t cp_pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset)
	CP_ABI_OFF64(cp_pwritev);
int cp_creat(const char *path, mode_t mode) CP_ABI_OFF64(cp_creat);
int cp_fsync(int fd);
int cp_fdatasync(int fd);
int cp_msync(void *addr, size_t length, int flags);
int cp_tcdrain(int fd);
int cp_fcntl(int fd, int cmd, ...) CP_ABI_OFF64(cp_fcntl);

/* Sockets.  (struct mmsghdr is declared by <sys/socket.h> only under
 * _GNU_SOURCE; the tag is enough here.) */
struct mmsghdr;
int cp_accept(int fd, struct sockaddr *addr, socklen_t *addrlen);
int cp_connect(int fd, const struct sockaddr *addr, socklen_t len);
ssize_t cp_recv(int fd, void *buf, size_t len, int flags);
ssize_t cp_recvfrom(int fd, void *buf, size_t len, int flags,
		    struct sockaddr *src, socklen_t *srclen);
int cp_recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
		struct timespec *timeout) CP_ABI_TIME64(cp_recvmmsg);
ssize_t cp_send(int fd, const void *buf, size_t len, int flags);
ssize_t cp_sendto(int fd, const void *buf, size_t len, int flags,
		  const struct sockaddr *dst, socklen_t dstlen);
ssize_t cp_sendmsg(int fd, const struct msghdr *msg, int flags);
int cp_sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags);

/* Waiting.  A cancellation pending when one of these ends with EINTR (as
 * they do after any handler, SA_RESTART or not) acts instead.
 * cp_clock_nanosleep returns the error number, like clock_nanosleep. */
int cp_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
	     const sigset_t *sigmask) CP_ABI_TIME64(cp_ppoll);
int cp_select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout)
	CP_ABI_TIME64(cp_select);
int cp_pselect(int nfds, fd_set *r, fd_set *w, fd_set *e,
	       const struct timespec *timeout, const sigset_t *sigmask)
	CP_ABI_TIME64(cp_pselect);
int cp_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout);
int cp_epoll_pwait(int epfd, struct epoll_event *events, int maxevents,
		   int timeout, const sigset_t *sigmask);
int cp_clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
		       struct timespec *rem) CP_ABI_TIME64(cp_clock_nanosleep);
int cp_pause(void);
int cp_sigsuspend(const sigset_t *mask);
int cp_sigtimedwait(const sigset_t *set, siginfo_t *info,
		    const struct timespec *timeout) CP_ABI_TIME64(cp_sigtimedwait);
int cp_sigwaitinfo(const sigset_t *set, siginfo_t *info);
pid_t cp_wait4(pid_t pid, int *status, int options, struct rusage *ru)
	CP_ABI_TIME64(cp_wait4);
pid_t cp_waitpid(pid_t pid, int *status, int options);
int cp_waitid(idtype_t idtype, id_t id, siginfo_t *info, int options);
/* A cancellation point for FUTEX_WAIT and FUTEX_WAIT_BITSET only. */
long cp_futex(uint32_t *uaddr, int op, uint32_t val,
	      const struct timespec *timeout, uint32_t *uaddr2, uint32_t val3)
	CP_ABI_TIME64(cp_futex);
/* io_uring_enter(2): a submit-and-wait that submitted anything reports the
 * count (the cancellation is then deferred), never loses it. */
int cp_io_uring_enter(unsigned int fd, unsigned int to_submit,
		      unsigned int min_complete, unsigned int flags,
		      const sigset_t *sig);

/*
 * Strategies: how the library behaves when a request lands while another
 * handler runs on top of a cancellation point that will block again once
 * that handler returns.  One per process, chosen by the CP_STRATEGY
 * environment variable or by cp_set_strategy() before the first request.
 *
 *  "reraise"  (default) the signal is sent again, kept blocked until that
 *             handler returns (sigreturn restores the cancellation point's
 *             mask), and then acts.
 *  "timer"    a per-thread timer re-sends it every millisecond until it
 *             acts (costs ticks, and EINTR for non-restarting calls in the
 *             handler that caused the decline).
 *
 * The installed library has these two.  cancelstorm's test build also has
 * three deliberately flawed designs (noretry, async, pcsyscall), so its
 * suite can show that it catches them; the installed library refuses their
 * names (EINVAL here; a one-line message and exit status 2 for CP_STRATEGY).
 *
 * cp_set_strategy returns 0, EINVAL for a name this library does not
 * offer, or EBUSY once a cancellation has been requested in this process.
 */
int cp_set_strategy(const char *name);
const char *cp_strategy(void);

/* The real-time signal libcp uses (default SIGRTMAX - 1; the environment
 * variable CP_SIGNAL=<n> overrides it).  libcp never touches the handlers
 * of any other signal. */
int cp_signal(void);

/*
 * ---- LIBCP_1.2: the rest of POSIX's cancellation points ----
 *
 * The mandatory cancellation points of POSIX (XSH 2.9.5.2) that are not
 * plain system calls.  Each is a cancellation point with the window rule
 * of the calls above: a request that lands before the wait completed acts
 * (cleanup handlers run, with a condition wait's mutex re-acquired first);
 * a wait the kernel completed (woken, posted, joined, received) returns to
 * the caller, and the request waits for the next cancellation point.  Each
 * also acts on a request already pending when it is called, also when it
 * would not block.  docs/cancellation-points.md has the whole list.
 */

/* Condition variables: a type of libcp's own (its wait must be libcp's
 * futex window; the C library's protocol is private).  All-zero is a valid
 * initial state (CP_COND_INITIALIZER), and it fits inside a pthread_cond_t.
 * Every operation on one condition variable must be a cp_cond_ one; the
 * mutex is an ordinary pthread_mutex_t of any type.  The attribute's clock
 * (CLOCK_REALTIME or CLOCK_MONOTONIC) and process-shared setting are
 * honoured; the return values are pthread_cond_*'s. */
typedef struct cp_cond {
	uint32_t seq;        /* futex word: moves with every signal */
	uint32_t waiters;    /* threads inside a wait */
	uint32_t flags;      /* clock, process-shared */
	uint32_t reserved;
} cp_cond_t;
#define CP_COND_INITIALIZER { 0, 0, 0, 0 }
int cp_cond_init(cp_cond_t *c, const pthread_condattr_t *attr);
int cp_cond_destroy(cp_cond_t *c);
int cp_cond_signal(cp_cond_t *c);
int cp_cond_broadcast(cp_cond_t *c);
int cp_cond_wait(cp_cond_t *c, pthread_mutex_t *m);
int cp_cond_timedwait(cp_cond_t *c, pthread_mutex_t *m,
		      const struct timespec *abstime)
	CP_ABI_TIME64(cp_cond_timedwait);
int cp_cond_clockwait(cp_cond_t *c, pthread_mutex_t *m, clockid_t clock,
		      const struct timespec *abstime)
	CP_ABI_TIME64(cp_cond_clockwait);

/* Semaphores: the C library's own sem_t (glibc: its process-shared
 * protocol is ABI, and libcp speaks it, so sem_init, sem_open, sem_post,
 * sem_getvalue and the C library's own waits work on the same semaphore,
 * also from another process).  -1 and errno, like sem_wait.  ENOSYS with
 * another C library. */
int cp_sem_wait(sem_t *s);
int cp_sem_timedwait(sem_t *s, const struct timespec *abstime)
	CP_ABI_TIME64(cp_sem_timedwait);
int cp_sem_clockwait(sem_t *s, clockid_t clock, const struct timespec *abstime)
	CP_ABI_TIME64(cp_sem_clockwait);

/* Joining: a cancelled join leaves its target joinable; a join whose
 * target has exited completes.  Error numbers like pthread_join. */
int cp_pthread_join(pthread_t t, void **ret);
int cp_pthread_timedjoin_np(pthread_t t, void **ret,
			    const struct timespec *abstime)
	CP_ABI_TIME64(cp_pthread_timedjoin_np);
int cp_pthread_clockjoin_np(pthread_t t, void **ret, clockid_t clock,
			    const struct timespec *abstime)
	CP_ABI_TIME64(cp_pthread_clockjoin_np);

/* Message queues, POSIX and System V. */
ssize_t cp_mq_receive(mqd_t q, char *buf, size_t len, unsigned int *prio);
ssize_t cp_mq_timedreceive(mqd_t q, char *buf, size_t len, unsigned int *prio,
			   const struct timespec *abstime)
	CP_ABI_TIME64(cp_mq_timedreceive);
int cp_mq_send(mqd_t q, const char *buf, size_t len, unsigned int prio);
int cp_mq_timedsend(mqd_t q, const char *buf, size_t len, unsigned int prio,
		    const struct timespec *abstime)
	CP_ABI_TIME64(cp_mq_timedsend);
ssize_t cp_msgrcv(int id, void *msg, size_t size, long type, int flags);
int cp_msgsnd(int id, const void *msg, size_t size, int flags);

/* The rest.  cp_lockf is a cancellation point for F_LOCK only.
 * cp_aio_suspend waits in slices of the C library's aio_suspend (its
 * completion wake-up is internal) and acts between them, within 10 ms.
 * cp_system kills and reaps its child when cancelled while waiting. */
unsigned int cp_sleep(unsigned int seconds);
int cp_usleep(unsigned int usec);
int cp_lockf(int fd, int cmd, off_t len) CP_ABI_OFF64(cp_lockf);
int cp_sigwait(const sigset_t *set, int *sig);
pid_t cp_wait(int *status);
int cp_aio_suspend(const struct aiocb *const list[], int n,
		   const struct timespec *timeout) CP_ABI_TIME64(cp_aio_suspend);
int cp_system(const char *command);

#undef CP_ABI_OFF64
#undef CP_ABI_TIME64
#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
