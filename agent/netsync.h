/*
 * netsync.h: what a node's networks across nodes should be, from the
 * store's rows (netsync-plan.c, pure: no store, no kernel, unit-tested),
 * and the agent's loop that makes the kernel so (netsync.c).
 *
 * The rows: every node (its VTEP, whether it is heard from), every
 * network (id, VNI, subnet, gateway), every endpoint that holds an
 * address (its container is running) with the node its container
 * records, its MAC and its names.  The plan, for this node:
 *   - each network with a running endpoint here, and of those, the ones
 *     that span nodes (a running endpoint on another available node);
 *   - for a spanning network: one all-zeros forwarding entry per other
 *     available node with an endpoint of it (its VTEP), one entry per
 *     endpoint there (its MAC to its node's VTEP), and the names table
 *     listing its containers on every available node;
 *   - the VTEPs the underlay's guard accepts: this node's and every
 *     other available node's.
 * A node not heard from (nodes_table_heard) counts as gone: its
 * entries, its names and its VTEP are dropped until it beats again.  A
 * node whose VTEP is none or this node's own (two agents on one
 * address) is never a peer.  An endpoint whose container records no
 * node (made before its head knew its agent) is nobody's peer, but its
 * names stay in the table, as its head wrote them.
 */
#ifndef SDC_AGENT_NETSYNC_H
#define SDC_AGENT_NETSYNC_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dockerapi/net/net.h"
#include "error.h"

struct netsync_node {
	const char *id;
	struct in_addr vtep;            /* INADDR_ANY: none */
	bool available;
};

struct netsync_network {
	const char *id;                 /* 64 hex */
	uint32_t vni;                   /* 0: none yet (not spanned) */
	struct net_bridge bridge;       /* id, subnet, prefix, gateway, internal */
};

struct netsync_endpoint {
	const char *network;
	const char *container;
	const char *node;               /* "": none recorded */
	struct in_addr ip;
	uint8_t mac[6];
	const char *const *names;       /* NULL-terminated */
	const struct in_addr *servers;  /* the container's --dns */
	size_t nservers;
};

struct netsync_rows {
	const char *self;               /* this node's id */
	struct in_addr self_vtep;
	const struct netsync_node *nodes;
	size_t nnodes;
	const struct netsync_network *networks;
	size_t nnetworks;
	const struct netsync_endpoint *eps;
	size_t neps;
};

/* One network with a running endpoint on this node. */
struct netsync_net {
	const struct netsync_network *net;      /* into the rows */
	bool spans;                     /* endpoints on another node too */
	struct in_addr *vteps;          /* the other nodes with it, sorted */
	size_t nvteps;
	struct net_vxlan_peer *peers;   /* its endpoints there */
	size_t npeers;
	struct net_dns_entry *names;    /* every node's, by container id */
	size_t nnames;
};

struct netsync_want {
	struct netsync_net *v;          /* by network id */
	size_t n;
	struct in_addr *vteps;          /* the guard's: every available node's */
	size_t nvteps;
};

/* The plan from the rows; it points into them (free the plan first). */
void netsync_plan(const struct netsync_rows *rows, struct netsync_want *out);
void netsync_want_free(struct netsync_want *w);

/* Whether a head's event, as NOTIFY dockerapi_events carries it
 * (lib/events-payload.h), can change where endpoints are or what they
 * are named: a container's start, death, removal or rename, any
 * network's event (create, removal, connect, disconnect).  Execs,
 * attaches and the rest, and a payload that does not parse, cannot. */
bool netsync_event_moves(const char *payload);

/* MAC text ("02:42:0a:00:00:02") to bytes; -1 when it is not one. */
int netsync_mac_parse(const char *text, uint8_t mac[6]);

#endif
