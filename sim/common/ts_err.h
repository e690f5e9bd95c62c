/*
 * Internal error codes: 0 or a negative errno-style value, as in libuv.
 *
 * The numbers equal Linux's errno values so a reader recognises them, but are
 * spelled out here because the freestanding secure core has no <errno.h>.
 * ts_err_name() and ts_strerror() turn a code into text for messages.
 * ABI boundaries translate these into TEE_ERROR_* / OPTEE_SMC_RETURN_* codes.
 */
#ifndef TEESHM_COMMON_TS_ERR_H
#define TEESHM_COMMON_TS_ERR_H

#define TS_ERRNO_MAP(XX)                                                   \
	XX(EPERM, 1, "operation not permitted")                            \
	XX(ENOENT, 2, "no such entry")                                     \
	XX(EIO, 5, "input/output error")                                   \
	XX(E2BIG, 7, "argument list too long")                             \
	XX(EAGAIN, 11, "resource temporarily unavailable")                 \
	XX(ENOMEM, 12, "out of memory")                                    \
	XX(EACCES, 13, "permission denied")                                \
	XX(EFAULT, 14, "bad address")                                      \
	XX(EBUSY, 16, "resource busy")                                     \
	XX(EEXIST, 17, "already exists")                                   \
	XX(EINVAL, 22, "invalid argument")                                 \
	XX(ENOSPC, 28, "no space left")                                    \
	XX(ERANGE, 34, "out of range")                                     \
	XX(ENOSYS, 38, "not implemented")                                  \
	XX(ELOOP, 40, "loop detected")                                     \
	XX(EOVERFLOW, 75, "value too large")                               \
	XX(ETIMEDOUT, 110, "timed out")

enum ts_err {
	TS_OK = 0,
#define TS_ERR_ENUM(name, val, msg) TS_##name = -(val),
	TS_ERRNO_MAP(TS_ERR_ENUM)
#undef TS_ERR_ENUM
};

/* "EINVAL" etc., or "UNKNOWN" for a code not in the table. */
const char *ts_err_name(int err);
/* "invalid argument" etc., "success" for 0, or "unknown error". */
const char *ts_strerror(int err);

#endif
