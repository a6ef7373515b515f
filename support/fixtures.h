/* SPDX-License-Identifier: MIT */
/*
 * fixtures.h - what the POSIX cancellation-point cases wait on, set up
 * and inspected from outside the call: message queues that hold one
 * message, a signal every thread blocks, a child that has exited.
 */
#ifndef SUPPORT_FIXTURES_H
#define SUPPORT_FIXTURES_H

#include <mqueue.h>
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/* The one message every fixture queue carries. */
#define FIXTURE_MSG "kept"

/* A System V message as the fixtures send it. */
struct fixture_msgbuf {
	long type;
	char text[sizeof FIXTURE_MSG];
};

/* A POSIX queue with room for one message of up to msgsize bytes (it is
 * full with one), unlinked at once; FIXTURE_MSG queued when full is set.
 * The descriptor, or -1 (errno). */
mqd_t fixture_mq(size_t msgsize, int full);
long fixture_mq_count(mqd_t q);

/* A private System V queue that holds one fixture message at most;
 * FIXTURE_MSG queued when full is set.  Its id, or -1 (errno). */
int fixture_msg(int full);
long fixture_msg_count(int id);

/* Is signal `sig` pending for the process (every thread blocks it)? */
int fixture_sig_pending(int sig);

/* Take every pending `sig` away. */
void fixture_sig_drain(int sig);

/* Wait until child `pid` has exited, leaving it unreaped: 0 or -1. */
int fixture_child_exited(pid_t pid);

/* Has child `pid` been reaped (by anybody)? */
int fixture_child_reaped(pid_t pid);

#endif
