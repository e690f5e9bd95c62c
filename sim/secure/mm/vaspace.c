/* VA-space allocator: vmalloc-style free/busy rb-trees (see vaspace.h). */
#include "sim/secure/mm/vaspace.h"

#include <string.h>

#include "sim/common/ts_err.h"

static inline struct va_area *to_area(const struct rb_node *n)
{
	return n ? rb_entry(n, struct va_area, node) : NULL;
}

static inline uint64_t area_end(const struct va_area *a)
{
	return a->start + a->size_bytes;
}

static inline uint64_t area_own_size(const struct va_area *a)
{
	return a->size_bytes;
}

RB_DECLARE_CALLBACKS_MAX(static, free_augment, struct va_area, node, uint64_t, subtree_max_bytes,
			 area_own_size);

static struct va_area *desc_get(struct vaspace *vs)
{
	struct va_area *a = vs->unused;

	vs->unused = a->next_unused;
	vs->n_unused--;
	a->next_unused = NULL;
	return a;
}

static void desc_put(struct vaspace *vs, struct va_area *a)
{
	memset(a, 0, sizeof(*a));
	a->state = VA_AREA_UNUSED;
	a->next_unused = vs->unused;
	vs->unused = a;
	vs->n_unused++;
}

/* Link a into the free tree by start; its range must not touch any free area. */
static void free_tree_insert(struct vaspace *vs, struct va_area *a)
{
	struct rb_node **link = &vs->free_root.rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = a->start < to_area(parent)->start ? &parent->rb_left : &parent->rb_right;
	}
	a->state = VA_AREA_FREE;
	a->subtree_max_bytes = a->size_bytes;
	rb_link_node(&a->node, parent, link);
	free_augment_propagate(parent, NULL);
	rb_insert_augmented(&a->node, &vs->free_root, &free_augment);
	vs->stats.free_areas++;
}

static void free_tree_erase(struct vaspace *vs, struct va_area *a)
{
	rb_erase_augmented(&a->node, &vs->free_root, &free_augment);
	vs->stats.free_areas--;
}

static void busy_tree_insert(struct vaspace *vs, struct va_area *a)
{
	struct rb_node **link = &vs->busy_root.rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = a->start < to_area(parent)->start ? &parent->rb_left : &parent->rb_right;
	}
	a->state = VA_AREA_BUSY;
	rb_link_node(&a->node, parent, link);
	rb_insert_color(&a->node, &vs->busy_root);
}

int vaspace_init(struct vaspace *vs, vaddr_t base, uint64_t size_bytes, struct va_area *descs,
		 uint32_t n_descs)
{
	uint32_t i;

	if (!vs || !descs || n_descs == 0 || size_bytes == 0 || !va_is_page_aligned(base) ||
	    (size_bytes & SMALL_PAGE_MASK) || range_overflows(va_addr(base), size_bytes))
		return TS_EINVAL;
	memset(vs, 0, sizeof(*vs));
	vs->base = va_addr(base);
	vs->size_bytes = size_bytes;
	vs->free_root = RB_ROOT;
	vs->busy_root = RB_ROOT;
	vs->descs = descs;
	vs->n_descs = n_descs;
	for (i = n_descs; i-- > 0;)
		desc_put(vs, &descs[i]);

	/* At first the whole range is one free area. */
	{
		struct va_area *all = desc_get(vs);

		all->start = vs->base;
		all->size_bytes = size_bytes;
		free_tree_insert(vs, all);
	}
	return 0;
}

/* Where an aligned block of size bytes would start inside a, if it fits. */
static bool area_fits(const struct va_area *a, uint64_t size, uint64_t align, uint64_t *start)
{
	uint64_t s = (a->start + align - 1) & ~(align - 1);

	if (s < a->start || s - a->start >= a->size_bytes || a->size_bytes - (s - a->start) < size)
		return false;
	*start = s;
	return true;
}

/*
 * Lowest free area in the subtree at n holding an aligned block of size bytes.
 * A subtree whose largest area is too small is skipped whole.  With page
 * alignment every area of at least size bytes fits, so a left subtree that is
 * large enough always holds the answer and the descent never backtracks;
 * with larger alignment the left subtree is searched first and may come back
 * empty.  Recursion depth is bounded by the tree height (< 2 log2(n + 1)).
 */
static struct va_area *lowest_fit(struct rb_node *n, uint64_t size, uint64_t align,
				  uint64_t *start)
{
	while (n && to_area(n)->subtree_max_bytes >= size) {
		struct va_area *left = to_area(n->rb_left);

		if (left && left->subtree_max_bytes >= size) {
			struct va_area *found;

			if (align == SMALL_PAGE_SIZE) {
				n = n->rb_left;
				continue;
			}
			found = lowest_fit(n->rb_left, size, align, start);
			if (found)
				return found;
		}
		if (area_fits(to_area(n), size, align, start))
			return to_area(n);
		n = n->rb_right;
	}
	return NULL;
}

int vaspace_alloc(struct vaspace *vs, uint64_t size_bytes, uint64_t align_bytes,
		  uint64_t guard_bytes, void *owner, struct va_area **out)
{
	uint64_t total, start, f_start, f_end;
	struct va_area *f, *busy;
	bool split_middle;

	if (size_bytes == 0 || (size_bytes & SMALL_PAGE_MASK) || (guard_bytes & SMALL_PAGE_MASK) ||
	    align_bytes < SMALL_PAGE_SIZE || (align_bytes & (align_bytes - 1)) ||
	    guard_bytes > UINT64_MAX - size_bytes)
		return TS_EINVAL;
	total = size_bytes + guard_bytes;
	f = lowest_fit(vs->free_root.rb_node, total, align_bytes, &start);
	if (!f) {
		vs->stats.alloc_failures++;
		return TS_ENOSPC;
	}
	f_start = f->start;
	f_end = area_end(f);
	split_middle = start > f_start && start + total < f_end;
	/* An exact fit reuses the free area's descriptor; the others need one more, a middle split two. */
	if (vs->n_unused < (start == f_start && start + total == f_end ? 0u : split_middle ? 2u : 1u)) {
		vs->stats.alloc_failures++;
		return TS_ENOMEM;
	}

	/*
	 * Carve [start, start + total) out of f = [f_start, f_end):
	 *
	 *   exact:   |<------ busy ------>|          f leaves the free tree, becomes busy
	 *   left:    |<- busy ->|<-- f -->|          f shrinks from the left
	 *   right:   |<-- f -->|<- busy ->|          f shrinks from the right
	 *   middle:  |<- f ->|<- busy ->|<- new ->|  f keeps the left part, a new free area the right
	 *
	 * f's start only moves up within its own old range, so the free tree's
	 * order holds and only the augmented maxima above f need updating.
	 */
	if (start == f_start && start + total == f_end) {
		free_tree_erase(vs, f);
		busy = f;
	} else {
		busy = desc_get(vs);
		if (start == f_start) {
			f->start += total;
			f->size_bytes -= total;
			free_augment_propagate(&f->node, NULL);
		} else if (start + total == f_end) {
			f->size_bytes -= total;
			free_augment_propagate(&f->node, NULL);
		} else {
			struct va_area *right = desc_get(vs);

			f->size_bytes = start - f_start;
			free_augment_propagate(&f->node, NULL);
			right->start = start + total;
			right->size_bytes = f_end - right->start;
			free_tree_insert(vs, right);
		}
	}
	busy->start = start;
	busy->size_bytes = total;
	busy->guard_bytes = guard_bytes;
	busy->subtree_max_bytes = 0;
	busy->owner = owner;
	busy_tree_insert(vs, busy);

	vs->stats.allocs++;
	vs->stats.busy_areas++;
	vs->stats.busy_bytes += total;
	if (vs->stats.busy_bytes > vs->stats.peak_busy_bytes)
		vs->stats.peak_busy_bytes = vs->stats.busy_bytes;
	*out = busy;
	return 0;
}

void vaspace_free(struct vaspace *vs, struct va_area *a)
{
	struct rb_node *n = vs->free_root.rb_node;
	struct va_area *prev = NULL, *next = NULL;
	bool merge_prev, merge_next;

	rb_erase(&a->node, &vs->busy_root);
	vs->stats.frees++;
	vs->stats.busy_areas--;
	vs->stats.busy_bytes -= a->size_bytes;

	/* The free neighbours: closest free area below and above a. */
	while (n) {
		struct va_area *cur = to_area(n);

		if (cur->start < a->start) {
			prev = cur;
			n = n->rb_right;
		} else {
			next = cur;
			n = n->rb_left;
		}
	}
	merge_prev = prev && area_end(prev) == a->start;
	merge_next = next && area_end(a) == next->start;

	/*
	 *   both:  |<- prev ->|<- a ->|<- next ->|  -> prev grows over a and next
	 *   prev:  |<- prev ->|<- a ->|  busy       -> prev grows over a
	 *   next:    busy     |<- a ->|<- next ->|  -> next grows down over a
	 *   none:    busy     |<- a ->|  busy       -> a joins the free tree
	 */
	if (merge_prev && merge_next) {
		uint64_t next_size = next->size_bytes;

		free_tree_erase(vs, next);
		desc_put(vs, next);
		prev->size_bytes += a->size_bytes + next_size;
		free_augment_propagate(&prev->node, NULL);
		desc_put(vs, a);
	} else if (merge_prev) {
		prev->size_bytes += a->size_bytes;
		free_augment_propagate(&prev->node, NULL);
		desc_put(vs, a);
	} else if (merge_next) {
		next->start = a->start;
		next->size_bytes += a->size_bytes;
		free_augment_propagate(&next->node, NULL);
		desc_put(vs, a);
	} else {
		a->guard_bytes = 0;
		a->owner = NULL;
		free_tree_insert(vs, a);
	}
}

struct va_area *vaspace_find(const struct vaspace *vs, vaddr_t va)
{
	const struct rb_node *n = vs->busy_root.rb_node;
	uint64_t v = va_addr(va);

	while (n) {
		struct va_area *a = to_area(n);

		if (v < a->start)
			n = n->rb_left;
		else if (v - a->start >= a->size_bytes)
			n = n->rb_right;
		else
			return a;
	}
	return NULL;
}

struct va_area *vaspace_first_busy(const struct vaspace *vs)
{
	return to_area(rb_first(&vs->busy_root));
}

struct va_area *vaspace_next_busy(const struct va_area *area)
{
	return to_area(rb_next(&area->node));
}

static int cmp_start(const struct rb_node *a, const struct rb_node *b)
{
	return to_area(a)->start < to_area(b)->start ? -1 : to_area(a)->start > to_area(b)->start;
}

int vaspace_check(const struct vaspace *vs)
{
	const struct rb_node *fn, *bn;
	const struct va_area *u;
	size_t n_free, n_busy;
	uint64_t cursor = vs->base, busy_bytes = 0, n_unused = 0;
	bool last_was_free = false;

	if (rb_check(&vs->free_root, cmp_start, free_augment_augment_ok, &n_free) ||
	    rb_check(&vs->busy_root, cmp_start, NULL, &n_busy))
		return TS_EINVAL;
	if (n_free != vs->stats.free_areas || n_busy != vs->stats.busy_areas)
		return TS_EINVAL;

	/* Walk both trees in address order: together they must tile the range. */
	fn = rb_first(&vs->free_root);
	bn = rb_first(&vs->busy_root);
	while (fn || bn) {
		bool take_free = fn && (!bn || to_area(fn)->start < to_area(bn)->start);
		const struct va_area *a = to_area(take_free ? fn : bn);

		if (a->start != cursor || a->size_bytes == 0 || (a->size_bytes & SMALL_PAGE_MASK) ||
		    a->size_bytes > vs->base + vs->size_bytes - cursor)
			return TS_EINVAL;
		if (a->state != (take_free ? VA_AREA_FREE : VA_AREA_BUSY))
			return TS_EINVAL;
		if (take_free && last_was_free)
			return TS_EINVAL; /* two touching free areas were not merged */
		if (!take_free) {
			if (a->guard_bytes >= a->size_bytes || (a->guard_bytes & SMALL_PAGE_MASK))
				return TS_EINVAL;
			busy_bytes += a->size_bytes;
		}
		last_was_free = take_free;
		cursor += a->size_bytes;
		if (take_free)
			fn = rb_next(fn);
		else
			bn = rb_next(bn);
	}
	if (cursor != vs->base + vs->size_bytes || busy_bytes != vs->stats.busy_bytes)
		return TS_EINVAL;
	for (u = vs->unused; u && n_unused <= vs->n_descs; u = u->next_unused, n_unused++)
		if (u->state != VA_AREA_UNUSED || u < vs->descs || u >= vs->descs + vs->n_descs)
			return TS_EINVAL;
	if (n_unused != vs->n_unused || n_free + n_busy + n_unused != vs->n_descs)
		return TS_EINVAL;
	return 0;
}
