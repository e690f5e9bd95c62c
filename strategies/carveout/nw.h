/*
 * "carveout", normal-world half: what a driver running it can be asked
 * about its allocator over the static carveout (strategies/carveout/nw.c).
 */
#ifndef TEESHM_STRATEGIES_CARVEOUT_NW_H
#define TEESHM_STRATEGIES_CARVEOUT_NW_H

#include <stdint.h>

struct optee_drv;

struct nw_carveout_stats {
	uint64_t pool_pages;        /* pages of the carveout the allocator manages */
	uint64_t pages_in_use;      /* now */
	uint64_t peak_pages_in_use;
	uint64_t blocks_in_use;     /* now */
	uint64_t allocs;            /* blocks handed out */
	uint64_t frees;
	uint64_t alloc_failures;    /* no free run long enough: OUT_OF_MEMORY to the caller */
};

/* The allocator's counters.  TS_EINVAL if drv does not run "carveout". */
int nw_carveout_stats(struct optee_drv *drv, struct nw_carveout_stats *out);
/*
 * The allocator's invariants: every block lies inside the pool, blocks do not
 * overlap, the counters match the block map.  0, TS_EINVAL.
 */
int nw_carveout_check(struct optee_drv *drv);

#endif
