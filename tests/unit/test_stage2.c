/* Stage-2 maps: a scattered bijection of chunks, inverse translations, and a guest mapping in IPA order. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sim/common/dram.h"
#include "sim/common/stage2.h"
#include "sim/common/ts_err.h"

/* Every chunk of the guest's RAM appears exactly once, not in order, and the translations invert. */
static void test_scatter_is_bijection(void **state)
{
	struct dram_config dc;
	struct dram_layout *l;
	const struct dram_region *r;
	struct stage2_map m;
	uint32_t i, in_place = 0;
	uint8_t *seen;

	(void)state;
	dram_config_default(&dc);
	dc.guest_ram_bytes = 16ull << 20;
	assert_int_equal(dram_layout_create(&dc, &l, NULL, 0), 0);
	r = dram_region_find(l, DRAM_GUEST_RAM, 0);
	assert_int_equal(stage2_build(&m, r, STAGE2_GUEST_IPA_BASE, 42), 0);
	assert_int_equal(m.n_chunks, 256);
	seen = calloc(m.n_chunks, 1);
	for (i = 0; i < m.n_chunks; i++) {
		uint64_t idx = (pa_addr(m.chunk_pa[i]) - pa_addr(r->base)) / STAGE2_CHUNK_BYTES;
		uint64_t ipa = STAGE2_GUEST_IPA_BASE + (uint64_t)i * STAGE2_CHUNK_BYTES + 0x123, back;
		paddr_t pa;

		assert_true(idx < m.n_chunks);
		assert_false(seen[idx]);
		seen[idx] = 1;
		in_place += idx == i;
		assert_int_equal(stage2_ipa_to_pa(&m, ipa, 16, &pa), 0);
		assert_int_equal(pa_addr(pa), pa_addr(m.chunk_pa[i]) + 0x123);
		assert_int_equal(stage2_pa_to_ipa(&m, pa, &back), 0);
		assert_int_equal(back, ipa);
	}
	assert_true(in_place < 8); /* really scattered */
	/* Crossing a chunk, or outside the guest, is refused. */
	{
		paddr_t pa;

		assert_int_equal(stage2_ipa_to_pa(&m, STAGE2_GUEST_IPA_BASE + STAGE2_CHUNK_BYTES - 8, 16, &pa),
				 TS_ERANGE);
		assert_int_equal(stage2_ipa_to_pa(&m, STAGE2_GUEST_IPA_BASE - 1, 1, &pa), TS_EFAULT);
		assert_int_equal(stage2_ipa_to_pa(&m, STAGE2_GUEST_IPA_BASE + r->size_bytes, 1, &pa),
				 TS_EFAULT);
	}
	free(seen);
	stage2_free(&m);
	dram_layout_destroy(l);
}

/* The guest's IPA-ordered mapping shows the bytes at the scattered PAs everyone else sees. */
static void test_guest_mapping(void **state)
{
	struct dram_config dc;
	struct dram *d;
	struct dram_view *all;
	const struct dram_region *r;
	struct stage2_map m;
	uint8_t *guest;
	void *host;
	uint32_t i;

	(void)state;
	dram_config_default(&dc);
	dc.guest_ram_bytes = 4ull << 20;
	assert_int_equal(dram_create(&dc, &d, NULL, 0), 0);
	assert_int_equal(dram_view_open_all(d, &all), 0);
	r = dram_region_find(d->layout, DRAM_GUEST_RAM, 0);
	assert_int_equal(stage2_build(&m, r, STAGE2_GUEST_IPA_BASE, 7), 0);
	assert_int_equal(stage2_map_guest_ram(&m, d->fd, &host), 0);
	guest = host;
	for (i = 0; i < m.n_chunks; i++)
		memset(dram_view_ptr(all, m.chunk_pa[i], 1), (int)(i + 1), 1);
	for (i = 0; i < m.n_chunks; i++)
		assert_int_equal(guest[(uint64_t)i * STAGE2_CHUNK_BYTES], (uint8_t)(i + 1));
	stage2_unmap_guest_ram(&m, host);
	stage2_free(&m);
	dram_view_close(all);
	dram_destroy(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scatter_is_bijection),
		cmocka_unit_test(test_guest_mapping),
	};

	return cmocka_run_group_tests_name("stage2", tests, NULL, NULL);
}
