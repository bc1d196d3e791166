/*
 * objects.c: the handlers applications, services, instances and manifests
 * share.
 *
 * The four resources differ only in data (which keys a POST needs, which
 * parent they hang from, whether they have a type), so one set of handlers
 * reads that from the route's struct sapi_resource instead of four copies
 * of the same code.  A write runs inside the store transaction of its
 * batch (commit.c): the checks that read other objects (the parent exists,
 * the schema holds for every merged config below) see the write itself,
 * and a refusal rolls back that write alone.  The answer leaves only after
 * the commit, i.e. once the write is on disk.
 */
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "jsonutil.h"
#include "log.h"
#include "server.h"
#include "xalloc.h"

typedef json_t *(*sapi_objects_write_fn)(struct sapi *s,
    struct http_request *req, const struct sapi_resource *res,
    const json_t *body, sdc_error_t *err);

static const struct sapi_resource *
sapi_objects_resource(const struct http_request *req)
{
	return ((const struct route *)req->route)->data;
}

/* Run fn as one write of the current batch and answer with what it
 * returns, once the batch is committed (commit.c). */
static int
sapi_objects_write(struct http_request *req, struct sapi *s,
    sapi_objects_write_fn fn, const json_t *body, int status)
{
	const struct sapi_resource *res = sapi_objects_resource(req);
	sdc_error_t err = NULL;
	json_t *obj;

	if (sapi_commit_enter(s, &err) < 0)
		return sapi_reply_error(req, &err);
	if ((obj = fn(s, req, res, body, &err)) == NULL) {
		sapi_commit_leave(s, false, NULL);
		return sapi_reply_error(req, &err);
	}
	if (sapi_commit_leave(s, true, &err) < 0) {
		json_decref(obj);
		return sapi_reply_error(req, &err);
	}
	if (status == 204) {
		json_decref(obj);
		return sapi_send(req, 204, NULL);
	}
	return sapi_reply_object(req, status, obj);
}

/* --- reading --- */

int
sapi_objects_list(struct http_request *req, void *arg)
{
	const struct sapi_resource *res = sapi_objects_resource(req);
	struct sapi *s = arg;
	struct sapi_filter f = {
		.name = http_query(req, "name"),
		.type = http_query(req, "type"),
		.owner_uuid = http_query(req, "owner_uuid"),
	};
	sdc_error_t err = NULL;
	json_t *list;

	if (res->parent_field != NULL)
		f.parent = http_query(req, res->parent_field);
	if ((list = sapi_model_list(s->model, res->kind, &f, &err)) == NULL)
		return sapi_reply_error(req, &err);
	return sapi_send(req, 200, list);
}

int
sapi_objects_get(struct http_request *req, void *arg)
{
	const struct sapi_resource *res = sapi_objects_resource(req);
	struct sapi *s = arg;
	sdc_error_t err = NULL;
	json_t *obj;

	obj = sapi_model_get(s->model, res->kind, http_param(req, "uuid"), &err);
	if (obj == NULL)
		return sapi_reply_error(req, &err);
	return sapi_reply_object(req, 200, obj);
}

/* --- creating --- */

static int
sapi_objects_check_required(const struct sapi_resource *res,
    const json_t *body, sdc_error_t *err)
{
	struct buf missing = BUF_INIT;
	const json_t *v;
	int i, rc = 0;

	for (i = 0; res->required[i] != NULL; i++) {
		v = json_object_get(body, res->required[i]);
		if (v == NULL || json_is_null(v))
			buf_printf(&missing, "%s%s", missing.len > 0 ? ", " : "",
			    res->required[i]);
	}
	if (missing.len > 0)
		rc = sdc_make_error_code(err, SAPI_E_MISSING_PARAMETER,
		    "missing required keys: %s", buf_str(&missing));
	buf_free(&missing);
	return rc;
}

/* The string fields (required ones included): type-check and copy. */
static int
sapi_objects_copy_strings(const char *const *keys, const json_t *body,
    json_t *obj, sdc_error_t *err)
{
	const json_t *v;
	int i;

	for (i = 0; keys[i] != NULL; i++) {
		v = json_object_get(body, keys[i]);
		if (v == NULL || json_is_null(v))
			continue;
		if (!json_is_string(v) || json_string_length(v) == 0)
			return sdc_make_error_code(err, SAPI_E_INVALID_ARGUMENT,
			    "%s must be a non-empty string", keys[i]);
		json_object_set(obj, keys[i], (json_t *)v);
	}
	return 0;
}

static int
sapi_objects_uuid(const json_t *body, json_t *obj, sdc_error_t *err)
{
	const json_t *v = json_object_get(body, "uuid");
	char uuid[UUID_LEN + 1];

	if (v == NULL || json_is_null(v)) {
		uuid_make(uuid);
		json_object_set_new(obj, "uuid", json_string(uuid));
		return 0;
	}
	if (!json_is_string(v) || !uuid_valid(json_string_value(v)))
		return sdc_make_error_code(err, SAPI_E_INVALID_ARGUMENT,
		    "uuid must be a UUID (lower-case, with dashes)");
	json_object_set(obj, "uuid", (json_t *)v);
	return 0;
}

/* The parent named in the body, which must exist. */
static json_t *
sapi_objects_parent(struct sapi *s, const struct sapi_resource *res,
    const json_t *body, json_t *obj, sdc_error_t *err)
{
	const char *uuid = json_str(body, res->parent_field, NULL);
	json_t *parent;

	if (uuid == NULL || !uuid_valid(uuid)) {
		sdc_make_error_code(err, SAPI_E_INVALID_ARGUMENT,
		    "%s must be a UUID", res->parent_field);
		return NULL;
	}
	if ((parent = sapi_model_get(s->model, res->parent_kind, uuid,
	    err)) == NULL)
		return NULL;
	json_object_set_new(obj, res->parent_field, json_string(uuid));
	return parent;
}

static int
sapi_objects_type(const json_t *body, const json_t *parent, json_t *obj,
    sdc_error_t *err)
{
	const json_t *v = json_object_get(body, "type");
	const char *t;

	if (v == NULL || json_is_null(v)) {
		t = json_str(parent, "type", "vm");
	} else {
		t = json_string_value(v);
		if (t == NULL || (strcmp(t, "vm") != 0 &&
		    strcmp(t, "agent") != 0))
			return sdc_make_error_code(err, SAPI_E_INVALID_ARGUMENT,
			    "type must be \"vm\" or \"agent\"");
	}
	json_object_set_new(obj, "type", json_string(t));
	return 0;
}

/* params, metadata, manifests (and an application's metadata_schema):
 * what a PUT with action "replace" would set on an empty object. */
static int
sapi_objects_maps(const struct sapi_resource *res, const json_t *body,
    json_t *obj, sdc_error_t *err)
{
	json_t *args;
	int rc;

	if (res->kind == SAPI_MANIFEST)
		return 0;
	json_object_set_new(obj, "params", json_object());
	json_object_set_new(obj, "metadata", json_object());
	json_object_set_new(obj, "manifests", json_object());
	args = json_copy((json_t *)body);
	json_object_set_new(args, "action", json_string("replace"));
	json_object_del(args, "name");          /* already checked */
	rc = sapi_update_apply(obj, res->kind, args, err);
	json_decref(args);
	return rc;
}

json_t *
sapi_objects_create(struct sapi *s, const struct sapi_resource *res,
    const json_t *body, sdc_error_t *err)
{
	json_t *obj = json_object(), *parent = NULL;

	if (sapi_objects_check_required(res, body, err) < 0 ||
	    sapi_objects_uuid(body, obj, err) < 0 ||
	    sapi_objects_copy_strings(res->required, body, obj, err) < 0)
		goto fail;
	if (res->parent_field != NULL && (parent = sapi_objects_parent(s, res,
	    body, obj, err)) == NULL)
		goto fail;
	if ((res->typed && sapi_objects_type(body, parent, obj, err) < 0) ||
	    sapi_objects_copy_strings(res->strings, body, obj, err) < 0 ||
	    sapi_objects_maps(res, body, obj, err) < 0)
		goto fail;
	if (res->prepare != NULL && res->prepare(s, obj, parent, err) < 0)
		goto fail;
	if (sapi_model_insert(s->model, res->kind, obj, err) < 0 ||
	    sapi_merge_check_schema(s->model, res->kind, obj, err) < 0)
		goto fail;
	json_decref(parent);
	return obj;
fail:
	json_decref(parent);
	json_decref(obj);
	return NULL;
}

static json_t *
sapi_objects_do_post(struct sapi *s, struct http_request *req,
    const struct sapi_resource *res, const json_t *body, sdc_error_t *err)
{
	json_t *obj = sapi_objects_create(s, res, body, err);

	if (obj != NULL)
		log_emit(LOG_INFO, req->req_id, NULL, "created %s %s",
		    res->name, json_str(obj, "uuid", ""));
	return obj;
}

int
sapi_objects_post(struct http_request *req, void *arg)
{
	json_t *body;
	int rc;

	if ((body = sapi_request_object(req)) == NULL)
		return HTTP_DONE;
	rc = sapi_objects_write(req, arg, sapi_objects_do_post, body, 200);
	json_decref(body);
	return rc;
}

/* --- changing and deleting --- */

/* The object named by the path, if the If-Match header accepts it. */
static json_t *
sapi_objects_current(struct sapi *s, struct http_request *req,
    const struct sapi_resource *res, sdc_error_t *err)
{
	const char *uuid = http_param(req, "uuid");
	json_t *obj;

	if ((obj = sapi_model_get(s->model, res->kind, uuid, err)) == NULL)
		return NULL;
	if (!sapi_if_match(req, json_int(obj, "version", 0))) {
		sdc_make_error_code(err, SAPI_E_PRECONDITION, "%s %s is at "
		    "version %lld, not the one If-Match names", res->name, uuid,
		    (long long)json_int(obj, "version", 0));
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static json_t *
sapi_objects_do_put(struct sapi *s, struct http_request *req,
    const struct sapi_resource *res, const json_t *body, sdc_error_t *err)
{
	json_t *obj;

	if ((obj = sapi_objects_current(s, req, res, err)) == NULL)
		return NULL;
	if (sapi_update_apply(obj, res->kind, body, err) < 0 ||
	    sapi_model_update(s->model, res->kind, obj, err) < 0 ||
	    sapi_merge_check_schema(s->model, res->kind, obj, err) < 0) {
		json_decref(obj);
		return NULL;
	}
	log_emit(LOG_INFO, req->req_id, NULL, "updated %s %s to version %lld",
	    res->name, json_str(obj, "uuid", ""),
	    (long long)json_int(obj, "version", 0));
	return obj;
}

int
sapi_objects_put(struct http_request *req, void *arg)
{
	json_t *body;
	int rc;

	if ((body = sapi_request_object(req)) == NULL)
		return HTTP_DONE;
	rc = sapi_objects_write(req, arg, sapi_objects_do_put, body, 200);
	json_decref(body);
	return rc;
}

static json_t *
sapi_objects_do_delete(struct sapi *s, struct http_request *req,
    const struct sapi_resource *res, const json_t *body, sdc_error_t *err)
{
	json_t *obj;
	int64_t n = 0;

	if ((obj = sapi_objects_current(s, req, res, err)) == NULL)
		return NULL;
	if (sapi_model_count_children(s->model, json_str(obj, "uuid", ""), &n,
	    err) < 0)
		goto fail;
	if (n > 0) {
		sdc_make_error_code(err, SAPI_E_IN_USE, "%s %s still has %lld "
		    "%s; delete them first", res->name, json_str(obj, "uuid", ""),
		    (long long)n, res->kind == SAPI_APPLICATION ? "services" :
		    "instances");
		goto fail;
	}
	if (sapi_model_delete(s->model, res->kind, json_str(obj, "uuid", ""),
	    err) < 0)
		goto fail;
	log_emit(LOG_INFO, req->req_id, NULL, "deleted %s %s", res->name,
	    json_str(obj, "uuid", ""));
	return obj;
fail:
	json_decref(obj);
	return NULL;
}

int
sapi_objects_delete(struct http_request *req, void *arg)
{
	return sapi_objects_write(req, arg, sapi_objects_do_delete, NULL, 204);
}
