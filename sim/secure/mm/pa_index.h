/*
 * PA index of the secure core: which secure VA maps a given physical address.
 *
 * Each entry is a run of physically contiguous bytes mapped at contiguous
 * VAs (a dynamic mapping of scattered pages contributes one run per
 * contiguous stretch).  The same physical page may legitimately be mapped
 * twice (two shm objects over one page), so runs can overlap: the index is an
 * interval tree, an rb-tree keyed by start PA and augmented with the largest
 * end PA in each subtree.  A lookup for [pa, pa + len) returns the run with
 * the lowest start that contains it, in O(log n) when runs do not overlap.
 * This is what makes phys_to_virt() of dynamic shared memory possible (OP-TEE
 * itself does not support it).  Freestanding; the caller hands in the run
 * descriptors.
 */
#ifndef TEESHM_SECURE_MM_PA_INDEX_H
#define TEESHM_SECURE_MM_PA_INDEX_H

#include <stdint.h>

#include "sim/common/addr.h"
#include "sim/secure/mm/rbtree.h"

struct pa_run {
	struct rb_node node;
	uint64_t pa_start;
	uint64_t size_bytes;
	uint64_t va_start;
	uint64_t subtree_max_end; /* largest pa_start + size_bytes below */
	uint64_t seq;             /* insertion order: orders runs with equal starts */
	void *owner;
	struct pa_run *next_of_owner; /* the owner's own list of its runs (owner-maintained) */
	struct pa_run *next_unused;
};

struct pa_index {
	struct rb_root root;
	struct pa_run *unused;
	uint32_t n_unused;
	uint32_t n_descs;
	struct pa_run *descs;
	uint64_t next_seq;
	uint64_t n_runs;
};

int pa_index_init(struct pa_index *idx, struct pa_run *descs, uint32_t n_descs);

/* Descriptors left: callers reserve all the runs of a mapping before inserting any. */
static inline uint32_t pa_index_available(const struct pa_index *idx)
{
	return idx->n_unused;
}

/*
 * Record that [pa, pa + size_bytes) is mapped at va.  TS_EINVAL for a zero or
 * wrapping range, TS_ENOMEM when no descriptor is left.
 */
int pa_index_insert(struct pa_index *idx, paddr_t pa, uint64_t size_bytes, vaddr_t va, void *owner,
		    struct pa_run **out);
void pa_index_remove(struct pa_index *idx, struct pa_run *run);

/* The lowest-starting run that contains all of [pa, pa + len_bytes), or NULL. */
struct pa_run *pa_index_lookup(const struct pa_index *idx, paddr_t pa, uint64_t len_bytes);

/* Valid interval tree, augmented maxima right, counts and descriptors consistent.  0 or TS_EINVAL. */
int pa_index_check(const struct pa_index *idx);

#endif
