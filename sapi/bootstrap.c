/*
 * bootstrap.c: the objects an empty store starts with.
 *
 * The file (etc/sapi-bootstrap.yaml) is a tree, the way an operator thinks
 * of it: applications holding services holding instances, plus a list of
 * manifests.  Each node is exactly the body a POST would take, minus the
 * parent uuid, which is filled in from the node above; each goes through
 * the same sapi_objects_create() as a POST, so the bootstrap can hold
 * nothing the API would refuse.  The whole file loads in one transaction:
 * a broken file leaves the store empty and is tried again next start.
 */
#include <string.h>

#include "jsonutil.h"
#include "log.h"
#include "server.h"
#include "yamlconf.h"

static int sapi_bootstrap_nodes(struct sapi *s, const json_t *list,
    const struct sapi_resource *res, const char *parent, sdc_error_t *err);

/* The resource a node's children are, and the key that lists them. */
static const struct sapi_resource *
sapi_bootstrap_children(const struct sapi_resource *res, const char **key)
{
	if (res == &sapi_application_resource) {
		*key = "services";
		return &sapi_service_resource;
	}
	if (res == &sapi_service_resource) {
		*key = "instances";
		return &sapi_instance_resource;
	}
	*key = NULL;
	return NULL;
}

static int
sapi_bootstrap_node(struct sapi *s, const json_t *node,
    const struct sapi_resource *res, const char *parent, sdc_error_t *err)
{
	const struct sapi_resource *child;
	const char *key;
	json_t *body, *obj;
	int rc = 0;

	if (!json_is_object(node))
		return sdc_make_error(err, 0, "each %s must be a mapping",
		    res->name);
	child = sapi_bootstrap_children(res, &key);
	body = json_copy((json_t *)node);
	if (key != NULL)
		json_object_del(body, key);
	if (parent != NULL)
		json_object_set_new(body, res->parent_field, json_string(parent));
	obj = sapi_objects_create(s, res, body, err);
	json_decref(body);
	if (obj == NULL)
		return sdc_error_wrap(err, "%s %s", res->name,
		    json_str(node, "name", ""));
	if (child != NULL)
		rc = sapi_bootstrap_nodes(s, json_object_get(node, key), child,
		    json_str(obj, "uuid", ""), err);
	json_decref(obj);
	return rc;
}

static int
sapi_bootstrap_nodes(struct sapi *s, const json_t *list,
    const struct sapi_resource *res, const char *parent, sdc_error_t *err)
{
	size_t i;
	json_t *node;

	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list))
		return sdc_make_error(err, 0, "the %ss must be a list", res->name);
	json_array_foreach(list, i, node)
		if (sapi_bootstrap_node(s, node, res, parent, err) < 0)
			return -1;
	return 0;
}

int
sapi_bootstrap_load(struct sapi *s, const char *path, sdc_error_t *err)
{
	json_t *doc;
	int rc;

	if ((doc = yaml_load_file(path, err)) == NULL)
		return -1;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return sdc_make_error(err, 0, "%s: expected a mapping with "
		    "applications and manifests", path);
	}
	if (sapi_model_begin(s->model, err) < 0) {
		json_decref(doc);
		return -1;
	}
	rc = sapi_bootstrap_nodes(s, json_object_get(doc, "manifests"),
	    &sapi_manifest_resource, NULL, err);
	if (rc == 0)
		rc = sapi_bootstrap_nodes(s, json_object_get(doc, "applications"),
		    &sapi_application_resource, NULL, err);
	if (rc == 0)
		rc = sapi_model_commit(s->model, err);
	else
		sapi_model_rollback(s->model);
	json_decref(doc);
	if (rc < 0)
		return sdc_error_wrap(err, "%s", path);
	log_info("loaded the bootstrap objects from %s", path);
	return 0;
}
