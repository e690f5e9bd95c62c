/*
 * The tests' random numbers: sim/common/rng.h's xorshift64*, fixed-seed and
 * identical on every host, so a failing sequence replays exactly.
 */
#ifndef TEESHM_TESTS_TEST_RNG_H
#define TEESHM_TESTS_TEST_RNG_H

#include <stdint.h>

#include "sim/common/rng.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Uniform enough below bound (> 0) for tests; the modulo bias is irrelevant here. */
static inline uint64_t rng_below(uint64_t *state, uint64_t bound)
{
	return rng_next(state) % bound;
}

#endif
