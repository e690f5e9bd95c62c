/* The secure core's counters for the cost model (see cost.h). */
#include "sim/secure/cost.h"

void core_mm_cost_counts(const struct core_mm *mm, struct cost_counts *out)
{
	const struct tlb_stats *t = &mm->tlb.stats;

	*out = (struct cost_counts){
		.pte_writes = mm->pgt.pte_writes,
		.walk_levels = mm->stats.walk_levels,
		.tlbi_va = t->tlbi_va,
		.tlbi_vaa = t->tlbi_vaa,
		.tlbi_range = t->tlbi_range,
		.tlbi_asid = t->tlbi_asid,
		.tlbi_all = t->tlbi_all,
		.dsb = t->dsb,
		.isb = t->isb,
		.maps = mm->stats.maps,
		.unmaps = mm->stats.unmaps,
		.pages_mapped = mm->stats.pages_mapped,
		.pages_unmapped = mm->stats.pages_unmapped,
	};
}
