/*
 * AArch64 (VMSAv8-64, stage 1, 4 KiB granule) descriptor layer.
 *
 * As in Hafnium, the generic walker (pgt.c) never touches descriptor bits:
 * everything that knows where a bit lives is here.  Descriptors are the
 * architectural ones (Arm ARM D8 "VMSAv8-64 translation table format"), so a
 * real MMU -- or QEMU's, in the Unicorn oracle test -- can walk our tables.
 *
 * Layout used (4 KiB granule, no FEAT_LPA/LPA2):
 *   bits[1:0]  0b11 table (levels 0-2) or page (level 3); 0b01 block (levels 1-2)
 *   [4:2] AttrIndx, [5] NS, [7:6] AP[2:1], [9:8] SH, [10] AF, [11] nG,
 *   [47:12] output address, [53] PXN, [54] UXN.  Everything else is kept 0.
 */
#ifndef TEESHM_SECURE_MM_ARCH_MM_H
#define TEESHM_SECURE_MM_ARCH_MM_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/common/addr.h"

typedef uint64_t arch_pte_t;

#define ARCH_MM_GRANULE_SHIFT 12u
#define ARCH_MM_TABLE_BITS 9u /* 512 descriptors per 4 KiB table */
#define ARCH_MM_ENTRIES_PER_TABLE (1u << ARCH_MM_TABLE_BITS)
#define ARCH_MM_MAX_LEVEL 3u
#define ARCH_MM_MIN_VA_BITS 25u /* T0SZ <= 39 */
#define ARCH_MM_MAX_VA_BITS 48u /* T0SZ >= 16 */
#define ARCH_MM_PA_BITS 40u     /* TCR_EL1.IPS = 0b010 */

/* Descriptor fields. */
#define ARCH_MM_PTE_VALID ((uint64_t)1 << 0)
#define ARCH_MM_PTE_TABLE_OR_PAGE ((uint64_t)1 << 1)
#define ARCH_MM_PTE_ATTRINDX_SHIFT 2
#define ARCH_MM_PTE_ATTRINDX_MASK ((uint64_t)7 << ARCH_MM_PTE_ATTRINDX_SHIFT)
#define ARCH_MM_PTE_NS ((uint64_t)1 << 5)
#define ARCH_MM_PTE_AP_EL0 ((uint64_t)1 << 6) /* AP[1]: EL0 may access */
#define ARCH_MM_PTE_AP_RO ((uint64_t)1 << 7)  /* AP[2]: read-only */
#define ARCH_MM_PTE_SH_SHIFT 8
#define ARCH_MM_PTE_SH_MASK ((uint64_t)3 << ARCH_MM_PTE_SH_SHIFT)
#define ARCH_MM_PTE_AF ((uint64_t)1 << 10)
#define ARCH_MM_PTE_NG ((uint64_t)1 << 11)
#define ARCH_MM_PTE_OA_MASK ((uint64_t)0x0000fffffffff000)
#define ARCH_MM_PTE_PXN ((uint64_t)1 << 53)
#define ARCH_MM_PTE_UXN ((uint64_t)1 << 54)

/* SH encodings. */
#define ARCH_MM_SH_NONE 0u
#define ARCH_MM_SH_OUTER 2u
#define ARCH_MM_SH_INNER 3u

/* MAIR_EL1 slots (AttrIndx values) and their attribute bytes. */
#define ARCH_MM_MAIR_IDX_DEVICE_NGNRE 0u
#define ARCH_MM_MAIR_IDX_NORMAL_WB 1u
#define ARCH_MM_MAIR_IDX_NORMAL_NC 2u
#define ARCH_MM_MAIR_ATTR_DEVICE_NGNRE 0x04u
#define ARCH_MM_MAIR_ATTR_NORMAL_WB 0xffu /* inner/outer write-back, R+W allocate */
#define ARCH_MM_MAIR_ATTR_NORMAL_NC 0x44u

/* log2 of the bytes one descriptor maps at a level: 39, 30, 21, 12. */
static inline unsigned arch_mm_level_shift(unsigned level)
{
	return ARCH_MM_GRANULE_SHIFT + ARCH_MM_TABLE_BITS * (ARCH_MM_MAX_LEVEL - level);
}

static inline uint64_t arch_mm_level_size_bytes(unsigned level)
{
	return (uint64_t)1 << arch_mm_level_shift(level);
}

static inline unsigned arch_mm_index(uint64_t va, unsigned level)
{
	return (unsigned)(va >> arch_mm_level_shift(level)) & (ARCH_MM_ENTRIES_PER_TABLE - 1);
}

static inline bool arch_mm_va_bits_valid(unsigned va_bits)
{
	return va_bits >= ARCH_MM_MIN_VA_BITS && va_bits <= ARCH_MM_MAX_VA_BITS;
}

/*
 * First lookup level for a VA size: the lowest level whose table still
 * resolves all va_bits (4 KiB granule: T0SZ 16-24 -> 0, 25-33 -> 1, 34-39 -> 2).
 */
static inline unsigned arch_mm_start_level(unsigned va_bits)
{
	unsigned level = ARCH_MM_MAX_LEVEL;

	while (level > 0 && arch_mm_level_shift(level) + ARCH_MM_TABLE_BITS < va_bits)
		level--;
	return level;
}

/* Descriptors used in the root table (it is still one 4 KiB table, the rest stay 0). */
static inline unsigned arch_mm_root_entries(unsigned va_bits)
{
	return 1u << (va_bits - arch_mm_level_shift(arch_mm_start_level(va_bits)));
}

/* A block descriptor is architecturally allowed at levels 1 and 2 (4 KiB granule). */
static inline bool arch_mm_block_allowed(unsigned level)
{
	return level == 1 || level == 2;
}

static inline arch_pte_t arch_mm_absent_pte(void)
{
	return 0;
}

static inline bool arch_mm_pte_is_valid(arch_pte_t pte)
{
	return (pte & ARCH_MM_PTE_VALID) != 0;
}

static inline bool arch_mm_pte_is_table(arch_pte_t pte, unsigned level)
{
	return level < ARCH_MM_MAX_LEVEL && (pte & 3) == 3;
}

static inline bool arch_mm_pte_is_block(arch_pte_t pte, unsigned level)
{
	return arch_mm_block_allowed(level) && (pte & 3) == 1;
}

static inline bool arch_mm_pte_is_page(arch_pte_t pte, unsigned level)
{
	return level == ARCH_MM_MAX_LEVEL && (pte & 3) == 3;
}

/* Block or page: the descriptor ends the walk with an output address. */
static inline bool arch_mm_pte_is_leaf(arch_pte_t pte, unsigned level)
{
	return arch_mm_pte_is_block(pte, level) || arch_mm_pte_is_page(pte, level);
}

static inline paddr_t arch_mm_table_pa(arch_pte_t pte)
{
	return pa_init(pte & ARCH_MM_PTE_OA_MASK);
}

static inline paddr_t arch_mm_leaf_pa(arch_pte_t pte, unsigned level)
{
	return pa_init(pte & ARCH_MM_PTE_OA_MASK & ~(arch_mm_level_size_bytes(level) - 1));
}

/* Table descriptor at `level` (< 3) pointing at a next-level table. No hierarchical attrs. */
arch_pte_t arch_mm_table_pte(unsigned level, paddr_t table_pa);

/*
 * Block (levels 1-2) or page (level 3) descriptor for pa with abstract
 * attributes (PGT_ATTR_* of pgt.h, already validated).  AF is always set:
 * we never rely on access-flag faults.
 */
arch_pte_t arch_mm_leaf_pte(unsigned level, paddr_t pa, uint32_t attrs);

/* Abstract attributes of a leaf descriptor (inverse of arch_mm_leaf_pte). */
uint32_t arch_mm_leaf_attrs(arch_pte_t pte);

/* True if attrs is a combination arch_mm_leaf_pte() can encode. */
bool arch_mm_attrs_valid(uint32_t attrs);

/*
 * True if pte is exactly what arch_mm_{table,leaf}_pte would write for its
 * kind at this level: right type bits for the level, no RES0 / unused bits,
 * AF set on leaves, a MAIR slot we program, canonical SH/XN encoding, an
 * output address aligned to the block and inside the 40-bit PA space.
 * Invalid descriptors are well-formed only when entirely zero.
 */
bool arch_mm_pte_is_well_formed(arch_pte_t pte, unsigned level);

/* MAIR_EL1: slot 0 device-nGnRE, 1 normal WB RAWA, 2 normal non-cacheable. */
uint64_t arch_mm_mair(void);

/*
 * TCR_EL1 for TTBR0 walks only: T0SZ = 64 - va_bits, TG0 4 KiB, WBWA inner and
 * outer walk cacheability, inner shareable walks, IPS 40-bit, EPD1 = 1
 * (TTBR1 walks disabled; TG1 still set to the 4 KiB encoding so no field
 * holds a reserved value).
 */
uint64_t arch_mm_tcr(unsigned va_bits);

/* TTBR0_EL1 for a root table: BADDR only (ASID 0, CnP 0). */
uint64_t arch_mm_ttbr0(paddr_t root_pa);

#endif
