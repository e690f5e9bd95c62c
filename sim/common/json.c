/* Streaming JSON writer (see json.h). */
#include "sim/common/json.h"

#include <inttypes.h>

#include "sim/common/ts_err.h"

void jw_begin(struct json_writer *j, FILE *out, bool pretty)
{
	*j = (struct json_writer){ .out = out, .pretty = pretty };
}

static void indent(struct json_writer *j)
{
	int i;

	if (!j->pretty)
		return;
	fputc('\n', j->out);
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->out);
}

/* Before any value: the comma and layout its position needs; false if no value may come here. */
static bool before_value(struct json_writer *j)
{
	if (j->depth == 0)
		return true;
	if (j->kind[j->depth - 1] == '{') {
		if (!j->key_pending) {
			j->error = true;
			return false;
		}
		j->key_pending = false;
		return true;
	}
	if (!j->first[j->depth - 1])
		fputc(',', j->out);
	j->first[j->depth - 1] = false;
	indent(j);
	return true;
}

static void open(struct json_writer *j, char kind)
{
	if (!before_value(j) || j->depth == JSON_MAX_DEPTH) {
		j->error = true;
		return;
	}
	fputc(kind, j->out);
	j->kind[j->depth] = kind;
	j->first[j->depth] = true;
	j->depth++;
}

static void close_(struct json_writer *j, char kind)
{
	bool empty;

	if (j->depth == 0 || j->kind[j->depth - 1] != kind || j->key_pending) {
		j->error = true;
		return;
	}
	empty = j->first[j->depth - 1];
	j->depth--;
	if (!empty)
		indent(j);
	fputc(kind == '{' ? '}' : ']', j->out);
}

void jw_object_begin(struct json_writer *j)
{
	open(j, '{');
}

void jw_object_end(struct json_writer *j)
{
	close_(j, '{');
}

void jw_array_begin(struct json_writer *j)
{
	open(j, '[');
}

void jw_array_end(struct json_writer *j)
{
	close_(j, '[');
}

static void write_string(struct json_writer *j, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', j->out);
	for (; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", j->out);
			break;
		case '\\':
			fputs("\\\\", j->out);
			break;
		case '\n':
			fputs("\\n", j->out);
			break;
		case '\t':
			fputs("\\t", j->out);
			break;
		case '\r':
			fputs("\\r", j->out);
			break;
		default:
			if (*p < 0x20)
				fprintf(j->out, "\\u%04x", *p);
			else
				fputc(*p, j->out);
		}
	}
	fputc('"', j->out);
}

void jw_key(struct json_writer *j, const char *key)
{
	if (j->depth == 0 || j->kind[j->depth - 1] != '{' || j->key_pending) {
		j->error = true;
		return;
	}
	if (!j->first[j->depth - 1])
		fputc(',', j->out);
	j->first[j->depth - 1] = false;
	indent(j);
	write_string(j, key);
	fputs(j->pretty ? ": " : ":", j->out);
	j->key_pending = true;
}

void jw_string(struct json_writer *j, const char *s)
{
	if (before_value(j))
		write_string(j, s ? s : "");
}

void jw_u64(struct json_writer *j, uint64_t v)
{
	if (before_value(j))
		fprintf(j->out, "%" PRIu64, v);
}

void jw_i64(struct json_writer *j, int64_t v)
{
	if (before_value(j))
		fprintf(j->out, "%" PRId64, v);
}

void jw_bool(struct json_writer *j, bool v)
{
	if (before_value(j))
		fputs(v ? "true" : "false", j->out);
}

void jw_kv_string(struct json_writer *j, const char *key, const char *s)
{
	jw_key(j, key);
	jw_string(j, s);
}

void jw_kv_u64(struct json_writer *j, const char *key, uint64_t v)
{
	jw_key(j, key);
	jw_u64(j, v);
}

void jw_kv_i64(struct json_writer *j, const char *key, int64_t v)
{
	jw_key(j, key);
	jw_i64(j, v);
}

void jw_kv_bool(struct json_writer *j, const char *key, bool v)
{
	jw_key(j, key);
	jw_bool(j, v);
}

int jw_end(struct json_writer *j)
{
	if (j->error || j->depth != 0 || j->key_pending)
		return TS_EINVAL;
	if (j->pretty)
		fputc('\n', j->out);
	return ferror(j->out) ? TS_EIO : 0;
}
