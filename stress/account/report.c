/* SPDX-License-Identifier: MIT */
/* report.c - the summary for people and the JSON record. */
#define _GNU_SOURCE
#include "account/account.h"
#include "account/coverage.h"
#include "options/options.h"
#include "ops/ops.h"
#include "oracles/oracles.h"
#include "pressure/pressure.h"

#include <cp_commit.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <time.h>
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif

/* What a leaked descriptor is, for attribution: its readlink target, or
 * for a socket "socket:@<abstract name>" of its (listener's) address, so
 * an accepted socket names the listener, and so the op. */
static void storm_leak_kind(const struct fd_entry *e, char *buf, size_t len)
{
	struct sockaddr_un a;
	socklen_t alen = sizeof a;

	snprintf(buf, len, "%s", e->target);
	if (strncmp(e->target, "socket:", 7) ||
	    getsockname(e->fd, (struct sockaddr *)&a, &alen) ||
	    a.sun_family != AF_UNIX ||
	    alen <= offsetof(struct sockaddr_un, sun_path) + 1 || a.sun_path[0])
		return;
	snprintf(buf, len, "socket:@%.*s",
		 (int)(alen - offsetof(struct sockaddr_un, sun_path) - 1),
		 a.sun_path + 1);
}

/* Which op allocates what a leaked descriptor points at: -1 unknown. */
static int storm_leak_op(const struct fd_entry *e)
{
	char kind[160];

	storm_leak_kind(e, kind, sizeof kind);
	for (unsigned i = 0; i < storm_nops; i++)
		if (storm_ops[i].leak_kind &&
		    !strncmp(kind, storm_ops[i].leak_kind,
			     strlen(storm_ops[i].leak_kind)))
			return (int)i;
	return -1;
}

static void storm_leaks_by_op(const struct fd_set_snapshot *leaked,
			      unsigned *by_op, unsigned *unknown)
{
	memset(by_op, 0, storm_nops * sizeof *by_op);
	*unknown = 0;
	for (size_t i = 0; i < leaked->n; i++) {
		int op = storm_leak_op(&leaked->e[i]);

		if (op >= 0)
			by_op[op]++;
		else
			(*unknown)++;
	}
}

static double storm_join_ms_mean(void)
{
	uint64_t n = storm.counts.joins_timed;

	return n ? storm.counts.join_us_total / 1e3 / (double)n : 0;
}


void storm_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void storm_json_config(FILE *f)
{
	const struct storm_config *c = storm.cfg;
	char ops[1024], how[128], pressure[64];

	storm_mixes_format(c, ops, sizeof ops, how, sizeof how);
	storm_pressure_format(c->pressure, pressure, sizeof pressure);
	fprintf(f, "\"duration_config_s\":%g,\"batch\":%u,\"stack_kib\":%u,"
		"\"signals_pct\":%u,\"sample_s\":%g,\"pressure_kinds\":\"%s\","
		"\"ops_mix\":\"%s\",\"how_mix\":\"%s\",\"uring_ops\":%d,",
		c->duration_s, c->batch, c->stack_kib, c->signals_pct,
		c->sample_s, pressure, ops, how, STORM_URING_OPS);
}

static void storm_json_outcomes(FILE *f, const struct storm_result *r)
{
	const struct storm_counts *n = &storm.counts;

	fprintf(f, "\"run_s\":%.3f,\"per_second_run\":%.1f,"
		"\"per_cpu_second_run\":%.1f,\"cpu_busy_run\":%.3f,"
		"\"acted_in_call\":%llu,\"acted_between\":%llu,"
		"\"in_handler_cp\":%llu,\"eintr_excused\":%llu,"
		"\"signals_sent\":%llu,\"timer_late\":%llu,"
		"\"how\":{", r->run_s,
		r->run_s > 0 ? r->run_cancellations / r->run_s : 0,
		r->run_cpu_s > 0 ? r->run_cancellations / r->run_cpu_s : 0,
		storm_cpu_busy(r->run_cpu_s, r->run_s),
		(unsigned long long)n->acted_in_call,
		(unsigned long long)n->acted_between,
		(unsigned long long)n->in_handler_cp,
		(unsigned long long)n->eintr_excused,
		(unsigned long long)n->signals_sent,
		(unsigned long long)n->timer_late);
	for (unsigned i = 0; i < STORM_NHOW; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", storm_how_names[i],
			(unsigned long long)n->how_sent[i]);
	fputs("},", f);
	storm_mem_json(f);
	fputs(",", f);
}

/* The outcomes that fail a run, under the keys of their table. */
static void storm_json_failing(FILE *f, const struct storm_result *r)
{
	for (unsigned i = 0; i < storm_noutcomes; i++) {
		uint64_t n = storm_outcome_value(&storm_outcomes[i], r);

		if (storm_outcomes[i].is_flag)
			fprintf(f, "\"%s\":%s,", storm_outcomes[i].key,
				n ? "true" : "false");
		else
			fprintf(f, "\"%s\":%llu,", storm_outcomes[i].key,
				(unsigned long long)n);
	}
}

static void storm_json_counts(FILE *f, const struct storm_result *r)
{
	const struct storm_config *c = storm.cfg;
	const struct storm_counts *n = &storm.counts;

	fprintf(f, "{\"backend\":\"%s\",\"seed\":%llu,\"threads\":%u,"
		"\"cancellers\":%u,\"noise_pct\":%u,\"duration_s\":%.3f,"
		"\"cancellations\":%llu,\"per_second\":%.1f,",
		c->be->name, (unsigned long long)c->seed, c->threads,
		c->cancellers, c->noise_pct, r->elapsed_s,
		(unsigned long long)n->cancellations,
		n->cancellations / r->elapsed_s);
	storm_json_failing(f, r);
	fprintf(f, "\"recovered\":%llu,\"stuck\":%llu,"
		"\"not_cancelled\":%llu,"
		"\"noise_sent\":%llu,\"noise_handled\":%llu,"
		"\"join_ms_mean\":%.3f,"
		"\"join_ms_max\":%.3f,\"fd_table_full\":%llu,"
		"\"uring_unclaimed\":%llu,\"vm_hwm_kib\":%ld,",
		(unsigned long long)n->recovered,
		(unsigned long long)n->stuck,
		(unsigned long long)n->not_cancelled,
		(unsigned long long)n->noise_sent,
		(unsigned long long)n->noise_handled,
		storm_join_ms_mean(),
		n->join_us_max / 1e3, (unsigned long long)n->fd_table_full,
		(unsigned long long)n->uring_unclaimed,
		proc_status_number("VmHWM"));
}

/* Where and from what the record came, under the names the runner's
 * records use (runner/cpstorm_lib/provenance.py): a record read next to
 * others from another machine, kernel or commit still says which it is. */
static void storm_json_provenance(FILE *f, const struct storm_result *r)
{
	time_t started = time(NULL) - (time_t)r->elapsed_s;
	char when[32] = "";
	struct utsname u;
	cpu_set_t cpus;
	struct tm tm;

	if (uname(&u))
		memset(&u, 0, sizeof u);
	CPU_ZERO(&cpus);
	if (gmtime_r(&started, &tm))
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs("\"commit\":", f);
	storm_json_string(f, CP_SOURCE_COMMIT);
	fputs(",\"host\":", f);
	storm_json_string(f, u.nodename);
	fputs(",\"arch\":", f);
	storm_json_string(f, u.machine);
	fputs(",\"kernel\":", f);
	storm_json_string(f, u.release);
#ifdef __GLIBC__
	fprintf(f, ",\"libc\":\"glibc %s\"", gnu_get_libc_version());
#else
	fputs(",\"libc\":\"not glibc\"", f);
#endif
	fprintf(f, ",\"cpus\":%d,\"started\":\"%s\",",
		sched_getaffinity(0, sizeof cpus, &cpus) ? 0 : CPU_COUNT(&cpus),
		when);
}

/* What the oracles counted beside their failing outcomes, the timers
 * and pressure they saw. */
static void storm_json_oracles(FILE *f)
{
	const struct storm_counts *n = &storm.counts;

	fprintf(f, "\"longjmp_escapes\":%llu,\"children\":%llu,"
		"\"children_unjudged\":%llu,\"respawn_failed\":%llu,"
		"\"cancel_eagain\":%llu,",
		(unsigned long long)n->longjmp_escapes,
		(unsigned long long)n->children,
		(unsigned long long)n->children_unjudged,
		(unsigned long long)n->respawn_failed,
		(unsigned long long)n->cancel_eagain);
	storm_timers_json(f);
	fputs(",", f);
	storm_pressure_json(f);
	fputs(",", f);
}

static void storm_json(FILE *f, const struct storm_result *r)
{
	unsigned by_op[STORM_MAX_OPS], unknown;

	storm_leaks_by_op(r->leaked, by_op, &unknown);
	storm_json_counts(f, r);
	storm_json_provenance(f, r);
	storm_json_config(f);
	storm_json_outcomes(f, r);
	storm_json_oracles(f);
	storm_coverage_json(f);
	fputs("\"ops\":{", f);
	for (unsigned i = 0; i < storm_nops; i++)
		fprintf(f, "%s\"%s\":{\"completed\":%llu,\"cancelled_in\":%llu,"
			"\"leaked\":%u,\"call_ns\":%llu,\"resource_failed\":%llu}",
			i ? "," : "", storm_ops[i].name,
			(unsigned long long)storm.counts.op_runs[i],
			(unsigned long long)storm.counts.op_cancelled[i], by_op[i],
			(unsigned long long)storm.counts.op_call_ns[i],
			(unsigned long long)storm.counts.op_resource_failed[i]);
	fprintf(f, "},\"leaked_unattributed\":%u,\"lost_detail\":", unknown);
	storm_lost_json(f);
	fputs(",\"violations\":", f);
	storm_violations_json(f);
	fputs(",\"failed\":[", f);
	for (unsigned i = 0, n = 0; i < storm_noutcomes; i++)
		if (storm_outcome_value(&storm_outcomes[i], r))
			fprintf(f, "%s\"%s\"", n++ ? "," : "",
				storm_outcomes[i].key);
	fputs("]}\n", f);
}

/* "recvmsg-scm 2170, openat 3 (e.g. fd 9 -> anon_inode:[eventfd])" */
static void storm_leak_summary(const struct fd_set_snapshot *leaked,
			       char *buf, size_t len)
{
	unsigned by_op[STORM_MAX_OPS], unknown;
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
	if (used < len) {
		char kind[160];

		storm_leak_kind(&leaked->e[0], kind, sizeof kind);
		snprintf(buf + used, len - used, " (e.g. fd %d -> %s)",
			 leaked->e[0].fd, kind);
	}
}

static void storm_summary(const struct storm_result *r)
{
	const struct storm_counts *n = &storm.counts;
	char what[512], ops[1024], how[128];

	storm_mixes_format(storm.cfg, ops, sizeof ops, how, sizeof how);

	storm_leak_summary(r->leaked, what, sizeof what);
	printf("storm: backend %s, seed %llu, %u threads, %u cancellers, "
	       "noise %u%%, %.1f s\n", storm.cfg->be->name,
	       (unsigned long long)storm.cfg->seed, storm.cfg->threads,
	       storm.cfg->cancellers, storm.cfg->noise_pct, r->elapsed_s);
	printf("storm: mix: ops %s; cancellers %s; batch %u, stack %u KiB, "
	       "signals %u%%\n", ops, how, storm.cfg->batch,
	       storm.cfg->stack_kib, storm.cfg->signals_pct);
	printf("storm: %llu cancellations (%.0f/s; %.0f/s in the run phase), "
	       "%llu lost (%llu joined after feeding, %llu never), %llu not "
	       "cancelled\n",
	       (unsigned long long)n->cancellations, n->cancellations / r->elapsed_s,
	       r->run_s > 0 ? r->run_cancellations / r->run_s : 0,
	       (unsigned long long)n->lost, (unsigned long long)n->recovered,
	       (unsigned long long)n->stuck, (unsigned long long)n->not_cancelled);
	printf("storm: run phase: %.0f cancellations per CPU-second, %.0f%% "
	       "of the CPUs busy\n",
	       r->run_cpu_s > 0 ? r->run_cancellations / r->run_cpu_s : 0,
	       100 * storm_cpu_busy(r->run_cpu_s, r->run_s));
	printf("storm: cancel -> joined: mean %.2f ms, max %.1f ms\n",
	       storm_join_ms_mean(), n->join_us_max / 1e3);
	printf("storm: sent: %llu direct, %llu by timer handler (%llu late), "
	       "%llu fuzzy; acted: %llu in the call, %llu between calls "
	       "(deferred past completion), %llu in a handler's own "
	       "cancellation point\n",
	       (unsigned long long)n->how_sent[STORM_HOW_DIRECT],
	       (unsigned long long)n->how_sent[STORM_HOW_TIMER],
	       (unsigned long long)n->timer_late,
	       (unsigned long long)n->how_sent[STORM_HOW_FUZZY],
	       (unsigned long long)n->acted_in_call,
	       (unsigned long long)n->acted_between,
	       (unsigned long long)n->in_handler_cp);
	printf("storm: signals: noise %llu sent, %llu handled, %llu unrelated; "
	       "%llu cancellations acted inside a handler (at least), %llu "
	       "spurious EINTR (%llu excused)\n",
	       (unsigned long long)n->noise_sent,
	       (unsigned long long)n->noise_handled,
	       (unsigned long long)n->signals_sent,
	       (unsigned long long)n->inside_handler,
	       (unsigned long long)n->spurious_eintr,
	       (unsigned long long)n->eintr_excused);
	for (unsigned i = 0; i < storm_nops; i++)
		if (storm.cfg->op_weight[i])
			printf("storm:   op %-16s %10llu completed, %8llu cancelled "
			       "inside, call %8.1f us, %llu out of resources\n",
			       storm_ops[i].name,
			       (unsigned long long)n->op_runs[i],
			       (unsigned long long)n->op_cancelled[i],
			       n->op_call_ns[i] / 1e3,
			       (unsigned long long)n->op_resource_failed[i]);
	printf("storm: oracles: %llu mask violations, %llu EINTR in cleanup "
	       "handlers, %llu of %llu children lost, %llu timers and %llu "
	       "signals left; %llu siglongjmp escapes\n",
	       (unsigned long long)n->mask_violations,
	       (unsigned long long)n->cleanup_eintr,
	       (unsigned long long)n->children_lost,
	       (unsigned long long)n->children,
	       (unsigned long long)storm_timers_leaked(),
	       (unsigned long long)storm_signals_queued(),
	       (unsigned long long)n->longjmp_escapes);
	storm_violations_print(stdout);
	storm_timers_print(stdout);
	if (storm.cfg->pressure)
		storm_pressure_print(stdout);
	storm_coverage_print(stdout);
	storm_mem_print(stdout);
	storm_lost_print(stdout);
	printf("storm: leaked fds: %zu%s\n", r->leaked->n, what);
	if (n->stuck)
		printf("storm: %llu threads never exited: descriptors they hold "
		       "count as leaked\n", (unsigned long long)n->stuck);
	if (n->fd_table_full)
		printf("storm: the descriptor table filled up (%llu EMFILE): "
		       "the leak count is a lower bound\n",
		       (unsigned long long)n->fd_table_full);
	if (n->uring_unclaimed)
		printf("storm: %llu io_uring completions no op claimed: the "
		       "harness lost track of requests it submitted (their "
		       "descriptors were closed at the end)\n",
		       (unsigned long long)n->uring_unclaimed);
}

void storm_report(const struct storm_result *r)
{
	storm_summary(r);
	if (storm.cfg->json) {
		storm_json(storm.cfg->json, r);
		if (fclose(storm.cfg->json))
			fprintf(stderr, "cpstorm-storm: --json %s: write failed\n",
				storm.cfg->json_path);
	}
	storm_json(stdout, r);
	fflush(stdout);
}
