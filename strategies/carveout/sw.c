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
 * No hypervisor: client 0 owns the whole carveout.  Under virtualization it
 * is split between VMs at boot by the rule of sim/common/strategy.h
 * (carveout_split_init, the same the mediator and the guests apply): client
 * c may name only slice c - 1, which sw_pa_owned enforces on every buffer,
 * the mediator's shadow copies of c's args included (they sit at the head of
 * c's slice).  Init refuses a split that leaves a VM no page.  A VM's death
 * leaves nothing to undo: the slice stays mapped, as the whole carveout
 * always is, and the books hold no per-VM state.
 */
#include <stddef.h>

#include "sim/common/strategy.h"
#include "sim/common/ts_err.h"
#include "sim/secure/strategy_sw.h"
#include "sim/secure/sw_internal.h"

static int co_init(struct sw_strategy *s, struct secure_world *sw,
		   const struct strategy_params *p)
{
	struct carveout_split split;
	int rc;

	/* Nothing to share memory through. */
	if (!sw->carveout)
		return TS_ENOSYS;
	/* One slice per VM: each must leave its guest at least a page. */
	if (sw->cfg.virtualization &&
	    (rc = carveout_split_init(&split, sw->carveout->base, sw->carveout->size_bytes,
				      sw->dram->config.n_guests, p->carveout_vm_bytes, NULL, 0)))
		return rc;
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

/*
 * Reached without a mapping of its own: static, or not described at all.  A
 * static buffer lies in the carveout part its client owns (under
 * virtualization, its own slice): the static mapping is VA == PA, but the
 * check asks the memory manager rather than assume it.
 */
static int check_static(struct secure_world *sw, const struct sw_mobj *m)
{
	paddr_t pa;

	if (sw_mobj_needs_map(m) || sw_mobj_is_mapped(m) || m->map_refs)
		return TS_EINVAL;
	if (!va_addr(m->va))
		return 0;
	if (core_mm_virt_to_phys(&sw->mm, m->va, &pa) ||
	    !dram_region_contains(sw->carveout, pa, m->size_bytes ? m->size_bytes : 1) ||
	    !sw_pa_owned(sw, m->client, pa, m->size_bytes ? m->size_bytes : 1))
		return TS_EACCES;
	return 0;
}

/*
 * Nothing dynamic exists: no registered object, no client holds a core_mm
 * mapping, and every buffer a call uses (arg, RPC arg, TMEM, RPC buffers)
 * is static and inside its client's part of the carveout.
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

		if ((rc = check_static(sw, &call->arg_mobj)) ||
		    (rc = check_static(sw, &call->rpc_arg_mobj)))
			return rc;
		for (m = 0; m < SW_MSG_MAX_PARAMS; m++)
			if ((rc = check_static(sw, &call->tmem[m])))
				return rc;
		for (b = call->rpc_shms; b; b = b->next)
			if ((rc = check_static(sw, &b->mobj)))
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
