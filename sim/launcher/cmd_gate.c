/*
 * teeshm gate --baseline A.json --current B.json [--tolerance PCT] [--no-host]: the
 * regression gate for CI (sim/launcher/gate.h).  Exit 0 when nothing got
 * worse, 1 on a regression (or when the runs did different work), 2 when the
 * files cannot be compared.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "sim/common/opts.h"
#include "sim/launcher/cli.h"
#include "sim/launcher/gate.h"
#include "sim/launcher/run_result.h"

static json_t *load(const char *path, const char *what)
{
	char err[4200];
	json_t *doc = run_result_load(path, err, sizeof(err));

	if (!doc)
		fprintf(stderr, "teeshm gate: %s %s\n", what, err);
	return doc;
}

int cmd_gate(int argc, char **argv)
{
	const char *base_path = NULL, *cur_path = NULL;
	uint64_t tolerance = 50;
	bool no_host = false;
	struct opt_spec specs[] = {
		OPT_SPEC_STR("--baseline", &base_path, "the accepted teeshm.result/1 document"),
		OPT_SPEC_STR("--current", &cur_path, "the run to judge"),
		OPT_SPEC_U64("--tolerance", &tolerance, 0, 1000,
			     "how much worse host timings may be, percent (default 50)"),
		OPT_SPEC_FLAG("--no-host", &no_host,
			      "judge deterministic figures only (host timings reported)"),
	};
	struct gate_result r;
	json_t *base, *cur;
	char err[512];
	int rc;

	rc = opts_parse("gate", argc, argv, specs, sizeof(specs) / sizeof(specs[0]));
	if (rc)
		return rc > 0 ? 0 : 2;
	if (!base_path || !cur_path) {
		fprintf(stderr, "teeshm gate: --baseline and --current are both required\n");
		return 2;
	}
	base = load(base_path, "--baseline");
	cur = base ? load(cur_path, "--current") : NULL;
	if (!base || !cur) {
		json_decref(base);
		return 2;
	}
	printf("teeshm gate: %s (baseline) vs %s; host timings may be %" PRIu64 "%% worse\n",
	       base_path, cur_path, tolerance);
	rc = gate_compare(base, cur, (unsigned)tolerance, !no_host, stdout, &r, err, sizeof(err));
	json_decref(base);
	json_decref(cur);
	if (rc) {
		fprintf(stderr, "teeshm gate: %s\n", err);
		return 2;
	}
	printf("gate: %s: %" PRIu64 " figures compared, %" PRIu64 " regressed, %" PRIu64
	       " changed, %" PRIu64 " improved, %" PRIu64 " host timings worse within tolerance, %"
	       PRIu64 " new\n",
	       r.regressions || r.changed ? "FAIL" : "pass", r.compared, r.regressions, r.changed,
	       r.improvements, r.within, r.added);
	if (r.improvements && !r.regressions && !r.changed)
		printf("gate: deterministic figures improved: renew the baseline to keep the gain\n");
	return r.regressions || r.changed ? 1 : 0;
}
