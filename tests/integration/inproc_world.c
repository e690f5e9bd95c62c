/*
 * The in-process worlds of the integration tests (inproc_world.h): one copy
 * of the bring-up and tear-down every such test used to spell out.  Setup
 * steps assert success, so a broken world fails the test that asked for it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sim/common/optee_smc.h"
#include "sim/common/ta_ids.h"
#include "sim/normal/teec_sim.h"
#include "tests/integration/inproc_world.h"

/* Room for every non-secure region of a layout with INPROC_MAX_GUESTS guests. */
#define NS_REGIONS_MAX (INPROC_MAX_GUESTS + 8)

static void dram_up(uint32_t n_guests, uint64_t guest_ram_bytes, struct dram **out)
{
	struct dram_config dc;
	char err[256] = "";

	dram_config_default(&dc);
	dc.n_guests = n_guests;
	dc.guest_ram_bytes = guest_ram_bytes;
	if (dram_create(&dc, out, err, sizeof(err))) {
		print_error("dram_create: %s\n", err);
		fail();
	}
}

/* Boot the secure world on sc under the strategy params->id. */
static void sw_up(struct sw_config sc, const struct strategy_params *params,
		  const struct dram *dram, struct secure_world **out)
{
	char err[256] = "";

	sc.strategy = strategy_name(params->id);
	sc.strategy_params = params;
	if (sw_create(&sc, dram, out, err, sizeof(err))) {
		print_error("sw_create: %s\n", err);
		fail();
	}
}

static void drv_up(struct optee_drv_config *nc, struct optee_drv **out)
{
	char err[256] = "";

	nc->err = err;
	nc->err_bytes = sizeof(err);
	if (optee_drv_create(nc, out)) {
		print_error("optee_drv_create: %s\n", err);
		fail();
	}
}

/* ---- Lone normal world ---- */

void inproc_lone_cfg_default(struct inproc_lone_cfg *cfg, enum strategy_id strategy)
{
	memset(cfg, 0, sizeof(*cfg));
	strategy_params_default(strategy, &cfg->params);
	sw_config_default(&cfg->sw);
	cfg->guest_ram_bytes = 16ull << 20;
	cfg->n_cpus = 1;
}

void inproc_lone_up(struct inproc_lone *w, const struct inproc_lone_cfg *cfg)
{
	struct optee_drv_config nc = { 0 };
	const struct dram_region *mine[2];
	size_t n_mine = 1, i;
	void *host;

	assert_true(cfg->n_cpus >= 1 && cfg->n_cpus <= INPROC_MAX_CPUS);
	memset(w, 0, sizeof(*w));
	w->params = cfg->params;
	dram_up(1, cfg->guest_ram_bytes, &w->dram);
	sw_up(cfg->sw, &w->params, w->dram, &w->sw);
	mine[0] = dram_region_find(w->dram->layout, DRAM_GUEST_RAM, 0);
	assert_non_null(mine[0]);
	if (cfg->map_carveout) {
		mine[n_mine++] = w->carveout = dram_region_find(w->dram->layout, DRAM_CARVEOUT, 0);
		assert_non_null(w->carveout);
	}
	/* The guest maps its own RAM (and the carveout, when asked), nothing else. */
	assert_int_equal(dram_view_open(w->dram, mine, n_mine, &w->view), 0);
	host = dram_view_ptr(w->view, mine[0]->base, mine[0]->size_bytes);
	assert_non_null(host);
	assert_int_equal(guest_mem_init(&w->gm, mine[0]->base, host, mine[0]->size_bytes), 0);
	if (cfg->map_carveout) {
		w->carveout_host = dram_view_ptr(w->view, w->carveout->base,
						 w->carveout->size_bytes);
		assert_non_null(w->carveout_host);
	}
	w->n_cpus = cfg->n_cpus;
	for (i = 0; i < w->n_cpus; i++) {
		w->cpu[i] = smc_inproc_conduit(&w->inproc[i], sw_smc, w->sw);
		if (cfg->wrap_cpu)
			w->cpu[i] = cfg->wrap_cpu(cfg->wrap_ctx, i, w->cpu[i]);
	}
	nc.mem = &w->gm;
	nc.conduits = w->cpu;
	nc.n_conduits = w->n_cpus;
	nc.no_rpc_arg = cfg->no_rpc_arg;
	nc.strategy = &w->params;
	nc.carveout_host = w->carveout_host;
	drv_up(&nc, &w->drv);
	teec_set_default_driver(w->drv);
}

void inproc_open_session(TEEC_Context *ctx, TEEC_Session *s, const TEEC_UUID *uuid)
{
	uint32_t origin = 0;
	TEEC_Result res = TEEC_OpenSession(ctx, s, uuid, TEEC_LOGIN_PUBLIC, NULL, NULL, &origin);

	if (res != TEEC_SUCCESS)
		print_error("open session: 0x%x origin %u\n", res, origin);
	assert_int_equal(res, TEEC_SUCCESS);
}

void inproc_teec_open(TEEC_Context *ctx, TEEC_Session *s, const TEEC_UUID *uuid)
{
	assert_int_equal(TEEC_InitializeContext(NULL, ctx), TEEC_SUCCESS);
	inproc_open_session(ctx, s, uuid);
}

void inproc_lone_open_session(struct inproc_lone *w, const TEEC_UUID *uuid)
{
	assert_false(w->session_open);
	inproc_teec_open(&w->ctx, &w->sess, uuid);
	w->session_open = true;
}

void inproc_lone_client_down(struct inproc_lone *w)
{
	if (w->session_open) {
		TEEC_CloseSession(&w->sess);
		TEEC_FinalizeContext(&w->ctx);
		w->session_open = false;
	}
	teec_set_default_driver(NULL);
}

void inproc_lone_drv_down(struct inproc_lone *w)
{
	if (w->drv)
		optee_drv_destroy(w->drv);
	w->drv = NULL;
}

void inproc_lone_down(struct inproc_lone *w)
{
	inproc_lone_client_down(w);
	inproc_lone_drv_down(w);
	guest_mem_fini(&w->gm);
	dram_view_close(w->view);
	sw_destroy(w->sw);
	dram_destroy(w->dram);
	memset(w, 0, sizeof(*w));
}

/* ---- Hypervisor and guests ---- */

void inproc_hv_cfg_default(struct inproc_hv_cfg *cfg, enum strategy_id strategy)
{
	memset(cfg, 0, sizeof(*cfg));
	strategy_params_default(strategy, &cfg->params);
	sw_config_default(&cfg->sw);
	cfg->n_guests = 2;
	cfg->guest_ram_bytes = 16ull << 20;
}

void inproc_hv_up(struct inproc_hv *hv, const struct inproc_hv_cfg *cfg)
{
	const struct dram_region *ns[NS_REGIONS_MAX];
	struct sw_config sc = cfg->sw;
	struct hv_limits lim;
	uint32_t i, n = 0;

	assert_true(cfg->n_guests >= 1 && cfg->n_guests <= INPROC_MAX_GUESTS);
	memset(hv, 0, sizeof(*hv));
	hv->params = cfg->params;
	hv->n_guests = cfg->n_guests;
	dram_up(cfg->n_guests, cfg->guest_ram_bytes, &hv->dram);
	for (i = 0; i < hv->dram->layout->n_regions; i++) {
		if (hv->dram->layout->regions[i].secure)
			continue;
		assert_true(n < NS_REGIONS_MAX);
		ns[n++] = &hv->dram->layout->regions[i];
	}
	assert_int_equal(dram_view_open(hv->dram, ns, n, &hv->ns), 0);
	sc.virtualization = true;
	sc.max_guests = (uint16_t)cfg->n_guests;
	sw_up(sc, &hv->params, hv->dram, &hv->sw);
	hv_limits_default(&lim);
	assert_int_equal(hv_mediator_create(hv->ns, &lim, &hv->med), 0);
}

void inproc_hv_guest_up(struct inproc_hv *hv, uint32_t id, const struct inproc_guest_cfg *cfg)
{
	struct optee_drv_config dcfg = { 0 };
	const struct dram_region *r;
	struct inproc_guest *g;

	assert_true(id < hv->n_guests);
	g = &hv->g[id];
	assert_false(g->up);
	r = dram_region_find(hv->dram->layout, DRAM_GUEST_RAM, id);
	assert_non_null(r);
	assert_int_equal(stage2_build(&g->s2, r, STAGE2_GUEST_IPA_BASE, cfg->s2_seed), 0);
	assert_int_equal(stage2_map_guest_ram(&g->s2, hv->dram->fd, &g->ram_host), 0);
	assert_int_equal(guest_mem_init(&g->gm, pa_init(STAGE2_GUEST_IPA_BASE), g->ram_host,
					r->size_bytes), 0);
	g->up = true;
	g->to_sw = smc_inproc_conduit(&g->to_sw_p, sw_smc, hv->sw);
	if (cfg->wrap_to_sw)
		g->to_sw = cfg->wrap_to_sw(cfg->wrap_ctx, id, g->to_sw);
	assert_int_equal(hv_guest_add(hv->med, (uint16_t)id, &g->s2, &g->to_sw, &g->hg), 0);
	g->from_guest = smc_inproc_conduit(&g->from_guest_p, hv_guest_smc, g->hg);
	dcfg.mem = &g->gm;
	dcfg.conduits = &g->from_guest;
	dcfg.n_conduits = 1;
	dcfg.no_rpc_arg = cfg->no_rpc_arg;
	dcfg.strategy = &hv->params;
	dcfg.carveout_host = cfg->carveout_host;
	drv_up(&dcfg, &g->drv);
}

void inproc_hv_guest_leave(struct inproc_hv *hv, uint32_t id)
{
	struct inproc_guest *g = &hv->g[id];

	if (g->drv)
		optee_drv_destroy(g->drv);
	g->drv = NULL;
	if (g->hg)
		assert_int_equal(hv_guest_remove(hv->med, g->hg), 0);
	g->hg = NULL;
}

static void dead_machine(void *ctx, struct smc_regs *regs)
{
	(void)ctx;
	regs->a[0] = OPTEE_SMC_RETURN_UNKNOWN_FUNCTION;
}

void inproc_hv_guest_orphan(struct inproc_hv *hv, uint32_t id)
{
	hv->g[id].from_guest_p.fn = dead_machine;
	hv->g[id].from_guest_p.ctx = NULL;
}

void inproc_hv_down(struct inproc_hv *hv)
{
	uint32_t i;

	for (i = 0; i < hv->n_guests; i++) {
		struct inproc_guest *g = &hv->g[i];

		if (!g->up)
			continue;
		inproc_hv_guest_leave(hv, i);
		guest_mem_fini(&g->gm);
		stage2_unmap_guest_ram(&g->s2, g->ram_host);
		stage2_free(&g->s2);
		g->up = false;
	}
	hv_mediator_destroy(hv->med);
	sw_destroy(hv->sw);
	dram_view_close(hv->ns);
	dram_destroy(hv->dram);
	memset(hv, 0, sizeof(*hv));
}

uint32_t inproc_sum_bytes(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += p[i];
	return s;
}

void inproc_fill(uint8_t *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + seed + (i >> 8));
}

void inproc_transform_temp(TEEC_Session *s, const uint8_t *in, uint8_t *out, size_t n)
{
	TEEC_Operation op;
	uint32_t origin;
	size_t i;

	memset(out, 0, n + 50);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_VALUE_INOUT, TEEC_NONE);
	op.params[0].tmpref.buffer = (void *)in;
	op.params[0].tmpref.size = n;
	op.params[1].tmpref.buffer = out;
	op.params[1].tmpref.size = n + 50;
	op.params[2].value.a = 100;
	assert_int_equal(TEEC_InvokeCommand(s, TA_ECHO_CMD_TRANSFORM, &op, &origin), TEEC_SUCCESS);
	assert_int_equal(origin, TEEC_ORIGIN_TRUSTED_APP);
	assert_int_equal(op.params[1].tmpref.size, n);
	for (i = 0; i < n; i++)
		assert_int_equal(out[i], in[i] ^ 0xA5);
	assert_int_equal(out[n], 0); /* only what the TA produced was copied back */
	assert_int_equal(op.params[2].value.a, 101);
	assert_int_equal(op.params[2].value.b, inproc_sum_bytes(in, n));
}

void inproc_inc_inplace_temp(TEEC_Session *s, uint8_t *io, size_t n, unsigned seed)
{
	TEEC_Operation op;
	uint32_t origin;
	size_t i;

	inproc_fill(io, n, seed);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = io;
	op.params[0].tmpref.size = n;
	assert_int_equal(TEEC_InvokeCommand(s, TA_ECHO_CMD_INC_INPLACE, &op, &origin),
			 TEEC_SUCCESS);
	for (i = 0; i < n; i++)
		assert_int_equal(io[i], (uint8_t)((uint8_t)(i * 31 + seed + (i >> 8)) + 1));
	assert_int_equal(op.params[0].tmpref.size, n);
}

void inproc_transform_memref(TEEC_Session *s, uint32_t in_type, TEEC_SharedMemory *in_shm,
			     size_t ioff, size_t n, uint32_t out_type, TEEC_SharedMemory *out_shm,
			     size_t ooff, size_t room)
{
	TEEC_Operation op;
	uint32_t origin;
	const uint8_t *src = in_shm->buffer;
	const uint8_t *dst = out_shm->buffer;
	size_t i;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(in_type, out_type, TEEC_VALUE_INOUT, TEEC_NONE);
	op.params[0].memref.parent = in_shm;
	op.params[0].memref.offset = ioff;
	op.params[0].memref.size = n;
	op.params[1].memref.parent = out_shm;
	op.params[1].memref.offset = ooff;
	op.params[1].memref.size = room;
	assert_int_equal(TEEC_InvokeCommand(s, TA_ECHO_CMD_TRANSFORM, &op, &origin), TEEC_SUCCESS);
	assert_int_equal(op.params[1].memref.size, n);
	for (i = 0; i < n; i++)
		assert_int_equal(dst[ooff + i], src[ioff + i] ^ 0xA5);
	assert_int_equal(op.params[2].value.b, inproc_sum_bytes(src + ioff, n));
}

TEEC_Result inproc_storage_io(TEEC_Session *s, uint32_t cmd, uint32_t id, void *buf, size_t *size,
			      uint32_t *origin)
{
	TEEC_Operation op;
	TEEC_Result res;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT,
					 cmd == TA_STORAGE_CMD_WRITE ? TEEC_MEMREF_TEMP_INPUT
								     : TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = id;
	op.params[1].tmpref.buffer = buf;
	op.params[1].tmpref.size = *size;
	res = TEEC_InvokeCommand(s, cmd, &op, origin);
	*size = op.params[1].tmpref.size;
	return res;
}

void inproc_storage_check(TEEC_Session *s, uint32_t id, const uint8_t *data, size_t n,
			  uint8_t *back)
{
	uint32_t origin;
	size_t size;

	memset(back, 0, n + 100);
	size = n + 100;
	assert_int_equal(inproc_storage_io(s, TA_STORAGE_CMD_READ, id, back, &size, &origin),
			 TEEC_SUCCESS);
	assert_int_equal(size, n);
	assert_memory_equal(back, data, n);
	/* Too small a buffer: the object's size comes back. */
	size = 100;
	assert_int_equal(inproc_storage_io(s, TA_STORAGE_CMD_READ, id, back, &size, &origin),
			 TEEC_ERROR_SHORT_BUFFER);
	assert_int_equal(size, n);
	size = 10;
	assert_int_equal(inproc_storage_io(s, TA_STORAGE_CMD_READ, id + 1, back, &size, &origin),
			 TEEC_ERROR_ITEM_NOT_FOUND);
}
