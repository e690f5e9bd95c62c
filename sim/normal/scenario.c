/* Built-in client scenarios over the GP TEE Client API (see scenario.h). */
#include "sim/normal/scenario.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/common/ta_ids.h"
#include "sim/normal/include/tee_client_api.h"

static void failed(struct scenario_result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failures++ == 0) {
		va_start(ap, fmt);
		vsnprintf(r->first_failure, sizeof(r->first_failure), fmt, ap);
		va_end(ap);
	}
}

static TEEC_UUID to_teec(struct ta_uuid u)
{
	TEEC_UUID t = { u.time_low, u.time_mid, u.time_hi_and_version, { 0 } };

	memcpy(t.clockSeqAndNode, u.clock_seq_and_node, 8);
	return t;
}

/* One TEEC call, counted; a non-success result is a failure unless expected. */
static bool ok(struct scenario_result *r, TEEC_Result res, uint32_t origin, const char *what)
{
	r->operations++;
	if (res != TEEC_SUCCESS) {
		failed(r, "%s: 0x%08x origin %u", what, res, origin);
		return false;
	}
	return true;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 11));
}

/* TEMP in -> TEMP out through TRANSFORM: out = in ^ 0xA5, value a+1, b = byte sum. */
static void echo_temp(TEEC_Session *s, size_t size, uint32_t seed, struct scenario_result *r)
{
	uint8_t *in = malloc(size), *out = malloc(size);
	TEEC_Operation op = { 0 };
	uint32_t origin, sum = 0;
	size_t i;

	if (!in || !out) {
		failed(r, "out of host memory");
		goto done;
	}
	fill(in, size, seed);
	for (i = 0; i < size; i++)
		sum += in[i];
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_VALUE_INOUT, TEEC_NONE);
	op.params[0].tmpref = (TEEC_TempMemoryReference){ in, size };
	op.params[1].tmpref = (TEEC_TempMemoryReference){ out, size };
	op.params[2].value.a = seed;
	if (!ok(r, TEEC_InvokeCommand(s, TA_ECHO_CMD_TRANSFORM, &op, &origin), origin, "echo temp"))
		goto done;
	if (op.params[1].tmpref.size != size || op.params[2].value.a != seed + 1 ||
	    op.params[2].value.b != sum) {
		failed(r, "echo temp %zu: size %zu value %u/%u", size, op.params[1].tmpref.size,
		       op.params[2].value.a, op.params[2].value.b);
		goto done;
	}
	for (i = 0; i < size; i++)
		if (out[i] != (uint8_t)(in[i] ^ 0xa5)) {
			failed(r, "echo temp %zu: byte %zu wrong", size, i);
			goto done;
		}
	r->bytes_verified += size;
done:
	free(in);
	free(out);
}

/* PARTIAL_INOUT on a registered block: only the window gets +1. */
static void echo_partial(TEEC_Context *ctx, TEEC_Session *s, TEEC_SharedMemory *shm, size_t offs,
			 size_t len, struct scenario_result *r)
{
	TEEC_Operation op = { 0 };
	uint8_t *p = shm->buffer;
	uint8_t *before = malloc(shm->size);
	uint32_t origin = 0;
	size_t i;

	(void)ctx;
	if (!before) {
		failed(r, "out of host memory");
		return;
	}
	fill(p, shm->size, (uint32_t)offs);
	memcpy(before, p, shm->size);
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INOUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].memref = (TEEC_RegisteredMemoryReference){ shm, len, offs };
	if (ok(r, TEEC_InvokeCommand(s, TA_ECHO_CMD_INC_INPLACE, &op, &origin), origin, "echo partial")) {
		for (i = 0; i < shm->size; i++) {
			uint8_t want = (uint8_t)(before[i] + (i >= offs && i < offs + len));

			if (p[i] != want) {
				failed(r, "echo partial: byte %zu is %u, want %u", i, p[i], want);
				break;
			}
		}
		if (i == shm->size)
			r->bytes_verified += shm->size;
	}
	free(before);
}

/* WHOLE input (allocated) -> PARTIAL_OUTPUT (a registered heap buffer, shadowed). */
static void echo_whole(TEEC_Context *ctx, TEEC_Session *s, struct scenario_result *r)
{
	TEEC_SharedMemory in = { .size = 20000, .flags = TEEC_MEM_INPUT };
	TEEC_SharedMemory out = { .size = 40000, .flags = TEEC_MEM_OUTPUT };
	TEEC_Operation op = { 0 };
	uint8_t *heap = calloc(1, out.size);
	uint32_t origin = 0;
	size_t i;

	if (!heap) {
		failed(r, "out of host memory");
		return;
	}
	out.buffer = heap;
	if (!ok(r, TEEC_AllocateSharedMemory(ctx, &in), 0, "allocate shm"))
		goto free_heap;
	if (!ok(r, TEEC_RegisterSharedMemory(ctx, &out), 0, "register shm"))
		goto release_in;
	fill(in.buffer, in.size, 99);
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_MEMREF_PARTIAL_OUTPUT,
					 TEEC_VALUE_INOUT, TEEC_NONE);
	op.params[0].memref = (TEEC_RegisteredMemoryReference){ &in, 0, 0 };
	op.params[1].memref = (TEEC_RegisteredMemoryReference){ &out, in.size, 1000 };
	if (ok(r, TEEC_InvokeCommand(s, TA_ECHO_CMD_TRANSFORM, &op, &origin), origin, "echo whole")) {
		const uint8_t *src = in.buffer;

		for (i = 0; i < in.size; i++)
			if (heap[1000 + i] != (uint8_t)(src[i] ^ 0xa5))
				break;
		if (i != in.size || heap[999] != 0 || heap[1000 + in.size] != 0)
			failed(r, "echo whole: output wrong at %zu", i);
		else
			r->bytes_verified += in.size;
	}
	TEEC_ReleaseSharedMemory(&out);
release_in:
	TEEC_ReleaseSharedMemory(&in);
free_heap:
	free(heap);
}

static void storage_round_trip(TEEC_Context *ctx, uint32_t id, struct scenario_result *r)
{
	TEEC_UUID uuid = to_teec((struct ta_uuid)TA_STORAGE_UUID);
	TEEC_Session s;
	TEEC_Operation op = { 0 };
	uint8_t data[10000], back[10000];
	uint32_t origin = 0;

	if (!ok(r, TEEC_OpenSession(ctx, &s, &uuid, TEEC_LOGIN_PUBLIC, NULL, NULL, &origin), origin,
		"open storage"))
		return;
	fill(data, sizeof(data), id);
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_INPUT, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = id;
	op.params[1].tmpref = (TEEC_TempMemoryReference){ data, sizeof(data) };
	if (ok(r, TEEC_InvokeCommand(&s, TA_STORAGE_CMD_WRITE, &op, &origin), origin, "storage write")) {
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE,
						 TEEC_NONE);
		op.params[0].value.a = id;
		op.params[1].tmpref = (TEEC_TempMemoryReference){ back, sizeof(back) };
		if (ok(r, TEEC_InvokeCommand(&s, TA_STORAGE_CMD_READ, &op, &origin), origin,
		       "storage read")) {
			if (op.params[1].tmpref.size != sizeof(data) || memcmp(back, data, sizeof(data)))
				failed(r, "storage: object %u read back wrong", id);
			else
				r->bytes_verified += sizeof(data);
		}
	}
	TEEC_CloseSession(&s);
}

static void bigload(TEEC_Context *ctx, struct scenario_result *r)
{
	TEEC_UUID uuid = to_teec((struct ta_uuid)TA_BIGLOAD_UUID);
	TEEC_Session s;
	TEEC_Operation op = { 0 };
	uint32_t origin = 0;

	if (!ok(r, TEEC_OpenSession(ctx, &s, &uuid, TEEC_LOGIN_PUBLIC, NULL, NULL, &origin), origin,
		"open bigload"))
		return;
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	if (ok(r, TEEC_InvokeCommand(&s, TA_BIGLOAD_CMD_SIZE, &op, &origin), origin, "bigload size") &&
	    op.params[0].value.a != TEESHM_BIGLOAD_IMAGE_BYTES)
		failed(r, "bigload: image of %u bytes", op.params[0].value.a);
	TEEC_CloseSession(&s);
}

void scenario_basic(uint32_t guest_id, uint64_t iterations, struct scenario_result *res)
{
	static const size_t temp_sizes[] = { 100, 4096, 70000, 300000 };
	TEEC_UUID echo = to_teec((struct ta_uuid)TA_ECHO_UUID);
	TEEC_Context ctx;
	TEEC_Session s;
	uint32_t origin = 0;
	uint64_t it;
	size_t k;

	memset(res, 0, sizeof(*res));
	if (!ok(res, TEEC_InitializeContext(NULL, &ctx), 0, "initialize context"))
		return;
	for (it = 0; it < iterations; it++) {
		TEEC_SharedMemory shm = { .size = 256 * 1024, .flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT };

		if (!ok(res, TEEC_OpenSession(&ctx, &s, &echo, TEEC_LOGIN_PUBLIC, NULL, NULL, &origin),
			origin, "open echo"))
			break;
		for (k = 0; k < sizeof(temp_sizes) / sizeof(temp_sizes[0]); k++)
			echo_temp(&s, temp_sizes[k], (uint32_t)(guest_id * 1000 + it * 10 + k), res);
		if (ok(res, TEEC_AllocateSharedMemory(&ctx, &shm), 0, "allocate shm")) {
			echo_partial(&ctx, &s, &shm, 4096 + 7, 100000, res);
			TEEC_ReleaseSharedMemory(&shm);
		}
		echo_whole(&ctx, &s, res);
		TEEC_CloseSession(&s);
		storage_round_trip(&ctx, guest_id * 100000 + (uint32_t)it, res);
		if (it == 0)
			bigload(&ctx, res);
	}
	TEEC_FinalizeContext(&ctx);
}
