/*
 * http-client-answer.c: reading an answer with http-parser in response
 * mode, which knows the three ways a body ends: Content-Length, chunked,
 * and the server closing (the parser is then told of the EOF).
 *
 * Headers are kept as they come, for a case-insensitive lookup.  Body
 * bytes go to the request's sink or into the response's buffer (up to its
 * cap), never both, and never those of a redirect about to be followed;
 * the progress callback hears of each piece.  An interim answer (100
 * Continue) is dropped and the real one read after it.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "http-client-int.h"
#include "xalloc.h"

#define HC_BODY_MAX (16 * 1024 * 1024)

static void
hc_header_done(struct hc_xfer *x)
{
	struct http_client_response *r = x->r;

	if (x->field.len == 0)
		return;
	r->headers = xrealloc(r->headers, (r->nheaders + 1) *
	    sizeof *r->headers);
	r->headers[r->nheaders].name = buf_detach(&x->field, NULL);
	r->headers[r->nheaders].value = buf_detach(&x->value, NULL);
	r->nheaders++;
}

static int
hc_on_field(http_parser *hp, const char *at, size_t len)
{
	struct hc_xfer *x = hp->data;

	if (x->in_value)
		hc_header_done(x);
	x->in_value = false;
	buf_append(&x->field, at, len);
	return 0;
}

static int
hc_on_value(http_parser *hp, const char *at, size_t len)
{
	struct hc_xfer *x = hp->data;

	x->in_value = true;
	buf_append(&x->value, at, len);
	return 0;
}

static bool
hc_is_redirect(int status)
{
	return status == 301 || status == 302 || status == 303 ||
	    status == 307 || status == 308;
}

static int
hc_on_headers(http_parser *hp)
{
	struct hc_xfer *x = hp->data;
	struct http_client_response *r = x->r;

	hc_header_done(x);
	x->in_value = false;
	r->status = hp->status_code;
	r->content_length = (hp->flags & F_CHUNKED) ||
	    hp->content_length == ULLONG_MAX ? -1 :
	    (int64_t)hp->content_length;
	x->redirect = x->c->o.follow_redirects && hc_is_redirect(r->status) &&
	    http_client_header(r, "Location") != NULL;
	return x->head ? 1 : 0;
}

static int
hc_on_body(http_parser *hp, const char *at, size_t len)
{
	struct hc_xfer *x = hp->data;
	const struct http_client_request *rq = x->rq;
	size_t max = rq->body_max > 0 ? rq->body_max : HC_BODY_MAX;

	x->got += (int64_t)len;
	if (x->redirect)
		return 0;
	if (rq->sink != NULL) {
		if (rq->sink(rq->sink_arg, x->r, at, len, x->err) == 0)
			return 0;
		if (*x->err == NULL)
			sdc_make_error_code(x->err, HTTP_CLIENT_E_SINK,
			    "the answer's body was refused");
	} else if (x->r->body.len + len <= max) {
		buf_append(&x->r->body, at, len);
		return 0;
	} else
		sdc_make_error_code(x->err, HTTP_CLIENT_E_TOO_LARGE,
		    "answer larger than %zu bytes", max);
	x->sink_failed = true;
	return -1;
}

static int
hc_on_complete(http_parser *hp)
{
	struct hc_xfer *x = hp->data;
	struct http_client_response *r = x->r;

	if (r->status >= 100 && r->status <= 199 && r->status != 101) {
		/* an interim answer (100 Continue): the real one follows */
		for (size_t i = 0; i < r->nheaders; i++) {
			free(r->headers[i].name);
			free(r->headers[i].value);
		}
		r->nheaders = 0;
		return 0;
	}
	x->done = true;
	http_parser_pause(hp, 1);
	return 0;
}

static const http_parser_settings hc_settings = {
	.on_header_field = hc_on_field,
	.on_header_value = hc_on_value,
	.on_headers_complete = hc_on_headers,
	.on_body = hc_on_body,
	.on_message_complete = hc_on_complete,
};

static int
hc_progress(struct hc_xfer *x)
{
	const struct http_client_request *rq = x->rq;

	if (rq->progress == NULL)
		return 0;
	if (x->redirect)        /* still asked: it may want to cancel */
		return rq->progress(rq->progress_arg, 0, -1);
	return rq->progress(rq->progress_arg, x->got, x->r->content_length);
}

int
hc_tick(void *arg)
{
	return hc_progress(arg);
}

/* Feed what the connection holds to the parser. */
static int
hc_feed(struct hc_xfer *x, struct hc_conn *conn, bool eof)
{
	enum http_errno e;
	size_t n;

	n = http_parser_execute(&x->hp, &hc_settings, conn->in + conn->in_off,
	    eof ? 0 : conn->in_len);
	conn->in_off += n;
	conn->in_len -= n;
	if (conn->in_len == 0)
		conn->in_off = 0;
	e = HTTP_PARSER_ERRNO(&x->hp);
	if (x->sink_failed)
		return -1;
	if (eof && e == HPE_INVALID_EOF_STATE)
		return sdc_make_error_code(x->err, HTTP_CLIENT_E_PARTIAL,
		    "connection closed before the answer was complete "
		    "(%lld body bytes received)", (long long)x->got);
	if (e != HPE_OK && e != HPE_PAUSED)
		return sdc_make_error_code(x->err, HTTP_CLIENT_E_PROTOCOL,
		    "malformed answer: %s", http_errno_description(e));
	if (!eof && hc_progress(x) < 0)
		return sdc_make_error_code(x->err, HTTP_CLIENT_E_ABORTED,
		    "cancelled");
	return 0;
}

/* Read until the answer is complete: 0, -1, or 1 when the connection
 * closed before any byte of it. */
int
hc_read_answer(struct hc_xfer *x, struct hc_conn *conn)
{
	ssize_t n;

	while (!x->done) {
		if (conn->in_len > 0) {
			x->got_any = true;
			if (hc_feed(x, conn, false) < 0)
				return -1;
			continue;
		}
		if ((n = hc_conn_fill(conn, &x->w, x->err)) < 0)
			return x->got_any ? -1 : 1;
		if (n > 0)
			continue;
		if (!x->got_any)
			return 1;
		if (hc_feed(x, conn, true) < 0)
			return -1;
		if (!x->done)
			return sdc_make_error_code(x->err, HTTP_CLIENT_E_PARTIAL,
			    "connection closed before the answer was complete");
	}
	return 0;
}
