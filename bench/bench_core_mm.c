/*
 * Benchmarks of the whole secure core memory manager (sim/secure/mm/core_mm):
 * map + unmap of a scattered page list under each TLB maintenance policy, and
 * how map, unmap, phys_to_virt() and a TLB-hit read scale with 1 to 1,000,000
 * one-page mappings live.  The manager runs on the real simulated DRAM (a
 * memfd) with its tables in the secure xlat-pool region, as the secure world
 * will.  Each benchmark reports the work it caused per operation (TLBIs, PTE
 * writes, table walks) next to the time, and runs core_mm_check() after the
 * loop so a timing is never reported for a run that broke an invariant.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench/gbench.h"
#include "sim/common/dram.h"
#include "sim/common/ts_err.h"
#include "sim/secure/mm/core_mm.h"
#include "sim/secure/platform.h"

#define SEED 0x5eed0c0e5eedull
#define MAX_LIVE 100000

/* How big a world to build: capacities and the DRAM behind them. */
struct world_size {
	uint32_t max_live;         /* one-page mappings alive at once, lazily freed ones included */
	uint64_t guest_ram_bytes;  /* a power of two of pages: next_guest_page() needs it */
	uint64_t shm_va_bytes;     /* 0: the default range */
	uint64_t xlat_pool_bytes;
};

/* The policy benchmarks' world: 100k mappings over one 1 GiB guest. */
static const struct world_size small_world = {
	.max_live = MAX_LIVE,
	.guest_ram_bytes = 1ull << 30,
	.xlat_pool_bytes = 8ull << 20, /* 2048 tables: 100k guarded pages need ~400 L3 tables */
};

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

/* A manager with room for size->max_live one-page mappings of VM 1, over one guest. */
static int world_init(struct world *w, enum core_mm_tlbi_policy policy, uint64_t lazy_pages,
		      const struct world_size *size)
{
	struct core_mm_config cfg;
	struct core_mm_platform plat;
	struct dram_config dc;
	size_t bytes;
	int rc;

	dram_config_default(&dc);
	dc.xlat_pool_bytes = size->xlat_pool_bytes;
	dc.guest_ram_bytes = size->guest_ram_bytes;
	if ((rc = dram_create(&dc, &w->dram, NULL, 0)) ||
	    (rc = dram_view_open_all(w->dram, &w->all)) ||
	    (rc = secure_platform_from_dram(w->all, 0, &plat)))
		return rc;
	core_mm_config_default(&cfg);
	if (size->shm_va_bytes) {
		/* Keep the default 1 GiB hole between the SHM and ioremap ranges. */
		cfg.shm_va_bytes = size->shm_va_bytes;
		cfg.io_va_base = va_add(cfg.shm_va_base, size->shm_va_bytes + (1ull << 30));
	}
	cfg.max_mappings = size->max_live + 64;
	cfg.max_pa_runs = size->max_live + 1024;
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
	w->meta = NULL;
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

	if (!pages || (rc = world_init(&w, c->policy, c->lazy_pages, &small_world))) {
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
				   (double)(t->tlbi_va + t->tlbi_range + t->tlbi_all) /
				   (double)ops);
		gbench_set_counter(state, "pte_writes_per_op",
				   (double)w.mm.pgt.pte_writes / (double)ops);
	}
out:
	free(pages);
	world_fini(&w);
}

/*
 * ---- Scaling with the number of live mappings (1 .. 1M) ----
 *
 * One world, built once and shared by every scaling benchmark, holds up to
 * SCALE_MAX_LIVE one-page mappings of VM 1 with the default configuration
 * (guard pages on, TLBI_ALL).  Each run grows or shrinks it to its argument
 * before the timed loop (map or unmap at the end of the slot array) and leaves
 * it at that size, so going from one argument to the next costs only the
 * difference, and the benchmarks run a fixed number of iterations so each
 * argument is one call: one resize and one core_mm_check() per argument.
 */
#define SCALE_MAX_LIVE 1000000
/*
 * Unmapped slots kept beyond the live ones: map_unmap maps them in turn, so a
 * page is mapped again only SCALE_SPARE iterations after its unmap and its
 * PA-index path is not still in the cache from that unmap.
 */
#define SCALE_SPARE 4096
#define SCALE_RING (1u << 16)

/* 1M guarded one-page mappings take 2M pages of VA; round up to a power of two. */
#define SCALE_SHM_VA_BYTES (8ull << 30)

/* One slot per mapping: the guest page and, while live, the VA it is mapped at. */
struct scale_slot {
	paddr_t pa;
	vaddr_t va;
};

struct scale_world {
	bool built;
	int broken;               /* first error that left the world unusable, or 0 */
	struct world w;
	struct scale_slot *slots; /* SCALE_MAX_LIVE + SCALE_SPARE pages; [0, live) mapped */
	uint64_t live;
	uint32_t *ring;           /* SCALE_RING random numbers, reused by every run */
};

static struct scale_world scale;

static const struct world_size scale_size = {
	.max_live = SCALE_MAX_LIVE + 1,
	/* 2^20 pages (4 GiB): room for every slot's distinct page.  The memfd is sparse. */
	.guest_ram_bytes = 4ull << 30,
	.shm_va_bytes = SCALE_SHM_VA_BYTES,
	/* Enough tables to map the whole SHM range: one L3 per 2 MiB, one L2 per 1 GiB, root. */
	.xlat_pool_bytes = ((SCALE_SHM_VA_BYTES >> 21) + (SCALE_SHM_VA_BYTES >> 30) + 512) *
			   SMALL_PAGE_SIZE,
};

static int scale_build(void)
{
	uint64_t i, rng = SEED;
	int rc;

	scale.built = true;
	scale.slots = calloc(SCALE_MAX_LIVE + SCALE_SPARE, sizeof(*scale.slots));
	scale.ring = calloc(SCALE_RING, sizeof(*scale.ring));
	if (!scale.slots || !scale.ring)
		return scale.broken = TS_ENOMEM;
	rc = world_init(&scale.w, CORE_MM_TLBI_ALL, 0, &scale_size);
	if (rc)
		return scale.broken = rc;
	for (i = 0; i < SCALE_MAX_LIVE + SCALE_SPARE; i++)
		scale.slots[i].pa = next_guest_page(&scale.w);
	for (i = 0; i < SCALE_RING; i++)
		scale.ring[i] = (uint32_t)rng_next(&rng);
	return 0;
}

static void scale_fini(void)
{
	if (scale.built)
		world_fini(&scale.w);
	free(scale.slots);
	free(scale.ring);
	scale = (struct scale_world){ 0 };
}

/* The shared world with exactly `live` slots mapped (built on first use), or an error. */
static int scale_get(uint64_t live)
{
	int rc;

	if (!scale.built && (rc = scale_build()))
		return rc;
	if (scale.broken)
		return scale.broken;
	if (live > SCALE_MAX_LIVE)
		return TS_ERANGE;
	for (; scale.live < live; scale.live++) {
		struct scale_slot *s = &scale.slots[scale.live];

		if ((rc = core_mm_map_shm(&scale.w.mm, 1, &s->pa, 1, 0, &s->va)))
			return scale.broken = rc;
	}
	for (; scale.live > live; scale.live--) {
		if ((rc = core_mm_unmap_shm(&scale.w.mm, scale.slots[scale.live - 1].va)))
			return scale.broken = rc;
	}
	return 0;
}

/* scale_get() for a benchmark run: false, with the run marked failed, if there is no world. */
static bool scale_setup(gbench_state *state, uint64_t live)
{
	bool was_broken = scale.broken != 0;
	int rc = scale_get(live);

	if (rc)
		fail(state, was_broken ? "shared world broken by an earlier run" : "setup", rc);
	return rc == 0;
}

/* The counters the scaling benchmarks report per operation. */
struct op_counters {
	uint64_t walks;      /* table walks after a TLB miss */
	uint64_t pte_writes;
	uint64_t tlbi;       /* TLBI instructions of any kind */
	uint64_t tlb_hits;
};

static struct op_counters counters_now(const struct core_mm *mm)
{
	const struct tlb_stats *t = &mm->tlb.stats;

	return (struct op_counters){
		.walks = mm->stats.walks,
		.pte_writes = mm->pgt.pte_writes,
		.tlbi = t->tlbi_va + t->tlbi_vaa + t->tlbi_range + t->tlbi_asid + t->tlbi_all,
		.tlb_hits = t->hits,
	};
}

static void report_counters(gbench_state *state, const struct op_counters *before, uint64_t ops)
{
	struct op_counters after = counters_now(&scale.w.mm);

	if (!ops)
		return;
	gbench_set_counter(state, "walks_per_op",
			   (double)(after.walks - before->walks) / (double)ops);
	gbench_set_counter(state, "pte_writes_per_op",
			   (double)(after.pte_writes - before->pte_writes) / (double)ops);
	gbench_set_counter(state, "tlbi_per_op", (double)(after.tlbi - before->tlbi) / (double)ops);
	gbench_set_counter(state, "tlb_hits_per_op",
			   (double)(after.tlb_hits - before->tlb_hits) / (double)ops);
}

/* Height of an rb-tree: the longest root-to-leaf path a lookup can take. */
static unsigned rb_height(const struct rb_node *n)
{
	unsigned l, r;

	if (!n)
		return 0;
	l = rb_height(n->rb_left);
	r = rb_height(n->rb_right);
	return 1 + (l > r ? l : r);
}

/* The depth of the two trees whose O(log n) the scaling benchmarks are about. */
static void report_heights(gbench_state *state)
{
	gbench_set_counter(state, "va_busy_height", rb_height(scale.w.mm.shm_va.busy_root.rb_node));
	gbench_set_counter(state, "pa_index_height", rb_height(scale.w.mm.pa_idx.root.rb_node));
}

/* The full check, and that the manager holds exactly the live slots. */
static int scale_check(void)
{
	int rc = core_mm_check(&scale.w.mm);

	if (!rc && (scale.w.mm.stats.mapped_pages != scale.live ||
		    scale.w.mm.vms[1].n_mappings != scale.live))
		rc = TS_EINVAL;
	if (rc)
		scale.broken = rc;
	return rc;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Mean interval between two back-to-back clock reads: what bracketing an
 * operation with now_ns() adds to its measured time (the vDSO read, ~25 ns).
 */
static double clock_overhead_ns(void)
{
	enum { READS = 4097 };
	uint64_t first = now_ns(), last = first;
	int i;

	for (i = 1; i < READS; i++)
		last = now_ns();
	return (double)(last - first) / (READS - 1);
}

/*
 * One map of a page with `live` one-page mappings already live, then the unmap
 * of one of the live + 1 chosen at random, so every map sees exactly `live`
 * and every unmap live + 1.  The page mapped is a spare slot's, at a random
 * place in the PA index; its VA is the lowest hole, which is the one the
 * previous unmap left (so that part of the VA busy tree is still cached).
 * The unmapped page takes the spare's place in the slot array.
 *
 * Time is the pair, plus two clock reads (~50 ns).  map_ns and unmap_ns time
 * each operation alone with the monotonic clock, the clock's own cost taken
 * out: pausing the benchmark timer around the untimed half instead costs ~2 us
 * per pause on a VM (Google Benchmark reads the thread CPU clock by a
 * syscall), more than the operations themselves.
 */
static void bench_scale_map_unmap(gbench_state *state, void *ctx)
{
	uint64_t live = (uint64_t)gbench_range(state, 0), ops = 0, map_ns = 0, unmap_ns = 0, t0, t1;
	uint32_t *victims = calloc(SCALE_RING, sizeof(*victims));
	struct op_counters before;
	double overhead_ns;
	uint32_t i;
	int rc = TS_ENOMEM;

	(void)ctx;
	if (!victims) {
		fail(state, "setup", rc);
		goto out;
	}
	if (!scale_setup(state, live))
		goto out;
	/* Which of the live + 1 to unmap (live: the page just mapped), drawn before the loop. */
	for (i = 0; i < SCALE_RING; i++)
		victims[i] = (uint32_t)(scale.ring[i] % (live + 1));
	overhead_ns = clock_overhead_ns();
	before = counters_now(&scale.w.mm);
	t0 = now_ns();
	while (gbench_keep_running(state)) {
		struct scale_slot *spare = &scale.slots[live + ops % SCALE_SPARE], *victim, tmp;
		uint32_t v = victims[ops & (SCALE_RING - 1)];

		rc = core_mm_map_shm(&scale.w.mm, 1, &spare->pa, 1, 0, &spare->va);
		t1 = now_ns();
		map_ns += t1 - t0;
		if (rc) {
			scale.broken = rc;
			fail(state, "map", rc);
			goto out;
		}
		victim = v == live ? spare : &scale.slots[v];
		rc = core_mm_unmap_shm(&scale.w.mm, victim->va);
		t0 = now_ns();
		unmap_ns += t0 - t1;
		if (rc) {
			scale.broken = rc;
			fail(state, "unmap", rc);
			goto out;
		}
		tmp = *victim;
		*victim = *spare;
		*spare = tmp;
		ops++;
	}
	report_counters(state, &before, ops);
	if ((rc = scale_check())) {
		fail(state, "core_mm_check", rc);
		goto out;
	}
	gbench_set_items_processed(state, (int64_t)ops);
	if (ops) {
		gbench_set_counter(state, "map_ns", (double)map_ns / (double)ops - overhead_ns);
		gbench_set_counter(state, "unmap_ns", (double)unmap_ns / (double)ops - overhead_ns);
	}
	report_heights(state);
out:
	free(victims);
}

/*
 * phys_to_virt of a random address in a random live page.  ctx NULL: the
 * pages are spread over the whole index, so at scale most tree levels miss
 * the caches.  ctx -> n: the queries cycle over n pages only, so the paths
 * stay cached and the time shows the tree's O(log n) depth alone.
 */
static void bench_scale_phys_to_virt(gbench_state *state, void *ctx)
{
	uint64_t live = (uint64_t)gbench_range(state, 0), i = 0, found = 0, rng = SEED, pages;
	paddr_t *queries = calloc(SCALE_RING, sizeof(*queries));
	uint64_t *hot = NULL;
	struct op_counters before;
	int rc = TS_ENOMEM;

	if (!queries) {
		fail(state, "setup", rc);
		goto out;
	}
	if (!scale_setup(state, live))
		goto out;
	pages = ctx && *(const uint32_t *)ctx < live ? *(const uint32_t *)ctx : live;
	if (ctx) {
		hot = calloc(pages, sizeof(*hot));
		if (!hot) {
			fail(state, "setup", TS_ENOMEM);
			goto out;
		}
		for (i = 0; i < pages; i++)
			hot[i] = rng_next(&rng) % live;
	}
	for (i = 0; i < SCALE_RING; i++) {
		uint64_t slot = hot ? hot[scale.ring[i] % pages] : scale.ring[i] % live;

		queries[i] = pa_add(scale.slots[slot].pa, rng_next(&rng) % 4000);
	}
	before = counters_now(&scale.w.mm);
	i = 0;
	while (gbench_keep_running(state)) {
		vaddr_t v = core_mm_phys_to_virt(&scale.w.mm, queries[i++ & (SCALE_RING - 1)],
						 MEM_AREA_SHM_VASPACE, 8);

		found += va_addr(v) != 0;
		gbench_do_not_optimize(&v);
	}
	report_counters(state, &before, i);
	if (found != i) {
		fail(state, "phys_to_virt missed a mapped page", TS_ENOENT);
		goto out;
	}
	if ((rc = scale_check())) {
		fail(state, "core_mm_check", rc);
		goto out;
	}
	gbench_set_items_processed(state, (int64_t)i);
	report_heights(state);
out:
	free(hot);
	free(queries);
}

/* core_mm_read of 8 bytes from one live page whose translation is in the TLB. */
static void bench_scale_read_tlb_hit(gbench_state *state, void *ctx)
{
	uint64_t live = (uint64_t)gbench_range(state, 0), ops = 0, word = 0;
	struct op_counters before;
	vaddr_t va;
	int rc;

	(void)ctx;
	if (!scale_setup(state, live))
		return;
	/* A page in the middle of the live set; the first read walks and fills the TLB. */
	va = va_add(scale.slots[live / 2].va, 64);
	if ((rc = core_mm_read(&scale.w.mm, va, &word, sizeof(word)))) {
		fail(state, "first read", rc);
		return;
	}
	before = counters_now(&scale.w.mm);
	while (gbench_keep_running(state)) {
		if ((rc = core_mm_read(&scale.w.mm, va, &word, sizeof(word)))) {
			fail(state, "read", rc);
			return;
		}
		gbench_do_not_optimize(&word);
		ops++;
	}
	report_counters(state, &before, ops);
	if ((rc = scale_check())) {
		fail(state, "core_mm_check", rc);
		return;
	}
	gbench_set_items_processed(state, (int64_t)ops);
}

static const uint32_t p2v_hot_pages = 16;

/* Register a scaling benchmark over 1, 10, ..., 1M live mappings, run for a fixed count. */
static void register_scale(const char *name, gbench_fn fn, void *ctx, int64_t iterations)
{
	gbench_benchmark *b = gbench_register(name, fn, ctx);

	gbench_arg_name(b, "live");
	gbench_range_multiplier(b, 10);
	gbench_arg_range(b, 1, SCALE_MAX_LIVE);
	gbench_iterations(b, iterations);
}

int main(int argc, char **argv)
{
	gbench_benchmark *b;
	int rc;

	b = gbench_register("core_mm/map_unmap/tlbi_all", bench_map_unmap, (void *)&policy_all);
	gbench_arg(b, 1);
	gbench_arg(b, 16);
	gbench_arg(b, 512);
	b = gbench_register("core_mm/map_unmap/tlbi_per_page", bench_map_unmap,
			    (void *)&policy_page);
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
	/*
	 * Fixed iteration counts: each argument is one call, so the shared world is
	 * resized and core_mm_check()ed once (the check walks every page: ~1 s at 1M).
	 */
	register_scale("core_mm/scale/map_unmap", bench_scale_map_unmap, NULL, 200000);
	register_scale("core_mm/scale/phys_to_virt", bench_scale_phys_to_virt, NULL, 1000000);
	register_scale("core_mm/scale/phys_to_virt_hot16", bench_scale_phys_to_virt,
		       (void *)&p2v_hot_pages, 1000000);
	register_scale("core_mm/scale/read_tlb_hit", bench_scale_read_tlb_hit, NULL, 2000000);
	gbench_add_context("core_mm/scale",
			   "one world, up to 1M one-page mappings; guard pages on, TLBI_ALL");
	rc = gbench_main(argc, argv);
	scale_fini();
	return rc;
}
