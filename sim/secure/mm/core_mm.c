/* Secure core memory manager: dynamic, VM-owned shared-memory mappings (see core_mm.h). */
#include "sim/secure/mm/core_mm.h"

#include <string.h>

#include "sim/common/ts_err.h"
#include "sim/secure/mm/arch_mm.h"

/* Owner of secure-world mappings that belong to no VM (ioremap). */
#define CORE_MM_NO_VM 0xffffu

/* Attributes every dynamic SHM mapping carries: normal cached, non-secure, never executable. */
#define SHM_FIXED_ATTRS (PGT_ATTR_MEM_NORMAL | PGT_ATTR_NS | PGT_ATTR_XN)

void core_mm_config_default(struct core_mm_config *cfg)
{
	*cfg = (struct core_mm_config){
		.va_bits = PGT_DEFAULT_VA_BITS,
		.shm_va_base = va_init(0x4000000000ull >> 2), /* 64 GiB: clear of statics below */
		.shm_va_bytes = 1ull << 30,
		.io_va_base = va_init((0x4000000000ull >> 2) + (2ull << 30)),
		.io_va_bytes = 256ull << 20,
		.max_mappings = 4096,
		.max_pa_runs = 16384,
		.max_vms = 64,
		.guard_page = true,
		.tlbi_policy = CORE_MM_TLBI_ALL,
		.tlb_entries = 512,
		.tlb_ways = 4,
	};
}

const char *teecore_memtype_name(enum teecore_memtypes type)
{
	static const char *const names[MEM_AREA_MAXTYPE] = {
		[MEM_AREA_TEE_RAM] = "TEE_RAM",
		[MEM_AREA_TA_RAM] = "TA_RAM",
		[MEM_AREA_NSEC_SHM] = "NSEC_SHM",
		[MEM_AREA_SHM_VASPACE] = "SHM_VASPACE",
		[MEM_AREA_RES_VASPACE] = "RES_VASPACE",
		[MEM_AREA_IO_SEC] = "IO_SEC",
		[MEM_AREA_IO_NSEC] = "IO_NSEC",
	};

	return (unsigned)type < MEM_AREA_MAXTYPE ? names[type] : "INVALID";
}

/* Descriptors for one VA space: each busy area may split off one free area, plus the initial one. */
static uint32_t va_descs(const struct core_mm_config *cfg)
{
	return 2 * cfg->max_mappings + 1;
}

static size_t align8(size_t v)
{
	return (v + 7) & ~(size_t)7;
}

size_t core_mm_metadata_bytes(const struct core_mm_config *cfg, uint32_t xlat_pool_tables)
{
	return align8((size_t)xlat_pool_tables * sizeof(struct xlat_table_meta)) +
	       align8((size_t)cfg->tlb_entries * sizeof(struct tlb_entry)) +
	       2 * align8((size_t)va_descs(cfg) * sizeof(struct va_area)) +
	       align8((size_t)cfg->max_pa_runs * sizeof(struct pa_run)) +
	       align8((size_t)cfg->max_vms * sizeof(struct core_vm)) +
	       align8((size_t)cfg->max_mappings * sizeof(struct core_mapping));
}

static void *carve(uint8_t **cursor, size_t bytes)
{
	void *p = *cursor;

	*cursor += align8(bytes);
	return p;
}

static bool range_in_va_bits(vaddr_t base, uint64_t bytes, unsigned va_bits)
{
	uint64_t limit = 1ull << va_bits;

	return bytes != 0 && va_is_page_aligned(base) && !(bytes & SMALL_PAGE_MASK) &&
	       va_addr(base) < limit && bytes <= limit - va_addr(base);
}

static bool ranges_overlap(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len)
{
	return a < b + b_len && b < a + a_len;
}

int core_mm_init(struct core_mm *mm, const struct core_mm_config *cfg,
		 const struct core_mm_platform *plat, void *metadata, size_t metadata_bytes)
{
	struct xlat_table_meta *xmeta;
	uint8_t *cursor = metadata;
	uint32_t i;
	int rc;

	if (!mm || !cfg || !plat || !metadata || ((uintptr_t)metadata & 7) || !plat->pa_to_host ||
	    !plat->pa_range_is || !arch_mm_va_bits_valid(cfg->va_bits) ||
	    !range_in_va_bits(cfg->shm_va_base, cfg->shm_va_bytes, cfg->va_bits) ||
	    !range_in_va_bits(cfg->io_va_base, cfg->io_va_bytes, cfg->va_bits) ||
	    ranges_overlap(va_addr(cfg->shm_va_base), cfg->shm_va_bytes, va_addr(cfg->io_va_base),
			   cfg->io_va_bytes) ||
	    cfg->max_mappings == 0 || cfg->max_pa_runs == 0 || cfg->max_vms == 0 ||
	    cfg->max_vms >= CORE_MM_NO_VM || cfg->tlbi_policy > CORE_MM_TLBI_ALL ||
	    metadata_bytes < core_mm_metadata_bytes(cfg, plat->xlat_pool_tables))
		return TS_EINVAL;

	memset(mm, 0, sizeof(*mm));
	mm->cfg = *cfg;
	mm->plat = *plat;
	mm->metadata_bytes = core_mm_metadata_bytes(cfg, plat->xlat_pool_tables);
	memset(metadata, 0, mm->metadata_bytes);

	xmeta = carve(&cursor, (size_t)plat->xlat_pool_tables * sizeof(struct xlat_table_meta));
	rc = xlat_pool_init(&mm->pool, plat->xlat_pool_pa, plat->xlat_pool_host,
			    plat->xlat_pool_tables, xmeta);
	if (rc)
		return rc;
	rc = tlb_init(&mm->tlb, carve(&cursor, (size_t)cfg->tlb_entries * sizeof(struct tlb_entry)),
		      cfg->tlb_entries, cfg->tlb_ways);
	if (rc)
		return rc;
	rc = vaspace_init(&mm->shm_va, cfg->shm_va_base, cfg->shm_va_bytes,
			  carve(&cursor, (size_t)va_descs(cfg) * sizeof(struct va_area)),
			  va_descs(cfg));
	if (rc)
		return rc;
	rc = vaspace_init(&mm->io_va, cfg->io_va_base, cfg->io_va_bytes,
			  carve(&cursor, (size_t)va_descs(cfg) * sizeof(struct va_area)),
			  va_descs(cfg));
	if (rc)
		return rc;
	rc = pa_index_init(&mm->pa_idx, carve(&cursor, (size_t)cfg->max_pa_runs * sizeof(struct pa_run)),
			   cfg->max_pa_runs);
	if (rc)
		return rc;
	mm->vms = carve(&cursor, (size_t)cfg->max_vms * sizeof(struct core_vm));
	mm->mappings = carve(&cursor, (size_t)cfg->max_mappings * sizeof(struct core_mapping));
	for (i = cfg->max_mappings; i-- > 0;) {
		mm->mappings[i].next_unused = mm->unused_mappings;
		mm->unused_mappings = &mm->mappings[i];
	}
	mm->n_unused_mappings = cfg->max_mappings;
	return pgt_init(&mm->pgt, &mm->pool, cfg->va_bits);
}

int core_mm_add_static(struct core_mm *mm, enum teecore_memtypes type, paddr_t pa,
		       uint64_t size_bytes, vaddr_t va, uint32_t attrs)
{
	struct core_static_area *s;
	uint32_t i;
	int rc;

	if (type == MEM_AREA_SHM_VASPACE || type == MEM_AREA_RES_VASPACE ||
	    (unsigned)type >= MEM_AREA_MAXTYPE || mm->n_statics == CORE_MM_MAX_STATIC ||
	    !range_in_va_bits(va, size_bytes, mm->cfg.va_bits) || !pa_is_page_aligned(pa) ||
	    ranges_overlap(va_addr(va), size_bytes, mm->shm_va.base, mm->shm_va.size_bytes) ||
	    ranges_overlap(va_addr(va), size_bytes, mm->io_va.base, mm->io_va.size_bytes))
		return TS_EINVAL;
	for (i = 0; i < mm->n_statics; i++)
		if (ranges_overlap(va_addr(va), size_bytes, va_addr(mm->statics[i].va),
				   mm->statics[i].size_bytes))
			return TS_EEXIST;
	if (type == MEM_AREA_NSEC_SHM || type == MEM_AREA_IO_NSEC)
		attrs |= PGT_ATTR_NS;
	rc = pgt_map_range(&mm->pgt, va, pa, size_bytes >> SMALL_PAGE_SHIFT, attrs);
	if (rc)
		return rc;
	tlb_dsb(&mm->tlb);
	tlb_isb(&mm->tlb);
	s = &mm->statics[mm->n_statics++];
	*s = (struct core_static_area){ type, pa, va, size_bytes, attrs };
	return 0;
}

int core_mm_vm_created(struct core_mm *mm, uint16_t vm)
{
	if (vm >= mm->cfg.max_vms)
		return TS_EINVAL;
	if (mm->vms[vm].alive)
		return TS_EEXIST;
	mm->vms[vm] = (struct core_vm){ .alive = true };
	return 0;
}

static struct core_mapping *mapping_get(struct core_mm *mm)
{
	struct core_mapping *m = mm->unused_mappings;

	mm->unused_mappings = m->next_unused;
	mm->n_unused_mappings--;
	memset(m, 0, sizeof(*m));
	return m;
}

static void mapping_put(struct core_mm *mm, struct core_mapping *m)
{
	memset(m, 0, sizeof(*m));
	m->state = CORE_MAPPING_UNUSED;
	m->next_unused = mm->unused_mappings;
	mm->unused_mappings = m;
	mm->n_unused_mappings++;
}

static void list_push(struct core_mapping **head, struct core_mapping *m)
{
	m->vm_prev = NULL;
	m->vm_next = *head;
	if (*head)
		(*head)->vm_prev = m;
	*head = m;
}

static void list_unlink(struct core_mapping **head, struct core_mapping *m)
{
	if (m->vm_prev)
		m->vm_prev->vm_next = m->vm_next;
	else
		*head = m->vm_next;
	if (m->vm_next)
		m->vm_next->vm_prev = m->vm_prev;
	m->vm_next = m->vm_prev = NULL;
}

/* Physically contiguous runs in a page list (each becomes one PA-index entry). */
static size_t count_runs(const paddr_t *pages, size_t n_pages)
{
	size_t i, runs = 1;

	for (i = 1; i < n_pages; i++)
		runs += pa_addr(pages[i]) != pa_addr(pages[i - 1]) + SMALL_PAGE_SIZE;
	return runs;
}

/* Insert the runs of a page list mapped at va; descriptors were reserved by the caller. */
static void index_runs(struct core_mm *mm, struct core_mapping *m, const paddr_t *pages,
		       size_t n_pages, uint64_t va)
{
	struct pa_run **tail = &m->runs;
	size_t i = 0;

	while (i < n_pages) {
		size_t j = i + 1;
		struct pa_run *run;

		while (j < n_pages && pa_addr(pages[j]) == pa_addr(pages[j - 1]) + SMALL_PAGE_SIZE)
			j++;
		/* Cannot fail: the range is valid and the descriptors are reserved. */
		(void)pa_index_insert(&mm->pa_idx, pages[i], (j - i) * SMALL_PAGE_SIZE,
				      va_init(va + i * SMALL_PAGE_SIZE), m, &run);
		*tail = run;
		tail = &run->next_of_owner;
		i = j;
	}
}

static void unindex_runs(struct core_mm *mm, struct core_mapping *m)
{
	struct pa_run *run = m->runs;

	while (run) {
		struct pa_run *next = run->next_of_owner;

		pa_index_remove(&mm->pa_idx, run);
		run = next;
	}
	m->runs = NULL;
}

static void tlb_maintain_range(struct core_mm *mm, uint64_t va, uint64_t n_pages)
{
	uint64_t i;

	switch (mm->cfg.tlbi_policy) {
	case CORE_MM_TLBI_PER_PAGE:
		for (i = 0; i < n_pages; i++)
			tlb_inval_va(&mm->tlb, va_init(va + i * SMALL_PAGE_SIZE), mm->cfg.asid);
		break;
	case CORE_MM_TLBI_RANGE:
		tlb_inval_va_range(&mm->tlb, va_init(va), n_pages, mm->cfg.asid);
		break;
	case CORE_MM_TLBI_ALL:
		tlb_inval_all(&mm->tlb);
		break;
	}
	tlb_dsb(&mm->tlb);
	tlb_isb(&mm->tlb);
}

static void release_area(struct core_mm *mm, struct core_mapping *m)
{
	vaspace_free(m->type == MEM_AREA_SHM_VASPACE ? &mm->shm_va : &mm->io_va, m->area);
	mapping_put(mm, m);
}

void core_mm_purge_lazy(struct core_mm *mm)
{
	if (!mm->lazy)
		return;
	/* One full invalidation covers every pending range, as vmalloc's lazy purge does. */
	tlb_inval_all(&mm->tlb);
	tlb_dsb(&mm->tlb);
	tlb_isb(&mm->tlb);
	while (mm->lazy) {
		struct core_mapping *m = mm->lazy;

		list_unlink(&mm->lazy, m);
		release_area(mm, m);
	}
	mm->stats.lazy_pending_pages = 0;
	mm->stats.lazy_purges++;
}

/*
 * Map n_pages at fresh VA of the range for type: page i is pages[i], or
 * contig + i pages when pages is NULL (device ranges).  Either everything is
 * done or nothing is: descriptors are reserved before anything changes, and
 * the table update is the last step that can fail.
 */
static int map_common(struct core_mm *mm, uint16_t vm, enum teecore_memtypes type,
		      const paddr_t *pages, paddr_t contig, size_t n_pages, uint32_t attrs,
		      struct core_mapping **out)
{
	struct vaspace *vs = type == MEM_AREA_SHM_VASPACE ? &mm->shm_va : &mm->io_va;
	uint64_t guard = mm->cfg.guard_page ? SMALL_PAGE_SIZE : 0;
	struct core_mapping *m;
	struct va_area *area;
	size_t runs = pages ? count_runs(pages, n_pages) : 1;
	int rc;

	if (runs > pa_index_available(&mm->pa_idx) || !mm->unused_mappings)
		return TS_ENOMEM;
	if (n_pages > vs->size_bytes >> SMALL_PAGE_SHIFT)
		return TS_ENOSPC;
	m = mapping_get(mm);
	rc = vaspace_alloc(vs, n_pages << SMALL_PAGE_SHIFT, SMALL_PAGE_SIZE, guard, m, &area);
	if (rc == TS_ENOSPC && mm->lazy) {
		/* Lazily freed VA is still reserved: purge it and try once more, as vmalloc does. */
		core_mm_purge_lazy(mm);
		rc = vaspace_alloc(vs, n_pages << SMALL_PAGE_SHIFT, SMALL_PAGE_SIZE, guard, m, &area);
	}
	if (rc) {
		mapping_put(mm, m);
		return rc;
	}
	rc = pages ? pgt_map_pages(&mm->pgt, va_init(area->start), pages, n_pages, attrs) :
		     pgt_map_range(&mm->pgt, va_init(area->start), contig, n_pages, attrs);
	if (rc) {
		vaspace_free(vs, area);
		mapping_put(mm, m);
		return rc;
	}
	/* New descriptors replace invalid ones: no TLBI, but they must be visible before use. */
	tlb_dsb(&mm->tlb);
	tlb_isb(&mm->tlb);
	m->area = area;
	m->n_pages = n_pages;
	m->attrs = attrs;
	m->vm = vm;
	m->type = (uint8_t)type;
	m->state = CORE_MAPPING_MAPPED;
	if (pages) {
		index_runs(mm, m, pages, n_pages, area->start);
	} else {
		/* Cannot fail: the range was checked by the table update and a descriptor is reserved. */
		(void)pa_index_insert(&mm->pa_idx, contig, n_pages << SMALL_PAGE_SHIFT,
				      va_init(area->start), m, &m->runs);
	}
	mm->stats.maps++;
	mm->stats.pages_mapped += n_pages;
	mm->stats.mapped_pages += n_pages;
	if (mm->stats.mapped_pages > mm->stats.peak_mapped_pages)
		mm->stats.peak_mapped_pages = mm->stats.mapped_pages;
	*out = m;
	return 0;
}

int core_mm_map_shm(struct core_mm *mm, uint16_t vm, const paddr_t *pages, size_t n_pages,
		    uint32_t attrs, vaddr_t *va_out)
{
	struct core_mapping *m;
	struct core_vm *v;
	size_t i, run_start = 0;
	int rc;

	if (n_pages == 0 || (attrs & ~PGT_ATTR_RO)) {
		rc = TS_EINVAL;
		goto fail;
	}
	if (vm >= mm->cfg.max_vms || !mm->vms[vm].alive) {
		rc = TS_ENOENT;
		goto fail;
	}
	v = &mm->vms[vm];
	/* Check each physically contiguous run is page aligned and non-secure RAM. */
	for (i = 0; i < n_pages; i++) {
		if (!pa_is_page_aligned(pages[i])) {
			rc = TS_EINVAL;
			goto fail;
		}
		if (i + 1 == n_pages ||
		    pa_addr(pages[i + 1]) != pa_addr(pages[i]) + SMALL_PAGE_SIZE) {
			if (!mm->plat.pa_range_is(mm->plat.ctx, CORE_PA_NONSECURE, pages[run_start],
						  (i + 1 - run_start) * SMALL_PAGE_SIZE)) {
				rc = TS_EACCES;
				goto fail;
			}
			run_start = i + 1;
		}
	}
	if (mm->cfg.max_pages_per_vm && n_pages > mm->cfg.max_pages_per_vm - v->mapped_pages) {
		rc = TS_ENOSPC;
		goto fail;
	}
	rc = map_common(mm, vm, MEM_AREA_SHM_VASPACE, pages, pa_init(0), n_pages,
			attrs | SHM_FIXED_ATTRS, &m);
	if (rc)
		goto fail;
	list_push(&v->mappings, m);
	v->n_mappings++;
	v->mapped_pages += n_pages;
	if (v->mapped_pages > v->peak_mapped_pages)
		v->peak_mapped_pages = v->mapped_pages;
	*va_out = core_mapping_va(m);
	return 0;
fail:
	mm->stats.map_failures++;
	return rc;
}

/* Tear down one mapping: descriptors, PA index, owner, then TLB and VA by policy. */
static int unmap_mapping(struct core_mm *mm, struct core_mapping *m)
{
	uint64_t va = m->area->start;
	int rc;

	rc = pgt_unmap(&mm->pgt, va_init(va), m->n_pages);
	if (rc)
		return rc;
	unindex_runs(mm, m);
	if (m->type == MEM_AREA_SHM_VASPACE) {
		struct core_vm *v = &mm->vms[m->vm];

		list_unlink(&v->mappings, m);
		v->n_mappings--;
		v->mapped_pages -= m->n_pages;
	}
	mm->stats.unmaps++;
	mm->stats.pages_unmapped += m->n_pages;
	mm->stats.mapped_pages -= m->n_pages;

	if (mm->cfg.skip_tlbi) {
		release_area(mm, m);
	} else if (mm->cfg.lazy_purge_pages && m->type == MEM_AREA_SHM_VASPACE) {
		/* The VA stays reserved until the batched TLBI, so no stale entry can alias a new mapping. */
		m->state = CORE_MAPPING_LAZY;
		list_push(&mm->lazy, m);
		mm->stats.lazy_pending_pages += m->n_pages;
		if (mm->stats.lazy_pending_pages >= mm->cfg.lazy_purge_pages)
			core_mm_purge_lazy(mm);
	} else {
		tlb_maintain_range(mm, va, m->n_pages);
		release_area(mm, m);
	}
	return 0;
}

int core_mm_unmap_shm(struct core_mm *mm, vaddr_t va)
{
	struct va_area *area = vaspace_find(&mm->shm_va, va);
	struct core_mapping *m = area ? area->owner : NULL;

	if (!m || area->start != va_addr(va) || m->state != CORE_MAPPING_MAPPED)
		return TS_ENOENT;
	return unmap_mapping(mm, m);
}

int core_mm_vm_destroyed(struct core_mm *mm, uint16_t vm)
{
	struct core_vm *v;
	int reclaimed = 0, rc;

	if (vm >= mm->cfg.max_vms || !mm->vms[vm].alive)
		return TS_ENOENT;
	v = &mm->vms[vm];
	while (v->mappings) {
		rc = unmap_mapping(mm, v->mappings);
		if (rc)
			return rc; /* only a block split can fail, and SHM is unmapped whole */
		reclaimed++;
	}
	v->alive = false;
	mm->stats.vm_destroys++;
	mm->stats.vm_reclaimed_mappings += (uint64_t)reclaimed;
	return reclaimed;
}

int core_mm_ioremap(struct core_mm *mm, paddr_t pa, uint64_t size_bytes, bool secure,
		    vaddr_t *va_out)
{
	uint64_t offset = pa_addr(pa) & SMALL_PAGE_MASK, n_pages;
	paddr_t first = pa_init(pa_addr(pa) & ~SMALL_PAGE_MASK);
	struct core_mapping *m;
	int rc;

	if (size_bytes == 0 || size_bytes > UINT64_MAX - SMALL_PAGE_MASK - offset)
		return TS_EINVAL;
	n_pages = pages_spanned(offset, size_bytes);
	if (range_overflows(pa_addr(first), n_pages << SMALL_PAGE_SHIFT))
		return TS_EINVAL;
	/* Device registers are never DRAM: mapping RAM as device memory would break coherency. */
	if (mm->plat.pa_range_is(mm->plat.ctx, CORE_PA_SECURE, first, n_pages << SMALL_PAGE_SHIFT) ||
	    mm->plat.pa_range_is(mm->plat.ctx, CORE_PA_NONSECURE, first, n_pages << SMALL_PAGE_SHIFT))
		return TS_EACCES;
	rc = map_common(mm, CORE_MM_NO_VM, MEM_AREA_RES_VASPACE, NULL, first, n_pages,
			PGT_ATTR_MEM_DEVICE | PGT_ATTR_XN | (secure ? 0 : PGT_ATTR_NS), &m);
	if (rc)
		return rc;
	*va_out = va_add(core_mapping_va(m), offset);
	return 0;
}

int core_mm_iounmap(struct core_mm *mm, vaddr_t va)
{
	struct va_area *area = vaspace_find(&mm->io_va, va);
	struct core_mapping *m = area ? area->owner : NULL;

	if (!m || m->state != CORE_MAPPING_MAPPED ||
	    va_addr(va) - area->start >= m->n_pages << SMALL_PAGE_SHIFT)
		return TS_ENOENT;
	return unmap_mapping(mm, m);
}

/* Translate one VA for an access: TLB first, a walk (and fill) on a miss. */
static int translate(struct core_mm *mm, uint64_t va, bool write, paddr_t *pa_out)
{
	struct tlb_hit hit;
	uint32_t attrs;
	paddr_t pa;
	unsigned levels = 0, leaf_shift = 0;
	int rc;

	if (tlb_lookup(&mm->tlb, va_init(va), mm->cfg.asid, &hit)) {
		pa = hit.pa;
		attrs = (uint32_t)hit.attrs;
		if (mm->cfg.verify_tlb_hits) {
			paddr_t walked;

			/* The hardware would use the TLB's answer; we only count the disagreement. */
			if (pgt_walk(&mm->pgt, va_init(va), &walked, NULL, NULL, NULL) ||
			    !pa_eq(walked, pa))
				mm->stats.stale_tlb_hits++;
		}
	} else {
		rc = pgt_walk(&mm->pgt, va_init(va), &pa, &attrs, &levels, &leaf_shift);
		mm->stats.walks++;
		mm->stats.walk_levels += levels;
		if (rc) {
			mm->stats.access_faults++;
			return TS_EFAULT;
		}
		tlb_fill(&mm->tlb, va_init(va), mm->cfg.asid, !(attrs & PGT_ATTR_NG), pa, leaf_shift,
			 attrs);
	}
	if (write && (attrs & PGT_ATTR_RO)) {
		mm->stats.access_faults++;
		return TS_EACCES;
	}
	*pa_out = pa;
	return 0;
}

static int access_bytes(struct core_mm *mm, vaddr_t va, uint8_t *buf, size_t len, bool write)
{
	uint64_t v = va_addr(va);

	if (range_overflows(v, len))
		return TS_EFAULT;
	while (len) {
		size_t chunk = SMALL_PAGE_SIZE - (v & SMALL_PAGE_MASK);
		paddr_t pa;
		uint8_t *host;
		int rc;

		if (chunk > len)
			chunk = len;
		rc = translate(mm, v, write, &pa);
		if (rc)
			return rc;
		mm->stats.accesses++;
		host = mm->plat.pa_to_host(mm->plat.ctx, pa, chunk);
		if (!host) {
			mm->stats.access_faults++;
			return TS_EFAULT; /* device memory or a PA nothing backs */
		}
		if (write)
			memcpy(host, buf, chunk);
		else
			memcpy(buf, host, chunk);
		buf += chunk;
		v += chunk;
		len -= chunk;
	}
	return 0;
}

int core_mm_read(struct core_mm *mm, vaddr_t va, void *dst, size_t len_bytes)
{
	return access_bytes(mm, va, dst, len_bytes, false);
}

int core_mm_write(struct core_mm *mm, vaddr_t va, const void *src, size_t len_bytes)
{
	return access_bytes(mm, va, (uint8_t *)(uintptr_t)src, len_bytes, true);
}

const struct core_mapping *core_mm_find_mapping(const struct core_mm *mm, vaddr_t va)
{
	const struct va_area *a = vaspace_find(&mm->shm_va, va);

	if (!a)
		a = vaspace_find(&mm->io_va, va);
	if (!a || !a->owner)
		return NULL;
	{
		const struct core_mapping *m = a->owner;

		/* The guard page belongs to the area but not to the mapping. */
		if (m->state != CORE_MAPPING_MAPPED ||
		    va_addr(va) - a->start >= m->n_pages << SMALL_PAGE_SHIFT)
			return NULL;
		return m;
	}
}

vaddr_t core_mm_phys_to_virt(const struct core_mm *mm, paddr_t pa, enum teecore_memtypes type,
			     size_t len_bytes)
{
	uint32_t i;

	if (len_bytes == 0 || range_overflows(pa_addr(pa), len_bytes))
		return va_init(0);
	if (type == MEM_AREA_SHM_VASPACE || type == MEM_AREA_RES_VASPACE) {
		const struct pa_run *run = pa_index_lookup(&mm->pa_idx, pa, len_bytes);

		if (!run || ((const struct core_mapping *)run->owner)->type != type)
			return va_init(0);
		return va_init(run->va_start + (pa_addr(pa) - run->pa_start));
	}
	for (i = 0; i < mm->n_statics; i++) {
		const struct core_static_area *s = &mm->statics[i];

		if (s->type == type && pa_addr(pa) >= pa_addr(s->pa) &&
		    pa_addr(pa) - pa_addr(s->pa) < s->size_bytes &&
		    len_bytes <= s->size_bytes - (pa_addr(pa) - pa_addr(s->pa)))
			return va_add(s->va, pa_addr(pa) - pa_addr(s->pa));
	}
	return va_init(0);
}

int core_mm_virt_to_phys(const struct core_mm *mm, vaddr_t va, paddr_t *pa)
{
	return pgt_walk(&mm->pgt, va, pa, NULL, NULL, NULL) ? TS_EFAULT : 0;
}

/* Pages mapped anywhere in the tables (blocks count as their pages). */
struct leaf_count {
	uint64_t pages;
};

static int count_leaves(void *ctx, paddr_t table_pa, const uint64_t *table, unsigned level)
{
	struct leaf_count *lc = ctx;
	unsigned i;

	(void)table_pa;
	for (i = 0; i < ARCH_MM_ENTRIES_PER_TABLE; i++)
		if (arch_mm_pte_is_leaf(table[i], level))
			lc->pages += arch_mm_level_size_bytes(level) >> SMALL_PAGE_SHIFT;
	return 0;
}

/* Each page of a live mapping translates where its PA-index runs say; the guard does not. */
static int check_mapping(const struct core_mm *mm, const struct core_mapping *m)
{
	const struct pa_run *run = m->runs;
	uint64_t va = m->area->start, page = 0, run_off = 0;

	if (m->state == CORE_MAPPING_LAZY)
		return m->runs ? TS_EINVAL : 0;
	if (m->state != CORE_MAPPING_MAPPED || m->area->owner != m ||
	    m->area->size_bytes != (m->n_pages << SMALL_PAGE_SHIFT) + m->area->guard_bytes)
		return TS_EINVAL;
	for (page = 0; page < m->n_pages; page++) {
		paddr_t pa;
		uint32_t attrs;

		if (!run || run->owner != m)
			return TS_EINVAL;
		if (pgt_walk(&mm->pgt, va_init(va + page * SMALL_PAGE_SIZE), &pa, &attrs, NULL, NULL) ||
		    pa_addr(pa) != run->pa_start + run_off || attrs != m->attrs ||
		    run->va_start + run_off != va + page * SMALL_PAGE_SIZE)
			return TS_EFAULT;
		run_off += SMALL_PAGE_SIZE;
		if (run_off == run->size_bytes) {
			run = run->next_of_owner;
			run_off = 0;
		}
	}
	if (run || run_off)
		return TS_EINVAL;
	if (m->area->guard_bytes &&
	    !pgt_walk(&mm->pgt, va_init(va + (m->n_pages << SMALL_PAGE_SHIFT)), NULL, NULL, NULL, NULL))
		return TS_EFAULT;
	return 0;
}

static int check_space(const struct core_mm *mm, const struct vaspace *vs, uint64_t *mapped,
		       uint64_t *lazy, uint32_t *used, uint64_t *runs)
{
	const struct va_area *a;
	int rc;

	for (a = vaspace_first_busy(vs); a; a = vaspace_next_busy(a)) {
		const struct core_mapping *m = a->owner;
		const struct pa_run *r;

		if (!m || m < mm->mappings || m >= mm->mappings + mm->cfg.max_mappings ||
		    m->area != a)
			return TS_EINVAL;
		if ((rc = check_mapping(mm, m)))
			return rc;
		if (m->state == CORE_MAPPING_MAPPED)
			*mapped += m->n_pages;
		else
			*lazy += m->n_pages;
		for (r = m->runs; r; r = r->next_of_owner)
			(*runs)++;
		(*used)++;
	}
	return 0;
}

int core_mm_check(struct core_mm *mm)
{
	struct leaf_count lc = { 0 };
	uint64_t mapped = 0, lazy = 0, runs = 0, static_pages = 0, lazy_listed = 0;
	uint32_t used = 0, i, n_lazy;
	const struct core_mapping *m;
	int rc;

	if ((rc = xlat_pool_check(&mm->pool)) || (rc = pgt_check(&mm->pgt)) ||
	    (rc = tlb_check(&mm->tlb)) || (rc = vaspace_check(&mm->shm_va)) ||
	    (rc = vaspace_check(&mm->io_va)) || (rc = pa_index_check(&mm->pa_idx)))
		return rc;
	if ((rc = check_space(mm, &mm->shm_va, &mapped, &lazy, &used, &runs)) ||
	    (rc = check_space(mm, &mm->io_va, &mapped, &lazy, &used, &runs)))
		return rc;
	/* Every PA-index entry belongs to a live mapping, and nothing else is mapped. */
	if (runs != mm->pa_idx.n_runs || mapped != mm->stats.mapped_pages ||
	    lazy != mm->stats.lazy_pending_pages || used + mm->n_unused_mappings != mm->cfg.max_mappings)
		return TS_EINVAL;
	for (i = 0; i < mm->n_statics; i++)
		static_pages += mm->statics[i].size_bytes >> SMALL_PAGE_SHIFT;
	pgt_for_each_table(&mm->pgt, count_leaves, &lc);
	if (lc.pages != static_pages + mapped)
		return TS_EFAULT;
	/* VM books agree with the mappings. */
	for (i = 0; i < mm->cfg.max_vms; i++) {
		const struct core_vm *v = &mm->vms[i];
		uint64_t n = 0, pages = 0;

		for (m = v->mappings; m && n <= mm->cfg.max_mappings; m = m->vm_next, n++) {
			if (m->vm != i || m->state != CORE_MAPPING_MAPPED ||
			    m->type != MEM_AREA_SHM_VASPACE || (m->vm_next && m->vm_next->vm_prev != m))
				return TS_EINVAL;
			pages += m->n_pages;
		}
		if (n != v->n_mappings || pages != v->mapped_pages || (!v->alive && n))
			return TS_EINVAL;
	}
	/* The walk is bounded by mappings (a cycle must end it), not by the pages they hold. */
	for (m = mm->lazy, n_lazy = 0; m && n_lazy <= mm->cfg.max_mappings;
	     m = m->vm_next, n_lazy++) {
		if (m->state != CORE_MAPPING_LAZY)
			return TS_EINVAL;
		lazy_listed += m->n_pages;
	}
	return lazy_listed == lazy && !m ? 0 : TS_EINVAL;
}

int core_mm_check_vm_clean(const struct core_mm *mm, uint16_t vm)
{
	uint32_t i;

	if (vm >= mm->cfg.max_vms)
		return TS_EINVAL;
	if (mm->vms[vm].mappings || mm->vms[vm].n_mappings || mm->vms[vm].mapped_pages)
		return TS_EBUSY;
	for (i = 0; i < mm->cfg.max_mappings; i++) {
		const struct core_mapping *m = &mm->mappings[i];

		if (m->state == CORE_MAPPING_MAPPED && m->type == MEM_AREA_SHM_VASPACE && m->vm == vm)
			return TS_EBUSY;
	}
	return 0;
}

struct dump_ctx {
	const struct core_mm_dump_ops *ops;
	void *ctx;
};

static int dump_table(void *ctx, paddr_t table_pa, const uint64_t *table, unsigned level)
{
	struct dump_ctx *d = ctx;

	return d->ops->table ? d->ops->table(d->ctx, table_pa, table, level) : 0;
}

static int dump_space(const struct vaspace *vs, const struct core_mm_dump_ops *ops, void *ctx)
{
	const struct va_area *a;
	int rc;

	for (a = vaspace_first_busy(vs); a; a = vaspace_next_busy(a)) {
		const struct core_mapping *m = a->owner;
		const struct pa_run *r;

		if (m->state != CORE_MAPPING_MAPPED)
			continue;
		for (r = m->runs; r; r = r->next_of_owner)
			if ((rc = ops->mapping(ctx, va_init(r->va_start), pa_init(r->pa_start),
					       r->size_bytes >> SMALL_PAGE_SHIFT, m->attrs,
					       m->vm == CORE_MM_NO_VM ? -1 : m->vm,
					       (enum teecore_memtypes)m->type)))
				return rc;
	}
	return 0;
}

int core_mm_dump(const struct core_mm *mm, const struct core_mm_dump_ops *ops, void *ctx)
{
	struct dump_ctx d = { ops, ctx };
	uint64_t ttbr0, tcr, mair;
	uint32_t i;
	int rc;

	pgt_regs(&mm->pgt, &ttbr0, &tcr, &mair);
	if (ops->regs && (rc = ops->regs(ctx, ttbr0, tcr, mair, mm->cfg.va_bits, SMALL_PAGE_SIZE)))
		return rc;
	if ((rc = pgt_for_each_table(&mm->pgt, dump_table, &d)))
		return rc;
	if (!ops->mapping)
		return 0;
	for (i = 0; i < mm->n_statics; i++) {
		const struct core_static_area *s = &mm->statics[i];

		if ((rc = ops->mapping(ctx, s->va, s->pa, s->size_bytes >> SMALL_PAGE_SHIFT, s->attrs,
				       -1, s->type)))
			return rc;
	}
	if ((rc = dump_space(&mm->shm_va, ops, ctx)))
		return rc;
	return dump_space(&mm->io_va, ops, ctx);
}
