/*
 * "carveout", the secure half: OP-TEE without dynamic shared memory.  Every
 * buffer the normal world shares lies in the static carveout, which is
 * mapped once at boot (MEM_AREA_NSEC_SHM) and reached with phys_to_virt, so
 * this half never maps or unmaps anything after boot and issues no TLBI.
 *
 * - REGISTER_SHM is refused (TS_ENOSYS, TEE_ERROR_NOT_SUPPORTED to the
 *   normal world): dynamic shm is off, as with CFG_CORE_DYN_SHM=n.
 * - A use of a described buffer is fine when it is static (in the carveout)
 *   or empty; one that would need a mapping is refused (TS_EACCES).
 * - Buffers the secure world needs come by RPC SHM_ALLOC; an answer outside
 *   the carveout is given back and refused.
 *
 * No hypervisor: client 0 owns the whole carveout.  Under virtualization the
 * carveout would be split per VM, which is not implemented: init refuses.
 */
#include <stddef.h>

#include "sim/common/ts_err.h"
#include "sim/secure/strategy_sw.h"
#include "sim/secure/sw_internal.h"

static int co_init(struct sw_strategy *s, struct secure_world *sw,
		   const struct strategy_params *p)
{
	/* Per-VM partitions of the carveout: not implemented yet. */
	if (sw->cfg.virtualization)
		return TS_ENOSYS;
	/* Nothing to share memory through. */
	if (!sw->carveout)
		return TS_ENOSYS;
	*s = (struct sw_strategy){ .sw = sw, .params = *p };
	return 0;
}

static void co_fini(struct sw_strategy *s)
{
	(void)s;
}

/* Dynamic shared memory is off under this strategy. */
static int co_shm_registered(struct sw_strategy *s, uint16_t client, struct sw_shm *shm)
{
	(void)s;
	(void)client;
	(void)shm;
	return TS_ENOSYS;
}

/* Static (carveout) or empty: reachable already.  Anything else would need a mapping. */
static int co_use_begin(struct sw_strategy *s, uint16_t client, struct sw_mobj *m)
{
	(void)s;
	(void)client;
	return sw_mobj_needs_map(m) ? TS_EACCES : 0;
}

static void co_use_end(struct sw_strategy *s, uint16_t client, struct sw_mobj *m)
{
	(void)s;
	(void)client;
	(void)m;
}

static void co_shm_unregistered(struct sw_strategy *s, uint16_t client, struct sw_shm *shm)
{
	(void)s;
	(void)client;
	(void)shm;
}

/* One SHM_ALLOC per request; the answer must lie in the carveout. */
static int co_buffer_get(struct sw_strategy *s, struct sw_call *call, uint32_t shm_type,
			 uint64_t size_bytes, struct sw_rpc_shm **out)
{
	struct sw_rpc_shm *b;
	int rc;

	(void)s;
	*out = NULL;
	rc = sw_rpc_nw_buffer_alloc(call, shm_type, size_bytes, &b);
	if (rc)
		return rc;
	if (sw_mobj_needs_map(&b->mobj) || !va_addr(b->mobj.va)) {
		sw_rpc_nw_buffer_free(call, b); /* SHM_FREE: the normal world takes it back */
		return TS_EACCES;
	}
	b->va = b->mobj.va;
	*out = b;
	return 0;
}

static void co_buffer_put(struct sw_strategy *s, struct sw_call *call, struct sw_rpc_shm *b)
{
	(void)s;
	sw_rpc_nw_buffer_free(call, b); /* nothing mapped: just SHM_FREE */
}

static void co_vm_destroyed(struct sw_strategy *s, uint16_t client)
{
	(void)s;
	(void)client;
}

/* Reached without a mapping of its own: static, or not described at all. */
static int check_static(const struct sw_mobj *m)
{
	return sw_mobj_needs_map(m) || sw_mobj_is_mapped(m) || m->map_refs ? TS_EINVAL : 0;
}

/*
 * Nothing dynamic exists: no registered object, no client holds a core_mm
 * mapping, and every buffer a call uses (arg, RPC arg, TMEM, RPC buffers)
 * is static.
 */
static int co_check(struct sw_strategy *s)
{
	struct secure_world *sw = s->sw;
	uint32_t i, m;
	int rc;

	for (i = 0; i < sw->n_clients; i++) {
		const struct sw_client *cl = &sw->clients[i];

		if (cl->shm_list || cl->n_shm || cl->n_shm_deferred || cl->n_mappings)
			return TS_EINVAL;
	}
	for (i = 0; i < sw->cfg.num_threads; i++) {
		const struct sw_call *call = &sw->threads[i].call;
		const struct sw_rpc_shm *b;

		if ((rc = check_static(&call->arg_mobj)) ||
		    (rc = check_static(&call->rpc_arg_mobj)))
			return rc;
		for (m = 0; m < SW_MSG_MAX_PARAMS; m++)
			if ((rc = check_static(&call->tmem[m])))
				return rc;
		for (b = call->rpc_shms; b; b = b->next)
			if ((rc = check_static(&b->mobj)))
				return rc;
	}
	return 0;
}

const struct sw_strategy_ops sw_strategy_carveout_ops = {
	.name = "carveout",
	.init = co_init,
	.fini = co_fini,
	.shm_registered = co_shm_registered,
	.use_begin = co_use_begin,
	.use_end = co_use_end,
	.shm_unregistered = co_shm_unregistered,
	.buffer_get = co_buffer_get,
	.buffer_put = co_buffer_put,
	.vm_destroyed = co_vm_destroyed,
	.check = co_check,
};
