/* SPDX-License-Identifier: MIT */
/*
 * dropin.h - the drop-in library: POSIX's cancellation API and every
 * cancellation point under its POSIX name, on top of libcp, so that an
 * unmodified program runs on the new approach (LD_PRELOAD or linked
 * before the C library).  docs/drop-in.md says what it covers and what
 * it cannot.
 *
 * Every definition here is exported unversioned: the dynamic linker lets
 * an unversioned definition satisfy a versioned reference
 * (read@GLIBC_2.2.5, pthread_cond_wait@GLIBC_2.3.2), while a definition in
 * a version node of our own would match none and the program would keep
 * binding to the C library.  Everything else is hidden.
 */
#ifndef CP_DROPIN_H
#define CP_DROPIN_H

#define CP_DROPIN __attribute__((visibility("default")))

/* A second exported name for a definition in the same file (glibc's
 * public double-underscore aliases, the 64-bit file-offset names). */
#define CP_DROPIN_ALIAS(name, other)                                         \
	extern __typeof(name) other                                          \
		__attribute__((alias(#name), copy(name), visibility("default")))

/* Set once the drop-in has initialised libcp: from then on its cancel
 * signal is refused to sigaction and never blocked (signals.c). */
extern int cp_dropin_guarding __attribute__((visibility("hidden")));

#endif
