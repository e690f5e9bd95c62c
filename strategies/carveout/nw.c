/*
 * "carveout", normal-world half: all shared memory comes from the static
 * carveout the secure world reported with GET_SHM_CONFIG, as Linux's OP-TEE
 * driver does without dynamic shared memory (its reserved-memory pool).
 * Nothing is ever registered, so no REGISTER_SHM / UNREGISTER_SHM is sent:
 * the secure world reaches the carveout through its boot-time mapping.
 *
 * - TEMP memref: a carveout block, the client's bytes copied in, sent as a
 *   contiguous TMEM by address, copied out after the call.
 * - Client blocks (TEEC_Allocate/RegisterSharedMemory): moved into a
 *   carveout block (optee_shm_move_static).  An allocated block's memory is
 *   the carveout itself; a registered one becomes a shadow the TEEC layer
 *   copies at each invoke.  Sent as TMEM by address (PA + offset).
 * - Message args and RPC buffers: carveout blocks too, always one run.
 *
 * Without a hypervisor the one normal world (client 0) owns the whole
 * carveout.  Under one, GET_SHM_CONFIG answers with this VM's slice, as the
 * mediator carves it (sim/common/strategy.h): its guest part, at an IPA
 * window above guest RAM, which the guest process mapped at carveout_host.
 * This half cannot tell the difference: it allocates from whatever it was
 * given, and the mediator turns the window's IPAs into the slice's PAs.
 *
 * The allocator is first fit over 4 KiB pages (OP-TEE's and Linux's pools
 * hand out page-aligned blocks); when no run is long enough the caller gets
 * TEE_ERROR_OUT_OF_MEMORY, as real systems do once ~20 clients hold
 * buffers (optee_os #2285).  One mutex guards it; client threads share it.
 */
#include "strategies/carveout/nw.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/optee_msg.h"
#include "sim/common/optee_smc.h"
#include "sim/common/ts_err.h"
#include "sim/normal/optee_drv_internal.h"
#include "sim/normal/strategy_nw.h"

extern const struct nw_strategy_ops nw_carveout_ops;

struct co_pool {
	pthread_mutex_t lock;
	paddr_t base;                 /* first page of the carveout */
	uint8_t *host;                /* where it is mapped in this process */
	size_t n_pages;
	uint32_t *run_pages;          /* at a block's first page: its length; else 0 */
	uint8_t *used;                /* one byte per page: part of a block */
	struct nw_carveout_stats st;  /* under lock */
};

static struct co_pool *pool_of(struct nw_strategy *s)
{
	return s->priv;
}

/* ---- The allocator ---- */

/* First fit: the lowest run of n free pages, or -1. */
static long find_run_locked(const struct co_pool *p, size_t n)
{
	size_t i = 0, j;

	while (n && i + n <= p->n_pages) {
		for (j = i; j < i + n && !p->used[j]; j++)
			;
		if (j == i + n)
			return (long)i;
		/* Skip past the used page (and its block, if it starts there). */
		i = j + (p->run_pages[j] ? p->run_pages[j] : 1);
	}
	return -1;
}

/* A zeroed block of bytes (> 0), rounded up to pages.  0 or TS_ENOMEM. */
static int pool_alloc(struct co_pool *p, size_t bytes, paddr_t *pa)
{
	size_t n = bytes ? (size_t)pages_spanned(0, bytes) : 0, k;
	long first;

	pthread_mutex_lock(&p->lock);
	first = n && n <= p->n_pages ? find_run_locked(p, n) : -1;
	if (first < 0) {
		p->st.alloc_failures++;
		pthread_mutex_unlock(&p->lock);
		return TS_ENOMEM;
	}
	for (k = 0; k < n; k++)
		p->used[(size_t)first + k] = 1;
	p->run_pages[first] = (uint32_t)n;
	p->st.pages_in_use += n;
	if (p->st.pages_in_use > p->st.peak_pages_in_use)
		p->st.peak_pages_in_use = p->st.pages_in_use;
	p->st.blocks_in_use++;
	p->st.allocs++;
	pthread_mutex_unlock(&p->lock);
	/* Nothing of a previous user reaches the next one (or the secure world). */
	memset(p->host + (size_t)first * SMALL_PAGE_SIZE, 0, n * SMALL_PAGE_SIZE);
	*pa = pa_add(p->base, (uint64_t)first * SMALL_PAGE_SIZE);
	return 0;
}

/* Give back the block starting at pa of n pages.  TS_EINVAL if that is not a block. */
static int pool_free(struct co_pool *p, paddr_t pa, size_t n)
{
	uint64_t off = pa_addr(pa) - pa_addr(p->base);
	size_t first = (size_t)(off / SMALL_PAGE_SIZE), k;

	if (pa_addr(pa) < pa_addr(p->base) || !pa_is_page_aligned(pa) || first >= p->n_pages)
		return TS_EINVAL;
	pthread_mutex_lock(&p->lock);
	if (p->run_pages[first] != n) {
		pthread_mutex_unlock(&p->lock);
		return TS_EINVAL;
	}
	for (k = 0; k < n; k++)
		p->used[first + k] = 0;
	p->run_pages[first] = 0;
	p->st.pages_in_use -= n;
	p->st.blocks_in_use--;
	p->st.frees++;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* The block an shm of ours sits on goes back (after the shm left the books). */
static void block_put(struct nw_strategy *s, paddr_t pa, size_t n_pages)
{
	int rc = pool_free(pool_of(s), pa, n_pages);

	(void)rc; /* only our own blocks reach here: a mismatch shows in nw_carveout_check */
}

/* A carveout block wrapped in an shm of this kind.  0 or TS_ENOMEM. */
static int block_get(struct nw_strategy *s, size_t bytes, enum optee_shm_kind kind,
		     struct optee_shm **out)
{
	struct co_pool *p = pool_of(s);
	paddr_t pa;
	int rc;

	rc = pool_alloc(p, bytes, &pa);
	if (rc)
		return rc;
	rc = optee_shm_new_static(s->drv, kind, pa, bytes, out);
	if (rc)
		block_put(s, pa, (size_t)pages_spanned(0, bytes));
	return rc;
}

/* Forget an shm made by block_get and give its block back. */
static void block_release(struct nw_strategy *s, struct optee_shm *shm)
{
	paddr_t pa = shm->pages[0];
	size_t n = shm->n_pages;

	optee_shm_free_local(shm); /* never registered: nothing to tell the secure world */
	block_put(s, pa, n);
}

/* ---- The ops ---- */

static int co_init(struct nw_strategy *s, struct optee_drv *drv, const struct strategy_params *p)
{
	const struct optee_drv_info *info = &drv->info;
	struct co_pool *pool;

	(void)p;
	if (!info->have_carveout) {
		s->refusal = info->sec_caps & OPTEE_SMC_SEC_CAP_VIRTUALIZATION ?
				     "the hypervisor offers this VM no slice of the carveout "
				     "(GET_SHM_CONFIG)" :
				     "the secure world reports no static carveout (GET_SHM_CONFIG)";
		return TS_ENOSYS;
	}
	if (!drv->carveout_host) {
		s->refusal = "the carveout is not mapped here (optee_drv_config.carveout_host)";
		return TS_EINVAL;
	}
	if (!pa_is_page_aligned(info->carveout_base) || info->carveout_bytes < SMALL_PAGE_SIZE ||
	    info->carveout_bytes / SMALL_PAGE_SIZE > UINT32_MAX) {
		s->refusal = "the carveout is not a whole number of aligned pages";
		return TS_EINVAL;
	}
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return TS_ENOMEM;
	pool->base = info->carveout_base;
	pool->host = drv->carveout_host;
	pool->n_pages = (size_t)(info->carveout_bytes / SMALL_PAGE_SIZE);
	pool->run_pages = calloc(pool->n_pages, sizeof(*pool->run_pages));
	pool->used = calloc(pool->n_pages, 1);
	if (!pool->run_pages || !pool->used) {
		free(pool->run_pages);
		free(pool->used);
		free(pool);
		return TS_ENOMEM;
	}
	pool->st.pool_pages = pool->n_pages;
	pthread_mutex_init(&pool->lock, NULL);
	s->priv = pool;
	return 0;
}

static void co_fini(struct nw_strategy *s)
{
	struct co_pool *p = pool_of(s);

	if (!p)
		return;
	/*
	 * Blocks clients still hold stay in the driver's books as static shm
	 * (owning no guest pages); optee_shm_free_all forgets them.
	 */
	pthread_mutex_destroy(&p->lock);
	free(p->run_pages);
	free(p->used);
	free(p);
	s->priv = NULL;
}

static TEE_Result co_temp_begin(struct nw_strategy *s, void *buf, size_t size, uint32_t dir,
				struct optee_drv_param *out, struct nw_temp *t)
{
	struct optee_shm *shm;
	bool in = dir & NW_TEMP_IN;

	nw_temp_init(t, buf, size, dir);
	/* Size 0 still takes a page, so the buffer has an address. */
	if (block_get(s, size ? size : 1, OPTEE_SHM_KIND_CLIENT, &shm))
		return TEE_ERROR_OUT_OF_MEMORY;
	if (in && size) {
		memcpy(shm->host, buf, size);
		NW_COPY(s, temp_bytes_in, "client -> carveout", size);
	}
	NW_COUNT(s, temp_bounces);
	t->shm = shm;
	out->attr = nw_temp_attr(OPTEE_MSG_ATTR_TYPE_TMEM_INPUT, dir);
	out->u.memref.shm = shm;
	out->u.memref.offs_bytes = 0;
	out->u.memref.size_bytes = size;
	return TEE_SUCCESS;
}

static void co_temp_end(struct nw_strategy *s, struct nw_temp *t, bool copy_out, size_t out_size)
{
	if (!t->shm)
		return;
	if (copy_out && (t->dir & NW_TEMP_OUT) && out_size && out_size <= t->size_bytes) {
		memcpy(t->buf, t->shm->host, out_size);
		NW_COPY(s, temp_bytes_out, "carveout -> client", out_size);
	}
	block_release(s, t->shm);
	t->shm = NULL;
}

/* Move the client's block into the carveout; nothing is registered. */
static TEE_Result co_shm_register(struct nw_strategy *s, struct optee_shm *shm)
{
	struct co_pool *p = pool_of(s);
	size_t bytes = optee_shm_size(shm);
	paddr_t pa;

	if (pool_alloc(p, bytes, &pa))
		return TEE_ERROR_OUT_OF_MEMORY;
	if (optee_shm_move_static(shm, pa)) {
		block_put(s, pa, (size_t)pages_spanned(0, bytes));
		return TEE_ERROR_OUT_OF_MEMORY;
	}
	return TEE_SUCCESS;
}

static void co_shm_release(struct nw_strategy *s, struct optee_shm *shm)
{
	block_release(s, shm);
}

static int co_arg_get(struct nw_strategy *s, size_t call_bytes, struct nw_arg *a)
{
	struct optee_drv *drv = s->drv;
	size_t total = nw_arg_bytes(drv, call_bytes);
	int rc;

	memset(a, 0, sizeof(*a));
	rc = block_get(s, total, OPTEE_SHM_KIND_ARG, &a->shm);
	if (rc)
		return rc;
	nw_arg_setup(drv, a, a->shm->host, a->shm->pages[0], call_bytes);
	return 0;
}

static void co_arg_put(struct nw_strategy *s, struct nw_arg *a)
{
	if (a->shm)
		block_release(s, a->shm);
	memset(a, 0, sizeof(*a));
}

/* Every answer is one run of the carveout, contiguous asked for or not. */
static int co_rpc_alloc(struct nw_strategy *s, size_t bytes, bool contiguous,
			struct optee_shm **out)
{
	return block_get(s, bytes,
			 contiguous ? OPTEE_SHM_KIND_RPC_ARG : OPTEE_SHM_KIND_RPC_BUF, out);
}

static void co_rpc_free(struct nw_strategy *s, struct optee_shm *shm)
{
	block_release(s, shm);
}

const struct nw_strategy_ops nw_carveout_ops = {
	.name = "carveout",
	.init = co_init,
	.fini = co_fini,
	.temp_begin = co_temp_begin,
	.temp_end = co_temp_end,
	.shm_register = co_shm_register,
	.shm_release = co_shm_release,
	.arg_get = co_arg_get,
	.arg_put = co_arg_put,
	.rpc_alloc = co_rpc_alloc,
	.rpc_free = co_rpc_free,
};

/* ---- Introspection ---- */

static struct co_pool *drv_pool(struct optee_drv *drv)
{
	struct nw_strategy *s = optee_drv_strategy(drv);

	return s->ops == &nw_carveout_ops ? s->priv : NULL;
}

int nw_carveout_stats(struct optee_drv *drv, struct nw_carveout_stats *out)
{
	struct co_pool *p = drv_pool(drv);

	if (!p)
		return TS_EINVAL;
	pthread_mutex_lock(&p->lock);
	*out = p->st;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int nw_carveout_check(struct optee_drv *drv)
{
	struct co_pool *p = drv_pool(drv);
	uint64_t pages = 0, blocks = 0;
	size_t i, k;
	int rc = 0;

	if (!p)
		return TS_EINVAL;
	pthread_mutex_lock(&p->lock);
	for (i = 0; !rc && i < p->n_pages;) {
		size_t n = p->run_pages[i];

		if (!n) {
			/* Outside every block: the page must be free. */
			if (p->used[i])
				rc = TS_EINVAL;
			i++;
			continue;
		}
		if (n > p->n_pages - i)
			rc = TS_EINVAL;
		/* A block's pages are used and no other block starts inside it. */
		for (k = 0; !rc && k < n; k++)
			if (!p->used[i + k] || (k && p->run_pages[i + k]))
				rc = TS_EINVAL;
		pages += n;
		blocks++;
		i += n;
	}
	if (!rc && (pages != p->st.pages_in_use || blocks != p->st.blocks_in_use ||
		    p->st.pages_in_use > p->st.peak_pages_in_use ||
		    p->st.allocs - p->st.frees != blocks || p->st.pool_pages != p->n_pages))
		rc = TS_EINVAL;
	pthread_mutex_unlock(&p->lock);
	return rc;
}
