/*
 * A guest's stage-2 translation: intermediate physical addresses (what the
 * guest believes are physical addresses) to real PAs, in fixed-size chunks.
 * The hypervisor builds it deliberately scattered, so a page list the guest
 * passes without the hypervisor's IPA->PA rewrite points at the wrong pages,
 * which the tests can see.  Without a hypervisor the map is the identity.
 *
 * The guest process maps its RAM chunk by chunk in IPA order
 * (stage2_map_guest_ram), so guest code sees contiguous IPA memory while the
 * data lives at the scattered PAs every other world sees.
 */
#ifndef TEESHM_COMMON_STAGE2_H
#define TEESHM_COMMON_STAGE2_H

#include <stddef.h>
#include <stdint.h>

#include "sim/common/addr.h"
#include "sim/common/dram.h"

/* 64 KiB: coarse enough to map cheaply, fine enough to scatter a page list. */
#define STAGE2_CHUNK_BYTES (64ull * 1024)

/* Guests see their RAM at this IPA, as a QEMU virt guest does. */
#define STAGE2_GUEST_IPA_BASE 0x40000000ull

struct stage2_map {
	uint64_t ipa_base;
	uint64_t chunk_bytes;
	uint32_t n_chunks;
	paddr_t *chunk_pa; /* PA of IPA chunk i */
};

/*
 * Scatter the guest RAM region r over IPA [ipa_base, + size) with a seeded
 * permutation of its chunks (seed 0: identity order, still at ipa_base).
 * TS_EINVAL if the region is not a whole number of chunks, TS_ENOMEM.
 */
int stage2_build(struct stage2_map *m, const struct dram_region *r, uint64_t ipa_base,
		 uint64_t seed);
/* Identity map of r (IPA == PA), for a normal world without a hypervisor. */
int stage2_build_identity(struct stage2_map *m, const struct dram_region *r);
void stage2_free(struct stage2_map *m);

/*
 * PA of [ipa, ipa + len) if it lies inside one chunk; TS_EFAULT if outside the
 * guest's RAM, TS_ERANGE if it crosses a chunk boundary (callers translate
 * page by page).
 */
int stage2_ipa_to_pa(const struct stage2_map *m, uint64_t ipa, uint64_t len, paddr_t *pa);
/* The IPA a PA of this guest's RAM is seen at, or TS_EFAULT. */
int stage2_pa_to_ipa(const struct stage2_map *m, paddr_t pa, uint64_t *ipa);

/*
 * Map the guest's RAM into this process in IPA order from the DRAM memfd:
 * *host points at IPA ipa_base.  The mapping holds nothing but this guest's
 * chunks, so the guest cannot reach any other memory.
 */
int stage2_map_guest_ram(const struct stage2_map *m, int dram_fd, void **host);
void stage2_unmap_guest_ram(const struct stage2_map *m, void *host);

#endif
