/* SPDX-License-Identifier: MIT */
/* wrappers_net.c - socket cancellation points with libc signatures. */
#define _GNU_SOURCE
#include "cp_internal.h"

#include <cp.h>
#include <sys/syscall.h>

int cp_accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	return cp_accept4(fd, addr, addrlen, 0);
}

int cp_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	return CP_CALL3(SYS_connect, fd, addr, len);
}

ssize_t cp_recv(int fd, void *buf, size_t len, int flags)
{
	return cp_recvfrom(fd, buf, len, flags, NULL, NULL);
}

ssize_t cp_recvfrom(int fd, void *buf, size_t len, int flags,
		    struct sockaddr *src, socklen_t *srclen)
{
	return CP_CALL(SYS_recvfrom, fd, buf, len, flags, src, srclen);
}

int cp_recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
		struct timespec *timeout)
{
	return CP_CALL(SYS_recvmmsg, fd, vec, vlen, flags, timeout, 0);
}

ssize_t cp_send(int fd, const void *buf, size_t len, int flags)
{
	return cp_sendto(fd, buf, len, flags, NULL, 0);
}

ssize_t cp_sendto(int fd, const void *buf, size_t len, int flags,
		  const struct sockaddr *dst, socklen_t dstlen)
{
	return CP_CALL(SYS_sendto, fd, buf, len, flags, dst, dstlen);
}

ssize_t cp_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	return CP_CALL3(SYS_sendmsg, fd, msg, flags);
}

int cp_sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	return CP_CALL(SYS_sendmmsg, fd, vec, vlen, flags, 0, 0);
}
