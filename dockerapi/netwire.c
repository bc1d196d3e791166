/*
 * netwire.c: the store's networks, endpoints and ports (networks.h) in
 * the node's networking library's terms (dockerapi/net/net.h): host-order
 * addresses to network order, MAC text to bytes, a ports list to the
 * library's, one net_config for the daemon.
 *
 * The library keeps its state (sandboxes, aardvark-dns's tables, the
 * markers of the bridges it made) under <data>/net: one daemon's objects
 * apart from another's on the same node, and found again after a
 * restart, so net_sweep removes only what this daemon made.
 *
 * The sandbox is the network namespace runc made for the container, in
 * the container's user namespace, bound at the library's path and given
 * its endpoints by the runtime's createRuntime hook from the plan written
 * here before each start (net/plan.c): a namespace the host's user namespace owned would be
 * closed to `runc exec` (1.1 joins the user namespace first) and to the
 * container's root (no CAP_NET_BIND_SERVICE, no net.* sysctls there).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "dockerapi/net/net.h"
#include "networks.h"
#include "nodes.h"
#include "xalloc.h"

static struct net_config netwire_cfg;
static struct net_dns_queue *netwire_dnsq;

static const struct net_config *
netwire_config(struct dockerapi *d)
{
	if (netwire_cfg.run_dir == NULL) {
		char *dir;

		xasprintf(&dir, "%s/net", d->cfg.data_dir);
		netwire_cfg.run_dir = dir;
	}
	return &netwire_cfg;
}

/* The daemon's names queue (net/dns-queue.c): tables applied off the
 * loop, each network's in the order computed. */
static struct net_dns_queue *
netwire_dns_queue(struct dockerapi *d)
{
	if (netwire_dnsq == NULL)
		netwire_dnsq = net_dns_queue_new(d->base, netwire_config(d));
	return netwire_dnsq;
}

char *
netwire_netns_path(struct dockerapi *d, const char *container)
{
	char *p;

	xasprintf(&p, "%s/netns/%s", netwire_config(d)->run_dir, container);
	return p;
}

static void
netwire_bridge(const struct network *n, struct net_bridge *b)
{
	memset(b, 0, sizeof *b);
	b->id = n->id;
	b->subnet.s_addr = htonl(n->subnet);
	b->prefix = n->prefix;
	b->gateway.s_addr = htonl(n->gateway);
	b->internal = n->internal;
}

/* A head with a node (its agent answered) runs containers in a data
 * center, where any network may span nodes over VXLAN (the agents'
 * netsync.c): its veths take the vxlan device's MTU, else a frame over
 * it would be dropped by the bridge on its way to another node. */
static void
netwire_mtu(struct dockerapi *d, struct net_bridge *b)
{
	if (nodes_local_id(d) != NULL)
		b->mtu = NET_VXLAN_MTU;
}

int
netwire_sandbox(struct dockerapi *d, const char *container, pid_t pid,
    sdc_error_t *err)
{
	char *path = NULL, ns[64];
	int rc = 0;

	if (net_sandbox_create(netwire_config(d), container, &path, err) < 0)
		return -1;
	/* the container's own namespace (its user namespace's) in its place */
	snprintf(ns, sizeof ns, "/proc/%d/ns/net", (int)pid);
	if (umount2(path, MNT_DETACH) < 0 ||
	    mount(ns, path, NULL, MS_BIND, NULL) < 0)
		rc = sdc_make_error(err, errno, "binding the container's "
		    "network namespace");
	free(path);
	return rc;
}

/* The store's endpoint in the library's terms: b and the ports (*pp,
 * malloc'ed) are the caller's; ifname a buffer of 16. */
static void
netwire_endpoint(const struct network *net, const struct netep *ep,
    int index, bool default_route, const struct netport *ports,
    size_t nports, struct net_bridge *b, char *ifname, struct net_endpoint *e,
    struct net_port **pp)
{
	struct net_port *p = xcalloc(nports + 1, sizeof *p);
	unsigned m[6];
	size_t i;

	netwire_bridge(net, b);
	snprintf(ifname, 16, "eth%d", index);
	memset(e, 0, sizeof *e);
	e->bridge = b;
	e->ifname = ifname;
	e->ip.s_addr = htonl(ep->ip);
	if (sscanf(ep->mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3],
	    &m[4], &m[5]) == 6)
		for (i = 0; i < 6; i++)
			e->mac[i] = (uint8_t)m[i];
	e->default_route = default_route;
	for (i = 0; i < nports; i++) {
		p[i].proto = strcmp(ports[i].proto, "udp") == 0 ? IPPROTO_UDP :
		    IPPROTO_TCP;
		p[i].host_ip.s_addr = htonl(ports[i].host_ip);
		p[i].host_port = ports[i].host_port;
		p[i].container_port = ports[i].container_port;
	}
	e->ports = p;
	e->nports = net->internal ? 0 : nports;
	*pp = p;
}

int
netwire_attach(struct dockerapi *d, const char *container,
    const struct network *net, const struct netep *ep, int index,
    bool default_route, const struct netport *ports, size_t nports,
    sdc_error_t *err)
{
	const struct net_config *cfg = netwire_config(d);
	struct net_bridge b;
	struct net_endpoint e;
	struct net_port *p;
	char ifname[16];
	int rc;

	netwire_endpoint(net, ep, index, default_route, ports, nports, &b,
	    ifname, &e, &p);
	netwire_mtu(d, &b);
	rc = net_bridge_ensure(cfg, &b, err) < 0 ||
	    net_endpoint_attach(cfg, container, &e, err) < 0 ? -1 : 0;
	free(p);
	return rc;
}

int
netwire_plan(struct dockerapi *d, const char *path, const char *container,
    const struct network *nets, const struct netep *eps, size_t n,
    size_t pub, const struct netport *ports, size_t nports, sdc_error_t *err)
{
	const struct net_config *cfg = netwire_config(d);
	struct net_bridge *b = xcalloc(n + 1, sizeof *b);
	struct net_endpoint *e = xcalloc(n + 1, sizeof *e);
	struct net_port **p = xcalloc(n + 1, sizeof *p);
	char (*ifname)[16] = xcalloc(n + 1, sizeof *ifname);
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		netwire_endpoint(&nets[i], &eps[i], (int)i, i == pub,
		    i == pub ? ports : NULL, i == pub ? nports : 0, &b[i],
		    ifname[i], &e[i], &p[i]);
		netwire_mtu(d, &b[i]);
		if (rc == 0 && net_bridge_ensure(cfg, &b[i], err) < 0)
			rc = -1;
	}
	if (rc == 0)
		rc = net_plan_write(cfg, path, container, e, n, err);
	/* the ports are the daemon's: the hook makes the links alone */
	if (rc == 0 && pub < n)
		rc = net_endpoint_ports(container, &e[pub], err);
	for (i = 0; i < n; i++)
		free(p[i]);
	free(p);
	free(ifname);
	free(e);
	free(b);
	return rc;
}

bool
netwire_sandbox_exists(struct dockerapi *d, const char *container)
{
	return net_sandbox_exists(netwire_config(d), container);
}

int
netwire_detach(struct dockerapi *d, const char *container,
    const char *network_id, sdc_error_t *err)
{
	return net_endpoint_detach(netwire_config(d), container, network_id,
	    err);
}

/* Without ports (the store's), no nftables listing: the sweep at start
 * removes the chain of a container that is not running. */
int
netwire_destroy(struct dockerapi *d, const char *container, bool ports,
    sdc_error_t *err)
{
	return ports ? net_sandbox_destroy(netwire_config(d), container, err) :
	    net_sandbox_unbind(netwire_config(d), container, err);
}

int
netwire_bridge_remove(struct dockerapi *d, const char *network_id,
    sdc_error_t *err)
{
	return net_bridge_remove(netwire_config(d), network_id, err);
}

int
netwire_dns(struct dockerapi *d, const struct network *net,
    const struct netwire_name *v, size_t n, sdc_error_t *err)
{
	struct net_dns_entry *e = xcalloc(n + 1, sizeof *e);
	struct net_bridge b;
	struct in_addr *s;
	size_t i, k, ns = 0;
	int rc;

	netwire_bridge(net, &b);
	for (i = 0; i < n; i++)
		ns += v[i].nservers;
	s = xcalloc(ns + 1, sizeof *s);
	for (i = 0, ns = 0; i < n; i++) {
		e[i].container_id = v[i].container;
		e[i].ip.s_addr = htonl(v[i].ip);
		e[i].names = v[i].names;
		e[i].servers = &s[ns];
		e[i].nservers = v[i].nservers;
		for (k = 0; k < v[i].nservers; k++)
			s[ns++].s_addr = htonl(v[i].servers[k]);
	}
	rc = net_dns_queue_set(netwire_dns_queue(d), &b, e, n, err);
	free(s);
	free(e);
	return rc;
}

int
netwire_dns_remove(struct dockerapi *d, const struct network *net,
    sdc_error_t *err)
{
	return net_dns_queue_remove(netwire_dns_queue(d), net->id, err);
}

void
netwire_dns_ensure(struct dockerapi *d)
{
	net_dns_queue_ensure(netwire_dns_queue(d));
}

void
netwire_dns_wait_add(struct dockerapi *d, struct net_dns_wait *w,
    const char *network_id)
{
	net_dns_wait_add(w, netwire_dns_queue(d), network_id);
}

int
netwire_sweep(struct dockerapi *d, const char *const *networks,
    const char *const *containers, sdc_error_t *err)
{
	return net_sweep(netwire_config(d), networks, containers, err);
}
