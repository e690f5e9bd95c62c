/*
 * teeshm report [--out FILE] [--no-plot] [--scripts DIR] DIR: the HTML page of
 * a `teeshm compare --out DIR` run (report.h says what is on it).  The
 * figures are redrawn first with `teeshm plot DIR` so the page never shows
 * plots of an earlier run; --no-plot embeds the SVGs already there (marking
 * any older than the results).  The page is written to FILE.tmp and renamed,
 * so a failed report leaves no half page.
 *
 * Exit 0 on success; 1 when the page was written but a figure could not be
 * drawn or shown (the page says so), or when DIR could not be read or the
 * page written; 2 on bad input (no DIR, no result document, unlike runs, a
 * malformed document, bad options).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/common/opts.h"
#include "sim/common/ts_err.h"
#include "sim/launcher/cli.h"
#include "sim/launcher/report.h"

#ifndef TEESHM_PLOT_DIR
#define TEESHM_PLOT_DIR "plots"
#endif

static int write_page(const struct report *r, const char *path)
{
	char tmp[4096 + 8];
	FILE *f;
	int rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		fprintf(stderr, "teeshm report: --out %s: path too long\n", path);
		return 1;
	}
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "teeshm report: %s: cannot create: %s\n", tmp, strerror(errno));
		return 1;
	}
	rc = report_write_html(r, f);
	if (fclose(f) || rc) {
		fprintf(stderr, "teeshm report: %s: write failed\n", tmp);
		remove(tmp);
		return 1;
	}
	if (rename(tmp, path)) {
		fprintf(stderr, "teeshm report: %s: cannot rename to %s: %s\n", tmp, path,
			strerror(errno));
		remove(tmp);
		return 1;
	}
	return 0;
}

/* Bad input is 2; a failure to read what is there (I/O, memory) is 1. */
static int input_error(int rc)
{
	return rc == TS_EIO || rc == TS_ENOMEM ? 1 : 2;
}

int cmd_report(int argc, char **argv)
{
	const char *out_path = NULL, *script_dir = TEESHM_PLOT_DIR, *dir;
	bool no_plot = false;
	struct opt_spec specs[] = {
		OPT_SPEC_STR("--out", &out_path, "the page (default DIR/report.html)"),
		OPT_SPEC_FLAG("--no-plot", &no_plot,
			      "embed the SVGs already in DIR instead of redrawing them"),
		OPT_SPEC_STR("--scripts", &script_dir,
			     "the gnuplot scripts' directory (default: the source tree's plots/)"),
	};
	const size_t n_specs = sizeof(specs) / sizeof(specs[0]);
	char err[8192], default_out[4096];
	struct report r;
	size_t i, n_figures = 0;
	int rc, plot_rc = 0;

	dir = cli_parse_dir_command("report", argc, argv, specs, n_specs, &rc);
	if (!dir)
		return rc;
	if (!out_path) {
		if ((size_t)snprintf(default_out, sizeof(default_out), "%s/report.html", dir) >=
		    sizeof(default_out)) {
			fprintf(stderr, "teeshm report: %s: path too long\n", dir);
			return 2;
		}
		out_path = default_out;
	}
	/* Check the input before drawing anything, so bad input is one clear message. */
	rc = report_load(&r, dir, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "teeshm report: %s\n", err);
		return input_error(rc);
	}
	if (!no_plot) {
		char *plot_argv[] = { "plot", "--scripts", (char *)script_dir, (char *)dir, NULL };

		report_fini(&r);
		plot_rc = cmd_plot(4, plot_argv);
		if (plot_rc == 2)
			return 2; /* said by plot */
		rc = report_load(&r, dir, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "teeshm report: %s\n", err);
			return input_error(rc);
		}
		if (plot_rc)
			r.plot_note = "teeshm plot failed on this directory (see its messages): "
				      "figures may be missing or out of date.";
	}
	rc = write_page(&r, out_path);
	for (i = 0; i < r.n_plots; i++) {
		n_figures += r.plots[i].svg != NULL;
		if (r.plots[i].problem) {
			fprintf(stderr, "teeshm report: %s/%s.svg %s: left off the page\n", dir,
				r.plots[i].name, r.plots[i].problem);
			plot_rc = plot_rc ? plot_rc : 1;
		}
	}
	if (!rc)
		printf("teeshm report: wrote %s (%zu strategies, %zu figures)\n", out_path,
		       r.n_docs, n_figures);
	report_fini(&r);
	return rc ? rc : plot_rc ? 1 : 0;
}
