/* Guest RAM window and first-fit page allocator (see guest_mem.h). */
#define _POSIX_C_SOURCE 200809L
#include "sim/normal/guest_mem.h"

#include <stdlib.h>
#include <string.h>

#include "sim/common/ts_err.h"

#define BITS_PER_WORD 64u

static bool page_used(const struct guest_mem *gm, size_t i)
{
	return (gm->used_bitmap[i / BITS_PER_WORD] >> (i % BITS_PER_WORD)) & 1u;
}

static void page_set(struct guest_mem *gm, size_t i, bool used)
{
	uint64_t bit = (uint64_t)1 << (i % BITS_PER_WORD);

	if (used)
		gm->used_bitmap[i / BITS_PER_WORD] |= bit;
	else
		gm->used_bitmap[i / BITS_PER_WORD] &= ~bit;
}

/* First free page at or after i, or n_pages.  Skips full words whole. */
static size_t next_free(const struct guest_mem *gm, size_t i)
{
	while (i < gm->n_pages) {
		uint64_t w = ~gm->used_bitmap[i / BITS_PER_WORD] >> (i % BITS_PER_WORD);

		if (w) {
			i += (size_t)__builtin_ctzll(w);
			return i < gm->n_pages ? i : gm->n_pages;
		}
		i = (i / BITS_PER_WORD + 1) * BITS_PER_WORD;
	}
	return gm->n_pages;
}

/* First used page at or after i, or n_pages. */
static size_t next_used(const struct guest_mem *gm, size_t i)
{
	while (i < gm->n_pages) {
		uint64_t w = gm->used_bitmap[i / BITS_PER_WORD] >> (i % BITS_PER_WORD);

		if (w) {
			i += (size_t)__builtin_ctzll(w);
			return i < gm->n_pages ? i : gm->n_pages;
		}
		i = (i / BITS_PER_WORD + 1) * BITS_PER_WORD;
	}
	return gm->n_pages;
}

int guest_mem_init(struct guest_mem *gm, paddr_t ipa_base, void *host, uint64_t size_bytes)
{
	memset(gm, 0, sizeof(*gm));
	if (!host || size_bytes == 0 || (size_bytes & SMALL_PAGE_MASK) ||
	    !pa_is_page_aligned(ipa_base) || ((uintptr_t)host & SMALL_PAGE_MASK) ||
	    range_overflows(pa_addr(ipa_base), size_bytes))
		return TS_EINVAL;
	gm->n_pages = (size_t)(size_bytes >> SMALL_PAGE_SHIFT);
	gm->n_words = (gm->n_pages + BITS_PER_WORD - 1) / BITS_PER_WORD;
	gm->used_bitmap = calloc(gm->n_words, sizeof(uint64_t));
	if (!gm->used_bitmap)
		return TS_ENOMEM;
	if (pthread_mutex_init(&gm->lock, NULL)) {
		free(gm->used_bitmap);
		gm->used_bitmap = NULL;
		return TS_ENOMEM;
	}
	gm->ipa_base = ipa_base;
	gm->size_bytes = size_bytes;
	gm->host = host;
	gm->stats.pages_total = gm->n_pages;
	return 0;
}

void guest_mem_fini(struct guest_mem *gm)
{
	if (!gm->used_bitmap)
		return;
	pthread_mutex_destroy(&gm->lock);
	free(gm->used_bitmap);
	gm->used_bitmap = NULL;
}

void *guest_mem_ptr(const struct guest_mem *gm, paddr_t ipa, uint64_t len_bytes)
{
	uint64_t off = pa_addr(ipa) - pa_addr(gm->ipa_base);

	if (len_bytes == 0 || pa_addr(ipa) < pa_addr(gm->ipa_base) || off >= gm->size_bytes ||
	    len_bytes > gm->size_bytes - off)
		return NULL;
	return gm->host + off;
}

bool guest_mem_contains(const struct guest_mem *gm, const void *ptr, uint64_t len_bytes)
{
	uintptr_t p = (uintptr_t)ptr, base = (uintptr_t)gm->host;

	return len_bytes != 0 && p >= base && p - base < gm->size_bytes &&
	       len_bytes <= gm->size_bytes - (p - base);
}

int guest_mem_ipa(const struct guest_mem *gm, const void *ptr, uint64_t len_bytes, paddr_t *ipa)
{
	if (!guest_mem_contains(gm, ptr, len_bytes))
		return TS_EFAULT;
	*ipa = pa_add(gm->ipa_base, (uint64_t)((uintptr_t)ptr - (uintptr_t)gm->host));
	return 0;
}

static void *accessor_map(void *ctx, paddr_t pa, size_t len_bytes)
{
	return guest_mem_ptr(ctx, pa, len_bytes);
}

struct pa_accessor guest_mem_accessor(const struct guest_mem *gm)
{
	return (struct pa_accessor){ .map = accessor_map, .ctx = (void *)gm };
}

static paddr_t page_ipa(const struct guest_mem *gm, size_t i)
{
	return pa_add(gm->ipa_base, (uint64_t)i << SMALL_PAGE_SHIFT);
}

static void account_alloc(struct guest_mem *gm, size_t n_pages)
{
	gm->stats.pages_in_use += n_pages;
	if (gm->stats.pages_in_use > gm->stats.pages_in_use_peak)
		gm->stats.pages_in_use_peak = gm->stats.pages_in_use;
	gm->stats.alloc_calls++;
}

int guest_mem_alloc_contig(struct guest_mem *gm, size_t n_pages, paddr_t *ipa)
{
	size_t start, end, i;
	int rc = TS_ENOMEM;

	if (n_pages == 0)
		return TS_EINVAL;
	pthread_mutex_lock(&gm->lock);
	if (n_pages <= gm->n_pages - gm->stats.pages_in_use) {
		/* Lowest run of free pages long enough: free start .. next used page. */
		for (start = next_free(gm, 0); start < gm->n_pages; start = next_free(gm, end)) {
			end = next_used(gm, start);
			if (end - start >= n_pages) {
				for (i = start; i < start + n_pages; i++)
					page_set(gm, i, true);
				account_alloc(gm, n_pages);
				*ipa = page_ipa(gm, start);
				rc = 0;
				break;
			}
		}
	}
	if (rc)
		gm->stats.alloc_failures++;
	pthread_mutex_unlock(&gm->lock);
	return rc;
}

int guest_mem_alloc_scattered(struct guest_mem *gm, size_t n_pages, paddr_t *ipas)
{
	size_t i, k;

	if (n_pages == 0)
		return TS_EINVAL;
	pthread_mutex_lock(&gm->lock);
	if (n_pages > gm->n_pages - gm->stats.pages_in_use) {
		gm->stats.alloc_failures++;
		pthread_mutex_unlock(&gm->lock);
		return TS_ENOMEM;
	}
	for (i = next_free(gm, 0), k = 0; k < n_pages; i = next_free(gm, i + 1), k++) {
		page_set(gm, i, true);
		ipas[k] = page_ipa(gm, i);
	}
	account_alloc(gm, n_pages);
	pthread_mutex_unlock(&gm->lock);
	return 0;
}

/* Page index of an allocated page, or -1 if ipa is unaligned, outside RAM or free. */
static long used_page_index(const struct guest_mem *gm, paddr_t ipa)
{
	uint64_t off;

	if (!pa_is_page_aligned(ipa) || pa_addr(ipa) < pa_addr(gm->ipa_base))
		return -1;
	off = pa_addr(ipa) - pa_addr(gm->ipa_base);
	if (off >= gm->size_bytes || !page_used(gm, (size_t)(off >> SMALL_PAGE_SHIFT)))
		return -1;
	return (long)(off >> SMALL_PAGE_SHIFT);
}

int guest_mem_free_pages(struct guest_mem *gm, const paddr_t *ipas, size_t n_pages)
{
	size_t k;
	int rc = 0;

	if (n_pages == 0)
		return TS_EINVAL;
	pthread_mutex_lock(&gm->lock);
	/*
	 * Validate by clearing as we go and restoring on a bad entry: a page
	 * listed twice is found free the second time, which catches duplicates
	 * without a second pass or a temporary set.
	 */
	for (k = 0; k < n_pages; k++) {
		long idx = used_page_index(gm, ipas[k]);

		if (idx < 0) {
			rc = TS_EINVAL;
			break;
		}
		page_set(gm, (size_t)idx, false);
	}
	if (rc) {
		while (k-- > 0)
			page_set(gm, (size_t)((pa_addr(ipas[k]) - pa_addr(gm->ipa_base)) >>
					      SMALL_PAGE_SHIFT),
				 true);
	} else {
		gm->stats.pages_in_use -= n_pages;
		gm->stats.free_calls++;
	}
	pthread_mutex_unlock(&gm->lock);
	return rc;
}

int guest_mem_free_contig(struct guest_mem *gm, paddr_t ipa, size_t n_pages)
{
	size_t k;
	long first;
	int rc = 0;

	if (n_pages == 0)
		return TS_EINVAL;
	pthread_mutex_lock(&gm->lock);
	first = used_page_index(gm, ipa);
	if (first < 0 || n_pages > gm->n_pages - (size_t)first) {
		rc = TS_EINVAL;
	} else {
		for (k = 0; k < n_pages; k++)
			if (!page_used(gm, (size_t)first + k))
				rc = TS_EINVAL;
	}
	if (!rc) {
		for (k = 0; k < n_pages; k++)
			page_set(gm, (size_t)first + k, false);
		gm->stats.pages_in_use -= n_pages;
		gm->stats.free_calls++;
	}
	pthread_mutex_unlock(&gm->lock);
	return rc;
}

bool guest_mem_page_is_allocated(struct guest_mem *gm, paddr_t ipa)
{
	bool used;

	pthread_mutex_lock(&gm->lock);
	used = used_page_index(gm, pa_init(pa_addr(ipa) & ~SMALL_PAGE_MASK)) >= 0;
	pthread_mutex_unlock(&gm->lock);
	return used;
}

void guest_mem_get_stats(struct guest_mem *gm, struct guest_mem_stats *out)
{
	pthread_mutex_lock(&gm->lock);
	*out = gm->stats;
	pthread_mutex_unlock(&gm->lock);
}

int guest_mem_check(struct guest_mem *gm)
{
	size_t w, count = 0;
	int rc = 0;

	pthread_mutex_lock(&gm->lock);
	for (w = 0; w < gm->n_words; w++)
		count += (size_t)__builtin_popcountll(gm->used_bitmap[w]);
	if (count != gm->stats.pages_in_use)
		rc = TS_EINVAL;
	if (gm->n_pages % BITS_PER_WORD &&
	    gm->used_bitmap[gm->n_words - 1] >> (gm->n_pages % BITS_PER_WORD))
		rc = TS_EINVAL;
	if (gm->stats.pages_in_use > gm->n_pages ||
	    gm->stats.pages_in_use_peak < gm->stats.pages_in_use ||
	    gm->stats.pages_in_use_peak > gm->n_pages || gm->stats.pages_total != gm->n_pages)
		rc = TS_EINVAL;
	pthread_mutex_unlock(&gm->lock);
	return rc;
}
