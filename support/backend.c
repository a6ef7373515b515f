/* backend.c - the table of backends a case or the storm can run against. */
#define _GNU_SOURCE
#include "backend.h"

#include <cp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* libc's openat is variadic; the table wants a fixed signature. */
static int libc_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	return openat(dirfd, path, flags, mode);
}

static int cp_openat4(int dirfd, const char *path, int flags, mode_t mode)
{
	return cp_openat(dirfd, path, flags, mode);
}

static const struct backend backend_libc = {
	.name = "libc",
	.cancel = pthread_cancel,
	.testcancel = pthread_testcancel,
	.setcancelstate = pthread_setcancelstate,
	.setcanceltype = pthread_setcanceltype,
	.read = read,
	.write = write,
	.openat = libc_openat,
	.close = close,
	.accept4 = accept4,
	.recvmsg = recvmsg,
	.poll = poll,
	.nanosleep = nanosleep,
};

/* One libcp backend per strategy; they differ only in name. */
#define CP_BACKEND(strategy) {                                          \
	.name = "cp:" strategy,                                         \
	.cancel = cp_cancel,                                            \
	.testcancel = cp_testcancel,                                    \
	.setcancelstate = cp_setcancelstate,                            \
	.setcanceltype = cp_setcanceltype,                              \
	.read = cp_read,                                                \
	.write = cp_write,                                              \
	.openat = cp_openat4,                                           \
	.close = cp_close,                                              \
	.accept4 = cp_accept4,                                          \
	.recvmsg = cp_recvmsg,                                          \
	.poll = cp_poll,                                                \
	.nanosleep = cp_nanosleep,                                      \
}

static const struct backend backend_cp[] = {
	CP_BACKEND("reraise"),
	CP_BACKEND("timer"),
	CP_BACKEND("noretry"),
	CP_BACKEND("async"),
	CP_BACKEND("pcsyscall"),
};

#define N_CP (sizeof backend_cp / sizeof *backend_cp)

const char *backend_names(void)
{
	static char names[256];

	if (!names[0]) {
		strcpy(names, backend_libc.name);
		for (size_t i = 0; i < N_CP; i++) {
			strcat(names, " ");
			strcat(names, backend_cp[i].name);
		}
	}
	return names;
}

/* The strategy is libcp's to accept: EINVAL means this table names one the
 * library does not have (out of step), EBUSY that a request was already
 * made in this process. */
static const struct backend *backend_select(const struct backend *be,
					    char *err, size_t errlen)
{
	int rc = cp_set_strategy(be->name + 3);

	if (rc == 0)
		return be;
	if (rc == EINVAL)
		snprintf(err, errlen, "libcp has no strategy '%s' (backends: %s)",
			 be->name + 3, backend_names());
	else
		snprintf(err, errlen, "backend %s: cp_set_strategy: %s", be->name,
			 strerror(rc));
	return NULL;
}

const struct backend *backend_open(const char *name, char *err, size_t errlen)
{
	if (!strcmp(name, "libc"))
		return &backend_libc;
	if (!strcmp(name, "cp"))
		name = "cp:reraise";
	for (size_t i = 0; i < N_CP; i++) {
		if (strcmp(name, backend_cp[i].name))
			continue;
		return backend_select(&backend_cp[i], err, errlen);
	}
	snprintf(err, errlen, "unknown backend '%s' (choose from: %s)", name,
		 backend_names());
	return NULL;
}
