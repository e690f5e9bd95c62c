/*
 * AArch64 descriptor encoding: abstract PGT_ATTR_* <-> descriptor bits, and
 * the MAIR/TCR/TTBR values that go with them (Arm ARM D8.3, D19 TCR_EL1).
 */
#include "sim/secure/mm/arch_mm.h"
#include "sim/secure/mm/pgt.h"

/* TCR_EL1 fields. */
#define TCR_T0SZ_SHIFT 0
#define TCR_IRGN0_WBWA ((uint64_t)1 << 8)
#define TCR_ORGN0_WBWA ((uint64_t)1 << 10)
#define TCR_SH0_INNER ((uint64_t)3 << 12)
#define TCR_TG0_4K ((uint64_t)0 << 14)
#define TCR_EPD1 ((uint64_t)1 << 23)
#define TCR_TG1_4K ((uint64_t)2 << 30)
#define TCR_IPS_40BIT ((uint64_t)2 << 32)

arch_pte_t arch_mm_table_pte(unsigned level, paddr_t table_pa)
{
	(void)level; /* same format at levels 0-2 */
	return (pa_addr(table_pa) & ARCH_MM_PTE_OA_MASK) | ARCH_MM_PTE_TABLE_OR_PAGE |
	       ARCH_MM_PTE_VALID;
}

bool arch_mm_attrs_valid(uint32_t attrs)
{
	uint32_t mem = attrs & PGT_ATTR_MEM_MASK;

	if (attrs & ~PGT_ATTR_ALL)
		return false;
	return mem == PGT_ATTR_MEM_NORMAL || mem == PGT_ATTR_MEM_DEVICE ||
	       mem == PGT_ATTR_MEM_NORMAL_NC;
}

arch_pte_t arch_mm_leaf_pte(unsigned level, paddr_t pa, uint32_t attrs)
{
	arch_pte_t pte = (pa_addr(pa) & ARCH_MM_PTE_OA_MASK) | ARCH_MM_PTE_VALID | ARCH_MM_PTE_AF;
	uint64_t idx, sh;

	if (level == ARCH_MM_MAX_LEVEL)
		pte |= ARCH_MM_PTE_TABLE_OR_PAGE; /* page: 0b11; block: 0b01 */

	switch (attrs & PGT_ATTR_MEM_MASK) {
	case PGT_ATTR_MEM_DEVICE:
		/* Device memory is always treated as outer shareable; say so (as OP-TEE). */
		idx = ARCH_MM_MAIR_IDX_DEVICE_NGNRE;
		sh = ARCH_MM_SH_OUTER;
		break;
	case PGT_ATTR_MEM_NORMAL_NC:
		idx = ARCH_MM_MAIR_IDX_NORMAL_NC;
		sh = ARCH_MM_SH_INNER;
		break;
	default:
		idx = ARCH_MM_MAIR_IDX_NORMAL_WB;
		sh = ARCH_MM_SH_INNER;
		break;
	}
	pte |= idx << ARCH_MM_PTE_ATTRINDX_SHIFT;
	pte |= sh << ARCH_MM_PTE_SH_SHIFT;

	if (attrs & PGT_ATTR_NS)
		pte |= ARCH_MM_PTE_NS;
	if (attrs & PGT_ATTR_USER)
		pte |= ARCH_MM_PTE_AP_EL0;
	if (attrs & PGT_ATTR_RO)
		pte |= ARCH_MM_PTE_AP_RO;
	if (attrs & PGT_ATTR_NG)
		pte |= ARCH_MM_PTE_NG;

	if (attrs & PGT_ATTR_XN)
		pte |= ARCH_MM_PTE_PXN | ARCH_MM_PTE_UXN;
	else if (attrs & PGT_ATTR_USER)
		pte |= ARCH_MM_PTE_PXN; /* EL0-executable, never run by the secure core */
	else
		pte |= ARCH_MM_PTE_UXN; /* EL1-executable; EL0 fetches must fault */
	return pte;
}

uint32_t arch_mm_leaf_attrs(arch_pte_t pte)
{
	uint32_t attrs;

	switch ((pte & ARCH_MM_PTE_ATTRINDX_MASK) >> ARCH_MM_PTE_ATTRINDX_SHIFT) {
	case ARCH_MM_MAIR_IDX_NORMAL_WB:
		attrs = PGT_ATTR_MEM_NORMAL;
		break;
	case ARCH_MM_MAIR_IDX_NORMAL_NC:
		attrs = PGT_ATTR_MEM_NORMAL_NC;
		break;
	default:
		/* Slot 0, and the slots we never program, read as device. */
		attrs = PGT_ATTR_MEM_DEVICE;
		break;
	}
	if (pte & ARCH_MM_PTE_NS)
		attrs |= PGT_ATTR_NS;
	if (pte & ARCH_MM_PTE_AP_EL0)
		attrs |= PGT_ATTR_USER;
	if (pte & ARCH_MM_PTE_AP_RO)
		attrs |= PGT_ATTR_RO;
	if (pte & ARCH_MM_PTE_NG)
		attrs |= PGT_ATTR_NG;
	if ((pte & ARCH_MM_PTE_PXN) && (pte & ARCH_MM_PTE_UXN))
		attrs |= PGT_ATTR_XN;
	return attrs;
}

bool arch_mm_pte_is_well_formed(arch_pte_t pte, unsigned level)
{
	paddr_t pa;

	if (level > ARCH_MM_MAX_LEVEL)
		return false;
	if (!arch_mm_pte_is_valid(pte))
		return pte == arch_mm_absent_pte();
	if (arch_mm_pte_is_table(pte, level))
		return pte == arch_mm_table_pte(level, arch_mm_table_pa(pte));
	if (!arch_mm_pte_is_leaf(pte, level))
		return false; /* block at level 0 or 3: reserved encodings */
	pa = arch_mm_leaf_pa(pte, level);
	if (pa_addr(pa) >> ARCH_MM_PA_BITS)
		return false;
	/*
	 * Re-encoding catches everything else at once: bits below the block size,
	 * RES0/ignored/software bits, contiguous hint, AF clear, unprogrammed
	 * AttrIndx (decoded as device, re-encoded as slot 0), non-canonical SH or
	 * PXN/UXN combinations.
	 */
	return pte == arch_mm_leaf_pte(level, pa, arch_mm_leaf_attrs(pte));
}

uint64_t arch_mm_mair(void)
{
	return ((uint64_t)ARCH_MM_MAIR_ATTR_DEVICE_NGNRE << (8 * ARCH_MM_MAIR_IDX_DEVICE_NGNRE)) |
	       ((uint64_t)ARCH_MM_MAIR_ATTR_NORMAL_WB << (8 * ARCH_MM_MAIR_IDX_NORMAL_WB)) |
	       ((uint64_t)ARCH_MM_MAIR_ATTR_NORMAL_NC << (8 * ARCH_MM_MAIR_IDX_NORMAL_NC));
}

uint64_t arch_mm_tcr(unsigned va_bits)
{
	return ((uint64_t)(64 - va_bits) << TCR_T0SZ_SHIFT) | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA |
	       TCR_SH0_INNER | TCR_TG0_4K | TCR_EPD1 | TCR_TG1_4K | TCR_IPS_40BIT;
}

uint64_t arch_mm_ttbr0(paddr_t root_pa)
{
	return pa_addr(root_pa) & ARCH_MM_PTE_OA_MASK;
}
