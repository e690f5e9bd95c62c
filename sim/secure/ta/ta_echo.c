/*
 * The echo TA (contract in sim/common/ta_ids.h): touches every byte of its
 * memrefs through the secure MMU, a page-sized chunk at a time.
 */
#include "sim/secure/ta/ta.h"

#define CHUNK_BYTES 4096u

static TEE_Result echo_open(struct sw_call *call, uint32_t types, union ta_param p[TEE_NUM_PARAMS],
			    void **ctx, uint32_t *origin)
{
	(void)call;
	(void)types;
	(void)p;
	(void)origin;
	*ctx = NULL;
	return TEE_SUCCESS;
}

/* out[i] = in[i] ^ 0xA5; p2.a += 1, p2.b = sum of the input bytes. */
static TEE_Result echo_transform(struct sw_call *call, uint32_t types,
				 union ta_param p[TEE_NUM_PARAMS])
{
	uint8_t buf[CHUNK_BYTES];
	uint64_t in_size = p[0].memref.size, done;
	uint32_t sum = 0;
	TEE_Result res;

	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT,
				     TEE_PARAM_TYPE_VALUE_INOUT, TEE_PARAM_TYPE_NONE) ||
	    !ta_memref_ok(&p[0]))
		return TEE_ERROR_BAD_PARAMETERS;
	if (p[1].memref.size < in_size) {
		p[1].memref.size = in_size;
		return TEE_ERROR_SHORT_BUFFER;
	}
	if (!ta_memref_ok(&p[1]))
		return TEE_ERROR_BAD_PARAMETERS;
	for (done = 0; done < in_size; done += CHUNK_BYTES) {
		size_t n = in_size - done < CHUNK_BYTES ? (size_t)(in_size - done) : CHUNK_BYTES;
		size_t i;

		res = ta_mem_read(call, va_add(p[0].memref.va, done), buf, n);
		if (res)
			return res;
		for (i = 0; i < n; i++) {
			sum += buf[i];
			buf[i] ^= 0xA5;
		}
		res = ta_mem_write(call, va_add(p[1].memref.va, done), buf, n);
		if (res)
			return res;
	}
	p[1].memref.size = in_size;
	p[2].value.a += 1;
	p[2].value.b = sum;
	return TEE_SUCCESS;
}

static TEE_Result echo_inc_inplace(struct sw_call *call, uint32_t types,
				   union ta_param p[TEE_NUM_PARAMS])
{
	uint8_t buf[CHUNK_BYTES];
	uint64_t size = p[0].memref.size, done;
	TEE_Result res;

	if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INOUT, TEE_PARAM_TYPE_NONE,
				     TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE) ||
	    !ta_memref_ok(&p[0]))
		return TEE_ERROR_BAD_PARAMETERS;
	for (done = 0; done < size; done += CHUNK_BYTES) {
		size_t n = size - done < CHUNK_BYTES ? (size_t)(size - done) : CHUNK_BYTES;
		size_t i;

		res = ta_mem_read(call, va_add(p[0].memref.va, done), buf, n);
		if (res)
			return res;
		for (i = 0; i < n; i++)
			buf[i]++;
		res = ta_mem_write(call, va_add(p[0].memref.va, done), buf, n);
		if (res)
			return res;
	}
	return TEE_SUCCESS;
}

/* One memref of TOUCH: read, write or both, a page-sized chunk at a time. */
static TEE_Result touch_memref(struct sw_call *call, uint32_t type, union ta_param *p)
{
	uint8_t buf[CHUNK_BYTES];
	uint64_t size = p->memref.size, done;
	TEE_Result res;

	if (!va_addr(p->memref.va))
		return TEE_SUCCESS; /* NULL memref: only its size travels */
	if (!ta_memref_ok(p))
		return TEE_ERROR_BAD_PARAMETERS;
	for (done = 0; done < size; done += CHUNK_BYTES) {
		size_t n = size - done < CHUNK_BYTES ? (size_t)(size - done) : CHUNK_BYTES;
		size_t i;

		if (type != TEE_PARAM_TYPE_MEMREF_OUTPUT) {
			res = ta_mem_read(call, va_add(p->memref.va, done), buf, n);
			if (res)
				return res;
		}
		if (type == TEE_PARAM_TYPE_MEMREF_INPUT)
			continue;
		for (i = 0; i < n; i++)
			buf[i] = type == TEE_PARAM_TYPE_MEMREF_OUTPUT ? 0x5A : (uint8_t)(buf[i] + 1);
		res = ta_mem_write(call, va_add(p->memref.va, done), buf, n);
		if (res)
			return res;
	}
	return TEE_SUCCESS;
}

static TEE_Result echo_touch(struct sw_call *call, uint32_t types, union ta_param p[TEE_NUM_PARAMS])
{
	TEE_Result res;
	unsigned i;

	for (i = 0; i < TEE_NUM_PARAMS; i++) {
		uint32_t type = TEE_PARAM_TYPE_GET(types, i);

		if (type < TEE_PARAM_TYPE_MEMREF_INPUT || type > TEE_PARAM_TYPE_MEMREF_INOUT)
			continue;
		if ((res = touch_memref(call, type, &p[i])))
			return res;
	}
	return TEE_SUCCESS;
}

static TEE_Result echo_invoke(struct sw_call *call, void *ctx, uint32_t cmd, uint32_t types,
			      union ta_param p[TEE_NUM_PARAMS])
{
	(void)ctx;
	switch (cmd) {
	case TA_ECHO_CMD_TRANSFORM:
		return echo_transform(call, types, p);
	case TA_ECHO_CMD_INC_INPLACE:
		return echo_inc_inplace(call, types, p);
	case TA_ECHO_CMD_VALUE:
		if (types != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_INOUT, TEE_PARAM_TYPE_NONE,
					     TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		p[0].value.a *= 2;
		p[0].value.b += 3;
		return TEE_SUCCESS;
	case TA_ECHO_CMD_TOUCH:
		return echo_touch(call, types, p);
	default:
		return TEE_ERROR_NOT_SUPPORTED;
	}
}

static void echo_close(struct sw_call *call, void *ctx)
{
	(void)call;
	(void)ctx;
}

const struct ta_ops ta_echo_ops = {
	.name = "echo",
	.uuid = TA_ECHO_UUID,
	.open_session = echo_open,
	.invoke = echo_invoke,
	.close_session = echo_close,
};
