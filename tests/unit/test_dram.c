/* Simulated DRAM: layout, region queries, views and bounds refusal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sim/common/dram.h"
#include "sim/common/ts_err.h"

static struct dram_config small_config(uint32_t n_guests)
{
	struct dram_config cfg;

	dram_config_default(&cfg);
	cfg.guest_ram_bytes = 8ull << 20;
	cfg.n_guests = n_guests;
	return cfg;
}

/* Regions start at 0x40000000, are 2 MiB aligned, sorted, disjoint, and secure exactly where they should be. */
static void test_layout_regions(void **state)
{
	struct dram_config cfg = small_config(3);
	struct dram_layout *l;
	char err[128];
	uint32_t i;

	(void)state;
	assert_int_equal(dram_layout_create(&cfg, &l, err, sizeof(err)), 0);
	assert_int_equal(l->n_regions, 5 + 3);
	assert_int_equal(pa_addr(l->regions[0].base), 0x40000000);
	for (i = 0; i < l->n_regions; i++) {
		const struct dram_region *r = &l->regions[i];

		assert_int_equal(pa_addr(r->base) % DRAM_REGION_ALIGN_BYTES, 0);
		assert_int_equal(r->file_offset, pa_addr(r->base) - DRAM_PA_BASE);
		assert_int_equal(r->secure, r->kind <= DRAM_XLAT_POOL);
		if (i > 0)
			assert_true(pa_addr(r->base) >=
				    pa_addr(l->regions[i - 1].base) + l->regions[i - 1].size_bytes);
	}
	assert_int_equal(dram_region_find(l, DRAM_CARVEOUT, 0)->size_bytes, 1 << 20);
	assert_int_equal(dram_region_find(l, DRAM_GUEST_RAM, 2)->guest, 2);
	assert_null(dram_region_find(l, DRAM_GUEST_RAM, 3));
	assert_int_equal(l->span_bytes, pa_addr(l->regions[7].base) + (8 << 20) - DRAM_PA_BASE);
	assert_false(dram_region_find(l, DRAM_HV_RAM, 0)->secure);
	dram_layout_destroy(l);
}

/* dram_region_at finds the region of every byte and nothing in gaps or outside DRAM. */
static void test_region_at(void **state)
{
	struct dram_config cfg = small_config(2);
	const struct dram_region *carve, *g1;
	struct dram_layout *l;

	(void)state;
	cfg.carveout_bytes = 1 << 20; /* leaves a 1 MiB gap before the next 2 MiB boundary */
	assert_int_equal(dram_layout_create(&cfg, &l, NULL, 0), 0);
	carve = dram_region_find(l, DRAM_CARVEOUT, 0);
	g1 = dram_region_find(l, DRAM_GUEST_RAM, 1);
	assert_ptr_equal(dram_region_at(l, carve->base), carve);
	assert_ptr_equal(dram_region_at(l, pa_add(carve->base, carve->size_bytes - 1)), carve);
	assert_null(dram_region_at(l, pa_add(carve->base, carve->size_bytes))); /* the gap */
	assert_null(dram_region_at(l, pa_init(DRAM_PA_BASE - 1)));
	assert_null(dram_region_at(l, pa_init(0)));
	assert_ptr_equal(dram_region_at(l, pa_add(g1->base, g1->size_bytes - 1)), g1);
	assert_null(dram_region_at(l, pa_add(g1->base, g1->size_bytes)));
	/* Ranges must lie inside one region. */
	assert_ptr_equal(dram_range_region(l, g1->base, g1->size_bytes), g1);
	assert_null(dram_range_region(l, g1->base, g1->size_bytes + 1));
	assert_null(dram_range_region(l, pa_add(g1->base, 8), UINT64_MAX));
	assert_null(dram_range_region(l, g1->base, 0));
	dram_layout_destroy(l);
}

/* Bad configurations are refused with a message that names the field. */
static void test_layout_bad_config(void **state)
{
	struct dram_config cfg = small_config(1);
	struct dram_layout *l = NULL;
	char err[160];

	(void)state;
	cfg.carveout_bytes = 1000;
	assert_int_equal(dram_layout_create(&cfg, &l, err, sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, "carveout_bytes"));
	cfg = small_config(0);
	assert_int_equal(dram_layout_create(&cfg, &l, err, sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, "n_guests"));
	cfg = small_config(1);
	cfg.guest_ram_bytes = 0;
	assert_int_equal(dram_layout_create(&cfg, &l, err, sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, "guest_ram_bytes"));
	cfg = small_config(100000);
	cfg.guest_ram_bytes = 1ull << 30;
	assert_int_equal(dram_layout_create(&cfg, &l, err, sizeof(err)), TS_ERANGE);
	assert_null(l);
}

/* A guest view maps only its own RAM: every other region's PA is refused, and the data is shared with the full view. */
static void test_guest_view_isolation(void **state)
{
	struct dram_config cfg = small_config(2);
	struct dram_view *all, *g0;
	const struct dram_region *r0, *r1, *core;
	struct dram *d;
	uint8_t *p_guest, *p_all;
	paddr_t pa;
	char err[128];

	(void)state;
	assert_int_equal(dram_create(&cfg, &d, err, sizeof(err)), 0);
	r0 = dram_region_find(d->layout, DRAM_GUEST_RAM, 0);
	r1 = dram_region_find(d->layout, DRAM_GUEST_RAM, 1);
	core = dram_region_find(d->layout, DRAM_SECURE_CORE, 0);
	assert_int_equal(dram_view_open(d, &r0, 1, &g0), 0);
	assert_int_equal(dram_view_open_all(d, &all), 0);

	assert_non_null(dram_view_ptr(g0, r0->base, 4096));
	assert_null(dram_view_ptr(g0, r1->base, 1));
	assert_null(dram_view_ptr(g0, core->base, 1));
	assert_null(dram_view_ptr(g0, dram_region_find(d->layout, DRAM_CARVEOUT, 0)->base, 1));
	/* A range that starts inside the guest's RAM and runs past its end is refused whole. */
	assert_null(dram_view_ptr(g0, pa_add(r0->base, r0->size_bytes - 8), 16));
	assert_non_null(dram_view_ptr(all, core->base, core->size_bytes));

	/* Both views see the same memory. */
	p_guest = dram_view_ptr(g0, pa_add(r0->base, 0x3000), 16);
	p_all = dram_view_ptr(all, pa_add(r0->base, 0x3000), 16);
	assert_ptr_not_equal(p_guest, p_all);
	memcpy(p_guest, "teeshm-dram-test", 16);
	assert_memory_equal(p_all, "teeshm-dram-test", 16);

	assert_int_equal(dram_view_pa(g0, p_guest + 5, &pa), 0);
	assert_int_equal(pa_addr(pa), pa_addr(r0->base) + 0x3005);
	assert_int_equal(dram_view_pa(g0, &pa, &pa), TS_EFAULT);

	dram_view_close(g0);
	dram_view_close(all);
	dram_destroy(d);
}

/* A view refuses duplicate or foreign regions and leaves nothing mapped. */
static void test_view_bad_regions(void **state)
{
	struct dram_config cfg = small_config(1);
	const struct dram_region *dup[2], foreign = { .kind = DRAM_GUEST_RAM };
	const struct dram_region *fp = &foreign;
	struct dram_view *v = NULL;
	struct dram *d;

	(void)state;
	assert_int_equal(dram_create(&cfg, &d, NULL, 0), 0);
	dup[0] = dup[1] = dram_region_find(d->layout, DRAM_GUEST_RAM, 0);
	assert_int_equal(dram_view_open(d, dup, 2, &v), TS_EINVAL);
	assert_int_equal(dram_view_open(d, &fp, 1, &v), TS_EINVAL);
	assert_null(v);
	dram_destroy(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_regions),
		cmocka_unit_test(test_region_at),
		cmocka_unit_test(test_layout_bad_config),
		cmocka_unit_test(test_guest_view_isolation),
		cmocka_unit_test(test_view_bad_regions),
	};

	return cmocka_run_group_tests_name("dram", tests, NULL, NULL);
}
