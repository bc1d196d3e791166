/*
 * node-net.c: a container's network at its start, settled by the head
 * and plumbed by its node's agent.
 *
 * The head owns what is in the store (the leases, the endpoints' rows,
 * the port rows, the events: container-net.c and networks.c, unchanged);
 * the kernel's part (bridges, the plan the runtime's hook applies, the
 * ports' NAT, the names tables and their aardvark-dns) belongs to the
 * node that runs the container, whose agent does it in its own
 * networking folder (agent/container-net.c) from the document built
 * here and sent with the start.  So a head never touches a node's
 * kernel or files, and a container on another machine is plumbed on
 * that machine.  The document names nothing of a host: every field is
 * the store's (network ids, subnets, addresses, MACs, reserved ports)
 * or the container's own /etc/hosts and /etc/resolv.conf, and the agent
 * checks each against the store before it acts.
 *
 * docker network connect and disconnect of such a container while it
 * runs go the same way (node-connect.c): the head leases (or releases)
 * the endpoint's address in the store, the agent links (or deletes) the
 * one veth in the running container's namespace from the document built
 * here, checked there as a start's.
 *
 * What stays with this head: a start with a client attached (docker run
 * without -d, start -a, a build's RUN) still runs here until streams
 * are relayed, and is plumbed here as before; nodenet_here() tells the
 * stop which one did it, by whether the sandbox is in this head's own
 * folder.
 */
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "dockerapi/net/net.h"
#include "jsonutil.h"
#include "networks.h"
#include "node-net.h"
#include "xalloc.h"

#define NODENET_VERSION 1

bool
nodenet_here(struct containers *cs, const struct ctr *c)
{
	const char *agent = cs->d->cfg.agent_url;

	if (agent == NULL || *agent == '\0' ||
	    *json_str(c->extra, "Node", "") == '\0')
		return true;
	return netwire_sandbox_exists(cs->d, c->id);
}

static json_t *
nodenet_network(const struct network *n, const struct netep *ep)
{
	char sub[16], gw[16], ip[16], subnet[20], br[16];

	net_ip_str(n->subnet, sub);
	net_ip_str(n->gateway, gw);
	net_ip_str(ep->ip, ip);
	snprintf(subnet, sizeof subnet, "%s/%d", sub, n->prefix);
	net_bridge_ifname(n->id, br);
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:i, s:b, s:s, s:s, s:o}",
	    "ID", n->id, "Bridge", br, "Subnet", subnet, "Gateway", gw,
	    "VNI", (json_int_t)n->vni, "MTU", NET_VXLAN_MTU,
	    "Internal", n->internal, "IP", ip, "MAC", ep->mac,
	    "Aliases", ep->aliases != NULL ? json_incref(ep->aliases) :
	    json_array());
}

json_t *
nodenet_doc(struct containers *cs, const struct ctr *c, json_t *files,
    sdc_error_t *err)
{
	struct dockerapi *d = cs->d;
	struct netep *eps = NULL;
	struct netport *ports = NULL;
	size_t neps = 0, np = 0, i;
	json_t *doc = NULL, *nets = json_array(), *pv = json_array();

	if (neteps_list(d, c->id, NULL, &eps, &neps, err) < 0 ||
	    netports_list(d, c->id, &ports, &np, err) < 0)
		goto out;
	for (i = 0; i < neps; i++) {
		struct network n;

		if (network_find(d, c->account, eps[i].network, &n, err) < 0)
			goto out;
		json_array_append_new(nets, nodenet_network(&n, &eps[i]));
		network_clear(&n);
	}
	for (i = 0; i < np; i++) {
		char hip[16];

		net_ip_str(ports[i].host_ip, hip);
		json_array_append_new(pv, json_pack("{s:s, s:s, s:i, s:i}",
		    "Proto", ports[i].proto, "HostIP", hip,
		    "HostPort", (int)ports[i].host_port,
		    "ContainerPort", (int)ports[i].container_port));
	}
	doc = json_pack("{s:i, s:s, s:s, s:O, s:O, s:O}", "Version",
	    NODENET_VERSION, "Account", c->account, "ID", c->id,
	    "Networks", nets, "Ports", pv, "Files", files);
out:
	json_decref(nets);
	json_decref(pv);
	free(ports);
	neteps_free(eps, neps);
	return doc;
}

json_t *
nodenet_doc_joined(const struct ctr *c, const struct ctr *o)
{
	return json_pack("{s:i, s:s, s:s, s:[], s:[], s:s}", "Version",
	    NODENET_VERSION, "Account", c->account, "ID", c->id, "Networks",
	    "Ports", "FilesOf", o->id);
}

json_t *
nodenet_doc_connect(const struct ctr *c, const struct network *n,
    const struct netep *ep, int index)
{
	return json_pack("{s:i, s:s, s:s, s:[o], s:i}", "Version",
	    NODENET_VERSION, "Account", c->account, "ID", c->id, "Networks",
	    nodenet_network(n, ep), "Index", index);
}

json_t *
nodenet_doc_disconnect(const struct ctr *c, const char *network_id)
{
	return json_pack("{s:i, s:s, s:s, s:s}", "Version", NODENET_VERSION,
	    "Account", c->account, "ID", c->id, "Network", network_id);
}

json_t *
nodenet_doc_rename(const struct ctr *c)
{
	return json_pack("{s:i, s:s, s:s, s:s}", "Version", NODENET_VERSION,
	    "Account", c->account, "ID", c->id, "Name", c->name);
}
