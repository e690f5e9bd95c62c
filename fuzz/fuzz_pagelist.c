/*
 * libFuzzer harness for the non-contiguous page-list parser
 * (sim/common/optee_pagelist.c, optee_pagelist_read).
 *
 * Input layout (fuzz/README.md):
 *   bytes  0..7   buf_ptr (little endian)
 *   bytes  8..15  size_bytes
 *   bytes 16..17  max_pages (capacity of the output array)
 *   byte  18      flags: bit 0 puts buf_ptr inside the fuzz memory
 *                 (FUZZ_MEM_BASE + buf_ptr % span), else it is taken as is
 *   bytes 19..    the memory: page i of it is PA FUZZ_MEM_BASE + i * 4 KiB,
 *                 FUZZ_MEM_PAGES pages, zeros past the end of the input.
 * The accessor hands out each list page as a fresh heap copy of exactly the
 * bytes asked for, so any read outside what it handed out is an ASan report,
 * and the output array is allocated with exactly max_pages entries.
 *
 * Oracle: on success the result describes the pages the accessor handed out
 * (entry by entry, list page by list page, next pointer by next pointer); on
 * error the code is one the header documents, the reason is visible in what
 * was handed out, and *out is untouched.  Any departure: abort().
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/optee_pagelist.h"
#include "sim/common/ts_err.h"

#define HDR_BYTES 19u
/* Low, so that small numbers in the input are valid next pointers. */
#define FUZZ_MEM_BASE 0x1000ull
#define FUZZ_MEM_PAGES 256u
#define FUZZ_MEM_SPAN (FUZZ_MEM_PAGES * SMALL_PAGE_SIZE)
#define PER_PAGE OPTEE_MSG_NONCONTIG_ENTRIES_PER_PAGE
/* The parser may never follow more list pages than this; one more is recorded, then abort. */
#define MAX_HANDED (OPTEE_PAGELIST_MAX_LIST_PAGES + 1u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_mem {
	const uint8_t *image;   /* memory contents from FUZZ_MEM_BASE on */
	size_t image_bytes;
	uint32_t n_handed;      /* successful map calls */
	uint32_t n_refused;
	uint64_t handed_pa[MAX_HANDED];
	uint8_t *handed[MAX_HANDED];
	uint64_t last_refused_pa;
};

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_pagelist: %s\n", what);
	abort();
}

static uint64_t get_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

static void *mem_map(void *ctx, paddr_t pa, size_t len_bytes)
{
	struct fuzz_mem *m = ctx;
	uint64_t at = pa_addr(pa), off;
	uint8_t *copy;
	size_t have;

	if (at < FUZZ_MEM_BASE || len_bytes == 0 || len_bytes > FUZZ_MEM_SPAN ||
	    at - FUZZ_MEM_BASE > FUZZ_MEM_SPAN - len_bytes) {
		m->n_refused++;
		m->last_refused_pa = at;
		return NULL;
	}
	if (m->n_handed == MAX_HANDED)
		fail("the parser mapped more list pages than OPTEE_PAGELIST_MAX_LIST_PAGES");
	off = at - FUZZ_MEM_BASE;
	copy = malloc(len_bytes);
	if (!copy)
		fail("out of memory");
	have = off < m->image_bytes ? m->image_bytes - (size_t)off : 0;
	if (have > len_bytes)
		have = len_bytes;
	memcpy(copy, m->image + off, have);
	memset(copy + have, 0, len_bytes - have);
	m->handed_pa[m->n_handed] = at;
	m->handed[m->n_handed++] = copy;
	return copy;
}

static const struct optee_msg_pagelist_page *handed_page(const struct fuzz_mem *m, uint32_t i)
{
	return (const struct optee_msg_pagelist_page *)m->handed[i];
}

/* The list pages followed are the chain the pages themselves name, each once. */
static void check_chain(const struct fuzz_mem *m, uint64_t buf_ptr)
{
	uint32_t i, k;

	if (m->n_handed && m->handed_pa[0] != (buf_ptr & ~SMALL_PAGE_MASK))
		fail("the first list page is not the one buf_ptr names");
	for (i = 1; i < m->n_handed; i++) {
		if (m->handed_pa[i] != handed_page(m, i - 1)->next_page_pa)
			fail("a list page followed is not the previous page's next pointer");
		for (k = 0; k < i; k++)
			if (m->handed_pa[k] == m->handed_pa[i])
				fail("a list page was followed twice");
	}
}

static void check_success(const struct fuzz_mem *m, uint64_t buf_ptr, uint64_t size_bytes,
			  size_t max_pages, const paddr_t *pages,
			  const struct optee_pagelist_parsed *out)
{
	uint64_t offset = buf_ptr & SMALL_PAGE_MASK;
	size_t k;

	if (size_bytes == 0 || size_bytes > UINT64_MAX - SMALL_PAGE_MASK - offset)
		fail("accepted a zero or wrapping size");
	if (out->offset_bytes != offset || out->n_pages != pages_spanned(offset, size_bytes))
		fail("offset or page count does not match buf_ptr and size");
	if (out->n_pages > max_pages || out->n_pages > OPTEE_PAGELIST_MAX_ENTRIES)
		fail("more pages than the capacity");
	if (out->n_list_pages != optee_pagelist_list_pages(out->n_pages) ||
	    out->n_list_pages != m->n_handed || m->n_refused)
		fail("list pages followed do not match the page count");
	for (k = 0; k < out->n_pages; k++) {
		uint64_t e = handed_page(m, (uint32_t)(k / PER_PAGE))->pages_pa[k % PER_PAGE];

		if (pa_addr(pages[k]) != e || (e & SMALL_PAGE_MASK))
			fail("an entry differs from the list page, or is unaligned");
	}
	/* Every non-final list page ends in a valid next pointer. */
	for (k = 0; k + 1 < m->n_handed; k++) {
		uint64_t next = handed_page(m, (uint32_t)k)->next_page_pa;

		if (next == 0 || (next & SMALL_PAGE_MASK))
			fail("followed a zero or unaligned next pointer");
	}
}

/* Some handed-out page holds an unaligned entry or a bad next pointer in the part read. */
static bool saw_bad_word(const struct fuzz_mem *m, uint64_t n_pages)
{
	uint32_t i;
	uint64_t k;

	for (i = 0; i < m->n_handed; i++) {
		const struct optee_msg_pagelist_page *lp = handed_page(m, i);
		uint64_t first = (uint64_t)i * PER_PAGE;
		uint64_t count = n_pages - first < PER_PAGE ? n_pages - first : PER_PAGE;

		for (k = 0; k < count; k++)
			if (lp->pages_pa[k] & SMALL_PAGE_MASK)
				return true;
		if (first + count < n_pages &&
		    (lp->next_page_pa == 0 || (lp->next_page_pa & SMALL_PAGE_MASK)))
			return true;
	}
	return false;
}

static void check_error(const struct fuzz_mem *m, int rc, uint64_t buf_ptr, uint64_t size_bytes,
			size_t max_pages)
{
	uint64_t offset = buf_ptr & SMALL_PAGE_MASK, n_pages;
	uint32_t k;

	if (size_bytes == 0) {
		if (rc != TS_EINVAL || m->n_handed || m->n_refused)
			fail("size 0 is not TS_EINVAL before any access");
		return;
	}
	if (size_bytes > UINT64_MAX - SMALL_PAGE_MASK - offset) {
		if (rc != TS_EOVERFLOW || m->n_handed || m->n_refused)
			fail("a wrapping size is not TS_EOVERFLOW before any access");
		return;
	}
	n_pages = pages_spanned(offset, size_bytes);
	if (n_pages > max_pages || n_pages > OPTEE_PAGELIST_MAX_ENTRIES) {
		if (rc != TS_E2BIG || m->n_handed || m->n_refused)
			fail("too many pages is not TS_E2BIG before any access");
		return;
	}
	switch (rc) {
	case TS_EFAULT:
		if (m->n_refused != 1)
			fail("TS_EFAULT without exactly one refused page");
		if (m->last_refused_pa != (m->n_handed ?
					   handed_page(m, m->n_handed - 1)->next_page_pa :
					   (buf_ptr & ~SMALL_PAGE_MASK)))
			fail("TS_EFAULT on a page the chain does not name");
		break;
	case TS_ELOOP:
		if (m->n_refused || !m->n_handed)
			fail("TS_ELOOP without a list page followed");
		for (k = 0; k < m->n_handed; k++)
			if (m->handed_pa[k] == handed_page(m, m->n_handed - 1)->next_page_pa)
				break;
		if (k == m->n_handed)
			fail("TS_ELOOP but the next pointer names no page followed");
		break;
	case TS_EINVAL:
		if (m->n_refused || !saw_bad_word(m, n_pages))
			fail("TS_EINVAL without a bad entry or next pointer");
		break;
	default:
		fail("an error code optee_pagelist_read does not document");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct optee_pagelist_parsed out, untouched;
	struct pa_accessor acc;
	struct fuzz_mem m;
	uint64_t buf_ptr, size_bytes;
	size_t max_pages;
	paddr_t *pages;
	uint32_t i;
	int rc;

	if (size < HDR_BYTES)
		return 0;
	buf_ptr = get_le(data, 8);
	size_bytes = get_le(data + 8, 8);
	max_pages = (size_t)get_le(data + 16, 2);
	if (data[18] & 1u)
		buf_ptr = FUZZ_MEM_BASE + buf_ptr % FUZZ_MEM_SPAN;
	memset(&m, 0, sizeof(m));
	m.image = data + HDR_BYTES;
	m.image_bytes = size - HDR_BYTES;
	acc.map = mem_map;
	acc.ctx = &m;
	/* Exactly max_pages entries: a write past the capacity is an ASan report. */
	pages = malloc(max_pages ? max_pages * sizeof(*pages) : 1);
	if (!pages)
		fail("out of memory");
	memset(&out, 0xa5, sizeof(out));
	untouched = out;

	rc = optee_pagelist_read(&acc, buf_ptr, size_bytes, pages, max_pages, &out);
	check_chain(&m, buf_ptr);
	if (rc == 0) {
		check_success(&m, buf_ptr, size_bytes, max_pages, pages, &out);
	} else {
		if (memcmp(&out, &untouched, sizeof(out)))
			fail("*out was written on error");
		check_error(&m, rc, buf_ptr, size_bytes, max_pages);
	}
	for (i = 0; i < m.n_handed; i++)
		free(m.handed[i]);
	free(pages);
	return 0;
}
