/*
 * teeshm report's page, from hand-made compare directories: what it refuses
 * (unlike runs, no results, a foreign compare.json), that nothing read from
 * the files reaches the page unescaped, that figures go in as exact base64,
 * and that the tables and rankings say what the documents say.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/common/ts_err.h"
#include "sim/launcher/report.h"
#include "tests/test_files.h"

static char tmp_root[64];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	strcpy(tmp_root, "/tmp/test_report.XXXXXX");
	return mkdtemp(tmp_root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmp_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void put_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp_root, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* A result document with the fields the page reads; failures go to replay.failures. */
static void put_result_crashes(const char *name, const char *strategy, const char *workload,
			       unsigned modeled_ns, unsigned failures, unsigned map_count,
			       unsigned crashes)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "{\"schema\": \"teeshm.result/1\", \"strategy\": \"%s\", \"workload\": \"%s\", "
		 "\"vms\": 1, \"profile\": \"cortex-a53\", "
		 "\"ops\": {\"invoke\": 100, \"smc\": 300, \"failed\": 0, \"by_error\": {}}, "
		 "\"map\": {\"count\": %u, \"pages\": 10, \"host_ns\": {\"p50\": 250, "
		 "\"p90\": 300, \"p99\": 900, \"max\": 5000}, \"modeled_cycles\": 1000}, "
		 "\"unmap\": {\"count\": %u, \"pages\": 10, \"host_ns\": {\"p50\": 800, "
		 "\"p90\": 900, \"p99\": 1500, \"max\": 9000}, \"modeled_cycles\": 1000}, "
		 "\"tlb\": {\"flushes\": {\"va\": 0, \"vaa\": 0, \"range\": 0, \"asid\": 0, "
		 "\"all\": 250}, \"hits\": 1, \"misses\": 2, \"walks\": 2, \"stale_hits\": 0}, "
		 "\"memory\": {\"waste_peak_bytes\": 4096, \"waste_mean_bytes\": 100}, "
		 "\"leaks\": {\"mappings\": 0, \"va_bytes\": 0, \"pinned_pages\": 0}, "
		 "\"time\": {\"modeled_ns\": %u}, "
		 "\"replay\": {\"ops\": 400, \"failures\": %u, \"divergences\": 0, "
		 "\"crashes\": %u, \"first_failure\": \"%s\"}}\n",
		 strategy, workload, map_count, map_count, modeled_ns, failures, crashes,
		 failures ? "line 7: open: TEE_ERROR_OUT_OF_MEMORY" : "");
	put_file(name, text);
}

static void put_result(const char *name, const char *strategy, const char *workload,
		       unsigned modeled_ns, unsigned failures, unsigned map_count)
{
	put_result_crashes(name, strategy, workload, modeled_ns, failures, map_count, 0);
}

/* Replace the first `from` in tmp_root/name by `to`. */
static void edit_file(const char *name, const char *from, const char *to)
{
	char path[256], *text, *at, *out;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", tmp_root, name);
	text = test_read_file(path, NULL);
	assert_non_null(text);
	at = strstr(text, from);
	assert_non_null(at);
	n = strlen(text) - strlen(from) + strlen(to) + 1;
	out = malloc(n);
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	put_file(name, out);
	free(out);
	free(text);
}

/* The page of tmp_root as a string (caller frees). */
static char *page_of(struct report *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(report_write_html(r, f), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

static char *escaped(const char *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	report_html_escape(f, s);
	assert_int_equal(fclose(f), 0);
	return text;
}

static char *b64(const char *s, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	report_base64(f, (const unsigned char *)s, n);
	assert_int_equal(fclose(f), 0);
	return text;
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	for (hay = strstr(hay, needle); hay; hay = strstr(hay + 1, needle))
		n++;
	return n;
}

/* Base64 gives RFC 4648's test vectors (section 10), padding included. */
static void test_base64_rfc4648(void **state)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const want[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
					    "Zm9vYmFy" };
	const char bin[] = { 0, (char)0xff, (char)0xfe, 0x3f };
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		s = b64(in[i], strlen(in[i]));
		assert_string_equal(s, want[i]);
		free(s);
	}
	s = b64(bin, sizeof(bin));
	assert_string_equal(s, "AP/+Pw==");
	free(s);
}

/* The five characters that can open markup or close an attribute are escaped; others pass. */
static void test_html_escape(void **state)
{
	char *s = escaped("<img src=x onerror='a(\"1\")'>&amp; \xc2\xb5s");

	(void)state;
	assert_string_equal(s, "&lt;img src=x onerror=&#39;a(&quot;1&quot;)&#39;&gt;&amp;amp; "
			       "\xc2\xb5s");
	free(s);
}

/* A directory with no result document, or none at all, is refused with its name. */
static void test_refuses_empty_and_missing(void **state)
{
	struct report r;
	char err[512], missing[128];

	(void)state;
	put_file("notes.json", "{\"schema\": \"other/1\"}\n");
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, "holds no teeshm.result/1 document"));
	assert_non_null(strstr(err, tmp_root));
	snprintf(missing, sizeof(missing), "%s/nope", tmp_root);
	assert_int_equal(report_load(&r, missing, err, sizeof(err)), TS_ENOENT);
	assert_non_null(strstr(err, "nope"));
	report_fini(&r); /* safe after a failed load */
}

/* Results of two workloads do not make one comparison: both files are named. */
static void test_refuses_unlike_runs(void **state)
{
	struct report r;
	char err[1024];

	(void)state;
	put_result("a.json", "dynamic", "gp-xtest", 1000, 0, 5);
	put_result("b.json", "cached", "multi-vm", 1000, 0, 5);
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, "a.json"));
	assert_non_null(strstr(err, "b.json"));
	assert_non_null(strstr(err, "\"workload\" differs"));
	assert_int_equal(r.n_docs, 0);
}

/* A compare.json of another workload, or of another schema, is refused. */
static void test_refuses_foreign_config(void **state)
{
	struct report r;
	char err[1024];

	(void)state;
	put_result("dynamic.json", "dynamic", "gp-xtest", 1000, 0, 5);
	put_file("compare.json", "{\"schema\": \"teeshm.compare/1\", \"workload\": "
				 "{\"name\": \"multi-vm\"}}\n");
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, "compare.json names workload 'multi-vm'"));
	put_file("compare.json", "{\"schema\": \"teeshm.result/0\"}\n");
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, "not a teeshm.compare/1 document"));
}

/* A document jansson cannot parse is named with its line and column. */
static void test_refuses_malformed(void **state)
{
	struct report r;
	char err[1024];

	(void)state;
	put_file("broken.json", "{\"schema\": \"teeshm.result/1\",\n \"strategy\": }\n");
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, "broken.json:2:"));
}

/*
 * A hostile strategy name and failure text reach the page only escaped; the
 * figure is the file's exact base64; rows come in compare's order whatever
 * the file names.
 */
static void test_page_escapes_and_embeds(void **state)
{
	static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" "
				  "height=\"10\"><rect width=\"10\" height=\"10\"/></svg>\n";
	struct report r;
	char err[512], *page, *want;

	(void)state;
	put_result("a.json", "rpc", "gp-xtest", 3000, 0, 5);
	put_result("b.json", "<script>alert(1)</script>", "gp-xtest", 2000, 0, 5);
	put_result("c.json", "carveout", "gp-xtest", 1000, 0, 0);
	put_file("latency-cdf.svg", svg);
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), 0);
	assert_int_equal(r.n_docs, 3);
	assert_string_equal(r.doc_files[0], "c.json"); /* carveout first, as compare runs it */
	assert_string_equal(r.doc_files[1], "a.json"); /* rpc */
	assert_string_equal(r.doc_files[2], "b.json"); /* unknown: after the known ones */
	page = page_of(&r);
	assert_null(strstr(page, "<script>alert"));
	assert_non_null(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_int_equal(count_of(page, "<script>"), 1); /* the page's own figure check only */
	want = b64(svg, strlen(svg));
	assert_non_null(strstr(page, want));
	assert_int_equal(count_of(page, "<figure class=\"plot\""), 1);
	assert_non_null(strstr(page, "id=\"fig-latency-cdf\""));
	/* carveout mapped nothing: its map latency is absent, not 0 ns */
	assert_non_null(strstr(page, "<td class=\"na\""));
	free(want);
	free(page);
	report_fini(&r);
}

/*
 * A strategy with failed calls is named in the summary and left out of the
 * "best" marks and rankings, even when its modeled time is the lowest.
 */
static void test_failures_do_not_win(void **state)
{
	struct report r;
	char err[512], *page, *rank;

	(void)state;
	put_result("carveout.json", "carveout", "gp-xtest", 500, 25, 0);
	put_result("dynamic.json", "dynamic", "gp-xtest", 3000, 0, 5);
	put_result("cached.json", "cached", "gp-xtest", 2000, 0, 5);
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), 0);
	page = page_of(&r);
	assert_non_null(strstr(page, "<b>carveout</b> failed 25 client calls, the first at "
				     "line 7: open: TEE_ERROR_OUT_OF_MEMORY"));
	rank = strstr(page, "Least modeled time for the whole workload: <b>cached</b> "
			    "(2.00 \xc2\xb5s), then dynamic (3.00 \xc2\xb5s).");
	assert_non_null(rank);
	/* the lowest modeled time marked is cached's 2000 ns, not carveout's 500 */
	assert_non_null(strstr(page, "<td class=\"best\" title=\"2000 ns\">"));
	assert_null(strstr(page, "<td class=\"best\" title=\"500 ns\">"));
	assert_non_null(strstr(page, "<td class=\"bad\">25</td>"));
	free(page);
	report_fini(&r);
}

/* Markup in any string of the documents or compare.json reaches the page only escaped. */
static void test_every_string_escaped(void **state)
{
	struct report r;
	char err[512], *page;

	(void)state;
	put_result("dynamic.json", "dynamic", "w<x>", 3000, 2, 5);
	edit_file("dynamic.json", "line 7: open", "line 7 <x>: open");
	edit_file("dynamic.json", "\"by_error\": {}", "\"by_error\": {\"E<x>\": 2}");
	put_file("compare.json",
		 "{\"schema\": \"teeshm.compare/1\", \"teeshm_version\": \"v<x>\", "
		 "\"command\": [\"teeshm\", \"<x>\"], "
		 "\"workload\": {\"name\": \"w<x>\", \"source\": \"s<x>\"}, "
		 "\"profile\": {\"name\": \"p\", \"description\": \"d<x>\", \"path\": \"f<x>\"}, "
		 "\"strategies\": [{\"name\": \"dynamic\", \"result\": \"dynamic.json\"}, "
		 "{\"name\": \"r<x>\", \"error\": \"e<x>\"}]}\n");
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), 0);
	page = page_of(&r);
	assert_null(strstr(page, "<x>"));
	/* workload (title, header, table), first failure (glance, table), error name, version,
	 * command, source, description, path, strategy name and error */
	assert_true(count_of(page, "&lt;x&gt;") >= 12);
	free(page);
	report_fini(&r);
}

/* A leaking run is named, and its values are never marked best. */
static void test_leak_is_not_best(void **state)
{
	struct report r;
	char err[512], *page;

	(void)state;
	put_result("dynamic.json", "dynamic", "gp-xtest", 3000, 0, 5);
	put_result("cached.json", "cached", "gp-xtest", 2000, 0, 5);
	put_result("rpc.json", "rpc", "gp-xtest", 500, 0, 5);
	edit_file("rpc.json", "\"mappings\": 0", "\"mappings\": 3");
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), 0);
	page = page_of(&r);
	assert_non_null(strstr(page, "<b>rpc</b> left mappings"));
	assert_non_null(strstr(page, "<td class=\"bad\">LEAKED</td>"));
	assert_null(strstr(page, "<td class=\"best\" title=\"500 ns\">"));
	assert_non_null(strstr(page, "<td class=\"best\" title=\"2000 ns\">"));
	free(page);
	report_fini(&r);
}

/* A result that differed from the trace's expect= counts as a failed call. */
static void test_divergence_is_failure(void **state)
{
	struct report r;
	char err[512], *page;

	(void)state;
	put_result("dynamic.json", "dynamic", "gp-xtest", 3000, 0, 5);
	edit_file("dynamic.json", "\"divergences\": 0", "\"divergences\": 2");
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), 0);
	page = page_of(&r);
	assert_non_null(strstr(page, "<b>dynamic</b> failed 2 client calls"));
	free(page);
	report_fini(&r);
}

/* A counter that is there but unreadable is refused, never read as 0. */
static void test_unreadable_counter_refused(void **state)
{
	struct report r;
	char err[512];

	(void)state;
	put_result("dynamic.json", "dynamic", "gp-xtest", 3000, 0, 5);
	edit_file("dynamic.json", "\"failures\": 0", "\"failures\": \"25\"");
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, "dynamic.json: replay.failures is not a non-negative integer"));
	put_result("dynamic.json", "dynamic", "gp-xtest", 3000, 0, 5);
	edit_file("dynamic.json", "\"pinned_pages\": 0", "\"pinned_pages\": 0, \"note\": \"x\"");
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, "dynamic.json: leaks is not"));
	put_result("dynamic.json", "dynamic", "gp-xtest", 3000, 0, 5);
	edit_file("dynamic.json", "\"mappings\": 0", "\"mappings\": -1");
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), TS_EINVAL);
}

/* More documents than one compare run writes are refused. */
static void test_too_many_documents(void **state)
{
	struct report r;
	char err[512], name[32];
	unsigned i;

	(void)state;
	for (i = 0; i <= REPORT_MAX_DOCS; i++) {
		snprintf(name, sizeof(name), "r%02u.json", i);
		put_result(name, "dynamic", "gp-xtest", 3000, 0, 5);
	}
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), TS_E2BIG);
	assert_non_null(strstr(err, "more than 32 result documents"));
}

/* A document compare.json does not list (left from another run) is refused by name. */
static void test_unlisted_document_refused(void **state)
{
	struct report r;
	char err[1024];

	(void)state;
	put_result("dynamic.json", "dynamic", "gp-xtest", 3000, 0, 5);
	put_result("rpc.json", "rpc", "gp-xtest", 3000, 0, 5);
	put_file("compare.json", "{\"schema\": \"teeshm.compare/1\", \"workload\": "
				 "{\"name\": \"gp-xtest\"}, \"strategies\": [{\"name\": "
				 "\"dynamic\", \"result\": \"dynamic.json\"}]}\n");
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), TS_EINVAL);
	assert_non_null(strstr(err, "rpc.json is not among the results"));
}

/* A figure that cannot be shown is that figure's note on the page, not the report's failure. */
static void test_bad_figure_is_its_own_problem(void **state)
{
	struct report r;
	char err[512], *page;

	(void)state;
	put_result("dynamic.json", "dynamic", "gp-xtest", 3000, 0, 5);
	put_file("latency-cdf.svg", "garbage");
	put_file("tlb-per-invoke.svg", "");
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), 0);
	assert_string_equal(r.plots[0].problem, "is not an SVG image");
	assert_string_equal(r.plots[1].problem, "is empty");
	assert_null(r.plots[0].svg);
	page = page_of(&r);
	assert_non_null(strstr(page, "<code>latency-cdf.svg</code> is not an SVG image, so it is "
				     "not shown"));
	assert_non_null(strstr(page, "<code>tlb-per-invoke.svg</code> is empty"));
	assert_int_equal(count_of(page, "<figure class=\"plot\""), 0);
	free(page);
	report_fini(&r);
}

/* "Best" needs two complete runs with a value: a column only one of them has marks nothing. */
static void test_best_needs_two_values(void **state)
{
	struct report r;
	char err[512], *page;

	(void)state;
	put_result("carveout.json", "carveout", "gp-xtest", 1000, 0, 0); /* no map calls */
	put_result("dynamic.json", "dynamic", "gp-xtest", 3000, 0, 5);
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), 0);
	page = page_of(&r);
	assert_null(strstr(page, "<td class=\"best\" title=\"250 ns\">")); /* map p50 */
	assert_non_null(strstr(page, "<td class=\"best\" title=\"1000 ns\">")); /* time */
	free(page);
	report_fini(&r);
}

/* A `vm crash` the trace asked for is not a failure: the strategy still ranks. */
static void test_planned_crash_still_ranks(void **state)
{
	struct report r;
	char err[512], *page;

	(void)state;
	put_result_crashes("dynamic.json", "dynamic", "multi-vm", 3000, 0, 5, 1);
	put_result_crashes("cached.json", "cached", "multi-vm", 2000, 0, 5, 1);
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), 0);
	page = page_of(&r);
	assert_null(strstr(page, "left out of the rankings"));
	assert_non_null(strstr(page, "Least modeled time for the whole workload: <b>cached</b>"));
	assert_non_null(strstr(page, "<td class=\"best\" title=\"2000 ns\">"));
	free(page);
	report_fini(&r);
}

/* An SVG older than the newest result is flagged on the page as drawn before it. */
static void test_stale_figure_flagged(void **state)
{
	struct timespec old_times[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	struct report r;
	char err[512], path[256], *page;

	(void)state;
	put_result("dynamic.json", "dynamic", "gp-xtest", 3000, 0, 5);
	put_file("waste-over-time.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>");
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), 0);
	assert_false(r.plots[2].stale);
	report_fini(&r);
	snprintf(path, sizeof(path), "%s/waste-over-time.svg", tmp_root);
	assert_int_equal(utimensat(AT_FDCWD, path, old_times, 0), 0);
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), 0);
	assert_string_equal(r.plots[2].name, "waste-over-time");
	assert_true(r.plots[2].stale);
	page = page_of(&r);
	assert_non_null(strstr(page, "drawn before the newest result document"));
	free(page);
	report_fini(&r);
}

/* The configuration's command is shown as a shell would need it, quoted where it must be. */
static void test_config_command_quoted(void **state)
{
	struct report r;
	char err[512], *page;

	(void)state;
	put_result("dynamic.json", "dynamic", "my trace's.trace", 3000, 0, 5);
	put_file("compare.json",
		 "{\"schema\": \"teeshm.compare/1\", \"teeshm_version\": \"0.1.0\", "
		 "\"command\": [\"teeshm\", \"compare\", \"--workload\", \"my trace's.trace\"], "
		 "\"workload\": {\"name\": \"my trace's.trace\", \"source\": \"file\", "
		 "\"ops\": 12}, "
		 "\"profile\": {\"name\": \"cortex-a53\", \"values\": {\"cpu\": {\"mhz\": 1200}}}, "
		 "\"strategies\": [{\"name\": \"dynamic\", \"result\": \"dynamic.json\"}, "
		 "{\"name\": \"rpc\", \"error\": \"did not run\"}]}\n");
	assert_int_equal(report_load(&r, tmp_root, err, sizeof(err)), 0);
	assert_non_null(r.config);
	page = page_of(&r);
	/* quotes in element text need no escape; < > & would */
	assert_non_null(strstr(page, "teeshm compare --workload 'my trace'\\''s.trace'"));
	assert_non_null(strstr(page, "<th scope=\"row\">cpu.mhz</th><td>1200</td>"));
	assert_non_null(strstr(page, "rpc: did not run"));
	assert_non_null(strstr(page, "12 trace ops"));
	free(page);
	report_fini(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_rfc4648),
		cmocka_unit_test(test_html_escape),
		cmocka_unit_test_setup_teardown(test_refuses_empty_and_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_unlike_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_foreign_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_escapes_and_embeds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_do_not_win, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_string_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leak_is_not_best, setup, teardown),
		cmocka_unit_test_setup_teardown(test_divergence_is_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_counter_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_documents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlisted_document_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_figure_is_its_own_problem, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_best_needs_two_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_planned_crash_still_ranks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_figure_flagged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_command_quoted, setup, teardown),
	};

	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
