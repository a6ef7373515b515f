/* SPDX-License-Identifier: MIT */
/* rng.h - splitmix64: tiny, fast, and every stream is a pure
 * function of (seed, purpose, index), which is what makes replay exact. */
#ifndef STORM_RNG_H
#define STORM_RNG_H

#include <stdint.h>

static inline uint64_t storm_rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The stream for one purpose: mix the parts, then step once. */
static inline uint64_t storm_rng_stream(uint64_t seed, uint64_t purpose,
					uint64_t index)
{
	uint64_t s = seed ^ (purpose * 0xd1b54a32d192ed03ULL) ^
		     (index * 0x8cb92ba72f3d8dd7ULL);

	storm_rng_next(&s);
	return s;
}

static inline uint64_t storm_rng_below(uint64_t *s, uint64_t n)
{
	return n ? storm_rng_next(s) % n : 0;
}

enum { STORM_RNG_TARGET = 1, STORM_RNG_CANCELLER, STORM_RNG_FEEDER,
       STORM_RNG_PRESSURE };

#endif
