/*
 * error.c: the error type described in error.h.
 *
 * Allocation failures while building an error abort: an error we cannot
 * record is not one we can report, and xalloc already treats memory
 * exhaustion as fatal everywhere else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "xalloc.h"

static int
make_error_v(sdc_error_t *err, int errnum, int code, const char *fmt, va_list ap)
{
	char *msg, *full;

	if (err == NULL)
		return -1;
	sdc_error_release(err);
	xvasprintf(&msg, fmt, ap);
	if (errnum != 0) {
		xasprintf(&full, "%s: %s", msg, strerror(errnum));
		free(msg);
		msg = full;
	}
	*err = xcalloc(1, sizeof **err);
	(*err)->errnum = errnum;
	(*err)->code = code;
	(*err)->msg = msg;
	return -1;
}

int
sdc_make_error(sdc_error_t *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	make_error_v(err, errnum, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int
sdc_make_error_code(sdc_error_t *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	make_error_v(err, 0, code, fmt, ap);
	va_end(ap);
	return -1;
}

int
sdc_error_wrap(sdc_error_t *err, const char *fmt, ...)
{
	va_list ap;
	char *ctx, *full;

	if (err == NULL || *err == NULL)
		return -1;
	va_start(ap, fmt);
	xvasprintf(&ctx, fmt, ap);
	va_end(ap);
	xasprintf(&full, "%s: %s", ctx, (*err)->msg);
	free(ctx);
	free((*err)->msg);
	(*err)->msg = full;
	return -1;
}

const char *
sdc_error_msg(sdc_error_t err)
{
	return err != NULL && err->msg != NULL ? err->msg : "";
}

void
sdc_error_release(sdc_error_t *err)
{
	if (err == NULL || *err == NULL)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}
