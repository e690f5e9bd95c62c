/*
 * The secure core memory manager: dynamic shared-memory mappings owned by VMs.
 *
 * This is the seed proposal made concrete.  A range of secure VA space holds
 * no memory at boot; when the normal world registers pages (or answers an
 * RPC with pages), the core allocates VA from the SHM range (vaspace.h), maps
 * the pages in the real translation tables (pgt.h), indexes their physical
 * runs (pa_index.h) so phys_to_virt() works, and records the mapping against
 * the VM that owns the pages.  Unmapping clears the descriptors, invalidates
 * the TLB (tlb.h) by the configured policy -- per page, one ranged TLBI, one
 * full TLBI as OP-TEE does, or lazily in batches as vmalloc does -- and gives
 * the VA back.  vm_destroyed() tears down everything a VM owned.
 *
 * Every secure access to mapped memory goes through core_mm_read/write,
 * which translate through the TLB and walk the tables on a miss, so a
 * missing TLBI is observable as an access that still reaches the old page.
 *
 * Freestanding: the platform supplies the translation-table memory and a way
 * to reach physical memory (struct core_mm_platform); all metadata lives in
 * one caller-provided buffer of core_mm_metadata_bytes() bytes.
 */
#ifndef TEESHM_SECURE_MM_CORE_MM_H
#define TEESHM_SECURE_MM_CORE_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/common/addr.h"
#include "sim/secure/mm/pa_index.h"
#include "sim/secure/mm/pgt.h"
#include "sim/secure/mm/tlb.h"
#include "sim/secure/mm/vaspace.h"
#include "sim/secure/mm/xlat_pool.h"

/* Kinds of memory, with OP-TEE's names (core/include/mm/core_memprot.h). */
enum teecore_memtypes {
	MEM_AREA_TEE_RAM,     /* secure core image, heap, stacks */
	MEM_AREA_TA_RAM,      /* trusted application memory */
	MEM_AREA_NSEC_SHM,    /* the static non-secure carveout */
	MEM_AREA_SHM_VASPACE, /* dynamic shared memory (this module) */
	MEM_AREA_RES_VASPACE, /* ioremap range */
	MEM_AREA_IO_SEC,      /* secure device registers (static) */
	MEM_AREA_IO_NSEC,     /* non-secure device registers (static) */
	MEM_AREA_MAXTYPE
};

/* How unmap invalidates the TLB. */
enum core_mm_tlbi_policy {
	CORE_MM_TLBI_PER_PAGE, /* TLBI VAE1IS per page, then DSB ISH + ISB (Linux for small ranges) */
	CORE_MM_TLBI_RANGE,    /* one TLBI RVAE1IS per unmap (ARMv8.4-TLBI) */
	CORE_MM_TLBI_ALL,      /* one TLBI VMALLE1IS per unmap (what OP-TEE does) */
};

/* Physical memory kinds the platform can classify (core_pbuf_is). */
enum core_pa_kind {
	CORE_PA_SECURE,    /* any secure DRAM */
	CORE_PA_NONSECURE, /* any non-secure RAM (carveout or guest RAM) */
	CORE_PA_TEE_RAM,
	CORE_PA_TA_RAM,
	CORE_PA_NSEC_SHM,  /* the static carveout */
};

struct core_mm_platform {
	/* Translation tables: n tables of 4 KiB at pool_pa, seen at pool_host. */
	paddr_t xlat_pool_pa;
	void *xlat_pool_host;
	uint32_t xlat_pool_tables;
	/* Host pointer for [pa, pa + len) of DRAM, or NULL.  Used for data accesses. */
	void *(*pa_to_host)(void *ctx, paddr_t pa, size_t len_bytes);
	/* True when all of [pa, pa + len) is memory of that kind. */
	bool (*pa_range_is)(void *ctx, enum core_pa_kind kind, paddr_t pa, uint64_t len_bytes);
	void *ctx;
};

struct core_mm_config {
	unsigned va_bits;                /* 39 */
	vaddr_t shm_va_base;             /* dynamic SHM range */
	uint64_t shm_va_bytes;
	vaddr_t io_va_base;              /* ioremap range */
	uint64_t io_va_bytes;
	uint32_t max_mappings;           /* SHM + ioremap mappings alive at once */
	uint32_t max_pa_runs;            /* PA-index entries (>= one per mapping) */
	uint16_t max_vms;                /* VM ids 0 .. max_vms - 1 */
	uint64_t max_pages_per_vm;       /* 0: no limit */
	bool guard_page;                 /* an unmapped page after each mapping */
	enum core_mm_tlbi_policy tlbi_policy;
	uint64_t lazy_purge_pages;       /* 0: eager; else batch TLBI once this many pages are pending */
	uint32_t tlb_entries, tlb_ways;
	uint16_t asid;                   /* ASID of the core's own accesses */
	bool verify_tlb_hits;            /* walk on every TLB hit too, counting stale hits (debug) */
	bool skip_tlbi;                  /* fault injection: forget TLB maintenance on unmap */
};

/* Defaults: 39-bit VA, 1 GiB SHM range, 256 MiB ioremap range, 512-entry 4-way TLB. */
void core_mm_config_default(struct core_mm_config *cfg);

#define CORE_MM_MAX_STATIC 8

struct core_static_area {
	enum teecore_memtypes type;
	paddr_t pa;
	vaddr_t va;
	uint64_t size_bytes;
	uint32_t attrs;
};

enum core_mapping_state { CORE_MAPPING_UNUSED, CORE_MAPPING_MAPPED, CORE_MAPPING_LAZY };

struct core_mapping {
	struct va_area *area;
	struct pa_run *runs;         /* this mapping's PA-index entries */
	struct core_mapping *vm_next, *vm_prev; /* the owning VM's list, or the lazy list */
	uint64_t n_pages;
	uint32_t attrs;
	uint16_t vm;
	uint8_t type;                /* MEM_AREA_SHM_VASPACE or MEM_AREA_RES_VASPACE */
	uint8_t state;
	struct core_mapping *next_unused;
};

struct core_vm {
	bool alive;
	struct core_mapping *mappings;
	uint64_t n_mappings;
	uint64_t mapped_pages;
	uint64_t peak_mapped_pages;
};

/* Counters of the manager itself (the TLB and tables keep their own). */
#define CORE_MM_STATS_VERSION 1
#define CORE_MM_STATS_FIELDS(X)                                                 \
	X(maps)              /* successful map calls (SHM and ioremap) */       \
	X(unmaps)                                                               \
	X(pages_mapped)                                                         \
	X(pages_unmapped)                                                       \
	X(map_failures)                                                         \
	X(mapped_pages)      /* now */                                          \
	X(peak_mapped_pages)                                                    \
	X(walks)             /* table walks after a TLB miss */                 \
	X(walk_levels)       /* descriptors read by those walks */              \
	X(accesses)          /* pages touched by core_mm_read/write */          \
	X(access_faults)     /* translation or permission faults */             \
	X(stale_tlb_hits)    /* TLB hits the tables disagree with (verify_tlb_hits) */ \
	X(lazy_pending_pages)                                                   \
	X(lazy_purges)                                                          \
	X(vm_destroys)                                                          \
	X(vm_reclaimed_mappings)

struct core_mm_stats {
#define CORE_MM_STATS_DECLARE(name) uint64_t name;
	CORE_MM_STATS_FIELDS(CORE_MM_STATS_DECLARE)
#undef CORE_MM_STATS_DECLARE
};

struct core_mm {
	struct core_mm_config cfg;
	struct core_mm_platform plat;
	struct xlat_pool pool;
	struct pgt pgt;
	struct tlb tlb;
	struct vaspace shm_va;
	struct vaspace io_va;
	struct pa_index pa_idx;
	struct core_static_area statics[CORE_MM_MAX_STATIC];
	uint32_t n_statics;
	struct core_vm *vms;
	struct core_mapping *mappings;
	struct core_mapping *unused_mappings;
	uint32_t n_unused_mappings;
	struct core_mapping *lazy;    /* unmapped, VA not yet reusable, TLBI pending */
	size_t metadata_bytes;
	struct core_mm_stats stats;
};

/*
 * Bytes of metadata core_mm_init needs for this configuration and a table pool
 * of xlat_pool_tables tables: the core's bookkeeping cost, reported as such.
 */
size_t core_mm_metadata_bytes(const struct core_mm_config *cfg, uint32_t xlat_pool_tables);

/*
 * Set up the manager.  metadata must be 8-byte aligned and at least
 * core_mm_metadata_bytes(cfg, plat->xlat_pool_tables) long, and outlive mm.  TS_EINVAL for a bad
 * configuration (ranges outside va_bits or overlapping, zero capacities),
 * TS_ENOMEM if the pool cannot hold the root table.
 */
int core_mm_init(struct core_mm *mm, const struct core_mm_config *cfg,
		 const struct core_mm_platform *plat, void *metadata, size_t metadata_bytes);

/* Map a static area (boot time), with blocks where aligned. */
int core_mm_add_static(struct core_mm *mm, enum teecore_memtypes type, paddr_t pa,
		       uint64_t size_bytes, vaddr_t va, uint32_t attrs);

int core_mm_vm_created(struct core_mm *mm, uint16_t vm);
/* Unmap and free everything vm owned; returns how many mappings were reclaimed (>= 0) or TS_ENOENT. */
int core_mm_vm_destroyed(struct core_mm *mm, uint16_t vm);

/*
 * Map n_pages non-secure pages of vm at fresh SHM VA (page i at va + i pages).
 * attrs: PGT_ATTR_RO for read-only, else 0; NS and XN are always set.
 * Errors, each leaving no trace: TS_EINVAL (n_pages 0, unaligned page, bad
 * attrs), TS_EACCES (a page is not non-secure RAM), TS_ENOENT (vm not
 * alive), TS_ENOSPC (VA range or per-VM page limit exhausted), TS_ENOMEM
 * (translation tables or metadata exhausted).
 */
int core_mm_map_shm(struct core_mm *mm, uint16_t vm, const paddr_t *pages, size_t n_pages,
		    uint32_t attrs, vaddr_t *va_out);
/* Unmap the SHM mapping that starts at va.  TS_ENOENT if there is none. */
int core_mm_unmap_shm(struct core_mm *mm, vaddr_t va);

/* Map device registers [pa, pa + size) at ioremap VA; returns the VA of pa itself. */
int core_mm_ioremap(struct core_mm *mm, paddr_t pa, uint64_t size_bytes, bool secure,
		    vaddr_t *va_out);
int core_mm_iounmap(struct core_mm *mm, vaddr_t va);

/* Do the pending lazy TLB purge now (no-op when nothing is pending). */
void core_mm_purge_lazy(struct core_mm *mm);

/*
 * Secure-world access to [va, va + len) through the MMU model (TLB, then a
 * walk).  TS_EFAULT on a translation fault, TS_EACCES on a write to a
 * read-only page; bytes before the faulting page have been copied.
 */
int core_mm_read(struct core_mm *mm, vaddr_t va, void *dst, size_t len_bytes);
int core_mm_write(struct core_mm *mm, vaddr_t va, const void *src, size_t len_bytes);

/* The mapping that covers va (SHM or ioremap), or NULL. */
const struct core_mapping *core_mm_find_mapping(const struct core_mm *mm, vaddr_t va);
static inline vaddr_t core_mapping_va(const struct core_mapping *m)
{
	return va_init(m->area->start);
}

/* phys_to_virt / virt_to_phys on an explicit manager (core_memprot.h wraps them). */
vaddr_t core_mm_phys_to_virt(const struct core_mm *mm, paddr_t pa, enum teecore_memtypes type,
			     size_t len_bytes);
int core_mm_virt_to_phys(const struct core_mm *mm, vaddr_t va, paddr_t *pa);

/*
 * Every invariant: pool, tables, both VA spaces, PA index and TLB are each
 * valid; each live mapping's pages are mapped in the tables exactly where the
 * PA index says, and the SHM/ioremap ranges map nothing else; VM lists and
 * page counts match the mappings; descriptors are all accounted for.
 * 0 or a TS_E* code.
 */
int core_mm_check(struct core_mm *mm);

/* Nothing of vm remains: no mapping, no VA, no PA-index entry, no page counted.  0 or TS_EBUSY. */
int core_mm_check_vm_clean(const struct core_mm *mm, uint16_t vm);

/* Dump the MMU state for external tools (see DESIGN.md, --dump-mmu). */
struct core_mm_dump_ops {
	int (*regs)(void *ctx, uint64_t ttbr0, uint64_t tcr, uint64_t mair, unsigned va_bits,
		    unsigned granule_bytes);
	int (*table)(void *ctx, paddr_t pa, const uint64_t *descriptors, unsigned level);
	int (*mapping)(void *ctx, vaddr_t va, paddr_t pa, uint64_t n_pages, uint32_t attrs,
		       int vm, enum teecore_memtypes type);
};
int core_mm_dump(const struct core_mm *mm, const struct core_mm_dump_ops *ops, void *ctx);

const char *teecore_memtype_name(enum teecore_memtypes type);

#endif
