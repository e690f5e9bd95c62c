/*
 * "rpc", the secure half (docs/strategies.md).
 *
 * Client memrefs, args and RPC args: exactly as "dynamic" (map on first
 * use, unmap after the last), by delegating to sw_strategy_dynamic_ops.
 *
 * Buffers the secure world needs for itself (buffer_get/buffer_put) come
 * from a pool per client instead of one SHM_ALLOC per request:
 *
 * - The pool is a list of chunks, each one normal-world buffer obtained by
 *   RPC SHM_ALLOC of pool_chunk_pages (or a multiple of it, for a request
 *   larger than a chunk), mapped once into the secure MMU and kept.
 * - A request takes the first run of free pages that fits in one chunk of
 *   its SHM type (first fit, page granular): a hit, no RPC.  When no chunk
 *   has room, the pool grows by a chunk (a miss: one SHM_ALLOC round trip).
 *   A slice travels to the normal world as RMEM {chunk cookie, offset}.
 * - buffer_put returns the pages.  When the free pages then exceed
 *   pool_idle_pages + pool_chunk_pages (hysteresis: a pool that just grew
 *   is not shrunk at once), wholly free chunks go back by SHM_FREE as long
 *   as pool_idle_pages stay free.  That takes an RPC, so it is done right
 *   there, on the call that gave the buffer back; a dead call cannot RPC,
 *   and its client's pool then waits for the next put of a live call or
 *   for vm_destroyed.
 * - vm_destroyed: the guest is gone, so no RPC: the chunks are unmapped
 *   and forgotten (the normal world's memory went with the guest).
 *   fini does the same for whatever is left.
 *
 * Everything runs under the big secure-world lock (strategy_sw.h).
 */
#include <stdlib.h>
#include <string.h>

#include "strategies/rpc/sw.h"

#include "sim/common/ts_err.h"
#include "sim/secure/strategy_sw.h"
#include "sim/secure/sw_internal.h"

/* One normal-world buffer of the pool, mapped for as long as the pool keeps it. */
struct pool_chunk {
	struct pool_chunk *next;
	struct sw_rpc_shm *nw;   /* the SHM_ALLOC answer: cookie, type, mapped mobj */
	uint64_t n_pages;
	uint64_t used_pages;
	uint8_t *page_used;      /* one flag per page: taken by a slice */
	uint8_t *check_scratch;  /* n_pages counters for rpc_check */
};

/* A buffer handed out: a run of pages of one chunk. */
struct pool_slice {
	struct sw_rpc_shm shm;   /* what the call sees; first, so buffer_put finds the slice */
	struct pool_chunk *chunk;
	uint64_t first_page, n_pages;
	struct pool_slice *next, *prev; /* the pool's live slices */
};

struct vm_pool {
	struct pool_chunk *chunks; /* in order of creation: first fit scans them so */
	uint64_t n_chunks;
	uint64_t total_pages;
	uint64_t used_pages;
	struct pool_slice *slices;
	uint64_t n_slices;
};

struct rpc_state {
	struct vm_pool *pools;   /* one per client id */
	uint32_t n_pools;
};

static struct vm_pool *pool_of(struct sw_strategy *s, uint16_t client)
{
	struct rpc_state *st = s->priv;

	return client < st->n_pools ? &st->pools[client] : NULL;
}

static int rpc_init(struct sw_strategy *s, struct secure_world *sw,
		    const struct strategy_params *p)
{
	struct rpc_state *st;

	if (p->pool_chunk_pages == 0 || p->pool_chunk_pages > sw->cfg.max_pages_per_buffer)
		return TS_EINVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return TS_ENOMEM;
	st->pools = calloc(sw->n_clients, sizeof(*st->pools));
	if (!st->pools) {
		free(st);
		return TS_ENOMEM;
	}
	st->n_pools = sw->n_clients;
	*s = (struct sw_strategy){ .sw = sw, .params = *p, .priv = st };
	return 0;
}

/* Unmap a chunk (if mapped) and forget it; the normal world is told only by the caller. */
static void chunk_free_local(struct secure_world *sw, struct pool_chunk *ch)
{
	if (ch->nw) {
		sw_mobj_release(sw, &ch->nw->mobj);
		free(ch->nw);
	}
	free(ch->page_used);
	free(ch->check_scratch);
	free(ch);
}

/* Drop a whole pool without RPC (the guest is gone, or the secure world is). */
static void pool_drop(struct secure_world *sw, struct vm_pool *pool, struct sw_stats *stats)
{
	while (pool->slices) {
		struct pool_slice *sl = pool->slices;

		pool->slices = sl->next;
		free(sl);
	}
	while (pool->chunks) {
		struct pool_chunk *ch = pool->chunks;

		pool->chunks = ch->next;
		chunk_free_local(sw, ch);
		if (stats)
			stats->pool_chunks_freed++;
	}
	memset(pool, 0, sizeof(*pool));
}

static void rpc_fini(struct sw_strategy *s)
{
	struct rpc_state *st = s->priv;
	uint32_t i;

	if (!st)
		return;
	for (i = 0; i < st->n_pools; i++)
		pool_drop(s->sw, &st->pools[i], &sw_client_of(s->sw, (uint16_t)i)->stats);
	free(st->pools);
	free(st);
	s->priv = NULL;
}

/* Client memrefs, args, RPC args: exactly as dynamic. */
static int rpc_shm_registered(struct sw_strategy *s, uint16_t client, struct sw_shm *shm)
{
	return sw_strategy_dynamic_ops.shm_registered(s, client, shm);
}

static int rpc_use_begin(struct sw_strategy *s, uint16_t client, struct sw_mobj *m)
{
	return sw_strategy_dynamic_ops.use_begin(s, client, m);
}

static void rpc_use_end(struct sw_strategy *s, uint16_t client, struct sw_mobj *m)
{
	sw_strategy_dynamic_ops.use_end(s, client, m);
}

static void rpc_shm_unregistered(struct sw_strategy *s, uint16_t client, struct sw_shm *shm)
{
	sw_strategy_dynamic_ops.shm_unregistered(s, client, shm);
}

/* First run of n free pages in ch, or n_pages when there is none. */
static uint64_t chunk_first_fit(const struct pool_chunk *ch, uint64_t n)
{
	uint64_t i, run = 0;

	if (ch->n_pages - ch->used_pages < n)
		return ch->n_pages;
	for (i = 0; i < ch->n_pages; i++) {
		run = ch->page_used[i] ? 0 : run + 1;
		if (run == n)
			return i + 1 - n;
	}
	return ch->n_pages;
}

/* Grow the pool by a chunk of at least need_pages (one SHM_ALLOC, then map). */
static int pool_grow(struct sw_strategy *s, struct sw_call *call, struct vm_pool *pool,
		     uint32_t shm_type, uint64_t need_pages, struct pool_chunk **out)
{
	uint64_t chunk = s->params.pool_chunk_pages;
	uint64_t n_pages = (need_pages + chunk - 1) / chunk * chunk;
	struct pool_chunk *ch, **tail;
	int rc;

	/* Rounding up must not push a request the TEE could take over the buffer limit. */
	if (n_pages > s->sw->cfg.max_pages_per_buffer)
		n_pages = need_pages;
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return TS_ENOMEM;
	ch->n_pages = n_pages;
	ch->page_used = calloc(n_pages, 1);
	ch->check_scratch = calloc(n_pages, 1);
	if (!ch->page_used || !ch->check_scratch) {
		chunk_free_local(s->sw, ch);
		return TS_ENOMEM;
	}
	rc = sw_rpc_nw_buffer_alloc(call, shm_type, n_pages * SMALL_PAGE_SIZE, &ch->nw);
	if (rc) {
		chunk_free_local(s->sw, ch);
		return rc;
	}
	if (sw_mobj_needs_map(&ch->nw->mobj)) {
		rc = sw_mobj_map(s->sw, &ch->nw->mobj);
	} else {
		/* Static (carveout) memory is reachable but not ours to keep: refuse it. */
		rc = TS_EACCES;
	}
	if (rc) {
		sw_rpc_nw_buffer_free(call, ch->nw); /* SHM_FREE */
		ch->nw = NULL;
		chunk_free_local(s->sw, ch);
		return rc;
	}
	ch->nw->va = ch->nw->mobj.va;
	for (tail = &pool->chunks; *tail; tail = &(*tail)->next)
		;
	*tail = ch;
	pool->n_chunks++;
	pool->total_pages += n_pages;
	*out = ch;
	return 0;
}

static int rpc_buffer_get(struct sw_strategy *s, struct sw_call *call, uint32_t shm_type,
			  uint64_t size_bytes, struct sw_rpc_shm **out)
{
	struct vm_pool *pool = pool_of(s, call->client);
	struct sw_stats *stats = &sw_client_of(s->sw, call->client)->stats;
	uint64_t need = (size_bytes + SMALL_PAGE_SIZE - 1) / SMALL_PAGE_SIZE, first = 0, i;
	struct pool_chunk *ch;
	struct pool_slice *sl;
	int rc;

	*out = NULL;
	if (!pool || size_bytes == 0)
		return TS_EINVAL;
	if (call->dead)
		return TS_EIO;
	sl = calloc(1, sizeof(*sl));
	if (!sl)
		return TS_ENOMEM;
	for (ch = pool->chunks; ch; ch = ch->next) {
		if (ch->nw->shm_type != shm_type)
			continue;
		first = chunk_first_fit(ch, need);
		if (first < ch->n_pages)
			break;
	}
	if (ch) {
		stats->pool_hits++;
	} else {
		rc = pool_grow(s, call, pool, shm_type, need, &ch);
		if (rc) {
			free(sl);
			return rc;
		}
		stats->pool_misses++;
		stats->pool_chunks_allocated++;
		if (pool->total_pages > stats->pool_pages_peak)
			stats->pool_pages_peak = pool->total_pages;
		first = 0;
	}
	for (i = first; i < first + need; i++)
		ch->page_used[i] = 1;
	ch->used_pages += need;
	pool->used_pages += need;
	sl->chunk = ch;
	sl->first_page = first;
	sl->n_pages = need;
	sl->shm.cookie = ch->nw->cookie;
	sl->shm.nw_offs_bytes = first * SMALL_PAGE_SIZE;
	sl->shm.va = va_add(ch->nw->va, first * SMALL_PAGE_SIZE);
	sl->shm.size_bytes = size_bytes;
	sl->shm.shm_type = shm_type;
	/* The slice's mobj stays empty: the chunk holds the mapping, not the slice. */
	sl->next = pool->slices;
	if (pool->slices)
		pool->slices->prev = sl;
	pool->slices = sl;
	pool->n_slices++;
	*out = &sl->shm;
	return 0;
}

/*
 * Give back wholly free chunks while more than pool_idle_pages would stay
 * free, once the free pages exceed idle + a chunk (hysteresis).  Needs a
 * live call: SHM_FREE is an RPC.  The chunks leave the pool's books first,
 * all at once: each SHM_FREE suspends this call and gives up the big lock,
 * and other calls of the client may use (or shrink) the pool meanwhile.
 */
static void pool_shrink(struct sw_strategy *s, struct sw_call *call, struct vm_pool *pool)
{
	struct sw_stats *stats = &sw_client_of(s->sw, call->client)->stats;
	uint64_t idle = s->params.pool_idle_pages;
	struct pool_chunk **pp = &pool->chunks, *gone = NULL;

	if (call->dead || pool->total_pages - pool->used_pages <= idle + s->params.pool_chunk_pages)
		return;
	while (*pp) {
		struct pool_chunk *ch = *pp;

		if (ch->used_pages || pool->total_pages - pool->used_pages - ch->n_pages < idle) {
			pp = &ch->next;
			continue;
		}
		*pp = ch->next;
		pool->n_chunks--;
		pool->total_pages -= ch->n_pages;
		/* Unmapped now, so the books (ours and the client's mappings) agree at once. */
		sw_mobj_unmap(s->sw, &ch->nw->mobj);
		ch->next = gone;
		gone = ch;
		stats->pool_chunks_freed++;
	}
	while (gone) {
		struct pool_chunk *ch = gone;

		gone = ch->next;
		sw_rpc_nw_buffer_free(call, ch->nw); /* SHM_FREE (may yield) */
		ch->nw = NULL;
		chunk_free_local(s->sw, ch);
	}
}

static void rpc_buffer_put(struct sw_strategy *s, struct sw_call *call, struct sw_rpc_shm *b)
{
	struct pool_slice *sl = (struct pool_slice *)b; /* shm is its first member */
	struct vm_pool *pool = pool_of(s, call->client);
	struct pool_chunk *ch = sl->chunk;
	uint64_t i;

	for (i = sl->first_page; i < sl->first_page + sl->n_pages; i++)
		ch->page_used[i] = 0;
	ch->used_pages -= sl->n_pages;
	pool->used_pages -= sl->n_pages;
	if (sl->prev)
		sl->prev->next = sl->next;
	else
		pool->slices = sl->next;
	if (sl->next)
		sl->next->prev = sl->prev;
	pool->n_slices--;
	free(sl);
	pool_shrink(s, call, pool);
}

/* Its calls are unwound (their slices came back); the chunks go without a word. */
static void rpc_vm_destroyed(struct sw_strategy *s, uint16_t client)
{
	struct vm_pool *pool = pool_of(s, client);

	if (pool)
		pool_drop(s->sw, pool, &sw_client_of(s->sw, client)->stats);
}

/* The driver leaves: chunks go back one per call, each unmapped first. */
static int rpc_cache_disable(struct sw_strategy *s, uint16_t client, uint64_t *cookie)
{
	struct vm_pool *pool = pool_of(s, client);
	struct pool_chunk **pp;

	if (!pool || !pool->chunks)
		return TS_ENOENT;
	for (pp = &pool->chunks; *pp && (*pp)->used_pages; pp = &(*pp)->next)
		;
	if (!*pp)
		return TS_EBUSY;
	{
		struct pool_chunk *ch = *pp;

		*pp = ch->next;
		pool->n_chunks--;
		pool->total_pages -= ch->n_pages;
		*cookie = ch->nw->cookie;
		chunk_free_local(s->sw, ch);
		sw_client_of(s->sw, client)->stats.pool_chunks_freed++;
	}
	return 0;
}

static uint64_t rpc_mappings_held(struct sw_strategy *s, uint16_t client)
{
	struct vm_pool *pool = pool_of(s, client);

	return pool ? pool->n_chunks : 0;
}

/* A chunk: mapped by one core_mm mapping of its client, its page flags add up. */
static int check_chunk(struct secure_world *sw, uint16_t client, const struct pool_chunk *ch)
{
	const struct sw_mobj *m;
	const struct core_mapping *cm;
	uint64_t i, used = 0;

	if (!ch->nw || !ch->n_pages)
		return TS_EINVAL;
	m = &ch->nw->mobj;
	if (!sw_mobj_needs_map(m) || !sw_mobj_is_mapped(m) || m->client != client ||
	    m->size_bytes < ch->n_pages * SMALL_PAGE_SIZE || !va_eq(ch->nw->va, m->va))
		return TS_EINVAL;
	cm = core_mm_find_mapping(&sw->mm, m->map_va);
	if (!cm || cm->vm != client || cm->n_pages != m->n_pages ||
	    !va_eq(core_mapping_va(cm), m->map_va))
		return TS_EFAULT;
	for (i = 0; i < ch->n_pages; i++)
		used += ch->page_used[i] != 0;
	return used == ch->used_pages ? 0 : TS_EINVAL;
}

/* Every live slice is on the list of a call of this client (none is leaked). */
static bool slice_held_by_a_call(struct secure_world *sw, uint16_t client,
				 const struct sw_rpc_shm *b)
{
	uint32_t i;

	for (i = 0; i < sw->cfg.num_threads; i++) {
		const struct sw_call *call = &sw->threads[i].call;
		const struct sw_rpc_shm *x;

		if (sw->threads[i].state == SW_THREAD_FREE || sw->threads[i].client != client)
			continue;
		for (x = call->rpc_shms; x; x = x->next)
			if (x == b)
				return true;
	}
	return false;
}

static int check_pool(struct secure_world *sw, uint16_t client, struct vm_pool *pool)
{
	const struct sw_client *cl = &sw->clients[client];
	struct pool_chunk *ch;
	const struct pool_slice *sl;
	uint64_t n = 0, total = 0, used = 0, i;
	int rc;

	if (pool->n_chunks && !(cl->alive || cl->reclaiming))
		return TS_EINVAL; /* a dead client's pool was not dropped */
	for (ch = pool->chunks; ch; ch = ch->next) {
		if (++n > pool->n_chunks)
			return TS_EINVAL;
		if ((rc = check_chunk(sw, client, ch)))
			return rc;
		memset(ch->check_scratch, 0, ch->n_pages);
		total += ch->n_pages;
		used += ch->used_pages;
	}
	if (n != pool->n_chunks || total != pool->total_pages || used != pool->used_pages ||
	    used > total || pool->n_chunks > cl->n_mappings)
		return TS_EINVAL;
	n = 0;
	for (sl = pool->slices; sl; sl = sl->next) {
		const struct pool_chunk *c;

		if (++n > pool->n_slices || (sl->next && sl->next->prev != sl) ||
		    (!sl->prev && sl != pool->slices))
			return TS_EINVAL;
		for (c = pool->chunks; c && c != sl->chunk; c = c->next)
			;
		if (!c || !sl->n_pages || sl->first_page > c->n_pages ||
		    sl->n_pages > c->n_pages - sl->first_page ||
		    sl->shm.cookie != c->nw->cookie || sl->shm.shm_type != c->nw->shm_type ||
		    sl->shm.nw_offs_bytes != sl->first_page * SMALL_PAGE_SIZE ||
		    !va_eq(sl->shm.va, va_add(c->nw->va, sl->shm.nw_offs_bytes)) ||
		    sl->shm.size_bytes > sl->n_pages * SMALL_PAGE_SIZE ||
		    sl->shm.size_bytes <= (sl->n_pages - 1) * SMALL_PAGE_SIZE ||
		    sw_mobj_needs_map(&sl->shm.mobj) || sw_mobj_is_mapped(&sl->shm.mobj))
			return TS_EINVAL;
		if (!slice_held_by_a_call(sw, client, &sl->shm))
			return TS_ENOENT;
		for (i = sl->first_page; i < sl->first_page + sl->n_pages; i++)
			sl->chunk->check_scratch[i]++;
	}
	if (n != pool->n_slices)
		return TS_EINVAL;
	/* Slices cover exactly the pages flagged used, each once (no overlap). */
	for (ch = pool->chunks; ch; ch = ch->next)
		for (i = 0; i < ch->n_pages; i++)
			if (ch->check_scratch[i] != ch->page_used[i])
				return TS_EINVAL;
	return 0;
}

int sw_rpc_pools_check(struct sw_strategy *s)
{
	struct rpc_state *st = s->priv;
	uint32_t i;
	int rc;

	if (!st || st->n_pools != s->sw->n_clients)
		return TS_EINVAL;
	for (i = 0; i < st->n_pools; i++)
		if ((rc = check_pool(s->sw, (uint16_t)i, &st->pools[i])))
			return rc;
	return 0;
}

/* Dynamic's invariants for memrefs and args, then the pools' books. */
static int rpc_check(struct sw_strategy *s)
{
	int rc = sw_strategy_dynamic_ops.check(s);

	return rc ? rc : sw_rpc_pools_check(s);
}

const struct sw_strategy_ops sw_strategy_rpc_ops = {
	.name = "rpc",
	.init = rpc_init,
	.fini = rpc_fini,
	.shm_registered = rpc_shm_registered,
	.use_begin = rpc_use_begin,
	.use_end = rpc_use_end,
	.shm_unregistered = rpc_shm_unregistered,
	.buffer_get = rpc_buffer_get,
	.buffer_put = rpc_buffer_put,
	.vm_destroyed = rpc_vm_destroyed,
	.check = rpc_check,
	.mappings_held = rpc_mappings_held,
	.cache_disable = rpc_cache_disable,
};
