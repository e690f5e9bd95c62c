/*
 * teeshm report (see report.h), its first half: reading a compare directory
 * -- the result documents, compare.json and the figures -- and refusing what
 * would make the page compare unlike things.  report_html.c writes the page.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/common/errmsg.h"
#include "sim/common/ts_err.h"
#include "sim/launcher/report.h"
#include "sim/launcher/report_internal.h"
#include "sim/launcher/run_result.h"


static const struct report_plot plot_kinds[] = {
	{ "latency-cdf", "Map and unmap host latency",
	  "Cumulative distribution of the secure world's map and unmap calls, as timed on this "
	  "host: a point (x, y) says a fraction y of the calls took at most x ns. Further left "
	  "and steeper is faster and steadier; a long flat run near the top is the tail (p99 "
	  "and max in the tables). Host timings rank code paths, not hardware.",
	  NULL, 0, false, false, NULL },
	{ "tlb-per-invoke", "TLB invalidations per invoke",
	  "TLB invalidations the secure TLB model counted, divided by the invokes of the run, "
	  "stacked by kind. This is the cost a strategy puts on every other user of the TLB: "
	  "unmapping after each call pays invalidations per invoke, keeping mappings does not.",
	  NULL, 0, false, false, NULL },
	{ "waste-over-time", "Memory waste over the modeled clock",
	  "Reserved minus in-use shared memory against modeled time, drawn as steps: the height "
	  "of a line is memory held for nothing at that moment. Lines end where each run ends on "
	  "the modeled clock, so their lengths compare run times too.",
	  NULL, 0, false, false, NULL },
	{ "invoke-cost-vs-size", "Modeled cost of one invoke against buffer size",
	  "The optee_os #6142 curve from DIR/sweep: a slope of one means the cost grows with the "
	  "buffer's pages (mapping on every call); a flat stretch means no per-page cost per call. "
	  "Crosses are runs with failed calls.",
	  NULL, 0, false, true, NULL },
	{ "scaling-vms", "Cost per invoke and waste peak against guest VMs",
	  "From DIR/sweep: a flat line on the left means per-call cost does not depend on the "
	  "number of guests; a rising line on the right is memory that grows with the guests.",
	  NULL, 0, false, true, NULL },
};
#define N_PLOT_KINDS (sizeof(plot_kinds) / sizeof(plot_kinds[0]))

static bool newer(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec != b->tv_sec ? a->tv_sec > b->tv_sec : a->tv_nsec > b->tv_nsec;
}

/* A whole file into a NUL-terminated buffer of at most max bytes. */
static int slurp(const char *path, size_t max, char **out, size_t *out_bytes, char *err,
		 size_t err_bytes)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf;
	size_t got;

	*out = NULL;
	if (!f)
		return ts_errf(err, err_bytes, TS_EIO, "%s: cannot open: %s", path,
			       strerror(errno));
	if (fstat(fileno(f), &st) || st.st_size < 0) {
		fclose(f);
		return ts_errf(err, err_bytes, TS_EIO, "%s: cannot stat: %s", path,
			       strerror(errno));
	}
	if ((uint64_t)st.st_size > max) {
		fclose(f);
		return ts_errf(err, err_bytes, TS_E2BIG, "%s: %lld bytes, more than the %zu a "
			       "report embeds", path, (long long)st.st_size, max);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		fclose(f);
		return ts_errf(err, err_bytes, TS_ENOMEM, "%s: out of memory", path);
	}
	got = fread(buf, 1, (size_t)st.st_size, f);
	if (ferror(f) || got != (size_t)st.st_size) {
		free(buf);
		fclose(f);
		return ts_errf(err, err_bytes, TS_EIO, "%s: read failed", path);
	}
	fclose(f);
	buf[got] = '\0';
	*out = buf;
	*out_bytes = got;
	return 0;
}

static void order_docs(struct report *r)
{
	size_t i, j;

	/* insertion sort: at most REPORT_MAX_DOCS, and stable so file order breaks ties */
	for (i = 1; i < r->n_docs; i++) {
		json_t *d = r->docs[i];
		char name[REPORT_NAME_BYTES];

		memcpy(name, r->doc_files[i], sizeof(name));
		for (j = i; j > 0 && compare_rank(r->docs[j - 1]) > compare_rank(d); j--) {
			r->docs[j] = r->docs[j - 1];
			memcpy(r->doc_files[j], r->doc_files[j - 1], sizeof(name));
		}
		r->docs[j] = d;
		memcpy(r->doc_files[j], name, sizeof(name));
	}
}

/* The run's identity must be one for every document, or the page would compare unlike runs. */
static int check_same_run(const struct report *r, char *err, size_t err_bytes)
{
	static const char *const keys[] = { "workload", "vms", "profile" };
	size_t i, k;

	for (i = 1; i < r->n_docs; i++)
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (!json_equal(json_object_get(r->docs[0], keys[k]),
					json_object_get(r->docs[i], keys[k])))
				return ts_errf(err, err_bytes, TS_EINVAL,
					       "%s/%s and %s/%s are results of different runs "
					       "(their \"%s\" differs): a report compares one "
					       "workload on one configuration",
					       r->dir, r->doc_files[0], r->dir, r->doc_files[i],
					       keys[k]);
	return 0;
}

static int take_config(struct report *r, json_t *doc, const char *path, char *err,
		       size_t err_bytes)
{
	static const char *const counts[][2] = {
		{ "workload", "ops" }, { "workload", "vms" }, { "workload", "seed" },
		{ "workload", "invokes" },
	};
	const json_t *cmd = json_object_get(doc, "command");
	const json_t *runs = json_object_get(doc, "strategies");
	const json_t *v, *vals = get(doc, "profile", "values", NULL);
	json_t *sec, *val;
	const char *k, *sk;
	size_t i;

	if (!get_str(doc, "workload", "name"))
		return ts_errf(err, err_bytes, TS_EINVAL, "%s: workload.name is missing", path);
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		v = get(doc, counts[i][0], counts[i][1], NULL);
		if (v && (!json_is_integer(v) || json_integer_value(v) < 0))
			return ts_errf(err, err_bytes, TS_EINVAL,
				       "%s: %s.%s is not a non-negative integer", path,
				       counts[i][0], counts[i][1]);
	}
	if (cmd && !json_is_array(cmd))
		return ts_errf(err, err_bytes, TS_EINVAL, "%s: command is not an array", path);
	json_array_foreach(cmd, i, v)
		if (!json_is_string(v))
			return ts_errf(err, err_bytes, TS_EINVAL,
				       "%s: command[%zu] is not a string", path, i);
	if (runs && !json_is_array(runs))
		return ts_errf(err, err_bytes, TS_EINVAL, "%s: strategies is not an array", path);
	json_array_foreach(runs, i, v)
		if (!get_str(v, "name", NULL) ||
		    !(get_str(v, "result", NULL) || get_str(v, "error", NULL)))
			return ts_errf(err, err_bytes, TS_EINVAL,
				       "%s: strategies[%zu] needs a name and a result or an error",
				       path, i);
	if (vals && !json_is_object(vals))
		return ts_errf(err, err_bytes, TS_EINVAL, "%s: profile.values is not an object",
			       path);
	json_object_foreach((json_t *)vals, sk, sec) {
		if (!json_is_object(sec))
			return ts_errf(err, err_bytes, TS_EINVAL,
				       "%s: profile.values.%s is not an object", path, sk);
		json_object_foreach(sec, k, val)
			if (!json_is_integer(val) || json_integer_value(val) < 0)
				return ts_errf(err, err_bytes, TS_EINVAL,
					       "%s: profile.values.%s.%s is not a non-negative "
					       "integer", path, sk, k);
	}
	r->config = json_incref(doc);
	return 0;
}

/*
 * A document that compare.json does not list is a result of another run left
 * in DIR: mixing it in would compare unlike things.
 */
static int check_listed(const struct report *r, char *err, size_t err_bytes)
{
	const json_t *runs = json_object_get(r->config, "strategies"), *v;
	size_t i, k;

	if (!runs)
		return 0;
	for (i = 0; i < r->n_docs; i++) {
		bool listed = false;

		json_array_foreach(runs, k, v) {
			const char *f = get_str(v, "result", NULL);

			listed |= f && !strcmp(f, r->doc_files[i]);
		}
		if (!listed)
			return ts_errf(err, err_bytes, TS_EINVAL,
				       "%s/%s is not among the results %s/%s lists: a result of "
				       "another run? (move it out of the directory)", r->dir,
				       r->doc_files[i], r->dir, REPORT_CONFIG_FILE);
	}
	return 0;
}

/* The newest mtime among dir/ *.json (zero when there is none or no dir). */
static struct timespec newest_json(const char *dir)
{
	struct timespec newest = { 0, 0 };
	struct dirent **names = NULL;
	char path[4096 + REPORT_NAME_BYTES];
	struct stat st;
	int n, k;

	n = scandir(dir, &names, run_result_is_json_name, alphasort);
	for (k = 0; k < n; k++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[k]->d_name);
		if (!stat(path, &st) && newer(&st.st_mtim, &newest))
			newest = st.st_mtim;
		free(names[k]);
	}
	free(names);
	return newest;
}

/*
 * Each figure teeshm plot may have drawn.  A file that cannot be shown (empty,
 * not SVG, too large, unreadable) is that figure's problem, said on the page,
 * not the report's: the rest of the page still stands.
 */
static int load_plots(struct report *r, const struct timespec *newest_doc, char *err,
		      size_t err_bytes)
{
	char sweep_dir[sizeof(r->dir) + 8];
	struct timespec newest_sweep;
	size_t i;

	r->plots = calloc(N_PLOT_KINDS, sizeof(*r->plots));
	if (!r->plots)
		return ts_errf(err, err_bytes, TS_ENOMEM, "out of memory");
	r->n_plots = N_PLOT_KINDS;
	snprintf(sweep_dir, sizeof(sweep_dir), "%s/sweep", r->dir);
	newest_sweep = newest_json(sweep_dir);
	for (i = 0; i < N_PLOT_KINDS; i++) {
		struct report_plot *p = &r->plots[i];
		char path[sizeof(r->dir) + REPORT_NAME_BYTES], why[64];
		struct stat st;
		int rc;

		*p = plot_kinds[i];
		snprintf(path, sizeof(path), "%s/%s.svg", r->dir, p->name);
		if (lstat(path, &st))
			continue; /* not drawn: nothing to say */
		if (!S_ISREG(st.st_mode)) {
			p->problem = "is not a regular file";
			continue;
		}
		rc = slurp(path, REPORT_MAX_SVG_BYTES, &p->svg, &p->svg_bytes, why, sizeof(why));
		if (rc == TS_ENOMEM)
			return ts_errf(err, err_bytes, rc, "%s: out of memory", path);
		if (rc == TS_E2BIG)
			p->problem = "is larger than a report embeds (8 MiB)";
		else if (rc)
			p->problem = "cannot be read";
		else if (!strstr(p->svg, "<svg"))
			p->problem = p->svg_bytes ? "is not an SVG image" : "is empty";
		if (p->problem) {
			free(p->svg);
			p->svg = NULL;
			p->svg_bytes = 0;
			continue;
		}
		p->stale = newer(p->from_sweep ? &newest_sweep : newest_doc, &st.st_mtim);
	}
	return 0;
}

/* What report_load's walk gathers besides r. */
struct load_ctx {
	struct report *r;
	struct timespec newest; /* of the result documents */
};

/* One JSON file of DIR: a result, compare.json, or something else (skipped). */
static int take_file(void *ctx, const char *name, const char *path, json_t *doc,
		     const struct stat *st, char *err, size_t err_bytes)
{
	struct load_ctx *c = ctx;
	struct report *r = c->r;
	const char *schema = get_str(doc, "schema", NULL);
	int rc;

	if (!strcmp(name, REPORT_CONFIG_FILE)) {
		if (!schema || strcmp(schema, REPORT_CONFIG_SCHEMA))
			return ts_errf(err, err_bytes, TS_EINVAL, "%s: not a %s document", path,
				       REPORT_CONFIG_SCHEMA);
		return take_config(r, doc, path, err, err_bytes);
	}
	if (!schema || strcmp(schema, RUN_RESULT_SCHEMA))
		return 0; /* not ours: another tool's file, or a compare.json under another name */
	if (!json_is_string(json_object_get(doc, "strategy")))
		return ts_errf(err, err_bytes, TS_EINVAL,
			       "%s: \"strategy\" is missing or not a string", path);
	if ((rc = report_check_doc_numbers(doc, path, err, err_bytes)))
		return rc;
	if (r->n_docs == REPORT_MAX_DOCS)
		return ts_errf(err, err_bytes, TS_E2BIG,
			       "%s: more than %u result documents: a report is of one compare "
			       "run", r->dir, REPORT_MAX_DOCS);
	r->docs[r->n_docs] = json_incref(doc);
	memcpy(r->doc_files[r->n_docs++], name, strlen(name) + 1);
	if (newer(&st->st_mtim, &c->newest))
		c->newest = st->st_mtim;
	return 0;
}

int report_load(struct report *r, const char *dir, char *err, size_t err_bytes)
{
	struct load_ctx c = { r, { 0, 0 } };
	int rc;

	memset(r, 0, sizeof(*r));
	if ((size_t)snprintf(r->dir, sizeof(r->dir), "%s", dir) >= sizeof(r->dir))
		return ts_errf(err, err_bytes, TS_EINVAL, "%s: path too long", dir);
	rc = run_result_each_json(dir, take_file, &c, err, err_bytes);
	if (!rc && !r->n_docs)
		rc = ts_errf(err, err_bytes, TS_EINVAL,
			     "%s holds no %s document (teeshm compare --out %s writes them)", dir,
			     RUN_RESULT_SCHEMA, dir);
	if (!rc) {
		order_docs(r);
		rc = check_same_run(r, err, err_bytes);
	}
	if (!rc && r->config)
		rc = check_listed(r, err, err_bytes);
	if (!rc && r->config &&
	    !json_equal(get(r->config, "workload", "name", NULL),
			json_object_get(r->docs[0], "workload")))
		rc = ts_errf(err, err_bytes, TS_EINVAL,
			     "%s/%s names workload '%s' but %s/%s is a result of '%s'", dir,
			     REPORT_CONFIG_FILE, get_str(r->config, "workload", "name"), dir,
			     r->doc_files[0], get_str(r->docs[0], "workload", NULL) ?
			     get_str(r->docs[0], "workload", NULL) : "?");
	if (!rc)
		rc = load_plots(r, &c.newest, err, err_bytes);
	if (rc)
		report_fini(r);
	return rc;
}

void report_fini(struct report *r)
{
	size_t i;

	for (i = 0; i < r->n_docs; i++)
		json_decref(r->docs[i]);
	json_decref(r->config);
	for (i = 0; r->plots && i < r->n_plots; i++)
		free(r->plots[i].svg);
	free(r->plots);
	memset(r, 0, sizeof(*r));
}
