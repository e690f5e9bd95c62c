/*
 * Oracle test: QEMU's MMU (through Unicorn 2.0.1) walks the tables pgt builds.
 *
 * The pool memory is copied into Unicorn at the same PAs, MAIR/TCR/TTBR0 come
 * from pgt_regs(), and a stub runs `at s1e1r/s1e1w/s1e0r/s1e0w` on a list of
 * VAs, storing PAR_EL1 after each.  Expectations come from this file's own
 * record of what was mapped -- not from pgt_walk() -- so the oracle checks
 * output address, NS, memory attributes, shareability and AP bits against an
 * independent MMU.  Fault levels are compared with pgt_walk() as well.
 *
 * The Unicorn harness (and how Unicorn 2.0.1 has to be driven) is in uc_mmu.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/ts_err.h"
#include "sim/secure/mm/pgt.h"
#include "sim/secure/mm/xlat_pool.h"
#include "tests/oracle/uc_mmu.h"

#define DRAM_PA 0x0e100000ull
#define N_TABLES 64u
#define PAGE 0x1000ull
#define MIB2 0x200000ull
#define GIB 0x40000000ull

/* Stub code, VA list and PAR results live at PAs outside the pool, MMU off. */
#define STUB_PA 0x10000000ull

struct fx {
	uint8_t *dram;
	struct xlat_table_meta meta[N_TABLES];
	struct xlat_pool pool;
	struct pgt pgt;
	struct uc_mmu mmu;
	uint64_t queries; /* VAs checked against the oracle */
};

/* A harness call that must succeed; on failure, its reason. */
static void mmu_ok(struct fx *f, int rc)
{
	if (rc != 0) {
		print_error("%s\n", f->mmu.err);
		fail();
	}
}

/* Open Unicorn at EL3 with the stub mapped (see uc_mmu.h), and back the pool with RAM. */
static void oracle_open(struct fx *f)
{
	mmu_ok(f, uc_mmu_open(&f->mmu, STUB_PA));
	mmu_ok(f, uc_mmu_map(&f->mmu, DRAM_PA, N_TABLES * PAGE));
}

static struct fx *fx_new(unsigned va_bits)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dram = aligned_alloc(PAGE, N_TABLES * PAGE);
	assert_non_null(f->dram);
	assert_int_equal(xlat_pool_init(&f->pool, pa_init(DRAM_PA), f->dram, N_TABLES, f->meta), 0);
	assert_int_equal(pgt_init(&f->pgt, &f->pool, va_bits), 0);
	oracle_open(f);
	return f;
}

static void fx_free(struct fx *f)
{
	uc_mmu_close(&f->mmu);
	pgt_destroy(&f->pgt);
	assert_int_equal(f->pool.in_use, 0);
	free(f->dram);
	free(f);
}

/*
 * Copy the tables into Unicorn and run the stub on n VAs (n <= UC_MMU_QUERY_MAX);
 * par[i][AT_*] receives PAR_EL1 after each kind of `at`.
 */
static void oracle_query(struct fx *f, const uint64_t *vas, size_t n, uint64_t (*par)[4])
{
	struct uc_mmu_regs regs;

	assert_true(n <= UC_MMU_QUERY_MAX);
	mmu_ok(f, uc_mmu_write(&f->mmu, DRAM_PA, f->dram, N_TABLES * PAGE));
	pgt_regs(&f->pgt, &regs.ttbr0, &regs.tcr, &regs.mair);
	/* Also checks that the stub's msr writes really reached the EL1 registers. */
	mmu_ok(f, uc_mmu_query(&f->mmu, &regs, vas, n, par));
}

/* What the test itself believes about one VA. */
struct expect {
	bool mapped;
	uint64_t pa; /* page address */
	uint32_t attrs;
};

static uint8_t mair_byte(uint32_t attrs)
{
	switch (attrs & PGT_ATTR_MEM_MASK) {
	case PGT_ATTR_MEM_DEVICE:
		return UC_MMU_MAIR_DEVICE_NGNRE;
	case PGT_ATTR_MEM_NORMAL_NC:
		return UC_MMU_MAIR_NORMAL_NC;
	default:
		return UC_MMU_MAIR_NORMAL_WB;
	}
}

#define ORACLE_CHECK(cond, va, what, par)                                                      \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			print_error("va 0x%llx: %s (PAR 0x%016llx)\n", (unsigned long long)(va), \
				    what, (unsigned long long)(par));                          \
			fail();                                                                \
		}                                                                              \
	} while (0)

/* Compare the four PARs of one VA with the expectation (and pgt_walk for levels). */
static void check_par(struct fx *f, uint64_t va, const struct expect *e, const uint64_t par[4])
{
	const uint64_t e1r = par[UC_MMU_AT_E1R], e1w = par[UC_MMU_AT_E1W];
	const uint64_t e0r = par[UC_MMU_AT_E0R], e0w = par[UC_MMU_AT_E0W];
	bool ro = e->attrs & PGT_ATTR_RO, user = e->attrs & PGT_ATTR_USER;
	bool device = (e->attrs & PGT_ATTR_MEM_MASK) == PGT_ATTR_MEM_DEVICE;
	unsigned levels = 0, shift = 0, leaf_level;
	int ret = pgt_walk(&f->pgt, va_init(va), NULL, NULL, &levels, &shift);

	f->queries++;
	if (!e->mapped) {
		unsigned k;

		for (k = 0; k < 4; k++)
			ORACLE_CHECK(par[k] & UC_MMU_PAR_F, va, "unmapped VA translated", par[k]);
		ORACLE_CHECK(UC_MMU_FST_IS_TRANSLATION(UC_MMU_PAR_FST(e1r)), va,
			     "not a translation fault", e1r);
		/* In range, QEMU's fault level is where pgt's own walk stopped. */
		if (levels > 0) {
			unsigned level = f->pgt.start_level + levels - 1;

			ORACLE_CHECK(UC_MMU_PAR_FST(e1r) == UC_MMU_FST_TRANSLATION(level), va,
				     "fault level differs from pgt_walk", e1r);
		}
		ORACLE_CHECK(ret == TS_ENOENT, va, "pgt_walk translates an unmapped VA", 0);
		return;
	}
	ORACLE_CHECK(ret == 0, va, "pgt_walk faults on a mapped VA", 0);
	leaf_level = 3 - (shift - 12) / 9;

	ORACLE_CHECK(!(e1r & UC_MMU_PAR_F), va, "EL1 read faults", e1r);
	ORACLE_CHECK(UC_MMU_PAR_PA(e1r) == e->pa, va, "wrong output address", e1r);
	ORACLE_CHECK(!!(e1r & UC_MMU_PAR_NS) == !!(e->attrs & PGT_ATTR_NS), va, "wrong NS", e1r);
	ORACLE_CHECK(UC_MMU_PAR_ATTR(e1r) == mair_byte(e->attrs), va, "wrong memory attributes",
		     e1r);
	ORACLE_CHECK(UC_MMU_PAR_SH(e1r) == (device ? 2u : 3u), va, "wrong shareability", e1r);

	/* AP[2:1]: the write/EL0 probes fault exactly when the attributes forbid them. */
	ORACLE_CHECK(!!(e1w & UC_MMU_PAR_F) == ro, va, "EL1 write permission", e1w);
	ORACLE_CHECK(!!(e0r & UC_MMU_PAR_F) == !user, va, "EL0 read permission", e0r);
	ORACLE_CHECK(!!(e0w & UC_MMU_PAR_F) == (!user || ro), va, "EL0 write permission", e0w);
	/* A permission fault names the level of the leaf: block vs page, seen by QEMU. */
	if (ro)
		ORACLE_CHECK(UC_MMU_PAR_FST(e1w) == UC_MMU_FST_PERMISSION(leaf_level), va,
			     "permission fault level differs from pgt leaf level", e1w);
	if (!user)
		ORACLE_CHECK(UC_MMU_PAR_FST(e0r) == UC_MMU_FST_PERMISSION(leaf_level), va,
			     "permission fault level differs from pgt leaf level", e0r);
}

/* ---- record model for the fixed scenarios: a list of live mapping records ---- */

#define MAX_RECORDS 64

struct record {
	uint64_t va, n_pages;
	uint64_t pa;           /* contiguous: PA of page 0 */
	const paddr_t *pages;  /* or a page list (then pa unused) */
	uint32_t attrs;
};

struct record_model {
	struct record r[MAX_RECORDS];
	unsigned n;
};

static void model_add(struct record_model *m, uint64_t va, uint64_t n, uint64_t pa,
		      const paddr_t *pages, uint32_t attrs)
{
	assert_true(m->n < MAX_RECORDS);
	m->r[m->n++] = (struct record){ va, n, pa, pages, attrs };
}

static struct expect model_lookup(const struct record_model *m, uint64_t va)
{
	struct expect e = { false, 0, 0 };
	unsigned i;

	for (i = 0; i < m->n; i++) {
		const struct record *r = &m->r[i];
		uint64_t idx;

		if (va < r->va || va >= r->va + r->n_pages * PAGE)
			continue;
		idx = (va - r->va) / PAGE;
		e.mapped = true;
		e.pa = r->pages ? pa_addr(r->pages[idx]) : r->pa + idx * PAGE;
		e.attrs = r->attrs;
	}
	return e;
}

/* Remove [va, va + n pages) from the records (it must be inside one record). */
static void model_unmap(struct record_model *m, uint64_t va, uint64_t n)
{
	unsigned i;

	for (i = 0; i < m->n; i++) {
		struct record *r = &m->r[i];
		uint64_t first, after;

		if (va < r->va || va >= r->va + r->n_pages * PAGE)
			continue;
		first = (va - r->va) / PAGE;
		after = first + n;
		assert_true(after <= r->n_pages);
		if (after < r->n_pages) /* right part survives as a new record */
			model_add(m, va + n * PAGE, r->n_pages - after,
				  r->pages ? 0 : r->pa + after * PAGE,
				  r->pages ? r->pages + after : NULL, r->attrs);
		r = &m->r[i];
		r->n_pages = first;
		return;
	}
	fail_msg("unmap outside the records");
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

/*
 * Query: first, last and random pages of every record, the pages just before
 * and after each, random VAs over the whole space, and a VA beyond va_bits.
 */
static void check_against_records(struct fx *f, const struct record_model *m)
{
	static uint64_t vas[UC_MMU_QUERY_MAX];
	static uint64_t par[UC_MMU_QUERY_MAX][4];
	uint64_t top = (uint64_t)1 << f->pgt.va_bits;
	size_t n = 0, i;
	unsigned r, k;

	for (r = 0; r < m->n; r++) {
		const struct record *rec = &m->r[r];
		uint64_t end = rec->va + rec->n_pages * PAGE;

		if (rec->n_pages == 0)
			continue;
		vas[n++] = rec->va;
		vas[n++] = end - PAGE + 0xff8; /* last byte-ish of the last page */
		if (rec->va >= PAGE)
			vas[n++] = rec->va - PAGE;
		if (end < top)
			vas[n++] = end;
		for (k = 0; k < 16; k++)
			vas[n++] = rec->va + rnd_below(rec->n_pages) * PAGE + rnd_below(PAGE);
	}
	for (k = 0; k < 256; k++)
		vas[n++] = rnd_below(top) & ~7ull;
	if (f->pgt.va_bits < 48)
		vas[n++] = top;
	assert_true(n <= UC_MMU_QUERY_MAX);

	oracle_query(f, vas, n, par);
	for (i = 0; i < n; i++) {
		struct expect e = model_lookup(m, vas[i]);

		e.pa &= ~(PAGE - 1);
		check_par(f, vas[i], &e, par[i]);
	}
}

/* ---- fixed scenarios ---- */

static void map_and_record(struct fx *f, struct record_model *m, uint64_t va, uint64_t n,
			   uint64_t pa, uint32_t attrs)
{
	assert_int_equal(pgt_map_range(&f->pgt, va_init(va), pa_init(pa), n, attrs), 0);
	assert_int_equal(pgt_check(&f->pgt), 0);
	model_add(m, va, n, pa, NULL, attrs);
}

static void unmap_and_record(struct fx *f, struct record_model *m, uint64_t va, uint64_t n)
{
	assert_int_equal(pgt_unmap(&f->pgt, va_init(va), n), 0);
	assert_int_equal(pgt_check(&f->pgt), 0);
	model_unmap(m, va, n);
}

/*
 * Pages, 2 MiB and 1 GiB blocks, every attribute, a scattered page list, the
 * top of the VA space and a level-0/1 table boundary -- then splits by
 * partial unmaps -- all translate in QEMU exactly as recorded.
 */
static void run_fixed_scenario(unsigned va_bits)
{
	static paddr_t list[7];
	struct fx *f = fx_new(va_bits);
	struct record_model *m = calloc(1, sizeof(*m));
	uint64_t top = (uint64_t)1 << va_bits;
	unsigned i;

	assert_non_null(m);
	rng_state = 0x0c0ffee0ull + va_bits;
	map_and_record(f, m, 0x1000, 1, 0x80001000ull, PGT_ATTR_MEM_NORMAL);
	map_and_record(f, m, 0x3000, 3, 0x90000000ull,
		       PGT_ATTR_MEM_DEVICE | PGT_ATTR_NS | PGT_ATTR_XN);
	map_and_record(f, m, 0x10000, 5, 0x80100000ull, PGT_ATTR_USER | PGT_ATTR_RO);
	for (i = 0; i < 7; i++)
		list[i] = pa_init(0x88000000ull + (uint64_t)(7 - i) * 0x13000ull);
	assert_int_equal(pgt_map_pages(&f->pgt, va_init(0x20000), list, 7,
				       PGT_ATTR_MEM_NORMAL_NC | PGT_ATTR_XN | PGT_ATTR_NG |
					       PGT_ATTR_USER),
			 0);
	model_add(m, 0x20000, 7, 0, list,
		  PGT_ATTR_MEM_NORMAL_NC | PGT_ATTR_XN | PGT_ATTR_NG | PGT_ATTR_USER);
	/* Two 2 MiB blocks, then pages + one block + pages. */
	map_and_record(f, m, 3 * MIB2, 1024, 0xa0000000ull, PGT_ATTR_NS | PGT_ATTR_RO);
	map_and_record(f, m, 5 * MIB2 + PAGE, 1100, 0xa0801000ull, PGT_ATTR_XN);
	map_and_record(f, m, top - 3 * PAGE, 3, 0xb0000000ull, PGT_ATTR_USER);
	if (va_bits >= 32) {
		map_and_record(f, m, GIB, GIB / PAGE, 3 * GIB, PGT_ATTR_RO | PGT_ATTR_NS);
		map_and_record(f, m, 3 * GIB - 2 * PAGE, 4, 0xb1000000ull, PGT_ATTR_USER);
	}
	if (va_bits == 48)
		map_and_record(f, m, 512 * GIB - 2 * PAGE, 4, 0xb2000000ull, PGT_ATTR_RO);
	assert_true(f->pgt.blocks_mapped >= 3);
	check_against_records(f, m);

	/* Split blocks by partial unmaps, remove whole mappings, check again. */
	unmap_and_record(f, m, 3 * MIB2 + 0x5000, 2);
	unmap_and_record(f, m, 0x3000 + PAGE, 1);
	if (va_bits >= 32) {
		unmap_and_record(f, m, GIB + 0x12345000ull, 600);
		unmap_and_record(f, m, 3 * GIB - 2 * PAGE, 4);
	}
	assert_true(f->pgt.blocks_split >= 1);
	check_against_records(f, m);

	free(m);
	fx_free(f);
}

/* The fixed scenario with 39-bit VAs (3 levels from level 1). */
static void test_fixed_va39(void **state)
{
	(void)state;
	run_fixed_scenario(39);
}

/* ... with 48-bit VAs (4 levels from level 0). */
static void test_fixed_va48(void **state)
{
	(void)state;
	run_fixed_scenario(48);
}

/* ... with 32-bit VAs (level 1 root with 4 entries). */
static void test_fixed_va32(void **state)
{
	(void)state;
	run_fixed_scenario(32);
}

/* ... with 25-bit VAs (level 2 root with 16 entries). */
static void test_fixed_va25(void **state)
{
	(void)state;
	run_fixed_scenario(25);
}

/* ---- random ops, whole window checked by QEMU after every batch ---- */

#define WIN_BASE (GIB - 8 * MIB2)
#define WIN_PAGES 4096u

struct page_model {
	uint64_t pa[WIN_PAGES]; /* 0 = unmapped */
	uint32_t attrs[WIN_PAGES];
};

static void check_window(struct fx *f, const struct page_model *m)
{
	static uint64_t vas[UC_MMU_QUERY_MAX];
	static uint64_t par[UC_MMU_QUERY_MAX][4];
	const struct expect outside = { false, 0, 0 };
	size_t i;

	/* Every page of the window at a random offset, plus the pages just outside it. */
	for (i = 0; i < WIN_PAGES; i++)
		vas[i] = WIN_BASE + i * PAGE + rnd_below(PAGE / 8) * 8;
	vas[WIN_PAGES] = WIN_BASE - PAGE;
	vas[WIN_PAGES + 1] = WIN_BASE + WIN_PAGES * PAGE;
	oracle_query(f, vas, WIN_PAGES + 2, par);
	for (i = 0; i < WIN_PAGES; i++) {
		struct expect e = { m->pa[i] != 0, m->pa[i], m->attrs[i] };

		check_par(f, vas[i], &e, par[i]);
	}
	check_par(f, vas[WIN_PAGES], &outside, par[WIN_PAGES]);
	check_par(f, vas[WIN_PAGES + 1], &outside, par[WIN_PAGES + 1]);
}

/* 4,000 random maps/unmaps (blocks, splits, page lists) agree with QEMU page by page. */
static void test_random_ops_whole_window(void **state)
{
	static paddr_t pages[WIN_PAGES];
	struct fx *f = fx_new(39);
	struct page_model *m = calloc(1, sizeof(*m));
	unsigned op, ok = 0;

	(void)state;
	assert_non_null(m);
	rng_state = 0x0a11ce5eedull;
	for (op = 0; op < 4000; op++) {
		unsigned kind = (unsigned)rnd_below(3);
		uint64_t first = rnd_below(4) == 0 ? rnd_below(WIN_PAGES / 512) * 512
						   : rnd_below(WIN_PAGES);
		uint64_t n = rnd_below(4) == 0 ? 512 + rnd_below(400) : 1 + rnd_below(64);
		uint32_t attrs = (uint32_t)rnd_below(3) | ((uint32_t)rnd_below(32) << 2);
		uint64_t pa = 0x100000000ull + rnd_below(8192) * PAGE, i;
		int ret, expect = 0;

		if (rnd_below(2)) /* congruent with the VA modulo 2 MiB: blocks possible */
			pa = (pa & ~(MIB2 - 1)) + ((WIN_BASE + first * PAGE) & (MIB2 - 1));
		if (first + n > WIN_PAGES)
			n = WIN_PAGES - first;
		if (rnd_below(10) == 0) {
			/* Empty a 2 MiB slot, then map it whole so it can become a block. */
			uint64_t slot = rnd_below(WIN_PAGES / 512) * 512, a, b;

			for (a = slot; a < slot + 512; a = b) {
				bool mapped = m->pa[a] != 0;

				for (b = a; b < slot + 512 && (m->pa[b] != 0) == mapped; b++)
					;
				if (!mapped)
					continue;
				ret = pgt_unmap(&f->pgt, va_init(WIN_BASE + a * PAGE), b - a);
				assert_int_equal(ret, 0);
				memset(&m->pa[a], 0, (b - a) * sizeof(m->pa[0]));
			}
			kind = (unsigned)rnd_below(2);
			first = slot;
			n = 512;
			pa = (pa & ~(MIB2 - 1)) + ((WIN_BASE + first * PAGE) & (MIB2 - 1));
		} else if (kind == 2 && rnd_below(2)) {
			/* Unmap inside a mapped run, so blocks get split. */
			uint64_t p = rnd_below(WIN_PAGES), a, b;

			while (p < WIN_PAGES && !m->pa[p])
				p++;
			if (p == WIN_PAGES)
				continue;
			for (a = p; a > 0 && m->pa[a - 1]; a--)
				;
			for (b = p + 1; b < WIN_PAGES && m->pa[b]; b++)
				;
			first = a + rnd_below(b - a);
			n = 1 + rnd_below(b - first);
		}
		for (i = 0; i < n; i++)
			pages[i] = pa_init(kind == 1 && rnd_below(8) == 0
						   ? 0x100000000ull + rnd_below(8192) * PAGE
						   : pa + i * PAGE);

		for (i = first; i < first + n; i++) {
			if (kind != 2 && m->pa[i])
				expect = TS_EEXIST;
			if (kind == 2 && !m->pa[i])
				expect = TS_ENOENT;
		}
		if (kind == 0)
			ret = pgt_map_range(&f->pgt, va_init(WIN_BASE + first * PAGE), pa_init(pa),
					    n, attrs);
		else if (kind == 1)
			ret = pgt_map_pages(&f->pgt, va_init(WIN_BASE + first * PAGE), pages, n,
					    attrs);
		else
			ret = pgt_unmap(&f->pgt, va_init(WIN_BASE + first * PAGE), n);
		assert_int_equal(pgt_check(&f->pgt), 0);
		assert_int_equal(ret, expect);
		if (ret == 0) {
			ok++;
			for (i = 0; i < n; i++) {
				m->pa[first + i] = kind == 2 ? 0 : pa_addr(pages[i]);
				m->attrs[first + i] = kind == 2 ? 0 : attrs;
			}
		}
		if (op % 20 == 19)
			check_window(f, m);
	}
	print_message("ops ok %u, blocks %llu, splits %llu, VAs checked %llu\n", ok,
		      (unsigned long long)f->pgt.blocks_mapped,
		      (unsigned long long)f->pgt.blocks_split, (unsigned long long)f->queries);
	assert_true(ok > 1000 && f->pgt.blocks_mapped > 10 && f->pgt.blocks_split > 5);
	free(m);
	fx_free(f);
}

/* A deliberately wrong descriptor is caught: the oracle is not vacuous. */
static void test_oracle_sees_corruption(void **state)
{
	static uint64_t par[1][4];
	struct fx *f = fx_new(39);
	uint64_t va = 0x40201000ull, *l3;
	paddr_t l3_pa;

	(void)state;
	assert_int_equal(pgt_map_range(&f->pgt, va_init(va), pa_init(0x80005000ull), 1, 0), 0);
	oracle_query(f, &va, 1, par);
	assert_int_equal(par[0][UC_MMU_AT_E1R] & UC_MMU_PAR_F, 0);
	assert_int_equal(UC_MMU_PAR_PA(par[0][UC_MMU_AT_E1R]), 0x80005000ull);

	/* Flip an output-address bit: QEMU follows it. */
	l3_pa = pa_init(DRAM_PA + 2 * PAGE);
	l3 = xlat_pool_table_ptr(&f->pool, l3_pa);
	assert_non_null(l3);
	l3[1] ^= 1ull << 20;
	oracle_query(f, &va, 1, par);
	assert_int_equal(UC_MMU_PAR_PA(par[0][UC_MMU_AT_E1R]), 0x80105000ull);
	/* Clear AF: QEMU reports an access flag fault (FST 0b0010LL) at level 3. */
	l3[1] ^= (1ull << 20) | (1ull << 10);
	oracle_query(f, &va, 1, par);
	assert_int_equal(par[0][UC_MMU_AT_E1R] & UC_MMU_PAR_F, 1);
	assert_int_equal(UC_MMU_PAR_FST(par[0][UC_MMU_AT_E1R]), UC_MMU_FST_ACCESS_FLAG(3));
	l3[1] ^= 1ull << 10;
	assert_int_equal(pgt_check(&f->pgt), 0);
	assert_int_equal(pgt_unmap(&f->pgt, va_init(va), 1), 0);
	oracle_query(f, &va, 1, par);
	/* The root entry is now empty. */
	assert_int_equal(UC_MMU_PAR_FST(par[0][UC_MMU_AT_E1R]), UC_MMU_FST_TRANSLATION(1));
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oracle_sees_corruption),
		cmocka_unit_test(test_fixed_va39),
		cmocka_unit_test(test_fixed_va48),
		cmocka_unit_test(test_fixed_va32),
		cmocka_unit_test(test_fixed_va25),
		cmocka_unit_test(test_random_ops_whole_window),
	};

	return cmocka_run_group_tests_name("pgt_unicorn", tests, NULL, NULL);
}
