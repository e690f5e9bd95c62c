/*
 * The secure world: an OP-TEE-like trusted OS over the simulated DRAM.
 *
 * It answers OP-TEE's SMC ABI (sim/common/optee_smc.h, optee_msg.h): fast
 * calls (capabilities, shm config, thread count, VM created/destroyed) and
 * yielding calls (CALL_WITH_ARG, CALL_WITH_RPC_ARG, CALL_WITH_REGD_ARG,
 * RETURN_FROM_RPC) carrying optee_msg_arg commands (open/invoke/close
 * session, register/unregister shm, cancel).  A yielding call runs on one of
 * a fixed pool of secure threads (CFG_NUM_THREADS); when it needs the normal
 * world (an RPC: allocate or free shared memory, load a TA, a supplicant
 * command) the thread is suspended and the call returns an
 * OPTEE_SMC_RETURN_RPC_* code with the thread id in a3, to be resumed by
 * RETURN_FROM_RPC.  Memory is managed by the secure core (sim/secure/mm).
 *
 * sw_smc() may be called concurrently from several host threads (one per
 * simulated CPU / channel).  The secure world is a uniprocessor kernel with
 * one big lock: at most one secure thread (or SMC dispatch) runs at a time,
 * and a call hands the CPU to its secure thread and back strictly, so a run
 * under the in-process transport is deterministic.
 * a7 carries the caller's client id: 0 for the hypervisor (or a lone normal
 * world when virtualization is off), VM id + 1 for a guest, as under Xen.
 * The core memory manager's VM id of a client is the client id itself.
 *
 * Protocol choices the normal world must match (see docs in secure_world.c):
 *  - the arg of CALL_WITH_ARG / CALL_WITH_RPC_ARG is 8-byte aligned and lies
 *    in one 4 KiB page (or in the static carveout), with the RPC arg of
 *    CALL_WITH_RPC_ARG right after it (SW_RPC_NUM_PARAMS params);
 *  - RPC_CMD carries a1:a2 = 0:0 when the RPC arg is the inline one, else the
 *    cookie of the buffer the normal world gave for RPC_ALLOC;
 *  - memrefs of RPC args that name an RPC-allocated buffer are RMEM with
 *    shm_ref = the cookie the normal world gave in its SHM_ALLOC answer.
 */
#ifndef TEESHM_SECURE_SECURE_WORLD_H
#define TEESHM_SECURE_SECURE_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/common/dram.h"
#include "sim/common/smc.h"
#include "sim/common/lat_hist.h"
#include "sim/common/profile.h"
#include "sim/common/strategy.h"
#include "sim/secure/mm/core_mm.h"
#include "sim/secure/sw_metrics.h"

/* Params of an RPC arg (announced in a3[7:0] of EXCHANGE_CAPABILITIES). */
#define SW_RPC_NUM_PARAMS 4u
/* Most params a call's optee_msg_arg may carry. */
#define SW_MSG_MAX_PARAMS 16u
/* The simulated OS revision (GET_OS_REVISION). */
#define SW_OS_REVISION_MAJOR 0u
#define SW_OS_REVISION_MINOR 1u

struct sw_config {
	uint32_t num_threads;        /* secure threads (CFG_NUM_THREADS), default 8 */
	bool virtualization;         /* VM_CREATED/VM_DESTROYED, per-VM state; caps bit 3 */
	uint16_t max_guests;         /* client ids 1..max_guests accepted when virtualized */
	struct core_mm_config mm;    /* the memory manager's (max_vms raised to fit) */
	uint32_t xlat_tables;        /* 0: all of the xlat-pool region */
	uint32_t rpc_timeout_ms;     /* 0: wait forever; else a suspended thread whose RPC is
				      * not answered in time is reclaimed (its call is lost) */
	uint32_t max_sessions;       /* open sessions, all clients together (default 256) */
	uint32_t max_shm;            /* registered shm objects, all clients (default 4096) */
	uint32_t max_pages_per_buffer; /* pages one memref, registration or RPC buffer may span */
	/*
	 * OP-TEE and Linux put the RPC arg after the arg in the registered shm of
	 * CALL_WITH_REGD_ARG too (std_entry_with_regd_arg): on by default.  Off:
	 * REGD_ARG gets its RPC arg by RPC_ALLOC like CALL_WITH_ARG (tests).
	 */
	bool regd_arg_rpc_inline;
	/*
	 * The shared-memory strategy by name (docs/strategies.md): NULL or
	 * "dynamic" (default), "carveout", "cached", "rpc".  sw_create refuses
	 * an unknown name (TS_EINVAL) and one without a secure half yet
	 * (TS_ENOSYS).  Its parameters: NULL for strategy_params_default.
	 */
	const char *strategy;
	const struct strategy_params *strategy_params;
	/*
	 * The platform profile whose modeled clock weighs the waste samples
	 * (sw_metrics.h); NULL: one tick per sample.  Must outlive the world.
	 */
	const struct profile *profile;
	/*
	 * The event timeline (teeshm run/replay --events): one line per SMC,
	 * RPC, map, unmap and TLB maintenance, with the client and the modeled
	 * time, written here as it happens.  NULL: none.
	 */
	FILE *events;
};

void sw_config_default(struct sw_config *cfg);

struct secure_world;

/* Boot over a DRAM this process has a full view of.  err gets a message on failure. */
int sw_create(const struct sw_config *cfg, const struct dram *dram, struct secure_world **out,
	      char *err, size_t err_len);
/* Reclaim every client's state (as VM_DESTROYED), stop the threads, free. */
void sw_destroy(struct secure_world *sw);

/* Handle one SMC; an smc_handler_fn (ctx is the secure world). */
void sw_smc(void *sw, struct smc_regs *regs);

/* All invariants (core_mm_check and the secure world's own books).  0 or TS_E*. */
int sw_check(struct secure_world *sw);

/* The memory manager.  Read it only while no SMC is in flight (it is not locked). */
struct core_mm *sw_mm(struct secure_world *sw);

/*
 * A line on the event timeline (sw_config.events) from outside the secure
 * world, stamped with its current modeled time and the client: the
 * in-process replayer puts the guests' bounce copies there.  Nothing when
 * there is no timeline.
 */
void sw_timeline_note(struct secure_world *sw, uint32_t client, const char *text);

/*
 * Per-client counters: plain fields from an X-macro list, exported to JSON by
 * the launcher.  smc_* count SMC-level failures by return code, tee_* count
 * calls whose optee_msg_arg.ret was that error.
 */
#define SW_STATS_VERSION 4
#define SW_STATS_FIELDS(X)                                                          \
	X(fast_calls)                                                               \
	X(yielding_calls)      /* CALL_WITH_ARG / _RPC_ARG / _REGD_ARG started */   \
	X(resumes)             /* RETURN_FROM_RPC accepted */                       \
	X(calls_done)          /* calls that returned OPTEE_SMC_RETURN_OK */        \
	X(rpcs)                /* RPC returns to the normal world */                \
	X(rpc_allocs)                                                               \
	X(rpc_frees)                                                                \
	X(rpc_cmds)                                                                 \
	X(opens)                                                                    \
	X(invokes)                                                                  \
	X(closes)                                                                   \
	X(cancels)                                                                  \
	X(registers)           /* REGISTER_SHM that succeeded */                    \
	X(unregisters)         /* UNREGISTER_SHM that succeeded */                  \
	X(deferred_unregisters) /* ... of which the unmap waited for a user */      \
	X(memrefs_mapped)      /* core_mm mappings made for memrefs, args, RPC */   \
	X(pages_mapped)                                                             \
	X(pagelist_pages_read) /* list pages read through a temporary mapping */    \
	X(smc_ethread_limit)                                                        \
	X(smc_eresume)                                                              \
	X(smc_ebadaddr)                                                             \
	X(smc_ebadcmd)                                                              \
	X(smc_enomem)                                                               \
	X(smc_enotavail)                                                            \
	X(smc_unknown_function)                                                     \
	X(tee_bad_parameters)                                                       \
	X(tee_item_not_found)                                                       \
	X(tee_out_of_memory)                                                        \
	X(tee_not_implemented)                                                      \
	X(tee_busy)                                                                 \
	X(tee_short_buffer)                                                         \
	X(tee_target_dead)                                                          \
	X(tee_communication)                                                        \
	X(tee_other)                                                                \
	X(threads_abandoned)   /* suspended calls dropped by VM_DESTROYED/teardown */ \
	X(rpc_timeouts)        /* suspended calls reclaimed after rpc_timeout_ms */ \
	X(vm_reclaimed_mappings) /* mappings core_mm_vm_destroyed still found */ \
	/* The strategy's (use_begin / use_end of described buffers): */           \
	X(maps_on_use)         /* a use found nothing mapped and mapped it */       \
	X(map_reuses)          /* a use found the mapping there (overlapping use) */ \
	X(unmaps_on_last_user) /* the last use ended and unmapped */                \
	/* The "rpc" strategy's pool of secure-world buffers: */                  \
	X(pool_chunks_allocated) /* chunks asked for by SHM_ALLOC, mapped, kept */ \
	X(pool_chunks_freed)   /* chunks given back (SHM_FREE, or the VM gone) */  \
	X(pool_pages_peak)     /* most pages the pool held at once */              \
	X(pool_hits)           /* buffers served from the pool without an RPC */    \
	X(pool_misses)         /* buffers that needed a new chunk first */         \
	/* The "cached" strategy's idle mappings of registered shm: */              \
	X(cache_hits)          /* a use found its idle mapping kept */              \
	X(cache_evictions)     /* idle mappings unmapped to stay in the budget */   \
	X(cache_pressure_evictions) /* ... unmapped because VA/tables ran out */

struct sw_stats {
#define SW_STATS_DECLARE(name) uint64_t name;
	SW_STATS_FIELDS(SW_STATS_DECLARE)
#undef SW_STATS_DECLARE
};

/* Counters of one client (TS_EINVAL for an id beyond max_guests). */
int sw_client_stats(struct secure_world *sw, uint16_t client, struct sw_stats *out);
/* Sum over all clients. */
void sw_stats_total(struct secure_world *sw, struct sw_stats *out);

/*
 * The run's measurements (teeshm.result/1): map and unmap host latency,
 * pages and modeled cycles, memory reserved vs in use with waste peak and
 * time-weighted mean, and what is left that should not be.  Read it only
 * while no SMC is in flight; it closes the waste timeline at this moment.
 */
struct sw_op_report {
	uint64_t count, pages;
	struct lat_hist host_ns;
	uint64_t modeled_cycles;     /* 0 without a profile */
};
struct sw_report {
	struct sw_op_report map, unmap;
	uint64_t reserved_peak_bytes, in_use_peak_bytes;
	uint64_t waste_peak_bytes, waste_mean_bytes;
	uint64_t usage_samples, usage_bad_samples;
	uint64_t modeled_time;       /* the waste timeline's length (cycles, or ticks) */
	const struct sw_series_point *series; /* reserved/in use over time (sw_metrics.h) */
	uint32_t n_series;
	/* Leaks: all 0 once every client is gone or has cleaned up. */
	uint64_t leaked_mappings;    /* core_mm mappings of any VM */
	uint64_t leaked_va_bytes;    /* SHM VA still allocated (lazy-pending VA excluded) */
	uint64_t leaked_pinned_pages; /* pages of registered shm objects still held */
};
void sw_report(struct secure_world *sw, struct sw_report *out);
/* SMCs handled so far (read while none is in flight). */
uint64_t sw_smcs(const struct secure_world *sw);

/* What a client holds right now. */
struct sw_client_info {
	bool alive;
	uint32_t threads_running;
	uint32_t threads_suspended;
	uint32_t sessions;
	uint32_t shm_registered;
	uint32_t shm_deferred;       /* unregistered, unmap waiting for the last user */
	uint64_t mappings;           /* core_mm mappings held for this client */
};
int sw_client_info(struct secure_world *sw, uint16_t client, struct sw_client_info *out);

#endif
