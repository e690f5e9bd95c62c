/*
 * The bigload TA (contract in sim/common/ta_ids.h): opening a session loads
 * its large image from the normal world the way OP-TEE's REE-FS TA store
 * does (ree_fs_ta.c): OPTEE_RPC_CMD_LOAD_TA with a NULL memref to learn the
 * size, an RPC SHM_ALLOC of that size, LOAD_TA again into it, a check of
 * every byte through the secure MMU, and an RPC SHM_FREE.
 */
#include "sim/secure/ta/ta.h"

#include <stdlib.h>
#include <string.h>

#include "sim/common/optee_rpc_cmd.h"

#define CHUNK_BYTES 4096u
/* Larger than any sane TA image: refuse before asking for the buffer. */
#define BIGLOAD_MAX_IMAGE_BYTES (64ull << 20)

struct bigload_session {
	uint64_t image_bytes;
};

static void load_params(struct sw_rpc_param lp[2], const uint8_t octets[16], struct sw_rpc_shm *shm,
			uint64_t size)
{
	lp[0] = (struct sw_rpc_param){ .type = SW_RPC_PARAM_VALUE_IN };
	/* Octets 0..7 are the bytes of value.a, 8..15 of value.b (tee_uuid_to_octets). */
	memcpy(&lp[0].u.value.a, octets, 8);
	memcpy(&lp[0].u.value.b, octets + 8, 8);
	lp[1] = (struct sw_rpc_param){ .type = SW_RPC_PARAM_MEMREF_OUT };
	lp[1].u.memref.shm = shm;
	lp[1].u.memref.size = size;
}

static TEE_Result check_image(struct sw_call *call, vaddr_t va, uint64_t size)
{
	uint8_t buf[CHUNK_BYTES];
	uint64_t done;
	TEE_Result res;

	for (done = 0; done < size; done += CHUNK_BYTES) {
		size_t n = size - done < CHUNK_BYTES ? (size_t)(size - done) : CHUNK_BYTES;
		size_t i;

		res = ta_mem_read(call, va_add(va, done), buf, n);
		if (res)
			return res;
		for (i = 0; i < n; i++)
			if (buf[i] != TEESHM_TA_IMAGE_BYTE(done + i))
				return TEE_ERROR_SECURITY; /* as a failed signature check */
	}
	return TEE_SUCCESS;
}

static TEE_Result load_image(struct sw_call *call, uint64_t *image_bytes)
{
	const struct ta_uuid uuid = TA_BIGLOAD_UUID;
	struct sw_rpc_param lp[2];
	struct sw_rpc_shm *shm = NULL;
	uint8_t octets[16];
	uint64_t size;
	TEE_Result res;

	ta_uuid_to_octets(octets, &uuid);
	load_params(lp, octets, NULL, 0);
	res = sw_rpc_cmd(call, OPTEE_RPC_CMD_LOAD_TA, 2, lp);
	if (res != TEE_SUCCESS && res != TEE_ERROR_SHORT_BUFFER)
		return res;
	size = lp[1].u.memref.size;
	if (size == 0)
		return TEE_ERROR_BAD_FORMAT;
	if (size > BIGLOAD_MAX_IMAGE_BYTES)
		return TEE_ERROR_OUT_OF_MEMORY;
	res = sw_rpc_shm_alloc(call, OPTEE_RPC_SHM_TYPE_APPL, size, &shm);
	if (res)
		return res;
	load_params(lp, octets, shm, size);
	res = sw_rpc_cmd(call, OPTEE_RPC_CMD_LOAD_TA, 2, lp);
	if (res == TEE_SUCCESS && lp[1].u.memref.size != size)
		res = TEE_ERROR_BAD_FORMAT; /* the image changed size between the two loads */
	if (res == TEE_SUCCESS)
		res = check_image(call, shm->va, size);
	sw_rpc_shm_free(call, shm);
	if (res == TEE_SUCCESS)
		*image_bytes = size;
	return res;
}

static TEE_Result bigload_open(struct sw_call *call, uint32_t types,
			       union ta_param p[TEE_NUM_PARAMS], void **ctx, uint32_t *origin)
{
	struct bigload_session *s;
	uint64_t image_bytes = 0;
	TEE_Result res;

	(void)types;
	(void)p;
	/* Loading is the TEE core's work, so its failures are the TEE's. */
	res = load_image(call, &image_bytes);
	if (res) {
		*origin = TEE_ORIGIN_TEE;
		return res;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		*origin = TEE_ORIGIN_TEE;
		return TEE_ERROR_OUT_OF_MEMORY;
	}
	s->image_bytes = image_bytes;
	*ctx = s;
	return TEE_SUCCESS;
}

static TEE_Result bigload_invoke(struct sw_call *call, void *ctx, uint32_t cmd, uint32_t types,
				 union ta_param p[TEE_NUM_PARAMS])
{
	const struct bigload_session *s = ctx;

	(void)call;
	if (cmd != TA_BIGLOAD_CMD_SIZE)
		return TEE_ERROR_NOT_SUPPORTED;
	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_NONE,
				     TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	p[0].value.a = (uint32_t)s->image_bytes;
	p[0].value.b = 0;
	return TEE_SUCCESS;
}

static void bigload_close(struct sw_call *call, void *ctx)
{
	(void)call;
	free(ctx);
}

const struct ta_ops ta_bigload_ops = {
	.name = "bigload",
	.uuid = TA_BIGLOAD_UUID,
	.open_session = bigload_open,
	.invoke = bigload_invoke,
	.close_session = bigload_close,
};
