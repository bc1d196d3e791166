/*
 * vxlan.c: a network that spans nodes, over the kernel's VXLAN.
 *
 * Each node keeps the network's bridge as on one machine (bridge.c) and
 * adds one port to it: a vxlan device "sdx" + the network id's first 12
 * hex digits, carrying the network's VNI (one per network, so one
 * account's frames never reach another's bridge: the kernel hands a VNI
 * to its own device only), sending from this node's VTEP address to UDP
 * port 4789.  Learning is off: nothing is believed from what arrives;
 * where a MAC lives is what the store says, programmed by the node's
 * agent as the device's forwarding entries (bridge FDB, NTF_SELF):
 *   - 00:00:00:00:00:00 -> each other node of the network: broadcast,
 *     unknown unicast and multicast (ARP) copied to each (head-end
 *     replication, no multicast needed in the data center's network);
 *   - each remote endpoint's MAC -> its node's VTEP.
 * net_vxlan_fdb_set takes the whole list and makes the device's entries
 * exactly that (adds what is missing, deletes what is not listed): the
 * agent may call it again with what the store holds at any time.
 *
 * The gateway is the same address and MAC on every node (the bridge's
 * MAC is derived from the network id): a remote gateway's answer to a
 * container's ARP names the same MAC as the local one's, and a frame to
 * it is taken by the local bridge, so traffic out leaves by its own node.
 *
 * The underlay is guarded by nftables, in our one table: VXLAN (UDP 4789)
 * is accepted only from the node VTEPs the agent lists
 * (net_vxlan_vteps_set: every node's, set "vteps"), so an outside host or
 * a container cannot inject a frame into a VNI; and nothing from a
 * container's bridge may go out to UDP 4789 (masqueraded, it would leave
 * with this node's VTEP address as its source).  These are chains of
 * their own (vxlan_in, vxlan_fwd), made by the first vxlan ensure, never
 * touched by the bridges' base chains.  A forged source address on the
 * underlay itself is the data center network's to stop.
 *
 * The MTU: VXLAN over IPv4 adds 50 bytes, so the device gets the
 * underlay's MTU less 50 (1450 by default); the bridge takes its ports'
 * lowest, and the caller gives the same to the network's veths
 * (net_bridge.mtu).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/neighbour.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/neighbour.h>

#include "xalloc.h"
#include "dockerapi/net/internal.h"

#define T NET_NFT_TABLE

void
net_vxlan_ifname(const char *network_id, char out[16])
{
	snprintf(out, 16, NET_VXLAN_PREFIX "%.12s", network_id);
}

static int
net_vxlan_nlfail(sdc_error_t *err, int nlerr, const char *what,
    const char *name)
{
	return sdc_make_error(err, 0, "vxlan %s: %s: %s", name, what,
	    nl_geterror(nlerr));
}

static int
net_vxlan_check(const struct net_vxlan *v, sdc_error_t *err)
{
	if (net_id_check("network", v->network_id, err) < 0)
		return -1;
	if (v->vni < 1 || v->vni > NET_VXLAN_VNI_MAX)
		return sdc_make_error_code(err, 400, "network %s: VNI %u: from "
		    "1 to %u", v->network_id, v->vni, NET_VXLAN_VNI_MAX);
	if (v->local.s_addr == htonl(INADDR_ANY))
		return sdc_make_error_code(err, 400, "network %s: no local VTEP "
		    "address", v->network_id);
	if (v->mtu != 0 && (v->mtu < 576 || v->mtu > 9000))
		return sdc_make_error_code(err, 400, "network %s: MTU %d: from "
		    "576 to 9000", v->network_id, v->mtu);
	return 0;
}

/* Whether the device is the one asked: VNI, local address, port, learning
 * off.  (Master, MTU and up are changed in place; these are not.) */
static bool
net_vxlan_same(struct rtnl_link *link, const struct net_vxlan *v)
{
	struct nl_addr *local = NULL;
	uint32_t vni = 0, port = 0;
	bool same;

	if (!rtnl_link_is_vxlan(link) ||
	    rtnl_link_vxlan_get_id(link, &vni) < 0 || vni != v->vni ||
	    rtnl_link_vxlan_get_port(link, &port) < 0 ||
	    port != NET_VXLAN_PORT ||
	    rtnl_link_vxlan_get_learning(link) != 0 ||
	    rtnl_link_vxlan_get_local(link, &local) < 0 || local == NULL)
		return false;
	same = nl_addr_get_len(local) == 4 &&
	    memcmp(nl_addr_get_binary_addr(local), &v->local, 4) == 0;
	nl_addr_put(local);
	return same;
}

static int
net_vxlan_create(struct nl_sock *sk, const char *name,
    const struct net_vxlan *v, int master, int mtu, sdc_error_t *err)
{
	struct rtnl_link *link = rtnl_link_vxlan_alloc();
	struct nl_addr *local;
	int e;

	if (link == NULL)
		return sdc_make_error(err, ENOMEM, "vxlan %s", name);
	rtnl_link_set_name(link, name);
	rtnl_link_vxlan_set_id(link, v->vni);
	local = nl_addr_build(AF_INET, &v->local, 4);
	rtnl_link_vxlan_set_local(link, local);
	nl_addr_put(local);
	rtnl_link_vxlan_set_port(link, NET_VXLAN_PORT);
	rtnl_link_vxlan_disable_learning(link);
	rtnl_link_vxlan_set_ttl(link, 64);
	rtnl_link_set_mtu(link, (unsigned)mtu);
	rtnl_link_set_master(link, master);
	rtnl_link_set_flags(link, IFF_UP);
	e = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(link);
	if (e < 0)
		return net_vxlan_nlfail(err, e, "creating", name);
	return 0;
}

/* The chains guarding UDP 4789 and the (maybe empty) set of VTEPs; kept
 * as they are when both chains are there. */
static int
net_vxlan_nft_ensure(sdc_error_t *err)
{
	char **chains = net_nft_chains(err);
	bool in = false, fwd = false;
	struct buf b = { NULL, 0, 0 };
	size_t i;
	int rc;

	if (chains == NULL)
		return -1;
	for (i = 0; chains[i] != NULL; i++) {
		in |= strcmp(chains[i], "vxlan_in") == 0;
		fwd |= strcmp(chains[i], "vxlan_fwd") == 0;
	}
	strvec_array_free(chains);
	if (in && fwd)
		return 0;
	net_nft_vxlan_text(&b);
	rc = net_nft_run(buf_str(&b), err);
	buf_free(&b);
	return rc;
}

int
net_vxlan_ensure(const struct net_config *cfg, const struct net_vxlan *v,
    sdc_error_t *err)
{
	char name[16], bridge[16];
	struct rtnl_link *link = NULL, *change;
	struct nl_sock *sk;
	int master, mtu = v->mtu != 0 ? v->mtu : NET_VXLAN_MTU, e, rc = -1;
	bool changed = false;

	(void)cfg;
	if (net_vxlan_check(v, err) < 0)
		return -1;
	net_vxlan_ifname(v->network_id, name);
	net_bridge_ifname(v->network_id, bridge);
	if ((master = (int)if_nametoindex(bridge)) == 0)
		return sdc_make_error(err, errno, "vxlan %s: bridge %s", name,
		    bridge);
	if (net_vxlan_nft_ensure(err) < 0)
		return sdc_error_wrap(err, "vxlan %s: the VTEP rules", name);
	if ((sk = net_nl_open(err)) == NULL)
		return -1;
	if (rtnl_link_get_kernel(sk, 0, name, &link) == 0 &&
	    !net_vxlan_same(link, v)) {
		/* another VNI or VTEP: the kernel changes neither in place */
		rtnl_link_put(link);
		link = NULL;
		if (net_link_delete(sk, name, err) < 0)
			goto out;
	}
	if (link == NULL) {
		rc = net_vxlan_create(sk, name, v, master, mtu, err);
		goto out;
	}
	change = rtnl_link_alloc();
	if (rtnl_link_get_master(link) != master) {
		rtnl_link_set_master(change, master);
		changed = true;
	}
	if ((int)rtnl_link_get_mtu(link) != mtu) {
		rtnl_link_set_mtu(change, (unsigned)mtu);
		changed = true;
	}
	if (!(rtnl_link_get_flags(link) & IFF_UP)) {
		rtnl_link_set_flags(change, IFF_UP);
		changed = true;
	}
	e = changed ? rtnl_link_change(sk, link, change, 0) : 0;
	rtnl_link_put(change);
	rtnl_link_put(link);
	if (e < 0)
		net_vxlan_nlfail(err, e, "setting master, MTU, up", name);
	else
		rc = 0;
out:
	net_nl_close(sk);
	return rc;
}

int
net_vxlan_remove(const struct net_config *cfg, const char *network_id,
    sdc_error_t *err)
{
	char name[16];
	struct nl_sock *sk;
	int rc;

	(void)cfg;
	if (net_id_check("network", network_id, err) < 0)
		return -1;
	net_vxlan_ifname(network_id, name);
	if ((sk = net_nl_open(err)) == NULL)
		return -1;
	rc = net_link_delete(sk, name, err);
	net_nl_close(sk);
	return rc;
}

/* One forwarding entry: a MAC (all zeros: flooding) behind a VTEP. */
struct net_vxlan_fdb {
	uint8_t mac[6];
	struct in_addr vtep;
	bool seen;		/* listed in the kernel */
};

static void
net_vxlan_want(struct net_vxlan_fdb **v, size_t *n, const uint8_t mac[6],
    struct in_addr vtep)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (memcmp((*v)[i].mac, mac, 6) == 0 &&
		    (*v)[i].vtep.s_addr == vtep.s_addr)
			return;
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	memcpy((*v)[*n].mac, mac, 6);
	(*v)[*n].vtep = vtep;
	(*v)[(*n)++].seen = false;
}

static int
net_vxlan_fdb_op(struct nl_sock *sk, int ifindex, const uint8_t mac[6],
    struct in_addr vtep, bool add)
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *ll = nl_addr_build(AF_LLC, mac, 6);
	struct nl_addr *dst = nl_addr_build(AF_INET, &vtep, 4);
	static const uint8_t zero[6];
	int e;

	/* the VTEP first: libnl refuses a dst of another family than the
	 * entry's, which is AF_BRIDGE */
	rtnl_neigh_set_dst(n, dst);
	rtnl_neigh_set_family(n, AF_BRIDGE);
	rtnl_neigh_set_ifindex(n, ifindex);
	rtnl_neigh_set_lladdr(n, ll);
	rtnl_neigh_set_flags(n, NTF_SELF);
	rtnl_neigh_set_state(n, NUD_NOARP | NUD_PERMANENT);
	/* several all-zeros entries, one per VTEP: appended */
	if (add)
		e = rtnl_neigh_add(sk, n, NLM_F_CREATE | (memcmp(mac, zero, 6)
		    == 0 ? NLM_F_APPEND : NLM_F_REPLACE));
	else
		e = rtnl_neigh_delete(sk, n, 0);
	nl_addr_put(ll);
	nl_addr_put(dst);
	rtnl_neigh_put(n);
	return e;
}

struct net_vxlan_walk {
	int ifindex;
	struct net_vxlan_fdb *want, *gone;
	size_t nwant, ngone;
};

static void
net_vxlan_visit(struct nl_object *o, void *arg)
{
	struct net_vxlan_walk *w = arg;
	struct rtnl_neigh *n = (struct rtnl_neigh *)o;
	struct nl_addr *ll = rtnl_neigh_get_lladdr(n);
	struct nl_addr *dst = rtnl_neigh_get_dst(n);
	struct in_addr vtep;
	size_t i;

	if (rtnl_neigh_get_family(n) != AF_BRIDGE ||
	    rtnl_neigh_get_ifindex(n) != w->ifindex ||
	    !(rtnl_neigh_get_flags(n) & NTF_SELF) || ll == NULL ||
	    dst == NULL || nl_addr_get_len(ll) != 6 ||
	    nl_addr_get_family(dst) != AF_INET || nl_addr_get_len(dst) != 4)
		return;
	memcpy(&vtep, nl_addr_get_binary_addr(dst), 4);
	for (i = 0; i < w->nwant; i++)
		if (memcmp(w->want[i].mac, nl_addr_get_binary_addr(ll), 6) == 0 &&
		    w->want[i].vtep.s_addr == vtep.s_addr) {
			w->want[i].seen = true;
			return;
		}
	net_vxlan_want(&w->gone, &w->ngone, nl_addr_get_binary_addr(ll), vtep);
}

static int
net_vxlan_fdb_check(const char *network_id, const struct in_addr *vteps,
    size_t nvteps, const struct net_vxlan_peer *peers, size_t npeers,
    sdc_error_t *err)
{
	size_t i;

	for (i = 0; i < nvteps; i++)
		if (vteps[i].s_addr == htonl(INADDR_ANY))
			return sdc_make_error_code(err, 400, "network %s: VTEP "
			    "0.0.0.0", network_id);
	for (i = 0; i < npeers; i++) {
		const uint8_t *m = peers[i].mac;

		if (peers[i].vtep.s_addr == htonl(INADDR_ANY))
			return sdc_make_error_code(err, 400, "network %s: "
			    "endpoint %s without a VTEP", network_id,
			    inet_ntoa(peers[i].ip));
		if ((m[0] & 1) || (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0)
			return sdc_make_error_code(err, 400, "network %s: "
			    "endpoint %s: MAC %02x:%02x:%02x:%02x:%02x:%02x is "
			    "not a unicast address", network_id,
			    inet_ntoa(peers[i].ip), m[0], m[1], m[2], m[3],
			    m[4], m[5]);
	}
	return 0;
}

int
net_vxlan_fdb_set(const struct net_config *cfg, const char *network_id,
    const struct in_addr *vteps, size_t nvteps,
    const struct net_vxlan_peer *peers, size_t npeers, sdc_error_t *err)
{
	static const uint8_t zero[6];
	struct net_vxlan_walk w = { 0 };
	struct nl_cache *cache = NULL;
	struct nl_sock *sk;
	char name[16], vtep[INET_ADDRSTRLEN];
	size_t i;
	int e, rc = -1;

	(void)cfg;
	if (net_id_check("network", network_id, err) < 0 ||
	    net_vxlan_fdb_check(network_id, vteps, nvteps, peers, npeers,
	    err) < 0)
		return -1;
	net_vxlan_ifname(network_id, name);
	if ((w.ifindex = (int)if_nametoindex(name)) == 0)
		return sdc_make_error(err, errno, "vxlan %s", name);
	for (i = 0; i < nvteps; i++)
		net_vxlan_want(&w.want, &w.nwant, zero, vteps[i]);
	for (i = 0; i < npeers; i++)
		net_vxlan_want(&w.want, &w.nwant, peers[i].mac, peers[i].vtep);
	if ((sk = net_nl_open(err)) == NULL)
		goto out;
	/* the bridge family's dump (the FDBs): an AF_UNSPEC one, libnl's
	 * default, brings only the IP neighbours */
	if ((e = nl_cache_alloc_name("route/neigh", &cache)) == 0) {
		nl_cache_set_arg1(cache, AF_BRIDGE);
		e = nl_cache_refill(sk, cache);
	}
	if (e < 0) {
		net_vxlan_nlfail(err, e, "listing forwarding entries", name);
		goto out;
	}
	nl_cache_foreach(cache, net_vxlan_visit, &w);
	for (i = 0; i < w.ngone; i++)
		if ((e = net_vxlan_fdb_op(sk, w.ifindex, w.gone[i].mac,
		    w.gone[i].vtep, false)) < 0 && e != -NLE_OBJ_NOTFOUND) {
			inet_ntop(AF_INET, &w.gone[i].vtep, vtep, sizeof vtep);
			net_vxlan_nlfail(err, e, "deleting a forwarding entry "
			    "to", name);
			sdc_error_wrap(err, "VTEP %s", vtep);
			goto out;
		}
	for (i = 0; i < w.nwant; i++) {
		const uint8_t *m = w.want[i].mac;

		if (w.want[i].seen)
			continue;
		if ((e = net_vxlan_fdb_op(sk, w.ifindex, m, w.want[i].vtep,
		    true)) < 0) {
			inet_ntop(AF_INET, &w.want[i].vtep, vtep, sizeof vtep);
			sdc_make_error(err, 0, "vxlan %s: forwarding "
			    "%02x:%02x:%02x:%02x:%02x:%02x to VTEP %s: %s", name,
			    m[0], m[1], m[2], m[3], m[4], m[5], vtep,
			    nl_geterror(e));
			goto out;
		}
	}
	rc = 0;
out:
	if (cache != NULL)
		nl_cache_free(cache);
	net_nl_close(sk);
	free(w.want);
	free(w.gone);
	return rc;
}

int
net_vxlan_vteps_set(const struct net_config *cfg, const struct in_addr *vteps,
    size_t n, sdc_error_t *err)
{
	struct buf b = { NULL, 0, 0 };
	char ip[INET_ADDRSTRLEN];
	size_t i;
	int rc;

	(void)cfg;
	for (i = 0; i < n; i++)
		if (vteps[i].s_addr == htonl(INADDR_ANY))
			return sdc_make_error_code(err, 400, "VTEP 0.0.0.0");
	if (net_vxlan_nft_ensure(err) < 0)
		return sdc_error_wrap(err, "the VTEP rules");
	/* one transaction: never a moment without the set's old or new
	 * elements */
	buf_puts(&b, "flush set " T " vteps\n");
	for (i = 0; i < n; i++) {
		inet_ntop(AF_INET, &vteps[i], ip, sizeof ip);
		buf_printf(&b, "add element " T " vteps { %s }\n", ip);
	}
	rc = net_nft_run(buf_str(&b), err);
	buf_free(&b);
	return rc < 0 ? sdc_error_wrap(err, "the VTEPs' set") : 0;
}
