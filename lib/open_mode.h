/* SPDX-License-Identifier: MIT */
/*
 * open_mode.h - when open and openat take a mode argument: only when the
 * flags say a file may be made (O_CREAT, or O_TMPFILE, whose bits include
 * O_DIRECTORY so it must be tested whole).  libcp's wrappers, their
 * 64-bit entry points and the drop-in's open, openat and fortified checks
 * all read the variadic mode by this one rule.
 */
#ifndef CP_OPEN_MODE_H
#define CP_OPEN_MODE_H

#include <fcntl.h>
#include <stdarg.h>
#include <sys/types.h>

static inline int cp_open_takes_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

/* The mode argument from `ap`, or 0 when the flags say there is none. */
#define CP_OPEN_MODE(flags, ap) \
	(cp_open_takes_mode(flags) ? va_arg(ap, mode_t) : (mode_t)0)

#endif
