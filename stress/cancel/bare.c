/* SPDX-License-Identifier: MIT */
/*
 * bare.c - --bare: the ceiling the storm is measured against.
 *
 * Every cancellation the storm acts on ends a thread, so its rate is
 * bounded by what the machine pays to create a thread, deliver it the
 * cancel and join it.  This loop pays exactly that and nothing else: K
 * creator threads (--cancellers) each create --batch targets with the
 * storm's stack size, cancel them through the backend, join them, and
 * start over.  A target blocks in the backend's pause(), so a cancel that
 * finds it blocked needs the signal, as in the storm; one that arrives
 * before the target reached pause() is acted on at its entry, which is
 * cheaper, and is counted apart so the figure says which it measured.
 */
#define _GNU_SOURCE
#include "cancel/cancel.h"
#include "targets.h"

#include <case.h>
#include <handshake.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

struct storm_bare_target {
	pthread_t th;
	volatile int blocked;   /* reached pause() */
};

struct storm_bare_creator {
	pthread_t th;
	uint64_t cancellations, blocked, failed;
};

static pthread_attr_t bare_attr;
static volatile int bare_stop;

static void *storm_bare_target(void *p)
{
	struct storm_bare_target *t = p;

	t->blocked = 1;
	storm.cfg->be->pause();
	return NULL;
}

static void *storm_bare_creator(void *p)
{
	struct storm_bare_creator *k = p;
	unsigned b = storm.cfg->batch;
	struct storm_bare_target *t = calloc(b, sizeof *t);

	if (!t)
		return NULL;
	while (!bare_stop) {
		unsigned n = 0;

		for (; n < b; n++) {
			t[n].blocked = 0;
			if (pthread_create(&t[n].th, &bare_attr, storm_bare_target,
					   &t[n]))
				break;
		}
		for (unsigned i = 0; i < n; i++)
			storm.cfg->be->cancel(t[i].th);
		for (unsigned i = 0; i < n; i++) {
			void *ret;

			/* A backend that loses the request would hang the
			 * loop: bounded, and the run ends as a failure. */
			if (join_bounded(t[i].th, &ret, STORM_JOIN_MS)) {
				fprintf(stderr, "cpstorm-storm: --bare: a target "
					"was not joined %d ms after its cancel\n",
					STORM_JOIN_MS);
				k->failed++;
				bare_stop = 1;
				continue;
			}
			if (ret != PTHREAD_CANCELED) {
				k->failed++;
				continue;
			}
			k->cancellations++;
			k->blocked += t[i].blocked;
		}
		if (n < b) {
			k->failed++;
			break;
		}
	}
	free(t);
	return NULL;
}

int storm_bare(const struct storm_config *c)
{
	struct storm_bare_creator *k = calloc(c->cancellers, sizeof *k);
	uint64_t n = 0, blocked = 0, failed = 0;
	struct timespec ts = { (time_t)c->duration_s,
			       (long)((c->duration_s - (time_t)c->duration_s) * 1e9) };
	double t0, cpu0, wall, cpu;

	if (!k || pthread_attr_init(&bare_attr) ||
	    pthread_attr_setstacksize(&bare_attr, storm_stack_bytes(c))) {
		fprintf(stderr, "cpstorm-storm: --bare: setup failed\n");
		return 2;
	}
	case_warm_unwinder(c->be);
	t0 = storm_now();
	cpu0 = storm_cpu_s();
	for (unsigned i = 0; i < c->cancellers; i++)
		if (pthread_create(&k[i].th, NULL, storm_bare_creator, &k[i])) {
			fprintf(stderr, "cpstorm-storm: --bare: cannot start "
				"creator %u\n", i);
			return 2;
		}
	nanosleep(&ts, NULL);   /* the run's length, not synchronisation */
	bare_stop = 1;
	for (unsigned i = 0; i < c->cancellers; i++) {
		pthread_join(k[i].th, NULL);
		n += k[i].cancellations;
		blocked += k[i].blocked;
		failed += k[i].failed;
	}
	wall = storm_now() - t0;
	cpu = storm_cpu_s() - cpu0;
	printf("bare: backend %s, %u creators, batch %u, stack %u KiB: "
	       "%llu cancellations in %.2f s = %.0f/s, %.0f per CPU-second, "
	       "%.0f%% of the CPUs busy (%.0f%% of the targets had started)\n",
	       c->be->name, c->cancellers, c->batch, c->stack_kib,
	       (unsigned long long)n, wall, n / wall, cpu > 0 ? n / cpu : 0,
	       100 * storm_cpu_busy(cpu, wall),
	       n ? 100.0 * (double)blocked / (double)n : 0);
	printf("{\"mode\":\"bare\",\"backend\":\"%s\",\"cancellers\":%u,"
	       "\"batch\":%u,\"stack_kib\":%u,\"cancellations\":%llu,"
	       "\"duration_s\":%.3f,\"per_second\":%.1f,\"per_cpu_second\":%.1f,"
	       "\"cpu_busy\":%.3f,\"blocked\":%llu,\"failed\":%llu}\n",
	       c->be->name, c->cancellers, c->batch, c->stack_kib,
	       (unsigned long long)n, wall, n / wall, cpu > 0 ? n / cpu : 0,
	       storm_cpu_busy(cpu, wall), (unsigned long long)blocked,
	       (unsigned long long)failed);
	free(k);
	return failed ? 1 : 0;
}
