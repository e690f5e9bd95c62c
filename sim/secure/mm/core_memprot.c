/* core_memprot.h: OP-TEE's memory-protection API over the registered core_mm. */
#include "sim/secure/mm/core_memprot.h"

static struct core_mm *the_mm;

void core_memprot_set_mm(struct core_mm *mm)
{
	the_mm = mm;
}

struct core_mm *core_memprot_mm(void)
{
	return the_mm;
}

vaddr_t phys_to_virt(paddr_t pa, enum teecore_memtypes m, size_t len)
{
	return the_mm ? core_mm_phys_to_virt(the_mm, pa, m, len) : va_init(0);
}

paddr_t virt_to_phys(vaddr_t va)
{
	paddr_t pa;

	if (!the_mm || core_mm_virt_to_phys(the_mm, va, &pa))
		return pa_init(0);
	return pa;
}

static bool kind_of_attr(uint32_t attr, enum core_pa_kind *kind)
{
	switch (attr) {
	case CORE_MEM_SEC:
		*kind = CORE_PA_SECURE;
		return true;
	case CORE_MEM_NON_SEC:
		*kind = CORE_PA_NONSECURE;
		return true;
	case CORE_MEM_TEE_RAM:
		*kind = CORE_PA_TEE_RAM;
		return true;
	case CORE_MEM_TA_RAM:
		*kind = CORE_PA_TA_RAM;
		return true;
	case CORE_MEM_NSEC_SHM:
		*kind = CORE_PA_NSEC_SHM;
		return true;
	default:
		return false;
	}
}

bool core_pbuf_is(uint32_t attr, paddr_t pbuf, size_t len)
{
	enum core_pa_kind kind;

	if (!the_mm || len == 0 || range_overflows(pa_addr(pbuf), len) || !kind_of_attr(attr, &kind))
		return false;
	return the_mm->plat.pa_range_is(the_mm->plat.ctx, kind, pbuf, len);
}

bool core_vbuf_is(uint32_t attr, vaddr_t vbuf, size_t len)
{
	uint64_t va = va_addr(vbuf), end, page;
	enum core_pa_kind kind;
	paddr_t first;

	if (!the_mm || len == 0 || range_overflows(va, len) || !kind_of_attr(attr, &kind))
		return false;
	end = va + len - 1;
	/* Every page must be mapped and of the kind; a buffer may span several runs of pages. */
	for (page = va & ~SMALL_PAGE_MASK; page <= end; page += SMALL_PAGE_SIZE) {
		uint64_t lo = page < va ? va : page;
		uint64_t hi = (page | SMALL_PAGE_MASK) < end ? (page | SMALL_PAGE_MASK) : end;

		if (core_mm_virt_to_phys(the_mm, va_init(lo), &first) ||
		    !the_mm->plat.pa_range_is(the_mm->plat.ctx, kind, first, hi - lo + 1))
			return false;
		if (page + SMALL_PAGE_SIZE < page)
			break;
	}
	return true;
}

vaddr_t ioremap(paddr_t pa, size_t len)
{
	vaddr_t va;

	/* Secure-world drivers map secure device registers; ask for NS explicitly via core_mm. */
	if (!the_mm || core_mm_ioremap(the_mm, pa, len, true, &va))
		return va_init(0);
	return va;
}

void iounmap(vaddr_t va)
{
	if (the_mm)
		(void)core_mm_iounmap(the_mm, va);
}
