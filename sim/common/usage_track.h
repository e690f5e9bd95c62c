/*
 * Reserved vs in-use memory over time, for teeshm's "waste" (reserved - in use).
 *
 * The caller reports a new level whenever either amount changes; the tracker
 * keeps peaks and the exact time-weighted integral of waste, from which the
 * mean follows.  Time is any monotone uint64 clock the caller picks (host ns or
 * modeled cycles): only differences matter.
 *
 * The integral of bytes x time overflows 64 bits quickly (1 TiB held for 2^24
 * units already does), so it is kept exactly as 128 bits in two uint64 halves
 * and divided with an exact 128/64 division: results feed exact regression
 * gates, where a long double's 64-bit mantissa would round.
 *
 * Fixed-size, allocation-free (fits in shared memory).  No locking: callers lock.
 */
#ifndef TEESHM_COMMON_USAGE_TRACK_H
#define TEESHM_COMMON_USAGE_TRACK_H

#include <stdint.h>

struct usage_track {
	uint64_t start_time;     /* the time given to usage_track_init */
	uint64_t last_time;      /* end of the integrated span; the current level holds from here */
	/* The current level, in effect since last_time. */
	uint64_t reserved_bytes;
	uint64_t in_use_bytes;
	uint64_t waste_bytes;    /* reserved - in use, or 0 for a bad sample */
	/* Integral of waste over [start_time, last_time], in byte x time units, 128 bits. */
	uint64_t waste_integral_lo;
	uint64_t waste_integral_hi;
	/* Results. */
	uint64_t reserved_peak_bytes;
	uint64_t in_use_peak_bytes;
	uint64_t waste_peak_bytes;
	uint64_t samples;        /* usage_track_set calls */
	uint64_t bad_samples;    /* of which had in use > reserved (a caller bug) */
	uint64_t clamped_times;  /* set/finish calls whose time went backwards */
};

/* Start at time now with nothing reserved or in use (waste 0 until the first set). */
void usage_track_init(struct usage_track *t, uint64_t now);
/*
 * From now on, reserved_bytes are reserved and in_use_bytes of them are in use.
 * The previous level is integrated up to now first.  A now earlier than the
 * last time given is taken as that last time (counted in clamped_times), so the
 * clock never runs backwards and earlier intervals are not rewritten.  in_use >
 * reserved is a caller bug: counted in bad_samples, and the waste of that level
 * is 0 (never an underflow); both amounts still count toward their peaks.
 */
void usage_track_set(struct usage_track *t, uint64_t now, uint64_t reserved_bytes,
		     uint64_t in_use_bytes);
/*
 * Close the current level's interval at now (clamped as in usage_track_set).
 * The level stays: a later set or finish simply continues the timeline.
 */
void usage_track_finish(struct usage_track *t, uint64_t now);

/* last_time - start_time: the span the integral covers. */
uint64_t usage_track_elapsed(const struct usage_track *t);
/*
 * floor(integral / elapsed), exact: the time-weighted mean waste over the
 * closed span.  With zero elapsed time, the current waste level.
 */
uint64_t usage_track_waste_mean_bytes(const struct usage_track *t);

/*
 * Invariants: last_time >= start_time; waste_bytes matches the current level;
 * peaks cover the current level and waste_peak <= reserved_peak; bad_samples <=
 * samples; the integral is 0 over no time and at most
 * waste_peak * elapsed.  Returns 0 or TS_EINVAL.
 */
int usage_track_check(const struct usage_track *t);

#endif
