/* PA index: an interval tree of mapped physical runs (see pa_index.h). */
#include "sim/secure/mm/pa_index.h"

#include <string.h>

#include "sim/common/ts_err.h"

static inline struct pa_run *to_run(const struct rb_node *n)
{
	return n ? rb_entry(n, struct pa_run, node) : NULL;
}

static inline uint64_t run_end(const struct pa_run *r)
{
	return r->pa_start + r->size_bytes;
}

RB_DECLARE_CALLBACKS_MAX(static, run_augment, struct pa_run, node, uint64_t, subtree_max_end,
			 run_end);

static bool run_before(const struct pa_run *a, const struct pa_run *b)
{
	return a->pa_start < b->pa_start || (a->pa_start == b->pa_start && a->seq < b->seq);
}

static void desc_put(struct pa_index *idx, struct pa_run *r)
{
	memset(r, 0, sizeof(*r));
	r->next_unused = idx->unused;
	idx->unused = r;
	idx->n_unused++;
}

int pa_index_init(struct pa_index *idx, struct pa_run *descs, uint32_t n_descs)
{
	uint32_t i;

	if (!idx || !descs || n_descs == 0)
		return TS_EINVAL;
	memset(idx, 0, sizeof(*idx));
	idx->root = RB_ROOT;
	idx->descs = descs;
	idx->n_descs = n_descs;
	for (i = n_descs; i-- > 0;)
		desc_put(idx, &descs[i]);
	return 0;
}

int pa_index_insert(struct pa_index *idx, paddr_t pa, uint64_t size_bytes, vaddr_t va, void *owner,
		    struct pa_run **out)
{
	struct rb_node **link = &idx->root.rb_node, *parent = NULL;
	struct pa_run *r;

	if (size_bytes == 0 || range_overflows(pa_addr(pa), size_bytes) ||
	    pa_addr(pa) + size_bytes < pa_addr(pa))
		return TS_EINVAL;
	if (!idx->unused)
		return TS_ENOMEM;
	r = idx->unused;
	idx->unused = r->next_unused;
	idx->n_unused--;
	r->next_unused = NULL;
	r->pa_start = pa_addr(pa);
	r->size_bytes = size_bytes;
	r->va_start = va_addr(va);
	r->owner = owner;
	r->seq = idx->next_seq++;
	r->subtree_max_end = run_end(r);

	while (*link) {
		parent = *link;
		link = run_before(r, to_run(parent)) ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&r->node, parent, link);
	run_augment_propagate(parent, NULL);
	rb_insert_augmented(&r->node, &idx->root, &run_augment);
	idx->n_runs++;
	*out = r;
	return 0;
}

void pa_index_remove(struct pa_index *idx, struct pa_run *run)
{
	rb_erase_augmented(&run->node, &idx->root, &run_augment);
	idx->n_runs--;
	desc_put(idx, run);
}

/*
 * One root-to-leaf descent.  At a node n:
 *  - if nothing below ends at or after the query's end, there is no answer;
 *  - if n starts after pa, so does everything right of it: go left;
 *  - else every run in n's left subtree starts at or before pa too, so if one
 *    of them reaches the query's end (the left child's augmented end says) it
 *    contains the query and sorts before n: go left;
 *  - else n is the lowest candidate: take it if it reaches the end, or go right.
 * No backtracking is ever needed, so the cost is O(log n) even with overlaps.
 */
struct pa_run *pa_index_lookup(const struct pa_index *idx, paddr_t pa, uint64_t len_bytes)
{
	const struct rb_node *n = idx->root.rb_node;
	uint64_t p = pa_addr(pa), end;

	if (len_bytes == 0 || range_overflows(p, len_bytes) || p + len_bytes < p)
		return NULL;
	end = p + len_bytes;
	while (n) {
		const struct pa_run *r = to_run(n), *left;

		if (r->subtree_max_end < end)
			return NULL;
		if (p < r->pa_start) {
			n = n->rb_left;
			continue;
		}
		left = to_run(n->rb_left);
		if (left && left->subtree_max_end >= end) {
			n = n->rb_left;
			continue;
		}
		if (run_end(r) >= end)
			return (struct pa_run *)r;
		n = n->rb_right;
	}
	return NULL;
}

static int cmp_run(const struct rb_node *a, const struct rb_node *b)
{
	return run_before(to_run(a), to_run(b)) ? -1 : run_before(to_run(b), to_run(a)) ? 1 : 0;
}

int pa_index_check(const struct pa_index *idx)
{
	const struct pa_run *u;
	size_t n;
	uint32_t n_unused = 0;

	if (rb_check(&idx->root, cmp_run, run_augment_augment_ok, &n) || n != idx->n_runs)
		return TS_EINVAL;
	for (u = idx->unused; u && n_unused <= idx->n_descs; u = u->next_unused, n_unused++)
		if (u < idx->descs || u >= idx->descs + idx->n_descs || u->size_bytes != 0)
			return TS_EINVAL;
	if (n_unused != idx->n_unused || n + n_unused != idx->n_descs)
		return TS_EINVAL;
	return 0;
}
