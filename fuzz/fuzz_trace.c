/*
 * libFuzzer harness for the trace parser (workloads/trace.c).
 *
 * The input is trace text.  trace_parse() must return an error or a trace;
 * a parsed trace must survive the canonical round trip: trace_write() into
 * memory succeeds, its text parses again, the second trace equals the first
 * (every field but the source line numbers), and writing the second trace
 * gives the same text byte for byte.  Any departure is a finding: abort().
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/ts_err.h"
#include "workloads/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_trace: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

static bool params_equal(const struct trace_param *a, const struct trace_param *b)
{
	return a->kind == b->kind && a->dir == b->dir && a->shm == b->shm &&
	       a->offset_bytes == b->offset_bytes && a->size_bytes == b->size_bytes &&
	       a->a == b->a && a->b == b->b;
}

/* Everything the trace says, not where it said it: `line` is left out. */
static bool ops_equal(const struct trace_op *a, const struct trace_op *b)
{
	uint32_t k;

	if (a->verb != b->verb || a->vm != b->vm || a->name != b->name || a->ta != b->ta ||
	    memcmp(a->uuid, b->uuid, sizeof(a->uuid)) || a->size_bytes != b->size_bytes ||
	    a->dir != b->dir || a->cmd != b->cmd || a->has_expect != b->has_expect ||
	    a->expect != b->expect || a->sleep_us != b->sleep_us || a->n_raw != b->n_raw ||
	    a->n_pages != b->n_pages ||
	    strncmp(a->checkpoint, b->checkpoint, sizeof(a->checkpoint)))
		return false;
	for (k = 0; k < TRACE_MAX_PARAMS; k++)
		if (!params_equal(&a->params[k], &b->params[k]))
			return false;
	if (a->n_raw > TRACE_MAX_RAW_WORDS)
		return false;
	for (k = 0; k < a->n_raw; k++)
		if (a->raw[k] != b->raw[k])
			return false;
	if (a->n_pages && (!a->pages || !b->pages ||
			   memcmp(a->pages, b->pages, a->n_pages * sizeof(*a->pages))))
		return false;
	return true;
}

/* trace_write into a heap buffer (*text, *len); 0 or the writer's error. */
static int write_to_memory(const struct trace *t, char **text, size_t *len)
{
	FILE *f = open_memstream(text, len);
	int rc;

	if (!f)
		fail("open_memstream failed", NULL);
	rc = trace_write(t, f);
	if (fclose(f))
		fail("closing the memstream failed", NULL);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace *first = NULL, *second = NULL;
	char err[512], err2[512], *text = NULL, *text2 = NULL;
	size_t len = 0, len2 = 0, i;
	int rc;

	rc = trace_parse((const char *)data, size, "fuzz", &first, err, sizeof(err));
	if (rc) {
		/* An error is an answer; it must say what and leave nothing behind. */
		if (rc > 0 || first || !err[0])
			fail("an error without a message, or with a trace", err);
		return 0;
	}
	if (!first)
		fail("success without a trace", NULL);
	rc = write_to_memory(first, &text, &len);
	if (rc)
		fail("trace_write refused a trace the parser accepted", ts_strerror(rc));
	rc = trace_parse(text, len, "fuzz", &second, err2, sizeof(err2));
	if (rc) {
		fprintf(stderr, "---- canonical text ----\n%.*s---- end ----\n", (int)len, text);
		fail("the canonical text does not parse", err2);
	}
	if (first->seed != second->seed || first->n_ops != second->n_ops ||
	    first->n_vms != second->n_vms)
		fail("the reparsed trace differs in seed, op count or VM count", NULL);
	for (i = 0; i < first->n_ops; i++) {
		if (!ops_equal(&first->ops[i], &second->ops[i])) {
			fprintf(stderr, "op %zu (input line %u) differs after the round trip\n", i,
				first->ops[i].line);
			fail("the reparsed trace differs", NULL);
		}
	}
	rc = write_to_memory(second, &text2, &len2);
	if (rc)
		fail("trace_write refused the reparsed trace", ts_strerror(rc));
	if (len != len2 || memcmp(text, text2, len))
		fail("the canonical text is not a fixed point of parse+write", NULL);
	free(text);
	free(text2);
	trace_free(first);
	trace_free(second);
	return 0;
}
