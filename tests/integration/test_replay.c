/*
 * Workloads replayed in one process (workloads/replay.h): every bundled
 * workload and every generator runs under every strategy with zero leaks
 * and a clean secure world; a replay is deterministic; recording a replay
 * and replaying the recording gives the same deterministic figures and no
 * divergence; a trace that cannot run says why.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/profile.h"
#include "sim/common/strategy.h"
#include "sim/common/ts_err.h"
#include "workloads/gen.h"
#include "workloads/replay.h"
#include "workloads/trace.h"

static struct profile prof;

static int load_profile(void **state)
{
	char err[256];

	(void)state;
	return profile_load_file(TEESHM_SOURCE_DIR "/profiles/cortex-a53.ini", &prof, err,
				 sizeof(err));
}

/* Two VMs, every param form, storage over RPC, a TA load, and VM 1 crashing while it holds things. */
static const char sample[] =
	"teeshm-trace 1\n"
	"0 vm start\n"
	"1 vm start\n"
	"0 open s1 echo\n"
	"1 open s1 echo\n"
	"0 alloc m1 64K inout\n"
	"0 register m2 8K in\n"
	"1 register m1 16K inout\n"
	"0 invoke s1 touch tmp:in:4096 whole:m1 part:in:m2:100:4000 val:inout:1:2\n"
	"1 invoke s1 touch whole:m1 null:in:0\n"
	"0 invoke s1 touch tmp:inout:100000\n"
	"0 invoke s1 touch whole:m1\n"
	"1 invoke s1 touch whole:m1\n"
	"1 vm crash\n"
	"0 open s2 storage\n"
	"0 invoke s2 write val:in:7 tmp:in:5000\n"
	"0 invoke s2 read val:in:7 tmp:out:5000\n"
	"0 open s3 bigload\n"
	"0 close s3\n"
	"0 release m1\n"
	"0 release m2\n"
	"0 close s1\n"
	"0 close s2\n"
	"0 vm stop\n";

/* Replay t under strategy; its secure-world statistics line parsed, and the counts. */
static json_t *replay(const struct trace *t, const char *strategy, FILE *record,
		      struct replay_counts *counts)
{
	struct replay_config cfg = { .strategy = strategy, .profile = &prof, .record_out = record };
	char err[512] = "", *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	json_t *secure = NULL;
	int rc;

	assert_non_null(f);
	rc = replay_inproc(t, &cfg, f, counts, err, sizeof(err));
	fclose(f);
	if (rc)
		fprintf(stderr, "replay under %s: %s\n", strategy, err);
	assert_int_equal(rc, 0);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(line, 0, NULL);
		const char *role = json_string_value(json_object_get(j, "role"));

		if (role && !strcmp(role, "secure"))
			secure = json_incref(j);
		json_decref(j);
	}
	free(text);
	assert_non_null(secure);
	return secure;
}

/* The secure world checked clean and nothing leaked. */
static void assert_clean(const json_t *secure, const char *what, const char *strategy)
{
	const json_t *leaks = json_object_get(json_object_get(secure, "result"), "leaks");
	const char *check = json_string_value(json_object_get(secure, "check"));
	const char *k;
	json_t *v;

	if (!check || strcmp(check, "ok"))
		fprintf(stderr, "%s under %s: check %s\n", what, strategy, check);
	assert_string_equal(check, "ok");
	assert_non_null(leaks);
	json_object_foreach((json_t *)leaks, k, v) {
		if (json_integer_value(v))
			fprintf(stderr, "%s under %s: leaks.%s = %lld\n", what, strategy, k,
				(long long)json_integer_value(v));
		assert_int_equal(json_integer_value(v), 0);
	}
}

/* Host timings and mailbox counters vary run to run; everything else must not. */
static void drop_host_figures(json_t *secure)
{
	json_t *res = json_object_get(secure, "result");

	json_object_del(json_object_get(res, "map"), "host_ns");
	json_object_del(json_object_get(res, "unmap"), "host_ns");
	json_object_del(secure, "mailboxes");
}

static struct trace *parse(const char *text, const char *name)
{
	struct trace *t = NULL;
	char err[512] = "";

	if (trace_parse(text, strlen(text), name, &t, err, sizeof(err)))
		fprintf(stderr, "%s\n", err);
	assert_non_null(t);
	return t;
}

/* The sample runs under every strategy, leaves nothing, and runs the same twice. */
static void test_sample_every_strategy_deterministic(void **state)
{
	struct trace *t = parse(sample, "sample");
	int s;

	(void)state;
	for (s = 0; s < STRATEGY_COUNT; s++) {
		struct replay_counts c1, c2;
		json_t *a = replay(t, strategy_name((enum strategy_id)s), NULL, &c1);
		json_t *b = replay(t, strategy_name((enum strategy_id)s), NULL, &c2);

		assert_clean(a, "sample", strategy_name((enum strategy_id)s));
		assert_int_equal(c1.crashes, 1);
		assert_int_equal(c1.ops, t->n_ops);
		if (s != STRATEGY_CARVEOUT) /* the 1.5 MiB TA load does not fit a carveout slice */
			assert_int_equal(c1.failures, 0);
		drop_host_figures(a);
		drop_host_figures(b);
		assert_true(json_equal(a, b));
		assert_int_equal(c1.failures, c2.failures);
		json_decref(a);
		json_decref(b);
	}
	trace_free(t);
}

/*
 * Record a replay, replay the recording: the same deterministic figures,
 * and every result as the recording says (no divergence).
 */
static void test_record_replay_round_trip(void **state)
{
	struct trace *t = parse(sample, "sample"), *r;
	char *text = NULL;
	size_t len = 0;
	int s;

	(void)state;
	for (s = 0; s < STRATEGY_COUNT; s++) {
		const char *name = strategy_name((enum strategy_id)s);
		struct replay_counts c1, c2;
		FILE *rec = open_memstream(&text, &len);
		json_t *a, *b;

		a = replay(t, name, rec, &c1);
		fclose(rec);
		r = parse(text, "recorded");
		b = replay(r, name, NULL, &c2);
		assert_int_equal(c2.divergences, 0);
		assert_int_equal(c2.failures, 0);
		assert_int_equal(c2.crashes, 1);
		drop_host_figures(a);
		drop_host_figures(b);
		if (!json_equal(a, b)) {
			char *x = json_dumps(a, JSON_SORT_KEYS), *y = json_dumps(b, JSON_SORT_KEYS);

			fprintf(stderr, "%s: original %s\nrecorded %s\n", name, x, y);
			free(x);
			free(y);
		}
		assert_true(json_equal(a, b));
		json_decref(a);
		json_decref(b);
		trace_free(r);
		free(text);
		text = NULL;
	}
	trace_free(t);
}

/* Every bundled workload under every strategy: nothing leaks, the secure world checks clean. */
static void test_bundled_workloads(void **state)
{
	static const char *const bundled[] = { "gp-xtest", "multi-vm" };
	size_t w;
	int s;

	(void)state;
	for (w = 0; w < sizeof(bundled) / sizeof(bundled[0]); w++) {
		char path[512], err[512] = "";
		struct trace *t = NULL;

		snprintf(path, sizeof(path), "%s/workloads/%s.trace", TEESHM_SOURCE_DIR, bundled[w]);
		if (trace_load(path, &t, err, sizeof(err)))
			fprintf(stderr, "%s\n", err);
		assert_non_null(t);
		for (s = 0; s < STRATEGY_COUNT; s++) {
			struct replay_counts c;
			json_t *sec = replay(t, strategy_name((enum strategy_id)s), NULL, &c);

			assert_clean(sec, bundled[w], strategy_name((enum strategy_id)s));
			assert_int_equal(c.ops, t->n_ops);
			json_decref(sec);
		}
		trace_free(t);
	}
}

/* Every generator, small, under every strategy: nothing leaks. */
static void test_generators(void **state)
{
	const char *const *g;
	int s;

	(void)state;
	for (g = workload_generator_names(); *g; g++) {
		struct workload_gen_params p = { .vms = 2, .seed = 7, .ops = 40 };
		char *text = NULL, err[512] = "";
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		struct trace *t;

		assert_int_equal(workload_generate(*g, &p, f, err, sizeof(err)), 0);
		fclose(f);
		t = parse(text, *g);
		for (s = 0; s < STRATEGY_COUNT; s++) {
			struct replay_counts c;
			json_t *sec = replay(t, strategy_name((enum strategy_id)s), NULL, &c);

			assert_clean(sec, *g, strategy_name((enum strategy_id)s));
			json_decref(sec);
		}
		trace_free(t);
		free(text);
	}
}

/* A crash needs a hypervisor to notice it: a one-VM trace without one is refused with the line. */
static void test_crash_without_hypervisor(void **state)
{
	struct trace *t = parse("teeshm-trace 1\n0 vm start\n0 open s1 echo\n0 vm crash\n", "c");
	struct replay_config cfg = { .strategy = "dynamic", .profile = &prof };
	struct replay_counts c;
	char err[512] = "", *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_int_equal(replay_inproc(t, &cfg, f, &c, err, sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, "line 4"));
	assert_non_null(strstr(err, "hypervisor"));
	/* With one, it runs and the VM is reclaimed. */
	cfg.force_hypervisor = true;
	assert_int_equal(replay_inproc(t, &cfg, f, &c, err, sizeof(err)), 0);
	assert_int_equal(c.crashes, 1);
	fclose(f);
	free(text);
	trace_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_every_strategy_deterministic),
		cmocka_unit_test(test_record_replay_round_trip),
		cmocka_unit_test(test_bundled_workloads),
		cmocka_unit_test(test_generators),
		cmocka_unit_test(test_crash_without_hypervisor),
	};

	return cmocka_run_group_tests_name("replay", tests, load_profile, NULL);
}
