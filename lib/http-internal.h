/*
 * http-internal.h: what the lib/http-*.c files share and nobody else sees.
 *
 * The server is layered so that each layer can be tested alone:
 *
 *   http-listen.c   listeners (TCP, unix, TLS), accept, shutdown
 *   http-peers.c    connections counted by client address, for the
 *                   limits checked at accept
 *   http-conn.c     one connection: input → parser → head hook → body →
 *                   handler, timers, close, lingering close
 *   http-parse.c    bytes → struct http_req, with no sockets at all (the
 *                   fuzz target drives it directly)
 *   http-reply.c    response heads, replies, streams, hijack
 *   http-request.c  the accessors a handler calls, and a request's end
 *   http-util.c     status texts, percent-decoding, the Date header
 *
 * A public struct http_request is the first member of a struct http_req,
 * which holds the server's private state for the request.  Ownership: the
 * parser owns a request until its head is complete; from then on the
 * connection does, and frees it late (from a deferred event), so a handler
 * may still look at a request in the call that answered it.
 */
#ifndef SDC_HTTP_INTERNAL_H
#define SDC_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <http_parser.h>

#include "buf.h"
#include "http.h"

struct evbuffer;
struct event;
struct evconnlistener;
struct sockaddr;
struct http_peers;
struct http_peer;

struct http_req {
	struct http_request pub;        /* first: the public view */
	struct buf arena;               /* target, header names and values,
	                                   decoded path and query; NUL-separated */
	struct http_kv *kv;             /* headers, then query: one allocation */
	size_t body_limit;
	http_body_sink_fn sink;
	void *sink_arg;
	http_event_fn on_close;
	void *on_close_arg;
	http_event_fn on_drain;
	void *on_drain_arg;
	http_event_fn on_finish;
	void *on_finish_arg;
	struct buf out_headers;         /* "Name: value\r\n" lines to send */
	uint64_t start_usec;
	int status;                     /* what it was answered with */
	bool keep_alive;                /* the client's wish */
	bool head_method;
	bool head_done, body_done;      /* reading */
	bool dispatched, answered;      /* handling */
	bool streaming, chunked, close_after;
	bool bodyless;                  /* HEAD, 204, 304: send no body */
	bool discard_body;              /* answered early: drop what follows */
	bool body_paused;               /* http_pause_body(): stop reading */
	bool gone;                      /* the client left before the answer */
	bool forced_close;              /* http_close_after() */
};

#define HTTP_REQ(r) ((struct http_req *)(r))

/* --- http-parse.c --- */

enum http_parse_event {
	HTTP_PARSE_MORE,                /* all input used; want more */
	HTTP_PARSE_HEAD,                /* a head is complete: ps->req */
	HTTP_PARSE_DONE,                /* the message is complete */
	HTTP_PARSE_ERROR,               /* ps->status says what to answer */
};

struct http_parse {
	http_parser hp;
	struct http_req *req;           /* being read; NULL between messages */
	size_t max_header;              /* head bytes allowed */
	size_t max_body;                /* each new request's body limit */
	size_t head_bytes;              /* of the current head so far */
	int status;                     /* after an error: 400, 413, 431; 0
	                                   when the connection should just close */
	enum http_parse_event event;    /* set by the callback that paused */
	size_t *offs;                   /* arena offsets: name, value, ... */
	size_t noffs, offs_cap;
	int last;                       /* which piece the arena ends with */
	size_t path_off;                /* of the decoded path in the arena */
};

void http_parse_init(struct http_parse *ps, size_t max_header, size_t max_body);
/* Feed bytes; *used tells how many were taken.  Stops after a head and
 * after a message, so pipelined requests stay in the caller's buffer. */
enum http_parse_event http_parse_feed(struct http_parse *ps, const char *data,
    size_t len, size_t *used);
/* The Content-Length of the request whose head was just read, or -1. */
long long http_parse_content_length(const struct http_parse *ps);
/* True when the message ended with a protocol switch (nothing after it is
 * HTTP any more). */
bool http_parse_upgraded(const struct http_parse *ps);
/* Frees the request being read unless its head was handed on. */
void http_parse_free(struct http_parse *ps);

/* --- http-request.c --- */

void http_req_free(struct http_req *req);

/* --- http-util.c --- */

/* Decode %XX (and '+' as a space when plus is true) in place; returns the
 * new length.  Malformed escapes are kept as they are. */
size_t http_util_unescape(char *s, size_t len, bool plus);
/* The current time as an HTTP date, cached per second. */
const char *http_util_date(void);
uint64_t http_util_now_usec(void);
/* A random (version 4) UUID for a request that came without an id. */
void http_util_req_id(char out[37]);

/* --- http-conn.c --- */

struct http_listener {
	struct http_server *srv;
	struct evconnlistener *lev;
	SSL_CTX *tls;
	bool is_unix;
	char *unix_path;
	int port;
};

struct http_server {
	struct event_base *base;
	struct http_server_options opts;
	http_handler_fn handler;
	void *handler_arg;
	http_head_fn head_hook;
	void *head_arg;
	http_tls_peer_fn peer_hook;
	void *peer_arg;
	struct http_listener **listeners;
	size_t nlisteners;
	struct http_conn *conns;        /* doubly linked through prev/next */
	struct http_conn *dead;         /* closed, memory not yet freed */
	int nconns;
	struct http_peers *peers;       /* http-peers.c */
	unsigned long refused;          /* at accept, by a limit */
	unsigned long refused_logged;   /* of those, told in the log */
	int64_t refused_log_sec;        /* when the log last said so */
	bool shutting_down;
	void (*done)(void *);
	void *done_arg;
	struct event *ev_grace;
	struct event *ev_done;
	struct event *ev_resume;        /* accept again after an accept error */
	struct buf scratch;             /* response heads are built here */
};

struct http_conn {
	struct http_server *srv;
	struct http_conn *prev, *next;
	struct bufferevent *bev;        /* NULL once hijacked or closed */
	SSL *ssl;                       /* NULL on plain connections */
	bool ready;                     /* plain, or TLS handshake done and
	                                   the peer accepted */
	bool pending;                   /* no first request head yet */
	struct http_peer *peer;         /* its address's count, or NULL */
	void *owner;                    /* http_conn_set_owner() */
	void (*owner_release)(void *);
	long peer_uid;
	struct http_parse ps;
	struct http_req *cur;           /* the request read or handled now */
	struct event *timer;            /* request, idle or linger timeout */
	struct event *later;            /* deferred: go on reading, or free */
	struct event *rd;               /* plain sockets: our own reader */
	bool rd_on;                     /* rd is added */
	void *data;
	void (*data_free)(void *);
	enum { CONN_ACTIVE, CONN_CLOSING, CONN_LINGER, CONN_DEAD } state;
	bool eof;                       /* the client sent all it will send */
	bool dispatching;               /* inside the handler's call */
	bool parsing;                   /* inside the parser: input in use */
};

/* A new connection, counted against peer (may be NULL). */
void http_conn_accept(struct http_listener *l, int fd, struct http_peer *peer);
/* The request's response is complete (replied, ended or hijacked). */
void http_conn_answered(struct http_conn *c);
/* Close now; an unanswered request's on_close runs; memory goes later. */
void http_conn_close(struct http_conn *c);
/* Free a closed connection's memory (normally done from the loop). */
void http_conn_free(struct http_conn *c);
/* Send what is queued now if the socket takes it (see http-conn.c). */
void http_conn_flush(struct http_conn *c);
/* Where the response goes; NULL once the client is gone. */
struct evbuffer *http_conn_output(struct http_conn *c);
/* Bytes of output not yet taken by the kernel. */
size_t http_conn_unsent(struct http_conn *c);
/* Give the bufferevent away: the connection forgets it and closes. */
struct bufferevent *http_conn_detach(struct http_conn *c);
void http_conn_set_drain_mark(struct http_conn *c, size_t low);

/* --- http-listen.c --- */

/* A connection ended: finish shutdown if it was the last. */
void http_server_conn_gone(struct http_server *srv);

/* --- http-peers.c --- */

/* Count a new connection from sa against its address; -1 (and nothing
 * counted) when the address is at one of its limits, *why and *limit
 * saying which.
 * Unix sockets are not counted: *peer is NULL and the call succeeds. */
int http_peers_admit(struct http_server *srv, const struct sockaddr *sa,
    struct http_peer **peer, const char **why, int *limit);
/* The connection sent its first request head: no longer pending. */
void http_peers_established(struct http_peer *p);
/* The connection closed (pending or not). */
void http_peers_release(struct http_server *srv, struct http_peer *p,
    bool pending);
/* The address as text, for the log. */
void http_peers_format(const struct sockaddr *sa, char *out, size_t len);
void http_peers_free(struct http_server *srv);

#endif
