/* Secure-world platform glue over the simulated DRAM (see platform.h). */
#include "sim/secure/platform.h"

#include "sim/common/ts_err.h"

static void *plat_pa_to_host(void *ctx, paddr_t pa, size_t len_bytes)
{
	return dram_view_ptr(ctx, pa, len_bytes);
}

static bool plat_pa_range_is(void *ctx, enum core_pa_kind kind, paddr_t pa, uint64_t len_bytes)
{
	const struct dram_view *view = ctx;
	const struct dram_region *r = dram_range_region(view->layout, pa, len_bytes);

	if (!r)
		return false;
	switch (kind) {
	case CORE_PA_SECURE:
		return r->secure;
	case CORE_PA_NONSECURE:
		return !r->secure;
	case CORE_PA_TEE_RAM:
		return r->kind == DRAM_SECURE_CORE;
	case CORE_PA_TA_RAM:
		return r->kind == DRAM_TA_RAM;
	case CORE_PA_NSEC_SHM:
		return r->kind == DRAM_CARVEOUT;
	}
	return false;
}

int secure_platform_from_dram(const struct dram_view *view, uint32_t max_tables,
			      struct core_mm_platform *plat)
{
	const struct dram_region *pool = dram_region_find(view->layout, DRAM_XLAT_POOL, 0);
	uint64_t tables;
	void *host;

	if (!pool)
		return TS_ENOENT;
	tables = pool->size_bytes / SMALL_PAGE_SIZE;
	if (max_tables && max_tables < tables)
		tables = max_tables;
	host = dram_view_ptr(view, pool->base, tables * SMALL_PAGE_SIZE);
	if (!host)
		return TS_EFAULT;
	*plat = (struct core_mm_platform){
		.xlat_pool_pa = pool->base,
		.xlat_pool_host = host,
		.xlat_pool_tables = (uint32_t)tables,
		.pa_to_host = plat_pa_to_host,
		.pa_range_is = plat_pa_range_is,
		.ctx = (void *)view,
	};
	return 0;
}
