/* SPDX-License-Identifier: MIT */
/*
 * notify.h - holding a thread inside the kernel with seccomp user
 * notification, so a case can do things "while the syscall is in the
 * kernel" and then complete it with a result of its choosing.
 *
 * The filter is built with libseccomp; loading it uses the raw seccomp(2)
 * call because Debian 12's libseccomp 2.5.4 knows neither
 * SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux 5.19) nor
 * SECCOMP_ADDFD_FLAG_SEND (Linux 5.14).  WAIT_KILLABLE_RECV is what makes
 * the races deterministic: once the supervisor has received the
 * notification, non-fatal signals no longer abort the syscall; they stay
 * pending until the reply, and are delivered on the way back to user space
 * with the result already in the return register.
 */
#ifndef SUPPORT_NOTIFY_H
#define SUPPORT_NOTIFY_H

#include <linux/seccomp.h>
#include <stdint.h>

/* In the calling thread only (no TSYNC): notify on syscall `nr` when its
 * first argument equals arg0, allow everything else.  Returns the listener
 * fd, or -errno: -EINVAL means the kernel lacks one of the flags above,
 * -EACCES/-EPERM that seccomp is not permitted here. */
int notify_install(long nr, uint64_t arg0);

/* The same with several (syscall, first argument) pairs held by one
 * filter (a thread can have only one listener); any_arg: every call of
 * the syscall, whatever its arguments. */
struct notify_rule {
	long nr;
	uint64_t arg0;
	int any_arg;
};
int notify_install_rules(const struct notify_rule *rules, int n);

/* Every call of syscall `nr` in the calling thread, whatever its
 * arguments (for calls whose arguments the caller does not know, like
 * the wait inside system()). */
int notify_install_any(long nr);

/* For a case: end it when notify_install() returned -errno, with SKIP
 * when the kernel or the sandbox lacks the feature (EINVAL, EACCES, EPERM,
 * ENOSYS) and ERROR otherwise.  Does nothing for a listener fd. */
void notify_require(int listener);

/* Receive one notification (blocks).  Returns 0 or -errno. */
int notify_recv(int listener, struct seccomp_notif *n);

/* Complete notification `id` by installing a copy of srcfd in the
 * target's table and returning its number as the syscall result, in one
 * step (ADDFD_FLAG_SEND).  Returns the new fd number or -errno. */
int notify_reply_fd(int listener, uint64_t id, int srcfd);

/* Complete notification `id` with return value val (or -error). */
int notify_reply_val(int listener, uint64_t id, int64_t val, int error);

/* Let the kernel run the held syscall for real (FLAG_CONTINUE). */
int notify_reply_continue(int listener, uint64_t id);

#endif
