/*
 * The secure world through its SMC ABI, driven by a minimal hand-rolled
 * normal world living in this file: a bump page allocator over guest RAM,
 * optee_msg_args built by hand in guest pages, RPCs answered by hand (RPC
 * ALLOC/FREE, SHM_ALLOC/SHM_FREE, FS with the objects kept here, LOAD_TA).
 * Every test ends with sw_check() == 0 and no dynamic mapping left.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/common/dram.h"
#include "sim/common/optee_msg.h"
#include "sim/common/optee_pagelist.h"
#include "sim/common/optee_rpc_cmd.h"
#include "sim/common/optee_smc.h"
#include "sim/common/ta_ids.h"
#include "sim/common/tee_result.h"
#include "sim/common/ts_err.h"
#include "sim/secure/secure_world.h"
#include "sim/secure/sw_internal.h" /* corruption checks; the mapping state of a registered shm */
#include "sim/secure/ta/ta.h"

#define PAGE SMALL_PAGE_SIZE
#define NW_MAX_SHM 64
#define MAX_OBJS 8

struct fx;

/* A buffer of the normal world: its pages, where the data starts, its cookie. */
struct nw_shm {
	bool live;
	uint64_t cookie;
	paddr_t *pages;
	size_t n_pages;
	uint64_t offset;
	uint64_t size;
};

/* One normal world (client). */
struct nw {
	struct fx *f;
	uint16_t client;
	const struct dram_region *ram;
	struct dram_view *view; /* its own RAM, and the carveout */
	uint64_t next_page;
	uint64_t next_carveout_page;
	uint64_t next_cookie;
	struct nw_shm shm[NW_MAX_SHM];
};

/* A call in flight: its arg in guest memory and the registers last returned. */
struct nw_call {
	struct nw *g;
	paddr_t arg_pa;
	struct optee_msg_arg *arg;
	paddr_t rpc_arg_pa; /* the inline RPC arg of CALL_WITH_RPC_ARG, else 0 */
	struct smc_regs r;
};

typedef bool (*rpc_hook_fn)(struct fx *f, struct nw_call *call, struct optee_msg_arg *rpc);

struct fx {
	struct dram *dram;
	struct secure_world *sw;
	struct sw_config cfg;
	const struct dram_region *carveout;
	struct nw nw[4];
	uint32_t n_nw;
	/* The supplicant's object store (FS) and what the normal world was asked. */
	struct {
		bool used;
		uint32_t id;
		uint8_t *data;
		size_t size;
	} objs[MAX_OBJS];
	pthread_mutex_t obj_lock;
	/* Atomic: the concurrency test's guests answer RPCs from several host threads. */
	atomic_uint rpc_allocs, rpc_frees, shm_allocs, shm_frees, fs_writes, fs_reads, load_tas;
	uint64_t last_fs_write_size;  /* under obj_lock */
	uint32_t last_fs_write_id;    /* under obj_lock */
	_Atomic uint64_t last_rpc_cmd_cookie;
	bool corrupt_image;
	rpc_hook_fn hook;
	void *hook_ctx;
};

/* ---- The normal world: memory ---- */

static paddr_t nw_page(struct nw *g)
{
	paddr_t pa = pa_add(g->ram->base, g->next_page++ * PAGE);
	void *p;

	assert_true(g->next_page * PAGE <= g->ram->size_bytes);
	p = dram_view_ptr(g->view, pa, PAGE);
	assert_non_null(p);
	memset(p, 0, PAGE);
	return pa;
}

static paddr_t nw_carveout_page(struct nw *g)
{
	const struct dram_region *c = g->f->carveout;
	paddr_t pa = pa_add(c->base, g->next_carveout_page++ * PAGE);

	assert_true(g->next_carveout_page * PAGE <= c->size_bytes);
	memset(dram_view_ptr(g->view, pa, PAGE), 0, PAGE);
	return pa;
}

static void *nw_host(struct nw *g, paddr_t pa, uint64_t len)
{
	void *p = dram_view_ptr(g->view, pa, len);

	assert_non_null(p);
	return p;
}

static struct nw_shm *nw_shm_slot(struct nw *g)
{
	int i;

	for (i = 0; i < NW_MAX_SHM; i++)
		if (!g->shm[i].live)
			break;
	assert_true(i < NW_MAX_SHM);
	memset(&g->shm[i], 0, sizeof(g->shm[i]));
	g->shm[i].live = true;
	g->shm[i].cookie = 0xffff800000001000ull + (g->next_cookie++ << 6) + g->client;
	return &g->shm[i];
}

/* size bytes at offset in their first page; contiguous pages, or every other page. */
static struct nw_shm *nw_shm_new(struct nw *g, uint64_t size, uint64_t offset, bool contiguous)
{
	struct nw_shm *s = nw_shm_slot(g);
	size_t i;

	s->size = size;
	s->offset = offset;
	s->n_pages = pages_spanned(offset, size);
	s->pages = calloc(s->n_pages, sizeof(*s->pages));
	assert_non_null(s->pages);
	for (i = 0; i < s->n_pages; i++) {
		s->pages[i] = nw_page(g);
		if (!contiguous)
			(void)nw_page(g); /* a hole, so no two pages are adjacent */
	}
	return s;
}

static void nw_shm_free(struct nw_shm *s)
{
	free(s->pages);
	memset(s, 0, sizeof(*s));
}

static struct nw_shm *nw_shm_by_cookie(struct nw *g, uint64_t cookie)
{
	int i;

	for (i = 0; i < NW_MAX_SHM; i++)
		if (g->shm[i].live && g->shm[i].cookie == cookie)
			return &g->shm[i];
	return NULL;
}

static uint8_t *nw_shm_byte(struct nw *g, const struct nw_shm *s, uint64_t offs)
{
	uint64_t at = s->offset + offs;

	return (uint8_t *)nw_host(g, s->pages[at / PAGE], PAGE) + at % PAGE;
}

static void nw_shm_write(struct nw *g, const struct nw_shm *s, uint64_t offs, const void *src,
			 uint64_t len)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		*nw_shm_byte(g, s, offs + i) = ((const uint8_t *)src)[i];
}

static void nw_shm_read(struct nw *g, const struct nw_shm *s, uint64_t offs, void *dst,
			uint64_t len)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		((uint8_t *)dst)[i] = *nw_shm_byte(g, s, offs + i);
}

/* Write the OP-TEE page list of s into fresh guest pages; returns buf_ptr. */
static uint64_t nw_pagelist(struct nw *g, const struct nw_shm *s)
{
	struct pa_accessor acc = dram_view_accessor(g->view);
	size_t n_list = optee_pagelist_list_pages(s->n_pages), i;
	paddr_t list[8];

	assert_true(n_list <= 8);
	for (i = 0; i < n_list; i++)
		list[i] = nw_page(g);
	assert_int_equal(optee_pagelist_write(&acc, list, n_list, s->pages, s->n_pages), 0);
	return optee_pagelist_buf_ptr(list[0], s->offset);
}

/* ---- The normal world: messages ---- */

static void set_value(struct optee_msg_param *p, uint64_t attr, uint64_t a, uint64_t b, uint64_t c)
{
	memset(p, 0, sizeof(*p));
	p->attr = attr;
	p->u.value.a = a;
	p->u.value.b = b;
	p->u.value.c = c;
}

static void set_tmem(struct optee_msg_param *p, uint64_t attr, uint64_t buf_ptr, uint64_t size,
		     uint64_t shm_ref)
{
	memset(p, 0, sizeof(*p));
	p->attr = attr;
	p->u.tmem.buf_ptr = buf_ptr;
	p->u.tmem.size = size;
	p->u.tmem.shm_ref = shm_ref;
}

static void set_rmem(struct optee_msg_param *p, uint64_t attr, uint64_t offs, uint64_t size,
		     uint64_t cookie)
{
	memset(p, 0, sizeof(*p));
	p->attr = attr;
	p->u.rmem.offs = offs;
	p->u.rmem.size = size;
	p->u.rmem.shm_ref = cookie;
}

/* A contiguous TMEM of s (its pages must be contiguous). */
static void set_tmem_contig(struct optee_msg_param *p, uint64_t attr, const struct nw_shm *s)
{
	set_tmem(p, attr, pa_addr(s->pages[0]) + s->offset, s->size, s->cookie);
}

static void set_tmem_noncontig(struct nw *g, struct optee_msg_param *p, uint64_t attr,
			       const struct nw_shm *s)
{
	set_tmem(p, attr | OPTEE_MSG_ATTR_NONCONTIG, nw_pagelist(g, s), s->size, s->cookie);
}

struct msg {
	uint32_t cmd, func, session;
	uint32_t n;
	struct optee_msg_param p[SW_MSG_MAX_PARAMS + 2];
};

/* Lay msg out at arg (host pointer into guest memory). */
static void put_msg(struct optee_msg_arg *arg, const struct msg *m)
{
	memset(arg, 0, OPTEE_MSG_GET_ARG_SIZE(m->n));
	arg->cmd = m->cmd;
	arg->func = m->func;
	arg->session = m->session;
	arg->num_params = m->n;
	arg->ret = 0xdeadbeef; /* whatever the secure world does not write stays */
	arg->ret_origin = 0xdeadbeef;
	memcpy(arg->params, m->p, m->n * sizeof(m->p[0]));
}

static void smc(struct fx *f, struct smc_regs *r)
{
	sw_smc(f->sw, r);
}

static struct smc_regs regs(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint16_t client)
{
	struct smc_regs r = { { a0, a1, a2, a3, 0, 0, 0, client } };

	return r;
}

/* ---- The normal world: RPCs ---- */

static struct optee_msg_arg *rpc_arg_of(struct nw_call *c)
{
	struct nw *g = c->g;
	uint64_t cookie = optee_smc_reg_pair_to_u64((uint32_t)c->r.a[1], (uint32_t)c->r.a[2]);
	struct nw_shm *s;

	g->f->last_rpc_cmd_cookie = cookie;
	if (cookie == 0) {
		/* Inline RPC arg: a1:a2 carry nothing; it follows the call's arg. */
		assert_int_not_equal(pa_addr(c->rpc_arg_pa), 0);
		return nw_host(g, c->rpc_arg_pa, OPTEE_MSG_GET_ARG_SIZE(SW_RPC_NUM_PARAMS));
	}
	s = nw_shm_by_cookie(g, cookie);
	assert_non_null(s);
	return (struct optee_msg_arg *)nw_shm_byte(g, s, 0);
}

static bool image_uuid_ok(const struct optee_msg_param *p)
{
	const struct ta_uuid uuid = TA_BIGLOAD_UUID;
	uint8_t octets[16];

	ta_uuid_to_octets(octets, &uuid);
	return p->attr == OPTEE_MSG_ATTR_TYPE_VALUE_INPUT && !memcmp(&p->u.value, octets, 16);
}

static void serve_fs(struct fx *f, struct nw *g, struct optee_msg_arg *rpc)
{
	struct optee_msg_param *mp = &rpc->params[1];
	uint32_t op = (uint32_t)rpc->params[0].u.value.a, id = (uint32_t)rpc->params[0].u.value.b;
	struct nw_shm *s = NULL;
	int i, slot = -1;

	pthread_mutex_lock(&f->obj_lock);
	if ((mp->attr & OPTEE_MSG_ATTR_TYPE_MASK) >= OPTEE_MSG_ATTR_TYPE_RMEM_INPUT &&
	    (mp->attr & OPTEE_MSG_ATTR_TYPE_MASK) <= OPTEE_MSG_ATTR_TYPE_RMEM_INOUT) {
		s = nw_shm_by_cookie(g, mp->u.rmem.shm_ref);
		assert_non_null(s);
		assert_true(mp->u.rmem.offs + mp->u.rmem.size <= s->size);
	}
	for (i = 0; i < MAX_OBJS; i++)
		if (f->objs[i].used && f->objs[i].id == id)
			slot = i;
	if (op == TEESHM_FS_WRITE) {
		assert_int_equal(mp->attr & OPTEE_MSG_ATTR_TYPE_MASK,
				 s ? OPTEE_MSG_ATTR_TYPE_RMEM_INPUT :
				     OPTEE_MSG_ATTR_TYPE_TMEM_INPUT);
		if (slot < 0)
			for (slot = 0; slot < MAX_OBJS && f->objs[slot].used; slot++)
				;
		assert_true(slot < MAX_OBJS);
		free(f->objs[slot].data);
		f->objs[slot].used = true;
		f->objs[slot].id = id;
		f->objs[slot].size = s ? mp->u.rmem.size : 0;
		f->objs[slot].data = malloc(f->objs[slot].size + 1);
		if (s)
			nw_shm_read(g, s, mp->u.rmem.offs, f->objs[slot].data, mp->u.rmem.size);
		f->fs_writes++;
		f->last_fs_write_size = f->objs[slot].size;
		f->last_fs_write_id = id;
		rpc->ret = TEE_SUCCESS;
	} else if (op == TEESHM_FS_READ) {
		f->fs_reads++;
		if (slot < 0) {
			rpc->ret = TEE_ERROR_ITEM_NOT_FOUND;
		} else {
			uint64_t cap = s ? mp->u.rmem.size : 0;
			uint64_t n = f->objs[slot].size < cap ? f->objs[slot].size : cap;

			if (s)
				nw_shm_write(g, s, mp->u.rmem.offs, f->objs[slot].data, n);
			mp->u.rmem.size = f->objs[slot].size;
			rpc->ret = TEE_SUCCESS;
		}
	} else {
		rpc->ret = TEE_ERROR_BAD_PARAMETERS;
	}
	pthread_mutex_unlock(&f->obj_lock);
}

static void serve_rpc_cmd(struct nw_call *c)
{
	struct nw *g = c->g;
	struct fx *f = g->f;
	struct optee_msg_arg *rpc = rpc_arg_of(c);
	struct nw_shm *s;
	uint64_t i;

	if (f->hook && f->hook(f, c, rpc))
		return;
	switch (rpc->cmd) {
	case OPTEE_RPC_CMD_SHM_ALLOC:
		assert_int_equal(rpc->num_params, 1);
		assert_int_equal(rpc->params[0].attr, OPTEE_MSG_ATTR_TYPE_VALUE_INPUT);
		f->shm_allocs++;
		if (rpc->params[0].u.value.b <= PAGE) {
			s = nw_shm_new(g, rpc->params[0].u.value.b, 0, true);
			set_tmem_contig(&rpc->params[0], OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, s);
		} else {
			s = nw_shm_new(g, rpc->params[0].u.value.b, 0, false);
			set_tmem_noncontig(g, &rpc->params[0], OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, s);
		}
		rpc->ret = TEE_SUCCESS;
		break;
	case OPTEE_RPC_CMD_SHM_FREE:
		f->shm_frees++;
		s = nw_shm_by_cookie(g, rpc->params[0].u.value.b);
		assert_non_null(s);
		nw_shm_free(s);
		rpc->ret = TEE_SUCCESS;
		break;
	case OPTEE_RPC_CMD_FS:
		serve_fs(f, g, rpc);
		break;
	case OPTEE_RPC_CMD_LOAD_TA:
		f->load_tas++;
		assert_true(image_uuid_ok(&rpc->params[0]));
		if ((rpc->params[1].attr & OPTEE_MSG_ATTR_TYPE_MASK) ==
		    OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT) {
			s = nw_shm_by_cookie(g, rpc->params[1].u.rmem.shm_ref);
			assert_non_null(s);
			assert_int_equal(rpc->params[1].u.rmem.size, TEESHM_BIGLOAD_IMAGE_BYTES);
			for (i = 0; i < TEESHM_BIGLOAD_IMAGE_BYTES; i++)
				*nw_shm_byte(g, s, i) = TEESHM_TA_IMAGE_BYTE(i);
			if (f->corrupt_image)
				*nw_shm_byte(g, s, 777777) ^= 1;
		} else {
			/* The size query: a NULL memref. */
			assert_int_equal(rpc->params[1].attr, OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT);
			assert_int_equal(rpc->params[1].u.tmem.buf_ptr, 0);
		}
		rpc->params[1].u.tmem.size = TEESHM_BIGLOAD_IMAGE_BYTES;
		rpc->ret = TEE_SUCCESS;
		break;
	default:
		rpc->ret = TEE_ERROR_NOT_IMPLEMENTED;
		break;
	}
}

/* Answer the RPC in c->r and resume the secure thread once. */
static void nw_call_step(struct nw_call *c)
{
	struct nw *g = c->g;
	uint32_t a0 = (uint32_t)c->r.a[0];
	struct smc_regs r =
		regs(OPTEE_SMC_CALL_RETURN_FROM_RPC, 0, 0, (uint32_t)c->r.a[3], g->client);
	struct nw_shm *s;

	assert_true(optee_smc_return_is_rpc(a0));
	switch (a0) {
	case OPTEE_SMC_RETURN_RPC_ALLOC:
		assert_int_equal(c->r.a[1], OPTEE_MSG_GET_ARG_SIZE(SW_RPC_NUM_PARAMS));
		g->f->rpc_allocs++;
		s = nw_shm_new(g, c->r.a[1], 0, true);
		r.a[1] = optee_smc_u64_high(pa_addr(s->pages[0]));
		r.a[2] = optee_smc_u64_low(pa_addr(s->pages[0]));
		r.a[4] = optee_smc_u64_high(s->cookie);
		r.a[5] = optee_smc_u64_low(s->cookie);
		break;
	case OPTEE_SMC_RETURN_RPC_FREE:
		g->f->rpc_frees++;
		s = nw_shm_by_cookie(g, optee_smc_reg_pair_to_u64((uint32_t)c->r.a[1],
								   (uint32_t)c->r.a[2]));
		assert_non_null(s);
		nw_shm_free(s);
		break;
	case OPTEE_SMC_RETURN_RPC_CMD:
		serve_rpc_cmd(c);
		break;
	default:
		fail_msg("unexpected RPC 0x%x", a0);
	}
	c->r = r;
	smc(g->f, &c->r);
}

/* Start a yielding call with m in a fresh arg page (or in the carveout). */
static void nw_call_start(struct nw *g, uint32_t func, const struct msg *m, bool in_carveout,
			  struct nw_call *c)
{
	memset(c, 0, sizeof(*c));
	c->g = g;
	c->arg_pa = in_carveout ? nw_carveout_page(g) : nw_page(g);
	c->arg = nw_host(g, c->arg_pa, PAGE);
	put_msg(c->arg, m);
	if (func == OPTEE_SMC_CALL_WITH_RPC_ARG)
		c->rpc_arg_pa = pa_add(c->arg_pa, OPTEE_MSG_GET_ARG_SIZE(m->n));
	c->r = regs(func, optee_smc_u64_high(pa_addr(c->arg_pa)),
		    optee_smc_u64_low(pa_addr(c->arg_pa)),
		    0, g->client);
	smc(g->f, &c->r);
}

static uint32_t nw_call_finish(struct nw_call *c)
{
	while (optee_smc_return_is_rpc((uint32_t)c->r.a[0]))
		nw_call_step(c);
	return (uint32_t)c->r.a[0];
}

/* Whole call; returns the SMC result, the arg (results) through *arg. */
static uint32_t nw_call(struct nw *g, uint32_t func, const struct msg *m,
			struct optee_msg_arg **arg)
{
	struct nw_call c;
	uint32_t a0;

	nw_call_start(g, func, m, false, &c);
	a0 = nw_call_finish(&c);
	if (arg)
		*arg = c.arg;
	return a0;
}

/* A call that must reach the secure world: returns arg->ret. */
static TEE_Result nw_msg(struct nw *g, const struct msg *m, struct optee_msg_arg **arg_out)
{
	struct optee_msg_arg *arg;

	assert_int_equal(nw_call(g, OPTEE_SMC_CALL_WITH_RPC_ARG, m, &arg), OPTEE_SMC_RETURN_OK);
	if (arg_out)
		*arg_out = arg;
	return arg->ret;
}

static void open_msg(struct msg *m, const struct ta_uuid *uuid)
{
	uint8_t octets[16];

	memset(m, 0, sizeof(*m));
	m->cmd = OPTEE_MSG_CMD_OPEN_SESSION;
	m->n = 2;
	ta_uuid_to_octets(octets, uuid);
	set_value(&m->p[0], OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 0, 0, 0);
	memcpy(&m->p[0].u.value, octets, 16);
	set_value(&m->p[1], OPTEE_MSG_ATTR_META | OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 0, 0,
		  OPTEE_MSG_LOGIN_PUBLIC);
}

static uint32_t nw_open(struct nw *g, const struct ta_uuid *uuid)
{
	struct optee_msg_arg *arg;
	struct msg m;

	open_msg(&m, uuid);
	assert_int_equal(nw_msg(g, &m, &arg), TEE_SUCCESS);
	assert_int_not_equal(arg->session, 0);
	return arg->session;
}

static void nw_close(struct nw *g, uint32_t session)
{
	struct msg m = { .cmd = OPTEE_MSG_CMD_CLOSE_SESSION, .session = session };

	assert_int_equal(nw_msg(g, &m, NULL), TEE_SUCCESS);
}

static TEE_Result nw_register(struct nw *g, const struct nw_shm *s)
{
	struct msg m = { .cmd = OPTEE_MSG_CMD_REGISTER_SHM, .n = 1 };

	set_tmem_noncontig(g, &m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, s);
	return nw_msg(g, &m, NULL);
}

static TEE_Result nw_unregister(struct nw *g, uint64_t cookie)
{
	struct msg m = { .cmd = OPTEE_MSG_CMD_UNREGISTER_SHM, .n = 1 };

	set_rmem(&m.p[0], OPTEE_MSG_ATTR_TYPE_RMEM_INPUT, 0, 0, cookie);
	return nw_msg(g, &m, NULL);
}

/* An invoke message with session, command, n params (filled by the caller). */
static void invoke_msg(struct msg *m, uint32_t session, uint32_t func, uint32_t n)
{
	memset(m, 0, sizeof(*m));
	m->cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
	m->session = session;
	m->func = func;
	m->n = n;
}

/* ---- Fixture ---- */

static struct fx *fx_new(const struct sw_config *cfg, uint32_t n_guests)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct dram_config dc;
	char err[256];
	uint32_t i;

	assert_non_null(f);
	dram_config_default(&dc);
	dc.n_guests = n_guests;
	dc.guest_ram_bytes = 32ull << 20;
	assert_int_equal(dram_create(&dc, &f->dram, err, sizeof(err)), 0);
	f->cfg = *cfg;
	assert_int_equal(sw_create(cfg, f->dram, &f->sw, err, sizeof(err)), 0);
	f->carveout = dram_region_find(f->dram->layout, DRAM_CARVEOUT, 0);
	pthread_mutex_init(&f->obj_lock, NULL);
	f->n_nw = n_guests;
	for (i = 0; i < n_guests; i++) {
		struct nw *g = &f->nw[i];
		const struct dram_region *mine[2];

		g->f = f;
		/*
		 * Without virtualization the lone normal world is client 0; else guest i is client
		 * i + 1.
		 */
		g->client = (uint16_t)(cfg->virtualization ? i + 1 : 0);
		g->ram = dram_region_find(f->dram->layout, DRAM_GUEST_RAM, i);
		mine[0] = g->ram;
		mine[1] = f->carveout;
		assert_int_equal(dram_view_open(f->dram, mine, 2, &g->view), 0);
	}
	return f;
}

static uint64_t mapped_pages(struct fx *f)
{
	return sw_mm(f->sw)->stats.mapped_pages;
}

/* The property every test ends with: books consistent, nothing mapped, then teardown. */
static void fx_free(struct fx *f)
{
	uint32_t i;
	int j;

	assert_int_equal(sw_check(f->sw), 0);
	assert_int_equal(mapped_pages(f), 0);
	sw_destroy(f->sw);
	for (i = 0; i < f->n_nw; i++) {
		for (j = 0; j < NW_MAX_SHM; j++)
			if (f->nw[i].shm[j].live)
				nw_shm_free(&f->nw[i].shm[j]);
		dram_view_close(f->nw[i].view);
	}
	for (j = 0; j < MAX_OBJS; j++)
		free(f->objs[j].data);
	pthread_mutex_destroy(&f->obj_lock);
	dram_destroy(f->dram);
	free(f);
}

static struct sw_config base_cfg(void)
{
	struct sw_config cfg;

	sw_config_default(&cfg);
	cfg.mm.max_mappings = 512;
	cfg.mm.max_pa_runs = 4096;
	cfg.num_threads = 4;
	return cfg;
}

static struct sw_client_info info(struct fx *f, uint16_t client)
{
	struct sw_client_info in;

	assert_int_equal(sw_client_info(f->sw, client, &in), 0);
	return in;
}

static struct sw_stats stats(struct fx *f, uint16_t client)
{
	struct sw_stats st;

	assert_int_equal(sw_client_stats(f->sw, client, &st), 0);
	return st;
}

static const struct ta_uuid echo_uuid = TA_ECHO_UUID;
static const struct ta_uuid storage_uuid = TA_STORAGE_UUID;
static const struct ta_uuid bigload_uuid = TA_BIGLOAD_UUID;

static void fill_pattern(uint8_t *buf, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)(i * 7 + seed + (i >> 8));
}

/* ---- Tests ---- */

/*
 * Fast calls answer OP-TEE's values: capabilities, carveout, thread count, UID; unknown IDs are
 * refused.
 */
static void test_fast_calls(void **state)
{
	struct sw_config cfg = base_cfg();
	struct fx *f = fx_new(&cfg, 1);
	struct smc_regs r;

	(void)state;
	r = regs(OPTEE_SMC_EXCHANGE_CAPABILITIES, 0, 0, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_OK);
	assert_int_equal(r.a[1], OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM |
					 OPTEE_SMC_SEC_CAP_DYNAMIC_SHM |
					 OPTEE_SMC_SEC_CAP_MEMREF_NULL | OPTEE_SMC_SEC_CAP_RPC_ARG);
	assert_int_equal(r.a[3] & 0xff, SW_RPC_NUM_PARAMS);

	r = regs(OPTEE_SMC_GET_SHM_CONFIG, 0, 0, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_OK);
	assert_int_equal(r.a[1], pa_addr(f->carveout->base));
	assert_int_equal(r.a[2], 1u << 20);
	assert_int_equal(r.a[3], OPTEE_SMC_SHM_CACHED);

	r = regs(OPTEE_SMC_GET_THREAD_COUNT, 0, 0, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_OK);
	assert_int_equal(r.a[1], 4);

	r = regs(OPTEE_SMC_CALLS_UID, 0, 0, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_MSG_UID_0);
	assert_int_equal(r.a[3], OPTEE_MSG_UID_3);
	r = regs(OPTEE_SMC_CALLS_REVISION, 0, 0, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_MSG_REVISION_MAJOR);
	assert_int_equal(r.a[1], OPTEE_MSG_REVISION_MINOR);

	r = regs(OPTEE_SMC_DISABLE_SHM_CACHE, 0, 0, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_ENOTAVAIL);
	r = regs(OPTEE_SMC_FAST_CALL_VAL(0x77), 0, 0, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_UNKNOWN_FUNCTION);
	r = regs(OPTEE_SMC_STD_CALL_VAL(0x77), 0, 0, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_UNKNOWN_FUNCTION);
	/* Without virtualization: no VM calls, and no client but 0. */
	r = regs(OPTEE_SMC_VM_CREATED, 1, 0, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_UNKNOWN_FUNCTION);
	r = regs(OPTEE_SMC_GET_THREAD_COUNT, 0, 0, 0, 1);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_ENOTAVAIL);
	assert_int_equal(stats(f, 0).smc_unknown_function, 3);
	fx_free(f);
}

/*
 * Echo TRANSFORM and VALUE over contiguous TMEMs in guest RAM and in the carveout: bytes land in
 * guest memory.
 */
static void test_echo_tmem_contig(void **state)
{
	struct sw_config cfg = base_cfg();
	struct fx *f = fx_new(&cfg, 1);
	struct nw *g = &f->nw[0];
	struct nw_shm *in = nw_shm_new(g, 10000, 100, true), *out = nw_shm_new(g, 12000, 0, true);
	uint8_t data[10000], back[10000];
	uint32_t sum = 0, sess, k;
	struct optee_msg_arg *arg;
	struct nw_call c;
	struct msg m;
	size_t i;

	(void)state;
	fill_pattern(data, sizeof(data), 3);
	for (i = 0; i < sizeof(data); i++)
		sum += data[i];
	nw_shm_write(g, in, 0, data, sizeof(data));
	sess = nw_open(g, &echo_uuid);

	invoke_msg(&m, sess, TA_ECHO_CMD_TRANSFORM, 3);
	set_tmem_contig(&m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_INPUT, in);
	set_tmem_contig(&m.p[1], OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, out);
	set_value(&m.p[2], OPTEE_MSG_ATTR_TYPE_VALUE_INOUT, 41, 0, 0);
	assert_int_equal(nw_msg(g, &m, &arg), TEE_SUCCESS);
	assert_int_equal(arg->ret_origin, TEE_ORIGIN_TRUSTED_APP);
	assert_int_equal(arg->params[1].u.tmem.size, 10000);
	assert_int_equal(arg->params[2].u.value.a, 42);
	assert_int_equal(arg->params[2].u.value.b, sum);
	nw_shm_read(g, out, 0, back, sizeof(back));
	for (i = 0; i < sizeof(data); i++)
		assert_int_equal(back[i], data[i] ^ 0xA5);
	/* The memrefs were mapped for the call only. */
	assert_int_equal(mapped_pages(f), 0);

	/*
	 * The same with the arg and both buffers in the static carveout: nothing is mapped at all.
	 */
	{
		uint64_t maps = sw_mm(f->sw)->stats.maps;
		paddr_t cin = nw_carveout_page(g), cout = nw_carveout_page(g);

		memcpy(nw_host(g, cin, PAGE), data, PAGE);
		invoke_msg(&m, sess, TA_ECHO_CMD_TRANSFORM, 3);
		set_tmem(&m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_INPUT, pa_addr(cin), PAGE, 0);
		set_tmem(&m.p[1], OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, pa_addr(cout), PAGE, 0);
		set_value(&m.p[2], OPTEE_MSG_ATTR_TYPE_VALUE_INOUT, 1, 0, 0);
		nw_call_start(g, OPTEE_SMC_CALL_WITH_ARG, &m, true, &c);
		assert_int_equal(nw_call_finish(&c), OPTEE_SMC_RETURN_OK);
		assert_int_equal(c.arg->ret, TEE_SUCCESS);
		for (k = 0; k < PAGE; k++)
			assert_int_equal(((uint8_t *)nw_host(g, cout, PAGE))[k], data[k] ^ 0xA5);
		assert_int_equal(sw_mm(f->sw)->stats.maps, maps);
	}

	invoke_msg(&m, sess, TA_ECHO_CMD_VALUE, 1);
	set_value(&m.p[0], OPTEE_MSG_ATTR_TYPE_VALUE_INOUT, 21, 4, 0);
	assert_int_equal(nw_msg(g, &m, &arg), TEE_SUCCESS);
	assert_int_equal(arg->params[0].u.value.a, 42);
	assert_int_equal(arg->params[0].u.value.b, 7);
	/* Wrong param types are the TA's refusal. */
	invoke_msg(&m, sess, TA_ECHO_CMD_VALUE, 1);
	set_value(&m.p[0], OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 21, 4, 0);
	assert_int_equal(nw_msg(g, &m, &arg), TEE_ERROR_BAD_PARAMETERS);
	assert_int_equal(arg->ret_origin, TEE_ORIGIN_TRUSTED_APP);
	nw_close(g, sess);
	assert_int_equal(info(f, 0).sessions, 0);
	assert_int_equal(f->rpc_allocs + f->shm_allocs, 0); /* echo never needs the normal world */
	fx_free(f);
}

/*
 * Echo over NONCONTIG TMEMs (scattered pages): TRANSFORM, SHORT_BUFFER with the size needed,
 * INC_INPLACE.
 */
static void test_echo_tmem_noncontig(void **state)
{
	struct sw_config cfg = base_cfg();
	struct fx *f = fx_new(&cfg, 1);
	struct nw *g = &f->nw[0];
	struct nw_shm *in = nw_shm_new(g, 3 * PAGE + 500, 0x123, false);
	struct nw_shm *out = nw_shm_new(g, 3 * PAGE + 500, 0xff0, false);
	struct nw_shm *small = nw_shm_new(g, 100, 0, false);
	static uint8_t data[3 * PAGE + 500], back[3 * PAGE + 500];
	struct optee_msg_arg *arg;
	uint32_t sess;
	struct msg m;
	size_t i;

	(void)state;
	fill_pattern(data, sizeof(data), 9);
	nw_shm_write(g, in, 0, data, sizeof(data));
	sess = nw_open(g, &echo_uuid);
	invoke_msg(&m, sess, TA_ECHO_CMD_TRANSFORM, 3);
	set_tmem_noncontig(g, &m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_INPUT, in);
	set_tmem_noncontig(g, &m.p[1], OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, out);
	set_value(&m.p[2], OPTEE_MSG_ATTR_TYPE_VALUE_INOUT, 0, 0, 0);
	assert_int_equal(nw_msg(g, &m, NULL), TEE_SUCCESS);
	nw_shm_read(g, out, 0, back, sizeof(back));
	for (i = 0; i < sizeof(data); i++)
		assert_int_equal(back[i], data[i] ^ 0xA5);
	assert_true(stats(f, 0).pagelist_pages_read >= 2);

	/* An output too small: SHORT_BUFFER and the size that would do. */
	invoke_msg(&m, sess, TA_ECHO_CMD_TRANSFORM, 3);
	set_tmem_noncontig(g, &m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_INPUT, in);
	set_tmem_noncontig(g, &m.p[1], OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, small);
	set_value(&m.p[2], OPTEE_MSG_ATTR_TYPE_VALUE_INOUT, 0, 0, 0);
	assert_int_equal(nw_msg(g, &m, &arg), TEE_ERROR_SHORT_BUFFER);
	assert_int_equal(arg->params[1].u.tmem.size, in->size);
	assert_int_equal(stats(f, 0).tee_short_buffer, 1);

	invoke_msg(&m, sess, TA_ECHO_CMD_INC_INPLACE, 1);
	set_tmem_noncontig(g, &m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_INOUT, in);
	assert_int_equal(nw_msg(g, &m, NULL), TEE_SUCCESS);
	nw_shm_read(g, in, 0, back, sizeof(back));
	for (i = 0; i < sizeof(data); i++)
		assert_int_equal(back[i], (uint8_t)(data[i] + 1));
	/* A NULL memref (MEMREF_NULL) of size 0 is a valid empty input. */
	invoke_msg(&m, sess, TA_ECHO_CMD_INC_INPLACE, 1);
	set_tmem(&m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_INOUT, 0, 0, 0);
	assert_int_equal(nw_msg(g, &m, NULL), TEE_SUCCESS);
	nw_close(g, sess);
	assert_int_equal(sw_check(f->sw), 0);
	fx_free(f);
}

/*
 * RMEM windows of a registered shm (strategy dynamic): nothing mapped by REGISTER_SHM, one mapping
 * per call however many windows it uses, data right, nothing mapped between calls.
 */
static void test_echo_rmem_registered(void **state)
{
	struct sw_config cfg = base_cfg();
	struct fx *f = fx_new(&cfg, 1);
	struct nw *g = &f->nw[0];
	struct nw_shm *s = nw_shm_new(g, 4 * PAGE, 0x80, false);
	static uint8_t data[2 * PAGE], back[2 * PAGE];
	struct optee_msg_arg *arg;
	uint64_t maps;
	uint32_t sess;
	struct msg m;
	size_t i;

	(void)state;
	fill_pattern(data, sizeof(data), 5);
	nw_shm_write(g, s, 0, data, sizeof(data));
	assert_int_equal(nw_register(g, s), TEE_SUCCESS);
	assert_int_equal(mapped_pages(f), 0); /* map on use, as OP-TEE */
	assert_int_equal(info(f, 0).shm_registered, 1);
	assert_int_equal(sw_check(f->sw), 0);
	sess = nw_open(g, &echo_uuid);

	maps = sw_mm(f->sw)->stats.maps;
	invoke_msg(&m, sess, TA_ECHO_CMD_TRANSFORM, 3);
	set_rmem(&m.p[0], OPTEE_MSG_ATTR_TYPE_RMEM_INPUT, 0, sizeof(data), s->cookie);
	set_rmem(&m.p[1], OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT, sizeof(data), sizeof(data), s->cookie);
	set_value(&m.p[2], OPTEE_MSG_ATTR_TYPE_VALUE_INOUT, 0, 0, 0);
	assert_int_equal(nw_msg(g, &m, &arg), TEE_SUCCESS);
	assert_int_equal(arg->params[1].u.rmem.size, sizeof(data));
	nw_shm_read(g, s, sizeof(data), back, sizeof(back));
	for (i = 0; i < sizeof(data); i++)
		assert_int_equal(back[i], data[i] ^ 0xA5);
	/* The arg page and the shm were mapped for the call: the shm once for its two windows. */
	assert_int_equal(sw_mm(f->sw)->stats.maps, maps + 2);
	assert_int_equal(stats(f, 0).map_reuses, 1);
	assert_int_equal(mapped_pages(f), 0);

	invoke_msg(&m, sess, TA_ECHO_CMD_INC_INPLACE, 1);
	set_rmem(&m.p[0], OPTEE_MSG_ATTR_TYPE_RMEM_INOUT, 10, 20, s->cookie);
	assert_int_equal(nw_msg(g, &m, NULL), TEE_SUCCESS);
	nw_shm_read(g, s, 0, back, 40);
	for (i = 0; i < 40; i++)
		assert_int_equal(back[i], (uint8_t)(data[i] + (i >= 10 && i < 30)));
	/* A window past the end of the shm is refused by the TEE. */
	invoke_msg(&m, sess, TA_ECHO_CMD_INC_INPLACE, 1);
	set_rmem(&m.p[0], OPTEE_MSG_ATTR_TYPE_RMEM_INOUT, 4 * PAGE - 10, 11, s->cookie);
	assert_int_equal(nw_msg(g, &m, &arg), TEE_ERROR_BAD_PARAMETERS);
	assert_int_equal(arg->ret_origin, TEE_ORIGIN_TEE);
	set_rmem(&m.p[0], OPTEE_MSG_ATTR_TYPE_RMEM_INOUT, UINT64_MAX, 2, s->cookie);
	assert_int_equal(nw_msg(g, &m, NULL), TEE_ERROR_BAD_PARAMETERS);
	set_rmem(&m.p[0], OPTEE_MSG_ATTR_TYPE_RMEM_INOUT, 0, 1, s->cookie + 1);
	assert_int_equal(nw_msg(g, &m, NULL), TEE_ERROR_BAD_PARAMETERS);

	nw_close(g, sess);
	assert_int_equal(nw_unregister(g, s->cookie), TEE_SUCCESS);
	assert_int_equal(mapped_pages(f), 0);
	assert_int_equal(info(f, 0).shm_registered, 0);
	assert_int_equal(stats(f, 0).registers, 1);
	assert_int_equal(stats(f, 0).unregisters, 1);
	fx_free(f);
}

/* Run a storage write then read of `size` bytes over `func`; returns what was read. */
static void storage_roundtrip(struct fx *f, uint32_t func, uint32_t id, size_t size)
{
	struct nw *g = &f->nw[0];
	struct nw_shm *src = nw_shm_new(g, size, 0x10, false);
	struct nw_shm *dst = nw_shm_new(g, size + 4000, 0, false);
	uint8_t *data = malloc(size), *back = malloc(size);
	struct optee_msg_arg *arg;
	struct msg m;
	uint32_t sess;

	assert_non_null(data);
	assert_non_null(back);
	fill_pattern(data, size, id);
	nw_shm_write(g, src, 0, data, size);
	sess = nw_open(g, &storage_uuid);

	invoke_msg(&m, sess, TA_STORAGE_CMD_WRITE, 2);
	set_value(&m.p[0], OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, id, 0, 0);
	set_tmem_noncontig(g, &m.p[1], OPTEE_MSG_ATTR_TYPE_TMEM_INPUT, src);
	assert_int_equal(nw_call(g, func, &m, &arg), OPTEE_SMC_RETURN_OK);
	assert_int_equal(arg->ret, TEE_SUCCESS);
	assert_int_equal(f->last_fs_write_size, size);

	invoke_msg(&m, sess, TA_STORAGE_CMD_READ, 2);
	set_value(&m.p[0], OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, id, 0, 0);
	set_tmem_noncontig(g, &m.p[1], OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, dst);
	assert_int_equal(nw_call(g, func, &m, &arg), OPTEE_SMC_RETURN_OK);
	assert_int_equal(arg->ret, TEE_SUCCESS);
	assert_int_equal(arg->params[1].u.tmem.size, size);
	nw_shm_read(g, dst, 0, back, size);
	assert_memory_equal(back, data, size);

	/* An object nobody wrote: the normal world's ITEM_NOT_FOUND, through the TA. */
	invoke_msg(&m, sess, TA_STORAGE_CMD_READ, 2);
	set_value(&m.p[0], OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, id + 1000, 0, 0);
	set_tmem_noncontig(g, &m.p[1], OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, dst);
	assert_int_equal(nw_call(g, func, &m, &arg), OPTEE_SMC_RETURN_OK);
	assert_int_equal(arg->ret, TEE_ERROR_ITEM_NOT_FOUND);
	assert_int_equal(arg->ret_origin, TEE_ORIGIN_TRUSTED_APP);
	nw_close(g, sess);
	free(data);
	free(back);
}

/*
 * Storage write/read round trip with the RPC arg inline (RPC_CMD a1:a2 = 0:0) and from RPC_ALLOC
 * (a1:a2 = its cookie).
 */
static void test_storage_roundtrip(void **state)
{
	struct sw_config cfg = base_cfg();
	struct fx *f = fx_new(&cfg, 1);

	(void)state;
	storage_roundtrip(f, OPTEE_SMC_CALL_WITH_RPC_ARG, 7, 6000);
	assert_int_equal(f->rpc_allocs, 0);
	assert_int_equal(f->rpc_frees, 0);
	assert_int_equal(f->last_rpc_cmd_cookie, 0);
	assert_int_equal(f->shm_allocs, 3);
	assert_int_equal(f->shm_frees, 3);
	assert_int_equal(f->fs_writes, 1);
	assert_int_equal(f->fs_reads, 2);

	/*
	 * CALL_WITH_ARG: one RPC_ALLOC per call that needs the normal world, freed before it
	 * returns.
	 */
	storage_roundtrip(f, OPTEE_SMC_CALL_WITH_ARG, 8, 3 * PAGE + 1);
	assert_int_equal(f->rpc_allocs, 3);
	assert_int_equal(f->rpc_frees, 3);
	assert_int_not_equal(f->last_rpc_cmd_cookie, 0);
	assert_int_equal(f->shm_allocs, 6);
	assert_int_equal(f->shm_frees, 6);
	assert_int_equal(stats(f, 0).rpc_allocs, 3);
	fx_free(f);
}

/*
 * CALL_WITH_REGD_ARG: the arg in a registered shm at an offset; bad cookies and offsets are
 * EBADADDR.
 */
static void test_regd_arg(void **state)
{
	struct sw_config cfg = base_cfg();
	struct fx *f;
	struct nw *g;
	struct nw_shm *args;
	struct smc_regs r;
	struct nw_call c;
	struct msg m;
	uint32_t sess, pass;

	(void)state;
	for (pass = 0; pass < 2; pass++) {
		cfg.regd_arg_rpc_inline = pass == 1;
		f = fx_new(&cfg, 1);
		g = &f->nw[0];
		args = nw_shm_new(g, 2 * PAGE, 0, false);
		assert_int_equal(nw_register(g, args), TEE_SUCCESS);
		sess = nw_open(g, &storage_uuid);

		invoke_msg(&m, sess, TA_STORAGE_CMD_WRITE, 2);
		set_value(&m.p[0], OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 3, 0, 0);
		set_tmem(&m.p[1], OPTEE_MSG_ATTR_TYPE_TMEM_INPUT, 0, 0, 0); /* an empty object */
		/* The arg straddles the shm's two (scattered) pages: offset 4064. */
		{
			uint8_t buf[OPTEE_MSG_GET_ARG_SIZE(2)];

			put_msg((struct optee_msg_arg *)buf, &m);
			nw_shm_write(g, args, PAGE - 32, buf, sizeof(buf));
		}
		memset(&c, 0, sizeof(c));
		c.g = g;
		if (pass == 1) {
			/* OP-TEE's layout: the RPC arg follows, in the same shm (page 2 here). */
			c.rpc_arg_pa = pa_add(args->pages[1], OPTEE_MSG_GET_ARG_SIZE(2) - 32);
		}
		c.r = regs(OPTEE_SMC_CALL_WITH_REGD_ARG, optee_smc_u64_high(args->cookie),
			   optee_smc_u64_low(args->cookie), PAGE - 32, g->client);
		smc(f, &c.r);
		assert_int_equal(nw_call_finish(&c), OPTEE_SMC_RETURN_OK);
		{
			struct optee_msg_arg back;

			nw_shm_read(g, args, PAGE - 32, &back, sizeof(back));
			assert_int_equal(back.ret, TEE_SUCCESS);
		}
		assert_int_equal(f->fs_writes, 1);
		assert_int_equal(f->last_fs_write_size, 0);
		assert_int_equal(f->rpc_allocs, pass == 0 ? 1 : 0);

		r = regs(OPTEE_SMC_CALL_WITH_REGD_ARG, 0, 12345, 0, g->client); /* unknown cookie */
		smc(f, &r);
		assert_int_equal(r.a[0], OPTEE_SMC_RETURN_EBADADDR);
		r = regs(OPTEE_SMC_CALL_WITH_REGD_ARG, optee_smc_u64_high(args->cookie),
			 optee_smc_u64_low(args->cookie), 2 * PAGE - 16,
			 g->client); /* the header does not fit */
		smc(f, &r);
		assert_int_equal(r.a[0], OPTEE_SMC_RETURN_EBADADDR);
		r = regs(OPTEE_SMC_CALL_WITH_REGD_ARG, optee_smc_u64_high(args->cookie),
			 optee_smc_u64_low(args->cookie), 4, g->client); /* misaligned */
		smc(f, &r);
		assert_int_equal(r.a[0], OPTEE_SMC_RETURN_EBADADDR);
		assert_int_equal(stats(f, 0).smc_ebadaddr, 3);
		nw_close(g, sess);
		assert_int_equal(nw_unregister(g, args->cookie), TEE_SUCCESS);
		fx_free(f);
	}
}

/*
 * Opening bigload loads its 1.5 MiB image by RPC (LOAD_TA twice, SHM_ALLOC NONCONTIG); a corrupt
 * image is refused.
 */
static void test_bigload(void **state)
{
	struct sw_config cfg = base_cfg();
	struct fx *f = fx_new(&cfg, 1);
	struct nw *g = &f->nw[0];
	struct optee_msg_arg *arg;
	uint32_t sess;
	struct msg m;

	(void)state;
	sess = nw_open(g, &bigload_uuid);
	assert_int_equal(f->load_tas, 2);
	assert_int_equal(f->shm_allocs, 1);
	assert_int_equal(f->shm_frees, 1);
	assert_int_equal(stats(f, 0).pages_mapped >= TEESHM_BIGLOAD_IMAGE_BYTES / PAGE, 1);
	invoke_msg(&m, sess, TA_BIGLOAD_CMD_SIZE, 1);
	set_value(&m.p[0], OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0, 0, 0);
	assert_int_equal(nw_msg(g, &m, &arg), TEE_SUCCESS);
	assert_int_equal(arg->params[0].u.value.a, TEESHM_BIGLOAD_IMAGE_BYTES);
	nw_close(g, sess);

	f->corrupt_image = true;
	open_msg(&m, &bigload_uuid);
	assert_int_equal(nw_msg(g, &m, &arg), TEE_ERROR_SECURITY);
	assert_int_equal(arg->ret_origin, TEE_ORIGIN_TEE);
	assert_int_equal(arg->session, 0);
	assert_int_equal(f->shm_frees, 2);
	assert_int_equal(info(f, 0).sessions, 0);
	fx_free(f);
}

/* Start a storage write that suspends at its first RPC (SHM_ALLOC) and leave it there. */
static void start_suspended_write(struct nw *g, uint32_t sess, struct nw_shm *src,
				  struct nw_call *c)
{
	struct msg m;

	invoke_msg(&m, sess, TA_STORAGE_CMD_WRITE, 2);
	set_value(&m.p[0], OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 77, 0, 0);
	set_rmem(&m.p[1], OPTEE_MSG_ATTR_TYPE_RMEM_INPUT, 0, src->size, src->cookie);
	nw_call_start(g, OPTEE_SMC_CALL_WITH_RPC_ARG, &m, false, c);
	assert_int_equal(c->r.a[0], OPTEE_SMC_RETURN_RPC_CMD);
}

/*
 * With two threads both suspended in RPC a third call gets ETHREAD_LIMIT; bad thread ids get
 * ERESUME; all resume.
 */
static void test_thread_limit(void **state)
{
	struct sw_config cfg = base_cfg();
	struct fx *f;
	struct nw *g;
	struct nw_shm *src;
	struct nw_call c1, c2, c3;
	struct smc_regs r;
	uint32_t s1, s2;
	struct msg m;

	(void)state;
	cfg.num_threads = 2;
	f = fx_new(&cfg, 1);
	g = &f->nw[0];
	src = nw_shm_new(g, 100, 0, false);
	assert_int_equal(nw_register(g, src), TEE_SUCCESS);
	s1 = nw_open(g, &storage_uuid);
	s2 = nw_open(g, &storage_uuid);
	start_suspended_write(g, s1, src, &c1);
	start_suspended_write(g, s2, src, &c2);
	assert_int_not_equal(c1.r.a[3], c2.r.a[3]);
	assert_int_equal(info(f, 0).threads_suspended, 2);
	assert_int_equal(sw_check(f->sw), 0);

	invoke_msg(&m, s1, TA_ECHO_CMD_VALUE, 0);
	nw_call_start(g, OPTEE_SMC_CALL_WITH_ARG, &m, false, &c3);
	assert_int_equal(c3.r.a[0], OPTEE_SMC_RETURN_ETHREAD_LIMIT);
	assert_int_equal(stats(f, 0).smc_ethread_limit, 1);

	r = regs(OPTEE_SMC_CALL_RETURN_FROM_RPC, 0, 0, 2, 0); /* no such thread */
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_ERESUME);
	r = regs(OPTEE_SMC_CALL_RETURN_FROM_RPC, 0, 0, 0xffffffffu, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_ERESUME);
	assert_int_equal(info(f, 0).threads_suspended, 2);

	r = regs(OPTEE_SMC_CALL_RETURN_FROM_RPC, 0, 0, (uint32_t)c2.r.a[3], 0);
	assert_int_equal(nw_call_finish(&c2), OPTEE_SMC_RETURN_OK);
	assert_int_equal(c2.arg->ret, TEE_SUCCESS);
	/* The thread of c2 is free again (r was its id): resuming it now is refused. */
	assert_int_equal(nw_call_finish(&c1), OPTEE_SMC_RETURN_OK);
	assert_int_equal(c1.arg->ret, TEE_SUCCESS);
	assert_int_equal(f->fs_writes, 2);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_ERESUME);
	assert_int_equal(stats(f, 0).smc_eresume, 3);

	/* A session runs one call at a time: the second is refused as busy, not queued. */
	start_suspended_write(g, s1, src, &c1);
	invoke_msg(&m, s1, TA_STORAGE_CMD_WRITE, 0);
	assert_int_equal(nw_msg(g, &m, NULL), TEE_ERROR_BUSY);
	assert_int_equal(nw_call_finish(&c1), OPTEE_SMC_RETURN_OK);

	nw_close(g, s1);
	nw_close(g, s2);
	assert_int_equal(nw_unregister(g, src->cookie), TEE_SUCCESS);
	fx_free(f);
}

struct rewrite {
	struct nw_call *victim;
	bool done;
};

/* While the secure world waits on its first RPC, rewrite the call's arg in guest memory. */
static bool rewrite_arg_hook(struct fx *f, struct nw_call *c, struct optee_msg_arg *rpc)
{
	struct rewrite *rw = f->hook_ctx;

	(void)rpc;
	if (rw->done || c != rw->victim)
		return false;
	rw->done = true;
	c->arg->num_params = 16;
	c->arg->params[0].u.value.a = 99;          /* object id */
	c->arg->params[1].u.tmem.size = 1;         /* memref size */
	c->arg->params[1].attr = OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT;
	return false; /* and answer the RPC normally */
}

/*
 * No double fetch: rewriting num_params and params during an RPC changes nothing the call does or
 * writes.
 */
static void test_double_fetch(void **state)
{
	struct sw_config cfg = base_cfg();
	struct fx *f = fx_new(&cfg, 1);
	struct nw *g = &f->nw[0];
	struct nw_shm *src = nw_shm_new(g, 5000, 0, false);
	uint8_t data[5000];
	struct rewrite rw = { 0 };
	struct nw_call c;
	uint32_t sess;
	struct msg m;
	int i;

	(void)state;
	fill_pattern(data, sizeof(data), 1);
	nw_shm_write(g, src, 0, data, sizeof(data));
	sess = nw_open(g, &storage_uuid);
	invoke_msg(&m, sess, TA_STORAGE_CMD_WRITE, 2);
	set_value(&m.p[0], OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, 7, 0, 0);
	set_tmem_noncontig(g, &m.p[1], OPTEE_MSG_ATTR_TYPE_TMEM_INPUT, src);
	f->hook = rewrite_arg_hook;
	f->hook_ctx = &rw;
	nw_call_start(g, OPTEE_SMC_CALL_WITH_RPC_ARG, &m, false, &c);
	rw.victim = &c;
	assert_int_equal(nw_call_finish(&c), OPTEE_SMC_RETURN_OK);
	f->hook = NULL;
	assert_true(rw.done);
	/* The secure world used what it read first: object 7, 5000 bytes, the right data. */
	assert_int_equal(c.arg->ret, TEE_SUCCESS);
	assert_int_equal(f->last_fs_write_id, 7);
	assert_int_equal(f->last_fs_write_size, 5000);
	for (i = 0; i < MAX_OBJS; i++)
		if (f->objs[i].used && f->objs[i].id == 7)
			assert_memory_equal(f->objs[i].data, data, sizeof(data));
	/*
	 * It wrote ret only; the rewritten fields are as the guest left them (input memref: no size
	 * back).
	 */
	assert_int_equal(c.arg->num_params, 16);
	assert_int_equal(c.arg->params[1].u.tmem.size, 1);
	assert_int_equal(c.arg->params[0].u.value.a, 99);
	nw_close(g, sess);
	fx_free(f);
}

/* Expect a call with m (via CALL_WITH_RPC_ARG) to be refused by the TEE with res. */
static void expect_tee_refusal(struct nw *g, const struct msg *m, TEE_Result res)
{
	struct optee_msg_arg *arg;

	assert_int_equal(nw_msg(g, m, &arg), res);
	assert_int_equal(arg->ret_origin, TEE_ORIGIN_TEE);
}

/*
 * Hostile args: bad addresses, sizes, attrs, page lists and cookies each get OP-TEE's refusal and
 * leave nothing behind.
 */
static void test_hostile_inputs(void **state)
{
	struct sw_config cfg = base_cfg();
	struct fx *f;
	struct nw *g;
	const struct dram_region *ta_ram;
	struct nw_shm *s, *big;
	struct smc_regs r;
	struct nw_call c;
	struct msg m;
	uint32_t sess;
	paddr_t page;
	static const uint64_t bad_attrs[] = {
		0x4, 0x8, 0xc, 0xff,
		OPTEE_MSG_ATTR_TYPE_VALUE_INPUT | OPTEE_MSG_ATTR_NONCONTIG,
		OPTEE_MSG_ATTR_TYPE_VALUE_INPUT | OPTEE_MSG_ATTR_META,
		OPTEE_MSG_ATTR_TYPE_VALUE_INPUT | (1ull << OPTEE_MSG_ATTR_CACHE_SHIFT),
		OPTEE_MSG_ATTR_TYPE_VALUE_INPUT | (1ull << 40),
	};
	size_t i;

	(void)state;
	cfg.max_pages_per_buffer = 64;
	f = fx_new(&cfg, 1);
	g = &f->nw[0];
	ta_ram = dram_region_find(f->dram->layout, DRAM_TA_RAM, 0);
	sess = nw_open(g, &echo_uuid);

	/* The arg itself: secure memory, misaligned, outside DRAM -> EBADADDR. */
	r = regs(OPTEE_SMC_CALL_WITH_ARG, 0, (uint32_t)pa_addr(ta_ram->base), 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_EBADADDR);
	page = nw_page(g);
	r = regs(OPTEE_SMC_CALL_WITH_ARG, 0, (uint32_t)pa_addr(page) + 4, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_EBADADDR);
	r = regs(OPTEE_SMC_CALL_WITH_ARG, 0x7f, 0, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_EBADADDR);
	/* num_params beyond the maximum, or more than fits in the arg's page -> EBADCMD. */
	invoke_msg(&m, sess, TA_ECHO_CMD_VALUE, 0);
	nw_call_start(g, OPTEE_SMC_CALL_WITH_ARG, &m, false, &c);
	assert_int_equal(c.r.a[0], OPTEE_SMC_RETURN_OK);
	c.arg->num_params = SW_MSG_MAX_PARAMS + 1;
	c.arg->ret = 0xdeadbeef;
	c.r = regs(OPTEE_SMC_CALL_WITH_ARG, 0, (uint32_t)pa_addr(c.arg_pa), 0, 0);
	smc(f, &c.r);
	assert_int_equal(c.r.a[0], OPTEE_SMC_RETURN_EBADCMD);
	assert_int_equal(c.arg->ret, 0xdeadbeef); /* nothing written back */
	{
		struct optee_msg_arg *tail = nw_host(g, pa_add(page, PAGE - 64), 64);

		memset(tail, 0, 64);
		tail->cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
		tail->num_params = 1; /* 64 bytes: fits exactly for CALL_WITH_ARG ... */
		tail->session = sess;
		tail->func = TA_ECHO_CMD_VALUE;
		tail->params[0].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INOUT;
		r = regs(OPTEE_SMC_CALL_WITH_ARG, 0, (uint32_t)pa_addr(page) + PAGE - 64, 0, 0);
		smc(f, &r);
		assert_int_equal(r.a[0], OPTEE_SMC_RETURN_OK);
		assert_int_equal(tail->ret, TEE_SUCCESS);
		/* ... but leaves no room for the RPC arg of CALL_WITH_RPC_ARG. */
		r = regs(OPTEE_SMC_CALL_WITH_RPC_ARG, 0, (uint32_t)pa_addr(page) + PAGE - 64, 0, 0);
		smc(f, &r);
		assert_int_equal(r.a[0], OPTEE_SMC_RETURN_EBADCMD);
		tail->num_params = 2;
		r = regs(OPTEE_SMC_CALL_WITH_ARG, 0, (uint32_t)pa_addr(page) + PAGE - 64, 0, 0);
		smc(f, &r);
		assert_int_equal(r.a[0], OPTEE_SMC_RETURN_EBADCMD);
	}
	assert_int_equal(stats(f, 0).smc_ebadaddr, 3);
	assert_int_equal(stats(f, 0).smc_ebadcmd, 3);

	/* Bad attributes. */
	for (i = 0; i < sizeof(bad_attrs) / sizeof(bad_attrs[0]); i++) {
		invoke_msg(&m, sess, TA_ECHO_CMD_VALUE, 1);
		set_value(&m.p[0], bad_attrs[i], 1, 2, 3);
		expect_tee_refusal(g, &m, TEE_ERROR_BAD_PARAMETERS);
	}
	/* More than four TA params. */
	invoke_msg(&m, sess, TA_ECHO_CMD_VALUE, 5);
	expect_tee_refusal(g, &m, TEE_ERROR_BAD_PARAMETERS);
	/* TMEMs: in secure memory, wrapping around, too many pages, crossing out of guest RAM. */
	invoke_msg(&m, sess, TA_ECHO_CMD_INC_INPLACE, 1);
	set_tmem(&m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_INOUT, pa_addr(ta_ram->base), 16, 0);
	expect_tee_refusal(g, &m, TEE_ERROR_BAD_PARAMETERS);
	set_tmem(&m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_INOUT, UINT64_MAX - 100, 4096, 0);
	expect_tee_refusal(g, &m, TEE_ERROR_BAD_PARAMETERS);
	set_tmem(&m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_INOUT, pa_addr(page), 65 * PAGE, 0);
	expect_tee_refusal(g, &m, TEE_ERROR_BAD_PARAMETERS);
	set_tmem(&m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_INOUT,
		 pa_addr(g->ram->base) + g->ram->size_bytes - 8, 16, 0);
	expect_tee_refusal(g, &m, TEE_ERROR_BAD_PARAMETERS);
	/*
	 * Page lists: the list in secure memory; an entry naming a secure page; too long; unaligned
	 * entry.
	 */
	s = nw_shm_new(g, 2 * PAGE, 0, false);
	set_tmem(&m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_INOUT | OPTEE_MSG_ATTR_NONCONTIG,
		 pa_addr(ta_ram->base), PAGE, 0);
	expect_tee_refusal(g, &m, TEE_ERROR_BAD_PARAMETERS);
	{
		struct nw_shm evil = *s;
		paddr_t pages[2] = { s->pages[0], ta_ram->base };

		uint64_t *list;

		evil.pages = pages;
		set_tmem_noncontig(g, &m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_INOUT, &evil);
		expect_tee_refusal(g, &m, TEE_ERROR_BAD_PARAMETERS);
		/* An unaligned entry (the list writer refuses one, so patch the list after). */
		set_tmem_noncontig(g, &m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_INOUT, s);
		list = nw_host(g, pa_init(m.p[0].u.tmem.buf_ptr & ~SMALL_PAGE_MASK), PAGE);
		list[1] |= 8;
		expect_tee_refusal(g, &m, TEE_ERROR_BAD_PARAMETERS);
	}
	big = nw_shm_new(g, 65 * PAGE, 0, false);
	set_tmem_noncontig(g, &m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_INOUT, big);
	expect_tee_refusal(g, &m, TEE_ERROR_BAD_PARAMETERS);

	/* Registration: list in secure memory, cookie 0, a duplicate cookie, the wrong attr. */
	memset(&m, 0, sizeof(m));
	m.cmd = OPTEE_MSG_CMD_REGISTER_SHM;
	m.n = 1;
	set_tmem(&m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG,
		 pa_addr(ta_ram->base), PAGE, 0x1000);
	expect_tee_refusal(g, &m, TEE_ERROR_BAD_PARAMETERS);
	set_tmem_noncontig(g, &m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, s);
	m.p[0].u.tmem.shm_ref = 0;
	expect_tee_refusal(g, &m, TEE_ERROR_BAD_PARAMETERS);
	set_tmem_noncontig(g, &m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_INPUT, s);
	expect_tee_refusal(g, &m, TEE_ERROR_BAD_PARAMETERS);
	assert_int_equal(nw_register(g, s), TEE_SUCCESS);
	assert_int_equal(nw_register(g, s), TEE_ERROR_BAD_PARAMETERS);
	/* Unregister twice: the second does not find it. */
	assert_int_equal(nw_unregister(g, s->cookie), TEE_SUCCESS);
	assert_int_equal(nw_unregister(g, s->cookie), TEE_ERROR_ITEM_NOT_FOUND);
	assert_int_equal(nw_unregister(g, 0x4242), TEE_ERROR_ITEM_NOT_FOUND);

	/* Commands and sessions. */
	memset(&m, 0, sizeof(m));
	m.cmd = 0x99;
	expect_tee_refusal(g, &m, TEE_ERROR_NOT_IMPLEMENTED);
	invoke_msg(&m, sess + 1, TA_ECHO_CMD_VALUE, 0);
	expect_tee_refusal(g, &m, TEE_ERROR_BAD_PARAMETERS);
	m.cmd = OPTEE_MSG_CMD_CLOSE_SESSION;
	expect_tee_refusal(g, &m, TEE_ERROR_ITEM_NOT_FOUND);
	{
		const struct ta_uuid nobody = { 0x12345678, 1, 2, { 3 } };

		open_msg(&m, &nobody);
		expect_tee_refusal(g, &m, TEE_ERROR_ITEM_NOT_FOUND);
		open_msg(&m, &echo_uuid);
		m.p[1].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INPUT; /* not META */
		expect_tee_refusal(g, &m, TEE_ERROR_BAD_PARAMETERS);
	}
	nw_close(g, sess);
	assert_int_equal(info(f, 0).mappings, 0);
	assert_int_equal(info(f, 0).sessions, 0);
	fx_free(f);
}

/*
 * UNREGISTER_SHM of a buffer a suspended call uses succeeds at once, the unmap waits for the call,
 * data stays right.
 */
static void test_unregister_in_use(void **state)
{
	struct sw_config cfg = base_cfg();
	struct fx *f = fx_new(&cfg, 1);
	struct nw *g = &f->nw[0];
	struct nw_shm *src = nw_shm_new(g, 3000, 0, false);
	uint8_t data[3000];
	struct nw_call c;
	uint32_t sess;
	int i;

	(void)state;
	fill_pattern(data, sizeof(data), 11);
	nw_shm_write(g, src, 0, data, sizeof(data));
	assert_int_equal(nw_register(g, src), TEE_SUCCESS);
	sess = nw_open(g, &storage_uuid);
	start_suspended_write(g, sess, src, &c);
	assert_int_equal(mapped_pages(f), 1 + 1); /* the shm, and the call's arg page */

	assert_int_equal(nw_unregister(g, src->cookie), TEE_SUCCESS);
	assert_int_equal(info(f, 0).shm_registered, 0);
	assert_int_equal(info(f, 0).shm_deferred, 1);
	assert_int_equal(mapped_pages(f), 2); /* still mapped: the call holds it */
	assert_int_equal(nw_unregister(g, src->cookie), TEE_ERROR_ITEM_NOT_FOUND);
	assert_int_equal(sw_check(f->sw), 0);

	assert_int_equal(nw_call_finish(&c), OPTEE_SMC_RETURN_OK);
	assert_int_equal(c.arg->ret, TEE_SUCCESS);
	assert_int_equal(f->last_fs_write_size, sizeof(data));
	for (i = 0; i < MAX_OBJS; i++)
		if (f->objs[i].used && f->objs[i].id == 77)
			assert_memory_equal(f->objs[i].data, data, sizeof(data));
	/* The last user is gone: so is the mapping. */
	assert_int_equal(info(f, 0).shm_deferred, 0);
	assert_int_equal(mapped_pages(f), 0);
	assert_int_equal(stats(f, 0).deferred_unregisters, 1);
	nw_close(g, sess);
	fx_free(f);
}

/*
 * Two guests under virtualization; destroying one mid-call reclaims all it held and the other goes
 * on.
 */
static void test_virtualization(void **state)
{
	struct sw_config cfg = base_cfg();
	struct fx *f;
	struct nw *g1, *g2;
	struct nw_shm *reg1, *buf2, *foreign;
	struct nw_call c;
	struct smc_regs r;
	struct msg m;
	uint32_t e1, st1, e2;

	(void)state;
	cfg.virtualization = true;
	cfg.max_guests = 4;
	f = fx_new(&cfg, 2);
	g1 = &f->nw[0];
	g2 = &f->nw[1];

	r = regs(OPTEE_SMC_EXCHANGE_CAPABILITIES, 0, 0, 0, 0);
	smc(f, &r);
	assert_true(r.a[1] & OPTEE_SMC_SEC_CAP_VIRTUALIZATION);
	/* Guests must be created by the hypervisor (client 0) before they may call. */
	r = regs(OPTEE_SMC_GET_THREAD_COUNT, 0, 0, 0, 1);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_ENOTAVAIL);
	r = regs(OPTEE_SMC_VM_CREATED, 1, 0, 0, 2);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_ENOTAVAIL);
	r = regs(OPTEE_SMC_VM_CREATED, 1, 0, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_OK);
	r = regs(OPTEE_SMC_VM_CREATED, 1, 0, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_ENOTAVAIL);
	r = regs(OPTEE_SMC_VM_CREATED, 2, 0, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_OK);
	r = regs(OPTEE_SMC_VM_CREATED, 5, 0, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_ENOTAVAIL);
	/* The hypervisor makes no yielding calls; an uncreated guest none at all. */
	r = regs(OPTEE_SMC_CALL_WITH_ARG, 0, 0x40000000, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_ENOTAVAIL);
	r = regs(OPTEE_SMC_CALL_WITH_ARG, 0, 0x40000000, 0, 3);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_ENOTAVAIL);

	/* Guest 1: a registered shm, an echo session, a storage call suspended in RPC. */
	reg1 = nw_shm_new(g1, 2 * PAGE, 0, false);
	assert_int_equal(nw_register(g1, reg1), TEE_SUCCESS);
	e1 = nw_open(g1, &echo_uuid);
	st1 = nw_open(g1, &storage_uuid);
	start_suspended_write(g1, st1, reg1, &c);
	nw_call_step(&c); /* SHM_ALLOC answered: now waiting on FS with an RPC buffer mapped */
	assert_int_equal(c.r.a[0], OPTEE_SMC_RETURN_RPC_CMD);
	assert_int_equal(f->shm_allocs, 1);
	/* Guest 2 works beside it, and may not share guest 1's pages nor resume its thread. */
	e2 = nw_open(g2, &echo_uuid);
	buf2 = nw_shm_new(g2, 3 * PAGE, 7, false);
	invoke_msg(&m, e2, TA_ECHO_CMD_INC_INPLACE, 1);
	set_tmem_noncontig(g2, &m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_INOUT, buf2);
	assert_int_equal(nw_msg(g2, &m, NULL), TEE_SUCCESS);
	assert_int_equal(*nw_shm_byte(g2, buf2, 0), 1);
	foreign = nw_shm_new(g1, PAGE, 0, true);
	invoke_msg(&m, e2, TA_ECHO_CMD_INC_INPLACE, 1);
	set_tmem(&m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_INOUT, pa_addr(foreign->pages[0]), 16, 0);
	expect_tee_refusal(g2, &m, TEE_ERROR_BAD_PARAMETERS);
	r = regs(OPTEE_SMC_CALL_RETURN_FROM_RPC, 0, 0, (uint32_t)c.r.a[3], 2);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_ERESUME);
	{
		/* An arg the hypervisor shadowed into its own RAM, as Xen's mediator does. */
		const struct dram_region *hv = dram_region_find(f->dram->layout, DRAM_HV_RAM, 0);
		struct dram_view *hv_view;
		struct optee_msg_arg *shadow;

		assert_non_null(hv);
		assert_int_equal(dram_view_open(f->dram, &hv, 1, &hv_view), 0);
		shadow = dram_view_ptr(hv_view, hv->base, PAGE);
		invoke_msg(&m, e2, TA_ECHO_CMD_VALUE, 1);
		set_value(&m.p[0], OPTEE_MSG_ATTR_TYPE_VALUE_INOUT, 5, 6, 0);
		put_msg(shadow, &m);
		r = regs(OPTEE_SMC_CALL_WITH_ARG, 0, (uint32_t)pa_addr(hv->base), 0, 2);
		smc(f, &r);
		assert_int_equal(r.a[0], OPTEE_SMC_RETURN_OK);
		assert_int_equal(shadow->ret, TEE_SUCCESS);
		assert_int_equal(shadow->params[0].u.value.a, 10);
		dram_view_close(hv_view);
	}
	assert_int_equal(info(f, 1).mappings, 3); /* registered shm, arg page, RPC buffer */
	assert_int_equal(sw_check(f->sw), 0);

	/* The hypervisor reports guest 1 dead. */
	c.arg->ret = 0x5e5e5e5e;
	r = regs(OPTEE_SMC_VM_DESTROYED, 1, 0, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_OK);
	assert_int_equal(core_mm_check_vm_clean(sw_mm(f->sw), 1), 0);
	assert_int_equal(sw_check(f->sw), 0);
	{
		struct sw_client_info in = info(f, 1);

		assert_false(in.alive);
		assert_int_equal(in.threads_suspended + in.threads_running, 0);
		assert_int_equal(in.sessions + in.shm_registered + in.shm_deferred, 0);
		assert_int_equal(in.mappings, 0);
	}
	assert_int_equal(c.arg->ret, 0x5e5e5e5e); /* nothing was answered to the dead guest */
	assert_int_equal(f->fs_writes, 0);
	assert_int_equal(f->shm_frees, 0); /* not even SHM_FREE: the guest is gone */
	assert_int_equal(stats(f, 1).threads_abandoned, 1);
	assert_int_equal(stats(f, 1).tee_target_dead, 1);
	/* Its late resume and any new call are refused. */
	r = regs(OPTEE_SMC_CALL_RETURN_FROM_RPC, 0, 0, (uint32_t)c.r.a[3], 1);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_ENOTAVAIL);
	r = regs(OPTEE_SMC_VM_DESTROYED, 1, 0, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_ENOTAVAIL);

	/* Guest 2 is untouched. */
	invoke_msg(&m, e2, TA_ECHO_CMD_INC_INPLACE, 1);
	set_tmem_noncontig(g2, &m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_INOUT, buf2);
	assert_int_equal(nw_msg(g2, &m, NULL), TEE_SUCCESS);
	assert_int_equal(*nw_shm_byte(g2, buf2, 0), 2);
	nw_close(g2, e2);
	(void)e1;

	/* Guest 1 may come back as a new VM with nothing of the old one. */
	r = regs(OPTEE_SMC_VM_CREATED, 1, 0, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_OK);
	invoke_msg(&m, e1, TA_ECHO_CMD_VALUE, 1);
	set_value(&m.p[0], OPTEE_MSG_ATTR_TYPE_VALUE_INOUT, 1, 1, 0);
	expect_tee_refusal(g1, &m, TEE_ERROR_BAD_PARAMETERS); /* the old session is gone */
	e1 = nw_open(g1, &echo_uuid);
	nw_close(g1, e1);
	r = regs(OPTEE_SMC_VM_DESTROYED, 1, 0, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_OK);
	r = regs(OPTEE_SMC_VM_DESTROYED, 2, 0, 0, 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_OK);
	fx_free(f);
}

/*
 * A suspended call whose RPC is never answered is reclaimed after rpc_timeout_ms, leaving nothing
 * behind.
 */
static void test_rpc_timeout(void **state)
{
	struct sw_config cfg = base_cfg();
	struct fx *f;
	struct nw *g;
	struct nw_shm *src;
	struct nw_call c;
	struct smc_regs r;
	uint32_t sess;
	int tries;

	(void)state;
	cfg.rpc_timeout_ms = 20;
	f = fx_new(&cfg, 1);
	g = &f->nw[0];
	src = nw_shm_new(g, 100, 0, false);
	assert_int_equal(nw_register(g, src), TEE_SUCCESS);
	sess = nw_open(g, &storage_uuid);
	start_suspended_write(g, sess, src, &c);
	for (tries = 0; tries < 400 && info(f, 0).threads_suspended; tries++) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	assert_int_equal(info(f, 0).threads_suspended + info(f, 0).threads_running, 0);
	assert_int_equal(stats(f, 0).rpc_timeouts, 1);
	r = regs(OPTEE_SMC_CALL_RETURN_FROM_RPC, 0, 0, (uint32_t)c.r.a[3], 0);
	smc(f, &r);
	assert_int_equal(r.a[0], OPTEE_SMC_RETURN_ERESUME);
	assert_int_equal(info(f, 0).shm_deferred, 0);
	/* The reclaimed call was the shm's last user: under dynamic it is unmapped with it. */
	assert_int_equal(mapped_pages(f), 0);
	assert_int_equal(info(f, 0).shm_registered, 1);
	assert_int_equal(sw_check(f->sw), 0);
	/* The session is usable again. */
	nw_close(g, sess);
	assert_int_equal(nw_unregister(g, src->cookie), TEE_SUCCESS);
	fx_free(f);
}

struct worker {
	struct fx *f;
	struct nw *g;
	int iterations;
	int failures;
	uint32_t ethread_limits;
};

/* Retry on ETHREAD_LIMIT as Linux does (it waits for a thread to free). */
static uint32_t worker_call(struct worker *w, const struct msg *m, struct optee_msg_arg **arg)
{
	for (;;) {
		uint32_t a0 = nw_call(w->g, OPTEE_SMC_CALL_WITH_ARG, m, arg);
		struct timespec ts = { 0, 100 * 1000 };

		if (a0 != OPTEE_SMC_RETURN_ETHREAD_LIMIT)
			return a0;
		w->ethread_limits++;
		nanosleep(&ts, NULL);
	}
}

static void *worker_main(void *p)
{
	struct worker *w = p;
	struct nw *g = w->g;
	struct nw_shm *buf = nw_shm_new(g, 2 * PAGE + 100, 0x30, false);
	struct nw_shm *obj = nw_shm_new(g, 3000, 0, false), *back = nw_shm_new(g, 3000, 0, false);
	struct optee_msg_arg *arg;
	uint32_t sess, store, id = g->client;
	uint8_t a[3000], b[3000];
	struct msg m;
	int it;

	open_msg(&m, &echo_uuid);
	if (worker_call(w, &m, &arg) || arg->ret)
		w->failures++;
	sess = arg->session;
	open_msg(&m, &storage_uuid);
	if (worker_call(w, &m, &arg) || arg->ret)
		w->failures++;
	store = arg->session;
	for (it = 0; it < w->iterations; it++) {
		invoke_msg(&m, sess, TA_ECHO_CMD_INC_INPLACE, 1);
		set_tmem_noncontig(g, &m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_INOUT, buf);
		if (worker_call(w, &m, &arg) || arg->ret)
			w->failures++;
		if (it % 4)
			continue;
		/* A storage round trip: RPCs answered from this host thread, resumed one by one. */
		fill_pattern(a, sizeof(a), (unsigned)(it + id));
		nw_shm_write(g, obj, 0, a, sizeof(a));
		invoke_msg(&m, store, TA_STORAGE_CMD_WRITE, 2);
		set_value(&m.p[0], OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, id, 0, 0);
		set_tmem_noncontig(g, &m.p[1], OPTEE_MSG_ATTR_TYPE_TMEM_INPUT, obj);
		if (worker_call(w, &m, &arg) || arg->ret)
			w->failures++;
		invoke_msg(&m, store, TA_STORAGE_CMD_READ, 2);
		set_value(&m.p[0], OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, id, 0, 0);
		set_tmem_noncontig(g, &m.p[1], OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, back);
		if (worker_call(w, &m, &arg) || arg->ret)
			w->failures++;
		nw_shm_read(g, back, 0, b, sizeof(b));
		w->failures += memcmp(a, b, sizeof(a)) != 0;
	}
	memset(&m, 0, sizeof(m));
	m.cmd = OPTEE_MSG_CMD_CLOSE_SESSION;
	m.session = store;
	if (worker_call(w, &m, &arg) || arg->ret)
		w->failures++;
	if (*nw_shm_byte(g, buf, 0) != (uint8_t)w->iterations ||
	    *nw_shm_byte(g, buf, buf->size - 1) != (uint8_t)w->iterations)
		w->failures++;
	memset(&m, 0, sizeof(m));
	m.cmd = OPTEE_MSG_CMD_CLOSE_SESSION;
	m.session = sess;
	if (worker_call(w, &m, &arg) || arg->ret)
		w->failures++;
	return NULL;
}

/*
 * Four guests calling at once (RPCs included) from four host threads over two secure threads: every
 * call right.
 */
static void test_concurrent_guests(void **state)
{
	struct sw_config cfg = base_cfg();
	struct worker w[4];
	pthread_t th[4];
	struct fx *f;
	int i;

	(void)state;
	cfg.virtualization = true;
	cfg.max_guests = 4;
	cfg.num_threads = 2;
	f = fx_new(&cfg, 4);
	for (i = 0; i < 4; i++) {
		struct smc_regs r = regs(OPTEE_SMC_VM_CREATED, (uint32_t)i + 1, 0, 0, 0);

		smc(f, &r);
		assert_int_equal(r.a[0], OPTEE_SMC_RETURN_OK);
		w[i] = (struct worker){ .f = f, .g = &f->nw[i], .iterations = 40 };
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].failures, 0);
		assert_int_equal(stats(f, (uint16_t)(i + 1)).invokes, 40 + 2 * 10);
	}
	assert_int_equal(sw_check(f->sw), 0);
	for (i = 0; i < 4; i++) {
		struct smc_regs r = regs(OPTEE_SMC_VM_DESTROYED, (uint32_t)i + 1, 0, 0, 0);

		smc(f, &r);
		assert_int_equal(r.a[0], OPTEE_SMC_RETURN_OK);
		assert_int_equal(core_mm_check_vm_clean(sw_mm(f->sw), (uint16_t)(i + 1)), 0);
	}
	fx_free(f);
}

/*
 * Teardown with calls suspended, sessions open and shm registered reclaims it all (sw_destroy under
 * ASan: no leak).
 */
static void test_destroy_with_state(void **state)
{
	struct sw_config cfg = base_cfg();
	struct fx *f = fx_new(&cfg, 1);
	struct nw *g = &f->nw[0];
	struct nw_shm *src = nw_shm_new(g, 100, 0, false);
	struct nw_call c;
	uint32_t sess;

	(void)state;
	assert_int_equal(nw_register(g, src), TEE_SUCCESS);
	sess = nw_open(g, &storage_uuid);
	(void)nw_open(g, &bigload_uuid);
	start_suspended_write(g, sess, src, &c);
	assert_int_equal(sw_check(f->sw), 0);
	/* What fx_free checks does not hold here; tear down directly. */
	sw_destroy(f->sw);
	f->sw = NULL;
	{
		int j;

		for (j = 0; j < NW_MAX_SHM; j++)
			if (g->shm[j].live)
				nw_shm_free(&g->shm[j]);
		dram_view_close(g->view);
		pthread_mutex_destroy(&f->obj_lock);
		dram_destroy(f->dram);
		free(f);
	}
}

static void *resume_main(void *p)
{
	struct nw_call *c = p;

	/* Runs until the call ends or the dead guest's resume is refused (ENOTAVAIL). */
	(void)nw_call_finish(c);
	return NULL;
}

/*
 * VM_DESTROYED racing the guest's own RETURN_FROM_RPC on another CPU: whichever
 * wins, the books stay consistent and nothing of the guest survives.
 */
static void test_destroy_races_resume(void **state)
{
	struct sw_config cfg = base_cfg();
	struct fx *f;
	struct nw *g;
	int it;

	(void)state;
	cfg.virtualization = true;
	cfg.max_guests = 1;
	cfg.num_threads = 2;
	f = fx_new(&cfg, 1);
	g = &f->nw[0];
	for (it = 0; it < 30; it++) {
		struct smc_regs r = regs(OPTEE_SMC_VM_CREATED, 1, 0, 0, 0);
		struct nw_shm *src;
		struct nw_call c;
		pthread_t th;
		uint32_t sess;
		int j;

		smc(f, &r);
		assert_int_equal(r.a[0], OPTEE_SMC_RETURN_OK);
		src = nw_shm_new(g, 3 * PAGE, 0, false);
		assert_int_equal(nw_register(g, src), TEE_SUCCESS);
		sess = nw_open(g, &storage_uuid);
		start_suspended_write(g, sess, src, &c);
		assert_int_equal(pthread_create(&th, NULL, resume_main, &c), 0);
		if (it % 3)
			sched_yield();
		r = regs(OPTEE_SMC_VM_DESTROYED, 1, 0, 0, 0);
		smc(f, &r);
		assert_int_equal(r.a[0], OPTEE_SMC_RETURN_OK);
		pthread_join(th, NULL);
		assert_int_equal(core_mm_check_vm_clean(sw_mm(f->sw), 1), 0);
		assert_int_equal(sw_check(f->sw), 0);
		assert_int_equal(info(f, 1).mappings, 0);
		/* The guest's own books start afresh with its next life. */
		for (j = 0; j < NW_MAX_SHM; j++)
			if (g->shm[j].live)
				nw_shm_free(&g->shm[j]);
	}
	fx_free(f);
}

/* sw_check is not vacuous: each kind of book it keeps, once corrupted, is reported. */
static void test_check_catches_corruption(void **state)
{
	struct sw_config cfg = base_cfg();
	struct fx *f = fx_new(&cfg, 1);
	struct nw *g = &f->nw[0];
	struct nw_shm *s = nw_shm_new(g, PAGE, 0, false);
	struct sw_session *sess;
	struct sw_shm *shm;
	uint32_t id;

	(void)state;
	assert_int_equal(nw_register(g, s), TEE_SUCCESS);
	id = nw_open(g, &echo_uuid);
	assert_int_equal(sw_check(f->sw), 0);

	f->sw->clients[0].n_mappings++;
	assert_int_not_equal(sw_check(f->sw), 0);
	f->sw->clients[0].n_mappings--;
	f->sw->clients[0].n_sessions++;
	assert_int_not_equal(sw_check(f->sw), 0);
	f->sw->clients[0].n_sessions--;
	shm = sw_shm_find(f->sw, 0, s->cookie);
	assert_non_null(shm);
	shm->users++; /* a reference no call holds */
	assert_int_not_equal(sw_check(f->sw), 0);
	shm->users--;
	shm->mobj.map_refs++; /* a use nobody makes (the strategy's check) */
	assert_int_not_equal(sw_check(f->sw), 0);
	shm->mobj.map_refs--;
	sess = sw_session_find(&f->sw->sessions, 0, id);
	assert_non_null(sess);
	sess->client = 1;
	assert_int_not_equal(sw_check(f->sw), 0);
	sess->client = 0;
	f->sw->threads[1].state = SW_THREAD_SUSPENDED; /* suspended on no RPC */
	assert_int_not_equal(sw_check(f->sw), 0);
	f->sw->threads[1].state = SW_THREAD_FREE;
	assert_int_equal(sw_check(f->sw), 0);

	nw_close(g, id);
	assert_int_equal(nw_unregister(g, s->cookie), TEE_SUCCESS);
	fx_free(f);
}

/* ---- Strategy dynamic: map on use ---- */

/* A whole call with its arg in the static carveout (nothing mapped for the arg); returns ret. */
static TEE_Result nw_msg_carveout(struct nw *g, const struct msg *m)
{
	struct nw_call c;

	nw_call_start(g, OPTEE_SMC_CALL_WITH_ARG, m, true, &c);
	assert_int_equal(nw_call_finish(&c), OPTEE_SMC_RETURN_OK);
	return c.arg->ret;
}

/* The registered object of a cookie, as the secure world keeps it. */
static struct sw_shm *shm_of(struct fx *f, uint16_t client, uint64_t cookie)
{
	struct sw_shm *shm = sw_shm_find(f->sw, client, cookie);

	assert_non_null(shm);
	return shm;
}

/*
 * REGISTER_SHM maps nothing (only its list pages are read, each through a short-lived
 * mapping), and keeps the list: scribbling over it afterwards changes nothing a use does.
 */
static void test_register_maps_nothing(void **state)
{
	struct sw_config cfg = base_cfg();
	struct fx *f = fx_new(&cfg, 1);
	struct nw *g = &f->nw[0];
	struct nw_shm *s = nw_shm_new(g, 3 * PAGE, 0x40, false);
	struct msg m = { .cmd = OPTEE_MSG_CMD_REGISTER_SHM, .n = 1 };
	struct core_mm *mm = sw_mm(f->sw);
	uint64_t maps, lists, uses;
	struct sw_shm *shm;
	uint32_t sess;
	paddr_t list;

	(void)state;
	sess = nw_open(g, &echo_uuid);
	maps = mm->stats.maps;
	lists = stats(f, 0).pagelist_pages_read;
	uses = stats(f, 0).maps_on_use;
	set_tmem_noncontig(g, &m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, s);
	list = pa_init(m.p[0].u.tmem.buf_ptr & ~SMALL_PAGE_MASK);
	assert_int_equal(nw_msg_carveout(g, &m), TEE_SUCCESS);
	assert_int_equal(stats(f, 0).registers, 1);
	assert_int_equal(stats(f, 0).pagelist_pages_read, lists + 1);
	assert_int_equal(mm->stats.maps, maps + 1); /* the list page, read and unmapped */
	assert_int_equal(mapped_pages(f), 0);
	assert_int_equal(info(f, 0).mappings, 0);
	assert_int_equal(stats(f, 0).maps_on_use, uses);
	shm = shm_of(f, 0, s->cookie);
	assert_false(sw_mobj_is_mapped(&shm->mobj));
	assert_int_equal(shm->mobj.n_pages, 4);
	assert_int_equal(pa_addr(shm->mobj.pages[2]), pa_addr(s->pages[2]));
	assert_int_equal(sw_check(f->sw), 0);

	/* The normal world rewrites its list to name nothing valid: the secure copy is used. */
	memset(nw_host(g, list, PAGE), 0xff, PAGE);
	invoke_msg(&m, sess, TA_ECHO_CMD_INC_INPLACE, 1);
	set_rmem(&m.p[0], OPTEE_MSG_ATTR_TYPE_RMEM_INOUT, 2 * PAGE, PAGE, s->cookie);
	assert_int_equal(nw_msg_carveout(g, &m), TEE_SUCCESS);
	assert_int_equal(*nw_shm_byte(g, s, 2 * PAGE), 1);
	assert_int_equal(*nw_shm_byte(g, s, 3 * PAGE - 1), 1);
	assert_int_equal(*nw_shm_byte(g, s, 2 * PAGE - 1), 0);
	assert_int_equal(stats(f, 0).pagelist_pages_read, lists + 1);
	assert_false(sw_mobj_is_mapped(&shm->mobj));
	nw_close(g, sess);
	assert_int_equal(nw_unregister(g, s->cookie), TEE_SUCCESS);
	fx_free(f);
}

/*
 * The first call to use a registered shm maps it; an overlapping second call shares that mapping
 * (one map, two references); it stays until the last user ends, which unmaps it.
 */
static void test_overlapping_uses_map_once(void **state)
{
	struct sw_config cfg = base_cfg();
	struct fx *f = fx_new(&cfg, 1);
	struct nw *g = &f->nw[0];
	struct nw_shm *src = nw_shm_new(g, 3000, 0, false);
	struct core_mm *mm = sw_mm(f->sw);
	const struct core_mapping *cm;
	struct nw_call c1, c2;
	struct sw_shm *shm;
	uint32_t s1, s2;
	uint64_t maps, reuses, unmaps, tlbi;
	vaddr_t va;

	(void)state;
	assert_int_equal(nw_register(g, src), TEE_SUCCESS);
	shm = shm_of(f, 0, src->cookie);
	s1 = nw_open(g, &storage_uuid);
	s2 = nw_open(g, &storage_uuid);
	assert_false(sw_mobj_is_mapped(&shm->mobj));

	start_suspended_write(g, s1, src, &c1);
	assert_true(sw_mobj_is_mapped(&shm->mobj));
	assert_int_equal(shm->mobj.map_refs, 1);
	va = shm->mobj.map_va;
	cm = core_mm_find_mapping(mm, va);
	assert_non_null(cm);
	assert_int_equal(cm->n_pages, 1);
	assert_int_equal(cm->vm, 0);
	assert_int_equal(sw_check(f->sw), 0);

	maps = mm->stats.maps;
	reuses = stats(f, 0).map_reuses;
	start_suspended_write(g, s2, src, &c2);
	assert_int_equal(shm->mobj.map_refs, 2);
	assert_int_equal(shm->users, 2);
	assert_int_equal(va_addr(shm->mobj.map_va), va_addr(va));
	assert_int_equal(mm->stats.maps, maps + 1); /* c2's arg page only */
	assert_int_equal(stats(f, 0).map_reuses, reuses + 1);
	assert_int_equal(info(f, 0).mappings, 3);   /* the shm once, two arg pages */
	assert_int_equal(sw_check(f->sw), 0);

	assert_int_equal(nw_call_finish(&c1), OPTEE_SMC_RETURN_OK);
	assert_int_equal(c1.arg->ret, TEE_SUCCESS);
	assert_int_equal(shm->mobj.map_refs, 1);
	assert_int_equal(va_addr(shm->mobj.map_va), va_addr(va));
	assert_int_equal(sw_check(f->sw), 0);

	unmaps = mm->stats.unmaps;
	tlbi = mm->tlb.stats.tlbi_all;
	assert_int_equal(nw_call_finish(&c2), OPTEE_SMC_RETURN_OK);
	assert_int_equal(c2.arg->ret, TEE_SUCCESS);
	assert_false(sw_mobj_is_mapped(&shm->mobj));
	assert_int_equal(shm->mobj.map_refs, 0);
	assert_null(core_mm_find_mapping(mm, va));
	/* One TLBI VMALLE1IS per unmap (OP-TEE), the shm's among them. */
	assert_true(mm->stats.unmaps > unmaps);
	assert_int_equal(mm->tlb.stats.tlbi_all - tlbi, mm->stats.unmaps - unmaps);
	assert_int_equal(mapped_pages(f), 0);
	nw_close(g, s1);
	nw_close(g, s2);
	assert_int_equal(nw_unregister(g, src->cookie), TEE_SUCCESS);
	fx_free(f);
}

/*
 * A call that is a registered shm's only user maps it once and, when it ends, unmaps it with
 * exactly one TLBI of the configured kind (ALL by default, RANGE when so configured).
 */
static void test_last_use_unmaps_one_tlbi(void **state)
{
	static const enum core_mm_tlbi_policy policies[] = { CORE_MM_TLBI_ALL, CORE_MM_TLBI_RANGE };
	size_t p;

	(void)state;
	for (p = 0; p < sizeof(policies) / sizeof(policies[0]); p++) {
		struct sw_config cfg = base_cfg();
		struct fx *f;
		struct nw *g;
		struct nw_shm *s;
		struct core_mm *mm;
		struct tlb_stats t0;
		struct sw_stats st0, st1;
		uint64_t maps, unmaps;
		uint32_t sess;
		struct msg m;

		if (policies[p] != CORE_MM_TLBI_ALL)
			cfg.mm.tlbi_policy = policies[p];
		else
			assert_int_equal(cfg.mm.tlbi_policy, CORE_MM_TLBI_ALL); /* the default */
		f = fx_new(&cfg, 1);
		g = &f->nw[0];
		mm = sw_mm(f->sw);
		s = nw_shm_new(g, 2 * PAGE, 0x10, false);
		assert_int_equal(nw_register(g, s), TEE_SUCCESS);
		sess = nw_open(g, &echo_uuid);

		maps = mm->stats.maps;
		unmaps = mm->stats.unmaps;
		t0 = mm->tlb.stats;
		st0 = stats(f, 0);
		invoke_msg(&m, sess, TA_ECHO_CMD_INC_INPLACE, 1);
		set_rmem(&m.p[0], OPTEE_MSG_ATTR_TYPE_RMEM_INOUT, 0, 2 * PAGE, s->cookie);
		assert_int_equal(nw_msg_carveout(g, &m), TEE_SUCCESS);
		st1 = stats(f, 0);
		assert_int_equal(*nw_shm_byte(g, s, 0), 1);
		assert_int_equal(*nw_shm_byte(g, s, 2 * PAGE - 1), 1);
		assert_int_equal(mm->stats.maps - maps, 1);
		assert_int_equal(mm->stats.unmaps - unmaps, 1);
		assert_int_equal(st1.maps_on_use - st0.maps_on_use, 1);
		assert_int_equal(st1.unmaps_on_last_user - st0.unmaps_on_last_user, 1);
		assert_int_equal(st1.pages_mapped - st0.pages_mapped, 3); /* offset 0x10: 3 pages */
		assert_int_equal(mm->tlb.stats.tlbi_all - t0.tlbi_all,
				 policies[p] == CORE_MM_TLBI_ALL ? 1 : 0);
		assert_int_equal(mm->tlb.stats.tlbi_range - t0.tlbi_range,
				 policies[p] == CORE_MM_TLBI_RANGE ? 1 : 0);
		assert_int_equal(mm->tlb.stats.tlbi_va - t0.tlbi_va, 0);
		assert_int_equal(mapped_pages(f), 0);
		nw_close(g, sess);
		assert_int_equal(nw_unregister(g, s->cookie), TEE_SUCCESS);
		fx_free(f);
	}
}

/*
 * Registration does not reserve mapping room: a registered shm the VM's page limit cannot map is
 * refused at use (OUT_OF_MEMORY) and leaves no reference behind.
 */
static void test_use_that_cannot_map(void **state)
{
	struct sw_config cfg = base_cfg();
	struct fx *f;
	struct nw *g;
	struct nw_shm *s;
	struct sw_shm *shm;
	uint32_t sess;
	struct msg m;

	(void)state;
	cfg.mm.max_pages_per_vm = 4;
	f = fx_new(&cfg, 1);
	g = &f->nw[0];
	s = nw_shm_new(g, 6 * PAGE, 0, false);
	sess = nw_open(g, &echo_uuid);
	memset(&m, 0, sizeof(m));
	m.cmd = OPTEE_MSG_CMD_REGISTER_SHM;
	m.n = 1;
	set_tmem_noncontig(g, &m.p[0], OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, s);
	assert_int_equal(nw_msg_carveout(g, &m), TEE_SUCCESS);
	shm = shm_of(f, 0, s->cookie);
	invoke_msg(&m, sess, TA_ECHO_CMD_INC_INPLACE, 1);
	set_rmem(&m.p[0], OPTEE_MSG_ATTR_TYPE_RMEM_INOUT, 0, PAGE, s->cookie);
	assert_int_equal(nw_msg_carveout(g, &m), TEE_ERROR_OUT_OF_MEMORY);
	assert_int_equal(shm->users, 0);
	assert_int_equal(shm->mobj.map_refs, 0);
	assert_int_equal(*nw_shm_byte(g, s, 0), 0);
	assert_int_equal(sw_check(f->sw), 0);
	nw_close(g, sess);
	assert_int_equal(nw_unregister(g, s->cookie), TEE_SUCCESS);
	fx_free(f);
}

/*
 * sw_create takes a strategy by name: NULL and every known name boot that strategy; an unknown
 * name is refused with TS_EINVAL and a message naming it.
 */
static void test_strategy_by_name(void **state)
{
	struct sw_config cfg = base_cfg();
	struct dram_config dc;
	struct secure_world *sw;
	struct dram *dram;
	char err[256];
	size_t i;

	(void)state;
	dram_config_default(&dc);
	assert_int_equal(dram_create(&dc, &dram, err, sizeof(err)), 0);
	assert_string_equal(cfg.strategy, "dynamic"); /* the default */

	cfg.strategy = "bogus";
	err[0] = 0;
	sw = (struct secure_world *)&cfg; /* must be overwritten */
	assert_int_equal(sw_create(&cfg, dram, &sw, err, sizeof(err)), TS_EINVAL);
	assert_null(sw);
	assert_non_null(strstr(err, "unknown strategy"));
	assert_non_null(strstr(err, "bogus"));
	for (i = 0; i < STRATEGY_COUNT; i++) {
		cfg.strategy = strategy_name((enum strategy_id)i);
		assert_int_equal(sw_create(&cfg, dram, &sw, err, sizeof(err)), 0);
		assert_string_equal(sw->strategy.ops->name, cfg.strategy);
		assert_int_equal(sw_check(sw), 0);
		sw_destroy(sw);
	}
	cfg.strategy = NULL;
	assert_int_equal(sw_create(&cfg, dram, &sw, err, sizeof(err)), 0);
	assert_string_equal(sw->cfg.strategy, "dynamic");
	assert_int_equal(sw_check(sw), 0);
	sw_destroy(sw);
	{
		char name[] = "dynamic"; /* the caller's string need not outlive sw_create */

		cfg.strategy = name;
		assert_int_equal(sw_create(&cfg, dram, &sw, err, sizeof(err)), 0);
		name[0] = 'X';
		assert_string_equal(sw->cfg.strategy, "dynamic");
		assert_string_equal(sw->strategy.ops->name, "dynamic");
		sw_destroy(sw);
	}
	dram_destroy(dram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_calls),
		cmocka_unit_test(test_echo_tmem_contig),
		cmocka_unit_test(test_echo_tmem_noncontig),
		cmocka_unit_test(test_echo_rmem_registered),
		cmocka_unit_test(test_storage_roundtrip),
		cmocka_unit_test(test_regd_arg),
		cmocka_unit_test(test_bigload),
		cmocka_unit_test(test_thread_limit),
		cmocka_unit_test(test_double_fetch),
		cmocka_unit_test(test_hostile_inputs),
		cmocka_unit_test(test_unregister_in_use),
		cmocka_unit_test(test_virtualization),
		cmocka_unit_test(test_rpc_timeout),
		cmocka_unit_test(test_concurrent_guests),
		cmocka_unit_test(test_destroy_with_state),
		cmocka_unit_test(test_destroy_races_resume),
		cmocka_unit_test(test_check_catches_corruption),
		cmocka_unit_test(test_register_maps_nothing),
		cmocka_unit_test(test_overlapping_uses_map_once),
		cmocka_unit_test(test_last_use_unmaps_one_tlbi),
		cmocka_unit_test(test_use_that_cannot_map),
		cmocka_unit_test(test_strategy_by_name),
	};

	return cmocka_run_group_tests_name("secure_world", tests, NULL, NULL);
}
