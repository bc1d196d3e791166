/*
 * attach.c: a container's link on one network: a veth pair between the
 * network's bridge and the sandbox, the MAC, address and route inside.
 *
 * What the runtime's createRuntime hook does for each endpoint of the
 * plan (plan.c), before the container's first instruction; the daemon
 * adds the published ports (endpoint.c).  Kept apart from them so the
 * hook links rtnetlink alone and is a static program: it runs at every
 * start, and a dynamically linked one spent some milliseconds loading
 * libnftables and what it loads before doing anything.
 *
 * Attach again replaces what was there (the old pair is deleted first);
 * a failure part way deletes the new pair and leaves nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/route/link.h>

#include "dockerapi/net/internal.h"

int
net_endpoint_check(const char *container_id, const struct net_endpoint *ep,
    sdc_error_t *err)
{
	const struct net_bridge *b = ep->bridge;
	uint32_t mask;

	if (net_id_check("container", container_id, err) < 0)
		return -1;
	if (b == NULL || net_id_check("network", b->id, err) < 0)
		return b == NULL ? sdc_make_error_code(err, 400, "endpoint "
		    "without a network") : -1;
	if (ep->ifname == NULL || ep->ifname[0] == '\0' ||
	    strlen(ep->ifname) >= IFNAMSIZ || strcmp(ep->ifname, "lo") == 0 ||
	    strpbrk(ep->ifname, "/: \t\n") != NULL)
		return sdc_make_error_code(err, 400, "invalid interface name "
		    "'%s' inside the container", ep->ifname ? ep->ifname : "");
	mask = b->prefix > 0 && b->prefix <= 32 ?
	    htonl(~0U << (32 - b->prefix)) : 0;
	if ((ep->ip.s_addr & mask) != (b->subnet.s_addr & mask) ||
	    ep->ip.s_addr == b->gateway.s_addr)
		return sdc_make_error_code(err, 400, "address %s is not a "
		    "host address of network %s", inet_ntoa(ep->ip), b->id);
	if ((ep->mac[0] & 1) != 0)
		return sdc_make_error_code(err, 400, "MAC address of %s is "
		    "multicast", ep->ifname);
	if (b->internal && ep->nports > 0)
		return sdc_make_error_code(err, 400, "network %s is internal: "
		    "no published ports", b->id);
	return 0;
}

int
net_endpoint_link(const struct net_config *cfg, const char *container_id,
    const struct net_endpoint *ep, sdc_error_t *err)
{
	char host[16], bridge[16], *path, *alias;
	struct nl_sock *sk = NULL, *ns = NULL;
	struct rtnl_link *taken = NULL;
	int fd, rc = -1;

	if (net_endpoint_check(container_id, ep, err) < 0)
		return -1;
	net_veth_ifname(container_id, ep->bridge->id, host);
	net_bridge_ifname(ep->bridge->id, bridge);
	path = net_netns_path(cfg, container_id);
	alias = net_veth_alias(container_id, ep->bridge->id);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		sdc_make_error_code(err, errno == ENOENT ? 404 : 500,
		    "no sandbox for container %s (%s)", container_id, path);
		goto out;
	}
	if ((sk = net_nl_open(err)) == NULL ||
	    net_link_delete(sk, host, err) < 0 ||
	    (ns = net_nl_open_in(path, err)) == NULL)
		goto out;
	/* this endpoint's old pair is gone with its host end: a link of
	 * that name left in the sandbox is another endpoint's */
	if (rtnl_link_get_kernel(ns, 0, ep->ifname, &taken) == 0) {
		rtnl_link_put(taken);
		sdc_make_error_code(err, 409, "interface %s is already in use "
		    "in the container", ep->ifname);
		goto out;
	}
	if (net_link_veth(sk, host, alias, bridge, fd, ep, err) < 0)
		goto out;
	if (net_link_configure(ns, ep, err) < 0) {
		net_link_delete(sk, host, NULL);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		sdc_error_wrap(err, "container %.12s on network %.12s",
		    container_id, ep->bridge->id);
	if (fd >= 0)
		close(fd);
	net_nl_close(ns);
	net_nl_close(sk);
	free(alias);
	free(path);
	return rc;
}
