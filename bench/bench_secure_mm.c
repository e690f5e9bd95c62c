/*
 * Micro-benchmarks of the secure core memory manager (sim/secure/mm).
 *
 * Each benchmark builds its structure outside the timed loop from a fixed
 * seed, precomputes a ring of random requests, then times one operation per
 * iteration while cycling through the ring.  Sizes step by 10 so the table
 * shows how the cost grows with the structure (O(log n) expected for all the
 * trees); the TLB is fixed-size.  After the loop each benchmark re-runs the
 * structure's invariant checker, so a timing is never reported for a run
 * that corrupted its structure.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/gbench.h"
#include "sim/common/addr.h"
#include "sim/common/ts_err.h"
#include "sim/secure/mm/pa_index.h"
#include "sim/secure/mm/rbtree.h"
#include "sim/secure/mm/tlb.h"
#include "sim/secure/mm/vaspace.h"

#ifndef TEESHM_BUILD_TYPE
#define TEESHM_BUILD_TYPE "unknown"
#endif

#define BENCH_SEED 0x7ee5a11c0ffeeULL
#define BENCH_SEED_TEXT "0x7ee5a11c0ffee"

/* Requests cycle through a ring this long (a power of two), spread over the whole structure. */
#define QUERY_RING_LEN ((uint64_t)1 << 16)
#define QUERY_RING_MASK (QUERY_RING_LEN - 1)

/* Cheap operations run in batches so the loop's out-of-line call is amortised. */
#define LOOKUP_BATCH 64

/* Secure VA and PA windows used by the setups; any page-aligned values would do. */
#define BENCH_VA_BASE ((uint64_t)0x100000000000)
#define BENCH_PA_BASE ((uint64_t)0x40000000)

/* ---- Deterministic random numbers (splitmix64) ---- */

static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform enough in [0, bound) for bounds far below 2^64. */
static uint64_t rng_below(uint64_t *state, uint64_t bound)
{
	return rng_next(state) % bound;
}

static void shuffle_u32(uint32_t *v, uint64_t n, uint64_t *rng)
{
	for (uint64_t i = n; i > 1; i--) {
		uint64_t j = rng_below(rng, i);
		uint32_t t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

static void fail(gbench_state *state, const char *what, int err)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "%s: %s", what, ts_err_name(err));
	gbench_skip_with_error(state, msg);
}

/* ---- Harness floor ---- */

/* An empty timed loop: the per-iteration cost of gbench_keep_running() itself. */
static void bench_loop_overhead(gbench_state *state, void *ctx)
{
	(void)ctx;
	while (gbench_keep_running(state))
		gbench_clobber_memory();
}

/* ---- vaspace: one lowest-fit allocation and its free, among `live` busy areas ---- */

/*
 * Layout: `live` busy areas of 1..8 pages, each followed by a hole of 1..8
 * pages, then a large free tail.  Requests are 1..16 pages: about half fit
 * one of the low holes (lowest fit descends the left of the free tree), the
 * others only fit the tail (descent along the right).  An allocation and its
 * free restore the layout exactly, so every iteration sees the same state.
 */
#define VA_MAX_BUSY_PAGES 8
#define VA_MAX_HOLE_PAGES 8
#define VA_MAX_REQ_PAGES 16
#define VA_TAIL_PAGES 4096

static void bench_vaspace_alloc_free(gbench_state *state, void *ctx)
{
	uint64_t live = (uint64_t)gbench_range(state, 0);
	uint64_t rng = BENCH_SEED;
	uint32_t n_descs = (uint32_t)(2 * live + 8);
	uint64_t space_pages = live * (VA_MAX_BUSY_PAGES + VA_MAX_HOLE_PAGES) + VA_TAIL_PAGES;
	struct va_area *descs = calloc(n_descs, sizeof(*descs));
	struct va_area **holes = calloc(live, sizeof(*holes));
	uint32_t *free_order = calloc(live, sizeof(*free_order));
	uint64_t *req_bytes = calloc(QUERY_RING_LEN, sizeof(*req_bytes));
	struct vaspace vs;
	uint64_t i;
	int err = 0;

	(void)ctx;
	if (!descs || !holes || !free_order || !req_bytes) {
		gbench_skip_with_error(state, "out of host memory");
		goto out;
	}
	err = vaspace_init(&vs, va_init(BENCH_VA_BASE), space_pages * SMALL_PAGE_SIZE, descs,
			   n_descs);
	if (err) {
		fail(state, "vaspace_init", err);
		goto out;
	}
	/* Allocate busy/hole pairs bottom-up, then free the holes in random order. */
	for (i = 0; i < live; i++) {
		struct va_area *busy;
		uint64_t busy_pages = 1 + rng_below(&rng, VA_MAX_BUSY_PAGES);
		uint64_t hole_pages = 1 + rng_below(&rng, VA_MAX_HOLE_PAGES);

		err = vaspace_alloc(&vs, busy_pages * SMALL_PAGE_SIZE, SMALL_PAGE_SIZE, 0, NULL,
				    &busy);
		if (!err)
			err = vaspace_alloc(&vs, hole_pages * SMALL_PAGE_SIZE, SMALL_PAGE_SIZE, 0,
					    NULL, &holes[i]);
		if (err) {
			fail(state, "vaspace_alloc (setup)", err);
			goto out;
		}
		free_order[i] = (uint32_t)i;
	}
	shuffle_u32(free_order, live, &rng);
	for (i = 0; i < live; i++)
		vaspace_free(&vs, holes[free_order[i]]);
	for (i = 0; i < QUERY_RING_LEN; i++)
		req_bytes[i] = (1 + rng_below(&rng, VA_MAX_REQ_PAGES)) * SMALL_PAGE_SIZE;
	err = vaspace_check(&vs);
	if (err || vs.stats.busy_areas != live) {
		fail(state, "vaspace_check (setup)", err ? err : TS_EINVAL);
		goto out;
	}

	i = 0;
	while (gbench_keep_running(state)) {
		struct va_area *area;

		err = vaspace_alloc(&vs, req_bytes[i++ & QUERY_RING_MASK], SMALL_PAGE_SIZE, 0,
				    NULL, &area);
		if (err) {
			/* Ends the loop: keep_running returns false after an error. */
			fail(state, "vaspace_alloc", err);
			continue;
		}
		vaspace_free(&vs, area);
	}
	if (err)
		goto out;
	err = vaspace_check(&vs);
	if (err || vs.stats.busy_areas != live) {
		fail(state, "vaspace_check (after)", err ? err : TS_EINVAL);
		goto out;
	}
	gbench_set_items_processed(state, gbench_iterations_done(state));
	gbench_set_counter(state, "busy_areas", (double)vs.stats.busy_areas);
	gbench_set_counter(state, "free_areas", (double)vs.stats.free_areas);
out:
	free(req_bytes);
	free(free_order);
	free(holes);
	free(descs);
}

/* ---- pa_index: phys_to_virt's lookup among n scattered runs ---- */

/*
 * Layout: n runs of 1..4 pages, each in its own 8-page PA slot, slots taken
 * in a random order, so consecutive VAs map scattered PAs (a dynamic SHM of
 * scattered pages) and no two runs touch.  Queries are [pa, pa + len) inside
 * a random run, 1..256 bytes, checked once against the expected VA before
 * timing.
 *
 * Two query rings: "lookup" spreads 64 Ki queries over all runs, so at large
 * n most tree levels miss the caches (what a phys_to_virt() of a random
 * buffer costs); "lookup_hot" repeats 16 queries whose paths stay cached,
 * which isolates the algorithmic O(log n) growth from the memory stalls.
 */
#define PA_MAX_RUN_PAGES 4
#define PA_SLOT_PAGES 8
#define PA_MAX_QUERY_BYTES 256

#define PA_HOT_RING_LEN 16

struct pa_query {
	paddr_t pa;
	uint64_t len_bytes;
};

struct pa_bench_ctx {
	uint64_t ring_len; /* distinct queries cycled through, a power of two */
};

static const struct pa_bench_ctx pa_spread_ctx = { .ring_len = QUERY_RING_LEN };
static const struct pa_bench_ctx pa_hot_ctx = { .ring_len = PA_HOT_RING_LEN };

static void bench_pa_index_lookup(gbench_state *state, void *ctx)
{
	const struct pa_bench_ctx *mode = ctx;
	uint64_t ring_mask = mode->ring_len - 1;
	uint64_t n = (uint64_t)gbench_range(state, 0);
	uint64_t rng = BENCH_SEED;
	struct pa_run *descs = calloc(n, sizeof(*descs));
	struct pa_run **runs = calloc(n, sizeof(*runs));
	uint32_t *slot_of = calloc(n, sizeof(*slot_of));
	struct pa_query *queries = calloc(mode->ring_len, sizeof(*queries));
	struct pa_index idx;
	uint64_t i, va = BENCH_VA_BASE;
	int err = 0;

	if (!descs || !runs || !slot_of || !queries) {
		gbench_skip_with_error(state, "out of host memory");
		goto out;
	}
	err = pa_index_init(&idx, descs, (uint32_t)n);
	if (err) {
		fail(state, "pa_index_init", err);
		goto out;
	}
	for (i = 0; i < n; i++)
		slot_of[i] = (uint32_t)i;
	shuffle_u32(slot_of, n, &rng);
	for (i = 0; i < n; i++) {
		uint64_t pages = 1 + rng_below(&rng, PA_MAX_RUN_PAGES);
		paddr_t pa = pa_init(BENCH_PA_BASE + (uint64_t)slot_of[i] * PA_SLOT_PAGES *
							 SMALL_PAGE_SIZE);

		err = pa_index_insert(&idx, pa, pages * SMALL_PAGE_SIZE, va_init(va), NULL, &runs[i]);
		if (err) {
			fail(state, "pa_index_insert (setup)", err);
			goto out;
		}
		va += pages * SMALL_PAGE_SIZE;
	}
	for (i = 0; i < mode->ring_len; i++) {
		const struct pa_run *run = runs[rng_below(&rng, n)];
		uint64_t offset = rng_below(&rng, run->size_bytes);
		uint64_t room = run->size_bytes - offset;
		uint64_t len = 1 + rng_below(&rng, room < PA_MAX_QUERY_BYTES ? room :
								       PA_MAX_QUERY_BYTES);

		queries[i].pa = pa_init(run->pa_start + offset);
		queries[i].len_bytes = len;
		if (pa_index_lookup(&idx, queries[i].pa, len) != run) {
			fail(state, "pa_index_lookup (setup): wrong run", TS_EINVAL);
			goto out;
		}
	}
	err = pa_index_check(&idx);
	if (err) {
		fail(state, "pa_index_check", err);
		goto out;
	}

	i = 0;
	while (gbench_keep_running_batch(state, LOOKUP_BATCH)) {
		for (int b = 0; b < LOOKUP_BATCH; b++) {
			const struct pa_query *q = &queries[i++ & ring_mask];
			struct pa_run *run = pa_index_lookup(&idx, q->pa, q->len_bytes);

			gbench_do_not_optimize(run);
		}
	}
	gbench_set_items_processed(state, gbench_iterations_done(state));
	gbench_set_counter(state, "runs", (double)idx.n_runs);
out:
	free(queries);
	free(slot_of);
	free(runs);
	free(descs);
}

/* ---- TLB: lookups in a full 512-entry, 4-way TLB ---- */

#define TLB_ENTRIES 512
#define TLB_WAYS 4
#define TLB_BENCH_ASID 1
/* Misses are drawn from this many pages above the cached ones. */
#define TLB_MISS_SPAN_PAGES ((uint64_t)1 << 20)

struct tlb_bench_ctx {
	bool hit; /* query cached pages (hit) or pages never filled (miss) */
};

static const struct tlb_bench_ctx tlb_hit_ctx = { .hit = true };
static const struct tlb_bench_ctx tlb_miss_ctx = { .hit = false };

/*
 * 512 consecutive 4 KiB pages fill every set exactly (4 per set), non-global
 * under one ASID.  A lookup probes one set per leaf size (3 sets x 4 ways)
 * whether it hits or misses; a hit also refreshes the entry's LRU stamp.
 */
static void bench_tlb_lookup(gbench_state *state, void *ctx)
{
	const struct tlb_bench_ctx *mode = ctx;
	uint64_t rng = BENCH_SEED;
	struct tlb_entry *storage = calloc(TLB_ENTRIES, sizeof(*storage));
	vaddr_t *queries = calloc(QUERY_RING_LEN, sizeof(*queries));
	struct tlb tlb;
	uint64_t i, hits_before, lookups;
	int err;

	if (!storage || !queries) {
		gbench_skip_with_error(state, "out of host memory");
		goto out;
	}
	err = tlb_init(&tlb, storage, TLB_ENTRIES, TLB_WAYS);
	if (err) {
		fail(state, "tlb_init", err);
		goto out;
	}
	for (i = 0; i < TLB_ENTRIES; i++)
		tlb_fill(&tlb, va_init(BENCH_VA_BASE + i * SMALL_PAGE_SIZE), TLB_BENCH_ASID, false,
			 pa_init(BENCH_PA_BASE + (TLB_ENTRIES - 1 - i) * SMALL_PAGE_SIZE),
			 TLB_SIZE_SHIFT_PAGE, 0);
	if (tlb_valid_count(&tlb) != TLB_ENTRIES || tlb.stats.evictions != 0) {
		gbench_skip_with_error(state, "TLB not filled exactly");
		goto out;
	}
	for (i = 0; i < QUERY_RING_LEN; i++) {
		uint64_t page = mode->hit ? rng_below(&rng, TLB_ENTRIES)
					  : TLB_ENTRIES + rng_below(&rng, TLB_MISS_SPAN_PAGES);

		queries[i] = va_init(BENCH_VA_BASE + page * SMALL_PAGE_SIZE +
				     rng_below(&rng, SMALL_PAGE_SIZE));
	}
	hits_before = tlb.stats.hits;

	i = 0;
	while (gbench_keep_running_batch(state, LOOKUP_BATCH)) {
		for (int b = 0; b < LOOKUP_BATCH; b++) {
			struct tlb_hit hit;
			bool found = tlb_lookup(&tlb, queries[i++ & QUERY_RING_MASK],
						TLB_BENCH_ASID, &hit);

			gbench_do_not_optimize(&found);
			gbench_do_not_optimize(&hit);
		}
	}
	/* Every lookup must have gone the intended way. */
	lookups = i;
	if (tlb.stats.hits - hits_before != (mode->hit ? lookups : 0)) {
		gbench_skip_with_error(state, "unexpected hit/miss count");
		goto out;
	}
	err = tlb_check(&tlb);
	if (err) {
		fail(state, "tlb_check", err);
		goto out;
	}
	gbench_set_items_processed(state, gbench_iterations_done(state));
out:
	free(queries);
	free(storage);
}

/* ---- rbtree: insert one node into a tree of n and erase it again ---- */

struct bench_node {
	struct rb_node node;
	uint64_t key;
};

static int bench_node_cmp(const struct rb_node *a, const struct rb_node *b)
{
	uint64_t ka = rb_entry(a, struct bench_node, node)->key;
	uint64_t kb = rb_entry(b, struct bench_node, node)->key;

	return ka < kb ? -1 : ka > kb;
}

static void bench_node_insert(struct rb_root *root, struct bench_node *new_node)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = new_node->key < rb_entry(parent, struct bench_node, node)->key
			       ? &parent->rb_left
			       : &parent->rb_right;
	}
	rb_link_node(&new_node->node, parent, link);
	rb_insert_color(&new_node->node, root);
}

/*
 * A tree of n random 64-bit keys; each iteration inserts a node with a fresh
 * random key (from the ring) and erases it, restoring the tree's contents.
 */
static void bench_rbtree_insert_erase(gbench_state *state, void *ctx)
{
	uint64_t n = (uint64_t)gbench_range(state, 0);
	uint64_t rng = BENCH_SEED;
	struct bench_node *nodes = calloc(n, sizeof(*nodes));
	struct bench_node *extra = calloc(QUERY_RING_LEN, sizeof(*extra));
	struct rb_root root = RB_ROOT;
	size_t count = 0;
	uint64_t i;
	int err;

	(void)ctx;
	if (!nodes || !extra) {
		gbench_skip_with_error(state, "out of host memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		nodes[i].key = rng_next(&rng);
		bench_node_insert(&root, &nodes[i]);
	}
	for (i = 0; i < QUERY_RING_LEN; i++)
		extra[i].key = rng_next(&rng);

	i = 0;
	while (gbench_keep_running(state)) {
		struct bench_node *x = &extra[i++ & QUERY_RING_MASK];

		bench_node_insert(&root, x);
		rb_erase(&x->node, &root);
	}
	/* Random 64-bit keys: a duplicate (which the strict order check rejects) is ~1e-9 likely. */
	err = rb_check(&root, bench_node_cmp, NULL, &count);
	if (err || count != n) {
		fail(state, "rb_check", err ? err : TS_EINVAL);
		goto out;
	}
	gbench_set_items_processed(state, gbench_iterations_done(state));
out:
	free(extra);
	free(nodes);
}

int main(int argc, char **argv)
{
	gbench_benchmark *b;

	gbench_add_context("teeshm_build_type", TEESHM_BUILD_TYPE);
	gbench_add_context("teeshm_bench_seed", BENCH_SEED_TEXT);

	gbench_register("gbench/loop_overhead", bench_loop_overhead, NULL);

	/* Sizes 1, 10, ..., 100000: the steps of the O(log n) curve. */
	b = gbench_register("vaspace/alloc_free", bench_vaspace_alloc_free, NULL);
	gbench_range_multiplier(b, 10);
	gbench_arg_range(b, 1, 100000);

	/* These benchmarks only read their ctx; the casts drop const for the generic void *. */
	b = gbench_register("pa_index/lookup", bench_pa_index_lookup, (void *)&pa_spread_ctx);
	gbench_range_multiplier(b, 10);
	gbench_arg_range(b, 1, 100000);
	b = gbench_register("pa_index/lookup_hot", bench_pa_index_lookup, (void *)&pa_hot_ctx);
	gbench_range_multiplier(b, 10);
	gbench_arg_range(b, 1, 100000);

	gbench_register("tlb/lookup_hit", bench_tlb_lookup, (void *)&tlb_hit_ctx);
	gbench_register("tlb/lookup_miss", bench_tlb_lookup, (void *)&tlb_miss_ctx);

	b = gbench_register("rbtree/insert_erase", bench_rbtree_insert_erase, NULL);
	gbench_arg(b, 1000);
	gbench_arg(b, 100000);

	return gbench_main(argc, argv);
}
