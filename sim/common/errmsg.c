/* Error messages into caller buffers (see errmsg.h). */
#include "sim/common/errmsg.h"

#include <stdarg.h>
#include <stdio.h>

int ts_errf(char *err, size_t err_len, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && err_len) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return code;
}
