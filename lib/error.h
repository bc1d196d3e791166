/*
 * error.h: an error carried up to whoever can report it.
 *
 * Fallible functions take `sdc_error_t *err` as their last argument and
 * return a negative int (or NULL) on failure, having filled *err.  The
 * caller either handles it, adds context with sdc_error_wrap() and returns
 * it further, or prints it and releases it.  Libraries never exit().
 *
 *     if (store_open(&st, path, err) < 0)
 *             return sdc_error_wrap(err, "opening the store");
 *
 * The fields are kept apart so a caller can act on them: `errnum` is an
 * errno value (0 if none), `code` a domain code (an HTTP status, an
 * HTTP_CLIENT_E_*, an OpenSSL error) and `msg` the text for a person.
 */
#ifndef SDC_ERROR_H
#define SDC_ERROR_H

#include <stdarg.h>

struct sdc_error {
	int errnum;
	int code;
	char *msg;
};
typedef struct sdc_error *sdc_error_t;

#define SDC_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Fill *err with a message; appends strerror(errnum) when errnum != 0.
 * Always returns -1, so `return sdc_make_error(...)` reads naturally.
 * An earlier error in *err is released first. */
int sdc_make_error(sdc_error_t *err, int errnum, const char *fmt, ...) SDC_PRINTF(3, 4);

/* The same, with a domain code (HTTP status, HTTP_CLIENT_E_*, ...). */
int sdc_make_error_code(sdc_error_t *err, int code, const char *fmt, ...) SDC_PRINTF(3, 4);

/* Prefix "<context>: " to the message already in *err.  Returns -1. */
int sdc_error_wrap(sdc_error_t *err, const char *fmt, ...) SDC_PRINTF(2, 3);

/* The message, or "" when there is no error. */
const char *sdc_error_msg(sdc_error_t err);

/* Free *err and set it to NULL.  Safe on NULL. */
void sdc_error_release(sdc_error_t *err);

#endif
