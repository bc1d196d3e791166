/*
 * fetch.c: one request and its answer over libcurl, hop by hop through
 * redirects, on the client's multi handle.
 *
 * Each hop resets the one easy handle (which keeps its connections, as
 * curl_easy_reset does) and sets it afresh: the hop's proxy, its
 * deadline, and for a request that carries a body, curl's own extras
 * ("Expect: 100-continue", a form Content-Type) turned off, so the server
 * gets what the caller wrote.  The loop waits in curl_multi_poll() at most
 * a quarter second at a time: fetch_interrupt() wakes it at once, and in
 * between it keeps the whole deadline across hops, the idle timeout and
 * the progress callback.
 *
 * Headers are kept as they come, those of an answer replacing those of
 * the one before (a proxy's CONNECT answer, an interim 100 Continue).
 * Body bytes go to the request's sink or into the response's buffer (up
 * to its cap), never both, and never those of a redirect about to be
 * followed.  Addresses are judged as libcurl opens each socket
 * (CURLOPT_OPENSOCKETFUNCTION), so a connection to a refused address is
 * never made, whatever name or redirect led there; see fetch-route.c for
 * the proxied case.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "base64.h"
#include "fetch-int.h"
#include "timeutil.h"
#include "xalloc.h"

#define FETCH_MAX_REDIRECTS 5
#define FETCH_BODY_MAX (16 * 1024 * 1024)
#define FETCH_TICK_MS 250

struct fetch {
	struct fetch_options o;
	char *unix_path, *user_agent, *ca_file, *cert_file, *key_file;
	CURLM *multi;
	CURL *easy;
	atomic_bool stopped;
	bool uploaded;                  /* the last request's body was a fd's */
};

/* One request, through its hops. */
struct fetch_xfer {
	struct fetch *c;
	const struct fetch_request *rq;
	struct fetch_response *r;
	sdc_error_t *err;
	struct fetch_url hop;
	bool proxied;                   /* this hop goes through a proxy */
	bool redirect;                  /* this answer is to be followed */
	bool refused, sink_failed, too_large, cancelled;
	int64_t got;                    /* body bytes of this answer */
	int64_t deadline;               /* monotonic ms; 0: none */
	long timeout_ms;
	int64_t last_move;              /* monotonic ms of the last byte */
	char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void
fetch_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		abort();
}

/* libcurl's allocations fail only for want of memory: as xalloc.h. */
static void
fetch_oom(void)
{
	fputs("out of memory (libcurl)\n", stderr);
	abort();
}

static char *
fetch_strdup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct fetch *
fetch_new(const struct fetch_options *o)
{
	struct fetch *c = xcalloc(1, sizeof *c);

	pthread_once(&fetch_once, fetch_global_init);
	if (o != NULL)
		c->o = *o;
	if (c->o.connect_timeout_ms <= 0)
		c->o.connect_timeout_ms = 30000;
	c->o.unix_path = c->unix_path = fetch_strdup(c->o.unix_path);
	c->o.user_agent = c->user_agent = fetch_strdup(c->o.user_agent);
	c->o.ca_file = c->ca_file = fetch_strdup(c->o.ca_file);
	c->o.cert_file = c->cert_file = fetch_strdup(c->o.cert_file);
	c->o.key_file = c->key_file = fetch_strdup(c->o.key_file);
	if ((c->multi = curl_multi_init()) == NULL ||
	    (c->easy = curl_easy_init()) == NULL)
		fetch_oom();
	/* libcurl 7.88 makes the multi handle's wake-up socketpair without
	 * close-on-exec; it is left so: every spawn closes what the child
	 * was not given (lib/run-command.c), and a walk of the process's
	 * descriptors here would reach into the other threads' */
	return c;
}

struct fetch *
fetch_dup(const struct fetch *c)
{
	return fetch_new(&c->o);
}

void
fetch_free(struct fetch *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->easy);
	curl_multi_cleanup(c->multi);
	free(c->unix_path);
	free(c->user_agent);
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	free(c);
}

void
fetch_interrupt(struct fetch *c)
{
	atomic_store(&c->stopped, true);
	curl_multi_wakeup(c->multi);
}

static void
fetch_headers_free(struct fetch_response *r)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	r->headers = NULL;
	r->nheaders = 0;
}

void
fetch_response_free(struct fetch_response *r)
{
	fetch_headers_free(r);
	buf_free(&r->body);
	free(r->url);
	memset(r, 0, sizeof *r);
}

const char *
fetch_header(const struct fetch_response *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

char *
fetch_basic_auth(const char *user, const char *pass)
{
	char *plain, *b64, *out;
	size_t n;

	n = (size_t)xasprintf(&plain, "%s:%s", user, pass != NULL ? pass : "");
	b64 = base64_encode(plain, n, true);
	xasprintf(&out, "Basic %s", b64);
	free(b64);
	free(plain);
	return out;
}

char *
fetch_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0), *out;

	if (e == NULL)
		fetch_oom();
	out = xstrdup(e);
	curl_free(e);
	return out;
}

/* --- an answer as it comes --- */

static bool
fetch_is_redirect(int status)
{
	return status == 301 || status == 302 || status == 303 ||
	    status == 307 || status == 308;
}

/* The blank line after a head: what the body will be. */
static void
fetch_head_done(struct fetch_xfer *x)
{
	struct fetch_response *r = x->r;
	const char *te = fetch_header(r, "Transfer-Encoding");
	const char *cl = fetch_header(r, "Content-Length");

	r->content_length = -1;
	if ((te == NULL || strcasestr(te, "chunked") == NULL) && cl != NULL)
		r->content_length = strtoll(cl, NULL, 10);
	x->redirect = x->c->o.follow_redirects && fetch_is_redirect(r->status) &&
	    fetch_header(r, "Location") != NULL;
}

static size_t
fetch_on_header(char *data, size_t size, size_t n, void *arg)
{
	struct fetch_xfer *x = arg;
	struct fetch_response *r = x->r;
	size_t len = size * n, nl;
	const char *colon;
	int status;

	x->last_move = time_mono_ms();
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* a new answer: a proxy's or an interim one came before */
		fetch_headers_free(r);
		r->status = 0;
		if (sscanf(data, "HTTP/%*s %d", &status) == 1)
			r->status = status;
		return size * n;
	}
	if (len == 0) {
		fetch_head_done(x);
		return size * n;
	}
	if ((colon = memchr(data, ':', len)) == NULL || data[0] == ' ' ||
	    data[0] == '\t')
		return size * n;        /* folded lines: not used here */
	nl = (size_t)(colon - data);
	colon++;
	while (colon < data + len && (*colon == ' ' || *colon == '\t'))
		colon++;
	r->headers = xrealloc(r->headers, (r->nheaders + 1) *
	    sizeof *r->headers);
	r->headers[r->nheaders].name = xstrndup(data, nl);
	r->headers[r->nheaders].value = xstrndup(colon,
	    (size_t)(data + len - colon));
	r->nheaders++;
	return size * n;
}

static int
fetch_progress(struct fetch_xfer *x)
{
	const struct fetch_request *rq = x->rq;

	if (rq->progress == NULL)
		return 0;
	if (x->redirect)        /* still asked: it may want to cancel */
		return rq->progress(rq->progress_arg, 0, -1);
	return rq->progress(rq->progress_arg, x->got, x->r->content_length);
}

static size_t
fetch_on_body(char *data, size_t size, size_t n, void *arg)
{
	struct fetch_xfer *x = arg;
	const struct fetch_request *rq = x->rq;
	size_t len = size * n;
	size_t max = rq->body_max > 0 ? rq->body_max : FETCH_BODY_MAX;

	x->last_move = time_mono_ms();
	x->got += (int64_t)len;
	if (x->redirect)
		return len;
	if (rq->sink != NULL) {
		if (rq->sink(rq->sink_arg, x->r, data, len, x->err) < 0) {
			x->sink_failed = true;
			return 0;
		}
	} else if (x->r->body.len + len <= max)
		buf_append(&x->r->body, data, len);
	else {
		x->too_large = true;
		return 0;
	}
	if (fetch_progress(x) < 0) {
		x->cancelled = true;
		return 0;
	}
	return len;
}

/* Every address of a direct connection, before the socket is made. */
static curl_socket_t
fetch_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct fetch_xfer *x = arg;
	const struct fetch_options *o = &x->c->o;

	if (purpose == CURLSOCKTYPE_IPCXN && o->addr_check != NULL &&
	    !x->proxied && a->family != AF_UNIX &&
	    o->addr_check(o->addr_check_arg, x->hop.host, x->hop.port,
	    &a->addr) < 0) {
		x->refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* --- one hop --- */

static bool
fetch_has_header(const char *const *h, const char *name)
{
	size_t n = strlen(name);

	for (; h != NULL && *h != NULL; h++)
		if (strncasecmp(*h, name, n) == 0 && (*h)[n] == ':')
			return true;
	return false;
}

static struct curl_slist *
fetch_headers(const struct fetch_request *rq, bool drop_auth, bool body)
{
	struct curl_slist *l = NULL;

	for (const char *const *h = rq->headers; h != NULL && *h != NULL; h++)
		if (!drop_auth || strncasecmp(*h, "Authorization:", 14) != 0)
			l = curl_slist_append(l, *h);
	l = curl_slist_append(l, "Expect:");
	if (body && !fetch_has_header(rq->headers, "Content-Type"))
		l = curl_slist_append(l, "Content-Type:");
	return l;
}

static void
fetch_tls_options(struct fetch *c, CURL *e)
{
	const char *file = getenv("SSL_CERT_FILE"), *dir = getenv("SSL_CERT_DIR");

	if (c->o.insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->ca_file != NULL) {
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	} else if ((file != NULL && *file != '\0') || (dir != NULL &&
	    *dir != '\0')) {
		curl_easy_setopt(e, CURLOPT_CAINFO, file);
		curl_easy_setopt(e, CURLOPT_CAPATH, dir);
	}
	if (c->cert_file != NULL)
		curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert_file);
	if (c->key_file != NULL)
		curl_easy_setopt(e, CURLOPT_SSLKEY, c->key_file);
}

/* A body_read body, as libcurl asks for it; a client interrupted
 * meanwhile aborts rather than end the body early. */
static size_t
fetch_on_read(char *buf, size_t size, size_t n, void *arg)
{
	struct fetch_xfer *x = arg;
	ssize_t got = x->rq->body_read(x->rq->body_read_arg, buf, size * n);

	if (got < 0) {
		x->cancelled = true;
		return CURL_READFUNC_ABORT;
	}
	if (got == 0 && atomic_load(&x->c->stopped))
		return CURL_READFUNC_ABORT;
	if (got > 0)
		x->last_move = time_mono_ms();
	return (size_t)got;
}

ssize_t
fetch_read_fd(void *arg, void *buf, size_t len)
{
	ssize_t got;

	do
		got = read(*(int *)arg, buf, len);
	while (got < 0 && errno == EINTR);
	return got;
}

/* The easy handle, set for one hop to url. */
static void
fetch_setup(struct fetch_xfer *x, const char *url, const char *method,
    const void *body, size_t body_len, struct curl_slist *headers,
    const char *proxy)
{
	struct fetch *c = x->c;
	CURL *e = c->easy;
	long left = x->deadline > 0 ? (long)(x->deadline - time_mono_ms()) : 0;
	bool head = strcmp(method, "HEAD") == 0;

	curl_easy_reset(e);
	x->errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, fetch_on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fetch_on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, fetch_open_socket);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, x->deadline > 0 &&
	    left < c->o.connect_timeout_ms ? (left > 0 ? left : 1) :
	    c->o.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	if (c->user_agent != NULL)
		curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
	if (c->unix_path != NULL)
		curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, c->unix_path);
	curl_easy_setopt(e, CURLOPT_PROXY, proxy != NULL ? proxy : "");
	if (proxy != NULL)
		curl_easy_setopt(e, CURLOPT_PROXYAUTH, CURLAUTH_ANY);
	fetch_tls_options(c, e);
	if (c->uploaded) {              /* back to what every request expects */
		curl_easy_setopt(e, CURLOPT_UPLOAD, 0L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, NULL);
		c->uploaded = false;
	}
	if (head)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (x->rq->body_read != NULL) {
		curl_easy_setopt(e, CURLOPT_READFUNCTION, fetch_on_read);
		curl_easy_setopt(e, CURLOPT_READDATA, x);
		if (body_len == FETCH_BODY_CHUNKED) {
			curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
			    (curl_off_t)-1);
			c->uploaded = true;
		} else {
			curl_easy_setopt(e, CURLOPT_POST, 1L);
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)body_len);
		}
	} else if (body != NULL || strcmp(method, "POST") == 0 ||
	    strcmp(method, "PUT") == 0) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body != NULL ? body : "");
	}
	if (!head && strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
}

/* curl's code as one of ours. */
static int
fetch_code(CURLcode rc)
{
	switch (rc) {
	case CURLE_URL_MALFORMAT:
		return FETCH_E_URL;
	case CURLE_UNSUPPORTED_PROTOCOL:        /* an HTTP/0.9 answer */
		return FETCH_E_PROTOCOL;
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
		return FETCH_E_TLS;
	case CURLE_UNRECOVERABLE_POLL:
		return FETCH_E_RECV;
	case CURLE_OPERATION_TIMEDOUT:
		return FETCH_E_TIMEOUT;
	default:
		return rc > 0 && rc < 100 ? (int)rc : FETCH_E_RECV;
	}
}

/* The error of a hop that ended without an answer. */
static int
fetch_failed(struct fetch_xfer *x, CURLcode rc)
{
	const char *why = x->errbuf[0] != '\0' ? x->errbuf :
	    curl_easy_strerror(rc);
	long os_errno = 0, connect_code = 0;
	int code;

	if (x->refused)
		return sdc_make_error_code(x->err, FETCH_E_REFUSED,
		    "connect to %s: the address is not allowed", x->hop.host);
	if (x->sink_failed)
		return *x->err != NULL ? -1 : sdc_make_error_code(x->err,
		    FETCH_E_SINK, "the answer's body was refused");
	if (x->too_large)
		return sdc_make_error_code(x->err, FETCH_E_TOO_LARGE,
		    "answer larger than %zu bytes", x->rq->body_max > 0 ?
		    x->rq->body_max : (size_t)FETCH_BODY_MAX);
	if (x->cancelled)
		return sdc_make_error_code(x->err, FETCH_E_ABORTED, "cancelled");
	curl_easy_getinfo(x->c->easy, CURLINFO_HTTP_CONNECTCODE, &connect_code);
	if (connect_code >= 300)
		return sdc_make_error_code(x->err, FETCH_E_PROXY,
		    "the proxy refused the tunnel: %s", why);
	curl_easy_getinfo(x->c->easy, CURLINFO_OS_ERRNO, &os_errno);
	if (rc == CURLE_COULDNT_CONNECT && os_errno != 0 && x->proxied)
		return sdc_make_error_code(x->err, FETCH_E_CONNECT,
		    "through the proxy: %s: %s", why, strerror((int)os_errno));
	if (rc == CURLE_COULDNT_CONNECT && os_errno != 0)
		return sdc_make_error_code(x->err, FETCH_E_CONNECT,
		    "connect to %s%s%.0d: %s", x->c->unix_path != NULL ?
		    x->c->unix_path : x->hop.host, x->c->unix_path != NULL ? "" :
		    ":", x->c->unix_path != NULL ? 0 : x->hop.port,
		    strerror((int)os_errno));
	if (rc == CURLE_WEIRD_SERVER_REPLY || rc == CURLE_UNSUPPORTED_PROTOCOL)
		return sdc_make_error_code(x->err, FETCH_E_PROTOCOL,
		    "malformed answer: %s", why);
	if (rc == CURLE_PARTIAL_FILE)
		return sdc_make_error_code(x->err, FETCH_E_PARTIAL,
		    "connection closed before the answer was complete (%lld "
		    "body bytes received): %s", (long long)x->got, why);
	code = fetch_code(rc);
	return sdc_make_error_code(x->err, code, "%s%s%s",
	    x->proxied ? "through the proxy: " : "", code == FETCH_E_TLS ||
	    code == FETCH_E_VERIFY ? "TLS: " : "", why);
}

/* Why the loop must stop now, as an error; 0 to go on. */
static int
fetch_check(struct fetch_xfer *x)
{
	int64_t now = time_mono_ms();
	long idle = x->rq->idle_timeout_ms > 0 ? x->rq->idle_timeout_ms :
	    x->c->o.idle_timeout_ms;

	if (atomic_load(&x->c->stopped))
		return sdc_make_error_code(x->err, FETCH_E_ABORTED,
		    "interrupted");
	if (x->deadline > 0 && now >= x->deadline)
		return sdc_make_error_code(x->err, FETCH_E_TIMEOUT,
		    "timed out after %.1f s", x->timeout_ms / 1000.0);
	if (idle > 0 && now - x->last_move >= idle)
		return sdc_make_error_code(x->err, FETCH_E_TIMEOUT,
		    "nothing received for %.1f s", idle / 1000.0);
	if (fetch_progress(x) < 0)
		return sdc_make_error_code(x->err, FETCH_E_ABORTED, "cancelled");
	return 0;
}

/* Drive the easy handle on the multi one until done: 0 or -1. */
static int
fetch_run(struct fetch_xfer *x)
{
	struct fetch *c = x->c;
	CURLcode res = CURLE_OK;
	CURLMsg *m;
	int running = 1, left, rc = 0;
	long wait;

	curl_multi_add_handle(c->multi, c->easy);
	while (running > 0) {
		if (curl_multi_perform(c->multi, &running) != CURLM_OK) {
			rc = sdc_make_error_code(x->err, FETCH_E_RECV,
			    "libcurl's multi loop failed");
			break;
		}
		if (running == 0 || (rc = fetch_check(x)) < 0)
			break;
		wait = FETCH_TICK_MS;
		if (x->deadline > 0 && x->deadline - time_mono_ms() < wait)
			wait = (long)(x->deadline - time_mono_ms()) + 1;
		curl_multi_poll(c->multi, NULL, 0, (int)(wait > 0 ? wait : 1),
		    NULL);
	}
	while (rc == 0 && (m = curl_multi_info_read(c->multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE && m->easy_handle == c->easy)
			res = m->data.result;
	curl_multi_remove_handle(c->multi, c->easy);
	if (rc == 0 && res != CURLE_OK)
		rc = fetch_failed(x, res);
	return rc;
}

static int
fetch_hop(struct fetch_xfer *x, const char *url, const char *method,
    const void *body, size_t body_len, bool drop_auth)
{
	struct fetch *c = x->c;
	struct curl_slist *headers;
	const char *proxy = NULL;
	int rc;

	fetch_url_free(&x->hop);
	if (fetch_url_parse(&x->hop, url, x->err) < 0)
		return -1;
	if (c->o.use_proxy_env && c->unix_path == NULL)
		proxy = fetch_proxy_for(&x->hop);
	x->proxied = proxy != NULL;
	if (x->proxied && c->o.addr_check != NULL &&
	    fetch_check_target(&c->o, &x->hop, c->o.connect_timeout_ms) < 0)
		return sdc_make_error_code(x->err, FETCH_E_REFUSED,
		    "connect to %s: the address is not allowed", x->hop.host);
	x->redirect = x->refused = x->sink_failed = x->too_large = false;
	x->cancelled = false;
	x->got = 0;
	x->last_move = time_mono_ms();
	headers = fetch_headers(x->rq, drop_auth, body != NULL ||
	    strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0);
	fetch_setup(x, url, method, body, body_len, headers, proxy);
	rc = fetch_run(x);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	if (rc == 0 && x->r->status == 0)
		rc = sdc_make_error_code(x->err, FETCH_E_EMPTY,
		    "the server closed the connection without answering");
	return rc;
}

/* Where the redirect in x->r leads (NULL with *err if nowhere usable),
 * and the method and body that go there. */
static char *
fetch_next(struct fetch_xfer *x, int hops, const char **method,
    const void **body, size_t *body_len)
{
	int s = x->r->status;
	char *loc = NULL;

	if (hops >= FETCH_MAX_REDIRECTS) {
		sdc_make_error_code(x->err, FETCH_E_REDIRECTS,
		    "more than %d redirects", FETCH_MAX_REDIRECTS);
		return NULL;
	}
	if (s == 303 || ((s == 301 || s == 302) &&
	    strcmp(*method, "POST") == 0)) {
		*method = "GET";
		*body = NULL;
		*body_len = 0;
	}
	if (curl_easy_getinfo(x->c->easy, CURLINFO_REDIRECT_URL, &loc) !=
	    CURLE_OK || loc == NULL) {
		sdc_make_error_code(x->err, FETCH_E_URL, "redirect to %s: not "
		    "a URL this client follows", fetch_header(x->r, "Location"));
		return NULL;
	}
	return xstrdup(loc);
}

static bool
fetch_same_origin(const struct fetch_url *a, const struct fetch_url *b)
{
	return a->tls == b->tls && a->port == b->port &&
	    strcasecmp(a->host, b->host) == 0;
}

int
fetch_request(struct fetch *c, const struct fetch_request *rq,
    struct fetch_response *r, sdc_error_t *err)
{
	sdc_error_t mine = NULL;
	struct fetch_xfer x = { .c = c, .rq = rq, .r = r,
		.err = err != NULL ? err : &mine };
	struct fetch_url first = { 0 };
	const char *method = rq->method != NULL ? rq->method : "GET";
	const void *body = rq->body;
	size_t body_len = rq->body_len;
	bool drop_auth = false;
	char *url = xstrdup(rq->url), *next;
	int rc;

	memset(r, 0, sizeof *r);
	x.timeout_ms = rq->timeout_ms > 0 ? rq->timeout_ms : c->o.timeout_ms;
	x.deadline = x.timeout_ms > 0 ? time_mono_ms() + x.timeout_ms : 0;
	for (int hops = 0;; hops++) {
		if (atomic_load(&c->stopped)) {
			rc = sdc_make_error_code(x.err, FETCH_E_ABORTED,
			    "interrupted");
			break;
		}
		rc = fetch_hop(&x, url, method, body, body_len, drop_auth);
		if (rc < 0 || !x.redirect || rq->body_read != NULL)
			break;
		if (hops == 0)
			fetch_url_parse(&first, url, NULL);
		if ((next = fetch_next(&x, hops, &method, &body,
		    &body_len)) == NULL) {
			rc = -1;
			break;
		}
		fetch_response_free(r);
		free(url);
		url = next;
		fetch_url_free(&x.hop);
		if (fetch_url_parse(&x.hop, url, NULL) == 0 &&
		    !fetch_same_origin(&first, &x.hop))
			drop_auth = true;
	}
	fetch_url_free(&x.hop);
	fetch_url_free(&first);
	if (rc < 0) {
		fetch_response_free(r);
		sdc_error_wrap(x.err, "%s", url);
		sdc_error_release(&mine);
		free(url);
		return -1;
	}
	r->url = url;
	return 0;
}
