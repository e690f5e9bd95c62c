/*
 * VA-space allocator of the secure core, in the style of Linux mm/vmalloc.c.
 *
 * A range [base, base + size) of secure virtual addresses (the dynamic SHM
 * range, or the ioremap range) is tiled by areas.  Free areas live in an
 * rb-tree keyed by start address and augmented with the largest free size in
 * each subtree, so the lowest-address fit is found in O(log n).  Busy areas
 * live in a second tree keyed by start address, so the area holding any VA is
 * found in O(log n).  Freeing merges a free area with free neighbours at once,
 * so no two free areas are ever adjacent.
 *
 * Freestanding: the caller hands in the array of area descriptors; an
 * allocation needs at most two of them (the busy area, and the right-hand
 * remainder of a free area split in the middle) and fails with TS_ENOMEM,
 * changing nothing, if they are not available.
 */
#ifndef TEESHM_SECURE_MM_VASPACE_H
#define TEESHM_SECURE_MM_VASPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/common/addr.h"
#include "sim/secure/mm/rbtree.h"

enum va_area_state {
	VA_AREA_UNUSED, /* on the descriptor free list */
	VA_AREA_FREE,   /* in the free tree */
	VA_AREA_BUSY,   /* in the busy tree */
};

struct va_area {
	struct rb_node node;        /* in the free tree or the busy tree, by start */
	uint64_t start;             /* VA of the first byte */
	uint64_t size_bytes;        /* includes the guard bytes of a busy area */
	uint64_t subtree_max_bytes; /* free tree only: largest size_bytes below */
	uint64_t guard_bytes;       /* busy area: unmapped tail that catches overruns */
	enum va_area_state state;
	void *owner;                /* busy area: whatever the caller attaches */
	struct va_area *next_unused;
};

struct vaspace_stats {
	uint64_t allocs;
	uint64_t frees;
	uint64_t alloc_failures;
	uint64_t busy_bytes;      /* including guards */
	uint64_t busy_areas;
	uint64_t free_areas;
	uint64_t peak_busy_bytes;
};

struct vaspace {
	uint64_t base;
	uint64_t size_bytes;
	struct rb_root free_root;
	struct rb_root busy_root;
	struct va_area *unused;  /* descriptor free list */
	uint32_t n_unused;
	uint32_t n_descs;
	struct va_area *descs;
	struct vaspace_stats stats;
};

/*
 * Manage [base, base + size_bytes); both page aligned, size non-zero, no
 * wrap-around, and at least one descriptor.  TS_EINVAL otherwise.
 */
int vaspace_init(struct vaspace *vs, vaddr_t base, uint64_t size_bytes, struct va_area *descs,
		 uint32_t n_descs);

/*
 * Allocate the lowest-addressed range of size_bytes + guard_bytes whose start
 * is aligned to align_bytes (a power of two, at least a page).  Sizes are
 * whole pages; size_bytes is non-zero.  Returns 0 and the busy area,
 * TS_EINVAL for bad arguments, TS_ENOSPC when no free area fits, TS_ENOMEM
 * when no descriptor is left.  Nothing changes on failure.
 *
 * Cost: O(log n) when align_bytes is one page.  With larger alignment a free
 * area that is large enough may still not fit once aligned, and the search
 * backtracks past such areas, so the result is the exact lowest fit.
 */
int vaspace_alloc(struct vaspace *vs, uint64_t size_bytes, uint64_t align_bytes,
		  uint64_t guard_bytes, void *owner, struct va_area **out);

/* Return a busy area to the free tree, merging with free neighbours. */
void vaspace_free(struct vaspace *vs, struct va_area *area);

/* The busy area containing va (guard included), or NULL.  O(log n). */
struct va_area *vaspace_find(const struct vaspace *vs, vaddr_t va);

/* Busy areas in address order: first, then next after a given one (NULL at the end). */
struct va_area *vaspace_first_busy(const struct vaspace *vs);
struct va_area *vaspace_next_busy(const struct va_area *area);

static inline bool vaspace_contains(const struct vaspace *vs, vaddr_t va)
{
	return va_addr(va) >= vs->base && va_addr(va) - vs->base < vs->size_bytes;
}

/*
 * Invariants: both trees are valid rb-trees ordered by start, the free tree's
 * augmented maxima are right, free and busy areas tile [base, base + size)
 * exactly with no overlap or gap, no two free areas touch, every size is
 * non-zero and page aligned, the statistics match the trees, and every
 * descriptor is accounted for exactly once.  0 or TS_EINVAL.
 */
int vaspace_check(const struct vaspace *vs);

#endif
