/*
 * teeshm report, between its two halves: report.c reads a compare directory,
 * report_html.c writes the page.  What both need: reading the documents'
 * fields, compare's order of strategies, and the check of every number the
 * page reads (it lives with the page's tables of metrics).
 */
#ifndef TEESHM_LAUNCHER_REPORT_INTERNAL_H
#define TEESHM_LAUNCHER_REPORT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* `compare` runs the strategies in this order; the page keeps it. */
static const char *const compare_order[] = { "carveout", "dynamic", "cached", "rpc" };
#define N_COMPARE_ORDER (sizeof(compare_order) / sizeof(compare_order[0]))

/* obj.a(.b(.c)), or NULL. */
static inline const json_t *get(const json_t *obj, const char *a, const char *b, const char *c)
{
	const json_t *v = json_object_get(obj, a);

	if (v && b)
		v = json_object_get(v, b);
	if (v && c)
		v = json_object_get(v, c);
	return v;
}

/* An unsigned count at the path, or an object's counts summed; false when absent. */
static inline bool get_u64(const json_t *obj, const char *a, const char *b, const char *c,
			   uint64_t *out)
{
	const json_t *v = get(obj, a, b, c), *m;
	const char *k;

	*out = 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return true;
	}
	if (!json_is_object(v) || !json_object_size(v))
		return false;
	json_object_foreach((json_t *)v, k, m) {
		if (!json_is_integer(m) || json_integer_value(m) < 0)
			return false;
		*out += (uint64_t)json_integer_value(m);
	}
	return true;
}

static inline const char *get_str(const json_t *obj, const char *a, const char *b)
{
	return json_string_value(get(obj, a, b, NULL));
}

/* Rank of a strategy in compare's order; unknown ones after, by file name (stable). */
static inline size_t compare_rank(const json_t *doc)
{
	const char *s = get_str(doc, "strategy", NULL);
	size_t i;

	for (i = 0; s && i < N_COMPARE_ORDER; i++)
		if (!strcmp(s, compare_order[i]))
			return i;
	return N_COMPARE_ORDER;
}

/*
 * Every number the page reads is a count or absent: 0, or TS_EINVAL with err
 * naming path and the field.
 */
int report_check_doc_numbers(const json_t *doc, const char *path, char *err, size_t err_bytes);

#endif
