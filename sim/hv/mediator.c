/* OP-TEE mediator of the hypervisor (see mediator.h), after Xen's xen/arch/arm/tee/optee.c. */
#include "sim/hv/mediator.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/errmsg.h"
#include "sim/common/optee_msg.h"
#include "sim/common/optee_pagelist.h"
#include "sim/common/optee_rpc_cmd.h"
#include "sim/common/optee_smc.h"
#include "sim/common/strategy.h"
#include "sim/common/tee_result.h"
#include "sim/common/ts_err.h"

#define MAX_PARAMS 16           /* params the mediator accepts in one arg */
#define MAX_LIST_PAGES 16       /* translated page-list pages kept per buffer (8176 pages) */
#define MAX_RPC_SHMS 16         /* RPC_ALLOC'd argument buffers per guest */

void hv_limits_default(struct hv_limits *l)
{
	*l = (struct hv_limits){
		.max_pages_per_buffer = 129,  /* Xen's MAX_SHM_BUFFER_PG: 512 KiB + an offset page */
		.max_pages_per_rpc_buffer = 4096,
		.max_shm_buffers = 128,
		.max_pages_per_guest = 16384, /* Xen's MAX_TOTAL_SMH_BUF_PG */
		.max_calls_per_guest = 16,
	};
}

/* Hypervisor pages: a stack of free page indices over the hv-ram region. */
struct hv_pages {
	const struct dram_region *region;
	uint8_t *host;
	uint32_t n;
	uint32_t top;
	uint32_t *free_stack;
};

/* One bit per shadow page at the head of a carveout slice. */
_Static_assert(CARVEOUT_SHADOW_PAGES <= 64, "a slice's shadow pages must fit a uint64_t mask");

struct hv_mediator {
	const struct dram_view *view;
	struct hv_limits lim;
	pthread_mutex_t lock; /* hv pages, slice shadow pages and the guest list */
	struct hv_pages pages;
	struct hv_guest *guests;
	/* The carveout offered to guests (hv_mediator_offer_carveout); n_vms 0: not offered. */
	struct carveout_split co_split;
	uint64_t *co_shadow_used; /* per VM id: bit i set = shadow page i of its slice in use */
};

/* Pages the mediator wrote for one translated buffer, freed when done. */
struct hv_list {
	uint32_t n;
	paddr_t pages[MAX_LIST_PAGES];
};

enum pending_rpc { RPC_NONE, RPC_ALLOC, RPC_FREE, RPC_FOREIGN, RPC_CMD };

struct hv_call {
	bool used;
	bool suspended;
	uint32_t thread_id;
	uint64_t guest_arg_ipa;
	uint32_t call_arg_bytes;
	uint32_t rpc_arg_bytes;   /* the RPC arg after the call arg (CALL_WITH_RPC_ARG), else 0 */
	uint32_t num_params;      /* as first read: later guest rewrites do not count */
	uint32_t cmd;
	paddr_t shadow_pa;
	uint8_t *shadow;
	struct hv_list lists[MAX_PARAMS];
	struct hv_list rpc_list;  /* translated SHM_ALLOC answer, freed at the next return */
	enum pending_rpc pending;
	uint64_t pending_arg;     /* ALLOC: size; FREE/CMD: cookie */
	uint64_t reg_cookie;      /* REGISTER_SHM: cookie and pages, booked on success */
	uint32_t reg_pages;
	uint64_t reg_offset;      /* ... the buffer's offset in its first page */
	uint64_t *reg_ipas;       /* ... and its guest pages (IPAs), owned until booked */
};

struct hv_rpc_shm {
	bool used;
	uint64_t cookie;
	uint64_t guest_ipa;
	uint32_t bytes;
	paddr_t shadow_pa;
};

/*
 * A buffer the guest registered: its guest pages are kept so that
 * CALL_WITH_REGD_ARG, which names an arg by (cookie, offset), can be
 * shadowed like any other arg.
 */
struct hv_reg_shm {
	uint64_t cookie;
	uint32_t pages;
	uint64_t offset_bytes;    /* of the buffer in its first page */
	uint64_t *page_ipa;       /* pages entries */
};

struct hv_guest {
	struct hv_mediator *med;
	struct hv_guest *next;
	uint16_t vm_id;
	uint32_t client_id;
	const struct stage2_map *s2;
	struct smc_conduit to_sw;
	pthread_mutex_t lock;
	uint32_t rpc_params;      /* from EXCHANGE_CAPABILITIES a3[7:0] */
	bool rpc_arg_cap;
	struct hv_call *calls;
	struct hv_rpc_shm rpc_shms[MAX_RPC_SHMS];
	struct hv_reg_shm *regs;  /* max_shm_buffers entries */
	struct hv_guest_stats stats;
};

/* ---- hypervisor pages ---- */

static int hv_page_alloc(struct hv_mediator *med, paddr_t *pa)
{
	int rc = TS_ENOMEM;

	pthread_mutex_lock(&med->lock);
	if (med->pages.top) {
		uint32_t idx = med->pages.free_stack[--med->pages.top];

		*pa = pa_add(med->pages.region->base, (uint64_t)idx * SMALL_PAGE_SIZE);
		memset(med->pages.host + (uint64_t)idx * SMALL_PAGE_SIZE, 0, SMALL_PAGE_SIZE);
		rc = 0;
	}
	pthread_mutex_unlock(&med->lock);
	return rc;
}

/* The VM whose carveout slice holds pa among its shadow pages, or -1. */
static int32_t shadow_owner(const struct hv_mediator *med, paddr_t pa)
{
	int32_t vm;

	if (!med->co_split.n_vms)
		return -1;
	vm = carveout_split_owner(&med->co_split, pa, SMALL_PAGE_SIZE);
	if (vm < 0 || (pa_addr(pa) - pa_addr(med->co_split.base)) % med->co_split.slice_bytes >=
			      (uint64_t)CARVEOUT_SHADOW_PAGES * SMALL_PAGE_SIZE)
		return -1;
	return vm;
}

/* A page of ours goes back: to hypervisor RAM, or a slice's shadow page to its VM. */
static void hv_page_free(struct hv_mediator *med, paddr_t pa)
{
	uint64_t idx = (pa_addr(pa) - pa_addr(med->pages.region->base)) / SMALL_PAGE_SIZE;
	int32_t vm = shadow_owner(med, pa);

	pthread_mutex_lock(&med->lock);
	if (vm >= 0) {
		idx = (pa_addr(pa) - pa_addr(med->co_split.base)) % med->co_split.slice_bytes /
		      SMALL_PAGE_SIZE;
		med->co_shadow_used[vm] &= ~(1ull << idx);
	} else {
		med->pages.free_stack[med->pages.top++] = (uint32_t)idx;
	}
	pthread_mutex_unlock(&med->lock);
}

static void *hv_page_ptr(struct hv_mediator *med, paddr_t pa)
{
	if (shadow_owner(med, pa) >= 0)
		return dram_view_ptr(med->view, pa,
				     SMALL_PAGE_SIZE - (pa_addr(pa) & SMALL_PAGE_MASK));
	return med->pages.host + (pa_addr(pa) - pa_addr(med->pages.region->base));
}

static void list_free(struct hv_mediator *med, struct hv_list *l)
{
	while (l->n)
		hv_page_free(med, l->pages[--l->n]);
}

uint32_t hv_mediator_pages_in_use(const struct hv_mediator *med)
{
	uint32_t n = med->pages.n - med->pages.top, vm;

	for (vm = 0; vm < med->co_split.n_vms; vm++)
		n += (uint32_t)__builtin_popcountll(med->co_shadow_used[vm]);
	return n;
}

int hv_mediator_create(const struct dram_view *ns_view, const struct hv_limits *limits,
		       struct hv_mediator **out)
{
	const struct dram_region *r = dram_region_find(ns_view->layout, DRAM_HV_RAM, 0);
	struct hv_mediator *med;
	uint32_t i;

	if (!r || !dram_view_ptr(ns_view, r->base, r->size_bytes))
		return TS_EINVAL;
	med = calloc(1, sizeof(*med));
	if (!med)
		return TS_ENOMEM;
	med->view = ns_view;
	med->lim = *limits;
	med->pages.region = r;
	med->pages.host = dram_view_ptr(ns_view, r->base, r->size_bytes);
	med->pages.n = (uint32_t)(r->size_bytes / SMALL_PAGE_SIZE);
	med->pages.free_stack = malloc(med->pages.n * sizeof(uint32_t));
	if (!med->pages.free_stack) {
		free(med);
		return TS_ENOMEM;
	}
	for (i = 0; i < med->pages.n; i++)
		med->pages.free_stack[i] = med->pages.n - 1 - i;
	med->pages.top = med->pages.n;
	pthread_mutex_init(&med->lock, NULL);
	*out = med;
	return 0;
}

void hv_mediator_destroy(struct hv_mediator *med)
{
	if (!med)
		return;
	pthread_mutex_destroy(&med->lock);
	free(med->pages.free_stack);
	free(med->co_shadow_used);
	free(med);
}

int hv_mediator_offer_carveout(struct hv_mediator *med, uint32_t max_vms, uint64_t vm_bytes,
			       char *err, size_t err_len)
{
	const struct dram_region *co = dram_region_find(med->view->layout, DRAM_CARVEOUT, 0);
	struct carveout_split split;
	uint64_t *used;
	int rc;

	if (!co || !dram_view_ptr(med->view, co->base, co->size_bytes))
		return ts_errf(err, err_len, TS_EINVAL,
			       "mediator: the carveout is not in the hypervisor's view of DRAM");
	if (med->guests || med->co_split.n_vms)
		return ts_errf(err, err_len, TS_EINVAL,
			       "mediator: the carveout is offered once, before the first guest");
	if ((rc = carveout_split_init(&split, co->base, co->size_bytes, max_vms, vm_bytes, err,
				      err_len)))
		return rc;
	used = calloc(max_vms, sizeof(*used));
	if (!used)
		return ts_errf(err, err_len, TS_ENOMEM, "mediator: out of memory");
	med->co_shadow_used = used;
	med->co_split = split;
	return 0;
}

/* ---- guest memory, reached through stage 2 (and the carveout window) ---- */

/*
 * The guest's carveout slice and the IPA its guest part is seen at (right
 * above guest RAM: carveout_window_ipa).  False when it has none.
 */
static bool guest_window(const struct hv_guest *g, struct carveout_slice *slice, uint64_t *ipa)
{
	const struct hv_mediator *med = g->med;

	return med->co_split.n_vms && !carveout_split_slice(&med->co_split, g->vm_id, slice) &&
	       !carveout_window_ipa(g->s2->ipa_base, (uint64_t)g->s2->n_chunks * g->s2->chunk_bytes,
				    slice->guest_bytes, ipa);
}

/*
 * PA of [ipa, ipa + len) if it lies wholly in the guest's carveout window: one
 * run of its slice.  TS_EFAULT otherwise (no window, empty, leaves it).
 */
static int window_ipa_to_pa(const struct hv_guest *g, uint64_t ipa, uint64_t len, paddr_t *pa)
{
	struct carveout_slice sl;
	uint64_t win;

	if (!guest_window(g, &sl, &win) || len == 0 || range_overflows(ipa, len) || ipa < win ||
	    ipa - win >= sl.guest_bytes || len > sl.guest_bytes - (ipa - win))
		return TS_EFAULT;
	*pa = pa_add(sl.guest_pa, ipa - win);
	return 0;
}

/* Host pointer for [ipa, ipa + len) of this guest's RAM (inside one stage-2 chunk) or window. */
static void *guest_ptr(const struct hv_guest *g, uint64_t ipa, uint64_t len)
{
	paddr_t pa;

	if (stage2_ipa_to_pa(g->s2, ipa, len, &pa) && window_ipa_to_pa(g, ipa, len, &pa))
		return NULL;
	return dram_view_ptr(g->med->view, pa, len);
}

/*
 * A shadow page for one of g's args: in hypervisor RAM, or at the head of its
 * carveout slice when the carveout is offered (the only non-secure memory the
 * secure half of "carveout" reaches).  TS_EBUSY when all of the slice's
 * shadow pages are in use, TS_ENOMEM.
 */
static int shadow_alloc(struct hv_guest *g, paddr_t *pa)
{
	struct hv_mediator *med = g->med;
	struct carveout_slice sl;
	uint64_t *used;
	uint32_t i;

	if (!med->co_split.n_vms || carveout_split_slice(&med->co_split, g->vm_id, &sl))
		return hv_page_alloc(med, pa);
	used = &med->co_shadow_used[g->vm_id];
	pthread_mutex_lock(&med->lock);
	for (i = 0; i < CARVEOUT_SHADOW_PAGES && (*used >> i & 1); i++)
		;
	if (i < CARVEOUT_SHADOW_PAGES)
		*used |= 1ull << i;
	pthread_mutex_unlock(&med->lock);
	if (i == CARVEOUT_SHADOW_PAGES)
		return TS_EBUSY;
	*pa = pa_add(sl.pa, (uint64_t)i * SMALL_PAGE_SIZE);
	memset(hv_page_ptr(med, *pa), 0, SMALL_PAGE_SIZE);
	return 0;
}

/*
 * GET_SHM_CONFIG from a guest: the guest part of its own slice, at its IPA
 * window.  Without an offer the static carveout is the host's, not a guest's
 * (as in Xen): ENOTAVAIL.
 */
static void guest_shm_config(const struct hv_guest *g, struct smc_regs *regs)
{
	struct carveout_slice sl;
	uint64_t win;

	if (!guest_window(g, &sl, &win)) {
		regs->a[0] = OPTEE_SMC_RETURN_ENOTAVAIL;
		return;
	}
	regs->a[0] = OPTEE_SMC_RETURN_OK;
	regs->a[1] = win;              /* below 4 GiB (carveout_window_ipa): an SMC32 answer */
	regs->a[2] = sl.guest_bytes;
	regs->a[3] = OPTEE_SMC_SHM_CACHED;
}

static void *guest_accessor_map(void *ctx, paddr_t ipa, size_t len)
{
	return guest_ptr(ctx, pa_addr(ipa), len);
}

static void *hv_accessor_map(void *ctx, paddr_t pa, size_t len)
{
	struct hv_mediator *med = ctx;

	if (!dram_region_contains(med->pages.region, pa, len))
		return NULL;
	return hv_page_ptr(med, pa);
}

/*
 * Rewrite a guest's NONCONTIG buffer (buf_ptr = list IPA | offset) into a list
 * of PAs in hypervisor pages.  Every data page must be the guest's own.
 * Returns the new buf_ptr through *out, or a TS_E* code with nothing kept.
 */
/*
 * Rewrite the guest's page list at buf_ptr (IPAs) into list pages of our own
 * holding PAs.  With ipas_out, also hand back a copy of the guest's page IPAs
 * (malloc'd; the caller frees it) and the buffer's offset in its first page.
 */
static int translate_list(struct hv_guest *g, uint64_t buf_ptr, uint64_t size, uint32_t max,
			  struct hv_list *l, uint32_t *n_pages_out, uint64_t *out,
			  uint64_t **ipas_out, uint64_t *offset_out)
{
	struct pa_accessor gacc = { guest_accessor_map, g };
	struct pa_accessor hacc = { hv_accessor_map, g->med };
	struct optee_pagelist_parsed parsed;
	paddr_t *pages = malloc(max * sizeof(*pages));
	size_t i, n_list;
	int rc;

	if (!pages)
		return TS_ENOMEM;
	rc = optee_pagelist_read(&gacc, buf_ptr, size, pages, max, &parsed);
	if (rc)
		goto out;
	if (ipas_out) {
		*ipas_out = malloc(parsed.n_pages * sizeof(**ipas_out));
		if (!*ipas_out) {
			rc = TS_ENOMEM;
			goto out;
		}
		for (i = 0; i < parsed.n_pages; i++)
			(*ipas_out)[i] = pa_addr(pages[i]);
		*offset_out = parsed.offset_bytes;
	}
	for (i = 0; i < parsed.n_pages; i++) {
		paddr_t pa;

		if ((rc = stage2_ipa_to_pa(g->s2, pa_addr(pages[i]), SMALL_PAGE_SIZE, &pa)))
			goto out;
		pages[i] = pa;
	}
	n_list = optee_pagelist_list_pages(parsed.n_pages);
	if (n_list > MAX_LIST_PAGES) {
		rc = TS_E2BIG;
		goto out;
	}
	for (l->n = 0; l->n < n_list; l->n++)
		if ((rc = hv_page_alloc(g->med, &l->pages[l->n])))
			goto out;
	rc = optee_pagelist_write(&hacc, l->pages, n_list, pages, parsed.n_pages);
	if (rc)
		goto out;
	g->stats.pages_translated += parsed.n_pages;
	g->stats.list_pages_written += n_list;
	*n_pages_out = (uint32_t)parsed.n_pages;
	*out = optee_pagelist_buf_ptr(l->pages[0], parsed.offset_bytes);
out:
	if (rc) {
		list_free(g->med, l);
		if (ipas_out) {
			free(*ipas_out);
			*ipas_out = NULL;
		}
	}
	free(pages);
	return rc;
}

/* ---- calls ---- */

static struct hv_call *call_get(struct hv_guest *g)
{
	uint32_t i;

	for (i = 0; i < g->med->lim.max_calls_per_guest; i++)
		if (!g->calls[i].used) {
			memset(&g->calls[i], 0, sizeof(g->calls[i]));
			g->calls[i].used = true;
			return &g->calls[i];
		}
	return NULL;
}

static void call_put(struct hv_guest *g, struct hv_call *c)
{
	uint32_t i;

	for (i = 0; i < MAX_PARAMS; i++)
		list_free(g->med, &c->lists[i]);
	list_free(g->med, &c->rpc_list);
	if (c->shadow)
		hv_page_free(g->med, c->shadow_pa);
	free(c->reg_ipas);
	memset(c, 0, sizeof(*c));
}

static struct hv_call *call_by_thread(struct hv_guest *g, uint32_t thread_id)
{
	uint32_t i;

	for (i = 0; i < g->med->lim.max_calls_per_guest; i++)
		if (g->calls[i].used && g->calls[i].suspended && g->calls[i].thread_id == thread_id)
			return &g->calls[i];
	return NULL;
}

static struct hv_rpc_shm *rpc_shm_find(struct hv_guest *g, uint64_t cookie)
{
	uint32_t i;

	for (i = 0; i < MAX_RPC_SHMS; i++)
		if (g->rpc_shms[i].used && g->rpc_shms[i].cookie == cookie)
			return &g->rpc_shms[i];
	return NULL;
}

static struct hv_reg_shm *reg_find(struct hv_guest *g, uint64_t cookie)
{
	uint64_t i;

	for (i = 0; i < g->stats.registered_buffers; i++)
		if (g->regs[i].cookie == cookie)
			return &g->regs[i];
	return NULL;
}

/* Finish a call in the guest's arg as the mediator itself: the error is ours, not the TEE's. */
static void fail_in_guest(struct hv_guest *g, uint64_t arg_ipa, uint32_t res)
{
	struct optee_msg_arg *ga = guest_ptr(g, arg_ipa, sizeof(*ga));

	if (ga) {
		ga->ret = res;
		ga->ret_origin = TEE_ORIGIN_COMMS;
	}
	g->stats.refused++;
}

/* What call_prepare made of a guest's call. */
enum prep {
	PREP_READY,       /* the shadow is ready for the secure world */
	PREP_REFUSED,     /* refused in the guest's arg (ret set): the SMC itself completes OK */
	PREP_SMC_ERROR,   /* refused as an SMC error in *smc_err */
};

/* Copy the guest's arg into a shadow page and rewrite it for the secure world. */
static enum prep call_prepare(struct hv_guest *g, struct hv_call *c, uint64_t arg_ipa, bool rpc_arg,
			      uint32_t *smc_err)
{
	struct optee_msg_arg head, *sa;
	const struct optee_msg_arg *ga;
	uint64_t room = SMALL_PAGE_SIZE - (arg_ipa & SMALL_PAGE_MASK);
	uint32_t i;
	int shadow_rc;

	*smc_err = OPTEE_SMC_RETURN_EBADADDR;
	if (arg_ipa & 7)
		return PREP_SMC_ERROR;
	ga = guest_ptr(g, arg_ipa, sizeof(head));
	if (!ga)
		return PREP_SMC_ERROR;
	memcpy(&head, ga, sizeof(head)); /* num_params is fetched once, here */
	if (head.num_params > MAX_PARAMS) {
		*smc_err = OPTEE_SMC_RETURN_EBADCMD;
		return PREP_SMC_ERROR;
	}
	c->guest_arg_ipa = arg_ipa;
	c->num_params = head.num_params;
	c->cmd = head.cmd;
	c->call_arg_bytes = (uint32_t)OPTEE_MSG_GET_ARG_SIZE(head.num_params);
	c->rpc_arg_bytes = rpc_arg ? (uint32_t)OPTEE_MSG_GET_ARG_SIZE(g->rpc_params) : 0;
	/* As Xen: the argument must sit in one guest page, so one shadow page holds it. */
	if (c->call_arg_bytes + c->rpc_arg_bytes > room)
		return PREP_SMC_ERROR;
	ga = guest_ptr(g, arg_ipa, c->call_arg_bytes + c->rpc_arg_bytes);
	if (!ga)
		return PREP_SMC_ERROR;
	if ((shadow_rc = shadow_alloc(g, &c->shadow_pa))) {
		/* A slice's shadow pages all busy: wait and retry, as for busy threads. */
		*smc_err = shadow_rc == TS_EBUSY ? OPTEE_SMC_RETURN_ETHREAD_LIMIT :
						   OPTEE_SMC_RETURN_ENOMEM;
		return PREP_SMC_ERROR;
	}
	c->shadow = hv_page_ptr(g->med, c->shadow_pa);
	memcpy(c->shadow, ga, c->call_arg_bytes + c->rpc_arg_bytes);
	g->stats.shadow_copies++;
	sa = (struct optee_msg_arg *)c->shadow;
	sa->num_params = c->num_params;
	sa->cmd = c->cmd;

	for (i = 0; i < c->num_params; i++) {
		struct optee_msg_param *p = &sa->params[i];
		uint64_t type = p->attr & OPTEE_MSG_ATTR_TYPE_MASK;
		uint32_t n_pages = 0;
		uint64_t new_ptr;
		bool reg;
		int rc;

		if (type < OPTEE_MSG_ATTR_TYPE_TMEM_INPUT || type > OPTEE_MSG_ATTR_TYPE_TMEM_INOUT)
			continue;
		if (!(p->attr & OPTEE_MSG_ATTR_NONCONTIG)) {
			paddr_t pa;

			/*
			 * Only a NULL memref may be contiguous: a guest PA range means nothing to
			 * the TEE.  A NULL memref names no memory; its size may travel
			 * (OPTEE_SMC_SEC_CAP_MEMREF_NULL: a TA learns how much to ask for).
			 */
			if (p->u.tmem.buf_ptr == 0)
				continue;
			/* ... or one wholly in the carveout window: one run of the guest's slice. */
			if (!window_ipa_to_pa(g, p->u.tmem.buf_ptr,
					      p->u.tmem.size ? p->u.tmem.size : 1, &pa)) {
				p->u.tmem.buf_ptr = pa_addr(pa);
				g->stats.window_translated++;
				continue;
			}
			fail_in_guest(g, arg_ipa, TEE_ERROR_BAD_PARAMETERS);
			return PREP_REFUSED;
		}
		reg = c->cmd == OPTEE_MSG_CMD_REGISTER_SHM && !c->reg_ipas;
		rc = translate_list(g, p->u.tmem.buf_ptr, p->u.tmem.size,
				    g->med->lim.max_pages_per_buffer, &c->lists[i], &n_pages, &new_ptr,
				    reg ? &c->reg_ipas : NULL, &c->reg_offset);
		if (!rc && reg) {
			if (n_pages > g->med->lim.max_pages_per_buffer ||
			    g->stats.registered_buffers >= g->med->lim.max_shm_buffers ||
			    g->stats.registered_pages + n_pages > g->med->lim.max_pages_per_guest)
				rc = TS_ENOSPC;
			c->reg_cookie = p->u.tmem.shm_ref;
			c->reg_pages = n_pages;
		}
		if (rc) {
			/* Over a limit is out of resources, as Xen answers; anything else is a bad list. */
			fail_in_guest(g, arg_ipa, rc == TS_ENOSPC || rc == TS_ENOMEM || rc == TS_E2BIG ?
							  TEE_ERROR_OUT_OF_MEMORY :
							  TEE_ERROR_BAD_PARAMETERS);
			return PREP_REFUSED;
		}
		p->u.tmem.buf_ptr = new_ptr;
	}
	return PREP_READY;
}

/* Results back into the guest's arg: only what the TEE may change (as Xen's copy_std_request_back). */
static void call_copy_back(struct hv_guest *g, struct hv_call *c)
{
	struct optee_msg_arg *ga = guest_ptr(g, c->guest_arg_ipa, c->call_arg_bytes);
	const struct optee_msg_arg *sa = (const struct optee_msg_arg *)c->shadow;
	uint32_t i;

	if (!ga)
		return;
	ga->ret = sa->ret;
	ga->ret_origin = sa->ret_origin;
	ga->session = sa->session;
	for (i = 0; i < c->num_params; i++) {
		uint64_t type = sa->params[i].attr & OPTEE_MSG_ATTR_TYPE_MASK;

		switch (type) {
		case OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT:
		case OPTEE_MSG_ATTR_TYPE_VALUE_INOUT:
			ga->params[i].u.value = sa->params[i].u.value;
			break;
		case OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT:
		case OPTEE_MSG_ATTR_TYPE_RMEM_INOUT:
			ga->params[i].u.rmem.size = sa->params[i].u.rmem.size;
			break;
		case OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT:
		case OPTEE_MSG_ATTR_TYPE_TMEM_INOUT:
			ga->params[i].u.tmem.size = sa->params[i].u.tmem.size;
			break;
		default:
			break;
		}
	}
	g->stats.shadow_copies++;
}

/* Book keeping once the secure world finished a call. */
static void call_complete(struct hv_guest *g, struct hv_call *c)
{
	const struct optee_msg_arg *sa = (const struct optee_msg_arg *)c->shadow;

	if (sa->ret == TEE_SUCCESS && c->cmd == OPTEE_MSG_CMD_REGISTER_SHM && c->reg_pages) {
		g->regs[g->stats.registered_buffers++] = (struct hv_reg_shm){
			c->reg_cookie, c->reg_pages, c->reg_offset, c->reg_ipas
		};
		c->reg_ipas = NULL; /* the booking owns it now */
		g->stats.registered_pages += c->reg_pages;
	} else if (sa->ret == TEE_SUCCESS && c->cmd == OPTEE_MSG_CMD_UNREGISTER_SHM &&
		   c->num_params >= 1) {
		struct hv_reg_shm *r = reg_find(g, sa->params[0].u.rmem.shm_ref);

		if (r) {
			g->stats.registered_pages -= r->pages;
			free(r->page_ipa);
			*r = g->regs[--g->stats.registered_buffers];
		}
	}
	call_copy_back(g, c);
	call_put(g, c);
}

/* The secure world's RPC argument buffer for this call, and its guest twin. */
static int rpc_arg_buffers(struct hv_guest *g, struct hv_call *c, uint8_t **shadow,
			   uint64_t *guest_ipa, uint32_t *bytes)
{
	struct hv_rpc_shm *s;

	if (c->rpc_arg_bytes) {
		*shadow = c->shadow + c->call_arg_bytes;
		*guest_ipa = c->guest_arg_ipa + c->call_arg_bytes;
		*bytes = c->rpc_arg_bytes;
		return 0;
	}
	s = rpc_shm_find(g, c->pending_arg);
	if (!s)
		return TS_ENOENT;
	*shadow = hv_page_ptr(g->med, s->shadow_pa);
	*guest_ipa = s->guest_ipa;
	*bytes = s->bytes;
	return 0;
}

/*
 * A return from the secure world for call c.  Completion: copy back and free.
 * RPC: remember what is pending and show the guest its side of the buffers.
 */
static void on_sw_return(struct hv_guest *g, struct hv_call *c, struct smc_regs *regs)
{
	uint32_t a0 = (uint32_t)regs->a[0];

	list_free(g->med, &c->rpc_list);
	if (!optee_smc_return_is_rpc(a0)) {
		if (a0 == OPTEE_SMC_RETURN_OK)
			call_complete(g, c);
		else
			call_put(g, c); /* ETHREAD_LIMIT, EBADADDR, ...: nothing ran */
		return;
	}
	c->suspended = true;
	c->thread_id = (uint32_t)regs->a[3];
	g->stats.rpcs++;
	switch (a0 & OPTEE_SMC_RETURN_RPC_FUNC_MASK) {
	case OPTEE_SMC_RPC_FUNC_ALLOC:
		c->pending = RPC_ALLOC;
		c->pending_arg = regs->a[1];
		break;
	case OPTEE_SMC_RPC_FUNC_FREE:
		c->pending = RPC_FREE;
		c->pending_arg = optee_smc_reg_pair_to_u64((uint32_t)regs->a[1], (uint32_t)regs->a[2]);
		break;
	case OPTEE_SMC_RPC_FUNC_CMD: {
		uint8_t *shadow;
		uint64_t ipa;
		uint32_t bytes;
		void *gp;

		c->pending = RPC_CMD;
		c->pending_arg = optee_smc_reg_pair_to_u64((uint32_t)regs->a[1], (uint32_t)regs->a[2]);
		if (!rpc_arg_buffers(g, c, &shadow, &ipa, &bytes) && (gp = guest_ptr(g, ipa, bytes))) {
			memcpy(gp, shadow, bytes);
			g->stats.shadow_copies++;
		}
		break;
	}
	default:
		c->pending = RPC_FOREIGN;
		break;
	}
}

/* The guest answered an RPC: check and translate its answer for the secure world. */
static void on_guest_rpc_answer(struct hv_guest *g, struct hv_call *c, struct smc_regs *regs)
{
	switch (c->pending) {
	case RPC_ALLOC: {
		uint64_t ipa = optee_smc_reg_pair_to_u64((uint32_t)regs->a[1], (uint32_t)regs->a[2]);
		uint64_t cookie = optee_smc_reg_pair_to_u64((uint32_t)regs->a[4], (uint32_t)regs->a[5]);
		struct hv_rpc_shm *s = NULL;
		paddr_t shadow;
		uint32_t i;

		for (i = 0; i < MAX_RPC_SHMS && !s; i++)
			if (!g->rpc_shms[i].used)
				s = &g->rpc_shms[i];
		/* The secure world gets a shadow page of ours, never the guest's page. */
		if (ipa && s && c->pending_arg <= SMALL_PAGE_SIZE && !(ipa & 7) &&
		    guest_ptr(g, ipa, c->pending_arg) && !rpc_shm_find(g, cookie) &&
		    !shadow_alloc(g, &shadow)) {
			*s = (struct hv_rpc_shm){ true, cookie, ipa, (uint32_t)c->pending_arg, shadow };
			regs->a[1] = optee_smc_u64_high(pa_addr(shadow));
			regs->a[2] = optee_smc_u64_low(pa_addr(shadow));
		} else {
			regs->a[1] = regs->a[2] = 0; /* allocation failed, as far as the TEE knows */
			if (ipa)
				g->stats.refused++;
		}
		break;
	}
	case RPC_FREE: {
		struct hv_rpc_shm *s = rpc_shm_find(g, c->pending_arg);

		if (s) {
			hv_page_free(g->med, s->shadow_pa);
			memset(s, 0, sizeof(*s));
		}
		break;
	}
	case RPC_CMD: {
		uint8_t *shadow;
		uint64_t ipa;
		uint32_t bytes, n_pages;
		struct optee_msg_arg *sa;
		const void *gp;
		uint32_t num, cmd;
		paddr_t pa;

		if (rpc_arg_buffers(g, c, &shadow, &ipa, &bytes) || !(gp = guest_ptr(g, ipa, bytes)))
			break;
		sa = (struct optee_msg_arg *)shadow;
		num = sa->num_params;
		cmd = sa->cmd;
		memcpy(shadow, gp, bytes);
		g->stats.shadow_copies++;
		/* The request is the TEE's: the guest may only fill in the answer. */
		sa->num_params = num;
		sa->cmd = cmd;
		if (cmd == OPTEE_RPC_CMD_SHM_ALLOC && num >= 1 && sa->ret == TEE_SUCCESS) {
			struct optee_msg_param *p = &sa->params[0];
			uint64_t new_ptr;

			if ((p->attr & OPTEE_MSG_ATTR_NONCONTIG) &&
			    !translate_list(g, p->u.tmem.buf_ptr, p->u.tmem.size,
					    g->med->lim.max_pages_per_rpc_buffer, &c->rpc_list, &n_pages,
					    &new_ptr, NULL, NULL)) {
				p->u.tmem.buf_ptr = new_ptr;
			} else if (!(p->attr & OPTEE_MSG_ATTR_NONCONTIG) &&
				   !window_ipa_to_pa(g, p->u.tmem.buf_ptr, p->u.tmem.size, &pa)) {
				/* A carveout buffer: one run of the guest's slice. */
				p->u.tmem.buf_ptr = pa_addr(pa);
				g->stats.window_translated++;
			} else {
				p->u.tmem.buf_ptr = 0;
				p->u.tmem.size = 0;
				sa->ret = TEE_ERROR_OUT_OF_MEMORY;
				g->stats.refused++;
			}
		}
		break;
	}
	default:
		break;
	}
	c->suspended = false;
	c->pending = RPC_NONE;
}

/* Forward to the secure world; a transport failure looks like an unavailable TEE. */
static void to_sw(struct hv_guest *g, struct smc_regs *regs)
{
	regs->a[7] = g->client_id;
	if (smc_conduit_call(&g->to_sw, regs))
		regs->a[0] = OPTEE_SMC_RETURN_ENOTAVAIL;
}

/* A yielding call with its arg at guest IPA arg_ipa, shadowed and sent as CALL_WITH_ARG/_RPC_ARG. */
static void std_call(struct hv_guest *g, struct smc_regs *regs, uint64_t arg_ipa, bool rpc_arg)
{
	struct hv_call *c = call_get(g);
	enum prep prep;
	uint32_t smc_err;

	if (!c) {
		regs->a[0] = OPTEE_SMC_RETURN_ETHREAD_LIMIT;
		return;
	}
	g->stats.std_calls++;
	prep = call_prepare(g, c, arg_ipa, rpc_arg, &smc_err);
	if (prep != PREP_READY) {
		call_put(g, c);
		if (prep == PREP_SMC_ERROR)
			g->stats.refused++;
		regs->a[0] = prep == PREP_REFUSED ? OPTEE_SMC_RETURN_OK : smc_err;
		return;
	}
	regs->a[0] = rpc_arg ? OPTEE_SMC_CALL_WITH_RPC_ARG : OPTEE_SMC_CALL_WITH_ARG;
	regs->a[1] = optee_smc_u64_high(pa_addr(c->shadow_pa));
	regs->a[2] = optee_smc_u64_low(pa_addr(c->shadow_pa));
	regs->a[3] = 0;
	to_sw(g, regs);
	on_sw_return(g, c, regs);
}

/*
 * CALL_WITH_REGD_ARG (a1:a2 cookie of a buffer the guest registered, a3 the
 * arg's offset in it): the guest keeps its args in registered memory, as
 * Linux's arg cache does, so it registers nothing per call.  Xen refuses the
 * call; we find the arg's guest page from the registration we booked and
 * shadow it like any other, so the secure world still reads only our copy.
 * It gets a CALL_WITH_ARG, or with RPC_ARG a CALL_WITH_RPC_ARG whose shadow
 * also holds the RPC arg that follows the call's arg in the guest's buffer
 * (where OP-TEE's std_entry_with_regd_arg looks for it): the TEE never
 * learns the guest's cookie.
 */
static void regd_call(struct hv_guest *g, struct smc_regs *regs)
{
	uint64_t cookie = optee_smc_reg_pair_to_u64((uint32_t)regs->a[1], (uint32_t)regs->a[2]);
	const struct hv_reg_shm *r = reg_find(g, cookie);
	uint64_t pos;

	if (!r || regs->a[3] > (uint64_t)r->pages * SMALL_PAGE_SIZE) {
		g->stats.refused++;
		regs->a[0] = OPTEE_SMC_RETURN_EBADADDR;
		return;
	}
	pos = r->offset_bytes + regs->a[3];
	if (pos / SMALL_PAGE_SIZE >= r->pages) {
		g->stats.refused++;
		regs->a[0] = OPTEE_SMC_RETURN_EBADADDR;
		return;
	}
	/* call_prepare checks alignment and that the arg (and RPC arg) stay in this one page. */
	std_call(g, regs, r->page_ipa[pos / SMALL_PAGE_SIZE] + pos % SMALL_PAGE_SIZE,
		 g->rpc_arg_cap);
}

static uint64_t std_arg_ipa(const struct smc_regs *regs)
{
	return optee_smc_reg_pair_to_u64((uint32_t)regs->a[1], (uint32_t)regs->a[2]);
}

static void return_from_rpc(struct hv_guest *g, struct smc_regs *regs)
{
	struct hv_call *c = call_by_thread(g, (uint32_t)regs->a[3]);

	if (!c) {
		/* Not a call of this guest's: never let it resume another guest's thread. */
		g->stats.refused++;
		regs->a[0] = OPTEE_SMC_RETURN_ERESUME;
		return;
	}
	on_guest_rpc_answer(g, c, regs);
	to_sw(g, regs);
	on_sw_return(g, c, regs);
}

void hv_guest_smc(void *guest, struct smc_regs *regs)
{
	struct hv_guest *g = guest;
	uint32_t a0 = (uint32_t)regs->a[0];

	pthread_mutex_lock(&g->lock);
	g->stats.smcs++;
	switch (a0) {
	case OPTEE_SMC_CALL_WITH_ARG:
		std_call(g, regs, std_arg_ipa(regs), false);
		break;
	case OPTEE_SMC_CALL_WITH_RPC_ARG:
		std_call(g, regs, std_arg_ipa(regs), true);
		break;
	case OPTEE_SMC_CALL_RETURN_FROM_RPC:
		return_from_rpc(g, regs);
		break;
	case OPTEE_SMC_CALL_WITH_REGD_ARG:
		regd_call(g, regs);
		break;
	case OPTEE_SMC_VM_CREATED:
	case OPTEE_SMC_VM_DESTROYED:
		g->stats.refused++;
		regs->a[0] = OPTEE_SMC_RETURN_UNKNOWN_FUNCTION;
		break;
	case OPTEE_SMC_GET_SHM_CONFIG:
		/* Its own carveout slice if offered; else the carveout is the host's (Xen). */
		g->stats.fast_calls++;
		guest_shm_config(g, regs);
		break;
	case OPTEE_SMC_EXCHANGE_CAPABILITIES:
		g->stats.fast_calls++;
		to_sw(g, regs);
		if ((uint32_t)regs->a[0] == OPTEE_SMC_RETURN_OK) {
			struct carveout_slice sl;
			uint64_t win;

			if (!guest_window(g, &sl, &win))
				regs->a[1] &= ~(uint64_t)OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM;
			g->rpc_arg_cap = regs->a[1] & OPTEE_SMC_SEC_CAP_RPC_ARG;
			g->rpc_params = (uint32_t)(regs->a[3] & 0xff);
		}
		break;
	default:
		g->stats.fast_calls++;
		to_sw(g, regs);
		break;
	}
	pthread_mutex_unlock(&g->lock);
}

int hv_guest_add(struct hv_mediator *med, uint16_t vm_id, const struct stage2_map *s2,
		 const struct smc_conduit *to_sw_conduit, struct hv_guest **out)
{
	struct smc_regs regs = { .a = { OPTEE_SMC_VM_CREATED, (uint64_t)vm_id + 1 } };
	struct hv_guest *g, *it;
	int rc;

	pthread_mutex_lock(&med->lock);
	for (it = med->guests; it; it = it->next)
		if (it->vm_id == vm_id) {
			pthread_mutex_unlock(&med->lock);
			return TS_EEXIST;
		}
	pthread_mutex_unlock(&med->lock);
	g = calloc(1, sizeof(*g));
	if (!g)
		return TS_ENOMEM;
	g->calls = calloc(med->lim.max_calls_per_guest, sizeof(*g->calls));
	g->regs = calloc(med->lim.max_shm_buffers, sizeof(*g->regs));
	if (!g->calls || !g->regs) {
		free(g->calls);
		free(g->regs);
		free(g);
		return TS_ENOMEM;
	}
	g->med = med;
	g->vm_id = vm_id;
	g->client_id = (uint32_t)vm_id + 1;
	g->s2 = s2;
	g->to_sw = *to_sw_conduit;
	g->rpc_params = 4;
	pthread_mutex_init(&g->lock, NULL);
	/* VM_CREATED comes from the hypervisor itself: client id 0 in a7. */
	rc = smc_conduit_call(&g->to_sw, &regs);
	if (rc || (uint32_t)regs.a[0] != OPTEE_SMC_RETURN_OK) {
		pthread_mutex_destroy(&g->lock);
		free(g->calls);
		free(g->regs);
		free(g);
		return rc ? rc : TS_EIO;
	}
	pthread_mutex_lock(&med->lock);
	g->next = med->guests;
	med->guests = g;
	pthread_mutex_unlock(&med->lock);
	*out = g;
	return 0;
}

int hv_guest_remove(struct hv_mediator *med, struct hv_guest *g)
{
	struct smc_regs regs = { .a = { OPTEE_SMC_VM_DESTROYED, g->client_id } };
	struct hv_guest **pp;
	uint32_t i;
	int rc;

	pthread_mutex_lock(&g->lock);
	for (i = 0; i < med->lim.max_calls_per_guest; i++)
		if (g->calls[i].used)
			call_put(g, &g->calls[i]);
	for (i = 0; i < MAX_RPC_SHMS; i++)
		if (g->rpc_shms[i].used)
			hv_page_free(med, g->rpc_shms[i].shadow_pa);
	for (i = 0; i < g->stats.registered_buffers; i++)
		free(g->regs[i].page_ipa);
	pthread_mutex_unlock(&g->lock);
	/* The secure world frees its side: sessions, registered shm, suspended threads. */
	rc = smc_conduit_call(&g->to_sw, &regs);
	if (!rc && (uint32_t)regs.a[0] != OPTEE_SMC_RETURN_OK)
		rc = TS_EIO;
	pthread_mutex_lock(&med->lock);
	for (pp = &med->guests; *pp; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	pthread_mutex_unlock(&med->lock);
	pthread_mutex_destroy(&g->lock);
	free(g->calls);
	free(g->regs);
	free(g);
	return rc;
}

const struct hv_guest_stats *hv_guest_stats(const struct hv_guest *guest)
{
	return &guest->stats;
}
