/* SPDX-License-Identifier: MIT */
/* posix_slice.c - the C library's own functions, and waiting in slices. */
#define _GNU_SOURCE
#include "posix_internal.h"

#include <dlfcn.h>
#include <errno.h>
#if defined(__GLIBC__)
#include <gnu/lib-names.h>
#endif

void *cp_libc_sym(const char *name)
{
#if defined(__GLIBC__)
	void *libc = dlopen(LIBC_SO, RTLD_LAZY | RTLD_NOLOAD);

	/* libc.so is loaded in every dynamic glibc program; the reference
	 * dlopen takes is dropped at once, it stays loaded. */
	if (libc) {
		void *sym = dlsym(libc, name);

		dlclose(libc);
		return sym;
	}
#endif
	return dlsym(RTLD_DEFAULT, name);
}

static int cp_ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

int cp_slice_end(clockid_t clock, const struct timespec *deadline,
		 struct timespec *end)
{
	clock_gettime(clock, end);
	if (deadline && !cp_ts_before(end, deadline))
		return ETIMEDOUT;
	end->tv_nsec += CP_SLICE_MS * 1000000L;
	if (end->tv_nsec >= 1000000000L) {
		end->tv_sec++;
		end->tv_nsec -= 1000000000L;
	}
	if (deadline && cp_ts_before(deadline, end))
		*end = *deadline;
	return 0;
}
