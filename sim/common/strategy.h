/*
 * Shared-memory strategies: what both halves (normal world, secure world)
 * agree on -- the names, and the parameters with their defaults.  Each
 * strategy lives in strategies/<name>/ as nw.c (its normal-world half,
 * struct nw_strategy_ops in sim/normal/strategy_nw.h) and sw.c (its secure
 * half, struct sw_strategy_ops in sim/secure/strategy_sw.h).  See
 * docs/strategies.md.  Host code (the freestanding core does not need names).
 */
#ifndef TEESHM_COMMON_STRATEGY_H
#define TEESHM_COMMON_STRATEGY_H

#include <stdbool.h>
#include <stdint.h>

enum strategy_id {
	STRATEGY_CARVEOUT,
	STRATEGY_DYNAMIC,
	STRATEGY_CACHED,
	STRATEGY_RPC,
	STRATEGY_COUNT
};

struct strategy_params {
	enum strategy_id id;
	/* carveout: the static area is split evenly between VMs (bytes each, 0: carveout / VMs). */
	uint64_t carveout_vm_bytes;
	/* cached: pages of mappings a VM may keep alive; LRU eviction beyond. */
	uint64_t cache_pages_per_vm;
	/* cached: lazy TLB purge once this many unmapped pages are pending. */
	uint64_t lazy_purge_pages;
	/* rpc: pool growth chunk, and the idle watermark above which the pool shrinks. */
	uint64_t pool_chunk_pages;
	uint64_t pool_idle_pages;
};

/* "carveout", "dynamic", "cached", "rpc"; NULL for an invalid id. */
const char *strategy_name(enum strategy_id id);
/* The id of a name, or -1. */
int strategy_find(const char *name);
/* Defaults of every parameter for one strategy. */
void strategy_params_default(enum strategy_id id, struct strategy_params *p);

#endif
