/*
 * Unit tests of the secure core's TLB model (sim/secure/mm/tlb.c): hits and
 * ASID matching, LRU replacement, every TLBI kind, a differential run against
 * a naive reference model, stale-entry visibility, geometry checks, the
 * conflict rule and the invariant checker itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sim/common/addr.h"
#include "sim/common/ts_err.h"
#include "sim/secure/mm/tlb.h"
#include "tests/test_rng.h"

#define PAGE_SHIFT TLB_SIZE_SHIFT_PAGE
#define L2_SHIFT TLB_SIZE_SHIFT_L2_BLOCK
#define L1_SHIFT TLB_SIZE_SHIFT_L1_BLOCK
#define SZ_4K ((uint64_t)1 << PAGE_SHIFT)
#define SZ_2M ((uint64_t)1 << L2_SHIFT)
#define SZ_1G ((uint64_t)1 << L1_SHIFT)

/* True when storage holds a valid entry with exactly this key (global entries carry ASID 0). */
static bool tlb_has(const struct tlb *tlb, uint64_t va_base, unsigned int shift, bool global,
		    uint16_t asid)
{
	for (uint32_t i = 0; i < tlb->entry_count; i++) {
		const struct tlb_entry *e = &tlb->entries[i];

		if (e->valid && va_addr(e->va) == va_base && e->size_shift == shift &&
		    e->global == global && (global || e->asid == asid))
			return true;
	}
	return false;
}

static void assert_hit(struct tlb *tlb, uint64_t va, uint16_t asid, uint64_t want_pa)
{
	struct tlb_hit hit;

	assert_true(tlb_lookup(tlb, va_init(va), asid, &hit));
	assert_int_equal(pa_addr(hit.pa), want_pa);
}

static void assert_miss(struct tlb *tlb, uint64_t va, uint16_t asid)
{
	struct tlb_hit hit;

	assert_false(tlb_lookup(tlb, va_init(va), asid, &hit));
}

/*
 * 1. A filled page or 2 MiB block translates every offset inside it to block PA
 * + offset, misses just outside, misses for another ASID when non-global and
 * hits for every ASID when global.
 */
static void test_fill_lookup_offsets_and_asids(void **state)
{
	struct tlb_entry storage[16];
	struct tlb tlb;
	struct tlb_hit hit;
	const uint64_t page_attrs = 0x0060000000000743ULL;
	uint64_t hits = 0, misses = 0;

	(void)state;
	assert_int_equal(tlb_init(&tlb, storage, 16, 4), 0);

	/* Unaligned VA and PA: the TLB aligns both to the page. */
	tlb_fill(&tlb, va_init(0x40001234), 5, false, pa_init(0x80005678), PAGE_SHIFT, page_attrs);
	assert_int_equal(tlb_check(&tlb), 0);
	for (uint64_t off = 0; off < SZ_4K; off++) {
		assert_true(tlb_lookup(&tlb, va_init(0x40001000 + off), 5, &hit));
		assert_int_equal(pa_addr(hit.pa), 0x80005000 + off);
		assert_int_equal(hit.attrs, page_attrs);
		assert_int_equal(hit.size_shift, PAGE_SHIFT);
		assert_false(hit.global);
		hits++;
	}
	assert_miss(&tlb, 0x40000fff, 5);
	assert_miss(&tlb, 0x40002000, 5);
	assert_miss(&tlb, 0x40001000, 6);
	assert_miss(&tlb, 0x40001000, 0);
	misses += 4;

	tlb_fill(&tlb, va_init(0x40212345), 5, false, pa_init(0x123456789ULL), L2_SHIFT, 0x711);
	assert_int_equal(tlb_check(&tlb), 0);
	for (uint64_t off = 0; off < SZ_2M; off++) {
		assert_true(tlb_lookup(&tlb, va_init(0x40200000 + off), 5, &hit));
		if (pa_addr(hit.pa) != 0x123400000ULL + off || hit.attrs != 0x711 ||
		    hit.size_shift != L2_SHIFT)
			fail_msg("block offset %#llx -> %#llx", (unsigned long long)off,
				 (unsigned long long)pa_addr(hit.pa));
		hits++;
	}
	assert_miss(&tlb, 0x401fffff, 5);
	assert_miss(&tlb, 0x40400000, 5);
	assert_miss(&tlb, 0x40200000, 6);
	misses += 3;

	/* Global entries (nG == 0) match every ASID, whatever ASID the fill named. */
	tlb_fill(&tlb, va_init(0x40003000), 5, true, pa_init(0x9000a000), PAGE_SHIFT, 0x403);
	tlb_fill(&tlb, va_init(0xffffff8040000000ULL), 7, true, pa_init(0x40000000), L1_SHIFT, 1);
	assert_int_equal(tlb_check(&tlb), 0);
	for (uint32_t asid = 0; asid <= 0xffff; asid += 0x1111) {
		assert_true(tlb_lookup(&tlb, va_init(0x40003abc), (uint16_t)asid, &hit));
		assert_int_equal(pa_addr(hit.pa), 0x9000aabc);
		assert_true(hit.global);
		assert_hit(&tlb, 0xffffff8040000000ULL, (uint16_t)asid, 0x40000000);
		assert_hit(&tlb, 0xffffff807fffffffULL, (uint16_t)asid, 0x7fffffff);
		assert_hit(&tlb, 0xffffff8051234567ULL, (uint16_t)asid, 0x51234567);
		hits += 4;
	}
	assert_miss(&tlb, 0xffffff8080000000ULL, 7);
	misses++;

	assert_int_equal(tlb.stats.hits, hits);
	assert_int_equal(tlb.stats.misses, misses);
	assert_int_equal(tlb.stats.fills, 4);
	assert_int_equal(tlb.stats.evictions, 0);
	assert_int_equal(tlb_valid_count(&tlb), 4);

	/* Refilling the same key updates in place rather than adding a second copy. */
	tlb_fill(&tlb, va_init(0x40001fff), 5, false, pa_init(0x80777000), PAGE_SHIFT, 0x3);
	assert_int_equal(tlb_check(&tlb), 0);
	assert_int_equal(tlb_valid_count(&tlb), 4);
	assert_hit(&tlb, 0x40001010, 5, 0x80777010);

	/* A size the 4 KiB granule cannot produce is not cached. */
	tlb_fill(&tlb, va_init(0x50000000), 5, false, pa_init(0x50000000), 16, 0);
	assert_int_equal(tlb_valid_count(&tlb), 4);
	assert_int_equal(tlb.stats.fills, 5);
	assert_int_equal(tlb_check(&tlb), 0);
}

/*
 * 2. In a 2-way set, touching A after filling A and B makes B the least
 * recently used, so filling C evicts B (FIFO would have evicted A).
 */
static void test_lru_in_two_way_set(void **state)
{
	struct tlb_entry storage[8];
	struct tlb tlb;
	/* 4 sets: page numbers 0x10, 0x14, 0x18 all index set 0. */
	const uint64_t va_a = 0x10000, va_b = 0x14000, va_c = 0x18000;

	(void)state;
	assert_int_equal(tlb_init(&tlb, storage, 8, 2), 0);
	tlb_fill(&tlb, va_init(va_a), 1, false, pa_init(0xa000), PAGE_SHIFT, 0);
	tlb_fill(&tlb, va_init(va_b), 1, false, pa_init(0xb000), PAGE_SHIFT, 0);
	assert_int_equal(tlb_check(&tlb), 0);
	assert_hit(&tlb, va_a, 1, 0xa000);
	tlb_fill(&tlb, va_init(va_c), 1, false, pa_init(0xc000), PAGE_SHIFT, 0);
	assert_int_equal(tlb_check(&tlb), 0);
	assert_int_equal(tlb.stats.evictions, 1);
	assert_false(tlb_has(&tlb, va_b, PAGE_SHIFT, false, 1));
	assert_true(tlb_has(&tlb, va_a, PAGE_SHIFT, false, 1));
	assert_true(tlb_has(&tlb, va_c, PAGE_SHIFT, false, 1));
	assert_miss(&tlb, va_b, 1);
	assert_hit(&tlb, va_a, 1, 0xa000);
	assert_hit(&tlb, va_c, 1, 0xc000);

	/* Now C was used last, A before it: refilling B evicts A. */
	tlb_fill(&tlb, va_init(va_b), 1, false, pa_init(0xb000), PAGE_SHIFT, 0);
	assert_int_equal(tlb_check(&tlb), 0);
	assert_int_equal(tlb.stats.evictions, 2);
	assert_false(tlb_has(&tlb, va_a, PAGE_SHIFT, false, 1));
	assert_true(tlb_has(&tlb, va_c, PAGE_SHIFT, false, 1));
	/* Other sets were never disturbed. */
	assert_int_equal(tlb_valid_count(&tlb), 2);
}

/* ---- 3. TLBI table ---- */

struct prefill {
	uint64_t va;
	unsigned int shift;
	bool global;
	uint16_t asid;
};

static const struct prefill tlbi_prefill[] = {
	/* 0 */ { 0x10000, PAGE_SHIFT, false, 1 },
	/* 1 */ { 0x10000, PAGE_SHIFT, false, 2 },
	/* 2 */ { 0x10000, PAGE_SHIFT, true, 0 },
	/* 3 */ { 0x11000, PAGE_SHIFT, false, 1 },
	/* 4 */ { 0x11000, PAGE_SHIFT, true, 0 },
	/* 5 */ { 0x200000, L2_SHIFT, false, 1 },
	/* 6 */ { 0x400000, L2_SHIFT, false, 2 },
	/* 7 */ { 0x600000, L2_SHIFT, true, 0 },
	/* 8 */ { 0x40000000, L1_SHIFT, false, 2 },
	/* 9 */ { 0x12000, PAGE_SHIFT, false, 2 },
	/* 10 */ { 0xffffffffc0000000ULL, L1_SHIFT, true, 0 },
};

enum tlbi_kind { TLBI_VA, TLBI_VAA, TLBI_RANGE, TLBI_ASID, TLBI_ALL };

struct tlbi_case {
	const char *name;
	enum tlbi_kind kind;
	uint64_t va;
	uint64_t pages;
	uint16_t asid;
	uint32_t dropped_mask;	/* bit i: tlbi_prefill[i] must be gone */
};

#define B(i) (1u << (i))

static const struct tlbi_case tlbi_cases[] = {
	{ "VAE1 page asid1", TLBI_VA, 0x10123, 0, 1, B(0) | B(2) },
	{ "VAE1 page other asid", TLBI_VA, 0x10000, 0, 3, B(2) },
	{ "VAE1 inside nG block", TLBI_VA, 0x300000, 0, 1, B(5) },
	{ "VAE1 block wrong asid", TLBI_VA, 0x300000, 0, 2, 0 },
	{ "VAE1 last byte global block", TLBI_VA, 0x7fffff, 0, 9, B(7) },
	{ "VAE1 inside 1G block", TLBI_VA, 0x55555000, 0, 2, B(8) },
	{ "VAE1 unmapped", TLBI_VA, 0x13000, 0, 1, 0 },
	{ "VAAE1 page", TLBI_VAA, 0x10fff, 0, 0, B(0) | B(1) | B(2) },
	{ "VAAE1 block", TLBI_VAA, 0x400000, 0, 0, B(6) },
	{ "VAAE1 unmapped", TLBI_VAA, 0x13000, 0, 0, 0 },
	{ "RVAE1 two pages asid1", TLBI_RANGE, 0x10000, 2, 1, B(0) | B(2) | B(3) | B(4) },
	{ "RVAE1 unaligned base", TLBI_RANGE, 0x10fff, 1, 2, B(1) | B(2) },
	{ "RVAE1 pages and block asid2", TLBI_RANGE, 0x11000, 0x200, 2, B(4) | B(9) },
	{ "RVAE1 ends before block", TLBI_RANGE, 0x1ff000, 1, 1, 0 },
	{ "RVAE1 reaches block", TLBI_RANGE, 0x1ff000, 2, 1, B(5) },
	{ "RVAE1 4 GiB asid2", TLBI_RANGE, 0, 1u << 20, 2,
	  B(1) | B(2) | B(4) | B(6) | B(7) | B(8) | B(9) },
	{ "RVAE1 clamps at top", TLBI_RANGE, 0xfffffffffffff000ULL, 0x20, 1, B(10) },
	{ "RVAE1 zero pages", TLBI_RANGE, 0x10000, 0, 1, 0 },
	{ "ASIDE1 asid1", TLBI_ASID, 0, 0, 1, B(0) | B(3) | B(5) },
	{ "ASIDE1 asid2", TLBI_ASID, 0, 0, 2, B(1) | B(6) | B(8) | B(9) },
	{ "ASIDE1 asid0 spares globals", TLBI_ASID, 0, 0, 0, 0 },
	{ "VMALLE1", TLBI_ALL, 0, 0, 0, (1u << ARRAY_LEN(tlbi_prefill)) - 1 },
};

static void prefill_tlb(struct tlb *tlb)
{
	for (size_t i = 0; i < ARRAY_LEN(tlbi_prefill); i++) {
		const struct prefill *p = &tlbi_prefill[i];

		tlb_fill(tlb, va_init(p->va), p->asid, p->global, pa_init(0x1000000000ULL * (i + 1)),
			 p->shift, i);
		assert_int_equal(tlb_check(tlb), 0);
	}
	assert_int_equal(tlb_valid_count(tlb), ARRAY_LEN(tlbi_prefill));
}

static uint64_t *tlbi_counter(struct tlb_stats *stats, enum tlbi_kind kind)
{
	switch (kind) {
	case TLBI_VA:
		return &stats->tlbi_va;
	case TLBI_VAA:
		return &stats->tlbi_vaa;
	case TLBI_RANGE:
		return &stats->tlbi_range;
	case TLBI_ASID:
		return &stats->tlbi_asid;
	case TLBI_ALL:
		return &stats->tlbi_all;
	}
	return NULL;
}

static void run_tlbi_table(uint32_t entries, uint32_t ways)
{
	struct tlb_entry storage[64];
	struct tlb tlb;

	for (size_t c = 0; c < ARRAY_LEN(tlbi_cases); c++) {
		const struct tlbi_case *tc = &tlbi_cases[c];
		uint32_t expect_dropped = 0;

		assert_int_equal(tlb_init(&tlb, storage, entries, ways), 0);
		prefill_tlb(&tlb);
		tlb_stats_reset(&tlb);

		switch (tc->kind) {
		case TLBI_VA:
			tlb_inval_va(&tlb, va_init(tc->va), tc->asid);
			break;
		case TLBI_VAA:
			tlb_inval_va_all_asid(&tlb, va_init(tc->va));
			break;
		case TLBI_RANGE:
			tlb_inval_va_range(&tlb, va_init(tc->va), tc->pages, tc->asid);
			break;
		case TLBI_ASID:
			tlb_inval_asid(&tlb, tc->asid);
			break;
		case TLBI_ALL:
			tlb_inval_all(&tlb);
			break;
		}
		assert_int_equal(tlb_check(&tlb), 0);

		for (size_t i = 0; i < ARRAY_LEN(tlbi_prefill); i++) {
			const struct prefill *p = &tlbi_prefill[i];
			bool want_gone = (tc->dropped_mask & B(i)) != 0;

			if (tlb_has(&tlb, p->va, p->shift, p->global, p->asid) == want_gone)
				fail_msg("%s: entry %zu should be %s", tc->name, i,
					 want_gone ? "dropped" : "kept");
			expect_dropped += want_gone ? 1 : 0;
		}
		assert_int_equal(tlb.stats.entries_invalidated, expect_dropped);

		/* Each instruction counts itself once and no other kind. */
		for (int k = TLBI_VA; k <= TLBI_ALL; k++) {
			uint64_t want = (enum tlbi_kind)k == tc->kind ? 1 : 0;

			if (*tlbi_counter(&tlb.stats, (enum tlbi_kind)k) != want)
				fail_msg("%s: counter of kind %d is %llu", tc->name, k,
					 (unsigned long long)*tlbi_counter(&tlb.stats,
									   (enum tlbi_kind)k));
		}
		assert_int_equal(tlb.stats.hits + tlb.stats.misses + tlb.stats.fills, 0);
	}

	/* Barriers only count. */
	assert_int_equal(tlb_init(&tlb, storage, entries, ways), 0);
	prefill_tlb(&tlb);
	tlb_dsb(&tlb);
	tlb_isb(&tlb);
	tlb_dsb(&tlb);
	assert_int_equal(tlb.stats.dsb, 2);
	assert_int_equal(tlb.stats.isb, 1);
	assert_int_equal(tlb_valid_count(&tlb), ARRAY_LEN(tlbi_prefill));
}

/*
 * 3. Each TLBI kind drops exactly the entries the architecture names (VA match
 * with global-or-ASID, any ASID, range overlap, non-global ASID, all) and
 * nothing else, and counts itself once; same result fully and set associative.
 */
static void test_tlbi_kinds_table(void **state)
{
	(void)state;
	run_tlbi_table(32, 32);
	run_tlbi_table(64, 4);
}

/* ---- 4. Differential test ---- */

#define DIFF_OPS 100000
#define DIFF_SEED 0x5eed7eeULL
#define REF_CAPACITY 32
#define NUM_ASIDS 4
#define NUM_PAGE_UNITS 48
#define NUM_L2_UNITS 8
#define NUM_L1_UNITS 4
#define NUM_UNITS (NUM_PAGE_UNITS + NUM_L2_UNITS + NUM_L1_UNITS)
#define PAGE_REGION 0x100000ULL
#define L2_REGION 0x40000000ULL
#define L1_REGION 0xffffff8000000000ULL

/* The test's "page table": fixed leaves whose output changes by generation. */
struct unit {
	uint64_t va;
	unsigned int shift;
	bool global;
	uint32_t gen[NUM_ASIDS];	/* global leaves use gen[0] */
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t unit_key(const struct unit *u, size_t idx, uint16_t asid)
{
	uint64_t tag = u->global ? NUM_ASIDS : asid;
	uint32_t gen = u->gen[u->global ? 0 : asid];

	return mix64(((uint64_t)idx << 40) ^ (tag << 32) ^ gen);
}

static uint64_t unit_pa(const struct unit *u, size_t idx, uint16_t asid)
{
	uint64_t frames = (uint64_t)1 << (48 - u->shift);

	return (unit_key(u, idx, asid) % frames) << u->shift;
}

static uint64_t unit_attrs(const struct unit *u, size_t idx, uint16_t asid)
{
	return mix64(unit_key(u, idx, asid) + 1);
}

static void units_init(struct unit *units)
{
	for (size_t i = 0; i < NUM_UNITS; i++) {
		struct unit *u = &units[i];

		memset(u, 0, sizeof(*u));
		if (i < NUM_PAGE_UNITS) {
			u->va = PAGE_REGION + i * SZ_4K;
			u->shift = PAGE_SHIFT;
		} else if (i < NUM_PAGE_UNITS + NUM_L2_UNITS) {
			u->va = L2_REGION + (i - NUM_PAGE_UNITS) * SZ_2M;
			u->shift = L2_SHIFT;
		} else {
			u->va = L1_REGION + (i - NUM_PAGE_UNITS - NUM_L2_UNITS) * SZ_1G;
			u->shift = L1_SHIFT;
		}
		u->global = i % 4 == 3;
	}
}

/* Naive reference: an unordered array of entries, LRU by stamp over all of it. */
struct ref_entry {
	uint64_t va;
	unsigned int shift;
	bool global;
	uint16_t asid;
	uint64_t pa;
	uint64_t attrs;
	uint64_t stamp;
	bool valid;
};

struct ref_tlb {
	struct ref_entry e[REF_CAPACITY];
	uint64_t clock;
	uint64_t hits, misses, fills, evictions, dropped;
};

static bool ref_tag_matches(const struct ref_entry *e, uint16_t asid)
{
	return e->global || e->asid == asid;
}

static bool ref_lookup(struct ref_tlb *ref, uint64_t va, uint16_t asid, uint64_t *pa,
		       uint64_t *attrs)
{
	struct ref_entry *best = NULL;

	for (size_t i = 0; i < REF_CAPACITY; i++) {
		struct ref_entry *e = &ref->e[i];
		uint64_t size = (uint64_t)1 << e->shift;

		if (e->valid && va >= e->va && va - e->va < size && ref_tag_matches(e, asid) &&
		    (best == NULL || e->stamp > best->stamp))
			best = e;
	}
	if (best == NULL) {
		ref->misses++;
		return false;
	}
	best->stamp = ++ref->clock;
	ref->hits++;
	*pa = best->pa + (va - best->va);
	*attrs = best->attrs;
	return true;
}

static void ref_fill(struct ref_tlb *ref, uint64_t va, uint16_t asid, bool global, uint64_t pa,
		     unsigned int shift, uint64_t attrs)
{
	uint64_t size = (uint64_t)1 << shift;
	uint64_t va_base = va - va % size;
	struct ref_entry *slot = NULL;

	if (global)
		asid = 0;
	ref->fills++;
	for (size_t i = 0; i < REF_CAPACITY && slot == NULL; i++) {
		struct ref_entry *e = &ref->e[i];

		if (e->valid && e->va == va_base && e->shift == shift && e->global == global &&
		    e->asid == asid)
			slot = e;
	}
	for (size_t i = 0; i < REF_CAPACITY && slot == NULL; i++) {
		if (!ref->e[i].valid)
			slot = &ref->e[i];
	}
	if (slot == NULL) {
		slot = &ref->e[0];
		for (size_t i = 1; i < REF_CAPACITY; i++) {
			if (ref->e[i].stamp < slot->stamp)
				slot = &ref->e[i];
		}
		ref->evictions++;
	}
	*slot = (struct ref_entry){ .va = va_base, .shift = shift, .global = global,
				    .asid = asid, .pa = pa - pa % size, .attrs = attrs,
				    .stamp = ++ref->clock, .valid = true };
}

enum ref_filter { REF_GLOBAL_OR_ASID, REF_ANY, REF_NON_GLOBAL_ASID };

/* Drop entries meeting [lo, hi] (inclusive) and the filter. */
static void ref_inval(struct ref_tlb *ref, uint64_t lo, uint64_t hi, enum ref_filter filter,
		      uint16_t asid)
{
	for (size_t i = 0; i < REF_CAPACITY; i++) {
		struct ref_entry *e = &ref->e[i];
		uint64_t last = e->va + (((uint64_t)1 << e->shift) - 1);
		bool tag_ok;

		if (!e->valid || e->va > hi || last < lo)
			continue;
		if (filter == REF_ANY)
			tag_ok = true;
		else if (filter == REF_GLOBAL_OR_ASID)
			tag_ok = ref_tag_matches(e, asid);
		else
			tag_ok = !e->global && e->asid == asid;
		if (tag_ok) {
			e->valid = false;
			ref->dropped++;
		}
	}
}

/* The reference and the TLB hold the same entries, stamps included, and the same counts. */
static void ref_compare(const struct ref_tlb *ref, const struct tlb *tlb, uint32_t op)
{
	uint32_t ref_valid = 0;

	for (size_t i = 0; i < REF_CAPACITY; i++) {
		const struct ref_entry *r = &ref->e[i];
		bool found = false;

		if (!r->valid)
			continue;
		ref_valid++;
		for (uint32_t j = 0; j < tlb->entry_count && !found; j++) {
			const struct tlb_entry *e = &tlb->entries[j];

			found = e->valid && va_addr(e->va) == r->va && e->size_shift == r->shift &&
				e->global == r->global && e->asid == r->asid &&
				pa_addr(e->pa) == r->pa && e->attrs == r->attrs &&
				e->stamp == r->stamp;
		}
		if (!found)
			fail_msg("op %u: reference entry va %#llx missing from TLB", op,
				 (unsigned long long)r->va);
	}
	if (tlb_valid_count(tlb) != ref_valid || tlb->stats.hits != ref->hits ||
	    tlb->stats.misses != ref->misses || tlb->stats.fills != ref->fills ||
	    tlb->stats.evictions != ref->evictions ||
	    tlb->stats.entries_invalidated != ref->dropped)
		fail_msg("op %u: TLB and reference disagree on counts", op);
}

/* Half the picks come from a small hot set so the TLB sees real reuse. */
static size_t pick_unit(uint64_t *rng)
{
	static const size_t hot[] = { 0, 1, 2, 3, 4, 5, NUM_PAGE_UNITS, NUM_PAGE_UNITS + 1,
				      NUM_PAGE_UNITS + NUM_L2_UNITS };

	if (rng_below(rng, 2) == 0)
		return hot[rng_below(rng, ARRAY_LEN(hot))];
	return (size_t)rng_below(rng, NUM_UNITS);
}

static uint64_t pick_offset(uint64_t *rng, const struct unit *u)
{
	return rng_below(rng, (uint64_t)1 << u->shift);
}

static void fill_from_map(struct tlb *tlb, struct ref_tlb *ref, const struct unit *units,
			  size_t idx, uint64_t off, uint16_t asid)
{
	const struct unit *u = &units[idx];
	uint64_t pa = unit_pa(u, idx, asid) + off;
	uint64_t attrs = unit_attrs(u, idx, asid);

	/* Hand in the unaligned VA and PA of the access, as a walker would. */
	tlb_fill(tlb, va_init(u->va + off), asid, u->global, pa_init(pa), u->shift, attrs);
	if (ref != NULL)
		ref_fill(ref, u->va + off, asid, u->global, pa, u->shift, attrs);
}

static bool unit_overlaps(const struct unit *u, uint64_t lo, uint64_t hi)
{
	return u->va <= hi && u->va + (((uint64_t)1 << u->shift) - 1) >= lo;
}

/*
 * One random run. With `ref`, every result and the whole state must equal the
 * reference op by op. Always: every hit must be the mapping's current
 * translation, because the sequence changes a mapping only together with a
 * TLBI that covers it.
 */
static void run_random_ops(struct tlb *tlb, struct ref_tlb *ref, uint64_t seed)
{
	struct unit units[NUM_UNITS];
	uint64_t rng = seed;

	units_init(units);
	for (uint32_t op = 0; op < DIFF_OPS; op++) {
		uint64_t r = rng_below(&rng, 1000);
		uint16_t asid = (uint16_t)rng_below(&rng, NUM_ASIDS);
		size_t idx = pick_unit(&rng);
		struct unit *u = &units[idx];
		uint64_t off = pick_offset(&rng, u);

		if (r < 600) {
			/* Access: lookup, walk the map and fill on a miss. */
			struct tlb_hit hit;
			bool got = tlb_lookup(tlb, va_init(u->va + off), asid, &hit);

			if (got && (pa_addr(hit.pa) != unit_pa(u, idx, asid) + off ||
				    hit.attrs != unit_attrs(u, idx, asid)))
				fail_msg("op %u: wrong translation for va %#llx asid %u", op,
					 (unsigned long long)(u->va + off), asid);
			if (ref != NULL) {
				uint64_t ref_pa = 0, ref_attrs = 0;
				bool ref_got = ref_lookup(ref, u->va + off, asid, &ref_pa,
							  &ref_attrs);

				if (ref_got != got ||
				    (got && (ref_pa != pa_addr(hit.pa) || ref_attrs != hit.attrs)))
					fail_msg("op %u: lookup differs from reference", op);
			}
			if (!got)
				fill_from_map(tlb, ref, units, idx, off, asid);
		} else if (r < 750) {
			/* Fill without a lookup (prefetch): often refreshes a present key. */
			fill_from_map(tlb, ref, units, idx, off, asid);
		} else if (r < 810) {
			/* Remap the leaf for one ASID; VAE1 also drops its global entry. */
			u->gen[u->global ? 0 : asid]++;
			tlb_inval_va(tlb, va_init(u->va + off), asid);
			if (ref != NULL)
				ref_inval(ref, u->va + off, u->va + off, REF_GLOBAL_OR_ASID, asid);
		} else if (r < 850) {
			/* Remap for every ASID, sometimes flipping nG: VAAE1. */
			for (size_t a = 0; a < NUM_ASIDS; a++)
				u->gen[a]++;
			if (rng_below(&rng, 4) == 0)
				u->global = !u->global;
			tlb_inval_va_all_asid(tlb, va_init(u->va + off));
			if (ref != NULL)
				ref_inval(ref, u->va + off, u->va + off, REF_ANY, 0);
		} else if (r < 890) {
			/* Remap the non-global leaves of one ASID over a range: RVAE1. */
			static const uint64_t scales[] = { 4, 64, 1024, (uint64_t)1 << 19 };
			uint64_t pages = 1 + rng_below(&rng, scales[rng_below(&rng, 4)]);
			uint64_t lo = (u->va + off) & ~(SZ_4K - 1);
			uint64_t hi = lo + pages * SZ_4K - 1;

			for (size_t i = 0; i < NUM_UNITS; i++) {
				if (!units[i].global && unit_overlaps(&units[i], lo, hi))
					units[i].gen[asid]++;
			}
			tlb_inval_va_range(tlb, va_init(u->va + off), pages, asid);
			if (ref != NULL)
				ref_inval(ref, lo, hi, REF_GLOBAL_OR_ASID, asid);
		} else if (r < 910) {
			/* ASID reuse: all its non-global leaves change: ASIDE1. */
			for (size_t i = 0; i < NUM_UNITS; i++) {
				if (!units[i].global)
					units[i].gen[asid]++;
			}
			tlb_inval_asid(tlb, asid);
			if (ref != NULL)
				ref_inval(ref, 0, UINT64_MAX, REF_NON_GLOBAL_ASID, asid);
		} else if (r < 913) {
			/* New tables for everything: VMALLE1. */
			for (size_t i = 0; i < NUM_UNITS; i++) {
				for (size_t a = 0; a < NUM_ASIDS; a++)
					units[i].gen[a]++;
			}
			tlb_inval_all(tlb);
			if (ref != NULL)
				ref_inval(ref, 0, UINT64_MAX, REF_ANY, 0);
		} else if (r < 960) {
			/* A spurious VAE1 (mapping unchanged) only costs a refill. */
			tlb_inval_va(tlb, va_init(u->va + off), asid);
			if (ref != NULL)
				ref_inval(ref, u->va + off, u->va + off, REF_GLOBAL_OR_ASID, asid);
		} else if (r < 985) {
			tlb_dsb(tlb);
		} else {
			tlb_isb(tlb);
		}

		if (tlb_check(tlb) != 0)
			fail_msg("op %u: tlb_check failed", op);
		if (ref != NULL)
			ref_compare(ref, tlb, op);
	}
}

/*
 * 4. 100,000 random fill/lookup/TLBI ops: a fully associative TLB equals the
 * naive reference op by op, and a 4-way 64-entry TLB may miss differently but
 * never returns a translation other than the map's current one.
 */
static void test_differential_random_ops(void **state)
{
	static struct ref_tlb ref;
	struct tlb_entry storage[64];
	struct tlb tlb;

	(void)state;
	memset(&ref, 0, sizeof(ref));
	assert_int_equal(tlb_init(&tlb, storage, REF_CAPACITY, REF_CAPACITY), 0);
	run_random_ops(&tlb, &ref, DIFF_SEED);
	/* The run exercised every path, so the equality above means something. */
	assert_true(tlb.stats.hits > 10000);
	assert_true(tlb.stats.misses > 10000);
	assert_true(tlb.stats.evictions > 5000);
	assert_true(tlb.stats.fills > tlb.stats.misses);	/* prefetch fills happened */
	assert_true(tlb.stats.entries_invalidated > 1000);
	assert_true(tlb.stats.tlbi_va > 0 && tlb.stats.tlbi_vaa > 0 && tlb.stats.tlbi_range > 0 &&
		    tlb.stats.tlbi_asid > 0 && tlb.stats.tlbi_all > 0);
	assert_true(tlb.stats.dsb > 0 && tlb.stats.isb > 0);

	assert_int_equal(tlb_init(&tlb, storage, 64, 4), 0);
	run_random_ops(&tlb, NULL, DIFF_SEED);
	assert_true(tlb.stats.hits > 10000);
	assert_true(tlb.stats.evictions > 5000);
}

/*
 * 5. Changing the mapping without a TLBI leaves the old translation visible
 * (a TLBI for another ASID does not help); after tlb_inval_va the lookup
 * misses and a refill sees the new mapping.
 */
static void test_stale_entry_observable(void **state)
{
	struct tlb_entry storage[16];
	struct tlb tlb;
	const uint64_t va = 0x7000123;
	uint64_t map_pa = 0x88000000;	/* the test's page-table entry for va's page */

	(void)state;
	assert_int_equal(tlb_init(&tlb, storage, 16, 4), 0);
	tlb_fill(&tlb, va_init(va), 3, false, pa_init(map_pa), PAGE_SHIFT, 0);
	assert_hit(&tlb, va, 3, map_pa + 0x123);

	map_pa = 0x99000000;	/* remap, "forgetting" the TLBI */
	assert_hit(&tlb, va, 3, 0x88000123);

	tlb_inval_va(&tlb, va_init(va), 4);	/* wrong ASID: still stale */
	assert_int_equal(tlb.stats.entries_invalidated, 0);
	assert_hit(&tlb, va, 3, 0x88000123);

	tlb_inval_va(&tlb, va_init(va & ~(SZ_4K - 1)), 3);
	assert_int_equal(tlb_check(&tlb), 0);
	assert_int_equal(tlb.stats.entries_invalidated, 1);
	assert_miss(&tlb, va, 3);
	tlb_fill(&tlb, va_init(va), 3, false, pa_init(map_pa), PAGE_SHIFT, 0);
	assert_hit(&tlb, va, 3, 0x99000123);
}

/* 6. tlb_init accepts only entries > 0, a multiple of ways, with a power-of-two set count. */
static void test_init_geometry(void **state)
{
	struct tlb_entry storage[64];
	struct tlb tlb;
	static const struct {
		uint32_t entries, ways;
		int want;
	} cases[] = {
		{ 0, 1, TS_EINVAL },	{ 0, 0, TS_EINVAL },	{ 4, 0, TS_EINVAL },
		{ 10, 4, TS_EINVAL },	{ 12, 4, TS_EINVAL },	{ 48, 16, TS_EINVAL },
		{ 24, 1, TS_EINVAL },	{ 4, 8, TS_EINVAL },	{ 1, 1, 0 },
		{ 64, 4, 0 },		{ 32, 32, 0 },		{ 64, 1, 0 },
		{ 48, 3, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		memset(storage, 0xa5, sizeof(storage));
		if (tlb_init(&tlb, storage, cases[i].entries, cases[i].ways) != cases[i].want)
			fail_msg("case %zu: %u entries / %u ways", i, cases[i].entries,
				 cases[i].ways);
		if (cases[i].want == 0) {
			assert_int_equal(tlb_check(&tlb), 0);
			assert_int_equal(tlb_valid_count(&tlb), 0);
			assert_int_equal(tlb.sets, cases[i].entries / cases[i].ways);
		}
	}
	assert_int_equal(tlb_init(&tlb, NULL, 4, 4), TS_EINVAL);
	assert_int_equal(tlb_init(NULL, storage, 4, 4), TS_EINVAL);
}

/*
 * 7. Overlapping matches (a TLB conflict after a skipped break-before-make)
 * resolve to the most recently used entry, never to a mix of them.
 */
static void test_conflict_most_recent_wins(void **state)
{
	struct tlb_entry storage[16];
	struct tlb tlb;

	(void)state;
	assert_int_equal(tlb_init(&tlb, storage, 16, 4), 0);
	tlb_fill(&tlb, va_init(0x200000), 1, false, pa_init(0xa00000), L2_SHIFT, 0);
	tlb_fill(&tlb, va_init(0x201000), 1, false, pa_init(0xb000), PAGE_SHIFT, 0);
	assert_int_equal(tlb_check(&tlb), 0);
	assert_hit(&tlb, 0x201010, 1, 0xb010);		/* the page was filled last */
	assert_hit(&tlb, 0x200010, 1, 0xa00010);	/* only the block matches */
	assert_hit(&tlb, 0x201010, 1, 0xa01010);	/* the block is now newer */

	tlb_fill(&tlb, va_init(0x5000), 0, true, pa_init(0xc000), PAGE_SHIFT, 0);
	tlb_fill(&tlb, va_init(0x5000), 2, false, pa_init(0xd000), PAGE_SHIFT, 0);
	assert_int_equal(tlb_check(&tlb), 0);
	assert_int_equal(tlb_valid_count(&tlb), 4);
	assert_hit(&tlb, 0x5000, 2, 0xd000);
	assert_hit(&tlb, 0x5000, 3, 0xc000);
	assert_hit(&tlb, 0x5000, 2, 0xc000);
	/* ASIDE1 of asid 2 removes the nG copy and keeps the global one. */
	tlb_inval_asid(&tlb, 2);
	assert_int_equal(tlb.stats.entries_invalidated, 1);
	assert_true(tlb_has(&tlb, 0x5000, PAGE_SHIFT, true, 0));
}

/* 8. tlb_check rejects each kind of corrupted state it claims to catch. */
static void test_check_detects_corruption(void **state)
{
	struct tlb_entry storage[16];
	struct tlb_entry scratch[16];
	struct tlb tlb, bad;
	/* 4 sets of 4 ways; page 0x10 indexes set 0, page 0x11 set 1. */
	const size_t way_a = 0;	/* set 0 */
	enum {
		BAD_SHIFT, BAD_VA_ALIGN, BAD_PA_ALIGN, BAD_SET, BAD_DUP_KEY, BAD_DUP_STAMP,
		BAD_STAMP_ZERO, BAD_STAMP_FUTURE, BAD_GLOBAL_ASID, BAD_SETS, NUM_BAD
	};

	(void)state;
	assert_int_equal(tlb_init(&tlb, storage, 16, 4), 0);
	tlb_fill(&tlb, va_init(0x10000), 1, false, pa_init(0x80000000), PAGE_SHIFT, 0);
	tlb_fill(&tlb, va_init(0x11000), 1, true, pa_init(0x80001000), PAGE_SHIFT, 0);
	tlb_fill(&tlb, va_init(0x20000), 2, false, pa_init(0x80002000), PAGE_SHIFT, 0);
	assert_int_equal(tlb_check(&tlb), 0);
	assert_true(storage[way_a].valid && va_addr(storage[way_a].va) == 0x10000);
	assert_true(storage[1].valid && va_addr(storage[1].va) == 0x20000);
	assert_true(storage[4].valid && va_addr(storage[4].va) == 0x11000);

	for (int kind = 0; kind < NUM_BAD; kind++) {
		memcpy(scratch, storage, sizeof(scratch));
		bad = tlb;
		bad.entries = scratch;
		switch (kind) {
		case BAD_SHIFT:
			scratch[way_a].size_shift = 16;
			break;
		case BAD_VA_ALIGN:
			scratch[way_a].va = va_init(0x10800);
			break;
		case BAD_PA_ALIGN:
			scratch[way_a].pa = pa_init(0x80000800);
			break;
		case BAD_SET:
			scratch[5] = scratch[way_a];	/* set 1 holds a set-0 page */
			scratch[way_a].valid = false;
			break;
		case BAD_DUP_KEY:
			/* Same key, other PA, a stamp unused in set 0 (2 lives in set 1). */
			scratch[2] = scratch[way_a];
			scratch[2].stamp = 2;
			scratch[2].pa = pa_init(0x90000000);
			break;
		case BAD_DUP_STAMP:
			scratch[1].stamp = scratch[way_a].stamp;
			break;
		case BAD_STAMP_ZERO:
			scratch[way_a].stamp = 0;
			break;
		case BAD_STAMP_FUTURE:
			scratch[way_a].stamp = tlb.clock + 1;
			break;
		case BAD_GLOBAL_ASID:
			scratch[4].asid = 9;
			break;
		case BAD_SETS:
			bad.sets = 3;
			break;
		}
		if (tlb_check(&bad) != TS_EINVAL)
			fail_msg("corruption kind %d not detected", kind);
	}
	assert_int_equal(tlb_check(&tlb), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill_lookup_offsets_and_asids),
		cmocka_unit_test(test_lru_in_two_way_set),
		cmocka_unit_test(test_tlbi_kinds_table),
		cmocka_unit_test(test_differential_random_ops),
		cmocka_unit_test(test_stale_entry_observable),
		cmocka_unit_test(test_init_geometry),
		cmocka_unit_test(test_conflict_most_recent_wins),
		cmocka_unit_test(test_check_detects_corruption),
	};

	return cmocka_run_group_tests_name("tlb", tests, NULL, NULL);
}
