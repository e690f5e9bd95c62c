/*
 * TEE_Result codes of the GlobalPlatform TEE Internal Core API, as the secure
 * world returns them in optee_msg_arg.ret, plus conversion from the internal
 * ts_err codes.  Values equal GP's (and optee_os lib/libutee/include/tee_api_defines.h).
 * Freestanding.
 */
#ifndef TEESHM_COMMON_TEE_RESULT_H
#define TEESHM_COMMON_TEE_RESULT_H

#include <stdint.h>

typedef uint32_t TEE_Result;

#define TEE_RESULT_MAP(XX)                             \
	XX(TEE_SUCCESS, 0x00000000u)                   \
	XX(TEE_ERROR_GENERIC, 0xffff0000u)             \
	XX(TEE_ERROR_ACCESS_DENIED, 0xffff0001u)       \
	XX(TEE_ERROR_CANCEL, 0xffff0002u)              \
	XX(TEE_ERROR_ACCESS_CONFLICT, 0xffff0003u)     \
	XX(TEE_ERROR_EXCESS_DATA, 0xffff0004u)         \
	XX(TEE_ERROR_BAD_FORMAT, 0xffff0005u)          \
	XX(TEE_ERROR_BAD_PARAMETERS, 0xffff0006u)      \
	XX(TEE_ERROR_BAD_STATE, 0xffff0007u)           \
	XX(TEE_ERROR_ITEM_NOT_FOUND, 0xffff0008u)      \
	XX(TEE_ERROR_NOT_IMPLEMENTED, 0xffff0009u)     \
	XX(TEE_ERROR_NOT_SUPPORTED, 0xffff000au)       \
	XX(TEE_ERROR_NO_DATA, 0xffff000bu)             \
	XX(TEE_ERROR_OUT_OF_MEMORY, 0xffff000cu)       \
	XX(TEE_ERROR_BUSY, 0xffff000du)                \
	XX(TEE_ERROR_COMMUNICATION, 0xffff000eu)       \
	XX(TEE_ERROR_SECURITY, 0xffff000fu)            \
	XX(TEE_ERROR_SHORT_BUFFER, 0xffff0010u)        \
	XX(TEE_ERROR_EXTERNAL_CANCEL, 0xffff0011u)     \
	XX(TEE_ERROR_OVERFLOW, 0xffff300fu)            \
	XX(TEE_ERROR_TARGET_DEAD, 0xffff3024u)         \
	XX(TEE_ERROR_STORAGE_NO_SPACE, 0xffff3041u)

enum {
#define TEE_RESULT_ENUM(name, val) name = val,
	TEE_RESULT_MAP(TEE_RESULT_ENUM)
#undef TEE_RESULT_ENUM
};

/* Where a result came from (optee_msg_arg.ret_origin, TEEC_ORIGIN_*). */
#define TEE_ORIGIN_API 0x00000001u
#define TEE_ORIGIN_COMMS 0x00000002u
#define TEE_ORIGIN_TEE 0x00000003u
#define TEE_ORIGIN_TRUSTED_APP 0x00000004u

/* "TEE_ERROR_OUT_OF_MEMORY" etc., or "TEE_ERROR_<unknown>". */
const char *tee_result_name(TEE_Result res);

/* Map an internal ts_err code (0 or negative) to the TEE_Result a caller sees. */
TEE_Result tee_result_from_ts_err(int err);

#endif
