/*
 * Unit tests for the workload generators (workloads/gen.c): each one is
 * deterministic for its parameters, writes a trace the parser
 * (workloads/trace.c) accepts, with every VM started before its first op
 * and stopped after its last, every session and block released, and the
 * sizes and concurrency its name promises.
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/ts_err.h"
#include "workloads/gen.h"
#include "workloads/trace.h"

#define KIB 1024ull
#define MIB (1024ull * 1024ull)
#define MAX_TEST_VMS 8u
#define MAX_TEST_NAMES 64u /* the generators use small names */

struct text {
	char *buf;
	size_t len;
};

static int generate(const char *name, uint32_t vms, uint64_t seed, uint32_t ops, struct text *out,
		    char *err, size_t err_bytes)
{
	struct workload_gen_params p = { .vms = vms, .seed = seed, .ops = ops };
	FILE *f;
	int rc;

	out->buf = NULL;
	out->len = 0;
	f = open_memstream(&out->buf, &out->len);
	assert_non_null(f);
	rc = workload_generate(name, &p, f, err, err_bytes);
	assert_int_equal(fclose(f), 0);
	return rc;
}

/* Generate and parse; fails the test if either fails. */
static struct trace *generate_parsed(const char *name, uint32_t vms, uint64_t seed, uint32_t ops,
				     struct text *text)
{
	char err[512] = "";
	struct trace *t = NULL;
	int rc;

	rc = generate(name, vms, seed, ops, text, err, sizeof(err));
	if (rc)
		fail_msg("%s: %s", name, err);
	rc = trace_parse(text->buf, text->len, name, &t, err, sizeof(err));
	if (rc)
		fail_msg("%s vms=%u seed=%llu: %s", name, vms, (unsigned long long)seed, err);
	return t;
}

static size_t count_verb(const struct trace *t, enum trace_verb verb)
{
	size_t n, count = 0;

	for (n = 0; n < t->n_ops; n++)
		count += t->ops[n].verb == verb;
	return count;
}

/* What is live, per VM, as a trace runs; and the peaks over all VMs. */
struct live {
	bool started[MAX_TEST_VMS];
	bool stopped[MAX_TEST_VMS];
	bool session[MAX_TEST_VMS][MAX_TEST_NAMES];
	bool block[MAX_TEST_VMS][MAX_TEST_NAMES];
	uint32_t sessions, blocks;         /* now, over all VMs */
	uint32_t peak_sessions, peak_blocks;
};

/*
 * Walk the ops as a replayer would and check the life cycle: a VM's first op
 * is its start and nothing follows its stop, every name is opened before use
 * and released by the end, nothing carries expect=.  Fills l (with the
 * peaks); check_op, when given, sees every op with the live state after it.
 */
typedef void (*op_check_fn)(const struct trace_op *op, const struct live *l, void *arg);

static void walk(const struct trace *t, struct live *l, op_check_fn check_op, void *arg)
{
	size_t n;
	uint32_t v;

	memset(l, 0, sizeof(*l));
	assert_true(t->n_vms <= MAX_TEST_VMS);
	for (n = 0; n < t->n_ops; n++) {
		const struct trace_op *op = &t->ops[n];
		uint32_t k;

		assert_true(op->verb != TRACE_CHECKPOINT);
		assert_false(op->has_expect);
		assert_true(op->vm < MAX_TEST_VMS);
		v = op->vm;
		if (op->verb == TRACE_VM_START) {
			assert_false(l->started[v]);
			l->started[v] = true;
			continue;
		}
		assert_true(l->started[v]);
		assert_false(l->stopped[v]);
		switch (op->verb) {
		case TRACE_VM_STOP:
			for (k = 0; k < MAX_TEST_NAMES; k++) {
				assert_false(l->session[v][k]);
				assert_false(l->block[v][k]);
			}
			l->stopped[v] = true;
			break;
		case TRACE_OPEN:
			assert_true(op->name < MAX_TEST_NAMES);
			assert_false(l->session[v][op->name]);
			l->session[v][op->name] = true;
			l->sessions++;
			break;
		case TRACE_CLOSE:
			assert_true(op->name < MAX_TEST_NAMES && l->session[v][op->name]);
			l->session[v][op->name] = false;
			l->sessions--;
			break;
		case TRACE_ALLOC:
		case TRACE_REGISTER:
			assert_true(op->name < MAX_TEST_NAMES);
			assert_false(l->block[v][op->name]);
			l->block[v][op->name] = true;
			l->blocks++;
			break;
		case TRACE_RELEASE:
			assert_true(op->name < MAX_TEST_NAMES && l->block[v][op->name]);
			l->block[v][op->name] = false;
			l->blocks--;
			break;
		case TRACE_INVOKE:
			assert_true(op->name < MAX_TEST_NAMES && l->session[v][op->name]);
			for (k = 0; k < TRACE_MAX_PARAMS; k++) {
				const struct trace_param *p = &op->params[k];

				if (p->kind == TRACE_P_WHOLE || p->kind == TRACE_P_PART)
					assert_true(p->shm < MAX_TEST_NAMES &&
						    l->block[v][p->shm]);
			}
			break;
		default:
			fail_msg("line %u: a generator wrote verb %d", op->line, (int)op->verb);
		}
		if (l->sessions > l->peak_sessions)
			l->peak_sessions = l->sessions;
		if (l->blocks > l->peak_blocks)
			l->peak_blocks = l->blocks;
		if (check_op)
			check_op(op, l, arg);
	}
	for (v = 0; v < t->n_vms; v++)
		assert_true(l->started[v] && l->stopped[v]);
	assert_int_equal(l->sessions, 0);
	assert_int_equal(l->blocks, 0);
}

static const char *const names[] = { "reuse-heavy", "streaming", "large-buffer", "many-sessions" };
#define N_NAMES (sizeof(names) / sizeof(names[0]))

/* The names list is exactly the four generators, NULL-terminated. */
static void test_names(void **state)
{
	const char *const *g = workload_generator_names();
	size_t n;

	(void)state;
	for (n = 0; n < N_NAMES; n++) {
		assert_non_null(g[n]);
		assert_string_equal(g[n], names[n]);
	}
	assert_null(g[N_NAMES]);
}

/* An unknown name is TS_EINVAL, writes nothing, and the message lists every generator. */
static void test_unknown_name(void **state)
{
	char err[512] = "";
	struct text text;
	size_t n;

	(void)state;
	assert_int_equal(generate("reuse_heavy", 0, 0, 0, &text, err, sizeof(err)), TS_EINVAL);
	assert_int_equal(text.len, 0);
	assert_non_null(strstr(err, "reuse_heavy"));
	for (n = 0; n < N_NAMES; n++)
		assert_non_null(strstr(err, names[n]));
	free(text.buf);
}

/* Parameters out of range are refused with a message, before anything is written. */
static void test_bad_params(void **state)
{
	char err[256];
	struct text text;

	(void)state;
	err[0] = 0;
	assert_int_equal(generate("streaming", TRACE_MAX_VMS + 1, 1, 1, &text, err, sizeof(err)),
			 TS_EINVAL);
	assert_int_equal(text.len, 0);
	assert_non_null(strstr(err, "vms"));
	free(text.buf);
	err[0] = 0;
	assert_int_equal(generate("reuse-heavy", 1, 1, WORKLOAD_GEN_MAX_OPS + 1, &text, err,
				  sizeof(err)),
			 TS_EINVAL);
	assert_non_null(strstr(err, "ops"));
	free(text.buf);
	assert_int_equal(workload_generate(NULL, NULL, stdout, err, sizeof(err)), TS_EINVAL);
	assert_int_equal(workload_generate("streaming", NULL, NULL, err, sizeof(err)), TS_EINVAL);
}

/* A stream that cannot be written is TS_EIO, not a silent short trace. */
static void test_io_error(void **state)
{
	char err[256] = "";
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	if (!f)
		skip();
	assert_int_equal(workload_generate("streaming", NULL, f, err, sizeof(err)), TS_EIO);
	assert_non_null(strstr(err, "streaming"));
	fclose(f);
}

/* NULL parameters are the defaults, the same text as all-zero parameters. */
static void test_null_params_are_defaults(void **state)
{
	size_t n;

	(void)state;
	for (n = 0; n < N_NAMES; n++) {
		char *buf = NULL;
		size_t len = 0;
		char err[256];
		struct text zero;
		FILE *f = open_memstream(&buf, &len);

		assert_non_null(f);
		assert_int_equal(workload_generate(names[n], NULL, f, err, sizeof(err)), 0);
		assert_int_equal(fclose(f), 0);
		assert_int_equal(generate(names[n], 0, 0, 0, &zero, err, sizeof(err)), 0);
		assert_int_equal(len, zero.len);
		assert_memory_equal(buf, zero.buf, len);
		free(buf);
		free(zero.buf);
	}
}

static bool params_differ(const struct trace_param *x, const struct trace_param *y)
{
	return x->kind != y->kind || x->dir != y->dir || x->shm != y->shm ||
	       x->offset_bytes != y->offset_bytes || x->size_bytes != y->size_bytes ||
	       x->a != y->a || x->b != y->b;
}

/* Do two traces do different things (line numbers and the data seed aside)? */
static bool ops_differ(const struct trace *a, const struct trace *b)
{
	size_t n, k;

	if (a->n_ops != b->n_ops)
		return true;
	for (n = 0; n < a->n_ops; n++) {
		const struct trace_op *x = &a->ops[n];
		const struct trace_op *y = &b->ops[n];

		if (x->verb != y->verb || x->vm != y->vm || x->name != y->name ||
		    x->size_bytes != y->size_bytes || x->dir != y->dir || x->cmd != y->cmd)
			return true;
		for (k = 0; k < TRACE_MAX_PARAMS; k++)
			if (params_differ(&x->params[k], &y->params[k]))
				return true;
	}
	return false;
}

/*
 * Same parameters give the same bytes; another seed gives another data seed,
 * and other ops for the randomized generators (many-sessions is a fixed
 * pattern by design: only its data differs).
 */
static void test_deterministic(void **state)
{
	static const uint32_t vms[] = { 1, 3 };
	size_t n, k;

	(void)state;
	for (n = 0; n < N_NAMES; n++) {
		for (k = 0; k < sizeof(vms) / sizeof(vms[0]); k++) {
			struct text a, b, c;
			struct trace *ta = generate_parsed(names[n], vms[k], 11, 0, &a);
			struct trace *tb = generate_parsed(names[n], vms[k], 11, 0, &b);
			struct trace *tc = generate_parsed(names[n], vms[k], 12, 0, &c);

			assert_int_equal(a.len, b.len);
			assert_memory_equal(a.buf, b.buf, a.len);
			assert_false(ops_differ(ta, tb));
			assert_int_equal(ta->seed, 11);
			assert_int_equal(tc->seed, 12);
			if (strcmp(names[n], "many-sessions"))
				assert_true(ops_differ(ta, tc));
			else
				assert_false(ops_differ(ta, tc));
			trace_free(ta);
			trace_free(tb);
			trace_free(tc);
			free(a.buf);
			free(b.buf);
			free(c.buf);
		}
	}
}

/*
 * Every generator, over VM counts and seeds: the magic line first, no line
 * over the limit, the parser accepts it, the life cycle holds, and the main
 * phase has exactly the requested number of invokes.
 */
static void check_well_formed(const char *name, uint32_t vms, uint64_t seed, uint32_t ops)
{
	struct text text;
	struct trace *t = generate_parsed(name, vms, seed, ops, &text);
	const char *end = text.buf + text.len;
	const char *p, *eol;
	struct live l;

	assert_int_equal(strncmp(text.buf, TRACE_MAGIC "\n", strlen(TRACE_MAGIC) + 1), 0);
	for (p = text.buf; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(eol); /* every line ends */
		assert_true((size_t)(eol - p) < TRACE_MAX_LINE_BYTES);
	}
	assert_int_equal(t->n_vms, vms);
	assert_int_equal(t->seed, seed);
	walk(t, &l, NULL, NULL);
	if (ops)
		assert_int_equal(count_verb(t, TRACE_INVOKE), ops);
	trace_free(t);
	free(text.buf);
}

static void test_well_formed(void **state)
{
	static const uint32_t vms[] = { 1, 2, 5 };
	static const uint64_t seeds[] = { 1, 2, 0xdeadbeefcafeull };
	static const uint32_t ops[] = { 0, 1, 37 };
	size_t n, i, j, k;

	(void)state;
	for (n = 0; n < N_NAMES; n++)
		for (i = 0; i < 3; i++)
			for (j = 0; j < 3; j++)
				for (k = 0; k < 3; k++)
					check_well_formed(names[n], vms[i], seeds[j], ops[k]);
}

/* streaming: only TEMP memrefs of 4 KiB .. 256 KiB, never a block. */
static void check_streaming_op(const struct trace_op *op, const struct live *l, void *arg)
{
	size_t k;

	(void)l;
	(void)arg;
	assert_true(op->verb != TRACE_ALLOC && op->verb != TRACE_REGISTER);
	if (op->verb != TRACE_INVOKE)
		return;
	assert_int_equal(op->params[0].kind, TRACE_P_TMP);
	for (k = 0; k < TRACE_MAX_PARAMS; k++) {
		const struct trace_param *p = &op->params[k];

		if (p->kind == TRACE_P_NONE)
			continue;
		assert_int_equal(p->kind, TRACE_P_TMP);
		assert_in_range(p->size_bytes, 4 * KIB, 256 * KIB);
	}
}

static void test_streaming_sizes(void **state)
{
	struct text text;
	struct trace *t = generate_parsed("streaming", 2, 5, 0, &text);
	struct live l;

	(void)state;
	walk(t, &l, check_streaming_op, NULL);
	assert_int_equal(count_verb(t, TRACE_INVOKE), 500); /* the default */
	trace_free(t);
	free(text.buf);
}

/* large-buffer: every registration, TEMP and partial range is over 2 MiB, none over 8 MiB. */
static void check_large_op(const struct trace_op *op, const struct live *l, void *arg)
{
	size_t *counts = arg; /* [0] registrations, [1] TEMPs */
	size_t k;

	(void)l;
	assert_true(op->verb != TRACE_ALLOC);
	if (op->verb == TRACE_REGISTER) {
		assert_true(op->size_bytes > 2 * MIB && op->size_bytes <= 8 * MIB);
		counts[0]++;
	}
	if (op->verb != TRACE_INVOKE)
		return;
	for (k = 0; k < TRACE_MAX_PARAMS; k++) {
		const struct trace_param *p = &op->params[k];

		if (p->kind == TRACE_P_NONE)
			continue;
		assert_true(p->kind == TRACE_P_TMP || p->kind == TRACE_P_WHOLE ||
			    p->kind == TRACE_P_PART);
		assert_true(p->size_bytes > 2 * MIB && p->size_bytes <= 8 * MIB);
		counts[1] += p->kind == TRACE_P_TMP;
	}
}

static void test_large_buffer_sizes(void **state)
{
	static const uint64_t seeds[] = { 1, 2, 3 };
	size_t n;

	(void)state;
	for (n = 0; n < sizeof(seeds) / sizeof(seeds[0]); n++) {
		size_t counts[2] = { 0, 0 };
		struct text text;
		struct trace *t = generate_parsed("large-buffer", 1, seeds[n], 40, &text);
		struct live l;

		walk(t, &l, check_large_op, counts);
		assert_true(counts[0] > 0); /* both kinds occur */
		assert_true(counts[1] > 0);
		trace_free(t);
		free(text.buf);
	}
}

/* reuse-heavy: 2..4 blocks per VM, only block memrefs, each block used many times. */
static void test_reuse_heavy_reuses(void **state)
{
	struct text text;
	struct trace *t = generate_parsed("reuse-heavy", 1, 9, 1000, &text);
	uint32_t uses[MAX_TEST_NAMES] = { 0 };
	size_t n, k, blocks = 0;
	struct live l;

	(void)state;
	walk(t, &l, NULL, NULL);
	for (n = 0; n < t->n_ops; n++) {
		const struct trace_op *op = &t->ops[n];

		if (op->verb == TRACE_ALLOC || op->verb == TRACE_REGISTER) {
			assert_in_range(op->size_bytes, 4 * KIB, 256 * KIB);
			blocks++;
		}
		if (op->verb != TRACE_INVOKE)
			continue;
		for (k = 0; k < TRACE_MAX_PARAMS; k++) {
			const struct trace_param *p = &op->params[k];

			if (p->kind == TRACE_P_NONE)
				continue;
			assert_true(p->kind == TRACE_P_WHOLE || p->kind == TRACE_P_PART);
			uses[p->shm]++;
		}
	}
	assert_in_range(blocks, 2, 4);
	/* 1000 invokes over at most 4 blocks: each gets well over a hundred. */
	for (k = 1; k <= blocks; k++)
		assert_true(uses[k] > 100);
	trace_free(t);
	free(text.buf);
}

/* many-sessions: every invoke happens while all 32 sessions and 32 blocks of 64 KiB are live. */
static void check_many_op(const struct trace_op *op, const struct live *l, void *arg)
{
	(void)arg;
	if (op->verb == TRACE_ALLOC)
		assert_int_equal(op->size_bytes, 64 * KIB);
	assert_true(op->verb != TRACE_REGISTER);
	if (op->verb == TRACE_INVOKE) {
		assert_int_equal(l->sessions, 32);
		assert_int_equal(l->blocks, 32);
		assert_int_equal(op->params[0].kind, TRACE_P_WHOLE);
	}
}

static void test_many_sessions_holds_32(void **state)
{
	static const uint32_t vms[] = { 1, 3, 8 };
	size_t n;

	(void)state;
	for (n = 0; n < sizeof(vms) / sizeof(vms[0]); n++) {
		struct text text;
		struct trace *t = generate_parsed("many-sessions", vms[n], 1, 0, &text);
		struct live l;

		walk(t, &l, check_many_op, NULL);
		assert_int_equal(l.peak_sessions, 32);
		assert_int_equal(l.peak_blocks, 32);
		assert_int_equal(count_verb(t, TRACE_OPEN), 32);
		assert_int_equal(count_verb(t, TRACE_ALLOC), 32);
		assert_int_equal(count_verb(t, TRACE_INVOKE), 64); /* the default */
		trace_free(t);
		free(text.buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_unknown_name),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_io_error),
		cmocka_unit_test(test_null_params_are_defaults),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_well_formed),
		cmocka_unit_test(test_streaming_sizes),
		cmocka_unit_test(test_large_buffer_sizes),
		cmocka_unit_test(test_reuse_heavy_reuses),
		cmocka_unit_test(test_many_sessions_holds_32),
	};

	return cmocka_run_group_tests_name("gen", tests, NULL, NULL);
}
