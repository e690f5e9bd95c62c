/*
 * Each strategy's whole path, timed on the host: a generated workload
 * (workloads/gen.h) replayed in one process (workloads/replay.h) under each
 * strategy, so the time includes the driver, the SMCs, the secure world and
 * the memory manager as a workload exercises them.  Reported per invoke,
 * with the modeled figures of the same replay as counters (they are
 * deterministic; the time is not).  One benchmark per strategy x workload.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/gbench.h"
#include "sim/common/profile.h"
#include "sim/common/strategy.h"
#include "workloads/gen.h"
#include "workloads/replay.h"
#include "workloads/trace.h"

struct case_ctx {
	const char *strategy;
	struct trace *trace;
	const struct profile *prof;
};

static struct profile prof;

/* The secure world's modeled cycles from its statistics line (the first "modeled_cycles"). */
static double modeled_cycles(const char *lines)
{
	const char *p = strstr(lines, "\"modeled_cycles\":");

	return p ? strtod(p + strlen("\"modeled_cycles\":"), NULL) : 0;
}

static void bm_replay(gbench_state *st, void *arg)
{
	struct case_ctx *c = arg;
	struct replay_config cfg = { .strategy = c->strategy, .profile = c->prof,
				     .guest_ram_bytes = 32ull << 20 };
	struct replay_counts counts;
	uint64_t invokes = 0;
	double cycles = 0;
	char err[512];

	while (gbench_keep_running(st)) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		if (!f || replay_inproc(c->trace, &cfg, f, &counts, err, sizeof(err))) {
			if (f)
				fclose(f);
			free(text);
			gbench_skip_with_error(st, err);
			return;
		}
		fclose(f);
		cycles = modeled_cycles(text);
		free(text);
		invokes += counts.ops;
	}
	gbench_set_items_processed(st, (int64_t)invokes);
	gbench_set_counter(st, "modeled_cycles", cycles);
	gbench_set_counter(st, "failures", (double)counts.failures);
}

int main(int argc, char **argv)
{
	static const char *const workloads[] = { "reuse-heavy", "streaming", "many-sessions" };
	static struct case_ctx cases[STRATEGY_COUNT * 3];
	char err[256], name[128];
	size_t w, n = 0;
	int s;

	if (profile_load_file(TEESHM_PROFILE_DIR "/cortex-a53.ini", &prof, err, sizeof(err))) {
		fprintf(stderr, "bench_strategies: %s\n", err);
		return 2;
	}
	for (w = 0; w < sizeof(workloads) / sizeof(workloads[0]); w++) {
		struct workload_gen_params gp = { .vms = 1, .seed = 1, .ops = 200 };
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		struct trace *t = NULL;

		if (!f || workload_generate(workloads[w], &gp, f, err, sizeof(err))) {
			fprintf(stderr, "bench_strategies: %s\n", err);
			return 2;
		}
		fclose(f);
		if (trace_parse(text, len, workloads[w], &t, err, sizeof(err))) {
			fprintf(stderr, "bench_strategies: %s\n", err);
			return 2;
		}
		free(text);
		for (s = 0; s < STRATEGY_COUNT; s++, n++) {
			cases[n] = (struct case_ctx){ strategy_name((enum strategy_id)s), t, &prof };
			snprintf(name, sizeof(name), "replay/%s/%s", workloads[w], cases[n].strategy);
			gbench_unit(gbench_register(name, bm_replay, &cases[n]), GBENCH_MILLISECOND);
		}
	}
	gbench_add_context("teeshm_profile", prof.name);
	return gbench_main(argc, argv);
}
