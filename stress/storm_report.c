/* storm_report.c - the summary for people and the JSON record. */
#define _GNU_SOURCE
#include "storm_report.h"

#include <stdio.h>
#include <string.h>

/* Which op allocates what a leaked descriptor points at. */
static const char *storm_leak_op(const char *target)
{
	for (unsigned i = 0; i < storm_nops; i++)
		if (storm_ops[i].leak_kind &&
		    !strncmp(target, storm_ops[i].leak_kind,
			     strlen(storm_ops[i].leak_kind)))
			return storm_ops[i].name;
	return "unknown";
}

static void storm_leaks_by_op(const struct fd_set_snapshot *leaked,
			      unsigned *by_op, unsigned *unknown)
{
	memset(by_op, 0, storm_nops * sizeof *by_op);
	*unknown = 0;
	for (size_t i = 0; i < leaked->n; i++) {
		const char *op = storm_leak_op(leaked->e[i].target);
		unsigned j;

		for (j = 0; j < storm_nops && strcmp(op, storm_ops[j].name); j++)
			;
		if (j < storm_nops)
			by_op[j]++;
		else
			(*unknown)++;
	}
}

static double storm_join_ms_mean(void)
{
	uint64_t n = storm_counts.joins_timed;

	return n ? storm_counts.join_us_total / 1e3 / (double)n : 0;
}

/* Peak resident memory of the whole storm (VmHWM), for memory per
 * target thread in `cpstorm bench`; -1 when /proc cannot tell. */
static long storm_vm_hwm_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

static void storm_json_counts(FILE *f, const struct storm_result *r)
{
	const struct storm_config *c = storm_cfg;
	const struct storm_counts *n = &storm_counts;

	fprintf(f, "{\"backend\":\"%s\",\"seed\":%llu,\"threads\":%u,"
		"\"cancellers\":%u,\"noise_pct\":%u,\"duration_s\":%.3f,"
		"\"cancellations\":%llu,\"per_second\":%.1f,\"leaked_fds\":%zu,"
		"\"lost\":%llu,\"recovered\":%llu,\"stuck\":%llu,"
		"\"not_cancelled\":%llu,\"inside_handler\":%llu,"
		"\"noise_sent\":%llu,\"noise_handled\":%llu,"
		"\"spurious_eintr\":%llu,\"join_ms_mean\":%.3f,"
		"\"join_ms_max\":%.3f,\"fd_table_full\":%llu,"
		"\"vm_hwm_kib\":%ld,",
		c->be->name, (unsigned long long)c->seed, c->threads,
		c->cancellers, c->noise_pct, r->elapsed_s,
		(unsigned long long)n->cancellations,
		n->cancellations / r->elapsed_s, r->leaked->n,
		(unsigned long long)n->lost, (unsigned long long)n->recovered,
		(unsigned long long)n->stuck,
		(unsigned long long)n->not_cancelled,
		(unsigned long long)n->inside_handler,
		(unsigned long long)n->noise_sent,
		(unsigned long long)n->noise_handled,
		(unsigned long long)n->spurious_eintr, storm_join_ms_mean(),
		n->join_us_max / 1e3, (unsigned long long)n->fd_table_full,
		storm_vm_hwm_kib());
}

static void storm_json(FILE *f, const struct storm_result *r)
{
	unsigned by_op[16], unknown;

	storm_leaks_by_op(r->leaked, by_op, &unknown);
	storm_json_counts(f, r);
	fputs("\"ops\":{", f);
	for (unsigned i = 0; i < storm_nops; i++)
		fprintf(f, "%s\"%s\":{\"completed\":%llu,\"cancelled_in\":%llu,"
			"\"leaked\":%u}", i ? "," : "", storm_ops[i].name,
			(unsigned long long)storm_counts.op_runs[i],
			(unsigned long long)storm_counts.op_cancelled[i], by_op[i]);
	fprintf(f, "},\"leaked_unattributed\":%u,\"lost_detail\":", unknown);
	storm_lost_json(f);
	fputs("}\n", f);
}

/* "recvmsg-scm 2170, openat 3 (e.g. fd 9 -> anon_inode:[eventfd])" */
static void storm_leak_summary(const struct fd_set_snapshot *leaked,
			       char *buf, size_t len)
{
	unsigned by_op[16], unknown;
	size_t used = 0;

	buf[0] = 0;
	if (!leaked->n)
		return;
	storm_leaks_by_op(leaked, by_op, &unknown);
	for (unsigned i = 0; i < storm_nops; i++)
		if (by_op[i])
			used += (size_t)snprintf(buf + used, len - used, "%s%s %u",
						 used ? ", " : ": ",
						 storm_ops[i].name, by_op[i]);
	if (unknown && used < len)
		used += (size_t)snprintf(buf + used, len - used, "%sunattributed %u",
					 used ? ", " : ": ", unknown);
	if (used < len)
		snprintf(buf + used, len - used, " (e.g. fd %d -> %s)",
			 leaked->e[0].fd, leaked->e[0].target);
}

static void storm_summary(const struct storm_result *r)
{
	const struct storm_counts *n = &storm_counts;
	char what[512];

	storm_leak_summary(r->leaked, what, sizeof what);
	printf("storm: backend %s, seed %llu, %u threads, %u cancellers, "
	       "noise %u%%, %.1f s\n", storm_cfg->be->name,
	       (unsigned long long)storm_cfg->seed, storm_cfg->threads,
	       storm_cfg->cancellers, storm_cfg->noise_pct, r->elapsed_s);
	printf("storm: %llu cancellations (%.0f/s), %llu lost (%llu joined "
	       "after feeding, %llu never), %llu not cancelled\n",
	       (unsigned long long)n->cancellations, n->cancellations / r->elapsed_s,
	       (unsigned long long)n->lost, (unsigned long long)n->recovered,
	       (unsigned long long)n->stuck, (unsigned long long)n->not_cancelled);
	printf("storm: cancel -> joined: mean %.2f ms, max %.1f ms\n",
	       storm_join_ms_mean(), n->join_us_max / 1e3);
	printf("storm: noise: %llu sent, %llu handled; %llu cancellations "
	       "acted inside the handler (at least), %llu spurious EINTR\n",
	       (unsigned long long)n->noise_sent,
	       (unsigned long long)n->noise_handled,
	       (unsigned long long)n->inside_handler,
	       (unsigned long long)n->spurious_eintr);
	for (unsigned i = 0; i < storm_nops; i++)
		printf("storm:   op %-12s %10llu completed, %8llu cancelled inside\n",
		       storm_ops[i].name, (unsigned long long)n->op_runs[i],
		       (unsigned long long)n->op_cancelled[i]);
	storm_lost_print(stdout);
	printf("storm: leaked fds: %zu%s\n", r->leaked->n, what);
	if (n->stuck)
		printf("storm: %llu threads never exited: descriptors they hold "
		       "count as leaked\n", (unsigned long long)n->stuck);
	if (n->fd_table_full)
		printf("storm: the descriptor table filled up (%llu EMFILE): "
		       "the leak count is a lower bound\n",
		       (unsigned long long)n->fd_table_full);
}

void storm_report(const struct storm_result *r)
{
	storm_summary(r);
	if (storm_cfg->json) {
		storm_json(storm_cfg->json, r);
		if (fclose(storm_cfg->json))
			fprintf(stderr, "cpstorm-storm: --json %s: write failed\n",
				storm_cfg->json_path);
	}
	storm_json(stdout, r);
	fflush(stdout);
}
