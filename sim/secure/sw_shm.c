/* Normal-world buffers mapped for the secure world, and registered shm (see sw_shm.h). */
#define _POSIX_C_SOURCE 200809L
#include "sim/secure/sw_shm.h"

#include <stdlib.h>
#include <string.h>

#include "sim/common/optee_pagelist.h"
#include "sim/common/strategy.h"
#include "sim/common/ts_err.h"
#include "sim/secure/sw_internal.h"

/*
 * Under virtualization the carveout is split between VMs by the rule all
 * worlds share (carveout_split_init: one slice per guest RAM region of the
 * layout); client c owns slice c - 1, the mediator's shadow pages at its head
 * included.  The hypervisor (client 0) shares nothing.
 */
static bool carveout_slice_owned(const struct secure_world *sw, uint16_t client, paddr_t pa,
				 uint64_t len_bytes)
{
	struct carveout_split split;

	if (client == 0 ||
	    carveout_split_init(&split, sw->carveout->base, sw->carveout->size_bytes,
				sw->dram->config.n_guests, sw->strategy.params.carveout_vm_bytes,
				NULL, 0))
		return false;
	return carveout_split_owner(&split, pa, len_bytes) == (int32_t)client - 1;
}

bool sw_pa_owned(const struct secure_world *sw, uint16_t client, paddr_t pa, uint64_t len_bytes)
{
	const struct dram_region *r = dram_range_region(sw->dram->layout, pa, len_bytes);

	if (!r || r->secure)
		return false;
	/* The lone normal world owns the whole carveout; a VM only its own slice. */
	if (r->kind == DRAM_CARVEOUT)
		return !sw->cfg.virtualization || carveout_slice_owned(sw, client, pa, len_bytes);
	/*
	 * The hypervisor's own RAM holds what it passes on a guest's behalf, as
	 * Xen's mediator does: shadow copies of args, translated page lists.  It
	 * is trusted; a guest cannot name those pages (its IPAs never reach them).
	 */
	if (r->kind == DRAM_HV_RAM)
		return true;
	if (r->kind != DRAM_GUEST_RAM)
		return false;
	/*
	 * Under virtualization a guest may share only its own RAM: the
	 * hypervisor translated its page lists, and this is defence in depth
	 * against a list naming another guest's pages.  Guest RAM slice i
	 * belongs to client i + 1 (VM id i).
	 */
	if (!sw->cfg.virtualization)
		return true;
	return client >= 1 && r->guest == (uint32_t)client - 1;
}

/* Take a copy of the checked page list: the mobj owns it from now on. */
static int describe_pages(uint16_t client, const paddr_t *pages, size_t n_pages,
			  uint64_t offset, uint64_t size_bytes, bool read_only, struct sw_mobj *out)
{
	paddr_t *copy;

	if (n_pages == 0)
		return TS_EINVAL;
	copy = malloc(n_pages * sizeof(*copy));
	if (!copy)
		return TS_ENOMEM;
	memcpy(copy, pages, n_pages * sizeof(*copy));
	*out = (struct sw_mobj){
		.size_bytes = size_bytes,
		.offset_bytes = offset,
		.pages = copy,
		.n_pages = n_pages,
		.read_only = read_only,
		.client = client,
	};
	return 0;
}

int sw_mobj_describe_contig(struct secure_world *sw, uint16_t client, paddr_t pa,
			    uint64_t size_bytes, bool read_only, struct sw_mobj *out)
{
	uint64_t offset = pa_addr(pa) & SMALL_PAGE_MASK, n_pages, i;

	memset(out, 0, sizeof(*out));
	if (size_bytes == 0)
		return TS_EINVAL;
	if (range_overflows(pa_addr(pa), size_bytes) ||
	    size_bytes > UINT64_MAX - SMALL_PAGE_MASK - offset)
		return TS_EOVERFLOW;
	if (!sw_pa_owned(sw, client, pa, size_bytes))
		return TS_EACCES;
	/* The carveout is mapped since boot: no mapping to make, as OP-TEE's static shm. */
	if (sw->carveout && dram_region_contains(sw->carveout, pa, size_bytes)) {
		vaddr_t va = core_mm_phys_to_virt(&sw->mm, pa, MEM_AREA_NSEC_SHM, size_bytes);

		if (va_addr(va)) {
			*out = (struct sw_mobj){ .va = va, .size_bytes = size_bytes,
						 .offset_bytes = offset, .read_only = read_only,
						 .client = client };
			return 0;
		}
	}
	n_pages = pages_spanned(offset, size_bytes);
	if (n_pages > sw->cfg.max_pages_per_buffer)
		return TS_E2BIG;
	out->pages = malloc(n_pages * sizeof(*out->pages));
	if (!out->pages)
		return TS_ENOMEM;
	for (i = 0; i < n_pages; i++)
		out->pages[i] = pa_init(pa_addr(pa) - offset + i * SMALL_PAGE_SIZE);
	out->size_bytes = size_bytes;
	out->offset_bytes = offset;
	out->n_pages = n_pages;
	out->read_only = read_only;
	out->client = client;
	return 0;
}

/*
 * core_mm_map_shm, retried while the strategy can give back an idle mapping
 * when the shared resources run out: what a strategy keeps for speed never
 * makes a map fail that would succeed without it.
 */
static int map_reclaiming(struct secure_world *sw, uint16_t client, const paddr_t *pages,
			  size_t n_pages, uint32_t attrs, vaddr_t *va)
{
	const struct sw_strategy_ops *ops = sw->strategy.ops;
	struct sw_metrics_op op;
	int rc;

	sw_metrics_op_begin(sw, &op);
	while ((rc = core_mm_map_shm(&sw->mm, client, pages, n_pages, attrs, va)) == TS_ENOMEM ||
	       rc == TS_ENOSPC) {
		if (!ops || !ops->reclaim || !ops->reclaim(&sw->strategy, client))
			break;
		core_mm_purge_lazy(&sw->mm); /* lazily freed VA comes back only after its TLBI */
	}
	if (!rc) {
		sw_metrics_op_end(sw, &op, true, n_pages);
		sw_event(sw, client, "map    %zu page%s at VA 0x%llx", n_pages, n_pages == 1 ? "" : "s",
			 (unsigned long long)va_addr(*va));
	}
	return rc;
}

/* core_mm_unmap_shm, timed. */
static void unmap_timed(struct secure_world *sw, vaddr_t va, uint64_t n_pages)
{
	struct sw_metrics_op op;

	const struct core_mapping *cm = core_mm_find_mapping(&sw->mm, va);
	uint16_t vm = cm ? cm->vm : 0;

	sw_metrics_op_begin(sw, &op);
	/* Cannot fail: the mapping is ours and alive until this point. */
	(void)core_mm_unmap_shm(&sw->mm, va);
	sw_metrics_op_end(sw, &op, false, n_pages);
	if (sw->cfg.events) {
		const struct tlb_stats *t = &sw->mm.tlb.stats;
		uint64_t all = t->tlbi_all - op.before.tlbi_all, by_va = t->tlbi_va - op.before.tlbi_va,
			 range = t->tlbi_range - op.before.tlbi_range;

		sw_event(sw, vm, "unmap  %llu page%s at VA 0x%llx", (unsigned long long)n_pages,
			 n_pages == 1 ? "" : "s", (unsigned long long)va_addr(va));
		if (all || by_va || range)
			sw_event(sw, vm, "tlbi   all x%llu, by VA x%llu, range x%llu",
				 (unsigned long long)all, (unsigned long long)by_va,
				 (unsigned long long)range);
	}
}

int sw_mobj_map(struct secure_world *sw, struct sw_mobj *m)
{
	struct sw_client *c = sw_client_of(sw, m->client);
	vaddr_t va;
	int rc;

	if (!sw_mobj_needs_map(m) || sw_mobj_is_mapped(m))
		return TS_EINVAL;
	rc = map_reclaiming(sw, m->client, m->pages, m->n_pages, m->read_only ? PGT_ATTR_RO : 0,
			    &va);
	if (rc)
		return rc;
	m->map_va = va;
	m->va = va_add(va, m->offset_bytes);
	c->n_mappings++;
	c->stats.memrefs_mapped++;
	c->stats.pages_mapped += m->n_pages;
	return 0;
}

/*
 * The page-list accessor: only list pages the client may share, each read
 * whole through a short-lived read-only mapping into one secure bounce page.
 * The parser is done with a list page before it asks for the next, so one
 * bounce page serves the whole list.
 */
struct list_reader {
	struct secure_world *sw;
	uint16_t client;
	uint8_t *bounce;
	int err;
};

static void *list_page_map(void *ctx, paddr_t pa, size_t len_bytes)
{
	struct list_reader *lr = ctx;
	struct secure_world *sw = lr->sw;
	vaddr_t va;
	int rc;

	if (len_bytes != SMALL_PAGE_SIZE || !pa_is_page_aligned(pa) ||
	    !sw_pa_owned(sw, lr->client, pa, SMALL_PAGE_SIZE)) {
		lr->err = TS_EACCES;
		return NULL;
	}
	va = sw->carveout && dram_region_contains(sw->carveout, pa, SMALL_PAGE_SIZE) ?
		     core_mm_phys_to_virt(&sw->mm, pa, MEM_AREA_NSEC_SHM, SMALL_PAGE_SIZE) :
		     va_init(0);
	if (va_addr(va)) {
		rc = core_mm_read(&sw->mm, va, lr->bounce, SMALL_PAGE_SIZE);
	} else {
		rc = map_reclaiming(sw, lr->client, &pa, 1, PGT_ATTR_RO, &va);
		if (rc == 0) {
			rc = core_mm_read(&sw->mm, va, lr->bounce, SMALL_PAGE_SIZE);
			unmap_timed(sw, va, 1);
		}
	}
	if (rc) {
		lr->err = rc;
		return NULL;
	}
	sw_client_of(sw, lr->client)->stats.pagelist_pages_read++;
	return lr->bounce;
}

int sw_mobj_describe_noncontig(struct secure_world *sw, uint16_t client, uint64_t buf_ptr,
			       uint64_t size_bytes, bool read_only, paddr_t *scratch,
			       uint8_t *bounce, struct sw_mobj *out)
{
	struct list_reader lr = { sw, client, bounce, 0 };
	struct pa_accessor acc = { list_page_map, &lr };
	struct optee_pagelist_parsed parsed;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = optee_pagelist_read(&acc, buf_ptr, size_bytes, scratch, sw->cfg.max_pages_per_buffer,
				 &parsed);
	if (rc)
		return lr.err ? lr.err : rc;
	for (i = 0; i < parsed.n_pages; i++)
		if (!sw_pa_owned(sw, client, scratch[i], SMALL_PAGE_SIZE))
			return TS_EACCES;
	return describe_pages(client, scratch, parsed.n_pages, parsed.offset_bytes, size_bytes,
			      read_only, out);
}

void sw_mobj_unmap(struct secure_world *sw, struct sw_mobj *m)
{
	if (!sw_mobj_is_mapped(m))
		return;
	unmap_timed(sw, m->map_va, m->n_pages);
	sw_client_of(sw, m->client)->n_mappings--;
	m->map_va = va_init(0);
	m->va = va_init(0);
}

void sw_mobj_release(struct secure_world *sw, struct sw_mobj *m)
{
	sw_mobj_unmap(sw, m);
	free(m->pages);
	memset(m, 0, sizeof(*m));
}

/* ---- Registered shared memory ---- */

int sw_shm_table_init(struct sw_shm_table *t, uint32_t max)
{
	uint32_t n = 16;

	memset(t, 0, sizeof(*t));
	if (max == 0 || max > (1u << 24))
		return TS_EINVAL;
	while (n < max)
		n <<= 1;
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (!t->buckets)
		return TS_ENOMEM;
	t->n_buckets = n;
	t->max = max;
	return 0;
}

void sw_shm_table_fini(struct sw_shm_table *t)
{
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

static struct sw_shm **bucket_of(struct sw_shm_table *t, uint16_t client, uint64_t cookie)
{
	/* Cookies are often pointers (Linux): mix the high bits down before masking. */
	uint64_t h = (cookie ^ ((uint64_t)client << 48)) * 0x9e3779b97f4a7c15ull;

	return &t->buckets[(uint32_t)(h >> 32) & (t->n_buckets - 1)];
}

struct sw_shm *sw_shm_find(struct secure_world *sw, uint16_t client, uint64_t cookie)
{
	struct sw_shm *s;

	for (s = *bucket_of(&sw->shm, client, cookie); s; s = s->hash_next)
		if (s->cookie == cookie && s->client == client)
			return s;
	return NULL;
}

int sw_shm_register(struct secure_world *sw, uint16_t client, uint64_t cookie,
		    const struct sw_mobj *mobj, struct sw_shm **out)
{
	struct sw_client *c = sw_client_of(sw, client);
	struct sw_shm **b = bucket_of(&sw->shm, client, cookie);
	struct sw_shm *s;

	if (sw_shm_find(sw, client, cookie))
		return TS_EEXIST;
	if (sw->shm.n_registered + sw->shm.n_deferred >= sw->shm.max)
		return TS_ENOSPC;
	s = calloc(1, sizeof(*s));
	if (!s)
		return TS_ENOMEM;
	s->cookie = cookie;
	s->client = client;
	s->mobj = *mobj;
	s->mobj.owner = s;
	s->hash_next = *b;
	*b = s;
	s->client_next = c->shm_list;
	if (c->shm_list)
		c->shm_list->client_prev = s;
	c->shm_list = s;
	c->n_shm++;
	sw->shm.n_registered++;
	*out = s;
	return 0;
}

static void hash_unlink(struct secure_world *sw, struct sw_shm *s)
{
	struct sw_shm **pp = bucket_of(&sw->shm, s->client, s->cookie);

	while (*pp != s)
		pp = &(*pp)->hash_next;
	*pp = s->hash_next;
	s->hash_next = NULL;
}

static void shm_free(struct secure_world *sw, struct sw_shm *s)
{
	struct sw_client *c = sw_client_of(sw, s->client);

	sw_mobj_release(sw, &s->mobj);
	if (s->client_prev)
		s->client_prev->client_next = s->client_next;
	else
		c->shm_list = s->client_next;
	if (s->client_next)
		s->client_next->client_prev = s->client_prev;
	free(s);
}

struct sw_shm *sw_shm_get(struct secure_world *sw, uint16_t client, uint64_t cookie)
{
	struct sw_shm *s = sw_shm_find(sw, client, cookie);

	if (s)
		s->users++;
	return s;
}

void sw_shm_put(struct secure_world *sw, struct sw_shm *s)
{
	if (--s->users || !s->released)
		return;
	/* The deferred unregister completes with the last user. */
	sw->shm.n_deferred--;
	sw_client_of(sw, s->client)->n_shm_deferred--;
	shm_free(sw, s);
}

int sw_shm_unregister(struct secure_world *sw, uint16_t client, uint64_t cookie, bool *deferred)
{
	struct sw_client *c = sw_client_of(sw, client);
	struct sw_shm *s = sw_shm_find(sw, client, cookie);

	*deferred = false;
	if (!s)
		return TS_ENOENT;
	/* Out of the hash at once: the cookie is free for reuse, a second unregister fails. */
	hash_unlink(sw, s);
	sw->shm.n_registered--;
	c->n_shm--;
	if (s->users) {
		s->released = true;
		sw->shm.n_deferred++;
		c->n_shm_deferred++;
		*deferred = true;
		return 0;
	}
	shm_free(sw, s);
	return 0;
}

void sw_shm_release_client(struct secure_world *sw, uint16_t client)
{
	struct sw_client *c = sw_client_of(sw, client);

	while (c->shm_list) {
		struct sw_shm *s = c->shm_list;

		if (s->released) {
			sw->shm.n_deferred--;
			c->n_shm_deferred--;
		} else {
			hash_unlink(sw, s);
			sw->shm.n_registered--;
			c->n_shm--;
		}
		shm_free(sw, s);
	}
}
