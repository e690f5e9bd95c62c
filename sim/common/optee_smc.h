/*
 * OP-TEE SMC interface: function IDs, return codes and capability bits.
 *
 * Every value equals OP-TEE's (optee_os core/arch/arm/include/sm/optee_smc.h,
 * Linux drivers/tee/optee/optee_smc.h).  The simulator's SMC channel carries
 * registers a0..a7 exactly as the SMC Calling Convention does; comments give
 * the register use of each call where it matters to teeshm.  Freestanding.
 */
#ifndef TEESHM_COMMON_OPTEE_SMC_H
#define TEESHM_COMMON_OPTEE_SMC_H

#include <stdbool.h>
#include <stdint.h>

/*
 * SMCCC function ID: bit 31 fast call, bit 30 SMC64, bits 29:24 owner,
 * bits 15:0 function number.  OP-TEE uses SMC32 calls owned by the
 * Trusted OS (owner 50), so yielding ("std") calls are 0x32000000 | func
 * and fast calls are 0xB2000000 | func.
 */
#define OPTEE_SMC_FAST_CALL_BIT 0x80000000u
#define OPTEE_SMC_64_BIT 0x40000000u
#define OPTEE_SMC_OWNER_SHIFT 24
#define OPTEE_SMC_OWNER_MASK 0x3fu
#define OPTEE_SMC_FUNC_MASK 0xffffu
#define OPTEE_SMC_OWNER_TRUSTED_OS 50u
#define OPTEE_SMC_OWNER_TRUSTED_OS_END 63u

#define OPTEE_SMC_CALL_VAL(fast, owner, func)                                  \
	(((fast) ? OPTEE_SMC_FAST_CALL_BIT : 0u) |                             \
	 (((uint32_t)(owner) & OPTEE_SMC_OWNER_MASK) << OPTEE_SMC_OWNER_SHIFT) | \
	 ((uint32_t)(func) & OPTEE_SMC_FUNC_MASK))
#define OPTEE_SMC_STD_CALL_VAL(func) OPTEE_SMC_CALL_VAL(0, OPTEE_SMC_OWNER_TRUSTED_OS, func)
#define OPTEE_SMC_FAST_CALL_VAL(func) OPTEE_SMC_CALL_VAL(1, OPTEE_SMC_OWNER_TRUSTED_OS, func)

/* Function numbers (bits 15:0). */
#define OPTEE_SMC_FUNCID_GET_OS_UUID 0
#define OPTEE_SMC_FUNCID_GET_OS_REVISION 1
#define OPTEE_SMC_FUNCID_RETURN_FROM_RPC 3
#define OPTEE_SMC_FUNCID_CALL_WITH_ARG 4
#define OPTEE_SMC_FUNCID_GET_SHM_CONFIG 7
#define OPTEE_SMC_FUNCID_EXCHANGE_CAPABILITIES 9
#define OPTEE_SMC_FUNCID_DISABLE_SHM_CACHE 10
#define OPTEE_SMC_FUNCID_ENABLE_SHM_CACHE 11
#define OPTEE_SMC_FUNCID_VM_CREATED 13
#define OPTEE_SMC_FUNCID_VM_DESTROYED 14
#define OPTEE_SMC_FUNCID_GET_THREAD_COUNT 15
#define OPTEE_SMC_FUNCID_CALL_WITH_RPC_ARG 18
#define OPTEE_SMC_FUNCID_CALL_WITH_REGD_ARG 19
#define OPTEE_SMC_FUNCID_CALLS_UID 0xff01
#define OPTEE_SMC_FUNCID_CALLS_REVISION 0xff03

/*
 * Yielding calls.  CALL_WITH_ARG: a1:a2 = PA (high:low) of a struct
 * optee_msg_arg, a3 = cache settings.  CALL_WITH_RPC_ARG: as CALL_WITH_ARG,
 * and a second optee_msg_arg for RPC follows the first in the same buffer.
 * CALL_WITH_REGD_ARG: a1:a2 = cookie of registered shm, a3 = offset of the
 * optee_msg_arg inside it.  RETURN_FROM_RPC: a1..a3 as returned with the RPC,
 * a3..a7 resume information.  a7 = hypervisor client ID on every call.
 */
#define OPTEE_SMC_CALL_WITH_ARG OPTEE_SMC_STD_CALL_VAL(OPTEE_SMC_FUNCID_CALL_WITH_ARG)
#define OPTEE_SMC_CALL_WITH_RPC_ARG OPTEE_SMC_STD_CALL_VAL(OPTEE_SMC_FUNCID_CALL_WITH_RPC_ARG)
#define OPTEE_SMC_CALL_WITH_REGD_ARG OPTEE_SMC_STD_CALL_VAL(OPTEE_SMC_FUNCID_CALL_WITH_REGD_ARG)
#define OPTEE_SMC_CALL_RETURN_FROM_RPC OPTEE_SMC_STD_CALL_VAL(OPTEE_SMC_FUNCID_RETURN_FROM_RPC)

/* Fast calls. */
#define OPTEE_SMC_CALL_GET_OS_UUID OPTEE_SMC_FAST_CALL_VAL(OPTEE_SMC_FUNCID_GET_OS_UUID)
#define OPTEE_SMC_CALL_GET_OS_REVISION OPTEE_SMC_FAST_CALL_VAL(OPTEE_SMC_FUNCID_GET_OS_REVISION)
/* Returns a1 = carveout PA, a2 = size, a3 = OPTEE_SMC_SHM_CACHED; or ENOTAVAIL. */
#define OPTEE_SMC_GET_SHM_CONFIG OPTEE_SMC_FAST_CALL_VAL(OPTEE_SMC_FUNCID_GET_SHM_CONFIG)
/* a1 = normal-world caps in; returns a1 = OPTEE_SMC_SEC_CAP_*, a3[7:0] = RPC param count. */
#define OPTEE_SMC_EXCHANGE_CAPABILITIES OPTEE_SMC_FAST_CALL_VAL(OPTEE_SMC_FUNCID_EXCHANGE_CAPABILITIES)
/* Returns a1:a2 = one cached cookie to free, ENOTAVAIL when empty, EBUSY when not idle. */
#define OPTEE_SMC_DISABLE_SHM_CACHE OPTEE_SMC_FAST_CALL_VAL(OPTEE_SMC_FUNCID_DISABLE_SHM_CACHE)
#define OPTEE_SMC_ENABLE_SHM_CACHE OPTEE_SMC_FAST_CALL_VAL(OPTEE_SMC_FUNCID_ENABLE_SHM_CACHE)
/* Hypervisor only (a7 = 0): a1 = client ID of the guest. */
#define OPTEE_SMC_VM_CREATED OPTEE_SMC_FAST_CALL_VAL(OPTEE_SMC_FUNCID_VM_CREATED)
#define OPTEE_SMC_VM_DESTROYED OPTEE_SMC_FAST_CALL_VAL(OPTEE_SMC_FUNCID_VM_DESTROYED)
/* Returns a1 = number of secure threads (CFG_NUM_THREADS). */
#define OPTEE_SMC_GET_THREAD_COUNT OPTEE_SMC_FAST_CALL_VAL(OPTEE_SMC_FUNCID_GET_THREAD_COUNT)
#define OPTEE_SMC_CALLS_UID OPTEE_SMC_CALL_VAL(1, OPTEE_SMC_OWNER_TRUSTED_OS_END, OPTEE_SMC_FUNCID_CALLS_UID)
#define OPTEE_SMC_CALLS_REVISION \
	OPTEE_SMC_CALL_VAL(1, OPTEE_SMC_OWNER_TRUSTED_OS_END, OPTEE_SMC_FUNCID_CALLS_REVISION)

/* API UID 384fb3e0-e7f8-11e3-af63-0002a5d5c51b and revision 2.0. */
#define OPTEE_MSG_UID_0 0x384fb3e0u
#define OPTEE_MSG_UID_1 0xe7f811e3u
#define OPTEE_MSG_UID_2 0xaf630002u
#define OPTEE_MSG_UID_3 0xa5d5c51bu
#define OPTEE_MSG_REVISION_MAJOR 2
#define OPTEE_MSG_REVISION_MINOR 0

/* Cache setting of shared memory (a3 of CALL_WITH_ARG, GET_SHM_CONFIG). */
#define OPTEE_SMC_SHM_CACHED 1

/* Capabilities returned by EXCHANGE_CAPABILITIES in a1. */
#define OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM (1u << 0)
#define OPTEE_SMC_SEC_CAP_UNREGISTERED_SHM (1u << 1)
#define OPTEE_SMC_SEC_CAP_DYNAMIC_SHM (1u << 2)
#define OPTEE_SMC_SEC_CAP_VIRTUALIZATION (1u << 3)
#define OPTEE_SMC_SEC_CAP_MEMREF_NULL (1u << 4)
#define OPTEE_SMC_SEC_CAP_ASYNC_NOTIF (1u << 5)
#define OPTEE_SMC_SEC_CAP_RPC_ARG (1u << 6)
/* Normal-world capability passed in a1. */
#define OPTEE_SMC_NSEC_CAP_UNIPROCESSOR (1u << 0)

/* Return codes in a0. */
#define OPTEE_SMC_RETURN_OK 0x0u
#define OPTEE_SMC_RETURN_ETHREAD_LIMIT 0x1u
#define OPTEE_SMC_RETURN_EBUSY 0x2u
#define OPTEE_SMC_RETURN_ERESUME 0x3u
#define OPTEE_SMC_RETURN_EBADADDR 0x4u
#define OPTEE_SMC_RETURN_EBADCMD 0x5u
#define OPTEE_SMC_RETURN_ENOMEM 0x6u
#define OPTEE_SMC_RETURN_ENOTAVAIL 0x7u
#define OPTEE_SMC_RETURN_UNKNOWN_FUNCTION 0xffffffffu

/*
 * RPC returns: the secure world suspends the call and asks the normal world
 * for a service; the normal world answers with RETURN_FROM_RPC.
 *  ALLOC:        a1 = bytes wanted; answer a1:a2 = PA, a4:a5 = cookie (0 on failure)
 *  FREE:         a1:a2 = cookie to free
 *  FOREIGN_INTR: a normal-world interrupt is pending; just return
 *  CMD:          a1:a2 = cookie of shm holding an optee_msg_arg with an OPTEE_RPC_CMD_*
 */
#define OPTEE_SMC_RETURN_RPC_PREFIX_MASK 0xffff0000u
#define OPTEE_SMC_RETURN_RPC_PREFIX 0xffff0000u
#define OPTEE_SMC_RETURN_RPC_FUNC_MASK 0x0000ffffu
#define OPTEE_SMC_RPC_VAL(func) ((uint32_t)(func) | OPTEE_SMC_RETURN_RPC_PREFIX)
#define OPTEE_SMC_RPC_FUNC_ALLOC 0
#define OPTEE_SMC_RPC_FUNC_FREE 2
#define OPTEE_SMC_RPC_FUNC_FOREIGN_INTR 4
#define OPTEE_SMC_RPC_FUNC_CMD 5
#define OPTEE_SMC_RETURN_RPC_ALLOC OPTEE_SMC_RPC_VAL(OPTEE_SMC_RPC_FUNC_ALLOC)
#define OPTEE_SMC_RETURN_RPC_FREE OPTEE_SMC_RPC_VAL(OPTEE_SMC_RPC_FUNC_FREE)
#define OPTEE_SMC_RETURN_RPC_FOREIGN_INTR OPTEE_SMC_RPC_VAL(OPTEE_SMC_RPC_FUNC_FOREIGN_INTR)
#define OPTEE_SMC_RETURN_RPC_CMD OPTEE_SMC_RPC_VAL(OPTEE_SMC_RPC_FUNC_CMD)

static inline bool optee_smc_return_is_rpc(uint32_t a0)
{
	return a0 != OPTEE_SMC_RETURN_UNKNOWN_FUNCTION &&
	       (a0 & OPTEE_SMC_RETURN_RPC_PREFIX_MASK) == OPTEE_SMC_RETURN_RPC_PREFIX;
}

static inline bool optee_smc_is_fast_call(uint32_t a0) { return (a0 & OPTEE_SMC_FAST_CALL_BIT) != 0; }
static inline uint32_t optee_smc_func_num(uint32_t a0) { return a0 & OPTEE_SMC_FUNC_MASK; }

/* 64-bit values travel split over two 32-bit registers, high word first. */
static inline uint64_t optee_smc_reg_pair_to_u64(uint32_t high, uint32_t low)
{
	return ((uint64_t)high << 32) | low;
}
static inline uint32_t optee_smc_u64_high(uint64_t v) { return (uint32_t)(v >> 32); }
static inline uint32_t optee_smc_u64_low(uint64_t v) { return (uint32_t)v; }

/* The hypervisor's own client ID; a guest's is its VM id + 1 (Xen's convention). */
#define OPTEE_SMC_HYP_CLIENT_ID 0u

#endif
