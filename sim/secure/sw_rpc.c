/*
 * RPC to the normal world: the RPC arg, OPTEE_RPC_CMD_* round trips, and the
 * buffers the secure world borrows by SHM_ALLOC (see sw_rpc.h).  Shape of
 * OP-TEE's thread_optee_smc.c (get_rpc_arg, thread_rpc_cmd, thread_rpc_alloc,
 * get_rpc_alloc_res), written for the simulator.  Where the secure world's
 * own buffers come from, and when they are mapped, is the strategy's
 * (buffer_get/buffer_put); the SHM_ALLOC round trip itself is here.
 */
#define _POSIX_C_SOURCE 200809L
#include "sim/secure/sw_rpc.h"

#include <stdlib.h>
#include <string.h>

#include "sim/common/optee_msg.h"
#include "sim/common/optee_rpc_cmd.h"
#include "sim/common/optee_smc.h"
#include "sim/common/ts_err.h"
#include "sim/secure/sw_internal.h"

#define RPC_ARG_BYTES OPTEE_MSG_GET_ARG_SIZE(SW_RPC_NUM_PARAMS)

/* One RPC return to the normal world; answer gets a1..a5 of RETURN_FROM_RPC. */
static TEE_Result rpc_raw(struct sw_call *c, uint32_t func, uint32_t a1, uint32_t a2,
			  struct smc_regs *answer)
{
	struct smc_regs r = { { 0 } };

	if (c->dead || !c->thread)
		return TEE_ERROR_TARGET_DEAD;
	r.a[1] = a1;
	r.a[2] = a2;
	if (sw_thread_rpc(c->thread, func, &r))
		return TEE_ERROR_TARGET_DEAD;
	if (answer)
		*answer = r;
	return TEE_SUCCESS;
}

static void rpc_free_arg_buffer(struct sw_call *c, uint64_t cookie)
{
	if (cookie)
		(void)rpc_raw(c, OPTEE_SMC_RETURN_RPC_FREE, optee_smc_u64_high(cookie),
			      optee_smc_u64_low(cookie), NULL);
}

/*
 * The RPC arg: the inline one, or a buffer asked for with RPC_ALLOC on the
 * first need (answer: a1:a2 = PA, a4:a5 = cookie), kept until the call ends.
 */
static TEE_Result rpc_arg_get(struct sw_call *c)
{
	struct smc_regs ans;
	uint64_t pa, cookie;
	TEE_Result res;

	if (c->rpc_arg_ready)
		return TEE_SUCCESS;
	res = rpc_raw(c, OPTEE_SMC_RETURN_RPC_ALLOC, (uint32_t)RPC_ARG_BYTES, 0, &ans);
	if (res)
		return res;
	pa = optee_smc_reg_pair_to_u64((uint32_t)ans.a[1], (uint32_t)ans.a[2]);
	cookie = optee_smc_reg_pair_to_u64((uint32_t)ans.a[4], (uint32_t)ans.a[5]);
	if (pa == 0 || (pa & (_Alignof(struct optee_msg_arg) - 1)) ||
	    sw_mobj_describe_contig(c->sw, c->client, pa_init(pa), RPC_ARG_BYTES, false,
				    &c->rpc_arg_mobj) ||
	    sw_use_begin(c->sw, c->client, &c->rpc_arg_mobj)) {
		sw_mobj_release(c->sw, &c->rpc_arg_mobj);
		rpc_free_arg_buffer(c, cookie);
		return c->dead ? TEE_ERROR_TARGET_DEAD : TEE_ERROR_OUT_OF_MEMORY;
	}
	c->rpc_arg_va = c->rpc_arg_mobj.va;
	c->rpc_arg_cookie = cookie;
	c->rpc_arg_ready = true;
	return TEE_SUCCESS;
}

/*
 * Write an RPC arg (cmd, n params), return RPC_CMD, read the answer back once:
 * hdr and params receive the normal world's version.  Returns its ret.
 */
static TEE_Result rpc_cmd_raw(struct sw_call *c, uint32_t cmd, uint32_t n,
			      struct optee_msg_param *params, struct sw_msg_hdr *hdr)
{
	struct core_mm *mm = &c->sw->mm;
	size_t bytes = OPTEE_MSG_GET_ARG_SIZE(n);
	uint8_t buf[OPTEE_MSG_GET_ARG_SIZE(SW_RPC_NUM_PARAMS)];
	uint64_t cookie;
	TEE_Result res;

	if (n > SW_RPC_NUM_PARAMS)
		return TEE_ERROR_BAD_PARAMETERS;
	if (c->dead || !c->thread)
		return TEE_ERROR_TARGET_DEAD;
	res = rpc_arg_get(c);
	if (res)
		return res;
	memset(hdr, 0, sizeof(*hdr));
	hdr->cmd = cmd;
	hdr->num_params = n;
	sw_event(c->sw, c->client, "rpc    cmd %s", cmd == OPTEE_RPC_CMD_SHM_ALLOC ? "SHM_ALLOC" :
		 cmd == OPTEE_RPC_CMD_SHM_FREE ? "SHM_FREE" : cmd == OPTEE_RPC_CMD_LOAD_TA ? "LOAD_TA" :
		 cmd == OPTEE_RPC_CMD_FS ? "FS" : cmd == OPTEE_RPC_CMD_GET_TIME ? "GET_TIME" : "other");
	hdr->ret = TEE_ERROR_GENERIC; /* if the normal world leaves it */
	memcpy(buf, hdr, sizeof(*hdr));
	memcpy(buf + sizeof(*hdr), params, n * sizeof(*params));
	if (core_mm_write(mm, c->rpc_arg_va, buf, bytes))
		return TEE_ERROR_COMMUNICATION;
	/* With the inline RPC arg the normal world knows where it is: a1:a2 unused (0:0). */
	cookie = c->rpc_arg_inline ? 0 : c->rpc_arg_cookie;
	res = rpc_raw(c, OPTEE_SMC_RETURN_RPC_CMD, optee_smc_u64_high(cookie),
		      optee_smc_u64_low(cookie), NULL);
	if (res)
		return res;
	if (core_mm_read(mm, c->rpc_arg_va, buf, bytes))
		return TEE_ERROR_COMMUNICATION;
	memcpy(hdr, buf, sizeof(*hdr));
	memcpy(params, buf + sizeof(*hdr), n * sizeof(*params));
	return hdr->ret;
}

TEE_Result sw_rpc_cmd(struct sw_call *c, uint32_t cmd, uint32_t num_params,
		      struct sw_rpc_param *params)
{
	struct optee_msg_param mp[SW_RPC_NUM_PARAMS];
	struct sw_msg_hdr hdr;
	TEE_Result res;
	uint32_t i;

	if (num_params > SW_RPC_NUM_PARAMS)
		return TEE_ERROR_BAD_PARAMETERS;
	memset(mp, 0, sizeof(mp));
	for (i = 0; i < num_params; i++) {
		const struct sw_rpc_param *p = &params[i];
		uint32_t k;

		switch (p->type) {
		case SW_RPC_PARAM_NONE:
			mp[i].attr = OPTEE_MSG_ATTR_TYPE_NONE;
			break;
		case SW_RPC_PARAM_VALUE_IN:
		case SW_RPC_PARAM_VALUE_OUT:
		case SW_RPC_PARAM_VALUE_INOUT:
			mp[i].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INPUT +
				     (p->type - SW_RPC_PARAM_VALUE_IN);
			mp[i].u.value.a = p->u.value.a;
			mp[i].u.value.b = p->u.value.b;
			mp[i].u.value.c = p->u.value.c;
			break;
		case SW_RPC_PARAM_MEMREF_IN:
		case SW_RPC_PARAM_MEMREF_OUT:
		case SW_RPC_PARAM_MEMREF_INOUT:
			k = p->type - SW_RPC_PARAM_MEMREF_IN;
			if (p->u.memref.shm) {
				const struct sw_rpc_shm *shm = p->u.memref.shm;

				if (p->u.memref.offs > shm->size_bytes ||
				    p->u.memref.size > shm->size_bytes - p->u.memref.offs)
					return TEE_ERROR_BAD_PARAMETERS;
				/* A buffer the normal world lent us: it knows it by its cookie. */
				mp[i].attr = OPTEE_MSG_ATTR_TYPE_RMEM_INPUT + k;
				mp[i].u.rmem.offs = shm->nw_offs_bytes + p->u.memref.offs;
				mp[i].u.rmem.size = p->u.memref.size;
				mp[i].u.rmem.shm_ref = shm->cookie;
			} else {
				mp[i].attr = OPTEE_MSG_ATTR_TYPE_TMEM_INPUT + k; /* NULL memref */
				mp[i].u.tmem.size = p->u.memref.size;
			}
			break;
		default:
			return TEE_ERROR_BAD_PARAMETERS;
		}
	}
	res = rpc_cmd_raw(c, cmd, num_params, mp, &hdr);
	if (res == TEE_ERROR_TARGET_DEAD && c->dead)
		return res;
	/* Outputs, as OP-TEE's get_rpc_arg_res: values whole, memrefs their size. */
	for (i = 0; i < num_params; i++) {
		struct sw_rpc_param *p = &params[i];

		switch (p->type) {
		case SW_RPC_PARAM_VALUE_OUT:
		case SW_RPC_PARAM_VALUE_INOUT:
			p->u.value.a = mp[i].u.value.a;
			p->u.value.b = mp[i].u.value.b;
			p->u.value.c = mp[i].u.value.c;
			break;
		case SW_RPC_PARAM_MEMREF_OUT:
		case SW_RPC_PARAM_MEMREF_INOUT:
			p->u.memref.size = mp[i].u.tmem.size;
			break;
		default:
			break;
		}
	}
	return res;
}

static void rpc_shm_free_cookie(struct sw_call *c, uint32_t shm_type, uint64_t cookie)
{
	struct optee_msg_param p = { .attr = OPTEE_MSG_ATTR_TYPE_VALUE_INPUT };
	struct sw_msg_hdr hdr;

	p.u.value.a = shm_type;
	p.u.value.b = cookie;
	(void)rpc_cmd_raw(c, OPTEE_RPC_CMD_SHM_FREE, 1, &p, &hdr);
}

int sw_rpc_nw_buffer_alloc(struct sw_call *c, uint32_t shm_type, uint64_t size_bytes,
			   struct sw_rpc_shm **out)
{
	const uint64_t tmem_out = OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT;
	struct optee_msg_param p = { .attr = OPTEE_MSG_ATTR_TYPE_VALUE_INPUT };
	struct sw_msg_hdr hdr;
	struct sw_rpc_shm *s = NULL;
	struct sw_mobj mobj;
	uint64_t cookie;
	int rc;

	*out = NULL;
	if (size_bytes == 0)
		return TS_EINVAL;
	p.u.value.a = shm_type;
	p.u.value.b = size_bytes;
	p.u.value.c = 8; /* alignment, as OP-TEE asks */
	if (rpc_cmd_raw(c, OPTEE_RPC_CMD_SHM_ALLOC, 1, &p, &hdr))
		return TS_EIO;
	/* The answer, from the one copy read back: one TMEM_OUTPUT, maybe NONCONTIG. */
	if (hdr.num_params != 1 ||
	    (p.attr != tmem_out && p.attr != (tmem_out | OPTEE_MSG_ATTR_NONCONTIG)))
		return TS_EINVAL;
	cookie = p.u.tmem.shm_ref;
	if (cookie == 0)
		return TS_EINVAL;
	/* Describe what we asked for; a larger buffer is fine, a smaller one is refused. */
	if (p.u.tmem.size < size_bytes)
		rc = TS_EINVAL;
	else if (p.attr & OPTEE_MSG_ATTR_NONCONTIG)
		rc = sw_mobj_describe_noncontig(c->sw, c->client, p.u.tmem.buf_ptr, size_bytes,
						false, c->pages, c->bounce, &mobj);
	else
		rc = sw_mobj_describe_contig(c->sw, c->client, pa_init(p.u.tmem.buf_ptr),
					     size_bytes, false, &mobj);
	if (rc == 0 && !(s = calloc(1, sizeof(*s)))) {
		sw_mobj_release(c->sw, &mobj);
		rc = TS_ENOMEM;
	}
	if (rc) {
		rpc_shm_free_cookie(c, shm_type, cookie);
		return rc;
	}
	s->cookie = cookie;
	s->size_bytes = size_bytes;
	s->shm_type = shm_type;
	s->mobj = mobj;
	*out = s;
	return 0;
}

void sw_rpc_nw_buffer_free(struct sw_call *c, struct sw_rpc_shm *shm)
{
	/* Unmap (if still mapped) before the normal world may reuse the pages. */
	sw_mobj_release(c->sw, &shm->mobj);
	rpc_shm_free_cookie(c, shm->shm_type, shm->cookie);
	free(shm);
}

TEE_Result sw_rpc_shm_alloc(struct sw_call *c, uint32_t shm_type, uint64_t size_bytes,
			    struct sw_rpc_shm **out)
{
	struct sw_strategy *st = &c->sw->strategy;
	struct sw_rpc_shm *s;

	*out = NULL;
	if (size_bytes == 0)
		return TEE_ERROR_BAD_PARAMETERS;
	if (st->ops->buffer_get(st, c, shm_type, size_bytes, &s))
		return c->dead ? TEE_ERROR_TARGET_DEAD : TEE_ERROR_OUT_OF_MEMORY;
	s->next = c->rpc_shms;
	c->rpc_shms = s;
	*out = s;
	sw_metrics_sample(c->sw);
	return TEE_SUCCESS;
}

void sw_rpc_shm_free(struct sw_call *c, struct sw_rpc_shm *shm)
{
	struct sw_strategy *st = &c->sw->strategy;
	struct sw_rpc_shm **pp = &c->rpc_shms;

	if (!shm)
		return;
	while (*pp && *pp != shm)
		pp = &(*pp)->next;
	if (*pp)
		*pp = shm->next;
	st->ops->buffer_put(st, c, shm);
	sw_metrics_sample(c->sw);
}

void sw_rpc_call_end(struct sw_call *c)
{
	while (c->rpc_shms)
		sw_rpc_shm_free(c, c->rpc_shms);
	if (c->rpc_arg_ready && !c->rpc_arg_inline) {
		sw_use_end(c->sw, c->client, &c->rpc_arg_mobj);
		sw_mobj_release(c->sw, &c->rpc_arg_mobj);
		rpc_free_arg_buffer(c, c->rpc_arg_cookie);
	}
	c->rpc_arg_ready = false;
	c->rpc_arg_cookie = 0;
	c->rpc_arg_va = va_init(0);
}
