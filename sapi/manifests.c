/*
 * manifests.c: /manifests, the config file templates.
 *
 * In Triton a manifest told config-agent where to write a file rendered
 * from the merged metadata (path, template, post_cmd).  Here they are kept
 * and handed out with an instance's config for any consumer that renders
 * files; dockerapi reads the metadata directly.  Manifests are immutable,
 * as in Triton: no PUT.  An object's "manifests" maps a name to a
 * manifest's uuid; deleting a manifest that is still referenced simply
 * drops it from those configs.  Triton's manifests carried a free-form
 * version string; here "version" is the integer every object has.
 */
#include "server.h"

static const char *const sapi_manifest_required[] = {
	"name", "path", "template", NULL
};
static const char *const sapi_manifest_strings[] = { "post_cmd", NULL };

const struct sapi_resource sapi_manifest_resource = {
	.kind = SAPI_MANIFEST,
	.name = "manifest",
	.required = sapi_manifest_required,
	.strings = sapi_manifest_strings,
};

#define R(m, p, h) { m, p, h, 0, (void *)&sapi_manifest_resource }
const struct route sapi_manifest_routes[] = {
	R("GET", "/manifests", sapi_objects_list),
	R("POST", "/manifests", sapi_objects_post),
	R("GET", "/manifests/:uuid", sapi_objects_get),
	R("DELETE", "/manifests/:uuid", sapi_objects_delete),
	{ 0 }
};
