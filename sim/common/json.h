/*
 * A small streaming JSON writer for result documents and world statistics:
 * objects, arrays, keys, strings (escaped), integers.  It tracks nesting and
 * commas, so callers cannot produce malformed JSON by forgetting one; misuse
 * (a value where a key is due, closing the wrong container, nesting deeper
 * than JSON_MAX_DEPTH) is recorded and reported by jw_end().  Numbers are
 * integers only: every figure teeshm reports is a count, bytes, cycles or ns,
 * and integers keep files byte-identical across machines.  Host code.
 * The names are jw_* (JSON writer): jansson, which reads the documents back
 * in the launcher, owns json_* (json_string, json_object, ...) and a
 * program links both.
 */
#ifndef TEESHM_COMMON_JSON_H
#define TEESHM_COMMON_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json_writer {
	FILE *out;
	bool pretty;
	int depth;
	bool error;
	char kind[JSON_MAX_DEPTH];   /* '{' or '[' per open container */
	bool first[JSON_MAX_DEPTH];  /* nothing written in it yet */
	bool key_pending;            /* inside an object: a key was written, its value is due */
};

void jw_begin(struct json_writer *j, FILE *out, bool pretty);
/* 0 when the document is complete and well formed and every write succeeded, else TS_EINVAL / TS_EIO. */
int jw_end(struct json_writer *j);

void jw_object_begin(struct json_writer *j);
void jw_object_end(struct json_writer *j);
void jw_array_begin(struct json_writer *j);
void jw_array_end(struct json_writer *j);
void jw_key(struct json_writer *j, const char *key);
void jw_string(struct json_writer *j, const char *s);
void jw_u64(struct json_writer *j, uint64_t v);
void jw_i64(struct json_writer *j, int64_t v);
void jw_bool(struct json_writer *j, bool v);

/* key + value in one call. */
void jw_kv_string(struct json_writer *j, const char *key, const char *s);
void jw_kv_u64(struct json_writer *j, const char *key, uint64_t v);
void jw_kv_i64(struct json_writer *j, const char *key, int64_t v);
void jw_kv_bool(struct json_writer *j, const char *key, bool v);

#endif
