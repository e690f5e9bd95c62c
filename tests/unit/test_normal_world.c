/*
 * Normal world: the guest page allocator against a naive model, guest RAM
 * bounds, page lists of scattered buffers, and the OP-TEE driver and GP
 * client API against a small scripted fake secure world that checks every
 * register and message it receives (the real secure world is exercised by
 * tests/integration/test_teec_inproc.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/optee_msg.h"
#include "sim/common/optee_pagelist.h"
#include "sim/common/optee_rpc_cmd.h"
#include "sim/common/optee_smc.h"
#include "sim/common/ta_ids.h"
#include "sim/common/tee_result.h"
#include "sim/common/ts_err.h"
#include "sim/normal/guest_mem.h"
#include "sim/normal/include/tee_client_api.h"
#include "sim/normal/optee_drv.h"
#include "sim/normal/teec_sim.h"

#define IPA_BASE 0x40000000ull

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct ram {
	void *host;
	struct guest_mem gm;
};

static void ram_init(struct ram *r, size_t pages)
{
	r->host = aligned_alloc(SMALL_PAGE_SIZE, pages * SMALL_PAGE_SIZE);
	assert_non_null(r->host);
	memset(r->host, 0xEE, pages * SMALL_PAGE_SIZE);
	assert_int_equal(guest_mem_init(&r->gm, pa_init(IPA_BASE), r->host,
					pages * SMALL_PAGE_SIZE),
			 0);
}

static void ram_fini(struct ram *r)
{
	guest_mem_fini(&r->gm);
	free(r->host);
}

static size_t page_index(paddr_t ipa)
{
	return (size_t)((pa_addr(ipa) - IPA_BASE) >> SMALL_PAGE_SHIFT);
}

/* ------------------------------------------------------------------------- */
/* Page allocator                                                             */

/* Every other page freed: enough pages, no run of two; first fit fails, scatter works. */
static void test_alloc_fragmentation(void **state)
{
	struct ram r;
	paddr_t one[64], got[32], run;
	size_t i;

	(void)state;
	ram_init(&r, 64);
	for (i = 0; i < 64; i++) {
		assert_int_equal(guest_mem_alloc_contig(&r.gm, 1, &one[i]), 0);
		assert_int_equal(page_index(one[i]), i);
		assert_int_equal(guest_mem_check(&r.gm), 0);
	}
	assert_int_equal(guest_mem_alloc_contig(&r.gm, 1, &run), TS_ENOMEM);
	for (i = 0; i < 64; i += 2) {
		assert_int_equal(guest_mem_free_pages(&r.gm, &one[i], 1), 0);
		assert_int_equal(guest_mem_check(&r.gm), 0);
	}
	assert_int_equal(guest_mem_alloc_contig(&r.gm, 2, &run), TS_ENOMEM);
	assert_int_equal(guest_mem_check(&r.gm), 0);
	assert_int_equal(guest_mem_alloc_scattered(&r.gm, 33, got), TS_ENOMEM);
	assert_int_equal(guest_mem_alloc_scattered(&r.gm, 32, got), 0);
	for (i = 0; i < 32; i++)
		assert_int_equal(page_index(got[i]), 2 * i);
	assert_int_equal(guest_mem_check(&r.gm), 0);
	{
		struct guest_mem_stats st;

		guest_mem_get_stats(&r.gm, &st);
		assert_int_equal(st.pages_in_use, 64);
		assert_int_equal(st.pages_in_use_peak, 64);
		assert_int_equal(st.alloc_failures, 3);
	}
	ram_fini(&r);
}

/* A contiguous request takes the lowest free run that fits, skipping shorter holes below it. */
static void test_alloc_first_fit_lowest(void **state)
{
	struct ram r;
	paddr_t a, b, c, d, e;

	(void)state;
	ram_init(&r, 100);
	assert_int_equal(guest_mem_alloc_contig(&r.gm, 10, &a), 0); /* 0..9 */
	assert_int_equal(guest_mem_alloc_contig(&r.gm, 3, &b), 0);  /* 10..12 */
	assert_int_equal(guest_mem_alloc_contig(&r.gm, 20, &c), 0); /* 13..32 */
	assert_int_equal(guest_mem_alloc_contig(&r.gm, 5, &d), 0);  /* 33..37 */
	assert_int_equal(guest_mem_free_contig(&r.gm, b, 3), 0);    /* hole of 3 at 10 */
	assert_int_equal(guest_mem_free_contig(&r.gm, c, 20), 0);   /* hole of 20 at 10..32 */
	assert_int_equal(guest_mem_check(&r.gm), 0);
	/* 10..32 is now one hole of 23; a 25-page run must go above 37. */
	assert_int_equal(guest_mem_alloc_contig(&r.gm, 25, &e), 0);
	assert_int_equal(page_index(e), 38);
	assert_int_equal(guest_mem_alloc_contig(&r.gm, 23, &e), 0);
	assert_int_equal(page_index(e), 10);
	assert_int_equal(guest_mem_check(&r.gm), 0);
	(void)a;
	(void)d;
	ram_fini(&r);
}

/* Double frees, duplicates, foreign and unaligned pages are refused and change nothing. */
static void test_alloc_refuses_bad_frees(void **state)
{
	struct ram r;
	paddr_t p[4], dup[2], bad;
	struct guest_mem_stats before, after;

	(void)state;
	ram_init(&r, 16);
	assert_int_equal(guest_mem_alloc_scattered(&r.gm, 4, p), 0);
	guest_mem_get_stats(&r.gm, &before);
	dup[0] = p[1];
	dup[1] = p[1];
	assert_int_equal(guest_mem_free_pages(&r.gm, dup, 2), TS_EINVAL);
	assert_true(guest_mem_page_is_allocated(&r.gm, p[1]));
	bad = pa_add(p[0], 8);
	assert_int_equal(guest_mem_free_pages(&r.gm, &bad, 1), TS_EINVAL);
	bad = pa_init(IPA_BASE - SMALL_PAGE_SIZE);
	assert_int_equal(guest_mem_free_pages(&r.gm, &bad, 1), TS_EINVAL);
	bad = pa_init(IPA_BASE + 16 * SMALL_PAGE_SIZE);
	assert_int_equal(guest_mem_free_pages(&r.gm, &bad, 1), TS_EINVAL);
	bad = pa_init(IPA_BASE + 9 * SMALL_PAGE_SIZE); /* free page */
	assert_int_equal(guest_mem_free_pages(&r.gm, &bad, 1), TS_EINVAL);
	/* A run that reaches into free pages. */
	assert_int_equal(guest_mem_free_contig(&r.gm, p[2], 3), TS_EINVAL);
	assert_int_equal(guest_mem_alloc_contig(&r.gm, 0, &bad), TS_EINVAL);
	guest_mem_get_stats(&r.gm, &after);
	assert_int_equal(after.pages_in_use, before.pages_in_use);
	assert_int_equal(guest_mem_check(&r.gm), 0);
	assert_int_equal(guest_mem_free_pages(&r.gm, p, 4), 0);
	assert_int_equal(guest_mem_free_pages(&r.gm, p, 4), TS_EINVAL);
	assert_int_equal(guest_mem_check(&r.gm), 0);
	ram_fini(&r);
}

#define MODEL_PAGES 300u
#define MODEL_ALLOCS 128u

struct model_alloc {
	size_t n;
	paddr_t pages[24];
	bool contig;
};

/* 10,000 random allocations and frees give exactly the pages a naive first-fit bitmap gives. */
static void test_alloc_random_vs_naive(void **state)
{
	struct ram r;
	bool model[MODEL_PAGES] = { false };
	struct model_alloc live[MODEL_ALLOCS];
	size_t n_live = 0, in_use = 0, peak = 0, op;

	(void)state;
	rng_state = 20240601;
	ram_init(&r, MODEL_PAGES);
	for (op = 0; op < 10000; op++) {
		unsigned kind = (unsigned)(rng() % 3);

		if ((kind < 2 && n_live < MODEL_ALLOCS) || n_live == 0) {
			struct model_alloc *a = &live[n_live];
			size_t n = 1 + (size_t)(rng() % 24), i, k, start = MODEL_PAGES;
			size_t expect[24];
			bool expect_ok;
			int rc;

			a->n = n;
			a->contig = kind == 0;
			if (a->contig) {
				/* naive first fit */
				for (i = 0; i + n <= MODEL_PAGES && start == MODEL_PAGES; i++) {
					for (k = 0; k < n && !model[i + k]; k++)
						;
					if (k == n)
						start = i;
				}
				expect_ok = start != MODEL_PAGES;
				for (k = 0; expect_ok && k < n; k++)
					expect[k] = start + k;
				rc = guest_mem_alloc_contig(&r.gm, n, &a->pages[0]);
				for (k = 1; !rc && k < n; k++)
					a->pages[k] = pa_add(a->pages[0], k * SMALL_PAGE_SIZE);
			} else {
				for (i = 0, k = 0; i < MODEL_PAGES && k < n; i++)
					if (!model[i])
						expect[k++] = i;
				expect_ok = k == n;
				rc = guest_mem_alloc_scattered(&r.gm, n, a->pages);
			}
			assert_int_equal(rc, expect_ok ? 0 : TS_ENOMEM);
			if (expect_ok) {
				for (k = 0; k < n; k++) {
					assert_int_equal(page_index(a->pages[k]), expect[k]);
					model[expect[k]] = true;
				}
				in_use += n;
				n_live++;
			}
		} else {
			size_t victim = (size_t)(rng() % n_live), k;
			struct model_alloc *a = &live[victim];

			if (a->contig)
				assert_int_equal(guest_mem_free_contig(&r.gm, a->pages[0], a->n),
						 0);
			else
				assert_int_equal(guest_mem_free_pages(&r.gm, a->pages, a->n), 0);
			for (k = 0; k < a->n; k++)
				model[page_index(a->pages[k])] = false;
			in_use -= a->n;
			live[victim] = live[--n_live];
		}
		if (in_use > peak)
			peak = in_use;
		assert_int_equal(guest_mem_check(&r.gm), 0);
		if (op % 500 == 0) {
			struct guest_mem_stats st;
			size_t i;

			guest_mem_get_stats(&r.gm, &st);
			assert_int_equal(st.pages_in_use, in_use);
			assert_int_equal(st.pages_in_use_peak, peak);
			for (i = 0; i < MODEL_PAGES; i++)
				assert_int_equal(
					guest_mem_page_is_allocated(
						&r.gm, pa_init(IPA_BASE + i * SMALL_PAGE_SIZE)),
					model[i]);
		}
	}
	ram_fini(&r);
}

/* Pointer and IPA helpers refuse anything not wholly inside guest RAM. */
static void test_guest_mem_bounds(void **state)
{
	struct ram r;
	struct pa_accessor acc;
	uint8_t *h;
	paddr_t ipa;
	uint8_t outside[16];

	(void)state;
	ram_init(&r, 4);
	h = r.host;
	acc = guest_mem_accessor(&r.gm);
	assert_ptr_equal(guest_mem_ptr(&r.gm, pa_init(IPA_BASE), 1), h);
	assert_ptr_equal(guest_mem_ptr(&r.gm, pa_init(IPA_BASE + 4 * 4096 - 1), 1),
			 h + 4 * 4096 - 1);
	assert_ptr_equal(guest_mem_ptr(&r.gm, pa_init(IPA_BASE), 4 * 4096), h);
	assert_null(guest_mem_ptr(&r.gm, pa_init(IPA_BASE), 4 * 4096 + 1));
	assert_null(guest_mem_ptr(&r.gm, pa_init(IPA_BASE - 1), 2));
	assert_null(guest_mem_ptr(&r.gm, pa_init(IPA_BASE + 4 * 4096), 1));
	assert_null(guest_mem_ptr(&r.gm, pa_init(IPA_BASE + 4095), UINT64_MAX));
	assert_null(guest_mem_ptr(&r.gm, pa_init(IPA_BASE), 0));
	assert_null(guest_mem_ptr(&r.gm, pa_init(0), 1));
	assert_int_equal(guest_mem_ipa(&r.gm, h + 5000, 10, &ipa), 0);
	assert_int_equal(pa_addr(ipa), IPA_BASE + 5000);
	assert_int_equal(guest_mem_ipa(&r.gm, h + 5000, 4 * 4096, &ipa), TS_EFAULT);
	assert_int_equal(guest_mem_ipa(&r.gm, outside, 1, &ipa), TS_EFAULT);
	assert_int_equal(guest_mem_ipa(&r.gm, h - 1, 1, &ipa), TS_EFAULT);
	assert_false(guest_mem_contains(&r.gm, h, 0));
	assert_true(guest_mem_contains(&r.gm, h + 100, 200));
	assert_non_null(acc.map(acc.ctx, pa_init(IPA_BASE + 4096), 4096));
	assert_null(acc.map(acc.ctx, pa_init(IPA_BASE + 3 * 4096), 8192));
	/* Unaligned or empty RAM is refused at init. */
	{
		struct guest_mem g2;

		assert_int_equal(guest_mem_init(&g2, pa_init(IPA_BASE + 1), h, 4096), TS_EINVAL);
		assert_int_equal(guest_mem_init(&g2, pa_init(IPA_BASE), h + 1, 4096), TS_EINVAL);
		assert_int_equal(guest_mem_init(&g2, pa_init(IPA_BASE), h, 0), TS_EINVAL);
		assert_int_equal(guest_mem_init(&g2, pa_init(IPA_BASE), h, 100), TS_EINVAL);
	}
	ram_fini(&r);
}

/* ------------------------------------------------------------------------- */
/* A scripted fake secure world                                               */

#define FAKE_THREAD_ID 0x55u
#define FAKE_CMD_XOR 1      /* p0 rmem in, p1 rmem out (>= p0), p2 value inout: echo's TRANSFORM */
#define FAKE_CMD_RPC_TOUR 2 /* serve a tour of every RPC, checking each answer */
#define FAKE_CMD_VALUE 3    /* p0 value inout: a*2, b+3 */
#define FAKE_BIG_BYTES (3u << 20)
#define FAKE_FS_ID 42u

struct fake_reg {
	uint64_t cookie;
	size_t n_pages;
	paddr_t *pages;
	uint64_t offset, size;
};

struct fake_sw {
	struct guest_mem *gm;
	uint32_t caps;
	uint32_t rpc_params;
	int ethread_left;        /* answer ETHREAD_LIMIT this many more times */
	bool dead;               /* the transport fails every SMC */
	int die_at_step;         /* fail the transport when the tour reaches this step (-1 never) */
	struct fake_reg reg[64];
	size_t n_reg;
	/* the call in progress */
	bool in_call;
	uint64_t arg_ipa;
	uint32_t step;
	uint64_t rpc_arg_ipa, rpc_arg_cookie; /* from RPC_ALLOC, when not inline */
	uint64_t buf_cookie;                 /* from SHM_ALLOC */
	paddr_t buf_pages[800];
	size_t buf_n;
	struct smc_regs sent;                /* the RPC regs we returned, to check preservation */
	uint8_t last_uuid[16];
	uint32_t last_login;
	unsigned errors;
	unsigned steps_done;
	unsigned cancels;
};

#define FAKE_CHECK(f, cond)                                                                  \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			(f)->errors++;                                                       \
			fprintf(stderr, "fake secure world: %s:%d: %s\n", __FILE__, __LINE__, \
				#cond);                                                      \
		}                                                                            \
	} while (0)

static struct optee_msg_arg *fake_arg(struct fake_sw *f, uint64_t ipa, size_t bytes)
{
	return guest_mem_ptr(f->gm, pa_init(ipa), bytes);
}

static struct fake_reg *fake_find(struct fake_sw *f, uint64_t cookie)
{
	size_t i;

	for (i = 0; i < f->n_reg; i++)
		if (f->reg[i].cookie == cookie)
			return &f->reg[i];
	return NULL;
}

/* Byte i of a registered buffer, through its page list (NULL if outside). */
static uint8_t *fake_byte(struct fake_sw *f, const struct fake_reg *r, uint64_t i)
{
	uint64_t abs = r->offset + i;

	if (i >= r->size)
		return NULL;
	return (uint8_t *)guest_mem_ptr(f->gm, r->pages[abs / 4096], 4096) + abs % 4096;
}

static uint32_t fake_register(struct fake_sw *f, struct optee_msg_param *p, uint32_t n)
{
	struct pa_accessor acc = guest_mem_accessor(f->gm);
	struct optee_pagelist_parsed parsed;
	struct fake_reg *r;
	paddr_t pages[800];

	FAKE_CHECK(f, n == 1);
	FAKE_CHECK(f, p[0].attr == (OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG));
	FAKE_CHECK(f, p[0].u.tmem.shm_ref != 0 && !fake_find(f, p[0].u.tmem.shm_ref));
	if (optee_pagelist_read(&acc, p[0].u.tmem.buf_ptr, p[0].u.tmem.size, pages, 800, &parsed))
		return TEE_ERROR_BAD_PARAMETERS;
	if (f->n_reg == 64)
		return TEE_ERROR_OUT_OF_MEMORY;
	r = &f->reg[f->n_reg++];
	r->cookie = p[0].u.tmem.shm_ref;
	r->n_pages = parsed.n_pages;
	r->pages = malloc(parsed.n_pages * sizeof(paddr_t));
	memcpy(r->pages, pages, parsed.n_pages * sizeof(paddr_t));
	r->offset = parsed.offset_bytes;
	r->size = p[0].u.tmem.size;
	return TEE_SUCCESS;
}

static uint32_t fake_unregister(struct fake_sw *f, struct optee_msg_param *p, uint32_t n)
{
	struct fake_reg *r;

	FAKE_CHECK(f, n == 1 && p[0].attr == OPTEE_MSG_ATTR_TYPE_RMEM_INPUT);
	r = fake_find(f, p[0].u.rmem.shm_ref);
	if (!r)
		return TEE_ERROR_ITEM_NOT_FOUND;
	free(r->pages);
	*r = f->reg[--f->n_reg];
	return TEE_SUCCESS;
}

/* echo's TRANSFORM over registered memrefs. */
static uint32_t fake_xor(struct fake_sw *f, struct optee_msg_param *p, uint32_t n)
{
	struct fake_reg *in, *out;
	uint64_t i, sum = 0;

	if (n < 3 || (p[0].attr != OPTEE_MSG_ATTR_TYPE_RMEM_INPUT &&
		      p[0].attr != OPTEE_MSG_ATTR_TYPE_RMEM_INOUT) ||
	    (p[1].attr != OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT &&
	     p[1].attr != OPTEE_MSG_ATTR_TYPE_RMEM_INOUT) ||
	    p[2].attr != OPTEE_MSG_ATTR_TYPE_VALUE_INOUT)
		return TEE_ERROR_BAD_PARAMETERS;
	in = fake_find(f, p[0].u.rmem.shm_ref);
	out = fake_find(f, p[1].u.rmem.shm_ref);
	if (!in || !out || p[0].u.rmem.offs + p[0].u.rmem.size > in->size ||
	    p[1].u.rmem.offs + p[1].u.rmem.size > out->size)
		return TEE_ERROR_BAD_PARAMETERS;
	if (p[1].u.rmem.size < p[0].u.rmem.size) {
		p[1].u.rmem.size = p[0].u.rmem.size;
		return TEE_ERROR_SHORT_BUFFER;
	}
	for (i = 0; i < p[0].u.rmem.size; i++) {
		uint8_t b = *fake_byte(f, in, p[0].u.rmem.offs + i);

		sum += b;
		*fake_byte(f, out, p[1].u.rmem.offs + i) = b ^ 0xA5;
	}
	p[1].u.rmem.size = p[0].u.rmem.size;
	p[2].u.value.a++;
	p[2].u.value.b = (uint32_t)sum;
	return TEE_SUCCESS;
}

/* Where this call's RPC arg lives (inline after the call arg, or RPC_ALLOC'd). */
static struct optee_msg_arg *fake_rpc_arg(struct fake_sw *f)
{
	return fake_arg(f, f->rpc_arg_ipa,
			OPTEE_MSG_GET_ARG_SIZE(f->rpc_params ? f->rpc_params : 4));
}

/* Return an RPC_CMD with the RPC arg prepared by the caller; set resume markers. */
static void fake_send_rpc(struct fake_sw *f, struct smc_regs *regs, uint32_t func)
{
	bool inline_arg = f->caps & OPTEE_SMC_SEC_CAP_RPC_ARG;

	memset(regs, 0, sizeof(*regs));
	regs->a[0] = OPTEE_SMC_RPC_VAL(func);
	if (func == OPTEE_SMC_RPC_FUNC_CMD && !inline_arg) {
		regs->a[1] = optee_smc_u64_high(f->rpc_arg_cookie);
		regs->a[2] = optee_smc_u64_low(f->rpc_arg_cookie);
	}
	regs->a[3] = FAKE_THREAD_ID;
	regs->a[4] = 0x44;
	regs->a[5] = 0x4545;
	regs->a[6] = 0x66;
	regs->a[7] = 0x77;
	f->sent = *regs;
}

static void fake_rpc_cmd(struct fake_sw *f, struct smc_regs *regs, uint32_t cmd,
			 const struct optee_msg_param *params, uint32_t n)
{
	struct optee_msg_arg *a = fake_rpc_arg(f);

	memset(a, 0, OPTEE_MSG_GET_ARG_SIZE(n));
	a->cmd = cmd;
	a->num_params = n;
	a->ret = 0xdeadbeef;
	memcpy(a->params, params, n * sizeof(*params));
	fake_send_rpc(f, regs, OPTEE_SMC_RPC_FUNC_CMD);
}

static struct optee_msg_param vparam(uint32_t attr, uint64_t a, uint64_t b, uint64_t c)
{
	struct optee_msg_param p = { .attr = attr };

	p.u.value.a = a;
	p.u.value.b = b;
	p.u.value.c = c;
	return p;
}

static struct optee_msg_param rparam(uint32_t attr, uint64_t offs, uint64_t size, uint64_t ref)
{
	struct optee_msg_param p = { .attr = attr };

	p.u.rmem.offs = offs;
	p.u.rmem.size = size;
	p.u.rmem.shm_ref = ref;
	return p;
}

static uint8_t *fake_buf_byte(struct fake_sw *f, size_t i)
{
	return (uint8_t *)guest_mem_ptr(f->gm, f->buf_pages[i / 4096], 4096) + i % 4096;
}

/*
 * The tour: one RPC per step; on each resume check the answer of the
 * previous step and that a1..a7 came back as the ABI says.  Returns true when
 * the call is over.
 */
static bool fake_tour(struct fake_sw *f, struct smc_regs *regs)
{
	struct optee_msg_arg *a = f->step ? fake_rpc_arg(f) : NULL;
	struct optee_msg_param p[2];
	uint8_t uuid[16];
	const struct ta_uuid big = TA_BIGLOAD_UUID;
	size_t i;

	if (f->die_at_step >= 0 && f->step == (uint32_t)f->die_at_step)
		return false; /* caller turns this into a transport failure */
	switch (f->step++) {
	case 0:
		if (f->caps & OPTEE_SMC_SEC_CAP_RPC_ARG) {
			struct optee_msg_arg *call = fake_arg(f, f->arg_ipa, 32);

			f->rpc_arg_ipa = f->arg_ipa + OPTEE_MSG_GET_ARG_SIZE(call->num_params);
			f->step = 2;
			return fake_tour(f, regs);
		}
		fake_send_rpc(f, regs, OPTEE_SMC_RPC_FUNC_ALLOC);
		regs->a[1] = OPTEE_MSG_GET_ARG_SIZE(4);
		f->sent = *regs;
		return false;
	case 1:
		f->rpc_arg_ipa =
			optee_smc_reg_pair_to_u64((uint32_t)regs->a[1], (uint32_t)regs->a[2]);
		f->rpc_arg_cookie = optee_smc_reg_pair_to_u64((uint32_t)regs->a[4],
							      (uint32_t)regs->a[5]);
		FAKE_CHECK(f, f->rpc_arg_ipa && f->rpc_arg_cookie);
		FAKE_CHECK(f, guest_mem_page_is_allocated(f->gm, pa_init(f->rpc_arg_ipa)));
		f->step = 2;
		/* FALLTHROUGH */
	case 2:
		p[0] = vparam(OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, OPTEE_RPC_SHM_TYPE_APPL,
			      FAKE_BIG_BYTES, 4096);
		fake_rpc_cmd(f, regs, OPTEE_RPC_CMD_SHM_ALLOC, p, 1);
		f->step = 3;
		return false;
	case 3: {
		struct pa_accessor acc = guest_mem_accessor(f->gm);
		struct optee_pagelist_parsed parsed;

		FAKE_CHECK(f, a->ret == TEE_SUCCESS && a->ret_origin == TEE_ORIGIN_COMMS);
		FAKE_CHECK(f, a->params[0].attr ==
				      (OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG));
		FAKE_CHECK(f, a->params[0].u.tmem.size == FAKE_BIG_BYTES);
		f->buf_cookie = a->params[0].u.tmem.shm_ref;
		FAKE_CHECK(f, f->buf_cookie != 0);
		FAKE_CHECK(f, optee_pagelist_read(&acc, a->params[0].u.tmem.buf_ptr, FAKE_BIG_BYTES,
						  f->buf_pages, 800, &parsed) == 0);
		f->buf_n = parsed.n_pages;
		FAKE_CHECK(f, parsed.n_pages == FAKE_BIG_BYTES / 4096 && parsed.offset_bytes == 0);
		FAKE_CHECK(f, parsed.n_list_pages == 2);
		for (i = 0; i < f->buf_n; i++)
			FAKE_CHECK(f, guest_mem_page_is_allocated(f->gm, f->buf_pages[i]));
		for (i = 0; i < FAKE_BIG_BYTES; i++)
			*fake_buf_byte(f, i) = (uint8_t)(i * 7 + (i >> 12));
		p[0] = vparam(OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, TEESHM_FS_WRITE, FAKE_FS_ID, 0);
		p[1] = rparam(OPTEE_MSG_ATTR_TYPE_RMEM_INPUT, 0, FAKE_BIG_BYTES, f->buf_cookie);
		fake_rpc_cmd(f, regs, OPTEE_RPC_CMD_FS, p, 2);
		return false;
	}
	case 4:
		FAKE_CHECK(f, a->ret == TEE_SUCCESS);
		for (i = 0; i < FAKE_BIG_BYTES; i++)
			*fake_buf_byte(f, i) = 0;
		p[0] = vparam(OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, TEESHM_FS_READ, FAKE_FS_ID, 0);
		p[1] = rparam(OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT, 0, FAKE_BIG_BYTES, f->buf_cookie);
		fake_rpc_cmd(f, regs, OPTEE_RPC_CMD_FS, p, 2);
		return false;
	case 5:
		FAKE_CHECK(f, a->ret == TEE_SUCCESS && a->params[1].u.rmem.size == FAKE_BIG_BYTES);
		for (i = 0; i < FAKE_BIG_BYTES; i++)
			if (*fake_buf_byte(f, i) != (uint8_t)(i * 7 + (i >> 12))) {
				FAKE_CHECK(f, !"object read back differs");
				break;
			}
		p[0] = vparam(OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, TEESHM_FS_READ, FAKE_FS_ID + 1, 0);
		p[1] = rparam(OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT, 0, 16, f->buf_cookie);
		fake_rpc_cmd(f, regs, OPTEE_RPC_CMD_FS, p, 2);
		return false;
	case 6:
		FAKE_CHECK(f, a->ret == TEE_ERROR_ITEM_NOT_FOUND);
		p[0] = vparam(OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT, 0, 0, 0);
		fake_rpc_cmd(f, regs, OPTEE_RPC_CMD_GET_TIME, p, 1);
		return false;
	case 7:
		FAKE_CHECK(f, a->ret == TEE_SUCCESS && a->params[0].u.value.a > 1600000000u);
		fake_rpc_cmd(f, regs, OPTEE_RPC_CMD_SOCKET, p, 0);
		return false;
	case 8:
		FAKE_CHECK(f, a->ret == TEE_ERROR_NOT_SUPPORTED);
		optee_uuid_to_octets(uuid, big.time_low, big.time_mid, big.time_hi_and_version,
				     big.clock_seq_and_node);
		p[0].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
		memcpy(&p[0].u.value, uuid, 16);
		p[1] = rparam(OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, 0, 0, 0); /* NULL: size query */
		fake_rpc_cmd(f, regs, OPTEE_RPC_CMD_LOAD_TA, p, 2);
		return false;
	case 9:
		FAKE_CHECK(f, a->ret == TEE_SUCCESS &&
				      a->params[1].u.tmem.size == TEESHM_BIGLOAD_IMAGE_BYTES);
		optee_uuid_to_octets(uuid, big.time_low, big.time_mid, big.time_hi_and_version,
				     big.clock_seq_and_node);
		p[0].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
		memcpy(&p[0].u.value, uuid, 16);
		p[1] = rparam(OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT, 4096, FAKE_BIG_BYTES - 4096,
			      f->buf_cookie);
		fake_rpc_cmd(f, regs, OPTEE_RPC_CMD_LOAD_TA, p, 2);
		return false;
	case 10:
		FAKE_CHECK(f, a->ret == TEE_SUCCESS &&
				      a->params[1].u.rmem.size == TEESHM_BIGLOAD_IMAGE_BYTES);
		for (i = 0; i < TEESHM_BIGLOAD_IMAGE_BYTES; i++)
			if (*fake_buf_byte(f, 4096 + i) != TEESHM_TA_IMAGE_BYTE(i)) {
				FAKE_CHECK(f, !"TA image differs");
				break;
			}
		p[0] = vparam(OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, OPTEE_RPC_SHM_TYPE_APPL,
			      f->buf_cookie, 0);
		fake_rpc_cmd(f, regs, OPTEE_RPC_CMD_SHM_FREE, p, 1);
		return false;
	case 11:
		FAKE_CHECK(f, a->ret == TEE_SUCCESS);
		/* A second free of the same cookie must be refused, not crash. */
		p[0] = vparam(OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, OPTEE_RPC_SHM_TYPE_APPL,
			      f->buf_cookie, 0);
		fake_rpc_cmd(f, regs, OPTEE_RPC_CMD_SHM_FREE, p, 1);
		return false;
	case 12:
		FAKE_CHECK(f, a->ret == TEE_ERROR_BAD_PARAMETERS);
		fake_send_rpc(f, regs, OPTEE_SMC_RPC_FUNC_FOREIGN_INTR);
		return false;
	case 13:
		if (!(f->caps & OPTEE_SMC_SEC_CAP_RPC_ARG)) {
			fake_send_rpc(f, regs, OPTEE_SMC_RPC_FUNC_FREE);
			regs->a[1] = optee_smc_u64_high(f->rpc_arg_cookie);
			regs->a[2] = optee_smc_u64_low(f->rpc_arg_cookie);
			f->sent = *regs;
			return false;
		}
		f->step++;
		/* FALLTHROUGH */
	default:
		f->steps_done = f->step;
		return true;
	}
}

static int fake_call(void *ctx, struct smc_regs *regs)
{
	struct fake_sw *f = ctx;
	uint32_t a0 = (uint32_t)regs->a[0];
	struct optee_msg_arg *arg;
	struct optee_msg_param p[OPTEE_DRV_MAX_PARAMS + 2];
	uint32_t n, ret = TEE_SUCCESS;

	if (f->dead)
		return TS_EIO;
	FAKE_CHECK(f, regs->a[7] == 0 || a0 == OPTEE_SMC_CALL_RETURN_FROM_RPC);
	switch (a0) {
	case OPTEE_SMC_EXCHANGE_CAPABILITIES:
		regs->a[0] = OPTEE_SMC_RETURN_OK;
		regs->a[1] = f->caps;
		regs->a[2] = 0;
		regs->a[3] = f->rpc_params;
		return 0;
	case OPTEE_SMC_GET_SHM_CONFIG:
		regs->a[0] = OPTEE_SMC_RETURN_OK;
		regs->a[1] = 0x42000000;
		regs->a[2] = 1u << 20;
		regs->a[3] = OPTEE_SMC_SHM_CACHED;
		return 0;
	case OPTEE_SMC_GET_THREAD_COUNT:
		regs->a[0] = OPTEE_SMC_RETURN_OK;
		regs->a[1] = 3;
		return 0;
	case OPTEE_SMC_CALL_RETURN_FROM_RPC:
		FAKE_CHECK(f, f->in_call && regs->a[3] == FAKE_THREAD_ID);
		if (!f->in_call)
			break;
		{
			/* Preserved: a3..a7 always; a1..a2 too except after RPC_ALLOC. */
			bool alloc = (uint32_t)f->sent.a[0] == OPTEE_SMC_RETURN_RPC_ALLOC;
			unsigned k;

			for (k = 1; k < 8; k++)
				if (!(alloc && (k == 1 || k == 2 || k == 4 || k == 5)))
					FAKE_CHECK(f, regs->a[k] == f->sent.a[k]);
		}
		if (!fake_tour(f, regs)) {
			if (f->die_at_step >= 0 && f->step == (uint32_t)f->die_at_step) {
				f->in_call = false;
				return TS_EIO;
			}
			return 0;
		}
		arg = fake_arg(f, f->arg_ipa, 32);
		arg->ret = TEE_SUCCESS;
		arg->ret_origin = TEE_ORIGIN_TRUSTED_APP;
		f->in_call = false;
		regs->a[0] = OPTEE_SMC_RETURN_OK;
		return 0;
	case OPTEE_SMC_CALL_WITH_ARG:
	case OPTEE_SMC_CALL_WITH_RPC_ARG:
		FAKE_CHECK(f, (a0 == OPTEE_SMC_CALL_WITH_RPC_ARG) ==
				      !!(f->caps & OPTEE_SMC_SEC_CAP_RPC_ARG));
		if (f->ethread_left > 0) {
			f->ethread_left--;
			regs->a[0] = OPTEE_SMC_RETURN_ETHREAD_LIMIT;
			return 0;
		}
		FAKE_CHECK(f, !f->in_call);
		f->arg_ipa = optee_smc_reg_pair_to_u64((uint32_t)regs->a[1], (uint32_t)regs->a[2]);
		arg = fake_arg(f, f->arg_ipa, 32);
		FAKE_CHECK(f, arg && (f->arg_ipa & 7) == 0);
		if (!arg) {
			regs->a[0] = OPTEE_SMC_RETURN_EBADADDR;
			return 0;
		}
		n = arg->num_params;
		FAKE_CHECK(f, n <= OPTEE_DRV_MAX_PARAMS + 2);
		/* The call arg and, with RPC_ARG, the RPC arg after it lie in one page. */
		FAKE_CHECK(f, (f->arg_ipa & 4095) + OPTEE_MSG_GET_ARG_SIZE(n) +
					      (a0 == OPTEE_SMC_CALL_WITH_RPC_ARG
						       ? OPTEE_MSG_GET_ARG_SIZE(f->rpc_params)
						       : 0) <=
				      4096);
		memcpy(p, arg->params, n * sizeof(p[0]));
		switch (arg->cmd) {
		case OPTEE_MSG_CMD_REGISTER_SHM:
			ret = fake_register(f, p, n);
			break;
		case OPTEE_MSG_CMD_UNREGISTER_SHM:
			ret = fake_unregister(f, p, n);
			break;
		case OPTEE_MSG_CMD_OPEN_SESSION:
			FAKE_CHECK(f, n >= 2);
			FAKE_CHECK(f, p[0].attr == (OPTEE_MSG_ATTR_TYPE_VALUE_INPUT |
						    OPTEE_MSG_ATTR_META));
			FAKE_CHECK(f, p[1].attr == (OPTEE_MSG_ATTR_TYPE_VALUE_INPUT |
						    OPTEE_MSG_ATTR_META));
			memcpy(f->last_uuid, &p[0].u.value, 16);
			f->last_login = (uint32_t)p[1].u.value.c;
			arg->session = 7;
			break;
		case OPTEE_MSG_CMD_CLOSE_SESSION:
			FAKE_CHECK(f, arg->session == 7);
			break;
		case OPTEE_MSG_CMD_CANCEL:
			f->cancels++;
			break;
		case OPTEE_MSG_CMD_INVOKE_COMMAND:
			FAKE_CHECK(f, arg->session == 7);
			if (arg->func == FAKE_CMD_XOR) {
				ret = fake_xor(f, p, n);
			} else if (arg->func == FAKE_CMD_VALUE) {
				p[0].u.value.a *= 2;
				p[0].u.value.b += 3;
			} else if (arg->func == FAKE_CMD_RPC_TOUR) {
				f->in_call = true;
				f->step = 0;
				if (fake_tour(f, regs)) {
					f->in_call = false;
					break;
				}
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
		break;
	}
	regs->a[0] = OPTEE_SMC_RETURN_UNKNOWN_FUNCTION;
	return 0;
}

struct rig {
	struct ram ram;
	struct fake_sw fake;
	struct smc_conduit conduit;
	struct optee_drv *drv;
};

static void rig_up(struct rig *g, size_t pages, uint32_t caps, uint32_t rpc_params)
{
	struct optee_drv_config cfg = { 0 };

	memset(g, 0, sizeof(*g));
	ram_init(&g->ram, pages);
	g->fake.gm = &g->ram.gm;
	g->fake.caps = caps;
	g->fake.rpc_params = rpc_params;
	g->fake.die_at_step = -1;
	g->conduit.call = fake_call;
	g->conduit.ctx = &g->fake;
	cfg.mem = &g->ram.gm;
	cfg.conduits = &g->conduit;
	cfg.n_conduits = 1;
	cfg.ethread_wait_max_ms = 200;
	assert_int_equal(optee_drv_create(&cfg, &g->drv), 0);
}

static void rig_down(struct rig *g)
{
	struct guest_mem_stats st;
	size_t i;

	assert_int_equal(optee_drv_check(g->drv), 0);
	optee_drv_destroy(g->drv);
	guest_mem_get_stats(&g->ram.gm, &st);
	assert_int_equal(st.pages_in_use, 0);
	assert_int_equal(guest_mem_check(&g->ram.gm), 0);
	assert_int_equal(g->fake.errors, 0);
	for (i = 0; i < g->fake.n_reg; i++)
		free(g->fake.reg[i].pages);
	ram_fini(&g->ram);
}

#define CAPS_BASE (OPTEE_SMC_SEC_CAP_DYNAMIC_SHM | OPTEE_SMC_SEC_CAP_MEMREF_NULL)

/* Probe remembers capabilities, RPC param count, the carveout and the thread count. */
static void test_drv_probe(void **state)
{
	struct rig g;
	const struct optee_drv_info *info;

	(void)state;
	rig_up(&g, 64, CAPS_BASE | OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM | OPTEE_SMC_SEC_CAP_RPC_ARG,
	       4);
	info = optee_drv_get_info(g.drv);
	assert_int_equal(info->sec_caps & OPTEE_SMC_SEC_CAP_RPC_ARG, OPTEE_SMC_SEC_CAP_RPC_ARG);
	assert_int_equal(info->rpc_param_count, 4);
	assert_int_equal(info->thread_count, 3);
	assert_true(info->have_carveout);
	assert_int_equal(pa_addr(info->carveout_base), 0x42000000);
	assert_int_equal(info->carveout_bytes, 1u << 20);
	rig_down(&g);

	/* A secure world with neither dynamic nor reserved shm is refused; a dead one too. */
	{
		struct ram r;
		struct fake_sw f = { 0 };
		struct smc_conduit c = { fake_call, &f };
		struct optee_drv_config cfg = { .conduits = &c, .n_conduits = 1 };
		struct optee_drv *drv;

		ram_init(&r, 8);
		f.gm = &r.gm;
		cfg.mem = &r.gm;
		assert_int_equal(optee_drv_create(&cfg, &drv), TS_ENOSYS);
		f.dead = true;
		assert_int_equal(optee_drv_create(&cfg, &drv), TS_EIO);
		cfg.n_conduits = 0;
		assert_int_equal(optee_drv_create(&cfg, &drv), TS_EINVAL);
		ram_fini(&r);
	}
}

/* Registration sends a NONCONTIG page list the secure world parses back to the shm's pages. */
static void test_register_scattered_3mib(void **state)
{
	struct rig g;
	struct optee_shm *holes[400], *big, *wrapped;
	struct optee_drv_stats st;
	uint32_t origin;
	size_t i, n_pages;
	struct fake_reg *r;
	uint8_t *buf;

	(void)state;
	rig_up(&g, 2048, CAPS_BASE, 0);
	/* Fragment: 800 one-page shm, free every other one. */
	for (i = 0; i < 400; i++) {
		struct optee_shm *keep;

		assert_int_equal(optee_shm_alloc(g.drv, 4096, true, &holes[i]), 0);
		assert_int_equal(optee_shm_alloc(g.drv, 100, true, &keep), 0);
		(void)keep; /* stays until destroy: freed by the driver's tear-down */
	}
	for (i = 0; i < 400; i++)
		optee_shm_free(holes[i]);
	assert_int_equal(optee_drv_check(g.drv), 0);
	/* 3 MiB = 768 pages: 400 odd holes plus the free tail. */
	assert_int_equal(optee_shm_alloc(g.drv, 3u << 20, false, &big), 0);
	n_pages = optee_shm_n_pages(big);
	assert_int_equal(n_pages, 768);
	assert_null(optee_shm_host(big));
	for (i = 0; i < 400; i++)
		assert_int_equal(page_index(optee_shm_page_ipa(big, i)), 2 * i);
	assert_int_equal(optee_drv_check(g.drv), 0);

	/* The list itself, read back through the guest's own accessor. */
	{
		struct optee_pagelist_buf pl;
		struct pa_accessor acc = guest_mem_accessor(&g.ram.gm);
		struct optee_pagelist_parsed parsed;
		paddr_t back[800];

		assert_int_equal(optee_shm_pagelist_build(big, &pl), 0);
		assert_int_equal(pl.n_list_pages, 2);
		assert_int_equal(
			optee_pagelist_read(&acc, pl.buf_ptr, 3u << 20, back, 800, &parsed), 0);
		assert_int_equal(parsed.n_pages, 768);
		assert_int_equal(parsed.n_list_pages, 2);
		for (i = 0; i < 768; i++)
			assert_int_equal(pa_addr(back[i]), pa_addr(optee_shm_page_ipa(big, i)));
		optee_pagelist_buf_release(g.drv, &pl);
	}

	for (i = 0; i < (3u << 20); i += 997) {
		uint8_t b = (uint8_t)(i ^ (i >> 8));

		assert_int_equal(optee_shm_write(big, i, &b, 1), 0);
	}
	assert_int_equal(optee_shm_register(big, &origin), TEE_SUCCESS);
	assert_true(optee_shm_is_registered(big));
	assert_int_equal(optee_shm_register(big, &origin), TEE_ERROR_BAD_STATE);
	r = fake_find(&g.fake, optee_shm_cookie(big));
	assert_non_null(r);
	assert_int_equal(r->n_pages, 768);
	for (i = 0; i < 768; i++)
		assert_int_equal(pa_addr(r->pages[i]), pa_addr(optee_shm_page_ipa(big, i)));
	for (i = 0; i < (3u << 20); i += 997)
		assert_int_equal(*fake_byte(&g.fake, r, i), (uint8_t)(i ^ (i >> 8)));
	/* The page list was given back right after the call. */
	optee_drv_get_stats(g.drv, &st);
	assert_int_equal(st.pages_held, 400 + 768);

	/* Zero-copy wrap of unaligned guest memory: offset in the first page travels in buf_ptr. */
	buf = (uint8_t *)g.ram.host + 2000 * 4096 + 123;
	assert_int_equal(optee_shm_wrap(g.drv, buf, 10000, &wrapped), 0);
	assert_int_equal(optee_shm_register(wrapped, &origin), TEE_SUCCESS);
	r = fake_find(&g.fake, optee_shm_cookie(wrapped));
	assert_non_null(r);
	assert_int_equal(r->offset, 123);
	assert_int_equal(r->n_pages, 3);
	buf[9999] = 0x5a;
	assert_int_equal(*fake_byte(&g.fake, r, 9999), 0x5a);
	assert_int_equal(optee_shm_wrap(g.drv, buf, 100u << 20, &wrapped), TS_EFAULT);

	assert_int_equal(optee_shm_unregister(big, &origin), TEE_SUCCESS);
	assert_null(fake_find(&g.fake, optee_shm_cookie(big)));
	assert_int_equal(optee_shm_unregister(big, &origin), TEE_ERROR_BAD_STATE);
	optee_shm_free(big);
	optee_drv_get_stats(g.drv, &st);
	assert_int_equal(st.registrations, 2);
	assert_int_equal(st.unregistrations, 1);
	assert_int_equal(st.shm_registered, 1);
	assert_int_equal(optee_drv_check(g.drv), 0);
	rig_down(&g); /* frees the 400 keepers and unregisters the wrapped one */
	assert_int_equal(g.fake.n_reg, 0);
}

static void run_tour(uint32_t caps, uint32_t rpc_params)
{
	struct rig g;
	struct optee_drv_param p[1] = { { .attr = OPTEE_MSG_ATTR_TYPE_NONE } };
	struct optee_drv_stats st;
	uint8_t uuid[16] = { 1 };
	uint32_t origin, session;

	rig_up(&g, 2048, caps, rpc_params);
	assert_int_equal(optee_drv_open_session(g.drv, uuid, 0, NULL, NULL, 0, &session, &origin),
			 TEE_SUCCESS);
	assert_int_equal(session, 7);
	assert_memory_equal(g.fake.last_uuid, uuid, 16);
	assert_int_equal(optee_drv_invoke(g.drv, session, FAKE_CMD_RPC_TOUR, 0, p, 1, &origin),
			 TEE_SUCCESS);
	assert_int_equal(origin, TEE_ORIGIN_TRUSTED_APP);
	assert_int_equal(g.fake.steps_done, 15);
	optee_drv_get_stats(g.drv, &st);
	assert_int_equal(st.rpc_cmd_shm_alloc, 1);
	assert_int_equal(st.rpc_cmd_shm_free, 2);
	assert_int_equal(st.rpc_cmd_fs, 3);
	assert_int_equal(st.rpc_cmd_load_ta, 2);
	assert_int_equal(st.rpc_cmd_get_time, 1);
	assert_int_equal(st.rpc_cmd_unsupported, 1);
	assert_int_equal(st.rpc_foreign_intr, 1);
	assert_int_equal(st.rpc_alloc, caps & OPTEE_SMC_SEC_CAP_RPC_ARG ? 0 : 1);
	assert_int_equal(st.rpc_free, caps & OPTEE_SMC_SEC_CAP_RPC_ARG ? 0 : 1);
	assert_int_equal(st.rpc_shm_live, 0);
	assert_int_equal(st.shm_live, 0);
	assert_int_equal(st.pages_held, 0);
	assert_int_equal(st.supp_objects, 1);
	assert_int_equal(optee_drv_close_session(g.drv, session, &origin), TEE_SUCCESS);
	rig_down(&g);
}

/* Every RPC is served and a1..a7 come back as the ABI says, with the RPC arg inline (RPC_ARG). */
static void test_rpc_tour_inline_arg(void **state)
{
	(void)state;
	run_tour(CAPS_BASE | OPTEE_SMC_SEC_CAP_RPC_ARG, 4);
}

/* The same without RPC_ARG: the RPC arg comes from RPC_ALLOC and is freed by RPC_FREE. */
static void test_rpc_tour_alloc_arg(void **state)
{
	(void)state;
	run_tour(CAPS_BASE, 0);
}

/* ETHREAD_LIMIT is retried until a thread frees up, and given up (BUSY) after the bound. */
static void test_ethread_limit(void **state)
{
	struct rig g;
	struct optee_drv_stats st;
	uint8_t uuid[16] = { 2 };
	uint32_t origin, session;

	(void)state;
	rig_up(&g, 64, CAPS_BASE, 0);
	g.fake.ethread_left = 3;
	assert_int_equal(optee_drv_open_session(g.drv, uuid, 0, NULL, NULL, 0, &session, &origin),
			 TEE_SUCCESS);
	optee_drv_get_stats(g.drv, &st);
	assert_int_equal(st.ethread_limit, 3);
	assert_int_equal(st.ethread_giveups, 0);
	g.fake.ethread_left = 1 << 30;
	assert_int_equal(optee_drv_close_session(g.drv, session, &origin), TEE_ERROR_BUSY);
	assert_int_equal(origin, TEE_ORIGIN_COMMS);
	optee_drv_get_stats(g.drv, &st);
	assert_int_equal(st.ethread_giveups, 1);
	assert_int_equal(st.calls_in_flight, 0);
	assert_int_equal(st.pages_held, 0);
	g.fake.ethread_left = 0;
	rig_down(&g);
}

/* A failed transport ends the call with COMMUNICATION/COMMS and leaves the books consistent. */
static void test_transport_failure(void **state)
{
	struct rig g;
	struct optee_drv_param p[1] = { { .attr = OPTEE_MSG_ATTR_TYPE_NONE } };
	struct optee_drv_stats st;
	struct optee_shm *shm;
	uint8_t uuid[16] = { 3 };
	uint32_t origin, session;

	(void)state;
	rig_up(&g, 2048, CAPS_BASE, 0);
	assert_int_equal(optee_drv_open_session(g.drv, uuid, 0, NULL, NULL, 0, &session, &origin),
			 TEE_SUCCESS);
	/* Dies in the middle of the RPC tour, after SHM_ALLOC was answered. */
	g.fake.die_at_step = 4;
	assert_int_equal(optee_drv_invoke(g.drv, session, FAKE_CMD_RPC_TOUR, 0, p, 1, &origin),
			 TEE_ERROR_COMMUNICATION);
	assert_int_equal(origin, TEE_ORIGIN_COMMS);
	assert_int_equal(optee_drv_check(g.drv), 0);
	optee_drv_get_stats(g.drv, &st);
	assert_int_equal(st.transport_failures, 1);
	/* The secure world's RPC buffers stay until it frees them or the driver goes. */
	assert_int_equal(st.rpc_shm_live, 2);
	g.fake.dead = true;
	assert_int_equal(optee_shm_alloc(g.drv, 5000, false, &shm), 0);
	assert_int_equal(optee_shm_register(shm, &origin), TEE_ERROR_COMMUNICATION);
	assert_int_equal(origin, TEE_ORIGIN_COMMS);
	assert_false(optee_shm_is_registered(shm));
	optee_shm_free(shm);
	assert_int_equal(optee_drv_check(g.drv), 0);
	g.fake.dead = false;
	rig_down(&g);
}

/* GP API over the fake: memref kinds, flag checks with origin API, shadows, SHORT_BUFFER. */
static void test_teec_api_on_fake(void **state)
{
	struct rig g;
	TEEC_Context ctx;
	TEEC_Session sess;
	TEEC_Operation op;
	TEEC_SharedMemory in_shm, out_shm, heap_shm;
	TEEC_UUID uuid = { 0x7ee5e000, 0xec40, 0x4c3a,
			   { 0x9f, 0x10, 0x2b, 0x6e, 0x11, 0x5a, 0x00, 0x01 } };
	uint8_t want_uuid[16] = { 0x7e, 0xe5, 0xe0, 0x00, 0xec, 0x40, 0x4c, 0x3a,
				  0x9f, 0x10, 0x2b, 0x6e, 0x11, 0x5a, 0x00, 0x01 };
	uint8_t in[300], out[300], small[10];
	uint8_t *heap;
	uint32_t origin;
	size_t i, n_sess, n_shm;

	(void)state;
	rig_up(&g, 256, CAPS_BASE, 0);
	teec_set_default_driver(NULL);
	assert_int_equal(TEEC_InitializeContext(NULL, &ctx), TEEC_ERROR_ITEM_NOT_FOUND);
	teec_set_default_driver(g.drv);
	assert_int_equal(TEEC_InitializeContext(NULL, &ctx), TEEC_SUCCESS);
	assert_int_equal(TEEC_OpenSession(&ctx, &sess, &uuid, 0xdead, NULL, NULL, &origin),
			 TEEC_ERROR_BAD_PARAMETERS);
	assert_int_equal(origin, TEEC_ORIGIN_API);
	assert_int_equal(TEEC_OpenSession(&ctx, &sess, &uuid, TEEC_LOGIN_USER, NULL, NULL, &origin),
			 TEEC_SUCCESS);
	assert_memory_equal(g.fake.last_uuid, want_uuid, 16);
	assert_int_equal(g.fake.last_login, TEEC_LOGIN_USER);

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 3);
	/* TEMP in + TEMP out + value. */
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_VALUE_INOUT, TEEC_NONE);
	op.params[0].tmpref.buffer = in;
	op.params[0].tmpref.size = sizeof(in);
	op.params[1].tmpref.buffer = out;
	op.params[1].tmpref.size = sizeof(out);
	op.params[2].value.a = 41;
	assert_int_equal(TEEC_InvokeCommand(&sess, FAKE_CMD_XOR, &op, &origin), TEEC_SUCCESS);
	for (i = 0; i < sizeof(in); i++)
		assert_int_equal(out[i], in[i] ^ 0xA5);
	assert_int_equal(op.params[2].value.a, 42);
	assert_int_equal(op.params[1].tmpref.size, sizeof(in));
	assert_ptr_equal(op.session, &sess);

	/* SHORT_BUFFER: the size the TA wants comes back, nothing is copied. */
	memset(small, 0x11, sizeof(small));
	op.params[1].tmpref.buffer = small;
	op.params[1].tmpref.size = sizeof(small);
	assert_int_equal(TEEC_InvokeCommand(&sess, FAKE_CMD_XOR, &op, &origin),
			 TEEC_ERROR_SHORT_BUFFER);
	assert_int_equal(origin, TEEC_ORIGIN_TRUSTED_APP);
	assert_int_equal(op.params[1].tmpref.size, sizeof(in));
	for (i = 0; i < sizeof(small); i++)
		assert_int_equal(small[i], 0x11);

	/* Registered host memory (outside guest RAM): shadowed, copied each way. */
	in_shm.buffer = in;
	in_shm.size = sizeof(in);
	in_shm.flags = TEEC_MEM_INPUT;
	assert_int_equal(TEEC_RegisterSharedMemory(&ctx, &in_shm), TEEC_SUCCESS);
	out_shm.buffer = out;
	out_shm.size = sizeof(out);
	out_shm.flags = TEEC_MEM_OUTPUT;
	assert_int_equal(TEEC_RegisterSharedMemory(&ctx, &out_shm), TEEC_SUCCESS);
	memset(out, 0, sizeof(out));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INPUT, TEEC_MEMREF_PARTIAL_OUTPUT,
					 TEEC_VALUE_INOUT, TEEC_NONE);
	op.params[0].memref.parent = &in_shm;
	op.params[0].memref.offset = 10;
	op.params[0].memref.size = 100;
	op.params[1].memref.parent = &out_shm;
	op.params[1].memref.offset = 50;
	op.params[1].memref.size = 200;
	assert_int_equal(TEEC_InvokeCommand(&sess, FAKE_CMD_XOR, &op, &origin), TEEC_SUCCESS);
	assert_int_equal(op.params[1].memref.size, 100);
	for (i = 0; i < 100; i++)
		assert_int_equal(out[50 + i], in[10 + i] ^ 0xA5);
	assert_int_equal(out[49], 0);
	assert_int_equal(out[150], 0);

	/* Flag checks: PARTIAL_OUTPUT on an input-only block, bounds, foreign parent. */
	op.paramTypes =
		TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = &in_shm;
	origin = 0;
	assert_int_equal(TEEC_InvokeCommand(&sess, FAKE_CMD_XOR, &op, &origin),
			 TEEC_ERROR_BAD_PARAMETERS);
	assert_int_equal(origin, TEEC_ORIGIN_API);
	op.paramTypes =
		TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].memref.offset = 250;
	op.params[0].memref.size = 51;
	assert_int_equal(TEEC_InvokeCommand(&sess, FAKE_CMD_XOR, &op, &origin),
			 TEEC_ERROR_BAD_PARAMETERS);
	op.params[0].memref.offset = SIZE_MAX;
	op.params[0].memref.size = 2;
	assert_int_equal(TEEC_InvokeCommand(&sess, FAKE_CMD_XOR, &op, &origin),
			 TEEC_ERROR_BAD_PARAMETERS);
	op.paramTypes =
		TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = &out_shm;
	op.params[0].memref.offset = 0;
	op.params[0].memref.size = 1;
	assert_int_equal(TEEC_InvokeCommand(&sess, FAKE_CMD_XOR, &op, &origin),
			 TEEC_ERROR_BAD_PARAMETERS);
	assert_int_equal(origin, TEEC_ORIGIN_API);
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, 8, TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = in;
	op.params[0].tmpref.size = 1;
	assert_int_equal(TEEC_InvokeCommand(&sess, FAKE_CMD_XOR, &op, &origin),
			 TEEC_ERROR_BAD_PARAMETERS);
	assert_int_equal(origin, TEEC_ORIGIN_API);
	/* The TEMP registered before the bad param was given back. */
	{
		struct optee_drv_stats st;

		optee_drv_get_stats(g.drv, &st);
		assert_int_equal(st.shm_registered, 2);
	}
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = NULL;
	op.params[0].tmpref.size = 5;
	assert_int_equal(TEEC_InvokeCommand(&sess, FAKE_CMD_XOR, &op, &origin),
			 TEEC_ERROR_BAD_PARAMETERS);
	assert_int_equal(TEEC_RegisterSharedMemory(&ctx, &(TEEC_SharedMemory){ .buffer = in,
			 .size = 4, .flags = 4 }), TEEC_ERROR_BAD_PARAMETERS);

	/* A buffer inside guest RAM is registered in place: the TA writes the client's bytes. */
	{
		paddr_t ipa;

		assert_int_equal(guest_mem_alloc_contig(&g.ram.gm, 2, &ipa), 0);
		heap = guest_mem_ptr(&g.ram.gm, ipa, 8192);
	}
	heap_shm.buffer = heap + 100;
	heap_shm.size = 5000;
	heap_shm.flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
	assert_int_equal(TEEC_RegisterSharedMemory(&ctx, &heap_shm), TEEC_SUCCESS);
	for (i = 0; i < 300; i++)
		heap[100 + i] = (uint8_t)i;
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INPUT, TEEC_MEMREF_PARTIAL_OUTPUT,
					 TEEC_VALUE_INOUT, TEEC_NONE);
	op.params[0].memref.parent = &heap_shm;
	op.params[0].memref.offset = 0;
	op.params[0].memref.size = 300;
	op.params[1].memref.parent = &heap_shm;
	op.params[1].memref.offset = 4096;
	op.params[1].memref.size = 300;
	assert_int_equal(TEEC_InvokeCommand(&sess, FAKE_CMD_XOR, &op, &origin), TEEC_SUCCESS);
	for (i = 0; i < 300; i++)
		assert_int_equal(heap[100 + 4096 + i], (uint8_t)i ^ 0xA5);
	teec_context_counts(&ctx, &n_sess, &n_shm);
	assert_int_equal(n_sess, 1);
	assert_int_equal(n_shm, 3);

	/* Values only, then a cancellation request (best effort, reaches the secure world). */
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = 21;
	op.params[0].value.b = 4;
	assert_int_equal(TEEC_InvokeCommand(&sess, FAKE_CMD_VALUE, &op, &origin), TEEC_SUCCESS);
	assert_int_equal(op.params[0].value.a, 42);
	assert_int_equal(op.params[0].value.b, 7);
	TEEC_RequestCancellation(&op);
	assert_int_equal(g.fake.cancels, 1);

	TEEC_ReleaseSharedMemory(&in_shm);
	TEEC_ReleaseSharedMemory(&out_shm);
	TEEC_ReleaseSharedMemory(&heap_shm);
	TEEC_ReleaseSharedMemory(&heap_shm); /* second release is a no-op */
	TEEC_CloseSession(&sess);
	TEEC_FinalizeContext(&ctx);
	teec_set_default_driver(NULL);
	assert_int_equal(g.fake.n_reg, 0);
	{
		paddr_t ipa;

		/* give back the client's own guest pages so the rig sees an empty allocator */
		assert_int_equal(guest_mem_ipa(&g.ram.gm, heap, 1, &ipa), 0);
		assert_int_equal(guest_mem_free_contig(&g.ram.gm, ipa, 2), 0);
	}
	rig_down(&g);
}

/* A client that forgets to close and release gets cleaned up by FinalizeContext. */
static void test_teec_finalize_cleans_up(void **state)
{
	struct rig g;
	TEEC_Context ctx;
	TEEC_Session sess;
	TEEC_SharedMemory shm = { .size = 70000, .flags = TEEC_MEM_INPUT };
	TEEC_UUID uuid = { 1, 2, 3, { 4 } };
	struct optee_drv_stats st;

	(void)state;
	rig_up(&g, 256, CAPS_BASE, 0);
	teec_set_default_driver(g.drv);
	assert_int_equal(TEEC_InitializeContext("teeshm", &ctx), TEEC_SUCCESS);
	assert_int_equal(TEEC_OpenSession(&ctx, &sess, &uuid, TEEC_LOGIN_PUBLIC, NULL, NULL, NULL),
			 TEEC_SUCCESS);
	assert_int_equal(TEEC_AllocateSharedMemory(&ctx, &shm), TEEC_SUCCESS);
	assert_non_null(shm.buffer);
	assert_true(guest_mem_contains(&g.ram.gm, shm.buffer, shm.size));
	optee_drv_get_stats(g.drv, &st);
	assert_int_equal(st.shm_registered, 1);
	assert_int_equal(st.pages_held, 18);
	TEEC_FinalizeContext(&ctx);
	optee_drv_get_stats(g.drv, &st);
	assert_int_equal(st.shm_live, 0);
	assert_int_equal(g.fake.n_reg, 0);
	teec_set_default_driver(NULL);
	rig_down(&g);
}

struct trace_counts {
	unsigned begin[OPTEE_TRACE_CANCEL + 1];
	unsigned end[OPTEE_TRACE_CANCEL + 1];
	uint32_t last_invoke_result;
	size_t last_invoke_size0;
};

static void trace_begin(void *ctx, const struct optee_trace_op *op)
{
	struct trace_counts *t = ctx;

	t->begin[op->kind]++;
	if (op->kind == OPTEE_TRACE_INVOKE)
		t->last_invoke_size0 = op->param_sizes[0];
}

static void trace_end(void *ctx, const struct optee_trace_op *op)
{
	struct trace_counts *t = ctx;

	t->end[op->kind]++;
	if (op->kind == OPTEE_TRACE_INVOKE)
		t->last_invoke_result = op->result;
}

/* The trace hook sees a begin and an end for every TEEC-level operation, with its result. */
static void test_trace_hook(void **state)
{
	static const struct optee_trace_ops ops = { trace_begin, trace_end };
	struct trace_counts t = { 0 };
	struct rig g;
	TEEC_Context ctx;
	TEEC_Session sess;
	TEEC_Operation op = { 0 };
	TEEC_SharedMemory shm = { .size = 100, .flags = TEEC_MEM_INPUT };
	TEEC_UUID uuid = { 1, 2, 3, { 4 } };
	unsigned k;

	(void)state;
	rig_up(&g, 64, CAPS_BASE, 0);
	optee_drv_set_trace(g.drv, &ops, &t);
	teec_set_default_driver(g.drv);
	assert_int_equal(TEEC_InitializeContext(NULL, &ctx), TEEC_SUCCESS);
	assert_int_equal(TEEC_OpenSession(&ctx, &sess, &uuid, TEEC_LOGIN_PUBLIC, NULL, NULL, NULL),
			 TEEC_SUCCESS);
	assert_int_equal(TEEC_AllocateSharedMemory(&ctx, &shm), TEEC_SUCCESS);
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = &shm;
	assert_int_equal(TEEC_InvokeCommand(&sess, 77, &op, NULL), TEEC_ERROR_NOT_IMPLEMENTED);
	TEEC_RequestCancellation(&op);
	TEEC_ReleaseSharedMemory(&shm);
	TEEC_CloseSession(&sess);
	TEEC_FinalizeContext(&ctx);
	teec_set_default_driver(NULL);
	for (k = 0; k <= OPTEE_TRACE_CANCEL; k++) {
		assert_int_equal(t.begin[k], t.end[k]);
		if (k != OPTEE_TRACE_REGISTER_SHM)
			assert_int_equal(t.begin[k], 1);
	}
	assert_int_equal(t.begin[OPTEE_TRACE_REGISTER_SHM], 0);
	assert_int_equal(t.last_invoke_result, TEEC_ERROR_NOT_IMPLEMENTED);
	assert_int_equal(t.last_invoke_size0, 100);
	rig_down(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_fragmentation),
		cmocka_unit_test(test_alloc_first_fit_lowest),
		cmocka_unit_test(test_alloc_refuses_bad_frees),
		cmocka_unit_test(test_alloc_random_vs_naive),
		cmocka_unit_test(test_guest_mem_bounds),
		cmocka_unit_test(test_drv_probe),
		cmocka_unit_test(test_register_scattered_3mib),
		cmocka_unit_test(test_rpc_tour_inline_arg),
		cmocka_unit_test(test_rpc_tour_alloc_arg),
		cmocka_unit_test(test_ethread_limit),
		cmocka_unit_test(test_transport_failure),
		cmocka_unit_test(test_teec_api_on_fake),
		cmocka_unit_test(test_teec_finalize_cleans_up),
		cmocka_unit_test(test_trace_hook),
	};

	return cmocka_run_group_tests_name("normal_world", tests, NULL, NULL);
}
