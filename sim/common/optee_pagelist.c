/* OP-TEE non-contiguous page lists: writer and hostile-input-safe parser. */
#include "sim/common/optee_pagelist.h"

#include <string.h>

#include "sim/common/ts_err.h"

int optee_pagelist_write(const struct pa_accessor *acc, const paddr_t *list_pages,
			 size_t n_list_pages, const paddr_t *data_pages, size_t n_data_pages)
{
	const size_t per_page = OPTEE_MSG_NONCONTIG_ENTRIES_PER_PAGE;
	struct optee_msg_pagelist_page *lp[OPTEE_PAGELIST_MAX_LIST_PAGES];
	size_t i;

	if (n_data_pages == 0 || n_list_pages != optee_pagelist_list_pages(n_data_pages))
		return TS_EINVAL;
	if (n_list_pages > OPTEE_PAGELIST_MAX_LIST_PAGES)
		return TS_E2BIG;
	for (i = 0; i < n_data_pages; i++)
		if (!pa_is_page_aligned(data_pages[i]))
			return TS_EINVAL;
	/* Resolve every list page first so a refused one leaves nothing half-written. */
	for (i = 0; i < n_list_pages; i++) {
		if (!pa_is_page_aligned(list_pages[i]))
			return TS_EINVAL;
		lp[i] = acc->map(acc->ctx, list_pages[i], OPTEE_MSG_NONCONTIG_PAGE_SIZE);
		if (!lp[i])
			return TS_EFAULT;
	}
	for (i = 0; i < n_list_pages; i++) {
		size_t first = i * per_page;
		size_t count = n_data_pages - first < per_page ? n_data_pages - first : per_page;
		size_t j;

		memset(lp[i], 0, sizeof(*lp[i]));
		for (j = 0; j < count; j++)
			lp[i]->pages_pa[j] = pa_addr(data_pages[first + j]);
		lp[i]->next_page_pa = i + 1 < n_list_pages ? pa_addr(list_pages[i + 1]) : 0;
	}
	return 0;
}

/* Read a 64-bit word of guest-controlled memory exactly once. */
static uint64_t fetch_once(const uint64_t *p)
{
	return *(const volatile uint64_t *)p;
}

int optee_pagelist_read(const struct pa_accessor *acc, uint64_t buf_ptr, uint64_t size_bytes,
			paddr_t *pages_out, size_t max_pages, struct optee_pagelist_parsed *out)
{
	const size_t per_page = OPTEE_MSG_NONCONTIG_ENTRIES_PER_PAGE;
	uint64_t visited[OPTEE_PAGELIST_MAX_LIST_PAGES];
	uint64_t offset = buf_ptr & SMALL_PAGE_MASK;
	uint64_t list_pa = buf_ptr & ~SMALL_PAGE_MASK;
	uint64_t n_pages64;
	size_t n_pages, n_list, done = 0, li;

	if (size_bytes == 0)
		return TS_EINVAL;
	/* offset + size + page mask must not wrap, or the page count would. */
	if (size_bytes > UINT64_MAX - SMALL_PAGE_MASK - offset)
		return TS_EOVERFLOW;
	n_pages64 = pages_spanned(offset, size_bytes);
	if (n_pages64 > max_pages || n_pages64 > OPTEE_PAGELIST_MAX_ENTRIES)
		return TS_E2BIG;
	n_pages = (size_t)n_pages64;
	n_list = optee_pagelist_list_pages(n_pages);

	for (li = 0; li < n_list; li++) {
		const struct optee_msg_pagelist_page *lp;
		size_t count = n_pages - done < per_page ? n_pages - done : per_page;
		size_t k;

		for (k = 0; k < li; k++)
			if (visited[k] == list_pa)
				return TS_ELOOP;
		visited[li] = list_pa;
		lp = acc->map(acc->ctx, pa_init(list_pa), OPTEE_MSG_NONCONTIG_PAGE_SIZE);
		if (!lp)
			return TS_EFAULT;
		for (k = 0; k < count; k++) {
			uint64_t e = fetch_once(&lp->pages_pa[k]);

			if (e & SMALL_PAGE_MASK)
				return TS_EINVAL;
			pages_out[done + k] = pa_init(e);
		}
		done += count;
		if (done < n_pages) {
			list_pa = fetch_once(&lp->next_page_pa);
			if (list_pa == 0 || (list_pa & SMALL_PAGE_MASK))
				return TS_EINVAL;
		}
	}
	out->n_pages = n_pages;
	out->offset_bytes = offset;
	out->n_list_pages = n_list;
	return 0;
}
