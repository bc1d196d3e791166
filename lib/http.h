/*
 * http.h: the HTTP/1.1 server every daemon uses.
 *
 * One libevent loop per daemon.  Each connection is a bufferevent (a plain
 * socket, or OpenSSL through bufferevent_openssl) read by Node's
 * http-parser.  A request is handed to the server's handler once its head
 * and body have arrived (or, for a route that asks for it, once its head has
 * arrived and the body then streams to a sink).  A connection works on one
 * request at a time: pipelined requests wait in the input buffer until the
 * response before them is complete, so answers always leave in order.
 *
 * A handler either answers before it returns (HTTP_DONE) or keeps the
 * request and answers later from another event (HTTP_ASYNC): long polls,
 * waits and followed logs.  If the client goes away first, the request's
 * close callback runs and the request is freed right after it returns.
 *
 * Everything here runs on the loop's thread; nothing blocks.
 */
#ifndef SDC_HTTP_H
#define SDC_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/ssl.h>
#include <jansson.h>

#include "buf.h"
#include "error.h"

struct event_base;
struct bufferevent;
struct http_server;
struct http_conn;
struct http_request;

enum http_result {
	HTTP_DONE = 0,          /* answered (or hijacked) before returning */
	HTTP_ASYNC = 1,         /* will answer later */
};

typedef int (*http_handler_fn)(struct http_request *req, void *arg);

/* Sees a request once its head is complete, before any body is read: may
 * raise the body limit or turn on body streaming.  Return 0 to go on, or
 * answer the request (e.g. 404) and return -1 to skip the body. */
typedef int (*http_head_fn)(struct http_request *req, void *arg);

/* Receives body bytes as they arrive when streaming is on; len 0 means
 * the body is complete.  Return -1 to abort the request (the connection is
 * closed). */
typedef int (*http_body_sink_fn)(struct http_request *req, const char *data,
    size_t len, void *arg);

/* Called after a TLS handshake with the peer's certificate (NULL when the
 * client sent none).  Return 0 to keep the connection, -1 to drop it.  The
 * hook may attach per-connection data with http_conn_set_data(). */
typedef int (*http_tls_peer_fn)(struct http_conn *conn, X509 *peer, void *arg);

typedef void (*http_event_fn)(struct http_request *req, void *arg);

struct http_kv {
	char *name;
	char *value;
};

struct http_request {
	struct http_conn *conn;
	const char *method;             /* "GET", "POST", ... */
	char *target;                   /* the request-target as sent */
	char *path;                     /* percent-decoded, no query; after the
	                                   router, without a /vX.Y prefix */
	int api_major, api_minor;       /* from a /vX.Y prefix; 0.0 if none */
	struct http_kv *headers;        /* as sent, in order */
	size_t nheaders;
	struct http_kv *query;          /* decoded, in order */
	size_t nquery;
	struct http_kv *params;         /* named path parameters (router) */
	size_t nparams;
	struct buf body;                /* the whole body unless streamed */
	int http_minor;                 /* 0 for HTTP/1.0, 1 for HTTP/1.1 */
	char req_id[37];                /* x-request-id, sent or made up */
	void *route;                    /* set by the router: the matched route */
	void *data;                     /* for the handler's own use */
};

struct http_server_options {
	size_t max_header_bytes;        /* beyond: 431; default 64 KiB */
	size_t max_body_bytes;          /* beyond: 413; default 1 MiB */
	int idle_timeout_sec;           /* keep-alive idle; default 60 */
	int request_timeout_sec;        /* whole head + body; default 30 */
	int max_connections;            /* all at once; default 4096.  At
	                                   the cap a new connection is closed
	                                   as soon as it is accepted */
	/* Limits per client address (an IPv4 address, or an IPv6 /64), checked
	 * at accept before any TLS work; 0 means no limit.  A connection is
	 * "pending" from accept until its first request head is complete
	 * (on TLS: the handshake and that head). */
	int peer_max_connections;
	int peer_max_pending;
	int handshake_timeout_sec;      /* accept to the first request head;
	                                   default 10 (at most the request
	                                   timeout) */
	const char *server_header;      /* "Server:" value; NULL for none */
	bool answer_plain_http;         /* plain HTTP on a TLS listener gets
	                                   Go's readable 400 (Docker clients
	                                   expect it); else only a close */
};

/* --- the server --- */

struct http_server *http_server_new(struct event_base *base,
    const struct http_server_options *opts);
void http_server_set_handler(struct http_server *srv, http_handler_fn fn, void *arg);
void http_server_set_head_hook(struct http_server *srv, http_head_fn fn, void *arg);
void http_server_set_tls_peer_hook(struct http_server *srv, http_tls_peer_fn fn, void *arg);

/* Listen on "HOST:PORT", "[V6]:PORT" or "unix:PATH" (mode 0600 unless
 * unix_mode != 0).  Port 0 picks a free port; http_server_port() tells which.
 * tls NULL means plain HTTP.  Returns the listener's index, or -1. */
int http_server_listen(struct http_server *srv, const char *addr, SSL_CTX *tls,
    int unix_mode, sdc_error_t *err);
int http_server_port(struct http_server *srv, int listener);

/* Stop accepting, close idle connections, let requests in flight finish
 * (async ones are given grace_sec, then closed), then call done(arg). */
void http_server_shutdown(struct http_server *srv, int grace_sec,
    void (*done)(void *arg), void *arg);
void http_server_free(struct http_server *srv);
/* Change the connection limits of a running server (max_connections,
 * peer_max_connections, peer_max_pending, handshake_timeout_sec; the
 * other fields are ignored).  Connections already open stay. */
void http_server_set_limits(struct http_server *srv,
    const struct http_server_options *limits);
/* Connections open now, and those refused at accept by a limit. */
int http_server_connections(const struct http_server *srv);
unsigned long http_server_refused(const struct http_server *srv);

/* --- reading a request --- */

const char *http_header(const struct http_request *req, const char *name);
const char *http_query(const struct http_request *req, const char *name);
/* Docker's booleans: 1/true/True/yes → true, 0/false/False/no → false,
 * absent or empty → def. */
bool http_query_bool(const struct http_request *req, const char *name, bool def);
const char *http_param(const struct http_request *req, const char *name);
/* The body parsed as JSON; NULL with *err filled when it is not. An empty
 * body gives an empty object. */
json_t *http_body_json(const struct http_request *req, sdc_error_t *err);

/* Body streaming: from a head hook, or from the handler of a request
 * whose head hook turned streaming on (to put its own sink in place before
 * the first byte arrives). */
void http_set_body_limit(struct http_request *req, size_t max);
void http_stream_body(struct http_request *req, http_body_sink_fn sink, void *arg);
/* Stop (true) or resume (false) reading a streamed body, for a sink whose
 * consumer falls behind: the socket is not read while paused.  Bytes the
 * parser already holds may still reach the sink after pausing. */
void http_pause_body(struct http_request *req, bool pause);

/* Called if the client goes away before the request is answered. */
void http_on_close(struct http_request *req, http_event_fn fn, void *arg);
/* Called once when the request is over, however it ended (answered, the
 * client gone, the connection taken over): for the caller's accounting.
 * One per request; returns the arg of the one it replaces (NULL, NULL
 * takes it back). */
void *http_on_finish(struct http_request *req, http_event_fn fn, void *arg);

/* The connection's TLS peer certificate (borrowed), or NULL. */
X509 *http_peer_cert(const struct http_request *req);
/* Per-connection data, freed with free_fn when the connection closes. */
void http_conn_set_data(struct http_conn *conn, void *data, void (*free_fn)(void *));
void *http_conn_data(const struct http_conn *conn);
/* Who the connection counts against (the daemon's accounting, beside
 * its data): release(owner) runs once, when the connection closes or is
 * taken over. */
void http_conn_set_owner(struct http_conn *conn, void *owner,
    void (*release)(void *));
void *http_conn_owner(const struct http_conn *conn);
/* Peer credentials on a unix socket (uid; -1 on TCP). */
long http_peer_uid(const struct http_request *req);

/* --- answering --- */

/* The answer to this request ends the connection ("Connection: close");
 * call before the reply. */
void http_close_after(struct http_request *req);
/* Add a response header; call before the reply. */
void http_set_header(struct http_request *req, const char *name, const char *value);
int http_reply(struct http_request *req, int status, const char *content_type,
    const void *body, size_t len);
/* Steals the reference to body (may be NULL for no body). */
int http_reply_json(struct http_request *req, int status, json_t *body);

/* A response of unknown length: chunked on HTTP/1.1, close-delimited on
 * 1.0.  Each write is flushed as written.  http_stream_write returns -1 once
 * the client has gone.  When more than a little output is queued, writers
 * should wait for on_drain before writing more. */
int http_stream_start(struct http_request *req, int status, const char *content_type);
int http_stream_write(struct http_request *req, const void *data, size_t len);
int http_stream_printf(struct http_request *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
size_t http_stream_pending(const struct http_request *req);
void http_stream_on_drain(struct http_request *req, http_event_fn fn, void *arg);
void http_stream_end(struct http_request *req);

/* Take the connection over (Docker's attach and exec): answers 101 UPGRADED
 * with "Upgrade: tcp" when the client asked to upgrade, else 200 OK, with
 * the given content type, then hands the bufferevent to the caller, any
 * bytes already read past the request first in its input.  The caller
 * owns it from then on (bufferevent_free when done); the request is freed.
 * Half-close: http_hijack_shutdown_write(). */
struct bufferevent *http_hijack(struct http_request *req, const char *content_type);
void http_hijack_shutdown_write(struct bufferevent *bev);
/* The peer closed its sending side: stop reading and keep the output
 * going (on TLS, libevent stops writing at the peer's close_notify and
 * would leave what is queued unsent). */
void http_hijack_read_closed(struct bufferevent *bev);

/* Reason phrase for a status code ("Not Found"). */
const char *http_status_text(int status);

#endif
