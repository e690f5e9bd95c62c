/*
 * A guest's RAM as the normal-world process sees it, and the page allocator
 * over it (the part of Linux's page allocator the OP-TEE driver depends on).
 *
 * The guest believes its RAM lies at physical addresses [ipa_base, + size):
 * these are IPAs, which a hypervisor translates through stage 2; without one
 * they equal PAs.  Every address the guest puts in a message or page list is
 * such an IPA, so it is typed paddr_t (the guest's physical address) and
 * named ipa.  The RAM is mapped at one host address in IPA order
 * (stage2_map_guest_ram, or a dram_view region when IPA == PA).
 *
 * Allocation is first fit over a bitmap of 4 KiB pages, so fragmentation
 * builds up as it does in a long-running kernel: a contiguous request takes
 * the lowest run of free pages that fits (and fails when none does, even with
 * enough free pages in total); a scattered request takes the lowest free
 * pages one by one, as a driver that vmaps order-0 pages does.
 *
 * Thread safe: one mutex guards the bitmap and the counters.
 */
#ifndef TEESHM_NORMAL_GUEST_MEM_H
#define TEESHM_NORMAL_GUEST_MEM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/common/addr.h"
#include "sim/common/optee_pagelist.h"

struct guest_mem_stats {
	size_t pages_total;
	size_t pages_in_use;
	size_t pages_in_use_peak;
	uint64_t alloc_calls;     /* successful allocations (contiguous or scattered) */
	uint64_t alloc_failures;  /* requests refused for lack of (contiguous) pages */
	uint64_t free_calls;
};

struct guest_mem {
	paddr_t ipa_base;
	uint64_t size_bytes;
	uint8_t *host;            /* host address of ipa_base */
	size_t n_pages;
	uint64_t *used_bitmap;    /* bit i set: page i allocated */
	size_t n_words;
	pthread_mutex_t lock;
	struct guest_mem_stats stats;
};

/*
 * Describe RAM [ipa_base, + size_bytes) mapped at host.  Both must be page
 * aligned and size non-zero (TS_EINVAL); TS_ENOMEM if the bitmap cannot be
 * allocated.  All pages start free.  The mapping stays the caller's.
 */
int guest_mem_init(struct guest_mem *gm, paddr_t ipa_base, void *host, uint64_t size_bytes);
void guest_mem_fini(struct guest_mem *gm);

/* Host pointer for [ipa, ipa + len), or NULL unless all of it is guest RAM (len 0: NULL). */
void *guest_mem_ptr(const struct guest_mem *gm, paddr_t ipa, uint64_t len_bytes);
/* IPA of host range [ptr, ptr + len): 0, or TS_EFAULT unless all of it is guest RAM. */
int guest_mem_ipa(const struct guest_mem *gm, const void *ptr, uint64_t len_bytes, paddr_t *ipa);
/* True when [ptr, ptr + len) lies wholly inside guest RAM (false for len 0). */
bool guest_mem_contains(const struct guest_mem *gm, const void *ptr, uint64_t len_bytes);
/* An accessor for optee_pagelist_*: resolves IPAs, refuses anything outside guest RAM. */
struct pa_accessor guest_mem_accessor(const struct guest_mem *gm);

/* n_pages consecutive free pages, lowest first fit: *ipa = first.  TS_EINVAL for 0, TS_ENOMEM. */
int guest_mem_alloc_contig(struct guest_mem *gm, size_t n_pages, paddr_t *ipa);
/*
 * n_pages free pages, lowest first, not necessarily adjacent: ipas[0..n).
 * All or nothing: TS_ENOMEM when fewer are free, TS_EINVAL for 0.
 */
int guest_mem_alloc_scattered(struct guest_mem *gm, size_t n_pages, paddr_t *ipas);
/*
 * Free pages.  Every page must be page aligned, inside guest RAM and
 * allocated, and none listed twice; otherwise TS_EINVAL and nothing is freed.
 */
int guest_mem_free_pages(struct guest_mem *gm, const paddr_t *ipas, size_t n_pages);
/* Free the run [ipa, ipa + n_pages pages): same rules as guest_mem_free_pages. */
int guest_mem_free_contig(struct guest_mem *gm, paddr_t ipa, size_t n_pages);

/* Whether the page holding ipa is allocated (false outside guest RAM). */
bool guest_mem_page_is_allocated(struct guest_mem *gm, paddr_t ipa);
void guest_mem_get_stats(struct guest_mem *gm, struct guest_mem_stats *out);

/*
 * Invariants: the bitmap's population equals pages_in_use, no bit beyond the
 * last page is set, peak >= in use <= total.  0 or TS_EINVAL.
 */
int guest_mem_check(struct guest_mem *gm);

#endif
