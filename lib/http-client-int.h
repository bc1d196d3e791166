/*
 * http-client-int.h: the inside of http-client, shared by its three files:
 * http-client.c (requests, answers, redirects, the connection pool),
 * http-client-io.c (sockets, TLS, proxy tunnels, waiting) and
 * http-client-url.c (URLs, the proxy environment, escaping).
 */
#ifndef SDC_HTTP_CLIENT_INT_H
#define SDC_HTTP_CLIENT_INT_H

#include <signal.h>
#include <stdatomic.h>
#include <openssl/ssl.h>
#include <http_parser.h>

#include "http-client.h"

#define HC_POOL 4               /* connections a client keeps open */

struct hc_url {
	bool tls;
	char *host;                     /* without the [] of an IPv6 literal */
	int port;
	char *target;                   /* "/path?query", at least "/" */
};

/* Where a connection goes, when it is not straight to the URL's host. */
struct hc_proxy {
	char *host;
	int port;
	char *authz;                    /* "Basic ..." from user:pass@, or NULL */
};

struct hc_conn {
	int fd;
	SSL *ssl;
	char *key;                      /* what it connects to, for reuse */
	uint64_t last_used;
	size_t in_off, in_len;          /* unread bytes of in[] */
	char in[16384];
};

/* What a blocking wait may be cut short by. */
struct hc_wait {
	int wake_fd;                    /* readable: interrupted */
	int64_t deadline;               /* monotonic ms; 0: none */
	long timeout_ms;                /* the whole request's, for messages */
	long idle_ms;                   /* 0: none */
	int64_t idle_deadline;
	int (*tick)(void *arg);         /* every 250 ms; -1 cancels */
	void *tick_arg;
};

struct http_client {
	struct http_client_options o;
	char *unix_path;
	char *user_agent;
	char *ca_file, *cert_file, *key_file;
	SSL_CTX *own_tls;               /* with ca_file or cert_file: its own */
	int wake_fd;                    /* an eventfd, written to interrupt */
	atomic_bool stopped;
	bool tls_ref;                   /* holds the TLS contexts */
	uint64_t uses;
	struct hc_conn *pool[HC_POOL];
};

/* One exchange on one connection. */
struct hc_xfer {
	struct http_client *c;
	const struct http_client_request *rq;
	struct http_client_response *r;
	struct hc_wait w;
	http_parser hp;
	bool head;                      /* a HEAD: no body follows */
	bool got_any;                   /* any byte of an answer */
	bool redirect;                  /* this answer is to be followed */
	bool done;
	bool sink_failed;
	bool in_value;                  /* the parser is in a header value */
	struct buf field, value;
	int64_t got;                    /* body bytes of this answer */
	sdc_error_t *err;
};

/* http-client-answer.c */
/* Read until the answer is complete: 0, -1, or 1 when the connection
 * closed (or failed) before any byte of it. */
int hc_read_answer(struct hc_xfer *x, struct hc_conn *conn);
/* For hc_wait's tick: the progress callback. */
int hc_tick(void *arg);

/* http-client-url.c */
int hc_url_parse(struct hc_url *u, const char *url, sdc_error_t *err);
void hc_url_free(struct hc_url *u);
/* "host[:port]" for a Host header or a CONNECT; free it. */
char *hc_url_hostport(const struct hc_url *u, bool always_port);
/* Location resolved against the URL it came from; free it. */
char *hc_url_join(const struct hc_url *bu, const char *location);
/* The proxy for u from the environment: 1 with *p set (free it with
 * hc_proxy_free), 0 for none, -1 for one that cannot be used. */
int hc_proxy_for(const struct hc_url *u, struct hc_proxy *p, sdc_error_t *err);
void hc_proxy_free(struct hc_proxy *p);

/* http-client-resolve.c: host's addresses (free them with freeaddrinfo),
 * within w's deadlines; proxy picks the error's code and wording. */
struct addrinfo;
int hc_resolve(const char *host, int port, bool proxy, struct addrinfo **res,
    struct hc_wait *w, sdc_error_t *err);

/* http-client-io.c */
int64_t hc_now_ms(void);
/* Wait until fd has events (0), or fail with why it will not (-1). */
int hc_wait(int fd, short events, struct hc_wait *w, sdc_error_t *err);
/* Connect for u (through p when not NULL, to unix_path when set); the
 * TLS handshake and proxy tunnel included. */
struct hc_conn *hc_conn_open(struct http_client *c, const struct hc_url *u,
    const struct hc_proxy *p, const char *key, struct hc_wait *w,
    sdc_error_t *err);
void hc_conn_close(struct hc_conn *conn);
/* True when a kept connection has not been closed or written to since. */
bool hc_conn_idle_ok(struct hc_conn *conn);
int hc_conn_write(struct hc_conn *conn, const void *data, size_t len,
    struct hc_wait *w, sdc_error_t *err);
/* Fill conn->in when empty: bytes read, 0 at EOF, -1 on error. */
ssize_t hc_conn_fill(struct hc_conn *conn, struct hc_wait *w,
    sdc_error_t *err);

/* http-client-tls.c */
int hc_tls_handshake(struct http_client *c, struct hc_conn *conn,
    const char *host, struct hc_wait *w, sdc_error_t *err);
/* Drop the client's hold on the process's TLS contexts. */
void hc_tls_release(struct http_client *c);
/* OpenSSL's reason for the last failure on this thread. */
const char *hc_tls_reason(void);
/* Around OpenSSL calls that may write. */
struct hc_sigpipe {
	sigset_t old;
	bool was_pending;
};
void hc_sigpipe_block(struct hc_sigpipe *s);
void hc_sigpipe_restore(struct hc_sigpipe *s);

#endif
