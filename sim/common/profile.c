/*
 * Platform profile loader and cost model (see profile.h).
 *
 * inih does the INI tokenising; we feed it lines through our own reader so
 * that we know the line number of every key (the packaged inih is built
 * without INI_HANDLER_LINENO) and so that no line is ever truncated or
 * treated as a multi-line continuation.  All checking is ours: sections and
 * keys come from one table, values are parsed by hand (no strtoull: it
 * accepts signs, spaces and hex, and we want a precise message).
 */
#define _POSIX_C_SOURCE 200809L

#include "sim/common/profile.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/ts_err.h"

#define MILLI_KEY "memcpy_bytes_per_cycle"
#define READER_LINE_MAX 200 /* inih's INI_MAX_LINE in the packaged build */

struct key_desc {
	const char *section;
	const char *key;
	size_t offset;
	uint64_t min, max;
};

static const struct key_desc keys[] = {
#define PROFILE_KEY(sec, k, field, lo, hi) \
	{ #sec, #k, offsetof(struct profile, field), (lo), (hi) },
	PROFILE_U64_FIELDS(PROFILE_KEY)
#undef PROFILE_KEY
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/* The one key held in milli-units (a decimal in the file). */
static bool key_is_milli(const struct key_desc *k)
{
	return !strcmp(k->key, MILLI_KEY);
}

/* Sections in file order of the reference profiles; "profile" holds the strings. */
static const char *const sections[] = { "profile", "cpu", "tlb", "smc", "mmu", "mem", "os" };
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

struct parse_ctx {
	const char *origin;
	/* reader state */
	const char *pos;
	int lineno;
	/* results */
	struct profile prof;
	int key_line[N_KEYS];         /* 0: not seen */
	int section_line[N_SECTIONS]; /* first header line, 0: not seen */
	int schema_line, name_line, description_line;
	/* first error (ours); inih may report an earlier syntax error */
	int err_line;
	char msg[256];
};

static void ctx_error(struct parse_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void ctx_error(struct parse_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->err_line)
		return; /* keep the first */
	ctx->err_line = ctx->lineno > 0 ? ctx->lineno : 1;
	va_start(ap, fmt);
	vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
	va_end(ap);
}

static int section_index(const char *name)
{
	for (size_t i = 0; i < N_SECTIONS; i++)
		if (!strcmp(sections[i], name))
			return (int)i;
	return -1;
}

/*
 * Hand inih one line at a time from memory.  Leading blanks are dropped so an
 * indented line is never a continuation of the previous value; section
 * headers are checked here so that even an empty unknown section is caught.
 */
static char *reader(char *str, int num, void *stream)
{
	struct parse_ctx *ctx = stream;
	const char *start = ctx->pos, *end;
	size_t len;

	if (!*start || ctx->err_line)
		return NULL;
	end = strchr(start, '\n');
	len = end ? (size_t)(end - start) + 1 : strlen(start);
	ctx->pos = start + len;
	ctx->lineno++;
	while (len && (*start == ' ' || *start == '\t')) {
		start++;
		len--;
	}
	if (num < 2 || len >= (size_t)num || len >= READER_LINE_MAX) {
		ctx_error(ctx, "line longer than %d characters", READER_LINE_MAX - 2);
		return NULL;
	}
	memcpy(str, start, len);
	str[len] = '\0';
	if (str[0] == '[') {
		const char *close = strchr(str, ']');
		char name[64];
		size_t n;
		int idx;

		if (!close)
			return str; /* inih reports the syntax error */
		n = (size_t)(close - str - 1);
		if (n >= sizeof(name)) {
			ctx_error(ctx, "unknown section (name too long)");
			return NULL;
		}
		memcpy(name, str + 1, n);
		name[n] = '\0';
		idx = section_index(name);
		if (idx < 0) {
			ctx_error(ctx, "unknown section [%s]", name);
			return NULL;
		}
		if (ctx->section_line[idx]) {
			ctx_error(ctx, "section [%s] repeated (first at line %d)", name,
				  ctx->section_line[idx]);
			return NULL;
		}
		ctx->section_line[idx] = ctx->lineno;
	}
	return str;
}

/* Decimal digits only, within [min, max]. */
static bool parse_u64(struct parse_ctx *ctx, const struct key_desc *k, const char *v, uint64_t *out)
{
	uint64_t x = 0;
	const char *s = v;

	if (!*s) {
		ctx_error(ctx, "[%s] %s: missing value", k->section, k->key);
		return false;
	}
	if (*s == '-') {
		ctx_error(ctx, "[%s] %s: negative value '%s'", k->section, k->key, v);
		return false;
	}
	for (; *s; s++) {
		if (*s < '0' || *s > '9') {
			ctx_error(ctx, "[%s] %s: '%s' is not a decimal integer", k->section, k->key,
				  v);
			return false;
		}
		if (x > (UINT64_MAX - 9) / 10) {
			x = UINT64_MAX; /* certainly above any max */
			continue;
		}
		x = x * 10 + (uint64_t)(*s - '0');
	}
	if (x < k->min || x > k->max) {
		ctx_error(ctx, "[%s] %s: %s is out of range [%llu, %llu]", k->section, k->key, v,
			  (unsigned long long)k->min, (unsigned long long)k->max);
		return false;
	}
	*out = x;
	return true;
}

/* "I[.F]" with at most three fraction digits, stored in thousandths. */
static bool parse_milli(struct parse_ctx *ctx, const struct key_desc *k, const char *v,
			uint64_t *out)
{
	uint64_t whole = 0, frac = 0;
	unsigned int frac_digits = 0;
	bool any_digit = false, in_frac = false;

	if (*v == '-') {
		ctx_error(ctx, "[%s] %s: negative value '%s'", k->section, k->key, v);
		return false;
	}
	for (const char *s = v; *s; s++) {
		if (*s == '.' && !in_frac) {
			in_frac = true;
			continue;
		}
		if (*s < '0' || *s > '9')
			goto bad;
		any_digit = true;
		if (in_frac) {
			if (++frac_digits > 3) {
				ctx_error(ctx, "[%s] %s: '%s' has more than 3 fraction digits",
					  k->section, k->key, v);
				return false;
			}
			frac = frac * 10 + (uint64_t)(*s - '0');
		} else if (whole <= UINT64_MAX / 10000) {
			whole = whole * 10 + (uint64_t)(*s - '0');
		}
	}
	if (!any_digit)
		goto bad;
	while (frac_digits++ < 3)
		frac *= 10;
	if (whole > UINT64_MAX / 10000 || whole * 1000 + frac < k->min ||
	    whole * 1000 + frac > k->max) {
		ctx_error(ctx, "[%s] %s: %s is out of range [%llu.%03llu, %llu.%03llu]", k->section,
			  k->key, v, (unsigned long long)(k->min / 1000),
			  (unsigned long long)(k->min % 1000), (unsigned long long)(k->max / 1000),
			  (unsigned long long)(k->max % 1000));
		return false;
	}
	*out = whole * 1000 + frac;
	return true;
bad:
	ctx_error(ctx, "[%s] %s: '%s' is not a decimal number (e.g. 1.25)", k->section, k->key,
		  v[0] ? v : "(empty)");
	return false;
}

static bool name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static bool set_string_once(struct parse_ctx *ctx, int *line, const char *key)
{
	if (*line) {
		ctx_error(ctx, "[profile] %s given twice (first at line %d)", key, *line);
		return false;
	}
	*line = ctx->lineno;
	return true;
}

static int handle_profile_key(struct parse_ctx *ctx, const char *name, const char *value)
{
	if (!strcmp(name, "schema")) {
		if (!set_string_once(ctx, &ctx->schema_line, name))
			return 0;
		if (strcmp(value, PROFILE_SCHEMA)) {
			ctx_error(ctx, "[profile] schema: unsupported '%s' (expected %s)", value,
				  PROFILE_SCHEMA);
			return 0;
		}
		return 1;
	}
	if (!strcmp(name, "name")) {
		if (!set_string_once(ctx, &ctx->name_line, name))
			return 0;
		if (strlen(value) >= PROFILE_NAME_MAX || !name_ok(value)) {
			ctx_error(ctx,
				  "[profile] name: '%s' must be 1-%d characters of [A-Za-z0-9._-]",
				  value, PROFILE_NAME_MAX - 1);
			return 0;
		}
		strcpy(ctx->prof.name, value);
		return 1;
	}
	if (!strcmp(name, "description")) {
		if (!set_string_once(ctx, &ctx->description_line, name))
			return 0;
		if (strlen(value) >= PROFILE_DESCRIPTION_MAX) {
			ctx_error(ctx, "[profile] description: longer than %d characters",
				  PROFILE_DESCRIPTION_MAX - 1);
			return 0;
		}
		strcpy(ctx->prof.description, value);
		return 1;
	}
	ctx_error(ctx, "[profile] %s: unknown key", name);
	return 0;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *ctx = user;

	if (ctx->err_line)
		return 0;
	if (!*section) {
		ctx_error(ctx, "key '%s' outside any section", name);
		return 0;
	}
	if (!strcmp(section, "profile"))
		return handle_profile_key(ctx, name, value);
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key_desc *k = &keys[i];
		uint64_t *field;
		uint64_t v;

		if (strcmp(k->section, section) || strcmp(k->key, name))
			continue;
		if (ctx->key_line[i]) {
			ctx_error(ctx, "[%s] %s given twice (first at line %d)", section, name,
				  ctx->key_line[i]);
			return 0;
		}
		if (!(key_is_milli(k) ? parse_milli(ctx, k, value, &v) :
					     parse_u64(ctx, k, value, &v)))
			return 0;
		ctx->key_line[i] = ctx->lineno;
		field = (uint64_t *)((char *)&ctx->prof + k->offset);
		*field = v;
		return 1;
	}
	ctx_error(ctx, "[%s] %s: unknown key", section, name);
	return 0;
}

/* A TLB shaped as tlb_init accepts: entries a multiple of ways, sets a power of two. */
static bool tlb_shape_ok(uint64_t entries, uint64_t ways)
{
	uint64_t sets;

	if (!ways || entries % ways)
		return false;
	sets = entries / ways;
	return sets && !(sets & (sets - 1));
}

/* After parsing: everything required present, cross-field rules. */
static void check_complete(struct parse_ctx *ctx)
{
	int last_line = ctx->lineno > 0 ? ctx->lineno : 1;
	int pidx = section_index("profile");

	if (!ctx->schema_line || !ctx->name_line) {
		const char *key = !ctx->schema_line ? "schema" : "name";

		ctx->lineno = ctx->section_line[pidx] ? ctx->section_line[pidx] : last_line;
		if (ctx->section_line[pidx])
			ctx_error(ctx, "section [profile] lacks required key '%s'", key);
		else
			ctx_error(ctx, "missing section [profile] (key '%s' required)", key);
		return;
	}
	for (size_t i = 0; i < N_KEYS; i++) {
		int sidx = section_index(keys[i].section);

		if (ctx->key_line[i])
			continue;
		if (ctx->section_line[sidx]) {
			ctx->lineno = ctx->section_line[sidx];
			ctx_error(ctx, "section [%s] lacks required key '%s'", keys[i].section,
				  keys[i].key);
		} else {
			ctx->lineno = last_line;
			ctx_error(ctx, "missing section [%s] (key '%s' required)",
				  keys[i].section, keys[i].key);
		}
		return;
	}
	if (!tlb_shape_ok(ctx->prof.tlb_entries, ctx->prof.tlb_ways)) {
		for (size_t i = 0; i < N_KEYS; i++)
			if (!strcmp(keys[i].section, "tlb") && !strcmp(keys[i].key, "ways"))
				ctx->lineno = ctx->key_line[i];
		ctx_error(ctx,
			  "[tlb] ways: %llu entries / %llu ways must be a whole power of two sets",
			  (unsigned long long)ctx->prof.tlb_entries,
			  (unsigned long long)ctx->prof.tlb_ways);
	}
}

static void set_err(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !err_len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

int profile_load_string(const char *text, const char *origin, struct profile *out, char *err,
			size_t err_len)
{
	struct parse_ctx *ctx;
	int r, ret = 0;

	if (!origin)
		origin = "<string>";
	if (err && err_len)
		err[0] = '\0';
	if (!text || !out) {
		set_err(err, err_len, "%s: no profile text", origin);
		return TS_EINVAL;
	}
	/* The context is ~1 KiB with the profile; keep it off small stacks. */
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		set_err(err, err_len, "%s: out of memory", origin);
		return TS_ENOMEM;
	}
	ctx->origin = origin;
	ctx->pos = text;
	r = ini_parse_stream(reader, ctx, handler, ctx);
	if (r > 0 && (!ctx->err_line || r < ctx->err_line)) {
		/* inih found a malformed line before any of our errors */
		set_err(err, err_len, "%s:%d: syntax error (expected [section] or key = value)",
			origin, r);
		ret = TS_EINVAL;
	} else if (r < 0 && !ctx->err_line) {
		set_err(err, err_len, "%s: parser out of memory", origin);
		ret = TS_ENOMEM;
	} else {
		if (!ctx->err_line)
			check_complete(ctx);
		if (ctx->err_line) {
			set_err(err, err_len, "%s:%d: %s", origin, ctx->err_line, ctx->msg);
			ret = TS_EINVAL;
		}
	}
	if (!ret)
		*out = ctx->prof;
	free(ctx);
	return ret;
}

int profile_load_file(const char *path, struct profile *out, char *err, size_t err_len)
{
	FILE *f;
	char *buf;
	size_t n;
	int ret;

	if (err && err_len)
		err[0] = '\0';
	if (!path || !out) {
		set_err(err, err_len, "profile: no path given");
		return TS_EINVAL;
	}
	f = fopen(path, "rb");
	if (!f) {
		int e = errno;

		set_err(err, err_len, "%s: cannot open: %s", path, strerror(e));
		return e == ENOENT ? TS_ENOENT : e == EACCES ? TS_EACCES : TS_EIO;
	}
	buf = malloc(PROFILE_FILE_MAX_BYTES + 1);
	if (!buf) {
		fclose(f);
		set_err(err, err_len, "%s: out of memory", path);
		return TS_ENOMEM;
	}
	n = fread(buf, 1, PROFILE_FILE_MAX_BYTES + 1, f);
	if (ferror(f)) {
		set_err(err, err_len, "%s: read error", path);
		ret = TS_EIO;
	} else if (n > PROFILE_FILE_MAX_BYTES) {
		set_err(err, err_len, "%s: larger than %d bytes", path, PROFILE_FILE_MAX_BYTES);
		ret = TS_E2BIG;
	} else if (memchr(buf, '\0', n)) {
		set_err(err, err_len, "%s: contains a NUL byte (not a text file)", path);
		ret = TS_EINVAL;
	} else {
		buf[n] = '\0';
		ret = profile_load_string(buf, path, out, err, err_len);
	}
	free(buf);
	fclose(f);
	return ret;
}

int profile_check(const struct profile *p)
{
	if (!p || strnlen(p->name, PROFILE_NAME_MAX) >= PROFILE_NAME_MAX || !name_ok(p->name) ||
	    strnlen(p->description, PROFILE_DESCRIPTION_MAX) >= PROFILE_DESCRIPTION_MAX)
		return TS_EINVAL;
	for (size_t i = 0; i < N_KEYS; i++) {
		uint64_t v = *(const uint64_t *)((const char *)p + keys[i].offset);

		if (v < keys[i].min || v > keys[i].max)
			return TS_ERANGE;
	}
	if (!tlb_shape_ok(p->tlb_entries, p->tlb_ways))
		return TS_EINVAL;
	return 0;
}

/* Saturating helpers: a modeled figure that overflows pins at UINT64_MAX. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return a && b > UINT64_MAX / a ? UINT64_MAX : a * b;
}

uint64_t profile_copy_cycles(const struct profile *p, uint64_t bytes)
{
	uint64_t rate = p->memcpy_milli_bytes_per_cycle; /* >= 1 after a load */
	uint64_t q, r;

	if (!rate)
		return bytes ? UINT64_MAX : 0;
	/* ceil(bytes * 1000 / rate) without a 128-bit product */
	q = bytes / rate;
	r = bytes % rate; /* r < rate <= 10^6, so r * 1000 fits */
	return sat_add(sat_mul(q, 1000), (r * 1000 + rate - 1) / rate);
}

uint64_t profile_modeled_cycles(const struct profile *p, const struct cost_counts *c)
{
	uint64_t total = 0;

	total = sat_add(total, sat_mul(c->smcs,
				       sat_add(p->smc_round_trip_cycles, p->smc_secure_entry_cycles)));
	total = sat_add(total, sat_mul(c->pte_writes, p->pte_write_cycles));
	total = sat_add(total, sat_mul(c->walk_levels, p->walk_level_cycles));
	total = sat_add(total, sat_mul(c->tlbi_va, p->tlbi_va_cycles));
	total = sat_add(total, sat_mul(c->tlbi_vaa, p->tlbi_vaa_cycles));
	total = sat_add(total, sat_mul(c->tlbi_range, p->tlbi_range_cycles));
	total = sat_add(total, sat_mul(c->tlbi_asid, p->tlbi_asid_cycles));
	total = sat_add(total, sat_mul(c->tlbi_all, p->tlbi_all_cycles));
	total = sat_add(total, sat_mul(c->dsb, p->dsb_cycles));
	total = sat_add(total, sat_mul(c->isb, p->isb_cycles));
	total = sat_add(total, profile_copy_cycles(p, c->copy_bytes));
	total = sat_add(total, sat_mul(c->maps, p->map_overhead_cycles));
	total = sat_add(total, sat_mul(c->unmaps, p->unmap_overhead_cycles));
	total = sat_add(total, sat_mul(c->pages_mapped, p->map_page_cycles));
	total = sat_add(total, sat_mul(c->pages_unmapped, p->unmap_page_cycles));
	return total;
}

uint64_t profile_cycles_to_ns(const struct profile *p, uint64_t cycles)
{
	uint64_t mhz = p->cpu_mhz;
	uint64_t q, r;

	if (!mhz)
		return cycles ? UINT64_MAX : 0;
	/* ns = cycles * 1000 / mhz, rounded to nearest, in two parts to avoid overflow */
	q = cycles / mhz;
	r = cycles % mhz; /* r < mhz <= 10^4 */
	return sat_add(sat_mul(q, 1000), (r * 1000 + mhz / 2) / mhz);
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

int profile_write_json(const struct profile *p, FILE *out)
{
	const char *open_section = NULL;

	fprintf(out, "{\"schema\":");
	json_string(out, PROFILE_SCHEMA);
	fprintf(out, ",\"name\":");
	json_string(out, p->name);
	fprintf(out, ",\"description\":");
	json_string(out, p->description);
	/* keys[] lists each section's keys together, so one pass opens each once */
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key_desc *k = &keys[i];
		uint64_t v = *(const uint64_t *)((const char *)p + k->offset);

		if (!open_section || strcmp(open_section, k->section)) {
			fprintf(out, "%s,\"%s\":{", open_section ? "}" : "", k->section);
			open_section = k->section;
		} else {
			fputc(',', out);
		}
		fprintf(out, "\"%s\":%llu",
			key_is_milli(k) ? "memcpy_milli_bytes_per_cycle" : k->key,
			(unsigned long long)v);
	}
	fprintf(out, "%s}", open_section ? "}" : "");
	return ferror(out) ? TS_EIO : 0;
}
