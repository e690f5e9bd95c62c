/*
 * What a run of the secure world measured, for the teeshm.result/1 document
 * (DESIGN.md section 5): the host latency of every map and unmap of shared
 * memory (our C code doing the work, timed with a monotonic clock), what
 * those maps and unmaps did in the cost model's terms (so their modeled
 * cycles can be priced separately), and memory reserved for sharing against
 * memory in use, sampled whenever either changes.
 *
 *  - reserved: pages mapped in the dynamic SHM range (buffers in use, a
 *    strategy's idle or pooled mappings), plus the whole static carveout
 *    under "carveout" (it is set aside whether used or not);
 *  - in use: the buffers calls hold right now: their arg, memrefs
 *    (a registered buffer counted once, whole, however many calls use it),
 *    RPC arg and secure-world buffers;
 *  - waste = reserved - in use, with its peak and time-weighted mean.
 *
 * The time axis of the mean is the modeled clock (cycles of everything the
 * cost model has counted so far, on the profile given at boot), so the mean
 * is as deterministic as the run; without a profile each sample is one tick.
 * Everything here runs under the big secure-world lock.
 */
#ifndef TEESHM_SECURE_SW_METRICS_H
#define TEESHM_SECURE_SW_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/common/lat_hist.h"
#include "sim/common/profile.h"
#include "sim/common/usage_track.h"

struct secure_world;

/*
 * Reserved and in-use memory over modeled time, for plots: at most
 * SW_SERIES_POINTS samples, evenly thinned (every stride-th sample kept;
 * when full, every other point goes and the stride doubles), so a run of
 * any length gives a bounded, deterministic series.
 */
#define SW_SERIES_POINTS 256u
struct sw_series_point {
	uint64_t time;               /* on the metrics' clock */
	uint64_t reserved_bytes;
	uint64_t in_use_bytes;
};

struct sw_metrics {
	const struct profile *prof;      /* the modeled clock; NULL: one tick per sample */
	struct lat_hist map_ns, unmap_ns;
	struct cost_counts map_cost;     /* what the maps did (PTEs, TLBIs, walks, ...) */
	struct cost_counts unmap_cost;
	uint64_t map_pages, unmap_pages;
	struct usage_track usage;
	uint64_t ticks;                  /* the clock without a profile */
	uint64_t stamp;                  /* generation for counting shared buffers once */
	struct sw_series_point series[SW_SERIES_POINTS];
	uint32_t n_series;
	uint64_t series_stride, series_skip;
};

/* One timed map or unmap, from sw_metrics_op_begin to sw_metrics_op_end. */
struct sw_metrics_op {
	uint64_t t0_ns;
	struct cost_counts before;
};

void sw_metrics_init(struct sw_metrics *m, const struct profile *prof);

void sw_metrics_op_begin(struct secure_world *sw, struct sw_metrics_op *op);
/* A map (or unmap) of n_pages ended; failed ones are not recorded. */
void sw_metrics_op_end(struct secure_world *sw, struct sw_metrics_op *op, bool is_map,
		       uint64_t n_pages);

/* Reserved or in-use memory may have changed: take a sample now. */
void sw_metrics_sample(struct secure_world *sw);

/* Now on the metrics' clock. */
uint64_t sw_metrics_now(struct secure_world *sw);

/*
 * One line of the event timeline (sw_config.events), when there is one:
 * modeled time, the client ("nw" for a lone normal world or the
 * hypervisor's client 0, "vmN" for a guest), and what happened.
 */
void sw_event(struct secure_world *sw, uint32_t client, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
