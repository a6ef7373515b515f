/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "notify.h"

#include "verdict.h"

#include <errno.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif

/* libseccomp 2.5 can only export BPF to a file descriptor: go through a
 * memfd and read the program back. */
static int notify_export(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	int fd = memfd_create("cpstorm-bpf", MFD_CLOEXEC);
	off_t len;
	int rc = -ENOMEM;

	if (fd < 0)
		return -errno;
	if ((rc = seccomp_export_bpf(ctx, fd)) < 0)
		goto out;
	len = lseek(fd, 0, SEEK_END);
	prog->len = (unsigned short)(len / sizeof(struct sock_filter));
	prog->filter = malloc((size_t)len);
	rc = -ENOMEM;
	if (!prog->filter)
		goto out;
	rc = pread(fd, prog->filter, (size_t)len, 0) == len ? 0 : -EIO;
out:
	close(fd);
	return rc;
}

int notify_install(long nr, uint64_t arg0)
{
	struct notify_rule rule = { .nr = nr, .arg0 = arg0 };

	return notify_install_rules(&rule, 1);
}

int notify_install_rules(const struct notify_rule *rules, int n)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	struct sock_fprog prog = { 0 };
	int rc = 0;

	if (!ctx)
		return -ENOMEM;
	/* Children inherit the filter: an i386 case's /bin/sh may be x86_64,
	 * and libseccomp kills a call of another arch by default. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	for (int i = 0; i < n && rc == 0; i++)
		rc = rules[i].any_arg
			? seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, (int)rules[i].nr, 0)
			: seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, (int)rules[i].nr, 1,
					   SCMP_A0(SCMP_CMP_EQ, rules[i].arg0));
	if (rc == 0)
		rc = notify_export(ctx, &prog);
	seccomp_release(ctx);
	if (rc < 0)
		return rc;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		rc = -errno;
	else
		rc = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				  SECCOMP_FILTER_FLAG_NEW_LISTENER |
					  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
				  &prog);
	if (rc < 0)
		rc = -errno;
	free(prog.filter);
	return rc;
}

int notify_install_any(long nr)
{
	struct notify_rule rule = { .nr = nr, .any_arg = 1 };

	return notify_install_rules(&rule, 1);
}

void notify_require(int listener)
{
	if (listener == -EINVAL || listener == -EACCES || listener == -EPERM ||
	    listener == -ENOSYS)
		verdict_exit(VERDICT_SKIP, "seccomp user notification with "
			     "WAIT_KILLABLE_RECV (Linux >= 5.19) unavailable: %s",
			     strerror(-listener));
	if (listener < 0)
		verdict_exit(VERDICT_ERROR, "seccomp filter: %s",
			     strerror(-listener));
}

int notify_recv(int listener, struct seccomp_notif *n)
{
	memset(n, 0, sizeof *n);
	while (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, n))
		if (errno != EINTR)
			return -errno;
	return 0;
}

int notify_reply_fd(int listener, uint64_t id, int srcfd)
{
	struct seccomp_notif_addfd add = {
		.id = id,
		.flags = SECCOMP_ADDFD_FLAG_SEND,
		.srcfd = (uint32_t)srcfd,
	};
	int fd = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);

	return fd < 0 ? -errno : fd;
}

static int notify_send(int listener, struct seccomp_notif_resp *resp)
{
	return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) ? -errno : 0;
}

int notify_reply_val(int listener, uint64_t id, int64_t val, int error)
{
	struct seccomp_notif_resp resp = { .id = id, .val = val, .error = error };

	return notify_send(listener, &resp);
}

int notify_reply_continue(int listener, uint64_t id)
{
	struct seccomp_notif_resp resp = {
		.id = id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE,
	};

	return notify_send(listener, &resp);
}
