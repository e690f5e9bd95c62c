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
#include <stddef.h>
#include <stdint.h>

#include "sim/common/addr.h"

enum strategy_id {
	STRATEGY_CARVEOUT,
	STRATEGY_DYNAMIC,
	STRATEGY_CACHED,
	STRATEGY_RPC,
	STRATEGY_COUNT
};

struct strategy_params {
	enum strategy_id id;
	/*
	 * carveout under a hypervisor: the static area is split evenly between VMs
	 * (bytes each, 0: carveout / VMs; see carveout_split_init).
	 */
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

/*
 * The static carveout under a hypervisor: one slice per VM, fixed at boot by
 * this one rule, which the mediator, each guest process and the secure world
 * all apply to the same numbers (the DRAM layout's carveout and guest count),
 * so they agree without telling each other anything.
 *
 *   carveout  | slice 0 | slice 1 | ... | slice n-1 | rest (unused) |
 *   slice i   | shadow pages | guest part                          |
 *
 * Slice i belongs to VM id i (client id i + 1).  Its size is vm_bytes, or
 * carveout / max VMs, rounded down to 4 KiB pages.  Its first
 * CARVEOUT_SHADOW_PAGES are the mediator's: it copies the VM's message args
 * there (as it shadows args in its own RAM otherwise) so that the secure
 * world, which reaches only the statically mapped carveout under this
 * strategy, can read them, and they stay accounted to the VM.  The guest
 * never maps them.  The rest, the guest part, is what the guest maps and
 * allocates from; it sees it at an IPA window right above its RAM
 * (carveout_window_ipa).
 */
#define CARVEOUT_SHADOW_PAGES 4u   /* calls of one VM in flight at once through the mediator */
#define CARVEOUT_WINDOW_ALIGN_BYTES (2ull << 20)
/* GET_SHM_CONFIG is an SMC32 call: the window must end below 4 GiB. */
#define CARVEOUT_WINDOW_IPA_LIMIT (1ull << 32)

struct carveout_split {
	paddr_t base;           /* first byte of the carveout (slice 0) */
	uint64_t slice_bytes;   /* each slice, a whole number of pages */
	uint32_t n_vms;
};

struct carveout_slice {
	paddr_t pa;             /* the whole slice: [pa, pa + bytes) */
	uint64_t bytes;
	paddr_t guest_pa;       /* the guest part, after the shadow pages */
	uint64_t guest_bytes;
};

/*
 * Split carveout_bytes at base between max_vms VMs, each vm_bytes (0: an even
 * share).  TS_EINVAL (no VM, base not page aligned) or TS_ERANGE (a slice
 * would leave the guest less than one page, or the slices do not fit), with
 * a message in err.
 */
int carveout_split_init(struct carveout_split *s, paddr_t base, uint64_t carveout_bytes,
			uint32_t max_vms, uint64_t vm_bytes, char *err, size_t err_len);
/* The slice of VM id vm.  TS_ENOENT if vm has none. */
int carveout_split_slice(const struct carveout_split *s, uint32_t vm, struct carveout_slice *out);
/*
 * The VM id whose slice wholly holds [pa, pa + len_bytes), or -1: outside
 * every slice, across two, empty or wrapping.
 */
int32_t carveout_split_owner(const struct carveout_split *s, paddr_t pa, uint64_t len_bytes);
/*
 * Where a guest whose RAM is [ram_ipa, + ram_bytes) sees the guest part of its
 * slice (guest_bytes): on the first 2 MiB boundary above its RAM, so the
 * window never overlaps RAM whatever the RAM size.  TS_ERANGE if it would not
 * end below CARVEOUT_WINDOW_IPA_LIMIT.
 */
int carveout_window_ipa(uint64_t ram_ipa, uint64_t ram_bytes, uint64_t guest_bytes,
			uint64_t *window_ipa);

#endif
