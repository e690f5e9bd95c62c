/*
 * `dynamic`, the secure half: what OP-TEE does with dynamic shared memory.
 *
 * Registration does not map: REGISTER_SHM checks the page list and keeps a
 * copy in secure memory (sw_msg.c), nothing more.  A buffer is mapped when
 * a call starts to use it and unmapped when its last user is done: uses of
 * one registered shm by overlapping calls share one mapping, counted in
 * mobj->map_refs (OP-TEE's mobj_reg_shm mapcount, inc_map / dec_map).  An
 * unmap clears the descriptors and issues the configured TLBI
 * (core_mm_config.tlbi_policy, CORE_MM_TLBI_ALL by default: OP-TEE's one
 * `tlbi vmalle1is` per unmap).  TMEM buffers, the arg page and the RPC arg
 * are uses of their own, so they are mapped for the call only.  Buffers the
 * secure world needs are asked of the normal world per request (RPC
 * SHM_ALLOC), mapped at once, unmapped and given back at SHM_FREE.
 *
 * No state of its own beyond the counters in each client's sw_stats.
 */
#include <stddef.h>

#include "strategies/dynamic/sw.h"

#include "sim/common/ts_err.h"
#include "sim/secure/strategy_sw.h"
#include "sim/secure/sw_internal.h"

static int dyn_init(struct sw_strategy *s, struct secure_world *sw,
		    const struct strategy_params *p)
{
	*s = (struct sw_strategy){ .sw = sw, .params = *p };
	return 0;
}

static void dyn_fini(struct sw_strategy *s)
{
	(void)s;
}

/* Recorded, not mapped: the first use maps. */
static int dyn_shm_registered(struct sw_strategy *s, uint16_t client, struct sw_shm *shm)
{
	(void)s;
	(void)client;
	return sw_mobj_needs_map(&shm->mobj) && !sw_mobj_is_mapped(&shm->mobj) ? 0 : TS_EINVAL;
}

static int dyn_use_begin(struct sw_strategy *s, uint16_t client, struct sw_mobj *m)
{
	struct sw_stats *st = &sw_client_of(s->sw, client)->stats;
	int rc;

	/* Static (carveout) or empty: reachable already, nothing to count. */
	if (!sw_mobj_needs_map(m))
		return 0;
	if (m->map_refs) {
		m->map_refs++;
		st->map_reuses++;
		return 0;
	}
	rc = sw_mobj_map(s->sw, m);
	if (rc)
		return rc;
	m->map_refs = 1;
	st->maps_on_use++;
	return 0;
}

static void dyn_use_end(struct sw_strategy *s, uint16_t client, struct sw_mobj *m)
{
	if (!sw_mobj_needs_map(m) || m->map_refs == 0 || --m->map_refs)
		return;
	sw_mobj_unmap(s->sw, m);
	sw_client_of(s->sw, client)->stats.unmaps_on_last_user++;
}

/* Nothing held for the registry's sake: users hold the mapping, the last one unmaps. */
static void dyn_shm_unregistered(struct sw_strategy *s, uint16_t client, struct sw_shm *shm)
{
	(void)s;
	(void)client;
	(void)shm;
}

/* One SHM_ALLOC per request, mapped until buffer_put. */
static int dyn_buffer_get(struct sw_strategy *s, struct sw_call *call, uint32_t shm_type,
			  uint64_t size_bytes, struct sw_rpc_shm **out)
{
	struct sw_rpc_shm *b;
	int rc;

	*out = NULL;
	rc = sw_rpc_nw_buffer_alloc(call, shm_type, size_bytes, &b);
	if (rc)
		return rc;
	if (sw_mobj_needs_map(&b->mobj) && (rc = sw_mobj_map(s->sw, &b->mobj))) {
		sw_rpc_nw_buffer_free(call, b);
		return rc;
	}
	b->va = b->mobj.va;
	*out = b;
	return 0;
}

static void dyn_buffer_put(struct sw_strategy *s, struct sw_call *call, struct sw_rpc_shm *b)
{
	(void)s;
	sw_rpc_nw_buffer_free(call, b); /* unmaps first, then SHM_FREE */
}

static void dyn_vm_destroyed(struct sw_strategy *s, uint16_t client)
{
	(void)s;
	(void)client;
}

/* A described buffer is mapped exactly while it has users. */
static int check_mobj_use(const struct sw_mobj *m)
{
	if (!sw_mobj_needs_map(m))
		return sw_mobj_is_mapped(m) || m->map_refs ? TS_EINVAL : 0;
	return sw_mobj_is_mapped(m) == (m->map_refs > 0) ? 0 : TS_EBUSY;
}

int sw_dynamic_check_calls(struct secure_world *sw)
{
	uint32_t i, m;
	int rc;

	for (i = 0; i < sw->cfg.num_threads; i++) {
		const struct sw_call *call = &sw->threads[i].call;

		if ((rc = check_mobj_use(&call->arg_mobj)) ||
		    (rc = check_mobj_use(&call->rpc_arg_mobj)))
			return rc;
		if (call->arg_mobj.map_refs > 1 || call->rpc_arg_mobj.map_refs > 1)
			return TS_EINVAL;
		for (m = 0; m < SW_MSG_MAX_PARAMS; m++) {
			if ((rc = check_mobj_use(&call->tmem[m])))
				return rc;
			if (call->tmem[m].map_refs > 1)
				return TS_EINVAL;
		}
	}
	return 0;
}

/*
 * Map-on-use, checked: every registered object is mapped iff a call uses it,
 * with one map reference per user (sw_check holds the big lock and has
 * already matched users against the calls); a call's own buffers are mapped
 * for it alone.
 */
static int dyn_check(struct sw_strategy *s)
{
	struct secure_world *sw = s->sw;
	uint32_t i;
	int rc;

	for (i = 0; i < sw->n_clients; i++) {
		const struct sw_shm *shm;

		for (shm = sw->clients[i].shm_list; shm; shm = shm->client_next) {
			if (!sw_mobj_needs_map(&shm->mobj) || shm->mobj.map_refs != shm->users)
				return TS_EINVAL;
			if ((rc = check_mobj_use(&shm->mobj)))
				return rc;
		}
	}
	return sw_dynamic_check_calls(sw);
}

const struct sw_strategy_ops sw_strategy_dynamic_ops = {
	.name = "dynamic",
	.init = dyn_init,
	.fini = dyn_fini,
	.shm_registered = dyn_shm_registered,
	.use_begin = dyn_use_begin,
	.use_end = dyn_use_end,
	.shm_unregistered = dyn_shm_unregistered,
	.buffer_get = dyn_buffer_get,
	.buffer_put = dyn_buffer_put,
	.vm_destroyed = dyn_vm_destroyed,
	.check = dyn_check,
};
