/*
 * OP-TEE's core_memprot.h API, kept as the seed proposal asks, on top of the
 * dynamic memory manager.  OP-TEE has one memory manager per core image, so
 * these take no context: the secure world registers its instance once with
 * core_memprot_set_mm().  Addresses are the simulator's: a secure VA is a
 * vaddr_t (reached through core_mm_read/write), not a host pointer.
 */
#ifndef TEESHM_SECURE_MM_CORE_MEMPROT_H
#define TEESHM_SECURE_MM_CORE_MEMPROT_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/secure/mm/core_mm.h"

/* Attributes for core_pbuf_is() / core_vbuf_is(), as in OP-TEE. */
enum buf_is_attr {
	CORE_MEM_SEC,
	CORE_MEM_NON_SEC,
	CORE_MEM_TEE_RAM,
	CORE_MEM_TA_RAM,
	CORE_MEM_NSEC_SHM,
	CORE_MEM_SDP_MEM, /* no secure data path here: always false */
};

void core_memprot_set_mm(struct core_mm *mm);
struct core_mm *core_memprot_mm(void);

/* VA of [pa, pa + len) in a mapping of type m, or va_init(0) if none covers it. */
vaddr_t phys_to_virt(paddr_t pa, enum teecore_memtypes m, size_t len);
/* PA that va translates to (through the real tables), or pa_init(0) if unmapped. */
paddr_t virt_to_phys(vaddr_t va);
/* Is the physical buffer entirely memory of this kind? */
bool core_pbuf_is(uint32_t attr, paddr_t pbuf, size_t len);
/* Is every byte of the virtual buffer mapped and backed by memory of this kind? */
bool core_vbuf_is(uint32_t attr, vaddr_t vbuf, size_t len);

/* Driver interface: map device registers, as Linux drivers use ioremap(). */
vaddr_t ioremap(paddr_t pa, size_t len);
/* void as in Linux; core_mm_iounmap() reports errors to callers that want them. */
void iounmap(vaddr_t va);

#endif
