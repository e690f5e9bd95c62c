/*
 * Shared-memory objects of the normal-world OP-TEE driver: guest pages, the
 * cookie each is known by in the secure world, page lists, registration.
 *
 * Cookies are a counter, never reused within a driver's life, so a stale
 * cookie from the secure world finds nothing instead of someone else's
 * buffer.  Lookup is a chained hash (OP-TEE's linear list scan is what we
 * want to beat, not copy).  An RPC holds a reference while it uses an shm, so
 * a client freeing it meanwhile only marks it dead; the last put frees it.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "sim/common/optee_msg.h"
#include "sim/common/optee_pagelist.h"
#include "sim/common/optee_smc.h"
#include "sim/common/ts_err.h"
#include "sim/normal/optee_drv_internal.h"

#define INITIAL_BUCKETS 64u

static size_t bucket_of(const struct optee_drv *drv, uint64_t cookie)
{
	/* Fibonacci hashing: consecutive cookies spread over all buckets. */
	return (size_t)((cookie * 0x9e3779b97f4a7c15ull) >> 32) & (drv->n_buckets - 1);
}

int optee_shm_table_init(struct optee_drv *drv)
{
	drv->buckets = calloc(INITIAL_BUCKETS, sizeof(*drv->buckets));
	if (!drv->buckets)
		return TS_ENOMEM;
	drv->n_buckets = INITIAL_BUCKETS;
	drv->next_cookie = 1;
	return 0;
}

void optee_shm_table_fini(struct optee_drv *drv)
{
	free(drv->buckets);
	drv->buckets = NULL;
}

/* Double the table when chains get long; on allocation failure keep the old one. */
static void table_grow_locked(struct optee_drv *drv)
{
	size_t old_n = drv->n_buckets, i;
	struct optee_shm **old = drv->buckets, **nb;

	nb = calloc(old_n * 2, sizeof(*nb));
	if (!nb)
		return;
	drv->buckets = nb;
	drv->n_buckets = old_n * 2;
	for (i = 0; i < old_n; i++) {
		struct optee_shm *s = old[i], *next;

		for (; s; s = next) {
			size_t b = bucket_of(drv, s->cookie);

			next = s->hash_next;
			s->hash_next = nb[b];
			nb[b] = s;
		}
	}
	free(old);
}

static void table_insert(struct optee_drv *drv, struct optee_shm *shm)
{
	size_t b;

	pthread_mutex_lock(&drv->lock);
	if (drv->n_shm >= drv->n_buckets * 2)
		table_grow_locked(drv);
	shm->cookie = drv->next_cookie++;
	b = bucket_of(drv, shm->cookie);
	shm->hash_next = drv->buckets[b];
	drv->buckets[b] = shm;
	drv->n_shm++;
	if (shm->owns_pages)
		drv->shm_pages_held += shm->n_pages;
	if (shm->kind == OPTEE_SHM_KIND_RPC_ARG || shm->kind == OPTEE_SHM_KIND_RPC_BUF)
		drv->n_rpc_shm++;
	pthread_mutex_unlock(&drv->lock);
}

/* Unlink from the table (under drv->lock).  Returns false if it was not there. */
static bool table_remove_locked(struct optee_drv *drv, struct optee_shm *shm)
{
	struct optee_shm **pp = &drv->buckets[bucket_of(drv, shm->cookie)];

	for (; *pp; pp = &(*pp)->hash_next) {
		if (*pp == shm) {
			*pp = shm->hash_next;
			drv->n_shm--;
			if (shm->owns_pages)
				drv->shm_pages_held -= shm->n_pages;
			if (shm->kind == OPTEE_SHM_KIND_RPC_ARG ||
			    shm->kind == OPTEE_SHM_KIND_RPC_BUF)
				drv->n_rpc_shm--;
			if (shm->registered)
				drv->n_registered--;
			return true;
		}
	}
	return false;
}

static void shm_release_memory(struct optee_shm *shm)
{
	if (shm->owns_pages && shm->n_pages) {
		int rc;

		if (shm->host)
			rc = guest_mem_free_contig(shm->drv->mem, shm->pages[0], shm->n_pages);
		else
			rc = guest_mem_free_pages(shm->drv->mem, shm->pages, shm->n_pages);
		(void)rc; /* our own pages: cannot fail unless the books are broken (check()) */
	}
	free(shm->pages);
	free(shm);
}

int optee_shm_alloc_kind(struct optee_drv *drv, size_t size_bytes, bool contiguous,
			 enum optee_shm_kind kind, struct optee_shm **out)
{
	struct optee_shm *shm;
	size_t i;
	int rc;

	if (size_bytes == 0 || size_bytes > drv->mem->size_bytes)
		return TS_EINVAL;
	shm = calloc(1, sizeof(*shm));
	if (!shm)
		return TS_ENOMEM;
	shm->drv = drv;
	shm->kind = kind;
	shm->size_bytes = size_bytes;
	shm->n_pages = (size_t)pages_spanned(0, size_bytes);
	shm->pages = malloc(shm->n_pages * sizeof(*shm->pages));
	if (!shm->pages) {
		free(shm);
		return TS_ENOMEM;
	}
	if (contiguous) {
		rc = guest_mem_alloc_contig(drv->mem, shm->n_pages, &shm->pages[0]);
		for (i = 1; !rc && i < shm->n_pages; i++)
			shm->pages[i] = pa_add(shm->pages[0], (uint64_t)i * SMALL_PAGE_SIZE);
	} else {
		rc = guest_mem_alloc_scattered(drv->mem, shm->n_pages, shm->pages);
	}
	if (rc) {
		free(shm->pages);
		free(shm);
		return rc;
	}
	shm->owns_pages = true;
	if (contiguous)
		shm->host = guest_mem_ptr(drv->mem, shm->pages[0], shm->n_pages * SMALL_PAGE_SIZE);
	/* Zero whole pages: nothing of a previous user leaks to the secure world. */
	for (i = 0; i < shm->n_pages; i++)
		memset(guest_mem_ptr(drv->mem, shm->pages[i], SMALL_PAGE_SIZE), 0, SMALL_PAGE_SIZE);
	table_insert(drv, shm);
	*out = shm;
	return 0;
}

int optee_shm_alloc(struct optee_drv *drv, size_t size_bytes, bool contiguous,
		    struct optee_shm **out)
{
	return optee_shm_alloc_kind(drv, size_bytes, contiguous, OPTEE_SHM_KIND_CLIENT, out);
}

int optee_shm_wrap(struct optee_drv *drv, void *host, size_t size_bytes, struct optee_shm **out)
{
	struct optee_shm *shm;
	paddr_t ipa;
	size_t i;

	if (size_bytes == 0)
		return TS_EINVAL;
	if (guest_mem_ipa(drv->mem, host, size_bytes, &ipa))
		return TS_EFAULT;
	shm = calloc(1, sizeof(*shm));
	if (!shm)
		return TS_ENOMEM;
	shm->drv = drv;
	shm->kind = OPTEE_SHM_KIND_WRAP;
	shm->size_bytes = size_bytes;
	shm->offset_bytes = (size_t)(pa_addr(ipa) & SMALL_PAGE_MASK);
	shm->n_pages = (size_t)pages_spanned(shm->offset_bytes, size_bytes);
	shm->pages = malloc(shm->n_pages * sizeof(*shm->pages));
	if (!shm->pages) {
		free(shm);
		return TS_ENOMEM;
	}
	/* Guest RAM is mapped in IPA order, so a flat host range is IPA-contiguous. */
	for (i = 0; i < shm->n_pages; i++)
		shm->pages[i] = pa_init((pa_addr(ipa) & ~SMALL_PAGE_MASK) + i * SMALL_PAGE_SIZE);
	shm->host = host;
	table_insert(drv, shm);
	*out = shm;
	return 0;
}

/* Host pointer of [pa, pa + len) of the carveout, or NULL if it is not all carveout. */
static uint8_t *carveout_ptr(const struct optee_drv *drv, paddr_t pa, size_t len)
{
	uint64_t base = pa_addr(drv->info.carveout_base), bytes = drv->info.carveout_bytes;

	if (!drv->carveout_host || !drv->info.have_carveout || pa_addr(pa) < base ||
	    pa_addr(pa) - base > bytes || len > bytes - (pa_addr(pa) - base))
		return NULL;
	return drv->carveout_host + (pa_addr(pa) - base);
}

/* A page array for [pa, pa + size) of the carveout, or NULL (bad range or no memory). */
static paddr_t *static_pages(struct optee_drv *drv, paddr_t pa, size_t size_bytes,
			     size_t *n_pages)
{
	paddr_t *pages;
	size_t i;

	if (!size_bytes || !pa_is_page_aligned(pa) || !carveout_ptr(drv, pa, size_bytes))
		return NULL;
	*n_pages = (size_t)pages_spanned(0, size_bytes);
	pages = malloc(*n_pages * sizeof(*pages));
	for (i = 0; pages && i < *n_pages; i++)
		pages[i] = pa_add(pa, (uint64_t)i * SMALL_PAGE_SIZE);
	return pages;
}

int optee_shm_new_static(struct optee_drv *drv, enum optee_shm_kind kind, paddr_t pa,
			 size_t size_bytes, struct optee_shm **out)
{
	struct optee_shm *shm;

	if (!size_bytes || !pa_is_page_aligned(pa) || !carveout_ptr(drv, pa, size_bytes))
		return TS_EINVAL;
	shm = calloc(1, sizeof(*shm));
	if (!shm)
		return TS_ENOMEM;
	shm->pages = static_pages(drv, pa, size_bytes, &shm->n_pages);
	if (!shm->pages) {
		free(shm);
		return TS_ENOMEM;
	}
	shm->drv = drv;
	shm->kind = kind;
	shm->size_bytes = size_bytes;
	shm->static_pa = true;
	shm->host = carveout_ptr(drv, pa, size_bytes);
	table_insert(drv, shm);
	*out = shm;
	return 0;
}

int optee_shm_move_static(struct optee_shm *shm, paddr_t pa)
{
	struct optee_drv *drv = shm->drv;
	paddr_t *pages, *old_pages;
	size_t n_pages, old_n;
	bool owned, contig;

	if (shm->registered || shm->static_pa || !carveout_ptr(drv, pa, shm->size_bytes) ||
	    !pa_is_page_aligned(pa))
		return TS_EINVAL;
	pages = static_pages(drv, pa, shm->size_bytes, &n_pages);
	if (!pages)
		return TS_ENOMEM;
	pthread_mutex_lock(&drv->lock);
	old_pages = shm->pages;
	old_n = shm->n_pages;
	owned = shm->owns_pages;
	contig = shm->host != NULL;
	if (owned)
		drv->shm_pages_held -= old_n;
	shm->pages = pages;
	shm->n_pages = n_pages;
	shm->offset_bytes = 0;
	shm->host = carveout_ptr(drv, pa, shm->size_bytes);
	shm->owns_pages = false;
	shm->static_pa = true;
	if (shm->kind == OPTEE_SHM_KIND_WRAP)
		shm->kind = OPTEE_SHM_KIND_CLIENT; /* the client's memory is now a shadow */
	pthread_mutex_unlock(&drv->lock);
	if (owned && old_n) {
		int rc = contig ? guest_mem_free_contig(drv->mem, old_pages[0], old_n)
				: guest_mem_free_pages(drv->mem, old_pages, old_n);

		(void)rc; /* our own pages (see shm_release_memory) */
	}
	free(old_pages);
	return 0;
}

struct optee_shm *optee_shm_get(struct optee_drv *drv, uint64_t cookie)
{
	struct optee_shm *s;

	if (!cookie)
		return NULL;
	pthread_mutex_lock(&drv->lock);
	for (s = drv->buckets[bucket_of(drv, cookie)]; s; s = s->hash_next)
		if (s->cookie == cookie)
			break;
	if (s)
		s->refs++;
	pthread_mutex_unlock(&drv->lock);
	return s;
}

void optee_shm_put(struct optee_shm *shm)
{
	struct optee_drv *drv = shm->drv;
	bool release;

	pthread_mutex_lock(&drv->lock);
	shm->refs--;
	release = shm->dead && shm->refs == 0;
	pthread_mutex_unlock(&drv->lock);
	if (release)
		shm_release_memory(shm);
}

void optee_shm_free_local(struct optee_shm *shm)
{
	struct optee_drv *drv = shm->drv;
	bool release;

	pthread_mutex_lock(&drv->lock);
	table_remove_locked(drv, shm);
	shm->registered = false;
	/*
	 * Pages stay allocated while an RPC still reads them; their count leaves
	 * the books now (the object is gone for every lookup) and the memory
	 * goes back on the last put.
	 */
	shm->dead = true;
	release = shm->refs == 0;
	pthread_mutex_unlock(&drv->lock);
	if (release)
		shm_release_memory(shm);
}

void optee_shm_free(struct optee_shm *shm)
{
	if (!shm)
		return;
	if (shm->registered) {
		uint32_t origin;

		(void)optee_shm_unregister(shm, &origin);
	}
	optee_shm_free_local(shm);
}

void optee_shm_free_all(struct optee_drv *drv)
{
	for (;;) {
		struct optee_shm *victim = NULL;
		size_t b;

		pthread_mutex_lock(&drv->lock);
		for (b = 0; b < drv->n_buckets && !victim; b++)
			victim = drv->buckets[b];
		pthread_mutex_unlock(&drv->lock);
		if (!victim)
			return;
		optee_shm_free(victim);
	}
}

/* Host pointer of byte offs of the shm and how many bytes follow it in the same page. */
static uint8_t *shm_byte(const struct optee_shm *shm, size_t offs, size_t *run)
{
	size_t abs = shm->offset_bytes + offs;
	size_t page = abs >> SMALL_PAGE_SHIFT, in_page = abs & SMALL_PAGE_MASK;

	*run = SMALL_PAGE_SIZE - in_page;
	if (shm->host)
		return shm->host + offs;
	return (uint8_t *)guest_mem_ptr(shm->drv->mem, shm->pages[page], SMALL_PAGE_SIZE) +
	       in_page;
}

static bool shm_range_ok(const struct optee_shm *shm, size_t offs, size_t len)
{
	return offs <= shm->size_bytes && len <= shm->size_bytes - offs;
}

int optee_shm_write(struct optee_shm *shm, size_t offs, const void *src, size_t len)
{
	const uint8_t *s = src;

	if (!shm_range_ok(shm, offs, len))
		return TS_ERANGE;
	if (shm->host) {
		memcpy(shm->host + offs, s, len);
		return 0;
	}
	while (len) {
		size_t run, n;
		uint8_t *d = shm_byte(shm, offs, &run);

		n = len < run ? len : run;
		memcpy(d, s, n);
		s += n;
		offs += n;
		len -= n;
	}
	return 0;
}

int optee_shm_read(const struct optee_shm *shm, size_t offs, void *dst, size_t len)
{
	uint8_t *d = dst;

	if (!shm_range_ok(shm, offs, len))
		return TS_ERANGE;
	if (shm->host) {
		memcpy(d, shm->host + offs, len);
		return 0;
	}
	while (len) {
		size_t run, n;
		const uint8_t *s = shm_byte(shm, offs, &run);

		n = len < run ? len : run;
		memcpy(d, s, n);
		d += n;
		offs += n;
		len -= n;
	}
	return 0;
}

int optee_shm_fill(struct optee_shm *shm, size_t offs, uint8_t byte, size_t len)
{
	if (!shm_range_ok(shm, offs, len))
		return TS_ERANGE;
	while (len) {
		size_t run, n;
		uint8_t *d = shm_byte(shm, offs, &run);

		n = len < run ? len : run;
		memset(d, byte, n);
		offs += n;
		len -= n;
	}
	return 0;
}

void *optee_shm_host(const struct optee_shm *shm)
{
	return shm->host;
}

uint64_t optee_shm_cookie(const struct optee_shm *shm)
{
	return shm->cookie;
}

size_t optee_shm_size(const struct optee_shm *shm)
{
	return shm->size_bytes;
}

bool optee_shm_is_registered(const struct optee_shm *shm)
{
	return shm->registered;
}

size_t optee_shm_n_pages(const struct optee_shm *shm)
{
	return shm->n_pages;
}

paddr_t optee_shm_page_ipa(const struct optee_shm *shm, size_t i)
{
	return i < shm->n_pages ? shm->pages[i] : pa_init(0);
}

size_t optee_shm_offset_in_page(const struct optee_shm *shm)
{
	return shm->offset_bytes;
}

int optee_shm_pagelist_build(struct optee_shm *shm, struct optee_pagelist_buf *out)
{
	struct optee_drv *drv = shm->drv;
	struct pa_accessor acc = guest_mem_accessor(drv->mem);
	size_t n_list = optee_pagelist_list_pages(shm->n_pages);
	int rc;

	memset(out, 0, sizeof(*out));
	if (n_list > OPTEE_PAGELIST_MAX_LIST_PAGES)
		return TS_E2BIG;
	out->list_pages = malloc(n_list * sizeof(*out->list_pages));
	if (!out->list_pages)
		return TS_ENOMEM;
	/* List pages are chained, so they need not be adjacent: take any free ones. */
	rc = guest_mem_alloc_scattered(drv->mem, n_list, out->list_pages);
	if (rc) {
		free(out->list_pages);
		out->list_pages = NULL;
		return rc;
	}
	out->n_list_pages = n_list;
	pthread_mutex_lock(&drv->lock);
	drv->list_pages_held += n_list;
	pthread_mutex_unlock(&drv->lock);
	rc = optee_pagelist_write(&acc, out->list_pages, n_list, shm->pages, shm->n_pages);
	if (rc) {
		optee_pagelist_buf_release(drv, out);
		return rc;
	}
	out->buf_ptr = optee_pagelist_buf_ptr(out->list_pages[0], shm->offset_bytes);
	return 0;
}

void optee_pagelist_buf_release(struct optee_drv *drv, struct optee_pagelist_buf *pl)
{
	size_t i;

	if (!pl->n_list_pages)
		return;
	/*
	 * Wipe the list before the pages go back: a secure world that reads a
	 * list after the call (or RPC) that carried it must fail, not find a
	 * stale copy that happens to be right.
	 */
	for (i = 0; i < pl->n_list_pages; i++)
		memset(guest_mem_ptr(drv->mem, pl->list_pages[i], SMALL_PAGE_SIZE), 0,
		       SMALL_PAGE_SIZE);
	(void)guest_mem_free_pages(drv->mem, pl->list_pages, pl->n_list_pages);
	pthread_mutex_lock(&drv->lock);
	drv->list_pages_held -= pl->n_list_pages;
	pthread_mutex_unlock(&drv->lock);
	free(pl->list_pages);
	memset(pl, 0, sizeof(*pl));
}

TEE_Result optee_shm_register(struct optee_shm *shm, uint32_t *ret_origin)
{
	struct optee_drv *drv = shm->drv;
	struct optee_pagelist_buf pl;
	struct optee_drv_msg msg;
	TEE_Result res;
	int rc;

	*ret_origin = TEE_ORIGIN_API;
	if (shm->registered)
		return TEE_ERROR_BAD_STATE;
	if (!(drv->info.sec_caps & OPTEE_SMC_SEC_CAP_DYNAMIC_SHM))
		return TEE_ERROR_NOT_SUPPORTED;
	rc = optee_shm_pagelist_build(shm, &pl);
	if (rc)
		return tee_result_from_ts_err(rc);
	memset(&msg, 0, sizeof(msg));
	msg.cmd = OPTEE_MSG_CMD_REGISTER_SHM;
	msg.n_params = 1;
	msg.params[0].attr = OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | OPTEE_MSG_ATTR_NONCONTIG;
	msg.params[0].u.tmem.buf_ptr = pl.buf_ptr;
	msg.params[0].u.tmem.size = shm->size_bytes;
	msg.params[0].u.tmem.shm_ref = shm->cookie;
	res = optee_drv_do_msg(drv, &msg, ret_origin);
	/* The secure world copied the list during the call; it is ours again. */
	optee_pagelist_buf_release(drv, &pl);
	if (res == TEE_SUCCESS) {
		pthread_mutex_lock(&drv->lock);
		shm->registered = true;
		drv->n_registered++;
		pthread_mutex_unlock(&drv->lock);
		DRV_COUNT(drv, registrations);
	}
	return res;
}

TEE_Result optee_shm_unregister(struct optee_shm *shm, uint32_t *ret_origin)
{
	struct optee_drv *drv = shm->drv;
	struct optee_drv_msg msg;
	TEE_Result res;

	*ret_origin = TEE_ORIGIN_API;
	if (!shm->registered)
		return TEE_ERROR_BAD_STATE;
	memset(&msg, 0, sizeof(msg));
	msg.cmd = OPTEE_MSG_CMD_UNREGISTER_SHM;
	msg.n_params = 1;
	msg.params[0].attr = OPTEE_MSG_ATTR_TYPE_RMEM_INPUT;
	msg.params[0].u.rmem.shm_ref = shm->cookie;
	res = optee_drv_do_msg(drv, &msg, ret_origin);
	if (res == TEE_SUCCESS) {
		pthread_mutex_lock(&drv->lock);
		shm->registered = false;
		drv->n_registered--;
		pthread_mutex_unlock(&drv->lock);
		DRV_COUNT(drv, unregistrations);
	}
	return res;
}

/* One shm's own invariants (under drv->lock). */
static int shm_check_locked(struct optee_drv *drv, const struct optee_shm *s, size_t bucket)
{
	size_t i;

	if (!s->cookie || s->cookie >= drv->next_cookie || s->dead || s->drv != drv ||
	    bucket_of(drv, s->cookie) != bucket)
		return TS_EINVAL;
	if (!s->size_bytes || s->offset_bytes >= SMALL_PAGE_SIZE || !s->pages ||
	    s->n_pages != pages_spanned(s->offset_bytes, s->size_bytes))
		return TS_EINVAL;
	if (s->offset_bytes && s->owns_pages)
		return TS_EINVAL;
	if (s->static_pa) {
		/* Carveout memory: one run at a page start, reached at its carveout address. */
		if (s->owns_pages || s->registered || s->offset_bytes || !s->host ||
		    s->host != carveout_ptr(drv, s->pages[0], s->size_bytes) ||
		    !pa_is_page_aligned(s->pages[0]))
			return TS_EINVAL;
		for (i = 1; i < s->n_pages; i++)
			if (pa_addr(s->pages[i]) != pa_addr(s->pages[0]) + i * SMALL_PAGE_SIZE)
				return TS_EINVAL;
		return 0;
	}
	for (i = 0; i < s->n_pages; i++) {
		if (!pa_is_page_aligned(s->pages[i]) ||
		    !guest_mem_ptr(drv->mem, s->pages[i], SMALL_PAGE_SIZE))
			return TS_EINVAL;
		if (s->host && pa_addr(s->pages[i]) != pa_addr(s->pages[0]) + i * SMALL_PAGE_SIZE)
			return TS_EINVAL;
		if (s->owns_pages && !guest_mem_page_is_allocated(drv->mem, s->pages[i]))
			return TS_EINVAL;
	}
	if (s->host) {
		paddr_t ipa;

		if (guest_mem_ipa(drv->mem, s->host, s->size_bytes, &ipa) ||
		    pa_addr(ipa) != pa_addr(s->pages[0]) + s->offset_bytes)
			return TS_EINVAL;
	}
	return 0;
}

int optee_drv_check(struct optee_drv *drv)
{
	size_t b, n = 0, n_reg = 0, n_rpc = 0, pages = 0;
	int rc = 0;

	pthread_mutex_lock(&drv->lock);
	if (!drv->n_buckets || (drv->n_buckets & (drv->n_buckets - 1)))
		rc = TS_EINVAL;
	for (b = 0; !rc && b < drv->n_buckets; b++) {
		const struct optee_shm *s, *t;

		for (s = drv->buckets[b]; !rc && s; s = s->hash_next) {
			rc = shm_check_locked(drv, s, b);
			/* Cookies are unique: no later entry of the chain repeats this one. */
			for (t = s->hash_next; !rc && t; t = t->hash_next)
				if (t->cookie == s->cookie)
					rc = TS_EINVAL;
			n++;
			n_reg += s->registered;
			n_rpc += s->kind == OPTEE_SHM_KIND_RPC_ARG ||
				 s->kind == OPTEE_SHM_KIND_RPC_BUF;
			if (s->owns_pages)
				pages += s->n_pages;
		}
	}
	if (!rc && (n != drv->n_shm || n_reg != drv->n_registered || n_rpc != drv->n_rpc_shm ||
		    pages != drv->shm_pages_held))
		rc = TS_EINVAL;
	pthread_mutex_unlock(&drv->lock);
	return rc;
}
