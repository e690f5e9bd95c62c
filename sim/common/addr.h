/*
 * Opaque one-field address types, shared by every world.
 *
 * A physical address and a virtual address are both 64-bit numbers; giving
 * each its own struct type makes passing one where the other is expected a
 * compile error instead of a silent bug (Hafnium does the same).  Only
 * <stdint.h>/<stdbool.h> are used so the freestanding secure core can include it.
 */
#ifndef TEESHM_COMMON_ADDR_H
#define TEESHM_COMMON_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#define SMALL_PAGE_SHIFT 12
#define SMALL_PAGE_SIZE ((uint64_t)1 << SMALL_PAGE_SHIFT)
#define SMALL_PAGE_MASK (SMALL_PAGE_SIZE - 1)

typedef struct {
	uint64_t pa;
} paddr_t;

typedef struct {
	uint64_t va;
} vaddr_t;

static inline paddr_t pa_init(uint64_t pa) { return (paddr_t){ pa }; }
static inline uint64_t pa_addr(paddr_t p) { return p.pa; }
static inline paddr_t pa_add(paddr_t p, uint64_t n) { return (paddr_t){ p.pa + n }; }
static inline bool pa_eq(paddr_t a, paddr_t b) { return a.pa == b.pa; }
static inline bool pa_is_page_aligned(paddr_t p) { return (p.pa & SMALL_PAGE_MASK) == 0; }

static inline vaddr_t va_init(uint64_t va) { return (vaddr_t){ va }; }
static inline uint64_t va_addr(vaddr_t v) { return v.va; }
static inline vaddr_t va_add(vaddr_t v, uint64_t n) { return (vaddr_t){ v.va + n }; }
static inline bool va_eq(vaddr_t a, vaddr_t b) { return a.va == b.va; }
static inline bool va_is_page_aligned(vaddr_t v) { return (v.va & SMALL_PAGE_MASK) == 0; }

/* Pages needed to cover [offset, offset + size) where offset is inside the first page. */
static inline uint64_t pages_spanned(uint64_t offset_in_page, uint64_t size_bytes)
{
	return (offset_in_page + size_bytes + SMALL_PAGE_MASK) >> SMALL_PAGE_SHIFT;
}

/* True when [base, base + len) wraps around the 64-bit address space. */
static inline bool range_overflows(uint64_t base, uint64_t len)
{
	return len != 0 && base + len - 1 < base;
}

#endif
