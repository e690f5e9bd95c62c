/*
 * "dynamic", secure half: what strategies composing it ("rpc", "cached") may
 * call beyond its ops (sw_strategy_dynamic_ops).
 */
#ifndef TEESHM_STRATEGIES_DYNAMIC_SW_H
#define TEESHM_STRATEGIES_DYNAMIC_SW_H

struct secure_world;

/*
 * A call's own buffers (arg, RPC arg, TMEMs) are mapped exactly while in use,
 * by that call alone.  0 or TS_E*, big lock held.
 */
int sw_dynamic_check_calls(struct secure_world *sw);

#endif
