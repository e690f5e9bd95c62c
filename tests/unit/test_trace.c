/*
 * Unit tests for workload traces (workloads/trace.c): every op and param form
 * parses to the right struct, the canonical writer round-trips, every static
 * check and limit is refused with an exact "NAME:LINE:COL:" prefix, a naive
 * model of live names agrees with the parser, and 20000 random mutations of
 * valid traces never crash it.
 *
 * The sample traces live in tests/data/traces/ under the source tree: argv[1]
 * if given, else the TEESHM_SOURCE_DIR compile definition, else the tree this
 * file was compiled from (__FILE__).
 */
#define _GNU_SOURCE /* open_memstream, mkdtemp */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/test_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim/common/ta_ids.h"
#include "sim/common/tee_result.h"
#include "sim/common/ts_err.h"
#include "tests/test_rng.h"
#include "workloads/trace.h"

static char source_dir[4096];

/* ---- Helpers ----------------------------------------------------------------------------- */

static struct trace *parse_ok(const char *text, size_t len)
{
	struct trace *t = NULL;
	char err[512] = "";
	int r = trace_parse(text, len, "ok.trace", &t, err, sizeof(err));

	if (r)
		fail_msg("unexpected parse error %d: %s", r, err);
	assert_non_null(t);
	return t;
}

static struct trace *parse_str(const char *text)
{
	return parse_ok(text, strlen(text));
}

/* Canonical text of t, malloc'd (len in *len). */
static char *write_str(const struct trace *t, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	assert_non_null(f);
	assert_int_equal(trace_write(t, f), 0);
	assert_int_equal(fclose(f), 0);
	if (len)
		*len = n;
	return buf;
}

static void assert_param_equal(const struct trace_param *a, const struct trace_param *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->dir, b->dir);
	assert_int_equal(a->shm, b->shm);
	assert_int_equal(a->offset_bytes, b->offset_bytes);
	assert_int_equal(a->size_bytes, b->size_bytes);
	assert_int_equal(a->a, b->a);
	assert_int_equal(a->b, b->b);
}

/* Field by field; the source line only when asked (a rewritten trace has other lines). */
static void assert_op_equal(const struct trace_op *a, const struct trace_op *b, bool with_line)
{
	uint32_t i;

	assert_int_equal(a->verb, b->verb);
	if (with_line)
		assert_int_equal(a->line, b->line);
	assert_int_equal(a->vm, b->vm);
	assert_int_equal(a->name, b->name);
	assert_int_equal(a->ta, b->ta);
	assert_memory_equal(a->uuid, b->uuid, 16);
	assert_int_equal(a->size_bytes, b->size_bytes);
	assert_int_equal(a->dir, b->dir);
	assert_int_equal(a->cmd, b->cmd);
	for (i = 0; i < TRACE_MAX_PARAMS; i++)
		assert_param_equal(&a->params[i], &b->params[i]);
	assert_int_equal(a->has_expect, b->has_expect);
	assert_int_equal(a->expect, b->expect);
	assert_int_equal(a->sleep_us, b->sleep_us);
	assert_int_equal(a->n_raw, b->n_raw);
	for (i = 0; i < TRACE_MAX_RAW_WORDS; i++)
		assert_int_equal(a->raw[i], b->raw[i]);
	assert_int_equal(a->n_pages, b->n_pages);
	assert_int_equal(a->pages == NULL, b->pages == NULL);
	for (i = 0; i < a->n_pages; i++)
		assert_int_equal(a->pages[i], b->pages[i]);
	assert_string_equal(a->checkpoint, b->checkpoint);
}

static void assert_trace_equal(const struct trace *a, const struct trace *b, bool with_line)
{
	size_t i;

	assert_int_equal(a->seed, b->seed);
	assert_int_equal(a->n_vms, b->n_vms);
	assert_int_equal(a->n_ops, b->n_ops);
	for (i = 0; i < a->n_ops; i++)
		assert_op_equal(&a->ops[i], &b->ops[i], with_line);
}

/*
 * parse -> write -> parse gives the same ops, and the writer is a fixed point:
 * write(parse(write(t))) == write(t) byte for byte.
 */
static void assert_round_trip(const struct trace *t)
{
	size_t len1, len2;
	char *w1 = write_str(t, &len1), *w2;
	struct trace *t2 = NULL, *t3;
	char err[512] = "";

	if (trace_parse(w1, len1, "w1", &t2, err, sizeof(err)))
		fail_msg("canonical text does not parse: %s\n%s", err, w1);
	assert_trace_equal(t, t2, false);
	w2 = write_str(t2, &len2);
	assert_int_equal(len1, len2);
	assert_memory_equal(w1, w2, len1);
	/* A canonical trace's lines are its ops' lines, so even those agree now. */
	t3 = parse_ok(w2, len2);
	assert_trace_equal(t2, t3, true);
	trace_free(t3);
	trace_free(t2);
	free(w2);
	free(w1);
}

static char *read_file(const char *path, size_t *len)
{
	char *buf = test_read_file(path, len);

	if (!buf)
		fail_msg("cannot open %s", path);
	return buf;
}

static const char *const sample_names[] = { "example.trace", "reboot.trace", "raw.trace" };

static char *sample_path(const char *name)
{
	static char path[4200];

	snprintf(path, sizeof(path), "%s/tests/data/traces/%s", source_dir, name);
	return path;
}

/* ---- Every form parses to the right struct --------------------------------------------- */

/* Lines 1..8 of every case: VM 0 runs with s1 (echo), s2 (storage), s3 (UUID), m1, m2. */
#define PREAMBLE                                        \
	"teeshm-trace 1\n"                              \
	"0 vm start\n"                                  \
	"0 open s1 echo\n"                              \
	"0 open s2 storage\n"                           \
	"0 open s3 01234567-89ab-cdef-0123-456789abcdef\n" \
	"0 alloc m1 64K inout\n"                        \
	"0 register m2 8192 in\n"                       \
	"\n"

static const uint64_t pages_two[] = { 0x40000000, 0xffffffffffff1000ull };
static const uint64_t pages_one[] = { 4096 };

#define ECHO_UUID_OCTETS                                                                  \
	{ 0x7e, 0xe5, 0xe0, 0x00, 0xec, 0x40, 0x4c, 0x3a, 0x9f, 0x10, 0x2b, 0x6e, 0x11, 0x5a, \
	  0x00, 0x01 }
#define STORAGE_UUID_OCTETS                                                               \
	{ 0x7e, 0xe5, 0xe0, 0x00, 0x57, 0x07, 0x4a, 0x6e, 0x8d, 0x21, 0x7c, 0x31, 0x0e, 0x9b, \
	  0x00, 0x02 }
#define BIGLOAD_UUID_OCTETS                                                               \
	{ 0x7e, 0xe5, 0xe0, 0x00, 0xb1, 0x6b, 0x4f, 0x0a, 0xa3, 0x44, 0x5d, 0x08, 0x6c, 0x2f, \
	  0x00, 0x03 }

struct form_case {
	const char *line;      /* line 9, without its LF */
	struct trace_op want;  /* .line (9) and .pages are filled in by the test */
	const uint64_t *pages;
};

#define IN TRACE_DIR_IN
#define OUT TRACE_DIR_OUT
#define INOUT TRACE_DIR_INOUT
/* A case: the line, then the fields of the op it must give. */
#define F(text, ...) { .line = text, .want = { __VA_ARGS__ } }
#define INV(...) .verb = TRACE_INVOKE, __VA_ARGS__

static const struct form_case form_cases[] = {
	F("checkpoint after-setup_1.v2", .verb = TRACE_CHECKPOINT,
	  .checkpoint = "after-setup_1.v2"),
	F("5 vm start", .verb = TRACE_VM_START, .vm = 5),
	F("0 vm stop", .verb = TRACE_VM_STOP),
	F("0 vm crash", .verb = TRACE_VM_CRASH),
	F("0 open s4 echo", .verb = TRACE_OPEN, .name = 4, .ta = TRACE_TA_ECHO,
	  .uuid = ECHO_UUID_OCTETS),
	F("0 open s65535 storage login=public", .verb = TRACE_OPEN, .name = 65535,
	  .ta = TRACE_TA_STORAGE, .uuid = STORAGE_UUID_OCTETS),
	F("0 open s4 bigload", .verb = TRACE_OPEN, .name = 4, .ta = TRACE_TA_BIGLOAD,
	  .uuid = BIGLOAD_UUID_OCTETS),
	F("0 open s4 DEADBEEF-0001-0203-0405-060708090aBc", .verb = TRACE_OPEN, .name = 4,
	  .ta = TRACE_TA_UUID,
	  .uuid = { 0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x0a, 0xbc }),
	/* A known TA's UUID is that TA. */
	F("0 open s4 7ee5e000-EC40-4c3a-9f10-2b6e115a0001", .verb = TRACE_OPEN, .name = 4,
	  .ta = TRACE_TA_ECHO, .uuid = ECHO_UUID_OCTETS),
	F("0 close s1", .verb = TRACE_CLOSE, .name = 1),
	F("0 alloc m3 64K in", .verb = TRACE_ALLOC, .name = 3, .size_bytes = 65536, .dir = IN),
	F("0 alloc m3 1024M inout", .verb = TRACE_ALLOC, .name = 3, .size_bytes = 1u << 30,
	  .dir = INOUT),
	F("0 register m3 0x2K out", .verb = TRACE_REGISTER, .name = 3, .size_bytes = 2048,
	  .dir = OUT),
	F("0 register m3 0 in", .verb = TRACE_REGISTER, .name = 3, .dir = IN),
	F("0 release m2", .verb = TRACE_RELEASE, .name = 2),
	F("0 invoke s1 transform", INV(.name = 1, .cmd = TA_ECHO_CMD_TRANSFORM)),
	F("0 invoke s1 inc", INV(.name = 1, .cmd = TA_ECHO_CMD_INC_INPLACE)),
	F("0 invoke s1 value", INV(.name = 1, .cmd = TA_ECHO_CMD_VALUE)),
	F("0 invoke s1 touch", INV(.name = 1, .cmd = TA_ECHO_CMD_TOUCH)),
	F("0 invoke s2 write", INV(.name = 2, .cmd = TA_STORAGE_CMD_WRITE)),
	F("0 invoke s2 read", INV(.name = 2, .cmd = TA_STORAGE_CMD_READ)),
	F("0 invoke s3 0xffffffff", INV(.name = 3, .cmd = 0xffffffffu)),
	F("0 invoke s1 7 none", INV(.name = 1, .cmd = 7)),
	F("0 invoke s1 0 val:in",
	  INV(.name = 1, .params = { { .kind = TRACE_P_VALUE, .dir = IN } })),
	F("0 invoke s1 0 none val:out:5",
	  INV(.name = 1, .params = { [1] = { .kind = TRACE_P_VALUE, .dir = OUT, .a = 5 } })),
	F("0 invoke s1 0 val:inout:0xffffffff:4294967295",
	  INV(.name = 1, .params = { { .kind = TRACE_P_VALUE, .dir = INOUT, .a = 0xffffffffu,
				      .b = 0xffffffffu } })),
	F("0 invoke s1 0 tmp:in:4K null:out:0 tmp:inout:1M null:in:0x10",
	  INV(.name = 1, .params = { { .kind = TRACE_P_TMP, .dir = IN, .size_bytes = 4096 },
				     { .kind = TRACE_P_NULL, .dir = OUT },
				     { .kind = TRACE_P_TMP, .dir = INOUT, .size_bytes = 1u << 20 },
				     { .kind = TRACE_P_NULL, .dir = IN, .size_bytes = 16 } })),
	/* whole: takes the block's direction and size. */
	F("0 invoke s1 0 whole:m1 whole:m2",
	  INV(.name = 1,
	      .params = { { .kind = TRACE_P_WHOLE, .dir = INOUT, .shm = 1, .size_bytes = 65536 },
			  { .kind = TRACE_P_WHOLE, .dir = IN, .shm = 2, .size_bytes = 8192 } })),
	F("0 invoke s1 0 part:out:m1:1K:63K part:in:m2:8192:0 part:inout:m1:0:0x10000",
	  INV(.name = 1,
	      .params = { { .kind = TRACE_P_PART, .dir = OUT, .shm = 1, .offset_bytes = 1024,
			    .size_bytes = 63 * 1024 },
			  { .kind = TRACE_P_PART, .dir = IN, .shm = 2, .offset_bytes = 8192 },
			  { .kind = TRACE_P_PART, .dir = INOUT, .shm = 1, .size_bytes = 65536 } })),
	F("0 invoke s1 touch expect=TEE_SUCCESS", INV(.name = 1, .cmd = 3, .has_expect = true)),
	F("0 invoke s2 read val:in:1 expect=TEE_ERROR_ITEM_NOT_FOUND",
	  INV(.name = 2, .cmd = 1, .has_expect = true, .expect = TEE_ERROR_ITEM_NOT_FOUND,
	      .params = { { .kind = TRACE_P_VALUE, .dir = IN, .a = 1 } })),
	F("0 invoke s3 9 none none none none expect=0xFFFF3024",
	  INV(.name = 3, .cmd = 9, .has_expect = true, .expect = TEE_ERROR_TARGET_DEAD)),
	F("0 invoke s1 0 expect=0x12345678",
	  INV(.name = 1, .has_expect = true, .expect = 0x12345678)),
	F("0 sleep 10ms", .verb = TRACE_SLEEP, .sleep_us = 10000),
	F("0 sleep 250us", .verb = TRACE_SLEEP, .sleep_us = 250),
	F("0 sleep 3600s", .verb = TRACE_SLEEP, .sleep_us = 3600000000ull),
	F("0 sleep 5 ms", .verb = TRACE_SLEEP, .sleep_us = 5000),
	F("0 sleep 0x10us", .verb = TRACE_SLEEP, .sleep_us = 16),
	F("0 sleep 0s", .verb = TRACE_SLEEP),
	F("0 raw smc 0x32000004", .verb = TRACE_RAW_SMC, .n_raw = 1, .raw = { 0x32000004 }),
	F("0 raw smc 0 1 2 3 4 5 0xffffffffffffffff", .verb = TRACE_RAW_SMC, .n_raw = 7,
	  .raw = { 0, 1, 2, 3, 4, 5, UINT64_MAX }),
	{ .line = "0 raw pagelist 8K 0x40000000 0xffffffffffff1000",
	  .want = { .verb = TRACE_RAW_PAGELIST, .size_bytes = 8192, .n_pages = 2 },
	  .pages = pages_two },
	{ .line = "0 raw pagelist 1 4096",
	  .want = { .verb = TRACE_RAW_PAGELIST, .size_bytes = 1, .n_pages = 1 },
	  .pages = pages_one },
	/* Lexical: tabs, runs of blanks, comments, CRLF. */
	F("\t0\t\tclose  s1   # the end of s1", .verb = TRACE_CLOSE, .name = 1),
	F("0 alloc m3 4K in\r", .verb = TRACE_ALLOC, .name = 3, .size_bytes = 4096, .dir = IN),
};

/* Each line parses to exactly the op the table says (all other fields zero). */
static void test_every_form_parses(void **state)
{
	char text[8192];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(form_cases); i++) {
		const struct form_case *c = &form_cases[i];
		struct trace_op want = c->want;
		struct trace *t = NULL;
		char err[512] = "";
		int r;

		snprintf(text, sizeof(text), PREAMBLE "%s\n", c->line);
		r = trace_parse(text, strlen(text), "form.trace", &t, err, sizeof(err));
		if (r)
			fail_msg("case %zu '%s': %s", i, c->line, err);
		want.line = 9;
		want.pages = (uint64_t *)c->pages;
		assert_int_equal(t->n_ops, 7);
		assert_op_equal(&t->ops[6], &want, true);
		assert_round_trip(t);
		trace_free(t);
	}
}

/* Without `seed` the data seed is 1; n_vms is the highest VM id + 1; lines are recorded. */
static void test_seed_vms_and_lines(void **state)
{
	struct trace *t;

	(void)state;
	t = parse_str("teeshm-trace 1\ncheckpoint a\n");
	assert_int_equal(t->seed, 1);
	assert_int_equal(t->n_vms, 0);
	assert_int_equal(t->n_ops, 1);
	assert_int_equal(t->ops[0].line, 2);
	assert_string_equal(t->name, "ok.trace");
	trace_free(t);

	t = parse_str("teeshm-trace 1\r\n# c\r\n\r\nseed 0x123456789abcdef0\r\n"
		      "4095 vm start\r\n17 vm start\r\n4095 vm stop");
	assert_int_equal(t->seed, 0x123456789abcdef0ull);
	assert_int_equal(t->n_vms, 4096);
	assert_int_equal(t->n_ops, 3);
	assert_int_equal(t->ops[0].vm, 4095);
	assert_int_equal(t->ops[1].line, 6);
	assert_int_equal(t->ops[2].line, 7);
	trace_free(t);

	/* The magic alone is an empty trace. */
	t = parse_str("teeshm-trace 1");
	assert_int_equal(t->n_ops, 0);
	trace_free(t);
}

/* The canonical form of a small trace is exactly this text (names for known commands). */
static void test_canonical_text(void **state)
{
	static const char in[] =
		"teeshm-trace 1\n"
		"seed 7 # comment\n"
		"1\tvm   start\n"
		"1 open s1 7ee5e000-b16b-4f0a-a344-5d086c2f0003 login=public\n"
		"1 open s2 ABCDEF01-2345-6789-abcd-ef0123456789\n"
		"1 alloc m1 0x1K inout\n"
		"1 invoke s1 0 val:out:0:0 expect=0xffff000c\n"
		"1 invoke s2 0 none whole:m1 none none expect=0xfeedf00d\n"
		"1 invoke s2 3 part:in:m1:0x10:1000 val:inout:0:9 tmp:out:2M\n"
		"1 sleep 1000ms\n1 sleep 1500ms\n1 sleep 1001us\n"
		"1 raw smc 50 0\n1 raw pagelist 1K 4096 0\n"
		"1 release m1\n1 close s1\n1 vm crash\ncheckpoint x\n";
	static const char want[] =
		"teeshm-trace 1\n"
		"seed 7\n"
		"1 vm start\n"
		"1 open s1 bigload\n"
		"1 open s2 abcdef01-2345-6789-abcd-ef0123456789\n"
		"1 alloc m1 1024 inout\n"
		"1 invoke s1 size val:out expect=TEE_ERROR_OUT_OF_MEMORY\n"
		"1 invoke s2 0 none whole:m1 expect=0xfeedf00d\n"
		"1 invoke s2 3 part:in:m1:16:1000 val:inout:0:9 tmp:out:2097152\n"
		"1 sleep 1s\n1 sleep 1500ms\n1 sleep 1001us\n"
		"1 raw smc 0x32 0x0\n1 raw pagelist 1024 0x1000 0x0\n"
		"1 release m1\n1 close s1\n1 vm crash\ncheckpoint x\n";
	struct trace *t = parse_str(in);
	char *w = write_str(t, NULL);

	(void)state;
	assert_string_equal(w, want);
	assert_round_trip(t);
	free(w);
	trace_free(t);
}

/* The shipped samples load and round-trip; the rich example holds every verb and param kind. */
static void test_samples_round_trip(void **state)
{
	bool verbs[TRACE_RAW_PAGELIST + 1] = { false }, kinds[TRACE_P_PART + 1] = { false };
	char err[512] = "";
	size_t i, k, j;

	(void)state;
	for (i = 0; i < ARRAY_LEN(sample_names); i++) {
		struct trace *t = NULL;

		if (trace_load(sample_path(sample_names[i]), &t, err, sizeof(err)))
			fail_msg("%s", err);
		assert_string_equal(t->name, sample_path(sample_names[i]));
		assert_true(t->n_ops > 10);
		for (k = 0; k < t->n_ops; k++) {
			verbs[t->ops[k].verb] = true;
			for (j = 0; j < TRACE_MAX_PARAMS; j++)
				kinds[t->ops[k].params[j].kind] = true;
		}
		assert_round_trip(t);
		trace_free(t);
	}
	for (i = 0; i < ARRAY_LEN(verbs); i++)
		assert_true(verbs[i]);
	for (i = 0; i < ARRAY_LEN(kinds); i++)
		assert_true(kinds[i]);
}

/* ---- Every error, with its exact position -------------------------------------------------- */

/* Lines 1..4; the case's text starts on line 5. */
#define BAD_PRE "teeshm-trace 1\n0 vm start\n0 open s1 echo\n0 alloc m1 4K in\n"

struct error_case {
	const char *text;
	size_t len; /* 0: strlen */
	int code;
	const char *where; /* "LINE:COL:" */
	const char *word;  /* in the message */
};

static const struct error_case error_cases[] = {
	{ "", 0, TS_EINVAL, "1:1:", "not a trace" },
	{ "teeshm-trace\n", 0, TS_EINVAL, "1:1:", "not a trace" },
	{ "# teeshm-trace 1\n", 0, TS_EINVAL, "1:1:", "not a trace" },
	{ "teeshm-trace 2\n0 vm start\n", 0, TS_EINVAL, "1:14:", "version" },
	{ "teeshm-trace 1 # comment\n", 0, TS_EINVAL, "1:14:", "version" },
	{ "teeshm-trace\0 1\n", 16, TS_EINVAL, "1:13:", "NUL" },
	{ BAD_PRE "0 alloc m2 4\0K in\n", sizeof(BAD_PRE) - 1 + 18, TS_EINVAL, "5:13:", "NUL" },
	{ BAD_PRE "# a comment with \0 inside\n", sizeof(BAD_PRE) - 1 + 26, TS_EINVAL, "5:18:",
	  "NUL" },
	{ BAD_PRE "0 frobnicate s1\n", 0, TS_EINVAL, "5:3:", "unknown op" },
	{ BAD_PRE "0 alloc m2 12Q in\n", 0, TS_EINVAL, "5:12:", "bad SIZE" },
	{ BAD_PRE "0 alloc m2 1025M in\n", 0, TS_EINVAL, "5:12:", "too large" },
	{ BAD_PRE "0 alloc m2 99999999999999999999 in\n", 0, TS_EINVAL, "5:12:", "too large" },
	{ BAD_PRE "0 alloc m2 0x in\n", 0, TS_EINVAL, "5:12:", "bad SIZE" },
	{ BAD_PRE "0 alloc m2 4k in\n", 0, TS_EINVAL, "5:12:", "bad SIZE" },
	{ BAD_PRE "0 alloc m2 4K both\n", 0, TS_EINVAL, "5:15:", "direction" },
	{ BAD_PRE "0 alloc m2\n", 0, TS_EINVAL, "5:11:", "missing SIZE" },
	{ BAD_PRE "0 alloc m2 4K   # no DIR\n", 0, TS_EINVAL, "5:17:", "missing DIR" },
	{ BAD_PRE "1 open s1 echo\n", 0, TS_EINVAL, "5:1:", "not started" },
	{ BAD_PRE "0 vm crash\n0 close s1\n", 0, TS_EINVAL, "6:1:", "crashed at line 5" },
	{ BAD_PRE "0 vm stop\n  0 invoke s1 0\n", 0, TS_EINVAL, "6:3:", "stopped at line 5" },
	{ BAD_PRE "0 vm start\n", 0, TS_EINVAL, "5:6:", "already running" },
	{ BAD_PRE "0 vm reboot\n", 0, TS_EINVAL, "5:6:", "unknown action" },
	{ BAD_PRE "0 vm stop now\n", 0, TS_EINVAL, "5:11:", "unexpected" },
	{ BAD_PRE "0 vm stop#x\n", 0, TS_EINVAL, "5:6:", "unknown action" },
	{ BAD_PRE "0 vm\rstart\n", 0, TS_EINVAL, "5:3:", "unknown op" },
	{ BAD_PRE "7\n", 0, TS_EINVAL, "5:2:", "missing op" },
	{ BAD_PRE "4096 vm start\n", 0, TS_EINVAL, "5:1:", "too large" },
	{ BAD_PRE "0x1 vm start\n", 0, TS_EINVAL, "5:1:", "VM id" },
	{ BAD_PRE "vm start\n", 0, TS_EINVAL, "5:1:", "VM id" },
	{ BAD_PRE "0 open s1 storage\n", 0, TS_EINVAL, "5:8:", "already live" },
	{ BAD_PRE "0 register m1 4K in\n", 0, TS_EINVAL, "5:12:", "already live" },
	{ BAD_PRE "0 open s0 echo\n", 0, TS_EINVAL, "5:8:", "session name" },
	{ BAD_PRE "0 open s01 echo\n", 0, TS_EINVAL, "5:8:", "session name" },
	{ BAD_PRE "0 open s65536 echo\n", 0, TS_EINVAL, "5:8:", "session name" },
	{ BAD_PRE "0 open m2 echo\n", 0, TS_EINVAL, "5:8:", "session name" },
	{ BAD_PRE "0 open s2 1234-5678\n", 0, TS_EINVAL, "5:11:", "bad TA" },
	{ BAD_PRE "0 open s2 7ee5e000-ec40-4c3a-9f10-2b6e115a000g\n", 0, TS_EINVAL, "5:11:",
	  "bad TA" },
	{ BAD_PRE "0 open s2 7ee5e000+ec40-4c3a-9f10-2b6e115a0001\n", 0, TS_EINVAL, "5:11:",
	  "bad TA" },
	{ BAD_PRE "0 open s2 echo login=user\n", 0, TS_EINVAL, "5:16:", "login=public" },
	{ BAD_PRE "0 open s2\n", 0, TS_EINVAL, "5:10:", "missing TA" },
	{ BAD_PRE "0 close s2\n", 0, TS_EINVAL, "5:9:", "not live" },
	{ BAD_PRE "0 release m9\n", 0, TS_EINVAL, "5:11:", "not live" },
	{ BAD_PRE "0 invoke s4 0\n", 0, TS_EINVAL, "5:10:", "not live" },
	{ BAD_PRE "0 invoke s1 0 whole:m2\n", 0, TS_EINVAL, "5:15:", "not live" },
	{ BAD_PRE "0 invoke s1 0 part:in:m1:4K:1\n", 0, TS_EINVAL, "5:15:", "outside" },
	{ BAD_PRE "0 invoke s1 0 part:in:m1:1:4K\n", 0, TS_EINVAL, "5:15:", "outside" },
	{ BAD_PRE "0 invoke s1 0 part:out:m1:0:1\n", 0, TS_EINVAL, "5:15:", "direction" },
	{ BAD_PRE "0 invoke s1 0 part:inout:m1:0:1\n", 0, TS_EINVAL, "5:15:", "direction" },
	{ BAD_PRE "0 invoke s1 0 whole:in:m1\n", 0, TS_EINVAL, "5:15:", "not a param" },
	{ BAD_PRE "0 invoke s1 0 tmp:in:x\n", 0, TS_EINVAL, "5:15:", "bad SIZE 'x'" },
	{ BAD_PRE "0 invoke s1 0 tmp:in\n", 0, TS_EINVAL, "5:15:", "not a param" },
	{ BAD_PRE "0 invoke s1 0 tmp:sideways:4\n", 0, TS_EINVAL, "5:15:", "direction" },
	{ BAD_PRE "0 invoke s1 0 null:in:1025M\n", 0, TS_EINVAL, "5:15:", "too large" },
	{ BAD_PRE "0 invoke s1 0 null:in:2G\n", 0, TS_EINVAL, "5:15:", "bad SIZE" },
	{ BAD_PRE "0 invoke s1 0 val:in:4294967296\n", 0, TS_EINVAL, "5:15:", "too large" },
	{ BAD_PRE "0 invoke s1 0 val:in:1:2:3\n", 0, TS_EINVAL, "5:15:", "not a param" },
	{ BAD_PRE "0 invoke s1 0 a:b:c:d:e:f:g\n", 0, TS_EINVAL, "5:15:", "not a param" },
	{ BAD_PRE "0 invoke s1 0 part:in:1:0:1\n", 0, TS_EINVAL, "5:15:", "block name" },
	{ BAD_PRE "0 invoke s1 0 none none none none none\n", 0, TS_EINVAL, "5:35:",
	  "more than 4" },
	{ BAD_PRE "0 invoke s1 0 expect=TEE_SUCCESS expect=0x0\n", 0, TS_EINVAL, "5:34:",
	  "twice" },
	{ BAD_PRE "0 invoke s1 0 expect=0 none\n", 0, TS_EINVAL, "5:24:", "last" },
	{ BAD_PRE "0 invoke s1 0 expect=TEE_ERROR_FOO\n", 0, TS_EINVAL, "5:15:",
	  "unknown result" },
	{ BAD_PRE "0 invoke s1 0 expect=\n", 0, TS_EINVAL, "5:15:", "bad expect" },
	{ BAD_PRE "0 invoke s1 frobnicate\n", 0, TS_EINVAL, "5:13:", "no command" },
	{ BAD_PRE "0 invoke s1 write\n", 0, TS_EINVAL, "5:13:", "transform, inc" },
	{ BAD_PRE "0 open s2 00000000-0000-0000-0000-000000000000\n0 invoke s2 touch\n", 0,
	  TS_EINVAL, "6:13:", "UUID" },
	{ BAD_PRE "0 invoke s1 4294967296\n", 0, TS_EINVAL, "5:13:", "too large" },
	{ BAD_PRE "0 invoke s1\n", 0, TS_EINVAL, "5:12:", "missing CMD" },
	{ BAD_PRE "0 sleep 10parsecs\n", 0, TS_EINVAL, "5:9:", "DURATION" },
	{ BAD_PRE "0 sleep 10\n", 0, TS_EINVAL, "5:9:", "DURATION" },
	{ BAD_PRE "0 sleep 10 hours\n", 0, TS_EINVAL, "5:9:", "DURATION" },
	{ BAD_PRE "0 sleep 3601s\n", 0, TS_EINVAL, "5:9:", "too large" },
	{ BAD_PRE "0 sleep 3600001ms\n", 0, TS_EINVAL, "5:9:", "too large" },
	{ BAD_PRE "0 sleep -1ms\n", 0, TS_EINVAL, "5:9:", "bad DURATION" },
	{ BAD_PRE "0 sleep 1ms 2ms\n", 0, TS_EINVAL, "5:13:", "unexpected" },
	{ BAD_PRE "0 raw smc 1 2 3 4 5 6 7 8\n", 0, TS_EINVAL, "5:25:", "more than 7" },
	{ BAD_PRE "0 raw smc 0x1ffffffffffffffff\n", 0, TS_EINVAL, "5:11:", "too large" },
	{ BAD_PRE "0 raw smc\n", 0, TS_EINVAL, "5:10:", "missing A0" },
	{ BAD_PRE "0 raw hvc 1\n", 0, TS_EINVAL, "5:7:", "unknown kind" },
	{ BAD_PRE "0 raw pagelist 4K\n", 0, TS_EINVAL, "5:18:", "missing PAGE" },
	{ BAD_PRE "0 raw pagelist 4K 0x1000 0x2000 0xZ\n", 0, TS_EINVAL, "5:33:", "bad PAGE" },
	{ BAD_PRE "checkpoint bad/name\n", 0, TS_EINVAL, "5:12:", "bad NAME" },
	{ BAD_PRE "checkpoint a23456789012345678901234567890123456789012345678901234567890"
		  "1234\n", 0, TS_EINVAL, "5:12:", "bad NAME" },
	{ BAD_PRE "checkpoint\n", 0, TS_EINVAL, "5:11:", "missing NAME" },
	{ BAD_PRE "checkpoint a b\n", 0, TS_EINVAL, "5:14:", "unexpected" },
	{ "teeshm-trace 1\nseed 1\nseed 2\n", 0, TS_EINVAL, "3:1:", "twice" },
	{ BAD_PRE "seed 5\n", 0, TS_EINVAL, "5:1:", "before any op" },
	{ "teeshm-trace 1\ncheckpoint a\nseed 5\n", 0, TS_EINVAL, "3:1:", "before any op" },
	{ "teeshm-trace 1\nseed 18446744073709551616\n", 0, TS_EINVAL, "2:6:", "too large" },
	{ "teeshm-trace 1\nseed 1M\n", 0, TS_EINVAL, "2:6:", "bad seed" },
};

/* Each bad input fails with its code, exactly "bad.trace:LINE:COL: ", and a telling word. */
static void test_errors(void **state)
{
	char err[512], want[64];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(error_cases); i++) {
		const struct error_case *c = &error_cases[i];
		struct trace *t = (struct trace *)&t; /* must be reset to NULL */
		size_t len = c->len ? c->len : strlen(c->text);
		int r;

		err[0] = '\0';
		r = trace_parse(c->text, len, "bad.trace", &t, err, sizeof(err));
		snprintf(want, sizeof(want), "bad.trace:%s ", c->where);
		if (r != c->code || strncmp(err, want, strlen(want)) || !strstr(err, c->word))
			fail_msg("case %zu: got %d '%s', want %d '%s...%s...'", i, r, err, c->code,
				 want, c->word);
		assert_null(t);
	}
	assert_true(ARRAY_LEN(error_cases) >= 30);
}

/* A missing name or error buffer is no reason to crash. */
static void test_error_without_buffer(void **state)
{
	struct trace *t = NULL;
	char err[64];

	(void)state;
	assert_int_equal(trace_parse("nope", 4, "x", &t, NULL, 0), TS_EINVAL);
	assert_null(t);
	assert_int_equal(trace_parse("nope", 4, NULL, &t, err, sizeof(err)), TS_EINVAL);
	assert_true(!strncmp(err, "<trace>:1:1: ", 13));
	/* A tiny buffer gets a cut, terminated message. */
	assert_int_equal(trace_parse("nope", 4, "x", &t, err, 5), TS_EINVAL);
	assert_string_equal(err, "x:1:");
	assert_int_equal(trace_parse(NULL, 3, "x", &t, err, sizeof(err)), TS_EINVAL);
	assert_int_equal(trace_parse(TRACE_MAGIC, strlen(TRACE_MAGIC), "x", NULL, err, sizeof(err)),
			 TS_EINVAL);
}

/* ---- Limits --------------------------------------------------------------------------------- */

/* A line of 4096 bytes (plus CR LF) is fine; 4097 is refused at column 4097. */
static void test_line_length(void **state)
{
	size_t pre = strlen(BAD_PRE), n = pre + 4097 + 2;
	char *text = malloc(n + 1), err[256];
	struct trace *t = NULL;

	(void)state;
	assert_non_null(text);
	memcpy(text, BAD_PRE, pre);
	memset(text + pre, ' ', 4096);
	memcpy(text + pre, "0 close s1", 10);
	memcpy(text + pre + 4096, "\r\n", 3);
	t = parse_ok(text, pre + 4098);
	assert_int_equal(t->ops[t->n_ops - 1].verb, TRACE_CLOSE);
	trace_free(t);

	memcpy(text + pre + 4096, "#\r\n", 4);
	assert_int_equal(trace_parse(text, pre + 4099, "long.trace", &t, err, sizeof(err)),
			 TS_E2BIG);
	assert_true(!strncmp(err, "long.trace:5:4097: ", 19));
	assert_non_null(strstr(err, "longer than 4096"));
	/* The last line, with no LF after it, counts the same. */
	assert_int_equal(trace_parse(text, pre + 4097, "long.trace", &t, err, sizeof(err)),
			 TS_E2BIG);
	assert_true(!strncmp(err, "long.trace:5:4097: ", 19));
	free(text);
}

/* A page list of short decimals that would outgrow a line when written in hex is refused. */
static void test_pagelist_canonical_length(void **state)
{
	char text[8192], err[256];
	struct trace *t = NULL;
	size_t n, i;

	(void)state;
	n = (size_t)snprintf(text, sizeof(text), "teeshm-trace 1\n0 vm start\n0 raw pagelist 1");
	for (i = 0; i < 2000; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " 0");
	/* 2000 pages of " 0x0": 16 + 8000 bytes in canonical form. */
	assert_true(n - 26 <= TRACE_MAX_LINE_BYTES);
	assert_int_equal(trace_parse(text, n, "pl.trace", &t, err, sizeof(err)), TS_E2BIG);
	assert_true(!strncmp(err, "pl.trace:3:1: ", 14));
	assert_non_null(strstr(err, "canonical"));
	/* 1020 such pages fit: 16 + 4080 bytes, exactly a full line. */
	n = (size_t)snprintf(text, sizeof(text), "teeshm-trace 1\n0 vm start\n0 raw pagelist 1");
	for (i = 0; i < 1020; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " 0");
	t = parse_ok(text, n);
	assert_int_equal(t->ops[1].n_pages, 1020);
	assert_round_trip(t);
	trace_free(t);
}

static char *grow_text(size_t cap)
{
	char *s = malloc(cap);

	assert_non_null(s);
	return s;
}

/* 65535 live names per VM (sessions and blocks together); the next one is E2BIG. */
static void test_live_name_limit(void **state)
{
	size_t cap = 64u * 65536u, n;
	char *text = grow_text(cap), err[256];
	struct trace *t = NULL;
	uint32_t i;

	(void)state;
	n = (size_t)snprintf(text, cap, "teeshm-trace 1\n0 vm start\n");
	for (i = 1; i <= 40000; i++)
		n += (size_t)snprintf(text + n, cap - n, "0 open s%u echo\n", i);
	for (i = 1; i <= 25535; i++)
		n += (size_t)snprintf(text + n, cap - n, "0 alloc m%u 0 in\n", i);
	/* Another VM has its own names. */
	n += (size_t)snprintf(text + n, cap - n, "1 vm start\n1 open s1 echo\n");
	t = parse_ok(text, n);
	assert_int_equal(t->n_ops, 1u + 65535u + 2u);
	trace_free(t);

	n += (size_t)snprintf(text + n, cap - n, "0 alloc m25536 4K in\n");
	assert_int_equal(trace_parse(text, n, "names.trace", &t, err, sizeof(err)), TS_E2BIG);
	assert_true(!strncmp(err, "names.trace:65540:9: ", 21));
	assert_non_null(strstr(err, "65535 live names"));

	/* Releasing one makes room; a reboot forgets them all. */
	n -= strlen("0 alloc m25536 4K in\n");
	n += (size_t)snprintf(text + n, cap - n,
			      "0 close s7\n0 alloc m25536 4K in\n0 vm crash\n0 vm start\n"
			      "0 open s7 echo\n0 alloc m25536 4K in\n");
	t = parse_ok(text, n);
	assert_int_equal(t->n_ops, 1u + 65535u + 2u + 6u);
	trace_free(t);
	free(text);
}

/*
 * The 1,000,001st op is E2BIG naming its line (so the 1,000,000 before it were
 * taken: an error on any of them would have come first).  One parse only: a
 * million ops are 376 MB of struct trace_op, slow to touch under ASan.
 */
static void test_op_limit(void **state)
{
	size_t cap = 16u * (TRACE_MAX_OPS + 8u), n;
	char *text = grow_text(cap), err[256], want[64];
	struct trace *t = (struct trace *)&t;
	uint32_t i;

	(void)state;
	n = (size_t)snprintf(text, cap, "teeshm-trace 1\n0 vm start\n");
	for (i = 1; i < TRACE_MAX_OPS; i++) {
		memcpy(text + n, "0 sleep 1us\n", 12);
		n += 12;
	}
	memcpy(text + n, "checkpoint one-too-many\n", 24);
	n += 24;
	assert_int_equal(trace_parse(text, n, "ops.trace", &t, err, sizeof(err)), TS_E2BIG);
	snprintf(want, sizeof(want), "ops.trace:%u:1: ", TRACE_MAX_OPS + 2u);
	assert_true(!strncmp(err, want, strlen(want)));
	assert_non_null(strstr(err, "1000000 ops"));
	assert_null(t);
	free(text);
}

/* ---- Differential: a naive model of VM state and live names ------------------------------ */

#define D_VMS 4u
#define D_NAMES 8u

struct model {
	bool up[D_VMS];
	bool sess[D_VMS][D_NAMES + 1];
	enum trace_ta sess_ta[D_VMS][D_NAMES + 1];
	bool blk[D_VMS][D_NAMES + 1];
	uint64_t blk_size[D_VMS][D_NAMES + 1];
	uint32_t blk_dir[D_VMS][D_NAMES + 1];
};

struct gen {
	char *text;
	size_t len, cap;
	struct trace_op *ops;
	size_t n_ops, ops_cap;
	uint32_t line;
};

static void vappend(struct gen *g, const char *fmt, va_list ap)
{
	int n;

	if (g->cap - g->len < 1024) {
		g->cap = g->cap * 2 + 4096;
		g->text = realloc(g->text, g->cap);
		assert_non_null(g->text);
	}
	n = vsnprintf(g->text + g->len, g->cap - g->len, fmt, ap);
	assert_true(n > 0 && (size_t)n < g->cap - g->len);
	g->len += (size_t)n;
}

/* Text within a line. */
__attribute__((format(printf, 2, 3))) static void append(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vappend(g, fmt, ap);
	va_end(ap);
}

/* Text that ends a line. */
__attribute__((format(printf, 2, 3))) static void emit(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vappend(g, fmt, ap);
	va_end(ap);
	g->line++;
}

static struct trace_op *new_op(struct gen *g, enum trace_verb verb, uint32_t vm)
{
	struct trace_op *op;

	if (g->n_ops == g->ops_cap) {
		g->ops_cap = g->ops_cap * 2 + 64;
		g->ops = realloc(g->ops, g->ops_cap * sizeof(*g->ops));
		assert_non_null(g->ops);
	}
	op = &g->ops[g->n_ops++];
	memset(op, 0, sizeof(*op));
	op->verb = verb;
	op->vm = (uint16_t)vm;
	op->line = g->line + 1;
	return op;
}

static const char *const dirs[] = { NULL, "in", "out", "inout" };
static const uint64_t sizes[] = { 0, 1, 4096, 8192, 65536, (1u << 20) + 3 };

/* One random valid op, recorded in the model and in the expected ops. */
static void gen_valid(struct gen *g, struct model *m, uint64_t *rng)
{
	uint32_t vm = (uint32_t)rng_below(rng, D_VMS), n = 1 + (uint32_t)rng_below(rng, D_NAMES);
	uint32_t action = (uint32_t)rng_below(rng, 20), i, np;
	struct trace_op *op;

	if (!m->up[vm]) {
		if (rng_below(rng, 4) == 0) {
			op = new_op(g, TRACE_CHECKPOINT, 0);
			strcpy(op->checkpoint, "cp");
			emit(g, "checkpoint cp\n");
			return;
		}
		new_op(g, TRACE_VM_START, vm);
		emit(g, "%u vm start  # boot\n", vm);
		m->up[vm] = true;
		return;
	}
	if (action == 0) {
		bool crash = rng_below(rng, 2);

		new_op(g, crash ? TRACE_VM_CRASH : TRACE_VM_STOP, vm);
		emit(g, "%u vm %s\n", vm, crash ? "crash" : "stop");
		m->up[vm] = false;
		memset(m->sess[vm], 0, sizeof(m->sess[vm]));
		memset(m->blk[vm], 0, sizeof(m->blk[vm]));
		return;
	}
	if (action <= 3) {
		if (!m->sess[vm][n]) {
			enum trace_ta ta = (enum trace_ta)rng_below(rng, 3);

			op = new_op(g, TRACE_OPEN, vm);
			op->name = n;
			op->ta = ta;
			memcpy(op->uuid, ta == TRACE_TA_ECHO ? (uint8_t[16])ECHO_UUID_OCTETS :
					 ta == TRACE_TA_STORAGE ? (uint8_t[16])STORAGE_UUID_OCTETS :
					 (uint8_t[16])BIGLOAD_UUID_OCTETS, 16);
			emit(g, "%u open s%u %s\n", vm, n, trace_ta_name(ta));
			m->sess[vm][n] = true;
			m->sess_ta[vm][n] = ta;
		} else {
			new_op(g, TRACE_CLOSE, vm)->name = n;
			emit(g, "%u\tclose s%u\n", vm, n);
			m->sess[vm][n] = false;
		}
		return;
	}
	if (action <= 7) {
		if (!m->blk[vm][n]) {
			bool reg = rng_below(rng, 2);

			op = new_op(g, reg ? TRACE_REGISTER : TRACE_ALLOC, vm);
			op->name = n;
			op->size_bytes = sizes[rng_below(rng, ARRAY_LEN(sizes))];
			op->dir = 1 + (uint32_t)rng_below(rng, 3);
			emit(g, "%u %s m%u %llu %s\n", vm, reg ? "register" : "alloc", n,
			     (unsigned long long)op->size_bytes, dirs[op->dir]);
			m->blk[vm][n] = true;
			m->blk_size[vm][n] = op->size_bytes;
			m->blk_dir[vm][n] = op->dir;
		} else {
			new_op(g, TRACE_RELEASE, vm)->name = n;
			emit(g, "%u release m%u\n", vm, n);
			m->blk[vm][n] = false;
		}
		return;
	}
	if (!m->sess[vm][n] || action == 19) {
		op = new_op(g, TRACE_SLEEP, vm);
		op->sleep_us = rng_below(rng, 5000);
		emit(g, "%u sleep %lluus\n", vm, (unsigned long long)op->sleep_us);
		return;
	}
	op = new_op(g, TRACE_INVOKE, vm);
	op->name = n;
	op->cmd = (uint32_t)rng_below(rng, 5);
	append(g, "%u invoke s%u %u", vm, n, op->cmd);
	np = (uint32_t)rng_below(rng, 5);
	for (i = 0; i < np; i++) {
		struct trace_param *pa = &op->params[i];
		uint32_t b = 1 + (uint32_t)rng_below(rng, D_NAMES), k = (uint32_t)rng_below(rng, 4);

		if (k == 0 && m->blk[vm][b]) {
			pa->kind = TRACE_P_WHOLE;
			pa->shm = b;
			pa->dir = m->blk_dir[vm][b];
			pa->size_bytes = m->blk_size[vm][b];
			append(g, " whole:m%u", b);
		} else if (k == 1 && m->blk[vm][b]) {
			pa->kind = TRACE_P_PART;
			pa->shm = b;
			/* Any direction the block allows. */
			pa->dir = m->blk_dir[vm][b];
			if (pa->dir == TRACE_DIR_INOUT)
				pa->dir = 1 + (uint32_t)rng_below(rng, 3);
			pa->offset_bytes = rng_below(rng, m->blk_size[vm][b] + 1);
			pa->size_bytes = rng_below(rng, m->blk_size[vm][b] - pa->offset_bytes + 1);
			append(g, " part:%s:m%u:%llu:%llu", dirs[pa->dir], b,
			       (unsigned long long)pa->offset_bytes,
			       (unsigned long long)pa->size_bytes);
		} else if (k == 2) {
			pa->kind = TRACE_P_VALUE;
			pa->dir = 1 + (uint32_t)rng_below(rng, 3);
			pa->a = (uint32_t)rng_next(rng);
			pa->b = (uint32_t)rng_next(rng);
			append(g, " val:%s:%u:%u", dirs[pa->dir], pa->a, pa->b);
		} else {
			pa->kind = TRACE_P_TMP;
			pa->dir = 1 + (uint32_t)rng_below(rng, 3);
			pa->size_bytes = sizes[rng_below(rng, ARRAY_LEN(sizes))];
			append(g, " tmp:%s:%llu", dirs[pa->dir],
			       (unsigned long long)pa->size_bytes);
		}
	}
	emit(g, "\n");
}

/* One op the model knows is invalid now; false when none of this kind applies. */
static bool gen_invalid(struct gen *g, const struct model *m, uint64_t *rng, uint32_t kind)
{
	uint32_t vm, n;

	for (vm = 0; vm < D_VMS; vm++) {
		for (n = 1; n <= D_NAMES; n++) {
			bool up = m->up[vm];

			switch (kind) {
			case 0:
				if (up)
					break;
				emit(g, "%u open s%u echo\n", vm, n);
				return true;
			case 1:
				if (!up || m->sess[vm][n])
					break;
				emit(g, "%u close s%u\n", vm, n);
				return true;
			case 2:
				if (!up || !m->sess[vm][n])
					break;
				emit(g, "%u open s%u storage\n", vm, n);
				return true;
			case 3:
				if (!up || !m->blk[vm][n])
					break;
				emit(g, "%u register m%u 4K in\n", vm, n);
				return true;
			case 4:
				if (!up || m->blk[vm][n])
					break;
				emit(g, "%u release m%u\n", vm, n);
				return true;
			case 5:
				if (!up || !m->blk[vm][n] || !m->sess[vm][1])
					break;
				emit(g, "%u invoke s1 0 part:%s:m%u:%llu:1\n", vm,
				     dirs[m->blk_dir[vm][n]], n,
				     (unsigned long long)m->blk_size[vm][n]);
				return true;
			case 6:
				if (!up || !m->blk[vm][n] || m->blk_dir[vm][n] == TRACE_DIR_INOUT ||
				    !m->sess[vm][1])
					break;
				emit(g, "%u invoke s1 0 part:%s:m%u:0:0\n", vm,
				     dirs[3 - m->blk_dir[vm][n]], n);
				return true;
			case 7:
				if (!up || m->blk[vm][n] || !m->sess[vm][1])
					break;
				emit(g, "%u invoke s1 0 whole:m%u\n", vm, n);
				return true;
			default:
				if (!up)
					break;
				emit(g, "%u vm start\n", vm);
				return true;
			}
		}
	}
	(void)rng;
	return false;
}

/*
 * Random valid traces (4 VMs, names 1..8 reused often) parse to exactly the
 * model's ops; an op the model knows is invalid, put at a random point, fails
 * on its own line.
 */
static void test_differential_names(void **state)
{
	uint64_t rng = 0x7ace5eedull;
	struct gen g = { 0 };
	struct model m;
	struct trace *t;
	char err[512], want[64];
	uint32_t round, i, steps, kind, rejected = 0;
	size_t k;

	(void)state;
	for (round = 0; round < 300; round++) {
		memset(&m, 0, sizeof(m));
		g.len = 0;
		g.n_ops = 0;
		g.line = 0;
		emit(&g, "teeshm-trace 1\n");
		steps = round == 0 ? 20000 : 1 + (uint32_t)rng_below(&rng, 600);
		for (i = 0; i < steps; i++)
			gen_valid(&g, &m, &rng);
		t = parse_ok(g.text, g.len);
		assert_int_equal(t->n_ops, g.n_ops);
		for (k = 0; k < g.n_ops; k++)
			assert_op_equal(&t->ops[k], &g.ops[k], true);
		if (round < 5)
			assert_round_trip(t);
		trace_free(t);

		for (kind = (uint32_t)rng_below(&rng, 9); !gen_invalid(&g, &m, &rng, kind);)
			kind = (kind + 1) % 9;
		snprintf(want, sizeof(want), "diff.trace:%u:", g.line);
		t = NULL;
		assert_int_equal(trace_parse(g.text, g.len, "diff.trace", &t, err, sizeof(err)),
				 TS_EINVAL);
		if (strncmp(err, want, strlen(want)))
			fail_msg("round %u kind %u: '%s', want '%s'", round, kind, err, want);
		assert_null(t);
		rejected++;
	}
	assert_int_equal(rejected, 300);
	free(g.text);
	free(g.ops);
}

/* ---- Fuzz-style: random mutations never crash ------------------------------------------- */

static const char *const dictionary[] = {
	" ", "\t", "\n", "\r\n", "#", ":", "0", "1", "K", "M", "0x", " m1", " s1", " none",
	" whole:m1", " part:in:m1:0:1", " tmp:out:4K", " val:inout:1:2", " expect=",
	"expect=TEE_SUCCESS", " vm start\n", "0 vm crash\n", " invoke s1 0", "s65535", "4096",
	"ffffffffffffffffffff",
};

static size_t lines_in(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += s[i] == '\n';
	if (len && s[len - 1] != '\n')
		n++;
	return n ? n : 1;
}

/* [start, end) of the line holding byte at (a line index, counted from 0). */
static bool line_span(const char *s, size_t len, size_t index, size_t *start, size_t *end)
{
	size_t i = 0, l = 0;

	while (l < index) {
		const char *nl = memchr(s + i, '\n', len - i);

		if (!nl)
			return false;
		i = (size_t)(nl - s) + 1;
		l++;
	}
	if (i >= len)
		return false;
	*start = i;
	*end = memchr(s + i, '\n', len - i) ? (size_t)((char *)memchr(s + i, '\n', len - i) - s) + 1
					     : len;
	return true;
}

/* Apply one random mutation to buf[0..*len) (capacity cap). */
static void mutate(char *buf, size_t *len, size_t cap, uint64_t *rng)
{
	size_t n = *len, pos = n ? rng_below(rng, n) : 0, a0, a1, b0, b1, k;
	const char *ins;
	char one[1];

	switch (rng_below(rng, 9)) {
	case 0: /* flip a bit */
		if (n)
			buf[pos] ^= (char)(1u << rng_below(rng, 8));
		break;
	case 1: /* replace a byte by any byte */
		if (n)
			buf[pos] = (char)rng_below(rng, 256);
		break;
	case 2: /* delete 1..4 bytes */
		k = 1 + rng_below(rng, 4);
		if (pos + k > n)
			k = n - pos;
		memmove(buf + pos, buf + pos + k, n - pos - k);
		*len = n - k;
		break;
	case 3: /* insert a special or random byte */
	case 4: { /* insert a dictionary token */
		static const char special[] = { '\0', '\n', ':', ' ', '\t', '#', '\r', '0', '9' };

		if (rng_below(rng, 2) && !(rng_below(rng, 3) == 0)) {
			one[0] = special[rng_below(rng, sizeof(special))];
		} else {
			one[0] = (char)rng_below(rng, 256);
		}
		ins = one;
		k = 1;
		if (rng_below(rng, 2)) {
			ins = dictionary[rng_below(rng, ARRAY_LEN(dictionary))];
			k = strlen(ins);
		}
		if (n + k > cap)
			break;
		pos = n ? rng_below(rng, n + 1) : 0;
		memmove(buf + pos + k, buf + pos, n - pos);
		memcpy(buf + pos, ins, k);
		*len = n + k;
		break;
	}
	case 5: /* duplicate a line */
		if (!line_span(buf, n, rng_below(rng, lines_in(buf, n)), &a0, &a1) ||
		    n + (a1 - a0) > cap)
			break;
		memmove(buf + a1 + (a1 - a0), buf + a1, n - a1);
		memcpy(buf + a1, buf + a0, a1 - a0);
		*len = n + (a1 - a0);
		break;
	case 6: { /* swap two lines (with their LFs) */
		char *tmp;

		if (!line_span(buf, n, rng_below(rng, lines_in(buf, n)), &a0, &a1) ||
		    !line_span(buf, n, rng_below(rng, lines_in(buf, n)), &b0, &b1) || a0 == b0)
			break;
		if (b0 < a0) {
			size_t s0 = a0, s1 = a1;

			a0 = b0;
			a1 = b1;
			b0 = s0;
			b1 = s1;
		}
		/* [a0,a1) [a1,b0) [b0,b1) -> [b0,b1) [a1,b0) [a0,a1) */
		tmp = malloc(b1 - a0);
		assert_non_null(tmp);
		memcpy(tmp, buf + b0, b1 - b0);
		memcpy(tmp + (b1 - b0), buf + a1, b0 - a1);
		memcpy(tmp + (b1 - b0) + (b0 - a1), buf + a0, a1 - a0);
		memcpy(buf + a0, tmp, b1 - a0);
		free(tmp);
		break;
	}
	case 7: /* truncate */
		*len = pos;
		break;
	default: /* delete a whole line */
		if (!line_span(buf, n, rng_below(rng, lines_in(buf, n)), &a0, &a1))
			break;
		memmove(buf + a0, buf + a1, n - a1);
		*len = n - (a1 - a0);
		break;
	}
}

/* "fuzz.trace:LINE:COL: " with 1 <= LINE <= lines and 1 <= COL <= 4097. */
static void assert_error_shape(const char *err, size_t lines, const char *text, size_t len)
{
	unsigned long line, col;
	char *end;

	if (strncmp(err, "fuzz.trace:", 11))
		goto bad;
	line = strtoul(err + 11, &end, 10);
	if (end == err + 11 || *end != ':')
		goto bad;
	col = strtoul(end + 1, &end, 10);
	if (*end != ':' || end[1] != ' ' || !end[2])
		goto bad;
	if (line < 1 || line > lines || col < 1 || col > TRACE_MAX_LINE_BYTES + 1)
		goto bad;
	return;
bad:
	fail_msg("bad message '%s' for %zu bytes, %zu lines:\n%.*s", err, len, lines, (int)len,
		 text);
}

/*
 * 20000 random mutations of the samples (bit flips, byte changes, deletions,
 * insertions of NUL/LF/':'/tokens, line duplication, swaps, deletion,
 * truncation): each parses and then round-trips through the writer, or fails
 * with a well-formed message on a line of the input; under ASan, never a
 * crash, an overflow or a leak.
 */
static void test_fuzz_mutations(void **state)
{
	uint64_t rng = 0xf00dfacecafe1234ull;
	char *samples[ARRAY_LEN(sample_names)], *buf, err[1024];
	size_t sample_len[ARRAY_LEN(sample_names)], cap = 0, len, i;
	uint32_t iter, n_mut, m, ok = 0, bad = 0;
	clock_t t0 = clock();

	(void)state;
	for (i = 0; i < ARRAY_LEN(sample_names); i++) {
		samples[i] = read_file(sample_path(sample_names[i]), &sample_len[i]);
		if (sample_len[i] * 2 + 4096 > cap)
			cap = sample_len[i] * 2 + 4096;
	}
	buf = malloc(cap);
	assert_non_null(buf);
	for (iter = 0; iter < 20000; iter++) {
		struct trace *t = NULL;
		int r;

		i = iter % ARRAY_LEN(sample_names);
		memcpy(buf, samples[i], sample_len[i]);
		len = sample_len[i];
		n_mut = 1 + (uint32_t)rng_below(&rng, 3);
		for (m = 0; m < n_mut; m++)
			mutate(buf, &len, cap, &rng);
		err[0] = '\0';
		r = trace_parse(buf, len, "fuzz.trace", &t, err, sizeof(err));
		if (r == 0) {
			assert_non_null(t);
			assert_round_trip(t);
			trace_free(t);
			ok++;
		} else {
			assert_true(r == TS_EINVAL || r == TS_E2BIG);
			assert_null(t);
			assert_error_shape(err, lines_in(buf, len), buf, len);
			bad++;
		}
	}
	/* Both outcomes are well represented, so both paths were exercised. */
	assert_true(ok > 2000);
	assert_true(bad > 2000);
	fprintf(stderr, "fuzz: %u parsed and round-tripped, %u refused, %.2f s\n", ok, bad,
		(double)(clock() - t0) / CLOCKS_PER_SEC);
	for (i = 0; i < ARRAY_LEN(sample_names); i++)
		free(samples[i]);
	free(buf);
}

/* ---- Files, the writer's failures, names -------------------------------------------------- */

/* A missing file is TS_ENOENT naming the path; a directory fails cleanly with TS_EIO. */
static void test_load_errors(void **state)
{
	char dir[] = "/tmp/test_trace_XXXXXX", path[256], err[512];
	struct trace *t = (struct trace *)&t;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/missing.trace", dir);
	assert_int_equal(trace_load(path, &t, err, sizeof(err)), TS_ENOENT);
	assert_null(t);
	assert_non_null(strstr(err, path));

	t = (struct trace *)&t;
	assert_int_equal(trace_load(dir, &t, err, sizeof(err)), TS_EIO);
	assert_null(t);
	assert_non_null(strstr(err, dir));

	/* A file's parse errors carry its path as NAME. */
	snprintf(path, sizeof(path), "%s/bad.trace", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("teeshm-trace 1\n0 vm start\n0 close s1\n", f);
	fclose(f);
	assert_int_equal(trace_load(path, &t, err, sizeof(err)), TS_EINVAL);
	assert_true(!strncmp(err, path, strlen(path)));
	assert_true(!strncmp(err + strlen(path), ":3:9: ", 6));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);

	assert_int_equal(trace_load(NULL, &t, err, sizeof(err)), TS_EINVAL);
}

/* A failing stream is TS_EIO; an op no parse could produce is TS_EINVAL, not bad text. */
static void test_write_errors(void **state)
{
	struct trace *t = parse_str("teeshm-trace 1\n0 vm start\n0 alloc m1 4K in\n");
	FILE *f = fopen("/dev/full", "w");
	char *buf = NULL;
	size_t n = 0;

	(void)state;
	if (f) {
		assert_int_equal(trace_write(t, f), TS_EIO);
		fclose(f);
	}
	f = open_memstream(&buf, &n);
	assert_non_null(f);
	t->ops[1].dir = 0;
	assert_int_equal(trace_write(t, f), TS_EINVAL);
	t->ops[1].dir = TRACE_DIR_IN;
	t->ops[1].name = 0;
	assert_int_equal(trace_write(t, f), TS_EINVAL);
	t->ops[1].name = 1;
	t->ops[1].vm = TRACE_MAX_VMS;
	assert_int_equal(trace_write(t, f), TS_EINVAL);
	t->ops[1].vm = 0;
	t->ops[1].size_bytes = TRACE_MAX_SIZE_BYTES + 1;
	assert_int_equal(trace_write(t, f), TS_EINVAL);
	t->ops[1].size_bytes = 4096;
	assert_int_equal(trace_write(t, f), 0);
	t->ops[1].verb = (enum trace_verb)99;
	assert_int_equal(trace_write(t, f), TS_EINVAL);
	t->ops[1].verb = TRACE_CHECKPOINT;
	strcpy(t->ops[1].checkpoint, "has space");
	assert_int_equal(trace_write(t, f), TS_EINVAL);
	fclose(f);
	free(buf);
	trace_free(t);
	trace_free(NULL);
}

/* TA and command names follow sim/common/ta_ids.h. */
static void test_names(void **state)
{
	(void)state;
	assert_string_equal(trace_ta_name(TRACE_TA_ECHO), "echo");
	assert_string_equal(trace_ta_name(TRACE_TA_STORAGE), "storage");
	assert_string_equal(trace_ta_name(TRACE_TA_BIGLOAD), "bigload");
	assert_string_equal(trace_ta_name(TRACE_TA_UUID), "uuid");
	assert_null(trace_ta_name((enum trace_ta)17));
	assert_string_equal(trace_cmd_name(TRACE_TA_ECHO, TA_ECHO_CMD_TRANSFORM), "transform");
	assert_string_equal(trace_cmd_name(TRACE_TA_ECHO, TA_ECHO_CMD_INC_INPLACE), "inc");
	assert_string_equal(trace_cmd_name(TRACE_TA_ECHO, TA_ECHO_CMD_VALUE), "value");
	assert_string_equal(trace_cmd_name(TRACE_TA_ECHO, TA_ECHO_CMD_TOUCH), "touch");
	assert_string_equal(trace_cmd_name(TRACE_TA_STORAGE, TA_STORAGE_CMD_WRITE), "write");
	assert_string_equal(trace_cmd_name(TRACE_TA_STORAGE, TA_STORAGE_CMD_READ), "read");
	assert_string_equal(trace_cmd_name(TRACE_TA_BIGLOAD, TA_BIGLOAD_CMD_SIZE), "size");
	assert_null(trace_cmd_name(TRACE_TA_ECHO, 4));
	assert_null(trace_cmd_name(TRACE_TA_UUID, 0));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_form_parses),
		cmocka_unit_test(test_seed_vms_and_lines),
		cmocka_unit_test(test_canonical_text),
		cmocka_unit_test(test_samples_round_trip),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_without_buffer),
		cmocka_unit_test(test_line_length),
		cmocka_unit_test(test_pagelist_canonical_length),
		cmocka_unit_test(test_live_name_limit),
		cmocka_unit_test(test_op_limit),
		cmocka_unit_test(test_differential_names),
		cmocka_unit_test(test_fuzz_mutations),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_names),
	};
	const char *dir = NULL;
	char *slash;

#ifdef TEESHM_SOURCE_DIR
	dir = TEESHM_SOURCE_DIR;
#endif
	if (argc > 1)
		dir = argv[1];
	if (dir) {
		snprintf(source_dir, sizeof(source_dir), "%s", dir);
	} else {
		/* __FILE__ is .../tests/unit/test_trace.c: three levels up is the source tree. */
		snprintf(source_dir, sizeof(source_dir), "%s", __FILE__);
		slash = strstr(source_dir, "tests/unit/test_trace.c");
		if (slash)
			*slash = '\0';
		if (!source_dir[0])
			strcpy(source_dir, ".");
		else if (source_dir[strlen(source_dir) - 1] == '/')
			source_dir[strlen(source_dir) - 1] = '\0';
	}
	return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
