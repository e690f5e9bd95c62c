/*
 * GlobalPlatform TEE Client API (GPD_SPE_007), the interface client programs
 * compile against.  Names, types and constant values follow the GP
 * specification so unmodified client code builds; the implementation lives in
 * sim/normal (it talks to the simulated secure world over the OP-TEE ABI).
 * Fields marked "implementation" are ours and not for client use.
 */
#ifndef TEE_CLIENT_API_H
#define TEE_CLIENT_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Maximum number of parameters of one operation. */
#define TEEC_CONFIG_PAYLOAD_REF_COUNT 4
/* Largest shared memory block this implementation registers (bytes). */
#define TEEC_CONFIG_SHAREDMEM_MAX_SIZE ((size_t)64 * 1024 * 1024)

/* Parameter types, 4 bits each, packed by TEEC_PARAM_TYPES. */
#define TEEC_NONE 0x00000000u
#define TEEC_VALUE_INPUT 0x00000001u
#define TEEC_VALUE_OUTPUT 0x00000002u
#define TEEC_VALUE_INOUT 0x00000003u
#define TEEC_MEMREF_TEMP_INPUT 0x00000005u
#define TEEC_MEMREF_TEMP_OUTPUT 0x00000006u
#define TEEC_MEMREF_TEMP_INOUT 0x00000007u
#define TEEC_MEMREF_WHOLE 0x0000000cu
#define TEEC_MEMREF_PARTIAL_INPUT 0x0000000du
#define TEEC_MEMREF_PARTIAL_OUTPUT 0x0000000eu
#define TEEC_MEMREF_PARTIAL_INOUT 0x0000000fu

/* TEEC_SharedMemory.flags */
#define TEEC_MEM_INPUT 0x00000001u
#define TEEC_MEM_OUTPUT 0x00000002u

/* Return codes. */
#define TEEC_SUCCESS 0x00000000u
#define TEEC_ERROR_GENERIC 0xffff0000u
#define TEEC_ERROR_ACCESS_DENIED 0xffff0001u
#define TEEC_ERROR_CANCEL 0xffff0002u
#define TEEC_ERROR_ACCESS_CONFLICT 0xffff0003u
#define TEEC_ERROR_EXCESS_DATA 0xffff0004u
#define TEEC_ERROR_BAD_FORMAT 0xffff0005u
#define TEEC_ERROR_BAD_PARAMETERS 0xffff0006u
#define TEEC_ERROR_BAD_STATE 0xffff0007u
#define TEEC_ERROR_ITEM_NOT_FOUND 0xffff0008u
#define TEEC_ERROR_NOT_IMPLEMENTED 0xffff0009u
#define TEEC_ERROR_NOT_SUPPORTED 0xffff000au
#define TEEC_ERROR_NO_DATA 0xffff000bu
#define TEEC_ERROR_OUT_OF_MEMORY 0xffff000cu
#define TEEC_ERROR_BUSY 0xffff000du
#define TEEC_ERROR_COMMUNICATION 0xffff000eu
#define TEEC_ERROR_SECURITY 0xffff000fu
#define TEEC_ERROR_SHORT_BUFFER 0xffff0010u
#define TEEC_ERROR_EXTERNAL_CANCEL 0xffff0011u
#define TEEC_ERROR_TARGET_DEAD 0xffff3024u

/* Return code origins. */
#define TEEC_ORIGIN_API 0x00000001u
#define TEEC_ORIGIN_COMMS 0x00000002u
#define TEEC_ORIGIN_TEE 0x00000003u
#define TEEC_ORIGIN_TRUSTED_APP 0x00000004u

/* Login methods. */
#define TEEC_LOGIN_PUBLIC 0x00000000u
#define TEEC_LOGIN_USER 0x00000001u
#define TEEC_LOGIN_GROUP 0x00000002u
#define TEEC_LOGIN_APPLICATION 0x00000004u
#define TEEC_LOGIN_USER_APPLICATION 0x00000005u
#define TEEC_LOGIN_GROUP_APPLICATION 0x00000006u

#define TEEC_PARAM_TYPES(p0, p1, p2, p3) \
	((uint32_t)((p0) | ((p1) << 4) | ((p2) << 8) | ((p3) << 12)))
#define TEEC_PARAM_TYPE_GET(types, index) (((types) >> ((index) * 4)) & 0xfu)

typedef uint32_t TEEC_Result;

typedef struct {
	uint32_t timeLow;
	uint16_t timeMid;
	uint16_t timeHiAndVersion;
	uint8_t clockSeqAndNode[8];
} TEEC_UUID;

struct teec_context_impl;
struct teec_session_impl;
struct teec_shm_impl;

typedef struct {
	/* implementation: connection to the simulated TEE */
	struct teec_context_impl *imp;
} TEEC_Context;

typedef struct {
	/* implementation */
	TEEC_Context *ctx;
	uint32_t session_id;
	struct teec_session_impl *imp;
} TEEC_Session;

typedef struct {
	void *buffer;
	size_t size;
	uint32_t flags;
	/* implementation */
	size_t alloced_size;
	void *shadow_buffer;
	int registered_fd;
	uint64_t cookie;
	struct teec_shm_impl *imp;
} TEEC_SharedMemory;

typedef struct {
	void *buffer;
	size_t size;
} TEEC_TempMemoryReference;

typedef struct {
	TEEC_SharedMemory *parent;
	size_t size;
	size_t offset;
} TEEC_RegisteredMemoryReference;

typedef struct {
	uint32_t a;
	uint32_t b;
} TEEC_Value;

typedef union {
	TEEC_TempMemoryReference tmpref;
	TEEC_RegisteredMemoryReference memref;
	TEEC_Value value;
} TEEC_Parameter;

typedef struct {
	uint32_t started;
	uint32_t paramTypes;
	TEEC_Parameter params[TEEC_CONFIG_PAYLOAD_REF_COUNT];
	/* implementation: session being invoked, for TEEC_RequestCancellation */
	TEEC_Session *session;
} TEEC_Operation;

TEEC_Result TEEC_InitializeContext(const char *name, TEEC_Context *context);
void TEEC_FinalizeContext(TEEC_Context *context);
TEEC_Result TEEC_OpenSession(TEEC_Context *context, TEEC_Session *session,
			     const TEEC_UUID *destination, uint32_t connectionMethod,
			     const void *connectionData, TEEC_Operation *operation,
			     uint32_t *returnOrigin);
void TEEC_CloseSession(TEEC_Session *session);
TEEC_Result TEEC_InvokeCommand(TEEC_Session *session, uint32_t commandID,
			       TEEC_Operation *operation, uint32_t *returnOrigin);
TEEC_Result TEEC_RegisterSharedMemory(TEEC_Context *context, TEEC_SharedMemory *sharedMem);
TEEC_Result TEEC_AllocateSharedMemory(TEEC_Context *context, TEEC_SharedMemory *sharedMem);
void TEEC_ReleaseSharedMemory(TEEC_SharedMemory *sharedMemory);
void TEEC_RequestCancellation(TEEC_Operation *operation);

#ifdef __cplusplus
}
#endif

#endif
