/* SPDX-License-Identifier: MIT */
/*
 * cp_uring.h - a cancellable io_uring_wait_cqe() for liburing users.
 *
 * liburing's own wait enters the kernel through its own syscall wrapper,
 * which is no cancellation point.  cp_io_uring_wait_cqe() behaves like
 * io_uring_wait_cqe() (0 and *cqe set, or -errno) but waits through
 * cp_io_uring_enter(): a cancellation acts while it waits, and a
 * completion that is already there is returned, never lost.
 * Header-only, so libcp itself does not depend on liburing.
 */
#ifndef CP_URING_H
#define CP_URING_H

#include <cp.h>
#include <errno.h>
#include <liburing.h>

static inline int cp_io_uring_wait_cqe(struct io_uring *ring,
				       struct io_uring_cqe **cqe)
{
	for (;;) {
		if (io_uring_peek_cqe(ring, cqe) == 0 && *cqe)
			return 0;
		if (cp_io_uring_enter((unsigned int)ring->ring_fd, 0, 1,
				      IORING_ENTER_GETEVENTS, NULL) < 0 &&
		    errno != EAGAIN)
			return -errno;
	}
}

#endif
