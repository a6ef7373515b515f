/* SPDX-License-Identifier: MIT */
/*
 * targets.h - the storm's target threads and their slots (targets.c).
 *
 * A target loops: pick an op (seeded), run it, pass a cancellation point.
 * Its cleanup handler attributes the cancellation (in the op's call,
 * between calls, inside a storm handler) and releases what the thread
 * held.  A canceller owns a slot while it cancels, joins and refills it.
 */
#ifndef STORM_TARGETS_H
#define STORM_TARGETS_H

#include "storm.h"

/* The pick table of the configured op mix and the threads' attributes. */
int storm_targets_init(void);

/* The target threads' stack size: --stack, raised to the system's
 * minimum where it is below. */
size_t storm_stack_bytes(const struct storm_config *c);

/* Start a new generation in s: 0 or an errno. */
int storm_slot_spawn(struct storm_slot *s);
/* 0 joined (the slot is free), 1 timed out. */
int storm_slot_join(struct storm_slot *s, int timeout_ms, void **ret);
/* Its thread was joined some other way: the slot is free. */
void storm_slot_gone(struct storm_slot *s);
/* Book a joined thread's return value. */
void storm_slot_count(void *ret);

/* The calling target's slot, and the bracket around an op's cancellation
 * point: attributes where a cancellation acted, times the call for the
 * fuzzy canceller, and resets the EINTR excuse. */
extern __thread struct storm_slot *storm_self;
void storm_call_begin(void);
void storm_call_end(void);

#endif
