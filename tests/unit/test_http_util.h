/*
 * test_http_util.h: a real server on a real loopback socket, and a small
 * blocking client, for the HTTP server tests.
 *
 * The server's loop runs in a thread of its own; the test (the client)
 * runs in the main thread and talks to it through sockets only.  Anything
 * the test wants done on the server (a shutdown, say) is sent through a
 * pipe and run by the loop's thread, since libevent objects belong to
 * their loop's thread.  Responses are read with http-parser in response
 * mode, so pipelined answers are split exactly where they end.
 *
 * Header-only (static inline functions) because each test file is its own
 * program; included by test_http_server.c and test_http_tls.c.
 */
#ifndef TEST_HTTP_UTIL_H
#define TEST_HTTP_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <http_parser.h>
#include <openssl/ssl.h>

#include "buf.h"
#include "http.h"

/* --- the server side --- */

struct ts {
	struct event_base *base;
	struct http_server *srv;
	struct event *wake_ev;
	int wake[2];
	pthread_t thread;
	int port;
};

struct ts_cmd {
	void (*fn)(struct ts *, void *);
	void *arg;
};

static inline void
ts_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ts *ts = arg;
	struct ts_cmd cmd;

	while (read(fd, &cmd, sizeof cmd) == (ssize_t)sizeof cmd)
		cmd.fn(ts, cmd.arg);
}

static inline void *
ts_main(void *arg)
{
	struct ts *ts = arg;

	event_base_dispatch(ts->base);
	return NULL;
}

/* Run fn(ts, arg) on the server's thread. */
static inline void
ts_call(struct ts *ts, void (*fn)(struct ts *, void *), void *arg)
{
	struct ts_cmd cmd = { fn, arg };

	if (write(ts->wake[1], &cmd, sizeof cmd) != (ssize_t)sizeof cmd)
		abort();
}

static inline struct ts *
ts_new(const struct http_server_options *opts, http_handler_fn fn, void *arg)
{
	struct ts *ts = calloc(1, sizeof *ts);

	ts->base = event_base_new();
	ts->srv = http_server_new(ts->base, opts);
	http_server_set_handler(ts->srv, fn, arg);
	if (pipe2(ts->wake, O_NONBLOCK) != 0)
		abort();
	ts->wake_ev = event_new(ts->base, ts->wake[0], EV_READ | EV_PERSIST,
	    ts_wake_cb, ts);
	event_add(ts->wake_ev, NULL);
	return ts;
}

/* Listen on a free loopback port (tls may be NULL) and start the loop. */
static inline int
ts_listen(struct ts *ts, SSL_CTX *tls)
{
	sdc_error_t err = NULL;
	int l = http_server_listen(ts->srv, "127.0.0.1:0", tls, 0, &err);

	if (l < 0) {
		fprintf(stderr, "listen: %s\n", sdc_error_msg(err));
		abort();
	}
	ts->port = http_server_port(ts->srv, l);
	return l;
}

static inline void
ts_start(struct ts *ts)
{
	pthread_create(&ts->thread, NULL, ts_main, ts);
}

static inline void
ts_break(struct ts *ts, void *arg)
{
	event_base_loopbreak(ts->base);
}

static inline void
ts_free(struct ts *ts)
{
	ts_call(ts, ts_break, NULL);
	pthread_join(ts->thread, NULL);
	http_server_free(ts->srv);
	event_free(ts->wake_ev);
	/* Let deferred frees run before the base goes. */
	event_base_loop(ts->base, EVLOOP_NONBLOCK);
	event_base_free(ts->base);
	close(ts->wake[0]);
	close(ts->wake[1]);
	free(ts);
}

/* --- a hijacked connection on the server side ---
 *
 * "echo" mode echoes, and answers the client's half-close with "bye" and
 * a half-close of its own; "first" mode writes "hello", half-closes at
 * once and then records what the client still sends.  Connections still
 * open at the end of a test are freed by hj_drop_all (on the loop).
 */

static struct {
	atomic_int eof;                 /* the client half-closed (echo) */
	atomic_int got_len;
	char got[256];                  /* read after our half-close (first) */
	struct bufferevent *open[8];
} hj_seen;

static inline void
hj_reset(void)
{
	memset(&hj_seen, 0, sizeof hj_seen);
}

static inline void
hj_keep(struct bufferevent *bev)
{
	for (size_t i = 0; i < 8; i++)
		if (hj_seen.open[i] == NULL) {
			hj_seen.open[i] = bev;
			return;
		}
}

static inline void
hj_drop(struct bufferevent *bev)
{
	for (size_t i = 0; i < 8; i++)
		if (hj_seen.open[i] == bev)
			hj_seen.open[i] = NULL;
	bufferevent_free(bev);
}

static inline void
hj_drop_all(struct ts *ts, void *arg)
{
	for (size_t i = 0; i < 8; i++)
		if (hj_seen.open[i] != NULL)
			hj_drop(hj_seen.open[i]);
}

static inline void
hj_echo_read(struct bufferevent *bev, void *arg)
{
	bufferevent_write_buffer(bev, bufferevent_get_input(bev));
}

static inline void
hj_echo_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & BEV_EVENT_EOF) {
		atomic_store(&hj_seen.eof, 1);
		bufferevent_write(bev, "bye", 3);
		http_hijack_shutdown_write(bev);
	} else if (what & BEV_EVENT_ERROR)
		hj_drop(bev);
}

static inline void
hj_first_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	int n = atomic_load(&hj_seen.got_len);
	size_t len = evbuffer_get_length(in);

	if (len > sizeof hj_seen.got - 1 - (size_t)n)
		len = sizeof hj_seen.got - 1 - (size_t)n;
	evbuffer_remove(in, hj_seen.got + n, len);
	atomic_store(&hj_seen.got_len, n + (int)len);
}

static inline void
hj_first_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		hj_drop(bev);
}

static inline int
hj_handle(struct ts *ts, struct http_request *req, bool first)
{
	struct bufferevent *bev;

	bev = http_hijack(req, "application/vnd.docker.raw-stream");
	if (bev == NULL)
		return HTTP_DONE;
	hj_keep(bev);
	if (first) {
		bufferevent_setcb(bev, hj_first_read, NULL, hj_first_event, NULL);
		bufferevent_write(bev, "hello", 5);
		http_hijack_shutdown_write(bev);
	} else {
		bufferevent_setcb(bev, hj_echo_read, NULL, hj_echo_event, NULL);
		if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
			hj_echo_read(bev, NULL);
	}
	return HTTP_DONE;
}

/* --- the client side --- */

static inline double
tc_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct tc {
	int fd;
	SSL *ssl;
	char in[256 * 1024];
	size_t len;
	http_parser hp;
	bool head_request;      /* the response expected answers a HEAD */
};

struct tresp {
	int status;
	struct buf head;        /* "name: value\n" lines, names lower-cased */
	struct buf body;
	int chunks;             /* body callbacks seen */
	bool complete;
	int keep_alive;
	struct buf field;
};

static inline void
tc_timeout(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static inline struct tc *
tc_connect_fd(int fd)
{
	struct tc *tc = calloc(1, sizeof *tc);

	tc->fd = fd;
	tc_timeout(fd, 5000);
	http_parser_init(&tc->hp, HTTP_RESPONSE);
	return tc;
}

static inline struct tc *
tc_connect(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return NULL;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return tc_connect_fd(fd);
}

/* From another loopback address (127.0.0.2, say): another client host
 * for the server's limits per address. */
static inline struct tc *
tc_connect_from(int port, const char *from)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in src = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (inet_pton(AF_INET, from, &src.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&src, sizeof src) != 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return NULL;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return tc_connect_fd(fd);
}

static inline struct tc *
tc_connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof sa.sun_path)
		return NULL;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return NULL;
	}
	return tc_connect_fd(fd);
}

static inline void
tc_close(struct tc *tc)
{
	if (tc->ssl != NULL)
		SSL_free(tc->ssl);
	close(tc->fd);
	free(tc);
}

static inline int
tc_write(struct tc *tc, const void *data, size_t len)
{
	if (tc->ssl != NULL)
		return SSL_write(tc->ssl, data, (int)len) == (int)len ? 0 : -1;
	while (len > 0) {
		ssize_t n = send(tc->fd, data, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		data = (const char *)data + n;
		len -= (size_t)n;
	}
	return 0;
}

static inline int
tc_send(struct tc *tc, const char *s)
{
	return tc_write(tc, s, strlen(s));
}

/* Read whatever comes next; 0 at EOF, -1 on error or timeout. */
static inline ssize_t
tc_read_raw(struct tc *tc, char *buf, size_t len)
{
	if (tc->ssl != NULL) {
		int n = SSL_read(tc->ssl, buf, (int)len);

		if (n > 0)
			return n;
		return SSL_get_error(tc->ssl, n) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
	}
	return recv(tc->fd, buf, len, 0);
}

/* Fill the input buffer a little more. */
static inline ssize_t
tc_fill(struct tc *tc)
{
	ssize_t n;

	if (tc->len == sizeof tc->in)
		return -1;
	n = tc_read_raw(tc, tc->in + tc->len, sizeof tc->in - tc->len);
	if (n > 0)
		tc->len += (size_t)n;
	return n;
}

static inline int
tr_on_status(http_parser *hp, const char *at, size_t len)
{
	return 0;
}

static inline int
tr_on_field(http_parser *hp, const char *at, size_t len)
{
	struct tresp *r = hp->data;

	for (size_t i = 0; i < len; i++)
		buf_putc(&r->field, (char)(at[i] >= 'A' && at[i] <= 'Z' ?
		    at[i] + 32 : at[i]));
	return 0;
}

static inline int
tr_on_value(http_parser *hp, const char *at, size_t len)
{
	struct tresp *r = hp->data;

	if (r->field.len > 0) {
		buf_append(&r->head, r->field.data, r->field.len);
		buf_puts(&r->head, ": ");
		buf_reset(&r->field);
	}
	buf_append(&r->head, at, len);
	return 0;
}

static inline int
tr_on_headers(http_parser *hp)
{
	struct tresp *r = hp->data;

	r->status = hp->status_code;
	return 0;
}

static inline int
tr_on_headers_head(http_parser *hp)
{
	tr_on_headers(hp);
	return 1;               /* no body after a HEAD */
}

static inline int
tr_on_body(http_parser *hp, const char *at, size_t len)
{
	struct tresp *r = hp->data;

	buf_append(&r->body, at, len);
	r->chunks++;
	return 0;
}

static inline int
tr_on_complete(http_parser *hp)
{
	struct tresp *r = hp->data;

	r->complete = true;
	r->keep_alive = http_should_keep_alive(hp);
	http_parser_pause(hp, 1);
	return 0;
}

/* Header lines get a newline between them: the value callback cannot
 * tell where a header ends, so insert it when the next name starts. */
static inline int
tr_on_field_nl(http_parser *hp, const char *at, size_t len)
{
	struct tresp *r = hp->data;

	if (r->field.len == 0 && r->head.len > 0 &&
	    r->head.data[r->head.len - 1] != '\n')
		buf_putc(&r->head, '\n');
	return tr_on_field(hp, at, len);
}

static inline void
tresp_free(struct tresp *r)
{
	buf_free(&r->head);
	buf_free(&r->body);
	buf_free(&r->field);
	memset(r, 0, sizeof *r);
}

/* Feed buffered bytes; true once the response is complete. */
static inline bool
tc_feed(struct tc *tc, struct tresp *r, bool until_eof)
{
	http_parser_settings s = {
		.on_status = tr_on_status,
		.on_header_field = tr_on_field_nl,
		.on_header_value = tr_on_value,
		.on_headers_complete = tc->head_request ? tr_on_headers_head :
		    tr_on_headers,
		.on_body = tr_on_body,
		.on_message_complete = tr_on_complete,
	};
	size_t n;

	tc->hp.data = r;
	if (HTTP_PARSER_ERRNO(&tc->hp) == HPE_PAUSED)
		http_parser_pause(&tc->hp, 0);
	n = http_parser_execute(&tc->hp, &s, tc->in, tc->len);
	memmove(tc->in, tc->in + n, tc->len - n);
	tc->len -= n;
	if (until_eof)
		http_parser_execute(&tc->hp, &s, NULL, 0);
	return r->complete;
}

/* Read until the response is complete, or has at least `chunks` pieces
 * of body (0: until complete); its status, or -1. */
static inline int
tc_until(struct tc *tc, struct tresp *r, int chunks)
{
	for (;;) {
		ssize_t n;

		if (tc->len > 0 && tc_feed(tc, r, false))
			break;
		if (chunks > 0 && r->chunks >= chunks)
			return r->status;
		if (HTTP_PARSER_ERRNO(&tc->hp) != HPE_OK &&
		    HTTP_PARSER_ERRNO(&tc->hp) != HPE_PAUSED)
			return -1;
		n = tc_fill(tc);
		if (n == 0) {
			if (!tc_feed(tc, r, true))
				return -1;
			break;
		}
		if (n < 0)
			return -1;
	}
	tc->head_request = false;
	return r->status;
}

/* Read one whole response; its status, or -1. */
static inline int
tc_response(struct tc *tc, struct tresp *r)
{
	memset(r, 0, sizeof *r);
	return tc_until(tc, r, 0);
}

/* A request, then its response; the status, or -1. */
static inline int
tc_request(struct tc *tc, const char *req, struct tresp *r)
{
	if (tc_send(tc, req) < 0)
		return -1;
	return tc_response(tc, r);
}

/* Does the head carry this line ("name: value", lower-case name)? */
static inline bool
tresp_has(const struct tresp *r, const char *line)
{
	return strstr(buf_str(&r->head), line) != NULL;
}

/* Read until EOF (true) or time out (false). */
static inline bool
tc_wait_eof(struct tc *tc, double secs)
{
	double end = tc_now() + secs;
	char tmp[4096];

	tc_timeout(tc->fd, 200);
	while (tc_now() < end) {
		ssize_t n = tc_read_raw(tc, tmp, sizeof tmp);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    tc->ssl == NULL))
			return true;
		if (n < 0 && tc->ssl != NULL && SSL_get_error(tc->ssl, -1) !=
		    SSL_ERROR_WANT_READ && errno != EAGAIN)
			return true;
	}
	return false;
}

/* Read exactly len raw bytes (after any buffered ones). */
static inline int
tc_read_exact(struct tc *tc, char *out, size_t len)
{
	while (tc->len < len) {
		if (tc_fill(tc) <= 0)
			return -1;
	}
	memcpy(out, tc->in, len);
	memmove(tc->in, tc->in + len, tc->len - len);
	tc->len -= len;
	return 0;
}

/* Read a response head byte for byte up to its blank line, leaving what
 * follows (a raw stream) unread; the head's text, or NULL. */
static inline char *
tc_raw_head(struct tc *tc)
{
	struct buf b = BUF_INIT;
	char *end;

	for (;;) {
		if (tc->len > 0) {
			buf_append(&b, tc->in, tc->len);
			tc->len = 0;
		}
		end = strstr(buf_str(&b), "\r\n\r\n");
		if (end != NULL) {
			size_t headlen = (size_t)(end + 4 - b.data);

			tc->len = b.len - headlen;
			memcpy(tc->in, b.data + headlen, tc->len);
			b.len = headlen;
			b.data[headlen] = '\0';
			return b.data;
		}
		if (tc_fill(tc) <= 0) {
			buf_free(&b);
			return NULL;
		}
	}
}

/* Poll an atomic flag set by the server thread. */
static inline bool
tc_wait_flag(atomic_int *flag, int want, double secs)
{
	double end = tc_now() + secs;

	while (tc_now() < end) {
		if (atomic_load(flag) == want)
			return true;
		usleep(10000);
	}
	return atomic_load(flag) == want;
}

#endif
