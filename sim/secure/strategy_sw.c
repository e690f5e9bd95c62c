/* The registry of secure strategy halves, by enum strategy_id (see strategy_sw.h). */
#include "sim/secure/strategy_sw.h"

#include <stddef.h>

/* NULL: the strategy is known by name but has no secure half yet. */
static const struct sw_strategy_ops *const sw_strategies[STRATEGY_COUNT] = {
	[STRATEGY_CARVEOUT] = &sw_strategy_carveout_ops,
	[STRATEGY_DYNAMIC] = &sw_strategy_dynamic_ops,
	[STRATEGY_CACHED] = &sw_strategy_cached_ops,
	[STRATEGY_RPC] = &sw_strategy_rpc_ops,
};

const struct sw_strategy_ops *sw_strategy_ops_find(enum strategy_id id)
{
	return (unsigned)id < STRATEGY_COUNT ? sw_strategies[id] : NULL;
}
