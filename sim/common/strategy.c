/* Strategy names and default parameters (see strategy.h). */
#include "sim/common/strategy.h"

#include <string.h>

static const char *const names[STRATEGY_COUNT] = {
	[STRATEGY_CARVEOUT] = "carveout",
	[STRATEGY_DYNAMIC] = "dynamic",
	[STRATEGY_CACHED] = "cached",
	[STRATEGY_RPC] = "rpc",
};

const char *strategy_name(enum strategy_id id)
{
	return (unsigned)id < STRATEGY_COUNT ? names[id] : NULL;
}

int strategy_find(const char *name)
{
	int i;

	for (i = 0; i < STRATEGY_COUNT; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

void strategy_params_default(enum strategy_id id, struct strategy_params *p)
{
	*p = (struct strategy_params){
		.id = id,
		.carveout_vm_bytes = 0,
		.cache_pages_per_vm = 4096,   /* 16 MiB of live mappings per VM */
		.lazy_purge_pages = 512,      /* as vmalloc's lazy_max_pages order of magnitude */
		.pool_chunk_pages = 64,
		.pool_idle_pages = 256,
	};
}
