/*
 * The result of one `teeshm run` (DESIGN.md section 5): one JSON document,
 * schema "teeshm.result/1", and a human table.  The secure world measures
 * most of it and prints its part as the "result" object of its statistics
 * line; the guests report the bytes they copied; the launcher knows the run's
 * identity (strategy, workload, VMs, profile) and its wall time.  This module
 * gathers those lines (parsed with jansson) and writes the document.
 */
#ifndef TEESHM_LAUNCHER_RUN_RESULT_H
#define TEESHM_LAUNCHER_RUN_RESULT_H

#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "sim/common/profile.h"

#define RUN_RESULT_SCHEMA "teeshm.result/1"

struct run_result {
	json_t *secure;          /* the secure world's "result" object, or NULL */
	char profile[64];
	uint64_t modeled_ns;
	uint64_t copy_bytes;     /* summed over the guests' lines */
	uint64_t guests_reported;
};

struct run_meta {
	const char *strategy;
	const char *workload;
	uint64_t vms;
	uint64_t wall_ns;
	/*
	 * The profile the secure world priced its work on, to price the guests'
	 * copies too: time.modeled_ns is the secure world's modeled time plus
	 * the copies' (time.modeled_copy_ns).  NULL: copies unpriced.
	 */
	const struct profile *profile;
};

void run_result_init(struct run_result *rr);
void run_result_fini(struct run_result *rr);

/*
 * One line a world printed.  Lines that are not JSON objects with a "role"
 * are not ours and are ignored (0).  A secure line without a well-formed
 * "result" object, or a second one, is TS_EINVAL with a message in err.
 */
int run_result_take_line(struct run_result *rr, const char *line, char *err, size_t err_bytes);

/* The teeshm.result/1 document (a new reference), or NULL with err if the secure part is missing. */
json_t *run_result_document(const struct run_result *rr, const struct run_meta *meta, char *err,
			    size_t err_bytes);

/*
 * A JSON document from path (duplicate keys refused), or NULL with err as
 * "path:line:column: what jansson found".
 */
json_t *run_result_load(const char *path, char *err, size_t err_bytes);

/* scandir's filter for "*.json" names. */
int run_result_is_json_name(const struct dirent *e);

/*
 * Each regular file dir/ *.json in name order, parsed as run_result_load
 * does, handed to fn with its name, path and stat; fn takes a reference of
 * doc if it keeps it.  A non-zero return of fn stops the walk and is
 * returned (fn says what in err).  TS_ENOENT when dir does not exist,
 * TS_EIO when it cannot be read, TS_EINVAL for a file jansson cannot parse,
 * all with err naming the place.
 */
int run_result_each_json(const char *dir,
			 int (*fn)(void *ctx, const char *name, const char *path, json_t *doc,
				   const struct stat *st, char *err, size_t err_bytes),
			 void *ctx, char *err, size_t err_bytes);

/* Write doc to path (indented, one trailing newline).  0, or TS_EIO with err naming the path. */
int run_result_write(const json_t *doc, const char *path, char *err, size_t err_bytes);

/* obj.a (.b (.c)) as an unsigned integer (b, c may be NULL), or 0 when absent or negative. */
uint64_t run_result_u64(const json_t *obj, const char *a, const char *b, const char *c);

/* The human table of a document. */
void run_result_print_table(const json_t *doc, FILE *out);

#endif
