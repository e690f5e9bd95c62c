/*
 * Stage-1 translation tables of the secure core (VMSAv8-64, 4 KiB granule).
 *
 * One `struct pgt` is one TTBR0 address space of va_bits (25..48) bits, built
 * from tables of a bounded xlat_pool.  Descriptors are real AArch64 ones (see
 * arch_mm.h), so the tables can be handed to an MMU model or dumped as-is.
 *
 * Every mutation runs in two phases, as in Hafnium: prepare walks the range
 * and allocates every table the change needs (and may fail, leaving the tree
 * exactly as it was), then commit writes descriptors and cannot fail.
 * An invariant the design relies on: apart from the root, no table is ever
 * left empty -- unmap frees tables that become empty, and a failed prepare
 * frees the (still empty) tables it linked.
 *
 * No TLB maintenance here: the caller (the TLB model) does TLBI after changes.
 */
#ifndef TEESHM_SECURE_MM_PGT_H
#define TEESHM_SECURE_MM_PGT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/common/addr.h"
#include "sim/secure/mm/xlat_pool.h"

/*
 * Abstract mapping attributes.  0 = normal write-back cached memory, secure,
 * privileged read-write, executable, global.
 */
#define PGT_ATTR_MEM_MASK 0x3u
#define PGT_ATTR_MEM_NORMAL 0x0u    /* normal, write-back RAWA, inner shareable */
#define PGT_ATTR_MEM_DEVICE 0x1u    /* device-nGnRE */
#define PGT_ATTR_MEM_NORMAL_NC 0x2u /* normal, non-cacheable, inner shareable */
#define PGT_ATTR_NS (1u << 2)       /* output address is in the non-secure PA space */
#define PGT_ATTR_RO (1u << 3)       /* read-only (else read-write) */
#define PGT_ATTR_USER (1u << 4)     /* EL0 may access too (else privileged only) */
/*
 * Execute-never for every EL.  Without it a privileged mapping is executable
 * at EL1 only (UXN set) and a USER mapping at EL0 only (PXN set): the secure
 * core never executes memory EL0 can reach.
 */
#define PGT_ATTR_XN (1u << 5)
#define PGT_ATTR_NG (1u << 6) /* not global: TLB entries tagged with the ASID */
#define PGT_ATTR_ALL                                                                  \
	(PGT_ATTR_MEM_MASK | PGT_ATTR_NS | PGT_ATTR_RO | PGT_ATTR_USER | PGT_ATTR_XN | \
	 PGT_ATTR_NG)

#define PGT_DEFAULT_VA_BITS 39u

struct pgt {
	struct xlat_pool *pool;
	paddr_t root_pa;
	unsigned va_bits;
	unsigned start_level;  /* level of the root table: 0, 1 or 2 */
	unsigned root_entries; /* descriptors used in the root table */

	/* Counters (plain fields). */
	uint64_t pte_writes;       /* every descriptor store, including clears */
	uint64_t tables_allocated; /* tables taken from the pool (incl. rolled back) */
	uint64_t tables_freed;     /* tables given back */
	uint64_t blocks_mapped;    /* block descriptors written by map */
	uint64_t blocks_split;     /* blocks replaced by a next-level table on unmap */
};

/*
 * Allocate the root table.  The struct must not move afterwards (tables are
 * tagged with its address).  TS_EINVAL for va_bits outside [25, 48] or a NULL
 * pool, TS_ERANGE if the pool lies above the 40-bit PA space, TS_ENOMEM.
 */
int pgt_init(struct pgt *pgt, struct xlat_pool *pool, unsigned va_bits);

/* Give every table, root included, back to the pool. */
void pgt_destroy(struct pgt *pgt);

/*
 * Map n_pages pages at va; page i goes to pages[i] (need not be contiguous).
 * A 512-page run that is 2 MiB aligned in VA, physically contiguous and 2 MiB
 * aligned in PA becomes one block descriptor (likewise 1 GiB at level 1).
 * 0, TS_EINVAL (n_pages 0, misaligned va or PA, bad attrs), TS_ERANGE (beyond
 * va_bits or the 40-bit PA space), TS_EEXIST (some page already mapped; no
 * change), TS_ENOMEM (no change).
 */
int pgt_map_pages(struct pgt *pgt, vaddr_t va, const paddr_t *pages, size_t n_pages,
		  uint32_t attrs);

/* Map the contiguous range [pa, pa + n_pages pages) at va, with blocks where aligned. */
int pgt_map_range(struct pgt *pgt, vaddr_t va, paddr_t pa, size_t n_pages, uint32_t attrs);

/*
 * Unmap [va, va + n_pages pages).  Every page must be mapped, else TS_ENOENT
 * and no change.  A block only partly covered is first split into a
 * next-level table; TS_ENOMEM if the pool cannot provide the (at most
 * PGT_MAX_SPLIT_TABLES) tables, with no change.  Tables left empty are freed.
 */
int pgt_unmap(struct pgt *pgt, vaddr_t va, size_t n_pages);

/* Both ends of a range may cut a 1 GiB block and then a 2 MiB block inside it. */
#define PGT_MAX_SPLIT_TABLES 4u

/*
 * Software walk of va.  0 with the output address (including the offset in
 * the page) in *pa, the attributes in *attrs, the descriptors read in
 * *levels_walked and log2 of the leaf size (12, 21 or 30) in *leaf_shift;
 * TS_ENOENT on a translation fault (levels_walked still says how many
 * descriptors were read, 0 for a VA beyond va_bits).  Any output may be NULL.
 */
int pgt_walk(const struct pgt *pgt, vaddr_t va, paddr_t *pa, uint32_t *attrs,
	     unsigned *levels_walked, unsigned *leaf_shift);

/* TTBR0_EL1, TCR_EL1 and MAIR_EL1 values that make an MMU use these tables. */
void pgt_regs(const struct pgt *pgt, uint64_t *ttbr0, uint64_t *tcr, uint64_t *mair);

/*
 * Visitor over every table, root first, parents before children, in VA order.
 * A non-zero return from cb stops the walk and is returned.
 */
typedef int (*pgt_table_visitor)(void *ctx, paddr_t table_pa, const uint64_t *table,
				 unsigned level);
int pgt_for_each_table(const struct pgt *pgt, pgt_table_visitor cb, void *ctx);

/*
 * Invariants: the pool is sane; the root and every table descriptor point at
 * an in-use pool table owned by this pgt at the right level (TS_EFAULT), none
 * referenced twice (TS_ELOOP); valid-entry counts match the tables and no
 * table but the root is empty (TS_ERANGE); every descriptor is well formed
 * -- types allowed at its level, no RES0 bits, AF on leaves, entries past
 * the root's size zero (TS_EIO); every in-use table owned by this pgt is
 * reachable from the root (TS_EBUSY).  TS_EINVAL for a bad pgt.
 * Uses a scratch mark in the pool metadata; not safe against concurrent checks.
 */
int pgt_check(const struct pgt *pgt);

#endif
