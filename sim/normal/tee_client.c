/*
 * GlobalPlatform TEE Client API over the normal-world OP-TEE driver: what
 * libteec and the Linux TEE subsystem's ioctls do together.
 *
 * How temporary memrefs and client blocks reach the secure world is the
 * driver's strategy's choice (strategy_nw.h): under "dynamic" a TEMP memref
 * becomes a bounce shm in guest RAM (copied in, registered, passed as RMEM,
 * unregistered after, copied out), as libteec does.  Client memory
 * registered with TEEC_RegisterSharedMemory is used in place when it already
 * lies in guest RAM, and otherwise through a shadow copied at each invoke, as
 * libteec does for memory the kernel cannot pin.
 * Argument errors found here return origin TEEC_ORIGIN_API; transport
 * failures TEEC_ORIGIN_COMMS; everything else carries the secure world's.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/optee_msg.h"
#include "sim/common/optee_smc.h"
#include "sim/normal/include/tee_client_api.h"
#include "sim/normal/optee_drv.h"
#include "sim/normal/strategy_nw.h"
#include "sim/normal/teec_sim.h"

struct teec_session_impl {
	struct teec_session_impl *prev, *next;
	struct teec_context_impl *ctx;
	uint32_t id;
};

struct teec_shm_impl {
	struct teec_shm_impl *prev, *next;
	struct teec_context_impl *ctx;
	struct optee_shm *shm;   /* registered: the client's own pages, a shadow, or ours */
	bool shadowed;           /* copies between TEEC_SharedMemory.buffer and shm at invoke */
	bool allocated;          /* TEEC_AllocateSharedMemory: buffer is shm's memory */
};

struct teec_context_impl {
	struct optee_drv *drv;
	pthread_mutex_t lock;    /* the lists below */
	struct teec_session_impl *sessions;
	struct teec_shm_impl *shms;
	size_t n_sessions;
	size_t n_shms;
};

static _Atomic(struct optee_drv *) default_drv;

void teec_set_default_driver(struct optee_drv *drv)
{
	atomic_store(&default_drv, drv);
}

struct optee_drv *teec_get_default_driver(void)
{
	return atomic_load(&default_drv);
}

struct optee_drv *teec_context_driver(const TEEC_Context *ctx)
{
	return ctx && ctx->imp ? ctx->imp->drv : NULL;
}

void teec_context_counts(TEEC_Context *ctx, size_t *sessions, size_t *shms)
{
	*sessions = 0;
	*shms = 0;
	if (!ctx || !ctx->imp)
		return;
	pthread_mutex_lock(&ctx->imp->lock);
	*sessions = ctx->imp->n_sessions;
	*shms = ctx->imp->n_shms;
	pthread_mutex_unlock(&ctx->imp->lock);
}

static void set_origin(uint32_t *origin, uint32_t value)
{
	if (origin)
		*origin = value;
}

/* ---- Trace ---- */

static void trace_fill_params(struct optee_trace_op *t, const TEEC_Operation *op)
{
	unsigned i;

	if (!op)
		return;
	t->param_types = op->paramTypes;
	for (i = 0; i < 4; i++) {
		uint32_t ty = TEEC_PARAM_TYPE_GET(op->paramTypes, i);

		if (ty >= TEEC_MEMREF_TEMP_INPUT && ty <= TEEC_MEMREF_TEMP_INOUT) {
			t->param_sizes[i] = op->params[i].tmpref.size;
			t->param_null[i] = !op->params[i].tmpref.buffer;
		} else if (ty == TEEC_MEMREF_WHOLE && op->params[i].memref.parent) {
			t->param_sizes[i] = op->params[i].memref.parent->size;
			t->param_parents[i] = op->params[i].memref.parent;
		} else if (ty >= TEEC_MEMREF_PARTIAL_INPUT) {
			t->param_sizes[i] = op->params[i].memref.size;
			t->param_parents[i] = op->params[i].memref.parent;
			t->param_offsets[i] = op->params[i].memref.offset;
		} else if (ty >= TEEC_VALUE_INPUT && ty <= TEEC_VALUE_INOUT) {
			t->param_sizes[i] = op->params[i].value.a;
			t->param_values_b[i] = op->params[i].value.b;
		}
	}
}

static void trace(struct optee_drv *drv, bool end, struct optee_trace_op *t, TEEC_Result res,
		  uint32_t origin)
{
	t->result = end ? res : 0;
	t->origin = end ? origin : 0;
	optee_drv_trace(drv, end, t);
}

/* ---- Context ---- */

TEEC_Result TEEC_InitializeContext(const char *name, TEEC_Context *context)
{
	struct optee_drv *drv = teec_get_default_driver();
	struct teec_context_impl *c;
	struct optee_trace_op t = { .kind = OPTEE_TRACE_INIT_CONTEXT, .context = context };

	(void)name; /* any name selects the one TEE, as libteec's first device */
	if (!context)
		return TEEC_ERROR_BAD_PARAMETERS;
	context->imp = NULL;
	if (!drv)
		return TEEC_ERROR_ITEM_NOT_FOUND;
	trace(drv, false, &t, 0, 0);
	c = calloc(1, sizeof(*c));
	if (!c) {
		trace(drv, true, &t, TEEC_ERROR_OUT_OF_MEMORY, TEEC_ORIGIN_API);
		return TEEC_ERROR_OUT_OF_MEMORY;
	}
	c->drv = drv;
	pthread_mutex_init(&c->lock, NULL);
	context->imp = c;
	trace(drv, true, &t, TEEC_SUCCESS, TEEC_ORIGIN_API);
	return TEEC_SUCCESS;
}

static void release_shm_impl(struct teec_shm_impl *s);

void TEEC_FinalizeContext(TEEC_Context *context)
{
	struct teec_context_impl *c;
	struct optee_trace_op t = { .kind = OPTEE_TRACE_FINALIZE_CONTEXT, .context = context };

	if (!context || !context->imp)
		return;
	c = context->imp;
	trace(c->drv, false, &t, 0, 0);
	/*
	 * GP asks clients to close and release everything first; a sloppy one
	 * gets what closing /dev/tee0 gives in Linux: sessions closed, shared
	 * memory unregistered.  The client's own structs are not touched.
	 */
	while (c->sessions) {
		struct teec_session_impl *s = c->sessions;
		uint32_t origin;

		c->sessions = s->next;
		(void)optee_drv_close_session(c->drv, s->id, &origin);
		free(s);
	}
	while (c->shms) {
		struct teec_shm_impl *s = c->shms;

		c->shms = s->next;
		release_shm_impl(s);
	}
	trace(c->drv, true, &t, TEEC_SUCCESS, TEEC_ORIGIN_API);
	pthread_mutex_destroy(&c->lock);
	free(c);
	context->imp = NULL;
}

/* ---- Shared memory ---- */

static void shm_link(struct teec_context_impl *c, struct teec_shm_impl *s)
{
	pthread_mutex_lock(&c->lock);
	s->prev = NULL;
	s->next = c->shms;
	if (c->shms)
		c->shms->prev = s;
	c->shms = s;
	c->n_shms++;
	pthread_mutex_unlock(&c->lock);
}

static void shm_unlink(struct teec_context_impl *c, struct teec_shm_impl *s)
{
	pthread_mutex_lock(&c->lock);
	if (s->prev)
		s->prev->next = s->next;
	else
		c->shms = s->next;
	if (s->next)
		s->next->prev = s->prev;
	c->n_shms--;
	pthread_mutex_unlock(&c->lock);
}

static void release_shm_impl(struct teec_shm_impl *s)
{
	nw_shm_release(optee_drv_strategy(s->ctx->drv), s->shm); /* unregisters, frees */
	free(s);
}

static TEEC_Result shm_flags_ok(const TEEC_SharedMemory *sm)
{
	if (sm->flags & ~(TEEC_MEM_INPUT | TEEC_MEM_OUTPUT))
		return TEEC_ERROR_BAD_PARAMETERS;
	if (sm->size > TEEC_CONFIG_SHAREDMEM_MAX_SIZE)
		return TEEC_ERROR_OUT_OF_MEMORY;
	return TEEC_SUCCESS;
}

/* Register shm for the client and fill the implementation fields of sm. */
static TEEC_Result shm_finish_setup(struct teec_context_impl *c, TEEC_SharedMemory *sm,
				    struct optee_shm *shm, bool shadowed, bool allocated)
{
	struct teec_shm_impl *s;
	TEEC_Result res;

	s = calloc(1, sizeof(*s));
	if (!s) {
		optee_shm_free(shm);
		return TEEC_ERROR_OUT_OF_MEMORY;
	}
	res = nw_shm_register(optee_drv_strategy(c->drv), shm);
	if (res != TEEC_SUCCESS) {
		optee_shm_free(shm);
		free(s);
		return res;
	}
	/*
	 * A strategy may move a registered block elsewhere (carveout: into the
	 * static area); the client's buffer is then a shadow, copied at invoke.
	 */
	if (!allocated && optee_shm_host(shm) != sm->buffer)
		shadowed = true;
	s->ctx = c;
	s->shm = shm;
	s->shadowed = shadowed;
	s->allocated = allocated;
	shm_link(c, s);
	sm->alloced_size = optee_shm_size(shm);
	sm->shadow_buffer = NULL; /* a shadow is scattered guest pages, reached through imp */
	sm->registered_fd = -1;
	sm->cookie = optee_shm_cookie(shm);
	sm->imp = s;
	return TEEC_SUCCESS;
}

/*
 * The common opening of TEEC_RegisterSharedMemory / TEEC_AllocateSharedMemory:
 * check the arguments, start the trace, check the flags.  NULL context on an
 * argument error (nothing traced); otherwise the context, with *res the verdict.
 */
static struct teec_context_impl *shm_op_begin(TEEC_Context *context, TEEC_SharedMemory *sharedMem,
					      struct optee_trace_op *t, TEEC_Result *res)
{
	struct teec_context_impl *c;

	if (!context || !context->imp || !sharedMem) {
		*res = TEEC_ERROR_BAD_PARAMETERS;
		return NULL;
	}
	c = context->imp;
	sharedMem->imp = NULL;
	t->shm_size_bytes = sharedMem->size;
	t->shm_flags = sharedMem->flags;
	trace(c->drv, false, t, 0, 0);
	*res = shm_flags_ok(sharedMem);
	return c;
}

TEEC_Result TEEC_RegisterSharedMemory(TEEC_Context *context, TEEC_SharedMemory *sharedMem)
{
	struct optee_trace_op t = { .kind = OPTEE_TRACE_REGISTER_SHM, .context = context,
				    .object = sharedMem };
	struct teec_context_impl *c;
	struct optee_shm *shm;
	TEEC_Result res;
	bool in_ram;
	int rc;

	c = shm_op_begin(context, sharedMem, &t, &res);
	if (!c)
		return res;
	if (res == TEEC_SUCCESS && !sharedMem->buffer && sharedMem->size)
		res = TEEC_ERROR_BAD_PARAMETERS;
	if (res != TEEC_SUCCESS)
		goto out;
	in_ram = sharedMem->buffer && sharedMem->size &&
		 guest_mem_contains(optee_drv_mem(c->drv), sharedMem->buffer, sharedMem->size);
	if (in_ram)
		rc = optee_shm_wrap(c->drv, sharedMem->buffer, sharedMem->size, &shm);
	else /* size 0 still gets a byte, as libteec registers 8 for it */
		rc = optee_shm_alloc(c->drv, sharedMem->size ? sharedMem->size : 1, false, &shm);
	if (rc) {
		res = TEEC_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	res = shm_finish_setup(c, sharedMem, shm, !in_ram, false);
out:
	trace(c->drv, true, &t, res, TEEC_ORIGIN_API);
	return res;
}

TEEC_Result TEEC_AllocateSharedMemory(TEEC_Context *context, TEEC_SharedMemory *sharedMem)
{
	struct optee_trace_op t = { .kind = OPTEE_TRACE_ALLOCATE_SHM, .context = context,
				    .object = sharedMem };
	struct teec_context_impl *c;
	struct optee_shm *shm;
	TEEC_Result res;

	c = shm_op_begin(context, sharedMem, &t, &res);
	if (!c)
		return res;
	if (res != TEEC_SUCCESS)
		goto out;
	/* Contiguous: the client gets one flat pointer. */
	if (optee_shm_alloc(c->drv, sharedMem->size ? sharedMem->size : 1, true, &shm)) {
		res = TEEC_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	res = shm_finish_setup(c, sharedMem, shm, false, true);
	if (res == TEEC_SUCCESS)
		sharedMem->buffer = optee_shm_host(shm);
out:
	trace(c->drv, true, &t, res, TEEC_ORIGIN_API);
	return res;
}

void TEEC_ReleaseSharedMemory(TEEC_SharedMemory *sharedMemory)
{
	struct optee_trace_op t = { .kind = OPTEE_TRACE_RELEASE_SHM, .object = sharedMemory };
	struct teec_shm_impl *s;
	struct optee_drv *drv;

	if (!sharedMemory || !sharedMemory->imp)
		return;
	s = sharedMemory->imp;
	drv = s->ctx->drv;
	t.shm_size_bytes = sharedMemory->size;
	t.shm_flags = sharedMemory->flags;
	trace(drv, false, &t, 0, 0);
	shm_unlink(s->ctx, s);
	if (s->allocated) {
		sharedMemory->buffer = NULL;
		sharedMemory->size = 0;
	}
	release_shm_impl(s);
	sharedMemory->imp = NULL;
	sharedMemory->shadow_buffer = NULL;
	sharedMemory->alloced_size = 0;
	sharedMemory->cookie = 0;
	trace(drv, true, &t, TEEC_SUCCESS, TEEC_ORIGIN_API);
}

/* ---- Operations ---- */

struct op_state {
	struct nw_strategy *strategy;
	struct optee_drv_param p[TEEC_CONFIG_PAYLOAD_REF_COUNT];
	/* TEMP memrefs the strategy carries: live from temp_begin to temp_end. */
	struct nw_temp temp[TEEC_CONFIG_PAYLOAD_REF_COUNT];
	bool temp_live[TEEC_CONFIG_PAYLOAD_REF_COUNT];
	bool temp_copy_out[TEEC_CONFIG_PAYLOAD_REF_COUNT];
	size_t temp_out_bytes[TEEC_CONFIG_PAYLOAD_REF_COUNT];
};

static uint32_t dir_attr(uint32_t base, bool in, bool out)
{
	/* base is the _INPUT attr; _OUTPUT = +1, _INOUT = +2. */
	return in && out ? base + 2 : out ? base + 1 : base;
}

static TEEC_Result prep_tmpref(struct teec_context_impl *c, struct op_state *st, unsigned i,
			       uint32_t type, TEEC_TempMemoryReference *tmp, uint32_t *origin)
{
	bool in = type != TEEC_MEMREF_TEMP_OUTPUT, out = type != TEEC_MEMREF_TEMP_INPUT;
	struct optee_drv_param *p = &st->p[i];
	TEEC_Result res;

	if (!tmp->buffer) {
		if (tmp->size ||
		    !(optee_drv_get_info(c->drv)->sec_caps & OPTEE_SMC_SEC_CAP_MEMREF_NULL))
			return TEEC_ERROR_BAD_PARAMETERS;
		p->attr = dir_attr(OPTEE_MSG_ATTR_TYPE_TMEM_INPUT, in, out);
		return TEEC_SUCCESS;
	}
	if (tmp->size > TEEC_CONFIG_SHAREDMEM_MAX_SIZE)
		return TEEC_ERROR_OUT_OF_MEMORY;
	res = nw_temp_begin(st->strategy, tmp->buffer, tmp->size,
			    (in ? NW_TEMP_IN : 0) | (out ? NW_TEMP_OUT : 0), p, &st->temp[i]);
	if (res != TEEC_SUCCESS) {
		*origin = st->temp[i].origin;
		return res;
	}
	st->temp_live[i] = true;
	return TEEC_SUCCESS;
}

static TEEC_Result prep_memref(struct teec_context_impl *c, struct op_state *st, uint32_t type,
			       TEEC_RegisteredMemoryReference *mr, struct optee_drv_param *p)
{
	TEEC_SharedMemory *parent = mr->parent;
	struct teec_shm_impl *s;
	bool in, out;
	size_t offs, size;

	if (!parent || !parent->imp || parent->imp->ctx != c)
		return TEEC_ERROR_BAD_PARAMETERS;
	s = parent->imp;
	if (type == TEEC_MEMREF_WHOLE) {
		in = parent->flags & TEEC_MEM_INPUT;
		out = parent->flags & TEEC_MEM_OUTPUT;
		if (!in && !out)
			return TEEC_ERROR_BAD_PARAMETERS;
		offs = 0;
		size = parent->size;
	} else {
		in = type != TEEC_MEMREF_PARTIAL_OUTPUT;
		out = type != TEEC_MEMREF_PARTIAL_INPUT;
		/* The block must allow every direction the memref asks for. */
		if ((in && !(parent->flags & TEEC_MEM_INPUT)) ||
		    (out && !(parent->flags & TEEC_MEM_OUTPUT)))
			return TEEC_ERROR_BAD_PARAMETERS;
		if (mr->offset > parent->size || mr->size > parent->size - mr->offset)
			return TEEC_ERROR_BAD_PARAMETERS;
		offs = mr->offset;
		size = mr->size;
	}
	if (s->shadowed && in && size &&
	    !optee_shm_write(s->shm, offs, (const uint8_t *)parent->buffer + offs, size))
		NW_COPY(st->strategy, shadow_bytes_in, "client -> shadow", size);
	p->attr = dir_attr(OPTEE_MSG_ATTR_TYPE_RMEM_INPUT, in, out);
	p->u.memref.shm = s->shm;
	p->u.memref.offs_bytes = offs;
	p->u.memref.size_bytes = size;
	return TEEC_SUCCESS;
}

/* End every TEMP memref still live, copying out those op_finish marked. */
static void op_release(struct op_state *st)
{
	unsigned i;

	for (i = 0; i < TEEC_CONFIG_PAYLOAD_REF_COUNT; i++) {
		if (!st->temp_live[i])
			continue;
		nw_temp_end(st->strategy, &st->temp[i], st->temp_copy_out[i],
			    st->temp_out_bytes[i]);
		st->temp_live[i] = false;
	}
}

/* Turn a GP operation into driver params.  On error nothing is left registered. */
static TEEC_Result op_prepare(struct teec_context_impl *c, TEEC_Operation *op,
			      struct op_state *st, uint32_t *origin)
{
	TEEC_Result res = TEEC_SUCCESS;
	unsigned i;

	memset(st, 0, sizeof(*st));
	st->strategy = optee_drv_strategy(c->drv);
	*origin = TEEC_ORIGIN_API;
	if (!op)
		return TEEC_SUCCESS;
	for (i = 0; i < TEEC_CONFIG_PAYLOAD_REF_COUNT && res == TEEC_SUCCESS; i++) {
		uint32_t type = TEEC_PARAM_TYPE_GET(op->paramTypes, i);
		TEEC_Parameter *gp = &op->params[i];
		struct optee_drv_param *p = &st->p[i];
		uint32_t param_origin = TEEC_ORIGIN_API;

		switch (type) {
		case TEEC_NONE:
			p->attr = OPTEE_MSG_ATTR_TYPE_NONE;
			break;
		case TEEC_VALUE_INPUT:
		case TEEC_VALUE_OUTPUT:
		case TEEC_VALUE_INOUT:
			/* Same numbers: VALUE_INPUT..INOUT are 1..3 in both encodings. */
			p->attr = type;
			p->u.value.a = gp->value.a;
			p->u.value.b = gp->value.b;
			break;
		case TEEC_MEMREF_TEMP_INPUT:
		case TEEC_MEMREF_TEMP_OUTPUT:
		case TEEC_MEMREF_TEMP_INOUT:
			res = prep_tmpref(c, st, i, type, &gp->tmpref, &param_origin);
			break;
		case TEEC_MEMREF_WHOLE:
		case TEEC_MEMREF_PARTIAL_INPUT:
		case TEEC_MEMREF_PARTIAL_OUTPUT:
		case TEEC_MEMREF_PARTIAL_INOUT:
			res = prep_memref(c, st, type, &gp->memref, p);
			break;
		default:
			res = TEEC_ERROR_BAD_PARAMETERS;
			break;
		}
		/* API for what we refused, the driver's origin if registering failed. */
		if (res != TEEC_SUCCESS)
			*origin = param_origin;
	}
	if (res != TEEC_SUCCESS)
		op_release(st);
	return res;
}

/*
 * Copy outputs back to the operation.  answered: the secure world replied
 * (outputs are meaningful); data is copied only on success, sizes also on
 * SHORT_BUFFER (and any other reply), as libteec's post-processing.
 */
static void op_finish(TEEC_Operation *op, struct op_state *st, TEEC_Result res, bool answered)
{
	unsigned i;

	if (!op || !answered) {
		op_release(st);
		return;
	}
	for (i = 0; i < TEEC_CONFIG_PAYLOAD_REF_COUNT; i++) {
		uint32_t type = TEEC_PARAM_TYPE_GET(op->paramTypes, i);
		TEEC_Parameter *gp = &op->params[i];
		const struct optee_drv_param *p = &st->p[i];
		size_t got = p->u.memref.size_bytes;

		switch (type) {
		case TEEC_VALUE_OUTPUT:
		case TEEC_VALUE_INOUT:
			gp->value.a = (uint32_t)p->u.value.a;
			gp->value.b = (uint32_t)p->u.value.b;
			break;
		case TEEC_MEMREF_TEMP_OUTPUT:
		case TEEC_MEMREF_TEMP_INOUT:
			/* The copy itself happens at temp_end, in op_release. */
			st->temp_copy_out[i] = res == TEEC_SUCCESS && st->temp_live[i] &&
					       got <= gp->tmpref.size && got;
			st->temp_out_bytes[i] = got;
			gp->tmpref.size = got;
			break;
		case TEEC_MEMREF_WHOLE:
		case TEEC_MEMREF_PARTIAL_OUTPUT:
		case TEEC_MEMREF_PARTIAL_INOUT: {
			TEEC_SharedMemory *parent = gp->memref.parent;
			size_t offs = p->u.memref.offs_bytes;
			size_t room = type == TEEC_MEMREF_WHOLE ? parent->size : gp->memref.size;

			if (type == TEEC_MEMREF_WHOLE && !(parent->flags & TEEC_MEM_OUTPUT))
				break;
			if (res == TEEC_SUCCESS && parent->imp->shadowed && got && got <= room &&
			    !optee_shm_read(parent->imp->shm, offs,
					    (uint8_t *)parent->buffer + offs, got))
				NW_COPY(st->strategy, shadow_bytes_out, "shadow -> client", got);
			gp->memref.size = got;
			break;
		}
		default:
			break;
		}
	}
	op_release(st);
}

static bool answered_by_tee(TEEC_Result res, uint32_t origin)
{
	return res == TEEC_SUCCESS || origin == TEEC_ORIGIN_TEE ||
	       origin == TEEC_ORIGIN_TRUSTED_APP;
}

static bool login_ok(uint32_t m)
{
	switch (m) {
	case TEEC_LOGIN_PUBLIC:
	case TEEC_LOGIN_USER:
	case TEEC_LOGIN_GROUP:
	case TEEC_LOGIN_APPLICATION:
	case TEEC_LOGIN_USER_APPLICATION:
	case TEEC_LOGIN_GROUP_APPLICATION:
		return true;
	default:
		return false;
	}
}

TEEC_Result TEEC_OpenSession(TEEC_Context *context, TEEC_Session *session,
			     const TEEC_UUID *destination, uint32_t connectionMethod,
			     const void *connectionData, TEEC_Operation *operation,
			     uint32_t *returnOrigin)
{
	struct optee_trace_op t = { .kind = OPTEE_TRACE_OPEN_SESSION, .context = context,
				    .object = session };
	static const uint8_t no_client[16];
	struct teec_context_impl *c;
	struct teec_session_impl *s;
	struct op_state st;
	uint32_t origin = TEEC_ORIGIN_API, id = 0;
	TEEC_Result res;

	(void)connectionData; /* the client UUID for non-public logins stays zero */
	set_origin(returnOrigin, TEEC_ORIGIN_API);
	if (!context || !context->imp || !session || !destination)
		return TEEC_ERROR_BAD_PARAMETERS;
	c = context->imp;
	optee_uuid_to_octets(t.uuid, destination->timeLow, destination->timeMid,
			     destination->timeHiAndVersion, destination->clockSeqAndNode);
	trace_fill_params(&t, operation);
	trace(c->drv, false, &t, 0, 0);
	session->imp = NULL;
	if (!login_ok(connectionMethod)) {
		res = TEEC_ERROR_BAD_PARAMETERS;
		goto out;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		res = TEEC_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	if (operation) {
		operation->session = session;
		operation->started = 1;
	}
	res = op_prepare(c, operation, &st, &origin);
	if (res != TEEC_SUCCESS) {
		free(s);
		goto out;
	}
	res = optee_drv_open_session(c->drv, t.uuid, connectionMethod, no_client, st.p,
				     TEEC_CONFIG_PAYLOAD_REF_COUNT, &id, &origin);
	op_finish(operation, &st, res, answered_by_tee(res, origin));
	if (res != TEEC_SUCCESS) {
		free(s);
		goto out;
	}
	s->ctx = c;
	s->id = id;
	pthread_mutex_lock(&c->lock);
	s->next = c->sessions;
	if (c->sessions)
		c->sessions->prev = s;
	c->sessions = s;
	c->n_sessions++;
	pthread_mutex_unlock(&c->lock);
	session->ctx = context;
	session->session_id = id;
	session->imp = s;
out:
	set_origin(returnOrigin, origin);
	t.session = id;
	trace(c->drv, true, &t, res, origin);
	return res;
}

void TEEC_CloseSession(TEEC_Session *session)
{
	struct optee_trace_op t = { .kind = OPTEE_TRACE_CLOSE_SESSION, .object = session };
	struct teec_session_impl *s;
	struct teec_context_impl *c;
	uint32_t origin;
	TEEC_Result res;

	if (!session || !session->imp)
		return;
	s = session->imp;
	c = s->ctx;
	t.context = session->ctx;
	t.session = s->id;
	trace(c->drv, false, &t, 0, 0);
	res = optee_drv_close_session(c->drv, s->id, &origin);
	pthread_mutex_lock(&c->lock);
	if (s->prev)
		s->prev->next = s->next;
	else
		c->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	c->n_sessions--;
	pthread_mutex_unlock(&c->lock);
	free(s);
	session->imp = NULL;
	trace(c->drv, true, &t, res, origin);
}

TEEC_Result TEEC_InvokeCommand(TEEC_Session *session, uint32_t commandID,
			       TEEC_Operation *operation, uint32_t *returnOrigin)
{
	struct optee_trace_op t = { .kind = OPTEE_TRACE_INVOKE, .object = session,
				    .command = commandID };
	struct teec_context_impl *c;
	struct op_state st;
	uint32_t origin = TEEC_ORIGIN_API;
	TEEC_Result res;

	set_origin(returnOrigin, TEEC_ORIGIN_API);
	if (!session || !session->imp)
		return TEEC_ERROR_BAD_PARAMETERS;
	c = session->imp->ctx;
	t.context = session->ctx;
	t.session = session->imp->id;
	trace_fill_params(&t, operation);
	trace(c->drv, false, &t, 0, 0);
	if (operation) {
		operation->session = session;
		operation->started = 1;
	}
	res = op_prepare(c, operation, &st, &origin);
	if (res == TEEC_SUCCESS) {
		res = optee_drv_invoke(c->drv, session->imp->id, commandID, 0, st.p,
				       TEEC_CONFIG_PAYLOAD_REF_COUNT, &origin);
		op_finish(operation, &st, res, answered_by_tee(res, origin));
	}
	set_origin(returnOrigin, origin);
	trace(c->drv, true, &t, res, origin);
	return res;
}

void TEEC_RequestCancellation(TEEC_Operation *operation)
{
	struct optee_trace_op t = { .kind = OPTEE_TRACE_CANCEL, .object = operation };
	TEEC_Session *session;
	struct teec_context_impl *c;
	uint32_t origin;
	TEEC_Result res;

	if (!operation || !operation->session || !operation->session->imp)
		return;
	session = operation->session;
	c = session->imp->ctx;
	t.context = session->ctx;
	t.session = session->imp->id;
	trace(c->drv, false, &t, 0, 0);
	/* Best effort, cancel id 0 as libteec: the secure world cancels what it can. */
	res = optee_drv_cancel(c->drv, session->imp->id, 0, &origin);
	trace(c->drv, true, &t, res, origin);
}
