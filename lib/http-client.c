/*
 * http-client.c: one request and its answer, redirects, and the
 * connections a client keeps.
 *
 * A request is written whole (head, then body) and its answer read by
 * http-client-answer.c.  Redirects, when followed, are requests of their
 * own under the one deadline: 303 (and 301 and 302 after a POST) turn into
 * a GET without body, and an Authorization header stays behind once one
 * leads away from the first URL's scheme, host and port.
 *
 * Connections: an answer that leaves its connection open (keep-alive, body
 * read to the end, nothing more sent) puts it back in the client's pool,
 * keyed by where it goes; the next request there takes it if the server
 * has not closed it meanwhile.  A server may still close a kept connection
 * just as a request goes out, so a request on a reused connection that
 * got no byte of answer is sent once more on a fresh one, as browsers and
 * curl do.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <http_parser.h>

#include "http-client-int.h"
#include "xalloc.h"

#define HC_MAX_REDIRECTS 5

struct http_client *
http_client_new(const struct http_client_options *o)
{
	struct http_client *c = xcalloc(1, sizeof *c);

	if (o != NULL)
		c->o = *o;
	if (c->o.connect_timeout_ms <= 0)
		c->o.connect_timeout_ms = 30000;
	c->unix_path = o != NULL && o->unix_path != NULL ?
	    xstrdup(o->unix_path) : NULL;
	c->user_agent = o != NULL && o->user_agent != NULL ?
	    xstrdup(o->user_agent) : NULL;
	c->ca_file = o != NULL && o->ca_file != NULL ? xstrdup(o->ca_file) : NULL;
	c->cert_file = o != NULL && o->cert_file != NULL ?
	    xstrdup(o->cert_file) : NULL;
	c->key_file = o != NULL && o->key_file != NULL ?
	    xstrdup(o->key_file) : NULL;
	c->o.unix_path = c->unix_path;
	c->o.user_agent = c->user_agent;
	c->o.ca_file = c->ca_file;
	c->o.cert_file = c->cert_file;
	c->o.key_file = c->key_file;
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return c;
}

struct http_client *
http_client_dup(const struct http_client *c)
{
	return http_client_new(&c->o);
}

void
http_client_free(struct http_client *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < HC_POOL; i++)
		hc_conn_close(c->pool[i]);
	hc_tls_release(c);
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	free(c->unix_path);
	free(c->user_agent);
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	free(c);
}

void
http_client_interrupt(struct http_client *c)
{
	uint64_t one = 1;

	atomic_store(&c->stopped, true);
	if (c->wake_fd >= 0 && write(c->wake_fd, &one, sizeof one) < 0)
		return;         /* the counter is already set: still readable */
}

void
http_client_response_free(struct http_client_response *r)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	buf_free(&r->body);
	free(r->url);
	memset(r, 0, sizeof *r);
}

const char *
http_client_header(const struct http_client_response *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

/* --- the pool --- */

static struct hc_conn *
hc_pool_take(struct http_client *c, const char *key)
{
	struct hc_conn *conn;

	for (size_t i = 0; i < HC_POOL; i++) {
		if ((conn = c->pool[i]) == NULL || strcmp(conn->key, key) != 0)
			continue;
		c->pool[i] = NULL;
		if (hc_conn_idle_ok(conn))
			return conn;
		hc_conn_close(conn);
	}
	return NULL;
}

static void
hc_pool_put(struct http_client *c, struct hc_conn *conn)
{
	size_t slot = 0;

	conn->last_used = ++c->uses;
	for (size_t i = 0; i < HC_POOL; i++) {
		if (c->pool[i] == NULL) {
			slot = i;
			break;
		}
		if (c->pool[i]->last_used < c->pool[slot]->last_used)
			slot = i;
	}
	hc_conn_close(c->pool[slot]);
	c->pool[slot] = conn;
}

/* --- one exchange --- */

static bool
hc_has_header(const char *const *h, const char *name)
{
	size_t n = strlen(name);

	for (; h != NULL && *h != NULL; h++)
		if (strncasecmp(*h, name, n) == 0 && (*h)[n] == ':')
			return true;
	return false;
}

static void
hc_build(struct buf *b, const char *method, const struct hc_url *u,
    const struct hc_proxy *p, const struct http_client_request *rq,
    const void *body, size_t body_len, bool drop_auth, const char *ua)
{
	char *hp = hc_url_hostport(u, false);
	const char *const *h;

	if (p != NULL && !u->tls)
		buf_printf(b, "%s http://%s%s HTTP/1.1\r\n", method, hp,
		    u->target);
	else
		buf_printf(b, "%s %s HTTP/1.1\r\n", method, u->target);
	buf_printf(b, "Host: %s\r\n", hp);
	if (ua != NULL && !hc_has_header(rq->headers, "User-Agent"))
		buf_printf(b, "User-Agent: %s\r\n", ua);
	if (!hc_has_header(rq->headers, "Accept"))
		buf_puts(b, "Accept: */*\r\n");
	if (p != NULL && !u->tls && p->authz != NULL)
		buf_printf(b, "Proxy-Authorization: %s\r\n", p->authz);
	for (h = rq->headers; h != NULL && *h != NULL; h++)
		if (!drop_auth || strncasecmp(*h, "Authorization:", 14) != 0)
			buf_printf(b, "%s\r\n", *h);
	if (body != NULL || strcmp(method, "POST") == 0 ||
	    strcmp(method, "PUT") == 0)
		buf_printf(b, "Content-Length: %zu\r\n", body_len);
	buf_puts(b, "\r\n");
	free(hp);
}

static char *
hc_conn_key(const struct http_client *c, const struct hc_url *u,
    const struct hc_proxy *p)
{
	char *key;

	xasprintf(&key, "%s %s://%s:%d %s:%d", c->unix_path ? c->unix_path :
	    "-", u->tls ? "https" : "http", u->host, u->port,
	    p != NULL ? p->host : "-", p != NULL ? p->port : 0);
	return key;
}

/* Send the request on conn and read the answer: as hc_read_answer. */
static int
hc_exchange(struct hc_xfer *x, struct hc_conn *conn, const struct buf *head,
    const void *body, size_t body_len)
{
	int rc;

	x->got_any = x->done = x->redirect = x->sink_failed = false;
	x->in_value = false;
	x->got = 0;
	http_parser_init(&x->hp, HTTP_RESPONSE);
	x->hp.data = x;
	rc = hc_conn_write(conn, head->data, head->len, &x->w, x->err);
	if (rc == 0 && body != NULL && body_len > 0)
		rc = hc_conn_write(conn, body, body_len, &x->w, x->err);
	if (rc < 0)
		return 1;
	return hc_read_answer(x, conn);
}

/* One request to one URL, on a kept connection or a new one. */
static int
hc_once(struct hc_xfer *x, const struct hc_url *u, const char *method,
    const void *body, size_t body_len, bool drop_auth)
{
	struct http_client *c = x->c;
	struct hc_proxy proxy, *p = NULL;
	struct hc_conn *conn;
	struct buf head = BUF_INIT;
	char *key;
	int rc = 0;

	if (c->o.use_proxy_env && c->unix_path == NULL &&
	    (rc = hc_proxy_for(u, &proxy, x->err)) < 0)
		return -1;
	if (rc == 1)
		p = &proxy;
	key = hc_conn_key(c, u, p);
	hc_build(&head, method, u, p, x->rq, body, body_len, drop_auth,
	    c->user_agent);
	x->head = strcmp(method, "HEAD") == 0;
	if ((conn = hc_pool_take(c, key)) != NULL) {
		rc = hc_exchange(x, conn, &head, body, body_len);
		if (rc == 1 && (*x->err == NULL ||
		    (*x->err)->code == HTTP_CLIENT_E_RECV ||
		    (*x->err)->code == HTTP_CLIENT_E_SEND)) {
			/* the server closed it meanwhile: once more, afresh */
			sdc_error_release(x->err);
			hc_conn_close(conn);
			conn = NULL;
			http_client_response_free(x->r);
		}
	}
	if (conn == NULL) {
		conn = hc_conn_open(c, u, p, key, &x->w, x->err);
		rc = conn == NULL ? -1 : hc_exchange(x, conn, &head, body,
		    body_len);
	}
	if (rc == 1 && *x->err == NULL)
		sdc_make_error_code(x->err, HTTP_CLIENT_E_EMPTY,
		    "the server closed the connection without answering");
	if (rc == 0 && http_should_keep_alive(&x->hp) && conn->in_len == 0)
		hc_pool_put(c, conn);
	else
		hc_conn_close(conn);
	buf_free(&head);
	free(key);
	if (p != NULL)
		hc_proxy_free(p);
	return rc == 0 ? 0 : -1;
}

/* Where the redirect in x->r leads; NULL with *err past the limit. */
static char *
hc_next(struct hc_xfer *x, const struct hc_url *u, int hops,
    const char **method, const void **body, size_t *body_len)
{
	int s = x->r->status;

	if (hops >= HC_MAX_REDIRECTS) {
		sdc_make_error_code(x->err, HTTP_CLIENT_E_REDIRECTS,
		    "more than %d redirects", HC_MAX_REDIRECTS);
		return NULL;
	}
	if (s == 303 || ((s == 301 || s == 302) &&
	    strcmp(*method, "POST") == 0)) {
		*method = "GET";
		*body = NULL;
		*body_len = 0;
	}
	return hc_url_join(u, http_client_header(x->r, "Location"));
}

static bool
hc_same_origin(const struct hc_url *a, const struct hc_url *b)
{
	return a->tls == b->tls && a->port == b->port &&
	    strcasecmp(a->host, b->host) == 0;
}

int
http_client_request(struct http_client *c,
    const struct http_client_request *rq, struct http_client_response *r,
    sdc_error_t *err)
{
	sdc_error_t mine = NULL;
	struct hc_xfer x = { .c = c, .rq = rq, .r = r,
		.err = err != NULL ? err : &mine };
	struct hc_url first = { 0 }, u = { 0 };
	const char *method = rq->method != NULL ? rq->method : "GET";
	const void *body = rq->body;
	size_t body_len = rq->body_len;
	long timeout = rq->timeout_ms > 0 ? rq->timeout_ms : c->o.timeout_ms;
	bool drop_auth = false;
	char *url = xstrdup(rq->url), *next;
	int rc;

	memset(r, 0, sizeof *r);
	x.w.wake_fd = c->wake_fd;
	x.w.timeout_ms = timeout;
	x.w.deadline = timeout > 0 ? hc_now_ms() + timeout : 0;
	x.w.idle_ms = c->o.idle_timeout_ms;
	x.w.idle_deadline = hc_now_ms() + x.w.idle_ms;
	if (rq->progress != NULL) {
		x.w.tick = hc_tick;
		x.w.tick_arg = &x;
	}
	for (int hops = 0;; hops++) {
		if (atomic_load(&c->stopped)) {
			rc = sdc_make_error_code(x.err, HTTP_CLIENT_E_ABORTED,
			    "interrupted");
			break;
		}
		if ((rc = hc_url_parse(&u, url, x.err)) < 0)
			break;
		if (hops == 0)
			hc_url_parse(&first, url, NULL);
		else if (!hc_same_origin(&first, &u))
			drop_auth = true;
		rc = hc_once(&x, &u, method, body, body_len, drop_auth);
		if (rc < 0 || !x.redirect)
			break;
		if ((next = hc_next(&x, &u, hops, &method, &body,
		    &body_len)) == NULL) {
			rc = -1;
			break;
		}
		http_client_response_free(r);
		hc_url_free(&u);
		free(url);
		url = next;
	}
	hc_url_free(&u);
	hc_url_free(&first);
	buf_free(&x.field);
	buf_free(&x.value);
	if (rc < 0) {
		http_client_response_free(r);
		sdc_error_wrap(x.err, "%s", url);
		sdc_error_release(&mine);
		free(url);
		return -1;
	}
	r->url = url;
	return 0;
}
