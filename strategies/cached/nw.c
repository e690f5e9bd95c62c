/*
 * "cached", normal-world half (docs/strategies.md): register once, reuse
 * many times, so the secure half's kept mappings are found again.
 *
 * - TEMP memref: instead of libteec's fresh register + unregister per call,
 *   a bounce buffer that stays registered.  Idle bounce buffers wait in an
 *   LRU list; a call takes the smallest one that fits, if it is less than
 *   twice the size needed (or allocates and
 *   registers a new one), copies the client's bytes in (or zeroes the
 *   window, so a TA never reads an earlier call's data), passes it as RMEM
 *   and gives it back afterwards.  Idle buffers beyond cache_pages_per_vm
 *   pages are unregistered, least recently used first.  One REGISTER_SHM per
 *   miss, none per hit.
 * - Client blocks: registered at TEEC_Register/AllocateSharedMemory as
 *   "dynamic" does; they are the client's to keep alive.
 * - Message args: Linux's arg cache (optee_shm_arg_cache): registered pages
 *   cut into fixed slots, the call issued as CALL_WITH_REGD_ARG naming
 *   (cookie, offset), so no arg page is registered or mapped per call.  As
 *   in Linux, only when the secure world takes RPC args in the call's buffer
 *   (RPC_ARG): a slot holds the RPC arg after the call's arg, where OP-TEE's
 *   std_entry_with_regd_arg looks for it, so a REGD_ARG call needs no
 *   RPC_ALLOC.
 *   A message larger than a slot, or one sent while a slot page is being
 *   registered (that REGISTER_SHM needs an arg itself), uses a fresh arg as
 *   "dynamic".
 * - Buffers the secure world asks for: fresh pages per request, as
 *   "dynamic" (the secure half keeps them in a pool).
 *
 * One mutex guards the lists; no SMC is issued while it is held.
 */
#include "strategies/cached/nw.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/optee_msg.h"
#include "sim/common/optee_smc.h"
#include "sim/common/ts_err.h"
#include "sim/normal/optee_drv_internal.h"
#include "sim/normal/strategy_nw.h"

extern const struct nw_strategy_ops nw_dynamic_ops;
extern const struct nw_strategy_ops nw_cached_ops;

/*
 * Params a cached arg slot holds for the call: Linux's MAX_ARG_PARAM_COUNT is
 * 6; ours rounds to 256 bytes.  The RPC arg comes after.
 */
#define ARG_SLOT_PARAMS 7u
#define ARG_SLOT_CALL_BYTES OPTEE_MSG_GET_ARG_SIZE(ARG_SLOT_PARAMS)
#define ARG_SLOTS_MAX 32u /* a page's slots fit a 32-bit mask */

_Static_assert(ARG_SLOT_CALL_BYTES == 256, "arg slots hold 256 bytes of call");
_Static_assert(SMALL_PAGE_SIZE / ARG_SLOT_CALL_BYTES <= ARG_SLOTS_MAX, "slots fit the mask");

/* A registered bounce buffer. */
struct bounce {
	struct bounce *prev, *next; /* the idle LRU, most recent first */
	struct optee_shm *shm;
	size_t cap_bytes;           /* whole pages */
};

/* A registered page of arg slots. */
struct arg_page {
	struct arg_page *next;
	struct optee_shm *shm;
	uint32_t used_mask;         /* bit i: slot i taken */
};

struct cached_nw {
	pthread_mutex_t lock;
	struct bounce *idle_head, *idle_tail;
	uint64_t idle_pages;
	uint64_t busy;              /* bounce buffers lent to calls */
	struct arg_page *arg_pages;
	bool growing_args;          /* a slot page is being registered */
	bool regd_arg;              /* dynamic shm and RPC_ARG offered: REGD_ARG slots usable */
	size_t slot_bytes;          /* the call's arg, then the RPC arg */
	uint32_t slots_per_page;
	uint32_t rpc_params;        /* params of the RPC arg in a slot */
	struct nw_cached_stats st;
};

static struct cached_nw *state_of(struct nw_strategy *s)
{
	return s->priv;
}

static int cached_init(struct nw_strategy *s, struct optee_drv *drv,
		       const struct strategy_params *p)
{
	struct cached_nw *c = calloc(1, sizeof(*c));

	(void)p;
	if (!c)
		return TS_ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	c->rpc_params = drv->info.rpc_param_count;
	c->slot_bytes = ARG_SLOT_CALL_BYTES + OPTEE_MSG_GET_ARG_SIZE(c->rpc_params);
	c->slots_per_page = (uint32_t)(SMALL_PAGE_SIZE / c->slot_bytes);
	/*
	 * As Linux: the arg cache (REGD_ARG) only with RPC_ARG, as OP-TEE then
	 * takes the RPC arg from the slot; otherwise a fresh arg per call.
	 */
	c->regd_arg = (drv->info.sec_caps & OPTEE_SMC_SEC_CAP_DYNAMIC_SHM) && drv->info.rpc_arg &&
		      c->rpc_params && c->slots_per_page;
	s->priv = c;
	return 0;
}

static void bounce_free(struct bounce *b)
{
	optee_shm_free(b->shm); /* unregisters */
	free(b);
}

static void cached_fini(struct nw_strategy *s)
{
	struct cached_nw *c = state_of(s);

	if (!c)
		return;
	c->regd_arg = false; /* the unregisters below must not use the slots they free */
	while (c->idle_head) {
		struct bounce *b = c->idle_head;

		c->idle_head = b->next;
		bounce_free(b);
	}
	while (c->arg_pages) {
		struct arg_page *p = c->arg_pages;

		c->arg_pages = p->next;
		optee_shm_free(p->shm);
		free(p);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
	s->priv = NULL;
}

static void idle_unlink_locked(struct cached_nw *c, struct bounce *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		c->idle_head = b->next;
	if (b->next)
		b->next->prev = b->prev;
	else
		c->idle_tail = b->prev;
	b->prev = b->next = NULL;
	c->idle_pages -= b->cap_bytes / SMALL_PAGE_SIZE;
}

/*
 * The smallest idle buffer that holds size bytes without wasting half of it
 * (most recent among equals), unlinked, or NULL.  Without the upper bound a
 * small memref would ride a large buffer and hold its mapping busy.
 */
static struct bounce *take_fit_locked(struct cached_nw *c, size_t size)
{
	size_t pages = (size + SMALL_PAGE_SIZE - 1) / SMALL_PAGE_SIZE;
	struct bounce *b, *best = NULL;

	for (b = c->idle_head; b; b = b->next)
		if (b->cap_bytes >= size && b->cap_bytes < 2 * pages * SMALL_PAGE_SIZE &&
		    (!best || b->cap_bytes < best->cap_bytes))
			best = b;
	if (best)
		idle_unlink_locked(c, best);
	return best;
}

static TEE_Result new_bounce(struct nw_strategy *s, size_t size, struct bounce **out,
			     uint32_t *origin)
{
	size_t cap = (size + SMALL_PAGE_SIZE - 1) / SMALL_PAGE_SIZE * SMALL_PAGE_SIZE;
	struct bounce *b = calloc(1, sizeof(*b));
	TEE_Result res;

	if (!b)
		return TEE_ERROR_OUT_OF_MEMORY;
	/* Scattered pages are fine, we copy page by page. */
	if (optee_shm_alloc(s->drv, cap, false, &b->shm)) {
		free(b);
		return TEE_ERROR_OUT_OF_MEMORY;
	}
	res = optee_shm_register(b->shm, origin);
	if (res != TEE_SUCCESS) {
		optee_shm_free(b->shm);
		free(b);
		return res;
	}
	b->cap_bytes = cap;
	*out = b;
	return TEE_SUCCESS;
}

static TEE_Result cached_temp_begin(struct nw_strategy *s, void *buf, size_t size, uint32_t dir,
				    struct optee_drv_param *out, struct nw_temp *t)
{
	struct cached_nw *c = state_of(s);
	size_t want = size ? size : 1;
	struct bounce *b;
	TEE_Result res;

	nw_temp_init(t, buf, size, dir);
	pthread_mutex_lock(&c->lock);
	b = take_fit_locked(c, want);
	if (b) {
		c->st.temp_hits++;
		c->busy++;
	}
	pthread_mutex_unlock(&c->lock);
	if (!b) {
		res = new_bounce(s, want, &b, &t->origin);
		if (res != TEE_SUCCESS)
			return res;
		pthread_mutex_lock(&c->lock);
		c->st.temp_misses++;
		c->busy++;
		pthread_mutex_unlock(&c->lock);
	}
	if ((dir & NW_TEMP_IN) && size) {
		optee_shm_write(b->shm, 0, buf, size);
		NW_COPY(s, temp_bytes_in, "client -> kept bounce", size);
	} else if (size) {
		optee_shm_fill(b->shm, 0, 0, size); /* no earlier call's bytes for the TA to read */
	}
	NW_COUNT(s, temp_bounces);
	t->shm = b->shm;
	t->priv = b;
	out->attr = nw_temp_attr(OPTEE_MSG_ATTR_TYPE_RMEM_INPUT, dir);
	out->u.memref.shm = b->shm;
	out->u.memref.offs_bytes = 0;
	out->u.memref.size_bytes = size;
	return TEE_SUCCESS;
}

static void cached_temp_end(struct nw_strategy *s, struct nw_temp *t, bool copy_out,
			    size_t out_size)
{
	struct cached_nw *c = state_of(s);
	struct bounce *b = t->priv, *victims = NULL;

	if (!b)
		return;
	if (copy_out && (t->dir & NW_TEMP_OUT) && out_size && out_size <= t->size_bytes &&
	    !optee_shm_read(b->shm, 0, t->buf, out_size))
		NW_COPY(s, temp_bytes_out, "kept bounce -> client", out_size);
	pthread_mutex_lock(&c->lock);
	c->busy--;
	b->prev = NULL;
	b->next = c->idle_head;
	if (c->idle_head)
		c->idle_head->prev = b;
	else
		c->idle_tail = b;
	c->idle_head = b;
	c->idle_pages += b->cap_bytes / SMALL_PAGE_SIZE;
	while (c->idle_pages > s->params.cache_pages_per_vm && c->idle_tail) {
		struct bounce *v = c->idle_tail;

		idle_unlink_locked(c, v);
		v->next = victims;
		victims = v;
		c->st.temp_evictions++;
	}
	pthread_mutex_unlock(&c->lock);
	while (victims) { /* unregistering is an SMC: not under the lock */
		struct bounce *v = victims;

		victims = v->next;
		bounce_free(v);
	}
	t->shm = NULL;
	t->priv = NULL;
}

static TEE_Result cached_shm_register(struct nw_strategy *s, struct optee_shm *shm)
{
	return nw_dynamic_ops.shm_register(s, shm);
}

static void cached_shm_release(struct nw_strategy *s, struct optee_shm *shm)
{
	nw_dynamic_ops.shm_release(s, shm);
}

/* A free slot: its page and index, or false (all taken). */
static bool take_slot_locked(struct cached_nw *c, struct arg_page **page, uint32_t *slot)
{
	struct arg_page *p;
	uint32_t i;

	for (p = c->arg_pages; p; p = p->next)
		for (i = 0; i < c->slots_per_page; i++)
			if (!(p->used_mask & (1u << i))) {
				p->used_mask |= 1u << i;
				*page = p;
				*slot = i;
				return true;
			}
	return false;
}

/* Register one more page of slots.  The REGISTER_SHM itself gets a fresh arg (growing_args). */
static int grow_args(struct nw_strategy *s)
{
	struct cached_nw *c = state_of(s);
	struct arg_page *p = calloc(1, sizeof(*p));
	uint32_t origin;

	if (!p)
		return TS_ENOMEM;
	if (optee_shm_alloc(s->drv, SMALL_PAGE_SIZE, true, &p->shm)) {
		free(p);
		return TS_ENOMEM;
	}
	if (optee_shm_register(p->shm, &origin) != TEE_SUCCESS) {
		optee_shm_free(p->shm);
		free(p);
		return TS_ENOMEM;
	}
	pthread_mutex_lock(&c->lock);
	p->next = c->arg_pages;
	c->arg_pages = p;
	c->st.arg_pages++;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static int cached_arg_get(struct nw_strategy *s, size_t call_bytes, struct nw_arg *a)
{
	struct cached_nw *c = state_of(s);
	struct arg_page *p = NULL;
	uint32_t slot = 0;
	bool grow = false, got = false;

	if (!c->regd_arg || call_bytes > ARG_SLOT_CALL_BYTES)
		goto fresh;
	for (;;) {
		pthread_mutex_lock(&c->lock);
		got = take_slot_locked(c, &p, &slot);
		if (!got && !c->growing_args)
			grow = c->growing_args = true;
		pthread_mutex_unlock(&c->lock);
		if (got || !grow)
			break;
		/* Our own REGISTER_SHM below takes a fresh arg: growing_args is set. */
		grow = grow_args(s) == 0;
		pthread_mutex_lock(&c->lock);
		c->growing_args = false;
		pthread_mutex_unlock(&c->lock);
		if (!grow)
			break;
	}
	if (!got)
		goto fresh;
	memset(a, 0, sizeof(*a));
	a->shm = p->shm;
	a->host = (uint8_t *)optee_shm_host(p->shm) + slot * c->slot_bytes;
	memset(a->host, 0, c->slot_bytes);
	a->smc_func = OPTEE_SMC_CALL_WITH_REGD_ARG;
	a->smc_ref = optee_shm_cookie(p->shm);
	a->smc_offs = slot * c->slot_bytes;
	/* OP-TEE reads it right after the call's arg: OPTEE_MSG_GET_ARG_SIZE(num_params) */
	a->rpc_arg = a->host + call_bytes;
	a->rpc_arg_max_params = c->rpc_params;
	pthread_mutex_lock(&c->lock);
	c->st.arg_slot_hits++;
	pthread_mutex_unlock(&c->lock);
	return 0;
fresh:
	pthread_mutex_lock(&c->lock);
	c->st.arg_fresh++;
	pthread_mutex_unlock(&c->lock);
	return nw_dynamic_ops.arg_get(s, call_bytes, a);
}

static void cached_arg_put(struct nw_strategy *s, struct nw_arg *a)
{
	struct cached_nw *c = state_of(s);
	struct arg_page *p;

	if (a->smc_func != OPTEE_SMC_CALL_WITH_REGD_ARG) {
		nw_dynamic_ops.arg_put(s, a);
		return;
	}
	pthread_mutex_lock(&c->lock);
	for (p = c->arg_pages; p && p->shm != a->shm; p = p->next)
		;
	if (p)
		p->used_mask &= ~(1u << (uint32_t)(a->smc_offs / c->slot_bytes));
	pthread_mutex_unlock(&c->lock);
	memset(a, 0, sizeof(*a));
}

static int cached_rpc_alloc(struct nw_strategy *s, size_t bytes, bool contiguous,
			    struct optee_shm **out)
{
	return nw_dynamic_ops.rpc_alloc(s, bytes, contiguous, out);
}

static void cached_rpc_free(struct nw_strategy *s, struct optee_shm *shm)
{
	nw_dynamic_ops.rpc_free(s, shm);
}

int nw_cached_stats(struct optee_drv *drv, struct nw_cached_stats *out)
{
	struct nw_strategy *s = optee_drv_strategy(drv);
	struct cached_nw *c;

	if (s->ops != &nw_cached_ops || !(c = s->priv))
		return TS_EINVAL;
	pthread_mutex_lock(&c->lock);
	*out = c->st;
	out->idle_pages = c->idle_pages;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int nw_cached_check(struct optee_drv *drv)
{
	struct nw_strategy *s = optee_drv_strategy(drv);
	const struct bounce *b, *prev = NULL;
	const struct arg_page *p;
	struct cached_nw *c;
	uint64_t pages = 0, n_pages = 0;
	int rc = 0;

	if (s->ops != &nw_cached_ops || !(c = s->priv))
		return TS_EINVAL;
	pthread_mutex_lock(&c->lock);
	for (b = c->idle_head; b && !rc; prev = b, b = b->next) {
		if (b->prev != prev || !b->shm || !optee_shm_is_registered(b->shm) ||
		    b->cap_bytes % SMALL_PAGE_SIZE || optee_shm_size(b->shm) != b->cap_bytes)
			rc = TS_EINVAL;
		pages += b->cap_bytes / SMALL_PAGE_SIZE;
	}
	if (!rc && (prev != c->idle_tail || pages != c->idle_pages ||
		    pages > s->params.cache_pages_per_vm))
		rc = TS_EINVAL;
	for (p = c->arg_pages; p && !rc; p = p->next) {
		if (!optee_shm_is_registered(p->shm) || !optee_shm_host(p->shm) ||
		    (c->slots_per_page < ARG_SLOTS_MAX && (p->used_mask >> c->slots_per_page)))
			rc = TS_EINVAL;
		n_pages++;
	}
	if (!rc && n_pages != c->st.arg_pages)
		rc = TS_EINVAL;
	pthread_mutex_unlock(&c->lock);
	return rc;
}

const struct nw_strategy_ops nw_cached_ops = {
	.name = "cached",
	.init = cached_init,
	.fini = cached_fini,
	.temp_begin = cached_temp_begin,
	.temp_end = cached_temp_end,
	.shm_register = cached_shm_register,
	.shm_release = cached_shm_release,
	.arg_get = cached_arg_get,
	.arg_put = cached_arg_put,
	.rpc_alloc = cached_rpc_alloc,
	.rpc_free = cached_rpc_free,
};
