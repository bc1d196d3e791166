/*
 * http-listen.c: the server object, its listeners and its shutdown.
 *
 * Listening sockets are made here rather than by evconnlistener_new_bind
 * so that a unix socket can be given its mode between bind and listen (no
 * moment when it is reachable with the umask's mode) and a stale socket
 * file left by a dead daemon can be told from one a live daemon holds: we
 * try to connect, and only unlink when nobody answers.
 *
 * Shutdown stops accepting, closes idle connections, lets requests in
 * flight finish (their answers then say "Connection: close"), and calls
 * the done callback once the last connection has gone or the grace time
 * is up.  The done callback always runs from the loop, never from inside
 * http_server_shutdown().
 *
 * Limits are checked at accept, before any TLS work: the cap on all
 * connections and the limits per client address (http-peers.c).  A
 * connection over one of them is closed at once with a reset (no
 * TIME_WAIT left behind), rather than left in the kernel's queue: a queue
 * nobody reads locks every client out until the connections that fill
 * the cap time out, while closing keeps accepting and the connections
 * already open keep being served.  Refusals are counted and logged at
 * most every ten seconds.
 *
 * Writing to a socket the peer has closed raises SIGPIPE, which would kill
 * the daemon; http_server_new() ignores it for the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include "http-internal.h"
#include "log.h"
#include "xalloc.h"

#define LISTEN_BACKLOG 511
#define LISTEN_REFUSED_LOG_SEC 10

static void
server_listeners_enable(struct http_server *srv, bool on)
{
	for (size_t i = 0; i < srv->nlisteners; i++) {
		if (srv->listeners[i]->lev == NULL)
			continue;
		if (on)
			evconnlistener_enable(srv->listeners[i]->lev);
		else
			evconnlistener_disable(srv->listeners[i]->lev);
	}
}

static void
server_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *srv = arg;
	void (*done)(void *) = srv->done;

	evtimer_del(srv->ev_grace);
	srv->done = NULL;
	if (done != NULL)
		done(srv->done_arg);
}

static void
server_check_done(struct http_server *srv)
{
	if (srv->shutting_down && srv->nconns == 0 && srv->done != NULL)
		event_active(srv->ev_done, EV_TIMEOUT, 1);
}

void
http_server_conn_gone(struct http_server *srv)
{
	server_check_done(srv);
}

static void
server_grace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *srv = arg;

	while (srv->conns != NULL)
		http_conn_close(srv->conns);
}

static void
server_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *srv = arg;

	if (!srv->shutting_down)
		server_listeners_enable(srv, true);
}

struct http_server *
http_server_new(struct event_base *base, const struct http_server_options *opts)
{
	struct http_server *srv = xcalloc(1, sizeof *srv);
	struct http_server_options *o = &srv->opts;

	signal(SIGPIPE, SIG_IGN);
	srv->base = base;
	if (opts != NULL)
		*o = *opts;
	if (o->max_header_bytes == 0)
		o->max_header_bytes = 64 * 1024;
	if (o->max_body_bytes == 0)
		o->max_body_bytes = 1024 * 1024;
	if (o->idle_timeout_sec <= 0)
		o->idle_timeout_sec = 60;
	if (o->request_timeout_sec <= 0)
		o->request_timeout_sec = 30;
	if (o->max_connections <= 0)
		o->max_connections = 4096;
	if (o->handshake_timeout_sec <= 0)
		o->handshake_timeout_sec = 10;
	if (o->server_header != NULL)
		o->server_header = xstrdup(o->server_header);
	srv->ev_done = event_new(base, -1, 0, server_done_cb, srv);
	srv->ev_grace = evtimer_new(base, server_grace_cb, srv);
	srv->ev_resume = evtimer_new(base, server_resume_cb, srv);
	return srv;
}

void
http_server_set_limits(struct http_server *srv,
    const struct http_server_options *limits)
{
	struct http_server_options *o = &srv->opts;

	o->max_connections = limits->max_connections > 0 ?
	    limits->max_connections : 4096;
	o->peer_max_connections = limits->peer_max_connections > 0 ?
	    limits->peer_max_connections : 0;
	o->peer_max_pending = limits->peer_max_pending > 0 ?
	    limits->peer_max_pending : 0;
	o->handshake_timeout_sec = limits->handshake_timeout_sec > 0 ?
	    limits->handshake_timeout_sec : 10;
}

int
http_server_connections(const struct http_server *srv)
{
	return srv->nconns;
}

unsigned long
http_server_refused(const struct http_server *srv)
{
	return srv->refused;
}

void
http_server_set_handler(struct http_server *srv, http_handler_fn fn, void *arg)
{
	srv->handler = fn;
	srv->handler_arg = arg;
}

void
http_server_set_head_hook(struct http_server *srv, http_head_fn fn, void *arg)
{
	srv->head_hook = fn;
	srv->head_arg = arg;
}

void
http_server_set_tls_peer_hook(struct http_server *srv, http_tls_peer_fn fn, void *arg)
{
	srv->peer_hook = fn;
	srv->peer_arg = arg;
}

/* "HOST:PORT" or "[V6]:PORT" into its parts (host may be empty). */
static int
listen_split(const char *addr, char *host, size_t hostlen, const char **port,
    sdc_error_t *err)
{
	const char *colon, *h = addr;
	size_t n;

	if (*addr == '[') {
		colon = strchr(addr, ']');
		if (colon == NULL || colon[1] != ':')
			return sdc_make_error(err, 0, "bad address \"%s\"", addr);
		h = addr + 1;
		n = (size_t)(colon - h);
		colon++;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL)
			return sdc_make_error(err, 0,
			    "bad address \"%s\": HOST:PORT wanted", addr);
		n = (size_t)(colon - addr);
	}
	if (n >= hostlen)
		return sdc_make_error(err, 0, "bad address \"%s\"", addr);
	memcpy(host, h, n);
	host[n] = '\0';
	*port = colon + 1;
	if (**port == '\0' || strspn(*port, "0123456789") != strlen(*port) ||
	    strlen(*port) > 5 || atoi(*port) > 65535)
		return sdc_make_error(err, 0, "bad port in \"%s\"", addr);
	return 0;
}

static int
listen_bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

static int
listen_tcp(const char *addr, int *port, sdc_error_t *err)
{
	struct addrinfo hints = { 0 }, *ai;
	const char *service = NULL;
	char host[256];
	int fd, rc, one = 1;

	if (listen_split(addr, host, sizeof host, &service, err) < 0)
		return -1;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host[0] ? host : NULL, service, &hints, &ai);
	if (rc != 0)
		return sdc_make_error(err, 0, "%s: %s", addr, gai_strerror(rc));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		freeaddrinfo(ai);
		return sdc_make_error(err, errno, "socket for %s", addr);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		rc = errno;
		freeaddrinfo(ai);
		close(fd);
		return sdc_make_error(err, rc, "binding %s", addr);
	}
	freeaddrinfo(ai);
	*port = listen_bound_port(fd);
	return fd;
}

/* Remove a socket file nobody listens on any more; refuse a live one. */
static int
listen_unix_stale(const char *path, const struct sockaddr_un *sa,
    sdc_error_t *err)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return sdc_make_error(err, EEXIST, "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sdc_make_error(err, errno, "socket");
	rc = connect(fd, (const struct sockaddr *)sa, sizeof *sa);
	if (rc == 0 || errno == EAGAIN) {
		close(fd);
		return sdc_make_error(err, EADDRINUSE, "%s", path);
	}
	close(fd);
	if (unlink(path) != 0 && errno != ENOENT)
		return sdc_make_error(err, errno, "removing stale %s", path);
	return 0;
}

static int
listen_unix(const char *path, int mode, sdc_error_t *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, e;

	if (strlen(path) >= sizeof sa.sun_path || *path == '\0')
		return sdc_make_error(err, ENAMETOOLONG, "unix socket \"%s\"", path);
	strcpy(sa.sun_path, path);
	if (listen_unix_stale(path, &sa, err) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sdc_make_error(err, errno, "socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    chmod(path, (mode_t)(mode ? mode : 0600)) != 0) {
		e = errno;
		close(fd);
		return sdc_make_error(err, e, "binding %s", path);
	}
	return fd;
}

/* Close a connection we will not serve, with a reset, and say so in the
 * log now and then. */
static void
listen_refuse(struct http_server *srv, int fd, const struct sockaddr *sa,
    const char *why, int limit)
{
	struct linger lg = { 1, 0 };
	struct timespec now;
	char addr[INET6_ADDRSTRLEN];

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(fd);
	srv->refused++;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (srv->refused_log_sec != 0 &&
	    now.tv_sec - srv->refused_log_sec < LISTEN_REFUSED_LOG_SEC)
		return;
	http_peers_format(sa, addr, sizeof addr);
	log_warn("http: refused %lu connection(s) at accept; the last from %s: "
	    "%s at the limit of %d", srv->refused - srv->refused_logged, addr,
	    why, limit);
	srv->refused_logged = srv->refused;
	srv->refused_log_sec = now.tv_sec;
}

static void
listen_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct http_listener *l = arg;
	struct http_server *srv = l->srv;
	struct http_peer *peer;
	const char *why = NULL;
	int limit = 0;

	if (srv->shutting_down) {
		close(fd);
		return;
	}
	if (srv->nconns >= srv->opts.max_connections) {
		listen_refuse(srv, fd, sa, "all connections",
		    srv->opts.max_connections);
		return;
	}
	if (http_peers_admit(srv, sa, &peer, &why, &limit) < 0) {
		listen_refuse(srv, fd, sa, why, limit);
		return;
	}
	http_conn_accept(l, fd, peer);
}

/* Out of descriptors, most likely: wait a second rather than spin. */
static void
listen_error_cb(struct evconnlistener *lev, void *arg)
{
	struct http_listener *l = arg;
	struct timeval tv = { 1, 0 };

	log_warn("http: accept: %s", strerror(errno));
	server_listeners_enable(l->srv, false);
	evtimer_add(l->srv->ev_resume, &tv);
}

int
http_server_listen(struct http_server *srv, const char *addr, SSL_CTX *tls,
    int unix_mode, sdc_error_t *err)
{
	struct http_listener *l = xcalloc(1, sizeof *l);
	int fd;

	l->srv = srv;
	if (strncmp(addr, "unix:", 5) == 0) {
		l->is_unix = true;
		l->port = -1;
		fd = listen_unix(addr + 5, unix_mode, err);
		if (fd >= 0)
			l->unix_path = xstrdup(addr + 5);
	} else
		fd = listen_tcp(addr, &l->port, err);
	if (fd < 0) {
		free(l);
		return sdc_error_wrap(err, "listening on %s", addr);
	}
	l->lev = evconnlistener_new(srv->base, listen_accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, LISTEN_BACKLOG, fd);
	if (l->lev == NULL) {
		close(fd);
		if (l->unix_path != NULL)
			unlink(l->unix_path);
		free(l->unix_path);
		free(l);
		return sdc_make_error(err, errno, "listening on %s", addr);
	}
	evconnlistener_set_error_cb(l->lev, listen_error_cb);
	if (tls != NULL) {
		SSL_CTX_up_ref(tls);
		l->tls = tls;
	}
	srv->listeners = xrealloc(srv->listeners,
	    (srv->nlisteners + 1) * sizeof *srv->listeners);
	srv->listeners[srv->nlisteners] = l;
	return (int)srv->nlisteners++;
}

int
http_server_port(struct http_server *srv, int listener)
{
	if (listener < 0 || (size_t)listener >= srv->nlisteners)
		return -1;
	return srv->listeners[listener]->port;
}

/* Stop listening; the listener records stay so indexes keep meaning. */
static void
server_close_listeners(struct http_server *srv)
{
	for (size_t i = 0; i < srv->nlisteners; i++) {
		struct http_listener *l = srv->listeners[i];

		if (l->lev == NULL)
			continue;
		evconnlistener_free(l->lev);
		l->lev = NULL;
		if (l->unix_path != NULL)
			unlink(l->unix_path);
	}
}

static bool
server_conn_idle(const struct http_conn *c)
{
	return c->state == CONN_ACTIVE && c->cur == NULL && c->ps.req == NULL;
}

void
http_server_shutdown(struct http_server *srv, int grace_sec,
    void (*done)(void *arg), void *arg)
{
	struct http_conn *c, *next;
	struct timeval tv = { grace_sec > 0 ? grace_sec : 0, 0 };

	srv->shutting_down = true;
	srv->done = done;
	srv->done_arg = arg;
	server_close_listeners(srv);
	evtimer_del(srv->ev_resume);
	for (c = srv->conns; c != NULL; c = next) {
		next = c->next;
		if (server_conn_idle(c))
			http_conn_close(c);
	}
	evtimer_add(srv->ev_grace, &tv);
	server_check_done(srv);
}

void
http_server_free(struct http_server *srv)
{
	if (srv == NULL)
		return;
	server_close_listeners(srv);
	while (srv->conns != NULL)
		http_conn_close(srv->conns);
	while (srv->dead != NULL)
		http_conn_free(srv->dead);
	http_peers_free(srv);
	for (size_t i = 0; i < srv->nlisteners; i++) {
		SSL_CTX_free(srv->listeners[i]->tls);
		free(srv->listeners[i]->unix_path);
		free(srv->listeners[i]);
	}
	free(srv->listeners);
	event_free(srv->ev_done);
	event_free(srv->ev_grace);
	event_free(srv->ev_resume);
	free((char *)(uintptr_t)srv->opts.server_header);
	buf_free(&srv->scratch);
	free(srv);
}
