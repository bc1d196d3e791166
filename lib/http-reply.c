/*
 * http-reply.c: responses — whole, streamed, or the connection handed over.
 *
 * A response head is built in one buffer (the server's scratch buffer: one
 * loop, one thread) and goes into the bufferevent's output with a single
 * copy, the body right behind it, so a small answer leaves in one write.
 * Nothing is buffered on our side: stream writes go straight to the
 * output, which libevent writes as soon as the socket takes it.
 *
 * Whether the connection stays open is decided when the head is written,
 * since the head has to say so: the client's wish, a server shutting down,
 * an HTTP/1.0 stream (delimited by the close), or an upgrade request that
 * was answered without being taken over.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/ssl.h>

#include "http-internal.h"
#include "jsonutil.h"
#include "xalloc.h"

#define REPLY_DRAIN_LOW (16 * 1024)

enum reply_body { BODY_LENGTH, BODY_CHUNKED, BODY_CLOSE, BODY_NONE };

static bool
reply_no_body_status(int status)
{
	return (status >= 100 && status < 200) || status == 204 || status == 304;
}

/* An answer before the body of a request that said "Expect:
 * 100-continue" ends the connection too: the client may never send that
 * body, and we could not tell its bytes from the next request's. */
static bool
reply_should_close(const struct http_req *r, const struct http_conn *c)
{
	return !r->keep_alive || r->forced_close || c->srv->shutting_down || c->eof ||
	    c->ps.hp.upgrade ||
	    (!r->body_done && http_header(&r->pub, "Expect") != NULL);
}

static void
reply_put_uint(struct buf *h, size_t v)
{
	char tmp[24];
	int i = sizeof tmp;

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	buf_append(h, tmp + i, sizeof tmp - i);
}

static void
reply_header(struct buf *h, const char *name, const char *value)
{
	buf_puts(h, name);
	buf_puts(h, ": ");
	buf_puts(h, value);
	buf_puts(h, "\r\n");
}

/* Build the head in the server's scratch buffer and queue it. */
static void
reply_head(struct http_req *r, struct evbuffer *out, int status,
    const char *ctype, enum reply_body kind, size_t len)
{
	struct http_conn *c = r->pub.conn;
	struct buf *h = &c->srv->scratch;

	buf_reset(h);
	buf_puts(h, "HTTP/1.1 ");
	reply_put_uint(h, (size_t)status);
	buf_putc(h, ' ');
	buf_puts(h, http_status_text(status));
	buf_puts(h, "\r\n");
	reply_header(h, "Date", http_util_date());
	if (c->srv->opts.server_header != NULL)
		reply_header(h, "Server", c->srv->opts.server_header);
	if (ctype != NULL)
		reply_header(h, "Content-Type", ctype);
	if (kind == BODY_LENGTH) {
		buf_puts(h, "Content-Length: ");
		reply_put_uint(h, len);
		buf_puts(h, "\r\n");
	} else if (kind == BODY_CHUNKED)
		reply_header(h, "Transfer-Encoding", "chunked");
	reply_header(h, "x-request-id", r->pub.req_id);
	if (r->close_after)
		reply_header(h, "Connection", "close");
	else if (r->pub.http_minor == 0)
		reply_header(h, "Connection", "keep-alive");
	buf_append(h, r->out_headers.data, r->out_headers.len);
	buf_puts(h, "\r\n");
	evbuffer_add(out, h->data, h->len);
	r->status = status;
}

void
http_close_after(struct http_request *req)
{
	HTTP_REQ(req)->forced_close = true;
}

/* The output a response may go to, or NULL when it may not. */
static struct evbuffer *
reply_output(struct http_req *r)
{
	if (r->answered || r->streaming || r->gone)
		return NULL;
	return http_conn_output(r->pub.conn);
}

int
http_reply(struct http_request *req, int status, const char *content_type,
    const void *body, size_t len)
{
	struct http_req *r = HTTP_REQ(req);
	struct evbuffer *out = reply_output(r);
	bool nobody = reply_no_body_status(status);

	if (out == NULL)
		return -1;
	r->close_after = reply_should_close(r, req->conn);
	reply_head(r, out, status, nobody ? NULL : content_type,
	    nobody ? BODY_NONE : BODY_LENGTH, len);
	if (!nobody && !r->head_method && len > 0)
		evbuffer_add(out, body, len);
	http_conn_flush(req->conn);
	r->answered = true;
	http_conn_answered(req->conn);
	return 0;
}

int
http_reply_json(struct http_request *req, int status, json_t *body)
{
	char *text;
	int rc;

	if (body == NULL)
		return http_reply(req, status, NULL, NULL, 0);
	text = json_text(body);
	json_decref(body);
	rc = http_reply(req, status, "application/json", text, strlen(text));
	free(text);
	return rc;
}

int
http_stream_start(struct http_request *req, int status, const char *content_type)
{
	struct http_req *r = HTTP_REQ(req);
	struct evbuffer *out = reply_output(r);
	enum reply_body kind;

	if (out == NULL)
		return -1;
	r->bodyless = r->head_method || reply_no_body_status(status);
	r->chunked = req->http_minor >= 1 && !r->bodyless;
	r->close_after = reply_should_close(r, req->conn) ||
	    (req->http_minor == 0 && !r->bodyless);
	if (reply_no_body_status(status))
		kind = BODY_NONE;
	else if (req->http_minor >= 1)
		kind = BODY_CHUNKED;
	else
		kind = BODY_CLOSE;
	reply_head(r, out, status, content_type, kind, 0);
	http_conn_flush(req->conn);
	r->streaming = true;
	return 0;
}

static struct evbuffer *
stream_output(struct http_req *r)
{
	if (!r->streaming || r->answered || r->gone)
		return NULL;
	return http_conn_output(r->pub.conn);
}

int
http_stream_write(struct http_request *req, const void *data, size_t len)
{
	struct http_req *r = HTTP_REQ(req);
	struct evbuffer *out = stream_output(r);

	if (out == NULL)
		return -1;
	if (r->bodyless || len == 0)
		return 0;               /* an empty chunk would end the body */
	if (r->chunked)
		evbuffer_add_printf(out, "%zx\r\n", len);
	evbuffer_add(out, data, len);
	if (r->chunked)
		evbuffer_add(out, "\r\n", 2);
	http_conn_flush(req->conn);
	return 0;
}

int
http_stream_printf(struct http_request *req, const char *fmt, ...)
{
	va_list ap;
	char *text;
	int n, rc;

	va_start(ap, fmt);
	n = xvasprintf(&text, fmt, ap);
	va_end(ap);
	rc = http_stream_write(req, text, (size_t)n);
	free(text);
	return rc;
}

size_t
http_stream_pending(const struct http_request *req)
{
	struct evbuffer *out = stream_output(HTTP_REQ(req));

	return out == NULL ? 0 : http_conn_unsent(req->conn);
}

void
http_stream_on_drain(struct http_request *req, http_event_fn fn, void *arg)
{
	struct http_req *r = HTTP_REQ(req);

	r->on_drain = fn;
	r->on_drain_arg = arg;
	if (!r->gone && req->conn->state == CONN_ACTIVE)
		http_conn_set_drain_mark(req->conn, fn ? REPLY_DRAIN_LOW : 0);
}

void
http_stream_end(struct http_request *req)
{
	struct http_req *r = HTTP_REQ(req);
	struct evbuffer *out = stream_output(r);

	if (!r->streaming || r->answered)
		return;
	if (out != NULL && r->chunked)
		evbuffer_add(out, "0\r\n\r\n", 5);
	r->answered = true;
	r->on_drain = NULL;
	if (out != NULL) {
		http_conn_flush(req->conn);
		http_conn_set_drain_mark(req->conn, 0);
		http_conn_answered(req->conn);
	}
}

struct bufferevent *
http_hijack(struct http_request *req, const char *content_type)
{
	struct http_req *r = HTTP_REQ(req);
	struct evbuffer *out = reply_output(r);
	bool upgrade = http_header(req, "Upgrade") != NULL;
	struct buf *h;

	if (out == NULL || !r->body_done)
		return NULL;
	h = &req->conn->srv->scratch;
	buf_reset(h);
	if (upgrade)
		buf_puts(h, "HTTP/1.1 101 UPGRADED\r\n");
	else
		buf_puts(h, "HTTP/1.1 200 OK\r\n");
	if (content_type != NULL)
		reply_header(h, "Content-Type", content_type);
	if (upgrade) {
		reply_header(h, "Connection", "Upgrade");
		reply_header(h, "Upgrade", "tcp");
	}
	buf_append(h, r->out_headers.data, r->out_headers.len);
	buf_puts(h, "\r\n");
	evbuffer_add(out, h->data, h->len);
	r->status = upgrade ? 101 : 200;
	r->answered = true;
	return http_conn_detach(req->conn);
}

static void
hijack_shutdown_now(struct bufferevent *bev)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);

	/* Once only: a second SSL_shutdown() would read (and drop) what the
	 * peer still sends while waiting for its close_notify. */
	if (ssl != NULL) {
		if (!(SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN))
			SSL_shutdown(ssl);      /* close_notify; reading goes on */
	} else
		shutdown(bufferevent_getfd(bev), SHUT_WR);
}

static void
hijack_drained(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	if (evbuffer_get_length(buf) != 0)
		return;
	evbuffer_remove_cb(buf, hijack_drained, arg);
	hijack_shutdown_now(arg);
}

void
http_hijack_read_closed(struct bufferevent *bev)
{
	bufferevent_disable(bev, EV_READ | EV_WRITE);
	bufferevent_enable(bev, EV_WRITE);
}

/* Half-close once everything queued has been written: a FIN on a plain
 * socket, a TLS close_notify otherwise. */
void
http_hijack_shutdown_write(struct bufferevent *bev)
{
	struct evbuffer *out = bufferevent_get_output(bev);

	evbuffer_remove_cb(out, hijack_drained, bev);  /* asked twice */
	if (evbuffer_get_length(out) == 0)
		hijack_shutdown_now(bev);
	else
		evbuffer_add_cb(out, hijack_drained, bev);
}
