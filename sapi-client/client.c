/*
 * client.c: one HTTP exchange with the config service.
 *
 * Every call is a request on the client's one fetch client (lib/fetch.h,
 * libcurl), which keeps the connection alive between calls.  The watch's
 * thread sits in a long poll for a minute at a time; fetch_interrupt()
 * wakes it from another thread, which is what lets sapi_watch_stop() cut
 * that short.  An answer of 400 or more becomes an error whose code is the
 * status and whose message carries SAPI's {"code", "message"}; a failure to
 * connect one whose code is the client's FETCH_E_* (below 100).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "client.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "xalloc.h"

/* SAPI answers are JSON documents; a whole listing stays well below. */
#define SAPI_ANSWER_MAX (64 * 1024 * 1024)

const char *
sapi_object_path(enum sapi_object kind)
{
	switch (kind) {
	case SAPI_OBJ_APPLICATION:
		return "applications";
	case SAPI_OBJ_SERVICE:
		return "services";
	case SAPI_OBJ_INSTANCE:
		return "instances";
	case SAPI_OBJ_MANIFEST:
		return "manifests";
	}
	return "objects";
}

char *
sapi_default_url(void)
{
	char *dir = fs_state_dir("sapi"), *url;

	xasprintf(&url, "unix:%s/sapi.sock", dir);
	free(dir);
	return url;
}

/* cert.pem, key.pem and ca.pem of dir into the options (free them with
 * the client). */
static int
sapi_client_certs(struct sapi_client *c, const char *dir, sdc_error_t *err)
{
	static const char *const names[] = { "cert.pem", "key.pem", "ca.pem" };
	char **paths[] = { &c->cert_file, &c->key_file, &c->ca_file };

	for (size_t i = 0; i < 3; i++) {
		xasprintf(paths[i], "%s/%s", dir, names[i]);
		if (access(*paths[i], R_OK) != 0)
			return sdc_make_error_code(err, FETCH_E_TLS,
			    "%s: %s (SAPI_CERT_PATH holds the operator's "
			    "cert.pem, key.pem and ca.pem)", *paths[i],
			    strerror(errno));
	}
	return 0;
}

struct sapi_client *
sapi_client_new_tls(const char *url, const char *cert_path, sdc_error_t *err)
{
	struct fetch_options o = { .connect_timeout_ms = 5000 };
	struct sapi_client *c;
	char *def = NULL;
	size_t n;

	if (url == NULL || *url == '\0')
		url = getenv("SAPI_URL");
	if (url == NULL || *url == '\0')
		url = def = sapi_default_url();
	if (cert_path == NULL)
		cert_path = getenv("SAPI_CERT_PATH");
	c = xcalloc(1, sizeof *c);
	c->url = xstrdup(url);
	if (strncmp(url, "unix://", 7) == 0 && url[7] == '/') {
		c->unix_path = xstrdup(url + 7);
		c->base = xstrdup("http://localhost");
	} else if (strncmp(url, "unix:", 5) == 0 && url[5] != '\0' &&
	    strncmp(url, "unix://", 7) != 0) {
		c->unix_path = xstrdup(url + 5);
		c->base = xstrdup("http://localhost");
	} else if (strncmp(url, "http://", 7) == 0 ||
	    strncmp(url, "https://", 8) == 0) {
		c->base = xstrdup(url);
		n = strlen(c->base);
		while (n > 0 && c->base[n - 1] == '/')
			c->base[--n] = '\0';
	} else {
		sdc_make_error_code(err, FETCH_E_URL, "%s: not unix:PATH, "
		    "https:// or http://", url);
		goto fail;
	}
	if (strncmp(url, "https://", 8) == 0 && cert_path != NULL &&
	    *cert_path != '\0' && sapi_client_certs(c, cert_path, err) < 0)
		goto fail;
	free(def);
	c->timeout_ms = 30000;
	o.unix_path = c->unix_path;
	o.cert_file = c->cert_file;
	o.key_file = c->key_file;
	o.ca_file = c->ca_file;
	c->http = fetch_new(&o);
	return c;
fail:
	free(def);
	sapi_client_free(c);
	return NULL;
}

struct sapi_client *
sapi_client_new(const char *url, sdc_error_t *err)
{
	return sapi_client_new_tls(url, NULL, err);
}

void
sapi_client_free(struct sapi_client *c)
{
	if (c == NULL)
		return;
	fetch_free(c->http);
	free(c->cert_file);
	free(c->key_file);
	free(c->ca_file);
	free(c->url);
	free(c->base);
	free(c->unix_path);
	free(c);
}

const char *
sapi_client_url(const struct sapi_client *c)
{
	return c->url;
}

void
sapi_client_set_timeout(struct sapi_client *c, long ms)
{
	c->timeout_ms = ms;
}

void
sapi_client_interrupt(struct sapi_client *c)
{
	fetch_interrupt(c->http);
}

/* The error for an answer >= 400: "STATUS CodeName: message". */
static int
sapi_client_http_error(const char *method, const char *path,
    struct sapi_response *r, sdc_error_t *err)
{
	json_t *j = json_loads(buf_str(&r->body), 0, NULL);
	const char *code = json_str(j, "code", NULL);
	const char *msg = json_str(j, "message", NULL);
	int rc;

	if (code != NULL && msg != NULL)
		rc = sdc_make_error_code(err, (int)r->status, "%s %s: %s: %s",
		    method, path, code, msg);
	else
		rc = sdc_make_error_code(err, (int)r->status, "%s %s: HTTP %ld",
		    method, path, r->status);
	json_decref(j);
	return rc;
}

int
sapi_client_request(struct sapi_client *c, const struct sapi_request *rq,
    struct sapi_response *r, sdc_error_t *err)
{
	struct fetch_request hr = { .method = rq->method,
		.body_max = SAPI_ANSWER_MAX };
	struct fetch_response hres;
	const char *headers[5];
	char *url, *body = NULL, *if_match = NULL, *if_none = NULL;
	const char *etag;
	size_t nh = 0;
	int rc = 0;

	memset(r, 0, sizeof *r);
	xasprintf(&url, "%s%s", c->base, rq->path);
	headers[nh++] = "Accept: application/json";
	if (rq->body != NULL) {
		body = json_text(rq->body);
		headers[nh++] = "Content-Type: application/json";
		hr.body = body;
		hr.body_len = strlen(body);
	}
	if (rq->if_match > 0) {
		xasprintf(&if_match, "If-Match: \"%lld\"",
		    (long long)rq->if_match);
		headers[nh++] = if_match;
	}
	if (rq->if_none_match != NULL) {
		xasprintf(&if_none, "If-None-Match: %s", rq->if_none_match);
		headers[nh++] = if_none;
	}
	headers[nh] = NULL;
	hr.url = url;
	hr.headers = headers;
	hr.timeout_ms = rq->timeout_ms > 0 ? rq->timeout_ms : c->timeout_ms;
	if (fetch_request(c->http, &hr, &hres, err) < 0) {
		if (strncmp(c->base, "https://", 8) == 0 && c->cert_file == NULL)
			sdc_error_wrap(err, "no client certificate (sapi on "
			    "TCP wants the operator's: set SAPI_CERT_PATH)");
		rc = sdc_error_wrap(err, "%s", rq->method);
	}
	else {
		r->status = hres.status;
		if ((etag = fetch_header(&hres, "ETag")) != NULL)
			r->etag = xstrdup(etag);
		r->body = hres.body;
		memset(&hres.body, 0, sizeof hres.body);
		fetch_response_free(&hres);
		if (r->status >= 400)
			rc = sapi_client_http_error(rq->method, rq->path, r, err);
	}
	free(if_match);
	free(if_none);
	free(body);
	free(url);
	if (rc < 0)
		sapi_response_free(r);
	return rc;
}

json_t *
sapi_response_json(struct sapi_response *r, const char *what, sdc_error_t *err)
{
	json_t *j = json_parse(r->body.data != NULL ? r->body.data : "",
	    r->body.len, err);

	if (j == NULL)
		sdc_error_wrap(err, "%s: the answer is not JSON", what);
	return j;
}

void
sapi_response_free(struct sapi_response *r)
{
	buf_free(&r->body);
	free(r->etag);
	r->etag = NULL;
}

char *
sapi_client_escape(struct sapi_client *c, const char *s)
{
	(void)c;
	return fetch_escape(s);
}
