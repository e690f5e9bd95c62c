/*
 * TLB model of the secure core (see tlb.h for geometry, indexing and the
 * conflict rule). Freestanding: the caller owns the storage, errors are values.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sim/common/addr.h"
#include "sim/common/ts_err.h"
#include "sim/secure/mm/tlb.h"

static const unsigned int tlb_size_shifts[] = {
	TLB_SIZE_SHIFT_PAGE,
	TLB_SIZE_SHIFT_L2_BLOCK,
	TLB_SIZE_SHIFT_L1_BLOCK,
};

#define TLB_NUM_SIZES (sizeof(tlb_size_shifts) / sizeof(tlb_size_shifts[0]))

static bool size_shift_supported(unsigned int size_shift)
{
	for (size_t i = 0; i < TLB_NUM_SIZES; i++) {
		if (tlb_size_shifts[i] == size_shift)
			return true;
	}
	return false;
}

static uint64_t size_mask(unsigned int size_shift)
{
	return ((uint64_t)1 << size_shift) - 1;
}

static uint32_t set_of(const struct tlb *tlb, uint64_t va, unsigned int size_shift)
{
	return (uint32_t)((va >> size_shift) & (tlb->sets - 1));
}

static struct tlb_entry *set_first(const struct tlb *tlb, uint32_t set)
{
	return &tlb->entries[(size_t)set * tlb->ways];
}

/* An entry's key: VA block and size, plus "global" or its ASID (global ignores the ASID). */
static bool same_key(const struct tlb_entry *e, uint64_t va_base, unsigned int size_shift,
		     bool global, uint16_t asid)
{
	return va_addr(e->va) == va_base && e->size_shift == size_shift &&
	       e->global == global && (global || e->asid == asid);
}

static uint64_t next_stamp(struct tlb *tlb)
{
	/* 64 bits do not wrap within any simulation, so stamps stay unique. */
	return ++tlb->clock;
}

int tlb_init(struct tlb *tlb, struct tlb_entry *storage, uint32_t entries, uint32_t ways)
{
	uint32_t sets;

	if (tlb == NULL || storage == NULL || entries == 0 || ways == 0 || entries % ways != 0)
		return TS_EINVAL;
	sets = entries / ways;
	if ((sets & (sets - 1)) != 0)
		return TS_EINVAL;

	memset(storage, 0, (size_t)entries * sizeof(*storage));
	tlb->entries = storage;
	tlb->entry_count = entries;
	tlb->ways = ways;
	tlb->sets = sets;
	tlb->clock = 0;
	tlb->valid_entries = 0;
	memset(&tlb->stats, 0, sizeof(tlb->stats));
	return 0;
}

bool tlb_lookup(struct tlb *tlb, vaddr_t va, uint16_t asid, struct tlb_hit *out)
{
	uint64_t addr = va_addr(va);
	struct tlb_entry *best = NULL;

	/* One probe per leaf size; among several matches the most recently used wins. */
	for (size_t i = 0; i < TLB_NUM_SIZES; i++) {
		unsigned int shift = tlb_size_shifts[i];
		uint64_t base = addr & ~size_mask(shift);
		struct tlb_entry *set = set_first(tlb, set_of(tlb, addr, shift));

		for (uint32_t way = 0; way < tlb->ways; way++) {
			struct tlb_entry *e = &set[way];

			if (!e->valid || e->size_shift != shift || va_addr(e->va) != base)
				continue;
			if (!e->global && e->asid != asid)
				continue;
			if (best == NULL || e->stamp > best->stamp)
				best = e;
		}
	}

	if (best == NULL) {
		tlb->stats.misses++;
		return false;
	}

	best->stamp = next_stamp(tlb);
	tlb->stats.hits++;
	if (out != NULL) {
		out->pa = pa_add(best->pa, addr & size_mask(best->size_shift));
		out->attrs = best->attrs;
		out->size_shift = best->size_shift;
		out->global = best->global;
	}
	return true;
}

/* The entry of `set` holding this key, so that a refill never leaves two copies. */
static struct tlb_entry *find_same_key(const struct tlb *tlb, struct tlb_entry *set,
				       uint64_t va_base, unsigned int size_shift, bool global,
				       uint16_t asid)
{
	for (uint32_t way = 0; way < tlb->ways; way++) {
		if (set[way].valid && same_key(&set[way], va_base, size_shift, global, asid))
			return &set[way];
	}
	return NULL;
}

/* The first free way, else the least recently used one (smallest stamp). */
static struct tlb_entry *pick_victim(const struct tlb *tlb, struct tlb_entry *set)
{
	struct tlb_entry *lru = &set[0];

	for (uint32_t way = 0; way < tlb->ways; way++) {
		if (!set[way].valid)
			return &set[way];
		if (set[way].stamp < lru->stamp)
			lru = &set[way];
	}
	return lru;
}

void tlb_fill(struct tlb *tlb, vaddr_t va, uint16_t asid, bool global, paddr_t block_pa,
	      unsigned int size_shift, uint64_t attrs)
{
	uint64_t va_base;
	struct tlb_entry *set;
	struct tlb_entry *victim;

	if (!size_shift_supported(size_shift))
		return;

	va_base = va_addr(va) & ~size_mask(size_shift);
	if (global)
		asid = 0;
	set = set_first(tlb, set_of(tlb, va_base, size_shift));
	tlb->stats.fills++;

	victim = find_same_key(tlb, set, va_base, size_shift, global, asid);
	if (victim == NULL) {
		victim = pick_victim(tlb, set);
		if (victim->valid)
			tlb->stats.evictions++;
		else
			tlb->valid_entries++;
	}

	victim->va = va_init(va_base);
	victim->pa = pa_init(pa_addr(block_pa) & ~size_mask(size_shift));
	victim->attrs = attrs;
	victim->stamp = next_stamp(tlb);
	victim->asid = asid;
	victim->size_shift = (uint8_t)size_shift;
	victim->global = global;
	victim->valid = true;
}

/*
 * The common core of every TLBI: drop valid entries overlapping the inclusive
 * range [lo, hi] whose tag passes the ASID filter.
 */
enum tlbi_asid_filter {
	TLBI_GLOBAL_OR_ASID,	/* VAE1, RVAE1: global entries and those tagged asid */
	TLBI_ANY_ASID,		/* VAAE1, VMALLE1 */
	TLBI_NON_GLOBAL_ASID,	/* ASIDE1: only non-global entries tagged asid */
};

static void inval_entry_if(struct tlb *tlb, struct tlb_entry *e, uint64_t lo, uint64_t hi,
			   enum tlbi_asid_filter filter, uint16_t asid)
{
	uint64_t base, last;

	if (!e->valid)
		return;
	base = va_addr(e->va);
	last = base + size_mask(e->size_shift);
	if (base > hi || last < lo)
		return;
	switch (filter) {
	case TLBI_GLOBAL_OR_ASID:
		if (!e->global && e->asid != asid)
			return;
		break;
	case TLBI_NON_GLOBAL_ASID:
		if (e->global || e->asid != asid)
			return;
		break;
	case TLBI_ANY_ASID:
		break;
	}
	memset(e, 0, sizeof(*e));
	tlb->valid_entries--;
	tlb->stats.entries_invalidated++;
}

/*
 * Probe only the sets the range can live in, as hardware does: an entry of
 * size 2^s overlapping [lo, hi] has a block number in [lo >> s, hi >> s] and
 * sits in that number's set.  A range with more blocks than there are sets
 * touches every set, so it is scanned whole.
 */
static void inval_matching(struct tlb *tlb, uint64_t lo, uint64_t hi,
			   enum tlbi_asid_filter filter, uint16_t asid)
{
	if (tlb->valid_entries == 0)
		return;
	for (size_t i = 0; i < TLB_NUM_SIZES; i++) {
		unsigned int shift = tlb_size_shifts[i];
		uint64_t first = lo >> shift, last = hi >> shift, blk;

		if (last - first >= tlb->sets) {
			for (uint32_t k = 0; k < tlb->entry_count; k++)
				if (tlb->entries[k].size_shift == shift)
					inval_entry_if(tlb, &tlb->entries[k], lo, hi, filter, asid);
			continue;
		}
		for (blk = first;; blk++) {
			struct tlb_entry *set = set_first(tlb, (uint32_t)(blk & (tlb->sets - 1)));

			for (uint32_t way = 0; way < tlb->ways; way++)
				if (set[way].size_shift == shift)
					inval_entry_if(tlb, &set[way], lo, hi, filter, asid);
			if (blk == last)
				break;
		}
	}
}

void tlb_inval_va(struct tlb *tlb, vaddr_t va, uint16_t asid)
{
	tlb->stats.tlbi_va++;
	inval_matching(tlb, va_addr(va), va_addr(va), TLBI_GLOBAL_OR_ASID, asid);
}

void tlb_inval_va_all_asid(struct tlb *tlb, vaddr_t va)
{
	tlb->stats.tlbi_vaa++;
	inval_matching(tlb, va_addr(va), va_addr(va), TLBI_ANY_ASID, 0);
}

void tlb_inval_va_range(struct tlb *tlb, vaddr_t va, uint64_t pages, uint16_t asid)
{
	uint64_t lo = va_addr(va) & ~SMALL_PAGE_MASK;
	uint64_t room_pages = ((UINT64_MAX - lo) >> SMALL_PAGE_SHIFT) + 1;
	uint64_t hi;

	tlb->stats.tlbi_range++;
	if (pages == 0)
		return;
	/* Clamp at the top of the address space instead of wrapping to VA 0. */
	if (pages >= room_pages)
		hi = UINT64_MAX;
	else
		hi = lo + (pages << SMALL_PAGE_SHIFT) - 1;
	inval_matching(tlb, lo, hi, TLBI_GLOBAL_OR_ASID, asid);
}

void tlb_inval_asid(struct tlb *tlb, uint16_t asid)
{
	tlb->stats.tlbi_asid++;
	inval_matching(tlb, 0, UINT64_MAX, TLBI_NON_GLOBAL_ASID, asid);
}

void tlb_inval_all(struct tlb *tlb)
{
	tlb->stats.tlbi_all++;
	inval_matching(tlb, 0, UINT64_MAX, TLBI_ANY_ASID, 0);
}

void tlb_dsb(struct tlb *tlb)
{
	tlb->stats.dsb++;
}

void tlb_isb(struct tlb *tlb)
{
	tlb->stats.isb++;
}

void tlb_stats_reset(struct tlb *tlb)
{
	memset(&tlb->stats, 0, sizeof(tlb->stats));
}

uint32_t tlb_valid_count(const struct tlb *tlb)
{
	return tlb->valid_entries;
}

static int check_entry(const struct tlb *tlb, const struct tlb_entry *e, uint32_t set)
{
	unsigned int shift = e->size_shift;

	if (!size_shift_supported(shift))
		return TS_EINVAL;
	if ((va_addr(e->va) & size_mask(shift)) != 0 || (pa_addr(e->pa) & size_mask(shift)) != 0)
		return TS_EINVAL;
	if (set_of(tlb, va_addr(e->va), shift) != set)
		return TS_EINVAL;
	if (e->global && e->asid != 0)
		return TS_EINVAL;
	if (e->stamp == 0 || e->stamp > tlb->clock)
		return TS_EINVAL;
	return 0;
}

int tlb_check(const struct tlb *tlb)
{
	if (tlb == NULL || tlb->entries == NULL || tlb->ways == 0 || tlb->sets == 0 ||
	    (tlb->sets & (tlb->sets - 1)) != 0 ||
	    (uint64_t)tlb->sets * tlb->ways != tlb->entry_count)
		return TS_EINVAL;

	uint32_t valid = 0;

	for (uint32_t set = 0; set < tlb->sets; set++) {
		const struct tlb_entry *first = set_first(tlb, set);

		for (uint32_t a = 0; a < tlb->ways; a++) {
			const struct tlb_entry *e = &first[a];
			int err;

			if (!e->valid)
				continue;
			valid++;
			err = check_entry(tlb, e, set);
			if (err != 0)
				return err;
			for (uint32_t b = a + 1; b < tlb->ways; b++) {
				const struct tlb_entry *o = &first[b];

				if (!o->valid)
					continue;
				if (o->stamp == e->stamp)
					return TS_EINVAL;
				if (same_key(o, va_addr(e->va), e->size_shift, e->global, e->asid))
					return TS_EINVAL;
			}
		}
	}
	return valid == tlb->valid_entries ? 0 : TS_EINVAL;
}
