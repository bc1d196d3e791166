/*
 * link.c: links, addresses and routes through rtnetlink (libnl-route-3).
 *
 * A veth is made in one request with its peer already in the sandbox,
 * already named (eth0, ...) and carrying its MAC, and its host end already
 * enslaved to the bridge and up, so no half-made pair is ever visible
 * under a name the container uses.  What must happen inside the sandbox
 * (the address, the default route, lo) goes through a netlink socket made
 * there: a socket belongs to the namespace it was created in, so it is
 * opened by lib/netns.c's short thread inside; the caller's thread never
 * changes namespace.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "netns.h"
#include "xalloc.h"
#include "dockerapi/net/internal.h"

static int
net_nl_fail(sdc_error_t *err, int nlerr, const char *what, const char *name)
{
	return sdc_make_error(err, 0, "%s %s: %s", what, name,
	    nl_geterror(nlerr));
}

struct nl_sock *
net_nl_open(sdc_error_t *err)
{
	struct nl_sock *sk = nl_socket_alloc();
	int e;

	if (sk == NULL) {
		sdc_make_error(err, ENOMEM, "netlink socket");
		return NULL;
	}
	if ((e = nl_connect(sk, NETLINK_ROUTE)) < 0) {
		net_nl_fail(err, e, "netlink", "connect");
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

void
net_nl_close(struct nl_sock *sk)
{
	if (sk != NULL)
		nl_socket_free(sk);
}

static int
net_nl_connect(void *arg, sdc_error_t *err)
{
	struct nl_sock **sk = arg;

	*sk = net_nl_open(err);
	return *sk != NULL ? 0 : -1;
}

struct nl_sock *
net_nl_open_in(const char *netns_path, sdc_error_t *err)
{
	struct nl_sock *sk = NULL;

	if (netns_run(netns_path, net_nl_connect, &sk, err) < 0)
		return NULL;
	return sk;
}

static struct nl_addr *
net_nl_ip(struct in_addr a, int prefix)
{
	struct nl_addr *n = nl_addr_build(AF_INET, &a, sizeof a);

	if (n != NULL && prefix >= 0)
		nl_addr_set_prefixlen(n, prefix);
	return n;
}

/* The bridge, up with its gateway address; whatever part is there stays. */
int
net_link_bridge(struct nl_sock *sk, const struct net_bridge *b,
    sdc_error_t *err)
{
	char name[16];
	struct rtnl_link *link = NULL, *change;
	struct rtnl_addr *addr;
	struct nl_addr *local, *addr_mac;
	uint8_t mac[6];
	int e, i, ifindex;

	net_bridge_ifname(b->id, name);
	if (rtnl_link_get_kernel(sk, 0, name, &link) < 0) {
		if ((link = rtnl_link_bridge_alloc()) == NULL)
			return sdc_make_error(err, ENOMEM, "bridge %s", name);
		rtnl_link_set_name(link, name);
		/* A MAC of its own, fixed: else the bridge takes its lowest
		 * port's, and changes it (stale ARP for the gateway) as
		 * containers come and go. */
		mac[0] = 0x02;
		for (i = 1; i < 6; i++)
			sscanf(b->id + 2 * i, "%2hhx", &mac[i]);
		addr_mac = nl_addr_build(AF_LLC, mac, 6);
		rtnl_link_set_addr(link, addr_mac);
		nl_addr_put(addr_mac);
		e = rtnl_link_add(sk, link, NLM_F_CREATE);
		rtnl_link_put(link);
		link = NULL;
		if (e < 0 && e != -NLE_EXIST)
			return net_nl_fail(err, e, "creating bridge", name);
		if ((e = rtnl_link_get_kernel(sk, 0, name, &link)) < 0)
			return net_nl_fail(err, e, "reading bridge", name);
	}
	ifindex = rtnl_link_get_ifindex(link);
	if (!(rtnl_link_get_flags(link) & IFF_UP)) {
		change = rtnl_link_alloc();
		rtnl_link_set_flags(change, IFF_UP);
		e = rtnl_link_change(sk, link, change, 0);
		rtnl_link_put(change);
		if (e < 0) {
			rtnl_link_put(link);
			return net_nl_fail(err, e, "bringing up bridge", name);
		}
	}
	rtnl_link_put(link);
	addr = rtnl_addr_alloc();
	local = net_nl_ip(b->gateway, b->prefix);
	rtnl_addr_set_ifindex(addr, ifindex);
	rtnl_addr_set_local(addr, local);
	e = rtnl_addr_add(sk, addr, NLM_F_REPLACE);
	nl_addr_put(local);
	rtnl_addr_put(addr);
	if (e < 0 && e != -NLE_EXIST)
		return net_nl_fail(err, e, "the gateway address of bridge", name);
	return ifindex;
}

int
net_link_delete(struct nl_sock *sk, const char *ifname, sdc_error_t *err)
{
	struct rtnl_link *link = rtnl_link_alloc();
	int e;

	rtnl_link_set_name(link, ifname);
	e = rtnl_link_delete(sk, link);
	rtnl_link_put(link);
	if (e < 0 && e != -NLE_NODEV && e != -NLE_OBJ_NOTFOUND)
		return net_nl_fail(err, e, "deleting link", ifname);
	return 0;
}

int
net_link_veth(struct nl_sock *sk, const char *host, const char *alias,
    const char *bridge, int netns_fd, const struct net_endpoint *ep,
    sdc_error_t *err)
{
	struct rtnl_link *veth, *peer, *link = NULL, *change;
	struct nl_addr *mac;
	int e, master;

	if ((master = (int)if_nametoindex(bridge)) == 0)
		return sdc_make_error(err, errno, "bridge %s", bridge);
	if ((veth = rtnl_link_veth_alloc()) == NULL)
		return sdc_make_error(err, ENOMEM, "veth %s", host);
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(veth, host);
	rtnl_link_set_master(veth, master);
	rtnl_link_set_flags(veth, IFF_UP);
	rtnl_link_set_name(peer, ep->ifname);
	rtnl_link_set_ns_fd(peer, netns_fd);
	mac = nl_addr_build(AF_LLC, ep->mac, 6);
	rtnl_link_set_addr(peer, mac);
	nl_addr_put(mac);
	if (ep->bridge->mtu > 0) {	/* a network over VXLAN: its MTU */
		rtnl_link_set_mtu(veth, (unsigned)ep->bridge->mtu);
		rtnl_link_set_mtu(peer, (unsigned)ep->bridge->mtu);
	}
	e = rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(peer);
	rtnl_link_put(veth);
	if (e < 0)
		return net_nl_fail(err, e, "creating veth", host);
	/* the alias names its owners for net_sweep (not taken at creation) */
	if ((e = rtnl_link_get_kernel(sk, 0, host, &link)) == 0) {
		change = rtnl_link_alloc();
		rtnl_link_set_ifalias(change, alias);
		e = rtnl_link_change(sk, link, change, 0);
		rtnl_link_put(change);
		rtnl_link_put(link);
	}
	if (e < 0)
		return net_nl_fail(err, e, "naming veth", host);
	return 0;
}

static int
net_link_up(struct nl_sock *ns, const char *ifname, int *ifindex,
    sdc_error_t *err)
{
	struct rtnl_link *link = NULL, *change;
	int e;

	if ((e = rtnl_link_get_kernel(ns, 0, ifname, &link)) < 0)
		return net_nl_fail(err, e, "in the sandbox, link", ifname);
	if (ifindex != NULL)
		*ifindex = rtnl_link_get_ifindex(link);
	change = rtnl_link_alloc();
	rtnl_link_set_flags(change, IFF_UP);
	e = rtnl_link_change(ns, link, change, 0);
	rtnl_link_put(change);
	rtnl_link_put(link);
	if (e < 0)
		return net_nl_fail(err, e, "in the sandbox, bringing up", ifname);
	return 0;
}

int
net_link_lo_up(struct nl_sock *ns, sdc_error_t *err)
{
	return net_link_up(ns, "lo", NULL, err);
}

int
net_link_configure(struct nl_sock *ns, const struct net_endpoint *ep,
    sdc_error_t *err)
{
	struct rtnl_addr *addr;
	struct rtnl_route *route;
	struct rtnl_nexthop *nh;
	struct nl_addr *a;
	int ifindex, e;

	if (net_link_up(ns, ep->ifname, &ifindex, err) < 0)
		return -1;
	addr = rtnl_addr_alloc();
	a = net_nl_ip(ep->ip, ep->bridge->prefix);
	rtnl_addr_set_ifindex(addr, ifindex);
	rtnl_addr_set_local(addr, a);
	e = rtnl_addr_add(ns, addr, NLM_F_REPLACE);
	nl_addr_put(a);
	rtnl_addr_put(addr);
	if (e < 0)
		return net_nl_fail(err, e, "in the sandbox, the address of",
		    ep->ifname);
	if (!ep->default_route)
		return 0;
	route = rtnl_route_alloc();
	a = net_nl_ip((struct in_addr){ 0 }, 0);
	rtnl_route_set_family(route, AF_INET);
	rtnl_route_set_dst(route, a);
	nl_addr_put(a);
	nh = rtnl_route_nh_alloc();
	a = net_nl_ip(ep->bridge->gateway, -1);
	rtnl_route_nh_set_gateway(nh, a);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	nl_addr_put(a);
	rtnl_route_add_nexthop(route, nh);
	e = rtnl_route_add(ns, route, NLM_F_CREATE | NLM_F_REPLACE);
	rtnl_route_put(route);
	if (e < 0)
		return net_nl_fail(err, e, "in the sandbox, the default route via",
		    ep->ifname);
	return 0;
}

struct net_link_walk {
	void (*fn)(const char *, const char *, const char *, void *);
	void *arg;
};

static void
net_link_visit(struct nl_object *o, void *arg)
{
	struct net_link_walk *w = arg;
	struct rtnl_link *link = (struct rtnl_link *)o;

	w->fn(rtnl_link_get_name(link), rtnl_link_get_ifalias(link),
	    rtnl_link_get_type(link), w->arg);
}

int
net_link_each(struct nl_sock *sk, void (*fn)(const char *, const char *,
    const char *, void *), void *arg, sdc_error_t *err)
{
	struct net_link_walk w = { .fn = fn, .arg = arg };
	struct nl_cache *cache;
	int e;

	if ((e = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache)) < 0)
		return net_nl_fail(err, e, "listing", "links");
	nl_cache_foreach(cache, net_link_visit, &w);
	nl_cache_free(cache);
	return 0;
}
