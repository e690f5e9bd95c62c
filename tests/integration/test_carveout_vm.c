/*
 * The "carveout" strategy under the hypervisor, in one process: real guest
 * drivers (carveout half) -> the mediator offering each VM its slice of the
 * static carveout -> the real secure world (carveout half), over in-process
 * conduits.  Each guest maps only the guest part of its own slice, from the
 * DRAM memfd, as a guest process does.
 *
 * What is checked: the split rule itself (against a naive model); data
 * crosses end to end through each VM's own slice; every arg the secure world
 * reads is the mediator's shadow in the calling VM's own shadow pages; one VM
 * exhausting its slice does not disturb another; buffers naming another
 * slice, guest RAM or the window's edge are refused by the mediator, and by
 * the secure world when the mediator is bypassed; a VM destroyed with calls
 * suspended leaves nothing behind.  No dynamic mapping is ever made.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sim/common/dram.h"
#include "sim/common/optee_msg.h"
#include "sim/common/optee_smc.h"
#include "sim/common/smc_channel.h"
#include "sim/common/stage2.h"
#include "sim/common/strategy.h"
#include "sim/common/ta_ids.h"
#include "sim/common/tee_result.h"
#include "sim/common/ts_err.h"
#include "sim/hv/mediator.h"
#include "sim/normal/guest_mem.h"
#include "sim/normal/include/tee_client_api.h"
#include "sim/normal/optee_drv.h"
#include "sim/normal/teec_sim.h"
#include "sim/secure/mm/core_mm.h"
#include "sim/secure/secure_world.h"
#include "strategies/carveout/nw.h"
#include "tests/integration/inproc_world.h"

#define N_VMS 3
#define GUEST_RAM_BYTES (16ull << 20)
#define PAGE SMALL_PAGE_SIZE

static const TEEC_UUID echo_uuid = TA_ECHO_UUID;

struct fx;

struct vm {
	struct fx *f;
	uint32_t id;                    /* VM id; client id id + 1 */
	struct inproc_guest *g;         /* its guest in f->hv */
	struct carveout_slice slice;
	uint64_t window_ipa;
	uint8_t *slice_host;            /* the guest part of its slice, mapped here */
	struct smc_conduit sw_direct;   /* straight to sw_smc: the mediator's side */
	TEEC_Context ctx;
	/* What the secure world was sent on this VM's behalf (spy_to_sw). */
	uint64_t args_seen;
	uint64_t args_off_shadow;       /* arg not in this VM's shadow pages */
	uint64_t tmems_seen;
	uint64_t tmems_off_slice;       /* a non-NULL TMEM not in this VM's guest part */
};

struct fx {
	struct inproc_hv hv;
	struct carveout_split split;
	uint64_t boot_maps;
	struct vm vm[N_VMS];
};

/* ---- The split rule ---- */

/* Naive owner: try every slice in turn. */
static int32_t naive_owner(uint64_t base, uint64_t slice, uint32_t n, uint64_t pa, uint64_t len)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		uint64_t lo = base + i * slice, hi = lo + slice;

		if (len && pa >= lo && pa < hi && len <= hi - pa)
			return (int32_t)i;
	}
	return -1;
}

/*
 * The split gives equal page-rounded slices (or vm_bytes each), refuses splits
 * that leave a guest no page or do not fit, and its owner lookup agrees with a
 * naive scan on boundaries and on random ranges (fixed seed).
 */
static void test_split_rule(void **state)
{
	struct carveout_split s;
	struct carveout_slice sl;
	const uint64_t base = 0x41000000ull, mib = 1ull << 20;
	char err[256];
	uint64_t rng = 0x9e3779b97f4a7c15ull, win;
	uint32_t k;

	(void)state;
	/* 1 MiB among 3: 349525 bytes, rounded down to 85 pages each. */
	assert_int_equal(carveout_split_init(&s, pa_init(base), mib, 3, 0, err, sizeof(err)), 0);
	assert_int_equal(s.slice_bytes, 85 * PAGE);
	assert_int_equal(carveout_split_slice(&s, 2, &sl), 0);
	assert_int_equal(pa_addr(sl.pa), base + 170 * PAGE);
	assert_int_equal(sl.bytes, 85 * PAGE);
	assert_int_equal(pa_addr(sl.guest_pa), pa_addr(sl.pa) + CARVEOUT_SHADOW_PAGES * PAGE);
	assert_int_equal(sl.guest_bytes, (85 - CARVEOUT_SHADOW_PAGES) * PAGE);
	assert_int_equal(carveout_split_slice(&s, 3, &sl), TS_ENOENT);
	/* An explicit size, rounded down; too big to fit is refused. */
	assert_int_equal(carveout_split_init(&s, pa_init(base), mib, 2, 200000, err, sizeof(err)),
			 0);
	assert_int_equal(s.slice_bytes, 48 * PAGE);
	assert_int_equal(carveout_split_init(&s, pa_init(base), mib, 2, 600 * 1024, err,
					     sizeof(err)), TS_ERANGE);
	assert_non_null(strstr(err, "do not fit"));
	/* A slice must hold its shadow pages and one page for the guest. */
	assert_int_equal(carveout_split_init(&s, pa_init(base), 16 * PAGE, 4, 0, err, sizeof(err)),
			 TS_ERANGE);
	assert_non_null(strstr(err, "shadow pages"));
	assert_int_equal(carveout_split_init(&s, pa_init(base), 15 * PAGE, 3, 0, err, sizeof(err)),
			 0);
	assert_int_equal(carveout_split_init(&s, pa_init(base), mib, 0, 0, err, sizeof(err)),
			 TS_EINVAL);
	assert_int_equal(carveout_split_init(&s, pa_init(base + 1), mib, 1, 0, err, sizeof(err)),
			 TS_EINVAL);

	/* Owner: edges, straddles, and random ranges against the naive scan. */
	assert_int_equal(carveout_split_init(&s, pa_init(base), mib, 3, 0, err, sizeof(err)), 0);
	assert_int_equal(carveout_split_owner(&s, pa_init(base), 1), 0);
	assert_int_equal(carveout_split_owner(&s, pa_init(base + 85 * PAGE - 1), 1), 0);
	assert_int_equal(carveout_split_owner(&s, pa_init(base + 85 * PAGE - 1), 2), -1);
	assert_int_equal(carveout_split_owner(&s, pa_init(base + 85 * PAGE), 85 * PAGE), 1);
	/* The unused rest of the carveout, after the last slice: nobody's. */
	assert_int_equal(carveout_split_owner(&s, pa_init(base + 255 * PAGE), 1), -1);
	assert_int_equal(carveout_split_owner(&s, pa_init(base - 1), 1), -1);
	assert_int_equal(carveout_split_owner(&s, pa_init(base), 0), -1);
	assert_int_equal(carveout_split_owner(&s, pa_init(UINT64_MAX - 3), 8), -1);
	for (k = 0; k < 20000; k++) {
		uint64_t pa, len;

		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		pa = base - 2 * PAGE + (rng >> 20) % (mib + 4 * PAGE);
		len = (rng >> 4) % (k & 1 ? 64 : 100 * PAGE);
		assert_int_equal(carveout_split_owner(&s, pa_init(pa), len),
				 naive_owner(base, s.slice_bytes, 3, pa, len));
	}

	/* The window: the next 2 MiB boundary above RAM, below 4 GiB. */
	assert_int_equal(carveout_window_ipa(0x40000000ull, 16 * mib, 81 * PAGE, &win), 0);
	assert_int_equal(win, 0x41000000ull);
	assert_int_equal(carveout_window_ipa(0x40000000ull, 15 * mib + PAGE, 81 * PAGE, &win), 0);
	assert_int_equal(win, 0x41000000ull);
	assert_int_equal(carveout_window_ipa(0x40000000ull, 64 * mib, 81 * PAGE, &win), 0);
	assert_int_equal(win, 0x44000000ull);
	assert_int_equal(carveout_window_ipa(0x40000000ull, 3072 * mib, mib, &win), TS_ERANGE);
}

/* ---- The worlds ---- */

/*
 * Between the mediator and the secure world: every yielding call's arg must be
 * a shadow in this VM's own shadow pages, and every TMEM in it must lie in
 * this VM's guest part (read from the shadow, as the secure world will).
 */
static int spy_to_sw(void *ctx, struct smc_regs *regs)
{
	struct vm *v = ctx;
	uint32_t fid = (uint32_t)regs->a[0];

	if (fid == OPTEE_SMC_CALL_WITH_ARG || fid == OPTEE_SMC_CALL_WITH_RPC_ARG) {
		uint64_t pa = optee_smc_reg_pair_to_u64((uint32_t)regs->a[1], (uint32_t)regs->a[2]);
		uint64_t lo = pa_addr(v->slice.pa), hi = pa_addr(v->slice.guest_pa);
		const struct optee_msg_arg *a;
		uint32_t i;

		v->args_seen++;
		if (pa < lo || pa + sizeof(*a) > hi) {
			v->args_off_shadow++;
		} else {
			a = dram_view_ptr(v->f->hv.ns, pa_init(pa), PAGE - (pa & (PAGE - 1)));
			for (i = 0; a && i < a->num_params && i < 8; i++) {
				const struct optee_msg_param *p = &a->params[i];
				uint64_t t = p->attr & OPTEE_MSG_ATTR_TYPE_MASK;
				uint64_t g = pa_addr(v->slice.guest_pa);

				if (t < OPTEE_MSG_ATTR_TYPE_TMEM_INPUT ||
				    t > OPTEE_MSG_ATTR_TYPE_TMEM_INOUT || !p->u.tmem.buf_ptr)
					continue;
				v->tmems_seen++;
				if (p->u.tmem.buf_ptr < g ||
				    p->u.tmem.buf_ptr + p->u.tmem.size > g + v->slice.guest_bytes)
					v->tmems_off_slice++;
			}
		}
	}
	return smc_conduit_call(&v->sw_direct, regs);
}

/* The mediator's conduit to the secure world, seen through spy_to_sw. */
static struct smc_conduit spy_on_vm(void *ctx, size_t id, struct smc_conduit direct)
{
	struct vm *v = ctx;

	(void)id;
	v->sw_direct = direct;
	return (struct smc_conduit){ .call = spy_to_sw, .ctx = v };
}

static void vm_up(struct fx *f, uint32_t id)
{
	struct vm *v = &f->vm[id];
	const struct dram_region *ram = dram_region_find(f->hv.dram->layout, DRAM_GUEST_RAM, id);
	const struct dram_region *co = dram_region_find(f->hv.dram->layout, DRAM_CARVEOUT, 0);
	void *p;

	v->f = f;
	v->id = id;
	v->g = &f->hv.g[id];
	/* As a guest process: the guest part of its own slice, nothing else of the carveout. */
	assert_int_equal(carveout_split_slice(&f->split, id, &v->slice), 0);
	assert_int_equal(carveout_window_ipa(STAGE2_GUEST_IPA_BASE, ram->size_bytes,
					     v->slice.guest_bytes, &v->window_ipa), 0);
	p = mmap(NULL, v->slice.guest_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, f->hv.dram->fd,
		 (off_t)(co->file_offset + (pa_addr(v->slice.guest_pa) - pa_addr(co->base))));
	assert_true(p != MAP_FAILED);
	v->slice_host = p;
	inproc_hv_guest_up(&f->hv, id, &(struct inproc_guest_cfg){
		.s2_seed = 300 + id,
		.no_rpc_arg = id == N_VMS - 1, /* its RPC args come by RPC_ALLOC, shadowed too */
		.carveout_host = v->slice_host,
		.wrap_to_sw = spy_on_vm,
		.wrap_ctx = v,
	});
	teec_set_default_driver(v->g->drv);
	assert_int_equal(TEEC_InitializeContext(NULL, &v->ctx), TEEC_SUCCESS);
	teec_set_default_driver(NULL);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const struct dram_region *co;
	struct inproc_hv_cfg cfg;
	char err[256] = "";
	uint32_t i;

	assert_non_null(f);
	inproc_hv_cfg_default(&cfg, STRATEGY_CARVEOUT);
	cfg.n_guests = N_VMS;
	cfg.guest_ram_bytes = GUEST_RAM_BYTES;
	inproc_hv_up(&f->hv, &cfg);
	f->boot_maps = sw_mm(f->hv.sw)->stats.maps;
	assert_int_equal(hv_mediator_offer_carveout(f->hv.med, N_VMS, 0, err, sizeof(err)), 0);
	/* The test applies the same rule to the same numbers. */
	co = dram_region_find(f->hv.dram->layout, DRAM_CARVEOUT, 0);
	assert_int_equal(carveout_split_init(&f->split, co->base, co->size_bytes, N_VMS, 0, err,
					     sizeof(err)), 0);
	for (i = 0; i < N_VMS; i++)
		vm_up(f, i);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	uint32_t i;

	for (i = 0; i < N_VMS; i++) {
		struct vm *v = &f->vm[i];

		TEEC_FinalizeContext(&v->ctx);
		if (v->g->hg) {
			/* A live VM ends clean: its allocator is empty and consistent. */
			struct nw_carveout_stats cs;

			assert_int_equal(nw_carveout_check(v->g->drv), 0);
			assert_int_equal(nw_carveout_stats(v->g->drv, &cs), 0);
			assert_int_equal(cs.pages_in_use, 0);
			assert_int_equal(optee_drv_check(v->g->drv), 0);
			/* Everything the secure world read came from this VM's own slice. */
			assert_int_equal(v->args_off_shadow, 0);
			assert_int_equal(v->tmems_off_slice, 0);
		}
		inproc_hv_guest_leave(&f->hv, i);
		assert_int_equal(core_mm_check_vm_clean(sw_mm(f->hv.sw), (uint16_t)(i + 1)), 0);
		munmap(v->slice_host, v->slice.guest_bytes);
	}
	assert_int_equal(sw_check(f->hv.sw), 0);
	assert_int_equal(hv_mediator_pages_in_use(f->hv.med), 0);
	/* The carveout's static mapping made at boot is the only one there ever was. */
	assert_int_equal(sw_mm(f->hv.sw)->stats.maps, f->boot_maps);
	assert_int_equal(sw_mm(f->hv.sw)->stats.unmaps, 0);
	inproc_hv_down(&f->hv);
	free(f);
	return 0;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 29 + seed * 7 + (i >> 9));
}

static bool in_slice(const struct vm *v, const void *p, size_t n)
{
	const uint8_t *b = p;

	return b >= v->slice_host && n <= v->slice.guest_bytes &&
	       (size_t)(b - v->slice_host) <= v->slice.guest_bytes - n;
}

/* A TA's UUID as the message ABI carries it. */
static void uuid_octets(uint8_t out[16], struct ta_uuid u)
{
	optee_uuid_to_octets(out, u.time_low, u.time_mid, u.time_hi_and_version,
			     u.clock_seq_and_node);
}

static void open_echo(struct vm *v, TEEC_Session *s)
{
	uint32_t origin = 0;

	assert_int_equal(TEEC_OpenSession(&v->ctx, s, &echo_uuid, TEEC_LOGIN_PUBLIC, NULL, NULL,
					  &origin), TEEC_SUCCESS);
}

/* A TEMP echo of n bytes on session s, every byte checked. */
static void echo_temp(TEEC_Session *s, size_t n, unsigned seed)
{
	uint8_t *in = malloc(n), *out = malloc(n);
	TEEC_Operation op;
	uint32_t origin;
	size_t i;

	fill(in, n, seed);
	memset(out, 0, n);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_VALUE_INOUT, TEEC_NONE);
	op.params[0].tmpref.buffer = in;
	op.params[0].tmpref.size = n;
	op.params[1].tmpref.buffer = out;
	op.params[1].tmpref.size = n;
	op.params[2].value.a = seed;
	assert_int_equal(TEEC_InvokeCommand(s, TA_ECHO_CMD_TRANSFORM, &op, &origin), TEEC_SUCCESS);
	assert_int_equal(op.params[1].tmpref.size, n);
	assert_int_equal(op.params[2].value.a, seed + 1);
	for (i = 0; i < n; i++)
		assert_int_equal(out[i], (uint8_t)(in[i] ^ 0xA5));
	free(in);
	free(out);
}

/*
 * Every VM probes its own slice (GET_SHM_CONFIG: its window, its guest part),
 * and TEMP, allocated and registered memrefs carry data both ways through it:
 * allocated blocks are memory of that slice, seen at the same bytes by the
 * hypervisor at the slice's PAs; the secure world read every arg from the
 * VM's shadow pages and every buffer from its guest part, mapping nothing.
 */
static void test_each_vm_through_its_slice(void **state)
{
	struct fx *f = *state;
	uint32_t id;

	for (id = 0; id < N_VMS; id++) {
		struct vm *v = &f->vm[id];
		const struct optee_drv_info *info = optee_drv_get_info(v->g->drv);
		TEEC_SharedMemory blk = { .size = 3 * PAGE + 100,
					  .flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT };
		TEEC_SharedMemory reg = { .size = 5000, .flags = TEEC_MEM_INPUT };
		uint8_t heap[5000];
		TEEC_Session s;
		TEEC_Operation op;
		uint32_t origin;
		const uint8_t *seen;
		size_t i;

		assert_int_equal(info->strategy, STRATEGY_CARVEOUT);
		assert_true(info->sec_caps & OPTEE_SMC_SEC_CAP_VIRTUALIZATION);
		assert_true(info->have_carveout);
		assert_int_equal(pa_addr(info->carveout_base), v->window_ipa);
		assert_int_equal(info->carveout_bytes, v->slice.guest_bytes);
		/* The window lies above guest RAM: no IPA means both. */
		assert_true(v->window_ipa >= STAGE2_GUEST_IPA_BASE + GUEST_RAM_BYTES);

		open_echo(v, &s);
		echo_temp(&s, 3 * PAGE + 77 + id, 10 + id);

		/* An allocated block: the slice itself, zero copy. */
		assert_int_equal(TEEC_AllocateSharedMemory(&v->ctx, &blk), TEEC_SUCCESS);
		assert_true(in_slice(v, blk.buffer, blk.size));
		fill(blk.buffer, blk.size, 40 + id);
		memset(&op, 0, sizeof(op));
		op.paramTypes =
			TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE, TEEC_NONE);
		op.params[0].memref.parent = &blk;
		assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_INC_INPLACE, &op, &origin),
				 TEEC_SUCCESS);
		seen = dram_view_ptr(f->hv.ns,
				     pa_add(v->slice.guest_pa,
					    (uint64_t)((uint8_t *)blk.buffer - v->slice_host)),
				     blk.size);
		assert_non_null(seen);
		for (i = 0; i < blk.size; i++) {
			uint8_t want = (uint8_t)((uint8_t)(i * 29 + (40 + id) * 7 + (i >> 9)) + 1);

			assert_int_equal(((uint8_t *)blk.buffer)[i], want);
			assert_int_equal(seen[i], want); /* the same bytes, at the slice's PA */
		}

		/* Registered client memory: a slice shadow, copied at the invoke. */
		fill(heap, sizeof(heap), 70 + id);
		reg.buffer = heap;
		assert_int_equal(TEEC_RegisterSharedMemory(&v->ctx, &reg), TEEC_SUCCESS);
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_MEMREF_PARTIAL_OUTPUT,
						 TEEC_VALUE_INOUT, TEEC_NONE);
		op.params[0].memref.parent = &reg;
		op.params[1].memref.parent = &blk;
		op.params[1].memref.offset = 100;
		op.params[1].memref.size = reg.size;
		assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_TRANSFORM, &op, &origin),
				 TEEC_SUCCESS);
		assert_int_equal(op.params[1].memref.size, reg.size);
		for (i = 0; i < reg.size; i++)
			assert_int_equal(((uint8_t *)blk.buffer)[100 + i],
					 (uint8_t)(heap[i] ^ 0xA5));
		TEEC_ReleaseSharedMemory(&reg);
		TEEC_ReleaseSharedMemory(&blk);
		TEEC_CloseSession(&s);

		assert_true(v->args_seen >= 5);
		assert_true(v->tmems_seen >= 4);
		assert_true(hv_guest_stats(v->g->hg)->window_translated >= 4);
		assert_int_equal(hv_guest_stats(v->g->hg)->pages_translated, 0); /* no page list */
		assert_int_equal(sw_check(f->hv.sw), 0);
	}
	assert_int_equal(hv_mediator_pages_in_use(f->hv.med), 0);
}

static TEEC_Result storage_io(TEEC_Session *s, uint32_t cmd, uint32_t id, void *buf, size_t *size)
{
	TEEC_Operation op;
	TEEC_Result res;
	uint32_t origin;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT,
					 cmd == TA_STORAGE_CMD_WRITE ? TEEC_MEMREF_TEMP_INPUT
								     : TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = id;
	op.params[1].tmpref.buffer = buf;
	op.params[1].tmpref.size = *size;
	res = TEEC_InvokeCommand(s, cmd, &op, &origin);
	*size = op.params[1].tmpref.size;
	return res;
}

/*
 * The secure world's own buffers (RPC SHM_ALLOC answers) come from the
 * calling VM's slice too: the mediator rewrites the contiguous answer from
 * the window to the slice, and data written through it reads back intact.
 * The last VM runs without RPC_ARG: its RPC args come by RPC_ALLOC from its
 * slice and are shadowed in its shadow pages like call args.
 */
static void test_rpc_buffers_in_slice(void **state)
{
	struct fx *f = *state;
	const TEEC_UUID storage_uuid = TA_STORAGE_UUID;
	uint32_t id, origin;

	for (id = 0; id < N_VMS; id++) {
		struct vm *v = &f->vm[id];
		uint64_t before = hv_guest_stats(v->g->hg)->window_translated;
		size_t n = 30000 + id, size;
		uint8_t *data = malloc(n), *back = malloc(n);
		struct optee_drv_stats st;
		TEEC_Session s;

		assert_int_equal(TEEC_OpenSession(&v->ctx, &s, &storage_uuid, TEEC_LOGIN_PUBLIC,
						  NULL, NULL, &origin), TEEC_SUCCESS);
		fill(data, n, 90 + id);
		size = n;
		assert_int_equal(storage_io(&s, TA_STORAGE_CMD_WRITE, 5, data, &size),
				 TEEC_SUCCESS);
		size = n;
		memset(back, 0, n);
		assert_int_equal(storage_io(&s, TA_STORAGE_CMD_READ, 5, back, &size), TEEC_SUCCESS);
		assert_int_equal(size, n);
		assert_memory_equal(back, data, n);
		TEEC_CloseSession(&s);
		optee_drv_get_stats(v->g->drv, &st);
		assert_true(st.rpc_cmd_shm_alloc >= 2);
		assert_int_equal(st.rpc_cmd_shm_alloc, st.rpc_cmd_shm_free);
		if (id == N_VMS - 1)
			assert_true(st.rpc_alloc > 0 && st.rpc_alloc == st.rpc_free);
		else
			assert_int_equal(st.rpc_alloc, 0);
		/* Each SHM_ALLOC answer was one of the window rewrites. */
		assert_true(hv_guest_stats(v->g->hg)->window_translated - before >=
			    2 + st.rpc_cmd_shm_alloc);
		free(data);
		free(back);
	}
}

/*
 * Exhaustion is per VM: VM 0 fills its slice, and its next block and even its
 * next call (no room for the arg) get TEEC_ERROR_OUT_OF_MEMORY, while VM 1
 * goes on with every byte right; once VM 0 lets go it works again.
 */
static void test_exhaustion_per_vm(void **state)
{
	struct fx *f = *state;
	struct vm *full = &f->vm[0], *other = &f->vm[1];
	TEEC_SharedMemory all = { .size = full->slice.guest_bytes, .flags = TEEC_MEM_INPUT };
	TEEC_SharedMemory one = { .size = 1, .flags = TEEC_MEM_INPUT };
	TEEC_SharedMemory too_big = { .size = full->slice.guest_bytes + 1,
				      .flags = TEEC_MEM_INPUT };
	TEEC_Session s0, s1;
	TEEC_Operation op;
	struct nw_carveout_stats cs;
	uint32_t origin;

	open_echo(full, &s0);
	open_echo(other, &s1);
	/* More than the slice never fits, even empty. */
	assert_int_equal(TEEC_AllocateSharedMemory(&full->ctx, &too_big), TEEC_ERROR_OUT_OF_MEMORY);
	assert_int_equal(TEEC_AllocateSharedMemory(&full->ctx, &all), TEEC_SUCCESS);
	assert_int_equal(nw_carveout_stats(full->g->drv, &cs), 0);
	assert_int_equal(cs.pool_pages, full->slice.guest_bytes / PAGE);
	assert_int_equal(cs.pages_in_use, cs.pool_pages);
	assert_int_equal(TEEC_AllocateSharedMemory(&full->ctx, &one), TEEC_ERROR_OUT_OF_MEMORY);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	assert_int_equal(TEEC_InvokeCommand(&s0, TA_ECHO_CMD_VALUE, &op, &origin),
			 TEEC_ERROR_OUT_OF_MEMORY);

	/* The neighbour does not notice: data round trips, and it can fill its own slice. */
	echo_temp(&s1, 20000, 3);
	{
		TEEC_SharedMemory big = { .size = other->slice.guest_bytes - 8 * PAGE,
					  .flags = TEEC_MEM_INPUT };

		assert_int_equal(TEEC_AllocateSharedMemory(&other->ctx, &big), TEEC_SUCCESS);
		echo_temp(&s1, 3 * PAGE, 4);
		TEEC_ReleaseSharedMemory(&big);
	}
	assert_int_equal(nw_carveout_stats(other->g->drv, &cs), 0);
	assert_int_equal(cs.alloc_failures, 0);

	TEEC_ReleaseSharedMemory(&all);
	echo_temp(&s0, 5000, 5);
	assert_int_equal(nw_carveout_stats(full->g->drv, &cs), 0);
	assert_int_equal(cs.alloc_failures, 3);
	TEEC_CloseSession(&s0);
	TEEC_CloseSession(&s1);
	assert_int_equal(sw_check(f->hv.sw), 0);
}

/* ---- Raw calls ---- */

/* A block of n pages in v's slice for hand-built args; *ipa is where the guest sees it. */
static void *raw_block(struct vm *v, TEEC_SharedMemory *blk, size_t n_pages, uint64_t *ipa)
{
	*blk = (TEEC_SharedMemory){ .size = n_pages * PAGE,
				    .flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT };
	assert_int_equal(TEEC_AllocateSharedMemory(&v->ctx, blk), TEEC_SUCCESS);
	assert_true(in_slice(v, blk->buffer, blk->size));
	*ipa = v->window_ipa + (uint64_t)((uint8_t *)blk->buffer - v->slice_host);
	return blk->buffer;
}

/* An INVOKE of echo's TRANSFORM: TMEM input (in_ptr, n), TMEM output (out_ptr, n), a value. */
static void build_transform(struct optee_msg_arg *a, uint32_t session, uint64_t in_ptr,
			    uint64_t out_ptr, uint64_t n)
{
	memset(a, 0, OPTEE_MSG_GET_ARG_SIZE(3));
	a->cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
	a->func = TA_ECHO_CMD_TRANSFORM;
	a->session = session;
	a->num_params = 3;
	a->params[0].attr = OPTEE_MSG_ATTR_TYPE_TMEM_INPUT;
	a->params[0].u.tmem.buf_ptr = in_ptr;
	a->params[0].u.tmem.size = n;
	a->params[1].attr = OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT;
	a->params[1].u.tmem.buf_ptr = out_ptr;
	a->params[1].u.tmem.size = n;
	a->params[2].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INOUT;
	a->params[2].u.value.a = 7;
}

/* CALL_WITH_ARG of the arg at arg_ptr through conduit c (a7 = client); returns a0. */
static uint64_t raw_call(const struct smc_conduit *c, uint64_t arg_ptr, uint32_t client)
{
	struct smc_regs regs = { .a = { OPTEE_SMC_CALL_WITH_ARG, optee_smc_u64_high(arg_ptr),
					optee_smc_u64_low(arg_ptr) } };

	regs.a[7] = client;
	assert_int_equal(smc_conduit_call(c, &regs), 0);
	return regs.a[0];
}

/*
 * A carveout-only path (contiguous TMEM) may name only the guest's own
 * window: its own RAM, another VM's slice, a range straddling the window's
 * end or just past it are refused by the mediator itself (BAD_PARAMETERS
 * from COMMS), and an arg outside both RAM and window is EBADADDR.
 */
static void test_mediator_refuses_foreign(void **state)
{
	struct fx *f = *state;
	struct vm *v = &f->vm[0];
	TEEC_SharedMemory blk;
	uint64_t base, refused = hv_guest_stats(v->g->hg)->refused;
	uint64_t other = pa_addr(f->vm[1].slice.guest_pa);
	uint64_t end = v->window_ipa + v->slice.guest_bytes;
	const uint64_t n = 300;
	uint8_t uuid[16], *mem = raw_block(v, &blk, 3, &base);
	struct optee_msg_arg *a = (struct optee_msg_arg *)mem;
	uint32_t session, origin, i;
	const struct {
		uint64_t in_ptr, size;
	} bad[] = {
		{ STAGE2_GUEST_IPA_BASE + 0x10000, n },  /* its own RAM: not a carveout path */
		{ other, n },                            /* VM 1's slice, by its PA */
		{ end - n / 2, n },                      /* straddles the window's end */
		{ end, 1 },                              /* just past it */
		{ v->window_ipa - PAGE, n },             /* just below it */
	};

	uuid_octets(uuid, (struct ta_uuid)TA_ECHO_UUID);
	assert_int_equal(optee_drv_open_session(v->g->drv, uuid, 0, NULL, NULL, 0, &session,
						&origin), TEE_SUCCESS);
	/* Control: inside the window, the TA transforms page 1 into page 2. */
	fill(mem + PAGE, n, 1);
	build_transform(a, session, base + PAGE, base + 2 * PAGE, n);
	assert_int_equal(raw_call(&v->g->from_guest, base, 0), OPTEE_SMC_RETURN_OK);
	assert_int_equal(a->ret, TEE_SUCCESS);
	for (i = 0; i < n; i++)
		assert_int_equal(mem[2 * PAGE + i], (uint8_t)(mem[PAGE + i] ^ 0xA5));
	assert_int_equal(hv_guest_stats(v->g->hg)->refused, refused);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		build_transform(a, session, bad[i].in_ptr, base + 2 * PAGE, bad[i].size);
		assert_int_equal(raw_call(&v->g->from_guest, base, 0), OPTEE_SMC_RETURN_OK);
		assert_int_equal(a->ret, TEE_ERROR_BAD_PARAMETERS);
		assert_int_equal(a->ret_origin, TEE_ORIGIN_COMMS);
		assert_int_equal(hv_guest_stats(v->g->hg)->refused, refused + i + 1);
	}
	/* The arg itself at another VM's slice (outside its RAM and window): bad address. */
	assert_true(other >= end || other + PAGE <= v->window_ipa);
	assert_true(other >= STAGE2_GUEST_IPA_BASE + GUEST_RAM_BYTES);
	assert_int_equal(raw_call(&v->g->from_guest, other, 0), OPTEE_SMC_RETURN_EBADADDR);
	assert_int_equal(optee_drv_close_session(v->g->drv, session, &origin), TEE_SUCCESS);
	TEEC_ReleaseSharedMemory(&blk);
	assert_int_equal(sw_check(f->hv.sw), 0);
}

/*
 * Defence in depth: with the mediator bypassed, the secure world accepts from
 * client c only PAs of slice c - 1.  An arg in another VM's shadow page is
 * EBADADDR; a TMEM in another slice, or straddling into the next, is
 * BAD_PARAMETERS; the same call inside its own slice works.
 */
static void test_secure_world_refuses_foreign(void **state)
{
	struct fx *f = *state;
	struct vm *v = &f->vm[1];
	const uint32_t client = v->id + 1;
	/* The mediator is idle: its last shadow page of each slice is free to borrow. */
	paddr_t own_arg = pa_add(v->slice.pa, (CARVEOUT_SHADOW_PAGES - 1) * PAGE);
	paddr_t foreign_arg = pa_add(f->vm[0].slice.pa, (CARVEOUT_SHADOW_PAGES - 1) * PAGE);
	struct optee_msg_arg *a = dram_view_ptr(f->hv.ns, own_arg, PAGE);
	struct optee_msg_arg *fa = dram_view_ptr(f->hv.ns, foreign_arg, PAGE);
	uint64_t g = pa_addr(v->slice.guest_pa), slice_end = pa_addr(v->slice.pa) + v->slice.bytes;
	uint8_t *gp = dram_view_ptr(f->hv.ns, v->slice.guest_pa, v->slice.guest_bytes);
	const uint64_t n = 64;
	uint8_t uuid[16];
	uint32_t session, origin, i;

	assert_non_null(a);
	assert_non_null(fa);
	assert_non_null(gp);
	assert_int_equal(hv_mediator_pages_in_use(f->hv.med), 0);
	uuid_octets(uuid, (struct ta_uuid)TA_ECHO_UUID);
	assert_int_equal(optee_drv_open_session(v->g->drv, uuid, 0, NULL, NULL, 0, &session,
						&origin), TEE_SUCCESS);
	/* Control: own shadow page, own guest part (its last pages are free: nothing held). */
	fill(gp + v->slice.guest_bytes - 2 * PAGE, n, 2);
	build_transform(a, session, slice_end - 2 * PAGE, slice_end - PAGE, n);
	assert_int_equal(raw_call(&v->sw_direct, pa_addr(own_arg), client), OPTEE_SMC_RETURN_OK);
	assert_int_equal(a->ret, TEE_SUCCESS);
	for (i = 0; i < n; i++)
		assert_int_equal(gp[v->slice.guest_bytes - PAGE + i],
				 (uint8_t)(gp[v->slice.guest_bytes - 2 * PAGE + i] ^ 0xA5));

	/* The arg in VM 0's shadow page: not this client's memory. */
	build_transform(fa, session, slice_end - 2 * PAGE, slice_end - PAGE, n);
	assert_int_equal(raw_call(&v->sw_direct, pa_addr(foreign_arg), client),
			 OPTEE_SMC_RETURN_EBADADDR);
	/* A TMEM in VM 0's guest part, or across the end of its own slice into VM 2's. */
	build_transform(a, session, pa_addr(f->vm[0].slice.guest_pa), slice_end - PAGE, n);
	assert_int_equal(raw_call(&v->sw_direct, pa_addr(own_arg), client), OPTEE_SMC_RETURN_OK);
	assert_int_equal(a->ret, TEE_ERROR_BAD_PARAMETERS);
	build_transform(a, session, slice_end - n / 2, g, n);
	assert_int_equal(raw_call(&v->sw_direct, pa_addr(own_arg), client), OPTEE_SMC_RETURN_OK);
	assert_int_equal(a->ret, TEE_ERROR_BAD_PARAMETERS);
	/* The hypervisor's client id shares nothing. */
	assert_int_equal(raw_call(&v->sw_direct, pa_addr(own_arg), 0), OPTEE_SMC_RETURN_ENOTAVAIL);
	memset(a, 0, PAGE);
	memset(fa, 0, PAGE);
	assert_int_equal(optee_drv_close_session(v->g->drv, session, &origin), TEE_SUCCESS);
	assert_int_equal(sw_check(f->hv.sw), 0);
}

/*
 * A VM destroyed mid-run: VM 2 leaves CARVEOUT_SHADOW_PAGES storage writes
 * suspended in RPC (every shadow page of its slice in use, so one more call
 * is told ETHREAD_LIMIT), then dies.  The secure world unwinds them and
 * reclaims the VM: sw_check is clean, nothing of it is mapped or booked, no
 * hypervisor page is held, and the other VMs go on.
 */
static void test_vm_destroyed_mid_run(void **state)
{
	struct fx *f = *state;
	struct vm *v = &f->vm[2];
	TEEC_SharedMemory blk;
	TEEC_Session s0;
	struct sw_client_info info;
	uint64_t base, shadows = hv_mediator_pages_in_use(f->hv.med);
	uint8_t *mem = raw_block(v, &blk, CARVEOUT_SHADOW_PAGES + 2, &base);
	uint8_t uuid[16];
	uint32_t session[CARVEOUT_SHADOW_PAGES + 1], origin, k;

	/* A session per call: a session runs one call at a time (TEE_ERROR_BUSY otherwise). */
	uuid_octets(uuid, (struct ta_uuid)TA_STORAGE_UUID);
	for (k = 0; k <= CARVEOUT_SHADOW_PAGES; k++)
		assert_int_equal(optee_drv_open_session(v->g->drv, uuid, 0, NULL, NULL, 0,
							&session[k], &origin), TEE_SUCCESS);
	for (k = 0; k <= CARVEOUT_SHADOW_PAGES; k++) {
		struct optee_msg_arg *a = (struct optee_msg_arg *)(mem + k * PAGE);
		uint64_t ipa = base + k * PAGE;
		struct smc_regs regs = { .a = { OPTEE_SMC_CALL_WITH_RPC_ARG,
						optee_smc_u64_high(ipa), optee_smc_u64_low(ipa) } };

		memset(a, 0, PAGE);
		a->cmd = OPTEE_MSG_CMD_INVOKE_COMMAND;
		a->func = TA_STORAGE_CMD_WRITE;
		a->session = session[k];
		a->num_params = 2;
		a->params[0].attr = OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
		a->params[0].u.value.a = 40 + k;
		a->params[1].attr = OPTEE_MSG_ATTR_TYPE_TMEM_INPUT;
		a->params[1].u.tmem.buf_ptr = base + (CARVEOUT_SHADOW_PAGES + 1) * PAGE;
		a->params[1].u.tmem.size = 100;
		assert_int_equal(smc_conduit_call(&v->g->from_guest, &regs), 0);
		if (k < CARVEOUT_SHADOW_PAGES) {
			/* Suspended: the TA asked for a buffer (RPC), and we never answer. */
			assert_true(optee_smc_return_is_rpc((uint32_t)regs.a[0]));
		} else {
			assert_int_equal(regs.a[0], OPTEE_SMC_RETURN_ETHREAD_LIMIT);
		}
	}
	assert_int_equal(hv_mediator_pages_in_use(f->hv.med), shadows + CARVEOUT_SHADOW_PAGES);
	assert_int_equal(sw_client_info(f->hv.sw, (uint16_t)(v->id + 1), &info), 0);
	assert_int_equal(info.threads_suspended, CARVEOUT_SHADOW_PAGES);
	assert_int_equal(info.sessions, CARVEOUT_SHADOW_PAGES + 1);
	assert_int_equal(sw_check(f->hv.sw), 0);

	/* The VM is gone without a word: the hypervisor removes it. */
	assert_int_equal(hv_guest_remove(f->hv.med, v->g->hg), 0);
	v->g->hg = NULL;
	assert_int_equal(hv_mediator_pages_in_use(f->hv.med), shadows);
	assert_int_equal(sw_client_info(f->hv.sw, (uint16_t)(v->id + 1), &info), 0);
	assert_false(info.alive);
	assert_int_equal(info.threads_running + info.threads_suspended, 0);
	assert_int_equal(info.sessions, 0);
	assert_int_equal(info.mappings, 0);
	assert_int_equal(core_mm_check_vm_clean(sw_mm(f->hv.sw), (uint16_t)(v->id + 1)), 0);
	assert_int_equal(sw_check(f->hv.sw), 0);
	/* What is left of its driver talks to nobody; its blocks are only local books. */
	inproc_hv_guest_orphan(&f->hv, v->id);
	TEEC_ReleaseSharedMemory(&blk);

	/* The others go on. */
	open_echo(&f->vm[0], &s0);
	echo_temp(&s0, 10000, 9);
	TEEC_CloseSession(&s0);
	assert_int_equal(sw_check(f->hv.sw), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_rule),
		cmocka_unit_test_setup_teardown(test_each_vm_through_its_slice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rpc_buffers_in_slice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exhaustion_per_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mediator_refuses_foreign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secure_world_refuses_foreign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vm_destroyed_mid_run, setup, teardown),
	};

	return cmocka_run_group_tests_name("carveout_vm", tests, NULL, NULL);
}
