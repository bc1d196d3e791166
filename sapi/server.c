/*
 * server.c: from a request to a handler, and the ways handlers answer.
 *
 * Every answer that is not a success goes through sapi_reply_error, so the
 * error body is always SAPI's {"code", "message"} and the status always the
 * one errors.c derives from the code.  Objects carry their version as a
 * strong ETag ("3"); If-Match takes that form, the bare number, a weak tag
 * or "*", so a shell script can pass the version it read without quoting
 * games.  On a unix socket, only root and sapi's own user are answered.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonutil.h"
#include "log.h"
#include "server.h"
#include "xalloc.h"

/* A JSON string of a message that may quote a client's bytes. */
static json_t *
sapi_json_text(const char *msg)
{
	json_t *s = json_string(msg);
	char *copy, *p;

	if (s != NULL)
		return s;
	copy = xstrdup(msg);
	for (p = copy; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	s = json_string(copy);
	free(copy);
	return s;
}

int
sapi_reply_error(struct http_request *req, sdc_error_t *err)
{
	int status = sapi_error_status(*err);
	json_t *body;

	if (status >= 500)
		log_emit(LOG_ERROR, req->req_id, NULL, "%s %s: %s", req->method,
		    req->path, sdc_error_msg(*err));
	body = json_pack("{s:s, s:o}", "code", sapi_error_name(*err),
	    "message", sapi_json_text(sdc_error_msg(*err)));
	sdc_error_release(err);
	return sapi_send(req, status, body);
}

int
sapi_reply_fail(struct http_request *req, enum sapi_errcode code,
    const char *fmt, ...)
{
	sdc_error_t err = NULL;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	sdc_make_error_code(&err, code, "%s", msg);
	free(msg);
	return sapi_reply_error(req, &err);
}

int
sapi_reply_object(struct http_request *req, int status, json_t *obj)
{
	char etag[32];

	snprintf(etag, sizeof etag, "\"%lld\"",
	    (long long)json_int(obj, "version", 0));
	http_set_header(req, "ETag", etag);
	return sapi_send(req, status, obj);
}

json_t *
sapi_request_object(struct http_request *req)
{
	sdc_error_t err = NULL;
	json_t *body;

	if ((body = http_body_json(req, &err)) == NULL) {
		sapi_reply_fail(req, SAPI_E_INVALID_CONTENT,
		    "the body is not valid JSON: %s", sdc_error_msg(err));
		sdc_error_release(&err);
		return NULL;
	}
	if (!json_is_object(body)) {
		sapi_reply_fail(req, SAPI_E_INVALID_CONTENT,
		    "the body must be a JSON object, not %s",
		    json_type_name(body));
		json_decref(body);
		return NULL;
	}
	return body;
}

/* Call fn on each entity-tag of a list header ("a", W/"b", *), quotes and
 * weakness removed; stop when it returns true. */
static bool
sapi_tags_any(const char *header, bool (*fn)(const char *tag, size_t len,
    const void *arg), const void *arg)
{
	const char *p = header, *end;
	size_t len;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		end = p;
		if (*p == '"') {
			p++;
			end = strchr(p, '"');
			if (end == NULL)
				end = p + strlen(p);
			len = (size_t)(end - p);
			if (*end == '"')
				end++;
		} else {
			end = p + strcspn(p, ", \t");
			len = (size_t)(end - p);
		}
		if (fn(p, len, arg))
			return true;
		p = end;
		while (*p != '\0' && *p != ',')
			p++;
	}
	return false;
}

static bool
sapi_tag_is(const char *tag, size_t len, const void *arg)
{
	const char *want = arg;

	if (len == 1 && tag[0] == '*')
		return true;
	return strlen(want) == len && memcmp(tag, want, len) == 0;
}

bool
sapi_if_match(const struct http_request *req, json_int_t version)
{
	const char *h = http_header(req, "If-Match");
	char want[32];

	if (h == NULL)
		return true;
	snprintf(want, sizeof want, "%lld", (long long)version);
	return sapi_tags_any(h, sapi_tag_is, want);
}

bool
sapi_etag_listed(const char *header, const char *etag)
{
	char *bare;
	size_t n = strlen(etag);
	bool hit;

	if (header == NULL)
		return false;
	if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"')
		bare = xstrndup(etag + 1, n - 2);
	else
		bare = xstrdup(etag);
	hit = sapi_tags_any(header, sapi_tag_is, bare);
	free(bare);
	return hit;
}

void
sapi_dispatch_init(struct sapi *s)
{
	s->router = router_new(0);
	router_add_table(s->router, sapi_application_routes);
	router_add_table(s->router, sapi_service_routes);
	router_add_table(s->router, sapi_instance_routes);
	router_add_table(s->router, sapi_manifest_routes);
	router_add_table(s->router, sapi_config_routes);
	router_add_table(s->router, sapi_mode_routes);
}

int
sapi_dispatch(struct http_request *req, void *arg)
{
	struct sapi *s = arg;
	const struct route *r;
	long uid = http_peer_uid(req);
	int status = 404;

	req->data = s;
	/* The socket is 0600 in a 0700 folder; this still holds if its
	 * mode is loosened or it is moved elsewhere. */
	if (uid >= 0 && uid != 0 && uid != (long)geteuid())
		return sapi_reply_fail(req, SAPI_E_FORBIDDEN, "uid %ld may not "
		    "use the config service", uid);
	if ((r = router_match(s->router, req, &status)) != NULL)
		return r->handler(req, s);
	if (status == 405)
		return sapi_send(req, 405, json_pack("{s:s, s:s+}", "code",
		    "BadMethod", "message", req->method, " is not allowed here"));
	return sapi_reply_fail(req, SAPI_E_NOT_FOUND, "%s does not exist",
	    req->path);
}
