/*
 * teeshm report (see report.h), its second half: the page.  Every string that
 * came from a file goes through report_html_escape(); every figure goes in as
 * base64, so nothing read from DIR can add markup or script to the page.
 * report.c reads the directory.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/errmsg.h"
#include "sim/common/ts_err.h"
#include "sim/launcher/report.h"
#include "sim/launcher/report_internal.h"

#ifndef TEESHM_VERSION
#define TEESHM_VERSION "unknown"
#endif

void report_html_escape(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*s, out);
		}
	}
}

void report_base64(FILE *out, const unsigned char *p, size_t n)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		fputc(digits[v >> 18], out);
		fputc(digits[(v >> 12) & 63], out);
		fputc(digits[(v >> 6) & 63], out);
		fputc(digits[v & 63], out);
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		fputc(digits[v >> 18], out);
		fputc(digits[(v >> 12) & 63], out);
		fputs("==", out);
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		fputc(digits[v >> 18], out);
		fputc(digits[(v >> 12) & 63], out);
		fputc(digits[(v >> 6) & 63], out);
		fputc('=', out);
	}
}

/* 1234567 as "1,234,567". */
static const char *fmt_count(char *buf, size_t n, uint64_t v)
{
	char digits[24];
	size_t len, i, o = 0;

	len = (size_t)snprintf(digits, sizeof(digits), "%" PRIu64, v);
	for (i = 0; i < len && o + 2 < n; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

static const char *fmt_ns(char *buf, size_t n, double ns)
{
	if (ns < 1e3)
		snprintf(buf, n, "%.0f ns", ns);
	else if (ns < 1e6)
		snprintf(buf, n, "%.2f \xc2\xb5s", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, n, "%.2f ms", ns / 1e6);
	else
		snprintf(buf, n, "%.2f s", ns / 1e9);
	return buf;
}

static const char *fmt_bytes(char *buf, size_t n, double bytes)
{
	if (bytes < 1024)
		snprintf(buf, n, "%.0f B", bytes);
	else if (bytes < 1024 * 1024)
		snprintf(buf, n, "%.1f KiB", bytes / 1024);
	else
		snprintf(buf, n, "%.2f MiB", bytes / (1024 * 1024));
	return buf;
}

/* A ratio with the digits that matter: 2620, 4.22, 0.00195 (not "0.00"), 0. */
static const char *fmt_ratio(char *buf, size_t n, double v)
{
	if (v >= 100 || v == 0)
		snprintf(buf, n, "%.0f", v);
	else if (v >= 1)
		snprintf(buf, n, "%.2f", v);
	else
		snprintf(buf, n, "%.3g", v);
	return buf;
}

/*
 * Did the run do all it was asked?  Failed calls and results that differ
 * from the trace's expect= make its figures cover less work.  (A `vm crash`
 * of the trace, replay.crashes, is asked for: not a failure.)
 */
static uint64_t failures_of(const json_t *d)
{
	uint64_t f = 0, v;

	if (get_u64(d, "replay", "failures", NULL, &v))
		f += v;
	if (get_u64(d, "replay", "divergences", NULL, &v))
		f += v;
	if (!get(d, "replay", NULL, NULL) && get_u64(d, "ops", "failed", NULL, &v))
		f += v; /* a `teeshm run` document: only the secure world's count */
	return f;
}

static bool leaked(const json_t *d)
{
	uint64_t v;

	return get_u64(d, "leaks", NULL, NULL, &v) && v;
}

/* The metrics of the summary table: value = num / den (den 1 when per_a is NULL). */
enum unit { U_COUNT, U_NS, U_BYTES, U_RATIO };

struct metric {
	const char *head;
	const char *tip; /* the column's meaning, as the header's title */
	const char *a, *b, *c;
	const char *per_a, *per_b;
	enum unit unit;
	bool best_low;  /* mark the lowest among complete runs */
	bool zero_only; /* anything but 0 is a bug: mark it */
};

static const struct metric summary_metrics[] = {
	{ "invokes", "TEEC_InvokeCommand calls the secure world served (ops.invoke)",
	  "ops", "invoke", NULL, NULL, NULL, U_COUNT, false },
	{ "modeled time", "the run on the platform profile: secure work plus the guests' copies "
	  "(time.modeled_ns)", "time", "modeled_ns", NULL, NULL, NULL, U_NS, true },
	{ "per invoke", "modeled time / invokes", "time", "modeled_ns", NULL, "ops", "invoke", U_NS,
	  true },
	{ "map p50", "host latency of one map call, median (map.host_ns.p50)", "map", "host_ns",
	  "p50", NULL, NULL, U_NS, true },
	{ "map p99", "host latency of one map call, 99th percentile", "map", "host_ns", "p99",
	  NULL, NULL, U_NS, true },
	{ "unmap p50", "host latency of one unmap call, median", "unmap", "host_ns", "p50", NULL,
	  NULL, U_NS, true },
	{ "unmap p99", "host latency of one unmap call, 99th percentile", "unmap", "host_ns", "p99",
	  NULL, NULL, U_NS, true },
	{ "TLBI / invoke", "TLB invalidations of every kind / invokes", "tlb", "flushes", NULL,
	  "ops", "invoke", U_RATIO, true },
	{ "waste peak", "largest reserved - in use (memory.waste_peak_bytes)", "memory",
	  "waste_peak_bytes", NULL, NULL, NULL, U_BYTES, true },
	{ "waste mean", "time-weighted mean of reserved - in use on the modeled clock", "memory",
	  "waste_mean_bytes", NULL, NULL, NULL, U_BYTES, true },
};

struct detail_table {
	const char *title;
	const char *note;
	struct metric cols[11];
	size_t n_cols;
};

static const struct detail_table detail_tables[] = {
	{ "Map and unmap", "Counts and host latency of the secure world's map and unmap calls; "
	  "modeled cycles are the calls' own work on the platform profile (PTE writes, TLB "
	  "maintenance, barriers, bookkeeping).",
	  { { "maps", "map calls", "map", "count", NULL, NULL, NULL, U_COUNT, false },
	    { "pages", "pages those calls mapped", "map", "pages", NULL, NULL, NULL, U_COUNT,
	      false },
	    { "p90", "host latency, 90th percentile", "map", "host_ns", "p90", NULL, NULL, U_NS,
	      false },
	    { "max", "host latency, slowest call", "map", "host_ns", "max", NULL, NULL, U_NS,
	      false },
	    { "cycles / map", "modeled cycles per map call", "map", "modeled_cycles", NULL, "map",
	      "count", U_RATIO, false },
	    { "unmaps", "unmap calls", "unmap", "count", NULL, NULL, NULL, U_COUNT, false },
	    { "pages", "pages those calls unmapped", "unmap", "pages", NULL, NULL, NULL, U_COUNT,
	      false },
	    { "p90", "host latency, 90th percentile", "unmap", "host_ns", "p90", NULL, NULL, U_NS,
	      false },
	    { "max", "host latency, slowest call", "unmap", "host_ns", "max", NULL, NULL, U_NS,
	      false },
	    { "cycles / unmap", "modeled cycles per unmap call", "unmap", "modeled_cycles", NULL,
	      "unmap", "count", U_RATIO, false } },
	  10 },
	{ "TLB", "Invalidations by kind and the secure TLB model's lookups. A stale hit is a "
	  "translation used after its mapping was removed: any is a bug.",
	  { { "by VA", "tlbi vae1", "tlb", "flushes", "va", NULL, NULL, U_COUNT, false },
	    { "by VA, all ASIDs", "tlbi vaae1", "tlb", "flushes", "vaa", NULL, NULL, U_COUNT,
	      false },
	    { "range", "tlbi rvae1", "tlb", "flushes", "range", NULL, NULL, U_COUNT, false },
	    { "by ASID", "tlbi aside1", "tlb", "flushes", "asid", NULL, NULL, U_COUNT, false },
	    { "all", "tlbi vmalle1", "tlb", "flushes", "all", NULL, NULL, U_COUNT, false },
	    { "hits", "lookups the TLB served", "tlb", "hits", NULL, NULL, NULL, U_COUNT, false },
	    { "misses", "lookups that walked the tables", "tlb", "misses", NULL, NULL, NULL,
	      U_COUNT,
	      false },
	    { "stale hits", "translations served after their unmap (must be 0)", "tlb",
	      "stale_hits",
	      NULL, NULL, NULL, U_COUNT, false, true } },
	  8 },
	{ "Memory", "Reserved is what a strategy keeps mapped or set aside for shared memory, in "
	  "use what calls can reach right now; waste is the difference. Metadata is the "
	  "secure memory manager's own bookkeeping (its one fixed buffer of tree nodes and "
	  "mapping records).",
	  { { "reserved peak", "memory.reserved_peak_bytes", "memory", "reserved_peak_bytes", NULL,
	      NULL, NULL, U_BYTES, false },
	    { "in use peak", "memory.in_use_peak_bytes", "memory", "in_use_peak_bytes", NULL, NULL,
	      NULL, U_BYTES, false },
	    { "translation tables peak", "memory.xlat_tables_peak (4 KiB tables)", "memory",
	      "xlat_tables_peak", NULL, NULL, NULL, U_COUNT, false },
	    { "metadata", "memory.metadata_bytes: the memory manager's bookkeeping", "memory",
	      "metadata_bytes", NULL, NULL, NULL, U_BYTES, false },
	    { "leaked mappings", "leaks.mappings after the run", "leaks", "mappings", NULL, NULL,
	      NULL, U_COUNT, false, true },
	    { "leaked VA", "leaks.va_bytes after the run", "leaks", "va_bytes", NULL, NULL, NULL,
	      U_BYTES, false, true },
	    { "pinned pages left", "leaks.pinned_pages after the run", "leaks", "pinned_pages",
	      NULL,
	      NULL, NULL, U_COUNT, false, true } },
	  7 },
	{ "Calls", "What crossed the worlds: SMCs into the secure world, RPCs back out, and the "
	  "client calls.",
	  { { "SMCs", "ops.smc", "ops", "smc", NULL, NULL, NULL, U_COUNT, false },
	    { "RPCs", "ops.rpc", "ops", "rpc", NULL, NULL, NULL, U_COUNT, false },
	    { "opens", "ops.open", "ops", "open", NULL, NULL, NULL, U_COUNT, false },
	    { "closes", "ops.close", "ops", "close", NULL, NULL, NULL, U_COUNT, false },
	    { "registers", "ops.register", "ops", "register", NULL, NULL, NULL, U_COUNT, false },
	    { "unregisters", "ops.unregister", "ops", "unregister", NULL, NULL, NULL, U_COUNT,
	      false },
	    { "secure-side failures", "ops.failed", "ops", "failed", NULL, NULL, NULL, U_COUNT,
	      false },
	    { "copied", "bytes the guests bounce-copied (copy.bytes)", "copy", "bytes", NULL, NULL,
	      NULL, U_BYTES, false },
	    { "wall time", "time.wall_ns: this host, noisy", "time", "wall_ns", NULL, NULL, NULL,
	      U_NS, false },
	    { "modeled secure", "time.modeled_secure_ns", "time", "modeled_secure_ns", NULL, NULL,
	      NULL, U_NS, false },
	    { "modeled copies", "time.modeled_copy_ns", "time", "modeled_copy_ns", NULL, NULL, NULL,
	      U_NS, false } },
	  11 },
};

/* A field the page reads: absent, a non-negative integer, or an object of them (summed). */
static int check_count(const json_t *doc, const char *path, const char *a, const char *b,
		       const char *c, char *err, size_t err_bytes)
{
	const json_t *v = get(doc, a, b, c), *m;
	const char *k;
	bool ok = true;

	if (!v)
		return 0;
	if (json_is_object(v))
		json_object_foreach((json_t *)v, k, m)
			ok &= json_is_integer(m) && json_integer_value(m) >= 0;
	else
		ok = json_is_integer(v) && json_integer_value(v) >= 0;
	if (ok)
		return 0;
	return ts_errf(err, err_bytes, TS_EINVAL,
		       "%s: %s%s%s%s%s is not a non-negative integer (nor an object of them)", path,
		       a, b ? "." : "", b ? b : "", c ? "." : "", c ? c : "");
}

static int check_metric(const json_t *doc, const char *path, const struct metric *m, char *err,
			size_t err_bytes)
{
	int rc = check_count(doc, path, m->a, m->b, m->c, err, err_bytes);

	if (!rc && m->per_a)
		rc = check_count(doc, path, m->per_a, m->per_b, NULL, err, err_bytes);
	return rc;
}

/*
 * Every number the page reads is a count or absent: a counter that is there
 * but unreadable must not pass for 0 (a failure count of "25" would make a
 * failing run look clean).
 */
int report_check_doc_numbers(const json_t *doc, const char *path, char *err, size_t err_bytes)
{
	static const char *const more[][3] = {
		{ "replay", "failures", NULL }, { "replay", "divergences", NULL },
		{ "replay", "crashes", NULL },  { "ops", "failed", NULL },
		{ "ops", "by_error", NULL },    { "leaks", NULL, NULL },
		{ "vms", NULL, NULL },          { "map", "count", NULL },
		{ "unmap", "count", NULL },
	};
	size_t i, t;
	int rc = 0;

	for (i = 0; !rc && i < sizeof(summary_metrics) / sizeof(summary_metrics[0]); i++)
		rc = check_metric(doc, path, &summary_metrics[i], err, err_bytes);
	for (t = 0; !rc && t < sizeof(detail_tables) / sizeof(detail_tables[0]); t++)
		for (i = 0; !rc && i < detail_tables[t].n_cols; i++)
			rc = check_metric(doc, path, &detail_tables[t].cols[i], err, err_bytes);
	for (i = 0; !rc && i < sizeof(more) / sizeof(more[0]); i++)
		rc = check_count(doc, path, more[i][0], more[i][1], more[i][2], err, err_bytes);
	return rc;
}

/* The metric of doc as a number; false when the document lacks it (or divides by zero). */
static bool metric_value(const struct metric *m, const json_t *doc, double *v, uint64_t *num)
{
	uint64_t den = 1;

	if (!get_u64(doc, m->a, m->b, m->c, num))
		return false;
	/* a latency of no calls at all is no latency (carveout maps nothing at run time) */
	if (m->b && !strcmp(m->b, "host_ns") && (!get_u64(doc, m->a, "count", NULL, &den) || !den))
		return false;
	den = 1;
	if (m->per_a && (!get_u64(doc, m->per_a, m->per_b, NULL, &den) || !den))
		return false;
	*v = (double)*num / (double)den;
	return true;
}

static void metric_cell(FILE *out, const struct metric *m, const json_t *doc, bool best)
{
	char buf[48];
	uint64_t num;
	double v;

	if (!metric_value(m, doc, &v, &num)) {
		fputs("<td class=\"na\" title=\"not in this document, or no calls of this "
		      "kind\">&ndash;</td>", out);
		return;
	}
	fprintf(out, "<td%s title=\"%" PRIu64 "%s\">",
		m->zero_only && num ? " class=\"bad\"" : best ? " class=\"best\"" : "", num,
		m->per_a ? " in all" : m->unit == U_NS ? " ns" :
		m->unit == U_BYTES ? " bytes" : "");
	switch (m->unit) {
	case U_COUNT: fputs(fmt_count(buf, sizeof(buf), num), out); break;
	case U_NS: fputs(fmt_ns(buf, sizeof(buf), v), out); break;
	case U_BYTES: fputs(fmt_bytes(buf, sizeof(buf), v), out); break;
	case U_RATIO: fputs(fmt_ratio(buf, sizeof(buf), v), out); break;
	}
	fputs("</td>", out);
}

static void strategy_cell(FILE *out, const struct report *r, size_t i)
{
	fputs("<th scope=\"row\"><span class=\"swatch s", out);
	fprintf(out, "%zu\"></span>", compare_rank(r->docs[i]));
	report_html_escape(out, get_str(r->docs[i], "strategy", NULL));
	fputs("</th>", out);
}

static void header_row(FILE *out, const struct metric *cols, size_t n_cols, bool summary)
{
	size_t c;

	fputs("<thead><tr><th scope=\"col\">strategy</th>", out);
	if (summary)
		fputs("<th scope=\"col\" title=\"client calls that failed or differed from the "
		      "trace's expect=\">failed</th>", out);
	for (c = 0; c < n_cols; c++) {
		fputs("<th scope=\"col\" title=\"", out);
		report_html_escape(out, cols[c].tip);
		fputs("\">", out);
		report_html_escape(out, cols[c].head);
		fputs("</th>", out);
	}
	if (summary)
		fputs("<th scope=\"col\" title=\"mappings, VA or pinned pages left after the run\">"
		      "leaks</th>", out);
	fputs("</tr></thead>\n", out);
}

/* Docs that did all they were asked and leaked nothing: only they compete for "best". */
static size_t complete_docs(const struct report *r, bool *complete)
{
	size_t i, n = 0;

	for (i = 0; i < r->n_docs; i++) {
		complete[i] = !failures_of(r->docs[i]) && !leaked(r->docs[i]);
		n += complete[i];
	}
	return n;
}

static void summary_table(FILE *out, const struct report *r, const bool *complete)
{
	const size_t n_cols = sizeof(summary_metrics) / sizeof(summary_metrics[0]);
	double best[sizeof(summary_metrics) / sizeof(summary_metrics[0])];
	/* how many complete runs have a value in the column: a best needs two to beat */
	size_t have[sizeof(summary_metrics) / sizeof(summary_metrics[0])] = { 0 };
	size_t i, c;
	char buf[32];

	for (c = 0; c < n_cols; c++)
		for (i = 0; i < r->n_docs; i++) {
			uint64_t num;
			double v;

			if (!complete[i] ||
			    !metric_value(&summary_metrics[c], r->docs[i], &v, &num))
				continue;
			if (!have[c]++ || v < best[c])
				best[c] = v;
		}
	fputs("<div class=\"wide\"><table class=\"num\">\n", out);
	header_row(out, summary_metrics, n_cols, true);
	fputs("<tbody>\n", out);
	for (i = 0; i < r->n_docs; i++) {
		uint64_t f = failures_of(r->docs[i]);

		fputs("<tr>", out);
		strategy_cell(out, r, i);
		fprintf(out, "<td%s>%s</td>", f ? " class=\"bad\"" : "",
			fmt_count(buf, sizeof(buf), f));
		for (c = 0; c < n_cols; c++) {
			const struct metric *m = &summary_metrics[c];
			uint64_t num;
			double v;
			bool is_best = m->best_low && have[c] >= 2 && complete[i] &&
				       metric_value(m, r->docs[i], &v, &num) && v == best[c];

			metric_cell(out, m, r->docs[i], is_best);
		}
		fprintf(out, "<td%s>%s</td>", leaked(r->docs[i]) ? " class=\"bad\"" : "",
			leaked(r->docs[i]) ? "LEAKED" : "none");
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table></div>\n", out);
}

static void detail(FILE *out, const struct report *r, const struct detail_table *t)
{
	size_t i, c;

	fputs("<h3>", out);
	report_html_escape(out, t->title);
	fputs("</h3>\n<p class=\"note\">", out);
	report_html_escape(out, t->note);
	fputs("</p>\n<div class=\"wide\"><table class=\"num\">\n", out);
	header_row(out, t->cols, t->n_cols, false);
	fputs("<tbody>\n", out);
	for (i = 0; i < r->n_docs; i++) {
		fputs("<tr>", out);
		strategy_cell(out, r, i);
		for (c = 0; c < t->n_cols; c++)
			metric_cell(out, &t->cols[c], r->docs[i], false);
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table></div>\n", out);
}

static void errors_table(FILE *out, const struct report *r)
{
	size_t i;

	fputs("<h3>Failures</h3>\n<p class=\"note\">Secure-side failures by error code, and the "
	      "first client call of the replay that failed. A strategy with failures did less "
	      "work than the others, so its other figures do not compare like for like.</p>\n"
	      "<table>\n<thead><tr><th scope=\"col\">strategy</th><th scope=\"col\">by error"
	      "</th><th scope=\"col\">first failure</th></tr></thead>\n<tbody>\n", out);
	for (i = 0; i < r->n_docs; i++) {
		const json_t *by = get(r->docs[i], "ops", "by_error", NULL), *v;
		const char *k, *first = get_str(r->docs[i], "replay", "first_failure");
		bool any = false;

		fputs("<tr>", out);
		strategy_cell(out, r, i);
		fputs("<td>", out);
		json_object_foreach((json_t *)by, k, v) {
			fputs(any ? ", " : "", out);
			fputs("<code>", out);
			report_html_escape(out, k);
			fprintf(out, "</code>&nbsp;&times;%" PRIu64,
				json_is_integer(v) && json_integer_value(v) > 0 ?
					(uint64_t)json_integer_value(v) : 0);
			any = true;
		}
		fputs(any ? "</td><td>" : "none</td><td>", out);
		if (first && first[0])
			report_html_escape(out, first);
		else
			fputs("none", out);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

/* Complete docs sorted by a summary metric, ascending. */
static size_t ranked(const struct report *r, const bool *complete, const struct metric *m,
		     size_t *idx, double *val)
{
	size_t i, j, n = 0;

	for (i = 0; i < r->n_docs; i++) {
		uint64_t num;
		double v;

		if (!complete[i] || !metric_value(m, r->docs[i], &v, &num))
			continue;
		for (j = n; j > 0 && val[j - 1] > v; j--) {
			idx[j] = idx[j - 1];
			val[j] = val[j - 1];
		}
		idx[j] = i;
		val[j] = v;
		n++;
	}
	return n;
}

static void fmt_metric(char *buf, size_t n, const struct metric *m, double v)
{
	switch (m->unit) {
	case U_NS: fmt_ns(buf, n, v); break;
	case U_BYTES: fmt_bytes(buf, n, v); break;
	default: fmt_ratio(buf, n, v); break;
	}
}

/* "least X: s1 (v1), then s2 (v2), s3 (v3)" over the complete runs. */
static void glance_rank(FILE *out, const struct report *r, const bool *complete, size_t metric,
			const char *what)
{
	const struct metric *m = &summary_metrics[metric];
	size_t idx[REPORT_MAX_DOCS], n, i;
	double val[REPORT_MAX_DOCS];
	char buf[48];

	n = ranked(r, complete, m, idx, val);
	if (n < 2)
		return;
	fputs("<li>", out);
	report_html_escape(out, what);
	fputs(": <b>", out);
	report_html_escape(out, get_str(r->docs[idx[0]], "strategy", NULL));
	fmt_metric(buf, sizeof(buf), m, val[0]);
	fprintf(out, "</b> (%s), then ", buf);
	for (i = 1; i < n; i++) {
		fputs(i > 1 ? ", " : "", out);
		report_html_escape(out, get_str(r->docs[idx[i]], "strategy", NULL));
		fmt_metric(buf, sizeof(buf), m, val[i]);
		fprintf(out, " (%s)", buf);
	}
	fputs(".</li>\n", out);
}

static size_t metric_index(const char *head)
{
	size_t c;

	for (c = 0; c < sizeof(summary_metrics) / sizeof(summary_metrics[0]); c++)
		if (!strcmp(summary_metrics[c].head, head))
			return c;
	return 0; /* not reached: the heads below are the table's */
}

static void glance(FILE *out, const struct report *r, const bool *complete, size_t n_complete)
{
	char buf[32];
	size_t i;

	fputs("<section id=\"glance\"><h2>At a glance</h2>\n<ul>\n", out);
	for (i = 0; i < r->n_docs; i++) {
		uint64_t f = failures_of(r->docs[i]);
		const char *first = get_str(r->docs[i], "replay", "first_failure");

		if (leaked(r->docs[i])) {
			fputs("<li class=\"bad\"><b>", out);
			report_html_escape(out, get_str(r->docs[i], "strategy", NULL));
			fputs("</b> left mappings, VA or pinned pages behind after the run: a bug "
			      "in the strategy.</li>\n", out);
		}
		if (!f)
			continue;
		fputs("<li class=\"bad\"><b>", out);
		report_html_escape(out, get_str(r->docs[i], "strategy", NULL));
		fprintf(out, "</b> failed %s client call%s", fmt_count(buf, sizeof(buf), f),
			f == 1 ? "" : "s");
		if (first && first[0]) {
			fputs(", the first at ", out);
			report_html_escape(out, first);
		}
		fputs("; it did less work than asked, so it is left out of the rankings "
		      "below.</li>\n", out);
	}
	if (n_complete >= 2) {
		glance_rank(out, r, complete, metric_index("modeled time"),
			    "Least modeled time for the whole workload");
		glance_rank(out, r, complete, metric_index("TLBI / invoke"),
			    "Fewest TLB invalidations per invoke");
		glance_rank(out, r, complete, metric_index("waste mean"),
			    "Least memory held for nothing (time-weighted mean)");
		glance_rank(out, r, complete, metric_index("waste peak"),
			    "Lowest waste peak");
	} else {
		fputs("<li>Fewer than two strategies ran every call without a leak: there is "
		      "nothing to rank.</li>\n", out);
	}
	fputs("</ul>\n<p class=\"note\">Modeled figures are deterministic: the same trace and "
	      "profile give the same numbers on any host, so they are what a CI gate compares "
	      "(<code>teeshm gate</code>). Host latencies are this machine's and vary from run to "
	      "run.</p>\n</section>\n", out);
}

static void figures(FILE *out, const struct report *r)
{
	size_t i, shown = 0;

	fputs("<section id=\"figures\"><h2>Figures</h2>\n", out);
	if (r->plot_note) {
		fputs("<p class=\"bad\">", out);
		report_html_escape(out, r->plot_note);
		fputs("</p>\n", out);
	}
	for (i = 0; i < r->n_plots; i++) {
		const struct report_plot *p = &r->plots[i];

		if (p->problem) {
			fputs("<p class=\"bad\">", out);
			report_html_escape(out, p->title);
			fputs(": <code>", out);
			report_html_escape(out, p->name);
			fputs(".svg</code> ", out);
			report_html_escape(out, p->problem);
			fputs(", so it is not shown (run <code>teeshm plot</code> on the directory "
			      "again).</p>\n", out);
			continue;
		}
		if (!p->svg)
			continue;
		shown++;
		fputs("<figure class=\"plot\" data-rendered=\"pending\" id=\"fig-", out);
		report_html_escape(out, p->name);
		fputs("\">\n<img alt=\"", out);
		report_html_escape(out, p->title);
		fputs("\" src=\"data:image/svg+xml;base64,", out);
		report_base64(out, (const unsigned char *)p->svg, p->svg_bytes);
		fputs("\">\n<figcaption><b>", out);
		report_html_escape(out, p->title);
		fputs("</b> (<code>", out);
		report_html_escape(out, p->name);
		fputs(".svg</code>). ", out);
		report_html_escape(out, p->caption);
		if (p->stale)
			fputs(" <span class=\"bad\">This figure was drawn before the newest result "
			      "document was written: run <code>teeshm plot</code> on the directory "
			      "again.</span>", out);
		fputs("</figcaption>\n</figure>\n", out);
	}
	if (!shown && !r->plot_note)
		fputs("<p>No figures: the directory holds no SVG drawn by <code>teeshm plot</code>."
		      "</p>\n", out);
	fputs("</section>\n", out);
}

/* One shell word, quoted when it needs to be, as text for the page. */
static void shell_word(FILE *out, const char *w)
{
	const char *s;
	bool plain = w[0] != '\0';

	for (s = w; *s && plain; s++)
		plain = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9') || strchr("-_./=:,+@%", *s);
	if (plain) {
		report_html_escape(out, w);
		return;
	}
	fputc('\'', out);
	for (s = w; *s; s++) {
		char one[2] = { *s, '\0' };

		if (*s == '\'')
			fputs("'\\''", out);
		else
			report_html_escape(out, one);
	}
	fputc('\'', out);
}

static void kv_row(FILE *out, const char *k, const char *v)
{
	fputs("<tr><th scope=\"row\">", out);
	report_html_escape(out, k);
	fputs("</th><td>", out);
	report_html_escape(out, v);
	fputs("</td></tr>\n", out);
}

static void kv_row_u64(FILE *out, const char *k, const json_t *v)
{
	char buf[32];

	if (!json_is_integer(v))
		return;
	snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	kv_row(out, k, buf);
}

static void configuration(FILE *out, const struct report *r)
{
	const json_t *c = r->config, *v;
	json_t *sec, *val;
	const char *k, *sk;
	size_t i;

	fputs("<section id=\"config\"><h2>Configuration</h2>\n", out);
	if (c && json_is_array(json_object_get(c, "command"))) {
		fputs("<p>Reproduce with:</p>\n<pre><code>", out);
		json_array_foreach(json_object_get(c, "command"), i, v) {
			fputs(i ? " " : "", out);
			if (json_is_string(v))
				shell_word(out, json_string_value(v));
		}
		fputs("</code></pre>\n", out);
	}
	fputs("<table class=\"kv\">\n<tbody>\n", out);
	kv_row(out, "workload", get_str(r->docs[0], "workload", NULL));
	kv_row_u64(out, "guest VMs", json_object_get(r->docs[0], "vms"));
	if (c) {
		kv_row(out, "workload source", get_str(c, "workload", "source"));
		kv_row_u64(out, "trace ops", get(c, "workload", "ops", NULL));
		kv_row_u64(out, "generator seed", get(c, "workload", "seed", NULL));
		kv_row_u64(out, "generator invokes", get(c, "workload", "invokes", NULL));
		kv_row(out, "teeshm", get_str(c, "teeshm_version", NULL));
	}
	kv_row(out, "profile", get_str(r->docs[0], "profile", NULL));
	if (c) {
		kv_row(out, "profile description", get_str(c, "profile", "description"));
		kv_row(out, "profile file", get_str(c, "profile", "path"));
	}
	fputs("</tbody></table>\n", out);
	if (c && json_is_object(get(c, "profile", "values", NULL))) {
		fputs("<h3>Platform profile</h3>\n<p class=\"note\">The per-operation costs that "
		      "turn counted events into modeled cycles (profiles/README.md cites the "
		      "source of each).</p>\n<table class=\"kv num\">\n<tbody>\n", out);
		json_object_foreach((json_t *)get(c, "profile", "values", NULL), sk, sec) {
			json_object_foreach(sec, k, val) {
				char key[128];

				snprintf(key, sizeof(key), "%s.%s", sk, k);
				kv_row_u64(out, key, val);
			}
		}
		fputs("</tbody></table>\n", out);
	} else if (!c) {
		fputs("<p class=\"note\">The directory has no ", out);
		fputs(REPORT_CONFIG_FILE, out);
		fputs(" (it was not written by <code>teeshm compare --out</code>), so the platform "
		      "profile's figures are not known here.</p>\n", out);
	}
	fputs("<h3>Result documents</h3>\n<ul>\n", out);
	for (i = 0; i < r->n_docs; i++) {
		fputs("<li><code>", out);
		report_html_escape(out, r->dir);
		fputc('/', out);
		report_html_escape(out, r->doc_files[i]);
		fputs("</code></li>\n", out);
	}
	if (c)
		json_array_foreach(json_object_get(c, "strategies"), i, v) {
			if (!json_is_string(json_object_get(v, "error")))
				continue;
			fputs("<li class=\"bad\">", out);
			report_html_escape(out, get_str(v, "name", NULL));
			fputs(": ", out);
			report_html_escape(out, get_str(v, "error", NULL));
			fputs("</li>\n", out);
		}
	fputs("</ul>\n</section>\n", out);
}

static const char page_style[] =
	"<style>\n"
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
	"color:#1d1d1f;max-width:1240px;margin:0 auto;padding:24px}\n"
	"h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;border-bottom:1px solid #ddd;"
	"padding-bottom:4px;margin-top:36px}h3{font-size:16px;margin:24px 0 4px}\n"
	".sub{color:#555;margin:0}.note{color:#555;font-size:13px;margin:4px 0 8px}\n"
	"table{border-collapse:collapse;margin:8px 0;font-size:13.5px}\n"
	"th,td{padding:4px 8px;border-bottom:1px solid #e4e4e4;text-align:left;"
	"vertical-align:top}\n"
	"tbody th{white-space:nowrap}.wide{overflow-x:auto}\n"
	"thead th{background:#f4f5f7;border-bottom:2px solid #ccc;white-space:nowrap}\n"
	"table.num td{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"table.kv th{font-weight:500;color:#444}\n"
	"td.best{font-weight:700;background:#e8f4ea}.bad{color:#b3261e}td.bad{font-weight:700}\n"
	"td.na{color:#999}\n"
	".swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}\n"
	".s0{background:#7f7f7f}.s1{background:#1f77b4}.s2{background:#d62728}"
	".s3{background:#2ca02c}.s4{background:#9467bd}\n"
	"figure{margin:18px 0;border:1px solid #e4e4e4;border-radius:6px;padding:10px}\n"
	"figure img{width:100%;height:auto;display:block}\n"
	"figcaption{font-size:13px;color:#333;margin-top:6px}\n"
	"figure[data-rendered=no] img,figure[data-rendered=blank] img,"
	"figure[data-rendered=unreadable] img{display:none}\n"
	"code,pre{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12.5px}\n"
	"pre{background:#f6f8fa;padding:10px;border-radius:6px;overflow-x:auto}\n"
	"footer{margin-top:40px;color:#777;font-size:12px}\n"
	"</style>\n";

/*
 * The page checks its own figures once loaded: a figure that did not decode,
 * or decoded to a blank image, is marked and says so in place of the image.
 * Drawing an SVG data: URI on a canvas does not taint it, so the pixels can
 * be read.
 */
static const char page_script[] =
	"<script>\n"
	"function teeshmCheckFigure(fig) {\n"
	"  var img = fig.querySelector('img'), state = 'no', ink = 0;\n"
	"  try {\n"
	"  if (img && img.complete && img.naturalWidth > 0) {\n"
	"    var c = document.createElement('canvas'), w = 250, h = 160;\n"
	"    c.width = w; c.height = h;\n"
	"    var g = c.getContext('2d');\n"
	"    g.fillStyle = '#fff'; g.fillRect(0, 0, w, h);\n"
	"    g.drawImage(img, 0, 0, w, h);\n"
	"    var d = g.getImageData(0, 0, w, h).data;\n"
	"    for (var i = 0; i < d.length; i += 4)\n"
	"      if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) ink++;\n"
	"    state = ink > 200 ? 'yes' : 'blank';\n"
	"  }\n"
	"  } catch (e) { state = 'unreadable'; }\n"
	"  fig.setAttribute('data-rendered', state);\n"
	"  fig.setAttribute('data-ink', String(ink));\n"
	"  if (state !== 'yes') {\n"
	"    var p = document.createElement('p');\n"
	"    p.className = 'bad';\n"
	"    p.textContent = 'This figure did not render (' + state + ').';\n"
	"    fig.insertBefore(p, fig.firstChild);\n"
	"  }\n"
	"}\n"
	"window.addEventListener('load', function () {\n"
	"  var figs = document.querySelectorAll('figure.plot'), ok = 0;\n"
	"  for (var i = 0; i < figs.length; i++) {\n"
	"    teeshmCheckFigure(figs[i]);\n"
	"    if (figs[i].getAttribute('data-rendered') === 'yes') ok++;\n"
	"  }\n"
	"  document.body.setAttribute('data-figures', figs.length + ' ' + ok);\n"
	"});\n"
	"</script>\n";

int report_write_html(const struct report *r, FILE *out)
{
	bool complete[REPORT_MAX_DOCS];
	size_t n_complete = complete_docs(r, complete), i;
	const char *workload = get_str(r->docs[0], "workload", NULL);
	const char *profile = get_str(r->docs[0], "profile", NULL);
	const json_t *ops = r->config ? get(r->config, "workload", "ops", NULL) : NULL;
	char buf[32];
	uint64_t vms;

	/* The page may load nothing: its figures are data: URIs, its style and script inline. */
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", out);
	fprintf(out, "<meta name=\"generator\" content=\"teeshm %s\">\n<title>teeshm compare: ",
		TEESHM_VERSION);
	report_html_escape(out, workload ? workload : "?");
	fputs(" on ", out);
	report_html_escape(out, profile ? profile : "?");
	fputs("</title>\n", out);
	fputs(page_style, out);
	fputs("</head>\n<body>\n<header>\n<h1>teeshm compare: <code>", out);
	report_html_escape(out, workload ? workload : "?");
	fputs("</code></h1>\n<p class=\"sub\">", out);
	get_u64(r->docs[0], "vms", NULL, NULL, &vms);
	fprintf(out, "%" PRIu64 " guest VM%s &middot; ", vms, vms == 1 ? "" : "s");
	if (json_is_integer(ops))
		fprintf(out, "%s trace ops &middot; ",
			fmt_count(buf, sizeof(buf), (uint64_t)json_integer_value(ops)));
	fputs("platform profile <code>", out);
	report_html_escape(out, profile ? profile : "?");
	fprintf(out, "</code> &middot; %zu strateg%s</p>\n</header>\n", r->n_docs,
		r->n_docs == 1 ? "y" : "ies");

	glance(out, r, complete, n_complete);

	fputs("<section id=\"summary\"><h2>Summary</h2>\n<p class=\"note\">One row per strategy "
	      "on the same trace. Hover a header for its meaning and a cell for its exact value; "
	      "the best value of a column among the strategies that ran every call is "
	      "marked.</p>\n", out);
	summary_table(out, r, complete);
	fputs("</section>\n", out);

	figures(out, r);

	fputs("<section id=\"details\"><h2>Details</h2>\n", out);
	for (i = 0; i < sizeof(detail_tables) / sizeof(detail_tables[0]); i++)
		detail(out, r, &detail_tables[i]);
	errors_table(out, r);
	fputs("</section>\n", out);

	configuration(out, r);

	fprintf(out, "<footer>Written by <code>teeshm report</code> (teeshm %s). What each "
		     "figure means: <code>docs/results.md</code> and <code>plots/README.md</code> "
		     "in the teeshm source tree.</footer>\n", TEESHM_VERSION);
	fputs(page_script, out);
	fputs("</body>\n</html>\n", out);
	return ferror(out) ? TS_EIO : 0;
}
