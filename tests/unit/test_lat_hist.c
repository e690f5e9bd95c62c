/* Latency histogram: bucket layout, percentiles against a sorted reference, merge, extremes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sim/common/lat_hist.h"
#include "tests/test_rng.h"

static const unsigned int permilles[] = { 1, 500, 900, 990, 999, 1000 };

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Exact nearest-rank value of a sorted array: the ceil(p * n / 1000)-th smallest (at least 1st). */
static uint64_t exact_percentile(const uint64_t *sorted, size_t n, unsigned int permille)
{
	size_t rank = (size_t)(((uint64_t)permille * n + 999u) / 1000u);

	if (rank == 0)
		rank = 1;
	return sorted[rank - 1];
}

/* A reported percentile r is never below the exact value x and exceeds it by at most x / 32. */
static void assert_percentile_close(uint64_t r, uint64_t x)
{
	assert_true(r >= x);
	assert_true(r - x <= x / LAT_HIST_SUB_COUNT);
}

/*
 * Compare h with the samples it recorded: count, min, max and mean exactly, every
 * percentile of `permilles` within the bound.  The samples' sum must fit in 64 bits.
 */
static void check_against_reference(const struct lat_hist *h, const uint64_t *samples, size_t n)
{
	uint64_t *sorted = malloc(n * sizeof(*sorted));
	uint64_t sum = 0;
	size_t i;

	assert_non_null(sorted);
	memcpy(sorted, samples, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_u64);
	for (i = 0; i < n; i++) {
		assert_true(sum + sorted[i] >= sum); /* the reference itself must not wrap */
		sum += sorted[i];
	}
	assert_int_equal(lat_hist_check(h), 0);
	assert_int_equal(lat_hist_count(h), n);
	assert_int_equal(lat_hist_min(h), sorted[0]);
	assert_int_equal(lat_hist_max(h), sorted[n - 1]);
	assert_int_equal(lat_hist_mean(h), sum / n);
	for (i = 0; i < ARRAY_LEN(permilles); i++)
		assert_percentile_close(lat_hist_percentile(h, permilles[i]),
					exact_percentile(sorted, n, permilles[i]));
	assert_int_equal(lat_hist_percentile(h, 1000), sorted[n - 1]);
	assert_int_equal(lat_hist_percentile(h, 0), sorted[0]);
	assert_int_equal(lat_hist_percentile(h, 5000), sorted[n - 1]);
	free(sorted);
}

/* Buckets tile 0 .. UINT64_MAX without gaps, each value maps to its bucket, width <= low / 32. */
static void test_bucket_layout(void **state)
{
	unsigned int b;

	(void)state;
	assert_int_equal(LAT_HIST_BUCKETS, 1920);
	assert_int_equal(lat_hist_bucket_low(0), 0);
	assert_int_equal(lat_hist_bucket_high(LAT_HIST_BUCKETS - 1), UINT64_MAX);
	assert_int_equal(lat_hist_bucket_of(UINT64_MAX), LAT_HIST_BUCKETS - 1);
	for (b = 0; b < LAT_HIST_BUCKETS; b++) {
		uint64_t low = lat_hist_bucket_low(b), high = lat_hist_bucket_high(b);

		assert_true(low <= high);
		if (b > 0)
			assert_int_equal(low, lat_hist_bucket_high(b - 1) + 1);
		assert_int_equal(lat_hist_bucket_of(low), b);
		assert_int_equal(lat_hist_bucket_of(high), b);
		assert_int_equal(lat_hist_bucket_of(low + (high - low) / 2), b);
		if (low < 2 * LAT_HIST_SUB_COUNT)
			assert_int_equal(low, high); /* small values are exact */
		else
			assert_true(high - low < low / LAT_HIST_SUB_COUNT);
	}
}

/* An empty histogram reports zeros everywhere and passes its check. */
static void test_empty(void **state)
{
	struct lat_hist h;

	(void)state;
	lat_hist_init(&h);
	assert_int_equal(lat_hist_check(&h), 0);
	assert_int_equal(lat_hist_count(&h), 0);
	assert_int_equal(lat_hist_min(&h), 0);
	assert_int_equal(lat_hist_max(&h), 0);
	assert_int_equal(lat_hist_mean(&h), 0);
	assert_int_equal(lat_hist_percentile(&h, 0), 0);
	assert_int_equal(lat_hist_percentile(&h, 500), 0);
	assert_int_equal(lat_hist_percentile(&h, 1000), 0);
}

/* A histogram of value 0 reports 0 for everything but the count. */
static void test_value_zero(void **state)
{
	struct lat_hist h;
	unsigned int i;

	(void)state;
	lat_hist_init(&h);
	lat_hist_record(&h, 0);
	lat_hist_record(&h, 0);
	assert_int_equal(lat_hist_check(&h), 0);
	assert_int_equal(lat_hist_count(&h), 2);
	assert_int_equal(h.bucket_counts[0], 2);
	assert_int_equal(lat_hist_min(&h), 0);
	assert_int_equal(lat_hist_max(&h), 0);
	assert_int_equal(lat_hist_mean(&h), 0);
	for (i = 0; i < ARRAY_LEN(permilles); i++)
		assert_int_equal(lat_hist_percentile(&h, permilles[i]), 0);
}

/* UINT64_MAX lands in the last bucket and the 128-bit sum keeps the mean exact past 2^64. */
static void test_value_max(void **state)
{
	struct lat_hist h;
	unsigned int i;

	(void)state;
	lat_hist_init(&h);
	lat_hist_record(&h, UINT64_MAX);
	lat_hist_record(&h, UINT64_MAX);
	lat_hist_record(&h, UINT64_MAX);
	assert_int_equal(lat_hist_check(&h), 0);
	assert_int_equal(h.bucket_counts[LAT_HIST_BUCKETS - 1], 3);
	assert_int_equal(h.sum_ns_hi, 2);
	assert_int_equal(lat_hist_mean(&h), UINT64_MAX);
	for (i = 0; i < ARRAY_LEN(permilles); i++)
		assert_int_equal(lat_hist_percentile(&h, permilles[i]), UINT64_MAX);

	/* 0 and UINT64_MAX: mean floor((2^64 - 1) / 2), median 0, p1000 the maximum. */
	lat_hist_init(&h);
	lat_hist_record(&h, 0);
	lat_hist_record(&h, UINT64_MAX);
	assert_int_equal(lat_hist_check(&h), 0);
	assert_int_equal(lat_hist_mean(&h), UINT64_MAX / 2);
	assert_int_equal(lat_hist_percentile(&h, 500), 0);
	assert_int_equal(lat_hist_percentile(&h, 501), UINT64_MAX);
	assert_int_equal(lat_hist_percentile(&h, 1000), UINT64_MAX);
}

/* A single distinct value, however large, is reported exactly by every percentile. */
static void test_constant(void **state)
{
	static const uint64_t values[] = { 1, 63, 64, 65, 12345, 999999937, 1ull << 40,
					   (1ull << 63) + 12345 };
	enum { N = 20000 };
	uint64_t *samples = malloc(N * sizeof(*samples));
	struct lat_hist h;
	size_t v, i;

	(void)state;
	assert_non_null(samples);
	for (v = 0; v < ARRAY_LEN(values); v++) {
		lat_hist_init(&h);
		for (i = 0; i < N; i++) {
			samples[i] = values[v];
			lat_hist_record(&h, values[v]);
		}
		for (i = 0; i < ARRAY_LEN(permilles); i++)
			assert_int_equal(lat_hist_percentile(&h, permilles[i]), values[v]);
		if (values[v] < UINT64_MAX / N)
			check_against_reference(&h, samples, N);
		else
			assert_int_equal(lat_hist_mean(&h), values[v]);
		assert_int_equal(lat_hist_check(&h), 0);
	}
	free(samples);
}

enum dist { DIST_UNIFORM_SMALL, DIST_LOG_UNIFORM, DIST_TWO_SPIKES, DIST_UNIFORM_WIDE };

static uint64_t draw(enum dist dist, uint64_t *rng)
{
	switch (dist) {
	case DIST_UNIFORM_SMALL:
		return rng_below(rng, 200);
	case DIST_LOG_UNIFORM:
		/* Exponent uniform in [0, 30), mantissa uniform in it: log-uniform, 1 .. 1e9. */
		for (;;) {
			unsigned int e = (unsigned int)rng_below(rng, 30);
			uint64_t v = (1ull << e) + rng_below(rng, 1ull << e);

			if (v <= 1000000000u)
				return v;
		}
	case DIST_TWO_SPIKES:
		return rng_below(rng, 10) ? 850 : 4000000;
	case DIST_UNIFORM_WIDE:
		/* Below 2^44 so 200k of them sum within 64 bits for the reference. */
		return rng_next(rng) >> 20;
	}
	return 0;
}

/* For several distributions: percentiles >= exact and within 1/32; count/min/max/mean exact. */
static void test_distributions_vs_sorted(void **state)
{
	enum { N = 200000 };
	static const enum dist dists[] = { DIST_UNIFORM_SMALL, DIST_LOG_UNIFORM, DIST_TWO_SPIKES,
					   DIST_UNIFORM_WIDE };
	uint64_t *samples = malloc(N * sizeof(*samples));
	struct lat_hist h;
	size_t d, i;

	(void)state;
	assert_non_null(samples);
	for (d = 0; d < ARRAY_LEN(dists); d++) {
		uint64_t rng = 0x9E3779B97F4A7C15ull + d;

		lat_hist_init(&h);
		for (i = 0; i < N; i++) {
			samples[i] = draw(dists[d], &rng);
			lat_hist_record(&h, samples[i]);
			if (i % 1000 == 0)
				assert_int_equal(lat_hist_check(&h), 0);
		}
		check_against_reference(&h, samples, N);
	}
	free(samples);
}

/* For tiny sample counts every permille 1..1000 hits the right rank (rounding edges). */
static void test_small_counts_all_permilles(void **state)
{
	uint64_t samples[40], sorted[40], rng = 7;
	struct lat_hist h;
	size_t n, i;
	unsigned int p;

	(void)state;
	for (n = 1; n <= ARRAY_LEN(samples); n++) {
		lat_hist_init(&h);
		for (i = 0; i < n; i++) {
			/* Spread over exact and coarse buckets, with repeats. */
			samples[i] = rng_below(&rng, 4) == 0 ? 17 :
				     rng_below(&rng, 1ull << (i % 40));
			lat_hist_record(&h, samples[i]);
			assert_int_equal(lat_hist_check(&h), 0);
		}
		memcpy(sorted, samples, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), cmp_u64);
		for (p = 1; p <= 1000; p++)
			assert_percentile_close(lat_hist_percentile(&h, p),
						exact_percentile(sorted, n, p));
	}
}

/* Merging two histograms equals recording both streams into one; merging empties is a no-op. */
static void test_merge(void **state)
{
	enum { N = 30000 };
	struct lat_hist a, b, both, empty, saved;
	uint64_t rng = 42;
	size_t i;

	(void)state;
	lat_hist_init(&a);
	lat_hist_init(&b);
	lat_hist_init(&both);
	lat_hist_init(&empty);
	for (i = 0; i < N; i++) {
		uint64_t va = draw(DIST_LOG_UNIFORM, &rng);
		uint64_t vb = i % 7 == 0 ? UINT64_MAX - i : draw(DIST_UNIFORM_SMALL, &rng);

		lat_hist_record(&a, va);
		lat_hist_record(&both, va);
		lat_hist_record(&b, vb);
		lat_hist_record(&both, vb);
	}
	assert_int_equal(lat_hist_check(&a), 0);
	assert_int_equal(lat_hist_check(&b), 0);
	lat_hist_merge(&a, &b);
	assert_int_equal(lat_hist_check(&a), 0);
	assert_memory_equal(&a, &both, sizeof(a));
	assert_true(both.sum_ns_hi > 0); /* the carry path of the merge was exercised */

	/* Empty into full and full into empty. */
	saved = a;
	lat_hist_merge(&a, &empty);
	assert_memory_equal(&a, &saved, sizeof(a));
	lat_hist_merge(&empty, &a);
	assert_int_equal(lat_hist_check(&empty), 0);
	assert_memory_equal(&empty, &saved, sizeof(a));

	/* Self-merge doubles every count and the sum, keeps min, max and mean. */
	lat_hist_merge(&a, &a);
	assert_int_equal(lat_hist_check(&a), 0);
	assert_int_equal(lat_hist_count(&a), 2 * lat_hist_count(&saved));
	assert_int_equal(lat_hist_min(&a), lat_hist_min(&saved));
	assert_int_equal(lat_hist_max(&a), lat_hist_max(&saved));
	assert_int_equal(lat_hist_mean(&a), lat_hist_mean(&saved));
	for (i = 0; i < LAT_HIST_BUCKETS; i++)
		assert_int_equal(a.bucket_counts[i], 2 * saved.bucket_counts[i]);
}

/* The checker rejects a histogram whose counts, extremes or sum disagree. */
static void test_check_detects_corruption(void **state)
{
	struct lat_hist h, bad;

	(void)state;
	lat_hist_init(&h);
	lat_hist_record(&h, 100);
	lat_hist_record(&h, 5000);
	assert_int_equal(lat_hist_check(&h), 0);

	bad = h;
	bad.bucket_counts[lat_hist_bucket_of(300)]++;
	assert_int_not_equal(lat_hist_check(&bad), 0);
	bad = h;
	bad.count++;
	assert_int_not_equal(lat_hist_check(&bad), 0);
	bad = h;
	bad.min_ns = 50; /* its bucket is empty */
	assert_int_not_equal(lat_hist_check(&bad), 0);
	bad = h;
	bad.max_ns = 1000; /* a sample lies above it */
	assert_int_not_equal(lat_hist_check(&bad), 0);
	bad = h;
	bad.sum_ns_lo = 10; /* mean below min */
	assert_int_not_equal(lat_hist_check(&bad), 0);
	bad = h;
	bad.sum_ns_hi = 2;
	assert_int_not_equal(lat_hist_check(&bad), 0);
	lat_hist_init(&bad);
	bad.max_ns = 1;
	assert_int_not_equal(lat_hist_check(&bad), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_layout),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_value_zero),
		cmocka_unit_test(test_value_max),
		cmocka_unit_test(test_constant),
		cmocka_unit_test(test_distributions_vs_sorted),
		cmocka_unit_test(test_small_counts_all_permilles),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_check_detects_corruption),
	};

	return cmocka_run_group_tests_name("lat_hist", tests, NULL, NULL);
}
