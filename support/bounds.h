/* SPDX-License-Identifier: MIT */
/*
 * bounds.h - how long the harness waits, named once.
 *
 * Every wait of a case, a unit test, a benchmark or the storm is bounded,
 * so a hang becomes a verdict with a diagnosis instead of a stuck CI.  The
 * states waited for come at once on a healthy machine; the bounds are
 * generous for a loaded 2-core machine or a qemu-user emulator, and a few
 * of them in a row still end well inside a case's watchdog (30-50 s) and
 * ctest's TIMEOUT (60 s).
 */
#ifndef SUPPORT_BOUNDS_H
#define SUPPORT_BOUNDS_H

/* The harness's own steps: a thread started or blocked in its call (per
 * /proc), a handler entered, a signal taken or held.  Exceeding it means
 * the race was not set up: ERROR, not a finding about the backend. */
#define SETUP_BOUND_MS 5000

/* A cancellation request acts: the target's cleanup runs and the thread
 * can be joined.  Exceeding it is a lost request: FAIL (cases) or "lost"
 * (storm), with the thread's /proc syscall, wchan and stack. */
#define ACT_BOUND_MS 5000

/* The same bound in whole seconds, for messages ("still blocked 5 s
 * later"). */
#define BOUND_S(ms) ((ms) / 1000)

#endif
