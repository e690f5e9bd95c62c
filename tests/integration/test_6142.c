/*
 * optee_os #6142: "TEEC_InvokeCommand with a registered buffer: ~20 us at
 * 4 KiB, ~400 us at 1 MiB -- cost grows with pages mapped per call".  Under
 * the dynamic strategy (OP-TEE's behaviour: map a registered buffer when a
 * call uses it, unmap it after) the modeled cost of one invoke on a
 * registered buffer must grow exactly linearly with its pages: every page
 * costs a PTE write to map, one to unmap, and a table walk when the TA
 * touches it.  Modeled cycles are deterministic, so the test is exact.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sim/common/dram.h"
#include "sim/common/profile.h"
#include "sim/common/smc_channel.h"
#include "sim/common/ta_ids.h"
#include "sim/normal/guest_mem.h"
#include "sim/normal/include/tee_client_api.h"
#include "sim/normal/optee_drv.h"
#include "sim/normal/teec_sim.h"
#include "sim/secure/cost.h"
#include "sim/secure/secure_world.h"

struct counting {
	struct smc_inproc p;
	struct smc_conduit inner;
	uint64_t smcs;
};

static int counting_call(void *ctx, struct smc_regs *regs)
{
	struct counting *c = ctx;

	c->smcs++;
	return smc_conduit_call(&c->inner, regs);
}

/* Everything the cost model counts, read from the worlds right now. */
static struct cost_counts snapshot(struct secure_world *sw, const struct counting *cpu)
{
	struct cost_counts c;

	core_mm_cost_counts(sw_mm(sw), &c);
	c.smcs = cpu->smcs;
	return c;
}

static struct cost_counts diff(struct cost_counts a, struct cost_counts b)
{
	struct cost_counts d;

#define DIFF(name) d.name = b.name - a.name;
	COST_COUNTS_FIELDS(DIFF)
#undef DIFF
	return d;
}

/* The modeled cost of one INC_INPLACE invoke over a registered buffer grows exactly linearly with its pages. */
static void test_invoke_cost_linear_in_pages(void **state)
{
	static const size_t pages[] = { 1, 2, 4, 16, 64, 256 };
	uint64_t cycles[6];
	const TEEC_UUID echo = TA_ECHO_UUID;
	struct dram_config dc;
	struct dram *dram;
	struct dram_view *view;
	const struct dram_region *guest;
	struct secure_world *sw;
	struct sw_config sc;
	struct guest_mem gm;
	struct counting cpu = { 0 };
	struct smc_conduit conduit = { counting_call, &cpu };
	struct optee_drv_config nc = { 0 };
	struct optee_drv *drv;
	struct profile prof;
	TEEC_Context ctx;
	TEEC_Session s;
	uint32_t origin;
	char err[256];
	size_t k;

	(void)state;
	assert_int_equal(profile_load_file(TEESHM_SOURCE_DIR "/profiles/cortex-a53.ini", &prof, err,
					   sizeof(err)), 0);
	dram_config_default(&dc);
	dc.guest_ram_bytes = 16ull << 20;
	assert_int_equal(dram_create(&dc, &dram, err, sizeof(err)), 0);
	sw_config_default(&sc);
	assert_int_equal(sw_create(&sc, dram, &sw, err, sizeof(err)), 0);
	guest = dram_region_find(dram->layout, DRAM_GUEST_RAM, 0);
	assert_int_equal(dram_view_open(dram, &guest, 1, &view), 0);
	assert_int_equal(guest_mem_init(&gm, guest->base, dram_view_ptr(view, guest->base, guest->size_bytes),
					guest->size_bytes), 0);
	cpu.inner = smc_inproc_conduit(&cpu.p, sw_smc, sw);
	nc.mem = &gm;
	nc.conduits = &conduit;
	nc.n_conduits = 1;
	assert_int_equal(optee_drv_create(&nc, &drv), 0);
	teec_set_default_driver(drv);
	assert_int_equal(TEEC_InitializeContext(NULL, &ctx), TEEC_SUCCESS);
	assert_int_equal(TEEC_OpenSession(&ctx, &s, &echo, TEEC_LOGIN_PUBLIC, NULL, NULL, &origin),
			 TEEC_SUCCESS);

	for (k = 0; k < sizeof(pages) / sizeof(pages[0]); k++) {
		TEEC_SharedMemory shm = { .size = pages[k] * 4096, .flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT };
		TEEC_Operation op = { 0 };
		struct cost_counts before, d;

		assert_int_equal(TEEC_AllocateSharedMemory(&ctx, &shm), TEEC_SUCCESS);
		memset(shm.buffer, 7, shm.size);
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE, TEEC_NONE);
		op.params[0].memref.parent = &shm;
		before = snapshot(sw, &cpu);
		assert_int_equal(TEEC_InvokeCommand(&s, TA_ECHO_CMD_INC_INPLACE, &op, &origin), TEEC_SUCCESS);
		d = diff(before, snapshot(sw, &cpu));
		assert_int_equal(((uint8_t *)shm.buffer)[shm.size - 1], 8);
		/* One SMC and one TLBI per invoke whatever the size; the rest is per page. */
		assert_int_equal(d.smcs, 1);
		assert_int_equal(d.tlbi_all, 2); /* the buffer's unmap and the arg page's */
		cycles[k] = profile_modeled_cycles(&prof, &d);
		print_message("%4zu pages (%7zu bytes): %8lu cycles = %6lu ns modeled on %s\n", pages[k],
			      pages[k] * 4096, (unsigned long)cycles[k],
			      (unsigned long)profile_cycles_to_ns(&prof, cycles[k]), prof.name);
		TEEC_ReleaseSharedMemory(&shm);
	}
	/* Exactly linear: cost(n) = fixed + n * per_page for every size measured. */
	{
		uint64_t per_page = cycles[1] - cycles[0], fixed = cycles[0] - per_page;

		/* Per page: a PTE write to map, one to unmap, and a walk when the TA touches it. */
		assert_int_equal(per_page, 2 * prof.pte_write_cycles + 3 * prof.walk_level_cycles);
		for (k = 0; k < sizeof(pages) / sizeof(pages[0]); k++)
			assert_int_equal(cycles[k], fixed + pages[k] * per_page);
	}
	TEEC_CloseSession(&s);
	TEEC_FinalizeContext(&ctx);
	teec_set_default_driver(NULL);
	optee_drv_destroy(drv);
	assert_int_equal(sw_check(sw), 0);
	guest_mem_fini(&gm);
	sw_destroy(sw);
	dram_view_close(view);
	dram_destroy(dram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invoke_cost_linear_in_pages),
	};

	return cmocka_run_group_tests_name("optee_os_6142", tests, NULL, NULL);
}
