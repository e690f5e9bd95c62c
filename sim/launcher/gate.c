/* The regression gate over two result documents (see gate.h). */
#include "sim/launcher/gate.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "sim/common/errmsg.h"
#include "sim/common/ts_err.h"
#include "sim/launcher/run_result.h"

/* Which way is better for a figure, by its path. */
enum better { LOWER_BETTER, HIGHER_BETTER, DESCRIBES_RUN };

static bool has_part(const char *path, const char *part)
{
	size_t n = strlen(part);
	const char *p = path;

	while ((p = strstr(p, part))) {
		if ((p == path || p[-1] == '.') && (p[n] == '\0' || p[n] == '.'))
			return true;
		p += n;
	}
	return false;
}

static bool is_host_timing(const char *path)
{
	return has_part(path, "host_ns") || !strcmp(path, "time.wall_ns");
}

/* A latency tail (p99, max): a handful of samples, at the mercy of the host: reported only. */
static bool is_host_tail(const char *path)
{
	return has_part(path, "host_ns") && (has_part(path, "p99") || has_part(path, "max"));
}

static enum better better_of(const char *path)
{
	if (!strcmp(path, "tlb.hits"))
		return HIGHER_BETTER;
	/* What the run did rather than what it cost: a change means another run. */
	if ((!strncmp(path, "ops.", 4) && strcmp(path, "ops.failed") &&
	     strncmp(path, "ops.by_error", 12)) ||
	    !strcmp(path, "vms") || !strcmp(path, "replay.ops") ||
	    !strcmp(path, "replay.crashes") || !strcmp(path, "memory.waste_samples"))
		return DESCRIBES_RUN;
	return LOWER_BETTER;
}

static const char *verdict_name(enum gate_verdict v)
{
	static const char *const names[] = { "same", "improved", "within tolerance", "REGRESSED",
					     "CHANGED (another run?)" };

	return names[v];
}

struct walk {
	unsigned tol;
	bool host;
	FILE *report;
	struct gate_result *r;
};

static void judge(struct walk *w, const char *path, json_int_t base, json_int_t cur)
{
	enum gate_verdict v;

	w->r->compared++;
	if (base == cur)
		return;
	if (is_host_timing(path)) {
		/* Worse by at most tol percent of the baseline; tails and --no-host only reported. */
		long double limit = (long double)base * (100.0L + w->tol) / 100.0L;

		v = cur < base ? GATE_IMPROVED :
		    (long double)cur <= limit || !w->host || is_host_tail(path) ? GATE_WITHIN :
										  GATE_REGRESSED;
	} else {
		switch (better_of(path)) {
		case HIGHER_BETTER:
			v = cur > base ? GATE_IMPROVED : GATE_REGRESSED;
			break;
		case DESCRIBES_RUN:
			v = GATE_CHANGED;
			break;
		default:
			v = cur < base ? GATE_IMPROVED : GATE_REGRESSED;
			break;
		}
	}
	w->r->regressions += v == GATE_REGRESSED;
	/* A faster host is welcome but no reason to renew a baseline. */
	w->r->improvements += v == GATE_IMPROVED && !is_host_timing(path);
	w->r->changed += v == GATE_CHANGED;
	w->r->within += v == GATE_WITHIN;
	if (w->report)
		fprintf(w->report, "  %-44s %14lld -> %-14lld %s\n", path, (long long)base,
			(long long)cur, verdict_name(v));
}

static void walk_obj(struct walk *w, const char *prefix, const json_t *base, const json_t *cur)
{
	const char *key;
	json_t *bv;
	char path[512];

	json_object_foreach((json_t *)base, key, bv) {
		const json_t *cv = json_object_get(cur, key);

		snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "", key);
		if (json_is_object(bv)) {
			walk_obj(w, path, bv, json_is_object(cv) ? cv : NULL);
		} else if (json_is_integer(bv)) {
			if (!json_is_integer(cv)) {
				w->r->compared++;
				w->r->regressions++;
				if (w->report)
					fprintf(w->report, "  %-44s %14lld -> %-14s REGRESSED\n", path,
						(long long)json_integer_value(bv), "(missing)");
				continue;
			}
			judge(w, path, json_integer_value(bv), json_integer_value(cv));
		}
	}
	/* Figures only the current run has: noted, not judged. */
	json_object_foreach((json_t *)cur, key, bv) {
		if (!base || json_object_get(base, key))
			continue;
		w->r->added++;
		if (w->report) {
			snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "", key);
			fprintf(w->report, "  %-44s %14s -> (new)\n", path, "");
		}
	}
}

int gate_compare(const json_t *baseline, const json_t *current, unsigned tolerance_pct,
		 bool judge_host, FILE *report, struct gate_result *out, char *err, size_t err_bytes)
{
	static const char *const identity[] = { "schema", "strategy", "workload", "profile" };
	struct walk w = { tolerance_pct, judge_host, report, out };
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < sizeof(identity) / sizeof(identity[0]); i++) {
		const char *a = json_string_value(json_object_get(baseline, identity[i]));
		const char *b = json_string_value(json_object_get(current, identity[i]));

		if (!a || !b)
			return ts_errf(err, err_bytes, TS_EINVAL, "%s has no \"%s\": not a %s document",
				       !a ? "the baseline" : "the current run", identity[i],
				       RUN_RESULT_SCHEMA);
		if (i == 0 && strcmp(a, RUN_RESULT_SCHEMA))
			return ts_errf(err, err_bytes, TS_EINVAL, "schema \"%s\" is not %s", a,
				       RUN_RESULT_SCHEMA);
		if (strcmp(a, b))
			return ts_errf(err, err_bytes, TS_EINVAL,
				       "not comparable: %s \"%s\" in the baseline, \"%s\" now",
				       identity[i], a, b);
	}
	if (run_result_u64(baseline, "vms", NULL, NULL) != run_result_u64(current, "vms", NULL, NULL))
		return ts_errf(err, err_bytes, TS_EINVAL, "not comparable: %" PRIu64 " VMs in the "
			       "baseline, %" PRIu64 " now", run_result_u64(baseline, "vms", NULL, NULL),
			       run_result_u64(current, "vms", NULL, NULL));
	walk_obj(&w, "", baseline, current);
	return 0;
}
