/*
 * Benchmarks of the whole secure core memory manager (sim/secure/mm/core_mm):
 * map + unmap of a scattered page list under each TLB maintenance policy, and
 * phys_to_virt() among many live mappings.  The manager runs on the real
 * simulated DRAM (a memfd) with its tables in the secure xlat-pool region, as
 * the secure world will.  Each benchmark reports the TLB maintenance it
 * caused per operation next to the time, and runs core_mm_check() after the
 * loop so a timing is never reported for a run that broke an invariant.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/gbench.h"
#include "sim/common/dram.h"
#include "sim/common/ts_err.h"
#include "sim/secure/mm/core_mm.h"
#include "sim/secure/platform.h"

#define SEED 0x5eed0c0e5eedull
#define MAX_LIVE 100000

struct world {
	struct dram *dram;
	struct dram_view *all;
	struct core_mm mm;
	void *meta;
	const struct dram_region *ram;
	uint64_t ram_pages;
	uint64_t next_page;
};

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A manager sized for MAX_LIVE one-page mappings, over one 1 GiB guest. */
static int world_init(struct world *w, enum core_mm_tlbi_policy policy, uint64_t lazy_pages)
{
	struct core_mm_config cfg;
	struct core_mm_platform plat;
	struct dram_config dc;
	size_t bytes;
	int rc;

	dram_config_default(&dc);
	dc.xlat_pool_bytes = 8ull << 20; /* 2048 tables: 100k guarded pages need ~400 L3 tables */
	dc.guest_ram_bytes = 1ull << 30;
	if ((rc = dram_create(&dc, &w->dram, NULL, 0)) || (rc = dram_view_open_all(w->dram, &w->all)) ||
	    (rc = secure_platform_from_dram(w->all, 0, &plat)))
		return rc;
	core_mm_config_default(&cfg);
	cfg.max_mappings = MAX_LIVE + 64;
	cfg.max_pa_runs = MAX_LIVE + 1024;
	cfg.max_vms = 4;
	cfg.tlbi_policy = policy;
	cfg.lazy_purge_pages = lazy_pages;
	bytes = core_mm_metadata_bytes(&cfg, plat.xlat_pool_tables);
	w->meta = aligned_alloc(8, (bytes + 7) & ~(size_t)7);
	if (!w->meta)
		return TS_ENOMEM;
	if ((rc = core_mm_init(&w->mm, &cfg, &plat, w->meta, bytes)) ||
	    (rc = core_mm_vm_created(&w->mm, 1)))
		return rc;
	w->ram = dram_region_find(w->dram->layout, DRAM_GUEST_RAM, 0);
	w->ram_pages = w->ram->size_bytes / SMALL_PAGE_SIZE;
	return 0;
}

static void world_fini(struct world *w)
{
	free(w->meta);
	dram_view_close(w->all);
	dram_destroy(w->dram);
}

/* Distinct scattered guest pages: an odd stride over a power-of-two page count. */
static paddr_t next_guest_page(struct world *w)
{
	uint64_t n = w->next_page++;

	return pa_add(w->ram->base, ((n * 2654435761ull) % w->ram_pages) * SMALL_PAGE_SIZE);
}

static void fail(gbench_state *state, const char *what, int err)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "%s: %s", what, ts_err_name(err));
	gbench_skip_with_error(state, msg);
}

struct map_ctx {
	enum core_mm_tlbi_policy policy;
	uint64_t lazy_pages;
};

static const struct map_ctx policy_all = { CORE_MM_TLBI_ALL, 0 };
static const struct map_ctx policy_page = { CORE_MM_TLBI_PER_PAGE, 0 };
static const struct map_ctx policy_range = { CORE_MM_TLBI_RANGE, 0 };
static const struct map_ctx policy_lazy = { CORE_MM_TLBI_ALL, 4096 };

/* One map of n scattered pages and its unmap (OP-TEE's register/unregister path). */
static void bench_map_unmap(gbench_state *state, void *ctx)
{
	const struct map_ctx *c = ctx;
	size_t n = (size_t)gbench_range(state, 0), i;
	struct world w = { 0 };
	paddr_t *pages = calloc(n, sizeof(*pages));
	uint64_t ops = 0;
	vaddr_t va;
	int rc = TS_ENOMEM;

	if (!pages || (rc = world_init(&w, c->policy, c->lazy_pages))) {
		fail(state, "setup", rc);
		goto out;
	}
	/* 64 live mappings around it, so the trees are not trivially empty. */
	for (i = 0; i < 64; i++) {
		paddr_t p = next_guest_page(&w);

		if ((rc = core_mm_map_shm(&w.mm, 1, &p, 1, 0, &va))) {
			fail(state, "populate", rc);
			goto out;
		}
	}
	for (i = 0; i < n; i++)
		pages[i] = next_guest_page(&w);
	while (gbench_keep_running(state)) {
		rc = core_mm_map_shm(&w.mm, 1, pages, n, 0, &va);
		if (rc || (rc = core_mm_unmap_shm(&w.mm, va))) {
			fail(state, "map/unmap", rc);
			goto out;
		}
		ops++;
	}
	if ((rc = core_mm_check(&w.mm))) {
		fail(state, "core_mm_check", rc);
		goto out;
	}
	gbench_set_items_processed(state, (int64_t)ops);
	if (ops) {
		const struct tlb_stats *t = &w.mm.tlb.stats;

		gbench_set_counter(state, "tlbi_per_op",
				   (double)(t->tlbi_va + t->tlbi_range + t->tlbi_all) / (double)ops);
		gbench_set_counter(state, "pte_writes_per_op", (double)w.mm.pgt.pte_writes / (double)ops);
	}
out:
	free(pages);
	world_fini(&w);
}

/* phys_to_virt of a random mapped page among `live` one-page mappings. */
static void bench_phys_to_virt(gbench_state *state, void *ctx)
{
	uint64_t live = (uint64_t)gbench_range(state, 0), rng = SEED, i = 0, found = 0;
	enum { RING = 1 << 16 };
	struct world w = { 0 };
	paddr_t *ring = calloc(RING, sizeof(*ring)), *mapped = calloc(live, sizeof(*mapped));
	vaddr_t va;
	int rc = TS_ENOMEM;

	(void)ctx;
	if (!ring || !mapped || (rc = world_init(&w, CORE_MM_TLBI_ALL, 0))) {
		fail(state, "setup", rc);
		goto out;
	}
	for (i = 0; i < live; i++) {
		mapped[i] = next_guest_page(&w);
		if ((rc = core_mm_map_shm(&w.mm, 1, &mapped[i], 1, 0, &va))) {
			fail(state, "populate", rc);
			goto out;
		}
	}
	for (i = 0; i < RING; i++)
		ring[i] = pa_add(mapped[rng_next(&rng) % live], rng_next(&rng) % 4000);
	i = 0;
	while (gbench_keep_running(state)) {
		vaddr_t v = core_mm_phys_to_virt(&w.mm, ring[i++ & (RING - 1)], MEM_AREA_SHM_VASPACE, 8);

		found += va_addr(v) != 0;
		gbench_do_not_optimize(&v);
	}
	if (found != i || (rc = core_mm_check(&w.mm)))
		fail(state, found != i ? "phys_to_virt missed a mapped page" : "core_mm_check",
		     found != i ? TS_ENOENT : rc);
	gbench_set_items_processed(state, (int64_t)i);
out:
	free(ring);
	free(mapped);
	world_fini(&w);
}

int main(int argc, char **argv)
{
	gbench_benchmark *b;

	b = gbench_register("core_mm/map_unmap/tlbi_all", bench_map_unmap, (void *)&policy_all);
	gbench_arg(b, 1);
	gbench_arg(b, 16);
	gbench_arg(b, 512);
	b = gbench_register("core_mm/map_unmap/tlbi_per_page", bench_map_unmap, (void *)&policy_page);
	gbench_arg(b, 1);
	gbench_arg(b, 16);
	gbench_arg(b, 512);
	b = gbench_register("core_mm/map_unmap/tlbi_range", bench_map_unmap, (void *)&policy_range);
	gbench_arg(b, 1);
	gbench_arg(b, 16);
	gbench_arg(b, 512);
	b = gbench_register("core_mm/map_unmap/lazy", bench_map_unmap, (void *)&policy_lazy);
	gbench_arg(b, 1);
	gbench_arg(b, 16);
	gbench_arg(b, 512);
	b = gbench_register("core_mm/phys_to_virt", bench_phys_to_virt, NULL);
	gbench_range_multiplier(b, 10);
	gbench_arg_range(b, 1, 100000);
	return gbench_main(argc, argv);
}
