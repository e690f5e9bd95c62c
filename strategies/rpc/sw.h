/*
 * "rpc", secure half: what another strategy composing its per-VM buffer pool
 * ("cached" does, for the secure world's own buffers) may call beyond the ops.
 */
#ifndef TEESHM_STRATEGIES_RPC_SW_H
#define TEESHM_STRATEGIES_RPC_SW_H

struct sw_strategy;

/* The pools' books only (not the memrefs'): 0 or TS_E*, big lock held. */
int sw_rpc_pools_check(struct sw_strategy *s);

#endif
