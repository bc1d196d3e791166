/*
 * http-client-io.c: http-client's connections: connect, a proxy's CONNECT
 * tunnel, the TLS handshake's place, and reading and writing without ever blocking blind.
 *
 * Sockets are non-blocking and every wait is a poll() on the socket and
 * the client's wake fd together, with the nearest of the request's
 * deadlines as its timeout (and a 250 ms tick when someone wants progress
 * reports).  So a timeout, an interrupt from another thread or a cancel
 * from the progress callback each ends the wait at once, in the middle of
 * a connect or a TLS handshake as well as of a body.  Name resolution
 * waits the same way (http-client-resolve.c); TLS is http-client-tls.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>

#include "http-client-int.h"
#include "xalloc.h"

int64_t
hc_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static const char *
hc_secs(long ms, char out[32])
{
	if (ms % 1000 == 0)
		snprintf(out, 32, "%ld s", ms / 1000);
	else
		snprintf(out, 32, "%.1f s", (double)ms / 1000);
	return out;
}

/* Wait until fd has events (0), or fail with why it will not (-1). */
int
hc_wait(int fd, short events, struct hc_wait *w, sdc_error_t *err)
{
	struct pollfd p[2] = { { fd, events, 0 }, { w->wake_fd, POLLIN, 0 } };
	char t[32];

	for (;;) {
		int64_t now = hc_now_ms(), ms = -1;
		int n;

		if (w->deadline > 0 && (ms = w->deadline - now) <= 0)
			return sdc_make_error_code(err, HTTP_CLIENT_E_TIMEOUT,
			    "timed out after %s", hc_secs(w->timeout_ms, t));
		if (w->idle_ms > 0) {
			if (w->idle_deadline - now <= 0)
				return sdc_make_error_code(err,
				    HTTP_CLIENT_E_TIMEOUT, "nothing received "
				    "for %s", hc_secs(w->idle_ms, t));
			if (ms < 0 || w->idle_deadline - now < ms)
				ms = w->idle_deadline - now;
		}
		if (w->tick != NULL && (ms < 0 || ms > 250))
			ms = 250;
		n = poll(p, w->wake_fd >= 0 ? 2 : 1, (int)ms);
		if (n < 0 && errno != EINTR)
			return sdc_make_error(err, errno, "poll");
		if (n > 0 && p[1].revents != 0)
			return sdc_make_error_code(err, HTTP_CLIENT_E_ABORTED,
			    "interrupted");
		if (n > 0 && p[0].revents != 0)
			return 0;
		if (n == 0 && w->tick != NULL && w->tick(w->tick_arg) < 0)
			return sdc_make_error_code(err, HTTP_CLIENT_E_ABORTED,
			    "cancelled");
	}
}

static void
hc_moved(struct hc_wait *w)
{
	if (w->idle_ms > 0)
		w->idle_deadline = hc_now_ms() + w->idle_ms;
}

/* --- connecting --- */

static int
hc_connect_unix(const char *path, struct hc_conn *conn, sdc_error_t *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof sa.sun_path)
		return sdc_make_error_code(err, HTTP_CLIENT_E_CONNECT,
		    "connect to %s: path too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* A unix connect does not wait for the peer: blocking is fine. */
	conn->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (conn->fd < 0 || connect(conn->fd, (struct sockaddr *)&sa,
	    sizeof sa) < 0) {
		sdc_make_error(err, errno, "connect to %s", path);
		(*err)->code = HTTP_CLIENT_E_CONNECT;
		return -1;
	}
	fcntl(conn->fd, F_SETFL, fcntl(conn->fd, F_GETFL) | O_NONBLOCK);
	return 0;
}

/* One address: 0 connected, 1 refused or the like (errno kept in *why),
 * -1 a timeout or interrupt that ends the attempt. */
static int
hc_connect_addr(const struct addrinfo *ai, struct hc_conn *conn, int *why,
    struct hc_wait *w, sdc_error_t *err)
{
	socklen_t len = sizeof *why;
	int one = 1;

	conn->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (conn->fd < 0) {
		*why = errno;
		return 1;
	}
	setsockopt(conn->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(conn->fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	*why = errno;
	if (*why == EINPROGRESS) {
		if (hc_wait(conn->fd, POLLOUT, w, err) < 0)
			return -1;
		if (getsockopt(conn->fd, SOL_SOCKET, SO_ERROR, why, &len) < 0)
			*why = errno;
		if (*why == 0)
			return 0;
	}
	close(conn->fd);
	conn->fd = -1;
	return 1;
}

/* Every address of res through the client's addr_check: 0, or -1 when
 * one is refused (HTTP_CLIENT_E_REFUSED). */
static int
hc_check_addrs(const struct http_client *c, const char *host, int port,
    const struct addrinfo *res, sdc_error_t *err)
{
	struct hc_url u = { .host = (char *)host, .port = port };
	char *hp;

	if (c == NULL || c->o.addr_check == NULL)
		return 0;
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		if (c->o.addr_check(c->o.addr_check_arg, host, port,
		    ai->ai_addr) == 0)
			continue;
		hp = hc_url_hostport(&u, true);
		sdc_make_error_code(err, HTTP_CLIENT_E_REFUSED, "connect to %s: "
		    "the address is not allowed", hp);
		free(hp);
		return -1;
	}
	return 0;
}

/* check: the client whose addr_check judges the addresses, or NULL. */
static int
hc_connect_tcp(const struct http_client *check, const char *host, int port,
    bool proxy, struct hc_conn *conn, struct hc_wait *w, sdc_error_t *err)
{
	struct addrinfo *res, *ai;
	char *hp;
	int rc = 1, why = 0;
	struct hc_url u = { .host = (char *)host, .port = port };

	if (hc_resolve(host, port, proxy, &res, w, err) < 0)
		return -1;
	if (hc_check_addrs(check, host, port, res, err) < 0) {
		freeaddrinfo(res);
		return -1;
	}
	hp = hc_url_hostport(&u, true);
	for (ai = res; ai != NULL && rc == 1; ai = ai->ai_next)
		rc = hc_connect_addr(ai, conn, &why, w, err);
	freeaddrinfo(res);
	if (rc < 0)
		sdc_error_wrap(err, "connect to %s", hp);
	else if (rc > 0) {
		sdc_make_error_code(err, HTTP_CLIENT_E_CONNECT, "connect to "
		    "%s%s: %s", proxy ? "proxy " : "", hp, strerror(why));
		(*err)->errnum = why;
		rc = -1;
	}
	free(hp);
	return rc;
}

/* Through the proxy to u's host and port, before TLS starts. */
static int
hc_tunnel(struct hc_conn *conn, const struct hc_url *u,
    const struct hc_proxy *p, struct hc_wait *w, sdc_error_t *err)
{
	char *hp = hc_url_hostport(u, true), *req, *end;
	int status = 0, rc = 0;
	ssize_t n;

	xasprintf(&req, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s%s%s\r\n", hp, hp,
	    p->authz != NULL ? "Proxy-Authorization: " : "",
	    p->authz != NULL ? p->authz : "", p->authz != NULL ? "\r\n" : "");
	rc = hc_conn_write(conn, req, strlen(req), w, err);
	free(req);
	while (rc == 0) {
		conn->in[conn->in_len < sizeof conn->in ? conn->in_len :
		    sizeof conn->in - 1] = '\0';
		if ((end = strstr(conn->in, "\r\n\r\n")) != NULL)
			break;
		if (conn->in_len >= sizeof conn->in - 1)
			rc = sdc_make_error_code(err, HTTP_CLIENT_E_PROXY,
			    "the proxy's answer is too long");
		else if ((n = hc_conn_fill(conn, w, err)) <= 0)
			rc = n < 0 ? -1 : sdc_make_error_code(err,
			    HTTP_CLIENT_E_PROXY, "the proxy closed the "
			    "connection");
	}
	if (rc == 0 && (sscanf(conn->in, "HTTP/1.%*d %d", &status) != 1 ||
	    status < 200 || status > 299))
		rc = sdc_make_error_code(err, HTTP_CLIENT_E_PROXY,
		    "the proxy refused the tunnel: %.*s", (int)strcspn(conn->in,
		    "\r\n"), conn->in);
	else if (rc == 0 && end + 4 != conn->in + conn->in_len)
		rc = sdc_make_error_code(err, HTTP_CLIENT_E_PROXY,
		    "the proxy sent more than its answer");
	conn->in_off = conn->in_len = 0;
	if (rc < 0)
		sdc_error_wrap(err, "CONNECT %s through proxy %s:%d", hp,
		    p->host, p->port);
	free(hp);
	return rc;
}

struct hc_conn *
hc_conn_open(struct http_client *c, const struct hc_url *u,
    const struct hc_proxy *p, const char *key, struct hc_wait *w,
    sdc_error_t *err)
{
	struct hc_conn *conn = xcalloc(1, sizeof *conn);
	struct hc_wait cw = *w;
	int64_t cdl = hc_now_ms() + c->o.connect_timeout_ms;
	int rc;

	conn->fd = -1;
	conn->key = xstrdup(key);
	if (cw.deadline == 0 || cdl < cw.deadline) {
		cw.deadline = cdl;
		cw.timeout_ms = c->o.connect_timeout_ms;
	}
	cw.idle_ms = 0;
	if (c->unix_path != NULL)
		rc = hc_connect_unix(c->unix_path, conn, err);
	else if (p != NULL) {
		/* The proxy is the operator's; the host behind it is judged as
		 * we resolve it.  A name only the proxy can resolve is the
		 * proxy's business (and its network's). */
		struct addrinfo *res = NULL;
		rc = 0;
		if (c->o.addr_check != NULL &&
		    hc_resolve(u->host, u->port, false, &res, &cw, err) < 0) {
			rc = (*err)->code == HTTP_CLIENT_E_RESOLVE ? 0 : -1;
			if (rc == 0)
				sdc_error_release(err);
		}
		if (rc == 0)
			rc = hc_check_addrs(c, u->host, u->port, res, err);
		if (res != NULL)
			freeaddrinfo(res);
		if (rc == 0)
			rc = hc_connect_tcp(NULL, p->host, p->port, true, conn,
			    &cw, err);
	} else
		rc = hc_connect_tcp(c, u->host, u->port, false, conn, &cw, err);
	if (rc == 0 && p != NULL && u->tls)
		rc = hc_tunnel(conn, u, p, &cw, err);
	if (rc == 0 && u->tls)
		rc = hc_tls_handshake(c, conn, u->host, &cw, err);
	if (rc < 0) {
		hc_conn_close(conn);
		return NULL;
	}
	if (w->idle_ms > 0)             /* idle time counts from here */
		w->idle_deadline = hc_now_ms() + w->idle_ms;
	return conn;
}

void
hc_conn_close(struct hc_conn *conn)
{
	struct hc_sigpipe sp;

	if (conn == NULL)
		return;
	if (conn->ssl != NULL) {
		hc_sigpipe_block(&sp);
		SSL_shutdown(conn->ssl);
		hc_sigpipe_restore(&sp);
		SSL_free(conn->ssl);
		ERR_clear_error();
	}
	if (conn->fd >= 0)
		close(conn->fd);
	free(conn->key);
	free(conn);
}

bool
hc_conn_idle_ok(struct hc_conn *conn)
{
	struct pollfd p = { conn->fd, POLLIN, 0 };

	return conn->in_len == 0 && poll(&p, 1, 0) == 0;
}

/* --- moving bytes --- */

int
hc_conn_write(struct hc_conn *conn, const void *data, size_t len,
    struct hc_wait *w, sdc_error_t *err)
{
	struct hc_sigpipe sp;
	short want;
	ssize_t n;
	int e;

	while (len > 0) {
		want = POLLOUT;
		if (conn->ssl != NULL) {
			ERR_clear_error();
			hc_sigpipe_block(&sp);
			n = SSL_write(conn->ssl, data, len > INT32_MAX ?
			    INT32_MAX : (int)len);
			hc_sigpipe_restore(&sp);
			e = n > 0 ? SSL_ERROR_NONE : SSL_get_error(conn->ssl,
			    (int)n);
			if (e == SSL_ERROR_WANT_READ)
				want = POLLIN;
			else if (e != SSL_ERROR_NONE && e != SSL_ERROR_WANT_WRITE)
				return sdc_make_error_code(err, HTTP_CLIENT_E_SEND,
				    "TLS: send: %s", e == SSL_ERROR_SYSCALL &&
				    errno != 0 ? strerror(errno) : hc_tls_reason());
		} else {
			n = send(conn->fd, data, len, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				sdc_make_error(err, errno, "send");
				(*err)->code = HTTP_CLIENT_E_SEND;
				return -1;
			}
		}
		if (n > 0) {
			data = (const char *)data + n;
			len -= (size_t)n;
			hc_moved(w);
		} else if (hc_wait(conn->fd, want, w, err) < 0)
			return -1;
	}
	return 0;
}

ssize_t
hc_conn_fill(struct hc_conn *conn, struct hc_wait *w, sdc_error_t *err)
{
	char *at = conn->in + conn->in_off + conn->in_len;
	size_t room = sizeof conn->in - conn->in_off - conn->in_len;
	short want;
	ssize_t n;
	int e;

	for (;;) {
		want = POLLIN;
		if (conn->ssl != NULL) {
			ERR_clear_error();
			n = SSL_read(conn->ssl, at, (int)room);
			e = n > 0 ? SSL_ERROR_NONE : SSL_get_error(conn->ssl,
			    (int)n);
			if (e == SSL_ERROR_ZERO_RETURN ||
			    (e == SSL_ERROR_SYSCALL && errno == 0))
				return 0;
			if (e == SSL_ERROR_WANT_WRITE)
				want = POLLOUT;
			else if (e != SSL_ERROR_NONE && e != SSL_ERROR_WANT_READ)
				return sdc_make_error_code(err, HTTP_CLIENT_E_RECV,
				    "TLS: receive: %s", e == SSL_ERROR_SYSCALL ?
				    strerror(errno) : hc_tls_reason());
		} else {
			n = recv(conn->fd, at, room, 0);
			if (n == 0)
				return 0;
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				sdc_make_error(err, errno, "receive");
				(*err)->code = HTTP_CLIENT_E_RECV;
				return -1;
			}
		}
		if (n > 0) {
			conn->in_len += (size_t)n;
			hc_moved(w);
			return n;
		}
		if (hc_wait(conn->fd, want, w, err) < 0)
			return -1;
	}
}
