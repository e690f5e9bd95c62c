/*
 * The simulated trusted applications and what the secure world offers them.
 *
 * A TA sees GlobalPlatform-style parameters: four slots, each a value pair
 * {a, b} or a memref {secure VA, size}.  A memref's bytes are normal-world
 * memory mapped by the secure core; the TA reaches them only through
 * ta_mem_read/ta_mem_write, which go through the secure MMU model (TLB,
 * table walks), never through a host pointer.  A TA that needs the normal
 * world (buffers, files, its own image) uses the RPC API of sw_rpc.h.
 *
 * The contract of each TA is in sim/common/ta_ids.h.
 */
#ifndef TEESHM_SECURE_TA_TA_H
#define TEESHM_SECURE_TA_TA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/common/addr.h"
#include "sim/common/ta_ids.h"
#include "sim/common/tee_result.h"
#include "sim/secure/sw_rpc.h"

/* GP TEE Internal Core API parameter types. */
#define TEE_PARAM_TYPE_NONE 0u
#define TEE_PARAM_TYPE_VALUE_INPUT 1u
#define TEE_PARAM_TYPE_VALUE_OUTPUT 2u
#define TEE_PARAM_TYPE_VALUE_INOUT 3u
#define TEE_PARAM_TYPE_MEMREF_INPUT 5u
#define TEE_PARAM_TYPE_MEMREF_OUTPUT 6u
#define TEE_PARAM_TYPE_MEMREF_INOUT 7u
#define TEE_NUM_PARAMS 4u
#define TEE_PARAM_TYPES(t0, t1, t2, t3) \
	((uint32_t)(t0) | ((uint32_t)(t1) << 4) | ((uint32_t)(t2) << 8) | ((uint32_t)(t3) << 12))
#define TEE_PARAM_TYPE_GET(types, i) (((types) >> ((i) * 4)) & 0xfu)

union ta_param {
	struct {
		uint32_t a, b;
	} value;
	struct {
		vaddr_t va;          /* 0 for a NULL memref */
		uint64_t size;
	} memref;
};

struct sw_call;

struct ta_ops {
	const char *name;
	struct ta_uuid uuid;
	/*
	 * *origin starts as TEE_ORIGIN_TRUSTED_APP; an open that fails in what
	 * OP-TEE's core does for the TA (loading it) sets TEE_ORIGIN_TEE.
	 */
	TEE_Result (*open_session)(struct sw_call *call, uint32_t param_types,
				   union ta_param params[TEE_NUM_PARAMS], void **sess_ctx,
				   uint32_t *origin);
	TEE_Result (*invoke)(struct sw_call *call, void *sess_ctx, uint32_t cmd,
			     uint32_t param_types, union ta_param params[TEE_NUM_PARAMS]);
	/* May not fail; call may be a dead client's (every RPC fails). */
	void (*close_session)(struct sw_call *call, void *sess_ctx);
};

extern const struct ta_ops ta_echo_ops;
extern const struct ta_ops ta_storage_ops;
extern const struct ta_ops ta_bigload_ops;

/* The TA with this UUID, or NULL. */
const struct ta_ops *ta_find(const struct ta_uuid *uuid);

void ta_uuid_from_octets(struct ta_uuid *uuid, const uint8_t octets[16]);

/*
 * Read or write [va, va + len) of a memref or RPC buffer through the secure
 * MMU.  TEE_ERROR_ACCESS_DENIED on a fault (nothing mapped, read-only).
 */
TEE_Result ta_mem_read(struct sw_call *call, vaddr_t va, void *dst, size_t len);
TEE_Result ta_mem_write(struct sw_call *call, vaddr_t va, const void *src, size_t len);

/* Is a memref [va, va + size) usable: non-NULL unless empty? */
static inline bool ta_memref_ok(const union ta_param *p)
{
	return p->memref.size == 0 || va_addr(p->memref.va) != 0;
}

#endif
