/*
 * services.c: /services, one per kind of daemon under an application.
 *
 * A service names its application in application_uuid, which must exist;
 * its type (vm | agent, default vm) is what its instances inherit.  Lists
 * filter on name, application_uuid and type.  A service with instances
 * cannot be deleted (409 InUse).
 */
#include "server.h"

static const char *const sapi_service_required[] = {
	"name", "application_uuid", NULL
};
static const char *const sapi_service_strings[] = { NULL };

const struct sapi_resource sapi_service_resource = {
	.kind = SAPI_SERVICE,
	.name = "service",
	.parent_field = "application_uuid",
	.parent_kind = SAPI_APPLICATION,
	.required = sapi_service_required,
	.strings = sapi_service_strings,
	.typed = true,
};

#define R(m, p, h) { m, p, h, 0, (void *)&sapi_service_resource }
const struct route sapi_service_routes[] = {
	R("GET", "/services", sapi_objects_list),
	R("POST", "/services", sapi_objects_post),
	R("GET", "/services/:uuid", sapi_objects_get),
	R("PUT", "/services/:uuid", sapi_objects_put),
	R("DELETE", "/services/:uuid", sapi_objects_delete),
	{ 0 }
};
