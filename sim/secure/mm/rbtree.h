/*
 * Intrusive, optionally augmented red-black tree for the secure core.
 *
 * The shape follows Linux include/linux/rbtree.h: the user embeds a struct rb_node in
 * its own object, walks the tree itself to find the insertion point (so the tree never
 * needs a comparison callback or allocates anything), links the node and then asks the
 * tree to rebalance.  Lookups are plain loops in the caller, written against its own key.
 *
 * Augmented trees keep a per-node value summarising the node's subtree (e.g. the largest
 * free area below a vmalloc-style free-area node, which makes lowest-fit O(log n)).
 * Rebalancing moves subtrees around, so the tree tells the user through three callbacks
 * (struct rb_augment_callbacks); RB_DECLARE_CALLBACKS_MAX() writes them for the common
 * "maximum of a per-node value over the subtree" case.
 *
 * Equal keys: the tree only knows the order in which nodes were linked.  A caller that
 * may hold several objects with the same key must define a strict order for them itself
 * (e.g. always descend right on equality, or compare a tie-breaking sequence number) and
 * use the same order in its lookups; rb_check() with a cmp callback insists on a *strict*
 * in-order sequence (cmp(prev, next) < 0), so its cmp must include the tie-breaker.
 *
 * Concurrency: none.  The secure core serialises access to each tree with its own lock.
 */
#ifndef TEESHM_SECURE_MM_RBTREE_H
#define TEESHM_SECURE_MM_RBTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One tree node.  parent_color holds the parent pointer with the colour in bit 0
 * (RB_RED == 0, RB_BLACK == 1); nodes are pointer-aligned so that bit is always free.
 */
struct rb_node {
	uintptr_t parent_color;
	struct rb_node *rb_left;
	struct rb_node *rb_right;
};

struct rb_root {
	struct rb_node *rb_node;
};

#define RB_RED ((uintptr_t)0)
#define RB_BLACK ((uintptr_t)1)
#define RB_COLOR_MASK ((uintptr_t)1)

#define RB_ROOT ((struct rb_root){ NULL })

/* The object embedding @ptr; @ptr must not be NULL. */
#define rb_entry(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
/* As rb_entry() but NULL-tolerant; evaluates @ptr twice. */
#define rb_entry_safe(ptr, type, member) ((ptr) ? rb_entry(ptr, type, member) : NULL)

#define RB_EMPTY_ROOT(root) ((root)->rb_node == NULL)
/*
 * A node that is in no tree points at itself as parent: rb_erase() does not do this,
 * callers that need to tell "linked" from "unlinked" call RB_CLEAR_NODE() after erasing.
 */
#define RB_EMPTY_NODE(node) ((node)->parent_color == (uintptr_t)(node))
#define RB_CLEAR_NODE(node) ((node)->parent_color = (uintptr_t)(node))

static inline struct rb_node *rb_parent(const struct rb_node *node)
{
	return (struct rb_node *)(node->parent_color & ~RB_COLOR_MASK);
}

static inline uintptr_t rb_color(const struct rb_node *node)
{
	return node->parent_color & RB_COLOR_MASK;
}

static inline bool rb_is_red(const struct rb_node *node)
{
	return rb_color(node) == RB_RED;
}

static inline bool rb_is_black(const struct rb_node *node)
{
	return rb_color(node) == RB_BLACK;
}

/*
 * Hang @node (red, childless) at *@link, which is @parent's left or right slot or the
 * root slot (then @parent is NULL).  Follow with rb_insert_color() or rb_insert_augmented().
 */
static inline void rb_link_node(struct rb_node *node, struct rb_node *parent, struct rb_node **link)
{
	node->parent_color = (uintptr_t)parent | RB_RED;
	node->rb_left = NULL;
	node->rb_right = NULL;
	*link = node;
}

/* Rebalance after rb_link_node().  O(log n), at most two rotations. */
void rb_insert_color(struct rb_node *node, struct rb_root *root);
/*
 * Unlink @node and rebalance.  O(log n), at most three rotations.  @node's own fields are
 * left stale (use RB_CLEAR_NODE() if it matters); @node must be in @root.
 */
void rb_erase(struct rb_node *node, struct rb_root *root);

/*
 * Augmentation hooks, called by the tree while it restructures:
 *  propagate(node, stop): recompute the value of @node and its ancestors, stopping before
 *                         @stop (NULL: up to the root).  May stop early once a recomputed
 *                         value is unchanged, since nothing above can then change.
 *  copy(old, new):        @new now sits where @old sat and spans the same nodes; copy
 *                         @old's value to @new.
 *  rotate(old, new):      a rotation made @new the root of the subtree @old used to root:
 *                         @new takes @old's value, @old is recomputed from its children.
 */
struct rb_augment_callbacks {
	void (*propagate)(struct rb_node *node, struct rb_node *stop);
	void (*copy)(struct rb_node *old, struct rb_node *new);
	void (*rotate)(struct rb_node *old, struct rb_node *new);
};

/*
 * Contract (same as Linux): before rb_link_node(), the caller has already made the
 * augmented value of every node on the path from the root to the new node's parent
 * account for the new node, and has set the new node's own value.  Two ways to do it:
 *  - while descending to find the slot, raise each visited node's value (cheap, one pass);
 *  - or set the new node's value, rb_link_node(), then call the generated
 *    NAME_propagate(parent, NULL) (RB_DECLARE_CALLBACKS_MAX) on the new node's parent.
 * rb_insert_augmented() then keeps the values right across its rotations.
 */
void rb_insert_augmented(struct rb_node *node, struct rb_root *root,
			 const struct rb_augment_callbacks *augment);
/* rb_erase() that keeps augmented values right; no caller work needed before or after. */
void rb_erase_augmented(struct rb_node *node, struct rb_root *root,
			const struct rb_augment_callbacks *augment);

/*
 * In-order navigation.  rb_first/rb_last are O(log n); rb_next/rb_prev are O(log n) worst
 * case and O(1) amortised over a full walk.  They return NULL past the end, for an empty
 * tree, and for a NULL or RB_EMPTY_NODE() node.
 */
struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_last(const struct rb_root *root);
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

/*
 * Put @new_node in @victim's place (same position, same colour) without rebalancing.
 * The caller guarantees @new_node sorts exactly where @victim did; in an augmented tree
 * it must also carry @victim's augmented value.  @victim's fields are left stale.
 */
void rb_replace_node(struct rb_node *victim, struct rb_node *new_node, struct rb_root *root);

/* No rb-tree that fits in a 64-bit address space is deeper than 2*log2(n+1) < 128. */
#define RB_CHECK_MAX_DEPTH 128

/*
 * Invariant checker.  Returns 0 if @root is a valid red-black tree:
 *  - every child's parent pointer names the node it hangs from, the root's names NULL,
 *    a node's two children are distinct, and child pointers are node-aligned;
 *  - the root is black, no red node has a red child, every root-to-NULL path has the
 *    same number of black nodes, and no path is deeper than RB_CHECK_MAX_DEPTH;
 *  - if @cmp is not NULL, cmp(a, b) < 0 for every in-order neighbour pair a, b;
 *  - if @augment_ok is not NULL, it returns true for every node.
 * Otherwise returns TS_EINVAL (also for a NULL @root).  *@count_out (if not NULL) gets the
 * number of nodes visited: the node count when 0 is returned.
 *
 * Termination on corrupt trees: the walk is iterative (no recursion, O(1) space) and
 * enters a node only through a child slot after checking that the node's parent pointer
 * names that slot's owner and that the owner's two children differ.  Each node therefore
 * has at most one way in, so a cycle or a shared subtree is reported instead of walked
 * forever; ascending follows only parent pointers already checked on the way down.  It
 * cannot defend against child pointers into unmapped memory.
 */
int rb_check(const struct rb_root *root,
	     int (*cmp)(const struct rb_node *a, const struct rb_node *b),
	     bool (*augment_ok)(const struct rb_node *n), size_t *count_out);

/*
 * Define augmentation callbacks for "RBAUGMENTED = max of RBCOMPUTE(node) over the subtree".
 *   RBSTATIC    'static' or empty: linkage of the callbacks object
 *   RBNAME      name of the const struct rb_augment_callbacks object; the helpers below
 *               are named RBNAME##_...
 *   RBSTRUCT    the user's struct type, e.g. struct vmap_area
 *   RBFIELD     its struct rb_node member
 *   RBTYPE      scalar type of the value, e.g. uint64_t
 *   RBAUGMENTED the member that caches the subtree maximum
 *   RBCOMPUTE   function or macro: RBTYPE RBCOMPUTE(RBSTRUCT *node), the node's own value
 * Also generated, for callers:
 *   RBTYPE RBNAME##_compute_max(RBSTRUCT *node): max of the node's own value and its
 *                                                 children's cached RBAUGMENTED
 *   void RBNAME##_propagate(struct rb_node *rb, struct rb_node *stop): call after changing
 *          a linked node's own value in place, with @rb = that node and stop = NULL
 *   bool RBNAME##_augment_ok(const struct rb_node *rb): the cached value is right (for
 *          rb_check(); assumes the children's values are right, which rb_check checks too)
 */
#define RB_DECLARE_CALLBACKS_MAX(RBSTATIC, RBNAME, RBSTRUCT, RBFIELD, RBTYPE, RBAUGMENTED,      \
				 RBCOMPUTE)                                                    \
	static inline RBTYPE RBNAME##_compute_max(RBSTRUCT *node)                              \
	{                                                                                      \
		RBTYPE max_value = RBCOMPUTE(node);                                            \
		RBSTRUCT *child;                                                               \
                                                                                               \
		if (node->RBFIELD.rb_left) {                                                   \
			child = rb_entry(node->RBFIELD.rb_left, RBSTRUCT, RBFIELD);            \
			if (child->RBAUGMENTED > max_value)                                    \
				max_value = child->RBAUGMENTED;                                \
		}                                                                              \
		if (node->RBFIELD.rb_right) {                                                  \
			child = rb_entry(node->RBFIELD.rb_right, RBSTRUCT, RBFIELD);           \
			if (child->RBAUGMENTED > max_value)                                    \
				max_value = child->RBAUGMENTED;                                \
		}                                                                              \
		return max_value;                                                              \
	}                                                                                      \
                                                                                               \
	static void RBNAME##_propagate(struct rb_node *rb, struct rb_node *stop)               \
	{                                                                                      \
		while (rb != stop) {                                                           \
			RBSTRUCT *node = rb_entry(rb, RBSTRUCT, RBFIELD);                      \
			RBTYPE max_value = RBNAME##_compute_max(node);                         \
                                                                                               \
			/* Unchanged here means unchanged all the way up. */                   \
			if (node->RBAUGMENTED == max_value)                                    \
				break;                                                         \
			node->RBAUGMENTED = max_value;                                         \
			rb = rb_parent(&node->RBFIELD);                                        \
		}                                                                              \
	}                                                                                      \
                                                                                               \
	static void RBNAME##_copy(struct rb_node *rb_old, struct rb_node *rb_new)              \
	{                                                                                      \
		rb_entry(rb_new, RBSTRUCT, RBFIELD)->RBAUGMENTED =                             \
			rb_entry(rb_old, RBSTRUCT, RBFIELD)->RBAUGMENTED;                      \
	}                                                                                      \
                                                                                               \
	static void RBNAME##_rotate(struct rb_node *rb_old, struct rb_node *rb_new)            \
	{                                                                                      \
		RBSTRUCT *old_node = rb_entry(rb_old, RBSTRUCT, RBFIELD);                      \
                                                                                               \
		rb_entry(rb_new, RBSTRUCT, RBFIELD)->RBAUGMENTED = old_node->RBAUGMENTED;      \
		old_node->RBAUGMENTED = RBNAME##_compute_max(old_node);                        \
	}                                                                                      \
                                                                                               \
	static inline bool RBNAME##_augment_ok(const struct rb_node *rb)                       \
	{                                                                                      \
		RBSTRUCT *node = rb_entry(rb, RBSTRUCT, RBFIELD);                              \
                                                                                               \
		return node->RBAUGMENTED == RBNAME##_compute_max(node);                        \
	}                                                                                      \
                                                                                               \
	RBSTATIC const struct rb_augment_callbacks RBNAME = {                                  \
		.propagate = RBNAME##_propagate,                                               \
		.copy = RBNAME##_copy,                                                         \
		.rotate = RBNAME##_rotate,                                                     \
	}

#endif
