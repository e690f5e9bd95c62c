/*
 * teeshm report: one self-contained HTML page of a compare run (DESIGN.md
 * section 6).  It reads what `teeshm compare --out DIR` and `teeshm plot DIR`
 * left in DIR -- the teeshm.result/1 documents (docs/results.md), the
 * teeshm.compare/1 configuration (compare.json) and the SVG figures -- and
 * writes one page with the tables, the figures embedded as data: URIs and
 * the configuration, so it can be mailed or attached to a CI run and opened
 * anywhere without the files next to it.  Host code (stdio, jansson).
 *
 * The page loads nothing from outside itself.  A short inline script checks
 * that each figure decoded and drew ink, marks its <figure> with
 * data-rendered="yes|no|blank|unreadable", and shows a note on a figure that
 * did not render; tests read those marks through headless Chromium.  A
 * Content-Security-Policy forbids loading anything else.
 */
#ifndef TEESHM_LAUNCHER_REPORT_H
#define TEESHM_LAUNCHER_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#define REPORT_CONFIG_FILE "compare.json"
#define REPORT_CONFIG_SCHEMA "teeshm.compare/1"
#define REPORT_MAX_DOCS 32
#define REPORT_MAX_SVG_BYTES (8u << 20)
#define REPORT_NAME_BYTES 256

/* One figure `teeshm plot` draws, in page order. */
struct report_plot {
	const char *name; /* file stem: DIR/<name>.svg */
	const char *title;
	const char *caption; /* how to read it, in one short paragraph (plain text) */
	char *svg;           /* the file's bytes, or NULL when DIR has none */
	size_t svg_bytes;
	bool stale;          /* drawn before the newest result it shows was written */
	bool from_sweep;     /* drawn from DIR/sweep's documents */
	const char *problem; /* why DIR/<name>.svg cannot be shown ("is empty"), or NULL */
};

struct report {
	json_t *docs[REPORT_MAX_DOCS]; /* teeshm.result/1, compare order first, then by name */
	char doc_files[REPORT_MAX_DOCS][REPORT_NAME_BYTES];
	size_t n_docs;
	json_t *config; /* teeshm.compare/1, or NULL when DIR has no compare.json */
	struct report_plot *plots;
	size_t n_plots;
	char dir[REPORT_NAME_BYTES * 8];
	const char *plot_note; /* shown above the figures when they were not (re)drawn, or NULL */
};

/*
 * Read DIR.  0, or a TS_E* code with err naming the file and what is wrong:
 *   TS_ENOENT  no DIR
 *   TS_EINVAL  no teeshm.result/1 document, a document jansson cannot parse,
 *              lacking "strategy" or with a count the page reads that is not
 *              a non-negative integer, documents of different workloads, VM
 *              counts or profiles, a compare.json that is not
 *              teeshm.compare/1, is malformed, names another workload or
 *              does not list a document in DIR
 *   TS_E2BIG   more than REPORT_MAX_DOCS documents
 * A figure that cannot be shown (empty, not SVG, over REPORT_MAX_SVG_BYTES,
 * unreadable) is not an error here: its plot's `problem` says why.
 *   TS_EIO / TS_ENOMEM  reading failed
 * On failure r holds nothing (report_fini is still safe to call).
 */
int report_load(struct report *r, const char *dir, char *err, size_t err_bytes);

void report_fini(struct report *r);

/* The page.  0, or TS_EIO when writing to out failed. */
int report_write_html(const struct report *r, FILE *out);

/* s with & < > " ' as character references (NULL writes nothing). */
void report_html_escape(FILE *out, const char *s);

/* RFC 4648 base64 of p[0 .. n), with padding, no line breaks. */
void report_base64(FILE *out, const unsigned char *p, size_t n);

#endif
