/*
 * Unit tests for the intrusive augmented red-black tree (sim/secure/mm/rbtree.c).
 *
 * Differential against a naive model (sorted key array + per-key size), fixed seeds,
 * rb_check() after every mutation.  The augmented value is "largest size in the
 * subtree", the shape a vmalloc-style free-area tree uses for lowest-fit search.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "sim/common/ts_err.h"
#include "sim/secure/mm/rbtree.h"

struct item {
	struct rb_node rb;
	uint32_t key;
	uint32_t seq; /* tie-breaker for equal keys (test_duplicates) */
	uint32_t size;
	uint32_t subtree_max_size;
};

static uint32_t item_size(const struct item *it)
{
	return it->size;
}

RB_DECLARE_CALLBACKS_MAX(static, item_cb, struct item, rb, uint32_t, subtree_max_size,
			 item_size);

static struct item *to_item(const struct rb_node *rb)
{
	return rb_entry(rb, struct item, rb);
}

/* Strict order: key, then seq. */
static bool item_less(const struct item *a, const struct item *b)
{
	return a->key != b->key ? a->key < b->key : a->seq < b->seq;
}

static int item_cmp(const struct rb_node *a, const struct rb_node *b)
{
	const struct item *x = to_item(a), *y = to_item(b);

	if (item_less(x, y))
		return -1;
	return item_less(y, x) ? 1 : 0;
}

static int item_cmp_key_only(const struct rb_node *a, const struct rb_node *b)
{
	const struct item *x = to_item(a), *y = to_item(b);

	return x->key < y->key ? -1 : x->key > y->key ? 1 : 0;
}

/* Written independently of the macro on purpose: the test should not trust the code under test. */
static bool item_augment_ok(const struct rb_node *rb)
{
	const struct item *it = to_item(rb);
	uint32_t want = it->size;

	if (rb->rb_left && to_item(rb->rb_left)->subtree_max_size > want)
		want = to_item(rb->rb_left)->subtree_max_size;
	if (rb->rb_right && to_item(rb->rb_right)->subtree_max_size > want)
		want = to_item(rb->rb_right)->subtree_max_size;
	return it->subtree_max_size == want;
}

/* Insert with the Linux contract: raise subtree maxima on the way down, then rebalance. */
static void item_insert(struct rb_root *root, struct item *it)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	it->subtree_max_size = it->size;
	while (*link) {
		struct item *cur = to_item(*link);

		parent = *link;
		if (cur->subtree_max_size < it->size)
			cur->subtree_max_size = it->size;
		link = item_less(it, cur) ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&it->rb, parent, link);
	rb_insert_augmented(&it->rb, root, &item_cb);
}

/* The other documented insert pattern: link first, then propagate from the parent. */
static void item_insert_then_propagate(struct rb_root *root, struct item *it)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = item_less(it, to_item(parent)) ? &parent->rb_left : &parent->rb_right;
	}
	it->subtree_max_size = it->size;
	rb_link_node(&it->rb, parent, link);
	item_cb_propagate(parent, NULL);
	rb_insert_augmented(&it->rb, root, &item_cb);
}

/* Plain (non-augmented) insert; subtree_max_size is not maintained. */
static void item_insert_plain(struct rb_root *root, struct item *it)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = item_less(it, to_item(parent)) ? &parent->rb_left : &parent->rb_right;
	}
	rb_link_node(&it->rb, parent, link);
	rb_insert_color(&it->rb, root);
}

static struct item *item_find(const struct rb_root *root, uint32_t key)
{
	const struct rb_node *node = root->rb_node;

	while (node) {
		struct item *cur = to_item(node);

		if (key == cur->key)
			return cur;
		node = key < cur->key ? node->rb_left : node->rb_right;
	}
	return NULL;
}

/* xorshift64*: small, fixed-seed, good enough to shuffle tree shapes. */
static uint64_t rng_state;

static void rng_seed(uint64_t seed)
{
	rng_state = seed ? seed : 1;
}

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

/* ---- reference model: sorted array of live keys, size per key ---- */

#define KEY_RANGE 600u /* toggling keys in [0, 600) settles around 300 live nodes */

static struct item pool[KEY_RANGE];
static uint32_t model_keys[KEY_RANGE];
static uint32_t model_size[KEY_RANGE];
static size_t model_count;

static void model_reset(void)
{
	model_count = 0;
	memset(pool, 0, sizeof(pool));
	memset(model_size, 0, sizeof(model_size));
}

/* Index of the first model key >= key. */
static size_t model_lower_bound(uint32_t key)
{
	size_t lo = 0, hi = model_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (model_keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool model_contains(uint32_t key)
{
	size_t i = model_lower_bound(key);

	return i < model_count && model_keys[i] == key;
}

static void model_insert(uint32_t key, uint32_t size)
{
	size_t i = model_lower_bound(key);

	memmove(&model_keys[i + 1], &model_keys[i], (model_count - i) * sizeof(model_keys[0]));
	model_keys[i] = key;
	model_size[key] = size;
	model_count++;
}

static void model_erase(uint32_t key)
{
	size_t i = model_lower_bound(key);

	memmove(&model_keys[i], &model_keys[i + 1], (model_count - i - 1) * sizeof(model_keys[0]));
	model_count--;
}

/* The tree is valid, holds exactly the model's keys in order with the model's sizes,
 * and the root's cached maximum is the model's maximum. */
static void verify_against_model(const struct rb_root *root)
{
	const struct rb_node *node;
	size_t count = 12345, i = 0;
	uint32_t max_size = 0;

	assert_int_equal(rb_check(root, item_cmp, item_augment_ok, &count), 0);
	assert_int_equal(count, model_count);
	for (node = rb_first(root); node; node = rb_next(node), i++) {
		assert_true(i < model_count);
		assert_int_equal(to_item(node)->key, model_keys[i]);
		assert_int_equal(to_item(node)->size, model_size[model_keys[i]]);
	}
	assert_int_equal(i, model_count);
	for (i = 0; i < model_count; i++)
		if (model_size[model_keys[i]] > max_size)
			max_size = model_size[model_keys[i]];
	if (model_count)
		assert_int_equal(to_item(root->rb_node)->subtree_max_size, max_size);
	else
		assert_null(root->rb_node);
}

/* forward rb_first/rb_next and backward rb_last/rb_prev both match the model exactly. */
static void verify_iteration(const struct rb_root *root)
{
	const struct rb_node *node;
	size_t i = 0;

	for (node = rb_first(root); node; node = rb_next(node), i++) {
		assert_true(i < model_count);
		assert_int_equal(to_item(node)->key, model_keys[i]);
	}
	assert_int_equal(i, model_count);

	for (node = rb_last(root); node; node = rb_prev(node)) {
		assert_true(i > 0);
		assert_int_equal(to_item(node)->key, model_keys[--i]);
	}
	assert_int_equal(i, 0);

	if (model_count) {
		assert_null(rb_next(rb_last(root)));
		assert_null(rb_prev(rb_first(root)));
	}
}

/*
 * One random mutation: toggle a random key (insert if absent, erase if present), or
 * with probability 1/8 change a live node's size in place and propagate.  The tree's
 * lookup must agree with the model on presence before the mutation.
 */
static void random_op(struct rb_root *root)
{
	uint64_t r = rng_next();
	uint32_t key = (uint32_t)(r % KEY_RANGE);
	uint32_t size = (uint32_t)((r >> 32) % 100000u) + 1;
	bool present = model_contains(key);
	struct item *found = item_find(root, key);

	assert_true(present == (found != NULL));
	if (found)
		assert_ptr_equal(found, &pool[key]);

	if ((r >> 20) % 8 == 0 && model_count) {
		uint32_t victim = model_keys[(r >> 24) % model_count];

		pool[victim].size = size;
		model_size[victim] = size;
		item_cb_propagate(&pool[victim].rb, NULL);
	} else if (present) {
		rb_erase_augmented(&pool[key].rb, root, &item_cb);
		model_erase(key);
	} else {
		pool[key].key = key;
		pool[key].size = size;
		if ((r >> 40) & 1)
			item_insert(root, &pool[key]);
		else
			item_insert_then_propagate(root, &pool[key]);
		model_insert(key, size);
	}
}

/*
 * 100,000 random inserts/erases/resizes keep the tree valid, augmented and equal to the
 * model after every single mutation.
 */
static void test_random_differential(void **state)
{
	struct rb_root root = RB_ROOT;
	size_t max_live = 0, min_live_late = KEY_RANGE;
	int op;

	(void)state;
	model_reset();
	rng_seed(0x7ee5a11ce5eedULL);
	for (op = 0; op < 100000; op++) {
		random_op(&root);
		verify_against_model(&root);
		if (model_count > max_live)
			max_live = model_count;
		if (op > 5000 && model_count < min_live_late)
			min_live_late = model_count;
	}
	/* The workload really did hover around a few hundred live nodes. */
	assert_true(max_live >= 300 && max_live <= KEY_RANGE);
	assert_true(min_live_late >= 200);
}

/*
 * On a random tree at checkpoints, rb_first/rb_next visit every node in order and
 * rb_last/rb_prev in reverse.
 */
static void test_iteration(void **state)
{
	struct rb_root root = RB_ROOT;
	int op;

	(void)state;
	model_reset();
	rng_seed(0x1234abcdULL);
	verify_iteration(&root);
	for (op = 1; op <= 20000; op++) {
		random_op(&root);
		if (op % 250 == 0) {
			assert_int_equal(rb_check(&root, item_cmp, item_augment_ok, NULL), 0);
			verify_iteration(&root);
		}
	}
}

/* The empty tree checks valid with count 0 and has no first, last, next or prev. */
static void test_empty_tree(void **state)
{
	struct rb_root root = RB_ROOT;
	struct item it = { .key = 1 };
	size_t count = 99;

	(void)state;
	assert_true(RB_EMPTY_ROOT(&root));
	assert_null(rb_first(&root));
	assert_null(rb_last(&root));
	assert_null(rb_next(NULL));
	assert_null(rb_prev(NULL));
	assert_int_equal(rb_check(&root, item_cmp, item_augment_ok, &count), 0);
	assert_int_equal(count, 0);
	assert_int_equal(rb_check(NULL, NULL, NULL, &count), TS_EINVAL);

	/* An unlinked (cleared) node has no neighbours. */
	RB_CLEAR_NODE(&it.rb);
	assert_true(RB_EMPTY_NODE(&it.rb));
	assert_null(rb_next(&it.rb));
	assert_null(rb_prev(&it.rb));
}

/* A single node is a black root that is both first and last, and erasing it empties the tree. */
static void test_single_node(void **state)
{
	struct rb_root root = RB_ROOT;
	struct item it = { .key = 7, .size = 42 };
	size_t count = 0;

	(void)state;
	RB_CLEAR_NODE(&it.rb);
	item_insert(&root, &it);
	assert_false(RB_EMPTY_NODE(&it.rb));
	assert_false(RB_EMPTY_ROOT(&root));
	assert_ptr_equal(root.rb_node, &it.rb);
	assert_true(rb_is_black(&it.rb));
	assert_null(rb_parent(&it.rb));
	assert_ptr_equal(rb_first(&root), &it.rb);
	assert_ptr_equal(rb_last(&root), &it.rb);
	assert_null(rb_next(&it.rb));
	assert_null(rb_prev(&it.rb));
	assert_int_equal(it.subtree_max_size, 42);
	assert_int_equal(rb_check(&root, item_cmp, item_augment_ok, &count), 0);
	assert_int_equal(count, 1);

	rb_erase_augmented(&it.rb, &root, &item_cb);
	assert_true(RB_EMPTY_ROOT(&root));
	assert_int_equal(rb_check(&root, item_cmp, item_augment_ok, &count), 0);
	assert_int_equal(count, 0);
}

/* Height of the subtree (nodes on the longest root-to-leaf path). */
static unsigned tree_height(const struct rb_node *node)
{
	unsigned l, r;

	if (!node)
		return 0;
	l = tree_height(node->rb_left);
	r = tree_height(node->rb_right);
	return 1 + (l > r ? l : r);
}

/* Black nodes on the leftmost path (equal on all paths once rb_check passed). */
static unsigned black_height(const struct rb_node *node)
{
	unsigned bh = 0;

	for (; node; node = node->rb_left)
		bh += rb_is_black(node);
	return bh;
}

/* height <= 2*log2(n+1)  <=>  2^height <= (n+1)^2, in integers. */
static bool height_within_bound(unsigned height, size_t n)
{
	uint64_t n1 = (uint64_t)n + 1;

	return height < 64 && ((uint64_t)1 << height) <= n1 * n1;
}

#define SEQ_COUNT 4096

static struct item seq_items[SEQ_COUNT];

static void run_monotonic_inserts(bool ascending)
{
	struct rb_root root = RB_ROOT;
	size_t count, i;
	const struct rb_node *node;

	memset(seq_items, 0, sizeof(seq_items));
	for (i = 0; i < SEQ_COUNT; i++) {
		struct item *it = &seq_items[i];

		it->key = ascending ? (uint32_t)i : (uint32_t)(SEQ_COUNT - 1 - i);
		it->size = (uint32_t)((i * 2654435761u) % 1000u);
		item_insert(&root, it);
		assert_int_equal(rb_check(&root, item_cmp, item_augment_ok, &count), 0);
		assert_int_equal(count, i + 1);
		assert_true(height_within_bound(tree_height(root.rb_node), i + 1));
		/* At least half the height is black, and bh black levels need 2^bh - 1 nodes. */
		assert_true(2 * black_height(root.rb_node) >= tree_height(root.rb_node));
		assert_true(((uint64_t)1 << black_height(root.rb_node)) <= (uint64_t)i + 2);
	}
	for (i = 0, node = rb_first(&root); node; node = rb_next(node), i++)
		assert_int_equal(to_item(node)->key, i);
	assert_int_equal(i, SEQ_COUNT);
	/* A naive BST would be SEQ_COUNT deep here; 2*log2(4097) < 25. */
	assert_true(tree_height(root.rb_node) <= 24);
}

/* Ascending and descending inserts (naive-BST worst cases) stay within height 2*log2(n+1). */
static void test_monotonic_inserts(void **state)
{
	(void)state;
	run_monotonic_inserts(true);
	run_monotonic_inserts(false);
}

/* Erasing the root over and over keeps the tree valid and shrinking until empty. */
static void test_erase_root_repeatedly(void **state)
{
	struct rb_root root = RB_ROOT;
	size_t count, i;

	(void)state;
	memset(seq_items, 0, sizeof(seq_items));
	rng_seed(99);
	for (i = 0; i < 1000; i++) {
		seq_items[i].key = (uint32_t)i;
		seq_items[i].size = (uint32_t)(rng_next() % 5000);
		item_insert(&root, &seq_items[i]);
	}
	for (i = 1000; i > 0; i--) {
		struct rb_node *old_root = root.rb_node;

		assert_int_equal(rb_check(&root, item_cmp, item_augment_ok, &count), 0);
		assert_int_equal(count, i);
		rb_erase_augmented(old_root, &root, &item_cb);
		assert_ptr_not_equal(root.rb_node, old_root);
	}
	assert_true(RB_EMPTY_ROOT(&root));
	assert_int_equal(rb_check(&root, item_cmp, item_augment_ok, &count), 0);
	assert_int_equal(count, 0);

	/* Same with the plain (non-augmented) API. */
	for (i = 0; i < 1000; i++)
		item_insert_plain(&root, &seq_items[i]);
	for (i = 1000; i > 0; i--) {
		assert_int_equal(rb_check(&root, item_cmp, NULL, &count), 0);
		assert_int_equal(count, i);
		rb_erase(root.rb_node, &root);
	}
	assert_true(RB_EMPTY_ROOT(&root));
}

/* rb_replace_node puts an object in a node's place keeping order, colour and neighbours. */
static void test_replace_node(void **state)
{
	struct rb_root root = RB_ROOT;
	struct item items[64], spare;
	size_t i, count;

	(void)state;
	memset(items, 0, sizeof(items));
	for (i = 0; i < 64; i++) {
		items[i].key = (uint32_t)(i * 10);
		items[i].size = (uint32_t)i;
		item_insert(&root, &items[i]);
	}
	for (i = 0; i < 64; i += 7) {
		uintptr_t color = rb_color(&items[i].rb);

		spare = items[i];
		rb_replace_node(&items[i].rb, &spare.rb, &root);
		assert_int_equal(rb_check(&root, item_cmp, item_augment_ok, &count), 0);
		assert_int_equal(count, 64);
		assert_ptr_equal(item_find(&root, (uint32_t)(i * 10)), &spare);
		assert_int_equal(rb_color(&spare.rb), color);
		/* Put the original back for the next round. */
		rb_replace_node(&spare.rb, &items[i].rb, &root);
		assert_ptr_equal(item_find(&root, (uint32_t)(i * 10)), &items[i]);
	}
	assert_int_equal(rb_check(&root, item_cmp, item_augment_ok, &count), 0);
}

/* ---- the checker is not vacuous ---- */

static void build_random_tree(struct rb_root *root, uint64_t seed)
{
	int op;

	model_reset();
	rng_seed(seed);
	*root = RB_ROOT;
	for (op = 0; op < 3000; op++)
		random_op(root);
	assert_true(model_count > 100);
	assert_int_equal(rb_check(root, item_cmp, item_augment_ok, NULL), 0);
}

static size_t node_depth(const struct rb_node *node)
{
	size_t depth = 0;

	while ((node = rb_parent(node)))
		depth++;
	return depth;
}

/* Makes a red-red edge while keeping every black count: rb_check must see the colour rule alone. */
static void corrupt_red_red(struct rb_root *root)
{
	struct rb_node *node;

	for (node = rb_first(root); node; node = rb_next(node)) {
		struct rb_node *parent = rb_parent(node);

		/* Black node, red parent, two red children: swap colours with them. */
		if (parent && rb_is_red(parent) && rb_is_black(node) && node->rb_left &&
		    node->rb_right && rb_is_red(node->rb_left) && rb_is_red(node->rb_right))
			break;
	}
	assert_non_null(node);

	node->parent_color &= ~RB_COLOR_MASK;		/* red, under a red parent */
	node->rb_left->parent_color |= RB_BLACK;
	node->rb_right->parent_color |= RB_BLACK;
	assert_int_equal(rb_check(root, item_cmp, item_augment_ok, NULL), TS_EINVAL);
	/* Only the colour rule was broken: the black counts are all still equal. */
	node->rb_left->parent_color &= ~RB_COLOR_MASK;
	node->rb_right->parent_color &= ~RB_COLOR_MASK;
	node->parent_color |= RB_BLACK;
	assert_int_equal(rb_check(root, item_cmp, item_augment_ok, NULL), 0);

	/* The brief's literal form: any red node's child repainted red. */
	for (node = rb_first(root); node; node = rb_next(node))
		if (rb_is_red(node) && node->rb_left)
			break;
	assert_non_null(node);
	assert_true(rb_is_black(node->rb_left));
	node->rb_left->parent_color &= ~RB_COLOR_MASK;
	assert_int_equal(rb_check(root, item_cmp, item_augment_ok, NULL), TS_EINVAL);
	node->rb_left->parent_color |= RB_BLACK;
	assert_int_equal(rb_check(root, item_cmp, item_augment_ok, NULL), 0);
}

/* Repoints a depth>=2 node's parent pointer at its grandparent (colour kept). */
static void corrupt_parent_pointer(struct rb_root *root)
{
	struct rb_node *node;
	uintptr_t saved;

	for (node = rb_last(root); node; node = rb_prev(node))
		if (node_depth(node) >= 2)
			break;
	assert_non_null(node);
	saved = node->parent_color;
	node->parent_color = (uintptr_t)rb_parent(rb_parent(node)) | rb_color(node);
	assert_int_equal(rb_check(root, NULL, NULL, NULL), TS_EINVAL);
	node->parent_color = saved;

	/* Root with a parent. */
	saved = root->rb_node->parent_color;
	root->rb_node->parent_color = (uintptr_t)rb_first(root) | RB_BLACK;
	assert_int_equal(rb_check(root, NULL, NULL, NULL), TS_EINVAL);
	root->rb_node->parent_color = saved;
	assert_int_equal(rb_check(root, item_cmp, item_augment_ok, NULL), 0);
}

/* Bumps the cached subtree maximum of an inner node by one. */
static void corrupt_augmented(struct rb_root *root)
{
	struct rb_node *node;

	for (node = rb_first(root); node; node = rb_next(node))
		if (node->rb_left && node->rb_right && node != root->rb_node)
			break;
	assert_non_null(node);
	to_item(node)->subtree_max_size++;
	assert_int_equal(rb_check(root, item_cmp, item_augment_ok, NULL), TS_EINVAL);
	/* The macro-generated per-node check must catch it too. */
	assert_int_equal(rb_check(root, item_cmp, item_cb_augment_ok, NULL), TS_EINVAL);
	/* Without an augment callback the structure itself is still fine. */
	assert_int_equal(rb_check(root, item_cmp, NULL, NULL), 0);
	to_item(node)->subtree_max_size--;
	assert_int_equal(rb_check(root, item_cmp, item_cb_augment_ok, NULL), 0);
}

/*
 * rb_check reports (and does not crash or hang on) red-red, broken parent pointers and
 * wrong augmented values.
 */
static void test_checker_detects_corruption(void **state)
{
	struct rb_root root;

	(void)state;
	build_random_tree(&root, 0xc0ffee);
	corrupt_red_red(&root);
	corrupt_parent_pointer(&root);
	corrupt_augmented(&root);
	verify_against_model(&root);
}

/*
 * rb_check also catches a red root, unequal black heights, misordering, cycles, a shared
 * child and a misaligned pointer, and terminates on each.
 */
static void test_checker_more_corruption(void **state)
{
	struct rb_root root;
	struct rb_node *node, *leaf, *saved_child;
	struct item *first, *last;
	uint32_t saved_key;
	size_t count;

	(void)state;
	build_random_tree(&root, 0xfeedbeef);

	/* Red root. */
	root.rb_node->parent_color &= ~RB_COLOR_MASK;
	assert_int_equal(rb_check(&root, NULL, NULL, NULL), TS_EINVAL);
	root.rb_node->parent_color |= RB_BLACK;

	/* Black-height mismatch: a red leaf repainted black. */
	for (leaf = rb_first(&root); leaf; leaf = rb_next(leaf))
		if (rb_is_red(leaf) && !leaf->rb_left && !leaf->rb_right)
			break;
	assert_non_null(leaf);
	leaf->parent_color |= RB_BLACK;
	assert_int_equal(rb_check(&root, NULL, NULL, NULL), TS_EINVAL);
	leaf->parent_color &= ~RB_COLOR_MASK;
	assert_int_equal(rb_check(&root, NULL, NULL, NULL), 0);

	/* Misordering: first and last keys swapped; invisible without cmp. */
	first = to_item(rb_first(&root));
	last = to_item(rb_last(&root));
	saved_key = first->key;
	first->key = last->key;
	last->key = saved_key;
	assert_int_equal(rb_check(&root, item_cmp, item_augment_ok, NULL), TS_EINVAL);
	assert_int_equal(rb_check(&root, NULL, item_augment_ok, &count), 0);
	assert_int_equal(count, model_count);
	last->key = first->key;
	first->key = saved_key;

	/* Cycle: a leaf's empty slot pointing back at the root. */
	for (leaf = rb_last(&root); leaf; leaf = rb_prev(leaf))
		if (!leaf->rb_left && !leaf->rb_right)
			break;
	assert_non_null(leaf);
	leaf->rb_left = root.rb_node;
	assert_int_equal(rb_check(&root, NULL, NULL, NULL), TS_EINVAL);
	/* Self loop. */
	leaf->rb_left = leaf;
	assert_int_equal(rb_check(&root, NULL, NULL, NULL), TS_EINVAL);
	/* Back edge to the leaf's own parent. */
	leaf->rb_left = rb_parent(leaf);
	assert_int_equal(rb_check(&root, NULL, NULL, NULL), TS_EINVAL);
	leaf->rb_left = NULL;

	/* Both child slots naming the same node. */
	for (node = rb_first(&root); node; node = rb_next(node))
		if (node->rb_left && node->rb_right)
			break;
	assert_non_null(node);
	saved_child = node->rb_right;
	node->rb_right = node->rb_left;
	assert_int_equal(rb_check(&root, NULL, NULL, NULL), TS_EINVAL);
	node->rb_right = saved_child;

	/* A 200-deep all-black left chain: refused (depth bound or black heights). */
	memset(seq_items, 0, sizeof(seq_items));
	for (count = 0; count < 200; count++) {
		seq_items[count].rb.parent_color =
			(count ? (uintptr_t)&seq_items[count - 1].rb : 0) | RB_BLACK;
		if (count)
			seq_items[count - 1].rb.rb_left = &seq_items[count].rb;
	}
	{
		struct rb_root chain = { &seq_items[0].rb };

		assert_int_equal(rb_check(&chain, NULL, NULL, &count), TS_EINVAL);
		assert_int_equal(count, 0);
	}

	/* Misaligned child pointer is refused before it is dereferenced. */
	leaf->rb_right = (struct rb_node *)((uintptr_t)&pool[0].rb + 1);
	assert_int_equal(rb_check(&root, NULL, NULL, NULL), TS_EINVAL);
	leaf->rb_right = NULL;

	verify_against_model(&root);
}

/*
 * Equal keys are the caller's business: with a tie-breaker they coexist in stable order,
 * and rb_check rejects a key-only cmp as non-strict.
 */
static void test_duplicates(void **state)
{
	static struct item dup[200];
	struct rb_root root = RB_ROOT;
	const struct rb_node *node;
	const struct item *prev = NULL;
	size_t count, i;

	(void)state;
	memset(dup, 0, sizeof(dup));
	rng_seed(5);
	for (i = 0; i < 200; i++) {
		dup[i].key = (uint32_t)(rng_next() % 10);
		dup[i].seq = (uint32_t)i;
		dup[i].size = (uint32_t)(rng_next() % 1000);
		item_insert(&root, &dup[i]);
		assert_int_equal(rb_check(&root, item_cmp, item_augment_ok, &count), 0);
		assert_int_equal(count, i + 1);
	}
	assert_int_equal(rb_check(&root, item_cmp_key_only, NULL, NULL), TS_EINVAL);
	for (node = rb_first(&root); node; node = rb_next(node)) {
		const struct item *cur = to_item(node);

		if (prev)
			assert_true(prev->key < cur->key ||
				    (prev->key == cur->key && prev->seq < cur->seq));
		prev = cur;
	}
	/* Erase every other duplicate; the rest stay valid and ordered. */
	for (i = 0; i < 200; i += 2) {
		rb_erase_augmented(&dup[i].rb, &root, &item_cb);
		assert_int_equal(rb_check(&root, item_cmp, item_augment_ok, &count), 0);
		assert_int_equal(count, 200 - i / 2 - 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_differential),
		cmocka_unit_test(test_iteration),
		cmocka_unit_test(test_empty_tree),
		cmocka_unit_test(test_single_node),
		cmocka_unit_test(test_monotonic_inserts),
		cmocka_unit_test(test_erase_root_repeatedly),
		cmocka_unit_test(test_replace_node),
		cmocka_unit_test(test_checker_detects_corruption),
		cmocka_unit_test(test_checker_more_corruption),
		cmocka_unit_test(test_duplicates),
	};

	return cmocka_run_group_tests_name("rbtree", tests, NULL, NULL);
}
