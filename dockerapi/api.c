/*
 * api.c: the Docker API's front door.
 *
 * Every file of api/ exports the table of the routes it serves, beside
 * their handlers; api_init() puts them all in one router.  api_dispatch()
 * then runs the checks every route shares, in the order a client would
 * want to hear about them: is the data center in maintenance (then no
 * write goes anywhere), is this path a thing at all, does the client speak
 * an API version we serve, who is calling, may they provision.  Only then
 * does the handler run, with the caller's account at hand through
 * api_account().
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dockerapi.h"
#include "heads.h"
#include "jsonutil.h"
#include "log.h"
#include "timeutil.h"
#include "volumes.h"
#include "networks.h"
#include "xalloc.h"

/* The table of each file of api/ (dockerapi.h). */
const struct api_endpoint *const api_tables[] = {
	build_routes,
	containers_archive_routes,
	containers_attach_routes,
	containers_changes_routes,
	containers_commit_routes,
	containers_create_routes,
	containers_export_routes,
	containers_json_routes,
	containers_lifecycle_routes,
	containers_logs_routes,
	containers_prune_routes,
	containers_stats_routes,
	containers_top_routes,
	containers_update_routes,
	containers_wait_routes,
	exec_routes,
	images_create_routes,
	images_json_routes,
	images_name_push_routes,
	images_routes,
	images_save_load_routes,
	networks_routes,
	system_auth_routes,
	system_df_routes,
	system_events_routes,
	system_routes,
	volumes_routes,
	NULL,
};

int
api_json(struct http_request *req, int status, json_t *body)
{
	http_reply_json(req, status, body);
	return HTTP_DONE;
}

int
api_error(struct http_request *req, int status, const char *fmt, ...)
{
	va_list ap;
	json_t *body;
	char *msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (status >= 500)
		log_emit(LOG_WARN, req->req_id, NULL, "%s %s: %d %s", req->method,
		    req->target, status, msg);
	/* A name or path in msg may not be UTF-8: keep the message anyway. */
	body = json_object();
	json_object_set_new(body, "message", json_string_lossy(msg));
	http_reply_json(req, status, body);
	free(msg);
	return HTTP_DONE;
}

int
api_error_from(struct http_request *req, sdc_error_t *err)
{
	int code = *err != NULL ? (*err)->code : 0;
	int status = code >= 400 && code <= 599 ? code : 500;

	api_error(req, status, "%s", sdc_error_msg(*err));
	sdc_error_release(err);
	return HTTP_DONE;
}

int
api_minor(const struct http_request *req)
{
	return req->api_major == 0 ? API_MAX_MINOR : req->api_minor;
}

struct account *
api_account(const struct http_request *req)
{
	return req->data;
}

/* Docker's own wording, so clients that parse it keep working. */
static int
api_check_version(struct http_request *req)
{
	if (req->api_major == 0)
		return 0;
	if (req->api_major < 1 || (req->api_major == 1 && req->api_minor < API_MIN_MINOR))
		return api_error(req, 400, "client version %d.%d is too old. Minimum "
		    "supported API version is 1.%d, please upgrade your client to a "
		    "newer version", req->api_major, req->api_minor, API_MIN_MINOR) - 1;
	if (req->api_major > 1 || req->api_minor > API_MAX_MINOR)
		return api_error(req, 400, "client version %d.%d is too new. Maximum "
		    "supported API version is 1.%d", req->api_major, req->api_minor,
		    API_MAX_MINOR) - 1;
	return 0;
}

/* Seconds until DC_MAINT_ETA (an ISO-8601 UTC time), at least 1; a minute
 * when no ETA is set or it cannot be read. */
static long
maint_retry_after(const struct dockerapi *d)
{
	const char *eta = tunable_str(d, "DC_MAINT_ETA", "");
	sdc_error_t err = NULL;
	int64_t ns;
	long secs;

	if (time_parse_utc(eta, &ns, &err) < 0) {
		sdc_error_release(&err);
		return 60;
	}
	secs = (long)(ns / TIME_NS_PER_SEC - time(NULL));
	return secs > 0 ? secs : 1;
}

static int
api_check_maintenance(struct dockerapi *d, struct http_request *req)
{
	char retry[32];
	const char *msg, *eta;

	if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0 ||
	    !tunable_bool(d, "DOCKER_READONLY", false))
		return 0;
	msg = tunable_str(d, "DC_MAINT_MESSAGE", "");
	eta = tunable_str(d, "DC_MAINT_ETA", "");
	snprintf(retry, sizeof retry, "%ld", maint_retry_after(d));
	http_set_header(req, "Retry-After", retry);
	if (*msg == '\0')
		msg = "This data center is in maintenance: changes are not possible "
		    "right now.";
	if (*eta != '\0')
		api_error(req, 503, "%s (expected back: %s)", msg, eta);
	else
		api_error(req, 503, "%s", msg);
	return -1;
}

static const struct route *
api_route(struct dockerapi *d, struct http_request *req)
{
	const struct route *route = req->route;
	int status;

	if (route != NULL)
		return route;
	route = router_match(d->docker_router, req, &status);
	if (route != NULL)
		return route;
	/* Docker's routes that nothing here serves: a 501 naming the
	 * feature, only once every real route has had its chance. */
	if (status != 400 && (route = api_unsupported_match(req)) != NULL)
		return route;
	if (status == 400)
		api_error(req, 400, "malformed API version in %s", req->target);
	else if (status == 405)
		api_error(req, 405, "%s is not allowed on %s", req->method, req->path);
	else
		api_error(req, 404, "page not found");
	return NULL;
}

/* A streamed body that no handler takes (refused before the handler, or
 * not wanted by it) is read and dropped. */
static int
api_body_drop(struct http_request *req, const char *data, size_t len, void *arg)
{
	return 0;
}

/* Only routes that stream their body need deciding on before the body
 * comes; anything else, a miss included, is api_dispatch()'s to answer. */
static int
api_head(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	int status;
	const struct route *route = router_match(d->docker_router, req, &status);

	if (route != NULL && (route->flags & API_BODY_STREAM)) {
		http_set_body_limit(req, (size_t)-1);
		http_stream_body(req, api_body_drop, NULL);
	}
	return 0;
}

static int
api_dispatch(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	const struct route *route;
	const struct api_endpoint *ep;
	struct account *a = NULL;
	int rc;

	if (api_check_maintenance(d, req) < 0 || (route = api_route(d, req)) == NULL ||
	    api_check_version(req) < 0)
		return HTTP_DONE;
	ep = (const struct api_endpoint *)route;
	if (ep->min_minor != 0 && api_minor(req) < ep->min_minor)
		return api_error(req, 400, "%s %s requires API version 1.%d",
		    req->method, req->path, ep->min_minor);
	if (!(route->flags & API_NO_AUTH)) {
		if ((a = auth_account(d, req)) == NULL)
			return HTTP_DONE;
		if ((route->flags & API_PROVISION) && !a->approved) {
			api_error(req, 403, "Forbidden: account %s is not approved "
			    "for provisioning", a->login);
			account_free(a);
			return HTTP_DONE;
		}
		if (limits_admit(d, req, a, route->flags & API_LONG) < 0) {
			account_free(a);
			return HTTP_DONE;
		}
	}
	req->data = a;
	heads_sync_catch_up(d);	/* what the other heads did, first */
	rc = route->handler(req, d);
	/* The account is lent to the handler for the call; an async handler
	 * copies what it needs and may reuse req->data for itself. */
	if (req->data == a)
		req->data = NULL;
	account_free(a);
	return rc;
}

int
api_init(struct dockerapi *d, sdc_error_t *err)
{
	d->docker_router = router_new(ROUTER_VERSION_PREFIX);
	for (size_t t = 0; api_tables[t] != NULL; t++)
		for (const struct api_endpoint *ep = api_tables[t];
		    ep->route.pattern != NULL; ep++)
			router_add(d->docker_router, &ep->route);
	http_server_set_handler(d->docker_srv, api_dispatch, d);
	http_server_set_head_hook(d->docker_srv, api_head, d);
	if (d->use_tls)
		http_server_set_tls_peer_hook(d->docker_srv, auth_tls_peer, d);
	return 0;
}
