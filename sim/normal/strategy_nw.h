/*
 * The normal-world half of a shared-memory strategy (docs/strategies.md):
 * every decision of the OP-TEE driver and the TEEC layer about *how* memory
 * crosses to the secure world goes through one ops struct, one instance per
 * driver.  The ABI code paths (message layout, page lists, RPC decoding)
 * stay in optee_drv.c / optee_rpc.c / optee_shm.c; a strategy only chooses
 * buffers and whether to bounce, register or reuse.
 *
 * Halves live in strategies/<name>/nw.c and are found by enum strategy_id
 * (strategy_nw.c).  Calls into the ops may come from any number of client
 * threads at once; a strategy with state locks it itself.
 *
 * The inline wrappers below are what callers use, as OP-TEE's mobj_* over
 * struct mobj_ops.
 */
#ifndef TEESHM_NORMAL_STRATEGY_NW_H
#define TEESHM_NORMAL_STRATEGY_NW_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sim/common/strategy.h"
#include "sim/common/tee_result.h"
#include "sim/normal/optee_drv.h"

struct nw_strategy;

/* Directions of a TEMP memref (bits). */
#define NW_TEMP_IN 1u
#define NW_TEMP_OUT 2u

/* The memref attr of a TEMP's direction: base is the _INPUT attr; _OUTPUT = +1, _INOUT = +2. */
static inline uint32_t nw_temp_attr(uint32_t base, uint32_t dir)
{
	bool in = dir & NW_TEMP_IN, out = dir & NW_TEMP_OUT;

	return in && out ? base + 2 : out ? base + 1 : base;
}

/* One TEMP memref in flight: from temp_begin to temp_end. */
struct nw_temp {
	void *buf;                /* the client's buffer */
	size_t size_bytes;
	uint32_t dir;             /* NW_TEMP_IN | NW_TEMP_OUT */
	struct optee_shm *shm;    /* what the param names; the strategy's until temp_end */
	void *priv;               /* the strategy's own note, until temp_end */
	uint32_t origin;          /* temp_begin failed: TEE_ORIGIN_API or the driver's */
};

/* A temp_begin starts here: nothing held yet, a failure blamed on the API until said otherwise. */
static inline void nw_temp_init(struct nw_temp *t, void *buf, size_t size, uint32_t dir)
{
	memset(t, 0, sizeof(*t));
	t->buf = buf;
	t->size_bytes = size;
	t->dir = dir;
	t->origin = TEE_ORIGIN_API;
}

/* The argument buffer of one message, and how the call is issued. */
struct nw_arg {
	struct optee_shm *shm;    /* holds the buffer (the strategy's until arg_put) */
	uint8_t *host;            /* the call's optee_msg_arg, flat, zeroed */
	uint32_t smc_func;        /* OPTEE_SMC_CALL_WITH_ARG / _RPC_ARG / _REGD_ARG */
	uint64_t smc_ref;         /* a1:a2: IPA of the arg, or an shm cookie (REGD_ARG) */
	uint64_t smc_offs;        /* a3: offset of the arg in that shm (REGD_ARG), else 0 */
	uint8_t *rpc_arg;         /* RPC arg after the call arg (CALL_WITH_RPC_ARG), else NULL */
	uint32_t rpc_arg_max_params;
};

/*
 * For arg_get implementations: the bytes an arg buffer needs (the call's
 * arg, plus the RPC arg after it when the secure world offers RPC_ARG), and
 * filling *a once the buffer at host (IPA ipa) is theirs.
 */
struct optee_drv;
size_t nw_arg_bytes(const struct optee_drv *drv, size_t call_bytes);
void nw_arg_setup(const struct optee_drv *drv, struct nw_arg *a, uint8_t *host, paddr_t ipa,
		  size_t call_bytes);

struct nw_strategy_ops {
	const char *name;
	/* Set up after the driver probed the secure world (info is known).  0 or TS_E*. */
	int (*init)(struct nw_strategy *s, struct optee_drv *drv, const struct strategy_params *p);
	/* Give back everything the strategy holds; the transport may be dead by now. */
	void (*fini)(struct nw_strategy *s);
	/*
	 * A TEMP memref of one call: set t->shm and *out to an RMEM/TMEM param
	 * ready to send, copying the client's bytes in when dir has NW_TEMP_IN.
	 * On failure nothing is held and t->origin says where it came from.
	 */
	TEE_Result (*temp_begin)(struct nw_strategy *s, void *buf, size_t size, uint32_t dir,
				 struct optee_drv_param *out, struct nw_temp *t);
	/* The call is over: copy out_size bytes back if copy_out, release t->shm. */
	void (*temp_end)(struct nw_strategy *s, struct nw_temp *t, bool copy_out, size_t out_size);
	/*
	 * A client block (TEEC_Register/AllocateSharedMemory) becomes usable as
	 * RMEM.  On failure the caller still owns shm; on success the strategy
	 * does, until shm_release (after which the caller must not touch it).
	 */
	TEE_Result (*shm_register)(struct nw_strategy *s, struct optee_shm *shm);
	void (*shm_release)(struct nw_strategy *s, struct optee_shm *shm);
	/*
	 * The arg buffer of one message of call_bytes (OPTEE_MSG_GET_ARG_SIZE);
	 * room for the RPC arg too when the strategy issues CALL_WITH_RPC_ARG.
	 * 0 or TS_ENOMEM.
	 */
	int (*arg_get)(struct nw_strategy *s, size_t call_bytes, struct nw_arg *a);
	void (*arg_put)(struct nw_strategy *s, struct nw_arg *a);
	/*
	 * A buffer the secure world asked for.  contiguous: an RPC arg answering
	 * RPC_FUNC_ALLOC (one IPA range, OPTEE_SHM_KIND_RPC_ARG, freed by
	 * RPC_FUNC_FREE); otherwise an RPC_CMD_SHM_ALLOC buffer
	 * (OPTEE_SHM_KIND_RPC_BUF, freed by SHM_FREE).  0 or TS_E*.
	 */
	int (*rpc_alloc)(struct nw_strategy *s, size_t bytes, bool contiguous,
			 struct optee_shm **out);
	void (*rpc_free)(struct nw_strategy *s, struct optee_shm *shm);
};

/* Counters: relaxed atomics, copied into struct optee_drv_stats. */
struct nw_strategy_counters {
#define NW_STRATEGY_COUNTER_FIELD(name) _Atomic uint64_t name;
	OPTEE_DRV_STRATEGY_COUNTERS(NW_STRATEGY_COUNTER_FIELD)
#undef NW_STRATEGY_COUNTER_FIELD
};

#define NW_ADD(s, name, n) \
	atomic_fetch_add_explicit(&(s)->cnt.name, (uint64_t)(n), memory_order_relaxed)
#define NW_COUNT(s, name) NW_ADD(s, name, 1)

/* A bounce copy of bytes was made: tell the driver's copy_event hook (optee_drv_config). */
void optee_drv_copied(struct optee_drv *drv, const char *what, uint64_t bytes);

/* Count a copy in the named counter and report it, what saying which way it went. */
#define NW_COPY(s, name, what, n)                                 \
	do {                                                      \
		NW_ADD(s, name, n);                               \
		optee_drv_copied((s)->drv, what, (uint64_t)(n));  \
	} while (0)

struct nw_strategy {
	const struct nw_strategy_ops *ops;   /* NULL until init succeeded; dynamic's after fini */
	struct optee_drv *drv;
	struct strategy_params params;
	void *priv;                          /* the strategy's own state */
	const char *refusal;                 /* init failed: why, in words (static), or NULL */
	struct nw_strategy_counters cnt;
};

/* The normal half of a strategy, or NULL if id is unknown or not implemented yet. */
const struct nw_strategy_ops *nw_strategy_lookup(enum strategy_id id);
/*
 * Whether id can run here: 0, TS_EINVAL (unknown id) or TS_ENOSYS (not
 * implemented yet); a reason in err (if given) otherwise.
 */
int nw_strategy_available(enum strategy_id id, char *err, size_t err_bytes);
/* Look up p->id and run its init.  0, TS_EINVAL, TS_ENOSYS or what init returned. */
int nw_strategy_init(struct nw_strategy *s, struct optee_drv *drv,
		     const struct strategy_params *p, char *err, size_t err_bytes);
/*
 * The strategy's fini (if init succeeded); afterwards s runs the stateless
 * "dynamic" ops, so messages the driver still sends while tearing down get an
 * arg buffer.  Idempotent.
 */
void nw_strategy_fini(struct nw_strategy *s);

/* The driver's strategy (for the TEEC layer). */
struct nw_strategy *optee_drv_strategy(struct optee_drv *drv);

static inline TEE_Result nw_temp_begin(struct nw_strategy *s, void *buf, size_t size,
				       uint32_t dir, struct optee_drv_param *out,
				       struct nw_temp *t)
{
	return s->ops->temp_begin(s, buf, size, dir, out, t);
}

static inline void nw_temp_end(struct nw_strategy *s, struct nw_temp *t, bool copy_out,
			       size_t out_size)
{
	s->ops->temp_end(s, t, copy_out, out_size);
}

static inline TEE_Result nw_shm_register(struct nw_strategy *s, struct optee_shm *shm)
{
	TEE_Result res = s->ops->shm_register(s, shm);

	if (res == TEE_SUCCESS)
		NW_COUNT(s, client_registrations);
	return res;
}

static inline void nw_shm_release(struct nw_strategy *s, struct optee_shm *shm)
{
	s->ops->shm_release(s, shm);
}

static inline int nw_arg_get(struct nw_strategy *s, size_t call_bytes, struct nw_arg *a)
{
	int rc = s->ops->arg_get(s, call_bytes, a);

	if (!rc)
		NW_COUNT(s, arg_buffers);
	return rc;
}

static inline void nw_arg_put(struct nw_strategy *s, struct nw_arg *a)
{
	s->ops->arg_put(s, a);
}

static inline int nw_rpc_alloc(struct nw_strategy *s, size_t bytes, bool contiguous,
			       struct optee_shm **out)
{
	int rc = s->ops->rpc_alloc(s, bytes, contiguous, out);

	if (!rc) {
		NW_COUNT(s, rpc_buffers);
		NW_ADD(s, rpc_buffer_bytes, bytes);
	}
	return rc;
}

static inline void nw_rpc_free(struct nw_strategy *s, struct optee_shm *shm)
{
	s->ops->rpc_free(s, shm);
}

#endif
