/*
 * http-conn.c: one client connection, from accept to close.
 *
 * Input is fed to the parser straight out of the bufferevent's input
 * buffer, and only the bytes the parser took are drained: whatever follows
 * a request (the next pipelined request, or the first bytes of a hijacked
 * stream) stays where it is until it is wanted.  While a request is with
 * its handler nothing more is parsed, so answers leave in order; a read
 * high-water mark keeps a flood of pipelined requests from piling up.
 *
 * One timer per connection does four jobs in turn: the handshake timeout
 * (from accept until the first request head is complete, TLS handshake
 * included: a connection that says nothing goes soon), the request
 * timeout (from a request's first byte until it reaches its handler: a
 * client dribbling its head a byte at a time is cut off), the keep-alive
 * idle timeout, and the lingering close.  Until that first head the
 * connection also counts as pending against its address (http-peers.c).
 *
 * Closing is in two steps.  http_conn_close() releases the socket and runs
 * an unanswered request's on_close at once; the memory goes from the
 * `later` event, once every caller on the stack has returned.  The same
 * event also resumes parsing after an asynchronous answer.
 *
 * Plain sockets are read by an event of our own rather than by the
 * bufferevent, which is kept for writing and for handing the socket over
 * on hijack: libevent asks the kernel how much is waiting (an ioctl) before
 * every read, so its reads cost two system calls where one will do, and a
 * small request's whole cost is mostly system calls.  The reader stops
 * when the input holds CONN_READ_HIGH bytes (a flood of pipelined requests
 * does not pile up) and at end of file, and starts again as the parser
 * drains the input; see conn_read_watch.
 *
 * Plain connections' output is written at once, from the call that queued
 * it, see http_conn_flush; TLS output goes through the bufferevent.
 *
 * After an answer that ends the connection we half-close and read (and
 * drop) what the client still sends for a moment before closing: closing
 * with unread input would make the kernel send a reset, which can destroy
 * the answer (a 413, say) before the client has read it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "http-internal.h"
#include "log.h"
#include "xalloc.h"

#define CONN_LINGER_SEC 2
#define CONN_READ_HIGH (256 * 1024)
#define CONN_READ_CHUNK (16 * 1024)

static void conn_process(struct http_conn *c);
static void conn_read_watch(struct http_conn *c);

static void
conn_arm(struct http_conn *c, int sec)
{
	struct timeval tv = { sec > 0 ? sec : 1, 0 };

	evtimer_add(c->timer, &tv);
}

static void
conn_log(const struct http_req *r)
{
	if (!log_enabled(LOG_DEBUG))
		return;
	log_emit(LOG_DEBUG, r->pub.req_id, NULL, "%s %s %d %.3fms",
	    r->pub.method, r->pub.target, r->status,
	    (double)(http_util_now_usec() - r->start_usec) / 1000.0);
}

struct evbuffer *
http_conn_output(struct http_conn *c)
{
	if (c == NULL || c->state == CONN_DEAD || c->bev == NULL)
		return NULL;
	return bufferevent_get_output(c->bev);
}

size_t
http_conn_unsent(struct http_conn *c)
{
	if (c->bev == NULL)
		return 0;
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

/* Plain sockets are written at once, from the call that queued the bytes:
 * a small answer then costs one writev and no epoll changes, where going
 * through EV_WRITE costs two epoll_ctl calls and a loop turn.  EV_WRITE is
 * on only while output waits (the loop discipline of MODELS.md).  A write
 * error is left for the bufferevent to find, so that nobody's on_close
 * runs inside the caller's write.  TLS goes through the bufferevent. */
void
http_conn_flush(struct http_conn *c)
{
	struct evbuffer *out;

	if (c->bev == NULL || c->state == CONN_DEAD)
		return;
	out = bufferevent_get_output(c->bev);
	if (evbuffer_get_length(out) == 0)
		return;
	if (c->ssl == NULL && !(bufferevent_get_enabled(c->bev) & EV_WRITE)) {
		/* A bufferevent keeps its output's start frozen except in its
		 * own write callback; do as that callback does. */
		evbuffer_unfreeze(out, 1);
		evbuffer_write(out, bufferevent_getfd(c->bev));
		evbuffer_freeze(out, 1);
	}
	if (evbuffer_get_length(out) > 0)
		bufferevent_enable(c->bev, EV_WRITE);
}

void
http_conn_set_drain_mark(struct http_conn *c, size_t low)
{
	if (c->bev != NULL)
		bufferevent_setwatermark(c->bev, EV_WRITE, low, 0);
}

static void
conn_link(struct http_conn **head, struct http_conn *c)
{
	c->prev = NULL;
	c->next = *head;
	if (*head != NULL)
		(*head)->prev = c;
	*head = c;
}

static void
conn_unlink(struct http_conn **head, struct http_conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		*head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

void
http_conn_free(struct http_conn *c)
{
	conn_unlink(&c->srv->dead, c);
	http_parse_free(&c->ps);
	http_req_free(c->cur);
	if (c->data_free != NULL && c->data != NULL)
		c->data_free(c->data);
	event_free(c->timer);
	event_free(c->later);
	if (c->rd != NULL)
		event_free(c->rd);
	free(c);
}

void
http_conn_close(struct http_conn *c)
{
	struct http_server *srv = c->srv;
	struct http_req *r = c->cur;

	if (c->state == CONN_DEAD)
		return;
	c->state = CONN_DEAD;
	conn_read_watch(c);             /* before the socket goes */
	if (r != NULL && r->dispatched && !r->answered) {
		r->gone = true;
		if (r->on_close != NULL)
			r->on_close(&r->pub, r->on_close_arg);
	}
	if (c->bev != NULL && !c->parsing) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	c->ssl = NULL;
	evtimer_del(c->timer);
	http_peers_release(srv, c->peer, c->pending);
	c->peer = NULL;
	if (c->owner_release != NULL && c->owner != NULL)
		c->owner_release(c->owner);
	c->owner = NULL;
	conn_unlink(&srv->conns, c);
	conn_link(&srv->dead, c);
	srv->nconns--;
	event_active(c->later, EV_TIMEOUT, 1);
	http_server_conn_gone(srv);
}

struct bufferevent *
http_conn_detach(struct http_conn *c)
{
	struct bufferevent *bev = c->bev;

	c->bev = NULL;
	c->ssl = NULL;
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	bufferevent_setwatermark(bev, EV_READ | EV_WRITE, 0, 0);
	bufferevent_set_timeouts(bev, NULL, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	http_conn_close(c);
	return bev;
}

/* Half-close and wait a little for the client to finish. */
static void
conn_linger(struct http_conn *c)
{
	if (c->eof || !c->ready) {
		http_conn_close(c);
		return;
	}
	if (c->ssl != NULL) {
		if (!(SSL_get_shutdown(c->ssl) & SSL_SENT_SHUTDOWN))
			SSL_shutdown(c->ssl);
	} else
		shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	c->state = CONN_LINGER;
	if (!c->parsing)
		evbuffer_drain(bufferevent_get_input(c->bev),
		    evbuffer_get_length(bufferevent_get_input(c->bev)));
	if (c->rd != NULL)
		conn_read_watch(c);
	else {
		bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
		bufferevent_enable(c->bev, EV_READ);
	}
	conn_arm(c, CONN_LINGER_SEC);
}

/* Close once the output has gone out. */
static void
conn_end(struct http_conn *c)
{
	c->state = CONN_CLOSING;
	evtimer_del(c->timer);
	http_conn_flush(c);
	if (http_conn_unsent(c) == 0)
		conn_linger(c);
	else
		conn_arm(c, c->srv->opts.idle_timeout_sec);
}

/* An answer the server makes itself (400, 408, 413, 431), then close. */
static void
conn_fail(struct http_conn *c, int status)
{
	struct http_req *r = c->cur;
	char body[128];
	int n;

	if (r != NULL && r->dispatched) {
		http_conn_close(c);     /* the handler has it: it is gone */
		return;
	}
	if (status == 0 || (r != NULL && (r->answered || r->streaming))) {
		conn_end(c);
		return;
	}
	n = snprintf(body, sizeof body, "{\"message\":\"%s\"}",
	    http_status_text(status));
	evbuffer_add_printf(bufferevent_get_output(c->bev),
	    "HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
	    status, http_status_text(status), http_util_date(), n, body);
	if (r != NULL) {
		r->status = status;
		r->answered = true;
		conn_log(r);
	} else if (log_enabled(LOG_DEBUG))
		log_emit(LOG_DEBUG, NULL, NULL, "http: %d before a request head "
		    "was complete", status);
	conn_end(c);
}

/* The current request is answered and read: let it go, and go on. */
static void
conn_finish(struct http_conn *c)
{
	struct http_req *r = c->cur;
	bool close = r->close_after;

	c->cur = NULL;
	conn_log(r);
	http_req_free(r);
	if (close) {
		conn_end(c);
		return;
	}
	conn_arm(c, c->srv->opts.idle_timeout_sec);
}

static void
conn_dispatch(struct http_conn *c)
{
	struct http_server *srv = c->srv;
	struct http_req *r = c->cur;
	int rc;

	evtimer_del(c->timer);
	r->dispatched = true;
	c->dispatching = true;
	if (srv->handler != NULL)
		rc = srv->handler(&r->pub, srv->handler_arg);
	else {
		http_reply(&r->pub, 404, NULL, NULL, 0);
		rc = HTTP_DONE;
	}
	c->dispatching = false;
	if (c->state != CONN_ACTIVE || c->cur != r)
		return;                 /* closed, or taken over */
	if (rc == HTTP_DONE && !r->answered && !r->streaming) {
		log_emit(LOG_ERROR, r->pub.req_id, NULL,
		    "%s %s: handler returned without answering",
		    r->pub.method, r->pub.path);
		http_reply(&r->pub, 500, NULL, NULL, 0);
	}
	if (r->answered && r->body_done)
		conn_finish(c);
}

static void
conn_continue_100(struct http_conn *c, struct http_req *r, long long len)
{
	const char *expect = http_header(&r->pub, "Expect");

	if (expect != NULL && strcasecmp(expect, "100-continue") == 0 &&
	    r->pub.http_minor >= 1 && len != 0)
	{
		evbuffer_add(bufferevent_get_output(c->bev),
		    "HTTP/1.1 100 Continue\r\n\r\n", 25);
		http_conn_flush(c);
	}
}

static void
conn_head(struct http_conn *c)
{
	struct http_server *srv = c->srv;
	struct http_req *r = c->ps.req;
	long long len;

	c->cur = r;
	r->pub.conn = c;
	r->start_usec = http_util_now_usec();
	if (c->pending) {
		/* established: the body, if any, has the request timeout */
		c->pending = false;
		http_peers_established(c->peer);
		conn_arm(c, srv->opts.request_timeout_sec);
	}
	if (srv->head_hook != NULL && srv->head_hook(&r->pub, srv->head_arg) < 0) {
		if (c->state != CONN_ACTIVE)
			return;
		if (!r->answered && !r->streaming)
			http_reply(&r->pub, 500, NULL, NULL, 0);
		r->discard_body = true;
		r->sink = NULL;
		return;
	}
	if (c->state != CONN_ACTIVE)
		return;
	len = http_parse_content_length(&c->ps);
	if (r->sink == NULL && len >= 0 && (unsigned long long)len > r->body_limit) {
		conn_fail(c, 413);
		return;
	}
	conn_continue_100(c, r, len);
	if (r->sink != NULL)
		conn_dispatch(c);
}

static void
conn_done(struct http_conn *c)
{
	struct http_req *r = c->cur;

	if (r->answered)
		conn_finish(c);
	else if (!r->dispatched)
		conn_dispatch(c);
	/* else a handler reading a streamed body has not answered yet */
}

/* More to parse now?  Between requests, and while a body is arriving. */
static bool
conn_reading(const struct http_conn *c)
{
	return c->state == CONN_ACTIVE && c->ready &&
	    (c->cur == NULL || (!c->cur->body_done && !c->cur->body_paused));
}

void
http_pause_body(struct http_request *req, bool pause)
{
	struct http_req *r = HTTP_REQ(req);
	struct http_conn *c = req->conn;

	if (r->body_paused == pause)
		return;
	r->body_paused = pause;
	/* what is buffered gets parsed from the loop, not from the caller */
	if (!pause && c != NULL && c->state == CONN_ACTIVE && c->cur == r)
		event_active(c->later, EV_TIMEOUT, 1);
}

/* The parser reads the input buffer in place; whatever a callback does
 * meanwhile (a sink that answers and so ends the connection, say) must not
 * free or drain that buffer under it.  So those steps wait for the feed to
 * return: see conn_after_feed, conn_linger and http_conn_close. */
static void
conn_after_feed(struct http_conn *c)
{
	struct evbuffer *in;

	if (c->state == CONN_DEAD && c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	} else if (c->state == CONN_LINGER) {
		in = bufferevent_get_input(c->bev);
		evbuffer_drain(in, evbuffer_get_length(in));
	}
}

static void
conn_process(struct http_conn *c)
{
	struct evbuffer *in;
	struct evbuffer_iovec v;
	enum http_parse_event ev;
	size_t used;

	while (conn_reading(c)) {
		in = bufferevent_get_input(c->bev);
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
			break;
		if (c->cur == NULL && c->ps.req == NULL && !c->pending)
			conn_arm(c, c->srv->opts.request_timeout_sec);
		c->parsing = true;
		ev = http_parse_feed(&c->ps, v.iov_base, v.iov_len, &used);
		c->parsing = false;
		if (c->state != CONN_ACTIVE) {
			conn_after_feed(c);
			return;
		}
		evbuffer_drain(in, used);
		switch (ev) {
		case HTTP_PARSE_MORE:
			break;
		case HTTP_PARSE_HEAD:
			conn_head(c);
			break;
		case HTTP_PARSE_DONE:
			conn_done(c);
			break;
		case HTTP_PARSE_ERROR:
			conn_fail(c, c->ps.status);
			return;
		}
	}
	conn_read_watch(c);
}

/* An answer that ends the connection before the body is in: nothing more
 * is read but to be dropped, so end now.  Otherwise a request answered
 * from another event is finished from the loop. */
void
http_conn_answered(struct http_conn *c)
{
	struct http_req *r = c->cur;

	if (c->state != CONN_ACTIVE || r == NULL)
		return;
	if (!r->body_done && r->close_after) {
		conn_log(r);
		conn_end(c);
	} else if (!c->dispatching && r->body_done)
		event_active(c->later, EV_TIMEOUT, 1);
}

static void
conn_later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;

	if (c->state == CONN_DEAD) {
		http_conn_free(c);
		return;
	}
	if (c->state == CONN_ACTIVE && c->cur != NULL && c->cur->answered &&
	    c->cur->body_done)
		conn_finish(c);
	conn_process(c);
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;

	if (c->state != CONN_ACTIVE)
		http_conn_close(c);
	else if (c->cur == NULL && c->ps.req == NULL)
		http_conn_close(c);     /* idle, or no handshake */
	else if (c->cur == NULL || !c->cur->dispatched)
		conn_fail(c, 408);
}

static void
conn_readcb(struct bufferevent *bev, void *arg)
{
	struct http_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (c->state == CONN_LINGER)
		evbuffer_drain(in, evbuffer_get_length(in));
	else if (c->state == CONN_ACTIVE)
		conn_process(c);
}

/* Read now and then only when there is room and the client may still send;
 * see the top of the file. */
static void
conn_read_watch(struct http_conn *c)
{
	bool want;

	if (c->rd == NULL)
		return;
	want = c->state != CONN_DEAD && c->bev != NULL && !c->eof &&
	    evbuffer_get_length(bufferevent_get_input(c->bev)) < CONN_READ_HIGH;
	if (want && !c->rd_on)
		event_add(c->rd, NULL);
	else if (!want && c->rd_on)
		event_del(c->rd);
	c->rd_on = want;
}

static void
conn_writecb(struct bufferevent *bev, void *arg)
{
	struct http_conn *c = arg;
	struct http_req *r = c->cur;

	if (c->ssl == NULL && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		bufferevent_disable(bev, EV_WRITE);     /* see http_conn_flush */
	if (c->state == CONN_CLOSING) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			conn_linger(c);
	} else if (c->state == CONN_ACTIVE && r != NULL && r->streaming &&
	    !r->answered && r->on_drain != NULL)
		r->on_drain(&r->pub, r->on_drain_arg);
}

static void
conn_tls_ready(struct http_conn *c)
{
	struct http_server *srv = c->srv;

	c->ready = true;
	if (srv->peer_hook != NULL && srv->peer_hook(c,
	    SSL_get0_peer_certificate(c->ssl), srv->peer_arg) < 0) {
		http_conn_close(c);
		return;
	}
	conn_process(c);
}

static void
conn_eof(struct http_conn *c)
{
	struct http_req *r = c->cur;

	c->eof = true;
	if (c->state == CONN_LINGER)
		http_conn_close(c);
	else if (c->state == CONN_CLOSING)
		return;                 /* let the answer go out first */
	else if (r == NULL && c->ps.req == NULL && http_conn_unsent(c) != 0)
		conn_end(c);
	else
		http_conn_close(c);
}

/* Plain HTTP sent to a TLS listener: OpenSSL spots the request line in
 * place of a handshake.  Answer as Go's net/http does, so that curl or a
 * docker CLI without --tls reads why instead of a reset; the words go
 * straight to the socket, outside TLS, as the client expects. */
static void
conn_tls_plain_http(struct http_conn *c)
{
	static const char answer[] = "HTTP/1.0 400 Bad Request\r\n\r\n"
	    "Client sent an HTTP request to an HTTPS server.\n";
	int fd = bufferevent_getfd(c->bev);
	char junk[4096];
	unsigned long e;
	bool http = false;

	while ((e = bufferevent_get_openssl_error(c->bev)) != 0)
		if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
		    ERR_GET_REASON(e) == SSL_R_HTTP_REQUEST)
			http = true;
	if (!http || !c->srv->opts.answer_plain_http)
		return;
	if (send(fd, answer, sizeof answer - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		log_debug("http: cannot answer plain HTTP on TLS: %s",
		    strerror(errno));
		return;
	}
	/* Unread input at close would make the kernel reset the connection,
	 * which can reach the client before it reads the answer: take the
	 * rest of the request first, and send a FIN. */
	for (int i = 0; i < 16 && recv(fd, junk, sizeof junk, MSG_DONTWAIT) > 0; i++)
		;
	shutdown(fd, SHUT_WR);
}

static void
conn_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct http_conn *c = arg;

	if (what & BEV_EVENT_CONNECTED)
		conn_tls_ready(c);
	else if (what & BEV_EVENT_ERROR) {
		if (c->ssl != NULL && !c->ready)
			conn_tls_plain_http(c);
		http_conn_close(c);
	}
	else if (what & BEV_EVENT_EOF)
		conn_eof(c);
}

static void
conn_read_plain(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec v;
	ssize_t n = -1;

	/* A bufferevent keeps its input's end frozen except in its own reads;
	 * do as they do. */
	evbuffer_unfreeze(in, 0);
	if (evbuffer_reserve_space(in, CONN_READ_CHUNK, &v, 1) == 1) {
		n = read(fd, v.iov_base, v.iov_len);
		if (n > 0) {
			v.iov_len = (size_t)n;
			evbuffer_commit_space(in, &v, 1);
		}
	} else
		errno = ENOMEM;
	evbuffer_freeze(in, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		if (n == 0)
			c->eof = true;  /* no more reads: see conn_read_watch */
		conn_read_watch(c);
		conn_eventcb(c->bev, BEV_EVENT_READING |
		    (n == 0 ? BEV_EVENT_EOF : BEV_EVENT_ERROR), c);
		return;
	}
	conn_readcb(c->bev, c);
	conn_read_watch(c);
}

static struct bufferevent *
conn_bev_new(struct http_conn *c, struct http_listener *l, int fd)
{
	struct event_base *base = c->srv->base;
	struct bufferevent *bev;

	if (l->tls == NULL) {
		c->ready = true;
		return bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	}
	c->ssl = SSL_new(l->tls);
	if (c->ssl == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(base, fd, c->ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(c->ssl);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

static void
conn_peer_setup(struct http_conn *c, struct http_listener *l, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof cr;
	int one = 1;

	c->peer_uid = -1;
	if (l->is_unix) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0)
			c->peer_uid = (long)cr.uid;
	} else
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* From accept to the first request head: the handshake timeout, or the
 * request timeout when that is shorter. */
static int
conn_first_timeout(const struct http_server *srv)
{
	int hs = srv->opts.handshake_timeout_sec, rq = srv->opts.request_timeout_sec;

	return hs < rq ? hs : rq;
}

void
http_conn_accept(struct http_listener *l, int fd, struct http_peer *peer)
{
	struct http_server *srv = l->srv;
	struct http_conn *c = xcalloc(1, sizeof *c);

	c->srv = srv;
	conn_peer_setup(c, l, fd);
	c->bev = conn_bev_new(c, l, fd);
	if (c->bev == NULL) {
		log_warn("http: cannot set up a connection");
		http_peers_release(srv, peer, true);
		close(fd);
		free(c);
		return;
	}
	c->peer = peer;
	c->pending = true;
	http_parse_init(&c->ps, srv->opts.max_header_bytes,
	    srv->opts.max_body_bytes);
	c->timer = evtimer_new(srv->base, conn_timer_cb, c);
	c->later = event_new(srv->base, -1, 0, conn_later_cb, c);
	bufferevent_setcb(c->bev, conn_readcb, conn_writecb, conn_eventcb, c);
	if (c->ssl != NULL) {
		bufferevent_setwatermark(c->bev, EV_READ, 0, CONN_READ_HIGH);
		bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	} else {
		bufferevent_disable(c->bev, EV_WRITE);  /* on by default */
		c->rd = event_new(srv->base, fd, EV_READ | EV_PERSIST,
		    conn_read_plain, c);
		conn_read_watch(c);
	}
	conn_link(&srv->conns, c);
	srv->nconns++;
	conn_arm(c, conn_first_timeout(srv));
}
