/*
 * The "rpc" strategy end to end, in one process: TEEC_* -> the real driver
 * (rpc normal half = dynamic) -> in-process SMC conduit -> the real secure
 * world, whose own buffers (the storage TA's) come from a per-client pool
 * grown by RPC SHM_ALLOC in chunks and shrunk when idle.  The same sequences
 * run under "dynamic" for comparison; a guest that dies holding a pool is
 * reclaimed through the hypervisor's mediator.  Every test ends with
 * sw_check() == 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/dram.h"
#include "sim/common/optee_msg.h"
#include "sim/common/strategy.h"
#include "sim/common/ta_ids.h"
#include "sim/common/ts_err.h"
#include "sim/hv/mediator.h"
#include "sim/normal/guest_mem.h"
#include "sim/normal/include/tee_client_api.h"
#include "sim/normal/optee_drv.h"
#include "sim/normal/strategy_nw.h"
#include "sim/normal/teec_sim.h"
#include "sim/secure/secure_world.h"
#include "tests/integration/inproc_world.h"

static const TEEC_UUID storage_uuid = TA_STORAGE_UUID;

/* A lone normal world (client 0) and the secure world, both running strategy id. */
static void world_up_cpus(struct inproc_lone *w, enum strategy_id id, uint64_t chunk_pages,
			  uint64_t idle_pages, size_t n_cpus)
{
	struct inproc_lone_cfg cfg;

	inproc_lone_cfg_default(&cfg, id);
	if (chunk_pages)
		cfg.params.pool_chunk_pages = chunk_pages;
	if (idle_pages != (uint64_t)-1)
		cfg.params.pool_idle_pages = idle_pages;
	cfg.sw.num_threads = 4;
	cfg.n_cpus = n_cpus;
	inproc_lone_up(w, &cfg);
	assert_int_equal(optee_drv_get_info(w->drv)->strategy, id);
	inproc_lone_open_session(w, &storage_uuid);
}

static void world_up(struct inproc_lone *w, enum strategy_id id, uint64_t chunk_pages,
		     uint64_t idle_pages)
{
	world_up_cpus(w, id, chunk_pages, idle_pages, 1);
}

/* Books closed on both sides; pool chunks are the only shm the driver may still lend. */
static void world_down(struct inproc_lone *w)
{
	struct optee_drv_stats st;
	struct guest_mem_stats gs;
	struct sw_client_info ci;
	struct sw_stats ss;

	inproc_lone_client_down(w);
	assert_int_equal(sw_check(w->sw), 0);
	assert_int_equal(optee_drv_check(w->drv), 0);
	optee_drv_get_stats(w->drv, &st);
	assert_int_equal(sw_client_stats(w->sw, 0, &ss), 0);
	assert_int_equal(sw_client_info(w->sw, 0, &ci), 0);
	/* What the pool holds is exactly what the driver still lends, each chunk mapped once. */
	assert_int_equal(st.rpc_shm_live, ss.pool_chunks_allocated - ss.pool_chunks_freed);
	assert_int_equal(ci.mappings, ss.pool_chunks_allocated - ss.pool_chunks_freed);
	assert_int_equal(st.shm_registered, 0);
	assert_int_equal(ci.sessions, 0);
	assert_int_equal(ci.shm_registered, 0);
	assert_int_equal(ci.threads_running + ci.threads_suspended, 0);
	/*
	 * The driver leaves first, as Linux's does: DISABLE_SHM_CACHE hands back
	 * every chunk (unmapped), and it frees them; nothing of client 0 stays mapped.
	 */
	inproc_lone_drv_down(w);
	assert_int_equal(sw_client_info(w->sw, 0, &ci), 0);
	assert_int_equal(ci.mappings, 0);
	assert_int_equal(sw_check(w->sw), 0);
	guest_mem_get_stats(&w->gm, &gs);
	assert_int_equal(gs.pages_in_use, 0);
	assert_int_equal(guest_mem_check(&w->gm), 0);
	inproc_lone_down(w);
}

/* Store n bytes as object id and read them back through the storage TA. */
static void store_and_load(struct inproc_lone *w, uint32_t id, size_t n, unsigned seed)
{
	uint8_t *data = malloc(n), *got = malloc(n);
	uint32_t origin;
	size_t size = n;

	assert_non_null(data);
	assert_non_null(got);
	inproc_fill(data, n, seed);
	memset(got, 0, n);
	assert_int_equal(inproc_storage_io(&w->sess, TA_STORAGE_CMD_WRITE, id, data, &size,
					   &origin), TEEC_SUCCESS);
	assert_int_equal(sw_check(w->sw), 0);
	size = n;
	assert_int_equal(inproc_storage_io(&w->sess, TA_STORAGE_CMD_READ, id, got, &size, &origin),
			 TEEC_SUCCESS);
	assert_int_equal(size, n);
	assert_memory_equal(got, data, n);
	assert_int_equal(sw_check(w->sw), 0);
	free(data);
	free(got);
}

/* SHM_ALLOC round trips the driver answered (RPC args are inline: no RPC_ALLOC). */
static uint64_t nw_shm_allocs(struct inproc_lone *w)
{
	struct optee_drv_stats st;

	optee_drv_get_stats(w->drv, &st);
	return st.rpc_buffers;
}

/*
 * Ten storage writes and reads: under rpc the first needs one SHM_ALLOC for
 * a chunk and the other 19 buffers are pool hits; dynamic asks once per
 * buffer, so rpc sends strictly fewer SHM_ALLOCs for the same sequence.
 */
static void test_storage_pool_hits_vs_dynamic(void **state)
{
	struct inproc_lone w;
	struct sw_stats ss;
	uint64_t allocs_rpc, allocs_dyn, before;
	uint32_t i;

	(void)state;
	world_up(&w, STRATEGY_RPC, 0, (uint64_t)-1);
	before = nw_shm_allocs(&w);
	for (i = 0; i < 10; i++) {
		store_and_load(&w, i, 3000 + 997 * i, i);
		assert_int_equal(sw_client_stats(w.sw, 0, &ss), 0);
		assert_int_equal(ss.pool_misses, 1);
		assert_int_equal(ss.pool_hits, 2 * i + 1);
	}
	allocs_rpc = nw_shm_allocs(&w) - before;
	assert_int_equal(allocs_rpc, 1);
	assert_int_equal(ss.pool_chunks_allocated, 1);
	assert_int_equal(ss.pool_chunks_freed, 0); /* 64 free pages < idle 256 + 64: kept */
	assert_int_equal(ss.pool_pages_peak, 64);
	world_down(&w);

	world_up(&w, STRATEGY_DYNAMIC, 0, (uint64_t)-1);
	before = nw_shm_allocs(&w);
	for (i = 0; i < 10; i++)
		store_and_load(&w, i, 3000 + 997 * i, i);
	allocs_dyn = nw_shm_allocs(&w) - before;
	assert_int_equal(sw_client_stats(w.sw, 0, &ss), 0);
	assert_int_equal(ss.pool_hits + ss.pool_misses + ss.pool_chunks_allocated, 0);
	world_down(&w);
	assert_int_equal(allocs_dyn, 20);
	assert_true(allocs_rpc < allocs_dyn);
}

/*
 * A buffer larger than a chunk grows the pool by a chunk rounded up to whole
 * chunks; later requests that fit are hits, and the data crosses intact
 * (slices travel as {chunk cookie, offset}).
 */
static void test_large_buffer_grows_pool(void **state)
{
	struct inproc_lone w;
	struct sw_stats ss;
	struct sw_client_info ci;

	(void)state;
	world_up(&w, STRATEGY_RPC, 4, 64); /* chunk 4 pages, large idle: no shrink here */
	store_and_load(&w, 1, 4096, 1);   /* chunk A: 4 pages */
	assert_int_equal(sw_client_stats(w.sw, 0, &ss), 0);
	assert_int_equal(ss.pool_chunks_allocated, 1);
	assert_int_equal(ss.pool_pages_peak, 4);
	store_and_load(&w, 2, 5 * 4096 + 100, 2); /* 6 pages > A: chunk B of 8 */
	assert_int_equal(sw_client_stats(w.sw, 0, &ss), 0);
	assert_int_equal(ss.pool_chunks_allocated, 2);
	assert_int_equal(ss.pool_misses, 2);
	assert_int_equal(ss.pool_hits, 2); /* the read of 1 and the read of 2 */
	assert_int_equal(ss.pool_pages_peak, 12);
	assert_int_equal(sw_client_info(w.sw, 0, &ci), 0);
	assert_int_equal(ci.mappings, 2);
	store_and_load(&w, 3, 3 * 4096, 3); /* 3 pages: fits A */
	store_and_load(&w, 4, 7 * 4096, 4); /* 7 pages: fits B */
	assert_int_equal(sw_client_stats(w.sw, 0, &ss), 0);
	assert_int_equal(ss.pool_chunks_allocated, 2);
	assert_int_equal(ss.pool_hits, 6);
	world_down(&w);
}

/*
 * Idle shrink with hysteresis (chunk 4, idle 4): a pool whose free pages
 * exceed idle + chunk gives back wholly free chunks by SHM_FREE down to no
 * fewer than idle free pages; one just above idle is kept.
 */
static void test_idle_shrink(void **state)
{
	struct inproc_lone w;
	struct sw_stats ss;
	struct optee_drv_stats st;
	struct sw_client_info ci;
	uint32_t i;

	(void)state;
	world_up(&w, STRATEGY_RPC, 4, 4);
	store_and_load(&w, 1, 4 * 4096, 1); /* A(4); 4 free <= 8: kept */
	assert_int_equal(sw_client_stats(w.sw, 0, &ss), 0);
	assert_int_equal(ss.pool_chunks_freed, 0);
	/* B(8) for 8 pages; after the put 12 free > 8: A goes (8 stay free), B stays. */
	store_and_load(&w, 2, 8 * 4096, 2);
	assert_int_equal(sw_client_stats(w.sw, 0, &ss), 0);
	assert_int_equal(ss.pool_chunks_allocated, 2);
	assert_int_equal(ss.pool_chunks_freed, 1);
	optee_drv_get_stats(w.drv, &st);
	assert_int_equal(st.rpc_shm_live, 1);
	assert_int_equal(sw_client_info(w.sw, 0, &ci), 0);
	assert_int_equal(ci.mappings, 1);
	/* Many small buffers afterwards: all hits in B, nothing grows or shrinks. */
	for (i = 0; i < 8; i++)
		store_and_load(&w, 10 + i, 1000 + 512 * i, i);
	assert_int_equal(sw_client_stats(w.sw, 0, &ss), 0);
	assert_int_equal(ss.pool_chunks_allocated, 2);
	assert_int_equal(ss.pool_chunks_freed, 1);
	assert_int_equal(ss.pool_hits, 2 + 16); /* the reads of 1 and 2, then 8 x 2 */
	/* C(12) for 12 pages; then 20 free: B goes, C stays (0 free after would be < 4). */
	store_and_load(&w, 3, 12 * 4096, 3);
	assert_int_equal(sw_client_stats(w.sw, 0, &ss), 0);
	assert_int_equal(ss.pool_chunks_allocated, 3);
	assert_int_equal(ss.pool_chunks_freed, 2);
	assert_int_equal(ss.pool_pages_peak, 20);
	optee_drv_get_stats(w.drv, &st);
	assert_int_equal(st.rpc_shm_live, 1);
	world_down(&w);
}

struct client_arg {
	struct inproc_lone *w;
	unsigned seed;
	int failures;
};

/* One client thread: its own session, storage writes and reads of varied sizes. */
static void *client_thread(void *p)
{
	struct client_arg *a = p;
	TEEC_Session s;
	TEEC_Operation op;
	uint32_t origin, k;
	size_t n;
	uint8_t *data = malloc(6 * 4096), *got = malloc(6 * 4096);

	if (!data || !got ||
	    TEEC_OpenSession(&a->w->ctx, &s, &storage_uuid, TEEC_LOGIN_PUBLIC, NULL, NULL,
			     &origin)) {
		a->failures++;
		free(data);
		free(got);
		return NULL;
	}
	for (k = 0; k < 20; k++) {
		uint32_t id = a->seed * 100 + k;

		n = 500 + (size_t)((a->seed * 7919u + k * 104729u) % (6 * 4096 - 500));
		inproc_fill(data, n, id);
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_INPUT,
						 TEEC_NONE, TEEC_NONE);
		op.params[0].value.a = id;
		op.params[1].tmpref.buffer = data;
		op.params[1].tmpref.size = n;
		if (TEEC_InvokeCommand(&s, TA_STORAGE_CMD_WRITE, &op, &origin))
			a->failures++;
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
						 TEEC_NONE, TEEC_NONE);
		op.params[0].value.a = id;
		op.params[1].tmpref.buffer = got;
		op.params[1].tmpref.size = n;
		if (TEEC_InvokeCommand(&s, TA_STORAGE_CMD_READ, &op, &origin) ||
		    op.params[1].tmpref.size != n || memcmp(got, data, n))
			a->failures++;
		if (sw_check(a->w->sw))
			a->failures++;
	}
	TEEC_CloseSession(&s);
	free(data);
	free(got);
	return NULL;
}

/*
 * Four clients at once on four CPUs (chunk 4, idle 4): calls suspended in
 * their FS RPC hold slices while others take theirs, so slices share chunks
 * and the pool grows and shrinks under them; every byte comes back and the
 * books hold after every call.
 */
static void test_concurrent_clients(void **state)
{
	struct inproc_lone w;
	struct client_arg a[4];
	pthread_t t[4];
	struct sw_stats ss;
	int i;

	(void)state;
	world_up_cpus(&w, STRATEGY_RPC, 4, 4, 4);
	for (i = 0; i < 4; i++) {
		a[i] = (struct client_arg){ .w = &w, .seed = (unsigned)i + 1 };
		assert_int_equal(pthread_create(&t[i], NULL, client_thread, &a[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(a[i].failures, 0);
	}
	assert_int_equal(sw_client_stats(w.sw, 0, &ss), 0);
	assert_int_equal(ss.pool_hits + ss.pool_misses, 4 * 20 * 2);
	assert_true(ss.pool_misses >= 1);
	assert_true(ss.pool_chunks_freed >= 1); /* chunks of 4 and 8 pages for 1..6: idle ones go */
	world_down(&w);
}

/* ---- A guest that dies holding a pool (through the hypervisor's mediator) ---- */

#define N_GUESTS 2

static void storage_octets(uint8_t out[16])
{
	struct ta_uuid u = TA_STORAGE_UUID;

	optee_uuid_to_octets(out, u.time_low, u.time_mid, u.time_hi_and_version,
			     u.clock_seq_and_node);
}

/* Write n bytes as object id through a registered buffer (RMEM), with the driver API. */
static void drv_store(struct inproc_guest *g, uint32_t session, uint32_t id, size_t n)
{
	struct optee_drv_param p[2] = { { 0 } };
	struct optee_shm *shm;
	uint8_t *buf = malloc(n);
	uint32_t origin;

	assert_non_null(buf);
	inproc_fill(buf, n, id);
	assert_int_equal(optee_shm_alloc(g->drv, n, false, &shm), 0);
	assert_int_equal(optee_shm_write(shm, 0, buf, n), 0);
	assert_int_equal(optee_shm_register(shm, &origin), TEE_SUCCESS);
	p[0].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	p[0].u.value.a = id;
	p[1] = (struct optee_drv_param){ OPTEE_MSG_ATTR_TYPE_RMEM_INPUT,
					 .u.memref = { shm, 0, n } };
	assert_int_equal(optee_drv_invoke(g->drv, session, TA_STORAGE_CMD_WRITE, 0, p, 2, &origin),
			 TEE_SUCCESS);
	optee_shm_free(shm);
	free(buf);
}

/*
 * Guest 2 fills its pool and dies without a word: VM_DESTROYED drops the
 * pool (unmap only, no RPC to a dead guest), the core memory manager holds
 * nothing of the VM, and guest 1, with its own pool, is untouched.
 */
static void test_vm_destroyed_with_pool(void **state)
{
	struct inproc_hv hv;
	struct inproc_guest *g = hv.g;
	struct inproc_hv_cfg cfg;
	struct sw_stats ss;
	struct sw_client_info ci;
	uint32_t i, session[N_GUESTS], origin;
	uint8_t uuid[16];

	(void)state;
	inproc_hv_cfg_default(&cfg, STRATEGY_RPC);
	cfg.params.pool_chunk_pages = 16;
	cfg.n_guests = N_GUESTS;
	inproc_hv_up(&hv, &cfg);
	storage_octets(uuid);
	for (i = 0; i < N_GUESTS; i++) {
		inproc_hv_guest_up(&hv, i, &(struct inproc_guest_cfg){ .s2_seed = 200 + i });
		assert_int_equal(optee_drv_open_session(g[i].drv, uuid, 0, NULL, NULL, 0,
							&session[i], &origin), TEE_SUCCESS);
		/* 20 pages: a chunk of 32 (two chunks' worth), kept (idle 256). */
		drv_store(&g[i], session[i], 7, 20 * 4096);
		drv_store(&g[i], session[i], 8, 4096);
		assert_int_equal(sw_client_stats(hv.sw, (uint16_t)(i + 1), &ss), 0);
		assert_int_equal(ss.pool_chunks_allocated, 1);
		assert_int_equal(ss.pool_hits, 1);
		assert_int_equal(ss.pool_pages_peak, 32);
		assert_int_equal(sw_client_info(hv.sw, (uint16_t)(i + 1), &ci), 0);
		assert_int_equal(ci.mappings, 1);
	}
	assert_int_equal(sw_check(hv.sw), 0);

	/* Guest 2 (client 2) is gone without a word. */
	assert_int_equal(hv_guest_remove(hv.med, g[1].hg), 0);
	g[1].hg = NULL;
	assert_int_equal(core_mm_check_vm_clean(sw_mm(hv.sw), 2), 0);
	assert_int_equal(sw_check(hv.sw), 0);
	assert_int_equal(sw_client_stats(hv.sw, 2, &ss), 0);
	assert_int_equal(ss.pool_chunks_freed, 1);
	assert_int_equal(sw_client_info(hv.sw, 2, &ci), 0);
	assert_int_equal(ci.mappings, 0);
	/* Guest 1 keeps its pool and keeps working from it. */
	drv_store(&g[0], session[0], 9, 8 * 4096);
	assert_int_equal(sw_client_stats(hv.sw, 1, &ss), 0);
	assert_int_equal(ss.pool_chunks_allocated, 1);
	assert_int_equal(ss.pool_hits, 2);
	assert_int_equal(sw_client_info(hv.sw, 1, &ci), 0);
	assert_int_equal(ci.mappings, 1);
	assert_int_equal(sw_check(hv.sw), 0);
	assert_int_equal(optee_drv_close_session(g[0].drv, session[0], &origin), TEE_SUCCESS);

	/* What is left of guest 2's driver talks to nobody. */
	inproc_hv_guest_orphan(&hv, 1);
	for (i = 0; i < N_GUESTS; i++) {
		inproc_hv_guest_leave(&hv, i);
		assert_int_equal(core_mm_check_vm_clean(sw_mm(hv.sw), (uint16_t)(i + 1)), 0);
	}
	assert_int_equal(sw_check(hv.sw), 0);
	assert_int_equal(hv_mediator_pages_in_use(hv.med), 0);
	inproc_hv_down(&hv);
}

/* Both halves are registered: "rpc" is no longer refused as not implemented. */
static void test_rpc_registered(void **state)
{
	struct dram_config dc;
	struct sw_config sc;
	struct secure_world *sw;
	struct dram *dram;
	struct strategy_params p;
	char err[256] = "";

	(void)state;
	assert_int_equal(nw_strategy_available(STRATEGY_RPC, err, sizeof(err)), 0);
	dram_config_default(&dc);
	assert_int_equal(dram_create(&dc, &dram, err, sizeof(err)), 0);
	sw_config_default(&sc);
	sc.strategy = "rpc";
	assert_int_equal(sw_create(&sc, dram, &sw, err, sizeof(err)), 0);
	assert_int_equal(sw_check(sw), 0);
	sw_destroy(sw);
	/* A chunk of 0 pages is not a pool. */
	strategy_params_default(STRATEGY_RPC, &p);
	p.pool_chunk_pages = 0;
	sc.strategy_params = &p;
	assert_int_equal(sw_create(&sc, dram, &sw, err, sizeof(err)), TS_EINVAL);
	assert_null(sw);
	dram_destroy(dram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rpc_registered),
		cmocka_unit_test(test_storage_pool_hits_vs_dynamic),
		cmocka_unit_test(test_large_buffer_grows_pool),
		cmocka_unit_test(test_idle_shrink),
		cmocka_unit_test(test_concurrent_clients),
		cmocka_unit_test(test_vm_destroyed_with_pool),
	};

	return cmocka_run_group_tests_name("rpc_strategy", tests, NULL, NULL);
}
