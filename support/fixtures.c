/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "fixtures.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

mqd_t fixture_mq(size_t msgsize, int full)
{
	struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = (long)msgsize };
	static int serial;
	char name[64];
	mqd_t q;

	snprintf(name, sizeof name, "/cpstorm-fixture-%d-%d", getpid(), serial++);
	if ((q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &a)) < 0)
		return -1;
	mq_unlink(name);
	if (full && mq_send(q, FIXTURE_MSG, sizeof FIXTURE_MSG, 0)) {
		mq_close(q);
		return -1;
	}
	return q;
}

long fixture_mq_count(mqd_t q)
{
	struct mq_attr a;

	return mq_getattr(q, &a) ? -1 : a.mq_curmsgs;
}

int fixture_msg(int full)
{
	struct fixture_msgbuf m = { 1, FIXTURE_MSG };
	struct msqid_ds ds;
	int id = msgget(IPC_PRIVATE, 0600);

	if (id < 0)
		return -1;
	if (msgctl(id, IPC_STAT, &ds) == 0) {
		ds.msg_qbytes = sizeof m.text;
		if (msgctl(id, IPC_SET, &ds) == 0 &&
		    (!full || msgsnd(id, &m, sizeof m.text, 0) == 0))
			return id;
	}
	msgctl(id, IPC_RMID, NULL);
	return -1;
}

long fixture_msg_count(int id)
{
	struct msqid_ds ds;

	return msgctl(id, IPC_STAT, &ds) ? -1 : (long)ds.msg_qnum;
}

int fixture_sig_pending(int sig)
{
	sigset_t set;

	sigpending(&set);
	return sigismember(&set, sig);
}

void fixture_sig_drain(int sig)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	while (sigtimedwait(&set, NULL, &zero) == sig)
		;
}

int fixture_child_exited(pid_t pid)
{
	siginfo_t si;

	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT);
}

int fixture_child_reaped(pid_t pid)
{
	siginfo_t si;

	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 &&
	       errno == ECHILD;
}
