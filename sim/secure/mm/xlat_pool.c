/*
 * Bounded translation-table pool: a LIFO free list threaded through the
 * per-table metadata (never through the tables, which must stay pure
 * descriptors), so alloc and free are O(1) and the most recently freed,
 * cache-warm table is reused first.
 */
#include <string.h>

#include "sim/common/ts_err.h"
#include "sim/secure/mm/xlat_pool.h"

/* A table descriptor carries output address bits [47:12]. */
#define XLAT_POOL_PA_LIMIT ((uint64_t)1 << 48)

int xlat_pool_init(struct xlat_pool *pool, paddr_t base_pa, void *host_base, uint32_t n_tables,
		   struct xlat_table_meta *meta_storage)
{
	uint64_t base = pa_addr(base_pa);
	uint64_t len_bytes = (uint64_t)n_tables * XLAT_TABLE_SIZE_BYTES;
	uint32_t i;

	if (!pool || !host_base || !meta_storage || n_tables == 0 ||
	    n_tables == XLAT_POOL_NO_TABLE)
		return TS_EINVAL;
	if (!pa_is_page_aligned(base_pa) || ((uintptr_t)host_base & 7u) != 0)
		return TS_EINVAL;
	if (range_overflows(base, len_bytes) || base + len_bytes > XLAT_POOL_PA_LIMIT)
		return TS_EINVAL;

	memset(pool, 0, sizeof(*pool));
	pool->base_pa = base_pa;
	pool->host_base = host_base;
	pool->n_tables = n_tables;
	pool->meta = meta_storage;
	/* Free list in address order so a fresh pool hands tables out from base_pa up. */
	for (i = 0; i < n_tables; i++) {
		memset(&meta_storage[i], 0, sizeof(meta_storage[i]));
		meta_storage[i].next_free = i + 1 < n_tables ? i + 1 : XLAT_POOL_NO_TABLE;
	}
	pool->free_head = 0;
	return 0;
}

bool xlat_pool_index(const struct xlat_pool *pool, paddr_t pa, uint32_t *index)
{
	uint64_t off;

	if (pa_addr(pa) < pa_addr(pool->base_pa) || !pa_is_page_aligned(pa))
		return false;
	off = (pa_addr(pa) - pa_addr(pool->base_pa)) / XLAT_TABLE_SIZE_BYTES;
	if (off >= pool->n_tables)
		return false;
	*index = (uint32_t)off;
	return true;
}

static uint64_t *table_at(const struct xlat_pool *pool, uint32_t index)
{
	return (uint64_t *)(void *)(pool->host_base + (size_t)index * XLAT_TABLE_SIZE_BYTES);
}

int xlat_pool_alloc(struct xlat_pool *pool, paddr_t *pa)
{
	uint32_t index = pool->free_head;
	struct xlat_table_meta *m;

	if (index == XLAT_POOL_NO_TABLE) {
		pool->alloc_failures++;
		return TS_ENOMEM;
	}
	m = &pool->meta[index];
	pool->free_head = m->next_free;
	m->next_free = XLAT_POOL_NO_TABLE;
	m->in_use = 1;
	m->owner = NULL;
	m->valid_entries = 0;
	m->level = 0;
	/* An all-zero table is all invalid descriptors: safe to link at once. */
	memset(table_at(pool, index), 0, XLAT_TABLE_SIZE_BYTES);

	pool->in_use++;
	if (pool->in_use > pool->peak_in_use)
		pool->peak_in_use = pool->in_use;
	pool->allocs++;
	*pa = xlat_pool_table_pa(pool, index);
	return 0;
}

int xlat_pool_free(struct xlat_pool *pool, paddr_t pa)
{
	uint32_t index;
	struct xlat_table_meta *m;

	if (!xlat_pool_index(pool, pa, &index))
		return TS_EINVAL;
	m = &pool->meta[index];
	if (!m->in_use)
		return TS_EINVAL; /* double free */
	m->in_use = 0;
	m->owner = NULL;
	m->valid_entries = 0;
	m->level = 0;
	m->next_free = pool->free_head;
	pool->free_head = index;
	pool->in_use--;
	pool->frees++;
	return 0;
}

uint64_t *xlat_pool_table_ptr(const struct xlat_pool *pool, paddr_t pa)
{
	uint32_t index;

	if (!xlat_pool_index(pool, pa, &index) || !pool->meta[index].in_use)
		return NULL;
	return table_at(pool, index);
}

struct xlat_table_meta *xlat_pool_meta(const struct xlat_pool *pool, paddr_t pa)
{
	uint32_t index;

	if (!xlat_pool_index(pool, pa, &index) || !pool->meta[index].in_use)
		return NULL;
	return &pool->meta[index];
}

int xlat_pool_check(const struct xlat_pool *pool)
{
	uint32_t i, index, n_free = 0, n_used = 0;

	if (!pool || !pool->meta || !pool->host_base || pool->n_tables == 0)
		return TS_EINVAL;
	if (pool->in_use > pool->n_tables || pool->peak_in_use < pool->in_use ||
	    pool->peak_in_use > pool->n_tables || pool->allocs - pool->frees != pool->in_use)
		return TS_EIO;

	/* Walk the free list; more steps than tables can only mean a cycle. */
	for (index = pool->free_head; index != XLAT_POOL_NO_TABLE;
	     index = pool->meta[index].next_free) {
		const struct xlat_table_meta *m;

		if (index >= pool->n_tables)
			return TS_EIO;
		if (++n_free > pool->n_tables)
			return TS_ELOOP;
		m = &pool->meta[index];
		if (m->in_use || m->owner || m->valid_entries != 0)
			return TS_EIO;
	}

	for (i = 0; i < pool->n_tables; i++) {
		const struct xlat_table_meta *m = &pool->meta[i];

		if (!m->in_use)
			continue;
		n_used++;
		if (m->next_free != XLAT_POOL_NO_TABLE || m->valid_entries > XLAT_TABLE_ENTRIES)
			return TS_EIO;
	}
	/* An acyclic list of free-marked tables, as long as the free count, is all of them. */
	if (n_used != pool->in_use || n_free != pool->n_tables - pool->in_use)
		return TS_EIO;
	return 0;
}
