/*
 * xorshift64*: a small, fast, fixed-seed generator, identical on every host,
 * for what must replay the same bytes from the same seed (workload data,
 * generated traces, tests).  Not for anything secret.  Header-only.
 */
#ifndef TEESHM_COMMON_RNG_H
#define TEESHM_COMMON_RNG_H

#include <stdint.h>

/* The next value; *state must not be 0. */
static inline uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

#endif
