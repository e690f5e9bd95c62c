/* Names and messages for the internal error codes of ts_err.h (freestanding). */
#include "ts_err.h"

const char *ts_err_name(int err)
{
	switch (err) {
	case 0:
		return "OK";
#define TS_ERR_NAME(name, val, msg) \
	case -(val):                \
		return #name;
		TS_ERRNO_MAP(TS_ERR_NAME)
#undef TS_ERR_NAME
	default:
		return "UNKNOWN";
	}
}

const char *ts_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
#define TS_ERR_MSG(name, val, msg) \
	case -(val):               \
		return msg;
		TS_ERRNO_MAP(TS_ERR_MSG)
#undef TS_ERR_MSG
	default:
		return "unknown error";
	}
}
