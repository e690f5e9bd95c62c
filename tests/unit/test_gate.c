/*
 * The regression gate (sim/launcher/gate.h): equal documents pass; a worse
 * deterministic figure is a regression and a better one an improvement; a
 * figure that describes the run (ops) changing means another run; host
 * timings pass within the tolerance, tails are never judged, --no-host
 * judges none; a missing figure regresses, a new one is noted; documents of
 * different runs or schemas are refused with a message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sim/common/ts_err.h"
#include "sim/launcher/gate.h"

static const char base_text[] =
	"{\"schema\":\"teeshm.result/1\",\"strategy\":\"cached\",\"workload\":\"w\",\"vms\":2,"
	"\"profile\":\"cortex-a53\","
	"\"ops\":{\"smc\":10,\"invoke\":4,\"failed\":0,\"by_error\":{}},"
	"\"map\":{\"count\":5,\"pages\":9,\"host_ns\":{\"p50\":1000,\"p90\":2000,\"p99\":3000,"
	"\"max\":4000,\"mean\":1200},\"modeled_cycles\":50000},"
	"\"tlb\":{\"flushes\":{\"all\":3},\"hits\":100,\"misses\":20},"
	"\"memory\":{\"waste_peak_bytes\":4096,\"waste_samples\":30},"
	"\"time\":{\"wall_ns\":1000000,\"modeled_ns\":41666},"
	"\"leaks\":{\"mappings\":0}}";

static json_t *doc(void)
{
	json_t *d = json_loads(base_text, 0, NULL);

	assert_non_null(d);
	return d;
}

/* Set obj.a(.b(.c)) to v. */
static void set(json_t *d, const char *a, const char *b, const char *c, json_int_t v)
{
	json_t *o = d;

	if (b) {
		o = json_object_get(o, a);
		a = b;
	}
	if (c) {
		o = json_object_get(o, a);
		a = c;
	}
	assert_int_equal(json_object_set_new(o, a, json_integer(v)), 0);
}

static struct gate_result gate(const json_t *a, const json_t *b, unsigned tol, bool host)
{
	struct gate_result r;
	char err[256] = "";

	assert_int_equal(gate_compare(a, b, tol, host, NULL, &r, err, sizeof(err)), 0);
	return r;
}

/* Equal documents: every number compared, nothing to report. */
static void test_equal_passes(void **state)
{
	json_t *a = doc(), *b = doc();
	struct gate_result r = gate(a, b, 0, true);

	(void)state;
	assert_int_equal(r.compared, 20);
	assert_int_equal(r.regressions + r.improvements + r.changed + r.within + r.added, 0);
	json_decref(a);
	json_decref(b);
}

/* Deterministic figures: worse regresses, better improves; higher TLB hits are better. */
static void test_deterministic_directions(void **state)
{
	json_t *a = doc(), *b = doc();
	struct gate_result r;

	(void)state;
	set(b, "map", "modeled_cycles", NULL, 50001);
	r = gate(a, b, 50, true);
	assert_int_equal(r.regressions, 1);
	set(b, "map", "modeled_cycles", NULL, 49999);
	set(b, "tlb", "flushes", "all", 2);
	set(b, "tlb", "hits", NULL, 101);
	r = gate(a, b, 50, true);
	assert_int_equal(r.regressions, 0);
	assert_int_equal(r.improvements, 3);
	set(b, "tlb", "hits", NULL, 99);
	set(b, "leaks", "mappings", NULL, 1);
	r = gate(a, b, 50, true);
	assert_int_equal(r.regressions, 2);
	json_decref(a);
	json_decref(b);
}

/* A change in what the run did (ops, samples) is not a cost: the runs are not the same. */
static void test_changed_run(void **state)
{
	json_t *a = doc(), *b = doc();
	struct gate_result r;

	(void)state;
	set(b, "ops", "invoke", NULL, 5);
	set(b, "memory", "waste_samples", NULL, 31);
	r = gate(a, b, 50, true);
	assert_int_equal(r.changed, 2);
	assert_int_equal(r.regressions, 0);
	set(b, "ops", "failed", NULL, 1); /* failures are a cost */
	r = gate(a, b, 50, true);
	assert_int_equal(r.regressions, 1);
	json_decref(a);
	json_decref(b);
}

/* Host timings: within the tolerance passes, beyond regresses, tails and --no-host never do. */
static void test_host_tolerance(void **state)
{
	json_t *a = doc(), *b = doc();
	struct gate_result r;

	(void)state;
	set(b, "map", "host_ns", "p50", 1500);   /* +50% */
	r = gate(a, b, 50, true);
	assert_int_equal(r.regressions, 0);
	assert_int_equal(r.within, 1);
	set(b, "map", "host_ns", "p50", 1501);
	r = gate(a, b, 50, true);
	assert_int_equal(r.regressions, 1);
	r = gate(a, b, 50, false);
	assert_int_equal(r.regressions, 0);
	set(b, "map", "host_ns", "p50", 1000);
	set(b, "map", "host_ns", "max", 400000);  /* a tail */
	set(b, "time", "wall_ns", NULL, 900000); /* faster: no reason to renew */
	r = gate(a, b, 0, true);
	assert_int_equal(r.regressions, 0);
	assert_int_equal(r.improvements, 0);
	json_decref(a);
	json_decref(b);
}

/* A figure the current run lacks regresses; one it adds is noted. */
static void test_missing_and_added(void **state)
{
	json_t *a = doc(), *b = doc();
	struct gate_result r;

	(void)state;
	json_object_del(json_object_get(b, "memory"), "waste_peak_bytes");
	json_object_set_new(json_object_get(b, "memory"), "new_figure", json_integer(1));
	r = gate(a, b, 50, true);
	assert_int_equal(r.regressions, 1);
	assert_int_equal(r.added, 1);
	json_decref(a);
	json_decref(b);
}

/* Different runs or schemas are not compared, and the message says why. */
static void test_not_comparable(void **state)
{
	json_t *a = doc(), *b = doc();
	struct gate_result r;
	char err[256];

	(void)state;
	json_object_set_new(b, "strategy", json_string("dynamic"));
	assert_int_equal(gate_compare(a, b, 50, true, NULL, &r, err, sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, "strategy \"cached\" in the baseline, \"dynamic\" now"));
	json_object_set_new(b, "strategy", json_string("cached"));
	set(b, "vms", NULL, NULL, 3);
	assert_int_equal(gate_compare(a, b, 50, true, NULL, &r, err, sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, "VMs"));
	json_object_set_new(a, "schema", json_string("other/9"));
	assert_int_equal(gate_compare(a, b, 50, true, NULL, &r, err, sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, "schema"));
	json_object_del(a, "schema");
	assert_int_equal(gate_compare(a, b, 50, true, NULL, &r, err, sizeof(err)), TS_EINVAL);
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal_passes),
		cmocka_unit_test(test_deterministic_directions),
		cmocka_unit_test(test_changed_run),
		cmocka_unit_test(test_host_tolerance),
		cmocka_unit_test(test_missing_and_added),
		cmocka_unit_test(test_not_comparable),
	};

	return cmocka_run_group_tests_name("gate", tests, NULL, NULL);
}
