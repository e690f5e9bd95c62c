/*
 * Latency histogram: count, min, max, mean and percentiles of millions of
 * nanosecond samples (host map/unmap times) without keeping the samples.
 *
 * Buckets are log-linear as in HdrHistogram.  Values below 2^LAT_HIST_SUB_BITS
 * have a bucket each; above, every power-of-two range [2^e, 2^(e+1)) is cut
 * into 2^LAT_HIST_SUB_BITS equal sub-buckets.  A bucket's width is then at most
 * 1/32 of its lowest value, so a percentile reported as its bucket's highest
 * value is never below the exact value and exceeds it by less than 1/32 of it.
 *
 * The struct is fixed-size (about 15 KiB) and allocates nothing, so it can sit
 * inside other structs and in shared memory.  No locking: callers lock.
 */
#ifndef TEESHM_COMMON_LAT_HIST_H
#define TEESHM_COMMON_LAT_HIST_H

#include <stdint.h>

#define LAT_HIST_SUB_BITS 5
#define LAT_HIST_SUB_COUNT (1u << LAT_HIST_SUB_BITS)
/*
 * Values 0 .. 2^(SUB_BITS+1) - 1 take one bucket each (2 * SUB_COUNT buckets);
 * each of the higher exponents e = SUB_BITS+1 .. 63 adds SUB_COUNT more:
 * (64 - SUB_BITS + 1) * SUB_COUNT = 60 * 32 = 1920 for the full uint64 range.
 */
#define LAT_HIST_BUCKETS ((64u - LAT_HIST_SUB_BITS + 1u) * LAT_HIST_SUB_COUNT)

struct lat_hist {
	uint64_t count;
	uint64_t min_ns;   /* UINT64_MAX while empty */
	uint64_t max_ns;   /* 0 while empty */
	/* Exact sum of all samples as 128 bits: count * UINT64_MAX fits. */
	uint64_t sum_ns_lo;
	uint64_t sum_ns_hi;
	uint64_t bucket_counts[LAT_HIST_BUCKETS];
};

void lat_hist_init(struct lat_hist *h);
void lat_hist_record(struct lat_hist *h, uint64_t ns);
/* Add every sample of src to dst, as if dst had recorded them too.  dst == src is allowed. */
void lat_hist_merge(struct lat_hist *dst, const struct lat_hist *src);

/* The number of samples; the bucket counters wrap only after 2^64 of them. */
uint64_t lat_hist_count(const struct lat_hist *h);
/* Exact smallest and largest sample; 0 when empty. */
uint64_t lat_hist_min(const struct lat_hist *h);
uint64_t lat_hist_max(const struct lat_hist *h);
/* floor(sum / count), exact (the sum is kept in 128 bits); 0 when empty. */
uint64_t lat_hist_mean(const struct lat_hist *h);

/*
 * Nearest-rank percentile, permille in 1..1000: with rank = ceil(permille * count / 1000),
 * the highest value of the first bucket at which the cumulative count reaches rank,
 * clamped to [min, max].  So p1000 == max, a histogram of one distinct value reports
 * it exactly, and the result r for an exact nearest-rank value x satisfies
 * x <= r and (r - x) * 32 < x.  permille 0 gives min; above 1000 is treated as 1000.
 * 0 when empty.
 */
uint64_t lat_hist_percentile(const struct lat_hist *h, unsigned int permille);

/* Bucket index of a value and the inclusive value range of a bucket (exposed for tests). */
unsigned int lat_hist_bucket_of(uint64_t ns);
uint64_t lat_hist_bucket_low(unsigned int bucket);
uint64_t lat_hist_bucket_high(unsigned int bucket);

/*
 * Invariants: bucket counts sum to count; empty means min UINT64_MAX, max 0, sum 0;
 * otherwise min <= max, the buckets of min and max are occupied and nothing lies
 * outside them, and min <= mean <= max.  Returns 0 or TS_EINVAL.  O(buckets).
 */
int lat_hist_check(const struct lat_hist *h);

#endif
