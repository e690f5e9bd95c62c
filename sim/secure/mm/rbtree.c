/*
 * Red-black tree rebalancing, navigation and invariant checking (see rbtree.h).
 *
 * The rules kept: (1) the root is black, (2) a red node has no red child, (3) every path
 * from a node down to a NULL slot crosses the same number of black nodes.  Together they
 * bound the depth by 2*log2(n+1).  Left and right cases are mirror images, so the code
 * is written once against a direction index instead of twice with rb_left/rb_right.
 */
#include "sim/secure/mm/rbtree.h"

#include "sim/common/ts_err.h"

enum rb_dir { RB_DIR_LEFT = 0, RB_DIR_RIGHT = 1 };

static inline struct rb_node **rb_slot(struct rb_node *node, int dir)
{
	return dir == RB_DIR_LEFT ? &node->rb_left : &node->rb_right;
}

static inline void rb_set_parent(struct rb_node *node, struct rb_node *parent)
{
	node->parent_color = (uintptr_t)parent | rb_color(node);
}

static inline void rb_set_color(struct rb_node *node, uintptr_t color)
{
	node->parent_color = (node->parent_color & ~RB_COLOR_MASK) | color;
}

/* NULL slots count as black. */
static inline bool rb_node_is_red(const struct rb_node *node)
{
	return node && rb_is_red(node);
}

/* Make whatever pointed at @old (its parent's slot or the root) point at @new. */
static inline void rb_change_child(struct rb_node *old, struct rb_node *new,
				   struct rb_node *parent, struct rb_root *root)
{
	if (!parent)
		root->rb_node = new;
	else if (parent->rb_left == old)
		parent->rb_left = new;
	else
		parent->rb_right = new;
}

/*
 * Rotate @top down towards @dir; its child on the other side rises into its place.
 * For dir == RB_DIR_LEFT:
 *
 *        top                 up
 *       /   \               /  \
 *      a     up     =>    top   c
 *           /  \         /   \
 *          b    c       a     b
 *
 * Colours are untouched (callers recolour).  @up now spans exactly what @top spanned,
 * which is what the augmented rotate callback is told.
 */
static void rb_rotate(struct rb_root *root, struct rb_node *top, int dir,
		      const struct rb_augment_callbacks *augment)
{
	struct rb_node *up = *rb_slot(top, !dir);
	struct rb_node *inner = *rb_slot(up, dir);
	struct rb_node *parent = rb_parent(top);

	*rb_slot(top, !dir) = inner;
	if (inner)
		rb_set_parent(inner, top);
	*rb_slot(up, dir) = top;
	rb_set_parent(top, up);
	rb_set_parent(up, parent);
	rb_change_child(top, up, parent, root);
	if (augment)
		augment->rotate(top, up);
}

/*
 * @node is red and freshly linked (or just turned red by a colour flip); the only rule
 * that can be broken is "no red child of a red parent", between @node and its parent.
 */
static void rb_insert_fixup(struct rb_node *node, struct rb_root *root,
			    const struct rb_augment_callbacks *augment)
{
	struct rb_node *parent, *grandparent, *uncle, *tmp;
	int side;

	for (;;) {
		parent = rb_parent(node);
		if (!parent) {
			/* Painting the root black adds one black to every path: harmless. */
			rb_set_color(node, RB_BLACK);
			return;
		}
		if (rb_is_black(parent))
			return;

		/* A red parent is not the root, so the grandparent exists (and is black). */
		grandparent = rb_parent(parent);
		side = grandparent->rb_left == parent ? RB_DIR_LEFT : RB_DIR_RIGHT;
		uncle = *rb_slot(grandparent, !side);

		if (rb_node_is_red(uncle)) {
			/*
			 * Push the grandparent's black down to both children; black counts are
			 * unchanged but the grandparent may now be a red child of a red node.
			 *
			 *       g(B)              g(R)
			 *      /    \            /    \
			 *    p(R)   u(R)  =>   p(B)   u(B)
			 *    /                 /
			 *  n(R)              n(R)
			 */
			rb_set_color(parent, RB_BLACK);
			rb_set_color(uncle, RB_BLACK);
			rb_set_color(grandparent, RB_RED);
			node = grandparent;
			continue;
		}

		if (node == *rb_slot(parent, !side)) {
			/* Inner grandchild: rotate it to the outside so one rotation finishes. */
			rb_rotate(root, parent, side, augment);
			tmp = node;
			node = parent;
			parent = tmp;
		}

		/*
		 * Outer grandchild, black uncle: lift the parent over the grandparent.
		 *
		 *         g(B)            p(B)
		 *        /    \          /    \
		 *      p(R)   u(B) =>  n(R)   g(R)
		 *      /                         \
		 *    n(R)                        u(B)
		 */
		rb_rotate(root, grandparent, !side, augment);
		rb_set_color(parent, RB_BLACK);
		rb_set_color(grandparent, RB_RED);
		return;
	}
}

void rb_insert_color(struct rb_node *node, struct rb_root *root)
{
	rb_insert_fixup(node, root, NULL);
}

void rb_insert_augmented(struct rb_node *node, struct rb_root *root,
			 const struct rb_augment_callbacks *augment)
{
	rb_insert_fixup(node, root, augment);
}

/*
 * Remove @node from the tree shape and fix augmented values.  Returns the node under
 * which one side is now one black short (its empty slot is where a black node vanished),
 * or NULL when colours alone already fixed the black counts.
 */
static struct rb_node *rb_erase_unlink(struct rb_node *node, struct rb_root *root,
				       const struct rb_augment_callbacks *augment)
{
	struct rb_node *left = node->rb_left, *right = node->rb_right;
	struct rb_node *parent = rb_parent(node);
	uintptr_t node_pc = node->parent_color;
	struct rb_node *rebalance = NULL, *propagate_from;

	if (!left || !right) {
		struct rb_node *child = left ? left : right;

		rb_change_child(node, child, parent, root);
		if (child) {
			/*
			 * Rule 3 forces a lone child to be red under a black node; giving
			 * it the node's parent and black colour keeps every count.
			 */
			child->parent_color = node_pc;
		} else if (rb_is_black(node)) {
			rebalance = parent;
		}
		propagate_from = parent;
	} else {
		/*
		 * Two children: the in-order successor (leftmost of the right subtree, no
		 * left child of its own) takes @node's place and colour, so the missing
		 * node is effectively the successor's old position.
		 */
		struct rb_node *successor = right, *succ_parent, *succ_child;

		if (!successor->rb_left) {
			/* Successor is @node's right child; it keeps its right subtree. */
			succ_parent = successor;
			succ_child = successor->rb_right;
			if (augment)
				augment->copy(node, successor);
		} else {
			do
				successor = successor->rb_left;
			while (successor->rb_left);
			succ_parent = rb_parent(successor);
			succ_child = successor->rb_right;
			succ_parent->rb_left = succ_child;
			successor->rb_right = right;
			rb_set_parent(right, successor);
			if (augment) {
				augment->copy(node, successor);
				/* The path from the old spot up to the successor lost it. */
				augment->propagate(succ_parent, successor);
			}
		}
		successor->rb_left = left;
		rb_set_parent(left, successor);
		rb_change_child(node, successor, parent, root);

		if (succ_child) {
			/* Red child of a black successor: repaint it black in its place. */
			succ_child->parent_color = (uintptr_t)succ_parent | RB_BLACK;
		} else if (rb_is_black(successor)) {
			rebalance = succ_parent;
		}
		successor->parent_color = node_pc;
		propagate_from = successor;
	}

	if (augment)
		augment->propagate(propagate_from, NULL);
	return rebalance;
}

/*
 * The subtree in @parent's slot that is @node (NULL at first: the emptied slot) has one
 * black fewer on every path than its sibling's subtree.  Fix that by recolouring and at
 * most three rotations, or push the deficit one level up.
 */
static void rb_erase_fixup(struct rb_node *parent, struct rb_root *root,
			   const struct rb_augment_callbacks *augment)
{
	struct rb_node *node = NULL, *sibling, *near, *far;
	int dir;

	for (;;) {
		/*
		 * The sibling subtree has at least one black node, so it is not empty and
		 * comparing slots against @node (even NULL) tells the sides apart.
		 */
		dir = parent->rb_left == node ? RB_DIR_LEFT : RB_DIR_RIGHT;
		sibling = *rb_slot(parent, !dir);

		if (rb_is_red(sibling)) {
			/*
			 * Make the sibling black by rotating the red one above the parent;
			 * the new sibling is one of its (black, non-NULL) children.
			 *
			 *     p(B)               s(B)
			 *    /    \             /    \
			 *   N     s(R)   =>   p(R)   sr(B)
			 *        /    \       /  \
			 *     sl(B)  sr(B)   N   sl(B)
			 */
			rb_rotate(root, parent, dir, augment);
			rb_set_color(sibling, RB_BLACK);
			rb_set_color(parent, RB_RED);
			sibling = *rb_slot(parent, !dir);
		}

		near = *rb_slot(sibling, dir);
		far = *rb_slot(sibling, !dir);

		if (!rb_node_is_red(far)) {
			if (!rb_node_is_red(near)) {
				/*
				 * Black sibling with black children: repaint it red so both
				 * sides are short; a red parent absorbs that by turning black,
				 * a black one passes the deficit to its own parent.
				 */
				rb_set_color(sibling, RB_RED);
				if (rb_is_red(parent)) {
					rb_set_color(parent, RB_BLACK);
					return;
				}
				node = parent;
				parent = rb_parent(node);
				if (!parent)
					return; /* every path lost one black: still valid */
				continue;
			}
			/*
			 * Only the near nephew is red: rotate it up over the sibling so the
			 * red one is on the far side, then finish below.
			 *
			 *      s(B)            sl(R)
			 *     /    \              \
			 *   sl(R)  sr(B)   =>     s(B)
			 *                            \
			 *                            sr(B)
			 */
			rb_rotate(root, sibling, !dir, augment);
			far = sibling;
			sibling = near;
		}

		/*
		 * Far nephew red: lift the sibling over the parent.  The sibling takes the
		 * parent's colour, parent and far nephew turn black, and the short side
		 * gains the black parent.
		 *
		 *     p(?)                s(?)
		 *    /    \              /    \
		 *   N     s(B)    =>   p(B)   sr(B)
		 *        /    \        /  \
		 *       sl    sr(R)   N    sl
		 */
		rb_rotate(root, parent, dir, augment);
		rb_set_color(sibling, rb_color(parent));
		rb_set_color(parent, RB_BLACK);
		rb_set_color(far, RB_BLACK);
		return;
	}
}

void rb_erase(struct rb_node *node, struct rb_root *root)
{
	struct rb_node *rebalance = rb_erase_unlink(node, root, NULL);

	if (rebalance)
		rb_erase_fixup(rebalance, root, NULL);
}

void rb_erase_augmented(struct rb_node *node, struct rb_root *root,
			const struct rb_augment_callbacks *augment)
{
	struct rb_node *rebalance = rb_erase_unlink(node, root, augment);

	if (rebalance)
		rb_erase_fixup(rebalance, root, augment);
}

static struct rb_node *rb_extreme(const struct rb_root *root, int dir)
{
	struct rb_node *node = root->rb_node;

	if (!node)
		return NULL;
	while (*rb_slot(node, dir))
		node = *rb_slot(node, dir);
	return node;
}

/* In-order neighbour of @node towards @dir. */
static struct rb_node *rb_step(const struct rb_node *node, int dir)
{
	struct rb_node *cur, *parent;

	if (!node || RB_EMPTY_NODE(node))
		return NULL;

	cur = (struct rb_node *)node;
	if (*rb_slot(cur, dir)) {
		/* Extreme node of the subtree on that side. */
		cur = *rb_slot(cur, dir);
		while (*rb_slot(cur, !dir))
			cur = *rb_slot(cur, !dir);
		return cur;
	}
	/* Climb while we are on the @dir side of our parent; that parent is done. */
	while ((parent = rb_parent(cur)) && cur == *rb_slot(parent, dir))
		cur = parent;
	return parent;
}

struct rb_node *rb_first(const struct rb_root *root)
{
	return rb_extreme(root, RB_DIR_LEFT);
}

struct rb_node *rb_last(const struct rb_root *root)
{
	return rb_extreme(root, RB_DIR_RIGHT);
}

struct rb_node *rb_next(const struct rb_node *node)
{
	return rb_step(node, RB_DIR_RIGHT);
}

struct rb_node *rb_prev(const struct rb_node *node)
{
	return rb_step(node, RB_DIR_LEFT);
}

void rb_replace_node(struct rb_node *victim, struct rb_node *new_node, struct rb_root *root)
{
	struct rb_node *parent = rb_parent(victim);

	*new_node = *victim;
	if (victim->rb_left)
		rb_set_parent(victim->rb_left, new_node);
	if (victim->rb_right)
		rb_set_parent(victim->rb_right, new_node);
	rb_change_child(victim, new_node, parent, root);
}

/* State of the rb_check() walk, kept together so the helpers stay small. */
struct rb_check_walk {
	size_t depth;		/* nodes on the path from the root to the current node */
	size_t black_depth;	/* black nodes on that path */
	size_t leaf_black_depth; /* black_depth at the first NULL slot seen, 0: none yet */
};

static inline bool rb_ptr_aligned(const struct rb_node *node)
{
	return ((uintptr_t)node % _Alignof(struct rb_node)) == 0;
}

/*
 * Checks made before stepping from @parent down into @child, so that the walk never
 * dereferences a pointer it has not vetted and never enters a node by a second way.
 */
static int rb_check_edge(const struct rb_node *parent, const struct rb_node *child,
			 const struct rb_check_walk *walk)
{
	if (!rb_ptr_aligned(child))
		return TS_EINVAL;
	if (rb_parent(child) != parent)
		return TS_EINVAL;
	if (rb_is_red(parent) && rb_is_red(child))
		return TS_EINVAL;
	if (walk->depth >= RB_CHECK_MAX_DEPTH)
		return TS_EINVAL;
	if (child->rb_left && child->rb_left == child->rb_right)
		return TS_EINVAL;
	return 0;
}

/* Every NULL slot must sit below the same number of black nodes. */
static int rb_check_leaf(struct rb_check_walk *walk)
{
	if (!walk->leaf_black_depth)
		walk->leaf_black_depth = walk->black_depth;
	return walk->black_depth == walk->leaf_black_depth ? 0 : TS_EINVAL;
}

static void rb_check_descend(struct rb_check_walk *walk, const struct rb_node *child)
{
	walk->depth++;
	walk->black_depth += rb_is_black(child);
}

int rb_check(const struct rb_root *root,
	     int (*cmp)(const struct rb_node *a, const struct rb_node *b),
	     bool (*augment_ok)(const struct rb_node *n), size_t *count_out)
{
	struct rb_check_walk walk = { .depth = 1, .black_depth = 1, .leaf_black_depth = 0 };
	const struct rb_node *node, *child, *parent, *prev = NULL;
	bool from_left;
	size_t count = 0;
	int err = 0;

	if (count_out)
		*count_out = 0;
	if (!root)
		return TS_EINVAL;
	node = root->rb_node;
	if (!node)
		return 0;
	/* Root: aligned, no parent, black, distinct children. */
	if (!rb_ptr_aligned(node) || node->parent_color != RB_BLACK ||
	    (node->rb_left && node->rb_left == node->rb_right))
		return TS_EINVAL;

	/*
	 * Iterative in-order walk over parent pointers.  Each pass of the loop arrives at a
	 * node whose left subtree is done, so it checks the node itself, then either goes
	 * down the right subtree to its leftmost node or climbs to the next unvisited
	 * ancestor.
	 */
	for (;;) {
		/* Descend to the leftmost node of the subtree at @node. */
		while ((child = node->rb_left)) {
			err = rb_check_edge(node, child, &walk);
			if (err)
				goto out;
			rb_check_descend(&walk, child);
			node = child;
		}

		for (;;) {
			/* Visit @node: its left subtree is fully checked. */
			if (!node->rb_left) {
				err = rb_check_leaf(&walk);
				if (err)
					goto out;
			}
			if (augment_ok && !augment_ok(node)) {
				err = TS_EINVAL;
				goto out;
			}
			if (cmp && prev && cmp(prev, node) >= 0) {
				err = TS_EINVAL;
				goto out;
			}
			prev = node;
			count++;

			child = node->rb_right;
			if (child) {
				err = rb_check_edge(node, child, &walk);
				if (err)
					goto out;
				rb_check_descend(&walk, child);
				node = child;
				break; /* to the outer loop: leftmost of the right subtree */
			}
			err = rb_check_leaf(&walk);
			if (err)
				goto out;

			/* Climb out of finished right subtrees; stop below the first ancestor
			 * we reach from its left, which is the next node in order. */
			do {
				parent = rb_parent(node);
				if (!parent)
					goto out; /* climbed past the root: all done */
				from_left = parent->rb_left == node;
				walk.depth--;
				walk.black_depth -= rb_is_black(node);
				node = parent;
			} while (!from_left);
		}
	}

out:
	if (count_out)
		*count_out = count;
	return err;
}
