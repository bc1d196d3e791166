/*
 * http-client.h: a small blocking HTTP/1.1 client, for tools and threads.
 *
 * One `struct http_client` is used by one thread at a time.  It keeps the
 * connections its answers left open (keep-alive) and reuses them for the
 * next request to the same place, so a registry pull's many requests to one
 * host share a connection.  URLs are http:// and https://; a unix_path in
 * the options sends every request to that socket instead, the URL's host
 * then only filling the Host header.
 *
 * HTTPS verifies the server's certificate against the system's store (or
 * against ca_file alone, when given) and checks its name, unless the client
 * is made `insecure`.  cert_file and key_file present a client certificate
 * (mutual TLS, as sapi on TCP asks for); a client with any of the three has
 * a TLS context of its own, loaded at its first handshake, where a file
 * that cannot be used fails the request with HTTP_CLIENT_E_TLS naming it.  Redirects are
 * followed when asked (an Authorization header is dropped when one leads to
 * another host), and `use_proxy_env` honours https_proxy, http_proxy and
 * no_proxy as curl does (a CONNECT tunnel for https).
 *
 * A request returns 0 for any answer the server gave, whatever its status,
 * and -1 with *err when there was none: err->code is then one of the
 * HTTP_CLIENT_E_* below (libcurl's numbers for the same failures, all below
 * 100, so they never meet an HTTP status) and the message names the URL
 * and what failed ("http://127.0.0.1:9/x: connect to 127.0.0.1:9:
 * Connection refused").
 *
 * Blocking, but never stuck: connect, whole-request and idle timeouts, a
 * progress callback that may cancel, and http_client_interrupt() from
 * another thread, which wakes a request waiting on its socket at once.
 */
#ifndef SDC_HTTP_CLIENT_H
#define SDC_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

enum {
	HTTP_CLIENT_E_URL = 3,          /* not a URL this client takes */
	HTTP_CLIENT_E_PROXY_RESOLVE = 5,
	HTTP_CLIENT_E_RESOLVE = 6,
	HTTP_CLIENT_E_CONNECT = 7,
	HTTP_CLIENT_E_PROTOCOL = 8,     /* the answer is not HTTP */
	HTTP_CLIENT_E_PARTIAL = 18,     /* closed before the body was whole */
	HTTP_CLIENT_E_SINK = 23,        /* the body sink refused data */
	HTTP_CLIENT_E_TIMEOUT = 28,
	HTTP_CLIENT_E_TLS = 35,
	HTTP_CLIENT_E_ABORTED = 42,     /* interrupted or cancelled */
	HTTP_CLIENT_E_REDIRECTS = 47,
	HTTP_CLIENT_E_EMPTY = 52,       /* closed without an answer */
	HTTP_CLIENT_E_SEND = 55,
	HTTP_CLIENT_E_RECV = 56,
	HTTP_CLIENT_E_VERIFY = 60,      /* the certificate did not verify */
	HTTP_CLIENT_E_TOO_LARGE = 63,
	HTTP_CLIENT_E_PROXY = 97,
	HTTP_CLIENT_E_REFUSED = 98,     /* addr_check refused the host */
};

struct sockaddr;

struct http_client_options {
	const char *unix_path;          /* every request goes to this socket */
	bool insecure;                  /* https without any verification */
	bool follow_redirects;          /* up to 5 in a row */
	bool use_proxy_env;             /* https_proxy, http_proxy, no_proxy */
	long connect_timeout_ms;        /* 0: 30 s */
	long timeout_ms;                /* whole request; 0: none */
	long idle_timeout_ms;           /* nothing moves for this long; 0: none */
	const char *user_agent;         /* NULL: no User-Agent */
	const char *ca_file;            /* PEM CAs to verify with, instead of
	                                   the system's store; NULL: those */
	const char *cert_file;          /* PEM client certificate, or NULL */
	const char *key_file;           /* its PEM key (NULL: in cert_file) */
	/* Judges every address the URL's host resolves to (redirects
	 * included; also when a proxy carries the request, though the proxy
	 * then resolves the name again, and a name that does not resolve
	 * here is left to the proxy) before any connection: -1 refuses
	 * the host and the request fails with HTTP_CLIENT_E_REFUSED, having
	 * connected nowhere.  The connection goes to the very addresses
	 * judged, so a second DNS answer cannot change them.  NULL: all. */
	int (*addr_check)(void *arg, const char *host, int port,
	    const struct sockaddr *sa);
	void *addr_check_arg;
};

struct http_client_header {
	char *name;
	char *value;
};

struct http_client_response {
	int status;
	struct http_client_header *headers;
	size_t nheaders;
	int64_t content_length;         /* -1 when the answer gave none */
	struct buf body;                /* when the request has no sink */
	char *url;                      /* the last one, after redirects */
};

/* Body bytes as they arrive, after r's status and headers are known (the
 * bodies of redirects followed never get here).  Return -1 to stop the
 * request, having filled *err or not. */
typedef int (*http_client_sink_fn)(void *arg,
    const struct http_client_response *r, const void *data, size_t len,
    sdc_error_t *err);
/* After body bytes arrive and every quarter second while waiting
 * (connecting included): `got` bytes of `total` (-1: unknown) of the
 * current answer's body, 0 of -1 while a redirect is followed.  Return -1
 * to cancel (HTTP_CLIENT_E_ABORTED). */
typedef int (*http_client_progress_fn)(void *arg, int64_t got, int64_t total);

struct http_client_request {
	const char *method;             /* NULL: GET */
	const char *url;
	const char *const *headers;     /* "Name: value", NULL-terminated */
	const void *body;               /* sent with Content-Length; or NULL */
	size_t body_len;
	long timeout_ms;                /* 0: the client's */
	size_t body_max;                /* into r->body; 0: 16 MiB */
	http_client_sink_fn sink;       /* or NULL: into r->body */
	void *sink_arg;
	http_client_progress_fn progress;
	void *progress_arg;
};

/* o may be NULL for the defaults.  Never fails. */
struct http_client *http_client_new(const struct http_client_options *o);
void http_client_free(struct http_client *c);
/* A new client with the same options and no connections. */
struct http_client *http_client_dup(const struct http_client *c);

/* 0 with *r filled (free it with http_client_response_free), or -1 with
 * *err and *r left empty. */
int http_client_request(struct http_client *c,
    const struct http_client_request *rq, struct http_client_response *r,
    sdc_error_t *err);
void http_client_response_free(struct http_client_response *r);
/* A response header's value, the name in any case; NULL if absent. */
const char *http_client_header(const struct http_client_response *r,
    const char *name);

/* From any thread: abort the request in flight, and every later one. */
void http_client_interrupt(struct http_client *c);

/* "Basic <base64 of user:pass>", an Authorization header's value; free
 * the result. */
char *http_client_basic_auth(const char *user, const char *pass);

/* Percent-encode everything but letters, digits and "-._~" (a path
 * segment or a query value); free the result. */
char *http_client_escape(const char *s);

#endif
