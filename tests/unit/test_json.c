/* JSON writer: exact output, escaping, and misuse reported rather than written silently. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sim/common/json.h"
#include "sim/common/ts_err.h"

static char *buf;
static size_t buf_len;

static FILE *mem(void)
{
	free(buf);
	buf = NULL;
	return open_memstream(&buf, &buf_len);
}

/* A nested document comes out byte for byte as expected, compact and pretty. */
static void test_exact_output(void **state)
{
	struct json_writer j;
	FILE *f;
	int pretty;

	(void)state;
	for (pretty = 0; pretty < 2; pretty++) {
		f = mem();
		jw_begin(&j, f, pretty);
		jw_object_begin(&j);
		jw_kv_string(&j, "schema", "teeshm.result/1");
		jw_key(&j, "map");
		jw_object_begin(&j);
		jw_kv_u64(&j, "count", 18446744073709551615ull);
		jw_kv_i64(&j, "delta", -5);
		jw_object_end(&j);
		jw_key(&j, "vms");
		jw_array_begin(&j);
		jw_u64(&j, 1);
		jw_bool(&j, true);
		jw_array_begin(&j);
		jw_array_end(&j);
		jw_array_end(&j);
		jw_object_end(&j);
		assert_int_equal(jw_end(&j), 0);
		fclose(f);
		if (!pretty)
			assert_string_equal(buf, "{\"schema\":\"teeshm.result/1\",\"map\":{\"count\":"
						 "18446744073709551615,\"delta\":-5},\"vms\":[1,true,[]]}");
		else
			assert_string_equal(buf, "{\n  \"schema\": \"teeshm.result/1\",\n  \"map\": {\n"
						 "    \"count\": 18446744073709551615,\n    \"delta\": -5\n"
						 "  },\n  \"vms\": [\n    1,\n    true,\n    []\n  ]\n}\n");
	}
}

/* Quotes, backslashes and control characters are escaped. */
static void test_escaping(void **state)
{
	struct json_writer j;
	FILE *f = mem();

	(void)state;
	jw_begin(&j, f, false);
	jw_string(&j, "a\"b\\c\nd\x01");
	assert_int_equal(jw_end(&j), 0);
	fclose(f);
	assert_string_equal(buf, "\"a\\\"b\\\\c\\nd\\u0001\"");
}

/* Every kind of misuse makes jw_end fail. */
static void test_misuse(void **state)
{
	struct json_writer j;
	FILE *f = mem();
	int i;

	(void)state;
	for (i = 0; i < 5; i++) {
		jw_begin(&j, f, false);
		switch (i) {
		case 0: /* a value where a key is due */
			jw_object_begin(&j);
			jw_u64(&j, 1);
			jw_object_end(&j);
			break;
		case 1: /* closing the wrong container */
			jw_array_begin(&j);
			jw_object_end(&j);
			break;
		case 2: /* left open */
			jw_object_begin(&j);
			break;
		case 3: /* a key with no value */
			jw_object_begin(&j);
			jw_key(&j, "k");
			jw_object_end(&j);
			break;
		case 4: /* a key in an array */
			jw_array_begin(&j);
			jw_key(&j, "k");
			jw_array_end(&j);
			break;
		}
		assert_int_equal(jw_end(&j), TS_EINVAL);
	}
	fclose(f);
	free(buf);
	buf = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_output),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_misuse),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
