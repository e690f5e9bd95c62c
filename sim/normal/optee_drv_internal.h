/*
 * Private parts of the normal-world OP-TEE driver, shared by its files:
 * optee_drv.c (probe, calls, SMC loop), optee_shm.c (shm objects, cookies,
 * page lists), optee_rpc.c (RPC service) and optee_supp.c (supplicant), and
 * by the normal halves of the strategies (strategies/<name>/nw.c).
 */
#ifndef TEESHM_NORMAL_OPTEE_DRV_INTERNAL_H
#define TEESHM_NORMAL_OPTEE_DRV_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "sim/common/optee_msg.h"
#include "sim/normal/optee_drv.h"
#include "sim/normal/strategy_nw.h"

struct optee_supp;

enum optee_shm_kind {
	OPTEE_SHM_KIND_CLIENT,   /* allocated for a client (TEEC, bounce buffers) */
	OPTEE_SHM_KIND_WRAP,     /* wraps client memory already in guest RAM */
	OPTEE_SHM_KIND_ARG,      /* a call's optee_msg_arg buffer */
	OPTEE_SHM_KIND_RPC_ARG,  /* OPTEE_SMC_RPC_FUNC_ALLOC, freed by RPC_FUNC_FREE */
	OPTEE_SHM_KIND_RPC_BUF,  /* OPTEE_RPC_CMD_SHM_ALLOC, freed by SHM_FREE */
};

struct optee_shm {
	struct optee_drv *drv;
	struct optee_shm *hash_next;
	uint64_t cookie;             /* shm_ref the secure world knows it by; never 0 */
	enum optee_shm_kind kind;
	size_t size_bytes;
	size_t offset_bytes;         /* of byte 0 within the first page */
	size_t n_pages;
	paddr_t *pages;              /* IPA of each data page */
	uint8_t *host;               /* flat pointer to byte 0 if contiguous, else NULL */
	bool owns_pages;             /* pages came from the guest allocator */
	bool static_pa;              /* lies in the static carveout: sent by address (TMEM) */
	bool registered;
	bool dead;                   /* freed while an RPC still held a reference */
	uint32_t refs;               /* lookups in progress (under drv->lock) */
};

/* Counters: relaxed atomics, so hot paths take no lock to count. */
struct optee_drv_counters {
#define OPTEE_DRV_COUNTERS(XX)                                                      \
	XX(smc) XX(fast_calls) XX(calls) XX(rpc) XX(rpc_alloc) XX(rpc_free)         \
	XX(rpc_foreign_intr) XX(rpc_cmd) XX(rpc_unknown) XX(rpc_cmd_shm_alloc)      \
	XX(rpc_cmd_shm_free) XX(rpc_cmd_load_ta) XX(rpc_cmd_fs) XX(rpc_cmd_get_time) \
	XX(rpc_cmd_unsupported) XX(rpc_cmd_failed) XX(ethread_limit)                 \
	XX(ethread_giveups) XX(transport_failures) XX(bad_returns) XX(registrations) \
	XX(unregistrations) XX(calls_in_flight)
#define OPTEE_DRV_COUNTER_FIELD(name) _Atomic uint64_t name;
	OPTEE_DRV_COUNTERS(OPTEE_DRV_COUNTER_FIELD)
#undef OPTEE_DRV_COUNTER_FIELD
};

#define DRV_COUNT(drv, name) atomic_fetch_add_explicit(&(drv)->cnt.name, 1, memory_order_relaxed)
#define DRV_UNCOUNT(drv, name) atomic_fetch_sub_explicit(&(drv)->cnt.name, 1, memory_order_relaxed)

struct optee_drv {
	struct guest_mem *mem;
	struct optee_drv_info info;
	uint32_t ethread_retry_ms;
	uint32_t ethread_wait_max_ms;
	bool no_rpc_arg;
	uint8_t *carveout_host;      /* the carveout mapped here (optee_drv_config), or NULL */
	void (*copy_event)(void *ctx, const char *what, uint64_t bytes); /* optee_drv_config */
	void *copy_event_ctx;

	/* CPUs: a call holds one conduit from its first SMC to its last. */
	struct smc_conduit *conduits;
	bool *conduit_busy;
	size_t n_conduits;
	pthread_mutex_t cpu_lock;
	pthread_cond_t cpu_free;

	/* The books: shm by cookie, pages held. */
	pthread_mutex_t lock;
	struct optee_shm **buckets;
	size_t n_buckets;            /* power of two */
	size_t n_shm;
	size_t n_registered;
	size_t n_rpc_shm;
	uint64_t next_cookie;
	size_t shm_pages_held;       /* pages owned by shm objects */
	size_t list_pages_held;      /* page-list pages in flight */

	/* Call completions wake callers waiting out ETHREAD_LIMIT. */
	pthread_mutex_t done_lock;
	pthread_cond_t done_cond;
	uint64_t calls_completed;

	struct optee_supp *supp;

	/* How shared memory crosses (docs/strategies.md); ops NULL until probed. */
	struct nw_strategy strategy;

	const struct optee_trace_ops *trace;
	void *trace_ctx;

	struct optee_drv_counters cnt;
};

/* optee_shm.c */
int optee_shm_table_init(struct optee_drv *drv);
void optee_shm_table_fini(struct optee_drv *drv);
/* Allocate with a kind (the public alloc uses KIND_CLIENT). */
int optee_shm_alloc_kind(struct optee_drv *drv, size_t size_bytes, bool contiguous,
			 enum optee_shm_kind kind, struct optee_shm **out);
/*
 * An shm over [pa, pa + size) of the static carveout, reached through drv->carveout_host (the
 * carveout strategy's blocks): page aligned, never registered, owns no guest
 * pages.  TS_EINVAL if the range is not in the carveout, TS_ENOMEM.
 */
int optee_shm_new_static(struct optee_drv *drv, enum optee_shm_kind kind, paddr_t pa,
			 size_t size_bytes, struct optee_shm **out);
/*
 * Move an unregistered shm (a TEEC block) onto [pa, pa + its size) of the
 * carveout: its guest pages (if it owns any) go back, its contents do not
 * follow; a WRAP becomes a CLIENT block.  0, TS_EINVAL, TS_ENOMEM.
 */
int optee_shm_move_static(struct optee_shm *shm, paddr_t pa);
/* Find by cookie and take a reference, or NULL.  Release with optee_shm_put. */
struct optee_shm *optee_shm_get(struct optee_drv *drv, uint64_t cookie);
void optee_shm_put(struct optee_shm *shm);
/* Free without unregistering (the secure world gave it back, or tear-down). */
void optee_shm_free_local(struct optee_shm *shm);
/* Free every shm left (tear-down). */
void optee_shm_free_all(struct optee_drv *drv);
/* optee_rpc.c: free the buffer the secure world knows by cookie if it is of kind; false if not. */
bool optee_rpc_shm_free(struct optee_drv *drv, uint64_t cookie, enum optee_shm_kind kind);

/* optee_drv.c: one message, start to end.  params is the host copy, in/out. */
struct optee_drv_msg {
	uint32_t cmd;
	uint32_t func;
	uint32_t session;
	uint32_t cancel_id;
	uint32_t n_params;
	struct optee_msg_param params[OPTEE_DRV_MAX_PARAMS + 2];
	/* results */
	uint32_t ret;
	uint32_t ret_origin;
};
TEE_Result optee_drv_do_msg(struct optee_drv *drv, struct optee_drv_msg *msg,
			    uint32_t *ret_origin);

/* optee_rpc.c: state an RPC needs across one call. */
struct optee_rpc_ctx {
	uint8_t *rpc_arg;            /* RPC arg after the call arg (RPC_ARG cap), else NULL */
	uint32_t rpc_arg_max_params;
	struct optee_pagelist_buf pending_list; /* last SHM_ALLOC's list, kept until the next one */
};
/* Serve the RPC in regs (a0 an RPC code) and turn regs into the RETURN_FROM_RPC. */
void optee_rpc_handle(struct optee_drv *drv, struct optee_rpc_ctx *rc, struct smc_regs *regs);
/* The call ended: release what the RPCs of this call still hold (page lists). */
void optee_rpc_finish(struct optee_drv *drv, struct optee_rpc_ctx *rc);

#endif
