/* SPDX-License-Identifier: MIT */
/* kinds.h - the pressure kinds as a table, for the controller. */
#ifndef STORM_PRESSURE_KINDS_H
#define STORM_PRESSURE_KINDS_H

#include "pressure/pressure.h"

struct storm_pressure_kind {
	const char *name;
	unsigned bit;
	void (*apply)(void);      /* enter the window, or tighten within it */
	void (*release)(void);    /* the run's own limit back */
};

extern const struct storm_pressure_kind storm_pressure_kinds[];
extern const unsigned storm_npressure_kinds;

/* Before the first window: open the /proc files, save the limits. */
int storm_pressure_kinds_setup(void);
void storm_pressure_kinds_teardown(void);
/* Blocked in the controller thread, which queues it to itself. */
int storm_pressure_filler_signal(void);
/* Set when RLIMIT_AS turned out not to be enforced (qemu-user). */
extern int threads_unenforced;

#endif
