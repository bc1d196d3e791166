/*
 * fetch.h: every outgoing HTTP request, through libcurl.
 *
 * One `struct fetch` is used by one thread at a time.  It holds a libcurl
 * multi handle and one easy handle, so the connections its answers leave
 * open are kept (keep-alive, HTTP/2 to a registry) and reused by the next
 * request to the same place.  The request runs on the caller's thread in
 * the multi interface's loop, which is what lets fetch_interrupt() from
 * another thread wake it at once (curl_multi_wakeup), and lets the idle
 * timeout, the progress callback and the address check act between
 * socket events.  URLs are http:// and https://; a unix_path in the
 * options sends every request to that socket instead, the URL's host then
 * only filling the Host header.
 *
 * libcurl brings what a hand-written client never had: a resolver in a
 * thread under the connect timeout, happy eyeballs between IPv6 and IPv4,
 * HTTP/2, proxies of every kind and auth scheme, content decoding.
 *
 * HTTPS verifies the server's certificate against the system's store
 * (SSL_CERT_FILE and SSL_CERT_DIR name another, as OpenSSL's tools read
 * them) or against ca_file alone, when given, and checks its name, unless
 * the client is made `insecure`.  cert_file and key_file present a client
 * certificate (mutual TLS, as sapi on TCP asks for).  Redirects are
 * followed here, hop by hop, when asked: 303 (and 301 and 302 after a
 * POST) turn into a GET without body, an Authorization header stays
 * behind once one leads away from the first URL's scheme, host and port,
 * and every hop gets its proxy and its address checks afresh.
 * `use_proxy_env` honours https_proxy, http_proxy, all_proxy and no_proxy
 * as curl does.
 *
 * A request returns 0 for any answer the server gave, whatever its status,
 * and -1 with *err when there was none: err->code is then one of the
 * FETCH_E_* below (libcurl's numbers for the same failures, all below
 * 100, so they never meet an HTTP status) and the message names the URL
 * and what failed ("http://127.0.0.1:9/x: connect to 127.0.0.1:9:
 * Connection refused").
 */
#ifndef SDC_FETCH_H
#define SDC_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "error.h"

enum {
	FETCH_E_URL = 3,                /* not a URL this client takes */
	FETCH_E_PROXY_RESOLVE = 5,
	FETCH_E_RESOLVE = 6,
	FETCH_E_CONNECT = 7,
	FETCH_E_PROTOCOL = 8,           /* the answer is not HTTP */
	FETCH_E_PARTIAL = 18,           /* closed before the body was whole */
	FETCH_E_SINK = 23,              /* the body sink refused data */
	FETCH_E_TIMEOUT = 28,
	FETCH_E_TLS = 35,
	FETCH_E_ABORTED = 42,           /* interrupted or cancelled */
	FETCH_E_REDIRECTS = 47,
	FETCH_E_EMPTY = 52,             /* closed without an answer */
	FETCH_E_SEND = 55,
	FETCH_E_RECV = 56,
	FETCH_E_VERIFY = 60,            /* the certificate did not verify */
	FETCH_E_TOO_LARGE = 63,
	FETCH_E_PROXY = 97,
	FETCH_E_REFUSED = 98,           /* addr_check refused the host */
};

struct sockaddr;

struct fetch_options {
	const char *unix_path;          /* every request goes to this socket */
	bool insecure;                  /* https without any verification */
	bool follow_redirects;          /* up to 5 in a row */
	bool use_proxy_env;             /* https_proxy, http_proxy, no_proxy */
	long connect_timeout_ms;        /* name lookup included; 0: 30 s */
	long timeout_ms;                /* whole request; 0: none */
	long idle_timeout_ms;           /* nothing moves for this long; 0: none */
	const char *user_agent;         /* NULL: no User-Agent */
	const char *ca_file;            /* PEM CAs to verify with, instead of
	                                   the system's store; NULL: those */
	const char *cert_file;          /* PEM client certificate, or NULL */
	const char *key_file;           /* its PEM key (NULL: in cert_file) */
	/* Judges the addresses of the URL's host (redirects included)
	 * before any connection to them: each address libcurl is about to
	 * connect to, when it connects directly; when a proxy carries the
	 * request, every address the host resolves to here, before the
	 * proxy is asked (the proxy then resolves the name again; a name
	 * that does not resolve here is left to it).  -1 refuses the host
	 * and the request fails with FETCH_E_REFUSED, having connected to
	 * no refused address.  NULL: all. */
	int (*addr_check)(void *arg, const char *host, int port,
	    const struct sockaddr *sa);
	void *addr_check_arg;
};

struct fetch_header {
	char *name;
	char *value;
};

struct fetch_response {
	int status;
	struct fetch_header *headers;
	size_t nheaders;
	int64_t content_length;         /* -1 when the answer gave none */
	struct buf body;                /* when the request has no sink */
	char *url;                      /* the last one, after redirects */
};

/* Body bytes as they arrive, after r's status and headers are known (the
 * bodies of redirects followed never get here).  Return -1 to stop the
 * request, having filled *err or not. */
typedef int (*fetch_sink_fn)(void *arg, const struct fetch_response *r,
    const void *data, size_t len, sdc_error_t *err);
/* After body bytes arrive and every quarter second while waiting
 * (connecting included): `got` bytes of `total` (-1: unknown) of the
 * current answer's body, 0 of -1 while a redirect is followed.  Return -1
 * to cancel (FETCH_E_ABORTED). */
typedef int (*fetch_progress_fn)(void *arg, int64_t got, int64_t total);

struct fetch_request {
	const char *method;             /* NULL: GET */
	const char *url;
	const char *const *headers;     /* "Name: value", NULL-terminated */
	const void *body;               /* sent with Content-Length; or NULL */
	size_t body_len;
	long timeout_ms;                /* 0: the client's */
	long idle_timeout_ms;           /* nothing received for this long;
	                                   0: the client's */
	size_t body_max;                /* into r->body; 0: 16 MiB */
	fetch_sink_fn sink;             /* or NULL: into r->body */
	void *sink_arg;
	fetch_progress_fn progress;
	void *progress_arg;
	/* A body read as it goes out, in place of body: body_len bytes
	 * (its Content-Length), or FETCH_BODY_CHUNKED for a body that
	 * streams through until its end, of a length not known (sent
	 * chunked; PUT, or method).  read() gives up to len bytes, 0 at
	 * their end, -1 to abort the request (FETCH_E_ABORTED); a client
	 * interrupted meanwhile aborts rather than end the body early.  A
	 * body that moves counts as movement for the idle timeout.  It is
	 * not sent again through a redirect: that answer is the request's.
	 * fetch_read_fd reads a descriptor (arg: its int's address). */
	ssize_t (*body_read)(void *arg, void *buf, size_t len);
	void *body_read_arg;
};

#define FETCH_BODY_CHUNKED ((size_t)-1)

/* A body_read that reads the descriptor *(int *)arg, EINTR retried. */
ssize_t fetch_read_fd(void *arg, void *buf, size_t len);

/* o may be NULL for the defaults.  Never fails. */
struct fetch *fetch_new(const struct fetch_options *o);
void fetch_free(struct fetch *c);
/* A new client with the same options and no connections. */
struct fetch *fetch_dup(const struct fetch *c);

/* 0 with *r filled (free it with fetch_response_free), or -1 with *err
 * and *r left empty. */
int fetch_request(struct fetch *c, const struct fetch_request *rq,
    struct fetch_response *r, sdc_error_t *err);
void fetch_response_free(struct fetch_response *r);
/* A response header's value, the name in any case; NULL if absent. */
const char *fetch_header(const struct fetch_response *r, const char *name);

/* From any thread: abort the request in flight, and every later one. */
void fetch_interrupt(struct fetch *c);

/* "Basic <base64 of user:pass>", an Authorization header's value; free
 * the result. */
char *fetch_basic_auth(const char *user, const char *pass);

/* Percent-encode everything but letters, digits and "-._~" (a path
 * segment or a query value); free the result. */
char *fetch_escape(const char *s);

#endif
