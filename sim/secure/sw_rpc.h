/*
 * RPC from the secure world to the normal world, OP-TEE style
 * (core/arch/arm/kernel/thread_optee_smc.c).
 *
 * A call that needs the normal world writes an optee_msg_arg with an
 * OPTEE_RPC_CMD_* into its RPC arg and suspends its thread with
 * OPTEE_SMC_RETURN_RPC_CMD.  The RPC arg is the one that follows the call's
 * own arg (CALL_WITH_RPC_ARG; RPC_CMD a1:a2 = 0:0), or one the normal world
 * provides on the first need through OPTEE_SMC_RETURN_RPC_ALLOC (answer
 * a1:a2 = PA, a4:a5 = cookie; RPC_CMD a1:a2 = that cookie), freed by
 * OPTEE_SMC_RETURN_RPC_FREE before the call returns.  The answer is read back
 * once into secure memory.
 *
 * Buffers for the secure world itself come from the strategy (buffer_get),
 * which asks the normal world with OPTEE_RPC_CMD_SHM_ALLOC when it needs
 * memory: the answer (a TMEM_OUTPUT param, NONCONTIG allowed, shm_ref =
 * cookie) is checked to be non-secure memory of this client and described
 * (sw_rpc_nw_buffer_alloc); in later RPC args such a buffer travels as RMEM
 * with shm_ref = its cookie.
 *
 * When the client is gone (VM_DESTROYED, teardown) or its RPC timed out, the
 * call is dead: every RPC fails at once with TEE_ERROR_TARGET_DEAD and nothing
 * is sent to the normal world any more.
 */
#ifndef TEESHM_SECURE_SW_RPC_H
#define TEESHM_SECURE_SW_RPC_H

#include <stdint.h>

#include "sim/common/addr.h"
#include "sim/common/tee_result.h"
#include "sim/secure/sw_shm.h"

struct sw_call;

/* A buffer the normal world lent to the secure world (RPC SHM_ALLOC). */
struct sw_rpc_shm {
	uint64_t cookie;
	vaddr_t va;              /* first byte, through the secure MMU (set by the strategy) */
	uint64_t size_bytes;     /* as requested */
	uint64_t nw_offs_bytes;  /* where it starts in the normal world's buffer `cookie` (a pool
				  * slice), else 0 */
	uint32_t shm_type;       /* OPTEE_RPC_SHM_TYPE_* */
	struct sw_mobj mobj;
	struct sw_rpc_shm *next; /* the call's list of live buffers */
};

enum sw_rpc_param_type {
	SW_RPC_PARAM_NONE,
	SW_RPC_PARAM_VALUE_IN,
	SW_RPC_PARAM_VALUE_OUT,
	SW_RPC_PARAM_VALUE_INOUT,
	SW_RPC_PARAM_MEMREF_IN,
	SW_RPC_PARAM_MEMREF_OUT,
	SW_RPC_PARAM_MEMREF_INOUT,
};

struct sw_rpc_param {
	enum sw_rpc_param_type type;
	union {
		struct {
			uint64_t a, b, c;
		} value;
		struct {
			struct sw_rpc_shm *shm;  /* NULL: a NULL memref (TMEM, buf_ptr 0) */
			uint64_t offs;
			uint64_t size;           /* out/inout: the size the normal world reports */
		} memref;
	} u;
};

/*
 * A buffer of size bytes of type OPTEE_RPC_SHM_TYPE_* for this call, from
 * the strategy (buffer_get); (*out)->va reaches it.
 */
TEE_Result sw_rpc_shm_alloc(struct sw_call *call, uint32_t shm_type, uint64_t size_bytes,
			    struct sw_rpc_shm **out);
/* Give it back to the strategy (buffer_put).  NULL is a no-op. */
void sw_rpc_shm_free(struct sw_call *call, struct sw_rpc_shm *shm);

/*
 * For strategies: one SHM_ALLOC round trip.  *out is allocated, its mobj
 * described (checked, list copied), not mapped, va 0.  TS_EIO (RPC failed,
 * or the call is dead), TS_EINVAL (a malformed answer), or the description's
 * errors; after a usable cookie every failure has sent SHM_FREE.
 */
int sw_rpc_nw_buffer_alloc(struct sw_call *call, uint32_t shm_type, uint64_t size_bytes,
			   struct sw_rpc_shm **out);
/* For strategies: unmap if mapped, SHM_FREE, free. */
void sw_rpc_nw_buffer_free(struct sw_call *call, struct sw_rpc_shm *shm);
/*
 * Send OPTEE_RPC_CMD_cmd with up to SW_RPC_NUM_PARAMS params; output values
 * and memref sizes are updated.  Returns the normal world's arg.ret, or
 * TEE_ERROR_TARGET_DEAD / OUT_OF_MEMORY / BAD_PARAMETERS / COMMUNICATION.
 */
TEE_Result sw_rpc_cmd(struct sw_call *call, uint32_t cmd, uint32_t num_params,
		      struct sw_rpc_param *params);

/* End of a call: free the buffers the TA left, then the RPC arg (RPC_FREE). */
void sw_rpc_call_end(struct sw_call *call);

#endif
