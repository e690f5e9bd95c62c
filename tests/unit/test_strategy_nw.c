/*
 * The normal-world strategy seam: the driver refuses strategies it cannot
 * run (before any SMC), and the "dynamic" half's counters follow a known
 * sequence of TEEC calls exactly -- bounces, bytes copied, arg buffers, RPC
 * buffers -- next to the driver's own counters, which pin today's SMC
 * traffic.  A small fake secure world answers registration, an XOR command
 * over two memrefs and a tour of buffer RPCs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sim/common/optee_msg.h"
#include "sim/common/optee_pagelist.h"
#include "sim/common/optee_rpc_cmd.h"
#include "sim/common/optee_smc.h"
#include "sim/common/strategy.h"
#include "sim/common/tee_result.h"
#include "sim/common/ts_err.h"
#include "sim/normal/guest_mem.h"
#include "sim/normal/include/tee_client_api.h"
#include "sim/normal/optee_drv.h"
#include "sim/normal/strategy_nw.h"
#include "sim/normal/teec_sim.h"

#define IPA_BASE 0x40000000ull
#define RAM_PAGES 256u
#define FAKE_THREAD 0x31u
#define CMD_XOR 1      /* p0 memref in, p1 memref out: out = in ^ 0x5A, p1 size = p0 size */
#define CMD_RPC_TOUR 2 /* SHM_ALLOC, SHM_FREE, RPC_ALLOC, RPC_FREE */
#define TOUR_SHM_BYTES (3u * 4096u + 5u)
#define TOUR_ARG_BYTES 256u
#define MAX_REG 16u
#define MAX_REG_PAGES 64u

struct fake_reg {
	uint64_t cookie;
	paddr_t pages[MAX_REG_PAGES];
	uint64_t offset, size;
};

struct fake {
	struct guest_mem *gm;
	uint32_t caps;
	uint32_t rpc_params;
	unsigned smcs;
	uint32_t last_call_func;
	struct fake_reg reg[MAX_REG];
	size_t n_reg;
	/* the RPC tour in progress */
	bool in_call;
	unsigned step;
	uint64_t arg_ipa, rpc_arg_ipa, cookie;
	unsigned errors;
};

#define FAKE_CHECK(f, cond)          \
	do {                         \
		if (!(cond))         \
			(f)->errors++; \
	} while (0)

static struct optee_msg_arg *arg_at(struct fake *f, uint64_t ipa, uint32_t n_params)
{
	return guest_mem_ptr(f->gm, pa_init(ipa), OPTEE_MSG_GET_ARG_SIZE(n_params));
}

static struct fake_reg *reg_find(struct fake *f, uint64_t cookie)
{
	size_t i;

	for (i = 0; i < f->n_reg; i++)
		if (f->reg[i].cookie == cookie)
			return &f->reg[i];
	return NULL;
}

static uint8_t *reg_byte(struct fake *f, struct fake_reg *r, uint64_t i)
{
	uint64_t abs = r->offset + i;

	return (uint8_t *)guest_mem_ptr(f->gm, r->pages[abs / 4096], 4096) + abs % 4096;
}

static uint32_t do_register(struct fake *f, struct optee_msg_param *p, uint32_t n)
{
	struct pa_accessor acc = guest_mem_accessor(f->gm);
	struct optee_pagelist_parsed parsed;
	struct fake_reg *r;

	FAKE_CHECK(f, n == 1 && p[0].attr == (OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT |
					       OPTEE_MSG_ATTR_NONCONTIG));
	if (f->n_reg == MAX_REG)
		return TEE_ERROR_OUT_OF_MEMORY;
	r = &f->reg[f->n_reg];
	if (optee_pagelist_read(&acc, p[0].u.tmem.buf_ptr, p[0].u.tmem.size, r->pages,
				MAX_REG_PAGES, &parsed))
		return TEE_ERROR_BAD_PARAMETERS;
	r->cookie = p[0].u.tmem.shm_ref;
	r->offset = parsed.offset_bytes;
	r->size = p[0].u.tmem.size;
	f->n_reg++;
	return TEE_SUCCESS;
}

static uint32_t do_unregister(struct fake *f, struct optee_msg_param *p, uint32_t n)
{
	struct fake_reg *r;

	FAKE_CHECK(f, n == 1 && p[0].attr == OPTEE_MSG_ATTR_TYPE_RMEM_INPUT);
	r = reg_find(f, p[0].u.rmem.shm_ref);
	if (!r)
		return TEE_ERROR_ITEM_NOT_FOUND;
	*r = f->reg[--f->n_reg];
	return TEE_SUCCESS;
}

static bool is_rmem(uint32_t attr)
{
	return attr >= OPTEE_MSG_ATTR_TYPE_RMEM_INPUT && attr <= OPTEE_MSG_ATTR_TYPE_RMEM_INOUT;
}

static uint32_t do_xor(struct fake *f, struct optee_msg_param *p, uint32_t n)
{
	struct fake_reg *in, *out;
	uint64_t i;

	if (n < 2 || !is_rmem(p[0].attr) || !is_rmem(p[1].attr))
		return TEE_ERROR_BAD_PARAMETERS;
	in = reg_find(f, p[0].u.rmem.shm_ref);
	out = reg_find(f, p[1].u.rmem.shm_ref);
	if (!in || !out || p[0].u.rmem.offs + p[0].u.rmem.size > in->size ||
	    p[1].u.rmem.offs + p[1].u.rmem.size > out->size)
		return TEE_ERROR_BAD_PARAMETERS;
	if (p[1].u.rmem.size < p[0].u.rmem.size) {
		p[1].u.rmem.size = p[0].u.rmem.size;
		return TEE_ERROR_SHORT_BUFFER;
	}
	for (i = 0; i < p[0].u.rmem.size; i++)
		*reg_byte(f, out, p[1].u.rmem.offs + i) =
			*reg_byte(f, in, p[0].u.rmem.offs + i) ^ 0x5A;
	p[1].u.rmem.size = p[0].u.rmem.size;
	return TEE_SUCCESS;
}

/* An RPC_CMD through the RPC arg that follows the call arg (RPC_ARG). */
static void send_cmd(struct fake *f, struct smc_regs *regs, uint32_t cmd, uint64_t a,
		     uint64_t b)
{
	struct optee_msg_arg *ra = arg_at(f, f->rpc_arg_ipa, 1);

	memset(ra, 0, OPTEE_MSG_GET_ARG_SIZE(1));
	ra->cmd = cmd;
	ra->num_params = 1;
	ra->ret = 0xdead;
	ra->params[0].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	ra->params[0].u.value.a = a;
	ra->params[0].u.value.b = b;
	memset(regs, 0, sizeof(*regs));
	regs->a[0] = OPTEE_SMC_RPC_VAL(OPTEE_SMC_RPC_FUNC_CMD);
	regs->a[3] = FAKE_THREAD;
}

/* One step of the tour per SMC; true when the call is over. */
static bool tour(struct fake *f, struct smc_regs *regs)
{
	struct optee_msg_arg *ra = arg_at(f, f->rpc_arg_ipa, 1);
	uint64_t cookie;

	switch (f->step++) {
	case 0:
		send_cmd(f, regs, OPTEE_RPC_CMD_SHM_ALLOC, OPTEE_RPC_SHM_TYPE_APPL, TOUR_SHM_BYTES);
		return false;
	case 1:
		FAKE_CHECK(f, ra->ret == TEE_SUCCESS &&
				      ra->params[0].attr == (OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT |
							     OPTEE_MSG_ATTR_NONCONTIG) &&
				      ra->params[0].u.tmem.size == TOUR_SHM_BYTES);
		send_cmd(f, regs, OPTEE_RPC_CMD_SHM_FREE, OPTEE_RPC_SHM_TYPE_APPL,
			 ra->params[0].u.tmem.shm_ref);
		return false;
	case 2:
		FAKE_CHECK(f, ra->ret == TEE_SUCCESS);
		memset(regs, 0, sizeof(*regs));
		regs->a[0] = OPTEE_SMC_RETURN_RPC_ALLOC;
		regs->a[1] = TOUR_ARG_BYTES;
		regs->a[3] = FAKE_THREAD;
		return false;
	case 3:
		FAKE_CHECK(f, optee_smc_reg_pair_to_u64((uint32_t)regs->a[1],
							(uint32_t)regs->a[2]) != 0);
		cookie = optee_smc_reg_pair_to_u64((uint32_t)regs->a[4], (uint32_t)regs->a[5]);
		FAKE_CHECK(f, cookie != 0);
		memset(regs, 0, sizeof(*regs));
		regs->a[0] = OPTEE_SMC_RETURN_RPC_FREE;
		regs->a[1] = optee_smc_u64_high(cookie);
		regs->a[2] = optee_smc_u64_low(cookie);
		regs->a[3] = FAKE_THREAD;
		return false;
	default:
		return true;
	}
}

static int fake_call(void *ctx, struct smc_regs *regs)
{
	struct fake *f = ctx;
	uint32_t a0 = (uint32_t)regs->a[0], n, ret = TEE_SUCCESS;
	struct optee_msg_param p[OPTEE_DRV_MAX_PARAMS + 2];
	struct optee_msg_arg *arg;

	f->smcs++;
	switch (a0) {
	case OPTEE_SMC_EXCHANGE_CAPABILITIES:
		regs->a[0] = OPTEE_SMC_RETURN_OK;
		regs->a[1] = f->caps;
		regs->a[3] = f->rpc_params;
		return 0;
	case OPTEE_SMC_GET_THREAD_COUNT:
		regs->a[0] = OPTEE_SMC_RETURN_OK;
		regs->a[1] = 2;
		return 0;
	case OPTEE_SMC_CALL_RETURN_FROM_RPC:
		FAKE_CHECK(f, f->in_call && regs->a[3] == FAKE_THREAD);
		if (!f->in_call || !tour(f, regs))
			return 0;
		arg = arg_at(f, f->arg_ipa, 0);
		arg->ret = TEE_SUCCESS;
		arg->ret_origin = TEE_ORIGIN_TRUSTED_APP;
		f->in_call = false;
		regs->a[0] = OPTEE_SMC_RETURN_OK;
		return 0;
	case OPTEE_SMC_CALL_WITH_ARG:
	case OPTEE_SMC_CALL_WITH_RPC_ARG:
		f->last_call_func = a0;
		f->arg_ipa = optee_smc_reg_pair_to_u64((uint32_t)regs->a[1], (uint32_t)regs->a[2]);
		arg = arg_at(f, f->arg_ipa, 0);
		FAKE_CHECK(f, arg != NULL && !f->in_call);
		if (!arg) {
			regs->a[0] = OPTEE_SMC_RETURN_EBADADDR;
			return 0;
		}
		n = arg->num_params;
		FAKE_CHECK(f, n <= OPTEE_DRV_MAX_PARAMS + 2);
		if (n > OPTEE_DRV_MAX_PARAMS + 2) {
			regs->a[0] = OPTEE_SMC_RETURN_EBADADDR;
			return 0;
		}
		memcpy(p, arg->params, n * sizeof(p[0]));
		switch (arg->cmd) {
		case OPTEE_MSG_CMD_REGISTER_SHM:
			ret = do_register(f, p, n);
			break;
		case OPTEE_MSG_CMD_UNREGISTER_SHM:
			ret = do_unregister(f, p, n);
			break;
		case OPTEE_MSG_CMD_OPEN_SESSION:
			arg->session = 9;
			break;
		case OPTEE_MSG_CMD_CLOSE_SESSION:
			break;
		case OPTEE_MSG_CMD_INVOKE_COMMAND:
			if (arg->func == CMD_XOR) {
				ret = do_xor(f, p, n);
			} else if (arg->func == CMD_RPC_TOUR) {
				FAKE_CHECK(f, a0 == OPTEE_SMC_CALL_WITH_RPC_ARG);
				f->rpc_arg_ipa = f->arg_ipa + OPTEE_MSG_GET_ARG_SIZE(n);
				f->in_call = true;
				f->step = 0;
				tour(f, regs);
				return 0;
			} else {
				ret = TEE_ERROR_NOT_IMPLEMENTED;
			}
			break;
		default:
			regs->a[0] = OPTEE_SMC_RETURN_EBADCMD;
			return 0;
		}
		memcpy(arg->params, p, n * sizeof(p[0]));
		arg->ret = ret;
		arg->ret_origin = TEE_ORIGIN_TRUSTED_APP;
		regs->a[0] = OPTEE_SMC_RETURN_OK;
		return 0;
	default:
		regs->a[0] = OPTEE_SMC_RETURN_UNKNOWN_FUNCTION;
		return 0;
	}
}

struct rig {
	void *host;
	struct guest_mem gm;
	struct fake fake;
	struct smc_conduit conduit;
	struct optee_drv_config cfg;
	struct optee_drv *drv;
	char err[160];
};

#define CAPS (OPTEE_SMC_SEC_CAP_DYNAMIC_SHM | OPTEE_SMC_SEC_CAP_MEMREF_NULL | \
	      OPTEE_SMC_SEC_CAP_RPC_ARG)

/* Guest RAM, the fake and a config; the driver is not created yet. */
static void rig_init(struct rig *g)
{
	memset(g, 0, sizeof(*g));
	g->host = aligned_alloc(4096, RAM_PAGES * 4096);
	assert_non_null(g->host);
	assert_int_equal(guest_mem_init(&g->gm, pa_init(IPA_BASE), g->host, RAM_PAGES * 4096),
			 0);
	g->fake.gm = &g->gm;
	g->fake.caps = CAPS;
	g->fake.rpc_params = 4;
	g->conduit.call = fake_call;
	g->conduit.ctx = &g->fake;
	g->cfg.mem = &g->gm;
	g->cfg.conduits = &g->conduit;
	g->cfg.n_conduits = 1;
	g->cfg.err = g->err;
	g->cfg.err_bytes = sizeof(g->err);
}

static void rig_fini(struct rig *g)
{
	struct guest_mem_stats st;

	if (g->drv) {
		assert_int_equal(optee_drv_check(g->drv), 0);
		optee_drv_destroy(g->drv);
	}
	guest_mem_get_stats(&g->gm, &st);
	assert_int_equal(st.pages_in_use, 0);
	assert_int_equal(g->fake.errors, 0);
	assert_int_equal(g->fake.n_reg, 0);
	guest_mem_fini(&g->gm);
	free(g->host);
}

/* Unknown ids are refused, with a reason, before any SMC; every known one has a normal half. */
static void test_unknown_strategy_refused(void **state)
{
	static const struct {
		int id;
		int rc;
		const char *says;
	} cases[] = {
		{ STRATEGY_COUNT, TS_EINVAL, "unknown strategy" },
		{ -1, TS_EINVAL, "unknown strategy" },
		{ 1000, TS_EINVAL, "unknown strategy" },
	};
	struct strategy_params p;
	struct optee_drv *drv = NULL;
	struct rig g;
	size_t i;

	(void)state;
	rig_init(&g);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strategy_params_default(STRATEGY_DYNAMIC, &p);
		p.id = (enum strategy_id)cases[i].id;
		g.cfg.strategy = &p;
		g.err[0] = '\0';
		assert_int_equal(optee_drv_create(&g.cfg, &drv), cases[i].rc);
		assert_non_null(strstr(g.err, cases[i].says));
		assert_null(nw_strategy_lookup(p.id));
		assert_int_equal(nw_strategy_available(p.id, NULL, 0), cases[i].rc);
	}
	assert_null(drv);
	assert_int_equal(g.fake.smcs, 0);
	for (i = 0; i < STRATEGY_COUNT; i++) {
		assert_non_null(nw_strategy_lookup((enum strategy_id)i));
		assert_int_equal(nw_strategy_available((enum strategy_id)i, NULL, 0), 0);
	}

	/* dynamic, by name and by default, is accepted and reported. */
	strategy_params_default((enum strategy_id)strategy_find("dynamic"), &p);
	g.cfg.strategy = &p;
	assert_int_equal(optee_drv_create(&g.cfg, &g.drv), 0);
	assert_int_equal(optee_drv_get_info(g.drv)->strategy, STRATEGY_DYNAMIC);
	assert_string_equal(g.err, "");
	assert_string_equal(optee_drv_strategy(g.drv)->ops->name, "dynamic");
	optee_drv_destroy(g.drv);
	g.cfg.strategy = NULL;
	g.cfg.err = NULL; /* no message wanted: still refused or accepted the same */
	assert_int_equal(optee_drv_create(&g.cfg, &g.drv), 0);
	assert_int_equal(optee_drv_get_info(g.drv)->strategy, STRATEGY_DYNAMIC);
	rig_fini(&g);
}

static void assert_books_empty(struct optee_drv *drv)
{
	struct optee_drv_stats st;

	optee_drv_get_stats(drv, &st);
	assert_int_equal(st.shm_live, 0);
	assert_int_equal(st.pages_held, 0);
	assert_int_equal(st.shm_registered, 0);
	assert_int_equal(optee_drv_check(drv), 0);
}

/*
 * A known TEEC sequence gives exactly the dynamic half's counts: one bounce
 * per TEMP memref with its bytes copied in (INPUT/INOUT) and out (success
 * only), shadow copies of the requested windows, one arg buffer per message,
 * and one RPC buffer per RPC_ALLOC / SHM_ALLOC -- with today's SMC traffic.
 */
static void test_dynamic_counters_teec_sequence(void **state)
{
	TEEC_UUID uuid = { 1, 2, 3, { 4 } };
	uint8_t in[300], out[500], inout[1000], small[10], sh_in[200], sh_out[200];
	TEEC_SharedMemory shm_in = { .buffer = sh_in, .size = sizeof(sh_in),
				     .flags = TEEC_MEM_INPUT };
	TEEC_SharedMemory shm_out = { .buffer = sh_out, .size = sizeof(sh_out),
				      .flags = TEEC_MEM_OUTPUT };
	TEEC_SharedMemory shm_alloc = { .size = 5000, .flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT };
	struct optee_drv_stats st;
	TEEC_Operation op;
	TEEC_Context ctx;
	TEEC_Session sess;
	uint32_t origin;
	struct rig g;
	size_t i;

	(void)state;
	rig_init(&g);
	assert_int_equal(optee_drv_create(&g.cfg, &g.drv), 0);
	teec_set_default_driver(g.drv);
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7);
	for (i = 0; i < sizeof(inout); i++)
		inout[i] = (uint8_t)i;
	for (i = 0; i < sizeof(sh_in); i++)
		sh_in[i] = (uint8_t)(i + 1);
	memset(out, 0, sizeof(out));
	memset(sh_out, 0, sizeof(sh_out));

	assert_int_equal(TEEC_InitializeContext(NULL, &ctx), TEEC_SUCCESS);
	assert_int_equal(TEEC_OpenSession(&ctx, &sess, &uuid, TEEC_LOGIN_PUBLIC, NULL, NULL,
					  &origin), TEEC_SUCCESS);             /* 1 message */
	optee_drv_get_stats(g.drv, &st);
	assert_int_equal(st.arg_buffers, 1);
	assert_int_equal(st.temp_bounces, 0);
	assert_int_equal(g.fake.last_call_func, OPTEE_SMC_CALL_WITH_RPC_ARG);

	/* Two TEMPs: 300 bytes in, 300 of 500 bytes back.  REG, REG, INVOKE, UNREG, UNREG. */
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = in;
	op.params[0].tmpref.size = sizeof(in);
	op.params[1].tmpref.buffer = out;
	op.params[1].tmpref.size = sizeof(out);
	assert_int_equal(TEEC_InvokeCommand(&sess, CMD_XOR, &op, &origin), TEEC_SUCCESS);
	for (i = 0; i < sizeof(in); i++)
		assert_int_equal(out[i], in[i] ^ 0x5A);
	assert_int_equal(out[sizeof(in)], 0);
	assert_int_equal(op.params[1].tmpref.size, sizeof(in));
	optee_drv_get_stats(g.drv, &st);
	assert_int_equal(st.temp_bounces, 2);
	assert_int_equal(st.temp_bytes_in, 300);
	assert_int_equal(st.temp_bytes_out, 300);
	assert_int_equal(st.arg_buffers, 6);
	assert_int_equal(st.registrations, 2);
	assert_int_equal(st.unregistrations, 2);
	assert_books_empty(g.drv);

	/* INOUT copies in; SHORT_BUFFER copies nothing back but the size. */
	memset(small, 0x11, sizeof(small));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INOUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = inout;
	op.params[0].tmpref.size = sizeof(inout);
	op.params[1].tmpref.buffer = small;
	op.params[1].tmpref.size = sizeof(small);
	assert_int_equal(TEEC_InvokeCommand(&sess, CMD_XOR, &op, &origin),
			 TEEC_ERROR_SHORT_BUFFER);
	assert_int_equal(op.params[1].tmpref.size, sizeof(inout));
	for (i = 0; i < sizeof(small); i++)
		assert_int_equal(small[i], 0x11);
	optee_drv_get_stats(g.drv, &st);
	assert_int_equal(st.temp_bounces, 4);
	assert_int_equal(st.temp_bytes_in, 1300);
	assert_int_equal(st.temp_bytes_out, 300);
	assert_int_equal(st.arg_buffers, 11);
	assert_books_empty(g.drv);

	/* Client memory outside guest RAM: shadows, copied for the windows the call names. */
	assert_int_equal(TEEC_RegisterSharedMemory(&ctx, &shm_in), TEEC_SUCCESS);
	assert_int_equal(TEEC_RegisterSharedMemory(&ctx, &shm_out), TEEC_SUCCESS);
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INPUT, TEEC_MEMREF_PARTIAL_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = &shm_in;
	op.params[0].memref.offset = 10;
	op.params[0].memref.size = 100;
	op.params[1].memref.parent = &shm_out;
	op.params[1].memref.offset = 0;
	op.params[1].memref.size = 150;
	assert_int_equal(TEEC_InvokeCommand(&sess, CMD_XOR, &op, &origin), TEEC_SUCCESS);
	for (i = 0; i < 100; i++)
		assert_int_equal(sh_out[i], sh_in[10 + i] ^ 0x5A);
	assert_int_equal(sh_out[100], 0);
	optee_drv_get_stats(g.drv, &st);
	assert_int_equal(st.client_registrations, 2);
	assert_int_equal(st.shadow_bytes_in, 100);
	assert_int_equal(st.shadow_bytes_out, 100);
	assert_int_equal(st.temp_bounces, 4);
	assert_int_equal(st.arg_buffers, 14);

	/* An allocated block is the client's memory itself: registered, never copied. */
	assert_int_equal(TEEC_AllocateSharedMemory(&ctx, &shm_alloc), TEEC_SUCCESS);
	optee_drv_get_stats(g.drv, &st);
	assert_int_equal(st.client_registrations, 3);
	assert_int_equal(st.shm_registered, 3);
	assert_int_equal(st.arg_buffers, 15);

	/* Buffer RPCs: SHM_ALLOC (scattered) and RPC_ALLOC (an RPC arg), each given back. */
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_NONE, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	assert_int_equal(TEEC_InvokeCommand(&sess, CMD_RPC_TOUR, &op, &origin), TEEC_SUCCESS);
	optee_drv_get_stats(g.drv, &st);
	assert_int_equal(st.rpc_buffers, 2);
	assert_int_equal(st.rpc_buffer_bytes, TOUR_SHM_BYTES + TOUR_ARG_BYTES);
	assert_int_equal(st.rpc_alloc, 1);
	assert_int_equal(st.rpc_free, 1);
	assert_int_equal(st.rpc_cmd_shm_alloc, 1);
	assert_int_equal(st.rpc_cmd_shm_free, 1);
	assert_int_equal(st.rpc_shm_live, 0);
	assert_int_equal(st.arg_buffers, 16);

	TEEC_ReleaseSharedMemory(&shm_in);
	TEEC_ReleaseSharedMemory(&shm_out);
	TEEC_ReleaseSharedMemory(&shm_alloc);
	TEEC_CloseSession(&sess);
	TEEC_FinalizeContext(&ctx);
	teec_set_default_driver(NULL);

	optee_drv_get_stats(g.drv, &st);
	/* The whole sequence: 20 messages, 4 RPC resumes, 2 fast calls at probe. */
	assert_int_equal(st.calls, 20);
	assert_int_equal(st.arg_buffers, 20);
	assert_int_equal(st.smc, 2 + 20 + 4);
	assert_int_equal(g.fake.smcs, 2 + 20 + 4);
	assert_int_equal(st.fast_calls, 2);
	assert_int_equal(st.rpc, 4);
	assert_int_equal(st.registrations, 4 + 3);
	assert_int_equal(st.unregistrations, 4 + 3);
	assert_int_equal(st.temp_bounces, 4);
	assert_int_equal(st.temp_bytes_in, 1300);
	assert_int_equal(st.temp_bytes_out, 300);
	assert_int_equal(st.shadow_bytes_in, 100);
	assert_int_equal(st.shadow_bytes_out, 100);
	assert_int_equal(st.bytes_copied, 1300 + 300 + 100 + 100);
	assert_int_equal(st.client_registrations, 3);
	assert_books_empty(g.drv);
	rig_fini(&g);
}

/* Told not to use RPC_ARG, dynamic issues CALL_WITH_ARG with an arg buffer per message. */
static void test_dynamic_no_rpc_arg(void **state)
{
	struct optee_drv_stats st;
	uint8_t uuid[16] = { 5 };
	uint32_t origin, session;
	struct rig g;

	(void)state;
	rig_init(&g);
	g.cfg.no_rpc_arg = true;
	assert_int_equal(optee_drv_create(&g.cfg, &g.drv), 0);
	assert_int_equal(optee_drv_open_session(g.drv, uuid, 0, NULL, NULL, 0, &session, &origin),
			 TEE_SUCCESS);
	assert_int_equal(g.fake.last_call_func, OPTEE_SMC_CALL_WITH_ARG);
	assert_int_equal(optee_drv_close_session(g.drv, session, &origin), TEE_SUCCESS);
	optee_drv_get_stats(g.drv, &st);
	assert_int_equal(st.arg_buffers, 2);
	assert_int_equal(st.bytes_copied, 0);
	assert_books_empty(g.drv);
	rig_fini(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_strategy_refused),
		cmocka_unit_test(test_dynamic_counters_teec_sequence),
		cmocka_unit_test(test_dynamic_no_rpc_arg),
	};

	return cmocka_run_group_tests_name("strategy_nw", tests, NULL, NULL);
}
