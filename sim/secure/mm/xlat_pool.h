/*
 * Bounded pool of 4 KiB translation tables carved out of simulated secure DRAM.
 *
 * OP-TEE takes its translation tables from a fixed array in secure memory, and
 * running out of them is a real failure (optee_os #4639), so the simulator
 * keeps the same bound.  The tables themselves live in the caller's "secure
 * DRAM" (a PA range mapped at host_base in this process); per-table metadata
 * (free-list link, owner, count of valid descriptors) lives in caller-provided
 * storage so the table memory holds nothing but descriptors, exactly as an MMU
 * would read it.  Freestanding: no allocation, errors are TS_E* values.
 */
#ifndef TEESHM_SECURE_MM_XLAT_POOL_H
#define TEESHM_SECURE_MM_XLAT_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/common/addr.h"

#define XLAT_TABLE_SIZE_BYTES SMALL_PAGE_SIZE
#define XLAT_TABLE_ENTRIES 512u
/* End of the free list / "no such table". */
#define XLAT_POOL_NO_TABLE UINT32_MAX

/* Per-table bookkeeping, one per table of the pool, in caller storage. */
struct xlat_table_meta {
	/* Page-table object holding this table; NULL while free. */
	const void *owner;
	/* Index of the next free table while free, else XLAT_POOL_NO_TABLE. */
	uint32_t next_free;
	/* Scratch mark for the owner's reachability check (see check_epoch). */
	uint32_t check_mark;
	/* Valid descriptors currently in the table; maintained by the owner. */
	uint16_t valid_entries;
	/* Translation level the owner uses the table at. */
	uint8_t level;
	/* 1 while allocated. */
	uint8_t in_use;
};

struct xlat_pool {
	paddr_t base_pa;
	uint8_t *host_base;
	uint32_t n_tables;
	struct xlat_table_meta *meta;
	uint32_t free_head;
	/* Bumped by each reachability check so stale marks never match. */
	uint32_t check_epoch;

	/* Counters (plain fields, read directly by stats code). */
	uint32_t in_use;
	uint32_t peak_in_use;
	uint64_t allocs;
	uint64_t frees;
	uint64_t alloc_failures;
};

/*
 * Take over n_tables 4 KiB tables at [base_pa, base_pa + n_tables * 4 KiB),
 * which this process sees at host_base (8-byte aligned).  meta_storage must
 * hold n_tables entries and stay valid as long as the pool.
 * TS_EINVAL on a misaligned address, a NULL pointer, zero or too many tables,
 * or a PA range that wraps or does not fit a descriptor's 48-bit address.
 */
int xlat_pool_init(struct xlat_pool *pool, paddr_t base_pa, void *host_base, uint32_t n_tables,
		   struct xlat_table_meta *meta_storage);

/* A zeroed table: its PA in *pa.  TS_ENOMEM when every table is in use. */
int xlat_pool_alloc(struct xlat_pool *pool, paddr_t *pa);

/* Return a table.  TS_EINVAL if pa is not an allocated table of this pool. */
int xlat_pool_free(struct xlat_pool *pool, paddr_t pa);

/* Host pointer to the 512 descriptors of an allocated table, or NULL. */
uint64_t *xlat_pool_table_ptr(const struct xlat_pool *pool, paddr_t pa);

/* Metadata of an allocated table, or NULL if pa is not one. */
struct xlat_table_meta *xlat_pool_meta(const struct xlat_pool *pool, paddr_t pa);

/* Index of the table at pa (allocated or not); false if pa is not a table slot of the pool. */
bool xlat_pool_index(const struct xlat_pool *pool, paddr_t pa, uint32_t *index);

static inline paddr_t xlat_pool_table_pa(const struct xlat_pool *pool, uint32_t index)
{
	return pa_add(pool->base_pa, (uint64_t)index * XLAT_TABLE_SIZE_BYTES);
}

static inline uint32_t xlat_pool_free_count(const struct xlat_pool *pool)
{
	return pool->n_tables - pool->in_use;
}

/*
 * Invariants: the free list is acyclic, holds exactly the tables not in use,
 * free tables carry no owner or count, and the counters agree
 * (in_use == allocs - frees <= peak_in_use <= n_tables).
 * 0, TS_EINVAL (bad pool fields), TS_ELOOP (free-list cycle) or TS_EIO (mismatch).
 */
int xlat_pool_check(const struct xlat_pool *pool);

#endif
