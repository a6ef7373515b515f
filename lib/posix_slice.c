/* SPDX-License-Identifier: MIT */
/* posix_slice.c - the C library's own functions, waiting in slices, and
 * the absolute times of the timed waits. */
#define _GNU_SOURCE
#include "posix_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <linux/futex.h>
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

const struct cp_abstime *cp_abstime_of(const struct timespec *ts,
				       struct cp_abstime *buf)
{
	if (!ts)
		return NULL;
	*buf = (struct cp_abstime){ .tv_sec = ts->tv_sec, .tv_nsec = ts->tv_nsec };
	return buf;
}

int cp_abstime_valid(const struct cp_abstime *abs)
{
	return abs->tv_nsec >= 0 && abs->tv_nsec < 1000000000L;
}

#if __SIZEOF_LONG__ == 4
/* libcp's 64-bit-time futex entry point (cp.h names it for callers built
 * with _TIME_BITS=64); it takes the kernel's struct __kernel_timespec. */
long cp_futex_time64(uint32_t *uaddr, int op, uint32_t val, const void *ts,
		     uint32_t *uaddr2, uint32_t val3);

long cp_futex_wait_until(uint32_t *word, int op, uint32_t val,
			 const struct cp_abstime *abs)
{
	struct { int64_t tv_sec, tv_nsec; } kts;

	/* No deadline: the plain futex call, as the C library's own
	 * untimed waits make it. */
	if (!abs)
		return cp_futex(word, op, val, NULL, NULL, FUTEX_BITSET_MATCH_ANY);
	kts.tv_sec = abs->tv_sec;
	kts.tv_nsec = abs->tv_nsec;   /* without the caller's padding */
	return cp_futex_time64(word, op, val, &kts, NULL, FUTEX_BITSET_MATCH_ANY);
}
#else
_Static_assert(sizeof(struct cp_abstime) == sizeof(struct timespec),
	       "on 64-bit arches a cp_abstime is a struct timespec");

long cp_futex_wait_until(uint32_t *word, int op, uint32_t val,
			 const struct cp_abstime *abs)
{
	return cp_futex(word, op, val, (const struct timespec *)abs, NULL,
			FUTEX_BITSET_MATCH_ANY);
}
#endif
