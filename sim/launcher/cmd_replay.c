/*
 * teeshm replay / compare / gen: workloads in one process (workloads/replay.h).
 *
 *   teeshm replay [--strategy S] [--profile P] [--hv] [--json FILE] [--events]
 *                 [--dump-mmu DIR] TRACE
 *   teeshm compare --workload W [--out DIR] [--profile P] [--vms N] [--seed S]
 *   teeshm gen NAME [--vms N] [--seed S] [--ops N] [--out FILE]
 *
 * A workload W is a bundled name (workloads/NAME.trace), a generator name
 * (workloads/gen.h) or a trace file.  Replays are deterministic: compare
 * runs the same trace under every strategy and the modeled figures differ
 * only by what the strategies do.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

#include "sim/common/errmsg.h"
#include "sim/common/opts.h"
#include "sim/common/profile.h"
#include "sim/common/strategy.h"
#include "sim/common/ts_err.h"
#include "sim/launcher/cli.h"
#include "sim/launcher/run_result.h"
#include "workloads/gen.h"
#include "workloads/replay.h"
#include "workloads/trace.h"

#define DEFAULT_PROFILE TEESHM_PROFILE_DIR "/cortex-a53.ini"

#ifndef TEESHM_VERSION
#define TEESHM_VERSION "unknown"
#endif

/* Is name one of the generators? */
static bool is_generator(const char *name)
{
	const char *const *g;

	for (g = workload_generator_names(); *g; g++)
		if (!strcmp(*g, name))
			return true;
	return false;
}

int cli_workload_load(const char *w, const struct workload_gen_params *gp, struct trace **out,
		      char *err, size_t err_bytes)
{
	char path[4096];
	struct stat st;

	*out = NULL;
	if (!strchr(w, '/') && !strchr(w, '.')) {
		snprintf(path, sizeof(path), "%s/%s.trace", TEESHM_WORKLOAD_DIR, w);
		if (!stat(path, &st))
			return trace_load(path, out, err, err_bytes);
		if (is_generator(w)) {
			char *text = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&text, &len);
			int rc;

			if (!f)
				return ts_errf(err, err_bytes, TS_ENOMEM, "out of memory");
			rc = workload_generate(w, gp, f, err, err_bytes);
			if (fclose(f) && !rc)
				rc = ts_errf(err, err_bytes, TS_EIO, "generating %s failed", w);
			if (!rc)
				rc = trace_parse(text, len, w, out, err, err_bytes);
			free(text);
			return rc;
		}
		if (stat(w, &st))
			return ts_errf(err, err_bytes, TS_ENOENT,
				       "--workload '%s' is neither a bundled workload (gp-xtest, "
				       "multi-vm), a generator (teeshm gen --help) nor a file", w);
	}
	return trace_load(w, out, err, err_bytes);
}

/* Run t in this process as cfg says; the teeshm.result/1 document, or NULL. */
static json_t *replay_cfg(const struct trace *t, const char *workload,
			  const struct replay_config *base, struct replay_counts *counts)
{
	struct replay_config cfg = *base;
	const char *strategy = cfg.strategy;
	struct run_meta meta = { strategy, workload, t->n_vms ? t->n_vms : 1, 0, cfg.profile };
	struct run_result rr;
	char err[512] = "", *text = NULL, *line, *save = NULL;
	size_t len = 0;
	uint64_t t0 = uv_hrtime();
	FILE *f = open_memstream(&text, &len);
	json_t *doc = NULL;
	int rc;

	if (!f) {
		fprintf(stderr, "teeshm: out of memory\n");
		return NULL;
	}
	rc = replay_inproc(t, &cfg, f, counts, err, sizeof(err));
	fclose(f);
	meta.wall_ns = uv_hrtime() - t0;
	if (rc) {
		fprintf(stderr, "teeshm: %s under %s: %s\n", workload, strategy, err);
		free(text);
		return NULL;
	}
	run_result_init(&rr);
	for (line = strtok_r(text, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save))
		rc = run_result_take_line(&rr, line, err, sizeof(err));
	if (!rc)
		doc = run_result_document(&rr, &meta, err, sizeof(err));
	if (!doc)
		fprintf(stderr, "teeshm: %s under %s: %s\n", workload, strategy, err);
	else
		json_object_set_new(doc, "replay", json_pack("{s:I, s:I, s:I, s:I, s:s}",
			"ops", (json_int_t)counts->ops, "failures", (json_int_t)counts->failures,
			"divergences", (json_int_t)counts->divergences,
			"crashes", (json_int_t)counts->crashes,
			"first_failure", counts->first_failure));
	run_result_fini(&rr);
	free(text);
	return doc;
}

/* Run t under one strategy in this process, default sizes; the document, or NULL. */
static json_t *replay_one(const struct trace *t, const char *workload, const char *strategy,
			  const struct profile *prof, bool hv, struct replay_counts *counts)
{
	struct replay_config cfg = { .strategy = strategy, .profile = prof, .force_hypervisor = hv };

	return replay_cfg(t, workload, &cfg, counts);
}

static bool leak_free(const json_t *doc)
{
	const char *k;
	json_t *v;

	json_object_foreach(json_object_get(doc, "leaks"), k, v)
		if (json_integer_value(v))
			return false;
	return true;
}

static int load_profile(const char *path, struct profile *prof, const char *cmd)
{
	char err[256];

	if (profile_load_file(path, prof, err, sizeof(err))) {
		fprintf(stderr, "teeshm %s: --profile: %s\n", cmd, err);
		return 2;
	}
	return 0;
}

int cmd_replay(int argc, char **argv)
{
	static const char *const strategies[] = { "carveout", "dynamic", "cached", "rpc", NULL };
	unsigned strategy = STRATEGY_DYNAMIC;
	const char *profile_path = DEFAULT_PROFILE, *json_path = NULL, *trace_path;
	const char *dump_dir = NULL;
	bool hv = false, events = false;
	struct opt_spec specs[] = {
		OPT_SPEC_ENUM("--strategy", &strategy, strategies, "shared-memory strategy (default dynamic)"),
		OPT_SPEC_FLAG("--events", &events, "print the timeline: every SMC, RPC, map, unmap and TLBI with its modeled time"),
		OPT_SPEC_STR("--profile", &profile_path, "platform profile (default cortex-a53)"),
		OPT_SPEC_FLAG("--hv", &hv, "a one-VM trace under the hypervisor too"),
		OPT_SPEC_STR("--json", &json_path, "write the teeshm.result/1 document to this file"),
		OPT_SPEC_STR("--dump-mmu", &dump_dir, "write the secure MMU state (regs.json, tables.bin, mappings.tsv) under this directory: <kk>-<NAME>/ at the kk-th checkpoint, final/ at the end"),
	};
	const size_t n_specs = sizeof(specs) / sizeof(specs[0]);
	struct replay_counts counts;
	struct profile prof;
	struct trace *t = NULL;
	char err[512];
	json_t *doc;
	int rc, status = 1;

	trace_path = cli_take_positional(&argc, argv, specs, n_specs);
	rc = opts_parse("replay", argc, argv, specs, n_specs);
	if (rc)
		return rc > 0 ? 0 : 2;
	if (!trace_path) {
		fprintf(stderr, "teeshm replay: which trace? (teeshm replay [options] TRACE)\n");
		return 2;
	}
	if ((rc = load_profile(profile_path, &prof, "replay")))
		return rc;
	if (cli_workload_load(trace_path, NULL, &t, err, sizeof(err))) {
		fprintf(stderr, "teeshm replay: %s\n", err);
		return 2;
	}
	{
		struct replay_config cfg = { .strategy = strategies[strategy], .profile = &prof,
					     .force_hypervisor = hv, .events = events ? stdout : NULL,
					     .dump_mmu_dir = dump_dir };

		doc = replay_cfg(t, trace_path, &cfg, &counts);
	}
	if (doc) {
		run_result_print_table(doc, stdout);
		printf("  replay %" PRIu64 " ops, %" PRIu64 " failures, %" PRIu64 " divergences, %"
		       PRIu64 " crashes%s%s\n", counts.ops, counts.failures, counts.divergences,
		       counts.crashes, counts.first_failure[0] ? "; first: " : "",
		       counts.first_failure);
		status = leak_free(doc) ? 0 : 1;
		if (json_path && run_result_write(doc, json_path, err, sizeof(err))) {
			fprintf(stderr, "teeshm replay: %s\n", err);
			status = 1;
		}
		json_decref(doc);
	}
	trace_free(t);
	return status;
}

/* Where a workload name leads (cli_workload_load's order). */
static const char *workload_source(const char *w)
{
	char path[4096];
	struct stat st;

	if (!strchr(w, '/') && !strchr(w, '.')) {
		snprintf(path, sizeof(path), "%s/%s.trace", TEESHM_WORKLOAD_DIR, w);
		if (!stat(path, &st))
			return "bundled";
		if (is_generator(w))
			return "generator";
	}
	return "file";
}

/*
 * DIR/compare.json, schema teeshm.compare/1: what `teeshm report` needs to
 * say how the results came to be -- the command, the workload, the profile's
 * every figure and which strategies ran.  0, or TS_EIO/TS_ENOMEM with err.
 */
static int write_compare_config(const char *path, int argc, char **argv, const char *workload,
				const struct trace *t, const struct workload_gen_params *gp,
				const char *profile_path, const struct profile *prof,
				const char *const *strategies, json_t *const *docs, size_t n,
				char *err, size_t err_bytes)
{
	json_t *root = json_object(), *cmd = json_array(), *w = json_object();
	json_t *pr = json_object(), *values = json_object(), *runs = json_array();
	bool gen = !strcmp(workload_source(workload), "generator");
	char file[64];
	size_t i;
	int rc, bad = !root || !cmd || !w || !pr || !values || !runs;

	bad |= json_array_append_new(cmd, json_string("teeshm"));
	for (i = 0; i < (size_t)argc; i++)
		bad |= json_array_append_new(cmd, json_string(argv[i]));
	bad |= json_object_set_new(w, "name", json_string(workload));
	bad |= json_object_set_new(w, "source", json_string(workload_source(workload)));
	bad |= json_object_set_new(w, "ops", json_integer((json_int_t)t->n_ops));
	bad |= json_object_set_new(w, "vms", json_integer(t->n_vms ? t->n_vms : 1));
	if (gen) {
		bad |= json_object_set_new(w, "seed", json_integer((json_int_t)(gp->seed ? gp->seed : 1)));
		if (gp->ops)
			bad |= json_object_set_new(w, "invokes", json_integer(gp->ops));
	}
#define PROFILE_VALUE(sec, key, field, lo, hi)                                              \
	if (!json_object_get(values, #sec))                                                 \
		bad |= json_object_set_new(values, #sec, json_object());                    \
	bad |= json_object_set_new(json_object_get(values, #sec),                           \
				   !strcmp(#field, "memcpy_milli_bytes_per_cycle") ? #field : #key, \
				   json_integer((json_int_t)prof->field));
	PROFILE_U64_FIELDS(PROFILE_VALUE)
#undef PROFILE_VALUE
	bad |= json_object_set_new(pr, "name", json_string(prof->name));
	bad |= json_object_set_new(pr, "description", json_string(prof->description));
	bad |= json_object_set_new(pr, "path", json_string(profile_path));
	bad |= json_object_set_new(pr, "values", values);
	for (i = 0; i < n; i++) {
		json_t *one = json_object();

		bad |= !one || json_object_set_new(one, "name", json_string(strategies[i]));
		snprintf(file, sizeof(file), "%s.json", strategies[i]);
		bad |= json_object_set_new(one, docs[i] ? "result" : "error",
					   json_string(docs[i] ? file : "did not run"));
		bad |= json_array_append_new(runs, one);
	}
	bad |= json_object_set_new(root, "schema", json_string("teeshm.compare/1"));
	bad |= json_object_set_new(root, "teeshm_version", json_string(TEESHM_VERSION));
	bad |= json_object_set_new(root, "command", cmd);
	bad |= json_object_set_new(root, "workload", w);
	bad |= json_object_set_new(root, "profile", pr);
	bad |= json_object_set_new(root, "strategies", runs);
	rc = bad ? ts_errf(err, err_bytes, TS_ENOMEM, "%s: out of memory", path)
		 : run_result_write(root, path, err, err_bytes);
	json_decref(root);
	return rc;
}

/* mkdir -p: 0, or -1 with errno. */
static int mkdir_p(const char *dir)
{
	char path[4096];
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(path, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0777) && errno != EEXIST)
			return -1;
		path[i] = i < n ? '/' : '\0';
	}
	return 0;
}

int cmd_compare(int argc, char **argv)
{
	static const char *const strategies[] = { "carveout", "dynamic", "cached", "rpc" };
	const char *workload = NULL, *out_dir = NULL, *profile_path = DEFAULT_PROFILE;
	uint64_t vms = 0, seed = 0, ops = 0;
	struct opt_spec specs[] = {
		OPT_SPEC_STR("--workload", &workload, "bundled name, generator name or trace file"),
		OPT_SPEC_STR("--out", &out_dir, "write one teeshm.result/1 JSON per strategy here"),
		OPT_SPEC_STR("--profile", &profile_path, "platform profile (default cortex-a53)"),
		OPT_SPEC_U64("--vms", &vms, 1, TRACE_MAX_VMS, "generators: guests (default 1)"),
		OPT_SPEC_U64("--seed", &seed, 1, UINT64_MAX, "generators: seed (default 1)"),
		OPT_SPEC_U64("--ops", &ops, 1, WORKLOAD_GEN_MAX_OPS, "generators: invokes"),
	};
	struct workload_gen_params gp = { 0 };
	struct profile prof;
	struct trace *t = NULL;
	char err[512], path[4096];
	json_t *docs[4] = { NULL };
	struct replay_counts counts[4];
	size_t i;
	int rc, status = 0;

	rc = opts_parse("compare", argc, argv, specs, sizeof(specs) / sizeof(specs[0]));
	if (rc)
		return rc > 0 ? 0 : 2;
	if (!workload) {
		fprintf(stderr, "teeshm compare: --workload is required\n");
		return 2;
	}
	if ((rc = load_profile(profile_path, &prof, "compare")))
		return rc;
	gp.vms = (uint32_t)vms;
	gp.seed = seed;
	gp.ops = (uint32_t)ops;
	if (cli_workload_load(workload, &gp, &t, err, sizeof(err))) {
		fprintf(stderr, "teeshm compare: %s\n", err);
		return 2;
	}
	if (out_dir && mkdir_p(out_dir)) {
		fprintf(stderr, "teeshm compare: --out %s: %s\n", out_dir, strerror(errno));
		trace_free(t);
		return 2;
	}
	for (i = 0; i < 4; i++) {
		docs[i] = replay_one(t, workload, strategies[i], &prof, false, &counts[i]);
		if (!docs[i]) {
			status = 1;
			continue;
		}
		if (!leak_free(docs[i]))
			status = 1;
		if (out_dir) {
			snprintf(path, sizeof(path), "%s/%s.json", out_dir, strategies[i]);
			if (run_result_write(docs[i], path, err, sizeof(err))) {
				fprintf(stderr, "teeshm compare: %s\n", err);
				status = 1;
			}
		}
	}
	if (out_dir) {
		snprintf(path, sizeof(path), "%s/compare.json", out_dir);
		if (write_compare_config(path, argc, argv, workload, t, &gp, profile_path, &prof,
					 strategies, docs, 4, err, sizeof(err))) {
			fprintf(stderr, "teeshm compare: %s\n", err);
			status = 1;
		}
	}
	printf("teeshm compare: workload %s, %u VM(s), %zu ops, profile %s\n", workload,
	       t->n_vms ? t->n_vms : 1, t->n_ops, prof.name);
	printf("%-9s %9s %9s %9s %9s %9s %11s %11s %8s %10s %11s %6s\n", "strategy", "map p50",
	       "map p99", "unmap p50", "unmap p99", "TLBI/inv", "waste peak", "waste mean",
	       "failed", "copied", "modeled us", "leaks");
	for (i = 0; i < 4; i++) {
		const json_t *d = docs[i];
		uint64_t invokes = run_result_u64(d, "ops", "invoke", NULL), tlbi;

		if (!d) {
			printf("%-9s (did not run)\n", strategies[i]);
			continue;
		}
		tlbi = run_result_u64(d, "tlb", "flushes", "va") + run_result_u64(d, "tlb", "flushes", "vaa") +
		       run_result_u64(d, "tlb", "flushes", "range") + run_result_u64(d, "tlb", "flushes", "asid") +
		       run_result_u64(d, "tlb", "flushes", "all");
		printf("%-9s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %5" PRIu64 ".%02"
		       PRIu64 " %11" PRIu64 " %11" PRIu64 " %8" PRIu64 " %10" PRIu64 " %11" PRIu64
		       " %6s\n",
		       strategies[i], run_result_u64(d, "map", "host_ns", "p50"), run_result_u64(d, "map", "host_ns", "p99"),
		       run_result_u64(d, "unmap", "host_ns", "p50"), run_result_u64(d, "unmap", "host_ns", "p99"),
		       invokes ? tlbi / invokes : 0, invokes ? tlbi * 100 / invokes % 100 : 0,
		       run_result_u64(d, "memory", "waste_peak_bytes", NULL),
		       run_result_u64(d, "memory", "waste_mean_bytes", NULL),
		       counts[i].failures + counts[i].divergences, run_result_u64(d, "copy", "bytes", NULL),
		       run_result_u64(d, "time", "modeled_ns", NULL) / 1000, leak_free(d) ? "none" : "LEAKED");
	}
	printf("(host latencies in ns; waste in bytes; failed = TEEC calls that failed or "
	       "differed from the trace's expect=)\n");
	for (i = 0; i < 4; i++)
		json_decref(docs[i]);
	trace_free(t);
	return status;
}

int cmd_gen(int argc, char **argv)
{
	uint64_t vms = 0, seed = 0, ops = 0;
	const char *out_path = NULL, *name;
	struct opt_spec specs[] = {
		OPT_SPEC_U64("--vms", &vms, 1, TRACE_MAX_VMS, "guests (default 1)"),
		OPT_SPEC_U64("--seed", &seed, 1, UINT64_MAX, "seed (default 1)"),
		OPT_SPEC_U64("--ops", &ops, 1, WORKLOAD_GEN_MAX_OPS, "invokes (default: per generator)"),
		OPT_SPEC_STR("--out", &out_path, "write the trace here (default: standard output)"),
	};
	const size_t n_specs = sizeof(specs) / sizeof(specs[0]);
	struct workload_gen_params gp = { 0 };
	char err[512];
	FILE *out = stdout;
	int rc;

	name = cli_take_positional(&argc, argv, specs, n_specs);
	rc = opts_parse("gen", argc, argv, specs, n_specs);
	if (rc)
		return rc > 0 ? 0 : 2;
	if (!name) {
		const char *const *g;

		fprintf(stderr, "teeshm gen: which generator?");
		for (g = workload_generator_names(); *g; g++)
			fprintf(stderr, " %s", *g);
		fputc('\n', stderr);
		return 2;
	}
	gp.vms = (uint32_t)vms;
	gp.seed = seed;
	gp.ops = (uint32_t)ops;
	if (out_path && !(out = fopen(out_path, "w"))) {
		fprintf(stderr, "teeshm gen: --out %s: %s\n", out_path, strerror(errno));
		return 2;
	}
	rc = workload_generate(name, &gp, out, err, sizeof(err));
	if (out != stdout && fclose(out) && !rc)
		rc = ts_errf(err, sizeof(err), TS_EIO, "--out %s: write failed", out_path);
	if (rc) {
		fprintf(stderr, "teeshm gen: %s\n", err);
		return rc == TS_EINVAL ? 2 : 1;
	}
	return 0;
}

/* A trace, written as text, parsed; NULL with a message on failure. */
static struct trace *trace_from_text(const char *text, size_t len, const char *name)
{
	struct trace *t = NULL;
	char err[512];

	if (trace_parse(text, len, name, &t, err, sizeof(err)))
		fprintf(stderr, "teeshm sweep: %s\n", err);
	return t;
}

/* One client registering a block of size bytes and invoking `touch` on it n times: #6142's loop. */
static struct trace *size_trace(uint64_t size, uint32_t invokes)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct trace *t;
	uint32_t i;

	if (!f)
		return NULL;
	fprintf(f, "%s\n0 vm start\n0 open s1 echo\n0 register m1 %" PRIu64 " inout\n", TRACE_MAGIC,
		size);
	for (i = 0; i < invokes; i++)
		fprintf(f, "0 invoke s1 touch whole:m1\n");
	fprintf(f, "0 release m1\n0 close s1\n0 vm stop\n");
	fclose(f);
	t = trace_from_text(text, len, "size sweep");
	free(text);
	return t;
}

static int sweep_write(json_t *doc, const char *dir, const char *kind, uint64_t x,
		       const char *strategy)
{
	char path[4096 + 128], err[512];

	snprintf(path, sizeof(path), "%s/%s-%" PRIu64 "-%s.json", dir, kind, x, strategy);
	if (run_result_write(doc, path, err, sizeof(err))) {
		fprintf(stderr, "teeshm sweep: %s\n", err);
		return 1;
	}
	return 0;
}

/* Modeled ns per invoke of a document (0 when it invoked nothing). */
static uint64_t ns_per_invoke(const json_t *d)
{
	uint64_t inv = run_result_u64(d, "ops", "invoke", NULL);

	return inv ? run_result_u64(d, "time", "modeled_ns", NULL) / inv : 0;
}

/*
 * The macro runner: every generator at each VM count under every strategy,
 * in one process each (deterministic), 8 invokes per VM; a table per
 * workload of modeled us per invoke ("fail" when calls failed).
 */
static int sweep_macro(const char *dir, const struct profile *prof, const uint32_t *vm_counts,
		       size_t n_counts)
{
	static const char *const strategies[] = { "carveout", "dynamic", "cached", "rpc" };
	const char *const *g;
	char kind[96];
	size_t i, s;
	int status = 0;

	for (g = workload_generator_names(); *g; g++) {
		printf("\n%-12s %10s %10s %10s %10s   (%s, 8 invokes per VM)\n", "VMs", strategies[0],
		       strategies[1], strategies[2], strategies[3], *g);
		snprintf(kind, sizeof(kind), "macro-%s-vms", *g);
		for (i = 0; i < n_counts; i++) {
			struct workload_gen_params gp = { .vms = vm_counts[i], .seed = 1,
							  .ops = 8 * vm_counts[i] };
			struct trace *t = NULL;
			char err[512];

			if (cli_workload_load(*g, &gp, &t, err, sizeof(err))) {
				fprintf(stderr, "teeshm sweep: %s\n", err);
				return 1;
			}
			printf("%12u", vm_counts[i]);
			for (s = 0; s < 4; s++) {
				struct replay_config cfg = {
					.strategy = strategies[s], .profile = prof,
					.guest_ram_bytes = vm_counts[i] > 16 ? 16 << 20 : 48 << 20
				};
				struct replay_counts c;
				json_t *d = replay_cfg(t, *g, &cfg, &c);

				if (!d) {
					printf(" %10s", "n/a");
					continue;
				}
				status |= sweep_write(d, dir, kind, vm_counts[i], strategies[s]);
				if (c.failures + c.divergences)
					printf(" %10s", "fail");
				else
					printf(" %10.1f", ns_per_invoke(d) / 1000.0);
				json_decref(d);
			}
			putchar('\n');
			trace_free(t);
		}
	}
	return status;
}

int cmd_sweep(int argc, char **argv)
{
	static const char *const strategies[] = { "carveout", "dynamic", "cached", "rpc" };
	static const uint64_t sizes[] = { 4096, 16384, 65536, 262144, 1 << 20, 4 << 20, 16 << 20,
					  64 << 20 };
	static const uint32_t vm_counts[] = { 1, 2, 4, 8, 16, 64 };
	const char *out_dir = "sweep-out", *profile_path = DEFAULT_PROFILE;
	uint64_t invokes = 8;
	bool macro = false;
	struct opt_spec specs[] = {
		OPT_SPEC_STR("--out", &out_dir, "results go to DIR/sweep/ (default sweep-out)"),
		OPT_SPEC_FLAG("--macro", &macro, "also every generator x 1..64 VMs x every strategy (macro-*.json)"),
		OPT_SPEC_STR("--profile", &profile_path, "platform profile (default cortex-a53)"),
		OPT_SPEC_U64("--invokes", &invokes, 1, 10000, "invokes per buffer size (default 8)"),
	};
	char dir[4096];
	struct profile prof;
	size_t i, s;
	int rc, status = 0;

	rc = opts_parse("sweep", argc, argv, specs, sizeof(specs) / sizeof(specs[0]));
	if (rc)
		return rc > 0 ? 0 : 2;
	if ((rc = load_profile(profile_path, &prof, "sweep")))
		return rc;
	snprintf(dir, sizeof(dir), "%s/sweep", out_dir);
	if (mkdir_p(dir)) {
		fprintf(stderr, "teeshm sweep: --out %s: %s\n", dir, strerror(errno));
		return 2;
	}
	printf("teeshm sweep: modeled time per invoke (us) on %s, results in %s\n", prof.name, dir);
	printf("%-12s %10s %10s %10s %10s\n", "buffer", strategies[0], strategies[1], strategies[2],
	       strategies[3]);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct trace *t = size_trace(sizes[i], (uint32_t)invokes);

		if (!t)
			return 1;
		printf("%9" PRIu64 " KiB", sizes[i] >> 10);
		for (s = 0; s < 4; s++) {
			struct replay_config cfg = { .strategy = strategies[s], .profile = &prof,
						     .guest_ram_bytes = 2 * sizes[i] + (32 << 20) };
			struct replay_counts c;
			json_t *d = replay_cfg(t, "size-sweep", &cfg, &c);

			if (!d) { /* refused (e.g. a carveout split too fine): said above */
				printf(" %10s", "n/a");
				continue;
			}
			status |= sweep_write(d, dir, "size", sizes[i], strategies[s]);
			if (c.failures)
				printf(" %10s", "failed");
			else
				printf(" %10.1f", ns_per_invoke(d) / 1000.0);
			json_decref(d);
		}
		putchar('\n');
		trace_free(t);
	}
	printf("\n%-12s %10s %10s %10s %10s   (reuse-heavy, 16 invokes per VM)\n", "VMs",
	       strategies[0], strategies[1], strategies[2], strategies[3]);
	for (i = 0; i < sizeof(vm_counts) / sizeof(vm_counts[0]); i++) {
		struct workload_gen_params gp = { .vms = vm_counts[i], .seed = 1,
						  .ops = 16 * vm_counts[i] };
		struct trace *t = NULL;
		char err[512];

		if (cli_workload_load("reuse-heavy", &gp, &t, err, sizeof(err))) {
			fprintf(stderr, "teeshm sweep: %s\n", err);
			return 1;
		}
		printf("%12u", vm_counts[i]);
		for (s = 0; s < 4; s++) {
			/* 64 guests of 16 MiB: each maps its RAM in 64 KiB chunks, under the map limit. */
			struct replay_config cfg = { .strategy = strategies[s], .profile = &prof,
						     .guest_ram_bytes = 16 << 20 };
			struct replay_counts c;
			json_t *d = replay_cfg(t, "reuse-heavy", &cfg, &c);

			if (!d) { /* refused (e.g. a carveout split too fine): said above */
				printf(" %10s", "n/a");
				continue;
			}
			status |= sweep_write(d, dir, "vms", vm_counts[i], strategies[s]);
			printf(" %10.1f", ns_per_invoke(d) / 1000.0);
			json_decref(d);
		}
		putchar('\n');
		trace_free(t);
	}
	if (macro)
		status |= sweep_macro(dir, &prof, vm_counts, sizeof(vm_counts) / sizeof(vm_counts[0]));
	return status;
}
