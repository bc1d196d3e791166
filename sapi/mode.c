/*
 * mode.c: GET /ping, GET|POST /mode.
 *
 * Triton's SAPI started in "proto" mode (objects in a local file, before
 * the data center's database existed) and was switched to "full" once.
 * This one always stores durably, so it is always "full": POST /mode with
 * mode=full is accepted and changes nothing, and going back to proto is
 * refused as Triton refused it.  /ping also says whether the store
 * answers, which is what a health check wants to know.
 */
#include <string.h>

#include "server.h"

static int
sapi_mode_ping(struct http_request *req, void *arg)
{
	struct sapi *s = arg;
	bool ok = sapi_model_available(s->model);

	return sapi_send(req, ok ? 200 : 503, json_pack("{s:s, s:s, s:b}",
	    "mode", "full", "storType", sapi_model_backend(s->model), "storAvailable", ok));
}

static int
sapi_mode_get(struct http_request *req, void *arg)
{
	return sapi_send(req, 200, json_string("full"));
}

/* The mode comes as ?mode=, or in a JSON body {"mode": ...}. */
static int
sapi_mode_post(struct http_request *req, void *arg)
{
	const char *mode = http_query(req, "mode");
	json_t *body = NULL;
	int rc;

	if (mode == NULL && req->body.len > 0) {
		if ((body = sapi_request_object(req)) == NULL)
			return HTTP_DONE;       /* answered: 400 */
		mode = json_string_value(json_object_get(body, "mode"));
	}
	if (mode == NULL)
		rc = sapi_reply_fail(req, SAPI_E_MISSING_PARAMETER,
		    "missing required keys: mode");
	else if (strcmp(mode, "full") == 0)
		rc = sapi_send(req, 204, NULL);
	else if (strcmp(mode, "proto") == 0)
		rc = sapi_reply_fail(req, SAPI_E_INVALID_ARGUMENT,
		    "cannot go back from full mode to proto mode");
	else
		rc = sapi_reply_fail(req, SAPI_E_INVALID_ARGUMENT,
		    "mode must be \"full\" or \"proto\"");
	json_decref(body);
	return rc;
}

const struct route sapi_mode_routes[] = {
	{ "GET", "/ping", sapi_mode_ping, 0, NULL },
	{ "GET", "/mode", sapi_mode_get, 0, NULL },
	{ "POST", "/mode", sapi_mode_post, 0, NULL },
	{ 0 }
};
