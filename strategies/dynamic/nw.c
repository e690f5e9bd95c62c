/*
 * "dynamic", normal-world half: what Linux's OP-TEE driver and libteec do
 * with dynamic shared memory, and what the driver did before strategies.
 *
 * - TEMP memref: libteec's bounce.  Fresh scattered guest pages, the
 *   client's bytes copied in, REGISTER_SHM, passed as RMEM, UNREGISTER_SHM
 *   after the call, copied out: three SMCs and two copies per memref.
 * - Client blocks: REGISTER_SHM at TEEC_Register/AllocateSharedMemory,
 *   UNREGISTER_SHM at release.
 * - Message arg: a fresh contiguous arg buffer per message; with the RPC_ARG
 *   capability (and the driver not told otherwise) the RPC arg follows it and
 *   the call is CALL_WITH_RPC_ARG, as Linux >= 6.0.
 * - RPC buffers: fresh guest pages per request, given back at the free.
 *
 * No state of its own, so nothing to lock.
 */
#include <string.h>

#include "sim/common/optee_msg.h"
#include "sim/common/optee_smc.h"
#include "sim/common/ts_err.h"
#include "sim/normal/optee_drv_internal.h"
#include "sim/normal/strategy_nw.h"

static int dyn_init(struct nw_strategy *s, struct optee_drv *drv, const struct strategy_params *p)
{
	(void)s;
	(void)drv;
	(void)p;
	return 0;
}

static void dyn_fini(struct nw_strategy *s)
{
	(void)s;
}

static TEE_Result dyn_temp_begin(struct nw_strategy *s, void *buf, size_t size, uint32_t dir,
				 struct optee_drv_param *out, struct nw_temp *t)
{
	struct optee_shm *shm;
	TEE_Result res;

	nw_temp_init(t, buf, size, dir);
	/* Scattered pages are fine, we copy page by page; size 0 still gets a byte. */
	if (optee_shm_alloc(s->drv, size ? size : 1, false, &shm))
		return TEE_ERROR_OUT_OF_MEMORY;
	if ((dir & NW_TEMP_IN) && size) {
		optee_shm_write(shm, 0, buf, size);
		NW_COPY(s, temp_bytes_in, "client -> bounce", size);
	}
	res = optee_shm_register(shm, &t->origin);
	if (res != TEE_SUCCESS) {
		optee_shm_free(shm);
		return res;
	}
	NW_COUNT(s, temp_bounces);
	t->shm = shm;
	out->attr = nw_temp_attr(OPTEE_MSG_ATTR_TYPE_RMEM_INPUT, dir);
	out->u.memref.shm = shm;
	out->u.memref.offs_bytes = 0;
	out->u.memref.size_bytes = size;
	return TEE_SUCCESS;
}

static void dyn_temp_end(struct nw_strategy *s, struct nw_temp *t, bool copy_out,
			 size_t out_size)
{
	if (!t->shm)
		return;
	if (copy_out && (t->dir & NW_TEMP_OUT) && out_size && out_size <= t->size_bytes &&
	    !optee_shm_read(t->shm, 0, t->buf, out_size))
		NW_COPY(s, temp_bytes_out, "bounce -> client", out_size);
	optee_shm_free(t->shm); /* unregisters */
	t->shm = NULL;
}

static TEE_Result dyn_shm_register(struct nw_strategy *s, struct optee_shm *shm)
{
	uint32_t origin;

	(void)s;
	return optee_shm_register(shm, &origin);
}

static void dyn_shm_release(struct nw_strategy *s, struct optee_shm *shm)
{
	(void)s;
	optee_shm_free(shm); /* unregisters first */
}

static int dyn_arg_get(struct nw_strategy *s, size_t call_bytes, struct nw_arg *a)
{
	struct optee_drv *drv = s->drv;
	size_t total = nw_arg_bytes(drv, call_bytes);
	int rc;

	memset(a, 0, sizeof(*a));
	rc = optee_shm_alloc_kind(drv, total, true, OPTEE_SHM_KIND_ARG, &a->shm);
	if (rc)
		return rc;
	nw_arg_setup(drv, a, optee_shm_host(a->shm), a->shm->pages[0], call_bytes);
	return 0;
}

static void dyn_arg_put(struct nw_strategy *s, struct nw_arg *a)
{
	(void)s;
	if (a->shm)
		optee_shm_free_local(a->shm);
	memset(a, 0, sizeof(*a));
}

static int dyn_rpc_alloc(struct nw_strategy *s, size_t bytes, bool contiguous,
			 struct optee_shm **out)
{
	return optee_shm_alloc_kind(s->drv, bytes, contiguous,
				    contiguous ? OPTEE_SHM_KIND_RPC_ARG : OPTEE_SHM_KIND_RPC_BUF,
				    out);
}

static void dyn_rpc_free(struct nw_strategy *s, struct optee_shm *shm)
{
	(void)s;
	optee_shm_free_local(shm); /* the secure world gave it back: nothing to unregister */
}

const struct nw_strategy_ops nw_dynamic_ops = {
	.name = "dynamic",
	.init = dyn_init,
	.fini = dyn_fini,
	.temp_begin = dyn_temp_begin,
	.temp_end = dyn_temp_end,
	.shm_register = dyn_shm_register,
	.shm_release = dyn_shm_release,
	.arg_get = dyn_arg_get,
	.arg_put = dyn_arg_put,
	.rpc_alloc = dyn_rpc_alloc,
	.rpc_free = dyn_rpc_free,
};
