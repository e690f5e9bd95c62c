/* VA-space allocator: invariants after every op, and exact agreement with a naive page-bitmap model. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sim/common/ts_err.h"
#include "sim/secure/mm/vaspace.h"

#define PAGE SMALL_PAGE_SIZE
/* An odd base (not 2 MiB aligned) so alignment handling is really exercised. */
#define BASE 0x7f0003000ull

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Naive reference: one owner slot per page (0 = free), lowest fit by linear scan. */
struct model {
	uint64_t n_pages;
	uint32_t *owner; /* owner id per page */
};

static int64_t model_alloc(struct model *m, uint64_t pages, uint64_t align_bytes, uint32_t id)
{
	uint64_t p;

	for (p = 0; p + pages <= m->n_pages; p++) {
		uint64_t q;

		if ((BASE + p * PAGE) % align_bytes)
			continue;
		for (q = 0; q < pages && !m->owner[p + q]; q++)
			;
		if (q == pages) {
			for (q = 0; q < pages; q++)
				m->owner[p + q] = id;
			return (int64_t)p;
		}
	}
	return -1;
}

struct live {
	struct va_area *area;
	uint64_t first_page, pages;
	uint32_t id;
};

/* 100,000 random allocs and frees agree exactly with the naive model; every invariant holds after each one. */
static void test_random_differential(void **state)
{
	enum { N_PAGES = 4096, MAX_LIVE = 1024 };
	static const uint64_t aligns_pages[] = { 1, 1, 1, 1, 2, 4, 16, 512 };
	struct va_area *descs = calloc(2 * MAX_LIVE + 4, sizeof(*descs));
	struct live *live = calloc(MAX_LIVE, sizeof(*live));
	struct model m = { N_PAGES, calloc(N_PAGES, sizeof(uint32_t)) };
	struct vaspace vs;
	uint32_t n_live = 0, next_id = 1;
	uint64_t allocs = 0, enospc = 0, frees = 0;
	int op;

	(void)state;
	rng_state = 0x1234567887654321ull;
	assert_int_equal(vaspace_init(&vs, va_init(BASE), N_PAGES * PAGE, descs, 2 * MAX_LIVE + 4), 0);
	for (op = 0; op < 100000; op++) {
		bool do_alloc = n_live == 0 || (n_live < MAX_LIVE && rnd() % 100 < 52);

		if (do_alloc) {
			uint64_t pages = rnd() % 8 ? 1 + rnd() % 8 : 1 + rnd() % 300;
			uint64_t guard = rnd() % 3 == 0 ? 1 : 0;
			uint64_t align = aligns_pages[rnd() % 8] * PAGE;
			struct va_area *a = NULL;
			int64_t expect = model_alloc(&m, pages + guard, align, next_id);
			int rc = vaspace_alloc(&vs, pages * PAGE, align, guard * PAGE,
					       (void *)(uintptr_t)next_id, &a);

			if (expect < 0) {
				assert_int_equal(rc, TS_ENOSPC);
				enospc++;
			} else {
				assert_int_equal(rc, 0);
				assert_int_equal(a->start, BASE + (uint64_t)expect * PAGE);
				assert_int_equal(a->size_bytes, (pages + guard) * PAGE);
				assert_int_equal(a->guard_bytes, guard * PAGE);
				live[n_live++] = (struct live){ a, (uint64_t)expect, pages + guard, next_id };
				next_id++;
				allocs++;
			}
		} else {
			uint32_t i = (uint32_t)(rnd() % n_live);
			uint64_t q;

			vaspace_free(&vs, live[i].area);
			for (q = 0; q < live[i].pages; q++)
				m.owner[live[i].first_page + q] = 0;
			live[i] = live[--n_live];
			frees++;
		}
		assert_int_equal(vaspace_check(&vs), 0);
		/* A random lookup agrees with the model's owner map. */
		{
			uint64_t p = rnd() % N_PAGES;
			struct va_area *a = vaspace_find(&vs, va_init(BASE + p * PAGE + rnd() % PAGE));

			if (m.owner[p])
				assert_int_equal((uintptr_t)a->owner, m.owner[p]);
			else
				assert_null(a);
		}
	}
	/* The sequence really exercised both outcomes. */
	assert_true(allocs > 30000 && frees > 30000 && enospc > 100);
	while (n_live)
		vaspace_free(&vs, live[--n_live].area);
	assert_int_equal(vaspace_check(&vs), 0);
	assert_int_equal(vs.stats.free_areas, 1);
	assert_int_equal(vs.stats.busy_bytes, 0);
	free(descs);
	free(live);
	free(m.owner);
}

/* The space can be filled exactly, then refuses, and a freed hole is reused at its own address. */
static void test_exhaustion_and_reuse(void **state)
{
	struct va_area descs[40], *a[16], *again;
	struct vaspace vs;
	int i;

	(void)state;
	assert_int_equal(vaspace_init(&vs, va_init(BASE), 16 * PAGE, descs, 40), 0);
	for (i = 0; i < 16; i++) {
		assert_int_equal(vaspace_alloc(&vs, PAGE, PAGE, 0, NULL, &a[i]), 0);
		assert_int_equal(a[i]->start, BASE + (uint64_t)i * PAGE);
	}
	assert_int_equal(vs.stats.free_areas, 0);
	assert_int_equal(vaspace_alloc(&vs, PAGE, PAGE, 0, NULL, &again), TS_ENOSPC);
	vaspace_free(&vs, a[9]);
	vaspace_free(&vs, a[10]);
	assert_int_equal(vaspace_check(&vs), 0);
	assert_int_equal(vs.stats.free_areas, 1); /* 9 and 10 merged */
	assert_int_equal(vaspace_alloc(&vs, 3 * PAGE, PAGE, 0, NULL, &again), TS_ENOSPC);
	assert_int_equal(vaspace_alloc(&vs, 2 * PAGE, PAGE, 0, NULL, &again), 0);
	assert_int_equal(again->start, BASE + 9 * PAGE);
	assert_int_equal(vaspace_check(&vs), 0);
}

/* Running out of descriptors fails with TS_ENOMEM and changes nothing. */
static void test_descriptor_exhaustion(void **state)
{
	struct va_area descs[3], *a, *b;
	struct vaspace vs;
	struct vaspace_stats before;

	(void)state;
	assert_int_equal(vaspace_init(&vs, va_init(BASE), 64 * PAGE, descs, 3), 0);
	/* 1 descriptor holds the free area; a left-aligned alloc needs one more. */
	assert_int_equal(vaspace_alloc(&vs, PAGE, PAGE, 0, NULL, &a), 0);
	/* Now 1 unused: a middle split (aligned 16 pages, inside the free area) needs two. */
	before = vs.stats;
	assert_int_equal(vaspace_alloc(&vs, PAGE, 16 * PAGE, 0, NULL, &b), TS_ENOMEM);
	assert_int_equal(vs.stats.busy_areas, before.busy_areas);
	assert_int_equal(vs.stats.free_areas, before.free_areas);
	assert_int_equal(vaspace_check(&vs), 0);
	/* A left-aligned one fits with the single descriptor left. */
	assert_int_equal(vaspace_alloc(&vs, PAGE, PAGE, 0, NULL, &b), 0);
	assert_int_equal(b->start, BASE + PAGE);
	assert_int_equal(vaspace_check(&vs), 0);
}

/* Alignment is honoured against absolute addresses, guard pages belong to their area, and bad arguments are refused. */
static void test_alignment_guard_args(void **state)
{
	struct va_area descs[16], *a, *b;
	struct vaspace vs;

	(void)state;
	assert_int_equal(vaspace_init(&vs, va_init(BASE), 2048 * PAGE, descs, 16), 0);
	assert_int_equal(vaspace_alloc(&vs, 512 * PAGE, 512 * PAGE, PAGE, NULL, &a), 0);
	assert_int_equal(a->start % (512 * PAGE), 0);
	assert_true(a->start >= BASE);
	assert_ptr_equal(vaspace_find(&vs, va_init(a->start + 512 * PAGE)), a); /* the guard */
	assert_null(vaspace_find(&vs, va_init(a->start + 513 * PAGE)));
	assert_null(vaspace_find(&vs, va_init(BASE - 1)));
	/* The hole below the aligned area stays usable. */
	assert_int_equal(vaspace_alloc(&vs, PAGE, PAGE, 0, NULL, &b), 0);
	assert_int_equal(b->start, BASE);
	assert_int_equal(vaspace_check(&vs), 0);

	assert_int_equal(vaspace_alloc(&vs, 0, PAGE, 0, NULL, &b), TS_EINVAL);
	assert_int_equal(vaspace_alloc(&vs, 100, PAGE, 0, NULL, &b), TS_EINVAL);
	assert_int_equal(vaspace_alloc(&vs, PAGE, 3 * PAGE, 0, NULL, &b), TS_EINVAL);
	assert_int_equal(vaspace_alloc(&vs, PAGE, 512, 0, NULL, &b), TS_EINVAL);
	assert_int_equal(vaspace_alloc(&vs, PAGE, PAGE, 10, NULL, &b), TS_EINVAL);
	assert_int_equal(vaspace_alloc(&vs, PAGE, PAGE, UINT64_MAX & ~SMALL_PAGE_MASK, NULL, &b),
			 TS_EINVAL);
	assert_int_equal(vaspace_alloc(&vs, 1ull << 40, PAGE, 0, NULL, &b), TS_ENOSPC);
	assert_int_equal(vaspace_init(&vs, va_init(BASE + 1), PAGE, descs, 16), TS_EINVAL);
	assert_int_equal(vaspace_init(&vs, va_init(UINT64_MAX & ~SMALL_PAGE_MASK), 2 * PAGE, descs, 16),
			 TS_EINVAL);
}

/* The checker is not vacuous: a broken augmented value, a gap, or lost stats are all caught. */
static void test_check_catches_corruption(void **state)
{
	struct va_area descs[8], *a, *b;
	struct vaspace vs;

	(void)state;
	assert_int_equal(vaspace_init(&vs, va_init(BASE), 64 * PAGE, descs, 8), 0);
	assert_int_equal(vaspace_alloc(&vs, 4 * PAGE, PAGE, 0, NULL, &a), 0);
	assert_int_equal(vaspace_alloc(&vs, 4 * PAGE, PAGE, 0, NULL, &b), 0);
	assert_int_equal(vaspace_check(&vs), 0);
	a->size_bytes -= PAGE; /* a gap between a and b */
	assert_int_equal(vaspace_check(&vs), TS_EINVAL);
	a->size_bytes += PAGE;
	rb_entry(vs.free_root.rb_node, struct va_area, node)->subtree_max_bytes += PAGE;
	assert_int_equal(vaspace_check(&vs), TS_EINVAL);
	rb_entry(vs.free_root.rb_node, struct va_area, node)->subtree_max_bytes -= PAGE;
	vs.stats.busy_bytes++;
	assert_int_equal(vaspace_check(&vs), TS_EINVAL);
	vs.stats.busy_bytes--;
	assert_int_equal(vaspace_check(&vs), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_differential),
		cmocka_unit_test(test_exhaustion_and_reuse),
		cmocka_unit_test(test_descriptor_exhaustion),
		cmocka_unit_test(test_alignment_guard_args),
		cmocka_unit_test(test_check_catches_corruption),
	};

	return cmocka_run_group_tests_name("vaspace", tests, NULL, NULL);
}
