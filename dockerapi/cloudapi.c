/*
 * cloudapi.c: the part of Triton's CloudAPI that sdc-docker-setup.sh uses.
 *
 * The setup script proves the user holds an account's SSH key by signing
 * the Date header (HTTP Signature), then asks where the docker endpoint
 * is.  That is all this listener does: /--ping, /:login (or /my) and
 * /:login/services.  Errors are CloudAPI's {"code", "message"}.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certgen/certgen.h"
#include "dockerapi.h"
#include "jsonutil.h"
#include "log.h"
#include "timeutil.h"
#include "xalloc.h"

#define CLOUDAPI_CLOCK_SKEW 300         /* seconds a Date may be off */

static int
cloudapi_error(struct http_request *req, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
cloudapi_error(struct http_request *req, int status, const char *code,
    const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	http_reply_json(req, status, json_pack("{s:s, s:s}", "code", code, "message", msg));
	free(msg);
	return HTTP_DONE;
}

static int
cloudapi_ping(struct http_request *req, void *arg)
{
	return api_json(req, 200, json_pack("{s:s, s:{s:[s]}}", "ping", "pong",
	    "cloudapi", "versions", "9.0.0"));
}

/* Date: an RFC 1123 time within CLOUDAPI_CLOCK_SKEW of ours. */
static int
check_date(struct http_request *req, const char *date)
{
	sdc_error_t err = NULL;
	int64_t when;

	if (date == NULL)
		return cloudapi_error(req, 401, "InvalidCredentials",
		    "the request has no Date header to check the signature over") - 1;
	if (time_parse_http_date(date, &when, &err) < 0) {
		sdc_error_release(&err);
		return cloudapi_error(req, 401, "InvalidCredentials",
		    "Date header \"%s\" is not an RFC 1123 time", date) - 1;
	}
	if (labs((long)(when - time(NULL))) > CLOUDAPI_CLOCK_SKEW)
		return cloudapi_error(req, 401, "InvalidCredentials", "Date header is "
		    "more than %d seconds off the server's clock; check the client's "
		    "clock", CLOUDAPI_CLOCK_SKEW) - 1;
	return 0;
}

/* The key named by the signature's fingerprint among the account's keys. */
static int
verify_with_account(struct dockerapi *d, const struct account *a,
    const struct certgen_httpsig *hs, const char *date, sdc_error_t *err)
{
	struct certgen_pubkey *keys;
	size_t n;
	int rc = -1;

	if (account_pubkeys(d, a, &keys, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].md5, hs->fingerprint) == 0) {
			rc = certgen_httpsig_verify(hs, date, &keys[i], err);
			break;
		}
	if (rc < 0 && *err == NULL)
		sdc_make_error(err, 0, "%s is not a key of account %s",
		    hs->fingerprint, a->login);
	account_pubkeys_free(keys, n);
	return rc;
}

/* The account the request is signed for, or NULL having answered. */
static struct account *
cloudapi_auth(struct dockerapi *d, struct http_request *req)
{
	const char *want = http_param(req, "login");
	const char *date = http_header(req, "Date");
	const char *authz = http_header(req, "Authorization");
	struct certgen_httpsig hs = { 0 };
	struct account *a = NULL;
	sdc_error_t err = NULL;

	if (authz == NULL) {
		cloudapi_error(req, 401, "InvalidCredentials",
		    "Authorization header is required (HTTP Signature)");
		return NULL;
	}
	if (check_date(req, date) < 0)
		return NULL;
	if (certgen_httpsig_parse(authz, &hs, &err) < 0) {
		cloudapi_error(req, 401, "InvalidCredentials", "%s", sdc_error_msg(err));
		goto out;
	}
	if (want != NULL && strcmp(want, "my") != 0 && strcmp(want, hs.login) != 0) {
		cloudapi_error(req, 403, "NotAuthorized", "%s may not act as %s",
		    hs.login, want);
		goto out;
	}
	a = account_find(d, hs.login, &err);
	if (a == NULL || verify_with_account(d, a, &hs, date, &err) < 0) {
		log_emit(LOG_INFO, req->req_id, NULL, "cloudapi: refused %s: %s",
		    hs.login, sdc_error_msg(err));
		cloudapi_error(req, 401, "InvalidCredentials", "Invalid signature: "
		    "%s is not an SSH key of account %s", hs.fingerprint, hs.login);
		account_free(a);
		a = NULL;
		goto out;
	}
	if (a->disabled) {
		cloudapi_error(req, 403, "NotAuthorized", "account %s is disabled", a->login);
		account_free(a);
		a = NULL;
	}
out:
	sdc_error_release(&err);
	certgen_httpsig_clear(&hs);
	return a;
}

static int
cloudapi_account(struct http_request *req, void *arg)
{
	struct account *a = cloudapi_auth(arg, req);
	json_t *v;

	if (a == NULL)
		return HTTP_DONE;
	v = json_pack("{s:s, s:s, s:s?, s:I, s:b}", "id", a->uuid, "login", a->login,
	    "email", a->email, "created", (json_int_t)a->created,
	    "approved_for_provisioning", a->approved);
	account_free(a);
	return api_json(req, 200, v);
}

/* Where the docker endpoint is: DOCKER_SERVICE from SAPI when set, else
 * this daemon's own docker listener under the server's name. */
static char *
docker_service_url(struct dockerapi *d)
{
	const char *url = tunable_str(d, "DOCKER_SERVICE", "");
	char *out;

	if (*url != '\0')
		return xstrdup(url);
	xasprintf(&out, "tcp://%s:%d", d->cfg.server_name,
	    http_server_port(d->docker_srv, 0));
	return out;
}

static int
cloudapi_services(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct account *a = cloudapi_auth(d, req);
	char *url;

	if (a == NULL)
		return HTTP_DONE;
	account_free(a);
	url = docker_service_url(d);
	api_json(req, 200, json_pack("{s:s}", "docker", url));
	free(url);
	return HTTP_DONE;
}

static const struct route cloudapi_routes[] = {
	{ "GET", "/--ping", cloudapi_ping, 0, NULL },
	{ "GET", "/:login", cloudapi_account, 0, NULL },
	{ "GET", "/:login/services", cloudapi_services, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};

static int
cloudapi_dispatch(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	const struct route *route;
	int status;

	route = router_match(d->cloudapi_router, req, &status);
	if (route == NULL)
		return cloudapi_error(req, status, status == 405 ? "BadMethod" :
		    "ResourceNotFound", "%s %s does not exist", req->method, req->path);
	return route->handler(req, d);
}

int
cloudapi_init(struct dockerapi *d, sdc_error_t *err)
{
	d->cloudapi_router = router_new(0);
	router_add_table(d->cloudapi_router, cloudapi_routes);
	http_server_set_handler(d->cloudapi_srv, cloudapi_dispatch, d);
	return 0;
}
