/*
 * errors.c: SAPI's error names and statuses.
 *
 * The code a module puts in an sdc_error is status * 100 + a small number,
 * so the status falls out by division and the table below only needs the
 * names.  Codes that are not ours (the store's SQLite codes, 0) are the
 * daemon's own failure: 500 InternalError.
 */
#include <stddef.h>

#include "sapi.h"

static const struct {
	int code;
	const char *name;
} sapi_errors[] = {
	{ SAPI_E_INVALID_CONTENT, "InvalidContent" },
	{ SAPI_E_NOT_FOUND, "ResourceNotFound" },
	{ SAPI_E_INVALID_ARGUMENT, "InvalidArgument" },
	{ SAPI_E_MISSING_PARAMETER, "MissingParameter" },
	{ SAPI_E_SCHEMA, "SchemaValidationError" },
	{ SAPI_E_EXISTS, "ObjectAlreadyExists" },
	{ SAPI_E_IN_USE, "InUse" },
	{ SAPI_E_FORBIDDEN, "Forbidden" },
	{ SAPI_E_PRECONDITION, "PreconditionFailed" },
	{ SAPI_E_INTERNAL, "InternalError" },
	{ SAPI_E_UNAVAILABLE, "ServiceUnavailable" },
};

static int
sapi_error_index(const struct sdc_error *e)
{
	size_t i;

	if (e == NULL)
		return -1;
	for (i = 0; i < sizeof sapi_errors / sizeof sapi_errors[0]; i++)
		if (sapi_errors[i].code == e->code)
			return (int)i;
	return -1;
}

int
sapi_error_status(const struct sdc_error *e)
{
	int i = sapi_error_index(e);

	return i < 0 ? 500 : sapi_errors[i].code / 100;
}

const char *
sapi_error_name(const struct sdc_error *e)
{
	int i = sapi_error_index(e);

	return i < 0 ? "InternalError" : sapi_errors[i].name;
}
