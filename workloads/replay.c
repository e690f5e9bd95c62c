/* One guest's client programs replaying their trace ops through TEEC (see replay.h). */
#include "workloads/replay.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/common/errmsg.h"
#include "sim/common/optee_msg.h"
#include "sim/common/optee_pagelist.h"
#include "sim/common/optee_smc.h"
#include "sim/common/rng.h"
#include "sim/common/tee_result.h"
#include "sim/common/ts_err.h"
#include "sim/normal/include/tee_client_api.h"
#include "sim/normal/optee_drv.h"
#include "sim/normal/teec_sim.h"

/* A block the trace names: the TEEC object, and the client memory a registered one covers. */
struct block {
	TEEC_SharedMemory shm;
	bool live;               /* the TEEC call succeeded */
	void *mem;               /* REGISTER: the client's memory */
	paddr_t mem_ipa;         /* ... in guest RAM (0: heap, shadowed by the TEEC layer) */
	size_t mem_pages;
};

struct session {
	TEEC_Session s;
	bool live;
};

struct replay_vm {
	struct optee_drv *drv;
	uint16_t vm;
	uint64_t rng;            /* the data pattern's state */
	TEEC_Context ctx;
	bool ctx_live;
	struct session **sessions; /* by name, grown on demand */
	uint32_t n_sessions;
	struct block **blocks;
	uint32_t n_blocks;
	uint64_t raw_cookie;     /* cookies of hand-made registrations */
};

/* Fill with the VM's pattern: the same bytes on every replay of the trace. */
static void fill(struct replay_vm *v, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n) {
		uint64_t w = rng_next(&v->rng);
		size_t k = n < sizeof(w) ? n : sizeof(w);

		memcpy(p, &w, k);
		p += k;
		n -= k;
	}
}

int replay_vm_create(struct optee_drv *drv, uint16_t vm, uint64_t seed, struct replay_vm **out)
{
	struct replay_vm *v = calloc(1, sizeof(*v));

	*out = NULL;
	if (!v)
		return TS_ENOMEM;
	v->drv = drv;
	v->vm = vm;
	v->rng = (seed ^ ((uint64_t)vm << 48)) | 1u;
	v->raw_cookie = 0x7ee5000000000000ull | ((uint64_t)vm << 32);
	teec_set_default_driver(drv);
	if (TEEC_InitializeContext(NULL, &v->ctx) != TEEC_SUCCESS) {
		teec_set_default_driver(NULL);
		free(v);
		return TS_EIO;
	}
	teec_set_default_driver(NULL);
	v->ctx_live = true;
	*out = v;
	return 0;
}

/* The slot of name in a by-name table, grown to hold it.  NULL on ENOMEM. */
static void **slot(void ***table, uint32_t *n, uint32_t name, size_t item_bytes)
{
	if (name >= *n) {
		uint32_t m = *n ? *n : 16;
		void **t;

		while (m <= name)
			m *= 2;
		t = realloc(*table, m * sizeof(*t));
		if (!t)
			return NULL;
		memset(t + *n, 0, (m - *n) * sizeof(*t));
		*table = t;
		*n = m;
	}
	if (!(*table)[name] && !((*table)[name] = calloc(1, item_bytes)))
		return NULL;
	return &(*table)[name];
}

static struct session *session_of(struct replay_vm *v, uint32_t name)
{
	void **s = slot((void ***)&v->sessions, &v->n_sessions, name, sizeof(struct session));

	return s ? *s : NULL;
}

static struct block *block_of(struct replay_vm *v, uint32_t name)
{
	void **b = slot((void ***)&v->blocks, &v->n_blocks, name, sizeof(struct block));

	return b ? *b : NULL;
}

/* A failed TEEC call (or a differing result): counted, the first one described. */
static void outcome(struct replay_counts *c, const struct trace_op *op, const char *what,
		    TEEC_Result res)
{
	bool bad;

	if (op->has_expect) {
		bad = res != op->expect;
		c->divergences += bad;
	} else {
		bad = res != TEEC_SUCCESS;
		c->failures += bad;
	}
	if (bad && !c->first_failure[0])
		snprintf(c->first_failure, sizeof(c->first_failure), "line %u: %s: %s", op->line,
			 what, tee_result_name(res));
}

static void uuid_from_octets(TEEC_UUID *u, const uint8_t o[16])
{
	u->timeLow = (uint32_t)o[0] << 24 | (uint32_t)o[1] << 16 | (uint32_t)o[2] << 8 | o[3];
	u->timeMid = (uint16_t)(o[4] << 8 | o[5]);
	u->timeHiAndVersion = (uint16_t)(o[6] << 8 | o[7]);
	memcpy(u->clockSeqAndNode, o + 8, 8);
}

static void op_open(struct replay_vm *v, const struct trace_op *op, struct replay_counts *c,
		    struct session *s)
{
	TEEC_UUID uuid;
	uint32_t origin;
	TEEC_Result res;

	uuid_from_octets(&uuid, op->uuid);
	res = TEEC_OpenSession(&v->ctx, &s->s, &uuid, TEEC_LOGIN_PUBLIC, NULL, NULL, &origin);
	s->live = res == TEEC_SUCCESS;
	outcome(c, op, "open", res);
}

static void op_close(struct session *s)
{
	if (s->live)
		TEEC_CloseSession(&s->s);
	s->live = false;
}

static uint32_t mem_flags(uint32_t dir)
{
	return (dir & TRACE_DIR_IN ? TEEC_MEM_INPUT : 0) | (dir & TRACE_DIR_OUT ? TEEC_MEM_OUTPUT : 0);
}

/*
 * REGISTER over client memory in guest RAM, as a real client's pages are
 * (so the driver can register them without a shadow copy); from the heap
 * only when guest RAM has no contiguous run left.
 */
static void op_alloc_register(struct replay_vm *v, const struct trace_op *op,
			      struct replay_counts *c, struct block *b)
{
	TEEC_Result res;

	memset(&b->shm, 0, sizeof(b->shm));
	b->shm.size = op->size_bytes;
	b->shm.flags = mem_flags(op->dir);
	if (op->verb == TRACE_ALLOC) {
		res = TEEC_AllocateSharedMemory(&v->ctx, &b->shm);
		if (res == TEEC_SUCCESS)
			fill(v, b->shm.buffer, b->shm.size);
	} else {
		struct guest_mem *gm = optee_drv_mem(v->drv);
		size_t pages = (op->size_bytes + 4095) / 4096;

		pages = pages ? pages : 1;
		b->mem = NULL;
		b->mem_ipa = pa_init(0);
		if (!guest_mem_alloc_contig(gm, pages, &b->mem_ipa)) {
			b->mem = guest_mem_ptr(gm, b->mem_ipa, pages * 4096);
			b->mem_pages = pages;
		} else {
			b->mem = malloc(pages * 4096);
		}
		if (!b->mem) {
			res = TEEC_ERROR_OUT_OF_MEMORY;
		} else {
			fill(v, b->mem, op->size_bytes);
			b->shm.buffer = b->mem;
			res = TEEC_RegisterSharedMemory(&v->ctx, &b->shm);
		}
	}
	b->live = res == TEEC_SUCCESS;
	outcome(c, op, op->verb == TRACE_ALLOC ? "alloc" : "register", res);
}

static void op_release(struct replay_vm *v, struct block *b)
{
	if (b->live)
		TEEC_ReleaseSharedMemory(&b->shm);
	if (b->mem_pages)
		(void)guest_mem_free_contig(optee_drv_mem(v->drv), b->mem_ipa, b->mem_pages);
	else
		free(b->mem);
	memset(b, 0, sizeof(*b));
}

static uint32_t temp_type(uint32_t dir)
{
	return dir == TRACE_DIR_IN ? TEEC_MEMREF_TEMP_INPUT :
	       dir == TRACE_DIR_OUT ? TEEC_MEMREF_TEMP_OUTPUT : TEEC_MEMREF_TEMP_INOUT;
}

static uint32_t part_type(uint32_t dir)
{
	return dir == TRACE_DIR_IN ? TEEC_MEMREF_PARTIAL_INPUT :
	       dir == TRACE_DIR_OUT ? TEEC_MEMREF_PARTIAL_OUTPUT : TEEC_MEMREF_PARTIAL_INOUT;
}

static uint32_t value_type(uint32_t dir)
{
	return dir == TRACE_DIR_IN ? TEEC_VALUE_INPUT :
	       dir == TRACE_DIR_OUT ? TEEC_VALUE_OUTPUT : TEEC_VALUE_INOUT;
}

static int op_invoke(struct replay_vm *v, const struct trace_op *op, struct replay_counts *c,
		     struct session *s, char *err, size_t err_bytes)
{
	void *tmp[TRACE_MAX_PARAMS] = { NULL };
	uint32_t types[TRACE_MAX_PARAMS] = { TEEC_NONE, TEEC_NONE, TEEC_NONE, TEEC_NONE };
	TEEC_Operation top;
	TEEC_Result res = TEEC_SUCCESS;
	uint32_t origin, i;
	int rc = 0;

	memset(&top, 0, sizeof(top));
	for (i = 0; i < TRACE_MAX_PARAMS && res == TEEC_SUCCESS; i++) {
		const struct trace_param *p = &op->params[i];
		struct block *b;

		switch (p->kind) {
		case TRACE_P_NONE:
			break;
		case TRACE_P_VALUE:
			types[i] = value_type(p->dir);
			top.params[i].value.a = p->a;
			top.params[i].value.b = p->b;
			break;
		case TRACE_P_TMP:
			types[i] = temp_type(p->dir);
			tmp[i] = malloc(p->size_bytes ? p->size_bytes : 1);
			if (!tmp[i]) {
				rc = ts_errf(err, err_bytes, TS_ENOMEM, "line %u: out of memory",
					     op->line);
				goto out;
			}
			if (p->dir & TRACE_DIR_IN)
				fill(v, tmp[i], p->size_bytes);
			top.params[i].tmpref.buffer = tmp[i];
			top.params[i].tmpref.size = p->size_bytes;
			break;
		case TRACE_P_NULL:
			types[i] = temp_type(p->dir);
			top.params[i].tmpref.size = p->size_bytes;
			break;
		case TRACE_P_WHOLE:
		case TRACE_P_PART:
			b = block_of(v, p->shm);
			if (!b || !b->live) {
				res = TEEC_ERROR_BAD_STATE; /* its alloc/register failed earlier */
				break;
			}
			types[i] = p->kind == TRACE_P_WHOLE ? TEEC_MEMREF_WHOLE : part_type(p->dir);
			top.params[i].memref.parent = &b->shm;
			top.params[i].memref.offset = p->offset_bytes;
			top.params[i].memref.size = p->size_bytes;
			break;
		}
	}
	if (res == TEEC_SUCCESS && !s->live)
		res = TEEC_ERROR_BAD_STATE; /* its open failed earlier */
	if (res == TEEC_SUCCESS) {
		top.paramTypes = TEEC_PARAM_TYPES(types[0], types[1], types[2], types[3]);
		res = TEEC_InvokeCommand(&s->s, op->cmd, &top, &origin);
	}
	outcome(c, op, "invoke", res);
out:
	for (i = 0; i < TRACE_MAX_PARAMS; i++)
		free(tmp[i]);
	return rc;
}

/* A REGISTER_SHM whose page list the trace wrote by hand (then UNREGISTER_SHM if it took). */
static int op_raw_pagelist(struct replay_vm *v, const struct trace_op *op,
			   struct replay_counts *c, char *err, size_t err_bytes)
{
	struct guest_mem *gm = optee_drv_mem(v->drv);
	size_t n_list = optee_pagelist_list_pages(op->n_pages);
	struct pa_accessor acc = guest_mem_accessor(gm);
	paddr_t *pages = calloc(op->n_pages ? op->n_pages : 1, sizeof(*pages));
	paddr_t *list = calloc(n_list ? n_list : 1, sizeof(*list));
	paddr_t arg_ipa = pa_init(0);
	bool have_arg = false, have_list = false;
	struct optee_msg_arg *arg;
	struct smc_regs regs;
	uint64_t cookie = ++v->raw_cookie;
	TEEC_Result res = TEEC_ERROR_OUT_OF_MEMORY;
	uint32_t i;
	int rc = 0;

	if (!pages || !list)
		goto out;
	for (i = 0; i < op->n_pages; i++)
		pages[i] = pa_init(op->pages[i]);
	have_arg = !guest_mem_alloc_contig(gm, 1, &arg_ipa);
	have_list = n_list && have_arg && !guest_mem_alloc_scattered(gm, n_list, list);
	if (!have_arg || (n_list && !have_list))
		goto out;
	/* The list holds whatever the trace says, our guest's pages or not: bad input on purpose. */
	if (n_list && optee_pagelist_write(&acc, list, n_list, pages, op->n_pages))
		goto out;
	arg = guest_mem_ptr(gm, arg_ipa, 4096);
	memset(arg, 0, OPTEE_MSG_GET_ARG_SIZE(1));
	arg->cmd = OPTEE_MSG_CMD_REGISTER_SHM;
	arg->num_params = 1;
	arg->params[0].attr = OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG;
	arg->params[0].u.tmem.buf_ptr = n_list ? pa_addr(list[0]) : 0;
	arg->params[0].u.tmem.size = op->size_bytes;
	arg->params[0].u.tmem.shm_ref = cookie;
	memset(&regs, 0, sizeof(regs));
	regs.a[0] = OPTEE_SMC_CALL_WITH_ARG;
	regs.a[1] = optee_smc_u64_high(pa_addr(arg_ipa));
	regs.a[2] = optee_smc_u64_low(pa_addr(arg_ipa));
	if ((rc = optee_drv_raw_smc(v->drv, &regs))) {
		rc = ts_errf(err, err_bytes, rc, "line %u: raw pagelist: transport failed", op->line);
		goto out;
	}
	res = (uint32_t)regs.a[0] == OPTEE_SMC_RETURN_OK ? arg->ret : TEEC_ERROR_COMMUNICATION;
	if (res == TEEC_SUCCESS) {
		memset(arg, 0, OPTEE_MSG_GET_ARG_SIZE(1));
		arg->cmd = OPTEE_MSG_CMD_UNREGISTER_SHM;
		arg->num_params = 1;
		arg->params[0].attr = OPTEE_MSG_ATTR_TYPE_RMEM_INPUT;
		arg->params[0].u.rmem.shm_ref = cookie;
		regs.a[0] = OPTEE_SMC_CALL_WITH_ARG;
		regs.a[1] = optee_smc_u64_high(pa_addr(arg_ipa));
		regs.a[2] = optee_smc_u64_low(pa_addr(arg_ipa));
		regs.a[3] = 0;
		(void)optee_drv_raw_smc(v->drv, &regs);
	}
out:
	c->raw_smcs++;
	outcome(c, op, "raw pagelist", res);
	if (have_arg)
		(void)guest_mem_free_contig(gm, arg_ipa, 1);
	if (have_list)
		(void)guest_mem_free_pages(gm, list, n_list);
	free(pages);
	free(list);
	return rc;
}

int replay_vm_op(struct replay_vm *v, const struct trace_op *op, struct replay_counts *c,
		 char *err, size_t err_bytes)
{
	struct session *s = NULL;
	struct block *b = NULL;
	struct smc_regs regs;
	uint32_t i;

	c->ops++;
	switch (op->verb) {
	case TRACE_OPEN:
	case TRACE_CLOSE:
	case TRACE_INVOKE:
		s = session_of(v, op->name);
		break;
	case TRACE_ALLOC:
	case TRACE_REGISTER:
	case TRACE_RELEASE:
		b = block_of(v, op->name);
		break;
	default:
		break;
	}
	if ((op->verb == TRACE_OPEN || op->verb == TRACE_CLOSE || op->verb == TRACE_INVOKE) && !s)
		return ts_errf(err, err_bytes, TS_ENOMEM, "line %u: out of memory", op->line);
	if ((op->verb == TRACE_ALLOC || op->verb == TRACE_REGISTER || op->verb == TRACE_RELEASE) && !b)
		return ts_errf(err, err_bytes, TS_ENOMEM, "line %u: out of memory", op->line);
	switch (op->verb) {
	case TRACE_OPEN:
		op_open(v, op, c, s);
		return 0;
	case TRACE_CLOSE:
		op_close(s);
		return 0;
	case TRACE_ALLOC:
	case TRACE_REGISTER:
		op_alloc_register(v, op, c, b);
		return 0;
	case TRACE_RELEASE:
		op_release(v, b);
		return 0;
	case TRACE_INVOKE:
		return op_invoke(v, op, c, s, err, err_bytes);
	case TRACE_SLEEP:
		c->sleeps_skipped++;
		return 0;
	case TRACE_RAW_SMC:
		memset(&regs, 0, sizeof(regs));
		for (i = 0; i < op->n_raw; i++)
			regs.a[i] = op->raw[i];
		c->raw_smcs++;
		if (optee_drv_raw_smc(v->drv, &regs))
			return ts_errf(err, err_bytes, TS_EIO, "line %u: raw smc: transport failed",
				       op->line);
		return 0;
	case TRACE_RAW_PAGELIST:
		return op_raw_pagelist(v, op, c, err, err_bytes);
	default:
		return ts_errf(err, err_bytes, TS_EINVAL, "line %u: not a client op", op->line);
	}
}

static void free_tables(struct replay_vm *v)
{
	uint32_t i;

	for (i = 0; i < v->n_sessions; i++)
		free(v->sessions[i]);
	for (i = 0; i < v->n_blocks; i++)
		free(v->blocks[i]);
	free(v->sessions);
	free(v->blocks);
	free(v);
}

void replay_vm_destroy(struct replay_vm *v)
{
	uint32_t i;

	if (!v)
		return;
	/* After a crash the conduit answers nothing: these calls then only free memory here. */
	for (i = 0; i < v->n_sessions; i++)
		if (v->sessions[i])
			op_close(v->sessions[i]);
	for (i = 0; i < v->n_blocks; i++)
		if (v->blocks[i])
			op_release(v, v->blocks[i]);
	if (v->ctx_live)
		TEEC_FinalizeContext(&v->ctx);
	free_tables(v);
}
