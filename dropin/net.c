/* SPDX-License-Identifier: MIT */
/* net.c - the socket cancellation points under their POSIX names. */
#define _GNU_SOURCE
#include "dropin.h"

#include <cp.h>
#include <sys/socket.h>

CP_DROPIN int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return cp_accept4(fd, addr, len, 0);
}

CP_DROPIN int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	return cp_accept4(fd, addr, len, flags);
}

CP_DROPIN int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	return cp_connect(fd, addr, len);
}
CP_DROPIN_ALIAS(connect, __connect);

CP_DROPIN ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	return cp_recv(fd, buf, n, flags);
}

CP_DROPIN ssize_t recvfrom(int fd, void *buf, size_t n, int flags,
			   struct sockaddr *src, socklen_t *len)
{
	return cp_recvfrom(fd, buf, n, flags, src, len);
}

CP_DROPIN ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	return cp_recvmsg(fd, msg, flags);
}

CP_DROPIN int recvmmsg(int fd, struct mmsghdr *vec, unsigned int n, int flags,
		       struct timespec *timeout)
{
	return cp_recvmmsg(fd, vec, n, flags, timeout);
}

CP_DROPIN ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	return cp_send(fd, buf, n, flags);
}
CP_DROPIN_ALIAS(send, __send);

CP_DROPIN ssize_t sendto(int fd, const void *buf, size_t n, int flags,
			 const struct sockaddr *dst, socklen_t len)
{
	return cp_sendto(fd, buf, n, flags, dst, len);
}

CP_DROPIN ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	return cp_sendmsg(fd, msg, flags);
}

CP_DROPIN int sendmmsg(int fd, struct mmsghdr *vec, unsigned int n, int flags)
{
	return cp_sendmmsg(fd, vec, n, flags);
}
