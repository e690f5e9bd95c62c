/* PA index: interval-tree lookups agree with a naive list, invariants hold after every op. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "sim/common/ts_err.h"
#include "sim/secure/mm/pa_index.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* The naive model's answer: lowest (start, insertion order) run containing the range. */
static struct pa_run *naive_lookup(struct pa_run **live, size_t n, uint64_t pa, uint64_t len)
{
	struct pa_run *best = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		struct pa_run *r = live[i];

		if (r->pa_start <= pa && r->pa_start + r->size_bytes >= pa + len &&
		    (!best || r->pa_start < best->pa_start ||
		     (r->pa_start == best->pa_start && r->seq < best->seq)))
			best = r;
	}
	return best;
}

/* 50,000 random inserts, removes and lookups (overlapping runs included) agree with the naive model. */
static void test_random_differential(void **state)
{
	enum { MAX = 600 };
	struct pa_run *descs = calloc(MAX, sizeof(*descs));
	struct pa_run *live[MAX];
	struct pa_index idx;
	size_t n = 0, hits = 0;
	int op;

	(void)state;
	rng_state = 0xfeedface12345678ull;
	assert_int_equal(pa_index_init(&idx, descs, MAX), 0);
	for (op = 0; op < 50000; op++) {
		uint64_t r = rnd() % 100;

		if (r < 35 && n < MAX) {
			/* Mostly disjoint page runs over a 64 MiB window, some overlapping. */
			uint64_t pa = 0x80000000ull + (rnd() % 16384) * 4096;
			uint64_t size = (1 + rnd() % 16) * 4096;

			assert_int_equal(pa_index_insert(&idx, pa_init(pa), size, va_init(rnd() << 12),
							 NULL, &live[n]),
					 0);
			n++;
			assert_int_equal(pa_index_check(&idx), 0);
		} else if (r < 65 && n > 0) {
			size_t i = rnd() % n;

			pa_index_remove(&idx, live[i]);
			live[i] = live[--n];
			assert_int_equal(pa_index_check(&idx), 0);
		} else {
			uint64_t pa = 0x80000000ull + rnd() % (16400ull * 4096);
			uint64_t len = 1 + rnd() % 20000;
			struct pa_run *got = pa_index_lookup(&idx, pa_init(pa), len);

			assert_ptr_equal(got, naive_lookup(live, n, pa, len));
			hits += got != NULL;
		}
	}
	assert_true(hits > 1000);
	while (n)
		pa_index_remove(&idx, live[--n]);
	assert_int_equal(pa_index_check(&idx), 0);
	assert_int_equal(pa_index_available(&idx), MAX);
	free(descs);
}

/* Lookups need the whole range inside one run; bad ranges and exhausted descriptors are refused. */
static void test_edges(void **state)
{
	struct pa_run descs[2], *a, *b, *c;
	struct pa_index idx;

	(void)state;
	assert_int_equal(pa_index_init(&idx, descs, 2), 0);
	assert_int_equal(pa_index_insert(&idx, pa_init(0x1000), 0x2000, va_init(0x9000), NULL, &a), 0);
	assert_int_equal(pa_index_insert(&idx, pa_init(0x3000), 0x1000, va_init(0x5000), NULL, &b), 0);
	assert_ptr_equal(pa_index_lookup(&idx, pa_init(0x2fff), 1), a);
	assert_null(pa_index_lookup(&idx, pa_init(0x2fff), 2)); /* spans two runs */
	assert_ptr_equal(pa_index_lookup(&idx, pa_init(0x3000), 0x1000), b);
	assert_null(pa_index_lookup(&idx, pa_init(0x4000), 1));
	assert_null(pa_index_lookup(&idx, pa_init(0x1000), 0));
	assert_null(pa_index_lookup(&idx, pa_init(UINT64_MAX), 2));
	assert_int_equal(pa_index_insert(&idx, pa_init(0x8000), 0x1000, va_init(0), NULL, &c), TS_ENOMEM);
	pa_index_remove(&idx, a);
	assert_int_equal(pa_index_insert(&idx, pa_init(UINT64_MAX & ~0xfffull), 0x2000, va_init(0),
					 NULL, &c),
			 TS_EINVAL);
	assert_int_equal(pa_index_insert(&idx, pa_init(0x8000), 0, va_init(0), NULL, &c), TS_EINVAL);
	assert_int_equal(pa_index_check(&idx), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_differential),
		cmocka_unit_test(test_edges),
	};

	return cmocka_run_group_tests_name("pa_index", tests, NULL, NULL);
}
