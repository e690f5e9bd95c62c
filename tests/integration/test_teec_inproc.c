/*
 * GP client API end to end against the real secure world, all in one process:
 * TEEC_* -> normal-world OP-TEE driver -> in-process SMC conduit -> sw_smc ->
 * simulated TAs that touch the shared buffers through the secure MMU model.
 * No hypervisor: the guest's IPAs are PAs and its client id is 0.
 *
 * Every test ends with the books closed on both sides: sw_check() == 0, no
 * session or registration left in the secure world, the driver holding no
 * shm, and every guest page back in the allocator.
 */
#define _POSIX_C_SOURCE 200809L /* pthread barriers, nanosleep */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/common/dram.h"
#include "sim/common/optee_smc.h"
#include "sim/common/smc_channel.h"
#include "sim/common/ta_ids.h"
#include "sim/common/ts_err.h"
#include "sim/normal/guest_mem.h"
#include "sim/normal/include/tee_client_api.h"
#include "sim/normal/optee_drv.h"
#include "sim/normal/teec_sim.h"
#include "sim/secure/secure_world.h"
#include "tests/integration/inproc_world.h"

static const TEEC_UUID echo_uuid = TA_ECHO_UUID;
static const TEEC_UUID storage_uuid = TA_STORAGE_UUID;
static const TEEC_UUID bigload_uuid = TA_BIGLOAD_UUID;

struct world;

/*
 * A CPU whose first RPC returns are held back: the calling thread keeps its
 * secure thread suspended until some other caller has met ETHREAD_LIMIT (or
 * 5 s pass), so the threaded test hits the limit on every run, not only when
 * the host scheduler happens to overlap the clients.
 */
struct gated_cpu {
	struct smc_conduit inner;
	struct world *w;
};

struct world {
	struct inproc_lone l;
	struct gated_cpu gated[INPROC_MAX_CPUS];
	_Atomic int gates_left;
};

static int gated_call(void *ctx, struct smc_regs *regs)
{
	struct gated_cpu *g = ctx;
	int rc = smc_conduit_call(&g->inner, regs), i;

	if (!rc && optee_smc_return_is_rpc((uint32_t)regs->a[0]) &&
	    atomic_fetch_sub(&g->w->gates_left, 1) > 0) {
		for (i = 0; i < 5000; i++) {
			struct optee_drv_stats st;
			struct timespec ms = { 0, 1000000 };

			optee_drv_get_stats(g->w->l.drv, &st);
			if (st.ethread_limit)
				break;
			nanosleep(&ms, NULL);
		}
	}
	return rc;
}

static struct smc_conduit gate_cpu(void *ctx, size_t cpu, struct smc_conduit inner)
{
	struct world *w = ctx;

	w->gated[cpu] = (struct gated_cpu){ .inner = inner, .w = w };
	return (struct smc_conduit){ .call = gated_call, .ctx = &w->gated[cpu] };
}

/* Set before world_up: CALL_WITH_ARG with RPC_ALLOC'd RPC args instead of RPC_ARG. */
static bool no_rpc_arg;

/* gates: how many RPC returns to hold (0: plain in-process CPUs). */
static void world_up(struct world *w, uint32_t num_threads, size_t n_cpus, uint64_t ram_mib,
		     int gates)
{
	struct inproc_lone_cfg cfg;

	memset(w, 0, sizeof(*w));
	atomic_store(&w->gates_left, gates);
	inproc_lone_cfg_default(&cfg, STRATEGY_DYNAMIC);
	cfg.sw.num_threads = num_threads;
	cfg.guest_ram_bytes = ram_mib << 20;
	cfg.n_cpus = n_cpus;
	cfg.no_rpc_arg = no_rpc_arg;
	cfg.wrap_cpu = gates ? gate_cpu : NULL;
	cfg.wrap_ctx = w;
	inproc_lone_up(&w->l, &cfg);
}

static void world_down(struct world *w)
{
	struct optee_drv_stats st;
	struct guest_mem_stats gs;
	struct sw_client_info ci;

	inproc_lone_client_down(&w->l);
	assert_int_equal(optee_drv_check(w->l.drv), 0);
	optee_drv_get_stats(w->l.drv, &st);
	assert_int_equal(st.shm_live, 0);
	assert_int_equal(st.shm_registered, 0);
	assert_int_equal(st.rpc_shm_live, 0);
	assert_int_equal(st.pages_held, 0);
	assert_int_equal(st.calls_in_flight, 0);
	assert_int_equal(st.transport_failures, 0);
	assert_int_equal(st.bad_returns, 0);
	assert_int_equal(sw_client_info(w->l.sw, 0, &ci), 0);
	assert_int_equal(ci.sessions, 0);
	assert_int_equal(ci.shm_registered, 0);
	assert_int_equal(ci.threads_running + ci.threads_suspended, 0);
	assert_int_equal(sw_check(w->l.sw), 0);
	inproc_lone_drv_down(&w->l);
	guest_mem_get_stats(&w->l.gm, &gs);
	assert_int_equal(gs.pages_in_use, 0);
	assert_int_equal(guest_mem_check(&w->l.gm), 0);
	inproc_lone_down(&w->l);
}

/* TEMP input/output/inout memrefs and values carry data both ways through the echo TA. */
static void test_echo_temp_memrefs(void **state)
{
	struct world w;
	TEEC_Context ctx;
	TEEC_Session s;
	TEEC_Operation op;
	uint32_t origin;
	size_t n = 3 * 4096 + 77;
	uint8_t *in = malloc(n), *out = malloc(n + 50), *io = malloc(9000);

	(void)state;
	world_up(&w, 4, 1, 16, 0);
	{
		/* Probe learned what the secure world offers. */
		const struct optee_drv_info *info = optee_drv_get_info(w.l.drv);
		const struct dram_region *co = dram_region_find(w.l.dram->layout, DRAM_CARVEOUT, 0);

		assert_true(info->sec_caps & OPTEE_SMC_SEC_CAP_DYNAMIC_SHM);
		assert_true(info->sec_caps & OPTEE_SMC_SEC_CAP_RPC_ARG);
		assert_int_equal(info->rpc_param_count, SW_RPC_NUM_PARAMS);
		assert_int_equal(info->thread_count, 4);
		assert_true(info->have_carveout);
		assert_int_equal(pa_addr(info->carveout_base), pa_addr(co->base));
		assert_int_equal(info->carveout_bytes, co->size_bytes);
	}
	assert_int_equal(TEEC_InitializeContext(NULL, &ctx), TEEC_SUCCESS);
	inproc_open_session(&ctx, &s, &echo_uuid);

	inproc_fill(in, n, 1);
	inproc_transform_temp(&s, in, out, n);

	/* TEMP inout: every byte + 1, in place. */
	inproc_inc_inplace_temp(&s, io, 9000, 7);

	/* Values only. */
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = 0x10000;
	op.params[0].value.b = 39;
	assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_VALUE, &op, &origin), TEEC_SUCCESS);
	assert_int_equal(op.params[0].value.a, 0x20000);
	assert_int_equal(op.params[0].value.b, 42);

	/* A NULL temp memref of size 0 is allowed (MEMREF_NULL) and reaches the TA. */
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_VALUE_INOUT, TEEC_NONE);
	op.params[1].tmpref.buffer = out;
	op.params[1].tmpref.size = 10;
	assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_TRANSFORM, &op, &origin), TEEC_SUCCESS);
	assert_int_equal(op.params[1].tmpref.size, 0);
	assert_int_equal(op.params[2].value.a, 1);

	/* Wrong parameter types: the TA refuses. */
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_TRANSFORM, &op, &origin),
			 TEEC_ERROR_BAD_PARAMETERS);
	assert_int_equal(origin, TEEC_ORIGIN_TRUSTED_APP);
	/* Invoke without an operation, and an unknown command. */
	assert_int_equal(TEEC_InvokeCommand(&s, 99, NULL, &origin), TEEC_ERROR_NOT_SUPPORTED);
	/* Cancellation is best effort: it reaches the secure world and breaks nothing. */
	TEEC_RequestCancellation(&op);
	{
		struct sw_stats ss;

		assert_int_equal(sw_client_stats(w.l.sw, 0, &ss), 0);
		assert_int_equal(ss.cancels, 1);
	}
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_VALUE, &op, &origin), TEEC_SUCCESS);

	TEEC_CloseSession(&s);
	TEEC_FinalizeContext(&ctx);
	free(in);
	free(out);
	free(io);
	world_down(&w);
}

/* An output too small gets SHORT_BUFFER and the needed size, and no bytes are copied. */
static void test_echo_short_buffer(void **state)
{
	struct world w;
	TEEC_Context ctx;
	TEEC_Session s;
	TEEC_Operation op;
	uint8_t in[5000], out[4000];
	uint32_t origin;
	size_t i;

	(void)state;
	world_up(&w, 4, 1, 16, 0);
	assert_int_equal(TEEC_InitializeContext(NULL, &ctx), TEEC_SUCCESS);
	inproc_open_session(&ctx, &s, &echo_uuid);
	inproc_fill(in, sizeof(in), 3);
	memset(out, 0x3c, sizeof(out));
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_VALUE_INOUT, TEEC_NONE);
	op.params[0].tmpref.buffer = in;
	op.params[0].tmpref.size = sizeof(in);
	op.params[1].tmpref.buffer = out;
	op.params[1].tmpref.size = sizeof(out);
	assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_TRANSFORM, &op, &origin),
			 TEEC_ERROR_SHORT_BUFFER);
	assert_int_equal(origin, TEEC_ORIGIN_TRUSTED_APP);
	assert_int_equal(op.params[1].tmpref.size, sizeof(in));
	for (i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0x3c);
	TEEC_CloseSession(&s);
	TEEC_FinalizeContext(&ctx);
	world_down(&w);
}

/* Allocated, in-RAM registered and shadowed registered blocks, as WHOLE and PARTIAL memrefs. */
static void test_echo_registered_memrefs(void **state)
{
	struct world w;
	TEEC_Context ctx;
	TEEC_Session s;
	TEEC_Operation op;
	TEEC_SharedMemory a_in = { .size = 20000, .flags = TEEC_MEM_INPUT };
	TEEC_SharedMemory a_out = { .size = 20000, .flags = TEEC_MEM_OUTPUT };
	TEEC_SharedMemory a_io = { .size = 6000, .flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT };
	TEEC_SharedMemory h_in, h_out, h_io, r_io;
	uint8_t *heap_in = malloc(30000), *heap_out = calloc(1, 30000), *heap_io = malloc(7000);
	uint8_t *ram;
	paddr_t ram_ipa;
	struct optee_drv_stats st;
	uint32_t origin;
	size_t i;

	(void)state;
	world_up(&w, 4, 1, 16, 0);
	assert_int_equal(TEEC_InitializeContext(NULL, &ctx), TEEC_SUCCESS);
	inproc_open_session(&ctx, &s, &echo_uuid);

	/* Allocated blocks: WHOLE in -> PARTIAL out, and WHOLE out. */
	assert_int_equal(TEEC_AllocateSharedMemory(&ctx, &a_in), TEEC_SUCCESS);
	assert_int_equal(TEEC_AllocateSharedMemory(&ctx, &a_out), TEEC_SUCCESS);
	assert_int_equal(TEEC_AllocateSharedMemory(&ctx, &a_io), TEEC_SUCCESS);
	assert_true(guest_mem_contains(&w.l.gm, a_in.buffer, a_in.size));
	inproc_fill(a_in.buffer, a_in.size, 11);
	inproc_transform_memref(&s, TEEC_MEMREF_WHOLE, &a_in, 0, 20000, TEEC_MEMREF_PARTIAL_OUTPUT,
			 &a_out, 0, 20000);
	inproc_transform_memref(&s, TEEC_MEMREF_PARTIAL_INPUT, &a_in, 4000, 9000, TEEC_MEMREF_WHOLE,
			 &a_out, 0, 0);
	/* PARTIAL_INOUT through INC_INPLACE touches only its window. */
	inproc_fill(a_io.buffer, a_io.size, 5);
	memset(&op, 0, sizeof(op));
	op.paramTypes =
		TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = &a_io;
	op.params[0].memref.offset = 1000;
	op.params[0].memref.size = 4500;
	assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_INC_INPLACE, &op, &origin),
			 TEEC_SUCCESS);
	for (i = 0; i < a_io.size; i++) {
		uint8_t orig = (uint8_t)(i * 31 + 5 + (i >> 8));
		uint8_t want = i >= 1000 && i < 5500 ? (uint8_t)(orig + 1) : orig;

		assert_int_equal(((uint8_t *)a_io.buffer)[i], want);
	}
	/* WHOLE on an in/out block is INOUT. */
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_INC_INPLACE, &op, &origin),
			 TEEC_SUCCESS);
	assert_int_equal(((uint8_t *)a_io.buffer)[0], (uint8_t)(5 + 1));
	assert_int_equal(op.params[0].memref.size, a_io.size);

	/* Host heap (outside guest RAM): shadowed, copied in and out at each invoke. */
	h_in = (TEEC_SharedMemory){ .buffer = heap_in, .size = 30000, .flags = TEEC_MEM_INPUT };
	h_out = (TEEC_SharedMemory){ .buffer = heap_out, .size = 30000, .flags = TEEC_MEM_OUTPUT };
	h_io = (TEEC_SharedMemory){ .buffer = heap_io, .size = 7000,
				    .flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT };
	assert_int_equal(TEEC_RegisterSharedMemory(&ctx, &h_in), TEEC_SUCCESS);
	assert_int_equal(TEEC_RegisterSharedMemory(&ctx, &h_out), TEEC_SUCCESS);
	assert_int_equal(TEEC_RegisterSharedMemory(&ctx, &h_io), TEEC_SUCCESS);
	inproc_fill(heap_in, 30000, 21); /* after registering: the copy happens at invoke */
	inproc_transform_memref(&s, TEEC_MEMREF_PARTIAL_INPUT, &h_in, 123, 25000,
			 TEEC_MEMREF_PARTIAL_OUTPUT, &h_out, 4000, 26000);
	assert_int_equal(heap_out[3999], 0);
	inproc_transform_memref(&s, TEEC_MEMREF_WHOLE, &h_in, 0, 30000, TEEC_MEMREF_WHOLE, &h_out, 0, 0);
	inproc_fill(heap_io, 7000, 9);
	op.paramTypes =
		TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = &h_io;
	op.params[0].memref.offset = 10;
	op.params[0].memref.size = 6000;
	assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_INC_INPLACE, &op, &origin),
			 TEEC_SUCCESS);
	for (i = 0; i < 7000; i++) {
		uint8_t orig = (uint8_t)(i * 31 + 9 + (i >> 8));

		assert_int_equal(heap_io[i], i >= 10 && i < 6010 ? (uint8_t)(orig + 1) : orig);
	}

	/* A client buffer already in guest RAM is registered in place, unaligned. */
	assert_int_equal(guest_mem_alloc_contig(&w.l.gm, 3, &ram_ipa), 0);
	ram = guest_mem_ptr(&w.l.gm, ram_ipa, 3 * 4096);
	r_io = (TEEC_SharedMemory){ .buffer = ram + 333, .size = 8000,
				    .flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT };
	assert_int_equal(TEEC_RegisterSharedMemory(&ctx, &r_io), TEEC_SUCCESS);
	optee_drv_get_stats(w.l.drv, &st);
	inproc_fill(ram + 333, 8000, 13);
	inproc_transform_memref(&s, TEEC_MEMREF_PARTIAL_INPUT, &r_io, 0, 3000, TEEC_MEMREF_PARTIAL_OUTPUT,
			 &r_io, 4000, 4000);
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = &r_io;
	assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_INC_INPLACE, &op, &origin),
			 TEEC_SUCCESS);
	assert_int_equal(ram[333], (uint8_t)(13 + 1));
	assert_int_equal(ram[332], 0); /* the byte before the block is untouched */

	/* Flag and bounds checks are the API's (origin API), before anything is sent. */
	op.paramTypes =
		TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = &a_out;
	op.params[0].memref.offset = 0;
	op.params[0].memref.size = 1;
	origin = 0;
	assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_INC_INPLACE, &op, &origin),
			 TEEC_ERROR_BAD_PARAMETERS);
	assert_int_equal(origin, TEEC_ORIGIN_API);
	op.paramTypes =
		TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = &h_in;
	assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_INC_INPLACE, &op, &origin),
			 TEEC_ERROR_BAD_PARAMETERS);
	assert_int_equal(origin, TEEC_ORIGIN_API);
	op.paramTypes =
		TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = &a_io;
	op.params[0].memref.offset = 5999;
	op.params[0].memref.size = 2;
	assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_INC_INPLACE, &op, &origin),
			 TEEC_ERROR_BAD_PARAMETERS);
	assert_int_equal(origin, TEEC_ORIGIN_API);

	TEEC_ReleaseSharedMemory(&a_in);
	assert_null(a_in.buffer);
	TEEC_ReleaseSharedMemory(&a_out);
	TEEC_ReleaseSharedMemory(&a_io);
	TEEC_ReleaseSharedMemory(&h_in);
	TEEC_ReleaseSharedMemory(&h_out);
	TEEC_ReleaseSharedMemory(&h_io);
	TEEC_ReleaseSharedMemory(&r_io);
	assert_ptr_equal(r_io.buffer, ram + 333); /* registered memory stays the client's */
	assert_int_equal(guest_mem_free_contig(&w.l.gm, ram_ipa, 3), 0);
	TEEC_CloseSession(&s);
	TEEC_FinalizeContext(&ctx);
	free(heap_in);
	free(heap_out);
	free(heap_io);
	world_down(&w);
}

/* The storage TA's objects live in the supplicant, reached by RPC SHM_ALLOC, FS and SHM_FREE. */
static void test_storage_rpc(void **state)
{
	struct world w;
	TEEC_Context ctx;
	TEEC_Session s;
	struct optee_drv_stats st;
	size_t n = 70000, size;
	uint8_t *data = malloc(n), *back = malloc(n + 100);
	uint32_t origin;

	(void)state;
	world_up(&w, 4, 1, 16, 0);
	assert_int_equal(TEEC_InitializeContext(NULL, &ctx), TEEC_SUCCESS);
	inproc_open_session(&ctx, &s, &storage_uuid);
	inproc_fill(data, n, 17);
	size = n;
	assert_int_equal(inproc_storage_io(&s, TA_STORAGE_CMD_WRITE, 7, data, &size, &origin),
			 TEEC_SUCCESS);
	inproc_storage_check(&s, 7, data, n, back);
	/* Overwrite with an empty object (a NULL memref on the FS RPC). */
	size = 0;
	assert_int_equal(inproc_storage_io(&s, TA_STORAGE_CMD_WRITE, 7, data, &size, &origin),
			 TEEC_SUCCESS);
	size = 50;
	assert_int_equal(inproc_storage_io(&s, TA_STORAGE_CMD_READ, 7, back, &size, &origin),
			 TEEC_SUCCESS);
	assert_int_equal(size, 0);
	optee_drv_get_stats(w.l.drv, &st);
	assert_true(st.rpc_cmd_shm_alloc >= 4);
	assert_int_equal(st.rpc_cmd_shm_alloc, st.rpc_cmd_shm_free);
	assert_int_equal(st.rpc_cmd_fs, 6);
	assert_int_equal(st.rpc_cmd_unsupported, 0);
	assert_int_equal(st.supp_objects, 1);
	/* Each RPC arg came inline, or from RPC_ALLOC and went back by RPC_FREE. */
	assert_int_equal(st.rpc_alloc, no_rpc_arg ? st.rpc_free : 0);
	if (no_rpc_arg)
		assert_true(st.rpc_alloc > 0);
	TEEC_CloseSession(&s);
	TEEC_FinalizeContext(&ctx);
	free(data);
	free(back);
	world_down(&w);
}

/* The same without RPC_ARG: CALL_WITH_ARG, RPC args by RPC_ALLOC / RPC_FREE. */
static void test_storage_rpc_alloc_arg(void **state)
{
	no_rpc_arg = true;
	test_storage_rpc(state);
	no_rpc_arg = false;
}

/* Opening the bigload TA loads its 1.5 MiB image by RPC into scattered guest pages. */
static void test_bigload_open(void **state)
{
	struct world w;
	TEEC_Context ctx;
	TEEC_Session s;
	TEEC_Operation op;
	struct optee_drv_stats st;
	struct guest_mem_stats gs;
	uint32_t origin;
	paddr_t frag[600];
	size_t i;

	(void)state;
	world_up(&w, 4, 1, 16, 0);
	/* Fragment guest RAM so the image buffer cannot be one run. */
	for (i = 0; i < 600; i++)
		assert_int_equal(guest_mem_alloc_contig(&w.l.gm, 1, &frag[i]), 0);
	for (i = 0; i < 600; i += 2)
		assert_int_equal(guest_mem_free_pages(&w.l.gm, &frag[i], 1), 0);
	assert_int_equal(TEEC_InitializeContext(NULL, &ctx), TEEC_SUCCESS);
	inproc_open_session(&ctx, &s, &bigload_uuid);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	assert_int_equal(TEEC_InvokeCommand(&s, TA_BIGLOAD_CMD_SIZE, &op, &origin), TEEC_SUCCESS);
	assert_int_equal(op.params[0].value.a, TEESHM_BIGLOAD_IMAGE_BYTES);
	optee_drv_get_stats(w.l.drv, &st);
	assert_int_equal(st.rpc_cmd_load_ta, 2);
	assert_int_equal(st.rpc_cmd_shm_alloc, 1);
	assert_int_equal(st.rpc_cmd_shm_free, 1);
	guest_mem_get_stats(&w.l.gm, &gs);
	assert_true(gs.pages_in_use_peak >= 300 + TEESHM_BIGLOAD_IMAGE_BYTES / 4096);
	/* An unknown TA: the open fails in the TEE, and no session is left behind. */
	{
		TEEC_UUID nobody = { 0x12345678, 1, 2, { 3 } };
		TEEC_Session s2;

		assert_int_equal(TEEC_OpenSession(&ctx, &s2, &nobody, TEEC_LOGIN_PUBLIC, NULL,
						  NULL, &origin),
				 TEEC_ERROR_ITEM_NOT_FOUND);
		assert_int_equal(origin, TEEC_ORIGIN_TEE);
		assert_null(s2.imp);
	}
	TEEC_CloseSession(&s);
	TEEC_FinalizeContext(&ctx);
	for (i = 1; i < 600; i += 2)
		assert_int_equal(guest_mem_free_pages(&w.l.gm, &frag[i], 1), 0);
	world_down(&w);
}

#define N_CLIENTS 4
#define ROUNDS 12

struct client_arg {
	TEEC_Context *ctx;
	pthread_barrier_t *start;
	unsigned id;
	unsigned failures;
};

static void *client_thread(void *p)
{
	struct client_arg *a = p;
	TEEC_Session st, ec;
	TEEC_Operation op;
	uint8_t data[6000], back[6000], out[6000];
	uint32_t origin;
	unsigned r;
	size_t size, i;

	pthread_barrier_wait(a->start);
	if (TEEC_OpenSession(a->ctx, &st, &storage_uuid, TEEC_LOGIN_PUBLIC, NULL, NULL, &origin) ||
	    TEEC_OpenSession(a->ctx, &ec, &echo_uuid, TEEC_LOGIN_PUBLIC, NULL, NULL, &origin)) {
		a->failures++;
		return NULL;
	}
	for (r = 0; r < ROUNDS; r++) {
		size_t n = 1000 + (a->id * 997 + r * 311) % 5000;

		for (i = 0; i < n; i++)
			data[i] = (uint8_t)(i + r * 7 + a->id * 13);
		size = n;
		if (inproc_storage_io(&st, TA_STORAGE_CMD_WRITE, a->id * 100 + r, data, &size, &origin))
			a->failures++;
		size = sizeof(back);
		if (inproc_storage_io(&st, TA_STORAGE_CMD_READ, a->id * 100 + r, back, &size, &origin) ||
		    size != n || memcmp(back, data, n))
			a->failures++;
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
						 TEEC_VALUE_INOUT, TEEC_NONE);
		op.params[0].tmpref.buffer = data;
		op.params[0].tmpref.size = n;
		op.params[1].tmpref.buffer = out;
		op.params[1].tmpref.size = sizeof(out);
		if (TEEC_InvokeCommand(&ec, TA_ECHO_CMD_TRANSFORM, &op, &origin) ||
		    op.params[1].tmpref.size != n)
			a->failures++;
		for (i = 0; i < n; i++)
			if (out[i] != (data[i] ^ 0xA5)) {
				a->failures++;
				break;
			}
	}
	TEEC_CloseSession(&st);
	TEEC_CloseSession(&ec);
	return NULL;
}

/* Several clients at once on 2 secure threads: ETHREAD_LIMIT is hit and every call still succeeds.
 */
static void test_threads_ethread_limit(void **state)
{
	struct world w;
	TEEC_Context ctx;
	pthread_t t[N_CLIENTS];
	struct client_arg a[N_CLIENTS];
	struct optee_drv_stats st;
	pthread_barrier_t start;
	unsigned i;

	(void)state;
	/* 2 secure threads, both held suspended in an RPC once: the others must wait. */
	world_up(&w, 2, N_CLIENTS, 32, 2);
	assert_int_equal(TEEC_InitializeContext(NULL, &ctx), TEEC_SUCCESS);
	pthread_barrier_init(&start, NULL, N_CLIENTS);
	for (i = 0; i < N_CLIENTS; i++) {
		a[i] = (struct client_arg){ .ctx = &ctx, .start = &start, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, client_thread, &a[i]), 0);
	}
	for (i = 0; i < N_CLIENTS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(a[i].failures, 0);
	}
	pthread_barrier_destroy(&start);
	optee_drv_get_stats(w.l.drv, &st);
	fprintf(stderr, "  %llu calls, %llu ETHREAD_LIMIT returns, %llu RPCs\n",
		(unsigned long long)st.calls, (unsigned long long)st.ethread_limit,
		(unsigned long long)st.rpc);
	assert_true(st.ethread_limit > 0);
	assert_int_equal(st.ethread_giveups, 0);
	assert_int_equal(st.supp_objects, N_CLIENTS * ROUNDS);
	TEEC_FinalizeContext(&ctx);
	world_down(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_temp_memrefs),
		cmocka_unit_test(test_echo_short_buffer),
		cmocka_unit_test(test_echo_registered_memrefs),
		cmocka_unit_test(test_storage_rpc),
		cmocka_unit_test(test_storage_rpc_alloc_arg),
		cmocka_unit_test(test_bigload_open),
		cmocka_unit_test(test_threads_ethread_limit),
	};

	return cmocka_run_group_tests_name("teec_inproc", tests, NULL, NULL);
}
