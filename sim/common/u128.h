/*
 * 128-bit unsigned arithmetic on (hi, lo) pairs of uint64_t, written out so
 * no module needs __int128: exact sums and means for the result JSON
 * (lat_hist, usage_track), where rounding would break exact gates.
 * Speed does not matter here: a few calls per sample or report.
 */
#ifndef TEESHM_COMMON_U128_H
#define TEESHM_COMMON_U128_H

#include <stdint.h>

static inline void mul_u64_u64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
	const uint64_t mask32 = 0xffffffffu;
	uint64_t a_lo = a & mask32, a_hi = a >> 32, b_lo = b & mask32, b_hi = b >> 32;
	uint64_t p_ll = a_lo * b_lo, p_lh = a_lo * b_hi, p_hl = a_hi * b_lo, p_hh = a_hi * b_hi;
	/* Bits 32..95 of the middle column: three terms below 2^32 each, so no overflow. */
	uint64_t mid = (p_ll >> 32) + (p_lh & mask32) + (p_hl & mask32);

	*lo = (mid << 32) | (p_ll & mask32);
	*hi = p_hh + (p_lh >> 32) + (p_hl >> 32) + (mid >> 32);
}

/* (hi:lo) += (add_hi:add_lo), modulo 2^128. */
static inline void add_u128(uint64_t *hi, uint64_t *lo, uint64_t add_hi, uint64_t add_lo)
{
	*lo += add_lo;
	*hi += add_hi + (*lo < add_lo);
}

/* floor((hi:lo) / d) for hi < d, so the quotient fits in 64 bits; shift and subtract. */
static inline uint64_t div_u128_by_u64(uint64_t hi, uint64_t lo, uint64_t d)
{
	uint64_t rem = hi, quot = 0;
	int bit;

	for (bit = 63; bit >= 0; bit--) {
		/* The remainder is < d < 2^64; shifting may push one bit past 64: keep it. */
		uint64_t carry = rem >> 63;

		rem = (rem << 1) | ((lo >> bit) & 1u);
		quot <<= 1;
		if (carry || rem >= d) {
			rem -= d; /* wraps back to the true value when carry is set */
			quot |= 1u;
		}
	}
	return quot;
}

#endif
