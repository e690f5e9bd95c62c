/* Reserved vs in-use tracking: hand-computed steps, clamping, bad samples, 128-bit integrals. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>

#include "sim/common/usage_track.h"
#include "tests/test_rng.h"

static void set_checked(struct usage_track *t, uint64_t now, uint64_t reserved, uint64_t in_use)
{
	usage_track_set(t, now, reserved, in_use);
	assert_int_equal(usage_track_check(t), 0);
}

static void finish_checked(struct usage_track *t, uint64_t now)
{
	usage_track_finish(t, now);
	assert_int_equal(usage_track_check(t), 0);
}

/* A three-step function has integral 600*50 + 100*100 + 1500*50 = 115000 over 200: mean 575. */
static void test_step_function(void **state)
{
	struct usage_track t;

	(void)state;
	usage_track_init(&t, 100);
	assert_int_equal(usage_track_check(&t), 0);
	set_checked(&t, 100, 1000, 400);
	set_checked(&t, 150, 1000, 900);
	set_checked(&t, 250, 2000, 500);
	finish_checked(&t, 300);
	assert_int_equal(usage_track_elapsed(&t), 200);
	assert_int_equal(t.waste_integral_lo, 115000);
	assert_int_equal(t.waste_integral_hi, 0);
	assert_int_equal(usage_track_waste_mean_bytes(&t), 575);
	assert_int_equal(t.reserved_peak_bytes, 2000);
	assert_int_equal(t.in_use_peak_bytes, 900);
	assert_int_equal(t.waste_peak_bytes, 1500);
	assert_int_equal(t.samples, 3);
	assert_int_equal(t.bad_samples, 0);
	assert_int_equal(t.clamped_times, 0);

	/* Finishing later continues the last level: +1500 * 100 over 100 more. */
	finish_checked(&t, 400);
	assert_int_equal(t.waste_integral_lo, 265000);
	assert_int_equal(usage_track_waste_mean_bytes(&t), 265000 / 300);
}

/* Time before the first set counts at waste 0, and the mean is rounded down. */
static void test_initial_zero_and_rounding(void **state)
{
	struct usage_track t;

	(void)state;
	usage_track_init(&t, 0);
	set_checked(&t, 10, 100, 0);
	finish_checked(&t, 20);
	assert_int_equal(usage_track_waste_mean_bytes(&t), 50); /* 1000 / 20 */

	usage_track_init(&t, 7);
	set_checked(&t, 7, 10, 0);
	set_checked(&t, 8, 10, 10);
	finish_checked(&t, 10);
	assert_int_equal(usage_track_waste_mean_bytes(&t), 3); /* floor(10 / 3) */
}

/* With no elapsed time the mean is the current waste level; a fresh tracker reports 0. */
static void test_zero_elapsed(void **state)
{
	struct usage_track t;

	(void)state;
	usage_track_init(&t, 5);
	assert_int_equal(usage_track_waste_mean_bytes(&t), 0);
	finish_checked(&t, 5);
	assert_int_equal(usage_track_waste_mean_bytes(&t), 0);
	set_checked(&t, 5, 100, 30);
	assert_int_equal(usage_track_waste_mean_bytes(&t), 70);
	set_checked(&t, 5, 100, 90);
	finish_checked(&t, 5);
	assert_int_equal(usage_track_elapsed(&t), 0);
	assert_int_equal(usage_track_waste_mean_bytes(&t), 10);
	assert_int_equal(t.waste_peak_bytes, 70);
	assert_int_equal(t.waste_integral_lo, 0);
}

/* A time earlier than the last is taken as the last: counted, earlier intervals untouched. */
static void test_clamped_time(void **state)
{
	struct usage_track t;

	(void)state;
	usage_track_init(&t, 100);
	set_checked(&t, 200, 100, 0);     /* waste 0 over [100, 200] */
	set_checked(&t, 150, 50, 0);      /* at 200 really: waste 100 over nothing */
	assert_int_equal(t.clamped_times, 1);
	assert_int_equal(t.last_time, 200);
	assert_int_equal(t.waste_integral_lo, 0);
	finish_checked(&t, 300);          /* waste 50 over [200, 300] */
	finish_checked(&t, 250);          /* clamped, adds nothing */
	assert_int_equal(t.clamped_times, 2);
	assert_int_equal(t.last_time, 300);
	assert_int_equal(t.waste_integral_lo, 5000);
	assert_int_equal(usage_track_waste_mean_bytes(&t), 25);
	assert_int_equal(t.waste_peak_bytes, 100);

	/* A clock before init is clamped too: nothing integrated, elapsed stays 0. */
	usage_track_init(&t, 1000);
	set_checked(&t, 10, 64, 0);
	assert_int_equal(usage_track_elapsed(&t), 0);
	assert_int_equal(t.clamped_times, 1);
}

/* In use above reserved is counted as bad, wastes 0 for its interval, and never underflows. */
static void test_bad_sample(void **state)
{
	struct usage_track t;

	(void)state;
	usage_track_init(&t, 0);
	set_checked(&t, 0, 100, 60);      /* waste 40 over [0, 10] */
	set_checked(&t, 10, 100, 150);    /* bad: waste 0 over [10, 30] */
	assert_int_equal(t.bad_samples, 1);
	assert_int_equal(t.waste_bytes, 0);
	set_checked(&t, 30, 200, 200);    /* waste 0 over [30, 40] */
	finish_checked(&t, 40);
	assert_int_equal(t.waste_integral_lo, 400);
	assert_int_equal(t.waste_integral_hi, 0);
	assert_int_equal(usage_track_waste_mean_bytes(&t), 10);
	assert_int_equal(t.waste_peak_bytes, 40);
	assert_int_equal(t.in_use_peak_bytes, 200);
	assert_int_equal(t.reserved_peak_bytes, 200);
	assert_int_equal(t.samples, 3);
	assert_int_equal(t.bad_samples, 1);

	/* Extreme bad sample: reserved 0, in use UINT64_MAX. */
	set_checked(&t, 50, 0, UINT64_MAX);
	finish_checked(&t, 60);
	assert_int_equal(t.waste_integral_lo, 400);
	assert_int_equal(t.bad_samples, 2);
	assert_int_equal(t.in_use_peak_bytes, UINT64_MAX);
}

/* 1 TiB wasted for 2^40 units integrates to exactly 2^80 and a mean of exactly 1 TiB. */
static void test_integral_beyond_64_bits(void **state)
{
	const uint64_t tib = 1ull << 40;
	struct usage_track t;

	(void)state;
	usage_track_init(&t, 0);
	set_checked(&t, 0, tib, 0);
	finish_checked(&t, 1ull << 40);
	assert_int_equal(t.waste_integral_hi, 1ull << 16);
	assert_int_equal(t.waste_integral_lo, 0);
	assert_int_equal(usage_track_waste_mean_bytes(&t), tib);

	/* Then half of it in use for another 2^40 units: 2^80 + 2^79 over 2^41, mean 3/4 TiB. */
	set_checked(&t, 1ull << 40, tib, tib / 2);
	finish_checked(&t, 1ull << 41);
	assert_int_equal(t.waste_integral_hi, 3ull << 15);
	assert_int_equal(t.waste_integral_lo, 0);
	assert_int_equal(usage_track_waste_mean_bytes(&t), 3 * (tib / 4));
}

/* At the edges of uint64 (waste and elapsed near 2^64) the integral and mean stay exact. */
static void test_integral_extremes(void **state)
{
	const uint64_t half = 1ull << 63;
	struct usage_track t;

	(void)state;
	/* UINT64_MAX wasted for 2^63 + 1 units, then nothing until UINT64_MAX: mean 2^63 + 1. */
	usage_track_init(&t, 0);
	set_checked(&t, 0, UINT64_MAX, 0);
	set_checked(&t, half + 1, 0, 0);
	finish_checked(&t, UINT64_MAX);
	/* (2^64 - 1)(2^63 + 1) = 2^127 + 2^63 - 1: hi 2^63, lo 2^63 - 1. */
	assert_int_equal(t.waste_integral_hi, half);
	assert_int_equal(t.waste_integral_lo, half - 1);
	assert_int_equal(usage_track_waste_mean_bytes(&t), half + 1);

	/* 5 for 2^63 units then 0 for 2^63 - 1: floor(5 * 2^63 / (2^64 - 1)) = 2. */
	usage_track_init(&t, 0);
	set_checked(&t, 0, 5, 0);
	set_checked(&t, half, 5, 5);
	finish_checked(&t, UINT64_MAX);
	assert_int_equal(t.waste_integral_hi, 2);
	assert_int_equal(t.waste_integral_lo, half);
	assert_int_equal(usage_track_waste_mean_bytes(&t), 2);

	/* UINT64_MAX for all of UINT64_MAX: (2^64 - 1)^2 = 2^128 - 2^65 + 1, mean UINT64_MAX. */
	usage_track_init(&t, 0);
	set_checked(&t, 0, UINT64_MAX, 0);
	finish_checked(&t, UINT64_MAX);
	assert_int_equal(t.waste_integral_hi, UINT64_MAX - 1);
	assert_int_equal(t.waste_integral_lo, 1);
	assert_int_equal(usage_track_waste_mean_bytes(&t), UINT64_MAX);
}

/* ---- Naive reference: keep every sample, recompute everything from scratch ---- */

struct ref_sample {
	uint64_t time, reserved, in_use;
};

struct ref_result {
	uint64_t elapsed, reserved_peak, in_use_peak, waste_peak, bad, clamped, last_waste;
	uint64_t integral_small;        /* exact while the caller keeps values small */
#ifdef __SIZEOF_INT128__
	unsigned __int128 integral;     /* exact always */
#endif
};

static uint64_t ref_waste(const struct ref_sample *s)
{
	return s->in_use > s->reserved ? 0 : s->reserved - s->in_use;
}

/* Samples and finish times in call order; is_finish marks finish calls (reserved/in_use unused). */
static struct ref_result ref_compute(uint64_t start, const struct ref_sample *s,
				     const bool *is_finish, size_t n)
{
	struct ref_result r = { 0 };
	uint64_t clock = start, waste = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t when = s[i].time;

		if (when < clock) {
			r.clamped++;
			when = clock;
		}
		/* The waste in effect since `clock` lasts until `when`. */
		r.integral_small += waste * (when - clock);
#ifdef __SIZEOF_INT128__
		r.integral += (unsigned __int128)waste * (when - clock);
#endif
		clock = when;
		if (is_finish[i])
			continue;
		waste = ref_waste(&s[i]);
		r.bad += s[i].in_use > s[i].reserved;
		if (s[i].reserved > r.reserved_peak)
			r.reserved_peak = s[i].reserved;
		if (s[i].in_use > r.in_use_peak)
			r.in_use_peak = s[i].in_use;
		if (waste > r.waste_peak)
			r.waste_peak = waste;
	}
	r.elapsed = clock - start;
	r.last_waste = waste;
	return r;
}

static void assert_matches_ref(const struct usage_track *t, const struct ref_result *r, bool big)
{
	assert_int_equal(usage_track_elapsed(t), r->elapsed);
	assert_int_equal(t->reserved_peak_bytes, r->reserved_peak);
	assert_int_equal(t->in_use_peak_bytes, r->in_use_peak);
	assert_int_equal(t->waste_peak_bytes, r->waste_peak);
	assert_int_equal(t->bad_samples, r->bad);
	assert_int_equal(t->clamped_times, r->clamped);
	assert_int_equal(t->waste_bytes, r->last_waste);
	if (!big) {
		assert_int_equal(t->waste_integral_hi, 0);
		assert_int_equal(t->waste_integral_lo, r->integral_small);
		assert_int_equal(usage_track_waste_mean_bytes(t),
				 r->elapsed ? r->integral_small / r->elapsed : r->last_waste);
		return;
	}
#ifdef __SIZEOF_INT128__
	assert_int_equal(t->waste_integral_hi, (uint64_t)(r->integral >> 64));
	assert_int_equal(t->waste_integral_lo, (uint64_t)r->integral);
	assert_int_equal(usage_track_waste_mean_bytes(t),
			 r->elapsed ? (uint64_t)(r->integral / r->elapsed) : r->last_waste);
#endif
}

/*
 * Random step sequences (with repeated and backward times, bad samples, finishes)
 * agree with the naive reference after every call on peaks and counts, and on
 * integral and mean at checkpoints.  big: 64-bit amounts and long steps.
 */
static void run_differential(uint64_t seed, bool big)
{
	enum { N = 6000 };
	struct ref_sample *s = calloc(N, sizeof(*s));
	bool *is_finish = calloc(N, sizeof(*is_finish));
	const uint64_t start = big ? 1ull << 50 : 1000;
	uint64_t rng = seed, clock = start;
	struct usage_track t;
	size_t i;

	assert_non_null(s);
	assert_non_null(is_finish);
	usage_track_init(&t, start);
	for (i = 0; i < N; i++) {
		uint64_t kind = rng_below(&rng, 20), step;

		/* Steps: mostly forward, sometimes none, sometimes backward (clamped). */
		step = big ? rng_below(&rng, 1ull << 40) : rng_below(&rng, 1000);
		if (kind == 0)
			s[i].time = clock > step ? clock - step : 0;
		else if (kind == 1)
			s[i].time = clock;
		else
			s[i].time = clock = clock + step;
		is_finish[i] = kind == 2;
		if (big) {
			s[i].reserved = rng_next(&rng) >> rng_below(&rng, 64);
			s[i].in_use = rng_below(&rng, 10) == 0 ? rng_next(&rng) :
				      s[i].reserved - rng_below(&rng, s[i].reserved / 2 + 1);
		} else {
			s[i].reserved = rng_below(&rng, 1u << 20);
			s[i].in_use = rng_below(&rng, 10) == 0 ? rng_below(&rng, 1u << 21) :
				      rng_below(&rng, s[i].reserved + 1);
		}
		if (is_finish[i])
			usage_track_finish(&t, s[i].time);
		else
			usage_track_set(&t, s[i].time, s[i].reserved, s[i].in_use);
		assert_int_equal(usage_track_check(&t), 0);
		if (i % 500 == 0 || i == N - 1) {
			struct ref_result r = ref_compute(start, s, is_finish, i + 1);

			assert_matches_ref(&t, &r, big);
		}
	}
	assert_true(t.bad_samples > 0 && t.clamped_times > 0 && t.samples < N);
	if (big)
		assert_true(t.waste_integral_hi > 0); /* really beyond 64 bits */
	free(s);
	free(is_finish);
}

/* Small amounts: the reference's plain uint64 integral is exact and must match. */
static void test_differential_small(void **state)
{
	(void)state;
	run_differential(0x5EED0001, false);
	run_differential(0x5EED0002, false);
}

/* Full-range amounts: integrals past 2^64 match a 128-bit reference (if the compiler has one). */
static void test_differential_big(void **state)
{
	(void)state;
#ifdef __SIZEOF_INT128__
	run_differential(0x5EED0003, true);
	run_differential(0x5EED0004, true);
#else
	skip();
#endif
}

/* The checker rejects inconsistent levels, peaks, counts, time and integral. */
static void test_check_detects_corruption(void **state)
{
	struct usage_track t, bad;

	(void)state;
	usage_track_init(&t, 0);
	set_checked(&t, 0, 100, 40);
	finish_checked(&t, 10);

	bad = t;
	bad.waste_bytes = 50;
	assert_int_not_equal(usage_track_check(&bad), 0);
	bad = t;
	bad.reserved_peak_bytes = 90;
	assert_int_not_equal(usage_track_check(&bad), 0);
	bad = t;
	bad.last_time = 0;
	bad.start_time = 1;
	assert_int_not_equal(usage_track_check(&bad), 0);
	bad = t;
	bad.waste_integral_lo = 601; /* above waste_peak * elapsed = 600 */
	assert_int_not_equal(usage_track_check(&bad), 0);
	bad = t;
	bad.bad_samples = 2;
	assert_int_not_equal(usage_track_check(&bad), 0);
	bad = t;
	bad.in_use_bytes = 200; /* over reserved, but no bad sample was counted */
	bad.waste_bytes = 0;
	assert_int_not_equal(usage_track_check(&bad), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step_function),
		cmocka_unit_test(test_initial_zero_and_rounding),
		cmocka_unit_test(test_zero_elapsed),
		cmocka_unit_test(test_clamped_time),
		cmocka_unit_test(test_bad_sample),
		cmocka_unit_test(test_integral_beyond_64_bits),
		cmocka_unit_test(test_integral_extremes),
		cmocka_unit_test(test_differential_small),
		cmocka_unit_test(test_differential_big),
		cmocka_unit_test(test_check_detects_corruption),
	};

	return cmocka_run_group_tests_name("usage_track", tests, NULL, NULL);
}
