/*
 * The "carveout" strategy end to end, in one process, without a hypervisor:
 * TEEC_* -> OP-TEE driver (carveout half) -> in-process SMC conduit ->
 * sw_smc (carveout half) -> simulated TAs.  The guest maps its RAM and the
 * 1 MiB static carveout; every buffer the two worlds share lies in it.
 *
 * Every world ends with the books closed and with the strategy's promise
 * kept: no core_mm mapping made after boot (the carveout's static mapping
 * is all), no REGISTER_SHM SMC, every call's arg in the carveout, and the
 * carveout allocator empty and consistent.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/dram.h"
#include "sim/common/optee_msg.h"
#include "sim/common/optee_smc.h"
#include "sim/common/smc_channel.h"
#include "sim/common/ta_ids.h"
#include "sim/common/ts_err.h"
#include "sim/normal/guest_mem.h"
#include "sim/normal/include/tee_client_api.h"
#include "sim/normal/optee_drv.h"
#include "sim/normal/optee_drv_internal.h"
#include "sim/normal/teec_sim.h"
#include "sim/secure/mm/core_mm.h"
#include "sim/secure/secure_world.h"
#include "strategies/carveout/nw.h"
#include "tests/integration/inproc_world.h"

#define N_CPUS 2
#define CARVEOUT_PAGES 256u /* the default 1 MiB */

static const TEEC_UUID echo_uuid = TA_ECHO_UUID;
static const TEEC_UUID storage_uuid = TA_STORAGE_UUID;

/* A CPU that looks at each yielding call's arg before the secure world does. */
struct spy_cpu {
	struct smc_conduit inner;
	struct world *w;
};

struct world {
	struct inproc_lone l;
	struct spy_cpu spy[N_CPUS];
	uint64_t boot_maps;               /* core_mm maps once booted */
	_Atomic uint64_t calls_seen;      /* yielding calls (not resumes) */
	_Atomic uint64_t args_outside;    /* ... whose arg was not in the carveout */
	_Atomic uint64_t register_smcs;   /* ... carrying REGISTER_SHM */
};

static int spy_call(void *ctx, struct smc_regs *regs)
{
	struct spy_cpu *c = ctx;
	struct world *w = c->w;
	uint32_t fid = (uint32_t)regs->a[0];

	if (fid == OPTEE_SMC_CALL_WITH_ARG || fid == OPTEE_SMC_CALL_WITH_RPC_ARG) {
		uint64_t pa = optee_smc_reg_pair_to_u64((uint32_t)regs->a[1], (uint32_t)regs->a[2]);
		uint64_t base = pa_addr(w->l.carveout->base);

		atomic_fetch_add(&w->calls_seen, 1);
		if (pa < base ||
		    pa + sizeof(struct optee_msg_arg) > base + w->l.carveout->size_bytes) {
			atomic_fetch_add(&w->args_outside, 1);
		} else {
			struct optee_msg_arg hdr;

			memcpy(&hdr, w->l.carveout_host + (pa - base), sizeof(hdr));
			if (hdr.cmd == OPTEE_MSG_CMD_REGISTER_SHM)
				atomic_fetch_add(&w->register_smcs, 1);
		}
	}
	return smc_conduit_call(&c->inner, regs);
}

static struct smc_conduit spy_on_cpu(void *ctx, size_t cpu, struct smc_conduit inner)
{
	struct world *w = ctx;

	w->spy[cpu] = (struct spy_cpu){ .inner = inner, .w = w };
	return (struct smc_conduit){ .call = spy_call, .ctx = &w->spy[cpu] };
}

/* The guest maps its own RAM and the carveout, nothing else; its CPUs are spied on. */
static void world_up(struct world *w, bool no_rpc_arg)
{
	struct inproc_lone_cfg cfg;

	memset(w, 0, sizeof(*w));
	inproc_lone_cfg_default(&cfg, STRATEGY_CARVEOUT);
	cfg.sw.num_threads = 4;
	cfg.n_cpus = N_CPUS;
	cfg.no_rpc_arg = no_rpc_arg;
	cfg.map_carveout = true;
	cfg.wrap_cpu = spy_on_cpu;
	cfg.wrap_ctx = w;
	inproc_lone_up(&w->l, &cfg);
	assert_int_equal(w->l.carveout->size_bytes, CARVEOUT_PAGES * 4096u);
	w->boot_maps = sw_mm(w->l.sw)->stats.maps;
}

static void world_down(struct world *w)
{
	struct optee_drv_stats st;
	struct nw_carveout_stats cs;
	struct guest_mem_stats gs;
	struct sw_client_info ci;
	struct sw_stats ss;

	inproc_lone_client_down(&w->l);
	assert_int_equal(optee_drv_check(w->l.drv), 0);
	assert_int_equal(nw_carveout_check(w->l.drv), 0);
	optee_drv_get_stats(w->l.drv, &st);
	assert_int_equal(st.shm_live, 0);
	assert_int_equal(st.shm_registered, 0);
	assert_int_equal(st.rpc_shm_live, 0);
	assert_int_equal(st.pages_held, 0);
	assert_int_equal(st.calls_in_flight, 0);
	assert_int_equal(st.transport_failures, 0);
	assert_int_equal(st.bad_returns, 0);
	assert_int_equal(st.registrations, 0);
	assert_int_equal(st.unregistrations, 0);
	assert_int_equal(nw_carveout_stats(w->l.drv, &cs), 0);
	assert_int_equal(cs.pages_in_use, 0);
	assert_int_equal(cs.blocks_in_use, 0);
	assert_int_equal(cs.allocs, cs.frees);
	/* Every call's arg sat in the carveout; nothing was ever registered. */
	assert_true(atomic_load(&w->calls_seen) > 0);
	assert_int_equal(atomic_load(&w->args_outside), 0);
	assert_int_equal(atomic_load(&w->register_smcs), 0);
	assert_int_equal(sw_client_info(w->l.sw, 0, &ci), 0);
	assert_int_equal(ci.sessions, 0);
	assert_int_equal(ci.shm_registered, 0);
	assert_int_equal(ci.mappings, 0);
	assert_int_equal(ci.threads_running + ci.threads_suspended, 0);
	assert_int_equal(sw_client_stats(w->l.sw, 0, &ss), 0);
	assert_int_equal(ss.registers, 0);
	assert_int_equal(ss.memrefs_mapped, 0);
	assert_int_equal(ss.pages_mapped, 0);
	assert_int_equal(ss.maps_on_use, 0);
	assert_int_equal(ss.pagelist_pages_read, 0); /* a forced REGISTER_SHM is refused unread */
	assert_int_equal(sw_check(w->l.sw), 0);
	/* The static mapping made at boot is the only one there ever was. */
	assert_int_equal(sw_mm(w->l.sw)->stats.maps, w->boot_maps);
	assert_int_equal(sw_mm(w->l.sw)->stats.unmaps, 0);
	inproc_lone_drv_down(&w->l);
	guest_mem_get_stats(&w->l.gm, &gs);
	assert_int_equal(gs.pages_in_use, 0);
	assert_int_equal(guest_mem_check(&w->l.gm), 0);
	inproc_lone_down(&w->l);
}

static void books_ok(struct world *w)
{
	assert_int_equal(optee_drv_check(w->l.drv), 0);
	assert_int_equal(nw_carveout_check(w->l.drv), 0);
	assert_int_equal(sw_check(w->l.sw), 0);
}

static bool in_carveout(const struct world *w, const void *p, size_t n)
{
	const uint8_t *b = p;

	return b >= w->l.carveout_host && n <= w->l.carveout->size_bytes &&
	       (size_t)(b - w->l.carveout_host) <= w->l.carveout->size_bytes - n;
}

/*
 * TEMP input/output/inout memrefs carry data both ways through carveout
 * bounce blocks, and the driver counts exactly the bytes it copied; the probe
 * saw a reserved-shm-only secure world.
 */
static void test_echo_temp(void **state)
{
	struct world w;
	TEEC_Context ctx;
	TEEC_Session s;
	TEEC_Operation op;
	struct optee_drv_stats st;
	struct nw_carveout_stats cs;
	uint32_t origin;
	size_t n = 3 * 4096 + 77, i;
	uint8_t *in = malloc(n), *out = malloc(n + 50), *io = malloc(9000);

	(void)state;
	world_up(&w, false);
	{
		const struct optee_drv_info *info = optee_drv_get_info(w.l.drv);

		assert_int_equal(info->strategy, STRATEGY_CARVEOUT);
		assert_false(info->sec_caps & OPTEE_SMC_SEC_CAP_DYNAMIC_SHM);
		assert_true(info->sec_caps & OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM);
		assert_true(info->have_carveout);
		assert_int_equal(pa_addr(info->carveout_base), pa_addr(w.l.carveout->base));
	}
	assert_int_equal(TEEC_InitializeContext(NULL, &ctx), TEEC_SUCCESS);
	inproc_open_session(&ctx, &s, &echo_uuid);

	inproc_fill(in, n, 1);
	inproc_transform_temp(&s, in, out, n);
	optee_drv_get_stats(w.l.drv, &st);
	assert_int_equal(st.temp_bounces, 2);
	assert_int_equal(st.temp_bytes_in, n);  /* the OUTPUT memref is not copied in */
	assert_int_equal(st.temp_bytes_out, n); /* only the bytes the TA wrote */
	books_ok(&w);

	/* TEMP inout: every byte + 1, in place. */
	inproc_inc_inplace_temp(&s, io, 9000, 7);
	optee_drv_get_stats(w.l.drv, &st);
	assert_int_equal(st.temp_bytes_in, n + 9000);
	assert_int_equal(st.temp_bytes_out, n + 9000);
	assert_int_equal(st.bytes_copied, 2 * (n + 9000));

	/* A NULL temp memref still travels (MEMREF_NULL), no carveout block for it. */
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_VALUE_INOUT, TEEC_NONE);
	op.params[1].tmpref.buffer = out;
	op.params[1].tmpref.size = 10;
	assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_TRANSFORM, &op, &origin), TEEC_SUCCESS);
	assert_int_equal(op.params[1].tmpref.size, 0);
	assert_int_equal(op.params[2].value.a, 1);

	/* SHORT_BUFFER: the needed size comes back and nothing is copied. */
	memset(out, 0x3c, 100);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_VALUE_INOUT, TEEC_NONE);
	op.params[0].tmpref.buffer = in;
	op.params[0].tmpref.size = 200;
	op.params[1].tmpref.buffer = out;
	op.params[1].tmpref.size = 100;
	assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_TRANSFORM, &op, &origin),
			 TEEC_ERROR_SHORT_BUFFER);
	assert_int_equal(op.params[1].tmpref.size, 200);
	for (i = 0; i < 100; i++)
		assert_int_equal(out[i], 0x3c);

	/* Each message's arg took one page and gave it back: the pool peaked at a few pages. */
	assert_int_equal(nw_carveout_stats(w.l.drv, &cs), 0);
	assert_int_equal(cs.pool_pages, CARVEOUT_PAGES);
	assert_int_equal(cs.pages_in_use, 0);
	assert_true(cs.peak_pages_in_use >= 1 + 4 + 4); /* arg + 4-page in + 4-page out */
	assert_true(cs.peak_pages_in_use <= 16);
	assert_int_equal(cs.alloc_failures, 0);

	TEEC_CloseSession(&s);
	TEEC_FinalizeContext(&ctx);
	free(in);
	free(out);
	free(io);
	world_down(&w);
}

/*
 * Allocated blocks live in the carveout itself (zero copy, PARTIAL windows
 * reach exactly their bytes); registered client memory, in guest RAM or on the
 * heap, becomes a carveout shadow copied at each invoke, and those copies are
 * counted.
 */
static void test_registered_partial(void **state)
{
	struct world w;
	TEEC_Context ctx;
	TEEC_Session s;
	TEEC_Operation op;
	TEEC_SharedMemory a_in = { .size = 20000, .flags = TEEC_MEM_INPUT };
	TEEC_SharedMemory a_out = { .size = 20000, .flags = TEEC_MEM_OUTPUT };
	TEEC_SharedMemory a_io = { .size = 6000, .flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT };
	TEEC_SharedMemory h_in, r_io;
	uint8_t *heap_in = malloc(30000), *ram, before[6000];
	struct optee_drv_stats st, st0;
	struct nw_carveout_stats cs;
	paddr_t ram_ipa;
	uint32_t origin;
	size_t i;

	(void)state;
	world_up(&w, false);
	assert_int_equal(TEEC_InitializeContext(NULL, &ctx), TEEC_SUCCESS);
	inproc_open_session(&ctx, &s, &echo_uuid);

	assert_int_equal(TEEC_AllocateSharedMemory(&ctx, &a_in), TEEC_SUCCESS);
	assert_int_equal(TEEC_AllocateSharedMemory(&ctx, &a_out), TEEC_SUCCESS);
	assert_int_equal(TEEC_AllocateSharedMemory(&ctx, &a_io), TEEC_SUCCESS);
	/* The client's pointer is carveout memory; no guest page is held for it. */
	assert_true(in_carveout(&w, a_in.buffer, a_in.size));
	assert_true(in_carveout(&w, a_out.buffer, a_out.size));
	assert_false(guest_mem_contains(&w.l.gm, a_in.buffer, 1));
	assert_int_equal(nw_carveout_stats(w.l.drv, &cs), 0);
	assert_int_equal(cs.pages_in_use, 5 + 5 + 2);
	assert_int_equal(cs.blocks_in_use, 3);
	books_ok(&w);
	optee_drv_get_stats(w.l.drv, &st0);
	assert_int_equal(st0.pages_held, 0);

	inproc_fill(a_in.buffer, a_in.size, 11);
	inproc_transform_memref(&s, TEEC_MEMREF_WHOLE, &a_in, 0, 20000, TEEC_MEMREF_PARTIAL_OUTPUT,
			 &a_out, 0, 20000);
	inproc_transform_memref(&s, TEEC_MEMREF_PARTIAL_INPUT, &a_in, 4000, 9000,
			 TEEC_MEMREF_PARTIAL_OUTPUT, &a_out, 7001, 12000);
	/* PARTIAL_INOUT touches only its window. */
	inproc_fill(a_io.buffer, a_io.size, 5);
	memcpy(before, a_io.buffer, sizeof(before));
	memset(&op, 0, sizeof(op));
	op.paramTypes =
		TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = &a_io;
	op.params[0].memref.offset = 1000;
	op.params[0].memref.size = 3000;
	assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_INC_INPLACE, &op, &origin),
			 TEEC_SUCCESS);
	for (i = 0; i < 6000; i++)
		assert_int_equal(((uint8_t *)a_io.buffer)[i],
				 (uint8_t)(before[i] + (i >= 1000 && i < 4000)));
	/* Allocated blocks are the shared memory itself: nothing was copied. */
	optee_drv_get_stats(w.l.drv, &st);
	assert_int_equal(st.bytes_copied, 0);
	books_ok(&w);

	/* Heap memory: a carveout shadow, copied in at invoke. */
	inproc_fill(heap_in, 30000, 3);
	h_in = (TEEC_SharedMemory){ .buffer = heap_in, .size = 30000, .flags = TEEC_MEM_INPUT };
	assert_int_equal(TEEC_RegisterSharedMemory(&ctx, &h_in), TEEC_SUCCESS);
	memset(a_out.buffer, 0, a_out.size);
	inproc_transform_memref(&s, TEEC_MEMREF_PARTIAL_INPUT, &h_in, 123, 15000, TEEC_MEMREF_WHOLE,
			 &a_out, 0, 20000);
	optee_drv_get_stats(w.l.drv, &st);
	assert_int_equal(st.shadow_bytes_in, 15000);
	assert_int_equal(st.shadow_bytes_out, 0);

	/* Guest RAM: also a shadow now (the secure world reaches only the carveout). */
	assert_int_equal(guest_mem_alloc_contig(&w.l.gm, 2, &ram_ipa), 0);
	ram = guest_mem_ptr(&w.l.gm, ram_ipa, 2 * 4096);
	inproc_fill(ram, 8192, 9);
	r_io = (TEEC_SharedMemory){ .buffer = ram + 333, .size = 5000,
				    .flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT };
	assert_int_equal(TEEC_RegisterSharedMemory(&ctx, &r_io), TEEC_SUCCESS);
	assert_ptr_equal(r_io.buffer, ram + 333); /* the client's pointer is untouched */
	memcpy(before, ram + 333, 5000);
	memset(&op, 0, sizeof(op));
	op.paramTypes =
		TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = &r_io;
	op.params[0].memref.offset = 100;
	op.params[0].memref.size = 2000;
	assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_INC_INPLACE, &op, &origin),
			 TEEC_SUCCESS);
	for (i = 0; i < 5000; i++)
		assert_int_equal(ram[333 + i], (uint8_t)(before[i] + (i >= 100 && i < 2100)));
	optee_drv_get_stats(w.l.drv, &st);
	assert_int_equal(st.shadow_bytes_in, 15000 + 2000);
	assert_int_equal(st.shadow_bytes_out, 2000);
	assert_int_equal(st.bytes_copied, 15000 + 2000 + 2000);
	assert_int_equal(st.client_registrations, 5);
	assert_int_equal(st.registrations, 0); /* no REGISTER_SHM for any of them */
	books_ok(&w);

	TEEC_ReleaseSharedMemory(&a_in);
	assert_null(a_in.buffer);
	TEEC_ReleaseSharedMemory(&a_out);
	TEEC_ReleaseSharedMemory(&a_io);
	TEEC_ReleaseSharedMemory(&h_in);
	TEEC_ReleaseSharedMemory(&r_io);
	assert_ptr_equal(r_io.buffer, ram + 333);
	assert_int_equal(guest_mem_free_contig(&w.l.gm, ram_ipa, 2), 0);
	assert_int_equal(nw_carveout_stats(w.l.drv, &cs), 0);
	assert_int_equal(cs.pages_in_use, 0);
	TEEC_CloseSession(&s);
	TEEC_FinalizeContext(&ctx);
	free(heap_in);
	world_down(&w);
}

/*
 * The storage TA's RPC buffers (SHM_ALLOC) and, without RPC_ARG, its RPC
 * args (RPC_ALLOC) come from the carveout: the data round-trips through the
 * supplicant intact and the secure world maps nothing for them.
 */
static void storage_rpc(bool no_rpc_arg)
{
	struct world w;
	TEEC_Context ctx;
	TEEC_Session s;
	struct optee_drv_stats st;
	size_t n = 70000, size;
	uint8_t *data = malloc(n), *back = malloc(n + 100);
	uint32_t origin;

	world_up(&w, no_rpc_arg);
	assert_int_equal(TEEC_InitializeContext(NULL, &ctx), TEEC_SUCCESS);
	inproc_open_session(&ctx, &s, &storage_uuid);
	inproc_fill(data, n, 17);
	size = n;
	assert_int_equal(inproc_storage_io(&s, TA_STORAGE_CMD_WRITE, 7, data, &size, &origin),
			 TEEC_SUCCESS);
	books_ok(&w);
	inproc_storage_check(&s, 7, data, n, back);
	optee_drv_get_stats(w.l.drv, &st);
	assert_true(st.rpc_cmd_shm_alloc >= 3);
	assert_int_equal(st.rpc_cmd_shm_alloc, st.rpc_cmd_shm_free);
	assert_int_equal(st.rpc_cmd_fs, 4);
	assert_int_equal(st.rpc_cmd_failed, 2); /* the FS answers SHORT_BUFFER, ITEM_NOT_FOUND */
	assert_int_equal(st.rpc_cmd_unsupported, 0);
	assert_int_equal(st.rpc_buffers, st.rpc_cmd_shm_alloc + st.rpc_alloc);
	assert_true(st.rpc_buffer_bytes >= 2 * n);
	assert_int_equal(st.rpc_alloc, no_rpc_arg ? st.rpc_free : 0);
	if (no_rpc_arg)
		assert_true(st.rpc_alloc > 0);
	assert_int_equal(st.rpc_shm_live, 0);
	TEEC_CloseSession(&s);
	TEEC_FinalizeContext(&ctx);
	free(data);
	free(back);
	world_down(&w);
}

static void test_storage_rpc(void **state)
{
	(void)state;
	storage_rpc(false);
}

/* The same without RPC_ARG: CALL_WITH_ARG, RPC args by RPC_ALLOC from the carveout. */
static void test_storage_rpc_alloc_arg(void **state)
{
	(void)state;
	storage_rpc(true);
}

/*
 * optee_os #2285: clients holding carveout blocks exhaust the 1 MiB; the next
 * allocation, and even the next call (no room for its arg), get
 * TEEC_ERROR_OUT_OF_MEMORY; releasing one block makes both work again.
 */
static void test_exhaustion(void **state)
{
	enum { MAX_CLIENTS = 24, BLOCK = 64 * 1024 };
	struct world w;
	TEEC_Context ctx[MAX_CLIENTS], probe;
	TEEC_SharedMemory blk[MAX_CLIENTS], one = { .size = 1, .flags = TEEC_MEM_INPUT };
	TEEC_Session s;
	TEEC_Operation op;
	TEEC_Result res = TEEC_SUCCESS;
	struct nw_carveout_stats cs;
	uint8_t tmp[100];
	uint32_t origin;
	int k, got = 0;

	(void)state;
	world_up(&w, false);
	assert_int_equal(TEEC_InitializeContext(NULL, &probe), TEEC_SUCCESS);
	inproc_open_session(&probe, &s, &echo_uuid);
	/* Each client takes one 64 KiB block, until the carveout says no. */
	for (k = 0; k < MAX_CLIENTS && res == TEEC_SUCCESS; k++) {
		assert_int_equal(TEEC_InitializeContext(NULL, &ctx[k]), TEEC_SUCCESS);
		blk[k] = (TEEC_SharedMemory){ .size = BLOCK, .flags = TEEC_MEM_INPUT };
		res = TEEC_AllocateSharedMemory(&ctx[k], &blk[k]);
		if (res == TEEC_SUCCESS) {
			got++;
			memset(blk[k].buffer, k, BLOCK);
		}
	}
	assert_int_equal(res, TEEC_ERROR_OUT_OF_MEMORY);
	assert_int_equal(got, CARVEOUT_PAGES * 4096 / BLOCK); /* 16: nothing else is held */
	assert_null(blk[got].imp);
	assert_int_equal(nw_carveout_stats(w.l.drv, &cs), 0);
	assert_int_equal(cs.pages_in_use, CARVEOUT_PAGES);
	assert_int_equal(cs.alloc_failures, 1);
	books_ok(&w);

	/* Full: a one-byte block, a value-only call (its arg), a TEMP memref all fail. */
	assert_int_equal(TEEC_AllocateSharedMemory(&probe, &one), TEEC_ERROR_OUT_OF_MEMORY);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = 1;
	assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_VALUE, &op, &origin),
			 TEEC_ERROR_OUT_OF_MEMORY);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = tmp;
	op.params[0].tmpref.size = sizeof(tmp);
	assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_INC_INPLACE, &op, &origin),
			 TEEC_ERROR_OUT_OF_MEMORY);
	assert_int_equal(origin, TEEC_ORIGIN_API);
	assert_int_equal(nw_carveout_stats(w.l.drv, &cs), 0);
	assert_int_equal(cs.alloc_failures, 4);
	books_ok(&w);

	/* One client lets go: calls and allocations work again. */
	TEEC_ReleaseSharedMemory(&blk[3]);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = 21;
	op.params[0].value.b = 1;
	assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_VALUE, &op, &origin), TEEC_SUCCESS);
	assert_int_equal(op.params[0].value.a, 42);
	assert_int_equal(op.params[0].value.b, 4);
	blk[3] = (TEEC_SharedMemory){ .size = BLOCK - 4096, .flags = TEEC_MEM_INPUT };
	assert_int_equal(TEEC_AllocateSharedMemory(&ctx[3], &blk[3]), TEEC_SUCCESS);
	assert_int_equal(TEEC_AllocateSharedMemory(&probe, &one), TEEC_SUCCESS);
	/* The other clients' blocks kept their contents through all of it. */
	for (k = 0; k < got; k++) {
		if (k != 3) {
			assert_int_equal(((uint8_t *)blk[k].buffer)[0], k);
			assert_int_equal(((uint8_t *)blk[k].buffer)[BLOCK - 1], k);
		}
	}
	books_ok(&w);

	TEEC_ReleaseSharedMemory(&one);
	for (k = 0; k < got; k++)
		TEEC_ReleaseSharedMemory(&blk[k]);
	for (k = 0; k <= got; k++)
		TEEC_FinalizeContext(&ctx[k]);
	TEEC_CloseSession(&s);
	TEEC_FinalizeContext(&probe);
	assert_int_equal(nw_carveout_stats(w.l.drv, &cs), 0);
	assert_int_equal(cs.peak_pages_in_use, CARVEOUT_PAGES);
	world_down(&w);
}

/*
 * What the carveout strategy refuses: REGISTER_SHM (dynamic shm is off:
 * NOT_SUPPORTED from the driver without an SMC, and from the secure world
 * when forced), a TMEM outside the carveout (nothing gets mapped for it).
 */
static void test_dynamic_refused(void **state)
{
	struct world w;
	TEEC_Context ctx;
	TEEC_Session s;
	struct optee_shm *shm;
	struct optee_pagelist_buf pl;
	struct optee_drv_msg msg;
	uint32_t origin;
	TEE_Result res;

	(void)state;
	world_up(&w, false);
	assert_int_equal(TEEC_InitializeContext(NULL, &ctx), TEEC_SUCCESS);
	inproc_open_session(&ctx, &s, &echo_uuid);
	assert_int_equal(optee_shm_alloc(w.l.drv, 8192, false, &shm), 0);
	/* The driver knows dynamic shm is off: no SMC at all. */
	assert_int_equal(optee_shm_register(shm, &origin), TEE_ERROR_NOT_SUPPORTED);
	assert_int_equal(origin, TEE_ORIGIN_API);

	/* Forced through anyway: the secure half refuses it. */
	assert_int_equal(optee_shm_pagelist_build(shm, &pl), 0);
	memset(&msg, 0, sizeof(msg));
	msg.cmd = OPTEE_MSG_CMD_REGISTER_SHM;
	msg.n_params = 1;
	msg.params[0].attr = OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG;
	msg.params[0].u.tmem.buf_ptr = pl.buf_ptr;
	msg.params[0].u.tmem.size = 8192;
	msg.params[0].u.tmem.shm_ref = optee_shm_cookie(shm);
	res = optee_drv_do_msg(w.l.drv, &msg, &origin);
	optee_pagelist_buf_release(w.l.drv, &pl);
	assert_int_equal(res, TEE_ERROR_NOT_SUPPORTED);
	assert_int_equal(origin, TEE_ORIGIN_TEE);
	assert_int_equal(atomic_load(&w.register_smcs), 1);
	atomic_store(&w.register_smcs, 0); /* counted; world_down checks the rest of the run */

	/* A TMEM naming guest RAM: refused, not mapped. */
	memset(&msg, 0, sizeof(msg));
	msg.cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
	msg.func = TA_ECHO_CMD_INC_INPLACE;
	msg.session = s.session_id;
	msg.n_params = 1;
	msg.params[0].attr = OPTEE_MSG_ATTR_TYPE_TMEM_INOUT;
	msg.params[0].u.tmem.buf_ptr = pa_addr(optee_shm_page_ipa(shm, 0));
	msg.params[0].u.tmem.size = 100;
	res = optee_drv_do_msg(w.l.drv, &msg, &origin);
	assert_int_equal(res, TEE_ERROR_BAD_PARAMETERS);
	assert_int_equal(origin, TEE_ORIGIN_TEE);
	optee_shm_free(shm);
	books_ok(&w);
	TEEC_CloseSession(&s);
	TEEC_FinalizeContext(&ctx);
	world_down(&w);
}

/*
 * A fake mediator in front of a virtualized secure world with a carveout:
 * enough to probe.  ctx points at a bool: whether it offers this VM a one-page
 * slice (GET_SHM_CONFIG) or not (ENOTAVAIL, as Xen).
 */
static int virt_tee_call(void *ctx, struct smc_regs *r)
{
	uint32_t fid = (uint32_t)r->a[0];
	bool offer = *(const bool *)ctx;

	memset(r, 0, sizeof(*r));
	switch (fid) {
	case OPTEE_SMC_EXCHANGE_CAPABILITIES:
		r->a[1] = OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM | OPTEE_SMC_SEC_CAP_VIRTUALIZATION;
		break;
	case OPTEE_SMC_GET_SHM_CONFIG:
		if (!offer) {
			r->a[0] = OPTEE_SMC_RETURN_ENOTAVAIL;
			return 0;
		}
		r->a[1] = 0x44000000;
		r->a[2] = 4096;
		r->a[3] = OPTEE_SMC_SHM_CACHED;
		break;
	case OPTEE_SMC_GET_THREAD_COUNT:
		r->a[1] = 2;
		break;
	default:
		r->a[0] = OPTEE_SMC_RETURN_UNKNOWN_FUNCTION;
		return 0;
	}
	r->a[0] = OPTEE_SMC_RETURN_OK;
	return 0;
}

/*
 * Under virtualization the carveout is split per VM (test_carveout_vm has the
 * worlds): the secure half boots when every VM gets a slice and refuses a
 * split that leaves one no page, saying so; the driver runs on the slice the
 * mediator offers and refuses, saying why, when it offers none.
 */
static void test_virtualization_split(void **state)
{
	static uint8_t fake_carveout[4096];
	struct dram_config dc;
	struct dram *dram;
	struct secure_world *sw = NULL;
	struct sw_config sc;
	struct guest_mem gm;
	struct optee_drv_config nc = { 0 };
	struct strategy_params params;
	bool offer = false;
	struct smc_conduit cpu = { .call = virt_tee_call, .ctx = &offer };
	struct optee_drv *drv = NULL;
	char err[256] = "";
	void *ram = aligned_alloc(4096, 1u << 20);

	(void)state;
	dram_config_default(&dc);
	dc.n_guests = 2;
	dc.guest_ram_bytes = 4u << 20;
	sw_config_default(&sc);
	sc.strategy = "carveout";
	sc.virtualization = true;
	sc.max_guests = 2;
	assert_int_equal(dram_create(&dc, &dram, err, sizeof(err)), 0);
	assert_int_equal(sw_create(&sc, dram, &sw, err, sizeof(err)), 0);
	assert_int_equal(sw_check(sw), 0);
	sw_destroy(sw);
	sw = NULL;
	dram_destroy(dram);
	/* 2 x 4 pages: no room for a slice's shadow pages and a guest page. */
	dc.carveout_bytes = 8 * 4096;
	assert_int_equal(dram_create(&dc, &dram, err, sizeof(err)), 0);
	assert_int_equal(sw_create(&sc, dram, &sw, err, sizeof(err)), TS_ERANGE);
	assert_null(sw);
	assert_non_null(strstr(err, "carveout"));
	dram_destroy(dram);

	assert_non_null(ram);
	assert_int_equal(guest_mem_init(&gm, pa_init(0x80000000ull), ram, 1u << 20), 0);
	strategy_params_default(STRATEGY_CARVEOUT, &params);
	nc.mem = &gm;
	nc.conduits = &cpu;
	nc.n_conduits = 1;
	nc.strategy = &params;
	nc.carveout_host = fake_carveout;
	nc.err = err;
	nc.err_bytes = sizeof(err);
	assert_int_equal(optee_drv_create(&nc, &drv), TS_ENOSYS);
	assert_null(drv);
	assert_non_null(strstr(err, "carveout"));
	assert_non_null(strstr(err, "no slice"));
	/* Offered one: the driver takes it as its whole carveout. */
	offer = true;
	assert_int_equal(optee_drv_create(&nc, &drv), 0);
	assert_int_equal(pa_addr(optee_drv_get_info(drv)->carveout_base), 0x44000000);
	assert_int_equal(nw_carveout_check(drv), 0);
	{
		struct nw_carveout_stats cs;

		assert_int_equal(nw_carveout_stats(drv, &cs), 0);
		assert_int_equal(cs.pool_pages, 1);
	}
	optee_drv_destroy(drv);
	guest_mem_fini(&gm);
	free(ram);
}

/* Without the carveout mapped in its process the driver refuses "carveout", saying so. */
static void test_unmapped_carveout_refused(void **state)
{
	struct world w;
	struct optee_drv_config nc = { 0 };
	struct strategy_params params;
	struct optee_drv *drv = NULL;
	char err[256] = "";

	(void)state;
	world_up(&w, false);
	strategy_params_default(STRATEGY_CARVEOUT, &params);
	nc.mem = &w.l.gm;
	nc.conduits = w.l.cpu;
	nc.n_conduits = 1;
	nc.strategy = &params;
	nc.err = err;
	nc.err_bytes = sizeof(err);
	assert_int_equal(optee_drv_create(&nc, &drv), TS_EINVAL);
	assert_null(drv);
	assert_non_null(strstr(err, "carveout_host"));
	/* The working driver of this world still has its books straight. */
	{
		TEEC_Context ctx;
		TEEC_Session s;

		assert_int_equal(TEEC_InitializeContext(NULL, &ctx), TEEC_SUCCESS);
		inproc_open_session(&ctx, &s, &echo_uuid);
		TEEC_CloseSession(&s);
		TEEC_FinalizeContext(&ctx);
	}
	world_down(&w);
}

struct client_arg {
	struct world *w;
	int id;
	int failures;
};

/* One client thread: TEMP round trips and its own allocated block, data checked each time. */
static void *client_thread(void *p)
{
	struct client_arg *a = p;
	TEEC_Context ctx;
	TEEC_Session s;
	TEEC_Operation op;
	TEEC_SharedMemory blk;
	uint8_t in[5000], out[5000];
	uint32_t origin;
	int r;
	size_t i;

	if (TEEC_InitializeContext(NULL, &ctx) ||
	    TEEC_OpenSession(&ctx, &s, &echo_uuid, TEEC_LOGIN_PUBLIC, NULL, NULL, &origin)) {
		a->failures++;
		return NULL;
	}
	for (r = 0; r < 40; r++) {
		inproc_fill(in, sizeof(in), (unsigned)(a->id * 64 + r));
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
						 TEEC_VALUE_INOUT, TEEC_NONE);
		op.params[0].tmpref.buffer = in;
		op.params[0].tmpref.size = sizeof(in);
		op.params[1].tmpref.buffer = out;
		op.params[1].tmpref.size = sizeof(out);
		if (TEEC_InvokeCommand(&s, TA_ECHO_CMD_TRANSFORM, &op, &origin))
			a->failures++;
		for (i = 0; i < sizeof(in); i++)
			a->failures += out[i] != (in[i] ^ 0xA5);
		blk = (TEEC_SharedMemory){ .size = 3000 + (size_t)r * 100,
					   .flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT };
		if (TEEC_AllocateSharedMemory(&ctx, &blk)) {
			a->failures++;
			continue;
		}
		memset(blk.buffer, a->id, blk.size);
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE, TEEC_NONE);
		op.params[0].memref.parent = &blk;
		if (TEEC_InvokeCommand(&s, TA_ECHO_CMD_INC_INPLACE, &op, &origin))
			a->failures++;
		for (i = 0; i < blk.size; i++)
			a->failures += ((uint8_t *)blk.buffer)[i] != (uint8_t)(a->id + 1);
		TEEC_ReleaseSharedMemory(&blk);
	}
	TEEC_CloseSession(&s);
	TEEC_FinalizeContext(&ctx);
	return NULL;
}

/*
 * Clients on several threads share the carveout allocator (and both CPUs)
 * without losing a block or mixing data; the pool ends empty and consistent.
 */
static void test_threads(void **state)
{
	enum { N_THREADS = 4 };
	struct world w;
	struct client_arg args[N_THREADS];
	pthread_t th[N_THREADS];
	struct nw_carveout_stats cs;
	int i;

	(void)state;
	world_up(&w, false);
	for (i = 0; i < N_THREADS; i++) {
		args[i] = (struct client_arg){ .w = &w, .id = i + 1 };
		assert_int_equal(pthread_create(&th[i], NULL, client_thread, &args[i]), 0);
	}
	for (i = 0; i < N_THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(args[i].failures, 0);
	}
	assert_int_equal(nw_carveout_stats(w.l.drv, &cs), 0);
	assert_int_equal(cs.alloc_failures, 0);
	assert_int_equal(cs.pages_in_use, 0);
	assert_true(cs.allocs >= N_THREADS * 40 * 5); /* 2 TEMP + block + 2 args per round */
	world_down(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_temp),
		cmocka_unit_test(test_registered_partial),
		cmocka_unit_test(test_storage_rpc),
		cmocka_unit_test(test_storage_rpc_alloc_arg),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_dynamic_refused),
		cmocka_unit_test(test_virtualization_split),
		cmocka_unit_test(test_unmapped_carveout_refused),
	};

	return cmocka_run_group_tests_name("carveout", tests, NULL, NULL);
}
