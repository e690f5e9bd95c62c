/*
 * A yielding call, from its SMC registers to its results (see sw_msg.h).
 *
 * Shape of OP-TEE's thread_optee_smc.c (std_entry_with_parg,
 * std_entry_with_regd_arg) and tee/entry_std.c (open, invoke, close,
 * cancel, register, unregister), written for the simulator: the arg is
 * copied into secure memory once and validated there, and every access to
 * normal-world memory goes through the secure MMU model.  Buffers are
 * described here (checked, page lists copied); when they are mapped is the
 * strategy's decision (use_begin/use_end, strategy_sw.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "sim/secure/sw_msg.h"

#include <string.h>

#include "sim/common/optee_smc.h"
#include "sim/common/ta_ids.h"
#include "sim/common/ts_err.h"
#include "sim/secure/sw_internal.h"
#include "sim/secure/ta/ta.h"

#define ARG_HDR_BYTES sizeof(struct optee_msg_arg)
#define RPC_ARG_BYTES OPTEE_MSG_GET_ARG_SIZE(SW_RPC_NUM_PARAMS)
/* Bits a param's attr may carry; the cache field must be OPTEE_MSG_ATTR_CACHE_PREDEFINED (0). */
#define ATTR_KNOWN_BITS \
	((uint64_t)OPTEE_MSG_ATTR_TYPE_MASK | OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_NONCONTIG)

void sw_msg_count_result(struct secure_world *sw, uint16_t client, TEE_Result res)
{
	struct sw_stats *st = &sw_client_of(sw, client)->stats;

	switch (res) {
	case TEE_SUCCESS:
		break;
	case TEE_ERROR_BAD_PARAMETERS:
		st->tee_bad_parameters++;
		break;
	case TEE_ERROR_ITEM_NOT_FOUND:
		st->tee_item_not_found++;
		break;
	case TEE_ERROR_OUT_OF_MEMORY:
		st->tee_out_of_memory++;
		break;
	case TEE_ERROR_NOT_IMPLEMENTED:
		st->tee_not_implemented++;
		break;
	case TEE_ERROR_BUSY:
		st->tee_busy++;
		break;
	case TEE_ERROR_SHORT_BUFFER:
		st->tee_short_buffer++;
		break;
	case TEE_ERROR_TARGET_DEAD:
		st->tee_target_dead++;
		break;
	case TEE_ERROR_COMMUNICATION:
		st->tee_communication++;
		break;
	default:
		st->tee_other++;
		break;
	}
}

/*
 * Refused memory: resource exhaustion is the TEE's, a feature the strategy
 * has off (dynamic shm under "carveout") is not supported, anything else is
 * a bad parameter.
 */
static TEE_Result tee_from_map_err(int rc)
{
	if (rc == TS_ENOSYS)
		return TEE_ERROR_NOT_SUPPORTED;
	return rc == TS_ENOMEM || rc == TS_ENOSPC ? TEE_ERROR_OUT_OF_MEMORY :
						    TEE_ERROR_BAD_PARAMETERS;
}

TEE_Result ta_mem_read(struct sw_call *call, vaddr_t va, void *dst, size_t len)
{
	if (len == 0)
		return TEE_SUCCESS;
	return core_mm_read(&call->sw->mm, va, dst, len) ? TEE_ERROR_ACCESS_DENIED : TEE_SUCCESS;
}

TEE_Result ta_mem_write(struct sw_call *call, vaddr_t va, const void *src, size_t len)
{
	if (len == 0)
		return TEE_SUCCESS;
	return core_mm_write(&call->sw->mm, va, src, len) ? TEE_ERROR_ACCESS_DENIED : TEE_SUCCESS;
}

void sw_call_init_dead(struct sw_call *call, struct secure_world *sw, uint16_t client)
{
	memset(call, 0, sizeof(*call));
	call->sw = sw;
	call->client = client;
	call->dead = true;
}

/* ---- Fetching the arg ---- */

/*
 * CALL_WITH_ARG / CALL_WITH_RPC_ARG: the arg lies in one page of non-secure
 * memory the client owns (OP-TEE maps exactly one page for it), or in the
 * static carveout.  *room = bytes from the arg to the end of its page.
 */
static uint32_t reach_arg_by_pa(struct sw_call *c, uint64_t *room)
{
	uint64_t pa = optee_smc_reg_pair_to_u64(c->smc_a1, c->smc_a2);
	uint64_t off = pa & SMALL_PAGE_MASK;
	int rc;

	if (pa & (_Alignof(struct optee_msg_arg) - 1))
		return OPTEE_SMC_RETURN_EBADADDR;
	rc = sw_mobj_describe_contig(c->sw, c->client, pa_init(pa), SMALL_PAGE_SIZE - off, false,
				     &c->arg_mobj);
	if (rc == 0 && (rc = sw_use_begin(c->sw, c->client, &c->arg_mobj)))
		sw_mobj_release(c->sw, &c->arg_mobj);
	if (rc == TS_ENOMEM || rc == TS_ENOSPC)
		return OPTEE_SMC_RETURN_ENOMEM;
	if (rc)
		return OPTEE_SMC_RETURN_EBADADDR;
	c->arg_va = c->arg_mobj.va;
	*room = SMALL_PAGE_SIZE - off;
	return OPTEE_SMC_RETURN_OK;
}

/* CALL_WITH_REGD_ARG: a1:a2 = cookie of this client's registered shm, a3 = offset in it. */
static uint32_t reach_arg_by_cookie(struct sw_call *c, uint64_t *room)
{
	uint64_t cookie = optee_smc_reg_pair_to_u64(c->smc_a1, c->smc_a2);
	uint64_t offs = c->smc_a3, size;
	struct sw_shm *shm = sw_shm_get(c->sw, c->client, cookie);
	int rc;

	if (!shm)
		return OPTEE_SMC_RETURN_EBADADDR;
	size = shm->mobj.size_bytes;
	if ((offs & (_Alignof(struct optee_msg_arg) - 1)) || offs > size ||
	    size - offs < ARG_HDR_BYTES) {
		sw_shm_put(c->sw, shm);
		return OPTEE_SMC_RETURN_EBADADDR;
	}
	/* The call holds it from here (the metrics see it in use once mapped). */
	c->arg_shm = shm;
	rc = sw_use_begin(c->sw, c->client, &shm->mobj);
	if (rc) {
		c->arg_shm = NULL;
		sw_shm_put(c->sw, shm);
		return rc == TS_ENOMEM || rc == TS_ENOSPC ? OPTEE_SMC_RETURN_ENOMEM :
							    OPTEE_SMC_RETURN_EBADADDR;
	}
	/* A reference and a use, both dropped by release_arg. */
	c->arg_va = va_add(shm->mobj.va, offs);
	*room = size - offs;
	return OPTEE_SMC_RETURN_OK;
}

/* Read the header once, validate num_params, read the params once. */
static uint32_t fetch_arg(struct sw_call *c)
{
	struct core_mm *mm = &c->sw->mm;
	uint64_t room = 0, need;
	uint32_t rv, n;

	switch (c->smc_func) {
	case OPTEE_SMC_CALL_WITH_ARG:
		rv = reach_arg_by_pa(c, &room);
		break;
	case OPTEE_SMC_CALL_WITH_RPC_ARG:
		c->rpc_arg_inline = true;
		rv = reach_arg_by_pa(c, &room);
		break;
	case OPTEE_SMC_CALL_WITH_REGD_ARG:
		c->rpc_arg_inline = c->sw->cfg.regd_arg_rpc_inline;
		rv = reach_arg_by_cookie(c, &room);
		break;
	default:
		rv = OPTEE_SMC_RETURN_EBADCMD;
		break;
	}
	if (rv)
		return rv;
	if (core_mm_read(mm, c->arg_va, &c->hdr, ARG_HDR_BYTES))
		return OPTEE_SMC_RETURN_EBADADDR;
	n = c->hdr.num_params;
	if (n > SW_MSG_MAX_PARAMS)
		return OPTEE_SMC_RETURN_EBADCMD;
	need = OPTEE_MSG_GET_ARG_SIZE(n) + (c->rpc_arg_inline ? RPC_ARG_BYTES : 0);
	if (need > room)
		return OPTEE_SMC_RETURN_EBADCMD;
	if (n && core_mm_read(mm, va_add(c->arg_va, ARG_HDR_BYTES), c->params,
			      n * sizeof(struct optee_msg_param)))
		return OPTEE_SMC_RETURN_EBADADDR;
	c->num_params = n;
	if (c->rpc_arg_inline) {
		c->rpc_arg_va = va_add(c->arg_va, OPTEE_MSG_GET_ARG_SIZE(n));
		c->rpc_arg_ready = true;
	}
	return OPTEE_SMC_RETURN_OK;
}

static void release_arg(struct sw_call *c)
{
	sw_use_end(c->sw, c->client, &c->arg_mobj);
	sw_mobj_release(c->sw, &c->arg_mobj);
	if (c->arg_shm) {
		sw_use_end(c->sw, c->client, &c->arg_shm->mobj);
		sw_shm_put(c->sw, c->arg_shm);
	}
	c->arg_shm = NULL;
}

/* ---- Params <-> TA params ---- */

static bool type_is_tmem(uint32_t type)
{
	return type >= OPTEE_MSG_ATTR_TYPE_TMEM_INPUT && type <= OPTEE_MSG_ATTR_TYPE_TMEM_INOUT;
}

static TEE_Result map_tmem(struct sw_call *c, uint32_t m, uint64_t attr, union ta_param *tp)
{
	const struct optee_msg_param_tmem *tm = &c->params[m].u.tmem;
	bool read_only = (attr & OPTEE_MSG_ATTR_TYPE_MASK) == OPTEE_MSG_ATTR_TYPE_TMEM_INPUT;
	int rc;

	tp->memref.va = va_init(0);
	tp->memref.size = tm->size;
	/* A NULL memref (OPTEE_SMC_SEC_CAP_MEMREF_NULL): no buffer, the size still travels. */
	if (!(attr & OPTEE_MSG_ATTR_NONCONTIG) && tm->buf_ptr == 0)
		return TEE_SUCCESS;
	if (tm->size == 0)
		return TEE_SUCCESS;
	if (attr & OPTEE_MSG_ATTR_NONCONTIG)
		rc = sw_mobj_describe_noncontig(c->sw, c->client, tm->buf_ptr, tm->size, read_only,
						c->pages, c->bounce, &c->tmem[m]);
	else
		rc = sw_mobj_describe_contig(c->sw, c->client, pa_init(tm->buf_ptr), tm->size,
					     read_only, &c->tmem[m]);
	if (rc == 0 && (rc = sw_use_begin(c->sw, c->client, &c->tmem[m])))
		sw_mobj_release(c->sw, &c->tmem[m]);
	if (rc)
		return tee_from_map_err(rc);
	tp->memref.va = c->tmem[m].va;
	return TEE_SUCCESS;
}

static TEE_Result get_rmem(struct sw_call *c, uint32_t m, union ta_param *tp)
{
	const struct optee_msg_param_rmem *rm = &c->params[m].u.rmem;
	struct sw_shm *shm = sw_shm_get(c->sw, c->client, rm->shm_ref);
	uint64_t size;
	int rc;

	if (!shm)
		return TEE_ERROR_BAD_PARAMETERS;
	size = shm->mobj.size_bytes;
	if (rm->offs > size || rm->size > size - rm->offs) {
		sw_shm_put(c->sw, shm);
		return TEE_ERROR_BAD_PARAMETERS;
	}
	c->rmem[m] = shm; /* a reference and a use, both dropped by release_params */
	rc = sw_use_begin(c->sw, c->client, &shm->mobj);
	if (rc) {
		c->rmem[m] = NULL;
		sw_shm_put(c->sw, shm);
		return tee_from_map_err(rc);
	}
	tp->memref.va = va_add(shm->mobj.va, rm->offs);
	tp->memref.size = rm->size;
	return TEE_SUCCESS;
}

/*
 * Turn params [first, num_params) into TA params (OP-TEE's copy_in_params):
 * at most four, no META, NONCONTIG only on TMEM, memrefs in use (reachable) now.
 */
static TEE_Result copy_in_params(struct sw_call *c, uint32_t first,
				 union ta_param tp[TEE_NUM_PARAMS],
				 uint32_t *types)
{
	uint32_t n = c->num_params - first, i;

	*types = 0;
	memset(tp, 0, TEE_NUM_PARAMS * sizeof(*tp));
	if (n > TEE_NUM_PARAMS)
		return TEE_ERROR_BAD_PARAMETERS;
	for (i = 0; i < n; i++) {
		uint32_t m = first + i;
		uint64_t attr = c->params[m].attr;
		uint32_t type = (uint32_t)(attr & OPTEE_MSG_ATTR_TYPE_MASK), t;
		TEE_Result res = TEE_SUCCESS;

		if ((attr & ~ATTR_KNOWN_BITS) || (attr & OPTEE_MSG_ATTR_META) ||
		    ((attr & OPTEE_MSG_ATTR_NONCONTIG) && !type_is_tmem(type)))
			return TEE_ERROR_BAD_PARAMETERS;
		switch (type) {
		case OPTEE_MSG_ATTR_TYPE_NONE:
			t = TEE_PARAM_TYPE_NONE;
			break;
		case OPTEE_MSG_ATTR_TYPE_VALUE_INPUT:
		case OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT:
		case OPTEE_MSG_ATTR_TYPE_VALUE_INOUT:
			t = TEE_PARAM_TYPE_VALUE_INPUT + (type - OPTEE_MSG_ATTR_TYPE_VALUE_INPUT);
			/* GP values are 32-bit: OP-TEE truncates the message's 64-bit a and b. */
			tp[i].value.a = (uint32_t)c->params[m].u.value.a;
			tp[i].value.b = (uint32_t)c->params[m].u.value.b;
			break;
		case OPTEE_MSG_ATTR_TYPE_TMEM_INPUT:
		case OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT:
		case OPTEE_MSG_ATTR_TYPE_TMEM_INOUT:
			t = TEE_PARAM_TYPE_MEMREF_INPUT + (type - OPTEE_MSG_ATTR_TYPE_TMEM_INPUT);
			res = map_tmem(c, m, attr, &tp[i]);
			break;
		case OPTEE_MSG_ATTR_TYPE_RMEM_INPUT:
		case OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT:
		case OPTEE_MSG_ATTR_TYPE_RMEM_INOUT:
			t = TEE_PARAM_TYPE_MEMREF_INPUT + (type - OPTEE_MSG_ATTR_TYPE_RMEM_INPUT);
			res = get_rmem(c, m, &tp[i]);
			break;
		default:
			return TEE_ERROR_BAD_PARAMETERS;
		}
		if (res)
			return res;
		*types |= t << (4 * i);
	}
	return TEE_SUCCESS;
}

/* The TA's outputs into the secure copy; write_back() sends them. */
static void copy_out_params(struct sw_call *c, uint32_t first, uint32_t types,
			    const union ta_param tp[TEE_NUM_PARAMS])
{
	uint32_t n = c->num_params - first, i;

	for (i = 0; i < n && i < TEE_NUM_PARAMS; i++) {
		struct optee_msg_param *p = &c->params[first + i];

		switch (TEE_PARAM_TYPE_GET(types, i)) {
		case TEE_PARAM_TYPE_VALUE_OUTPUT:
		case TEE_PARAM_TYPE_VALUE_INOUT:
			p->u.value.a = tp[i].value.a;
			p->u.value.b = tp[i].value.b;
			break;
		case TEE_PARAM_TYPE_MEMREF_OUTPUT:
		case TEE_PARAM_TYPE_MEMREF_INOUT:
			/* tmem.size and rmem.size share their place in the union. */
			p->u.tmem.size = tp[i].memref.size;
			break;
		default:
			break;
		}
	}
	c->out_first = first;
	c->out_count = n < TEE_NUM_PARAMS ? n : TEE_NUM_PARAMS;
}

static void release_params(struct sw_call *c)
{
	uint32_t m;

	for (m = 0; m < SW_MSG_MAX_PARAMS; m++) {
		sw_use_end(c->sw, c->client, &c->tmem[m]);
		sw_mobj_release(c->sw, &c->tmem[m]);
		if (c->rmem[m]) {
			sw_use_end(c->sw, c->client, &c->rmem[m]->mobj);
			sw_shm_put(c->sw, c->rmem[m]);
		}
		c->rmem[m] = NULL;
	}
}

/* One field of the normal world's arg, at byte offset off. */
static void put_field(struct sw_call *c, size_t off, const void *src, size_t len)
{
	/* Cannot fail: the arg was read through this very mapping. */
	(void)core_mm_write(&c->sw->mm, va_add(c->arg_va, off), src, len);
}

/* Results into the normal world's arg: written, never read back. */
static void write_back(struct sw_call *c)
{
	const size_t value_a = offsetof(struct optee_msg_param, u) +
			       offsetof(struct optee_msg_param_value, a);
	const size_t value_b = offsetof(struct optee_msg_param, u) +
			       offsetof(struct optee_msg_param_value, b);
	/* tmem.size and rmem.size share their place in the union. */
	const size_t mem_size = offsetof(struct optee_msg_param, u) +
				offsetof(struct optee_msg_param_tmem, size);
	uint32_t m;

	put_field(c, offsetof(struct optee_msg_arg, ret), &c->hdr.ret, sizeof(c->hdr.ret));
	put_field(c, offsetof(struct optee_msg_arg, ret_origin), &c->hdr.ret_origin,
		  sizeof(c->hdr.ret_origin));
	if (c->write_session)
		put_field(c, offsetof(struct optee_msg_arg, session), &c->hdr.session,
			  sizeof(c->hdr.session));
	for (m = c->out_first; m < c->out_first + c->out_count; m++) {
		const struct optee_msg_param *p = &c->params[m];
		size_t at = ARG_HDR_BYTES + m * sizeof(*p);

		switch (p->attr & OPTEE_MSG_ATTR_TYPE_MASK) {
		case OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT:
		case OPTEE_MSG_ATTR_TYPE_VALUE_INOUT:
			put_field(c, at + value_a, &p->u.value.a, sizeof(p->u.value.a));
			put_field(c, at + value_b, &p->u.value.b, sizeof(p->u.value.b));
			break;
		case OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT:
		case OPTEE_MSG_ATTR_TYPE_TMEM_INOUT:
		case OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT:
		case OPTEE_MSG_ATTR_TYPE_RMEM_INOUT:
			put_field(c, at + mem_size, &p->u.tmem.size, sizeof(p->u.tmem.size));
			break;
		default:
			break;
		}
	}
}

/* ---- Commands ---- */

static void set_result(struct sw_call *c, TEE_Result ret, uint32_t origin)
{
	c->hdr.ret = ret;
	c->hdr.ret_origin = origin;
}

static void entry_open_session(struct sw_call *c)
{
	const uint64_t meta_value = OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	struct sw_client *cl = sw_client_of(c->sw, c->client);
	union ta_param tp[TEE_NUM_PARAMS];
	const struct ta_ops *ta;
	struct sw_session *s;
	struct ta_uuid uuid;
	uint8_t octets[16];
	uint32_t types, origin = TEE_ORIGIN_TRUSTED_APP;
	void *ctx = NULL;
	TEE_Result res;

	cl->stats.opens++;
	/* params[0]: the TA's UUID; params[1]: the client's identity (OP-TEE's meta params). */
	if (c->num_params < 2 || c->params[0].attr != meta_value ||
	    c->params[1].attr != meta_value) {
		set_result(c, TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_TEE);
		return;
	}
	/*
	 * The 16 octets are the bytes of value.a then value.b, as Linux's export_uuid writes them.
	 */
	memcpy(octets, &c->params[0].u.value, sizeof(octets));
	ta_uuid_from_octets(&uuid, octets);
	ta = ta_find(&uuid);
	if (!ta) {
		set_result(c, TEE_ERROR_ITEM_NOT_FOUND, TEE_ORIGIN_TEE);
		return;
	}
	res = copy_in_params(c, 2, tp, &types);
	if (res) {
		set_result(c, res, TEE_ORIGIN_TEE);
		return;
	}
	s = sw_session_alloc(&c->sw->sessions, c->client, ta);
	if (!s) {
		set_result(c, TEE_ERROR_OUT_OF_MEMORY, TEE_ORIGIN_TEE);
		return;
	}
	cl->n_sessions++;
	c->session = s;
	s->login = (uint32_t)c->params[1].u.value.c;
	memcpy(s->client_uuid, &c->params[1].u.value, sizeof(s->client_uuid));
	res = ta->open_session(c, types, tp, &ctx, &origin);
	if (res == TEE_SUCCESS && c->dead) {
		/* Opened for a client that is gone: close it again at once. */
		ta->close_session(c, ctx);
		res = TEE_ERROR_TARGET_DEAD;
		origin = TEE_ORIGIN_TEE;
	}
	if (res == TEE_SUCCESS) {
		s->ta_ctx = ctx;
		s->opened = true;
		c->hdr.session = s->id;
		c->write_session = true;
	} else {
		sw_session_free(&c->sw->sessions, s);
		cl->n_sessions--;
		c->session = NULL;
	}
	copy_out_params(c, 2, types, tp);
	set_result(c, res, origin);
}

static void entry_invoke(struct sw_call *c)
{
	struct sw_session *s = sw_session_find(&c->sw->sessions, c->client, c->hdr.session);
	union ta_param tp[TEE_NUM_PARAMS];
	uint32_t types;
	TEE_Result res;

	sw_client_of(c->sw, c->client)->stats.invokes++;
	if (!s || !s->opened) {
		set_result(c, TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_TEE);
		return;
	}
	if (s->busy) {
		set_result(c, TEE_ERROR_BUSY, TEE_ORIGIN_TEE);
		return;
	}
	res = copy_in_params(c, 0, tp, &types);
	if (res) {
		set_result(c, res, TEE_ORIGIN_TEE);
		return;
	}
	s->busy = true;
	c->session = s;
	res = s->ta->invoke(c, s->ta_ctx, c->hdr.func, types, tp);
	copy_out_params(c, 0, types, tp);
	set_result(c, res, TEE_ORIGIN_TRUSTED_APP);
}

static void entry_close_session(struct sw_call *c)
{
	struct sw_session *s = sw_session_find(&c->sw->sessions, c->client, c->hdr.session);

	sw_client_of(c->sw, c->client)->stats.closes++;
	if (c->num_params) {
		set_result(c, TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_TEE);
		return;
	}
	if (!s || !s->opened) {
		set_result(c, TEE_ERROR_ITEM_NOT_FOUND, TEE_ORIGIN_TEE);
		return;
	}
	if (s->busy) {
		set_result(c, TEE_ERROR_BUSY, TEE_ORIGIN_TEE);
		return;
	}
	s->busy = true;
	s->ta->close_session(c, s->ta_ctx);
	sw_session_free(&c->sw->sessions, s);
	sw_client_of(c->sw, c->client)->n_sessions--;
	set_result(c, TEE_SUCCESS, TEE_ORIGIN_TEE);
}

/* Best effort, as in OP-TEE: a flag the TA may look at; nothing here waits to be woken. */
static void entry_cancel(struct sw_call *c)
{
	struct sw_session *s = sw_session_find(&c->sw->sessions, c->client, c->hdr.session);

	sw_client_of(c->sw, c->client)->stats.cancels++;
	if (c->num_params) {
		set_result(c, TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_TEE);
		return;
	}
	if (s)
		s->cancel_requested = true;
	set_result(c, TEE_SUCCESS, TEE_ORIGIN_TEE);
}

/*
 * One TMEM_OUTPUT|NONCONTIG param: page list, size, shm_ref = cookie.  The
 * list is read and checked now and kept in secure memory; whether the pages
 * are mapped now or on use is the strategy's (shm_registered).
 */
static void entry_register_shm(struct sw_call *c)
{
	const struct optee_msg_param_tmem *tm = &c->params[0].u.tmem;
	struct sw_mobj mobj;
	struct sw_shm *shm;
	bool deferred;
	int rc;

	/* Not offered: refused before the list is read (nothing gets mapped for it). */
	if (!sw_dynamic_shm(c->sw)) {
		set_result(c, TEE_ERROR_NOT_SUPPORTED, TEE_ORIGIN_TEE);
		return;
	}
	if (c->num_params != 1 ||
	    c->params[0].attr != (OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG) ||
	    tm->shm_ref == 0 || sw_shm_find(c->sw, c->client, tm->shm_ref)) {
		set_result(c, TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_TEE);
		return;
	}
	rc = sw_mobj_describe_noncontig(c->sw, c->client, tm->buf_ptr, tm->size, false, c->pages,
					c->bounce, &mobj);
	if (rc) {
		set_result(c, tee_from_map_err(rc), TEE_ORIGIN_TEE);
		return;
	}
	rc = sw_shm_register(c->sw, c->client, tm->shm_ref, &mobj, &shm);
	if (rc) {
		sw_mobj_release(c->sw, &mobj);
		set_result(c, tee_from_map_err(rc), TEE_ORIGIN_TEE);
		return;
	}
	rc = sw_shm_registered(c->sw, c->client, shm);
	if (rc) {
		/* Nobody uses it yet: this frees it at once. */
		(void)sw_shm_unregister(c->sw, c->client, tm->shm_ref, &deferred);
		set_result(c, tee_from_map_err(rc), TEE_ORIGIN_TEE);
		return;
	}
	sw_client_of(c->sw, c->client)->stats.registers++;
	set_result(c, TEE_SUCCESS, TEE_ORIGIN_TEE);
}

/* One RMEM_INPUT param, shm_ref = cookie.  A call still using the shm delays the free. */
static void entry_unregister_shm(struct sw_call *c)
{
	struct sw_client *cl = sw_client_of(c->sw, c->client);
	uint64_t cookie = c->params[0].u.rmem.shm_ref;
	struct sw_shm *shm;
	bool deferred;

	if (c->num_params != 1 || c->params[0].attr != OPTEE_MSG_ATTR_TYPE_RMEM_INPUT) {
		set_result(c, TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_TEE);
		return;
	}
	shm = sw_shm_find(c->sw, c->client, cookie);
	if (!shm) {
		set_result(c, TEE_ERROR_ITEM_NOT_FOUND, TEE_ORIGIN_TEE);
		return;
	}
	sw_shm_unregistered(c->sw, c->client, shm);
	(void)sw_shm_unregister(c->sw, c->client, cookie, &deferred); /* found: cannot fail */
	cl->stats.unregisters++;
	cl->stats.deferred_unregisters += deferred;
	set_result(c, TEE_SUCCESS, TEE_ORIGIN_TEE);
}

/* The message a call carries, for the event timeline. */
static void event_msg(struct sw_call *c)
{
	static const char *const names[] = { "OPEN_SESSION", "INVOKE_COMMAND", "CLOSE_SESSION",
					     "CANCEL", "REGISTER_SHM", "UNREGISTER_SHM" };
	const char *name = c->hdr.cmd < sizeof(names) / sizeof(names[0]) ? names[c->hdr.cmd] : "?";

	if (c->hdr.cmd == OPTEE_MSG_CMD_INVOKE_COMMAND)
		sw_event(c->sw, c->client, "msg    %s session %u func %u, %u params", name,
			 c->hdr.session, c->hdr.func, c->num_params);
	else
		sw_event(c->sw, c->client, "msg    %s, %u params", name, c->num_params);
}

static void dispatch(struct sw_call *c)
{
	if (c->sw->cfg.events)
		event_msg(c);
	switch (c->hdr.cmd) {
	case OPTEE_MSG_CMD_OPEN_SESSION:
		entry_open_session(c);
		break;
	case OPTEE_MSG_CMD_INVOKE_COMMAND:
		entry_invoke(c);
		break;
	case OPTEE_MSG_CMD_CLOSE_SESSION:
		entry_close_session(c);
		break;
	case OPTEE_MSG_CMD_CANCEL:
		entry_cancel(c);
		break;
	case OPTEE_MSG_CMD_REGISTER_SHM:
		entry_register_shm(c);
		break;
	case OPTEE_MSG_CMD_UNREGISTER_SHM:
		entry_unregister_shm(c);
		break;
	default:
		set_result(c, TEE_ERROR_NOT_IMPLEMENTED, TEE_ORIGIN_TEE);
		break;
	}
}

uint32_t sw_msg_std_entry(struct sw_call *c)
{
	uint32_t rv = fetch_arg(c);

	if (rv == OPTEE_SMC_RETURN_OK) {
		dispatch(c);
		release_params(c);
		if (c->session) {
			c->session->busy = false;
			c->session = NULL;
		}
		if (c->dead) {
			/* Nothing goes back to a client that is gone; count it as such. */
			sw_msg_count_result(c->sw, c->client, TEE_ERROR_TARGET_DEAD);
		} else {
			sw_msg_count_result(c->sw, c->client, c->hdr.ret);
			write_back(c);
		}
	}
	/* Results are in place before the RPC arg is given back (RPC_FREE), as in OP-TEE. */
	sw_rpc_call_end(c);
	release_arg(c);
	return rv;
}
