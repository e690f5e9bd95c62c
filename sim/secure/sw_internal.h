/*
 * The secure world's private state, shared by its files (libuv's internal.h
 * idea): secure_world.c (boot, SMC dispatch, VM lifecycle, checks),
 * sw_thread.c, sw_msg.c, sw_rpc.c, sw_shm.c, sw_session.c, and the secure
 * halves of the strategies (strategies/<name>/sw.c).
 *
 * Locking: one mutex, the big secure-world lock.  It is held by whoever runs
 * secure-world code: sw_smc while it dispatches, a secure thread while it
 * runs a call.  A secure thread gives it up only while it waits for its turn
 * (pthread_cond_wait), so all books and the core memory manager (which is
 * not reentrant) are touched under it.
 */
#ifndef TEESHM_SECURE_SW_INTERNAL_H
#define TEESHM_SECURE_SW_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/common/dram.h"
#include "sim/secure/mm/core_mm.h"
#include "sim/secure/secure_world.h"
#include "sim/secure/sw_msg.h"
#include "sim/secure/sw_rpc.h"
#include "sim/secure/sw_session.h"
#include "sim/secure/sw_shm.h"
#include "sim/secure/sw_thread.h"
#include "sim/secure/strategy_sw.h"
#include "sim/secure/sw_metrics.h"

struct sw_client {
	bool alive;              /* VM_CREATED (or client 0 without virtualization) */
	bool reclaiming;         /* VM_DESTROYED / teardown under way (it waits for threads) */
	uint32_t n_sessions;
	uint32_t n_shm;          /* registered */
	uint32_t n_shm_deferred; /* unregistered, waiting for their last user */
	uint32_t n_threads;      /* calls running or suspended */
	uint64_t n_mappings;     /* core_mm mappings held for this client's objects */
	struct sw_shm *shm_list;
	struct sw_stats stats;
};

struct secure_world {
	struct sw_config cfg;
	const struct dram *dram;
	struct dram_view *view;
	const struct dram_region *carveout;
	struct core_mm mm;
	void *mm_meta;
	bool memprot_registered;  /* core_memprot_set_mm() points at our mm */

	pthread_mutex_t lock;     /* the big secure-world lock */
	pthread_cond_t cv_yield;  /* a secure thread gave the CPU back */
	bool stopping;

	struct sw_client *clients; /* max_guests + 1 (index = client id) */
	uint32_t n_clients;
	struct sw_thread *threads;
	struct sw_shm_table shm;
	struct sw_session_table sessions;
	enum strategy_id strategy_id;
	struct sw_strategy strategy; /* when shared memory is mapped (strategy_sw.h) */
	uint64_t smcs;               /* SMCs handled (the cost model's smcs) */
	struct sw_metrics metrics;   /* map/unmap latency and cost, reserved vs in use */
};

static inline struct sw_client *sw_client_of(struct secure_world *sw, uint16_t client)
{
	return &sw->clients[client];
}

/*
 * Whether REGISTER_SHM is offered (OPTEE_SMC_SEC_CAP_DYNAMIC_SHM): not under
 * "carveout", which shares through the static area only (CFG_CORE_DYN_SHM=n).
 */
static inline bool sw_dynamic_shm(const struct secure_world *sw)
{
	return sw->strategy_id != STRATEGY_CARVEOUT;
}

/* The strategy's decisions, as OP-TEE's mobj_* wrappers over mobj_ops. */
static inline int sw_use_begin(struct secure_world *sw, uint16_t client, struct sw_mobj *m)
{
	int rc = sw->strategy.ops->use_begin(&sw->strategy, client, m);

	if (!rc)
		sw_metrics_sample(sw);
	return rc;
}

static inline void sw_use_end(struct secure_world *sw, uint16_t client, struct sw_mobj *m)
{
	sw->strategy.ops->use_end(&sw->strategy, client, m);
	sw_metrics_sample(sw);
}

static inline int sw_shm_registered(struct secure_world *sw, uint16_t client, struct sw_shm *shm)
{
	return sw->strategy.ops->shm_registered(&sw->strategy, client, shm);
}

static inline void sw_shm_unregistered(struct secure_world *sw, uint16_t client,
				       struct sw_shm *shm)
{
	sw->strategy.ops->shm_unregistered(&sw->strategy, client, shm);
}

#endif
