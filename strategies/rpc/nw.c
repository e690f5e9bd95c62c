/*
 * "rpc", normal-world half: the driver behaves exactly as under "dynamic"
 * (docs/strategies.md).  What differs is the secure half, which asks for its
 * own buffers in large chunks and keeps them; from here that only looks like
 * fewer, larger SHM_ALLOC requests, which the dynamic answer serves as is.
 *
 * Composition, not a copy: every op forwards to nw_dynamic_ops (stateless),
 * so a fix there applies here too.
 */
#include "sim/normal/strategy_nw.h"

extern const struct nw_strategy_ops nw_dynamic_ops;

static int rpc_init(struct nw_strategy *s, struct optee_drv *drv, const struct strategy_params *p)
{
	return nw_dynamic_ops.init(s, drv, p);
}

static void rpc_fini(struct nw_strategy *s)
{
	nw_dynamic_ops.fini(s);
}

static TEE_Result rpc_temp_begin(struct nw_strategy *s, void *buf, size_t size, uint32_t dir,
				 struct optee_drv_param *out, struct nw_temp *t)
{
	return nw_dynamic_ops.temp_begin(s, buf, size, dir, out, t);
}

static void rpc_temp_end(struct nw_strategy *s, struct nw_temp *t, bool copy_out,
			 size_t out_size)
{
	nw_dynamic_ops.temp_end(s, t, copy_out, out_size);
}

static TEE_Result rpc_shm_register(struct nw_strategy *s, struct optee_shm *shm)
{
	return nw_dynamic_ops.shm_register(s, shm);
}

static void rpc_shm_release(struct nw_strategy *s, struct optee_shm *shm)
{
	nw_dynamic_ops.shm_release(s, shm);
}

static int rpc_arg_get(struct nw_strategy *s, size_t call_bytes, struct nw_arg *a)
{
	return nw_dynamic_ops.arg_get(s, call_bytes, a);
}

static void rpc_arg_put(struct nw_strategy *s, struct nw_arg *a)
{
	nw_dynamic_ops.arg_put(s, a);
}

static int rpc_rpc_alloc(struct nw_strategy *s, size_t bytes, bool contiguous,
			 struct optee_shm **out)
{
	return nw_dynamic_ops.rpc_alloc(s, bytes, contiguous, out);
}

static void rpc_rpc_free(struct nw_strategy *s, struct optee_shm *shm)
{
	nw_dynamic_ops.rpc_free(s, shm);
}

const struct nw_strategy_ops nw_rpc_ops = {
	.name = "rpc",
	.init = rpc_init,
	.fini = rpc_fini,
	.temp_begin = rpc_temp_begin,
	.temp_end = rpc_temp_end,
	.shm_register = rpc_shm_register,
	.shm_release = rpc_shm_release,
	.arg_get = rpc_arg_get,
	.arg_put = rpc_arg_put,
	.rpc_alloc = rpc_rpc_alloc,
	.rpc_free = rpc_rpc_free,
};
