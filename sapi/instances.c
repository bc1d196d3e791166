/*
 * instances.c: /instances, one per running daemon.
 *
 * An instance is what a daemon asks its config for (GET /configs/:uuid),
 * so it is the one object a consumer must be able to find without knowing
 * its uuid: dockerapi looks its own up by name (GET /instances?name=...).
 * Triton's SAPI required only service_uuid; a name is optional here too
 * and defaults to "<service name>-<first 8 digits of the uuid>".  The type
 * defaults to the service's.
 */
#include <stdio.h>

#include "jsonutil.h"
#include "server.h"

static const char *const sapi_instance_required[] = { "service_uuid", NULL };
static const char *const sapi_instance_strings[] = { "name", NULL };

static int
sapi_instance_prepare(struct sapi *s, json_t *obj, const json_t *service,
    sdc_error_t *err)
{
	char name[256];

	if (json_object_get(obj, "name") != NULL)
		return 0;
	snprintf(name, sizeof name, "%s-%.8s", json_str(service, "name", "svc"),
	    json_str(obj, "uuid", ""));
	json_object_set_new(obj, "name", json_string(name));
	return 0;
}

const struct sapi_resource sapi_instance_resource = {
	.kind = SAPI_INSTANCE,
	.name = "instance",
	.parent_field = "service_uuid",
	.parent_kind = SAPI_SERVICE,
	.required = sapi_instance_required,
	.strings = sapi_instance_strings,
	.typed = true,
	.prepare = sapi_instance_prepare,
};

#define R(m, p, h) { m, p, h, 0, (void *)&sapi_instance_resource }
const struct route sapi_instance_routes[] = {
	R("GET", "/instances", sapi_objects_list),
	R("POST", "/instances", sapi_objects_post),
	R("GET", "/instances/:uuid", sapi_objects_get),
	R("PUT", "/instances/:uuid", sapi_objects_put),
	R("DELETE", "/instances/:uuid", sapi_objects_delete),
	{ 0 }
};
