/*
 * teeshm plot [--scripts DIR] DIR: figures of `teeshm compare --out DIR`, and of
 * `teeshm sweep` when DIR/sweep holds its results.  The teeshm.result/1
 * documents (docs/results.md) are read with jansson and reduced to plain
 * whitespace-column files in DIR/plot-data/; the gnuplot scripts of plots/
 * (plots/README.md says how to read each figure) draw them as DIR/<name>.png
 * and DIR/<name>.svg:
 *
 *   latency-cdf          map and unmap host latency CDF per strategy
 *   tlb-per-invoke       TLB flushes per invoke per strategy, by kind
 *   waste-over-time      reserved - in use over the modeled clock
 *   invoke-cost-vs-size  modeled time per invoke vs buffer size (sweep/size-BYTES-S.json)
 *   scaling-vms          modeled time per invoke and waste peak vs VMs (sweep/vms-N-S.json)
 *
 * The plotting is gnuplot's, run as a child process (never through a shell,
 * as the paths are the user's); the C side only decides what the numbers are,
 * so a figure can be redrawn by hand from its .dat file.  Exit 0 on success,
 * 1 when gnuplot is missing, a run of it fails or a file cannot be written,
 * 2 on bad input (no such DIR, a malformed document, no document).  Host code.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/common/errmsg.h"
#include "sim/common/opts.h"
#include "sim/common/ts_err.h"
#include "sim/launcher/cli.h"
#include "sim/launcher/run_result.h"

#ifndef TEESHM_PLOT_DIR
#define TEESHM_PLOT_DIR "plots"
#endif

extern char **environ;

#define PLOT_PATH_BYTES 4096
#define PLOT_LABEL_BYTES 64

/* The strategies in the order `compare` runs them; each keeps its colour (series) in every plot. */
static const char *const known_strategies[] = { "carveout", "dynamic", "cached", "rpc" };
#define N_KNOWN (sizeof(known_strategies) / sizeof(known_strategies[0]))

/* Where a document came from: a sweep point's parameter is in its file name. */
enum plot_src { SRC_COMPARE, SRC_SIZE, SRC_VMS };

struct plot_doc {
	json_t *doc;
	char path[PLOT_PATH_BYTES];
	char label[PLOT_LABEL_BYTES]; /* the series' name: the strategy, or the file's stem */
	unsigned series;              /* 1-based: one colour per label across all plots */
	enum plot_src src;
	uint64_t param;               /* SRC_SIZE: buffer bytes; SRC_VMS: VM count */
};

struct plot_docs {
	struct plot_doc *v;
	size_t n, cap;
};

static void docs_free(struct plot_docs *docs)
{
	size_t i;

	for (i = 0; i < docs->n; i++)
		json_decref(docs->v[i].doc);
	free(docs->v);
	memset(docs, 0, sizeof(*docs));
}

static struct plot_doc *docs_add(struct plot_docs *docs)
{
	if (docs->n == docs->cap) {
		size_t cap = docs->cap ? docs->cap * 2 : 16;
		struct plot_doc *v = realloc(docs->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		docs->v = v;
		docs->cap = cap;
	}
	memset(&docs->v[docs->n], 0, sizeof(docs->v[0]));
	return &docs->v[docs->n++];
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Something left out that is no error: a file that is not a result, a plot without data. */
static void note(const char *fmt, ...)
{
	va_list ap;

	printf("teeshm plot: note: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* obj.a(.b(.c)), or NULL. */
static const json_t *field(const json_t *obj, const char *a, const char *b, const char *c)
{
	const json_t *v = json_object_get(obj, a);

	if (b)
		v = json_object_get(v, b);
	if (c)
		v = json_object_get(v, c);
	return v;
}

static bool is_count(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0;
}

static uint64_t count_of(const json_t *v)
{
	return is_count(v) ? (uint64_t)json_integer_value(v) : 0;
}

/* "a.b.c" (b, c may be NULL) into name, for messages. */
static const char *field_name(char *name, size_t name_bytes, const char *a, const char *b,
			      const char *c)
{
	snprintf(name, name_bytes, "%s%s%s%s%s", a, b ? "." : "", b ? b : "", c ? "." : "",
		 c ? c : "");
	return name;
}

/* obj.a(.b(.c)) must be a non-negative integer. */
static int need_count(const json_t *doc, const char *path, const char *a, const char *b,
		      const char *c, char *err, size_t err_bytes)
{
	char name[64];

	if (is_count(field(doc, a, b, c)))
		return 0;
	return ts_errf(err, err_bytes, TS_EINVAL, "%s: %s is missing or not a count", path,
		       field_name(name, sizeof(name), a, b, c));
}

/*
 * obj.a.b(.c) must be an array of rows of `width` counts, the first column
 * never decreasing (a histogram's bucket bounds, a series' clock): the plots
 * draw them as they come.
 */
static int need_rows(const json_t *doc, const char *path, const char *a, const char *b,
		     const char *c, size_t width, char *err, size_t err_bytes)
{
	const json_t *rows = field(doc, a, b, c);
	uint64_t prev = 0;
	char name[64];
	size_t i, k;

	field_name(name, sizeof(name), a, b, c);
	if (!json_is_array(rows))
		return ts_errf(err, err_bytes, TS_EINVAL, "%s: %s is missing or not an array",
			       path, name);
	for (i = 0; i < json_array_size(rows); i++) {
		const json_t *row = json_array_get(rows, i);
		bool ok = json_is_array(row) && json_array_size(row) == width;

		for (k = 0; ok && k < width; k++)
			ok = is_count(json_array_get(row, k));
		if (!ok)
			return ts_errf(err, err_bytes, TS_EINVAL,
				       "%s: %s[%zu] is not a row of %zu counts", path, name, i,
				       width);
		if (count_of(json_array_get(row, 0)) < prev)
			return ts_errf(err, err_bytes, TS_EINVAL,
				       "%s: %s[%zu] goes back on its first column", path, name, i);
		prev = count_of(json_array_get(row, 0));
	}
	return 0;
}

/* Every field a plot reads, so that writing the data files cannot meet a surprise. */
static int doc_check(const json_t *doc, const char *path, char *err, size_t err_bytes)
{
	static const char *const kinds[] = { "va", "vaa", "range", "asid", "all" };
	const char *strategy = json_string_value(json_object_get(doc, "strategy"));
	size_t i;
	int rc;

	if (!strategy || !strategy[0])
		return ts_errf(err, err_bytes, TS_EINVAL, "%s: strategy is missing or not a string",
			       path);
	if ((rc = need_count(doc, path, "ops", "invoke", NULL, err, err_bytes)) ||
	    (rc = need_count(doc, path, "time", "modeled_ns", NULL, err, err_bytes)) ||
	    (rc = need_count(doc, path, "memory", "waste_peak_bytes", NULL, err, err_bytes)) ||
	    (rc = need_count(doc, path, "memory", "waste_mean_bytes", NULL, err, err_bytes)) ||
	    (rc = need_rows(doc, path, "map", "host_ns", "buckets", 2, err, err_bytes)) ||
	    (rc = need_rows(doc, path, "unmap", "host_ns", "buckets", 2, err, err_bytes)) ||
	    (rc = need_rows(doc, path, "memory", "series", NULL, 3, err, err_bytes)))
		return rc;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if ((rc = need_count(doc, path, "tlb", "flushes", kinds[i], err, err_bytes)))
			return rc;
	return 0;
}

/* s as a gnuplot/whitespace-column label: no blanks, quotes or comment marks. */
static void set_label(char *label, const char *s, size_t n)
{
	size_t i;

	if (n > PLOT_LABEL_BYTES - 1)
		n = PLOT_LABEL_BYTES - 1;
	for (i = 0; i < n && s[i]; i++) {
		char ch = s[i];
		bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '+';

		label[i] = plain ? ch : '_';
	}
	label[i] = '\0';
}

/*
 * A sweep file's parameter: "size-<BYTES>-..." or "vms-<N>-...".  0 when the
 * name has neither form (or a zero parameter, which neither plot can place).
 */
static uint64_t sweep_param(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	uint64_t v = 0;
	const char *p;

	if (strncmp(name, prefix, n))
		return 0;
	for (p = name + n; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	return p > name + n && *p == '-' ? v : 0;
}

/* What load_one needs to know of the directory it is in. */
struct load_ctx {
	struct plot_docs *docs;
	bool sweep;
};

/* One JSON file of the directory: kept if it is a result a plot can use. */
static int load_one(void *ctx, const char *name, const char *path, json_t *doc,
		    const struct stat *st, char *err, size_t err_bytes)
{
	struct load_ctx *c = ctx;
	const char *schema = json_string_value(json_object_get(doc, "schema"));
	enum plot_src src = SRC_COMPARE;
	uint64_t param = 0;
	struct plot_doc *d;
	int rc;

	(void)st;
	if (!schema || strcmp(schema, RUN_RESULT_SCHEMA)) {
		/* compare's own configuration (compare.json) is expected here: no note */
		if (!schema || strcmp(schema, "teeshm.compare/1"))
			note("skipping %s: not a %s document", path, RUN_RESULT_SCHEMA);
		return 0;
	}
	if (c->sweep) {
		if ((param = sweep_param(name, "size-")))
			src = SRC_SIZE;
		else if ((param = sweep_param(name, "vms-")))
			src = SRC_VMS;
		else {
			note("skipping %s: a sweep result is named "
			     "size-<BYTES>-<strategy>.json or vms-<N>-<strategy>.json", path);
			return 0;
		}
	}
	if ((rc = doc_check(doc, path, err, err_bytes)))
		return rc;
	if (strlen(path) >= PLOT_PATH_BYTES)
		return ts_errf(err, err_bytes, TS_EINVAL, "%s: path too long", path);
	if (!(d = docs_add(c->docs)))
		return ts_errf(err, err_bytes, TS_ENOMEM, "out of memory");
	d->doc = json_incref(doc);
	memcpy(d->path, path, strlen(path) + 1);
	d->src = src;
	d->param = param;
	set_label(d->label, json_string_value(json_object_get(doc, "strategy")), SIZE_MAX);
	return 0;
}

/*
 * Every teeshm.result/1 document among dir/ *.json, in name order.  A missing
 * dir is TS_ENOENT (the caller decides whether that matters); a document
 * jansson cannot parse, or one lacking a field the plots read, is TS_EINVAL
 * naming the file.  Other JSON files are skipped with a note.
 */
static int load_dir(const char *dir, bool sweep, struct plot_docs *docs, char *err,
		    size_t err_bytes)
{
	struct load_ctx c = { docs, sweep };

	return run_result_each_json(dir, load_one, &c, err, err_bytes);
}

static const char *strategy_of(const struct plot_doc *d)
{
	return json_string_value(json_object_get(d->doc, "strategy"));
}

/*
 * Labels and colours.  Two compare results of one strategy in DIR are told
 * apart by their file stems.  A known strategy has its fixed series; any
 * other label the next free one, in the order files were read.
 */
static void assign_series(struct plot_docs *docs)
{
	unsigned next = N_KNOWN + 1;
	size_t i, j, k;

	for (i = 0; i < docs->n; i++) {
		struct plot_doc *d = &docs->v[i];

		for (j = 0; d->src == SRC_COMPARE && j < docs->n; j++) {
			const char *base = strrchr(d->path, '/') + 1;

			if (j != i && docs->v[j].src == SRC_COMPARE &&
			    !strcmp(strategy_of(&docs->v[j]), strategy_of(d))) {
				set_label(d->label, base, strlen(base) - strlen(".json"));
				break;
			}
		}
	}
	for (i = 0; i < docs->n; i++) {
		struct plot_doc *d = &docs->v[i];

		for (k = 0; k < N_KNOWN && strcmp(d->label, known_strategies[k]); k++)
			;
		for (j = 0; j < i && strcmp(docs->v[j].label, d->label); j++)
			;
		if (k < N_KNOWN)
			d->series = (unsigned)k + 1;
		else if (j < i)
			d->series = docs->v[j].series;
		else
			d->series = next++;
	}
}

/* Compare results by colour, then sweep points grouped by series, each series by parameter. */
static int doc_order(const void *pa, const void *pb)
{
	const struct plot_doc *a = pa, *b = pb;
	int c;

	if (a->src != b->src)
		return a->src < b->src ? -1 : 1;
	if (a->series != b->series)
		return a->series < b->series ? -1 : 1;
	if ((c = strcmp(a->label, b->label)))
		return c;
	if (a->param != b->param)
		return a->param < b->param ? -1 : 1;
	return strcmp(a->path, b->path);
}

/*
 * The data files.  Each writer returns the data rows it wrote (0: nothing to
 * plot).  Files of several series hold one block per series, blocks apart by
 * two blank lines (gnuplot's `index`); the first two columns of every row are
 * the series' label and colour.
 */
struct plot_kind {
	const char *name;   /* plots/<name>.gp, plot-data/<name>.dat, DIR/<name>.{png,svg} */
	const char *header; /* the .dat file's one comment line */
	const char *source; /* what it is drawn from, under DIR */
	size_t (*write)(FILE *f, const struct plot_docs *docs);
};

/* Starts a block: a separator unless it is the file's first. */
static void block_start(FILE *f, size_t *blocks)
{
	if ((*blocks)++)
		fputs("\n\n", f);
}

static size_t write_latency(FILE *f, const struct plot_docs *docs)
{
	static const char *const ops[] = { "map", "unmap" };
	size_t rows = 0, blocks = 0, o, i, k;

	for (o = 0; o < 2; o++) {
		for (i = 0; i < docs->n; i++) {
			const struct plot_doc *d = &docs->v[i];
			const json_t *b = field(d->doc, ops[o], "host_ns", "buckets");
			uint64_t total = 0, sum = 0;

			if (d->src != SRC_COMPARE)
				continue;
			for (k = 0; k < json_array_size(b); k++)
				total += count_of(json_array_get(json_array_get(b, k), 1));
			if (!total) {
				note("latency-cdf: %s: no %s samples", d->label, ops[o]);
				continue;
			}
			block_start(f, &blocks);
			/* From 0 at the first bucket, so each curve rises from the axis. */
			fprintf(f, "%s %u %s %" PRIu64 " 0\n", d->label, d->series, ops[o],
				count_of(json_array_get(json_array_get(b, 0), 0)));
			for (k = 0; k < json_array_size(b); k++) {
				const json_t *row = json_array_get(b, k);

				sum += count_of(json_array_get(row, 1));
				fprintf(f, "%s %u %s %" PRIu64 " %.6f\n", d->label, d->series,
					ops[o], count_of(json_array_get(row, 0)),
					(double)sum / (double)total);
				rows++;
			}
		}
	}
	return rows;
}

static size_t write_tlb(FILE *f, const struct plot_docs *docs)
{
	static const char *const kinds[] = { "va", "vaa", "range", "asid", "all" };
	size_t rows = 0, i, k;

	for (i = 0; i < docs->n; i++) {
		const struct plot_doc *d = &docs->v[i];
		uint64_t invokes = count_of(field(d->doc, "ops", "invoke", NULL));

		if (d->src != SRC_COMPARE)
			continue;
		if (!invokes)
			note("tlb-per-invoke: %s: no invokes, drawn as 0", d->label);
		fprintf(f, "%s %u %" PRIu64, d->label, d->series, invokes);
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			uint64_t n = count_of(field(d->doc, "tlb", "flushes", kinds[k]));

			fprintf(f, " %.6g", invokes ? (double)n / (double)invokes : 0.0);
		}
		fputc('\n', f);
		rows++;
	}
	return rows;
}

static size_t write_waste(FILE *f, const struct plot_docs *docs)
{
	size_t rows = 0, blocks = 0, i, k;

	for (i = 0; i < docs->n; i++) {
		const struct plot_doc *d = &docs->v[i];
		const json_t *s = field(d->doc, "memory", "series", NULL);
		uint64_t mean = count_of(field(d->doc, "memory", "waste_mean_bytes", NULL));

		if (d->src != SRC_COMPARE)
			continue;
		if (!json_array_size(s)) {
			note("waste-over-time: %s: no memory samples", d->label);
			continue;
		}
		block_start(f, &blocks);
		for (k = 0; k < json_array_size(s); k++) {
			const json_t *row = json_array_get(s, k);
			uint64_t t = count_of(json_array_get(row, 0));
			uint64_t reserved = count_of(json_array_get(row, 1));
			uint64_t in_use = count_of(json_array_get(row, 2));
			/* Signed: in use above reserved is a simulator bug, to be seen. */
			int64_t waste = (int64_t)reserved - (int64_t)in_use;

			fprintf(f, "%s %u %" PRIu64 " %" PRId64 " %" PRIu64 " %" PRIu64 " %" PRIu64
				   "\n", d->label, d->series, t, waste, reserved, in_use, mean);
			rows++;
		}
	}
	return rows;
}

/*
 * One block per series of the sweep points from src, by parameter.  A point
 * whose run had failed calls is kept and marked (its cost is that of less
 * work); one without invokes has no cost per invoke and is left out.
 */
static size_t write_sweep(FILE *f, const struct plot_docs *docs, enum plot_src src,
			  const char *plot)
{
	size_t rows = 0, blocks = 0, i;
	const char *prev = NULL;

	for (i = 0; i < docs->n; i++) {
		const struct plot_doc *d = &docs->v[i];
		uint64_t invokes = count_of(field(d->doc, "ops", "invoke", NULL));
		uint64_t ns = count_of(field(d->doc, "time", "modeled_ns", NULL));
		uint64_t failed = count_of(field(d->doc, "replay", "failures", NULL)) +
				  count_of(field(d->doc, "replay", "divergences", NULL));

		if (d->src != src)
			continue;
		if (!invokes) {
			note("%s: leaving out %s: no invokes", plot, d->path);
			continue;
		}
		if (!prev || strcmp(prev, d->label))
			block_start(f, &blocks);
		prev = d->label;
		fprintf(f, "%s %u %" PRIu64 " %.6g %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", d->label,
			d->series, d->param, (double)ns / (double)invokes, invokes, failed,
			count_of(field(d->doc, "memory", "waste_peak_bytes", NULL)));
		rows++;
	}
	return rows;
}

static size_t write_size(FILE *f, const struct plot_docs *docs)
{
	return write_sweep(f, docs, SRC_SIZE, "invoke-cost-vs-size");
}

static size_t write_vms(FILE *f, const struct plot_docs *docs)
{
	return write_sweep(f, docs, SRC_VMS, "scaling-vms");
}

static const struct plot_kind plot_kinds[] = {
	{ "latency-cdf", "# strategy series op host_ns_at_most fraction_of_calls", "*.json",
	  write_latency },
	{ "tlb-per-invoke", "# strategy series invokes va vaa range asid all (flushes per invoke)",
	  "*.json", write_tlb },
	{ "waste-over-time",
	  "# strategy series modeled_ns waste_bytes reserved_bytes in_use_bytes waste_mean_bytes",
	  "*.json", write_waste },
	{ "invoke-cost-vs-size",
	  "# strategy series buffer_bytes modeled_ns_per_invoke invokes failed_calls "
	  "waste_peak_bytes",
	  "sweep/size-<BYTES>-<strategy>.json (teeshm sweep writes them)", write_size },
	{ "scaling-vms",
	  "# strategy series vms modeled_ns_per_invoke invokes failed_calls waste_peak_bytes",
	  "sweep/vms-<N>-<strategy>.json (teeshm sweep writes them)", write_vms },
};

/* path's data file; 0 and *rows, or TS_EIO naming the file. */
static int write_data(const struct plot_kind *k, const struct plot_docs *docs, const char *path,
		      size_t *rows, char *err, size_t err_bytes)
{
	FILE *f = fopen(path, "w");
	bool bad;

	*rows = 0;
	if (!f)
		return ts_errf(err, err_bytes, TS_EIO, "%s: cannot create it: %s", path,
			       strerror(errno));
	fprintf(f, "%s\n", k->header);
	*rows = k->write(f, docs);
	bad = ferror(f) != 0;
	bad |= fclose(f) != 0;
	return bad ? ts_errf(err, err_bytes, TS_EIO, "%s: write failed", path) : 0;
}

/* s inside a gnuplot single-quoted string (where '' is a quote); false if it cannot be. */
static bool gp_quote(char *out, size_t out_bytes, const char *s)
{
	size_t o = 0;

	for (; *s; s++) {
		if (*s == '\n' || o + 3 > out_bytes)
			return false;
		if (*s == '\'')
			out[o++] = '\'';
		out[o++] = *s;
	}
	out[o] = '\0';
	return true;
}

static const struct {
	const char *ext;
	const char *terminal;
} terminals[] = {
	{ "png", "pngcairo size 1000,650 noenhanced font 'Sans,10'" },
	{ "svg", "svg size 1000,650 dynamic noenhanced font 'Sans,10' background '#ffffff'" },
};

/*
 * gnuplot -e "data='DATA'; out='OUT'; set terminal T" SCRIPT, stdin from
 * /dev/null, its messages on our stderr.  0 once OUT exists and is not
 * empty; TS_ENOENT if gnuplot is not on PATH; TS_EIO if the run failed.
 */
static int gnuplot_run(const char *script, const char *data, const char *out,
		       const char *terminal, char *err, size_t err_bytes)
{
	char qdata[2 * PLOT_PATH_BYTES], qout[2 * PLOT_PATH_BYTES];
	char expr[5 * PLOT_PATH_BYTES];
	char *argv[] = { "gnuplot", "-e", expr, (char *)script, NULL };
	posix_spawn_file_actions_t fa;
	struct stat st;
	pid_t pid;
	int rc, status;

	if (!gp_quote(qdata, sizeof(qdata), data) || !gp_quote(qout, sizeof(qout), out))
		return ts_errf(err, err_bytes, TS_EINVAL, "%s: gnuplot cannot take this path", out);
	snprintf(expr, sizeof(expr), "data='%s'; out='%s'; set terminal %s", qdata, qout,
		 terminal);
	/* The check below must see this run's output, never an older figure. */
	if (unlink(out) && errno != ENOENT)
		return ts_errf(err, err_bytes, TS_EIO, "%s: cannot replace it: %s", out,
			       strerror(errno));
	fflush(stdout); /* our lines before anything gnuplot says */
	if (posix_spawn_file_actions_init(&fa))
		return ts_errf(err, err_bytes, TS_ENOMEM, "out of memory");
	rc = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (!rc)
		rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc == ENOENT)
		return ts_errf(err, err_bytes, TS_ENOENT,
			       "gnuplot is not on PATH: install gnuplot-nox "
			       "(scripts/install-deps.sh)");
	if (rc)
		return ts_errf(err, err_bytes, TS_EIO, "cannot run gnuplot: %s", strerror(rc));
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return ts_errf(err, err_bytes, TS_EIO, "waiting for gnuplot: %s",
				       strerror(errno));
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		unlink(out); /* half a figure is no figure */
		return ts_errf(err, err_bytes, TS_EIO, "gnuplot %s failed (%s %d) writing %s",
			       script, WIFEXITED(status) ? "exit status" : "signal",
			       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), out);
	}
	if (stat(out, &st) || st.st_size == 0)
		return ts_errf(err, err_bytes, TS_EIO, "gnuplot %s wrote nothing to %s", script,
			       out);
	return 0;
}

/* Draws every plot that has data: 0, or the exit code (1: a failed write or gnuplot run). */
static int draw_all(const char *dir, const char *script_dir, const struct plot_docs *docs)
{
	char data_dir[PLOT_PATH_BYTES], data[PLOT_PATH_BYTES], script[PLOT_PATH_BYTES];
	char out[PLOT_PATH_BYTES], err[2 * PLOT_PATH_BYTES];
	size_t p, t, rows;
	int status = 0, rc;

	snprintf(data_dir, sizeof(data_dir), "%s/plot-data", dir);
	if (mkdir(data_dir, 0777) && errno != EEXIST) {
		fprintf(stderr, "teeshm plot: %s: cannot create it: %s\n", data_dir,
			strerror(errno));
		return 1;
	}
	for (p = 0; p < sizeof(plot_kinds) / sizeof(plot_kinds[0]); p++) {
		const struct plot_kind *k = &plot_kinds[p];

		if ((size_t)snprintf(data, sizeof(data), "%s/%s.dat", data_dir, k->name) >=
			    sizeof(data) ||
		    (size_t)snprintf(script, sizeof(script), "%s/%s.gp", script_dir, k->name) >=
			    sizeof(script)) {
			fprintf(stderr, "teeshm plot: %s: path too long\n", dir);
			return 2;
		}
		if (write_data(k, docs, data, &rows, err, sizeof(err))) {
			fprintf(stderr, "teeshm plot: %s\n", err);
			return 1;
		}
		if (!rows) {
			note("%s skipped: nothing to plot in %s/%s", k->name, dir, k->source);
			unlink(data);
			continue;
		}
		if (access(script, R_OK)) {
			fprintf(stderr, "teeshm plot: %s: cannot read the gnuplot script: %s\n",
				script, strerror(errno));
			return 1;
		}
		for (t = 0; t < sizeof(terminals) / sizeof(terminals[0]); t++) {
			snprintf(out, sizeof(out), "%s/%s.%s", dir, k->name, terminals[t].ext);
			rc = gnuplot_run(script, data, out, terminals[t].terminal, err,
					 sizeof(err));
			if (rc) {
				fprintf(stderr, "teeshm plot: %s\n", err);
				if (rc == TS_ENOENT)
					return 1; /* every other run would fail the same way */
				status = 1;
				continue;
			}
			printf("teeshm plot: wrote %s (%zu rows in %s)\n", out, rows, data);
		}
	}
	return status;
}

int cmd_plot(int argc, char **argv)
{
	const char *script_dir = TEESHM_PLOT_DIR, *dir;
	struct opt_spec specs[] = {
		OPT_SPEC_STR("--scripts", &script_dir,
			     "the gnuplot scripts' directory (default: the source tree's plots/)"),
	};
	const size_t n_specs = sizeof(specs) / sizeof(specs[0]);
	struct plot_docs docs = { 0 };
	char sweep_dir[PLOT_PATH_BYTES], err[2 * PLOT_PATH_BYTES];
	size_t n_compare = 0;
	int rc;

	dir = cli_parse_dir_command("plot", argc, argv, specs, n_specs, &rc);
	if (!dir)
		return rc;
	if ((size_t)snprintf(sweep_dir, sizeof(sweep_dir), "%s/sweep", dir) >= sizeof(sweep_dir)) {
		fprintf(stderr, "teeshm plot: %s: path too long\n", dir);
		return 2;
	}
	rc = load_dir(dir, false, &docs, err, sizeof(err));
	if (!rc) {
		n_compare = docs.n;
		rc = load_dir(sweep_dir, true, &docs, err, sizeof(err));
		if (rc == TS_ENOENT) /* no sweep: plots 4 and 5 are skipped with a note */
			rc = 0;
	}
	if (!rc && !docs.n)
		rc = ts_errf(err, sizeof(err), TS_EINVAL,
			     "%s holds no %s document (teeshm compare --out %s writes them)", dir,
			     RUN_RESULT_SCHEMA, dir);
	if (rc) {
		fprintf(stderr, "teeshm plot: %s\n", err);
		docs_free(&docs);
		return 2;
	}
	assign_series(&docs);
	qsort(docs.v, docs.n, sizeof(docs.v[0]), doc_order);
	printf("teeshm plot: %zu result(s) in %s, %zu in %s\n", n_compare, dir, docs.n - n_compare,
	       sweep_dir);
	rc = draw_all(dir, script_dir, &docs);
	docs_free(&docs);
	return rc;
}
