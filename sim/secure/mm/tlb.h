/*
 * TLB model of the secure core: an ARMv8-A EL1&0 stage-1 TLB (single VMID).
 *
 * Every secure access to shared memory is translated through this model, so
 * a missing TLBI shows up as a lookup that returns the *old* output address.
 * The model is deterministic: true LRU inside a set, driven by a use stamp
 * taken from a counter that only ever grows.
 *
 * Geometry: `entries` entries in `sets = entries / ways` sets of `ways`
 * ways; ways == entries is fully associative.  The caller hands in the entry
 * storage, laid out set-major: set s occupies storage[s * ways .. s * ways +
 * ways - 1].
 *
 * Indexing of different page sizes: each entry is indexed by the VA bits just
 * above its own size, set = (va >> size_shift) & (sets - 1), i.e. bits [12+]
 * for a 4 KiB page, [21+] for a 2 MiB block and [30+] for a 1 GiB block.  A
 * lookup therefore probes one set per supported size (three probes), which is
 * how a unified set-associative TLB holding several page sizes can stay both
 * correct and well spread: indexing blocks by their 4 KiB page number would
 * send every 2 MiB block to the few sets whose low index bits are zero.
 *
 * Overlapping matches (a page inside a cached block, or a global and a
 * non-global entry for one VA) are a TLB conflict in the architecture
 * (CONSTRAINED UNPREDICTABLE, usually the result of skipping
 * break-before-make).  The model answers with the most recently used matching
 * entry; stamps are unique across the whole TLB, so the choice is unique.
 *
 * The Inner Shareable TLBI variants (VAE1IS, ...) have the same effect as the
 * local ones in this single-PE model; callers count them the same way.
 */
#ifndef TEESHM_SECURE_MM_TLB_H
#define TEESHM_SECURE_MM_TLB_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/common/addr.h"

/* The leaf sizes of the 4 KiB granule: level-3 page, level-2 and level-1 blocks. */
#define TLB_SIZE_SHIFT_PAGE 12
#define TLB_SIZE_SHIFT_L2_BLOCK 21
#define TLB_SIZE_SHIFT_L1_BLOCK 30

/* One cached leaf translation. Fields are public because the caller owns the storage. */
struct tlb_entry {
	vaddr_t va;		/* start of the mapped page/block, aligned to its size */
	paddr_t pa;		/* output address of the page/block start */
	uint64_t attrs;		/* leaf descriptor attribute bits, opaque to the TLB */
	uint64_t stamp;		/* last use (fill or hit); 0 only while invalid */
	uint16_t asid;		/* 0 for global entries: the ASID is not part of their key */
	uint8_t size_shift;	/* 12, 21 or 30 */
	bool global;		/* filled from a descriptor with nG == 0: matches every ASID */
	bool valid;
};

/*
 * Counters, incremented as plain fields. The X-macro lets a writer (JSON, text)
 * iterate the names without a string lookup; bump the version when the list changes.
 */
#define TLB_STATS_VERSION 1
#define TLB_STATS_FIELDS(X)						\
	X(hits)			/* lookups answered by the TLB */	\
	X(misses)		/* lookups that need a walk */		\
	X(fills)		/* accepted tlb_fill calls, new or update */ \
	X(evictions)		/* valid entries replaced by a fill */	\
	X(tlbi_va)		/* TLBI VAE1(IS) */			\
	X(tlbi_vaa)		/* TLBI VAAE1(IS) */			\
	X(tlbi_range)		/* TLBI RVAE1(IS) */			\
	X(tlbi_asid)		/* TLBI ASIDE1(IS) */			\
	X(tlbi_all)		/* TLBI VMALLE1(IS) */			\
	X(entries_invalidated)	/* valid entries dropped by any TLBI */	\
	X(dsb)							\
	X(isb)

struct tlb_stats {
#define TLB_STATS_DECLARE(name) uint64_t name;
	TLB_STATS_FIELDS(TLB_STATS_DECLARE)
#undef TLB_STATS_DECLARE
};

struct tlb {
	struct tlb_entry *entries;	/* caller storage, sets * ways entries, set-major */
	uint32_t entry_count;
	uint32_t ways;
	uint32_t sets;			/* a power of two */
	uint64_t clock;			/* last use stamp handed out */
	uint32_t valid_entries;		/* lets an invalidation of an empty TLB cost nothing */
	struct tlb_stats stats;
};

/* What a hit returns. */
struct tlb_hit {
	paddr_t pa;		/* translation of the looked-up VA (block start + offset) */
	uint64_t attrs;
	unsigned int size_shift;
	bool global;
};

/*
 * Set up an empty TLB over `storage` (entries elements). 0, or TS_EINVAL when
 * entries is 0, not a multiple of ways, or entries / ways is not a power of two.
 */
int tlb_init(struct tlb *tlb, struct tlb_entry *storage, uint32_t entries, uint32_t ways);

/* Translate `va` for `asid`. On a hit fills *out (may be NULL) and marks the entry used. */
bool tlb_lookup(struct tlb *tlb, vaddr_t va, uint16_t asid, struct tlb_hit *out);

/*
 * Cache a walk result: the leaf of size 1 << size_shift containing `va` maps to
 * the block containing `block_pa`; both are aligned down here. An entry with
 * the same (VA block, size, global or ASID) key is updated in place. A TLB is
 * never obliged to cache, so an unsupported size_shift is dropped (not counted).
 */
void tlb_fill(struct tlb *tlb, vaddr_t va, uint16_t asid, bool global, paddr_t block_pa,
	      unsigned int size_shift, uint64_t attrs);

/* TLBI VAE1: entries whose block contains va and that are global or tagged asid. */
void tlb_inval_va(struct tlb *tlb, vaddr_t va, uint16_t asid);
/* TLBI VAAE1: entries whose block contains va, whatever their ASID. */
void tlb_inval_va_all_asid(struct tlb *tlb, vaddr_t va);
/*
 * TLBI RVAE1 (ARMv8.4-TLBI): one instruction dropping every global or asid
 * entry overlapping [va & ~4K-mask, + pages * 4 KiB), clamped at the top of the
 * address space.
 */
void tlb_inval_va_range(struct tlb *tlb, vaddr_t va, uint64_t pages, uint16_t asid);
/* TLBI ASIDE1: non-global entries tagged asid; global entries survive. */
void tlb_inval_asid(struct tlb *tlb, uint16_t asid);
/* TLBI VMALLE1: every entry. */
void tlb_inval_all(struct tlb *tlb);

/* Barriers only count: the model's invalidations take effect at once. */
void tlb_dsb(struct tlb *tlb);
void tlb_isb(struct tlb *tlb);

void tlb_stats_reset(struct tlb *tlb);

/* Number of valid entries; handy for tests and stats dumps. */
uint32_t tlb_valid_count(const struct tlb *tlb);

/*
 * Invariants: geometry consistent; every valid entry has size_shift 12/21/30,
 * VA and PA aligned to it, sits in the set its VA maps to, has ASID 0 if
 * global, a stamp in 1..clock unique within its set; no two valid entries of a
 * set share a key; valid_entries counts them. 0 or TS_EINVAL.
 */
int tlb_check(const struct tlb *tlb);

#endif
