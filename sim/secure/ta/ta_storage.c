/*
 * The storage TA (contract in sim/common/ta_ids.h): objects live in the
 * normal world, as OP-TEE's REE FS keeps them, so every read and write needs
 * a buffer lent by the normal world (RPC SHM_ALLOC), a file-system RPC over
 * it (OPTEE_RPC_CMD_FS) and an RPC SHM_FREE.
 */
#include "sim/secure/ta/ta.h"

#include "sim/common/optee_rpc_cmd.h"

#define CHUNK_BYTES 4096u

static TEE_Result storage_open(struct sw_call *call, uint32_t types,
			       union ta_param p[TEE_NUM_PARAMS], void **ctx, uint32_t *origin)
{
	(void)call;
	(void)types;
	(void)p;
	(void)origin;
	*ctx = NULL;
	return TEE_SUCCESS;
}

/* Copy size bytes between two secure VAs, through a chunk of secure memory. */
static TEE_Result copy_va(struct sw_call *call, vaddr_t dst, vaddr_t src, uint64_t size)
{
	uint8_t buf[CHUNK_BYTES];
	uint64_t done;
	TEE_Result res;

	for (done = 0; done < size; done += CHUNK_BYTES) {
		size_t n = size - done < CHUNK_BYTES ? (size_t)(size - done) : CHUNK_BYTES;

		res = ta_mem_read(call, va_add(src, done), buf, n);
		if (!res)
			res = ta_mem_write(call, va_add(dst, done), buf, n);
		if (res)
			return res;
	}
	return TEE_SUCCESS;
}

static void fs_params(struct sw_rpc_param fs[2], uint32_t op, uint32_t id,
		      enum sw_rpc_param_type mem_type, struct sw_rpc_shm *shm, uint64_t size)
{
	fs[0] = (struct sw_rpc_param){ .type = SW_RPC_PARAM_VALUE_IN };
	fs[0].u.value.a = op;
	fs[0].u.value.b = id;
	fs[1] = (struct sw_rpc_param){ .type = mem_type };
	fs[1].u.memref.shm = shm;
	fs[1].u.memref.size = size;
}

static TEE_Result storage_write(struct sw_call *call, uint32_t types,
				union ta_param p[TEE_NUM_PARAMS])
{
	uint64_t size = p[1].memref.size;
	struct sw_rpc_param fs[2];
	struct sw_rpc_shm *shm = NULL;
	TEE_Result res;

	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INPUT, TEE_PARAM_TYPE_MEMREF_INPUT,
				     TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE) ||
	    !ta_memref_ok(&p[1]))
		return TEE_ERROR_BAD_PARAMETERS;
	if (size) {
		res = sw_rpc_shm_alloc(call, OPTEE_RPC_SHM_TYPE_APPL, size, &shm);
		if (res)
			return res;
		res = copy_va(call, shm->va, p[1].memref.va, size);
		if (res)
			goto out;
	}
	/* An empty object travels as a NULL memref. */
	fs_params(fs, TEESHM_FS_WRITE, p[0].value.a, SW_RPC_PARAM_MEMREF_IN, shm, size);
	res = sw_rpc_cmd(call, OPTEE_RPC_CMD_FS, 2, fs);
out:
	sw_rpc_shm_free(call, shm);
	return res;
}

static TEE_Result storage_read(struct sw_call *call, uint32_t types,
			       union ta_param p[TEE_NUM_PARAMS])
{
	uint64_t cap = p[1].memref.size, obj;
	struct sw_rpc_param fs[2];
	struct sw_rpc_shm *shm = NULL;
	TEE_Result res;

	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT,
				     TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE) ||
	    !ta_memref_ok(&p[1]))
		return TEE_ERROR_BAD_PARAMETERS;
	/* An empty output buffer asks for the size only: a NULL memref, no buffer. */
	if (cap) {
		res = sw_rpc_shm_alloc(call, OPTEE_RPC_SHM_TYPE_APPL, cap, &shm);
		if (res)
			return res;
	}
	fs_params(fs, TEESHM_FS_READ, p[0].value.a, SW_RPC_PARAM_MEMREF_OUT, shm, cap);
	res = sw_rpc_cmd(call, OPTEE_RPC_CMD_FS, 2, fs);
	obj = fs[1].u.memref.size;
	if (res == TEE_SUCCESS || res == TEE_ERROR_SHORT_BUFFER) {
		/* The size is the normal world's word: copy no more than our buffer holds. */
		if (res == TEE_SUCCESS && shm)
			res = copy_va(call, p[1].memref.va, shm->va, obj < cap ? obj : cap);
		if (res == TEE_SUCCESS || res == TEE_ERROR_SHORT_BUFFER)
			p[1].memref.size = obj;
	}
	sw_rpc_shm_free(call, shm);
	return res;
}

static TEE_Result storage_invoke(struct sw_call *call, void *ctx, uint32_t cmd, uint32_t types,
				 union ta_param p[TEE_NUM_PARAMS])
{
	(void)ctx;
	switch (cmd) {
	case TA_STORAGE_CMD_WRITE:
		return storage_write(call, types, p);
	case TA_STORAGE_CMD_READ:
		return storage_read(call, types, p);
	default:
		return TEE_ERROR_NOT_SUPPORTED;
	}
}

static void storage_close(struct sw_call *call, void *ctx)
{
	(void)call;
	(void)ctx;
}

const struct ta_ops ta_storage_ops = {
	.name = "storage",
	.uuid = TA_STORAGE_UUID,
	.open_session = storage_open,
	.invoke = storage_invoke,
	.close_session = storage_close,
};
