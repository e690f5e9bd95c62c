/*
 * Unit tests of the translation-table pool and the stage-1 tables (pgt).
 *
 * "Secure DRAM" is a malloc'd 4 KiB-aligned buffer standing at PA 0x0e100000.
 * Expected descriptors are written out as hex computed by hand from the Arm
 * ARM layout, and tables are followed by a small walker written here, so a
 * wrong bit in arch_mm.c cannot hide behind itself.  The randomised test
 * compares against a naive page -> PA model with pgt_check() after every op.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sim/common/ts_err.h"
#include "sim/secure/mm/arch_mm.h"
#include "sim/secure/mm/pgt.h"
#include "sim/secure/mm/xlat_pool.h"

#define DRAM_PA 0x0e100000ull
#define PAGE 0x1000ull
#define MIB2 0x200000ull
#define GIB 0x40000000ull
#define OA_MASK 0x0000fffffffff000ull

struct fx {
	uint8_t *dram;
	struct xlat_table_meta *meta;
	uint32_t n_tables;
	struct xlat_pool pool;
	struct pgt pgt;
};

static struct fx *fx_new(uint32_t n_tables, unsigned va_bits)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->n_tables = n_tables;
	f->dram = aligned_alloc(PAGE, (size_t)n_tables * PAGE);
	assert_non_null(f->dram);
	memset(f->dram, 0xa5, (size_t)n_tables * PAGE); /* junk: tables must come zeroed */
	f->meta = calloc(n_tables, sizeof(*f->meta));
	assert_non_null(f->meta);
	assert_int_equal(xlat_pool_init(&f->pool, pa_init(DRAM_PA), f->dram, n_tables, f->meta), 0);
	assert_int_equal(pgt_init(&f->pgt, &f->pool, va_bits), 0);
	assert_int_equal(pgt_check(&f->pgt), 0);
	return f;
}

static void fx_free(struct fx *f)
{
	pgt_destroy(&f->pgt);
	assert_int_equal(f->pool.in_use, 0);
	assert_int_equal(xlat_pool_check(&f->pool), 0);
	free(f->meta);
	free(f->dram);
	free(f);
}

static uint64_t *host_table(struct fx *f, uint64_t table_pa)
{
	assert_true(table_pa >= DRAM_PA && table_pa < DRAM_PA + f->n_tables * PAGE);
	assert_int_equal(table_pa & (PAGE - 1), 0);
	return (uint64_t *)(void *)(f->dram + (table_pa - DRAM_PA));
}

/* Descriptor for va at `level`, following table descriptors (type 0b11) by hand. */
static uint64_t desc_at(struct fx *f, uint64_t va, unsigned level)
{
	uint64_t table_pa = pa_addr(f->pgt.root_pa);
	unsigned l;

	for (l = f->pgt.start_level;; l++) {
		unsigned shift = 12 + 9 * (3 - l);
		uint64_t d = host_table(f, table_pa)[(va >> shift) & 511];

		if (l == level)
			return d;
		assert_int_equal(d & 3, 3);
		table_pa = d & OA_MASK;
	}
}

static void expect_walk(struct fx *f, uint64_t va, uint64_t want_pa, uint32_t want_attrs,
			unsigned want_levels, unsigned want_shift)
{
	paddr_t pa;
	uint32_t attrs;
	unsigned levels, shift;

	assert_int_equal(pgt_walk(&f->pgt, va_init(va), &pa, &attrs, &levels, &shift), 0);
	assert_int_equal(pa_addr(pa), want_pa);
	assert_int_equal(attrs, want_attrs);
	assert_int_equal(levels, want_levels);
	assert_int_equal(shift, want_shift);
}

static void expect_fault(struct fx *f, uint64_t va)
{
	assert_int_equal(pgt_walk(&f->pgt, va_init(va), NULL, NULL, NULL, NULL), TS_ENOENT);
}

/* ---- pool ---- */

/* The pool hands out exactly n zeroed tables, refuses the next, and counts it all. */
static void test_pool_alloc_free_counters(void **state)
{
	enum { N = 8 };
	uint8_t *dram = aligned_alloc(PAGE, N * PAGE);
	struct xlat_table_meta meta[N];
	struct xlat_pool pool;
	paddr_t pa[N], extra;
	uint32_t i, j;

	(void)state;
	assert_non_null(dram);
	memset(dram, 0x5a, N * PAGE);
	assert_int_equal(xlat_pool_init(&pool, pa_init(DRAM_PA + 1), dram, N, meta), TS_EINVAL);
	assert_int_equal(xlat_pool_init(&pool, pa_init(DRAM_PA), dram + 4, N, meta), TS_EINVAL);
	assert_int_equal(xlat_pool_init(&pool, pa_init(DRAM_PA), dram, 0, meta), TS_EINVAL);
	assert_int_equal(xlat_pool_init(&pool, pa_init(0xfffffffff000ull), dram, 2, meta),
			 TS_EINVAL);
	assert_int_equal(xlat_pool_init(&pool, pa_init(DRAM_PA), dram, N, meta), 0);
	assert_int_equal(xlat_pool_check(&pool), 0);

	for (i = 0; i < N; i++) {
		const uint64_t *t;

		assert_int_equal(xlat_pool_alloc(&pool, &pa[i]), 0);
		assert_int_equal(pa_addr(pa[i]), DRAM_PA + i * PAGE); /* address order */
		t = xlat_pool_table_ptr(&pool, pa[i]);
		assert_ptr_equal(t, dram + i * PAGE);
		for (j = 0; j < 512; j++)
			assert_int_equal(t[j], 0);
		assert_int_equal(xlat_pool_check(&pool), 0);
	}
	assert_int_equal(xlat_pool_alloc(&pool, &extra), TS_ENOMEM);
	assert_int_equal(pool.in_use, N);
	assert_int_equal(pool.peak_in_use, N);
	assert_int_equal(pool.allocs, N);
	assert_int_equal(pool.alloc_failures, 1);

	assert_null(xlat_pool_table_ptr(&pool, pa_init(DRAM_PA - PAGE)));
	assert_null(xlat_pool_table_ptr(&pool, pa_init(DRAM_PA + N * PAGE)));
	assert_null(xlat_pool_table_ptr(&pool, pa_init(DRAM_PA + 8)));

	assert_int_equal(xlat_pool_free(&pool, pa[3]), 0);
	assert_int_equal(xlat_pool_free(&pool, pa[3]), TS_EINVAL); /* double free */
	assert_int_equal(xlat_pool_free(&pool, pa_init(DRAM_PA + N * PAGE)), TS_EINVAL);
	assert_null(xlat_pool_table_ptr(&pool, pa[3])); /* free: not a table any more */
	assert_int_equal(xlat_pool_check(&pool), 0);
	assert_int_equal(xlat_pool_free(&pool, pa[5]), 0);
	/* LIFO: the last freed comes back first. */
	assert_int_equal(xlat_pool_alloc(&pool, &extra), 0);
	assert_int_equal(pa_addr(extra), pa_addr(pa[5]));
	assert_int_equal(pool.in_use, N - 1);
	assert_int_equal(pool.peak_in_use, N);
	assert_int_equal(pool.frees, 2);
	assert_int_equal(xlat_pool_check(&pool), 0);

	/* The checker notices a corrupted free list. */
	meta[3].next_free = 3;
	assert_int_equal(xlat_pool_check(&pool), TS_ELOOP);
	meta[3].next_free = XLAT_POOL_NO_TABLE;
	pool.in_use++;
	assert_int_not_equal(xlat_pool_check(&pool), 0);
	pool.in_use--;
	assert_int_equal(xlat_pool_check(&pool), 0);
	free(dram);
}

/* ---- descriptors and registers ---- */

/* TTBR0/TCR/MAIR carry the hand-computed values for va_bits 39, 32 and 48. */
static void test_regs_values(void **state)
{
	static const struct {
		unsigned va_bits;
		uint64_t tcr;
	} cases[] = {
		/* T0SZ | IRGN0=01 | ORGN0=01 | SH0=11 | EPD1 | TG1=10 | IPS=010 */
		{ 39, 0x280803519ull },
		{ 32, 0x280803520ull },
		{ 48, 0x280803510ull },
	};
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *f = fx_new(4, cases[i].va_bits);
		uint64_t ttbr0, tcr, mair;

		pgt_regs(&f->pgt, &ttbr0, &tcr, &mair);
		assert_int_equal(ttbr0, DRAM_PA);
		assert_int_equal(tcr, cases[i].tcr);
		assert_int_equal(mair, 0x44ff04ull);
		fx_free(f);
	}
}

/* A single page map writes the table chain and the leaf bit for bit; unmap undoes it all. */
static void test_single_page_map_walk_unmap(void **state)
{
	struct fx *f = fx_new(8, 39);
	const uint64_t va = 0x40201000ull; /* L1 idx 1, L2 idx 1, L3 idx 1 */
	const uint32_t attrs = PGT_ATTR_MEM_NORMAL | PGT_ATTR_NS | PGT_ATTR_RO | PGT_ATTR_XN |
			       PGT_ATTR_NG;
	uint64_t *root = host_table(f, DRAM_PA);
	unsigned i;

	(void)state;
	assert_int_equal(pgt_map_range(&f->pgt, va_init(va), pa_init(0x80005000ull), 1, attrs), 0);
	assert_int_equal(pgt_check(&f->pgt), 0);
	/* Tables come from the pool in order: root, then L2 at +4K, L3 at +8K. */
	assert_int_equal(root[1], 0x0e101003ull);
	assert_int_equal(host_table(f, 0x0e101000ull)[1], 0x0e102003ull);
	/*
	 * 0x80005000 | page 0b11 | AttrIndx 1 (0x4) | NS (0x20) | AP[2] RO (0x80)
	 * | SH inner (0x300) | AF (0x400) | nG (0x800) | PXN (1<<53) | UXN (1<<54)
	 */
	assert_int_equal(host_table(f, 0x0e102000ull)[1], 0x0060000080005fa7ull);
	for (i = 0; i < 512; i++) {
		if (i != 1) {
			assert_int_equal(root[i], 0);
			assert_int_equal(host_table(f, 0x0e101000ull)[i], 0);
			assert_int_equal(host_table(f, 0x0e102000ull)[i], 0);
		}
	}
	assert_int_equal(f->pool.in_use, 3);
	assert_int_equal(f->pgt.pte_writes, 3);
	assert_int_equal(f->pgt.tables_allocated, 3);

	expect_walk(f, va + 0x123, 0x80005123ull, attrs, 3, 12);
	expect_fault(f, va + PAGE);
	expect_fault(f, va - PAGE);

	assert_int_equal(pgt_unmap(&f->pgt, va_init(va), 1), 0);
	assert_int_equal(pgt_check(&f->pgt), 0);
	expect_fault(f, va);
	assert_int_equal(root[1], 0);
	assert_int_equal(f->pool.in_use, 1);
	assert_int_equal(f->pgt.tables_freed, 2);
	assert_int_equal(f->pgt.pte_writes, 6);
	fx_free(f);
}

/* Each abstract attribute lands on its architectural bit, and walks decode it back. */
static void test_attr_encodings(void **state)
{
	static const struct {
		uint32_t attrs;
		uint64_t desc; /* page at PA 0x80005000 */
	} cases[] = {
		/* normal: AttrIndx 1, SH inner, EL1-executable => UXN */
		{ PGT_ATTR_MEM_NORMAL, 0x0040000080005707ull },
		/* device: AttrIndx 0, SH outer */
		{ PGT_ATTR_MEM_DEVICE, 0x0040000080005603ull },
		/* normal non-cacheable: AttrIndx 2 */
		{ PGT_ATTR_MEM_NORMAL_NC, 0x004000008000570bull },
		/* EL0 read-write: AP[1]; EL0-executable => PXN only */
		{ PGT_ATTR_USER, 0x0020000080005747ull },
		{ PGT_ATTR_USER | PGT_ATTR_RO | PGT_ATTR_XN, 0x00600000800057c7ull },
		{ PGT_ATTR_NS | PGT_ATTR_RO | PGT_ATTR_XN | PGT_ATTR_NG, 0x0060000080005fa7ull },
		{ PGT_ATTR_MEM_DEVICE | PGT_ATTR_XN | PGT_ATTR_NS, 0x0060000080005623ull },
		{ PGT_ATTR_NG, 0x0040000080005f07ull },
	};
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *f = fx_new(4, 39);

		assert_int_equal(pgt_map_range(&f->pgt, va_init(0x5000), pa_init(0x80005000ull), 1,
					       cases[i].attrs),
				 0);
		assert_int_equal(desc_at(f, 0x5000, 3), cases[i].desc);
		expect_walk(f, 0x5000, 0x80005000ull, cases[i].attrs, 3, 12);
		assert_int_equal(pgt_check(&f->pgt), 0);
		fx_free(f);
	}
}

/* ---- blocks ---- */

/* 2 MiB blocks are used exactly where VA, PA and length are all aligned. */
static void test_blocks_where_aligned(void **state)
{
	const uint32_t attrs = PGT_ATTR_XN;
	struct fx *f;

	(void)state;
	/* Aligned VA and PA, 4 MiB: two level-2 blocks and no level-3 table. */
	f = fx_new(8, 39);
	assert_int_equal(pgt_map_range(&f->pgt, va_init(0x40200000ull), pa_init(0x80200000ull),
				       1024, attrs),
			 0);
	assert_int_equal(pgt_check(&f->pgt), 0);
	/* 0x80200000 | block 0b01 | AttrIndx 1 | SH inner | AF | PXN | UXN */
	assert_int_equal(desc_at(f, 0x40200000ull, 2), 0x0060000080200705ull);
	assert_int_equal(desc_at(f, 0x40400000ull, 2), 0x0060000080400705ull);
	assert_int_equal(f->pool.in_use, 2);
	assert_int_equal(f->pgt.blocks_mapped, 2);
	expect_walk(f, 0x40234567ull, 0x80234567ull, attrs, 2, 21);
	expect_fault(f, 0x40600000ull);
	fx_free(f);

	/* PA off by one page: same VA, no block anywhere. */
	f = fx_new(8, 39);
	assert_int_equal(pgt_map_range(&f->pgt, va_init(0x40200000ull), pa_init(0x80201000ull),
				       512, attrs),
			 0);
	assert_int_equal(desc_at(f, 0x40200000ull, 2) & 3, 3);
	assert_int_equal(desc_at(f, 0x40200000ull, 3), 0x0060000080201707ull);
	assert_int_equal(f->pgt.blocks_mapped, 0);
	assert_int_equal(f->pool.in_use, 3);
	fx_free(f);

	/* Aligned VA and PA but 511 pages: no block. */
	f = fx_new(8, 39);
	assert_int_equal(pgt_map_range(&f->pgt, va_init(0x40200000ull), pa_init(0x80200000ull),
				       511, attrs),
			 0);
	assert_int_equal(f->pgt.blocks_mapped, 0);
	expect_walk(f, 0x40200000ull, 0x80200000ull, attrs, 3, 12);
	fx_free(f);

	/*
	 * VA starts one page past 2 MiB, PA congruent: pages, then one block for
	 * the fully covered middle slot, then pages again.
	 */
	f = fx_new(8, 39);
	assert_int_equal(pgt_map_range(&f->pgt, va_init(0x40201000ull), pa_init(0x80201000ull),
				       1024, attrs),
			 0);
	assert_int_equal(pgt_check(&f->pgt), 0);
	assert_int_equal(desc_at(f, 0x40201000ull, 2) & 3, 3);
	assert_int_equal(desc_at(f, 0x40400000ull, 2), 0x0060000080400705ull);
	assert_int_equal(desc_at(f, 0x40600000ull, 2) & 3, 3);
	assert_int_equal(desc_at(f, 0x40600000ull, 3), 0x0060000080600707ull);
	assert_int_equal(f->pgt.blocks_mapped, 1);
	expect_walk(f, 0x403ff000ull, 0x803ff000ull, attrs, 3, 12);
	expect_walk(f, 0x405ff000ull, 0x805ff000ull, attrs, 2, 21);
	expect_fault(f, 0x40601000ull);
	expect_fault(f, 0x40200000ull);
	fx_free(f);
}

/* A page list gets a block only for an aligned, physically contiguous, 512-page run. */
static void test_map_pages_block_detection(void **state)
{
	struct fx *f = fx_new(8, 39);
	paddr_t *pages = calloc(1536, sizeof(*pages));
	paddr_t tmp;
	unsigned i;

	(void)state;
	assert_non_null(pages);
	for (i = 0; i < 512; i++)
		pages[i] = pa_init(0x80600000ull + i * PAGE);
	for (i = 512; i < 1024; i++)
		pages[i] = pa_init(0x80a00000ull + (i - 512) * PAGE);
	for (i = 1024; i < 1536; i++)
		pages[i] = pa_init(0x80e00000ull + (i - 1024) * PAGE);
	tmp = pages[700]; /* break the second run's contiguity in the middle */
	pages[700] = pages[701];
	pages[701] = tmp;
	pages[1535] = pa_init(0x90000000ull); /* and the third run's at its very last page */

	assert_int_equal(pgt_map_pages(&f->pgt, va_init(0x40000000ull), pages, 1536, 0), 0);
	assert_int_equal(pgt_check(&f->pgt), 0);
	assert_int_equal(desc_at(f, 0x40000000ull, 2), 0x0040000080600705ull);
	assert_int_equal(desc_at(f, 0x40200000ull, 2) & 3, 3);
	assert_int_equal(desc_at(f, 0x40400000ull, 2) & 3, 3);
	assert_int_equal(f->pgt.blocks_mapped, 1);
	for (i = 0; i < 1536; i++) {
		uint64_t va = 0x40000000ull + i * PAGE;

		expect_walk(f, va, pa_addr(pages[i]), 0, i < 512 ? 2 : 3, i < 512 ? 21 : 12);
	}
	free(pages);
	fx_free(f);
}

/* A 1 GiB aligned range becomes a single level-1 block, and a list does too. */
static void test_gib_block(void **state)
{
	const size_t n = GIB / PAGE;
	struct fx *f = fx_new(8, 39);
	paddr_t *pages = calloc(n, sizeof(*pages));
	size_t i;

	(void)state;
	assert_non_null(pages);
	assert_int_equal(pgt_map_range(&f->pgt, va_init(GIB), pa_init(2 * GIB), n, PGT_ATTR_XN),
			 0);
	assert_int_equal(pgt_check(&f->pgt), 0);
	assert_int_equal(desc_at(f, GIB, 1), 0x0060000080000705ull);
	assert_int_equal(f->pool.in_use, 1);
	assert_int_equal(f->pgt.blocks_mapped, 1);
	expect_walk(f, GIB + 0x12345678ull, 2 * GIB + 0x12345678ull, PGT_ATTR_XN, 1, 30);

	for (i = 0; i < n; i++)
		pages[i] = pa_init(4 * GIB + i * PAGE);
	assert_int_equal(pgt_map_pages(&f->pgt, va_init(3 * GIB), pages, n, 0), 0);
	assert_int_equal(desc_at(f, 3 * GIB, 1), 0x0040000100000705ull);
	assert_int_equal(f->pool.in_use, 1);
	assert_int_equal(pgt_check(&f->pgt), 0);
	free(pages);
	fx_free(f);
}

/* Unmapping part of a block splits it, keeping every other page's translation. */
static void test_split_on_partial_unmap(void **state)
{
	const uint64_t hole = GIB + 0x12345000ull;
	struct fx *f = fx_new(8, 39);
	uint64_t l2;

	(void)state;
	assert_int_equal(pgt_map_range(&f->pgt, va_init(GIB), pa_init(2 * GIB), GIB / PAGE, 0), 0);
	assert_int_equal(pgt_unmap(&f->pgt, va_init(hole), 1), 0);
	assert_int_equal(pgt_check(&f->pgt), 0);
	assert_int_equal(f->pgt.blocks_split, 2); /* 1 GiB -> 2 MiB blocks, one 2 MiB -> pages */
	assert_int_equal(f->pool.in_use, 3);

	l2 = desc_at(f, GIB, 1);
	assert_int_equal(l2 & 3, 3);
	assert_int_equal(desc_at(f, GIB, 2), 0x0040000080000705ull);
	assert_int_equal(desc_at(f, hole, 2) & 3, 3);
	assert_int_equal(desc_at(f, hole, 3), 0);
	assert_int_equal(desc_at(f, hole + PAGE, 3), 0x0040000092346707ull);
	expect_fault(f, hole);
	expect_walk(f, hole - PAGE, 2 * GIB + 0x12344000ull, 0, 3, 12);
	expect_walk(f, hole + PAGE, 2 * GIB + 0x12346000ull, 0, 3, 12);
	expect_walk(f, GIB + 0x200000ull, 2 * GIB + 0x200000ull, 0, 2, 21);
	expect_walk(f, 2 * GIB - PAGE, 3 * GIB - PAGE, 0, 2, 21);

	/* Unmapping the rest frees both new tables. */
	assert_int_equal(pgt_unmap(&f->pgt, va_init(GIB), (hole - GIB) / PAGE), 0);
	assert_int_equal(pgt_check(&f->pgt), 0);
	assert_int_equal(pgt_unmap(&f->pgt, va_init(hole + PAGE), (2 * GIB - hole - PAGE) / PAGE),
			 0);
	assert_int_equal(pgt_check(&f->pgt), 0);
	assert_int_equal(f->pool.in_use, 1);
	assert_int_equal(desc_at(f, GIB, 1), 0);
	fx_free(f);
}

/* A range cutting two 1 GiB blocks needs four split tables; with three free, nothing changes. */
static void test_split_both_ends_and_exhaustion(void **state)
{
	const uint64_t cut = 2 * GIB - 3 * PAGE; /* 3 pages before the block boundary */
	struct fx *f;
	uint64_t before[512];

	(void)state;
	f = fx_new(4, 39); /* root + 3 free */
	assert_int_equal(pgt_map_range(&f->pgt, va_init(GIB), pa_init(2 * GIB), 2 * GIB / PAGE,
				       PGT_ATTR_NS),
			 0);
	memcpy(before, host_table(f, DRAM_PA), sizeof(before));
	assert_int_equal(pgt_unmap(&f->pgt, va_init(cut), 6), TS_ENOMEM);
	assert_int_equal(pgt_check(&f->pgt), 0);
	assert_memory_equal(before, host_table(f, DRAM_PA), sizeof(before));
	assert_int_equal(f->pool.in_use, 1);
	assert_int_equal(f->pgt.blocks_split, 0);
	expect_walk(f, cut, 3 * GIB - 3 * PAGE, PGT_ATTR_NS, 1, 30);
	fx_free(f);

	f = fx_new(5, 39); /* root + 4 free: enough */
	assert_int_equal(pgt_map_range(&f->pgt, va_init(GIB), pa_init(2 * GIB), 2 * GIB / PAGE,
				       PGT_ATTR_NS),
			 0);
	assert_int_equal(pgt_unmap(&f->pgt, va_init(cut), 6), 0);
	assert_int_equal(pgt_check(&f->pgt), 0);
	assert_int_equal(f->pgt.blocks_split, 4);
	assert_int_equal(f->pool.in_use, 5);
	expect_walk(f, cut - PAGE, 3 * GIB - 4 * PAGE, PGT_ATTR_NS, 3, 12);
	expect_fault(f, cut);
	expect_fault(f, cut + 5 * PAGE);
	expect_walk(f, cut + 6 * PAGE, 3 * GIB + 3 * PAGE, PGT_ATTR_NS, 3, 12);
	expect_walk(f, 2 * GIB + MIB2, 3 * GIB + MIB2, PGT_ATTR_NS, 2, 21);
	fx_free(f);
}

/* ---- exhaustion and cleanup ---- */

struct pool_snapshot {
	uint8_t in_use[16];
	uint16_t valid[16];
	uint64_t tables[16][512];
};

static void snapshot(struct fx *f, struct pool_snapshot *s)
{
	uint32_t i;

	assert_true(f->n_tables <= 16);
	memset(s, 0, sizeof(*s));
	for (i = 0; i < f->n_tables; i++) {
		s->in_use[i] = f->meta[i].in_use;
		s->valid[i] = f->meta[i].valid_entries;
		if (s->in_use[i])
			memcpy(s->tables[i], f->dram + i * PAGE, PAGE);
	}
}

/* Pool exhaustion in the middle of a map leaves the tree and the pool exactly as before. */
static void test_exhaustion_mid_map_no_change(void **state)
{
	struct fx *f = fx_new(5, 39);
	struct pool_snapshot *before = malloc(sizeof(*before));
	struct pool_snapshot *after = malloc(sizeof(*after));
	paddr_t pages[2] = { pa_init(0x90000000ull), pa_init(0x90007000ull) };
	unsigned i;

	(void)state;
	assert_non_null(before);
	assert_non_null(after);
	/* Root + L2 for L1[1] + L3: 3 in use, 2 free. */
	assert_int_equal(pgt_map_range(&f->pgt, va_init(0x40200000ull), pa_init(0x80000000ull), 1,
				       0),
			 0);
	assert_int_equal(f->pool.in_use, 3);
	snapshot(f, before);

	/*
	 * [1 GiB - 4K, 1 GiB + 4K) needs an L2 and an L3 under L1[0] and an L3
	 * under L1[1]: three tables, two free.  Both map flavours must fail cleanly.
	 */
	assert_int_equal(pgt_map_pages(&f->pgt, va_init(GIB - PAGE), pages, 2, 0), TS_ENOMEM);
	assert_int_equal(pgt_check(&f->pgt), 0);
	snapshot(f, after);
	assert_memory_equal(before, after, sizeof(*before));
	assert_int_equal(f->pool.alloc_failures, 1);
	assert_int_equal(f->pgt.tables_allocated, 5);
	assert_int_equal(f->pgt.tables_freed, 2);

	assert_int_equal(pgt_map_range(&f->pgt, va_init(GIB - PAGE), pa_init(0x90000000ull), 2, 0),
			 TS_ENOMEM);
	assert_int_equal(pgt_check(&f->pgt), 0);
	snapshot(f, after);
	assert_memory_equal(before, after, sizeof(*before));
	expect_fault(f, GIB - PAGE);
	expect_fault(f, GIB);
	expect_walk(f, 0x40200000ull, 0x80000000ull, 0, 3, 12);

	/* Free the old mapping and the same request fits: root + 4 new tables = the whole pool. */
	assert_int_equal(pgt_unmap(&f->pgt, va_init(0x40200000ull), 1), 0);
	assert_int_equal(f->pool.in_use, 1);
	assert_int_equal(pgt_map_pages(&f->pgt, va_init(GIB - PAGE), pages, 2, 0), 0);
	assert_int_equal(pgt_check(&f->pgt), 0);
	for (i = 0; i < 2; i++)
		expect_walk(f, GIB - PAGE + i * PAGE, pa_addr(pages[i]), 0, 3, 12);
	assert_int_equal(f->pool.in_use, 5);
	free(before);
	free(after);
	fx_free(f);
}

/* Unmapping everything returns every table but the root to the pool. */
static void test_unmap_everything_returns_tables(void **state)
{
	/* Even entries map 700 pages (a block and a tail), odd ones a single page. */
	static const uint64_t vas[] = { 0x0, 0x3ff000ull, 0x3fe00000ull, GIB + 0x3ff000ull,
					5 * GIB + 0x123000ull, 0x7fffe00000ull };
	struct fx *f = fx_new(32, 39);
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(vas) / sizeof(vas[0]); i++) {
		assert_int_equal(pgt_map_range(&f->pgt, va_init(vas[i]),
					       pa_init(0x100000000ull + i * 0x10000000ull),
					       i % 2 ? 1 : 700, PGT_ATTR_XN),
				 0);
		assert_int_equal(pgt_check(&f->pgt), 0);
	}
	assert_true(f->pool.in_use > 5);
	assert_true(f->pgt.blocks_mapped > 0);
	for (i = 0; i < sizeof(vas) / sizeof(vas[0]); i++) {
		assert_int_equal(pgt_unmap(&f->pgt, va_init(vas[i]), i % 2 ? 1 : 700), 0);
		assert_int_equal(pgt_check(&f->pgt), 0);
	}
	assert_int_equal(f->pool.in_use, 1);
	assert_int_equal(f->pgt.tables_allocated, f->pgt.tables_freed + 1);
	for (i = 0; i < 512; i++)
		assert_int_equal(host_table(f, DRAM_PA)[i], 0);
	fx_free(f);
}

/* ---- VA sizes ---- */

/* va_bits 25/32/39/48 give the right start level and root size, and work at both VA ends. */
static void test_va_bits(void **state)
{
	static const struct {
		unsigned va_bits, start_level, root_entries;
	} cases[] = {
		{ 25, 2, 16 }, { 32, 1, 4 }, { 39, 1, 512 }, { 48, 0, 512 },
	};
	unsigned i, j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *f = fx_new(16, cases[i].va_bits);
		uint64_t top = (uint64_t)1 << cases[i].va_bits;
		unsigned depth = 4 - cases[i].start_level;
		const uint64_t *root = host_table(f, DRAM_PA);
		unsigned levels;

		assert_int_equal(f->pgt.start_level, cases[i].start_level);
		assert_int_equal(f->pgt.root_entries, cases[i].root_entries);
		assert_int_equal(pgt_map_range(&f->pgt, va_init(top - PAGE), pa_init(0x81000000ull),
					       1, PGT_ATTR_USER),
				 0);
		assert_int_equal(pgt_map_range(&f->pgt, va_init(0), pa_init(0x82000000ull), 1, 0),
				 0);
		assert_int_equal(pgt_check(&f->pgt), 0);
		expect_walk(f, top - PAGE + 8, 0x81000008ull, PGT_ATTR_USER, depth, 12);
		expect_walk(f, 0, 0x82000000ull, 0, depth, 12);
		/* The top VA uses the last root entry; nothing beyond it. */
		assert_int_equal(root[cases[i].root_entries - 1] & 3, 3);
		for (j = cases[i].root_entries; j < 512; j++)
			assert_int_equal(root[j], 0);

		assert_int_equal(pgt_map_range(&f->pgt, va_init(top), pa_init(0x81000000ull), 1, 0),
				 TS_ERANGE);
		assert_int_equal(pgt_map_range(&f->pgt, va_init(top - PAGE), pa_init(0x81000000ull),
					       2, 0),
				 TS_ERANGE);
		assert_int_equal(pgt_walk(&f->pgt, va_init(top), NULL, NULL, &levels, NULL),
				 TS_ENOENT);
		assert_int_equal(levels, 0);
		/* A 2 MiB block at the top works at every size (>= 25 bits). */
		assert_int_equal(pgt_map_range(&f->pgt, va_init(top - 2 * MIB2),
					       pa_init(0x80000000ull), 512, 0),
				 0);
		expect_walk(f, top - 2 * MIB2 + 5, 0x80000005ull, 0, depth - 1, 21);
		assert_int_equal(pgt_check(&f->pgt), 0);
		assert_int_equal(pgt_unmap(&f->pgt, va_init(top - 2 * MIB2), 512), 0);
		assert_int_equal(pgt_unmap(&f->pgt, va_init(top - PAGE), 1), 0);
		assert_int_equal(pgt_unmap(&f->pgt, va_init(0), 1), 0);
		assert_int_equal(f->pool.in_use, 1);
		fx_free(f);
	}
	{
		struct fx *f = fx_new(2, 39);
		struct pgt other;

		assert_int_equal(pgt_init(&other, &f->pool, 24), TS_EINVAL);
		assert_int_equal(pgt_init(&other, &f->pool, 49), TS_EINVAL);
		fx_free(f);
	}
}

/* ---- errors ---- */

/* Bad arguments, overlaps and holes are refused without touching the tree. */
static void test_errors_leave_tree_unchanged(void **state)
{
	struct fx *f = fx_new(8, 39);
	paddr_t pages[4] = { pa_init(0x80000000ull), pa_init(0x80001000ull),
			     pa_init(0x80002000ull), pa_init(0x80003000ull) };
	struct pool_snapshot *before = malloc(sizeof(*before));
	struct pool_snapshot *after = malloc(sizeof(*after));

	(void)state;
	assert_non_null(before);
	assert_non_null(after);
	assert_int_equal(pgt_map_range(&f->pgt, va_init(0x10002000ull), pa_init(0x90000000ull), 1,
				       0),
			 0);
	snapshot(f, before);

	assert_int_equal(pgt_map_range(&f->pgt, va_init(0x10000000ull), pa_init(0x80000000ull), 0,
				       0),
			 TS_EINVAL);
	assert_int_equal(pgt_map_range(&f->pgt, va_init(0x10000800ull), pa_init(0x80000000ull), 1,
				       0),
			 TS_EINVAL);
	assert_int_equal(pgt_map_range(&f->pgt, va_init(0x10000000ull), pa_init(0x80000010ull), 1,
				       0),
			 TS_EINVAL);
	assert_int_equal(pgt_map_range(&f->pgt, va_init(0x10000000ull), pa_init(0x80000000ull), 1,
				       3),
			 TS_EINVAL);
	assert_int_equal(pgt_map_range(&f->pgt, va_init(0x10000000ull), pa_init(0x80000000ull), 1,
				       1u << 7),
			 TS_EINVAL);
	assert_int_equal(pgt_map_range(&f->pgt, va_init(0x10000000ull),
				       pa_init(0xfffffff000ull), 2, 0),
			 TS_ERANGE);
	assert_int_equal(pgt_map_pages(&f->pgt, va_init(0x10000000ull), NULL, 1, 0), TS_EINVAL);
	pages[2] = pa_init(0x10000000000ull);
	assert_int_equal(pgt_map_pages(&f->pgt, va_init(0x10000000ull), pages, 4, 0), TS_ERANGE);
	pages[2] = pa_init(0x80002001ull);
	assert_int_equal(pgt_map_pages(&f->pgt, va_init(0x10000000ull), pages, 4, 0), TS_EINVAL);
	pages[2] = pa_init(0x80002000ull);
	/* [0x10000000, 0x10004000) overlaps the page at 0x10002000: nothing else gets mapped. */
	assert_int_equal(pgt_map_pages(&f->pgt, va_init(0x10000000ull), pages, 4, 0), TS_EEXIST);
	assert_int_equal(pgt_map_range(&f->pgt, va_init(0x10002000ull), pa_init(0x80000000ull), 1,
				       0),
			 TS_EEXIST);
	/* Unmap of a range with holes, or of nothing, unmaps nothing. */
	assert_int_equal(pgt_unmap(&f->pgt, va_init(0x10001000ull), 3), TS_ENOENT);
	assert_int_equal(pgt_unmap(&f->pgt, va_init(0x20000000ull), 1), TS_ENOENT);
	assert_int_equal(pgt_unmap(&f->pgt, va_init(0x10002000ull), 0), TS_EINVAL);
	assert_int_equal(pgt_unmap(&f->pgt, va_init((uint64_t)1 << 39), 1), TS_ERANGE);
	snapshot(f, after);
	assert_memory_equal(before, after, sizeof(*before));
	assert_int_equal(pgt_check(&f->pgt), 0);
	expect_fault(f, 0x10000000ull);
	expect_walk(f, 0x10002000ull, 0x90000000ull, 0, 3, 12);
	free(before);
	free(after);
	fx_free(f);
}

/* ---- the checker itself ---- */

/* pgt_check() catches each kind of corruption it promises to. */
static void test_check_detects_corruption(void **state)
{
	struct fx *f = fx_new(8, 39);
	uint64_t *root, *l2, *l3, saved;
	paddr_t stray;

	(void)state;
	/* L1[1] -> L2 (table 1) -> L3 (table 2), page at 0x40201000. */
	assert_int_equal(pgt_map_range(&f->pgt, va_init(0x40201000ull), pa_init(0x80005000ull), 1,
				       0),
			 0);
	root = host_table(f, DRAM_PA);
	l2 = host_table(f, DRAM_PA + PAGE);
	l3 = host_table(f, DRAM_PA + 2 * PAGE);
	saved = l3[1];

	l3[1] = saved & ~(1ull << 10); /* AF clear */
	assert_int_equal(pgt_check(&f->pgt), TS_EIO);
	l3[1] = saved | (1ull << 49); /* RES0 output-address bit */
	assert_int_equal(pgt_check(&f->pgt), TS_EIO);
	l3[1] = saved | (1ull << 52); /* contiguous hint: never written by us */
	assert_int_equal(pgt_check(&f->pgt), TS_EIO);
	l3[1] = (saved & ~3ull) | 1; /* block encoding at level 3: reserved */
	assert_int_equal(pgt_check(&f->pgt), TS_EIO);
	l3[1] = saved | (7ull << 2); /* AttrIndx 7: a MAIR slot we never program */
	assert_int_equal(pgt_check(&f->pgt), TS_EIO);
	l3[1] = saved;
	l3[2] = 0x2; /* invalid but not zero */
	assert_int_equal(pgt_check(&f->pgt), TS_EIO);
	l3[2] = 0;
	assert_int_equal(pgt_check(&f->pgt), 0);

	f->meta[2].valid_entries++;
	assert_int_equal(pgt_check(&f->pgt), TS_ERANGE);
	f->meta[2].valid_entries--;

	/* Table descriptor to a free pool table, then to a table referenced twice. */
	saved = l2[1];
	l2[1] = (DRAM_PA + 5 * PAGE) | 3;
	assert_int_equal(pgt_check(&f->pgt), TS_EFAULT);
	l2[1] = saved;
	root[2] = root[1];
	f->meta[0].valid_entries++;
	assert_int_equal(pgt_check(&f->pgt), TS_ELOOP);
	root[2] = 0;
	f->meta[0].valid_entries--;
	assert_int_equal(pgt_check(&f->pgt), 0);

	/* A table owned by the pgt but unreachable: a leak. */
	assert_int_equal(xlat_pool_alloc(&f->pool, &stray), 0);
	xlat_pool_meta(&f->pool, stray)->owner = &f->pgt;
	assert_int_equal(pgt_check(&f->pgt), TS_EBUSY);
	assert_int_equal(xlat_pool_free(&f->pool, stray), 0);
	assert_int_equal(pgt_check(&f->pgt), 0);

	/* An empty table left linked breaks the "no empty non-root table" rule. */
	saved = l3[1];
	l3[1] = 0;
	f->meta[2].valid_entries = 0;
	assert_int_equal(pgt_check(&f->pgt), TS_ERANGE);
	l3[1] = saved;
	f->meta[2].valid_entries = 1;
	assert_int_equal(pgt_check(&f->pgt), 0);
	fx_free(f);

	/* A valid entry past the root's size (va_bits 32: 4 root entries). */
	f = fx_new(4, 32);
	root = host_table(f, DRAM_PA);
	root[4] = 0x0040000080000705ull; /* well-formed 1 GiB block, but beyond 2^32 */
	f->meta[0].valid_entries++;
	assert_int_equal(pgt_check(&f->pgt), TS_EIO);
	root[4] = 0;
	f->meta[0].valid_entries--;
	assert_int_equal(pgt_check(&f->pgt), 0);
	fx_free(f);
}

/* ---- visitor ---- */

struct visit_log {
	unsigned n;
	unsigned stop_after;
	uint64_t pa[16];
	unsigned level[16];
};

static int log_table(void *ctx, paddr_t table_pa, const uint64_t *table, unsigned level)
{
	struct visit_log *log = ctx;

	(void)table;
	if (log->n < 16) {
		log->pa[log->n] = pa_addr(table_pa);
		log->level[log->n] = level;
	}
	log->n++;
	return log->n == log->stop_after ? 42 : 0;
}

/* The visitor reports every table once with its level, root first, and can stop early. */
static void test_for_each_table(void **state)
{
	struct fx *f = fx_new(16, 48);
	struct visit_log log = { 0 };
	const uint64_t *t;

	(void)state;
	assert_int_equal(pgt_map_range(&f->pgt, va_init(0x8000000000ull), pa_init(0x80000000ull),
				       1, 0),
			 0);
	assert_int_equal(pgt_map_range(&f->pgt, va_init(0x40000000ull), pa_init(0x80000000ull),
				       512, 0),
			 0);
	/* Root L0; under L0[0]: L1 -> L2 (2 MiB block); under L0[1]: L1 -> L2 -> L3. */
	assert_int_equal(pgt_for_each_table(&f->pgt, log_table, &log), 0);
	assert_int_equal(log.n, f->pool.in_use);
	assert_int_equal(log.n, 6);
	assert_int_equal(log.pa[0], DRAM_PA);
	assert_int_equal(log.level[0], 0);
	assert_int_equal(log.level[1], 1);
	assert_int_equal(log.level[2], 2);
	assert_int_equal(log.level[3], 1);
	assert_int_equal(log.level[4], 2);
	assert_int_equal(log.level[5], 3);
	t = xlat_pool_table_ptr(&f->pool, pa_init(log.pa[5]));
	assert_int_equal(t[0], 0x0040000080000707ull);

	memset(&log, 0, sizeof(log));
	log.stop_after = 2;
	assert_int_equal(pgt_for_each_table(&f->pgt, log_table, &log), 42);
	assert_int_equal(log.n, 2);
	fx_free(f);
}

/* ---- randomised differential test ---- */

/* VA of window page 0; the window straddles a level-1 (or level-0) table boundary. */
static uint64_t win_base;
#define WIN_PAGES 4096u           /* 16 MiB */
#define PA_BASE 0x100000000ull
#define PA_SPAN_PAGES 16384u

struct model {
	uint64_t n_mapped;
	uint64_t pa[WIN_PAGES]; /* 0 = unmapped */
	uint32_t attrs[WIN_PAGES];
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

static uint32_t rnd_attrs(void)
{
	return (uint32_t)rnd_below(3) | ((uint32_t)rnd_below(32) << 2);
}

static void verify_page(struct fx *f, const struct model *m, uint64_t i)
{
	uint64_t va = win_base + i * PAGE;
	paddr_t pa;
	uint32_t attrs;
	int ret;

	ret = pgt_walk(&f->pgt, va_init(va + 0x10), &pa, &attrs, NULL, NULL);
	if (m->pa[i] == 0) {
		assert_int_equal(ret, TS_ENOENT);
		return;
	}
	assert_int_equal(ret, 0);
	assert_int_equal(pa_addr(pa), m->pa[i] + 0x10);
	assert_int_equal(attrs, m->attrs[i]);
}

static void verify_window(struct fx *f, const struct model *m)
{
	uint64_t i;

	for (i = 0; i < WIN_PAGES; i++)
		verify_page(f, m, i);
	/* Just outside the window nothing is ever mapped. */
	expect_fault(f, win_base - PAGE);
	expect_fault(f, win_base + WIN_PAGES * PAGE);
}

/* After a successful map: a page is in a 2 MiB block iff its slot was fully mapped by this op
 * with an aligned, contiguous PA run. */
static void verify_block_choice(struct fx *f, const struct model *m, uint64_t first, uint64_t n)
{
	uint64_t i;

	for (i = first; i < first + n; i++) {
		uint64_t slot = i & ~511ull;
		bool block = slot >= first && slot + 512 <= first + n &&
			     (m->pa[slot] & (MIB2 - 1)) == 0;
		unsigned shift;
		uint64_t k;

		for (k = 1; block && k < 512; k++)
			block = m->pa[slot + k] == m->pa[slot] + k * PAGE;
		assert_int_equal(pgt_walk(&f->pgt, va_init(win_base + i * PAGE), NULL, NULL, NULL,
					  &shift),
				 0);
		assert_int_equal(shift, block ? 21 : 12);
	}
}

static uint64_t pick_pa(uint64_t va_page, bool congruent)
{
	uint64_t pa = PA_BASE + rnd_below(PA_SPAN_PAGES) * PAGE;

	if (congruent) /* same offset in its 2 MiB as the VA: blocks possible */
		pa = (pa & ~(MIB2 - 1)) + ((win_base + va_page * PAGE) & (MIB2 - 1));
	return pa;
}

/*
 * Aim an op at a run of pages that are all mapped (or all unmapped), so most
 * ops succeed and blocks get mapped and split; maps often start on a 2 MiB
 * boundary.  Leaves first/n alone if no such run exists.
 */
static void pick_run(const struct model *m, bool mapped, uint64_t *first, uint64_t *n)
{
	uint64_t p = rnd_below(WIN_PAGES), a, b, i;

	for (i = 0; i < WIN_PAGES && (m->pa[(p + i) % WIN_PAGES] != 0) != mapped; i++)
		;
	if (i == WIN_PAGES)
		return;
	p = (p + i) % WIN_PAGES;
	for (a = p; a > 0 && (m->pa[a - 1] != 0) == mapped; a--)
		;
	for (b = p + 1; b < WIN_PAGES && (m->pa[b] != 0) == mapped; b++)
		;
	*first = a + rnd_below(b - a);
	if (!mapped && rnd_below(2) && ((*first + 511) & ~511ull) < b)
		*first = (*first + 511) & ~511ull;
	if (mapped && rnd_below(3) == 0) {
		*first = a; /* the whole run: lets aligned free slots reappear */
		*n = b - a;
		return;
	}
	*n = rnd_below(2) ? b - *first : 1 + rnd_below(b - *first);
}

struct op_stats {
	unsigned ok, eexist, enoent, enomem;
};

enum op_kind { OP_MAP_RANGE, OP_MAP_PAGES, OP_UNMAP };

/*
 * One op on both the pgt and the model, then pgt_check() and a comparison of
 * the op's pages (plus neighbours and random pages).  For map_pages, list_mode
 * 0 is a contiguous run, 1 the same with one page moved away, 2 random pages.
 */
static void do_op(struct fx *f, struct model *m, enum op_kind kind, uint64_t first, uint64_t n,
		  bool congruent, unsigned list_mode, bool tight, struct op_stats *st)
{
	static paddr_t pages[WIN_PAGES];
	uint32_t attrs = rnd_attrs();
	uint32_t in_use_before = f->pool.in_use;
	uint64_t pa = pick_pa(first, congruent), i;
	int expect = 0, ret;

	for (i = first; i < first + n; i++) {
		if (kind != OP_UNMAP && m->pa[i])
			expect = TS_EEXIST;
		if (kind == OP_UNMAP && !m->pa[i])
			expect = TS_ENOENT;
	}
	if (kind != OP_MAP_PAGES)
		list_mode = 0; /* pages[] then just records the contiguous range for the model */
	for (i = 0; i < n; i++)
		pages[i] = list_mode == 2 ? pa_init(PA_BASE + rnd_below(PA_SPAN_PAGES) * PAGE)
					  : pa_init(pa + i * PAGE);
	if (list_mode == 1 && n > 2) {
		i = rnd_below(2) ? rnd_below(n) : n - 1;
		pages[i] = pa_init(pa_addr(pages[i]) + 64 * MIB2);
	}

	if (kind == OP_MAP_RANGE)
		ret = pgt_map_range(&f->pgt, va_init(win_base + first * PAGE), pa_init(pa), n,
				    attrs);
	else if (kind == OP_MAP_PAGES)
		ret = pgt_map_pages(&f->pgt, va_init(win_base + first * PAGE), pages, n, attrs);
	else
		ret = pgt_unmap(&f->pgt, va_init(win_base + first * PAGE), n);

	assert_int_equal(pgt_check(&f->pgt), 0);
	assert_int_equal(f->pool.in_use, f->pgt.tables_allocated - f->pgt.tables_freed);
	if (tight && expect == 0 && ret == TS_ENOMEM) {
		st->enomem++;
		assert_int_equal(f->pool.in_use, in_use_before);
		verify_window(f, m); /* nothing changed anywhere */
		return;
	}
	assert_int_equal(ret, expect);
	if (ret == TS_EEXIST)
		st->eexist++;
	else if (ret == TS_ENOENT)
		st->enoent++;
	else
		st->ok++;
	if (ret == 0) {
		m->n_mapped = kind != OP_UNMAP ? m->n_mapped + n : m->n_mapped - n;
		for (i = first; i < first + n; i++) {
			m->pa[i] = kind != OP_UNMAP ? pa_addr(pages[i - first]) : 0;
			m->attrs[i] = kind != OP_UNMAP ? attrs : 0;
		}
		if (kind != OP_UNMAP)
			verify_block_choice(f, m, first, n);
	} else {
		assert_int_equal(f->pool.in_use, in_use_before);
	}
	for (i = first > 0 ? first - 1 : 0; i < first + n + 1 && i < WIN_PAGES; i++)
		verify_page(f, m, i);
	for (i = 0; i < 8; i++)
		verify_page(f, m, rnd_below(WIN_PAGES));
}

static void random_ops(struct fx *f, struct model *m, unsigned n_ops, bool tight,
		       struct op_stats *st)
{
	unsigned op = 0;

	while (op < n_ops) {
		unsigned r = (unsigned)rnd_below(100);
		enum op_kind kind = r < 30 ? OP_MAP_RANGE : r < 50 ? OP_MAP_PAGES : OP_UNMAP;
		uint64_t first, n, i;

		if (r % 16 == 0) {
			/*
			 * Free one whole 2 MiB slot (an unmap op per mapped run in it), then
			 * map it with a PA run that can become a block, as a 2 MiB buffer would.
			 */
			uint64_t slot = rnd_below(WIN_PAGES / 512) * 512, end;

			for (i = slot; i < slot + 512 && op < n_ops; i = end) {
				bool mapped = m->pa[i] != 0;

				end = i + 1;
				while (end < slot + 512 && (m->pa[end] != 0) == mapped)
					end++;
				if (mapped) {
					do_op(f, m, OP_UNMAP, i, end - i, false, 0, tight, st);
					op++;
				}
			}
			n = 512 + (rnd_below(2) ? rnd_below(300) : 0);
			if (slot + n > WIN_PAGES)
				n = WIN_PAGES - slot;
			for (i = slot + 512; i < slot + n; i++)
				if (m->pa[i])
					n = i - slot;
			kind = kind == OP_MAP_PAGES ? OP_MAP_PAGES : OP_MAP_RANGE;
			do_op(f, m, kind, slot, n, true, (unsigned)rnd_below(2), tight, st);
			op++;
			continue;
		}

		r = (unsigned)rnd_below(10);
		n = r < 4 ? 1 + rnd_below(16) : r < 7 ? 1 + rnd_below(600)
				: r < 9 ? 512 + rnd_below(600) : 512;
		first = rnd_below(3) == 0 ? rnd_below(WIN_PAGES / 512) * 512 : rnd_below(WIN_PAGES);
		/* Unmap more often when the window fills up. */
		if (m->n_mapped > WIN_PAGES / 2 && kind != OP_UNMAP && rnd_below(2))
			kind = OP_UNMAP;
		if (rnd_below(3) != 0)
			pick_run(m, kind == OP_UNMAP, &first, &n);
		if (first + n > WIN_PAGES)
			n = WIN_PAGES - first;
		do_op(f, m, kind, first, n, rnd_below(2), (unsigned)rnd_below(3), tight, st);
		op++;
		if (op % 512 == 0)
			verify_window(f, m);
	}
	verify_window(f, m);
}

static void unmap_all(struct fx *f, struct model *m)
{
	uint64_t a = 0, b;

	while (a < WIN_PAGES) {
		if (!m->pa[a]) {
			a++;
			continue;
		}
		for (b = a; b < WIN_PAGES && m->pa[b]; b++)
			m->pa[b] = 0;
		m->n_mapped -= b - a;
		assert_int_equal(pgt_unmap(&f->pgt, va_init(win_base + a * PAGE), b - a), 0);
		assert_int_equal(pgt_check(&f->pgt), 0);
		a = b;
	}
	verify_window(f, m);
	assert_int_equal(m->n_mapped, 0);
	assert_int_equal(f->pool.in_use, 1);
}

/* 20,000 random map_pages/map_range/unmap ops agree with a naive page model (seed fixed). */
static void test_random_differential(void **state)
{
	struct fx *f = fx_new(64, 39);
	struct model *m = calloc(1, sizeof(*m));
	struct op_stats st = { 0 };

	(void)state;
	assert_non_null(m);
	rng_state = 0x7eeca5e5eed0001ull;
	win_base = GIB - 8 * MIB2;
	random_ops(f, m, 20000, false, &st);
	print_message("ok %u eexist %u enoent %u blocks %llu splits %llu\n", st.ok, st.eexist,
		      st.enoent, (unsigned long long)f->pgt.blocks_mapped,
		      (unsigned long long)f->pgt.blocks_split);
	/* The mix really exercised every path. */
	assert_true(st.ok > 5000 && st.eexist > 1000 && st.enoent > 1000);
	assert_true(f->pgt.blocks_mapped > 100 && f->pgt.blocks_split > 100);
	unmap_all(f, m);
	free(m);
	fx_free(f);
}

/* With a 5-table pool, random ops often hit TS_ENOMEM and then change nothing. */
static void test_random_tight_pool(void **state)
{
	struct fx *f = fx_new(5, 39);
	struct model *m = calloc(1, sizeof(*m));
	struct op_stats st = { 0 };

	(void)state;
	assert_non_null(m);
	rng_state = 0x5eed0000beefull;
	win_base = GIB - 8 * MIB2;
	random_ops(f, m, 3000, true, &st);
	print_message("ok %u enomem %u eexist %u enoent %u\n", st.ok, st.enomem, st.eexist,
		      st.enoent);
	assert_true(st.enomem > 100 && st.ok > 300);
	unmap_all(f, m);
	free(m);
	fx_free(f);
}

/* The same differential test with 48-bit VAs, the window straddling two level-0 entries. */
static void test_random_differential_va48(void **state)
{
	struct fx *f = fx_new(64, 48);
	struct model *m = calloc(1, sizeof(*m));
	struct op_stats st = { 0 };

	(void)state;
	assert_non_null(m);
	rng_state = 0x48b175eedull;
	win_base = 512 * GIB - 8 * MIB2;
	random_ops(f, m, 5000, false, &st);
	assert_true(st.ok > 2000 && f->pgt.blocks_mapped > 50 && f->pgt.blocks_split > 20);
	unmap_all(f, m);
	free(m);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_alloc_free_counters),
		cmocka_unit_test(test_regs_values),
		cmocka_unit_test(test_single_page_map_walk_unmap),
		cmocka_unit_test(test_attr_encodings),
		cmocka_unit_test(test_blocks_where_aligned),
		cmocka_unit_test(test_map_pages_block_detection),
		cmocka_unit_test(test_gib_block),
		cmocka_unit_test(test_split_on_partial_unmap),
		cmocka_unit_test(test_split_both_ends_and_exhaustion),
		cmocka_unit_test(test_exhaustion_mid_map_no_change),
		cmocka_unit_test(test_unmap_everything_returns_tables),
		cmocka_unit_test(test_va_bits),
		cmocka_unit_test(test_errors_leave_tree_unchanged),
		cmocka_unit_test(test_check_detects_corruption),
		cmocka_unit_test(test_for_each_table),
		cmocka_unit_test(test_random_differential),
		cmocka_unit_test(test_random_tight_pool),
		cmocka_unit_test(test_random_differential_va48),
	};

	return cmocka_run_group_tests_name("pgt", tests, NULL, NULL);
}
