/*
 * Build and parse OP-TEE non-contiguous page lists (OPTEE_MSG_ATTR_NONCONTIG).
 *
 * The normal world writes the list into its own pages; the hypervisor and the
 * secure world read it back.  Memory is reached only through a caller-supplied
 * accessor that refuses ranges the caller may not touch, so the same parser
 * serves a guest (its own RAM), the hypervisor (IPA or PA) and the secure
 * world (non-secure RAM only).  Every entry and next pointer is fetched once
 * and validated from the copy: a guest rewriting its list during the parse
 * cannot make the parser see two different values.  Freestanding.
 */
#ifndef TEESHM_COMMON_OPTEE_PAGELIST_H
#define TEESHM_COMMON_OPTEE_PAGELIST_H

#include <stddef.h>
#include <stdint.h>

#include "sim/common/addr.h"
#include "sim/common/optee_msg.h"

/* Most list pages one parse follows: 64 * 511 entries, about 127 MiB of buffer. */
#define OPTEE_PAGELIST_MAX_LIST_PAGES 64u
#define OPTEE_PAGELIST_MAX_ENTRIES \
	(OPTEE_PAGELIST_MAX_LIST_PAGES * OPTEE_MSG_NONCONTIG_ENTRIES_PER_PAGE)

/*
 * Returns a pointer through which [pa, pa + len) can be accessed, or NULL if
 * this caller may not access all of it.
 */
struct pa_accessor {
	void *(*map)(void *ctx, paddr_t pa, size_t len_bytes);
	void *ctx;
};

/* List pages needed for n_entries data pages (0 for 0). */
static inline size_t optee_pagelist_list_pages(size_t n_entries)
{
	return (n_entries + OPTEE_MSG_NONCONTIG_ENTRIES_PER_PAGE - 1) /
	       OPTEE_MSG_NONCONTIG_ENTRIES_PER_PAGE;
}

/* tmem.buf_ptr for a list starting at first_list_page for a buffer at offset_in_page. */
static inline uint64_t optee_pagelist_buf_ptr(paddr_t first_list_page, uint64_t offset_in_page)
{
	return pa_addr(first_list_page) | (offset_in_page & SMALL_PAGE_MASK);
}

/*
 * Write data_pages[0..n_data_pages) into the list pages list_pages[0..n_list_pages),
 * chaining them; the last next pointer is 0.  n_list_pages must equal
 * optee_pagelist_list_pages(n_data_pages).  Returns 0, TS_EINVAL (unaligned
 * page, wrong list length, nothing to write) or TS_EFAULT (a list page the
 * accessor refuses).  Nothing is written unless every argument checks out.
 */
int optee_pagelist_write(const struct pa_accessor *acc, const paddr_t *list_pages,
			 size_t n_list_pages, const paddr_t *data_pages, size_t n_data_pages);

struct optee_pagelist_parsed {
	size_t n_pages;         /* data pages the buffer spans */
	uint64_t offset_bytes;  /* offset of the buffer in its first page */
	size_t n_list_pages;    /* list pages followed */
};

/*
 * Parse the list a NONCONTIG tmem describes: buf_ptr and size_bytes as in the
 * message.  Stores the data-page PAs in pages_out (capacity max_pages).
 * Errors: TS_EINVAL (size 0, unaligned entry or next pointer, zero next
 * pointer before the end), TS_EOVERFLOW (offset + size wraps), TS_E2BIG (more
 * pages than max_pages or OPTEE_PAGELIST_MAX_ENTRIES), TS_EFAULT (a list page
 * the accessor refuses), TS_ELOOP (next pointers revisit a list page).
 * On error pages_out contents are unspecified and *out is untouched.
 */
int optee_pagelist_read(const struct pa_accessor *acc, uint64_t buf_ptr, uint64_t size_bytes,
			paddr_t *pages_out, size_t max_pages, struct optee_pagelist_parsed *out);

#endif
