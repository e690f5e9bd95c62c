/*
 * optee_os #6142: "TEEC_InvokeCommand with a registered buffer: ~20 us at
 * 4 KiB, ~400 us at 1 MiB -- cost grows with pages mapped per call".
 *
 * Under the dynamic strategy (OP-TEE's behaviour: map a registered buffer when
 * a call uses it, unmap it after) the modeled cost of one invoke on a
 * registered buffer must grow exactly linearly with its pages: every page
 * costs a PTE write and the per-page software work to map, the same to unmap,
 * and a table walk when the TA touches it.  The per-page software figures of
 * the profiles are calibrated to #6142 (profiles/README.md), so the slope is a
 * fit; the shape is the simulator's own.
 *
 * Under the cached strategy a buffer stays mapped after its first use, so a
 * second invoke on it writes no descriptor, issues no TLBI, maps nothing and
 * (the warm-up left every page in the TLB) walks nothing: its modeled cost is
 * the same for 1 page as for 256.  Modeled cycles are deterministic, so both
 * halves are exact on both shipped profiles.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sim/common/profile.h"
#include "sim/common/smc_channel.h"
#include "sim/common/strategy.h"
#include "sim/common/ta_ids.h"
#include "sim/normal/include/tee_client_api.h"
#include "sim/normal/optee_drv.h"
#include "sim/normal/teec_sim.h"
#include "sim/secure/cost.h"
#include "sim/secure/secure_world.h"
#include "tests/integration/inproc_world.h"

/* Buffer sizes in pages: 4 KiB (the report's small case) to 1 MiB (its large one). */
static const size_t sizes_pages[] = { 1, 2, 4, 16, 64, 256 };
#define N_SIZES (sizeof(sizes_pages) / sizeof(sizes_pages[0]))

struct counting {
	struct smc_conduit inner;
	uint64_t smcs;
};

static int counting_call(void *ctx, struct smc_regs *regs)
{
	struct counting *c = ctx;

	c->smcs++;
	return smc_conduit_call(&c->inner, regs);
}

static struct smc_conduit count_smcs(void *ctx, size_t cpu, struct smc_conduit inner)
{
	struct counting *c = ctx;

	(void)cpu;
	c->inner = inner;
	return (struct smc_conduit){ counting_call, c };
}

/* One normal world and the secure world, both halves running one strategy. */
struct rig {
	struct inproc_lone w;
	struct counting cpu;
};

/* The modeled cost of the warm-up and of the measured (second) invoke, per size. */
struct series {
	uint64_t warm_cycles[N_SIZES];
	uint64_t cycles[N_SIZES];
};

static void load_profile(const char *file, struct profile *prof)
{
	char path[1024], err[512];
	int r;

	snprintf(path, sizeof(path), "%s/profiles/%s", TEESHM_SOURCE_DIR, file);
	r = profile_load_file(path, prof, err, sizeof(err));
	if (r)
		print_error("%s\n", err);
	assert_int_equal(r, 0);
}

/* Worlds up under `strategy`; the secure TLB shaped as the profile's. */
static void rig_up(struct rig *r, const struct profile *prof, enum strategy_id strategy)
{
	const TEEC_UUID echo = TA_ECHO_UUID;
	struct inproc_lone_cfg cfg;

	memset(r, 0, sizeof(*r));
	inproc_lone_cfg_default(&cfg, strategy);
	cfg.sw.mm.tlb_entries = (uint32_t)prof->tlb_entries;
	cfg.sw.mm.tlb_ways = (uint32_t)prof->tlb_ways;
	cfg.wrap_cpu = count_smcs;
	cfg.wrap_ctx = &r->cpu;
	inproc_lone_up(&r->w, &cfg);
	inproc_lone_open_session(&r->w, &echo);
}

static void rig_down(struct rig *r)
{
	inproc_lone_client_down(&r->w);
	assert_int_equal(optee_drv_check(r->w.drv), 0);
	inproc_lone_drv_down(&r->w);
	assert_int_equal(sw_check(r->w.sw), 0);
	assert_int_equal(sw_mm(r->w.sw)->stats.stale_tlb_hits, 0);
	inproc_lone_down(&r->w);
}

/* Everything the cost model counts, read from the worlds right now. */
static struct cost_counts snapshot(struct rig *r)
{
	struct cost_counts c;

	core_mm_cost_counts(sw_mm(r->w.sw), &c);
	c.smcs = r->cpu.smcs;
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

/* One INC_INPLACE over the whole block; what it cost, as counts. */
static struct cost_counts invoke(struct rig *r, TEEC_SharedMemory *shm)
{
	TEEC_Operation op = { 0 };
	struct cost_counts before;
	uint32_t origin;

	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = shm;
	before = snapshot(r);
	assert_int_equal(TEEC_InvokeCommand(&r->w.sess, TA_ECHO_CMD_INC_INPLACE, &op, &origin),
			 TEEC_SUCCESS);
	return diff(before, snapshot(r));
}

static uint64_t tlbis(const struct cost_counts *d)
{
	return d->tlbi_va + d->tlbi_vaa + d->tlbi_range + d->tlbi_asid + d->tlbi_all;
}

/*
 * For each size: a fresh block, a warm-up invoke, then the measured invoke.
 * The counts each strategy must show per invoke are asserted here; the
 * cycles go to `out` for the shape checks.
 */
static void run_series(const struct profile *prof, enum strategy_id strategy, struct series *out)
{
	struct rig r;
	size_t k;

	rig_up(&r, prof, strategy);
	for (k = 0; k < N_SIZES; k++) {
		uint64_t n = sizes_pages[k];
		TEEC_SharedMemory shm = { .size = n * 4096,
					  .flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT };
		struct cost_counts warm, d;

		assert_int_equal(TEEC_AllocateSharedMemory(&r.w.ctx, &shm), TEEC_SUCCESS);
		memset(shm.buffer, 7, shm.size);
		warm = invoke(&r, &shm);
		d = invoke(&r, &shm);
		/* The TA's increments reached the client's pages, both times. */
		assert_int_equal(((uint8_t *)shm.buffer)[0], 9);
		assert_int_equal(((uint8_t *)shm.buffer)[shm.size - 1], 9);
		/* One SMC per invoke under both strategies (cached: CALL_WITH_REGD_ARG). */
		assert_int_equal(warm.smcs, 1);
		assert_int_equal(d.smcs, 1);
		if (strategy == STRATEGY_DYNAMIC) {
			/*
			 * Every call maps the block and the arg page, and unmaps both with
			 * one TLBI each; nothing of a call survives it, so the second
			 * call costs exactly what the first did.
			 */
			assert_int_equal(d.maps, 2);
			assert_int_equal(d.unmaps, 2);
			assert_int_equal(d.pages_mapped, n + 1);
			assert_int_equal(d.pages_unmapped, n + 1);
			assert_int_equal(d.tlbi_all, 2);
			assert_int_equal(tlbis(&d), 2);
			assert_memory_equal(&warm, &d, sizeof(d));
		} else {
			/*
			 * The warm-up maps the block, and only the block: the page of
			 * arg slots was registered and mapped by the session's first
			 * message (OpenSession) and stays mapped.  The second call
			 * finds the block mapped: no descriptor, no TLBI, no page
			 * mapped or unmapped.  The warm-up's walks also left every
			 * page in the TLB: 256 pages over 128 (A53) or 256 (A72) sets
			 * is at most two a set, plus the arg page, within 4 ways, and
			 * the stale entries the released blocks left (their TLBIs are
			 * batched) are older, so true LRU evicts them first.  So the
			 * second call walks nothing either: what is left is its SMC.
			 */
			assert_int_equal(warm.maps, 1);
			assert_int_equal(warm.pages_mapped, n);
			assert_int_equal(warm.pages_unmapped, 0);
			assert_int_equal(d.pte_writes, 0);
			assert_int_equal(tlbis(&d), 0);
			assert_int_equal(d.maps, 0);
			assert_int_equal(d.unmaps, 0);
			assert_int_equal(d.pages_mapped, 0);
			assert_int_equal(d.pages_unmapped, 0);
			assert_int_equal(d.walk_levels, 0);
		}
		out->warm_cycles[k] = profile_modeled_cycles(prof, &warm);
		out->cycles[k] = profile_modeled_cycles(prof, &d);
		TEEC_ReleaseSharedMemory(&shm);
		assert_int_equal(sw_check(r.w.sw), 0);
	}
	rig_down(&r);
}

static void print_table(const struct profile *prof, const char *strategy, const struct series *s)
{
	size_t k;

	print_message("%s, %s: second invoke on a registered block (first: warm-up)\n", prof->name,
		      strategy);
	print_message("  %5s %9s %10s %10s %12s\n", "pages", "bytes", "cycles", "ns", "warm-up ns");
	for (k = 0; k < N_SIZES; k++)
		print_message("  %5zu %9zu %10llu %10llu %12llu\n", sizes_pages[k],
			      sizes_pages[k] * 4096, (unsigned long long)s->cycles[k],
			      (unsigned long long)profile_cycles_to_ns(prof, s->cycles[k]),
			      (unsigned long long)profile_cycles_to_ns(prof, s->warm_cycles[k]));
}

/*
 * On the profile named by *state: under dynamic an invoke's modeled cost is
 * exactly fixed + pages * (2 pte_write + 3 walk_level + map_page + unmap_page);
 * under cached the second invoke on a block costs the same for every size.
 */
static void test_6142_on_profile(void **state)
{
	const char *file = *state;
	struct profile prof;
	struct series dyn, cached;
	uint64_t per_page, fixed;
	size_t k;

	load_profile(file, &prof);
	run_series(&prof, STRATEGY_DYNAMIC, &dyn);
	run_series(&prof, STRATEGY_CACHED, &cached);
	print_table(&prof, "dynamic", &dyn);
	print_table(&prof, "cached", &cached);

	/* dynamic: exactly linear, cost(n) = fixed + n * per_page for every size measured. */
	per_page = dyn.cycles[1] - dyn.cycles[0];
	fixed = dyn.cycles[0] - per_page;
	/*
	 * Per page: a PTE write and the software page work to map, the same to
	 * unmap, and a 3-level walk when the TA touches it.
	 */
	assert_int_equal(per_page, 2 * prof.pte_write_cycles + 3 * prof.walk_level_cycles +
					   prof.map_page_cycles + prof.unmap_page_cycles);
	for (k = 0; k < N_SIZES; k++)
		assert_int_equal(dyn.cycles[k], fixed + sizes_pages[k] * per_page);

	/* cached: flat, and below dynamic from the first page on. */
	for (k = 0; k < N_SIZES; k++) {
		assert_int_equal(cached.cycles[k],
				 prof.smc_round_trip_cycles + prof.smc_secure_entry_cycles);
		assert_true(cached.cycles[k] < dyn.cycles[k]);
	}
	assert_true(dyn.cycles[N_SIZES - 1] > dyn.cycles[0]);
}

int main(void)
{
	static char a53[] = "cortex-a53.ini", a72[] = "cortex-a72.ini";
	const struct CMUnitTest tests[] = {
		{ .name = "dynamic_linear_cached_flat_cortex_a53",
		  .test_func = test_6142_on_profile, .initial_state = a53 },
		{ .name = "dynamic_linear_cached_flat_cortex_a72",
		  .test_func = test_6142_on_profile, .initial_state = a72 },
	};

	return cmocka_run_group_tests_name("optee_os_6142", tests, NULL, NULL);
}
