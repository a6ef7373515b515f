/* SPDX-License-Identifier: MIT */
/* procfs.c - reading /proc for leak accounting and hang diagnosis. */
#define _GNU_SOURCE
#include "procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int fd_entry_cmp(const void *a, const void *b)
{
	return ((const struct fd_entry *)a)->fd - ((const struct fd_entry *)b)->fd;
}

static int fds_fill(int dirfd, const char *name, struct fd_entry *e)
{
	struct stat st;
	ssize_t n;

	e->fd = atoi(name);
	n = readlinkat(dirfd, name, e->target, sizeof e->target - 1);
	e->target[n < 0 ? 0 : n] = 0;
	/* stat through the magic link: what the descriptor refers to. */
	if (fstatat(dirfd, name, &st, 0))
		return -1;   /* closed meanwhile: not part of the snapshot */
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	return 0;
}

int fds_snapshot(struct fd_set_snapshot *s)
{
	DIR *d = opendir("/proc/self/fd");
	size_t cap = 64;
	struct dirent *de;

	s->n = 0;
	s->e = malloc(cap * sizeof *s->e);
	if (!d || !s->e) {
		int err = errno;

		if (d)
			closedir(d);
		free(s->e);
		s->e = NULL;
		return -err;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9' ||
		    atoi(de->d_name) == dirfd(d))
			continue;
		if (s->n == cap) {
			struct fd_entry *bigger = realloc(s->e, 2 * cap * sizeof *s->e);

			if (!bigger) {
				closedir(d);
				fds_free(s);
				return -ENOMEM;
			}
			s->e = bigger;
			cap *= 2;
		}
		if (fds_fill(dirfd(d), de->d_name, &s->e[s->n]) == 0)
			s->n++;
	}
	closedir(d);
	qsort(s->e, s->n, sizeof *s->e, fd_entry_cmp);
	return 0;
}

void fds_free(struct fd_set_snapshot *s)
{
	free(s->e);
	s->e = NULL;
	s->n = 0;
}

static int fds_contains(const struct fd_set_snapshot *s, const struct fd_entry *e)
{
	const struct fd_entry *hit = bsearch(e, s->e, s->n, sizeof *e, fd_entry_cmp);

	return hit && hit->dev == e->dev && hit->ino == e->ino;
}

size_t fds_new(const struct fd_set_snapshot *before,
	       const struct fd_set_snapshot *after, struct fd_set_snapshot *out)
{
	out->n = 0;
	out->e = malloc((after->n ? after->n : 1) * sizeof *out->e);
	if (!out->e)
		return 0;
	for (size_t i = 0; i < after->n; i++)
		if (!fds_contains(before, &after->e[i]))
			out->e[out->n++] = after->e[i];
	return out->n;
}

void fds_describe(const struct fd_set_snapshot *s, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (size_t i = 0; i < s->n && used + 1 < len; i++) {
		int n = snprintf(buf + used, len - used, "%sfd %d -> %s",
				 i ? ", " : "", s->e[i].fd, s->e[i].target);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static int task_status_mask(pid_t tid, const char *key, uint64_t *mask)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	FILE *f;
	int rc = -ENOENT;

	snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
	if (!(f = fopen(path, "re")))
		return -errno;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			*mask = strtoull(line + klen + 1, NULL, 16);
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

int task_sigpending(pid_t tid, uint64_t *mask)
{
	return task_status_mask(tid, "SigPnd", mask);
}

int task_sigblocked(pid_t tid, uint64_t *mask)
{
	return task_status_mask(tid, "SigBlk", mask);
}

/* Read a small /proc/self/task/<tid>/<name> file into buf, trimmed. */
int proc_sigshared(uint64_t *mask)
{
	return task_status_mask((pid_t)syscall(SYS_gettid), "ShdPnd", mask);
}

long proc_status_number(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return v;
}

static int task_read(pid_t tid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/self/task/%d/%s", (int)tid, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = 0;
	return 0;
}

int task_signal_due(void *tid)
{
	uint64_t mask = 0;

	return task_sigpending(*(volatile pid_t *)tid, &mask) == 0 && mask != 0;
}

long task_syscall(pid_t tid)
{
	char line[256];

	if (task_read(tid, "syscall", line, sizeof line))
		return -2;
	if (line[0] >= '0' && line[0] <= '9')
		return strtol(line, NULL, 10);
	return strncmp(line, "running", 7) ? -2 : -1;
}

char task_state(pid_t tid)
{
	char stat[512], *p;

	/* The state follows the command name's closing parenthesis. */
	if (task_read(tid, "stat", stat, sizeof stat) || !(p = strrchr(stat, ')')) ||
	    p[1] != ' ')
		return 0;
	return p[2];
}

long long task_runs(pid_t tid)
{
	char buf[128];
	long long run_ns, wait_ns, runs;

	if (task_read(tid, "schedstat", buf, sizeof buf) ||
	    sscanf(buf, "%lld %lld %lld", &run_ns, &wait_ns, &runs) != 3)
		return -1;
	return runs;
}

static void task_flatten(char *s)
{
	for (; *s; s++)
		if (*s == '\n')
			*s = ';';
}

void task_diagnose(pid_t tid, char *buf, size_t len)
{
	char sys[256] = "?", wchan[64] = "?", stack[256] = "unreadable";
	char stat[512] = "", *state;

	task_read(tid, "syscall", sys, sizeof sys);
	task_read(tid, "wchan", wchan, sizeof wchan);
	if (task_read(tid, "stack", stack, sizeof stack) == 0)
		task_flatten(stack);
	task_read(tid, "stat", stat, sizeof stat);
	state = strrchr(stat, ')');
	snprintf(buf, len, "tid %d state %c syscall [%s] wchan %s stack [%s]",
		 (int)tid, state && state[1] ? state[2] : '?', sys, wchan, stack);
}
