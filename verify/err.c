/*
 * err.c - status names and the caller-owned error record (lar.h).
 * Not for: printing; the CLI decides what reaches the user.
 */
#include "lar.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const names[LAR_STATUS_COUNT] = {
	[LAR_OK] = "success",
	[LAR_E_NOMEM] = "out of memory or over a size limit",
	[LAR_E_IO] = "input/output error",
	[LAR_E_INVAL] = "invalid argument",
	[LAR_E_SYNTAX] = "syntax error",
	[LAR_E_PERM] = "refused",
	[LAR_E_RANGE] = "out of range",
	[LAR_E_CRYPTO] = "cryptographic library error",
	[LAR_E_DB] = "database error",
	[LAR_E_BUSY] = "ledger is locked",
	[LAR_E_NOTFOUND] = "not found",
	[LAR_E_EOF] = "end of input",
	[LAR_E_STATE] = "call out of sequence",
	[LAR_E_AGAIN] = "call again",
};

const char *lar_strerror(lar_status s)
{
	if ((unsigned)s >= LAR_STATUS_COUNT || names[s] == NULL)
		return "unknown error";
	return names[s];
}

__attribute__((format(printf, 4, 0)))
static lar_status vset(struct lar_err *e, lar_status code, int err, const char *fmt, va_list ap)
{
	if (e != NULL) {
		e->code = code;
		e->sys_errno = err;
		vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	}
	return code;
}

lar_status lar_err_set(struct lar_err *e, lar_status code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(e, code, 0, fmt, ap);
	va_end(ap);
	return code;
}

lar_status lar_err_sys(struct lar_err *e, lar_status code, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(e, code, err, fmt, ap);
	va_end(ap);
	return code;
}
