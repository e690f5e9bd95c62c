/* Names of TEE_Result codes and the ts_err -> TEE_Result mapping (freestanding). */
#include "tee_result.h"
#include "ts_err.h"

const char *tee_result_name(TEE_Result res)
{
	switch (res) {
#define TEE_RESULT_NAME(name, val) \
	case val:                  \
		return #name;
		TEE_RESULT_MAP(TEE_RESULT_NAME)
#undef TEE_RESULT_NAME
	default:
		return "TEE_ERROR_<unknown>";
	}
}

TEE_Result tee_result_from_ts_err(int err)
{
	switch (err) {
	case TS_OK:
		return TEE_SUCCESS;
	case TS_ENOMEM:
	case TS_ENOSPC:
		return TEE_ERROR_OUT_OF_MEMORY;
	case TS_EINVAL:
	case TS_ERANGE:
	case TS_EOVERFLOW:
	case TS_E2BIG:
	case TS_ELOOP:
		return TEE_ERROR_BAD_PARAMETERS;
	case TS_EFAULT:
	case TS_EPERM:
	case TS_EACCES:
		return TEE_ERROR_ACCESS_DENIED;
	case TS_ENOENT:
		return TEE_ERROR_ITEM_NOT_FOUND;
	case TS_EBUSY:
	case TS_EAGAIN:
		return TEE_ERROR_BUSY;
	case TS_EEXIST:
		return TEE_ERROR_ACCESS_CONFLICT;
	case TS_ENOSYS:
		return TEE_ERROR_NOT_IMPLEMENTED;
	case TS_ETIMEDOUT:
	case TS_EIO:
		return TEE_ERROR_COMMUNICATION;
	default:
		return TEE_ERROR_GENERIC;
	}
}
