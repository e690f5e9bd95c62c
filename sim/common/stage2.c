/* Stage-2 (IPA -> PA) maps of guests, and mapping a guest's RAM in IPA order. */
#define _GNU_SOURCE
#include "sim/common/stage2.h"

#include <stdlib.h>
#include <sys/mman.h>

#include "sim/common/ts_err.h"

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int stage2_build(struct stage2_map *m, const struct dram_region *r, uint64_t ipa_base,
		 uint64_t seed)
{
	uint32_t i, n;

	if (r->size_bytes % STAGE2_CHUNK_BYTES || r->size_bytes == 0 ||
	    (ipa_base % STAGE2_CHUNK_BYTES) || r->size_bytes / STAGE2_CHUNK_BYTES > UINT32_MAX)
		return TS_EINVAL;
	n = (uint32_t)(r->size_bytes / STAGE2_CHUNK_BYTES);
	m->chunk_pa = malloc(n * sizeof(*m->chunk_pa));
	if (!m->chunk_pa)
		return TS_ENOMEM;
	m->ipa_base = ipa_base;
	m->chunk_bytes = STAGE2_CHUNK_BYTES;
	m->n_chunks = n;
	for (i = 0; i < n; i++)
		m->chunk_pa[i] = pa_add(r->base, (uint64_t)i * STAGE2_CHUNK_BYTES);
	/* Fisher-Yates with a seeded generator: reproducible scatter. */
	for (i = n; seed && i > 1; i--) {
		uint32_t j = (uint32_t)(splitmix(&seed) % i);
		paddr_t t = m->chunk_pa[i - 1];

		m->chunk_pa[i - 1] = m->chunk_pa[j];
		m->chunk_pa[j] = t;
	}
	return 0;
}

int stage2_build_identity(struct stage2_map *m, const struct dram_region *r)
{
	return stage2_build(m, r, pa_addr(r->base), 0);
}

void stage2_free(struct stage2_map *m)
{
	free(m->chunk_pa);
	m->chunk_pa = NULL;
	m->n_chunks = 0;
}

int stage2_ipa_to_pa(const struct stage2_map *m, uint64_t ipa, uint64_t len, paddr_t *pa)
{
	uint64_t off, chunk;

	if (ipa < m->ipa_base || len == 0)
		return TS_EFAULT;
	off = ipa - m->ipa_base;
	chunk = off / m->chunk_bytes;
	if (chunk >= m->n_chunks)
		return TS_EFAULT;
	if (len > m->chunk_bytes - off % m->chunk_bytes)
		return TS_ERANGE;
	*pa = pa_add(m->chunk_pa[chunk], off % m->chunk_bytes);
	return 0;
}

int stage2_pa_to_ipa(const struct stage2_map *m, paddr_t pa, uint64_t *ipa)
{
	uint32_t i;

	/* Linear: used on rare paths (RPC answers, diagnostics), not per access. */
	for (i = 0; i < m->n_chunks; i++) {
		uint64_t base = pa_addr(m->chunk_pa[i]);

		if (pa_addr(pa) >= base && pa_addr(pa) - base < m->chunk_bytes) {
			*ipa = m->ipa_base + (uint64_t)i * m->chunk_bytes + (pa_addr(pa) - base);
			return 0;
		}
	}
	return TS_EFAULT;
}

int stage2_map_guest_ram(const struct stage2_map *m, int dram_fd, void **host)
{
	uint64_t total = (uint64_t)m->n_chunks * m->chunk_bytes;
	uint8_t *base;
	uint32_t i;

	/* Reserve the whole IPA window, then put each chunk in its place. */
	base = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return TS_ENOMEM;
	for (i = 0; i < m->n_chunks; i++) {
		void *p = mmap(base + (uint64_t)i * m->chunk_bytes, m->chunk_bytes,
			       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, dram_fd,
			       (off_t)(pa_addr(m->chunk_pa[i]) - DRAM_PA_BASE));

		if (p == MAP_FAILED) {
			munmap(base, total);
			return TS_ENOMEM;
		}
	}
	*host = base;
	return 0;
}

void stage2_unmap_guest_ram(const struct stage2_map *m, void *host)
{
	if (host)
		munmap(host, (uint64_t)m->n_chunks * m->chunk_bytes);
}
