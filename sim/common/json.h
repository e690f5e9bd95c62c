/*
 * A small streaming JSON writer for result documents and world statistics:
 * objects, arrays, keys, strings (escaped), integers.  It tracks nesting and
 * commas, so callers cannot produce malformed JSON by forgetting one; misuse
 * (a value where a key is due, closing the wrong container, nesting deeper
 * than JSON_MAX_DEPTH) is recorded and reported by json_end().  Numbers are
 * integers only: every figure teeshm reports is a count, bytes, cycles or ns,
 * and integers keep files byte-identical across machines.  Host code.
 */
#ifndef TEESHM_COMMON_JSON_H
#define TEESHM_COMMON_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json {
	FILE *out;
	bool pretty;
	int depth;
	bool error;
	char kind[JSON_MAX_DEPTH];   /* '{' or '[' per open container */
	bool first[JSON_MAX_DEPTH];  /* nothing written in it yet */
	bool key_pending;            /* inside an object: a key was written, its value is due */
};

void json_begin(struct json *j, FILE *out, bool pretty);
/* 0 when the document is complete and well formed and every write succeeded, else TS_EINVAL / TS_EIO. */
int json_end(struct json *j);

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);

/* key + value in one call. */
void json_kv_string(struct json *j, const char *key, const char *s);
void json_kv_u64(struct json *j, const char *key, uint64_t v);
void json_kv_i64(struct json *j, const char *key, int64_t v);
void json_kv_bool(struct json *j, const char *key, bool v);

#endif
