/*
 * The teeshm.result/1 document of a run, built from the worlds' statistics
 * lines: the secure world's result object is taken whole, the guests' copied
 * bytes are summed, the launcher's identity and wall time are added; lines
 * that are not ours are ignored; a missing, malformed or doubled secure
 * result is refused with a message; the file round-trips; the table says
 * whether anything leaked.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/ts_err.h"
#include "sim/launcher/run_result.h"

static const char secure_line[] =
	"{\"role\":\"secure\",\"check\":\"ok\",\"modeled_ns\":12345,\"profile\":\"cortex-a53\","
	"\"result\":{\"ops\":{\"smc\":9,\"invoke\":3,\"failed\":0},"
	"\"map\":{\"count\":4,\"pages\":10,\"host_ns\":{\"p50\":100,\"p90\":200,\"p99\":300,"
	"\"max\":400,\"mean\":150},\"modeled_cycles\":777},"
	"\"unmap\":{\"count\":4,\"pages\":10,\"host_ns\":{\"p50\":50,\"p90\":60,\"p99\":70,"
	"\"max\":80,\"mean\":55},\"modeled_cycles\":333},"
	"\"tlb\":{\"flushes\":{\"all\":4},\"hits\":5,\"misses\":6,\"walks\":6},"
	"\"memory\":{\"reserved_peak_bytes\":40960,\"in_use_peak_bytes\":4096,"
	"\"waste_peak_bytes\":36864,\"waste_mean_bytes\":1000},"
	"\"leaks\":{\"mappings\":0,\"va_bytes\":0,\"pinned_pages\":%d}}}";

static void take_secure(struct run_result *rr, int pinned)
{
	char line[2048], err[128] = "";

	snprintf(line, sizeof(line), secure_line, pinned);
	assert_int_equal(run_result_take_line(rr, line, err, sizeof(err)), 0);
}

static const struct run_meta meta = { "cached", "basic", 2, 5000000 };

/* The document carries the run's identity, the secure world's part whole, copies and times. */
static void test_document(void **state)
{
	struct run_result rr;
	char err[128] = "";
	json_t *doc;

	(void)state;
	run_result_init(&rr);
	assert_int_equal(run_result_take_line(&rr, "not json at all", err, sizeof(err)), 0);
	assert_int_equal(run_result_take_line(&rr, "{\"role\": \"guest\", \"bytes_copied\": 100}",
					      err, sizeof(err)), 0);
	assert_int_equal(run_result_take_line(&rr, "{\"no_role\": 1}", err, sizeof(err)), 0);
	take_secure(&rr, 0);
	assert_int_equal(run_result_take_line(&rr, "{\"role\": \"guest\", \"bytes_copied\": 23}",
					      err, sizeof(err)), 0);
	assert_int_equal(rr.guests_reported, 2);
	doc = run_result_document(&rr, &meta, err, sizeof(err));
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "schema")), "teeshm.result/1");
	assert_string_equal(json_string_value(json_object_get(doc, "strategy")), "cached");
	assert_string_equal(json_string_value(json_object_get(doc, "workload")), "basic");
	assert_string_equal(json_string_value(json_object_get(doc, "profile")), "cortex-a53");
	assert_int_equal(json_integer_value(json_object_get(doc, "vms")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "copy"), "bytes")),
			 123);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "time"),
							    "modeled_ns")), 12345);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "time"),
							    "wall_ns")), 5000000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
				 json_object_get(doc, "map"), "host_ns"), "p99")), 300);
	assert_non_null(json_object_get(doc, "leaks"));
	json_decref(doc);
	run_result_fini(&rr);
}

/* A run without a secure result, a secure line without one, and two of them are refused. */
static void test_refusals(void **state)
{
	struct run_result rr;
	char err[128] = "";

	(void)state;
	run_result_init(&rr);
	assert_null(run_result_document(&rr, &meta, err, sizeof(err)));
	assert_non_null(strstr(err, "no result from the secure world"));
	assert_int_equal(run_result_take_line(&rr, "{\"role\":\"secure\",\"profile\":\"x\"}", err,
					      sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, "no result object"));
	take_secure(&rr, 0);
	err[0] = '\0';
	{
		char line[2048];

		snprintf(line, sizeof(line), secure_line, 0);
		assert_int_equal(run_result_take_line(&rr, line, err, sizeof(err)), TS_EINVAL);
	}
	assert_non_null(strstr(err, "two secure-world result lines"));
	run_result_fini(&rr);
}

/* Written to a file, the document reads back equal; an unwritable path is named. */
static void test_write_round_trip(void **state)
{
	char path[] = "/tmp/teeshm-result-XXXXXX", err[256] = "";
	struct run_result rr;
	json_error_t jerr;
	json_t *doc, *back;
	int fd;

	(void)state;
	run_result_init(&rr);
	take_secure(&rr, 0);
	doc = run_result_document(&rr, &meta, err, sizeof(err));
	assert_non_null(doc);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(run_result_write(doc, path, err, sizeof(err)), 0);
	back = json_load_file(path, 0, &jerr);
	assert_non_null(back);
	assert_true(json_equal(doc, back));
	assert_int_equal(run_result_write(doc, "/proc/nonexistent/x.json", err, sizeof(err)),
			 TS_EIO);
	assert_non_null(strstr(err, "/proc/nonexistent/x.json"));
	json_decref(back);
	json_decref(doc);
	remove(path);
	run_result_fini(&rr);
}

/* The table names the strategy and says "none" for a clean run, "LEAKED" otherwise. */
static void test_table(void **state)
{
	int pinned;

	(void)state;
	for (pinned = 0; pinned <= 1; pinned++) {
		struct run_result rr;
		char err[128], *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		json_t *doc;

		run_result_init(&rr);
		take_secure(&rr, pinned);
		doc = run_result_document(&rr, &meta, err, sizeof(err));
		run_result_print_table(doc, f);
		fclose(f);
		assert_non_null(strstr(text, "strategy cached"));
		assert_non_null(strstr(text, "map"));
		assert_non_null(strstr(text, pinned ? "LEAKED" : "leaks  none"));
		free(text);
		json_decref(doc);
		run_result_fini(&rr);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_document),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_write_round_trip),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests_name("run_result", tests, NULL, NULL);
}
