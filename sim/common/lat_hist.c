/* Latency histogram: log-linear buckets, exact count/min/max/sum, nearest-rank percentiles. */
#include "sim/common/lat_hist.h"

#include <string.h>

#include "sim/common/ts_err.h"
#include "sim/common/u128.h"

/*
 * Bucket layout.  For v < 2^(SUB_BITS+1) the shift is 0 and the bucket is v itself.
 * Above, with e = floor(log2 v), shift = e - SUB_BITS keeps the top SUB_BITS+1 bits:
 * v >> shift lies in [SUB_COUNT, 2 * SUB_COUNT), so bucket = shift * SUB_COUNT + (v >> shift)
 * numbers the ranges one after another without gaps.
 *
 *   bucket   0 ..  63: values 0 .. 63, width 1
 *   bucket  64 ..  95: values 64 .. 127, width 2
 *   bucket  96 .. 127: values 128 .. 255, width 4     ...
 *   bucket 1888 .. 1919: values 2^63 .. 2^64 - 1, width 2^58
 */
static unsigned int floor_log2(uint64_t v)
{
	/* v != 0 */
	return 63u - (unsigned int)__builtin_clzll(v);
}

unsigned int lat_hist_bucket_of(uint64_t ns)
{
	unsigned int shift;

	if (ns < 2u * LAT_HIST_SUB_COUNT)
		return (unsigned int)ns;
	shift = floor_log2(ns) - LAT_HIST_SUB_BITS;
	return shift * LAT_HIST_SUB_COUNT + (unsigned int)(ns >> shift);
}

static unsigned int bucket_shift(unsigned int bucket)
{
	if (bucket < 2u * LAT_HIST_SUB_COUNT)
		return 0;
	return bucket / LAT_HIST_SUB_COUNT - 1u;
}

uint64_t lat_hist_bucket_low(unsigned int bucket)
{
	unsigned int shift = bucket_shift(bucket);

	return (uint64_t)(bucket - shift * LAT_HIST_SUB_COUNT) << shift;
}

uint64_t lat_hist_bucket_high(unsigned int bucket)
{
	/* low + width - 1: the last bucket ends at exactly UINT64_MAX, without overflow. */
	return lat_hist_bucket_low(bucket) + ((1ull << bucket_shift(bucket)) - 1u);
}

void lat_hist_init(struct lat_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min_ns = UINT64_MAX;
}

void lat_hist_record(struct lat_hist *h, uint64_t ns)
{
	h->bucket_counts[lat_hist_bucket_of(ns)]++;
	h->count++;
	if (ns < h->min_ns)
		h->min_ns = ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	add_u128(&h->sum_ns_hi, &h->sum_ns_lo, 0, ns);
}

void lat_hist_merge(struct lat_hist *dst, const struct lat_hist *src)
{
	/* Read src's scalars first: dst and src may be the same histogram. */
	const uint64_t count = src->count, min_ns = src->min_ns, max_ns = src->max_ns;
	const uint64_t sum_lo = src->sum_ns_lo, sum_hi = src->sum_ns_hi;
	unsigned int i;

	for (i = 0; i < LAT_HIST_BUCKETS; i++)
		dst->bucket_counts[i] += src->bucket_counts[i];
	dst->count += count;
	if (min_ns < dst->min_ns)
		dst->min_ns = min_ns;
	if (max_ns > dst->max_ns)
		dst->max_ns = max_ns;
	add_u128(&dst->sum_ns_hi, &dst->sum_ns_lo, sum_hi, sum_lo);
}

uint64_t lat_hist_count(const struct lat_hist *h)
{
	return h->count;
}

uint64_t lat_hist_min(const struct lat_hist *h)
{
	return h->count ? h->min_ns : 0;
}

uint64_t lat_hist_max(const struct lat_hist *h)
{
	return h->max_ns;
}

uint64_t lat_hist_mean(const struct lat_hist *h)
{
	if (h->count == 0)
		return 0;
	/* Each sample is < 2^64, so sum < count * 2^64 and sum_hi < count. */
	if (h->sum_ns_hi >= h->count)
		return UINT64_MAX; /* corrupt; lat_hist_check reports it */
	return div_u128_by_u64(h->sum_ns_hi, h->sum_ns_lo, h->count);
}

/* ceil(permille * count / 1000) without overflowing for any count. */
static uint64_t nearest_rank(uint64_t count, unsigned int permille)
{
	uint64_t whole = count / 1000u, part = count % 1000u;

	return whole * permille + (part * permille + 999u) / 1000u;
}

uint64_t lat_hist_percentile(const struct lat_hist *h, unsigned int permille)
{
	uint64_t rank, seen = 0, value;
	unsigned int i;

	if (h->count == 0)
		return 0;
	if (permille == 0)
		return h->min_ns;
	if (permille > 1000u)
		permille = 1000u;
	rank = nearest_rank(h->count, permille);
	for (i = lat_hist_bucket_of(h->min_ns); i < LAT_HIST_BUCKETS; i++) {
		seen += h->bucket_counts[i];
		if (seen >= rank)
			break;
	}
	if (i == LAT_HIST_BUCKETS)
		return h->max_ns; /* counts short of count: corrupt, lat_hist_check reports it */
	value = lat_hist_bucket_high(i);
	if (value > h->max_ns)
		value = h->max_ns;
	if (value < h->min_ns)
		value = h->min_ns;
	return value;
}

int lat_hist_check(const struct lat_hist *h)
{
	unsigned int i, min_bucket, max_bucket;
	uint64_t total = 0, mean;

	for (i = 0; i < LAT_HIST_BUCKETS; i++)
		total += h->bucket_counts[i];
	if (total != h->count)
		return TS_EINVAL;
	if (h->count == 0) {
		if (h->min_ns != UINT64_MAX || h->max_ns != 0 || h->sum_ns_lo || h->sum_ns_hi)
			return TS_EINVAL;
		return 0;
	}
	if (h->min_ns > h->max_ns)
		return TS_EINVAL;
	min_bucket = lat_hist_bucket_of(h->min_ns);
	max_bucket = lat_hist_bucket_of(h->max_ns);
	if (!h->bucket_counts[min_bucket] || !h->bucket_counts[max_bucket])
		return TS_EINVAL;
	for (i = 0; i < min_bucket; i++)
		if (h->bucket_counts[i])
			return TS_EINVAL;
	for (i = max_bucket + 1; i < LAT_HIST_BUCKETS; i++)
		if (h->bucket_counts[i])
			return TS_EINVAL;
	if (h->sum_ns_hi >= h->count)
		return TS_EINVAL;
	mean = lat_hist_mean(h);
	if (mean < h->min_ns || mean > h->max_ns)
		return TS_EINVAL;
	return 0;
}
