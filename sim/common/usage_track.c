/* Reserved vs in-use memory over time: peaks and the exact 128-bit integral of waste. */
#include "sim/common/usage_track.h"

#include <string.h>

#include "sim/common/ts_err.h"
#include "sim/common/u128.h"

void usage_track_init(struct usage_track *t, uint64_t now)
{
	memset(t, 0, sizeof(*t));
	t->start_time = now;
	t->last_time = now;
}

/*
 * Integrate the current level over [last_time, now] and move last_time to now.
 * Waste <= 2^64 - 1 and the whole span < 2^64, so the integral stays below 2^128.
 */
static void advance(struct usage_track *t, uint64_t now)
{
	uint64_t hi, lo;

	if (now < t->last_time) {
		t->clamped_times++;
		now = t->last_time;
	}
	mul_u64_u64(t->waste_bytes, now - t->last_time, &hi, &lo);
	add_u128(&t->waste_integral_hi, &t->waste_integral_lo, hi, lo);
	t->last_time = now;
}

void usage_track_set(struct usage_track *t, uint64_t now, uint64_t reserved_bytes,
		     uint64_t in_use_bytes)
{
	advance(t, now);
	t->samples++;
	t->reserved_bytes = reserved_bytes;
	t->in_use_bytes = in_use_bytes;
	if (in_use_bytes > reserved_bytes) {
		t->bad_samples++;
		t->waste_bytes = 0;
	} else {
		t->waste_bytes = reserved_bytes - in_use_bytes;
	}
	if (reserved_bytes > t->reserved_peak_bytes)
		t->reserved_peak_bytes = reserved_bytes;
	if (in_use_bytes > t->in_use_peak_bytes)
		t->in_use_peak_bytes = in_use_bytes;
	if (t->waste_bytes > t->waste_peak_bytes)
		t->waste_peak_bytes = t->waste_bytes;
}

void usage_track_finish(struct usage_track *t, uint64_t now)
{
	advance(t, now);
}

uint64_t usage_track_elapsed(const struct usage_track *t)
{
	return t->last_time - t->start_time;
}

uint64_t usage_track_waste_mean_bytes(const struct usage_track *t)
{
	uint64_t elapsed = usage_track_elapsed(t);

	if (elapsed == 0)
		return t->waste_bytes;
	/* integral <= waste_peak * elapsed < 2^64 * elapsed, so hi < elapsed. */
	if (t->waste_integral_hi >= elapsed)
		return UINT64_MAX; /* corrupt; usage_track_check reports it */
	return div_u128_by_u64(t->waste_integral_hi, t->waste_integral_lo, elapsed);
}

int usage_track_check(const struct usage_track *t)
{
	uint64_t elapsed, bound_hi, bound_lo;

	if (t->last_time < t->start_time)
		return TS_EINVAL;
	if (t->in_use_bytes > t->reserved_bytes) {
		if (t->waste_bytes != 0 || t->bad_samples == 0)
			return TS_EINVAL;
	} else if (t->waste_bytes != t->reserved_bytes - t->in_use_bytes) {
		return TS_EINVAL;
	}
	if (t->reserved_bytes > t->reserved_peak_bytes || t->in_use_bytes > t->in_use_peak_bytes ||
	    t->waste_bytes > t->waste_peak_bytes || t->waste_peak_bytes > t->reserved_peak_bytes)
		return TS_EINVAL;
	if (t->bad_samples > t->samples)
		return TS_EINVAL;
	if (t->samples == 0 && (t->reserved_peak_bytes || t->in_use_peak_bytes))
		return TS_EINVAL;
	elapsed = usage_track_elapsed(t);
	mul_u64_u64(t->waste_peak_bytes, elapsed, &bound_hi, &bound_lo);
	if (t->waste_integral_hi > bound_hi ||
	    (t->waste_integral_hi == bound_hi && t->waste_integral_lo > bound_lo))
		return TS_EINVAL;
	return 0;
}
