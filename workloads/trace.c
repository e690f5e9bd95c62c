/*
 * Workload traces, format teeshm-trace 1 (docs/trace-format.md): a
 * hand-written line tokenizer and parser with FILE:LINE:COL messages, the
 * format's static checks (VMs started, names live, ranges inside blocks,
 * limits), and the canonical writer.  Bad input of any shape is an error
 * value, never a crash; on error nothing stays allocated.  Host code.
 */
#include "workloads/trace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/errmsg.h"
#include "sim/common/ta_ids.h"
#include "sim/common/tee_result.h"
#include "sim/common/ts_err.h"

/* A line of at most 4096 bytes has at most 2048 space-separated tokens. */
#define MAX_LINE_TOKENS (TRACE_MAX_LINE_BYTES / 2u)
/* trace_load refuses bigger files: the largest sensible trace is far smaller. */
#define MAX_FILE_BYTES (1ull << 30)
#define MAX_SLEEP_US 3600000000ull
/* How much of a token a message quotes. */
#define SHOW_BYTES 224u
#define SHOW_MAX_INPUT 48u

/* ---- Tables: TAs, commands, results ---------------------------------------------------- */

struct cmd_name {
	uint32_t cmd;
	const char *name;
};

static const struct cmd_name echo_cmds[] = {
	{ TA_ECHO_CMD_TRANSFORM, "transform" },
	{ TA_ECHO_CMD_INC_INPLACE, "inc" },
	{ TA_ECHO_CMD_VALUE, "value" },
	{ TA_ECHO_CMD_TOUCH, "touch" },
};
static const struct cmd_name storage_cmds[] = {
	{ TA_STORAGE_CMD_WRITE, "write" },
	{ TA_STORAGE_CMD_READ, "read" },
};
static const struct cmd_name bigload_cmds[] = {
	{ TA_BIGLOAD_CMD_SIZE, "size" },
};

struct ta_desc {
	const char *name;
	struct ta_uuid uuid;
	const struct cmd_name *cmds;
	size_t n_cmds;
	const char *cmd_list; /* for messages */
};

/* Indexed by enum trace_ta (the named ones). */
static const struct ta_desc tas[] = {
	[TRACE_TA_ECHO] = { "echo", TA_ECHO_UUID, echo_cmds,
			    sizeof(echo_cmds) / sizeof(echo_cmds[0]),
			    "transform, inc, value, touch" },
	[TRACE_TA_STORAGE] = { "storage", TA_STORAGE_UUID, storage_cmds,
			       sizeof(storage_cmds) / sizeof(storage_cmds[0]), "write, read" },
	[TRACE_TA_BIGLOAD] = { "bigload", TA_BIGLOAD_UUID, bigload_cmds,
			       sizeof(bigload_cmds) / sizeof(bigload_cmds[0]), "size" },
};
#define N_NAMED_TAS (sizeof(tas) / sizeof(tas[0]))

struct result_name {
	const char *name;
	uint32_t value;
};

/* The reverse of tee_result_name(), from the same X-macro table. */
static const struct result_name results[] = {
#define RESULT_ENTRY(name, val) { #name, val },
	TEE_RESULT_MAP(RESULT_ENTRY)
#undef RESULT_ENTRY
};

const char *trace_ta_name(enum trace_ta ta)
{
	if (ta == TRACE_TA_UUID)
		return "uuid";
	if ((unsigned)ta >= N_NAMED_TAS)
		return NULL;
	return tas[ta].name;
}

const char *trace_cmd_name(enum trace_ta ta, uint32_t cmd)
{
	size_t i;

	if ((unsigned)ta >= N_NAMED_TAS)
		return NULL;
	for (i = 0; i < tas[ta].n_cmds; i++)
		if (tas[ta].cmds[i].cmd == cmd)
			return tas[ta].cmds[i].name;
	return NULL;
}

static const char *result_name(uint32_t value)
{
	size_t i;

	for (i = 0; i < sizeof(results) / sizeof(results[0]); i++)
		if (results[i].value == value)
			return results[i].name;
	return NULL;
}

static const char *dir_name(uint32_t dir)
{
	switch (dir) {
	case TRACE_DIR_IN:
		return "in";
	case TRACE_DIR_OUT:
		return "out";
	case TRACE_DIR_INOUT:
		return "inout";
	default:
		return NULL;
	}
}

static bool checkpoint_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

static bool checkpoint_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len < 1 || len >= TRACE_CHECKPOINT_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!checkpoint_char(s[i]))
			return false;
	return true;
}

/* ---- Live names of a VM: open addressing, linear probing ------------------------------- */

/*
 * Key: name | NAME_SHM for blocks (so sessions and blocks share one table and
 * one live count); never 0 since names start at 1.  Value: the index of the op
 * that made the name live, where its TA, size and direction are.  A table per
 * VM, freed when the VM goes down, keeps stop/start cycles cheap.
 */
#define NAME_SHM 0x10000u

struct name_map {
	uint32_t *keys;
	uint32_t *vals;
	uint32_t cap; /* 0 or a power of two */
	uint32_t n;
};

static uint32_t name_hash(uint32_t key)
{
	key *= 0x9e3779b1u;
	return key ^ (key >> 15);
}

static bool map_get(const struct name_map *m, uint32_t key, uint32_t *val)
{
	uint32_t i, mask;

	if (!m->cap)
		return false;
	mask = m->cap - 1;
	for (i = name_hash(key) & mask; m->keys[i]; i = (i + 1) & mask) {
		if (m->keys[i] == key) {
			*val = m->vals[i];
			return true;
		}
	}
	return false;
}

static void map_free(struct name_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static void map_place(struct name_map *m, uint32_t key, uint32_t val)
{
	uint32_t mask = m->cap - 1, i;

	for (i = name_hash(key) & mask; m->keys[i] && m->keys[i] != key; i = (i + 1) & mask)
		;
	if (!m->keys[i])
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
}

/* Insert or replace; load stays at most 1/2 so probes stay short. */
static int map_put(struct name_map *m, uint32_t key, uint32_t val)
{
	if ((m->n + 1u) * 2u > m->cap) {
		struct name_map big = { 0 };
		uint32_t i;

		big.cap = m->cap ? m->cap * 2u : 16u;
		big.keys = calloc(big.cap, sizeof(*big.keys));
		big.vals = calloc(big.cap, sizeof(*big.vals));
		if (!big.keys || !big.vals) {
			map_free(&big);
			return TS_ENOMEM;
		}
		for (i = 0; i < m->cap; i++)
			if (m->keys[i])
				map_place(&big, m->keys[i], m->vals[i]);
		map_free(m);
		*m = big;
	}
	map_place(m, key, val);
	return 0;
}

/* Remove by shifting later entries of the probe run back, so no tombstones are needed. */
static void map_del(struct name_map *m, uint32_t key)
{
	uint32_t mask, hole, j, home;

	if (!m->cap)
		return;
	mask = m->cap - 1;
	for (hole = name_hash(key) & mask; m->keys[hole] != key; hole = (hole + 1) & mask)
		if (!m->keys[hole])
			return;
	for (j = (hole + 1) & mask; m->keys[j]; j = (j + 1) & mask) {
		home = name_hash(m->keys[j]) & mask;
		/* The entry at j may fill the hole unless its home lies cyclically in (hole, j]. */
		if (hole <= j ? (home > hole && home <= j) : (home > hole || home <= j))
			continue;
		m->keys[hole] = m->keys[j];
		m->vals[hole] = m->vals[j];
		hole = j;
	}
	m->keys[hole] = 0;
	m->n--;
}

/* ---- Per-VM state, shared by the parser and the writer --------------------------------- */

enum vm_state { VM_NEVER, VM_UP, VM_STOPPED, VM_CRASHED };

struct vm_info {
	enum vm_state state;
	uint32_t line; /* of the last start / stop / crash */
	struct name_map names;
};

struct vm_table {
	struct vm_info *vms;
	uint32_t cap;
};

static struct vm_info *vm_get(struct vm_table *vt, uint32_t vm)
{
	if (vm >= vt->cap) {
		uint32_t cap = vt->cap ? vt->cap : 8u;
		struct vm_info *n;

		while (cap <= vm)
			cap *= 2u;
		n = realloc(vt->vms, (size_t)cap * sizeof(*n));
		if (!n)
			return NULL;
		memset(n + vt->cap, 0, (size_t)(cap - vt->cap) * sizeof(*n));
		vt->vms = n;
		vt->cap = cap;
	}
	return &vt->vms[vm];
}

static void vm_table_free(struct vm_table *vt)
{
	uint32_t i;

	for (i = 0; i < vt->cap; i++)
		map_free(&vt->vms[i].names);
	free(vt->vms);
	vt->vms = NULL;
	vt->cap = 0;
}

/* ---- Parser ---------------------------------------------------------------------------- */

struct tok {
	const char *s;
	uint32_t len;
	uint32_t col; /* 1-based */
};

struct parser {
	const char *file;
	char *err;
	size_t err_bytes;
	struct trace *t;
	size_t ops_cap;
	struct vm_table vt;
	bool seen_seed;
	uint32_t seed_line;
	uint32_t first_op_line; /* 0: no op yet */
	uint32_t line;
	uint32_t eol_col; /* where a missing token is reported: the comment or end of line */
	uint32_t n_toks;
	struct tok toks[MAX_LINE_TOKENS + 1];
};

__attribute__((format(printf, 4, 5))) static int fail(struct parser *p, int code, uint32_t col,
						      const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || !p->err_bytes)
		return code;
	n = snprintf(p->err, p->err_bytes, "%s:%u:%u: ", p->file, p->line, col);
	if (n >= 0 && (size_t)n < p->err_bytes) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->err_bytes - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Quote input in a message: printable ASCII as is, other bytes as \xNN, long input cut. */
static const char *show(char buf[SHOW_BYTES], const char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == SHOW_MAX_INPUT) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			buf[o++] = (char)c;
		} else {
			static const char hex[] = "0123456789abcdef";

			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	buf[o] = '\0';
	return buf;
}

static const char *show_tok(char buf[SHOW_BYTES], const struct tok *t)
{
	return show(buf, t->s, t->len);
}

static bool mem_is(const char *s, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len == n && memcmp(s, word, n) == 0;
}

static bool tok_is(const struct tok *t, const char *word)
{
	return mem_is(t->s, t->len, word);
}

static int digit_value(char c, unsigned base)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (base == 16 && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (base == 16 && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * s[0..len): decimal, or hex after "0x"; then K or M (KiB, MiB) when sized.
 * 0, -1 when malformed, -2 when the value does not fit 64 bits.
 */
static int scan_number(const char *s, size_t len, bool sized, uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	unsigned base = 10;
	bool over = false;
	size_t i = 0;
	int d;

	if (sized && len > 0 && (s[len - 1] == 'K' || s[len - 1] == 'M')) {
		mult = s[len - 1] == 'K' ? 1024u : 1024u * 1024u;
		len--;
	}
	if (len >= 2 && s[0] == '0' && s[1] == 'x') {
		base = 16;
		i = 2;
	}
	if (i == len)
		return -1;
	for (; i < len; i++) {
		d = digit_value(s[i], base);
		if (d < 0)
			return -1;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			over = true;
		else
			v = v * base + (unsigned)d;
	}
	if (over || v > UINT64_MAX / mult)
		return -2;
	*out = v * mult;
	return 0;
}

/* A number field of at most max; what names it in messages (SIZE, OFFSET, ...). */
static int number(struct parser *p, uint32_t col, const char *s, size_t len, bool sized,
		  uint64_t max, const char *what, uint64_t *out)
{
	char b[SHOW_BYTES];
	uint64_t v = 0;
	int r = scan_number(s, len, sized, &v);

	if (r == -1)
		return fail(p, TS_EINVAL, col,
			    "bad %s '%s' (expected a decimal or 0x hex number%s)", what,
			    show(b, s, len), sized ? ", optionally with K or M" : "");
	if (r == -2 || v > max)
		return fail(p, TS_EINVAL, col, "%s '%s' is too large (max %llu)", what,
			    show(b, s, len), (unsigned long long)max);
	*out = v;
	return 0;
}

static int tok_number(struct parser *p, const struct tok *t, bool sized, uint64_t max,
		      const char *what, uint64_t *out)
{
	return number(p, t->col, t->s, t->len, sized, max, what, out);
}

/* sN or mN: the prefix, then 1 .. 65535 in decimal without leading zeros. */
static bool scan_name(const char *s, size_t len, char prefix, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	if (len < 2 || len > 6 || s[0] != prefix || s[1] == '0')
		return false;
	for (i = 1; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10u + (uint32_t)(s[i] - '0');
	}
	if (v > TRACE_MAX_NAME)
		return false;
	*out = v;
	return true;
}

static int parse_name(struct parser *p, const struct tok *t, char prefix, uint32_t *out)
{
	char b[SHOW_BYTES];

	if (scan_name(t->s, t->len, prefix, out))
		return 0;
	return fail(p, TS_EINVAL, t->col, "'%s' is not a %s name (%c1 .. %c%u)", show_tok(b, t),
		    prefix == 's' ? "session" : "block", prefix, prefix, TRACE_MAX_NAME);
}

static bool scan_dir(const char *s, size_t len, uint32_t *dir)
{
	if (mem_is(s, len, "in"))
		*dir = TRACE_DIR_IN;
	else if (mem_is(s, len, "out"))
		*dir = TRACE_DIR_OUT;
	else if (mem_is(s, len, "inout"))
		*dir = TRACE_DIR_INOUT;
	else
		return false;
	return true;
}

static int parse_dir(struct parser *p, const struct tok *t, uint32_t *dir)
{
	char b[SHOW_BYTES];

	if (scan_dir(t->s, t->len, dir))
		return 0;
	return fail(p, TS_EINVAL, t->col, "bad direction '%s' (expected in, out or inout)",
		    show_tok(b, t));
}

/* Token i must exist: else an error at the end of the line. */
static int need(struct parser *p, uint32_t i, const char *verb, const char *what)
{
	if (i < p->n_toks)
		return 0;
	return fail(p, TS_EINVAL, p->eol_col, "%s: missing %s", verb, what);
}

/* No tokens from i on. */
static int no_more(struct parser *p, uint32_t i, const char *verb)
{
	char b[SHOW_BYTES];

	if (i >= p->n_toks)
		return 0;
	return fail(p, TS_EINVAL, p->toks[i].col, "%s: unexpected '%s' at the end", verb,
		    show_tok(b, &p->toks[i]));
}

/* An op of vm may come now only while the VM runs. */
static int vm_running(struct parser *p, uint32_t vm, struct vm_info **out)
{
	struct vm_info *v = vm_get(&p->vt, vm);

	if (!v)
		return fail(p, TS_ENOMEM, 1, "out of memory");
	*out = v;
	switch (v->state) {
	case VM_UP:
		return 0;
	case VM_NEVER:
		return fail(p, TS_EINVAL, p->toks[0].col,
			    "vm %u is not started (its ops must follow a 'vm start')", vm);
	case VM_STOPPED:
		return fail(p, TS_EINVAL, p->toks[0].col,
			    "vm %u was stopped at line %u (only 'vm start' may follow)", vm,
			    v->line);
	default:
		return fail(p, TS_EINVAL, p->toks[0].col,
			    "vm %u crashed at line %u (only 'vm start' may follow)", vm, v->line);
	}
}

/* The op that made sN / mN live in v, or an error naming it. */
static int live(struct parser *p, struct vm_info *v, uint32_t vm, uint32_t key, uint32_t col,
		const struct trace_op **made)
{
	uint32_t idx;

	if (!map_get(&v->names, key, &idx))
		return fail(p, TS_EINVAL, col, "%s %c%u is not live in vm %u",
			    key & NAME_SHM ? "block" : "session", key & NAME_SHM ? 'm' : 's',
			    key & ~NAME_SHM, vm);
	*made = &p->t->ops[idx];
	return 0;
}

static int not_live(struct parser *p, struct vm_info *v, uint32_t vm, uint32_t key, uint32_t col)
{
	uint32_t idx;

	if (map_get(&v->names, key, &idx))
		return fail(p, TS_EINVAL, col, "%s %c%u is already live in vm %u (since line %u)",
			    key & NAME_SHM ? "block" : "session", key & NAME_SHM ? 'm' : 's',
			    key & ~NAME_SHM, vm, p->t->ops[idx].line);
	if (v->names.n >= TRACE_MAX_NAME)
		return fail(p, TS_E2BIG, col, "vm %u already has %u live names (the limit)", vm,
			    TRACE_MAX_NAME);
	return 0;
}

static int parse_uuid(const struct tok *t, uint8_t o[16])
{
	uint32_t i, n = 0;
	int hi = -1, d;

	if (t->len != 36)
		return -1;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (t->s[i] != '-')
				return -1;
			continue;
		}
		d = digit_value(t->s[i], 16);
		if (d < 0)
			return -1;
		if (hi < 0) {
			hi = d;
		} else {
			o[n++] = (uint8_t)(hi << 4 | d);
			hi = -1;
		}
	}
	return 0;
}

static int parse_expect(struct parser *p, const struct tok *t, struct trace_op *op,
			const char *verb)
{
	const char *s = t->s + 7;
	size_t len = t->len - 7, i;
	char b[SHOW_BYTES];
	uint64_t x;
	int r;

	if (op->has_expect)
		return fail(p, TS_EINVAL, t->col, "%s: expect= given twice", verb);
	if (len > 4 && !memcmp(s, "TEE_", 4)) {
		for (i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
			if (mem_is(s, len, results[i].name)) {
				op->has_expect = true;
				op->expect = results[i].value;
				return 0;
			}
		}
		return fail(p, TS_EINVAL, t->col, "%s: unknown result '%s' in expect=", verb,
			    show(b, s, len));
	}
	if ((r = number(p, t->col, s, len, false, UINT32_MAX, "expect= result", &x)))
		return r;
	op->has_expect = true;
	op->expect = (uint32_t)x;
	return 0;
}

/* An optional expect=RESULT as token i (the result a recorder saw); the next token's index. */
static int opt_expect(struct parser *p, uint32_t i, struct trace_op *op, const char *verb,
		      uint32_t *next)
{
	const struct tok *t = p->toks;
	int r;

	*next = i;
	if (p->n_toks > i && t[i].len >= 7 && !memcmp(t[i].s, "expect=", 7)) {
		if ((r = parse_expect(p, &t[i], op, verb)))
			return r;
		*next = i + 1;
	}
	return 0;
}

static int parse_open(struct parser *p, struct trace_op *op, struct vm_info *v)
{
	const struct tok *t = p->toks;
	char b[SHOW_BYTES];
	uint32_t i;
	int r;

	if ((r = need(p, 2, "open", "session name sN")) ||
	    (r = parse_name(p, &t[2], 's', &op->name)) ||
	    (r = not_live(p, v, op->vm, op->name, t[2].col)) ||
	    (r = need(p, 3, "open", "TA (echo, storage, bigload or a UUID)")))
		return r;
	op->ta = TRACE_TA_UUID;
	for (i = 0; i < N_NAMED_TAS; i++) {
		if (tok_is(&t[3], tas[i].name)) {
			op->ta = (enum trace_ta)i;
			ta_uuid_to_octets(op->uuid, &tas[i].uuid);
		}
	}
	if (op->ta == TRACE_TA_UUID) {
		uint8_t known[16];

		if (parse_uuid(&t[3], op->uuid))
			return fail(p, TS_EINVAL, t[3].col,
				    "open: bad TA '%s' (expected echo, storage, bigload or a UUID "
				    "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
				    show_tok(b, &t[3]));
		/* A known TA by UUID is that TA: one canonical spelling. */
		for (i = 0; i < N_NAMED_TAS; i++) {
			ta_uuid_to_octets(known, &tas[i].uuid);
			if (!memcmp(known, op->uuid, 16))
				op->ta = (enum trace_ta)i;
		}
	}
	i = 4;
	if (p->n_toks > 4 && mem_is(t[4].s, t[4].len > 6 ? 6 : t[4].len, "login=")) {
		if (!tok_is(&t[4], "login=public"))
			return fail(p, TS_EINVAL, t[4].col,
				    "open: unsupported '%s' (only login=public)",
				    show_tok(b, &t[4]));
		i = 5;
	}
	if ((r = opt_expect(p, i, op, "open", &i)))
		return r;
	return no_more(p, i, "open");
}

/* close sN / release mN */
static int parse_drop(struct parser *p, struct trace_op *op, struct vm_info *v, const char *verb,
		      char prefix)
{
	const struct tok *t = p->toks;
	const struct trace_op *made;
	uint32_t key;
	int r;

	if ((r = need(p, 2, verb, prefix == 's' ? "session name sN" : "block name mN")) ||
	    (r = parse_name(p, &t[2], prefix, &op->name)))
		return r;
	key = op->name | (prefix == 'm' ? NAME_SHM : 0);
	if ((r = live(p, v, op->vm, key, t[2].col, &made)))
		return r;
	return no_more(p, 3, verb);
}

/* alloc / register mN SIZE DIR */
static int parse_block(struct parser *p, struct trace_op *op, struct vm_info *v, const char *verb)
{
	const struct tok *t = p->toks;
	uint32_t next;
	int r;

	if ((r = need(p, 2, verb, "block name mN")) ||
	    (r = parse_name(p, &t[2], 'm', &op->name)) ||
	    (r = not_live(p, v, op->vm, op->name | NAME_SHM, t[2].col)) ||
	    (r = need(p, 3, verb, "SIZE")) ||
	    (r = tok_number(p, &t[3], true, TRACE_MAX_SIZE_BYTES, "SIZE", &op->size_bytes)) ||
	    (r = need(p, 4, verb, "DIR (in, out or inout)")) ||
	    (r = parse_dir(p, &t[4], &op->dir)) ||
	    (r = opt_expect(p, 5, op, verb, &next)))
		return r;
	return no_more(p, next, verb);
}

#define PARAM_FORMS "none, val:DIR[:A[:B]], tmp:DIR:SIZE, null:DIR:SIZE, whole:mN or " \
		    "part:DIR:mN:OFFSET:SIZE"

struct field {
	const char *s;
	size_t len;
};

/*
 * The fields of a param token are reported as part of the token (its column),
 * with the form the token should have.
 */
static int param_number(struct parser *p, const struct tok *t, const char *form,
			const struct field *f, bool sized, uint64_t max, const char *what,
			uint64_t *out)
{
	char b[SHOW_BYTES], fb[SHOW_BYTES];
	uint64_t v = 0;
	int r = scan_number(f->s, f->len, sized, &v);

	if (r == -1)
		return fail(p, TS_EINVAL, t->col,
			    "invoke: '%s' is not a param: bad %s '%s' (expected %s)",
			    show_tok(b, t), what, show(fb, f->s, f->len), form);
	if (r == -2 || v > max)
		return fail(p, TS_EINVAL, t->col,
			    "invoke: '%s' is not a param: %s '%s' is too large (max %llu)",
			    show_tok(b, t), what, show(fb, f->s, f->len), (unsigned long long)max);
	*out = v;
	return 0;
}

static int param_dir(struct parser *p, const struct tok *t, const char *form,
		     const struct field *f, uint32_t *dir)
{
	char b[SHOW_BYTES], fb[SHOW_BYTES];

	if (scan_dir(f->s, f->len, dir))
		return 0;
	return fail(p, TS_EINVAL, t->col,
		    "invoke: '%s' is not a param: bad direction '%s' (expected %s; DIR is in, out "
		    "or inout)", show_tok(b, t), show(fb, f->s, f->len), form);
}

static int param_block(struct parser *p, const struct tok *t, const char *form,
		       const struct field *f, uint32_t *name)
{
	char b[SHOW_BYTES], fb[SHOW_BYTES];

	if (scan_name(f->s, f->len, 'm', name))
		return 0;
	return fail(p, TS_EINVAL, t->col,
		    "invoke: '%s' is not a param: bad block name '%s' (expected %s)",
		    show_tok(b, t), show(fb, f->s, f->len), form);
}

static int parse_param(struct parser *p, const struct tok *t, struct vm_info *v, uint32_t vm,
		       struct trace_param *pa)
{
	static const char val_form[] = "val:DIR[:A[:B]]", part_form[] = "part:DIR:mN:OFFSET:SIZE";
	const struct trace_op *made;
	uint32_t n = 0, i, start = 0;
	struct field f[6];
	const char *form;
	char b[SHOW_BYTES];
	uint64_t x;
	int r;

	for (i = 0; i <= t->len; i++) {
		if (i < t->len && t->s[i] != ':')
			continue;
		if (n == 6)
			goto bad;
		f[n].s = t->s + start;
		f[n].len = i - start;
		n++;
		start = i + 1;
	}
	memset(pa, 0, sizeof(*pa));
	if (mem_is(f[0].s, f[0].len, "none") && n == 1) {
		pa->kind = TRACE_P_NONE;
	} else if (mem_is(f[0].s, f[0].len, "val") && n >= 2 && n <= 4) {
		pa->kind = TRACE_P_VALUE;
		if ((r = param_dir(p, t, val_form, &f[1], &pa->dir)))
			return r;
		if (n >= 3) {
			if ((r = param_number(p, t, val_form, &f[2], false, UINT32_MAX, "A", &x)))
				return r;
			pa->a = (uint32_t)x;
		}
		if (n >= 4) {
			if ((r = param_number(p, t, val_form, &f[3], false, UINT32_MAX, "B", &x)))
				return r;
			pa->b = (uint32_t)x;
		}
	} else if ((mem_is(f[0].s, f[0].len, "tmp") || mem_is(f[0].s, f[0].len, "null")) &&
		   n == 3) {
		pa->kind = f[0].len == 3 ? TRACE_P_TMP : TRACE_P_NULL;
		form = pa->kind == TRACE_P_TMP ? "tmp:DIR:SIZE" : "null:DIR:SIZE";
		if ((r = param_dir(p, t, form, &f[1], &pa->dir)) ||
		    (r = param_number(p, t, form, &f[2], true, TRACE_MAX_SIZE_BYTES, "SIZE",
				      &pa->size_bytes)))
			return r;
	} else if (mem_is(f[0].s, f[0].len, "whole") && n == 2) {
		pa->kind = TRACE_P_WHOLE;
		if ((r = param_block(p, t, "whole:mN", &f[1], &pa->shm)) ||
		    (r = live(p, v, vm, pa->shm | NAME_SHM, t->col, &made)))
			return r;
		/* The direction and size are the block's (TEEC_MEMREF_WHOLE). */
		pa->dir = made->dir;
		pa->size_bytes = made->size_bytes;
	} else if (mem_is(f[0].s, f[0].len, "part") && n == 5) {
		pa->kind = TRACE_P_PART;
		if ((r = param_dir(p, t, part_form, &f[1], &pa->dir)) ||
		    (r = param_block(p, t, part_form, &f[2], &pa->shm)) ||
		    (r = param_number(p, t, part_form, &f[3], true, TRACE_MAX_SIZE_BYTES, "OFFSET",
				      &pa->offset_bytes)) ||
		    (r = param_number(p, t, part_form, &f[4], true, TRACE_MAX_SIZE_BYTES, "SIZE",
				      &pa->size_bytes)) ||
		    (r = live(p, v, vm, pa->shm | NAME_SHM, t->col, &made)))
			return r;
		if (pa->dir & ~made->dir)
			return fail(p, TS_EINVAL, t->col,
				    "invoke: part:%s on m%u, a block of direction %s (line %u)",
				    dir_name(pa->dir), pa->shm, dir_name(made->dir), made->line);
		if (pa->offset_bytes + pa->size_bytes > made->size_bytes)
			return fail(p, TS_EINVAL, t->col,
				    "invoke: part range [%llu, %llu) is outside m%u (%llu bytes)",
				    (unsigned long long)pa->offset_bytes,
				    (unsigned long long)(pa->offset_bytes + pa->size_bytes),
				    pa->shm, (unsigned long long)made->size_bytes);
	} else {
		goto bad;
	}
	return 0;
bad:
	return fail(p, TS_EINVAL, t->col, "invoke: '%s' is not a param (expected " PARAM_FORMS ")",
		    show_tok(b, t));
}


static int parse_invoke(struct parser *p, struct trace_op *op, struct vm_info *v)
{
	const struct tok *t = p->toks;
	const struct trace_op *open;
	uint32_t i, n_params = 0;
	char b[SHOW_BYTES];
	uint64_t x;
	int r;

	if ((r = need(p, 2, "invoke", "session name sN")) ||
	    (r = parse_name(p, &t[2], 's', &op->name)) ||
	    (r = live(p, v, op->vm, op->name, t[2].col, &open)) ||
	    (r = need(p, 3, "invoke", "CMD")))
		return r;
	if (t[3].s[0] >= '0' && t[3].s[0] <= '9') {
		if ((r = tok_number(p, &t[3], false, UINT32_MAX, "CMD", &x)))
			return r;
		op->cmd = (uint32_t)x;
	} else {
		const struct ta_desc *ta = (unsigned)open->ta < N_NAMED_TAS ? &tas[open->ta] : NULL;

		for (i = 0; ta && i < ta->n_cmds; i++)
			if (tok_is(&t[3], ta->cmds[i].name))
				break;
		if (!ta || i == ta->n_cmds)
			return fail(p, TS_EINVAL, t[3].col,
				    "invoke: %s has no command '%s' (%s%s)",
				    ta ? ta->name : "a TA by UUID", show_tok(b, &t[3]),
				    ta ? "known: " : "use a number", ta ? ta->cmd_list : "");
		op->cmd = ta->cmds[i].cmd;
	}
	for (i = 4; i < p->n_toks; i++) {
		if (t[i].len >= 7 && !memcmp(t[i].s, "expect=", 7)) {
			if ((r = parse_expect(p, &t[i], op, "invoke")))
				return r;
			continue;
		}
		if (op->has_expect)
			return fail(p, TS_EINVAL, t[i].col,
				    "invoke: param '%s' after expect= (expect= comes last)",
				    show_tok(b, &t[i]));
		if (n_params == TRACE_MAX_PARAMS)
			return fail(p, TS_EINVAL, t[i].col, "invoke: more than %u params at '%s'",
				    TRACE_MAX_PARAMS, show_tok(b, &t[i]));
		if ((r = parse_param(p, &t[i], v, op->vm, &op->params[n_params])))
			return r;
		n_params++;
	}
	return 0;
}

/* sleep N(us|ms|s), or the unit as a separate token. */
static int parse_sleep(struct parser *p, struct trace_op *op)
{
	const struct tok *t = p->toks;
	uint64_t mult = 0, n = 0;
	size_t len;
	char b[SHOW_BYTES];
	uint32_t next = 3;
	int r;

	if ((r = need(p, 2, "sleep", "DURATION (N us, N ms or N s)")))
		return r;
	len = t[2].len;
	if (len > 2 && !memcmp(t[2].s + len - 2, "us", 2)) {
		mult = 1;
		len -= 2;
	} else if (len > 2 && !memcmp(t[2].s + len - 2, "ms", 2)) {
		mult = 1000;
		len -= 2;
	} else if (len > 1 && t[2].s[len - 1] == 's') {
		mult = 1000000;
		len -= 1;
	} else if (p->n_toks > 3) {
		if (tok_is(&t[3], "us"))
			mult = 1;
		else if (tok_is(&t[3], "ms"))
			mult = 1000;
		else if (tok_is(&t[3], "s"))
			mult = 1000000;
		next = 4;
	}
	if (!mult)
		return fail(p, TS_EINVAL, t[2].col,
			    "sleep: bad DURATION '%s' (expected N us, N ms or N s, e.g. 10ms)",
			    show_tok(b, &t[2]));
	if ((r = number(p, t[2].col, t[2].s, len, false, MAX_SLEEP_US / mult, "DURATION", &n)))
		return r;
	op->sleep_us = n * mult;
	return no_more(p, next, "sleep");
}

/* Bytes of "V raw pagelist SIZE 0x.. 0x.." as trace_write prints it. */
static size_t decimal_digits(uint64_t v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static size_t hex_digits(uint64_t v)
{
	size_t n = 1;

	while (v >= 16) {
		v >>= 4;
		n++;
	}
	return n;
}

static int parse_raw(struct parser *p, struct trace_op *op)
{
	const struct tok *t = p->toks;
	char b[SHOW_BYTES];
	uint32_t i;
	int r;

	if ((r = need(p, 2, "raw", "smc or pagelist")))
		return r;
	if (tok_is(&t[2], "smc")) {
		op->verb = TRACE_RAW_SMC;
		if ((r = need(p, 3, "raw smc", "A0")))
			return r;
		for (i = 3; i < p->n_toks; i++) {
			if (op->n_raw == TRACE_MAX_RAW_WORDS)
				return fail(p, TS_EINVAL, t[i].col,
					    "raw smc: more than %u words (a0 .. a6) at '%s'",
					    TRACE_MAX_RAW_WORDS, show_tok(b, &t[i]));
			if ((r = tok_number(p, &t[i], false, UINT64_MAX, "word",
					    &op->raw[op->n_raw])))
				return r;
			op->n_raw++;
		}
		return 0;
	}
	if (tok_is(&t[2], "pagelist")) {
		size_t canon;

		op->verb = TRACE_RAW_PAGELIST;
		if ((r = need(p, 3, "raw pagelist", "SIZE")) ||
		    (r = tok_number(p, &t[3], true, TRACE_MAX_SIZE_BYTES, "SIZE",
				    &op->size_bytes)) ||
		    (r = need(p, 4, "raw pagelist", "PAGE")))
			return r;
		if (p->n_toks - 4 > TRACE_MAX_RAW_PAGES)
			return fail(p, TS_E2BIG, t[4].col,
				    "raw pagelist: more than %u pages", TRACE_MAX_RAW_PAGES);
		canon = decimal_digits(op->vm) + strlen(" raw pagelist ") +
			decimal_digits(op->size_bytes);
		for (i = 4; i < p->n_toks; i++) {
			uint64_t page;

			if ((r = tok_number(p, &t[i], false, UINT64_MAX, "PAGE", &page)))
				return r;
			canon += 3 + hex_digits(page);
		}
		/* Pages are written back in hex: a list of short decimals could outgrow a line. */
		if (canon > TRACE_MAX_LINE_BYTES)
			return fail(p, TS_E2BIG, t[0].col,
				    "raw pagelist: %zu bytes when written canonically (max %u)",
				    canon, TRACE_MAX_LINE_BYTES);
		op->n_pages = p->n_toks - 4;
		op->pages = malloc(op->n_pages * sizeof(*op->pages));
		if (!op->pages)
			return fail(p, TS_ENOMEM, t[4].col, "raw pagelist: out of memory");
		for (i = 4; i < p->n_toks; i++)
			scan_number(t[i].s, t[i].len, false, &op->pages[i - 4]);
		return 0;
	}
	return fail(p, TS_EINVAL, t[2].col, "raw: unknown kind '%s' (expected smc or pagelist)",
		    show_tok(b, &t[2]));
}

static int parse_vm_lifecycle(struct parser *p, struct trace_op *op, struct vm_info **vout)
{
	const struct tok *t = p->toks;
	struct vm_info *v;
	char b[SHOW_BYTES];
	int r;

	if ((r = need(p, 2, "vm", "start, stop or crash")))
		return r;
	if (tok_is(&t[2], "start")) {
		op->verb = TRACE_VM_START;
		v = vm_get(&p->vt, op->vm);
		if (!v)
			return fail(p, TS_ENOMEM, t[0].col, "out of memory");
		if (v->state == VM_UP)
			return fail(p, TS_EINVAL, t[2].col,
				    "vm %u is already running (since line %u)", op->vm, v->line);
		*vout = v;
	} else if (tok_is(&t[2], "stop") || tok_is(&t[2], "crash")) {
		op->verb = t[2].len == 4 ? TRACE_VM_STOP : TRACE_VM_CRASH;
		if ((r = vm_running(p, op->vm, vout)))
			return r;
	} else {
		return fail(p, TS_EINVAL, t[2].col, "vm: unknown action '%s' (expected start, stop "
			    "or crash)", show_tok(b, &t[2]));
	}
	return no_more(p, 3, "vm");
}

/* The verbs of VM ops other than vm start/stop/crash ("raw" is refined by its next word). */
static const struct {
	const char *word;
	enum trace_verb verb;
} vm_verbs[] = {
	{ "open", TRACE_OPEN },
	{ "close", TRACE_CLOSE },
	{ "alloc", TRACE_ALLOC },
	{ "register", TRACE_REGISTER },
	{ "release", TRACE_RELEASE },
	{ "invoke", TRACE_INVOKE },
	{ "sleep", TRACE_SLEEP },
	{ "raw", TRACE_RAW_SMC },
};
#define N_VM_VERBS (sizeof(vm_verbs) / sizeof(vm_verbs[0]))

/* A line that starts with a VM id: the op, checked against the VM's state; v is its VM. */
static int parse_vm_op(struct parser *p, struct trace_op *op, struct vm_info **vout)
{
	const struct tok *t = p->toks;
	char b[SHOW_BYTES];
	uint64_t vm = 0;
	uint32_t i;
	int r;

	for (i = 0; i < t[0].len; i++)
		if (t[0].s[i] < '0' || t[0].s[i] > '9')
			break;
	if (i < t[0].len || t[0].s[0] < '0' || t[0].s[0] > '9')
		return fail(p, TS_EINVAL, t[0].col,
			    "'%s' is neither a VM id (decimal 0 .. %u) nor checkpoint or seed",
			    show_tok(b, &t[0]), TRACE_MAX_VMS - 1);
	if ((r = tok_number(p, &t[0], false, TRACE_MAX_VMS - 1, "VM id", &vm)))
		return r;
	op->vm = (uint16_t)vm;
	if (p->n_toks < 2)
		return fail(p, TS_EINVAL, p->eol_col,
			    "missing op after VM id %u (vm, open, close, alloc, register, release, "
			    "invoke, sleep or raw)", op->vm);
	if (tok_is(&t[1], "vm"))
		return parse_vm_lifecycle(p, op, vout);

	for (i = 0; i < N_VM_VERBS; i++)
		if (tok_is(&t[1], vm_verbs[i].word))
			break;
	if (i == N_VM_VERBS)
		return fail(p, TS_EINVAL, t[1].col,
			    "unknown op '%s' (expected vm, open, close, alloc, register, release, "
			    "invoke, sleep or raw)", show_tok(b, &t[1]));
	op->verb = vm_verbs[i].verb;
	if ((r = vm_running(p, op->vm, vout)))
		return r;
	switch (op->verb) {
	case TRACE_OPEN:
		return parse_open(p, op, *vout);
	case TRACE_CLOSE:
		return parse_drop(p, op, *vout, "close", 's');
	case TRACE_RELEASE:
		return parse_drop(p, op, *vout, "release", 'm');
	case TRACE_ALLOC:
		return parse_block(p, op, *vout, "alloc");
	case TRACE_REGISTER:
		return parse_block(p, op, *vout, "register");
	case TRACE_INVOKE:
		return parse_invoke(p, op, *vout);
	case TRACE_SLEEP:
		return parse_sleep(p, op);
	default:
		return parse_raw(p, op);
	}
}

static int parse_seed(struct parser *p)
{
	int r;

	if (p->seen_seed)
		return fail(p, TS_EINVAL, p->toks[0].col, "seed given twice (first at line %u)",
			    p->seed_line);
	if (p->first_op_line)
		return fail(p, TS_EINVAL, p->toks[0].col,
			    "seed must come before any op (first op at line %u)", p->first_op_line);
	if ((r = need(p, 1, "seed", "N")) ||
	    (r = tok_number(p, &p->toks[1], false, UINT64_MAX, "seed", &p->t->seed)))
		return r;
	p->seen_seed = true;
	p->seed_line = p->line;
	return no_more(p, 2, "seed");
}

static int parse_checkpoint(struct parser *p, struct trace_op *op)
{
	const struct tok *t = p->toks;
	char b[SHOW_BYTES];
	int r;

	op->verb = TRACE_CHECKPOINT;
	if ((r = need(p, 1, "checkpoint", "NAME")))
		return r;
	if (!checkpoint_name_ok(t[1].s, t[1].len))
		return fail(p, TS_EINVAL, t[1].col,
			    "checkpoint: bad NAME '%s' (1 .. %u of A-Z a-z 0-9 . _ -)",
			    show_tok(b, &t[1]), TRACE_CHECKPOINT_MAX - 1);
	memcpy(op->checkpoint, t[1].s, t[1].len);
	return no_more(p, 2, "checkpoint");
}

/* Append op (the trace then owns its pages) and apply its effect on VM state and names. */
static int commit(struct parser *p, struct trace_op *op, struct vm_info *v)
{
	struct trace *t = p->t;
	uint32_t idx;
	int r = 0;

	if (t->n_ops == TRACE_MAX_OPS) {
		free(op->pages);
		return fail(p, TS_E2BIG, p->toks[0].col, "more than %u ops", TRACE_MAX_OPS);
	}
	if (t->n_ops == p->ops_cap) {
		size_t cap = p->ops_cap ? p->ops_cap * 2 : 64;
		struct trace_op *n;

		if (cap > TRACE_MAX_OPS)
			cap = TRACE_MAX_OPS;
		n = realloc(t->ops, cap * sizeof(*n));
		if (!n) {
			free(op->pages);
			return fail(p, TS_ENOMEM, p->toks[0].col, "out of memory");
		}
		t->ops = n;
		p->ops_cap = cap;
	}
	idx = (uint32_t)t->n_ops;
	t->ops[t->n_ops++] = *op;
	if (!p->first_op_line)
		p->first_op_line = p->line;
	if (op->verb != TRACE_CHECKPOINT && op->vm + 1u > t->n_vms)
		t->n_vms = op->vm + 1u;
	switch (op->verb) {
	case TRACE_VM_START:
		v->state = VM_UP;
		v->line = p->line;
		break;
	case TRACE_VM_STOP:
	case TRACE_VM_CRASH:
		/* A rebooted VM starts with no names. */
		v->state = op->verb == TRACE_VM_STOP ? VM_STOPPED : VM_CRASHED;
		v->line = p->line;
		map_free(&v->names);
		break;
	case TRACE_OPEN:
		r = map_put(&v->names, op->name, idx);
		break;
	case TRACE_ALLOC:
	case TRACE_REGISTER:
		r = map_put(&v->names, op->name | NAME_SHM, idx);
		break;
	case TRACE_CLOSE:
		map_del(&v->names, op->name);
		break;
	case TRACE_RELEASE:
		map_del(&v->names, op->name | NAME_SHM);
		break;
	default:
		break;
	}
	if (r)
		return fail(p, r, p->toks[0].col, "out of memory");
	return 0;
}

/* Split line s[0..len) into tokens, up to a comment. */
static void tokenize(struct parser *p, const char *s, size_t len)
{
	size_t i = 0, start;

	p->n_toks = 0;
	while (i < len) {
		if (s[i] == ' ' || s[i] == '\t') {
			i++;
			continue;
		}
		if (s[i] == '#')
			break;
		start = i;
		while (i < len && s[i] != ' ' && s[i] != '\t')
			i++;
		/* len <= TRACE_MAX_LINE_BYTES bounds the count; the guard is for safety only. */
		if (p->n_toks <= MAX_LINE_TOKENS) {
			p->toks[p->n_toks].s = s + start;
			p->toks[p->n_toks].len = (uint32_t)(i - start);
			p->toks[p->n_toks].col = (uint32_t)start + 1;
			p->n_toks++;
		}
	}
	p->eol_col = (uint32_t)i + 1;
}

static int parse_line(struct parser *p, const char *s, size_t len)
{
	struct vm_info *v = NULL;
	struct trace_op op;
	int r;

	tokenize(p, s, len);
	if (!p->n_toks)
		return 0;
	memset(&op, 0, sizeof(op));
	op.line = p->line;
	if (tok_is(&p->toks[0], "seed"))
		return parse_seed(p);
	if (tok_is(&p->toks[0], "checkpoint"))
		r = parse_checkpoint(p, &op);
	else
		r = parse_vm_op(p, &op, &v);
	if (r) {
		free(op.pages);
		return r;
	}
	return commit(p, &op, v);
}

static int parse_text(struct parser *p, const char *text, size_t len)
{
	size_t pos = 0, end, line_len;
	const char *nl, *nul;
	char b[SHOW_BYTES];
	int r;

	p->line = 0;
	while (pos < len || p->line == 0) {
		if (p->line == UINT32_MAX)
			return fail(p, TS_E2BIG, 1, "more than %u lines", UINT32_MAX);
		p->line++;
		nl = pos < len ? memchr(text + pos, '\n', len - pos) : NULL;
		end = nl ? (size_t)(nl - text) : len;
		line_len = end - pos;
		/* CR before LF (and a lone CR closing the text) ends the line too. */
		if (line_len && text[end - 1] == '\r')
			line_len--;
		if (line_len > TRACE_MAX_LINE_BYTES)
			return fail(p, TS_E2BIG, TRACE_MAX_LINE_BYTES + 1,
				    "line longer than %u bytes", TRACE_MAX_LINE_BYTES);
		nul = memchr(text + pos, '\0', end - pos);
		if (nul)
			return fail(p, TS_EINVAL, (uint32_t)(nul - (text + pos)) + 1,
				    "NUL byte (a trace is text)");
		if (p->line == 1) {
			if (!mem_is(text + pos, line_len, TRACE_MAGIC)) {
				size_t pre = strlen("teeshm-trace ");

				if (line_len > pre && !memcmp(text + pos, TRACE_MAGIC, pre))
					return fail(p, TS_EINVAL, (uint32_t)pre + 1,
						    "unsupported version '%s' (knows 1)",
						    show(b, text + pos + pre, line_len - pre));
				return fail(p, TS_EINVAL, 1,
					    "not a trace: line 1 must be '" TRACE_MAGIC "'");
			}
		} else if ((r = parse_line(p, text + pos, line_len))) {
			return r;
		}
		pos = nl ? end + 1 : len;
	}
	return 0;
}

int trace_parse(const char *text, size_t len, const char *name, struct trace **out, char *err,
		size_t err_bytes)
{
	struct parser *p;
	struct trace *t;
	int r;

	if (!name)
		name = "<trace>";
	if (out)
		*out = NULL;
	if (err && err_bytes)
		err[0] = '\0';
	if (!out || (!text && len))
		return ts_errf(err, err_bytes, TS_EINVAL, "%s: no text or no result pointer", name);
	p = calloc(1, sizeof(*p));
	t = calloc(1, sizeof(*t));
	if (!p || !t) {
		free(p);
		free(t);
		return ts_errf(err, err_bytes, TS_ENOMEM, "%s: out of memory", name);
	}
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->seed = 1;
	p->file = name;
	p->err = err;
	p->err_bytes = err_bytes;
	p->t = t;
	r = parse_text(p, text ? text : "", len);
	vm_table_free(&p->vt);
	free(p);
	if (r) {
		trace_free(t);
		return r;
	}
	*out = t;
	return 0;
}

int trace_load(const char *path, struct trace **out, char *err, size_t err_bytes)
{
	size_t len = 0, cap = 0, got;
	char *buf = NULL, *n;
	FILE *f;
	int r, e;

	if (out)
		*out = NULL;
	if (!path)
		return ts_errf(err, err_bytes, TS_EINVAL, "trace_load: no path");
	errno = 0;
	f = fopen(path, "rb");
	if (!f) {
		e = errno;
		r = e == ENOENT ? TS_ENOENT : e == EACCES ? TS_EACCES : TS_EIO;
		return ts_errf(err, err_bytes, r, "%s: cannot open: %s", path,
			       e ? strerror(e) : "unknown error");
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 64 * 1024;
			if (cap > MAX_FILE_BYTES + 1)
				cap = MAX_FILE_BYTES + 1;
			if (len == cap) {
				r = ts_errf(err, err_bytes, TS_E2BIG, "%s: larger than %llu bytes",
					    path, (unsigned long long)MAX_FILE_BYTES);
				goto out;
			}
			n = realloc(buf, cap);
			if (!n) {
				r = ts_errf(err, err_bytes, TS_ENOMEM, "%s: out of memory", path);
				goto out;
			}
			buf = n;
		}
		errno = 0;
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			if (ferror(f)) {
				e = errno;
				r = ts_errf(err, err_bytes, TS_EIO, "%s: cannot read: %s", path,
					    e ? strerror(e) : "read error");
				goto out;
			}
			break;
		}
	}
	r = trace_parse(buf, len, path, out, err, err_bytes);
out:
	free(buf);
	fclose(f);
	return r;
}

void trace_free(struct trace *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n_ops; i++)
		free(t->ops[i].pages);
	free(t->ops);
	free(t);
}

/* ---- Canonical writer ------------------------------------------------------------------ */

static int write_param(FILE *out, const struct trace_param *pa)
{
	const char *dir = dir_name(pa->dir);

	switch (pa->kind) {
	case TRACE_P_NONE:
		return fprintf(out, " none") < 0 ? TS_EIO : 0;
	case TRACE_P_WHOLE:
		return fprintf(out, " whole:m%u", pa->shm) < 0 ? TS_EIO : 0;
	default:
		break;
	}
	if (!dir)
		return TS_EINVAL;
	switch (pa->kind) {
	case TRACE_P_VALUE:
		/* a and b default to 0: write them only as far as needed. */
		if (pa->b)
			return fprintf(out, " val:%s:%u:%u", dir, pa->a, pa->b) < 0 ? TS_EIO : 0;
		if (pa->a)
			return fprintf(out, " val:%s:%u", dir, pa->a) < 0 ? TS_EIO : 0;
		return fprintf(out, " val:%s", dir) < 0 ? TS_EIO : 0;
	case TRACE_P_TMP:
	case TRACE_P_NULL:
		return fprintf(out, " %s:%s:%llu", pa->kind == TRACE_P_TMP ? "tmp" : "null", dir,
			       (unsigned long long)pa->size_bytes) < 0 ? TS_EIO : 0;
	case TRACE_P_PART:
		return fprintf(out, " part:%s:m%u:%llu:%llu", dir, pa->shm,
			       (unsigned long long)pa->offset_bytes,
			       (unsigned long long)pa->size_bytes) < 0 ? TS_EIO : 0;
	default:
		return TS_EINVAL;
	}
}

/* " expect=RESULT" when the op has one, then the newline.  0 or TS_EIO. */
static int write_expect_nl(FILE *out, const struct trace_op *op)
{
	const char *res;
	int r = 0;

	if (op->has_expect) {
		res = result_name(op->expect);
		r = res ? fprintf(out, " expect=%s", res)
			: fprintf(out, " expect=0x%08x", op->expect);
	}
	return r < 0 || fputc('\n', out) == EOF ? TS_EIO : 0;
}

static int write_invoke(FILE *out, const struct trace *t, const struct trace_op *op,
			struct vm_table *vt)
{
	const char *cmd = NULL;
	struct vm_info *v = vm_get(vt, op->vm);
	uint32_t idx, i, n_params = TRACE_MAX_PARAMS;
	int r;

	if (!v)
		return TS_ENOMEM;
	/* The command by name when the session's TA has one for it. */
	if (map_get(&v->names, op->name, &idx) && idx < t->n_ops)
		cmd = trace_cmd_name(t->ops[idx].ta, op->cmd);
	if (cmd)
		r = fprintf(out, "%u invoke s%u %s", op->vm, op->name, cmd);
	else
		r = fprintf(out, "%u invoke s%u %u", op->vm, op->name, op->cmd);
	if (r < 0)
		return TS_EIO;
	/* Missing params are NONE: leave off the trailing ones. */
	while (n_params && op->params[n_params - 1].kind == TRACE_P_NONE)
		n_params--;
	for (i = 0; i < n_params; i++)
		if ((r = write_param(out, &op->params[i])))
			return r;
	return write_expect_nl(out, op);
}

static bool name_ok(uint32_t name)
{
	return name >= 1 && name <= TRACE_MAX_NAME;
}

/*
 * The fields the writer prints as they are must be in range, so that what it
 * writes parses again (a hand-built trace may hold anything).  Liveness and
 * the rest of the static checks are the parser's.
 */
static bool op_writable(const struct trace_op *op)
{
	uint32_t k;

	if (op->verb != TRACE_CHECKPOINT && op->vm >= TRACE_MAX_VMS)
		return false;
	switch (op->verb) {
	case TRACE_OPEN:
	case TRACE_CLOSE:
	case TRACE_RELEASE:
		return name_ok(op->name);
	case TRACE_ALLOC:
	case TRACE_REGISTER:
		return name_ok(op->name) && op->size_bytes <= TRACE_MAX_SIZE_BYTES;
	case TRACE_INVOKE:
		if (!name_ok(op->name))
			return false;
		for (k = 0; k < TRACE_MAX_PARAMS; k++) {
			const struct trace_param *pa = &op->params[k];

			if ((pa->kind == TRACE_P_WHOLE || pa->kind == TRACE_P_PART) &&
			    !name_ok(pa->shm))
				return false;
			if (pa->size_bytes > TRACE_MAX_SIZE_BYTES ||
			    pa->offset_bytes > TRACE_MAX_SIZE_BYTES)
				return false;
		}
		return true;
	case TRACE_SLEEP:
		return op->sleep_us <= MAX_SLEEP_US;
	case TRACE_RAW_PAGELIST:
		return op->size_bytes <= TRACE_MAX_SIZE_BYTES && op->n_pages >= 1 &&
		       op->n_pages <= TRACE_MAX_RAW_PAGES && op->pages;
	case TRACE_RAW_SMC:
		return op->n_raw >= 1 && op->n_raw <= TRACE_MAX_RAW_WORDS;
	default:
		return true;
	}
}

static int write_op(FILE *out, const struct trace *t, size_t i, struct vm_table *vt)
{
	const struct trace_op *op = &t->ops[i];
	struct vm_info *v = NULL;
	const char *dir, *end;
	uint32_t k;
	int r = 0;

	if (!op_writable(op))
		return TS_EINVAL;
	if (op->verb != TRACE_CHECKPOINT) {
		v = vm_get(vt, op->vm);
		if (!v)
			return TS_ENOMEM;
	}
	switch (op->verb) {
	case TRACE_CHECKPOINT:
		end = memchr(op->checkpoint, '\0', TRACE_CHECKPOINT_MAX);
		if (!end || !checkpoint_name_ok(op->checkpoint, (size_t)(end - op->checkpoint)))
			return TS_EINVAL;
		r = fprintf(out, "checkpoint %s\n", op->checkpoint);
		break;
	case TRACE_VM_START:
		r = fprintf(out, "%u vm start\n", op->vm);
		break;
	case TRACE_VM_STOP:
	case TRACE_VM_CRASH:
		map_free(&v->names);
		r = fprintf(out, "%u vm %s\n", op->vm,
			    op->verb == TRACE_VM_STOP ? "stop" : "crash");
		break;
	case TRACE_OPEN:
		if (map_put(&v->names, op->name, (uint32_t)i))
			return TS_ENOMEM;
		if ((unsigned)op->ta < N_NAMED_TAS) {
			r = fprintf(out, "%u open s%u %s", op->vm, op->name, tas[op->ta].name);
		} else {
			const uint8_t *u = op->uuid;

			r = fprintf(out,
				    "%u open s%u %02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
				    "%02x%02x%02x%02x%02x%02x",
				    op->vm, op->name, u[0], u[1], u[2], u[3], u[4], u[5], u[6],
				    u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
		}
		if (r < 0 || (r = write_expect_nl(out, op)))
			return TS_EIO;
		break;
	case TRACE_CLOSE:
		map_del(&v->names, op->name);
		r = fprintf(out, "%u close s%u\n", op->vm, op->name);
		break;
	case TRACE_ALLOC:
	case TRACE_REGISTER:
		dir = dir_name(op->dir);
		if (!dir)
			return TS_EINVAL;
		r = fprintf(out, "%u %s m%u %llu %s", op->vm,
			    op->verb == TRACE_ALLOC ? "alloc" : "register", op->name,
			    (unsigned long long)op->size_bytes, dir);
		if (r < 0 || (r = write_expect_nl(out, op)))
			return TS_EIO;
		break;
	case TRACE_RELEASE:
		r = fprintf(out, "%u release m%u\n", op->vm, op->name);
		break;
	case TRACE_INVOKE:
		return write_invoke(out, t, op, vt);
	case TRACE_SLEEP:
		if (op->sleep_us % 1000000u == 0)
			r = fprintf(out, "%u sleep %llus\n", op->vm,
				    (unsigned long long)(op->sleep_us / 1000000u));
		else if (op->sleep_us % 1000u == 0)
			r = fprintf(out, "%u sleep %llums\n", op->vm,
				    (unsigned long long)(op->sleep_us / 1000u));
		else
			r = fprintf(out, "%u sleep %lluus\n", op->vm,
				    (unsigned long long)op->sleep_us);
		break;
	case TRACE_RAW_SMC:
		if (fprintf(out, "%u raw smc", op->vm) < 0)
			return TS_EIO;
		for (k = 0; k < op->n_raw; k++)
			if (fprintf(out, " 0x%llx", (unsigned long long)op->raw[k]) < 0)
				return TS_EIO;
		r = fputc('\n', out) == EOF ? -1 : 0;
		break;
	case TRACE_RAW_PAGELIST:
		if (fprintf(out, "%u raw pagelist %llu", op->vm,
			    (unsigned long long)op->size_bytes) < 0)
			return TS_EIO;
		for (k = 0; k < op->n_pages; k++)
			if (fprintf(out, " 0x%llx", (unsigned long long)op->pages[k]) < 0)
				return TS_EIO;
		r = fputc('\n', out) == EOF ? -1 : 0;
		break;
	default:
		return TS_EINVAL;
	}
	return r < 0 ? TS_EIO : 0;
}

int trace_write(const struct trace *t, FILE *out)
{
	struct vm_table vt = { 0 };
	size_t i;
	int r = 0;

	if (!t || !out)
		return TS_EINVAL;
	if (fprintf(out, TRACE_MAGIC "\nseed %llu\n", (unsigned long long)t->seed) < 0)
		return TS_EIO;
	for (i = 0; i < t->n_ops && !r; i++)
		r = write_op(out, t, i, &vt);
	vm_table_free(&vt);
	if (!r && (fflush(out) == EOF || ferror(out)))
		r = TS_EIO;
	return r;
}
