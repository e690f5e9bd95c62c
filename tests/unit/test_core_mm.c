/* Secure core memory manager: mappings, refusals without trace, TLB policies, stale TLB, VM teardown. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sim/common/dram.h"
#include "sim/common/ts_err.h"
#include "sim/secure/mm/core_memprot.h"
#include "sim/secure/mm/core_mm.h"
#include "sim/secure/platform.h"

#define PAGE SMALL_PAGE_SIZE

struct fx {
	struct dram *dram;
	struct dram_view *all;
	struct core_mm_platform plat;
	struct core_mm mm;
	void *meta;
	const struct dram_region *g[2];
	uint64_t next_page[2]; /* bump allocator over each guest's RAM, scattered */
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static struct fx *fx_new(const struct core_mm_config *cfg, uint32_t max_tables)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct dram_config dc;
	size_t bytes;

	dram_config_default(&dc);
	dc.n_guests = 2;
	dc.guest_ram_bytes = 32ull << 20;
	assert_non_null(f);
	assert_int_equal(dram_create(&dc, &f->dram, NULL, 0), 0);
	assert_int_equal(dram_view_open_all(f->dram, &f->all), 0);
	assert_int_equal(secure_platform_from_dram(f->all, max_tables, &f->plat), 0);
	bytes = core_mm_metadata_bytes(cfg, f->plat.xlat_pool_tables);
	f->meta = aligned_alloc(8, (bytes + 7) & ~(size_t)7);
	assert_non_null(f->meta);
	assert_int_equal(core_mm_init(&f->mm, cfg, &f->plat, f->meta, bytes), 0);
	f->g[0] = dram_region_find(f->dram->layout, DRAM_GUEST_RAM, 0);
	f->g[1] = dram_region_find(f->dram->layout, DRAM_GUEST_RAM, 1);
	assert_int_equal(core_mm_vm_created(&f->mm, 1), 0);
	assert_int_equal(core_mm_vm_created(&f->mm, 2), 0);
	core_memprot_set_mm(&f->mm);
	return f;
}

static void fx_free(struct fx *f)
{
	core_memprot_set_mm(NULL);
	free(f->meta);
	dram_view_close(f->all);
	dram_destroy(f->dram);
	free(f);
}

/* A fresh, scattered page of guest gi's RAM (odd stride over 8192 pages visits each once). */
static paddr_t guest_page(struct fx *f, int gi)
{
	uint64_t n = f->next_page[gi]++;

	return pa_add(f->g[gi]->base, ((n * 2654435761ull) % 8192) * PAGE);
}

static struct core_mm_config default_cfg(void)
{
	struct core_mm_config cfg;

	core_mm_config_default(&cfg);
	cfg.max_mappings = 256;
	cfg.max_pa_runs = 2048;
	cfg.max_vms = 8;
	return cfg;
}

/* Bytes written through a secure mapping land in the guest's scattered pages, and phys_to_virt finds each page. */
static void test_map_write_read(void **state)
{
	struct core_mm_config cfg = default_cfg();
	struct fx *f = fx_new(&cfg, 0);
	paddr_t pages[5];
	uint8_t buf[5 * PAGE], back[5 * PAGE];
	vaddr_t va;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		pages[i] = guest_page(f, 0);
	assert_int_equal(core_mm_map_shm(&f->mm, 1, pages, 5, 0, &va), 0);
	assert_int_equal(core_mm_check(&f->mm), 0);
	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(core_mm_write(&f->mm, va_add(va, 100), buf, sizeof(buf) - 200), 0);
	/* Check through the normal world's view of the pages themselves. */
	for (i = 0; i < 5; i++) {
		const uint8_t *p = dram_view_ptr(f->all, pages[i], PAGE);
		size_t lo = i == 0 ? 100 : 0, hi = i == 4 ? PAGE - 100 : PAGE, b;

		for (b = lo; b < hi; b++)
			assert_int_equal(p[b], buf[i * PAGE + b - 100]);
		assert_int_equal(va_addr(phys_to_virt(pa_add(pages[i], 8), MEM_AREA_SHM_VASPACE, 16)),
				 va_addr(va) + i * PAGE + 8);
		assert_int_equal(pa_addr(virt_to_phys(va_add(va, i * PAGE + 9))), pa_addr(pages[i]) + 9);
	}
	assert_int_equal(core_mm_read(&f->mm, va_add(va, 100), back, sizeof(buf) - 200), 0);
	assert_memory_equal(back, buf, sizeof(buf) - 200);
	/* The pages are non-secure memory, mapped: core_vbuf_is agrees, and not secure. */
	assert_true(core_vbuf_is(CORE_MEM_NON_SEC, va, 5 * PAGE));
	assert_false(core_vbuf_is(CORE_MEM_SEC, va, PAGE));
	assert_false(core_vbuf_is(CORE_MEM_NON_SEC, va, 6 * PAGE)); /* runs into the guard page */
	assert_true(core_pbuf_is(CORE_MEM_NON_SEC, pages[0], PAGE));
	assert_true(core_pbuf_is(CORE_MEM_SEC, f->plat.xlat_pool_pa, PAGE));
	/* The guard page after the mapping faults. */
	assert_int_equal(core_mm_read(&f->mm, va_add(va, 5 * PAGE), back, 1), TS_EFAULT);
	assert_int_equal(core_mm_unmap_shm(&f->mm, va), 0);
	assert_int_equal(va_addr(phys_to_virt(pages[0], MEM_AREA_SHM_VASPACE, 1)), 0);
	assert_int_equal(core_mm_read(&f->mm, va, back, 1), TS_EFAULT);
	assert_int_equal(core_mm_check(&f->mm), 0);
	fx_free(f);
}

/* A read-only mapping refuses writes and allows reads. */
static void test_read_only(void **state)
{
	struct core_mm_config cfg = default_cfg();
	struct fx *f = fx_new(&cfg, 0);
	paddr_t page = guest_page(f, 0);
	uint8_t b = 0x5a;
	vaddr_t va;

	(void)state;
	assert_int_equal(core_mm_map_shm(&f->mm, 1, &page, 1, PGT_ATTR_RO, &va), 0);
	assert_int_equal(core_mm_write(&f->mm, va, &b, 1), TS_EACCES);
	assert_int_equal(core_mm_read(&f->mm, va, &b, 1), 0);
	assert_int_equal(f->mm.stats.access_faults, 1);
	fx_free(f);
}

/* Every refused map leaves no trace: the invariants hold and nothing is counted as mapped. */
static void test_refusals_leave_no_trace(void **state)
{
	struct core_mm_config cfg = default_cfg();
	struct fx *f;
	paddr_t pages[4];
	vaddr_t va;
	int i;

	(void)state;
	cfg.max_pages_per_vm = 6;
	f = fx_new(&cfg, 0);
	for (i = 0; i < 4; i++)
		pages[i] = guest_page(f, 0);
	pages[2] = f->plat.xlat_pool_pa; /* a secure page in the list */
	assert_int_equal(core_mm_map_shm(&f->mm, 1, pages, 4, 0, &va), TS_EACCES);
	pages[2] = pa_add(guest_page(f, 0), 8); /* unaligned */
	assert_int_equal(core_mm_map_shm(&f->mm, 1, pages, 4, 0, &va), TS_EINVAL);
	pages[2] = guest_page(f, 0);
	assert_int_equal(core_mm_map_shm(&f->mm, 3, pages, 4, 0, &va), TS_ENOENT); /* no such VM */
	assert_int_equal(core_mm_map_shm(&f->mm, 1, pages, 0, 0, &va), TS_EINVAL);
	assert_int_equal(core_mm_map_shm(&f->mm, 1, pages, 4, PGT_ATTR_USER, &va), TS_EINVAL);
	assert_int_equal(core_mm_map_shm(&f->mm, 1, pages, 4, 0, &va), 0);
	assert_int_equal(core_mm_map_shm(&f->mm, 1, pages, 4, 0, &va), TS_ENOSPC); /* VM page limit */
	assert_int_equal(f->mm.stats.map_failures, 6);
	assert_int_equal(f->mm.stats.mapped_pages, 4);
	assert_int_equal(f->mm.vms[1].mapped_pages, 4);
	assert_int_equal(core_mm_check(&f->mm), 0);
	fx_free(f);
}

/* When the translation-table pool runs out mid-map, the map fails whole and the pool is as before. */
static void test_table_pool_exhaustion(void **state)
{
	struct core_mm_config cfg = default_cfg();
	struct fx *f;
	static paddr_t pages[1100];
	uint32_t tables_before;
	vaddr_t va;
	int i, mapped = 0, rc = 0;

	(void)state;
	/* Root + L2 + a few L3 tables: 1100 scattered pages need 3 L3 tables each, so this runs out. */
	f = fx_new(&cfg, 6);
	while (rc == 0) {
		for (i = 0; i < 1100; i++)
			pages[i] = guest_page(f, mapped % 2);
		tables_before = f->mm.pool.in_use;
		rc = core_mm_map_shm(&f->mm, (uint16_t)(1 + mapped % 2), pages, 1100, 0, &va);
		if (rc == 0)
			mapped++;
	}
	assert_int_equal(rc, TS_ENOMEM);
	assert_true(mapped >= 1);
	assert_int_equal(f->mm.pool.in_use, tables_before);
	assert_int_equal(f->mm.stats.mapped_pages, (uint64_t)mapped * 1100);
	assert_int_equal(core_mm_check(&f->mm), 0);
	assert_int_equal(core_mm_vm_destroyed(&f->mm, 1), (mapped + 1) / 2);
	assert_int_equal(core_mm_check_vm_clean(&f->mm, 1), 0);
	assert_int_equal(core_mm_check(&f->mm), 0);
	fx_free(f);
}

/* Without a TLBI after unmap, an access still reaches the old page; the verifier counts it as stale. */
static void test_missing_tlbi_is_observable(void **state)
{
	struct core_mm_config cfg = default_cfg();
	struct fx *f;
	paddr_t page;
	uint8_t *host, b = 0;
	vaddr_t va;

	(void)state;
	cfg.skip_tlbi = true;
	cfg.verify_tlb_hits = true;
	f = fx_new(&cfg, 0);
	page = guest_page(f, 0);
	host = dram_view_ptr(f->all, page, PAGE);
	host[0] = 0xab;
	assert_int_equal(core_mm_map_shm(&f->mm, 1, &page, 1, 0, &va), 0);
	assert_int_equal(core_mm_read(&f->mm, va, &b, 1), 0); /* fills the TLB */
	assert_int_equal(b, 0xab);
	assert_int_equal(core_mm_unmap_shm(&f->mm, va), 0);
	b = 0;
	assert_int_equal(core_mm_read(&f->mm, va, &b, 1), 0); /* stale hit: the old page */
	assert_int_equal(b, 0xab);
	assert_int_equal(f->mm.stats.stale_tlb_hits, 1);
	fx_free(f);

	/* With TLB maintenance the same sequence faults and nothing is stale. */
	cfg.skip_tlbi = false;
	f = fx_new(&cfg, 0);
	page = guest_page(f, 0);
	assert_int_equal(core_mm_map_shm(&f->mm, 1, &page, 1, 0, &va), 0);
	assert_int_equal(core_mm_read(&f->mm, va, &b, 1), 0);
	assert_int_equal(core_mm_unmap_shm(&f->mm, va), 0);
	assert_int_equal(core_mm_read(&f->mm, va, &b, 1), TS_EFAULT);
	assert_int_equal(f->mm.stats.stale_tlb_hits, 0);
	fx_free(f);
}

/* Each TLBI policy issues the instructions it promises for ten 3-page unmaps; lazy batches them. */
static void test_tlbi_policies(void **state)
{
	static const struct {
		enum core_mm_tlbi_policy policy;
		uint64_t lazy_pages;
		uint64_t va, range, all, dsb_unmap;
	} cases[] = {
		{ CORE_MM_TLBI_PER_PAGE, 0, 30, 0, 0, 10 },
		{ CORE_MM_TLBI_RANGE, 0, 0, 10, 0, 10 },
		{ CORE_MM_TLBI_ALL, 0, 0, 0, 10, 10 },
		{ CORE_MM_TLBI_ALL, 12, 0, 0, 2, 2 }, /* purges at 12 and 24 pages; 6 pages pending */
	};
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct core_mm_config cfg = default_cfg();
		struct fx *f;
		vaddr_t va[10];
		uint64_t dsb_before;
		int i, j;

		cfg.tlbi_policy = cases[c].policy;
		cfg.lazy_purge_pages = cases[c].lazy_pages;
		cfg.verify_tlb_hits = true;
		f = fx_new(&cfg, 0);
		for (i = 0; i < 10; i++) {
			paddr_t pages[3];
			uint8_t b;

			for (j = 0; j < 3; j++)
				pages[j] = guest_page(f, 0);
			assert_int_equal(core_mm_map_shm(&f->mm, 1, pages, 3, 0, &va[i]), 0);
			assert_int_equal(core_mm_read(&f->mm, va[i], &b, 1), 0);
		}
		dsb_before = f->mm.tlb.stats.dsb;
		for (i = 0; i < 10; i++) {
			assert_int_equal(core_mm_unmap_shm(&f->mm, va[i]), 0);
			assert_int_equal(core_mm_check(&f->mm), 0);
		}
		assert_int_equal(f->mm.tlb.stats.tlbi_va, cases[c].va);
		assert_int_equal(f->mm.tlb.stats.tlbi_range, cases[c].range);
		assert_int_equal(f->mm.tlb.stats.tlbi_all, cases[c].all);
		assert_int_equal(f->mm.tlb.stats.dsb - dsb_before, cases[c].dsb_unmap);
		assert_int_equal(f->mm.stats.lazy_pending_pages, cases[c].lazy_pages ? 6 : 0);
		assert_int_equal(f->mm.stats.stale_tlb_hits, 0);
		/* Lazily freed VA is not handed out again before its purge. */
		if (cases[c].lazy_pages) {
			paddr_t p = guest_page(f, 0);
			vaddr_t nva;

			assert_int_equal(core_mm_map_shm(&f->mm, 1, &p, 1, 0, &nva), 0);
			assert_true(va_addr(nva) != va_addr(va[8]) && va_addr(nva) != va_addr(va[9]));
			core_mm_purge_lazy(&f->mm);
			assert_int_equal(f->mm.stats.lazy_pending_pages, 0);
			assert_int_equal(core_mm_check(&f->mm), 0);
		}
		fx_free(f);
	}
}

/* Destroying a VM reclaims all of it and nothing of another VM, whose data stays readable. */
/*
 * More pages waiting for a lazy purge than the manager has mapping slots is a
 * legal state, and the checker says so (fuzz_smc found it reporting a false
 * failure: its walk was bounded by pages, not mappings).  A cycle in the lazy
 * list is still caught.
 */
static void test_lazy_pages_beyond_mapping_slots(void **state)
{
	struct core_mm_config cfg = default_cfg();
	struct fx *f;
	vaddr_t va;
	paddr_t pages[40];
	int i, round;

	(void)state;
	cfg.max_mappings = 8;
	cfg.max_pa_runs = 64;
	cfg.lazy_purge_pages = 512;
	f = fx_new(&cfg, 0);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 40; i++)
			pages[i] = guest_page(f, 0);
		assert_int_equal(core_mm_map_shm(&f->mm, 1, pages, 40, 0, &va), 0);
		assert_int_equal(core_mm_unmap_shm(&f->mm, va), 0);
		assert_int_equal(core_mm_check(&f->mm), 0);
	}
	assert_int_equal(f->mm.stats.lazy_pending_pages, 120);
	assert_true(f->mm.stats.lazy_pending_pages > cfg.max_mappings);
	/* A lazy list that loops is corruption, reported rather than walked forever. */
	{
		struct core_mapping *next = f->mm.lazy->vm_next;

		f->mm.lazy->vm_next = f->mm.lazy;
		assert_int_equal(core_mm_check(&f->mm), TS_EINVAL);
		f->mm.lazy->vm_next = next;
	}
	assert_int_equal(core_mm_check(&f->mm), 0);
	core_mm_purge_lazy(&f->mm);
	assert_int_equal(core_mm_check(&f->mm), 0);
	fx_free(f);
}

static void test_vm_destroyed(void **state)
{
	struct core_mm_config cfg = default_cfg();
	struct fx *f = fx_new(&cfg, 0);
	vaddr_t keep_va;
	paddr_t keep = guest_page(f, 1);
	uint8_t b = 0;
	int i;

	(void)state;
	*(uint8_t *)dram_view_ptr(f->all, keep, 1) = 0x77;
	for (i = 0; i < 20; i++) {
		paddr_t pages[7];
		vaddr_t va;
		int j;

		for (j = 0; j < 7; j++)
			pages[j] = guest_page(f, 0);
		assert_int_equal(core_mm_map_shm(&f->mm, 1, pages, 7, 0, &va), 0);
	}
	assert_int_equal(core_mm_map_shm(&f->mm, 2, &keep, 1, 0, &keep_va), 0);
	assert_int_equal(core_mm_check_vm_clean(&f->mm, 1), TS_EBUSY);
	assert_int_equal(core_mm_vm_destroyed(&f->mm, 1), 20);
	assert_int_equal(core_mm_check_vm_clean(&f->mm, 1), 0);
	assert_int_equal(core_mm_check(&f->mm), 0);
	assert_int_equal(f->mm.stats.mapped_pages, 1);
	assert_int_equal(core_mm_read(&f->mm, keep_va, &b, 1), 0);
	assert_int_equal(b, 0x77);
	/* A destroyed VM can map nothing until created again. */
	assert_int_equal(core_mm_map_shm(&f->mm, 1, &keep, 1, 0, &keep_va), TS_ENOENT);
	assert_int_equal(core_mm_vm_destroyed(&f->mm, 1), TS_ENOENT);
	assert_int_equal(core_mm_vm_created(&f->mm, 1), 0);
	fx_free(f);
}

/* ioremap maps device registers (not DRAM) with an offset, phys_to_virt finds them, iounmap removes them. */
static void test_ioremap(void **state)
{
	struct core_mm_config cfg = default_cfg();
	struct fx *f = fx_new(&cfg, 0);
	vaddr_t va, va2;
	uint32_t attrs;
	paddr_t pa;

	(void)state;
	assert_int_equal(core_mm_ioremap(&f->mm, pa_init(0x09000010), 0x2000, false, &va), 0);
	assert_int_equal(va_addr(va) & 0xfff, 0x10);
	assert_int_equal(core_mm_virt_to_phys(&f->mm, va_add(va, 0x1ff0), &pa), 0);
	assert_int_equal(pa_addr(pa), 0x09002000);
	assert_int_equal(pgt_walk(&f->mm.pgt, va, NULL, &attrs, NULL, NULL), 0);
	assert_int_equal(attrs & PGT_ATTR_MEM_MASK, PGT_ATTR_MEM_DEVICE);
	assert_true(attrs & PGT_ATTR_NS);
	assert_int_equal(va_addr(phys_to_virt(pa_init(0x09000100), MEM_AREA_RES_VASPACE, 4)),
			 va_addr(va) - 0x10 + 0x100);
	assert_int_equal(va_addr(phys_to_virt(pa_init(0x09000100), MEM_AREA_SHM_VASPACE, 4)), 0);
	/* Device memory has no backing in the simulation: an access faults cleanly. */
	assert_int_equal(core_mm_read(&f->mm, va, &attrs, 4), TS_EFAULT);
	va2 = ioremap(pa_init(0x08000000), 0x100);
	assert_true(va_addr(va2) != 0);
	assert_int_equal(core_mm_ioremap(&f->mm, f->g[0]->base, 0x1000, false, &va), TS_EACCES);
	assert_int_equal(core_mm_check(&f->mm), 0);
	assert_int_equal(core_mm_iounmap(&f->mm, va_add(va2, 0x20)), 0);
	assert_int_equal(core_mm_iounmap(&f->mm, va_add(va2, 0x20)), TS_ENOENT);
	assert_int_equal(core_mm_check(&f->mm), 0);
	fx_free(f);
}

struct live_map {
	vaddr_t va;
	uint16_t vm;
	size_t n;
	paddr_t pages[40];
};

/* 20,000 random maps, unmaps, accesses and VM deaths keep every invariant and agree with a simple model. */
static void test_random_ops(void **state)
{
	enum { MAX_LIVE = 200 };
	struct core_mm_config cfg = default_cfg();
	struct live_map *live = calloc(MAX_LIVE, sizeof(*live));
	size_t n_live = 0;
	struct fx *f;
	int op, i;

	(void)state;
	rng_state = 0x0123456789abcdefull;
	cfg.tlbi_policy = CORE_MM_TLBI_PER_PAGE;
	cfg.lazy_purge_pages = 64;
	cfg.verify_tlb_hits = true;
	f = fx_new(&cfg, 64);
	for (op = 0; op < 20000; op++) {
		uint64_t r = rnd() % 1000;

		if (r < 450 && n_live < MAX_LIVE) {
			struct live_map *l = &live[n_live];
			int gi = (int)(rnd() % 2);
			size_t j;
			int rc;

			l->vm = (uint16_t)(gi + 1);
			l->n = 1 + rnd() % 40;
			/* Sometimes physically contiguous runs, sometimes pages already mapped elsewhere. */
			for (j = 0; j < l->n; j++) {
				if (j && rnd() % 3 == 0)
					l->pages[j] = pa_add(l->pages[j - 1], PAGE);
				else if (n_live && rnd() % 10 == 0 && live[0].vm == l->vm)
					l->pages[j] = live[0].pages[0];
				else
					l->pages[j] = guest_page(f, gi);
				if (!dram_region_contains(f->g[gi], l->pages[j], PAGE))
					l->pages[j] = guest_page(f, gi);
			}
			rc = core_mm_map_shm(&f->mm, l->vm, l->pages, l->n, 0, &l->va);
			if (rc == 0)
				n_live++;
			else
				assert_true(rc == TS_ENOMEM || rc == TS_ENOSPC);
		} else if (r < 750 && n_live) {
			size_t k = rnd() % n_live;

			assert_int_equal(core_mm_unmap_shm(&f->mm, live[k].va), 0);
			live[k] = live[--n_live];
		} else if (r < 997 && n_live) {
			/* Write a page through the mapping, read it back from DRAM, and check phys_to_virt. */
			struct live_map *l = &live[rnd() % n_live];
			size_t j = rnd() % l->n;
			uint64_t word = rnd(), got;
			vaddr_t pv;

			assert_int_equal(core_mm_write(&f->mm, va_add(l->va, j * PAGE + 64), &word, 8), 0);
			memcpy(&got, (uint8_t *)dram_view_ptr(f->all, l->pages[j], PAGE) + 64, 8);
			assert_int_equal(got, word);
			pv = core_mm_phys_to_virt(&f->mm, l->pages[j], MEM_AREA_SHM_VASPACE, PAGE);
			assert_true(va_addr(pv) != 0);
			assert_int_equal(pa_addr(virt_to_phys(pv)), pa_addr(l->pages[j]));
		} else if (r >= 997) {
			/* A guest dies: all its mappings go, and it comes back. */
			uint16_t vm = (uint16_t)(1 + rnd() % 2);
			size_t k = 0, had = 0;

			for (i = 0; i < (int)n_live; i++)
				had += live[i].vm == vm;
			assert_int_equal(core_mm_vm_destroyed(&f->mm, vm), (int)had);
			assert_int_equal(core_mm_check_vm_clean(&f->mm, vm), 0);
			for (i = 0; i < (int)n_live; i++)
				if (live[i].vm != vm)
					live[k++] = live[i];
			n_live = k;
			assert_int_equal(core_mm_vm_created(&f->mm, vm), 0);
		}
		assert_int_equal(core_mm_check(&f->mm), 0);
	}
	assert_int_equal(f->mm.stats.stale_tlb_hits, 0);
	/* The run reached a busy state: many maps, lazy purges, and table-pool exhaustion. */
	assert_true(f->mm.stats.maps > 3000 && f->mm.stats.lazy_purges > 10);
	assert_true(f->mm.stats.map_failures > 0 && f->mm.stats.peak_mapped_pages > 1000);
	free(live);
	fx_free(f);
}

/* The dump visits the registers, every table, and mappings that add up to what is mapped. */
struct dump_count {
	unsigned regs, tables;
	uint64_t pages;
	int vm_seen;
};

static int dc_regs(void *ctx, uint64_t ttbr0, uint64_t tcr, uint64_t mair, unsigned va_bits,
		   unsigned granule)
{
	struct dump_count *d = ctx;

	assert_true(ttbr0 != 0 && tcr != 0 && mair != 0);
	assert_int_equal(va_bits, 39);
	assert_int_equal(granule, 4096);
	d->regs++;
	return 0;
}

static int dc_table(void *ctx, paddr_t pa, const uint64_t *desc, unsigned level)
{
	struct dump_count *d = ctx;

	(void)pa;
	(void)desc;
	assert_true(level <= 3);
	d->tables++;
	return 0;
}

static int dc_mapping(void *ctx, vaddr_t va, paddr_t pa, uint64_t n, uint32_t attrs, int vm,
		      enum teecore_memtypes type)
{
	struct dump_count *d = ctx;

	(void)va;
	(void)pa;
	(void)attrs;
	if (type == MEM_AREA_SHM_VASPACE)
		d->vm_seen = vm;
	d->pages += n;
	return 0;
}

static void test_dump(void **state)
{
	struct core_mm_config cfg = default_cfg();
	struct fx *f = fx_new(&cfg, 0);
	struct core_mm_dump_ops ops = { dc_regs, dc_table, dc_mapping };
	struct dump_count d = { 0 };
	const struct dram_region *core = dram_region_find(f->dram->layout, DRAM_SECURE_CORE, 0);
	paddr_t pages[3] = { guest_page(f, 1), guest_page(f, 1), guest_page(f, 1) };
	vaddr_t va;

	(void)state;
	assert_int_equal(core_mm_add_static(&f->mm, MEM_AREA_TEE_RAM, core->base, core->size_bytes,
					    va_init(pa_addr(core->base)), PGT_ATTR_MEM_NORMAL),
			 0);
	assert_int_equal(core_mm_map_shm(&f->mm, 2, pages, 3, 0, &va), 0);
	assert_int_equal(core_mm_dump(&f->mm, &ops, &d), 0);
	assert_int_equal(d.regs, 1);
	assert_int_equal(d.tables, f->mm.pool.in_use);
	assert_int_equal(d.pages, core->size_bytes / PAGE + 3);
	assert_int_equal(d.vm_seen, 2);
	assert_int_equal(va_addr(phys_to_virt(pa_add(core->base, 0x1234), MEM_AREA_TEE_RAM, 8)),
			 pa_addr(core->base) + 0x1234);
	assert_int_equal(core_mm_check(&f->mm), 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_write_read),
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_refusals_leave_no_trace),
		cmocka_unit_test(test_table_pool_exhaustion),
		cmocka_unit_test(test_missing_tlbi_is_observable),
		cmocka_unit_test(test_tlbi_policies),
		cmocka_unit_test(test_lazy_pages_beyond_mapping_slots),
		cmocka_unit_test(test_vm_destroyed),
		cmocka_unit_test(test_ioremap),
		cmocka_unit_test(test_random_ops),
		cmocka_unit_test(test_dump),
	};

	return cmocka_run_group_tests_name("core_mm", tests, NULL, NULL);
}
