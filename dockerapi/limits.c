/*
 * limits.c: what one account, or one client host, may hold of the daemon.
 *
 * Every tenant shares one process, one loop and one table of file
 * descriptors, so a tenant must not be able to take all of any of them.
 * Three layers, each checked as early as what it needs to know is known:
 *
 *   - the file descriptors: main.c raises the soft limit to the hard one
 *     at start; the docker listener's cap on connections (MAX_CONNECTIONS)
 *     is held to a quarter of that limit, since a connection may bring up
 *     to three more descriptors with it (a log file and its inotify, a
 *     monitor socket), and the daemon's own files need room too;
 *   - the client host, at accept, before any TLS work (lib/http-peers.c):
 *     PEER_MAX_CONNECTIONS, PEER_MAX_PENDING_HANDSHAKES (connections that
 *     have not yet completed the handshake and a first request) and
 *     HANDSHAKE_TIMEOUT;
 *   - the account, once a request says who it is (api_dispatch): the
 *     connections that carry its requests (ACCOUNT_MAX_CONNECTIONS) and its
 *     long-lived requests (ACCOUNT_MAX_STREAMS: events, logs, wait, stats,
 *     and attach and exec streams after they take the socket over).  Over
 *     a limit the request gets a 429 naming the limit, and the connection
 *     is closed.  Another account is not affected.
 *
 * All of them are SAPI tunables read when used, or pushed to the HTTP
 * server on every change, so a change applies at once.  Connections
 * already open stay when a limit is lowered.
 *
 * The counts are two JSON objects used as hash tables (account uuid ->
 * count); an entry goes when its count reaches zero.  A connection's count
 * is released by the HTTP server when it closes (the connection's owner),
 * a long-lived request's when the request ends, or, for a stream that
 * takes the socket over, when that stream ends (limits_keep).
 */
#include <stdlib.h>
#include <string.h>

#include "dockerapi.h"
#include "log.h"
#include "xalloc.h"

#define LIMITS_MAX_CONNECTIONS 16384
#define LIMITS_PEER_MAX_CONNECTIONS 512
#define LIMITS_PEER_MAX_PENDING 64
#define LIMITS_HANDSHAKE_TIMEOUT 10
#define LIMITS_ACCOUNT_MAX_CONNECTIONS 512
#define LIMITS_ACCOUNT_MAX_STREAMS 256
#define LIMITS_CLOUDAPI_MAX_CONNECTIONS 256

struct limits {
	json_t *conns;          /* account uuid -> connections */
	json_t *streams;        /* account uuid -> long-lived requests */
};

/* One count of one account, released once. */
struct limits_hold {
	json_t *map;
	char account[37];
};

static json_int_t
limits_count(json_t *map, const char *account)
{
	return json_integer_value(json_object_get(map, account));
}

static struct limits_hold *
limits_take(json_t *map, const char *account)
{
	struct limits_hold *h = xcalloc(1, sizeof *h);

	json_object_set_new(map, account,
	    json_integer(limits_count(map, account) + 1));
	h->map = json_incref(map);
	snprintf(h->account, sizeof h->account, "%s", account);
	return h;
}

void
limits_release(struct limits_hold *h)
{
	json_int_t n;

	if (h == NULL)
		return;
	n = limits_count(h->map, h->account) - 1;
	if (n > 0)
		json_object_set_new(h->map, h->account, json_integer(n));
	else
		json_object_del(h->map, h->account);
	json_decref(h->map);
	free(h);
}

static void
limits_release_cb(void *arg)
{
	limits_release(arg);
}

static void
limits_finish_cb(struct http_request *req, void *arg)
{
	limits_release(arg);
}

static int
limits_tunable(const struct dockerapi *d, const char *key, json_int_t def)
{
	json_int_t v = tunable_int(d, key, def);

	if (v <= 0 || v > 1000000000)
		return (int)def;
	return (int)v;
}

/* The docker listener's connection cap: MAX_CONNECTIONS, held to a
 * quarter of the descriptors the process may open. */
static int
limits_docker_cap(const struct dockerapi *d)
{
	int cap = limits_tunable(d, "MAX_CONNECTIONS", LIMITS_MAX_CONNECTIONS);
	long fds = d->fd_limit / 4;

	if (fds > 0 && cap > fds)
		cap = (int)fds;
	return cap > 0 ? cap : 1;
}

static void
limits_apply(struct dockerapi *d, void *arg)
{
	struct http_server_options o = { 0 };

	o.max_connections = limits_docker_cap(d);
	o.peer_max_connections = limits_tunable(d, "PEER_MAX_CONNECTIONS",
	    LIMITS_PEER_MAX_CONNECTIONS);
	o.peer_max_pending = limits_tunable(d, "PEER_MAX_PENDING_HANDSHAKES",
	    LIMITS_PEER_MAX_PENDING);
	o.handshake_timeout_sec = limits_tunable(d, "HANDSHAKE_TIMEOUT",
	    LIMITS_HANDSHAKE_TIMEOUT);
	http_server_set_limits(d->docker_srv, &o);
	/* CloudAPI serves the setup script: the same host limits, a small
	 * cap of its own within the descriptors' room */
	o.max_connections = LIMITS_CLOUDAPI_MAX_CONNECTIONS;
	if (d->fd_limit > 0 && o.max_connections > d->fd_limit / 16)
		o.max_connections = (int)(d->fd_limit / 16) + 1;
	http_server_set_limits(d->cloudapi_srv, &o);
}

int
limits_init(struct dockerapi *d, sdc_error_t *err)
{
	d->limits = xcalloc(1, sizeof *d->limits);
	d->limits->conns = json_object();
	d->limits->streams = json_object();
	limits_apply(d, NULL);
	tunables_on_change(d, limits_apply, NULL);
	log_info("connections: at most %d on the docker listener, %d per "
	    "client address (%d not yet established), %d per account with "
	    "%d long-lived requests", limits_docker_cap(d),
	    limits_tunable(d, "PEER_MAX_CONNECTIONS", LIMITS_PEER_MAX_CONNECTIONS),
	    limits_tunable(d, "PEER_MAX_PENDING_HANDSHAKES", LIMITS_PEER_MAX_PENDING),
	    limits_tunable(d, "ACCOUNT_MAX_CONNECTIONS",
	    LIMITS_ACCOUNT_MAX_CONNECTIONS),
	    limits_tunable(d, "ACCOUNT_MAX_STREAMS", LIMITS_ACCOUNT_MAX_STREAMS));
	return 0;
}

void
limits_free(struct dockerapi *d)
{
	if (d->limits == NULL)
		return;
	/* holds still out keep their map alive until they are released */
	json_decref(d->limits->conns);
	json_decref(d->limits->streams);
	free(d->limits);
	d->limits = NULL;
}

static int
limits_refuse(struct http_request *req, const struct account *a,
    const char *what, const char *key, int limit)
{
	log_emit(LOG_INFO, req->req_id, NULL, "account %s: %s %s at %s=%d: 429",
	    a->login, req->method, req->path, key, limit);
	http_close_after(req);
	api_error(req, 429, "Too many requests: account %s already has %d %s "
	    "open, the limit (%s); close some and try again", a->login, limit,
	    what, key);
	return -1;
}

int
limits_admit(struct dockerapi *d, struct http_request *req,
    const struct account *a, bool stream)
{
	struct limits *l = d->limits;
	struct limits_hold *owner = http_conn_owner(req->conn);
	int max;

	if (l == NULL)
		return 0;
	if (owner == NULL) {
		max = limits_tunable(d, "ACCOUNT_MAX_CONNECTIONS",
		    LIMITS_ACCOUNT_MAX_CONNECTIONS);
		if (limits_count(l->conns, a->uuid) >= max)
			return limits_refuse(req, a, "connections",
			    "ACCOUNT_MAX_CONNECTIONS", max);
		http_conn_set_owner(req->conn, limits_take(l->conns, a->uuid),
		    limits_release_cb);
	}
	if (!stream)
		return 0;
	max = limits_tunable(d, "ACCOUNT_MAX_STREAMS", LIMITS_ACCOUNT_MAX_STREAMS);
	if (limits_count(l->streams, a->uuid) >= max)
		return limits_refuse(req, a, "long-lived requests (events, logs, "
		    "wait, attach, exec, stats)", "ACCOUNT_MAX_STREAMS", max);
	http_on_finish(req, limits_finish_cb, limits_take(l->streams, a->uuid));
	return 0;
}

struct limits_hold *
limits_keep(struct http_request *req)
{
	return http_on_finish(req, NULL, NULL);
}
