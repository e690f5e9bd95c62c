/*
 * The tests' random numbers: xorshift64*, small, fixed-seed and identical on
 * every host, so a failing sequence replays exactly.  Header-only.
 */
#ifndef TEESHM_TESTS_TEST_RNG_H
#define TEESHM_TESTS_TEST_RNG_H

#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static inline uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Uniform enough below bound (> 0) for tests; the modulo bias is irrelevant here. */
static inline uint64_t rng_below(uint64_t *state, uint64_t bound)
{
	return rng_next(state) % bound;
}

#endif
