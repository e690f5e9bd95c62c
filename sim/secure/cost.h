/*
 * The secure core's counters as the platform cost model reads them
 * (sim/common/profile.h).  One place, so every report models the same work.
 */
#ifndef TEESHM_SECURE_COST_H
#define TEESHM_SECURE_COST_H

#include "sim/common/profile.h"
#include "sim/secure/mm/core_mm.h"

/* Fill every count the memory manager, its tables and its TLB keep; smcs and copy_bytes stay 0. */
void core_mm_cost_counts(const struct core_mm *mm, struct cost_counts *out);

#endif
