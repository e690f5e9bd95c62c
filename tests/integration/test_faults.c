/*
 * Faults injected where a real system meets them, each followed by the
 * invariant checkers and the leak books:
 *  - a guest crashing at a random point of the multi-VM workload, then
 *    rebooted by the hypervisor and running again (seeded, 40 runs over
 *    every strategy): the secure world checks clean, nothing leaks, the
 *    other guests' calls all succeed;
 *  - 64 client threads calling at once through 8 CPUs into 4 secure
 *    threads: every call completes (ETHREAD_LIMIT waits), data right, books
 *    clean.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/profile.h"
#include "sim/common/rng.h"
#include "sim/common/ta_ids.h"
#include "tests/integration/inproc_world.h"
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

/*
 * The multi-VM workload with VM `victim` crashing before its op number `at`
 * (counting its own ops after its start), rebooted by the hypervisor right
 * away, and replaying nothing more but a clean stop: what it held at the
 * crash must be reclaimed, what it does after the reboot must work.
 */
static char *crash_trace(const struct trace *t, uint16_t victim, size_t at)
{
	char *text = NULL;
	size_t len = 0, i, own = 0;
	FILE *f = open_memstream(&text, &len);
	struct trace copy = *t;
	struct trace_op *ops = calloc(t->n_ops + 4, sizeof(*ops));
	bool crashed = false;
	size_t mine = 0;

	assert_non_null(f);
	assert_non_null(ops);
	/* Its ops between its first start and its end: the crash lands on one of them. */
	for (i = 0; i < t->n_ops; i++) {
		const struct trace_op *op = &t->ops[i];

		if (op->verb == TRACE_CHECKPOINT || op->vm != victim || op->verb == TRACE_VM_START)
			continue;
		mine++;
		if (op->verb == TRACE_VM_STOP || op->verb == TRACE_VM_CRASH)
			break;
	}
	assert_true(mine > 0);
	at %= mine;
	copy.ops = ops;
	copy.n_ops = 0;
	for (i = 0; i < t->n_ops; i++) {
		const struct trace_op *op = &t->ops[i];

		if (op->verb != TRACE_CHECKPOINT && op->vm == victim) {
			if (crashed)
				continue; /* its client is gone with it */
			if (op->verb != TRACE_VM_START && own++ == at) {
				ops[copy.n_ops++] = (struct trace_op){ .verb = TRACE_VM_CRASH, .vm = victim };
				ops[copy.n_ops++] = (struct trace_op){ .verb = TRACE_VM_START, .vm = victim };
				ops[copy.n_ops] = (struct trace_op){ .verb = TRACE_OPEN, .vm = victim,
								     .name = 1, .ta = TRACE_TA_ECHO };
				ta_uuid_to_octets(ops[copy.n_ops++].uuid, &(struct ta_uuid)TA_ECHO_UUID);
				ops[copy.n_ops++] = (struct trace_op){ .verb = TRACE_VM_STOP, .vm = victim };
				crashed = true;
				continue;
			}
		}
		ops[copy.n_ops++] = *op;
	}
	assert_true(crashed);
	assert_int_equal(trace_write(&copy, f), 0);
	fclose(f);
	free(ops);
	return text;
}

static json_t *secure_line(const char *text)
{
	char *copy = strdup(text), *line, *save = NULL;
	json_t *found = NULL;

	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(line, 0, NULL);
		const char *role = json_string_value(json_object_get(j, "role"));

		if (role && !strcmp(role, "secure"))
			found = json_incref(j);
		json_decref(j);
	}
	free(copy);
	assert_non_null(found);
	return found;
}

/* Crashes at 40 seeded points, every strategy in turn: clean books and no leak after each. */
static void test_random_crash_and_reboot(void **state)
{
	struct trace *t = NULL;
	char err[512] = "";
	uint64_t rng = 0x5eedfa17ull;
	unsigned run;

	(void)state;
	if (trace_load(TEESHM_SOURCE_DIR "/workloads/multi-vm.trace", &t, err, sizeof(err)))
		fprintf(stderr, "%s\n", err);
	assert_non_null(t);
	assert_true(t->n_vms >= 2);
	for (run = 0; run < 40; run++) {
		static const char *const strategies[] = { "dynamic", "cached", "rpc", "carveout" };
		uint16_t victim = (uint16_t)(rng_next(&rng) % t->n_vms);
		size_t at = (size_t)(rng_next(&rng) % 60);
		char *text = crash_trace(t, victim, at), *out = NULL;
		struct replay_config cfg = { .strategy = strategies[run % 4], .profile = &prof };
		struct replay_counts c;
		struct trace *ct = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);
		json_t *sec, *leaks;
		const char *k;
		json_t *v;

		if (trace_parse(text, strlen(text), "crash", &ct, err, sizeof(err)))
			fprintf(stderr, "run %u: %s\n", run, err);
		assert_non_null(ct);
		if (replay_inproc(ct, &cfg, f, &c, err, sizeof(err)))
			fprintf(stderr, "run %u (%s, vm %u at %zu): %s\n", run, cfg.strategy, victim, at,
				err);
		fclose(f);
		assert_true(c.crashes >= 1);
		sec = secure_line(out);
		assert_string_equal(json_string_value(json_object_get(sec, "check")), "ok");
		leaks = json_object_get(json_object_get(sec, "result"), "leaks");
		json_object_foreach(leaks, k, v)
			assert_int_equal(json_integer_value(v), 0);
		json_decref(sec);
		trace_free(ct);
		free(text);
		free(out);
	}
	trace_free(t);
}

struct caller {
	struct inproc_lone *w;
	unsigned id;
	unsigned failures;
};

/* One client thread: its own session, 8 echo transforms of its own bytes. */
static void *caller_thread(void *arg)
{
	struct caller *c = arg;
	const TEEC_UUID echo = TA_ECHO_UUID;
	TEEC_Session s;
	uint8_t in[3000], out[3000];
	uint32_t origin;
	unsigned round, i;

	if (TEEC_OpenSession(&c->w->ctx, &s, &echo, TEEC_LOGIN_PUBLIC, NULL, NULL, &origin)) {
		c->failures++;
		return NULL;
	}
	for (round = 0; round < 8; round++) {
		TEEC_Operation op;

		for (i = 0; i < sizeof(in); i++)
			in[i] = (uint8_t)(c->id * 7 + round + i);
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
						 TEEC_VALUE_INOUT, TEEC_NONE);
		op.params[0].tmpref.buffer = in;
		op.params[0].tmpref.size = sizeof(in);
		op.params[1].tmpref.buffer = out;
		op.params[1].tmpref.size = sizeof(out);
		if (TEEC_InvokeCommand(&s, TA_ECHO_CMD_TRANSFORM, &op, &origin)) {
			c->failures++;
			continue;
		}
		for (i = 0; i < sizeof(in); i++)
			if (out[i] != (uint8_t)(in[i] ^ 0xa5)) {
				c->failures++;
				break;
			}
	}
	TEEC_CloseSession(&s);
	return NULL;
}

/* 64 callers, 8 CPUs, 4 secure threads: all 512 invokes complete right; books clean after. */
static void test_64_concurrent_callers(void **state)
{
	static const enum strategy_id strategies[] = { STRATEGY_DYNAMIC, STRATEGY_CACHED };
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(strategies) / sizeof(strategies[0]); k++) {
		struct inproc_lone_cfg cfg;
		struct inproc_lone w;
		struct caller c[64];
		pthread_t th[64];
		struct sw_client_info ci;
		unsigned i, failures = 0;

		inproc_lone_cfg_default(&cfg, strategies[k]);
		cfg.n_cpus = 8;
		cfg.sw.num_threads = 4;
		cfg.guest_ram_bytes = 64ull << 20;
		inproc_lone_up(&w, &cfg);
		assert_int_equal(TEEC_InitializeContext(NULL, &w.ctx), TEEC_SUCCESS);
		for (i = 0; i < 64; i++) {
			c[i] = (struct caller){ &w, i, 0 };
			assert_int_equal(pthread_create(&th[i], NULL, caller_thread, &c[i]), 0);
		}
		for (i = 0; i < 64; i++) {
			pthread_join(th[i], NULL);
			failures += c[i].failures;
		}
		assert_int_equal(failures, 0);
		assert_int_equal(sw_check(w.sw), 0);
		assert_int_equal(sw_client_info(w.sw, 0, &ci), 0);
		assert_int_equal(ci.sessions, 0);
		assert_int_equal(ci.threads_running + ci.threads_suspended, 0);
		TEEC_FinalizeContext(&w.ctx);
		inproc_lone_client_down(&w);
		inproc_lone_drv_down(&w);
		assert_int_equal(sw_client_info(w.sw, 0, &ci), 0);
		assert_int_equal(ci.mappings, 0);
		assert_int_equal(sw_check(w.sw), 0);
		inproc_lone_down(&w);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_crash_and_reboot),
		cmocka_unit_test(test_64_concurrent_callers),
	};

	return cmocka_run_group_tests_name("faults", tests, load_profile, NULL);
}
