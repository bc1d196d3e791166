/*
 * calls.c: libsapi's blocking calls, one per route.
 *
 * The object calls are the same for the four kinds but for the path, so
 * they take the kind as an argument instead of being written four times.
 * Every piece of a path that comes from the caller is percent-encoded: a
 * uuid argument of "../x" names no object rather than another route.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "client.h"
#include "jsonutil.h"
#include "xalloc.h"

/* The path /KIND/UUID. */
static char *
sapi_calls_path(struct sapi_client *c, enum sapi_object kind, const char *uuid)
{
	char *u = sapi_client_escape(c, uuid), *path;

	xasprintf(&path, "/%s/%s", sapi_object_path(kind), u);
	free(u);
	return path;
}

/* Run a request whose answer is a JSON value. */
static json_t *
sapi_calls_json(struct sapi_client *c, const struct sapi_request *rq,
    sdc_error_t *err)
{
	struct sapi_response r;
	json_t *j;

	if (sapi_client_request(c, rq, &r, err) < 0)
		return NULL;
	j = sapi_response_json(&r, rq->path, err);
	sapi_response_free(&r);
	return j;
}

json_t *
sapi_client_get(struct sapi_client *c, enum sapi_object kind, const char *uuid,
    sdc_error_t *err)
{
	struct sapi_request rq = { .method = "GET" };
	char *path = sapi_calls_path(c, kind, uuid);
	json_t *j;

	rq.path = path;
	j = sapi_calls_json(c, &rq, err);
	free(path);
	return j;
}

json_t *
sapi_client_list(struct sapi_client *c, enum sapi_object kind,
    const char *const *filters, sdc_error_t *err)
{
	struct sapi_request rq = { .method = "GET" };
	struct buf path = BUF_INIT;
	char *k, *v;
	json_t *j;
	int i;

	buf_printf(&path, "/%s", sapi_object_path(kind));
	for (i = 0; filters != NULL && filters[i] != NULL &&
	    filters[i + 1] != NULL; i += 2) {
		k = sapi_client_escape(c, filters[i]);
		v = sapi_client_escape(c, filters[i + 1]);
		buf_printf(&path, "%c%s=%s", i == 0 ? '?' : '&', k, v);
		free(k);
		free(v);
	}
	rq.path = buf_str(&path);
	j = sapi_calls_json(c, &rq, err);
	buf_free(&path);
	if (j != NULL && !json_is_array(j)) {
		json_decref(j);
		sdc_make_error_code(err, 502, "GET /%s: the answer is not a list",
		    sapi_object_path(kind));
		return NULL;
	}
	return j;
}

json_t *
sapi_client_create(struct sapi_client *c, enum sapi_object kind,
    const json_t *body, sdc_error_t *err)
{
	struct sapi_request rq = { .method = "POST", .body = body };
	char path[32];

	snprintf(path, sizeof path, "/%s", sapi_object_path(kind));
	rq.path = path;
	return sapi_calls_json(c, &rq, err);
}

json_t *
sapi_client_update(struct sapi_client *c, enum sapi_object kind,
    const char *uuid, const json_t *body, json_int_t if_match,
    sdc_error_t *err)
{
	struct sapi_request rq = {
		.method = "PUT", .body = body, .if_match = if_match
	};
	char *path = sapi_calls_path(c, kind, uuid);
	json_t *j;

	rq.path = path;
	j = sapi_calls_json(c, &rq, err);
	free(path);
	return j;
}

int
sapi_client_delete(struct sapi_client *c, enum sapi_object kind,
    const char *uuid, json_int_t if_match, sdc_error_t *err)
{
	struct sapi_request rq = { .method = "DELETE", .if_match = if_match };
	struct sapi_response r;
	char *path = sapi_calls_path(c, kind, uuid);
	int rc;

	rq.path = path;
	rc = sapi_client_request(c, &rq, &r, err);
	if (rc == 0)
		sapi_response_free(&r);
	free(path);
	return rc;
}

int
sapi_client_config(struct sapi_client *c, const char *instance_uuid,
    const char *if_none_match, double wait, json_t **config, char **etag,
    sdc_error_t *err)
{
	struct sapi_request rq = {
		.method = "GET", .if_none_match = if_none_match
	};
	struct sapi_response r;
	char *u = sapi_client_escape(c, instance_uuid), *path;
	int rc = 0;

	*config = NULL;
	*etag = NULL;
	if (if_none_match != NULL && wait > 0) {
		xasprintf(&path, "/configs/%s?wait=%g", u, wait);
		rq.timeout_ms = (long)(wait * 1000) + c->timeout_ms;
	} else {
		xasprintf(&path, "/configs/%s", u);
	}
	free(u);
	rq.path = path;
	if (sapi_client_request(c, &rq, &r, err) < 0) {
		free(path);
		return -1;
	}
	if (r.status == 200) {
		if ((*config = sapi_response_json(&r, path, err)) == NULL)
			rc = -1;
		else {
			*etag = r.etag;
			r.etag = NULL;
			rc = 1;
		}
	}
	sapi_response_free(&r);
	free(path);
	return rc;
}

int
sapi_client_find_instance(struct sapi_client *c, const char *name,
    char uuid[37], sdc_error_t *err)
{
	const char *filters[] = { "name", name, NULL };
	json_t *list;
	size_t n;
	int rc = 0;

	if ((list = sapi_client_list(c, SAPI_OBJ_INSTANCE, filters, err)) == NULL)
		return -1;
	n = json_array_size(list);
	if (n != 1)
		rc = sdc_make_error_code(err, 404, "%s instance called %s",
		    n == 0 ? "no" : "more than one", name);
	else
		snprintf(uuid, 37, "%s", json_str(json_array_get(list, 0),
		    "uuid", ""));
	json_decref(list);
	return rc;
}

json_t *
sapi_client_ping(struct sapi_client *c, sdc_error_t *err)
{
	struct sapi_request rq = { .method = "GET", .path = "/ping" };

	return sapi_calls_json(c, &rq, err);
}
