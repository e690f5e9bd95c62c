/*
 * "cached", normal-world half: what a driver running it can be asked about
 * its registration cache (strategies/cached/nw.c).
 */
#ifndef TEESHM_STRATEGIES_CACHED_NW_H
#define TEESHM_STRATEGIES_CACHED_NW_H

#include <stdint.h>

struct optee_drv;

struct nw_cached_stats {
	uint64_t temp_hits;       /* TEMP memrefs served by an idle registered bounce buffer */
	uint64_t temp_misses;     /* ... that needed a new one (one REGISTER_SHM) */
	uint64_t temp_evictions;  /* idle bounce buffers unregistered to stay in the budget */
	uint64_t idle_pages;      /* now */
	uint64_t arg_slot_hits;   /* messages sent as CALL_WITH_REGD_ARG from a slot */
	uint64_t arg_fresh;       /* messages that needed a fresh arg (too big, or growing) */
	uint64_t arg_pages;       /* slot pages registered */
};

/* The cache's counters.  TS_EINVAL if drv does not run "cached". */
int nw_cached_stats(struct optee_drv *drv, struct nw_cached_stats *out);
/*
 * Its invariants: idle buffers are registered whole pages, listed once, within
 * the budget, and their pages add up; slot pages are registered and counted.
 */
int nw_cached_check(struct optee_drv *drv);

#endif
