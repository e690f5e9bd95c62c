/*
 * RPC service of the normal-world OP-TEE driver: what Linux's
 * optee_handle_rpc / handle_rpc_func_cmd and tee-supplicant do when the
 * secure world suspends a call to ask for something.
 *
 * Register use (optee_smc.h): every answer is RETURN_FROM_RPC with a1..a7 as
 * the RPC left them ("a3-7 resume information, must be preserved"), except
 * that RPC_ALLOC answers a1:a2 = IPA and a4:a5 = cookie.  An RPC_CMD's
 * optee_msg_arg is read once into a local copy, served from that copy and
 * written back whole, so a secure world changing it meanwhile cannot make us
 * act on two different values.  Which guest memory answers a buffer request
 * is the strategy's choice (nw_rpc_alloc / nw_rpc_free).
 */
#define _POSIX_C_SOURCE 200809L
#include <string.h>
#include <time.h>

#include "sim/common/optee_msg.h"
#include "sim/common/optee_rpc_cmd.h"
#include "sim/common/optee_smc.h"
#include "sim/common/ts_err.h"
#include "sim/normal/optee_drv_internal.h"
#include "sim/normal/optee_supp.h"

/* Most RPC params we serve (OP-TEE sends at most a handful). */
#define RPC_MAX_PARAMS 16u

static void rpc_alloc(struct optee_drv *drv, struct smc_regs *regs)
{
	struct optee_shm *shm;
	uint64_t ipa = 0, cookie = 0;

	DRV_COUNT(drv, rpc_alloc);
	/* Contiguous: the secure world maps it as one PA range (an RPC arg). */
	if (regs->a[1] &&
	    !nw_rpc_alloc(&drv->strategy, (size_t)(uint32_t)regs->a[1], true, &shm)) {
		ipa = pa_addr(shm->pages[0]);
		cookie = shm->cookie;
	} else {
		DRV_COUNT(drv, rpc_cmd_failed);
	}
	regs->a[1] = optee_smc_u64_high(ipa);
	regs->a[2] = optee_smc_u64_low(ipa);
	regs->a[4] = optee_smc_u64_high(cookie);
	regs->a[5] = optee_smc_u64_low(cookie);
}

/* Free an shm the secure world holds, if cookie names one of the given kind. */
bool optee_rpc_shm_free(struct optee_drv *drv, uint64_t cookie, enum optee_shm_kind kind)
{
	struct optee_shm *shm = optee_shm_get(drv, cookie);
	bool ok = shm && shm->kind == kind;

	if (ok)
		nw_rpc_free(&drv->strategy, shm);
	if (shm)
		optee_shm_put(shm);
	return ok;
}

static void rpc_free(struct optee_drv *drv, struct smc_regs *regs)
{
	uint64_t cookie = optee_smc_reg_pair_to_u64((uint32_t)regs->a[1], (uint32_t)regs->a[2]);

	DRV_COUNT(drv, rpc_free);
	if (!optee_rpc_shm_free(drv, cookie, OPTEE_SHM_KIND_RPC_ARG))
		DRV_COUNT(drv, rpc_cmd_failed);
}

static uint32_t ptype(const struct optee_msg_param *p)
{
	return (uint32_t)(p->attr & OPTEE_MSG_ATTR_TYPE_MASK);
}

static bool ptype_is_memref(uint32_t t)
{
	return (t >= OPTEE_MSG_ATTR_TYPE_RMEM_INPUT && t <= OPTEE_MSG_ATTR_TYPE_RMEM_INOUT) ||
	       (t >= OPTEE_MSG_ATTR_TYPE_TMEM_INPUT && t <= OPTEE_MSG_ATTR_TYPE_TMEM_INOUT);
}

/*
 * Offset within shm of the guest address buf_ptr, or false if it is not in
 * the shm.  A tmem names its buffer by address, not by offset.
 */
static bool shm_offset_of(const struct optee_shm *shm, uint64_t buf_ptr, size_t *offs)
{
	uint64_t page = buf_ptr & ~SMALL_PAGE_MASK;
	size_t k;

	for (k = 0; k < shm->n_pages; k++) {
		if (pa_addr(shm->pages[k]) == page) {
			size_t abs = k * SMALL_PAGE_SIZE + (size_t)(buf_ptr & SMALL_PAGE_MASK);

			if (abs < shm->offset_bytes)
				return false;
			*offs = abs - shm->offset_bytes;
			return true;
		}
	}
	return false;
}

/*
 * Resolve an RPC memref (tmem or rmem) to shm + window; takes a reference
 * on the shm (drop it with optee_shm_put).  A tmem with shm_ref 0 is a NULL
 * memref carrying only a size.
 */
static TEE_Result rpc_memref_get(struct optee_drv *drv, const struct optee_msg_param *mp,
				 struct optee_supp_memref *mr)
{
	uint32_t t = ptype(mp);
	struct optee_shm *shm;
	size_t offs;

	memset(mr, 0, sizeof(*mr));
	if (!ptype_is_memref(t) || (mp->attr & OPTEE_MSG_ATTR_NONCONTIG))
		return TEE_ERROR_BAD_PARAMETERS;
	mr->size_bytes = (size_t)mp->u.tmem.size; /* size sits at one offset in tmem and rmem */
	if (t >= OPTEE_MSG_ATTR_TYPE_TMEM_INPUT) {
		if (!mp->u.tmem.shm_ref)
			return TEE_SUCCESS;
		shm = optee_shm_get(drv, mp->u.tmem.shm_ref);
		if (!shm)
			return TEE_ERROR_BAD_PARAMETERS;
		if (!shm_offset_of(shm, mp->u.tmem.buf_ptr, &offs)) {
			optee_shm_put(shm);
			return TEE_ERROR_BAD_PARAMETERS;
		}
	} else {
		shm = optee_shm_get(drv, mp->u.rmem.shm_ref);
		if (!shm)
			return TEE_ERROR_BAD_PARAMETERS;
		if (mp->u.rmem.offs > shm->size_bytes) {
			optee_shm_put(shm);
			return TEE_ERROR_BAD_PARAMETERS;
		}
		offs = (size_t)mp->u.rmem.offs;
	}
	if (offs > shm->size_bytes || mp->u.tmem.size > shm->size_bytes - offs) {
		optee_shm_put(shm);
		return TEE_ERROR_BAD_PARAMETERS;
	}
	mr->shm = shm;
	mr->offs_bytes = offs;
	return TEE_SUCCESS;
}

static void rpc_memref_put(struct optee_supp_memref *mr)
{
	if (mr->shm)
		optee_shm_put(mr->shm);
}

static bool rest_are_none(const struct optee_msg_param *p, uint32_t from, uint32_t n)
{
	for (; from < n; from++)
		if (ptype(&p[from]) != OPTEE_MSG_ATTR_TYPE_NONE)
			return false;
	return true;
}

static TEE_Result cmd_shm_alloc(struct optee_drv *drv, struct optee_rpc_ctx *rc,
				struct optee_msg_param *p, uint32_t n)
{
	struct optee_shm *shm;
	uint64_t size;

	DRV_COUNT(drv, rpc_cmd_shm_alloc);
	if (n < 1 || p[0].attr != OPTEE_MSG_ATTR_TYPE_VALUE_INPUT || !rest_are_none(p, 1, n))
		return TEE_ERROR_BAD_PARAMETERS;
	if (p[0].u.value.a != OPTEE_RPC_SHM_TYPE_APPL &&
	    p[0].u.value.a != OPTEE_RPC_SHM_TYPE_KERNEL &&
	    p[0].u.value.a != OPTEE_RPC_SHM_TYPE_GLOBAL)
		return TEE_ERROR_BAD_PARAMETERS;
	size = p[0].u.value.b;
	if (size == 0 || size > drv->mem->size_bytes)
		return TEE_ERROR_OUT_OF_MEMORY;
	/* As Linux: the previous SHM_ALLOC's list has been consumed by now. */
	optee_pagelist_buf_release(drv, &rc->pending_list);
	/*
	 * Scattered pages from offset 0 of a page satisfy any alignment up to
	 * a page (value.c); OP-TEE asks for no more.
	 */
	if (nw_rpc_alloc(&drv->strategy, (size_t)size, false, &shm))
		return TEE_ERROR_OUT_OF_MEMORY;
	if (shm->static_pa) {
		/* Carveout memory is one run: its address, no page list (as Linux's pool shm). */
		memset(&p[0], 0, sizeof(p[0]));
		p[0].attr = OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT;
		p[0].u.tmem.buf_ptr = pa_addr(shm->pages[0]) + shm->offset_bytes;
		p[0].u.tmem.size = size;
		p[0].u.tmem.shm_ref = shm->cookie;
		return TEE_SUCCESS;
	}
	if (optee_shm_pagelist_build(shm, &rc->pending_list)) {
		nw_rpc_free(&drv->strategy, shm);
		return TEE_ERROR_OUT_OF_MEMORY;
	}
	memset(&p[0], 0, sizeof(p[0]));
	p[0].attr = OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG;
	p[0].u.tmem.buf_ptr = rc->pending_list.buf_ptr;
	p[0].u.tmem.size = size;
	p[0].u.tmem.shm_ref = shm->cookie;
	return TEE_SUCCESS;
}

static TEE_Result cmd_shm_free(struct optee_drv *drv, struct optee_msg_param *p, uint32_t n)
{
	DRV_COUNT(drv, rpc_cmd_shm_free);
	if (n != 1 || p[0].attr != OPTEE_MSG_ATTR_TYPE_VALUE_INPUT)
		return TEE_ERROR_BAD_PARAMETERS;
	return optee_rpc_shm_free(drv, p[0].u.value.b, OPTEE_SHM_KIND_RPC_BUF)
		       ? TEE_SUCCESS
		       : TEE_ERROR_BAD_PARAMETERS;
}

static TEE_Result cmd_get_time(struct optee_drv *drv, struct optee_msg_param *p, uint32_t n)
{
	struct timespec ts;

	DRV_COUNT(drv, rpc_cmd_get_time);
	if (n != 1 || p[0].attr != OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT)
		return TEE_ERROR_BAD_PARAMETERS;
	clock_gettime(CLOCK_REALTIME, &ts);
	p[0].u.value.a = (uint64_t)ts.tv_sec;
	p[0].u.value.b = (uint64_t)ts.tv_nsec;
	p[0].u.value.c = 0;
	return TEE_SUCCESS;
}

static TEE_Result cmd_load_ta(struct optee_drv *drv, struct optee_msg_param *p, uint32_t n)
{
	struct optee_supp_memref mr;
	uint8_t uuid[16];
	TEE_Result res;

	DRV_COUNT(drv, rpc_cmd_load_ta);
	if (n != 2 || p[0].attr != OPTEE_MSG_ATTR_TYPE_VALUE_INPUT ||
	    (ptype(&p[1]) != OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT &&
	     ptype(&p[1]) != OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT))
		return TEE_ERROR_BAD_PARAMETERS;
	/* value.a/b hold the UUID octets in memory order (tee_uuid_to_octets). */
	memcpy(uuid, &p[0].u.value, sizeof(uuid));
	res = rpc_memref_get(drv, &p[1], &mr);
	if (res)
		return res;
	res = optee_supp_load_ta(drv->supp, uuid, &mr);
	if (res == TEE_SUCCESS)
		p[1].u.tmem.size = mr.size_bytes;
	rpc_memref_put(&mr);
	return res;
}

static TEE_Result cmd_fs(struct optee_drv *drv, struct optee_msg_param *p, uint32_t n)
{
	struct optee_supp_memref mr;
	TEE_Result res;

	DRV_COUNT(drv, rpc_cmd_fs);
	if (n < 2 || p[0].attr != OPTEE_MSG_ATTR_TYPE_VALUE_INPUT)
		return TEE_ERROR_BAD_PARAMETERS;
	res = rpc_memref_get(drv, &p[1], &mr);
	if (res)
		return res;
	res = optee_supp_fs(drv->supp, p[0].u.value.a, p[0].u.value.b, &mr);
	if (res == TEE_SUCCESS || res == TEE_ERROR_SHORT_BUFFER)
		p[1].u.tmem.size = mr.size_bytes;
	rpc_memref_put(&mr);
	return res;
}

static void rpc_cmd(struct optee_drv *drv, struct optee_rpc_ctx *rc, struct smc_regs *regs)
{
	struct optee_msg_param params[RPC_MAX_PARAMS];
	struct optee_shm *arg_shm = NULL;
	struct optee_msg_arg hdr;
	uint8_t *arg;
	size_t max_params;
	TEE_Result res;
	uint32_t n;

	DRV_COUNT(drv, rpc_cmd);
	if (rc->rpc_arg) {
		/* CALL_WITH_RPC_ARG: the RPC arg follows the call arg; a1:a2 unused. */
		arg = rc->rpc_arg;
		max_params = rc->rpc_arg_max_params;
	} else {
		uint64_t cookie = optee_smc_reg_pair_to_u64((uint32_t)regs->a[1],
							    (uint32_t)regs->a[2]);

		arg_shm = optee_shm_get(drv, cookie);
		if (!arg_shm || !arg_shm->host || arg_shm->size_bytes < sizeof(hdr)) {
			/* Nothing to answer in: resume, the secure world sees no reply. */
			DRV_COUNT(drv, rpc_cmd_failed);
			if (arg_shm)
				optee_shm_put(arg_shm);
			return;
		}
		arg = arg_shm->host;
		max_params = (arg_shm->size_bytes - sizeof(hdr)) / sizeof(params[0]);
	}

	memcpy(&hdr, arg, sizeof(hdr));
	n = hdr.num_params;
	if (n > max_params || n > RPC_MAX_PARAMS) {
		res = TEE_ERROR_BAD_PARAMETERS;
		n = 0;
	} else {
		memcpy(params, arg + sizeof(hdr), n * sizeof(params[0]));
		switch (hdr.cmd) {
		case OPTEE_RPC_CMD_SHM_ALLOC:
			res = cmd_shm_alloc(drv, rc, params, n);
			break;
		case OPTEE_RPC_CMD_SHM_FREE:
			res = cmd_shm_free(drv, params, n);
			break;
		case OPTEE_RPC_CMD_GET_TIME:
			res = cmd_get_time(drv, params, n);
			break;
		case OPTEE_RPC_CMD_LOAD_TA:
			res = cmd_load_ta(drv, params, n);
			break;
		case OPTEE_RPC_CMD_FS:
			res = cmd_fs(drv, params, n);
			break;
		default:
			DRV_COUNT(drv, rpc_cmd_unsupported);
			res = TEE_ERROR_NOT_SUPPORTED;
			break;
		}
	}
	if (res != TEE_SUCCESS)
		DRV_COUNT(drv, rpc_cmd_failed);
	hdr.ret = res;
	hdr.ret_origin = TEE_ORIGIN_COMMS;
	memcpy(arg, &hdr, sizeof(hdr));
	memcpy(arg + sizeof(hdr), params, n * sizeof(params[0]));
	if (arg_shm)
		optee_shm_put(arg_shm);
}

void optee_rpc_handle(struct optee_drv *drv, struct optee_rpc_ctx *rc, struct smc_regs *regs)
{
	DRV_COUNT(drv, rpc);
	switch ((uint32_t)regs->a[0] & OPTEE_SMC_RETURN_RPC_FUNC_MASK) {
	case OPTEE_SMC_RPC_FUNC_ALLOC:
		rpc_alloc(drv, regs);
		break;
	case OPTEE_SMC_RPC_FUNC_FREE:
		rpc_free(drv, regs);
		break;
	case OPTEE_SMC_RPC_FUNC_FOREIGN_INTR:
		/* Our "interrupt" has been taken by the time we get here: just resume. */
		DRV_COUNT(drv, rpc_foreign_intr);
		break;
	case OPTEE_SMC_RPC_FUNC_CMD:
		rpc_cmd(drv, rc, regs);
		break;
	default:
		DRV_COUNT(drv, rpc_unknown);
		break;
	}
	regs->a[0] = OPTEE_SMC_CALL_RETURN_FROM_RPC;
}

void optee_rpc_finish(struct optee_drv *drv, struct optee_rpc_ctx *rc)
{
	optee_pagelist_buf_release(drv, &rc->pending_list);
}
