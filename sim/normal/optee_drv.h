/*
 * The normal world's OP-TEE driver: a miniature of Linux's
 * drivers/tee/optee (SMC ABI) with tee-supplicant folded in.
 *
 * It probes the secure world (capabilities, static carveout, thread count),
 * owns shared-memory objects in guest RAM (allocated from the guest page
 * allocator, or wrapping a buffer already in guest RAM), registers them with
 * OPTEE_MSG_CMD_REGISTER_SHM through OP-TEE non-contiguous page lists, and
 * issues calls: an optee_msg_arg in a contiguous arg buffer of guest pages,
 * CALL_WITH_RPC_ARG when the secure world offers it (the RPC arg follows the
 * call arg) or CALL_WITH_ARG, looping over RPCs until the call returns.  RPCs
 * are served here: RPC_ALLOC/FREE, SHM_ALLOC/SHM_FREE, GET_TIME, and the
 * supplicant's LOAD_TA and FS (an in-memory object store per driver).
 *
 * Every address it sends is an IPA (the guest's physical address); a
 * hypervisor, if any, rewrites them and fills in a7, which the driver leaves 0.
 *
 * Concurrency: any number of client threads may call at once.  The driver is
 * given an array of conduits ("CPUs"); a call takes a free one for its whole
 * life, RPC round trips included (the mailbox carries one outstanding call
 * per conduit), and gives it back while it waits out an ETHREAD_LIMIT.  Calls
 * beyond the number of conduits wait for one.  The shm books and the
 * supplicant have their own locks; counters are atomics.
 *
 * Errors: functions that only touch local state return 0 or a negative TS_E*
 * code; functions that send a message return a TEE_Result and its origin
 * (TEE_ORIGIN_API for bad arguments found here, TEE_ORIGIN_COMMS for a failed
 * transport or a non-OK SMC return, otherwise what the secure world said).
 */
#ifndef TEESHM_NORMAL_OPTEE_DRV_H
#define TEESHM_NORMAL_OPTEE_DRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/common/addr.h"
#include "sim/common/smc.h"
#include "sim/common/strategy.h"
#include "sim/common/tee_result.h"
#include "sim/normal/guest_mem.h"

struct optee_drv;
struct optee_shm;

struct optee_drv_config {
	struct guest_mem *mem;              /* the guest RAM all shared memory comes from */
	const struct smc_conduit *conduits; /* one per simulated CPU; copied */
	size_t n_conduits;
	/*
	 * ETHREAD_LIMIT: retry every retry_ms (or sooner, when one of our calls
	 * ends); give up after max_ms.
	 */
	uint32_t ethread_retry_ms;          /* 0: 1 ms */
	uint32_t ethread_wait_max_ms;       /* 0: 20000 ms */
	/*
	 * Use CALL_WITH_ARG even when the secure world offers RPC_ARG, as Linux
	 * before 6.0 does: RPC args then come from RPC_ALLOC / RPC_FREE.
	 */
	bool no_rpc_arg;
	/*
	 * The shared-memory strategy (docs/strategies.md) and its parameters;
	 * NULL: "dynamic" with strategy_params_default().  Copied.
	 */
	const struct strategy_params *strategy;
	/*
	 * Where the static carveout (GET_SHM_CONFIG) is mapped in this process,
	 * or NULL.  The "carveout" strategy needs it: it hands out carveout
	 * memory itself.  The guest's main maps the region and passes it.
	 */
	void *carveout_host;
	/*
	 * Optional: told of every bounce copy (a TEMP memref into or out of its
	 * bounce buffer, registered memory outside guest RAM into or out of its
	 * shadow), for an event timeline; what names the direction.  Called on
	 * the copying thread, after the copy.
	 */
	void (*copy_event)(void *ctx, const char *what, uint64_t bytes);
	void *copy_event_ctx;
	/* Optional: why optee_drv_create refused, NUL-terminated (NULL: not wanted). */
	char *err;
	size_t err_bytes;
};

/* What probing learned. */
struct optee_drv_info {
	uint32_t sec_caps;          /* OPTEE_SMC_SEC_CAP_* as offered */
	bool rpc_arg;               /* calls use CALL_WITH_RPC_ARG */
	uint32_t rpc_param_count;   /* a3[7:0] of EXCHANGE_CAPABILITIES */
	uint32_t thread_count;      /* GET_THREAD_COUNT, 0 if not answered */
	bool have_carveout;         /* GET_SHM_CONFIG answered (asked with HAVE_RESERVED_SHM) */
	paddr_t carveout_base;      /* as the secure world reported it */
	uint64_t carveout_bytes;
	bool carveout_cached;
	enum strategy_id strategy;  /* the shared-memory strategy the driver runs */
};

/*
 * Probe the secure world (fast calls) and set the driver up.  TS_EINVAL (bad config,
 * unknown strategy id), TS_EIO (transport failed), TS_ENOSYS (a strategy whose normal
 * half is not implemented yet -- refused before any SMC --, the secure world refused
 * EXCHANGE_CAPABILITIES or offers neither dynamic nor reserved shm), TS_ENOMEM.
 * cfg->err, if given, says why in words.
 */
int optee_drv_create(const struct optee_drv_config *cfg, struct optee_drv **out);
/*
 * Tear down.  Shared memory still held is unregistered (best effort) and
 * freed, so guest pages come back even after a sloppy client.
 */
void optee_drv_destroy(struct optee_drv *drv);

const struct optee_drv_info *optee_drv_get_info(const struct optee_drv *drv);
struct guest_mem *optee_drv_mem(const struct optee_drv *drv);

/* ---- Shared memory objects ---- */

/*
 * Allocate size_bytes (> 0) of zeroed guest pages.  contiguous: one run of
 * pages with a flat host pointer (argument buffers, TEEC_AllocateSharedMemory);
 * otherwise pages wherever they are free (bounce buffers, RPC buffers), which
 * is what fragmentation can still satisfy.  TS_EINVAL, TS_ENOMEM.
 */
int optee_shm_alloc(struct optee_drv *drv, size_t size_bytes, bool contiguous,
		    struct optee_shm **out);
/*
 * An shm over [host, host + size) that already lies in guest RAM (zero copy,
 * any alignment).  The memory stays the caller's.  TS_EFAULT if it is not all
 * guest RAM, TS_EINVAL for size 0, TS_ENOMEM.
 */
int optee_shm_wrap(struct optee_drv *drv, void *host, size_t size_bytes, struct optee_shm **out);
/*
 * Register with the secure world: REGISTER_SHM, one TMEM_OUTPUT|NONCONTIG
 * param (page list IPA | offset, size, shm_ref = cookie).  The page list
 * lives in guest pages for the duration of the call only, as in Linux.
 * Already registered: TEE_ERROR_BAD_STATE.  No DYNAMIC_SHM: NOT_SUPPORTED.
 */
TEE_Result optee_shm_register(struct optee_shm *shm, uint32_t *ret_origin);
/* UNREGISTER_SHM (RMEM_INPUT shm_ref = cookie).  Not registered: TEE_ERROR_BAD_STATE. */
TEE_Result optee_shm_unregister(struct optee_shm *shm, uint32_t *ret_origin);
/* Unregister if registered (result ignored, as Linux's tee_shm_free), free the pages, forget it. */
void optee_shm_free(struct optee_shm *shm);

/* Copy into / out of the shm at offs (any page layout).  TS_ERANGE if outside it. */
int optee_shm_write(struct optee_shm *shm, size_t offs, const void *src, size_t len);
int optee_shm_read(const struct optee_shm *shm, size_t offs, void *dst, size_t len);
/* Set len bytes at offs to byte. */
int optee_shm_fill(struct optee_shm *shm, size_t offs, uint8_t byte, size_t len);
/* Flat host pointer of byte 0 when the shm is contiguous, else NULL. */
void *optee_shm_host(const struct optee_shm *shm);
uint64_t optee_shm_cookie(const struct optee_shm *shm);
size_t optee_shm_size(const struct optee_shm *shm);
bool optee_shm_is_registered(const struct optee_shm *shm);
size_t optee_shm_n_pages(const struct optee_shm *shm);
/* IPA of data page i (< n_pages); the buffer starts at offset_in_page of page 0. */
paddr_t optee_shm_page_ipa(const struct optee_shm *shm, size_t i);
size_t optee_shm_offset_in_page(const struct optee_shm *shm);

/* A page list in guest pages describing an shm (OPTEE_MSG_ATTR_NONCONTIG). */
struct optee_pagelist_buf {
	paddr_t *list_pages;
	size_t n_list_pages;
	uint64_t buf_ptr; /* IPA of the first list page | offset in the first data page */
};
/* Build the list for shm in fresh guest pages.  TS_ENOMEM, TS_E2BIG (list too long). */
int optee_shm_pagelist_build(struct optee_shm *shm, struct optee_pagelist_buf *out);
void optee_pagelist_buf_release(struct optee_drv *drv, struct optee_pagelist_buf *pl);

/* ---- Calls ---- */

/*
 * A parameter of a call, as struct tee_param in Linux.  attr is an
 * OPTEE_MSG_ATTR_TYPE_*: VALUE_* with u.value; RMEM_* with u.memref over a
 * registered shm (window [offs, offs + size) inside it); TMEM_* with
 * u.memref.shm NULL and size 0 is a NULL memref (needs MEMREF_NULL).
 * Output values and memref sizes are written back.
 */
struct optee_drv_param {
	uint32_t attr;
	union {
		struct {
			uint64_t a, b, c;
		} value;
		struct {
			struct optee_shm *shm;
			size_t offs_bytes;
			size_t size_bytes;
		} memref;
	} u;
};

#define OPTEE_DRV_MAX_PARAMS 16u

/* 16 octets of a UUID, big-endian fields, as OP-TEE's uuid_to_octets. */
void optee_uuid_to_octets(uint8_t out[16], uint32_t time_low, uint16_t time_mid,
			  uint16_t time_hi_and_version, const uint8_t clock_seq_and_node[8]);

/* OPEN_SESSION: meta params (TA UUID; client UUID and login), then params. */
TEE_Result optee_drv_open_session(struct optee_drv *drv, const uint8_t ta_uuid[16],
				  uint32_t login, const uint8_t client_uuid[16],
				  struct optee_drv_param *params, size_t n_params,
				  uint32_t *session, uint32_t *ret_origin);
TEE_Result optee_drv_invoke(struct optee_drv *drv, uint32_t session, uint32_t func,
			    uint32_t cancel_id, struct optee_drv_param *params, size_t n_params,
			    uint32_t *ret_origin);
TEE_Result optee_drv_close_session(struct optee_drv *drv, uint32_t session,
				   uint32_t *ret_origin);
TEE_Result optee_drv_cancel(struct optee_drv *drv, uint32_t session, uint32_t cancel_id,
			    uint32_t *ret_origin);

/*
 * A hand-made SMC on one CPU, answered as the secure world answers it (no
 * RPC is served): for replaying bad input.  a7 is left as given (the
 * hypervisor puts the client id under virtualization).  0 or the
 * transport's error.
 */
int optee_drv_raw_smc(struct optee_drv *drv, struct smc_regs *regs);

/* ---- Books, counters, checks ---- */

struct optee_drv_stats {
	uint64_t smc;                 /* every SMC issued, fast calls and resumes included */
	uint64_t fast_calls;
	uint64_t calls;               /* yielding calls started (one per message) */
	uint64_t rpc;                 /* RPC returns served */
	uint64_t rpc_alloc, rpc_free, rpc_foreign_intr, rpc_cmd, rpc_unknown;
	uint64_t rpc_cmd_shm_alloc, rpc_cmd_shm_free, rpc_cmd_load_ta, rpc_cmd_fs;
	uint64_t rpc_cmd_get_time, rpc_cmd_unsupported, rpc_cmd_failed;
	uint64_t ethread_limit;       /* ETHREAD_LIMIT returns */
	uint64_t ethread_giveups;     /* calls that waited too long */
	uint64_t transport_failures;
	uint64_t bad_returns;         /* calls ending with a0 other than OK */
	uint64_t registrations, unregistrations;
	/* current books */
	uint64_t shm_live;            /* shm objects, any kind */
	uint64_t shm_registered;
	uint64_t rpc_shm_live;        /* held by the secure world (RPC_ALLOC, SHM_ALLOC) */
	uint64_t pages_held;          /* guest pages the driver holds (shm, lists, args) */
	uint64_t calls_in_flight;
	uint64_t supp_objects;        /* objects in the supplicant's store */
	/* the strategy's traffic (OPTEE_DRV_STRATEGY_COUNTERS) */
	uint64_t temp_bounces;        /* TEMP memrefs carried through a bounce buffer */
	uint64_t temp_bytes_in;       /* client -> bounce bytes copied before a call */
	uint64_t temp_bytes_out;      /* bounce -> client bytes copied after a call */
	uint64_t shadow_bytes_in;     /* the same for registered memory outside guest RAM */
	uint64_t shadow_bytes_out;
	uint64_t client_registrations; /* TEEC blocks handed to the strategy (shm_register) */
	uint64_t arg_buffers;         /* message arg buffers taken (arg_get), one per message */
	uint64_t rpc_buffers;         /* buffers given to the secure world (rpc_alloc) */
	uint64_t rpc_buffer_bytes;
	uint64_t bytes_copied;        /* sum of the four *_bytes_in/out above */
};
/* The strategy counters above, for the strategy layer's atomic copy of them. */
#define OPTEE_DRV_STRATEGY_COUNTERS(XX)                                               \
	XX(temp_bounces) XX(temp_bytes_in) XX(temp_bytes_out) XX(shadow_bytes_in)     \
	XX(shadow_bytes_out) XX(client_registrations) XX(arg_buffers) XX(rpc_buffers) \
	XX(rpc_buffer_bytes)
void optee_drv_get_stats(struct optee_drv *drv, struct optee_drv_stats *out);

/*
 * Invariants: every shm sits in the right cookie bucket with a unique
 * non-zero cookie, its page count matches its size and offset, a contiguous
 * shm's pages are adjacent, every page it owns is allocated in guest RAM, and
 * the pages of all shm plus the page lists and arg buffers in flight equal
 * pages_held.  0 or TS_EINVAL.
 */
int optee_drv_check(struct optee_drv *drv);

/* ---- Trace hook (for the recorder; optional) ---- */

enum optee_trace_kind {
	OPTEE_TRACE_INIT_CONTEXT,
	OPTEE_TRACE_FINALIZE_CONTEXT,
	OPTEE_TRACE_OPEN_SESSION,
	OPTEE_TRACE_CLOSE_SESSION,
	OPTEE_TRACE_INVOKE,
	OPTEE_TRACE_REGISTER_SHM,
	OPTEE_TRACE_ALLOCATE_SHM,
	OPTEE_TRACE_RELEASE_SHM,
	OPTEE_TRACE_CANCEL,
};

/* One TEEC-level operation; fields not meaningful for a kind are 0. */
struct optee_trace_op {
	enum optee_trace_kind kind;
	const void *context;          /* the TEEC_Context, as an identity */
	const void *object;           /* the TEEC_Session / TEEC_SharedMemory */
	uint32_t session;
	uint32_t command;
	uint32_t param_types;
	size_t param_sizes[4];        /* memref sizes (or value a) as passed */
	const void *param_parents[4]; /* WHOLE / PARTIAL: the TEEC_SharedMemory */
	size_t param_offsets[4];      /* PARTIAL: the offset */
	uint32_t param_values_b[4];   /* VALUE: b */
	bool param_null[4];           /* TEMP with a NULL buffer */
	uint8_t uuid[16];
	size_t shm_size_bytes;
	uint32_t shm_flags;
	uint32_t result;              /* op_end only */
	uint32_t origin;              /* op_end only */
};

struct optee_trace_ops {
	void (*op_begin)(void *ctx, const struct optee_trace_op *op);
	void (*op_end)(void *ctx, const struct optee_trace_op *op);
};

/*
 * Install (or with NULL remove) the hook.  Set it before clients run: it is
 * read without a lock.  Callbacks may come from several threads at once.
 */
void optee_drv_set_trace(struct optee_drv *drv, const struct optee_trace_ops *ops, void *ctx);
/* Called by the TEEC layer around each operation. */
void optee_drv_trace(struct optee_drv *drv, bool end, const struct optee_trace_op *op);

#endif
