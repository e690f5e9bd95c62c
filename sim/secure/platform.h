/*
 * The secure world's platform glue: how the freestanding core memory manager
 * reaches the simulated DRAM of this process (sim/common/dram.h).  A real TEE
 * port replaces this file with its own physical-memory map.
 */
#ifndef TEESHM_SECURE_PLATFORM_H
#define TEESHM_SECURE_PLATFORM_H

#include "sim/common/dram.h"
#include "sim/secure/mm/core_mm.h"

/*
 * Platform hooks over a view of all of DRAM: the translation-table pool is the
 * layout's xlat-pool region (up to max_tables tables; 0 = the whole region).
 */
int secure_platform_from_dram(const struct dram_view *view, uint32_t max_tables,
			      struct core_mm_platform *plat);

#endif
