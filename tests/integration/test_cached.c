/*
 * The "cached" strategy end to end, in one process: TEEC_* -> the real
 * driver (cached normal half: registered bounce buffers, arg slots sent as
 * CALL_WITH_REGD_ARG) -> in-process conduit -> the real secure world (cached
 * secure half: idle registered buffers stay mapped, LRU under a per-VM page
 * budget, lazy batched TLBI).  The secure MMU runs with verify_tlb_hits, so
 * any access through a stale TLB entry would be counted; every test requires
 * that count to stay 0 and ends with sw_check() == 0 and no mapping left.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sim/common/strategy.h"
#include "sim/common/ta_ids.h"
#include "sim/common/ts_err.h"
#include "sim/hv/mediator.h"
#include "sim/normal/guest_mem.h"
#include "sim/normal/include/tee_client_api.h"
#include "sim/normal/optee_drv.h"
#include "sim/normal/teec_sim.h"
#include "sim/secure/secure_world.h"
#include "strategies/cached/nw.h"
#include "tests/integration/inproc_world.h"

static const TEEC_UUID echo_uuid = TA_ECHO_UUID;

/* A lone normal world and the secure world under "cached"; shm_va_pages 0: the default range. */
static void world_up(struct inproc_lone *w, uint64_t budget_pages, uint64_t shm_va_pages)
{
	struct inproc_lone_cfg cfg;

	inproc_lone_cfg_default(&cfg, STRATEGY_CACHED);
	if (budget_pages)
		cfg.params.cache_pages_per_vm = budget_pages;
	cfg.sw.num_threads = 2;
	cfg.sw.mm.verify_tlb_hits = true;
	if (shm_va_pages)
		cfg.sw.mm.shm_va_bytes = shm_va_pages * SMALL_PAGE_SIZE;
	inproc_lone_up(w, &cfg);
	inproc_lone_open_session(w, &echo_uuid);
}

static struct sw_stats stats(struct inproc_lone *w)
{
	struct sw_stats s;

	assert_int_equal(sw_client_stats(w->sw, 0, &s), 0);
	return s;
}

static struct nw_cached_stats nw_stats(struct inproc_lone *w)
{
	struct nw_cached_stats s;

	assert_int_equal(nw_cached_stats(w->drv, &s), 0);
	assert_int_equal(nw_cached_check(w->drv), 0);
	return s;
}

/* The driver leaves (its cache unregistered, DISABLE_SHM_CACHE): nothing of client 0 stays. */
static void world_down(struct inproc_lone *w)
{
	struct sw_client_info ci;
	struct guest_mem_stats gs;

	inproc_lone_client_down(w);
	assert_int_equal(sw_check(w->sw), 0);
	assert_int_equal(optee_drv_check(w->drv), 0);
	inproc_lone_drv_down(w);
	assert_int_equal(sw_client_info(w->sw, 0, &ci), 0);
	assert_int_equal(ci.mappings, 0);
	assert_int_equal(ci.shm_registered, 0);
	assert_int_equal(sw_mm(w->sw)->stats.mapped_pages, 0);
	assert_int_equal(sw_mm(w->sw)->stats.stale_tlb_hits, 0);
	assert_int_equal(sw_check(w->sw), 0);
	guest_mem_get_stats(&w->gm, &gs);
	assert_int_equal(gs.pages_in_use, 0);
	inproc_lone_down(w);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed + (i >> 9));
}

/* TRANSFORM of n bytes through TEMP memrefs: out = in ^ 0xA5, checked byte for byte. */
static void transform_temp(struct inproc_lone *w, size_t n, unsigned seed)
{
	uint8_t *in = malloc(n), *out = malloc(n);
	TEEC_Operation op;
	uint32_t origin;
	size_t i;

	assert_non_null(in);
	assert_non_null(out);
	fill(in, n, seed);
	memset(out, 0, n);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_VALUE_INOUT, TEEC_NONE);
	op.params[0].tmpref.buffer = in;
	op.params[0].tmpref.size = n;
	op.params[1].tmpref.buffer = out;
	op.params[1].tmpref.size = n;
	assert_int_equal(TEEC_InvokeCommand(&w->sess, TA_ECHO_CMD_TRANSFORM, &op, &origin),
			 TEEC_SUCCESS);
	assert_int_equal(op.params[1].tmpref.size, n);
	for (i = 0; i < n; i++)
		assert_int_equal(out[i], (uint8_t)(in[i] ^ 0xa5));
	free(in);
	free(out);
}

/* INC_INPLACE on a registered block, through a PARTIAL_INOUT memref at offs. */
static void inc_registered(struct inproc_lone *w, TEEC_SharedMemory *shm, size_t offs, size_t n)
{
	TEEC_Operation op;
	uint32_t origin;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INOUT, TEEC_NONE, TEEC_NONE,
					 TEEC_NONE);
	op.params[0].memref.parent = shm;
	op.params[0].memref.offset = offs;
	op.params[0].memref.size = n;
	assert_int_equal(TEEC_InvokeCommand(&w->sess, TA_ECHO_CMD_INC_INPLACE, &op, &origin),
			 TEEC_SUCCESS);
}

/*
 * TEMP memrefs of every direction ride reused registered bounce buffers: once
 * the first round has registered and mapped them, later calls find them
 * mapped (cache hits) and write no descriptor and issue no TLBI at all,
 * while the data stays right.  Messages go as CALL_WITH_REGD_ARG from slots.
 */
static void test_temp_memrefs_hit(void **state)
{
	static const size_t sizes[] = { 100, 4096, 3 * 4096 + 17 };
	struct inproc_lone w;
	struct sw_stats s0, s1;
	struct nw_cached_stats n0, n1;
	uint64_t pte0, tlbi0;
	unsigned round, i;

	(void)state;
	world_up(&w, 0, 0);
	for (i = 0; i < 3; i++)
		transform_temp(&w, sizes[i], i);
	s0 = stats(&w);
	n0 = nw_stats(&w);
	pte0 = sw_mm(w.sw)->pgt.pte_writes;
	tlbi0 = sw_mm(w.sw)->tlb.stats.tlbi_all + sw_mm(w.sw)->tlb.stats.tlbi_va +
		sw_mm(w.sw)->tlb.stats.tlbi_range;
	for (round = 0; round < 5; round++)
		for (i = 0; i < 3; i++)
			transform_temp(&w, sizes[i], 10 * round + i);
	s1 = stats(&w);
	n1 = nw_stats(&w);
	assert_int_equal(sw_check(w.sw), 0);
	/* Steady state: no new registration, mapping, descriptor or TLBI. */
	assert_int_equal(n1.temp_misses, n0.temp_misses);
	assert_int_equal(n1.temp_hits - n0.temp_hits, 2 * 15);
	assert_int_equal(s1.registers, s0.registers);
	assert_int_equal(s1.maps_on_use, s0.maps_on_use);
	assert_true(s1.cache_hits - s0.cache_hits >= 2 * 15);
	assert_int_equal(sw_mm(w.sw)->pgt.pte_writes, pte0);
	assert_int_equal(sw_mm(w.sw)->tlb.stats.tlbi_all + sw_mm(w.sw)->tlb.stats.tlbi_va +
				 sw_mm(w.sw)->tlb.stats.tlbi_range, tlbi0);
	/* Every message but those that registered slot pages went as REGD_ARG. */
	assert_int_equal(n1.arg_slot_hits - n0.arg_slot_hits, 15);
	assert_int_equal(n1.arg_fresh, n0.arg_fresh);
	world_down(&w);
}

/*
 * A call from a REGD_ARG slot that needs RPCs (secure storage) finds its RPC
 * arg in the slot, right after the call's arg, as OP-TEE's
 * std_entry_with_regd_arg does: once the storage pool is warm, a write asks
 * the driver for no buffer at all (no RPC_ALLOC, no SHM_ALLOC), only the FS
 * RPC itself.
 */
static void test_regd_arg_carries_rpc_arg(void **state)
{
	static const TEEC_UUID storage_uuid = TA_STORAGE_UUID;
	struct inproc_lone w;
	struct optee_drv_stats d0, d1;
	struct nw_cached_stats n0, n1;
	TEEC_Session st;
	uint8_t buf[3000];
	size_t size;
	uint32_t origin;
	unsigned i;

	(void)state;
	world_up(&w, 0, 0);
	inproc_open_session(&w.ctx, &st, &storage_uuid);
	for (i = 0; i < 2; i++) { /* warm: slot pages, bounce buffers, the storage pool */
		fill(buf, sizeof(buf), i);
		size = sizeof(buf);
		assert_int_equal(inproc_storage_io(&st, TA_STORAGE_CMD_WRITE, 1, buf, &size,
						   &origin), TEEC_SUCCESS);
	}
	optee_drv_get_stats(w.drv, &d0);
	n0 = nw_stats(&w);
	for (i = 0; i < 4; i++) {
		fill(buf, sizeof(buf), 10 + i);
		size = sizeof(buf);
		assert_int_equal(inproc_storage_io(&st, TA_STORAGE_CMD_WRITE, 1, buf, &size,
						   &origin), TEEC_SUCCESS);
	}
	optee_drv_get_stats(w.drv, &d1);
	n1 = nw_stats(&w);
	assert_int_equal(n1.arg_slot_hits - n0.arg_slot_hits, 4);
	assert_int_equal(d1.rpc_buffers, d0.rpc_buffers);
	memset(buf, 0, sizeof(buf));
	size = sizeof(buf);
	assert_int_equal(inproc_storage_io(&st, TA_STORAGE_CMD_READ, 1, buf, &size, &origin),
			 TEEC_SUCCESS);
	assert_int_equal(size, sizeof(buf));
	assert_int_equal(buf[0], (uint8_t)13); /* the last write's fill(.., 13) */
	TEEC_CloseSession(&st);
	assert_int_equal(sw_check(w.sw), 0);
	world_down(&w);
}

/*
 * Client blocks, allocated and registered, WHOLE and PARTIAL: each call that
 * names one after its first finds its mapping; the TA's writes land in the
 * client's memory; releasing a block unmaps it at once.
 */
static void test_client_blocks(void **state)
{
	struct inproc_lone w;
	TEEC_SharedMemory a = { 0 }, r = { 0 };
	uint8_t *mem = NULL;
	struct sw_client_info ci0, ci1;
	struct sw_stats s;
	unsigned i;

	(void)state;
	world_up(&w, 0, 0);
	a.size = 5 * 4096;
	a.flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
	assert_int_equal(TEEC_AllocateSharedMemory(&w.ctx, &a), TEEC_SUCCESS);
	memset(a.buffer, 1, a.size);
	mem = aligned_alloc(4096, 3 * 4096);
	assert_non_null(mem);
	memset(mem, 7, 3 * 4096);
	r.buffer = mem;
	r.size = 3 * 4096;
	r.flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
	assert_int_equal(TEEC_RegisterSharedMemory(&w.ctx, &r), TEEC_SUCCESS);
	for (i = 0; i < 4; i++) {
		inc_registered(&w, &a, 4096 + 10, 2 * 4096);
		inc_registered(&w, &r, 0, 3 * 4096);
	}
	assert_int_equal(((uint8_t *)a.buffer)[4096 + 10], 1 + 4);
	assert_int_equal(((uint8_t *)a.buffer)[4096 + 9], 1);
	assert_int_equal(mem[3 * 4096 - 1], 7 + 4);
	s = stats(&w);
	assert_true(s.cache_hits >= 2 * 3);
	assert_int_equal(sw_client_info(w.sw, 0, &ci0), 0);
	TEEC_ReleaseSharedMemory(&a);
	assert_int_equal(sw_client_info(w.sw, 0, &ci1), 0);
	assert_int_equal(ci1.mappings, ci0.mappings - 1);
	assert_int_equal(sw_check(w.sw), 0);
	TEEC_ReleaseSharedMemory(&r);
	free(mem);
	world_down(&w);
}

/*
 * The per-VM budget: with 9 pages of idle mappings allowed (the arg slot
 * page is one), cycling through four 4-page blocks keeps at most two idle
 * and evicts the least recently used; a block used again after its eviction is mapped afresh and its data
 * is right, and (verify_tlb_hits) no access ever hit a stale TLB entry even
 * though the evictions' TLBIs are batched.
 */
static void test_budget_lru(void **state)
{
	struct inproc_lone w;
	TEEC_SharedMemory b[4];
	struct sw_stats s0, s;
	unsigned i, round;

	(void)state;
	world_up(&w, 9, 0); /* two blocks idle, plus the page of arg slots */
	for (i = 0; i < 4; i++) {
		memset(&b[i], 0, sizeof(b[i]));
		b[i].size = 4 * 4096;
		b[i].flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
		assert_int_equal(TEEC_AllocateSharedMemory(&w.ctx, &b[i]), TEEC_SUCCESS);
		memset(b[i].buffer, (int)i, b[i].size);
	}
	/* 0, 1: both idle and kept (8 pages + the arg page). */
	inc_registered(&w, &b[0], 0, b[0].size);
	inc_registered(&w, &b[1], 0, b[1].size);
	s0 = stats(&w);
	assert_int_equal(s0.cache_evictions, 0);
	inc_registered(&w, &b[0], 0, b[0].size); /* a hit (and one for the arg page) */
	assert_int_equal(stats(&w).cache_hits, s0.cache_hits + 2);
	inc_registered(&w, &b[2], 0, b[2].size); /* 13 idle pages: 1 (LRU) goes */
	s = stats(&w);
	assert_int_equal(s.cache_evictions, 1);
	inc_registered(&w, &b[0], 0, b[0].size); /* still cached */
	assert_int_equal(stats(&w).cache_hits, s.cache_hits + 2);
	s = stats(&w);
	inc_registered(&w, &b[1], 0, b[1].size); /* evicted: mapped afresh, 2 goes */
	assert_int_equal(stats(&w).maps_on_use, s.maps_on_use + 1);
	assert_int_equal(stats(&w).cache_evictions, 2);
	for (round = 0; round < 8; round++)
		for (i = 0; i < 4; i++) {
			inc_registered(&w, &b[i], 0, b[i].size);
			assert_int_equal(sw_check(w.sw), 0);
		}
	/* Every byte was incremented once per use. */
	assert_int_equal(((uint8_t *)b[0].buffer)[100], 0 + 3 + 8);
	assert_int_equal(((uint8_t *)b[1].buffer)[4 * 4096 - 1], 1 + 2 + 8);
	assert_int_equal(((uint8_t *)b[2].buffer)[0], 2 + 1 + 8);
	assert_int_equal(((uint8_t *)b[3].buffer)[5], 3 + 0 + 8);
	assert_int_equal(sw_mm(w.sw)->stats.stale_tlb_hits, 0);
	assert_true(sw_mm(w.sw)->stats.lazy_purges > 0 || sw_mm(w.sw)->stats.lazy_pending_pages);
	for (i = 0; i < 4; i++)
		TEEC_ReleaseSharedMemory(&b[i]);
	world_down(&w);
}

/*
 * Exhaustion of the shared VA range (48 pages): idle mappings are evicted to
 * make room (pressure evictions), and only when the buffers of one call need
 * more than the range holds does the call fail with OUT_OF_MEMORY, leaving
 * the books clean and the next small call working.
 */
static void test_va_exhaustion(void **state)
{
	struct inproc_lone w;
	TEEC_SharedMemory b[4];
	TEEC_Operation op;
	uint32_t origin;
	unsigned i;

	(void)state;
	world_up(&w, 1024, 48);
	for (i = 0; i < 4; i++) {
		memset(&b[i], 0, sizeof(b[i]));
		b[i].size = 14 * 4096;
		b[i].flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
		assert_int_equal(TEEC_AllocateSharedMemory(&w.ctx, &b[i]), TEEC_SUCCESS);
		inc_registered(&w, &b[i], 0, b[i].size); /* the 4th needs an idle one gone */
	}
	assert_true(stats(&w).cache_pressure_evictions >= 1);
	assert_int_equal(sw_check(w.sw), 0);
	/* Two 14-page blocks in one call fit once idle ones are evicted; 2 x 30 pages never do. */
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INPUT, TEEC_MEMREF_PARTIAL_OUTPUT,
					 TEEC_VALUE_INOUT, TEEC_NONE);
	op.params[0].memref.parent = &b[0];
	op.params[0].memref.size = b[0].size;
	op.params[1].memref.parent = &b[1];
	op.params[1].memref.size = b[1].size;
	assert_int_equal(TEEC_InvokeCommand(&w.sess, TA_ECHO_CMD_TRANSFORM, &op, &origin),
			 TEEC_SUCCESS); /* 28 pages: fits once the others are evicted */
	{
		uint8_t *big = calloc(1, 30 * 4096), *out = calloc(1, 30 * 4096);

		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
						 TEEC_VALUE_INOUT, TEEC_NONE);
		op.params[0].tmpref.buffer = big;
		op.params[0].tmpref.size = 30 * 4096;
		op.params[1].tmpref.buffer = out;
		op.params[1].tmpref.size = 30 * 4096;
		assert_int_equal(TEEC_InvokeCommand(&w.sess, TA_ECHO_CMD_TRANSFORM, &op, &origin),
				 TEEC_ERROR_OUT_OF_MEMORY);
		free(big);
		free(out);
	}
	assert_int_equal(sw_check(w.sw), 0);
	transform_temp(&w, 4096, 3);
	for (i = 0; i < 4; i++)
		TEEC_ReleaseSharedMemory(&b[i]);
	world_down(&w);
}

/* ---- Two guests under the hypervisor's mediator ---- */

/*
 * Per-VM budgets under a hypervisor: guest 0 churns through many blocks and
 * evicts only its own idle mappings; guest 1's block stays mapped and keeps
 * hitting.  Guest 1 then dies holding idle mappings and the secure world is
 * left with nothing of it.
 */
static void test_per_vm_budget_and_crash(void **state)
{
	struct inproc_hv hv;
	struct inproc_guest *g = hv.g;
	struct inproc_hv_cfg cfg;
	TEEC_Context ctx[2];
	TEEC_Session sess[2];
	struct inproc_lone shim; /* to reuse inc_registered */
	TEEC_SharedMemory keep = { 0 }, churn[6];
	struct sw_stats s1a, s1b, s0;
	uint32_t i, n;

	(void)state;
	inproc_hv_cfg_default(&cfg, STRATEGY_CACHED);
	cfg.params.cache_pages_per_vm = 8;
	cfg.sw.mm.verify_tlb_hits = true;
	inproc_hv_up(&hv, &cfg);
	for (i = 0; i < 2; i++) {
		inproc_hv_guest_up(&hv, i, &(struct inproc_guest_cfg){ .s2_seed = 7 + i });
		teec_set_default_driver(g[i].drv);
		inproc_teec_open(&ctx[i], &sess[i], &echo_uuid);
	}
	memset(&shim, 0, sizeof(shim));
	shim.sw = hv.sw;
	/* Guest 1 maps one 4-page block and leaves it idle. */
	teec_set_default_driver(g[1].drv);
	shim.sess = sess[1];
	keep.size = 4 * 4096;
	keep.flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
	assert_int_equal(TEEC_AllocateSharedMemory(&ctx[1], &keep), TEEC_SUCCESS);
	inc_registered(&shim, &keep, 0, keep.size);
	assert_int_equal(sw_client_stats(hv.sw, 2, &s1a), 0);
	/* Guest 0 churns through six 4-page blocks, twice. */
	teec_set_default_driver(g[0].drv);
	shim.sess = sess[0];
	for (i = 0; i < 6; i++) {
		memset(&churn[i], 0, sizeof(churn[i]));
		churn[i].size = 4 * 4096;
		churn[i].flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
		assert_int_equal(TEEC_AllocateSharedMemory(&ctx[0], &churn[i]), TEEC_SUCCESS);
	}
	for (n = 0; n < 12; n++) {
		inc_registered(&shim, &churn[n % 6], 0, churn[n % 6].size);
		assert_int_equal(sw_check(hv.sw), 0);
	}
	assert_int_equal(sw_client_stats(hv.sw, 1, &s0), 0);
	assert_true(s0.cache_evictions >= 8);
	/* Guest 1's idle mapping survived all that: its next use is a hit. */
	teec_set_default_driver(g[1].drv);
	shim.sess = sess[1];
	inc_registered(&shim, &keep, 0, keep.size);
	assert_int_equal(sw_client_stats(hv.sw, 2, &s1b), 0);
	assert_int_equal(s1b.cache_hits, s1a.cache_hits + 1);
	assert_int_equal(s1b.cache_evictions, 0);
	assert_int_equal(((uint8_t *)keep.buffer)[4 * 4096 - 1], 2);

	/* Guest 1 dies without a word, idle mappings and all. */
	assert_int_equal(hv_guest_remove(hv.med, g[1].hg), 0);
	g[1].hg = NULL;
	assert_int_equal(core_mm_check_vm_clean(sw_mm(hv.sw), 2), 0);
	assert_int_equal(sw_check(hv.sw), 0);
	teec_set_default_driver(NULL);

	/* Guest 0 leaves properly. */
	teec_set_default_driver(g[0].drv);
	for (i = 0; i < 6; i++)
		TEEC_ReleaseSharedMemory(&churn[i]);
	TEEC_CloseSession(&sess[0]);
	TEEC_FinalizeContext(&ctx[0]);
	teec_set_default_driver(NULL);
	inproc_hv_guest_leave(&hv, 0);
	assert_int_equal(core_mm_check_vm_clean(sw_mm(hv.sw), 1), 0);
	assert_int_equal(sw_mm(hv.sw)->stats.stale_tlb_hits, 0);
	assert_int_equal(sw_check(hv.sw), 0);
	assert_int_equal(hv_mediator_pages_in_use(hv.med), 0);
	/* What is left of guest 1's driver talks to a dead machine: it cleans up locally. */
	inproc_hv_guest_orphan(&hv, 1);
	teec_set_default_driver(g[1].drv);
	TEEC_ReleaseSharedMemory(&keep);
	TEEC_CloseSession(&sess[1]);
	TEEC_FinalizeContext(&ctx[1]);
	teec_set_default_driver(NULL);
	inproc_hv_down(&hv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_temp_memrefs_hit),
		cmocka_unit_test(test_regd_arg_carries_rpc_arg),
		cmocka_unit_test(test_client_blocks),
		cmocka_unit_test(test_budget_lru),
		cmocka_unit_test(test_va_exhaustion),
		cmocka_unit_test(test_per_vm_budget_and_crash),
	};

	return cmocka_run_group_tests_name("cached", tests, NULL, NULL);
}
