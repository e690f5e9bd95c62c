/*
 * Generic stage-1 table walker: map, unmap, walk, visit, check.
 *
 * All descriptor knowledge sits behind arch_mm_*; this file only knows that
 * a descriptor is absent, a table, or a leaf, and how big a level's slot is.
 *
 * Every operation walks a VA range [begin, end) level by level; at each level
 * the range is cut at slot boundaries and each piece either covers its slot
 * fully (candidate for a block) or partly (needs the next level):
 *
 *        slot k-1        slot k          slot k+1
 *   |--------------|--------------|--------------|
 *            [=====|==============|====)            range
 *            partial      full    partial
 */
#include <string.h>

#include "sim/common/ts_err.h"
#include "sim/secure/mm/arch_mm.h"
#include "sim/secure/mm/pgt.h"

#define PA_LIMIT ((uint64_t)1 << ARCH_MM_PA_BITS)

/* Where the output address of each page of a map request comes from. */
struct pa_source {
	const paddr_t *pages; /* page list, or NULL for a contiguous range */
	uint64_t base_pa;     /* contiguous range: PA of the first page */
	uint64_t base_va;     /* VA of the first page */
};

/* Tables allocated by unmap's prepare phase, consumed by its commit phase. */
struct table_supply {
	paddr_t tables[PGT_MAX_SPLIT_TABLES];
	unsigned n;
	unsigned next;
};

static uint64_t *table_of(const struct pgt *pgt, paddr_t table_pa)
{
	return xlat_pool_table_ptr(pgt->pool, table_pa);
}

static struct xlat_table_meta *meta_of(const struct pgt *pgt, paddr_t table_pa)
{
	return xlat_pool_meta(pgt->pool, table_pa);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* End of the slot containing va at this level, clipped to end. */
static uint64_t piece_end(uint64_t va, uint64_t end, unsigned level)
{
	uint64_t size = arch_mm_level_size_bytes(level);

	return min_u64((va & ~(size - 1)) + size, end);
}

static bool piece_is_full(uint64_t va, uint64_t stop, unsigned level)
{
	uint64_t size = arch_mm_level_size_bytes(level);

	return (va & (size - 1)) == 0 && stop - va == size;
}

static void write_pte(struct pgt *pgt, uint64_t *slot, arch_pte_t pte)
{
	*slot = pte;
	pgt->pte_writes++;
}

/* ---- page sources ---- */

static uint64_t source_pa(const struct pa_source *src, uint64_t va)
{
	uint64_t off = va - src->base_va;

	if (src->pages)
		return pa_addr(src->pages[off >> ARCH_MM_GRANULE_SHIFT]);
	return src->base_pa + off;
}

/* Can [va, va + size) become one block: PA aligned to size and physically contiguous? */
static bool source_fits_block(const struct pa_source *src, uint64_t va, uint64_t size)
{
	uint64_t first_pa = source_pa(src, va);
	uint64_t first, i, n_pages = size >> ARCH_MM_GRANULE_SHIFT;

	if (first_pa & (size - 1))
		return false;
	if (!src->pages)
		return true;
	first = (va - src->base_va) >> ARCH_MM_GRANULE_SHIFT;
	for (i = 1; i < n_pages; i++) {
		if (pa_addr(src->pages[first + i]) != first_pa + (i << ARCH_MM_GRANULE_SHIFT))
			return false;
	}
	return true;
}

/* The one rule prepare and commit share, so they agree on where leaves go. */
static bool piece_takes_leaf(const struct pa_source *src, uint64_t va, uint64_t stop,
			     unsigned level)
{
	if (level == ARCH_MM_MAX_LEVEL)
		return true;
	return arch_mm_block_allowed(level) && piece_is_full(va, stop, level) &&
	       source_fits_block(src, va, stop - va);
}

/* ---- table bookkeeping ---- */

static int table_alloc(struct pgt *pgt, unsigned level, paddr_t *table_pa)
{
	struct xlat_table_meta *m;
	int ret = xlat_pool_alloc(pgt->pool, table_pa);

	if (ret)
		return ret;
	m = meta_of(pgt, *table_pa);
	m->owner = pgt;
	m->level = (uint8_t)level;
	pgt->tables_allocated++;
	return 0;
}

static void table_free(struct pgt *pgt, paddr_t table_pa)
{
	/* Only ever called on tables this pgt allocated: cannot fail. */
	(void)xlat_pool_free(pgt->pool, table_pa);
	pgt->tables_freed++;
}

/* Link an (empty or pre-filled) child table into slot idx of a parent table. */
static void table_link(struct pgt *pgt, paddr_t parent_pa, unsigned level, unsigned idx,
		       paddr_t child_pa, bool was_valid)
{
	write_pte(pgt, &table_of(pgt, parent_pa)[idx], arch_mm_table_pte(level, child_pa));
	if (!was_valid)
		meta_of(pgt, parent_pa)->valid_entries++;
}

/*
 * Free, bottom-up, every table in [begin, end) that has no valid entry left,
 * clearing its parent descriptor.  Used after unmap and to roll back a failed
 * map prepare: since no table but the root is ever left empty, the empty ones
 * found are exactly those the current operation emptied or created.
 */
static void release_empty_tables(struct pgt *pgt, paddr_t table_pa, unsigned level,
				 uint64_t begin, uint64_t end)
{
	uint64_t *table = table_of(pgt, table_pa);
	uint64_t va, stop;

	for (va = begin; va < end; va = stop) {
		unsigned idx = arch_mm_index(va, level);
		paddr_t child_pa;

		stop = piece_end(va, end, level);
		if (!arch_mm_pte_is_table(table[idx], level))
			continue;
		child_pa = arch_mm_table_pa(table[idx]);
		if (level + 1 < ARCH_MM_MAX_LEVEL)
			release_empty_tables(pgt, child_pa, level + 1, va, stop);
		if (meta_of(pgt, child_pa)->valid_entries != 0)
			continue;
		write_pte(pgt, &table[idx], arch_mm_absent_pte());
		meta_of(pgt, table_pa)->valid_entries--;
		table_free(pgt, child_pa);
	}
}

/* ---- read-only range scan ---- */

struct range_scan {
	bool any_mapped;
	bool any_unmapped;
};

static void scan_range(const struct pgt *pgt, paddr_t table_pa, unsigned level, uint64_t begin,
		       uint64_t end, struct range_scan *scan)
{
	const uint64_t *table = table_of(pgt, table_pa);
	uint64_t va, stop;

	for (va = begin; va < end; va = stop) {
		arch_pte_t pte = table[arch_mm_index(va, level)];

		stop = piece_end(va, end, level);
		if (arch_mm_pte_is_table(pte, level))
			scan_range(pgt, arch_mm_table_pa(pte), level + 1, va, stop, scan);
		else if (arch_mm_pte_is_leaf(pte, level))
			scan->any_mapped = true;
		else
			scan->any_unmapped = true;
		if (scan->any_mapped && scan->any_unmapped)
			return;
	}
}

/* ---- map ---- */

/*
 * Prepare: make sure a table exists wherever commit will descend, linking new
 * (empty, hence translation-neutral) tables as it goes.  The range is known to
 * be unmapped, so a slot that will not take a leaf is either a table already
 * or absent -- never a leaf.
 */
static int map_prepare(struct pgt *pgt, paddr_t table_pa, unsigned level, uint64_t begin,
		       uint64_t end, const struct pa_source *src)
{
	uint64_t va, stop;

	for (va = begin; va < end; va = stop) {
		unsigned idx = arch_mm_index(va, level);
		arch_pte_t pte = table_of(pgt, table_pa)[idx];
		paddr_t child_pa;
		int ret;

		stop = piece_end(va, end, level);
		if (piece_takes_leaf(src, va, stop, level))
			continue;
		if (arch_mm_pte_is_table(pte, level)) {
			child_pa = arch_mm_table_pa(pte);
		} else {
			ret = table_alloc(pgt, level + 1, &child_pa);
			if (ret)
				return ret;
			table_link(pgt, table_pa, level, idx, child_pa, false);
		}
		if (level + 1 < ARCH_MM_MAX_LEVEL) {
			ret = map_prepare(pgt, child_pa, level + 1, va, stop, src);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Commit: write the leaves.  Every table needed exists, so nothing can fail. */
static void map_commit(struct pgt *pgt, paddr_t table_pa, unsigned level, uint64_t begin,
		       uint64_t end, const struct pa_source *src, uint32_t attrs)
{
	uint64_t *table = table_of(pgt, table_pa);
	struct xlat_table_meta *m = meta_of(pgt, table_pa);
	uint64_t va, stop;

	for (va = begin; va < end; va = stop) {
		unsigned idx = arch_mm_index(va, level);

		stop = piece_end(va, end, level);
		if (piece_takes_leaf(src, va, stop, level)) {
			write_pte(pgt, &table[idx],
				  arch_mm_leaf_pte(level, pa_init(source_pa(src, va)), attrs));
			m->valid_entries++;
			if (level < ARCH_MM_MAX_LEVEL)
				pgt->blocks_mapped++;
		} else if (arch_mm_pte_is_table(table[idx], level)) {
			map_commit(pgt, arch_mm_table_pa(table[idx]), level + 1, va, stop, src,
				   attrs);
		}
		/* else: impossible after a successful prepare; pgt_check() would not see it. */
	}
}

static int check_va_range(const struct pgt *pgt, vaddr_t va, size_t n_pages, uint64_t *end)
{
	uint64_t limit = (uint64_t)1 << pgt->va_bits;
	uint64_t begin = va_addr(va);

	if (n_pages == 0 || !va_is_page_aligned(va))
		return TS_EINVAL;
	if (begin >= limit || (uint64_t)n_pages > (limit - begin) >> ARCH_MM_GRANULE_SHIFT)
		return TS_ERANGE;
	*end = begin + ((uint64_t)n_pages << ARCH_MM_GRANULE_SHIFT);
	return 0;
}

static int map_common(struct pgt *pgt, uint64_t begin, uint64_t end, const struct pa_source *src,
		      uint32_t attrs)
{
	struct range_scan scan = { false, false };
	int ret;

	scan_range(pgt, pgt->root_pa, pgt->start_level, begin, end, &scan);
	if (scan.any_mapped)
		return TS_EEXIST;

	ret = map_prepare(pgt, pgt->root_pa, pgt->start_level, begin, end, src);
	if (ret) {
		release_empty_tables(pgt, pgt->root_pa, pgt->start_level, begin, end);
		return ret;
	}
	map_commit(pgt, pgt->root_pa, pgt->start_level, begin, end, src, attrs);
	return 0;
}

int pgt_map_pages(struct pgt *pgt, vaddr_t va, const paddr_t *pages, size_t n_pages,
		  uint32_t attrs)
{
	struct pa_source src = { pages, 0, va_addr(va) };
	uint64_t end;
	size_t i;
	int ret;

	ret = check_va_range(pgt, va, n_pages, &end);
	if (ret)
		return ret;
	if (!pages || !arch_mm_attrs_valid(attrs))
		return TS_EINVAL;
	for (i = 0; i < n_pages; i++) {
		if (!pa_is_page_aligned(pages[i]))
			return TS_EINVAL;
		if (pa_addr(pages[i]) >= PA_LIMIT)
			return TS_ERANGE;
	}
	return map_common(pgt, va_addr(va), end, &src, attrs);
}

int pgt_map_range(struct pgt *pgt, vaddr_t va, paddr_t pa, size_t n_pages, uint32_t attrs)
{
	struct pa_source src = { NULL, pa_addr(pa), va_addr(va) };
	uint64_t end;
	int ret;

	ret = check_va_range(pgt, va, n_pages, &end);
	if (ret)
		return ret;
	if (!pa_is_page_aligned(pa) || !arch_mm_attrs_valid(attrs))
		return TS_EINVAL;
	if (pa_addr(pa) >= PA_LIMIT ||
	    (uint64_t)n_pages > (PA_LIMIT - pa_addr(pa)) >> ARCH_MM_GRANULE_SHIFT)
		return TS_ERANGE;
	return map_common(pgt, va_addr(va), end, &src, attrs);
}

/* ---- unmap ---- */

/*
 * Tables needed to split a block at `level` of which only [begin, end) is
 * removed: one for the block, plus one for each next-level block (at most
 * the first and the last) that is itself only partly removed.
 */
static unsigned split_tables_needed(unsigned level, uint64_t begin, uint64_t end)
{
	unsigned n = 1;
	unsigned sub_level = level + 1;
	uint64_t first_stop, last_begin;

	if (sub_level >= ARCH_MM_MAX_LEVEL)
		return n; /* splits into pages, which are never split */
	first_stop = piece_end(begin, end, sub_level);
	if (!piece_is_full(begin, first_stop, sub_level))
		n += split_tables_needed(sub_level, begin, first_stop);
	last_begin = (end - 1) & ~(arch_mm_level_size_bytes(sub_level) - 1);
	if (last_begin > begin && !piece_is_full(last_begin, end, sub_level))
		n += split_tables_needed(sub_level, last_begin, end);
	return n;
}

static unsigned unmap_split_count(const struct pgt *pgt, paddr_t table_pa, unsigned level,
				  uint64_t begin, uint64_t end)
{
	const uint64_t *table = table_of(pgt, table_pa);
	uint64_t va, stop;
	unsigned n = 0;

	for (va = begin; va < end; va = stop) {
		arch_pte_t pte = table[arch_mm_index(va, level)];

		stop = piece_end(va, end, level);
		if (arch_mm_pte_is_table(pte, level))
			n += unmap_split_count(pgt, arch_mm_table_pa(pte), level + 1, va, stop);
		else if (arch_mm_pte_is_block(pte, level) && !piece_is_full(va, stop, level))
			n += split_tables_needed(level, va, stop);
	}
	return n;
}

/*
 * Replace the block in slot idx by a pre-allocated next-level table holding
 * the same translation as 512 smaller leaves.  (Real hardware needs
 * break-before-make for this; the simulated TLB is maintained by the caller.)
 */
static void split_block(struct pgt *pgt, paddr_t table_pa, unsigned level, unsigned idx,
			struct table_supply *supply)
{
	arch_pte_t block = table_of(pgt, table_pa)[idx];
	uint64_t block_pa = pa_addr(arch_mm_leaf_pa(block, level));
	uint64_t sub_size = arch_mm_level_size_bytes(level + 1);
	uint32_t attrs = arch_mm_leaf_attrs(block);
	struct xlat_table_meta *m;
	paddr_t child_pa;
	uint64_t *child;
	unsigned i;

	if (supply->next == supply->n)
		return; /* cannot happen (prepare counted); keep memory safe regardless */
	child_pa = supply->tables[supply->next++];
	child = table_of(pgt, child_pa);
	m = meta_of(pgt, child_pa);
	m->level = (uint8_t)(level + 1);
	for (i = 0; i < ARCH_MM_ENTRIES_PER_TABLE; i++)
		write_pte(pgt, &child[i],
			  arch_mm_leaf_pte(level + 1, pa_init(block_pa + i * sub_size), attrs));
	m->valid_entries = ARCH_MM_ENTRIES_PER_TABLE;
	table_link(pgt, table_pa, level, idx, child_pa, true);
	pgt->blocks_split++;
}

static void unmap_commit(struct pgt *pgt, paddr_t table_pa, unsigned level, uint64_t begin,
			 uint64_t end, struct table_supply *supply)
{
	uint64_t *table = table_of(pgt, table_pa);
	uint64_t va, stop;

	for (va = begin; va < end; va = stop) {
		unsigned idx = arch_mm_index(va, level);

		stop = piece_end(va, end, level);
		if (arch_mm_pte_is_leaf(table[idx], level)) {
			if (piece_is_full(va, stop, level)) {
				write_pte(pgt, &table[idx], arch_mm_absent_pte());
				meta_of(pgt, table_pa)->valid_entries--;
				continue;
			}
			split_block(pgt, table_pa, level, idx, supply);
		}
		if (arch_mm_pte_is_table(table[idx], level))
			unmap_commit(pgt, arch_mm_table_pa(table[idx]), level + 1, va, stop,
				     supply);
	}
}

int pgt_unmap(struct pgt *pgt, vaddr_t va, size_t n_pages)
{
	struct range_scan scan = { false, false };
	struct table_supply supply = { .n = 0, .next = 0 };
	uint64_t begin = va_addr(va), end;
	unsigned need, i;
	int ret;

	ret = check_va_range(pgt, va, n_pages, &end);
	if (ret)
		return ret;
	scan_range(pgt, pgt->root_pa, pgt->start_level, begin, end, &scan);
	if (scan.any_unmapped)
		return TS_ENOENT;

	/* Prepare: every table the splits need, or nothing. */
	need = unmap_split_count(pgt, pgt->root_pa, pgt->start_level, begin, end);
	if (need > PGT_MAX_SPLIT_TABLES)
		return TS_EIO; /* cannot happen: only the two range ends cut blocks */
	for (i = 0; i < need; i++) {
		ret = table_alloc(pgt, 0, &supply.tables[supply.n]);
		if (ret) {
			while (supply.n > 0)
				table_free(pgt, supply.tables[--supply.n]);
			return ret;
		}
		supply.n++;
	}

	/* Commit. */
	unmap_commit(pgt, pgt->root_pa, pgt->start_level, begin, end, &supply);
	while (supply.next < supply.n) /* none left over unless the count was wrong */
		table_free(pgt, supply.tables[supply.next++]);
	release_empty_tables(pgt, pgt->root_pa, pgt->start_level, begin, end);
	return 0;
}

/* ---- lifetime ---- */

int pgt_init(struct pgt *pgt, struct xlat_pool *pool, unsigned va_bits)
{
	uint64_t pool_end;
	int ret;

	if (!pgt || !pool || !arch_mm_va_bits_valid(va_bits))
		return TS_EINVAL;
	pool_end = pa_addr(pool->base_pa) + (uint64_t)pool->n_tables * XLAT_TABLE_SIZE_BYTES;
	if (pool_end > PA_LIMIT)
		return TS_ERANGE; /* the MMU could not reach tables above the IPS limit */

	memset(pgt, 0, sizeof(*pgt));
	pgt->pool = pool;
	pgt->va_bits = va_bits;
	pgt->start_level = arch_mm_start_level(va_bits);
	pgt->root_entries = arch_mm_root_entries(va_bits);
	ret = table_alloc(pgt, pgt->start_level, &pgt->root_pa);
	if (ret)
		pgt->pool = NULL;
	return ret;
}

static void free_subtree(struct pgt *pgt, paddr_t table_pa, unsigned level)
{
	const uint64_t *table = table_of(pgt, table_pa);
	unsigned i;

	if (level < ARCH_MM_MAX_LEVEL) {
		for (i = 0; i < ARCH_MM_ENTRIES_PER_TABLE; i++) {
			if (arch_mm_pte_is_table(table[i], level))
				free_subtree(pgt, arch_mm_table_pa(table[i]), level + 1);
		}
	}
	table_free(pgt, table_pa);
}

void pgt_destroy(struct pgt *pgt)
{
	if (!pgt || !pgt->pool)
		return;
	free_subtree(pgt, pgt->root_pa, pgt->start_level);
	pgt->pool = NULL;
}

/* ---- queries ---- */

int pgt_walk(const struct pgt *pgt, vaddr_t va, paddr_t *pa, uint32_t *attrs,
	     unsigned *levels_walked, unsigned *leaf_shift)
{
	uint64_t v = va_addr(va);
	paddr_t table_pa = pgt->root_pa;
	unsigned level, walked = 0;
	int ret = TS_ENOENT;

	if ((v >> pgt->va_bits) == 0) {
		for (level = pgt->start_level; level <= ARCH_MM_MAX_LEVEL; level++) {
			const uint64_t *table = table_of(pgt, table_pa);
			arch_pte_t pte;

			if (!table) {
				ret = TS_EFAULT; /* corrupt tree: pgt_check() says more */
				break;
			}
			pte = table[arch_mm_index(v, level)];
			walked++;
			if (arch_mm_pte_is_leaf(pte, level)) {
				unsigned shift = arch_mm_level_shift(level);
				uint64_t off = v & (((uint64_t)1 << shift) - 1);

				if (pa)
					*pa = pa_add(arch_mm_leaf_pa(pte, level), off);
				if (attrs)
					*attrs = arch_mm_leaf_attrs(pte);
				if (leaf_shift)
					*leaf_shift = shift;
				ret = 0;
				break;
			}
			if (!arch_mm_pte_is_table(pte, level))
				break; /* invalid or reserved encoding: translation fault */
			table_pa = arch_mm_table_pa(pte);
		}
	}
	if (levels_walked)
		*levels_walked = walked;
	return ret;
}

void pgt_regs(const struct pgt *pgt, uint64_t *ttbr0, uint64_t *tcr, uint64_t *mair)
{
	if (ttbr0)
		*ttbr0 = arch_mm_ttbr0(pgt->root_pa);
	if (tcr)
		*tcr = arch_mm_tcr(pgt->va_bits);
	if (mair)
		*mair = arch_mm_mair();
}

static int visit_tables(const struct pgt *pgt, paddr_t table_pa, unsigned level,
			pgt_table_visitor cb, void *ctx)
{
	const uint64_t *table = table_of(pgt, table_pa);
	unsigned i;
	int ret;

	if (!table)
		return TS_EFAULT;
	ret = cb(ctx, table_pa, table, level);
	if (ret || level == ARCH_MM_MAX_LEVEL)
		return ret;
	for (i = 0; i < ARCH_MM_ENTRIES_PER_TABLE; i++) {
		if (!arch_mm_pte_is_table(table[i], level))
			continue;
		ret = visit_tables(pgt, arch_mm_table_pa(table[i]), level + 1, cb, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

int pgt_for_each_table(const struct pgt *pgt, pgt_table_visitor cb, void *ctx)
{
	if (!pgt || !pgt->pool || !cb)
		return TS_EINVAL;
	return visit_tables(pgt, pgt->root_pa, pgt->start_level, cb, ctx);
}

/* ---- invariant check ---- */

/* An in-use table of our pool, owned by pgt, used at `level`, not yet reached. */
static int check_table_ref(const struct pgt *pgt, paddr_t table_pa, unsigned level)
{
	struct xlat_table_meta *m = meta_of(pgt, table_pa);

	if (!m || m->owner != pgt || m->level != level)
		return TS_EFAULT;
	if (m->check_mark == pgt->pool->check_epoch)
		return TS_ELOOP;
	m->check_mark = pgt->pool->check_epoch;
	return 0;
}

static int check_table(const struct pgt *pgt, paddr_t table_pa, unsigned level)
{
	const uint64_t *table = table_of(pgt, table_pa);
	unsigned i, n_valid = 0;
	unsigned n_entries = level == pgt->start_level ? pgt->root_entries
						       : ARCH_MM_ENTRIES_PER_TABLE;
	int ret;

	for (i = 0; i < ARCH_MM_ENTRIES_PER_TABLE; i++) {
		arch_pte_t pte = table[i];

		if (!arch_mm_pte_is_well_formed(pte, level))
			return TS_EIO;
		if (!arch_mm_pte_is_valid(pte))
			continue;
		if (i >= n_entries)
			return TS_EIO; /* beyond the VA size: the MMU never reads it */
		n_valid++;
		if (!arch_mm_pte_is_table(pte, level))
			continue;
		ret = check_table_ref(pgt, arch_mm_table_pa(pte), level + 1);
		if (ret)
			return ret;
		ret = check_table(pgt, arch_mm_table_pa(pte), level + 1);
		if (ret)
			return ret;
	}
	if (n_valid != meta_of(pgt, table_pa)->valid_entries)
		return TS_ERANGE;
	if (n_valid == 0 && level != pgt->start_level)
		return TS_ERANGE; /* empty tables must have been freed */
	return 0;
}

int pgt_check(const struct pgt *pgt)
{
	struct xlat_pool *pool;
	uint32_t i;
	int ret;

	if (!pgt || !pgt->pool || !arch_mm_va_bits_valid(pgt->va_bits) ||
	    pgt->start_level != arch_mm_start_level(pgt->va_bits) ||
	    pgt->root_entries != arch_mm_root_entries(pgt->va_bits))
		return TS_EINVAL;
	pool = pgt->pool;
	ret = xlat_pool_check(pool);
	if (ret)
		return ret;

	/* A fresh epoch makes every old mark stale; on wrap, clear them for real. */
	if (++pool->check_epoch == 0) {
		for (i = 0; i < pool->n_tables; i++)
			pool->meta[i].check_mark = 0;
		pool->check_epoch = 1;
	}
	ret = check_table_ref(pgt, pgt->root_pa, pgt->start_level);
	if (ret)
		return ret;
	ret = check_table(pgt, pgt->root_pa, pgt->start_level);
	if (ret)
		return ret;

	for (i = 0; i < pool->n_tables; i++) {
		const struct xlat_table_meta *m = &pool->meta[i];

		if (m->in_use && m->owner == pgt && m->check_mark != pool->check_epoch)
			return TS_EBUSY; /* leaked: owned but unreachable */
	}
	return 0;
}
