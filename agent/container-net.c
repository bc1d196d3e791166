/*
 * container-net.c: a container's network plumbing on its node, done by
 * the node's agent at the container's start and taken down at its death
 * and removal.
 *
 * The head settles a container's network in the store (the leases, the
 * endpoints' rows, the published ports' rows) and sends the result with
 * the start (agent/container-ops.c), as the "Network" member of the
 * start's body, version 1:
 *
 *   { "Version": 1, "Account": UUID, "ID": the Docker id,
 *     "Networks": [ { "ID": 64 hex, "Bridge": "sdc" + 12 hex,
 *                     "Subnet": "A.B.C.D/P", "Gateway", "VNI", "MTU",
 *                     "Internal", "IP", "MAC", "Aliases": [...] } ],
 *     "Ports": [ { "Proto", "HostIP", "HostPort", "ContainerPort" } ],
 *     "Files": { "hosts": TEXT, "resolv.conf": TEXT } }
 *
 * or, for --network container:OTHER, no networks, ports or files but
 * "FilesOf": OTHER's Docker id, whose hosts and resolv.conf are copied
 * (OTHER of the same account, on this node: its sandbox is joined by
 * the config written at create).
 *
 * The first network that is not internal has the default route and the
 * published ports, as on a head.  Here, in the agent's own --net-dir,
 * through libsdcnet: each network's bridge ensured, the plan the
 * runtime's createRuntime hook applies written in the container's folder,
 * the ports' DNAT chain, the container's hosts and resolv.conf, then the
 * names table of each of its networks (netsync.c, from the store, this
 * container counted as running), all before the runtime runs it.  At its
 * death (exits.c) and removal (container-remove.c) the sandbox, its veths
 * and its ports' chain go, and the names tables are written again
 * without it (a rename makes them again with its new name:
 * agent_net_rename, for container-connect.c).  What was plumbed is kept
 * in the container's folder (netnode.json: the Docker id, the networks,
 * whether ports), so the teardown needs no head and no store.
 *
 * Whoever holds a head's certificate may send a start, so the document
 * is input to check, and everything in it must be what the store says:
 * the container is this node's (its row records this node) and of the
 * account named; each network is that account's, its subnet, gateway,
 * VNI and internal flag the store's, its bridge the name derived from
 * its id (never a host interface: eth0, docker0, another network's
 * bridge), its MTU a sane one; the endpoint's address and MAC the ones
 * the store leased to this container on that network, inside the subnet
 * and neither the network's, the gateway's nor the broadcast address;
 * each published port in range and one of the rows the head reserved
 * for this container (so no DNAT of a host port the head did not give
 * it, sshd's included).  The files are the container's own /etc/hosts
 * and /etc/resolv.conf, bounded in size and free of NULs.  A refusal is
 * a 400 naming what was wrong, with nothing changed on the node.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent.h"
#include "buf.h"
#include "dockerapi/net/net.h"
#include "dockerapi/runtime/container-layout.h"
#include "fsutil.h"
#include "ids.h"
#include "jsonutil.h"
#include "log.h"
#include "netsync.h"
#include "store.h"
#include "strvec.h"
#include "timeutil.h"
#include "xalloc.h"

#define NODENET_VERSION 1
#define NODENET_RECORD "netnode.json"
#define NODENET_FILE_MAX 65536
#define NODENET_MAX_NETWORKS 64
#define NODENET_MAX_PORTS 1024
#define NODENET_MTU_MIN 1280
#define NODENET_MTU_MAX 1500
#define NODENET_NAME_MAX 128		/* a Docker name's longest */

/* The document checked, in libsdcnet's terms. */
struct nodenet {
	char id[65];                    /* the container's Docker id */
	size_t n;
	struct net_bridge *b;
	struct net_endpoint *e;
	char (*ifname)[16];
	char (*netid)[65];
	uint32_t *vni;
	struct net_port *ports;
	size_t nports;
	size_t pub;                     /* n: no network publishes */
	const char *hosts, *resolv;
	size_t hosts_len, resolv_len;
	struct buf of_hosts, of_resolv;	/* FilesOf's */
};

static void
nodenet_free(struct nodenet *nn)
{
	free(nn->b);
	free(nn->e);
	free(nn->ifname);
	free(nn->netid);
	free(nn->vni);
	free(nn->ports);
	buf_free(&nn->of_hosts);
	buf_free(&nn->of_resolv);
}

static const struct net_config *
nodenet_cfg(struct agent *a, struct net_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->run_dir = a->opt->net_dir;
	return cfg;
}

struct net_dns_queue *
agent_dns_queue(struct agent *a)
{
	struct net_config cfg;

	if (a->dnsq == NULL)
		a->dnsq = net_dns_queue_new(a->base, nodenet_cfg(a, &cfg));
	return a->dnsq;
}

/* --- the document's shape --- */

static int
nodenet_keys(const json_t *o, const char *what, const char *const *known,
    sdc_error_t *err)
{
	const char *k;
	json_t *v;

	if (!json_is_object(o))
		return sdc_make_error_code(err, 400, "%s: an object, please",
		    what);
	json_object_foreach((json_t *)o, k, v) {
		size_t i;

		for (i = 0; known[i] != NULL && strcmp(known[i], k) != 0; i++)
			;
		if (known[i] == NULL)
			return sdc_make_error_code(err, 400, "%s: unknown field "
			    "\"%s\"", what, k);
	}
	return 0;
}

/* A string member, present, without NUL, at most max bytes. */
static int
nodenet_str(const json_t *o, const char *key, size_t max, const char **out,
    sdc_error_t *err)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || strlen(json_string_value(v)) !=
	    json_string_length(v) || json_string_length(v) > max)
		return sdc_make_error_code(err, 400, "%s: a string of at most "
		    "%zu bytes without NUL, please", key, max);
	*out = json_string_value(v);
	return 0;
}

static int
nodenet_addr(const json_t *o, const char *key, struct in_addr *out,
    sdc_error_t *err)
{
	const char *s;

	if (nodenet_str(o, key, 15, &s, err) < 0)
		return -1;
	if (inet_pton(AF_INET, s, out) != 1)
		return sdc_make_error_code(err, 400, "%s: \"%s\" is not an "
		    "IPv4 address", key, s);
	return 0;
}

static int
nodenet_int(const json_t *o, const char *key, json_int_t lo, json_int_t hi,
    json_int_t *out, sdc_error_t *err)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi)
		return sdc_make_error_code(err, 400, "%s: an integer from %lld "
		    "to %lld, please", key, (long long)lo, (long long)hi);
	*out = json_integer_value(v);
	return 0;
}

/* --- against the store --- */

/* The container's row: this node's, the account's; its Docker id, and
 * its name when name is not NULL. */
static int
nodenet_container(struct agent *a, const char *uuid, const char *account,
    char id[65], char name[NODENET_NAME_MAX + 1], sdc_error_t *err)
{
	struct store_stmt *s;
	int rc;

	if (store_prepare(a->store, &s, "SELECT id, account, extra, name FROM "
	    "containers WHERE uuid = ?", err) < 0)
		return -1;
	if (store_bind_text(s, 1, uuid, err) < 0) {
		store_finalize(s);
		return -1;
	}
	if ((rc = store_step(s, err)) == 1) {
		json_t *extra = json_loads(store_col_text(s, 2) ?: "{}", 0,
		    NULL);

		if (strcmp(store_col_text(s, 1) ?: "", account) != 0)
			rc = sdc_make_error_code(err, 400, "Account: the "
			    "container is not that account's");
		else if (strcmp(json_str(extra, "Node", ""), a->self.id) != 0)
			rc = sdc_make_error_code(err, 400, "the container is "
			    "not recorded on this node");
		else {
			snprintf(id, 65, "%s", store_col_text(s, 0) ?: "");
			if (name != NULL)
				snprintf(name, NODENET_NAME_MAX + 1, "%s",
				    store_col_text(s, 3) ?: "");
		}
		json_decref(extra);
	} else if (rc == 0)
		rc = sdc_make_error_code(err, 400, "no such container in the "
		    "store");
	store_finalize(s);
	return rc < 0 ? -1 : 0;
}

/* The network's row and the container's endpoint on it, as sent. */
static int
nodenet_network_row(struct agent *a, const char *account, const char *cid,
    const struct net_bridge *b, uint32_t vni, const struct net_endpoint *e,
    sdc_error_t *err)
{
	struct store_stmt *s;
	struct in_addr sub, gw, ip;
	uint8_t mac[6];
	int rc;

	if (store_prepare(a->store, &s, "SELECT n.account, n.subnet, n.prefix, "
	    "n.gateway, n.internal, n.vni, e.ip, e.mac FROM networks n "
	    "LEFT JOIN network_endpoints e ON e.network = n.id AND "
	    "e.container = ? WHERE n.id = ?", err) < 0)
		return -1;
	if (store_bind_text(s, 1, cid, err) < 0 ||
	    store_bind_text(s, 2, b->id, err) < 0) {
		store_finalize(s);
		return -1;
	}
	if ((rc = store_step(s, err)) == 0)
		rc = sdc_make_error_code(err, 400, "network %.12s: no such "
		    "network", b->id);
	else if (rc == 1) {
		rc = -1;
		if (strcmp(store_col_text(s, 0) ?: "", account) != 0)
			sdc_make_error_code(err, 400, "network %.12s: not the "
			    "container's account's", b->id);
		else if (inet_pton(AF_INET, store_col_text(s, 1) ?: "",
		    &sub) != 1 || sub.s_addr != b->subnet.s_addr ||
		    store_col_int64(s, 2) != b->prefix ||
		    inet_pton(AF_INET, store_col_text(s, 3) ?: "", &gw) != 1 ||
		    gw.s_addr != b->gateway.s_addr)
			sdc_make_error_code(err, 400, "network %.12s: Subnet "
			    "and Gateway are not the network's", b->id);
		else if ((store_col_int64(s, 4) != 0) != b->internal)
			sdc_make_error_code(err, 400, "network %.12s: Internal "
			    "is not the network's", b->id);
		else if ((store_col_is_null(s, 5) ? 0 :
		    (uint32_t)store_col_int64(s, 5)) != vni)
			sdc_make_error_code(err, 400, "network %.12s: VNI is "
			    "not the network's", b->id);
		else if (store_col_is_null(s, 6) ||
		    inet_pton(AF_INET, store_col_text(s, 6) ?: "", &ip) != 1 ||
		    ip.s_addr != e->ip.s_addr ||
		    netsync_mac_parse(store_col_text(s, 7), mac) < 0 ||
		    memcmp(mac, e->mac, 6) != 0)
			sdc_make_error_code(err, 400, "network %.12s: IP and "
			    "MAC are not the ones leased to the container",
			    b->id);
		else
			rc = 0;
	}
	store_finalize(s);
	return rc < 0 ? -1 : 0;
}

static int
nodenet_port_row(struct agent *a, const char *account, const char *cid,
    const struct net_port *p, sdc_error_t *err)
{
	struct store_stmt *s;
	struct in_addr hip;
	int rc;

	if (store_prepare(a->store, &s, "SELECT host_ip, container_port, "
	    "container, account FROM port_bindings WHERE proto = ? AND "
	    "host_port = ?", err) < 0)
		return -1;
	if (store_bind_text(s, 1, p->proto == IPPROTO_UDP ? "udp" : "tcp",
	    err) < 0 || store_bind_int64(s, 2, p->host_port, err) < 0) {
		store_finalize(s);
		return -1;
	}
	rc = store_step(s, err);
	if (rc == 1 && (inet_pton(AF_INET, store_col_text(s, 0) ?: "",
	    &hip) != 1 || hip.s_addr != p->host_ip.s_addr ||
	    store_col_int64(s, 1) != p->container_port ||
	    strcmp(store_col_text(s, 2) ?: "", cid) != 0 ||
	    strcmp(store_col_text(s, 3) ?: "", account) != 0))
		rc = 0;
	if (rc == 0)
		rc = sdc_make_error_code(err, 400, "port %u/%s: not a port "
		    "reserved for the container", (unsigned)p->host_port,
		    p->proto == IPPROTO_UDP ? "udp" : "tcp");
	store_finalize(s);
	return rc < 0 ? -1 : 0;
}

/* --- the check --- */

static bool
nodenet_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' ||
		    *s == '_'))
			return false;
	return true;
}

static int
nodenet_check_network(struct nodenet *nn, size_t i, const json_t *o,
    sdc_error_t *err)
{
	static const char *const keys[] = { "ID", "Bridge", "Subnet",
		"Gateway", "VNI", "MTU", "Internal", "IP", "MAC", "Aliases",
		NULL };
	struct net_bridge *b = &nn->b[i];
	struct net_endpoint *e = &nn->e[i];
	const char *id, *bridge, *subnet, *mac, *slash;
	char want[16], sub[16];
	json_int_t vni, mtu, prefix;
	uint32_t mask, net, host;
	json_t *v;
	size_t k;

	if (nodenet_keys(o, "Networks[]", keys, err) < 0 ||
	    nodenet_str(o, "ID", 64, &id, err) < 0)
		return -1;
	if (strlen(id) != 64 || strspn(id, "0123456789abcdef") != 64)
		return sdc_make_error_code(err, 400, "Networks[].ID: 64 hex "
		    "digits, please");
	for (k = 0; k < i; k++)
		if (strcmp(nn->netid[k], id) == 0)
			return sdc_make_error_code(err, 400, "network %.12s: "
			    "listed twice", id);
	snprintf(nn->netid[i], 65, "%s", id);
	b->id = nn->netid[i];
	if (nodenet_str(o, "Bridge", 15, &bridge, err) < 0)
		return -1;
	net_bridge_ifname(id, want);
	if (strcmp(bridge, want) != 0)
		return sdc_make_error_code(err, 400, "network %.12s: Bridge "
		    "\"%s\" is not the network's own (%s)", id, bridge, want);
	if (nodenet_str(o, "Subnet", 18, &subnet, err) < 0)
		return -1;
	if ((slash = strchr(subnet, '/')) == NULL || slash - subnet > 15)
		return sdc_make_error_code(err, 400, "network %.12s: Subnet "
		    "\"%s\" is not A.B.C.D/P", id, subnet);
	snprintf(sub, sizeof sub, "%.*s", (int)(slash - subnet), subnet);
	prefix = strspn(slash + 1, "0123456789") == strlen(slash + 1) &&
	    slash[1] != '\0' && strlen(slash + 1) <= 2 ? atoi(slash + 1) : -1;
	if (inet_pton(AF_INET, sub, &b->subnet) != 1 || prefix < 8 ||
	    prefix > 30)
		return sdc_make_error_code(err, 400, "network %.12s: Subnet "
		    "\"%s\" is not A.B.C.D/P with P from 8 to 30", id, subnet);
	b->prefix = (int)prefix;
	mask = 0xffffffffu << (32 - prefix);
	net = ntohl(b->subnet.s_addr);
	if ((net & ~mask) != 0)
		return sdc_make_error_code(err, 400, "network %.12s: Subnet "
		    "\"%s\" has host bits set", id, subnet);
	if (nodenet_addr(o, "Gateway", &b->gateway, err) < 0 ||
	    nodenet_int(o, "VNI", 0, 16777215, &vni, err) < 0 ||
	    nodenet_int(o, "MTU", 0, NODENET_MTU_MAX, &mtu, err) < 0)
		return -1;
	if (mtu != 0 && mtu < NODENET_MTU_MIN)
		return sdc_make_error_code(err, 400, "network %.12s: MTU: 0 (the "
		    "kernel's) or from %d to %d, please", id, NODENET_MTU_MIN,
		    NODENET_MTU_MAX);
	b->mtu = (int)mtu;
	if (!json_is_boolean(json_object_get(o, "Internal")))
		return sdc_make_error_code(err, 400, "Internal: a boolean, "
		    "please");
	b->internal = json_is_true(json_object_get(o, "Internal"));
	if (nodenet_addr(o, "IP", &e->ip, err) < 0)
		return -1;
	host = ntohl(e->ip.s_addr);
	if ((host & mask) != net || host == net || host == (net | ~mask) ||
	    e->ip.s_addr == b->gateway.s_addr ||
	    (ntohl(b->gateway.s_addr) & mask) != net)
		return sdc_make_error_code(err, 400, "network %.12s: IP %s is "
		    "not a container's address in %s", id,
		    json_str(o, "IP", ""), subnet);
	if (nodenet_str(o, "MAC", 17, &mac, err) < 0)
		return -1;
	if (netsync_mac_parse(mac, e->mac) < 0 || (e->mac[0] & 1) != 0)
		return sdc_make_error_code(err, 400, "network %.12s: MAC \"%s\" "
		    "is not a unicast MAC address", id, mac);
	v = json_object_get(o, "Aliases");
	if (v != NULL && !json_is_array(v))
		return sdc_make_error_code(err, 400, "Aliases: an array, please");
	for (k = 0; k < json_array_size(v); k++)
		if (!json_is_string(json_array_get(v, k)) ||
		    !nodenet_name_ok(json_string_value(json_array_get(v, k))))
			return sdc_make_error_code(err, 400, "network %.12s: "
			    "an alias that is not a host name", id);
	snprintf(nn->ifname[i], 16, "eth%d", (int)(i % NODENET_MAX_NETWORKS));
	e->bridge = b;
	e->ifname = nn->ifname[i];
	nn->vni[i] = (uint32_t)vni;
	return 0;
}

static int
nodenet_check_port(const json_t *o, struct net_port *p, sdc_error_t *err)
{
	static const char *const keys[] = { "Proto", "HostIP", "HostPort",
		"ContainerPort", NULL };
	const char *proto;
	json_int_t hp, cp;

	if (nodenet_keys(o, "Ports[]", keys, err) < 0 ||
	    nodenet_str(o, "Proto", 3, &proto, err) < 0)
		return -1;
	if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)
		return sdc_make_error_code(err, 400, "Ports[].Proto: tcp or udp, "
		    "please");
	p->proto = strcmp(proto, "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
	if (nodenet_addr(o, "HostIP", &p->host_ip, err) < 0 ||
	    nodenet_int(o, "HostPort", 1, 65535, &hp, err) < 0 ||
	    nodenet_int(o, "ContainerPort", 1, 65535, &cp, err) < 0)
		return -1;
	p->host_port = (uint16_t)hp;
	p->container_port = (uint16_t)cp;
	return 0;
}

static int
nodenet_check_files(struct nodenet *nn, const json_t *f, sdc_error_t *err)
{
	static const char *const keys[] = { RT_FILE_HOSTS, RT_FILE_RESOLV,
		NULL };

	if (nodenet_keys(f, "Files", keys, err) < 0 ||
	    nodenet_str(f, RT_FILE_HOSTS, NODENET_FILE_MAX, &nn->hosts,
	    err) < 0 || nodenet_str(f, RT_FILE_RESOLV, NODENET_FILE_MAX,
	    &nn->resolv, err) < 0)
		return -1;
	nn->hosts_len = strlen(nn->hosts);
	nn->resolv_len = strlen(nn->resolv);
	return 0;
}

static char *nodenet_path(struct agent *a, const char *uuid,
    const char *file);

/* FilesOf: the other container's files, when it is the account's and
 * this node's. */
static int
nodenet_files_of(struct agent *a, const char *account, const char *other,
    struct nodenet *nn, sdc_error_t *err)
{
	struct store_stmt *s;
	char ouuid[37] = "";
	char *p;
	int rc;

	if (!docker_id_valid(other))
		return sdc_make_error_code(err, 400, "FilesOf: a Docker id, "
		    "please");
	if (store_prepare(a->store, &s, "SELECT uuid, account, extra FROM "
	    "containers WHERE id = ?", err) < 0)
		return -1;
	if (store_bind_text(s, 1, other, err) < 0) {
		store_finalize(s);
		return -1;
	}
	if ((rc = store_step(s, err)) == 1) {
		json_t *extra = json_loads(store_col_text(s, 2) ?: "{}", 0,
		    NULL);

		if (strcmp(store_col_text(s, 1) ?: "", account) != 0 ||
		    strcmp(json_str(extra, "Node", ""), a->self.id) != 0 ||
		    !uuid_valid(store_col_text(s, 0) ?: ""))
			rc = 0;
		else
			snprintf(ouuid, sizeof ouuid, "%s", store_col_text(s, 0));
		json_decref(extra);
	}
	store_finalize(s);
	if (rc < 0)
		return -1;
	if (*ouuid == '\0')
		return sdc_make_error_code(err, 400, "FilesOf: no container of "
		    "the account's on this node");
	p = nodenet_path(a, ouuid, RT_FILE_HOSTS);
	rc = file_read(p, &nn->of_hosts, NODENET_FILE_MAX, err);
	free(p);
	if (rc == 0) {
		p = nodenet_path(a, ouuid, RT_FILE_RESOLV);
		rc = file_read(p, &nn->of_resolv, NODENET_FILE_MAX, err);
		free(p);
	}
	if (rc < 0) {
		sdc_error_release(err);
		return sdc_make_error_code(err, 409, "FilesOf: container %.12s "
		    "has no files yet (it never ran)", other);
	}
	nn->hosts = buf_str(&nn->of_hosts);
	nn->hosts_len = nn->of_hosts.len;
	nn->resolv = buf_str(&nn->of_resolv);
	nn->resolv_len = nn->of_resolv.len;
	return 0;
}

/* What every document a head sends begins with: the keys known (what
 * names the document), its version this agent's, an Account (a uuid)
 * and an ID (a Docker id), which the caller then checks in the store. */
static int
nodenet_check_head(const json_t *doc, const char *what,
    const char *const *keys, const char **account, const char **id,
    sdc_error_t *err)
{
	json_int_t version;

	if (nodenet_keys(doc, what, keys, err) < 0 ||
	    nodenet_int(doc, "Version", 0, 1000, &version, err) < 0)
		return -1;
	if (version != NODENET_VERSION)
		return sdc_make_error_code(err, 400, "%s: version %lld; this "
		    "agent speaks %d", what, (long long)version,
		    NODENET_VERSION);
	if (nodenet_str(doc, "Account", 36, account, err) < 0 ||
	    nodenet_str(doc, "ID", 64, id, err) < 0)
		return -1;
	if (!uuid_valid(*account) || !docker_id_valid(*id))
		return sdc_make_error_code(err, 400, "Account and ID: a uuid "
		    "and a Docker id, please");
	return 0;
}

/* doc checked into nn (which points into doc); nothing done yet.  A
 * connect's document (connect true) is a start's with one network, its
 * interface's "Index" and no ports or files, checked the same way. */
static int
nodenet_check(struct agent *a, const char *uuid, const json_t *doc,
    bool connect, struct nodenet *nn, sdc_error_t *err)
{
	static const char *const keys[] = { "Version", "Account", "ID",
		"Networks", "Ports", "Files", "FilesOf", NULL };
	static const char *const connect_keys[] = { "Version", "Account", "ID",
		"Networks", "Index", NULL };
	const json_t *of = json_object_get(doc, "FilesOf");
	const json_t *nets = json_object_get(doc, "Networks");
	const json_t *ports = json_object_get(doc, "Ports");
	const char *account, *id;
	char cid[65];
	size_t i;

	memset(nn, 0, sizeof *nn);
	if (nodenet_check_head(doc, "Network", connect ? connect_keys : keys,
	    &account, &id, err) < 0)
		return -1;
	if (!json_is_array(nets) || json_array_size(nets) >
	    NODENET_MAX_NETWORKS || (ports != NULL && (!json_is_array(ports) ||
	    json_array_size(ports) > NODENET_MAX_PORTS)))
		return sdc_make_error_code(err, 400, "Networks and Ports: "
		    "arrays of at most %d and %d, please", NODENET_MAX_NETWORKS,
		    NODENET_MAX_PORTS);
	if (connect && json_array_size(nets) != 1)
		return sdc_make_error_code(err, 400, "Networks: the one network "
		    "connected, please");
	snprintf(nn->id, sizeof nn->id, "%s", id);
	nn->n = json_array_size(nets);
	nn->b = xcalloc(nn->n + 1, sizeof *nn->b);
	nn->e = xcalloc(nn->n + 1, sizeof *nn->e);
	nn->ifname = xcalloc(nn->n + 1, sizeof *nn->ifname);
	nn->netid = xcalloc(nn->n + 1, sizeof *nn->netid);
	nn->vni = xcalloc(nn->n + 1, sizeof *nn->vni);
	nn->pub = nn->n;
	/* the shape of everything first, then the store's word on it */
	for (i = 0; i < nn->n; i++) {
		if (nodenet_check_network(nn, i, json_array_get(nets, i),
		    err) < 0)
			return -1;
		if (connect) {
			json_int_t index;

			/* a second interface: no default route, no ports,
			 * as a head's own connect */
			if (nodenet_int(doc, "Index", 0, NODENET_MAX_NETWORKS - 1,
			    &index, err) < 0)
				return -1;
			snprintf(nn->ifname[i], 16, "eth%d", (int)index);
			continue;
		}
		if (!nn->b[i].internal && nn->pub == nn->n) {
			nn->pub = i;
			nn->e[i].default_route = true;
		}
	}
	nn->nports = json_array_size(ports);
	nn->ports = xcalloc(nn->nports + 1, sizeof *nn->ports);
	for (i = 0; i < nn->nports; i++) {
		if (nodenet_check_port(json_array_get(ports, i), &nn->ports[i],
		    err) < 0)
			return -1;
		for (size_t k = 0; k < i; k++)
			if (nn->ports[k].proto == nn->ports[i].proto &&
			    nn->ports[k].host_port == nn->ports[i].host_port)
				return sdc_make_error_code(err, 400, "port %u: "
				    "listed twice", nn->ports[i].host_port);
	}
	if (nn->nports > 0 && nn->pub == nn->n)
		return sdc_make_error_code(err, 400, "Ports: published from "
		    "internal networks only");
	if (nn->pub < nn->n) {
		nn->e[nn->pub].ports = nn->ports;
		nn->e[nn->pub].nports = nn->nports;
	}
	if (of != NULL && (nn->n > 0 || nn->nports > 0 ||
	    json_object_get(doc, "Files") != NULL || !json_is_string(of)))
		return sdc_make_error_code(err, 400, "FilesOf: a Docker id, with "
		    "no Networks, Ports or Files");
	if ((of == NULL && !connect && nodenet_check_files(nn,
	    json_object_get(doc, "Files"), err) < 0) ||
	    nodenet_container(a, uuid, account, cid, NULL, err) < 0 ||
	    (of != NULL && nodenet_files_of(a, account, json_string_value(of),
	    nn, err) < 0))
		return -1;
	if (strcmp(cid, id) != 0)
		return sdc_make_error_code(err, 400, "ID: not the container's");
	for (i = 0; i < nn->nports; i++)
		if (nodenet_port_row(a, account, nn->id, &nn->ports[i], err) < 0)
			return -1;
	for (i = 0; i < nn->n; i++)
		if (nodenet_network_row(a, account, nn->id, &nn->b[i],
		    nn->vni[i], &nn->e[i], err) < 0)
			return -1;
	return 0;
}

/* --- up and down --- */

static char *
nodenet_path(struct agent *a, const char *uuid, const char *file)
{
	char *p;

	xasprintf(&p, "%s/%s/%s", a->opt->zones, uuid, file);
	return p;
}

static int
nodenet_write(struct agent *a, const char *uuid, const char *file,
    const char *data, size_t len, sdc_error_t *err)
{
	char *p = nodenet_path(a, uuid, file);
	int rc = file_write_replace(p, data, len, 0644, err);

	free(p);
	return rc;
}

static int
nodenet_record(struct agent *a, const char *uuid, const struct nodenet *nn,
    sdc_error_t *err)
{
	json_t *r = json_pack("{s:s, s:[], s:b}", "ID", nn->id, "Networks",
	    "Ports", nn->nports > 0);
	char *text;
	int rc;

	for (size_t i = 0; i < nn->n; i++)
		json_array_append_new(json_object_get(r, "Networks"),
		    json_string(nn->netid[i]));
	text = json_dumps(r, JSON_COMPACT);
	rc = nodenet_write(a, uuid, NODENET_RECORD, text, strlen(text), err);
	free(text);
	json_decref(r);
	return rc;
}

int
agent_net_up(struct agent *a, const char *uuid, const json_t *doc,
    struct net_dns_wait *names, sdc_error_t *err)
{
	struct net_config cfg;
	struct nodenet nn;
	struct strvec nets = STRVEC_INIT;
	char *plan = NULL;
	struct timespec t0, t1;
	size_t i;
	int rc = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (nodenet_check(a, uuid, doc, false, &nn, err) < 0) {
		log_info("container %s: network refused: %s", uuid,
		    sdc_error_msg(*err));
		nodenet_free(&nn);
		return -1;
	}
	nodenet_cfg(a, &cfg);
	for (i = 0; i < nn.n; i++) {
		if (net_bridge_ensure(&cfg, &nn.b[i], err) < 0)
			goto undo;
		strvec_push(&nets, nn.netid[i]);
	}
	plan = nodenet_path(a, uuid, RT_FILE_NETPLAN);
	/* the record first: whatever follows is undone from it */
	if (nodenet_record(a, uuid, &nn, err) < 0 ||
	    net_plan_write(&cfg, plan, nn.id, nn.e, nn.n, err) < 0 ||
	    (nn.pub < nn.n && net_endpoint_ports(nn.id, &nn.e[nn.pub],
	    err) < 0) ||
	    nodenet_write(a, uuid, RT_FILE_HOSTS, nn.hosts, nn.hosts_len,
	    err) < 0 ||
	    nodenet_write(a, uuid, RT_FILE_RESOLV, nn.resolv, nn.resolv_len,
	    err) < 0)
		goto undo;
	if (nets.n > 0 && agent_netsync_names(a, (const char *const *)nets.v,
	    uuid, true, names, err) < 0)
		goto undo;
	for (i = 0; i < nn.n; i++) {
		char br[16], ip[INET_ADDRSTRLEN];

		net_bridge_ifname(nn.netid[i], br);
		inet_ntop(AF_INET, &nn.e[i].ip, ip, sizeof ip);
		log_info("container %s: network %.12s plumbed: bridge %s, %s "
		    "%s/%d%s, names set", uuid, nn.netid[i], br, nn.ifname[i],
		    ip, nn.b[i].prefix, nn.b[i].internal ? ", internal" : "");
	}
	for (i = 0; i < nn.nports; i++)
		log_info("container %s: port %u/%s published to %u",
		    uuid, nn.ports[i].host_port, nn.ports[i].proto ==
		    IPPROTO_UDP ? "udp" : "tcp", nn.ports[i].container_port);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("container %s: its network made in %.1f ms (%zu networks, "
	    "%zu ports, checks included)", uuid,
	    (double)(time_ts_ns(&t1) - time_ts_ns(&t0)) / 1e6, nn.n, nn.nports);
	rc = 0;
	goto out;
undo:
	sdc_error_wrap(err, "the container's network on this node");
	log_warn("container %s: %s", uuid, sdc_error_msg(*err));
	agent_net_down(a, uuid, NULL);
out:
	free(plan);
	strvec_clear(&nets);
	nodenet_free(&nn);
	return rc;
}

bool
agent_net_plumbed(struct agent *a, const char *uuid)
{
	char *path = nodenet_path(a, uuid, NODENET_RECORD);
	bool yes = access(path, F_OK) == 0;

	free(path);
	return yes;
}

/* What was plumbed for uuid (its NODENET_RECORD), its networks pushed
 * to nets; NULL when nothing is (or a record not ours, logged). */
static json_t *
nodenet_record_read(struct agent *a, const char *uuid, struct strvec *nets)
{
	struct buf b = BUF_INIT;
	sdc_error_t err = NULL;
	char *path = nodenet_path(a, uuid, NODENET_RECORD);
	json_t *r = NULL, *v;
	size_t i;

	if (file_read(path, &b, NODENET_FILE_MAX, &err) < 0) {
		sdc_error_release(&err);        /* nothing plumbed here */
		goto out;
	}
	r = json_loadb(b.data != NULL ? b.data : "", b.len, 0, NULL);
	if (!docker_id_valid(json_str(r, "ID", ""))) {
		log_warn("container %s: %s is not ours; left", uuid, path);
		json_decref(r);
		r = NULL;
		goto out;
	}
	json_array_foreach(json_object_get(r, "Networks"), i, v)
		if (json_is_string(v) && strlen(json_string_value(v)) == 64)
			strvec_push(nets, json_string_value(v));
out:
	buf_free(&b);
	free(path);
	return r;
}

void
agent_net_down(struct agent *a, const char *uuid, struct net_dns_wait *names)
{
	struct net_config cfg;
	struct strvec nets = STRVEC_INIT;
	sdc_error_t err = NULL;
	char *path = nodenet_path(a, uuid, NODENET_RECORD);
	const char *id;
	json_t *r;

	if ((r = nodenet_record_read(a, uuid, &nets)) == NULL)
		goto out;
	id = json_str(r, "ID", "");
	nodenet_cfg(a, &cfg);
	if ((json_is_true(json_object_get(r, "Ports")) ?
	    net_sandbox_destroy(&cfg, id, &err) :
	    net_sandbox_unbind(&cfg, id, &err)) < 0) {
		log_warn("container %s: its network on this node: %s", uuid,
		    sdc_error_msg(err));
		sdc_error_release(&err);
	}
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("container %s: removing %s: %s", uuid, path,
		    strerror(errno));
	if (nets.n > 0 && agent_netsync_names(a, (const char *const *)nets.v,
	    uuid, false, names, &err) < 0) {
		log_warn("container %s: names of its networks: %s (set again "
		    "at the next pass)", uuid, sdc_error_msg(err));
		sdc_error_release(&err);
	}
	log_info("container %s: network taken down: sandbox, veths%s and "
	    "names", uuid, json_is_true(json_object_get(r, "Ports")) ?
	    ", ports" : "");
	json_decref(r);
out:
	strvec_clear(&nets);
	free(path);
}

/* --- connect and disconnect of a running container --- */

/* The record's networks with network_id added or taken out; -1 with
 * 409 when it is already there (add) or not there (take out). */
static int
nodenet_record_edit(struct agent *a, const char *uuid, const char *network_id,
    bool add, sdc_error_t *err)
{
	struct buf b = BUF_INIT;
	char *path = nodenet_path(a, uuid, NODENET_RECORD), *text;
	json_t *r = NULL, *nets, *v;
	size_t i, at = (size_t)-1;
	int rc = -1;

	if (file_read(path, &b, NODENET_FILE_MAX, err) < 0) {
		sdc_error_release(err);
		sdc_make_error_code(err, 409, "the container's network was not "
		    "plumbed on this node");
		goto out;
	}
	r = json_loadb(b.data != NULL ? b.data : "", b.len, 0, NULL);
	nets = json_object_get(r, "Networks");
	if (!json_is_array(nets)) {
		sdc_make_error_code(err, 500, "%s: no list of networks", path);
		goto out;
	}
	json_array_foreach(nets, i, v)
		if (strcmp(json_string_value(v) ?: "", network_id) == 0)
			at = i;
	if (add && at != (size_t)-1) {
		sdc_make_error_code(err, 409, "network %.12s: the container is "
		    "already connected to it on this node", network_id);
		goto out;
	}
	if (!add && at == (size_t)-1) {
		sdc_make_error_code(err, 409, "network %.12s: the container is "
		    "not connected to it on this node", network_id);
		goto out;
	}
	if (add)
		json_array_append_new(nets, json_string(network_id));
	else
		json_array_remove(nets, at);
	text = json_dumps(r, JSON_COMPACT);
	rc = nodenet_write(a, uuid, NODENET_RECORD, text, strlen(text), err);
	free(text);
out:
	json_decref(r);
	buf_free(&b);
	free(path);
	return rc;
}

/* The container runs here, with its sandbox bound in this node's
 * networking folder. */
static int
nodenet_running(struct agent *a, const char *uuid, const char *id,
    sdc_error_t *err)
{
	struct net_config cfg;
	struct rt_state st;

	if (rt_state_read(&a->rt, uuid, &st, err) < 0) {
		sdc_error_release(err);
		return sdc_make_error_code(err, 404, "No such container on this "
		    "node");
	}
	if (st.status != RT_RUNNING && st.status != RT_PAUSED)
		return sdc_make_error_code(err, 409, "the container is not "
		    "running");
	if (!agent_net_plumbed(a, uuid) ||
	    !net_sandbox_exists(nodenet_cfg(a, &cfg), id))
		return sdc_make_error_code(err, 409, "the container's network "
		    "was not plumbed on this node");
	return 0;
}

int
agent_net_connect(struct agent *a, const char *uuid, const json_t *doc,
    struct net_dns_wait *names, sdc_error_t *err)
{
	struct net_config cfg;
	struct nodenet nn;
	const char *nets[2];
	char ip[INET_ADDRSTRLEN];
	int rc = -1;

	if (nodenet_check(a, uuid, doc, true, &nn, err) < 0 ||
	    nodenet_running(a, uuid, nn.id, err) < 0) {
		log_info("container %s: connect refused: %s", uuid,
		    sdc_error_msg(*err));
		goto out;
	}
	nodenet_cfg(a, &cfg);
	/* the record first: a teardown after a failure below takes the
	 * endpoint with the sandbox, and the names with it */
	if (nodenet_record_edit(a, uuid, nn.netid[0], true, err) < 0)
		goto out;
	if (net_bridge_ensure(&cfg, &nn.b[0], err) < 0 ||
	    net_endpoint_link(&cfg, nn.id, &nn.e[0], err) < 0) {
		sdc_error_t ignored = NULL;

		if (nodenet_record_edit(a, uuid, nn.netid[0], false,
		    &ignored) < 0)
			sdc_error_release(&ignored);
		sdc_error_wrap(err, "network %.12s on this node", nn.netid[0]);
		log_warn("container %s: connect: %s", uuid, sdc_error_msg(*err));
		goto out;
	}
	nets[0] = nn.netid[0];
	nets[1] = NULL;
	if (agent_netsync_names(a, nets, NULL, false, names, err) < 0) {
		log_warn("container %s: names of network %.12s: %s (set again "
		    "at the next pass)", uuid, nn.netid[0], sdc_error_msg(*err));
		sdc_error_release(err);
	}
	inet_ntop(AF_INET, &nn.e[0].ip, ip, sizeof ip);
	log_info("container %s: network %.12s connected: %s %s/%d, names "
	    "queued", uuid, nn.netid[0], nn.ifname[0], ip, nn.b[0].prefix);
	rc = 0;
out:
	nodenet_free(&nn);
	return rc;
}

/* Whether the store still has the container holding an address on the
 * network: 1 yes, 0 no (disconnected there first), -1 with *err. */
static int
nodenet_still_leased(struct agent *a, const char *cid, const char *network_id,
    sdc_error_t *err)
{
	struct store_stmt *s;
	int rc;

	if (store_prepare(a->store, &s, "SELECT 1 FROM network_endpoints "
	    "WHERE container = ? AND network = ? AND ip != ''", err) < 0)
		return -1;
	if (store_bind_text(s, 1, cid, err) < 0 ||
	    store_bind_text(s, 2, network_id, err) < 0) {
		store_finalize(s);
		return -1;
	}
	rc = store_step(s, err);
	store_finalize(s);
	return rc;
}

/* A document naming the container alone (a disconnect's, a rename's),
 * its head checked (nodenet_check_head): its Account and ID the
 * container's in the store, and the container this node's; cid its
 * Docker id, name (when not NULL) its name in the store. */
static int
nodenet_check_ids(struct agent *a, const char *uuid, const char *account,
    const char *id, char cid[65], char name[NODENET_NAME_MAX + 1],
    sdc_error_t *err)
{
	if (nodenet_container(a, uuid, account, cid, name, err) < 0)
		return -1;
	if (strcmp(cid, id) != 0)
		return sdc_make_error_code(err, 400, "ID: not the container's");
	return 0;
}

/* A disconnect's document checked for its shape (the store's word on
 * it is nodenet_check_ids'); the strings point into doc. */
static int
nodenet_disconnect_check(const json_t *doc, const char **account,
    const char **id, const char **net, sdc_error_t *err)
{
	static const char *const keys[] = { "Version", "Account", "ID",
		"Network", NULL };

	if (nodenet_check_head(doc, "Disconnect", keys, account, id,
	    err) < 0 || nodenet_str(doc, "Network", 64, net, err) < 0)
		return -1;
	if (strlen(*net) != 64 || strspn(*net, "0123456789abcdef") != 64)
		return sdc_make_error_code(err, 400, "Network: a network id, "
		    "please");
	return 0;
}

int
agent_net_disconnect(struct agent *a, const char *uuid, const json_t *doc,
    struct net_dns_wait *names, sdc_error_t *err)
{
	struct net_config cfg;
	const char *account, *id, *net, *nets[2];
	char cid[65];
	int rc;

	if (nodenet_disconnect_check(doc, &account, &id, &net, err) < 0 ||
	    nodenet_check_ids(a, uuid, account, id, cid, NULL, err) < 0)
		goto refused;
	/* the store settles first: only an endpoint its head released is
	 * taken down */
	if ((rc = nodenet_still_leased(a, cid, net, err)) < 0)
		goto refused;
	if (rc == 1) {
		sdc_make_error_code(err, 400, "network %.12s: the container "
		    "still holds its address there in the store", net);
		goto refused;
	}
	if (nodenet_running(a, uuid, cid, err) < 0 ||
	    nodenet_record_edit(a, uuid, net, false, err) < 0)
		goto refused;
	if (net_endpoint_detach(nodenet_cfg(a, &cfg), cid, net, err) < 0) {
		/* the record says gone: the sandbox's teardown takes the
		 * rest at the exit */
		log_warn("container %s: disconnect from %.12s: %s", uuid, net,
		    sdc_error_msg(*err));
		sdc_error_release(err);
	}
	nets[0] = net;
	nets[1] = NULL;
	if (agent_netsync_names(a, nets, NULL, false, names, err) < 0) {
		log_warn("container %s: names of network %.12s: %s (set again "
		    "at the next pass)", uuid, net, sdc_error_msg(*err));
		sdc_error_release(err);
	}
	log_info("container %s: network %.12s disconnected, names queued",
	    uuid, net);
	return 0;
refused:
	log_info("container %s: disconnect refused: %s", uuid,
	    sdc_error_msg(*err));
	return -1;
}

/* --- a rename of a running container --- */

/* A rename's document checked: the container's, this node's, and its
 * Name the one the store gives it.  The tables are made from the
 * store's rows, so a name it does not give the container (a forged one,
 * or renamed again since) would name nothing here. */
static int
nodenet_rename_check(struct agent *a, const char *uuid, const json_t *doc,
    sdc_error_t *err)
{
	static const char *const keys[] = { "Version", "Account", "ID",
		"Name", NULL };
	char cid[65], stored[NODENET_NAME_MAX + 1];
	const char *account, *id, *name;

	if (nodenet_check_head(doc, "Rename", keys, &account, &id, err) < 0 ||
	    nodenet_check_ids(a, uuid, account, id, cid, stored, err) < 0 ||
	    nodenet_str(doc, "Name", NODENET_NAME_MAX, &name, err) < 0)
		return -1;
	if (strcmp(name, stored) != 0)
		return sdc_make_error_code(err, 400, "Name: not the "
		    "container's name in the store");
	return 0;
}

int
agent_net_rename(struct agent *a, const char *uuid, const json_t *doc,
    struct net_dns_wait *names, sdc_error_t *err)
{
	struct strvec nets = STRVEC_INIT;
	json_t *r;

	if (nodenet_rename_check(a, uuid, doc, err) < 0)
		goto refused;
	/* not running here: no names of it in this node's tables */
	r = nodenet_record_read(a, uuid, &nets);
	if (nets.n > 0 && agent_netsync_names(a, (const char *const *)nets.v,
	    NULL, false, names, err) < 0) {
		log_warn("container %s: names of its networks: %s (set again "
		    "at the next pass)", uuid, sdc_error_msg(*err));
		sdc_error_release(err);
	}
	log_info("container %s: renamed, the names of its %zu networks "
	    "queued", uuid, nets.n);
	json_decref(r);
	strvec_clear(&nets);
	return 0;
refused:
	log_info("container %s: rename refused: %s", uuid,
	    sdc_error_msg(*err));
	return -1;
}

/* --- the names servers' life, as a head keeps its own --- */

#define NODENET_DNS_CHECK_MS 2000

static void
nodenet_dns_check(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;

	(void)fd;
	(void)what;
	net_dns_queue_ensure(agent_dns_queue(a));
}

/* At the agent's start: a container plumbed and not running (an agent
 * killed between a start's plumbing and its run, or while it exited:
 * exits.c takes down those that ran) is taken down. */
static void
nodenet_recover(struct agent *a)
{
	struct rt_state st;
	sdc_error_t err = NULL;
	char **ids;
	size_t n;

	if (rt_list(&a->rt, &ids, &n, &err) < 0) {
		sdc_error_release(&err);        /* no zones root yet */
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!agent_net_plumbed(a, ids[i]))
			continue;
		if (rt_state_read(&a->rt, ids[i], &st, &err) < 0)
			sdc_error_release(&err);
		else if (st.status == RT_RUNNING || st.status == RT_PAUSED)
			continue;
		agent_net_down(a, ids[i], NULL);
	}
	rt_list_free(ids, n);
}

void
agent_net_start(struct agent *a)
{
	struct timeval every = { NODENET_DNS_CHECK_MS / 1000,
	    (NODENET_DNS_CHECK_MS % 1000) * 1000 };

	nodenet_recover(a);

	a->net_tick = event_new(a->base, -1, EV_PERSIST, nodenet_dns_check, a);
	if (a->net_tick != NULL)
		event_add(a->net_tick, &every);
}

void
agent_net_stop(struct agent *a)
{
	if (a->net_tick != NULL)
		event_free(a->net_tick);
	a->net_tick = NULL;
}
