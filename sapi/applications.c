/*
 * applications.c: /applications, the top of SAPI's tree.
 *
 * An application is what Triton called `sdc`: its metadata holds the
 * defaults every service and instance under it inherit, and it is where a
 * metadata_schema lives (see merge.c).  An owner_uuid is kept when given,
 * as Triton's SAPI required one, but not required here: one machine has
 * one operator.  Deleting an application that still has services is
 * refused (409 InUse) rather than orphaning them.
 */
#include "server.h"

static const char *const sapi_application_required[] = { "name", NULL };
static const char *const sapi_application_strings[] = { NULL };

const struct sapi_resource sapi_application_resource = {
	.kind = SAPI_APPLICATION,
	.name = "application",
	.required = sapi_application_required,
	.strings = sapi_application_strings,
};

#define R(m, p, h) { m, p, h, 0, (void *)&sapi_application_resource }
const struct route sapi_application_routes[] = {
	R("GET", "/applications", sapi_objects_list),
	R("POST", "/applications", sapi_objects_post),
	R("GET", "/applications/:uuid", sapi_objects_get),
	R("PUT", "/applications/:uuid", sapi_objects_put),
	R("DELETE", "/applications/:uuid", sapi_objects_delete),
	{ 0 }
};
