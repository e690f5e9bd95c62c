/*
 * Error messages for callers that pass a buffer: format into it (if any) and
 * return the code, so a failure path is one statement.  Host code.
 */
#ifndef TEESHM_COMMON_ERRMSG_H
#define TEESHM_COMMON_ERRMSG_H

#include <stddef.h>

/* snprintf fmt into err[err_len] (when err and err_len are non-zero); returns code. */
int ts_errf(char *err, size_t err_len, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
