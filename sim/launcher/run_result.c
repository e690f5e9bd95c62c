/* The teeshm.result/1 document of a run and its human table (see run_result.h). */
#define _POSIX_C_SOURCE 200809L
#include "sim/launcher/run_result.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/errmsg.h"
#include "sim/common/ts_err.h"

void run_result_init(struct run_result *rr)
{
	memset(rr, 0, sizeof(*rr));
}

void run_result_fini(struct run_result *rr)
{
	json_decref(rr->secure);
	memset(rr, 0, sizeof(*rr));
}

/* An unsigned integer member, or 0. */
static uint64_t get_u64(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

uint64_t run_result_u64(const json_t *obj, const char *a, const char *b, const char *c)
{
	const json_t *v = json_object_get(obj, a);

	if (b)
		v = json_object_get(v, b);
	if (c)
		v = json_object_get(v, c);
	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

json_t *run_result_load(const char *path, char *err, size_t err_bytes)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

	if (!doc)
		ts_errf(err, err_bytes, TS_EINVAL, "%s:%d:%d: %s", path, jerr.line, jerr.column,
			jerr.text);
	return doc;
}

int run_result_is_json_name(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 5 && !strcmp(e->d_name + n - 5, ".json");
}

int run_result_each_json(const char *dir,
			 int (*fn)(void *ctx, const char *name, const char *path, json_t *doc,
				   const struct stat *st, char *err, size_t err_bytes),
			 void *ctx, char *err, size_t err_bytes)
{
	struct dirent **names = NULL;
	int n, i, rc = 0;

	n = scandir(dir, &names, run_result_is_json_name, alphasort);
	if (n < 0)
		return ts_errf(err, err_bytes, errno == ENOENT ? TS_ENOENT : TS_EIO,
			       "%s: cannot read the directory: %s", dir, strerror(errno));
	for (i = 0; i < n && !rc; i++) {
		char path[4096 + 256];
		struct stat st;
		json_t *doc;

		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) >=
		    sizeof(path)) {
			rc = ts_errf(err, err_bytes, TS_EINVAL, "%s/%s: path too long", dir,
				     names[i]->d_name);
			break;
		}
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		doc = run_result_load(path, err, err_bytes);
		if (!doc) {
			rc = TS_EINVAL;
			break;
		}
		rc = fn(ctx, names[i]->d_name, path, doc, &st, err, err_bytes);
		json_decref(doc);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int run_result_take_line(struct run_result *rr, const char *line, char *err, size_t err_bytes)
{
	json_error_t jerr;
	json_t *root, *res;
	const char *role;
	int rc = 0;

	if (line[0] != '{')
		return 0;
	root = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return 0; /* not a statistics line */
	role = json_string_value(json_object_get(root, "role"));
	if (role && !strcmp(role, "guest")) {
		rr->copy_bytes += get_u64(root, "bytes_copied");
		rr->guests_reported++;
	} else if (role && !strcmp(role, "secure")) {
		const char *prof = json_string_value(json_object_get(root, "profile"));

		res = json_object_get(root, "result");
		if (rr->secure) {
			rc = ts_errf(err, err_bytes, TS_EINVAL, "two secure-world result lines");
		} else if (!json_is_object(res) || !prof) {
			rc = ts_errf(err, err_bytes, TS_EINVAL,
				     "the secure world's statistics line has no result object or profile");
		} else {
			rr->secure = json_incref(res);
			snprintf(rr->profile, sizeof(rr->profile), "%s", prof);
			rr->modeled_ns = get_u64(root, "modeled_ns");
		}
	}
	json_decref(root);
	return rc;
}

json_t *run_result_document(const struct run_result *rr, const struct run_meta *meta, char *err,
			    size_t err_bytes)
{
	const char *key;
	json_t *doc, *v;

	if (!rr->secure) {
		ts_errf(err, err_bytes, TS_EINVAL, "no result from the secure world");
		return NULL;
	}
	doc = json_pack("{s:s, s:s, s:s, s:I, s:s}", "schema", RUN_RESULT_SCHEMA, "strategy",
			meta->strategy, "workload", meta->workload, "vms", (json_int_t)meta->vms,
			"profile", rr->profile);
	if (!doc) {
		ts_errf(err, err_bytes, TS_ENOMEM, "out of memory");
		return NULL;
	}
	/* ops, map, unmap, tlb, memory, leaks: as the secure world measured them. */
	json_object_foreach(rr->secure, key, v)
		json_object_set(doc, key, v);
	json_object_set_new(doc, "copy", json_pack("{s:I}", "bytes", (json_int_t)rr->copy_bytes));
	{
		/* The guests' bounce and shadow copies are work on the platform too. */
		uint64_t copy_ns = meta->profile ?
			profile_cycles_to_ns(meta->profile,
					     profile_copy_cycles(meta->profile, rr->copy_bytes)) : 0;

		json_object_set_new(doc, "time", json_pack("{s:I, s:I, s:I, s:I}", "wall_ns",
			(json_int_t)meta->wall_ns, "modeled_ns", (json_int_t)(rr->modeled_ns + copy_ns),
			"modeled_secure_ns", (json_int_t)rr->modeled_ns,
			"modeled_copy_ns", (json_int_t)copy_ns));
	}
	return doc;
}

int run_result_write(const json_t *doc, const char *path, char *err, size_t err_bytes)
{
	FILE *f = fopen(path, "w");
	int bad;

	if (!f)
		return ts_errf(err, err_bytes, TS_EIO, "--json %s: cannot create it", path);
	bad = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0;
	bad |= fputc('\n', f) == EOF;
	bad |= fclose(f) != 0;
	return bad ? ts_errf(err, err_bytes, TS_EIO, "--json %s: write failed", path) : 0;
}

static void print_bytes(FILE *out, uint64_t b)
{
	if (b >= 1024 * 1024)
		fprintf(out, "%" PRIu64 ".%02" PRIu64 " MiB", b >> 20, ((b & 0xfffff) * 100) >> 20);
	else if (b >= 1024)
		fprintf(out, "%" PRIu64 ".%01" PRIu64 " KiB", b >> 10, ((b & 0x3ff) * 10) >> 10);
	else
		fprintf(out, "%" PRIu64 " B", b);
}

static void print_op(FILE *out, const json_t *doc, const char *name)
{
	const json_t *op = json_object_get(doc, name);

	fprintf(out, "  %-6s %8" PRIu64 " %8" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64
		     " %9" PRIu64 " %12" PRIu64 "\n",
		name, get_u64(op, "count"), get_u64(op, "pages"), run_result_u64(op, "host_ns", "p50", NULL),
		run_result_u64(op, "host_ns", "p90", NULL), run_result_u64(op, "host_ns", "p99", NULL),
		run_result_u64(op, "host_ns", "max", NULL), get_u64(op, "modeled_cycles"));
}

void run_result_print_table(const json_t *doc, FILE *out)
{
	const json_t *mem = json_object_get(doc, "memory");
	uint64_t leaks = run_result_u64(doc, "leaks", "mappings", NULL) +
			 run_result_u64(doc, "leaks", "va_bytes", NULL) +
			 run_result_u64(doc, "leaks", "pinned_pages", NULL);

	fprintf(out, "teeshm run: strategy %s, workload %s, %" PRIu64 " VM(s), profile %s\n",
		json_string_value(json_object_get(doc, "strategy")),
		json_string_value(json_object_get(doc, "workload")), get_u64(doc, "vms"),
		json_string_value(json_object_get(doc, "profile")));
	fprintf(out, "  %-6s %8s %8s %9s %9s %9s %9s %12s\n", "", "count", "pages", "p50 ns",
		"p90 ns", "p99 ns", "max ns", "modeled cyc");
	print_op(out, doc, "map");
	print_op(out, doc, "unmap");
	fprintf(out, "  tlb    flushes: all %" PRIu64 ", by va %" PRIu64 ", range %" PRIu64
		     ", asid %" PRIu64 "; hits %" PRIu64 ", misses %" PRIu64 ", walks %" PRIu64 "\n",
		run_result_u64(doc, "tlb", "flushes", "all"), run_result_u64(doc, "tlb", "flushes", "va"),
		run_result_u64(doc, "tlb", "flushes", "range"), run_result_u64(doc, "tlb", "flushes", "asid"),
		run_result_u64(doc, "tlb", "hits", NULL), run_result_u64(doc, "tlb", "misses", NULL),
		run_result_u64(doc, "tlb", "walks", NULL));
	fprintf(out, "  memory reserved peak ");
	print_bytes(out, get_u64(mem, "reserved_peak_bytes"));
	fprintf(out, ", in use peak ");
	print_bytes(out, get_u64(mem, "in_use_peak_bytes"));
	fprintf(out, ", waste peak ");
	print_bytes(out, get_u64(mem, "waste_peak_bytes"));
	fprintf(out, ", waste mean ");
	print_bytes(out, get_u64(mem, "waste_mean_bytes"));
	fprintf(out, "; %" PRIu64 " xlat tables peak\n", get_u64(mem, "xlat_tables_peak"));
	fprintf(out, "  ops    %" PRIu64 " SMCs, %" PRIu64 " invokes, %" PRIu64 " registers, %" PRIu64
		     " RPCs, %" PRIu64 " failed; %" PRIu64 " bytes copied\n",
		run_result_u64(doc, "ops", "smc", NULL), run_result_u64(doc, "ops", "invoke", NULL),
		run_result_u64(doc, "ops", "register", NULL), run_result_u64(doc, "ops", "rpc", NULL),
		run_result_u64(doc, "ops", "failed", NULL), run_result_u64(doc, "copy", "bytes", NULL));
	fprintf(out, "  time   wall %" PRIu64 " us, modeled %" PRIu64 " us\n",
		run_result_u64(doc, "time", "wall_ns", NULL) / 1000,
		run_result_u64(doc, "time", "modeled_ns", NULL) / 1000);
	fprintf(out, "  leaks  %s (%" PRIu64 " mappings, %" PRIu64 " VA bytes, %" PRIu64
		     " pinned pages)\n",
		leaks ? "LEAKED" : "none", run_result_u64(doc, "leaks", "mappings", NULL),
		run_result_u64(doc, "leaks", "va_bytes", NULL), run_result_u64(doc, "leaks", "pinned_pages", NULL));
}
