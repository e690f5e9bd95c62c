/*
 * The secure half of a shared-memory strategy (docs/strategies.md): every
 * decision of the secure world about *when* normal-world memory is mapped
 * into the secure MMU and when it is unmapped goes through one ops struct,
 * one instance per secure world (per-VM state, if any, inside it).  The ABI
 * code paths (arg fetch, page-list parsing and checks, RPC round trips) stay
 * in sw_msg.c / sw_rpc.c / sw_shm.c; a strategy only chooses when to map,
 * whether to keep a mapping, and where buffers for the secure world's own
 * needs come from.
 *
 * A buffer reaches a strategy *described* (struct sw_mobj: a validated page
 * list in secure memory, or a static carveout VA) and leaves it the same way;
 * the mapping in between is the strategy's business.  use_begin()/use_end()
 * bracket every access the secure world or a TA makes through m->va.
 *
 * Halves live in strategies/<name>/sw.c and are found by enum strategy_id
 * (strategy_sw.c).  Every op runs under the secure world's big lock.
 * The inline wrappers in sw_internal.h are what callers use, as OP-TEE's
 * mobj_* over struct mobj_ops.
 */
#ifndef TEESHM_SECURE_STRATEGY_SW_H
#define TEESHM_SECURE_STRATEGY_SW_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/common/strategy.h"

struct secure_world;
struct sw_call;
struct sw_mobj;
struct sw_rpc_shm;
struct sw_shm;
struct sw_strategy;

struct sw_strategy_ops {
	const char *name;
	int (*init)(struct sw_strategy *s, struct secure_world *sw,
		    const struct strategy_params *p);
	void (*fini)(struct sw_strategy *s);
	/*
	 * REGISTER_SHM: shm->mobj is described (pages checked, list copied),
	 * not mapped.  Map now (eager), record for map-on-use, or reuse (cached).
	 * Failure undoes the registration (TS_E*: the TEE's refusal).
	 */
	int (*shm_registered)(struct sw_strategy *s, uint16_t client, struct sw_shm *shm);
	/*
	 * A call is about to use / has finished with a described buffer (a
	 * registered shm's mobj, a TMEM, the arg page, the RPC arg).  After
	 * use_begin returns 0, m->va reaches the buffer until the matching
	 * use_end.  Uses of one registered shm may overlap (several calls).
	 * use_end of a mobj that is not in use is a no-op.
	 */
	int (*use_begin)(struct sw_strategy *s, uint16_t client, struct sw_mobj *m);
	void (*use_end)(struct sw_strategy *s, uint16_t client, struct sw_mobj *m);
	/* UNREGISTER_SHM: shm leaves the registry; calls may still use it (deferred free). */
	void (*shm_unregistered)(struct sw_strategy *s, uint16_t client, struct sw_shm *shm);
	/*
	 * Buffers the secure world needs (RPC SHM_ALLOC of a TA or the core):
	 * per request (dynamic) or from a per-VM pool (rpc).  The call is
	 * passed because getting one may take an RPC (which suspends it).
	 * *out is reachable at (*out)->va until buffer_put.  0 or TS_E*.
	 */
	int (*buffer_get)(struct sw_strategy *s, struct sw_call *call, uint32_t shm_type,
			  uint64_t size_bytes, struct sw_rpc_shm **out);
	void (*buffer_put)(struct sw_strategy *s, struct sw_call *call, struct sw_rpc_shm *buf);
	/*
	 * A client is being reclaimed: its calls are unwound and its sessions
	 * closed; its registered shm objects are freed right after this (any
	 * mapping they still hold with them), then core_mm_vm_destroyed.
	 */
	void (*vm_destroyed)(struct sw_strategy *s, uint16_t client);
	/* The strategy's own invariants (big lock held, from sw_check).  0 or TS_E*. */
	int (*check)(struct sw_strategy *s);
	/*
	 * core_mm mappings the strategy holds for client on its own (a pool),
	 * beyond those of calls and registered objects; sw_check counts them
	 * in the client's books.  NULL: none.
	 */
	uint64_t (*mappings_held)(struct sw_strategy *s, uint16_t client);
	/*
	 * OPTEE_SMC_DISABLE_SHM_CACHE from client (its driver is going away):
	 * drop what is kept for it (idle mappings) and give back one buffer the
	 * normal world provisioned, unmapped and forgotten: 0 with its cookie
	 * (the normal world frees it), TS_ENOENT when none is left, TS_EBUSY
	 * while a call still uses one.  NULL: the strategy keeps nothing.
	 */
	int (*cache_disable)(struct sw_strategy *s, uint16_t client, uint64_t *cookie);
	/*
	 * A mapping for client failed for want of shared resources (SHM VA,
	 * translation tables, mapping slots): give back one mapping nobody
	 * needs (an idle cached one), true if one went.  Every map in the
	 * secure world retries after it.  NULL: the strategy keeps nothing idle.
	 */
	bool (*reclaim)(struct sw_strategy *s, uint16_t client);
};

struct sw_strategy {
	const struct sw_strategy_ops *ops;
	struct secure_world *sw;
	struct strategy_params params;
	void *priv; /* the strategy's own state */
};

/* The secure halves that exist (strategies/<name>/sw.c). */
extern const struct sw_strategy_ops sw_strategy_dynamic_ops;
extern const struct sw_strategy_ops sw_strategy_carveout_ops;
extern const struct sw_strategy_ops sw_strategy_rpc_ops;
extern const struct sw_strategy_ops sw_strategy_cached_ops;

/* The secure half of strategy id, or NULL when it is not implemented (yet). */
const struct sw_strategy_ops *sw_strategy_ops_find(enum strategy_id id);

#endif
