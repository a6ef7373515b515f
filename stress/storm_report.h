/* SPDX-License-Identifier: MIT */
#ifndef STORM_REPORT_H
#define STORM_REPORT_H

#include "storm.h"

#include <procfs.h>

struct storm_result {
	double elapsed_s;            /* run and stop phases */
	double run_s;                /* run phase: the throughput figure */
	uint64_t run_cancellations;
	const struct fd_set_snapshot *leaked;
};

/* Human summary, then the JSON record as the last stdout line (and
 * appended to --json FILE). */
void storm_report(const struct storm_result *r);

#endif
