/*
 * http-peers.c: connections counted by the address they come from.
 *
 * Without a limit per client, one host that opens connections and says
 * nothing fills the server's connection cap and everybody else waits for
 * the handshake timer.  So each connection is counted against its
 * address from accept on, and a connection over the address's limit is
 * closed before any TLS work is spent on it: a limit on all of an
 * address's connections, and a smaller one on those still "pending" (no
 * first request head yet, which on TLS includes the handshake).
 *
 * The address is the IPv4 address, or an IPv6 address's /64: a single
 * IPv6 host usually holds a whole /64 and could otherwise take a fresh
 * address per connection.  IPv4-mapped IPv6 addresses count as IPv4.
 *
 * A chained hash table keyed by the 16 address bytes; an entry lives while
 * the address has a connection.  Everything runs on the loop's thread.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http-internal.h"
#include "xalloc.h"

struct http_peer {
	struct http_peer *next;         /* in its bucket */
	unsigned char key[16];
	int conns, pending;
};

struct http_peers {
	struct http_peer **buckets;
	size_t nbuckets;                /* a power of two */
	size_t n;
};

/* The 16 bytes an address is counted by; false for a unix socket. */
static bool
peers_key(const struct sockaddr *sa, unsigned char key[16])
{
	const struct sockaddr_in6 *s6;

	memset(key, 0, 16);
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return true;
	}
	if (sa->sa_family != AF_INET6)
		return false;
	s6 = (const struct sockaddr_in6 *)sa;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		memcpy(key, &s6->sin6_addr, 16);
	else
		memcpy(key, &s6->sin6_addr, 8);         /* the /64 */
	return true;
}

static size_t
peers_hash(const unsigned char key[16])
{
	uint64_t h = 1469598103934665603ULL;    /* FNV-1a */

	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 32));
}

static void
peers_grow(struct http_peers *t)
{
	size_t n = t->nbuckets ? t->nbuckets * 2 : 64;
	struct http_peer **b = xcalloc(n, sizeof *b), *p, *next;

	for (size_t i = 0; i < t->nbuckets; i++)
		for (p = t->buckets[i]; p != NULL; p = next) {
			size_t h = peers_hash(p->key) & (n - 1);

			next = p->next;
			p->next = b[h];
			b[h] = p;
		}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

int
http_peers_admit(struct http_server *srv, const struct sockaddr *sa,
    struct http_peer **peer, const char **why, int *limit)
{
	struct http_peers *t = srv->peers;
	const struct http_server_options *o = &srv->opts;
	unsigned char key[16];
	struct http_peer *p;
	size_t h;

	*peer = NULL;
	if (!peers_key(sa, key))
		return 0;
	if (t == NULL)
		t = srv->peers = xcalloc(1, sizeof *t);
	if (t->n >= t->nbuckets)
		peers_grow(t);
	h = peers_hash(key) & (t->nbuckets - 1);
	for (p = t->buckets[h]; p != NULL; p = p->next)
		if (memcmp(p->key, key, 16) == 0)
			break;
	if (p != NULL && o->peer_max_connections > 0 &&
	    p->conns >= o->peer_max_connections) {
		*why = "connections from one address";
		*limit = o->peer_max_connections;
		return -1;
	}
	if (p != NULL && o->peer_max_pending > 0 &&
	    p->pending >= o->peer_max_pending) {
		*why = "connections from one address not yet established";
		*limit = o->peer_max_pending;
		return -1;
	}
	if (p == NULL) {
		p = xcalloc(1, sizeof *p);
		memcpy(p->key, key, 16);
		p->next = t->buckets[h];
		t->buckets[h] = p;
		t->n++;
	}
	p->conns++;
	p->pending++;
	*peer = p;
	return 0;
}

void
http_peers_established(struct http_peer *p)
{
	if (p != NULL)
		p->pending--;
}

void
http_peers_release(struct http_server *srv, struct http_peer *p, bool pending)
{
	struct http_peers *t = srv->peers;
	struct http_peer **pp;

	if (p == NULL)
		return;
	if (pending)
		p->pending--;
	if (--p->conns > 0)
		return;
	for (pp = &t->buckets[peers_hash(p->key) & (t->nbuckets - 1)];
	    *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	t->n--;
	free(p);
}

void
http_peers_format(const struct sockaddr *sa, char *out, size_t len)
{
	const void *addr = NULL;

	if (sa != NULL && sa->sa_family == AF_INET)
		addr = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa != NULL && sa->sa_family == AF_INET6)
		addr = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (addr == NULL || inet_ntop(sa->sa_family, addr, out, (socklen_t)len) == NULL)
		snprintf(out, len, "a local socket");
}

void
http_peers_free(struct http_server *srv)
{
	struct http_peers *t = srv->peers;
	struct http_peer *p, *next;

	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nbuckets; i++)
		for (p = t->buckets[i]; p != NULL; p = next) {
			next = p->next;
			free(p);
		}
	free(t->buckets);
	free(t);
	srv->peers = NULL;
}
