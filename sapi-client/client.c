/*
 * client.c: one HTTP exchange with the config service.
 *
 * Every call builds a request on the client's one easy handle (reused, so
 * the connection is kept alive between calls) and runs it through a multi
 * handle instead of curl_easy_perform: the watch's thread sits in a long
 * poll for a minute at a time, and curl_multi_wakeup() is what lets
 * sapi_watch_stop() cut that short from another thread.  An answer of 400
 * or more becomes an error whose code is the status and whose message
 * carries SAPI's {"code", "message"}; a failure to connect one whose code is
 * the CURLcode.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "client.h"
#include "jsonutil.h"
#include "xalloc.h"

static pthread_once_t sapi_client_once = PTHREAD_ONCE_INIT;

static void
sapi_client_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

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

struct sapi_client *
sapi_client_new(const char *url, sdc_error_t *err)
{
	struct sapi_client *c;
	size_t n;

	pthread_once(&sapi_client_once, sapi_client_global_init);
	if (url == NULL || *url == '\0')
		url = getenv("SAPI_URL");
	if (url == NULL || *url == '\0')
		url = SAPI_DEFAULT_URL;
	c = xcalloc(1, sizeof *c);
	if (strncmp(url, "unix:", 5) == 0) {
		c->unix_path = xstrdup(url + 5);
		c->base = xstrdup("http://localhost");
	} else if (strncmp(url, "http://", 7) == 0 ||
	    strncmp(url, "https://", 8) == 0) {
		c->base = xstrdup(url);
		n = strlen(c->base);
		while (n > 0 && c->base[n - 1] == '/')
			c->base[--n] = '\0';
	} else {
		free(c);
		sdc_make_error_code(err, CURLE_URL_MALFORMAT, "%s: not an "
		    "http:// URL or unix:PATH", url);
		return NULL;
	}
	c->url = xstrdup(url);
	c->timeout_ms = 30000;
	c->easy = curl_easy_init();
	c->multi = curl_multi_init();
	if (c->easy == NULL || c->multi == NULL) {
		sapi_client_free(c);
		sdc_make_error_code(err, CURLE_FAILED_INIT,
		    "cannot initialise libcurl");
		return NULL;
	}
	return c;
}

void
sapi_client_free(struct sapi_client *c)
{
	if (c == NULL)
		return;
	if (c->easy != NULL)
		curl_easy_cleanup(c->easy);
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
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
	atomic_store(&c->stop, true);
	curl_multi_wakeup(c->multi);
}

/* --- one exchange --- */

static size_t
sapi_client_body_cb(char *data, size_t size, size_t n, void *arg)
{
	buf_append(arg, data, size * n);
	return size * n;
}

static size_t
sapi_client_header_cb(char *data, size_t size, size_t n, void *arg)
{
	struct sapi_response *r = arg;
	size_t len = size * n, vlen;
	const char *v;

	if (len > 5 && strncasecmp(data, "ETag:", 5) == 0) {
		v = data + 5;
		vlen = len - 5;
		while (vlen > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vlen--;
		}
		while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' ||
		    v[vlen - 1] == ' '))
			vlen--;
		free(r->etag);
		r->etag = xstrndup(v, vlen);
	}
	return len;
}

/* Run the easy handle to completion through the multi handle. */
static CURLcode
sapi_client_run(struct sapi_client *c)
{
	CURLcode result = CURLE_OK;
	CURLMsg *msg;
	int running = 1, left;

	curl_multi_add_handle(c->multi, c->easy);
	while (running > 0) {
		if (curl_multi_perform(c->multi, &running) != CURLM_OK) {
			result = CURLE_FAILED_INIT;
			break;
		}
		if (running == 0)
			break;
		if (atomic_load(&c->stop)) {
			result = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		curl_multi_poll(c->multi, NULL, 0, 1000, NULL);
	}
	while (result == CURLE_OK &&
	    (msg = curl_multi_info_read(c->multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
			result = msg->data.result;
	curl_multi_remove_handle(c->multi, c->easy);
	return result;
}

static void
sapi_client_setup(struct sapi_client *c, const char *method, const char *url,
    const char *body, struct curl_slist *headers, struct sapi_response *r,
    long timeout_ms)
{
	CURL *e = c->easy;

	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "GET") == 0)
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	if (body != NULL) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sapi_client_body_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, sapi_client_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	if (c->unix_path != NULL)
		curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, c->unix_path);
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
	struct curl_slist *headers = NULL;
	char *url, *body = NULL, *h;
	CURLcode cc;
	int rc = 0;

	memset(r, 0, sizeof *r);
	xasprintf(&url, "%s%s", c->base, rq->path);
	if (rq->body != NULL) {
		body = json_text(rq->body);
		headers = curl_slist_append(headers,
		    "Content-Type: application/json");
	}
	headers = curl_slist_append(headers, "Accept: application/json");
	headers = curl_slist_append(headers, "Expect:");
	if (rq->if_match > 0) {
		xasprintf(&h, "If-Match: \"%lld\"", (long long)rq->if_match);
		headers = curl_slist_append(headers, h);
		free(h);
	}
	if (rq->if_none_match != NULL) {
		xasprintf(&h, "If-None-Match: %s", rq->if_none_match);
		headers = curl_slist_append(headers, h);
		free(h);
	}
	sapi_client_setup(c, rq->method, url, body, headers, r,
	    rq->timeout_ms > 0 ? rq->timeout_ms : c->timeout_ms);
	cc = sapi_client_run(c);
	if (cc != CURLE_OK) {
		rc = sdc_make_error_code(err, (int)cc, "%s %s: %s", rq->method,
		    url, curl_easy_strerror(cc));
	} else {
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &r->status);
		if (r->status >= 400)
			rc = sapi_client_http_error(rq->method, rq->path, r, err);
	}
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
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
	char *e = curl_easy_escape(c->easy, s, 0), *out;

	out = xstrdup(e != NULL ? e : "");
	curl_free(e);
	return out;
}
