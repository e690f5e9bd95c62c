/*
 * "cached", the secure half (docs/strategies.md): a registered buffer, once
 * mapped, stays mapped after its last user, so the next call that names it
 * finds its mapping and writes no descriptor and issues no TLBI.
 *
 * - Registered shm (client blocks, the normal half's reused bounce buffers,
 *   and its arg pages for CALL_WITH_REGD_ARG): mapped on first use as
 *   "dynamic" does; when the last user is done the mapping is kept and the
 *   object goes to the head of its client's LRU list of idle mappings.
 * - Budget: a client keeps at most cache_pages_per_vm pages of idle
 *   mappings; beyond, the least recently used are unmapped.  Per client, so
 *   one guest's churn cannot push another's buffers out.  When the shared
 *   resources run out (SHM VA, translation tables), any map of the secure
 *   world (a memref, a page-list read, a pool chunk) retries after the
 *   reclaim op gives back an idle mapping: the client's own first, then
 *   other clients' (see cached_reclaim).
 * - Unmaps batch their TLB invalidation: the secure world runs the memory
 *   manager with a lazy purge (lazy_purge_pages) under this strategy, so an
 *   unmapped range's VA is not reused before one TLBI covers the batch and
 *   no stale entry can be hit.
 * - UNREGISTER_SHM of an idle object unmaps it (its pages go back to the
 *   normal world, whose memory it is); of an object in use, the last user
 *   unmaps instead of caching.
 * - A call's own buffers (TMEM, the CALL_WITH_ARG arg page, the RPC arg)
 *   are per call, as "dynamic": only registered memory has a name to find
 *   again by.
 * - Buffers the secure world needs for itself come from "rpc"'s per-VM pool
 *   (chunks obtained by RPC, kept mapped and reused): a cache of normal-world
 *   buffers is what that pool is.
 *
 * Everything runs under the big secure-world lock (strategy_sw.h).
 */
#include <stdlib.h>

#include "strategies/dynamic/sw.h"
#include "strategies/rpc/sw.h"

#include "sim/common/ts_err.h"
#include "sim/secure/strategy_sw.h"
#include "sim/secure/sw_internal.h"

/* One client's idle mappings, most recently used first. */
struct cache_lru {
	struct sw_shm *head, *tail;
	uint64_t idle_pages;
	uint64_t n_idle;
};

struct cached_state {
	struct cache_lru *lrus;   /* one per client id */
	uint32_t n_lrus;
	struct sw_strategy pool;  /* "rpc"'s half, for buffer_get/buffer_put */
};

static struct cached_state *state_of(struct sw_strategy *s)
{
	return s->priv;
}

static struct sw_stats *stats_of(struct sw_strategy *s, uint16_t client)
{
	return &sw_client_of(s->sw, client)->stats;
}

static void lru_unlink(struct cache_lru *l, struct sw_shm *shm)
{
	if (shm->lru_prev)
		shm->lru_prev->lru_next = shm->lru_next;
	else
		l->head = shm->lru_next;
	if (shm->lru_next)
		shm->lru_next->lru_prev = shm->lru_prev;
	else
		l->tail = shm->lru_prev;
	shm->lru_prev = shm->lru_next = NULL;
	shm->lru_linked = false;
	l->idle_pages -= shm->mobj.n_pages;
	l->n_idle--;
}

static void lru_push_head(struct cache_lru *l, struct sw_shm *shm)
{
	shm->lru_prev = NULL;
	shm->lru_next = l->head;
	if (l->head)
		l->head->lru_prev = shm;
	else
		l->tail = shm;
	l->head = shm;
	shm->lru_linked = true;
	l->idle_pages += shm->mobj.n_pages;
	l->n_idle++;
}

/* Unmap the least recently used idle mapping of client; false if it has none. */
static bool evict_lru_tail(struct sw_strategy *s, uint16_t client)
{
	struct cache_lru *l = &state_of(s)->lrus[client];
	struct sw_shm *victim = l->tail;

	if (!victim)
		return false;
	lru_unlink(l, victim);
	sw_mobj_unmap(s->sw, &victim->mobj);
	return true;
}

static int cached_init(struct sw_strategy *s, struct secure_world *sw,
		       const struct strategy_params *p)
{
	struct cached_state *st;
	int rc;

	*s = (struct sw_strategy){ .sw = sw, .params = *p };
	st = calloc(1, sizeof(*st));
	if (!st)
		return TS_ENOMEM;
	st->lrus = calloc(sw->n_clients, sizeof(*st->lrus));
	if (!st->lrus) {
		free(st);
		return TS_ENOMEM;
	}
	st->n_lrus = sw->n_clients;
	if ((rc = sw_strategy_rpc_ops.init(&st->pool, sw, p))) {
		free(st->lrus);
		free(st);
		return rc;
	}
	s->priv = st;
	return 0;
}

/* Everything idle is unmapped here; the objects themselves go with their clients. */
static void cached_fini(struct sw_strategy *s)
{
	struct cached_state *st = state_of(s);
	uint32_t i;

	if (!st)
		return;
	for (i = 0; i < st->n_lrus; i++)
		while (evict_lru_tail(s, (uint16_t)i))
			;
	sw_strategy_rpc_ops.fini(&st->pool);
	free(st->lrus);
	free(st);
	s->priv = NULL;
}

/* Recorded, not mapped: the first use maps, as dynamic. */
static int cached_shm_registered(struct sw_strategy *s, uint16_t client, struct sw_shm *shm)
{
	return sw_strategy_dynamic_ops.shm_registered(s, client, shm);
}

/*
 * The shared resources (VA range, tables, mapping slots) ran out mapping for
 * client: evict one idle mapping, this client's oldest first, then another
 * client's (idle means no call needs it: its owner loses a hit, never
 * correctness), unless client is over its own page limit, which evicting
 * others cannot help.
 */
static bool cached_reclaim(struct sw_strategy *s, uint16_t client)
{
	struct cached_state *st = state_of(s);
	struct core_mm *mm = &s->sw->mm;
	uint32_t other;

	if (!evict_lru_tail(s, client)) {
		if (mm->cfg.max_pages_per_vm &&
		    mm->vms[client].mapped_pages >= mm->cfg.max_pages_per_vm)
			return false;
		for (other = 0; other < st->n_lrus && !st->lrus[other].tail; other++)
			;
		if (other == st->n_lrus || !evict_lru_tail(s, (uint16_t)other))
			return false;
	}
	stats_of(s, client)->cache_pressure_evictions++;
	return true;
}

static int cached_use_begin(struct sw_strategy *s, uint16_t client, struct sw_mobj *m)
{
	struct sw_shm *shm = m->owner;
	int rc;

	if (!shm || !sw_mobj_needs_map(m))
		return sw_strategy_dynamic_ops.use_begin(s, client, m);
	if (m->map_refs) { /* overlapping calls share the mapping */
		m->map_refs++;
		stats_of(s, client)->map_reuses++;
		return 0;
	}
	if (shm->lru_linked) { /* idle in the cache: a hit */
		lru_unlink(&state_of(s)->lrus[client], shm);
		m->map_refs = 1;
		stats_of(s, client)->cache_hits++;
		return 0;
	}
	if ((rc = sw_mobj_map(s->sw, m)))
		return rc;
	m->map_refs = 1;
	stats_of(s, client)->maps_on_use++;
	return 0;
}

static void cached_use_end(struct sw_strategy *s, uint16_t client, struct sw_mobj *m)
{
	struct sw_shm *shm = m->owner;
	struct cache_lru *l;

	if (!shm || !sw_mobj_needs_map(m)) {
		sw_strategy_dynamic_ops.use_end(s, client, m);
		return;
	}
	if (m->map_refs == 0 || --m->map_refs)
		return;
	if (shm->released) { /* unregistered meanwhile: nobody can name it again */
		sw_mobj_unmap(s->sw, m);
		stats_of(s, client)->unmaps_on_last_user++;
		return;
	}
	l = &state_of(s)->lrus[client];
	lru_push_head(l, shm);
	while (l->idle_pages > s->params.cache_pages_per_vm && evict_lru_tail(s, client))
		stats_of(s, client)->cache_evictions++;
}

/* Its pages go back to the normal world: an idle mapping goes now (the release unmaps it). */
static void cached_shm_unregistered(struct sw_strategy *s, uint16_t client, struct sw_shm *shm)
{
	if (shm->lru_linked)
		lru_unlink(&state_of(s)->lrus[client], shm);
}

static int cached_buffer_get(struct sw_strategy *s, struct sw_call *call, uint32_t shm_type,
			     uint64_t size_bytes, struct sw_rpc_shm **out)
{
	return sw_strategy_rpc_ops.buffer_get(&state_of(s)->pool, call, shm_type, size_bytes, out);
}

static void cached_buffer_put(struct sw_strategy *s, struct sw_call *call, struct sw_rpc_shm *b)
{
	sw_strategy_rpc_ops.buffer_put(&state_of(s)->pool, call, b);
}

/* The objects are freed right after (unmapping them): only forget them here. */
static void cached_vm_destroyed(struct sw_strategy *s, uint16_t client)
{
	struct cached_state *st = state_of(s);
	struct cache_lru *l = &st->lrus[client];

	while (l->head)
		lru_unlink(l, l->head);
	sw_strategy_rpc_ops.vm_destroyed(&st->pool, client);
}

/* Idle mappings go at once (the driver unregisters their objects itself), then the pool's chunks. */
static int cached_cache_disable(struct sw_strategy *s, uint16_t client, uint64_t *cookie)
{
	while (evict_lru_tail(s, client))
		;
	return sw_strategy_rpc_ops.cache_disable(&state_of(s)->pool, client, cookie);
}

static uint64_t cached_mappings_held(struct sw_strategy *s, uint16_t client)
{
	return sw_strategy_rpc_ops.mappings_held(&state_of(s)->pool, client);
}

/*
 * Every registered object is either in use (mapped, one map reference per
 * user), idle in its client's LRU (mapped, no reference, not released), or
 * unmapped; the LRU's counts match its list and respect the budget; a call's
 * own buffers follow dynamic's rules; the pool's books are right.
 */
static int cached_check(struct sw_strategy *s)
{
	struct cached_state *st = state_of(s);
	struct secure_world *sw = s->sw;
	uint32_t i;
	int rc;

	if (!st || st->n_lrus != sw->n_clients)
		return TS_EINVAL;
	for (i = 0; i < sw->n_clients; i++) {
		const struct cache_lru *l = &st->lrus[i];
		const struct sw_shm *shm, *prev = NULL;
		uint64_t idle = 0, pages = 0;

		for (shm = l->head; shm; prev = shm, shm = shm->lru_next) {
			if (shm->lru_prev != prev || !shm->lru_linked || shm->client != i ||
			    shm->released || shm->users || shm->mobj.map_refs ||
			    !sw_mobj_is_mapped(&shm->mobj) || ++idle > l->n_idle)
				return TS_EINVAL;
			pages += shm->mobj.n_pages;
		}
		if (prev != l->tail || idle != l->n_idle || pages != l->idle_pages ||
		    pages > s->params.cache_pages_per_vm)
			return TS_EINVAL;
		idle = 0;
		for (shm = sw->clients[i].shm_list; shm; shm = shm->client_next) {
			const struct sw_mobj *m = &shm->mobj;

			if (m->owner != shm || !sw_mobj_needs_map(m) || m->map_refs != shm->users)
				return TS_EINVAL;
			if (shm->lru_linked) {
				idle++;
				continue;
			}
			/* Not idle: mapped exactly while used. */
			if (sw_mobj_is_mapped(m) != (m->map_refs > 0))
				return TS_EBUSY;
		}
		if (idle != l->n_idle)
			return TS_EINVAL;
	}
	if ((rc = sw_dynamic_check_calls(sw)))
		return rc;
	return sw_rpc_pools_check(&st->pool);
}

const struct sw_strategy_ops sw_strategy_cached_ops = {
	.name = "cached",
	.init = cached_init,
	.fini = cached_fini,
	.shm_registered = cached_shm_registered,
	.use_begin = cached_use_begin,
	.use_end = cached_use_end,
	.shm_unregistered = cached_shm_unregistered,
	.buffer_get = cached_buffer_get,
	.buffer_put = cached_buffer_put,
	.vm_destroyed = cached_vm_destroyed,
	.check = cached_check,
	.mappings_held = cached_mappings_held,
	.cache_disable = cached_cache_disable,
	.reclaim = cached_reclaim,
};
