/*
 * net.h: a node's container networking (libsdcnet.a), below the Docker
 * network routes.
 *
 * The routes and the store decide *what* a container's network is (which
 * networks, which addresses, which ports: IPAM and leases live in the
 * store, see dockerapi/networks*.c); this library makes it so in the
 * kernel, with well-kept pieces and nothing hand-rolled:
 *   - links and addresses through rtnetlink (libnl-route-3): one Linux
 *     bridge per network, one veth pair per container endpoint;
 *   - packet policy through one nftables table of our own (libnftables, one
 *     transaction per change): outbound NAT, published ports (DNAT), the
 *     isolation between networks and from the host;
 *   - names through aardvark-dns (Debian's, podman's resolver), listening on
 *     each network's gateway, fed by one config file per network.
 *
 * A container's network namespace ("sandbox") is the one the runtime makes
 * for it, in its user namespace, bound at <run>/netns/<container id> and
 * given its endpoints by the runtime's createRuntime hook (plan.c) before
 * its process starts; so the container's first instruction already has
 * its addresses, and teardown works even after its processes are gone.
 * (net_sandbox_create makes one owned by the host's user namespace,
 * for callers without a user namespace of their own: the tests' drivers.)
 *
 * Every name a kernel object gets is derived from the store's ids, so a
 * sweep at start (net_sweep) can remove whatever no live network or
 * container owns: after `kill -9` of the daemon nothing leaks, and what a
 * running container needs is rebuilt.
 *
 * Threading: called from the daemon's loop thread; each call is short
 * (netlink and one nft transaction, no child process except starting
 * aardvark-dns once).
 */
#ifndef SDC_NET_H
#define SDC_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "error.h"

/* Where the library keeps its state (netns bind mounts, aardvark's config). */
struct net_config {
	const char *run_dir;		/* e.g. /run/sdc-docker: netns/, dns/ */
	const char *dns_binary;		/* NULL: Debian's aardvark-dns, or PATH's */
};

/* One network's bridge.  id is the store's 64-hex network id. */
struct net_bridge {
	const char *id;
	struct in_addr subnet;		/* network order */
	int prefix;			/* e.g. 24 */
	struct in_addr gateway;		/* the bridge's own address */
	bool internal;			/* no NAT, no route out, no ports */
	int mtu;			/* of its veths; 0: the kernel's (1500) */
};

/* The bridge's interface name for a network id: "sdc" + 12 hex. */
void net_bridge_ifname(const char *network_id, char out[16]);

int net_bridge_ensure(const struct net_config *cfg, const struct net_bridge *b,
    sdc_error_t *err);
int net_bridge_remove(const struct net_config *cfg, const char *network_id,
    sdc_error_t *err);

/* A published port: host_ip 0.0.0.0 means every address of the host. */
struct net_port {
	int proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	struct in_addr host_ip;
	uint16_t host_port;
	uint16_t container_port;
};

/* One endpoint: a container on one network. */
struct net_endpoint {
	const struct net_bridge *bridge;
	const char *ifname;		/* inside: "eth0", "eth1", ... */
	struct in_addr ip;
	uint8_t mac[6];
	bool default_route;		/* via this bridge's gateway */
	const struct net_port *ports;	/* DNAT'd to ip; none on internal */
	size_t nports;
};

/* The sandbox: a network namespace with lo up, kept at
 * <run>/netns/<container id>.  *path is malloc'ed. */
int net_sandbox_create(const struct net_config *cfg, const char *container_id,
    char **path, sdc_error_t *err);
/* Remove every endpoint, port rule and the namespace; absent is fine. */
int net_sandbox_destroy(const struct net_config *cfg, const char *container_id,
    sdc_error_t *err);
/* The same for a container that published no port: no nftables. */
int net_sandbox_unbind(const struct net_config *cfg, const char *container_id,
    sdc_error_t *err);

/* The namespace at ns_path (e.g. /proc/<pid>/ns/net: the one the runtime
 * made for the container, in its user namespace) bound as the sandbox,
 * in place of any previous one. */
int net_sandbox_bind(const struct net_config *cfg, const char *container_id,
    const char *ns_path, sdc_error_t *err);
/* Whether a sandbox is bound for the container. */
bool net_sandbox_exists(const struct net_config *cfg,
    const char *container_id);

/* The link and the published ports. */
int net_endpoint_attach(const struct net_config *cfg, const char *container_id,
    const struct net_endpoint *ep, sdc_error_t *err);
/* The link alone: veth, MAC, address, route (attach.c; the hook's). */
int net_endpoint_link(const struct net_config *cfg, const char *container_id,
    const struct net_endpoint *ep, sdc_error_t *err);
/* The published ports alone (ep->ports), as one chain; none: nothing. */
int net_endpoint_ports(const char *container_id, const struct net_endpoint *ep,
    sdc_error_t *err);
int net_endpoint_detach(const struct net_config *cfg, const char *container_id,
    const char *network_id, sdc_error_t *err);

/* The plan of a container's endpoints (plan.c): written by the daemon
 * before each start at path (the container's folder), applied by the
 * runtime's createRuntime hook (sdc-docker-nethook) with the pid of the
 * container's init: the sandbox bound (net_sandbox_bind), then each
 * endpoint's link made (net_endpoint_link).  Bridges, published ports
 * (net_endpoint_ports) and the names are the daemon's, before. */
int net_plan_write(const struct net_config *cfg, const char *path,
    const char *container_id, const struct net_endpoint *eps, size_t n,
    sdc_error_t *err);
int net_plan_apply(const char *path, pid_t pid, sdc_error_t *err);

/* Names aardvark-dns answers on one network. */
struct net_dns_entry {
	const char *container_id;
	struct in_addr ip;
	const char *const *names;	/* container name, aliases, short id */
	/* the container's own resolvers (--dns): the server forwards the
	 * names it does not know to these, not to the host's */
	const struct in_addr *servers;
	size_t nservers;
};
/* The one rule for the names a table lists, a head's and a node's
 * agent's alike: name is added at names[*k] (*k advanced) when a name
 * server can answer it; another (a container named "web." or "a..b",
 * which Docker allows at create and rename, an alias the same) is left
 * out, since a table with it would be refused whole and the network's
 * every later change lost: that container still answers by its short
 * id and its other names.  A NULL name is left out too. */
void net_dns_name_add(const char **names, size_t *k, const char *name);
/* Replace a network's whole name table and return once the network's
 * server answers from it (started with the first table that names a
 * container).  With no entries the table stays, with no names, and its
 * server, if any, until net_dns_ensure finds it idle. */
int net_dns_set(const struct net_config *cfg, const struct net_bridge *b,
    const struct net_dns_entry *entries, size_t n, sdc_error_t *err);
/* The network's table gone (the network is), and its server stopped.  No
 * table is fine. */
int net_dns_remove(const struct net_config *cfg, const char *network_id,
    sdc_error_t *err);

/* aardvark-dns's life (dns.c).  One process per network, so that a
 * reload (1.4 closes and binds again every socket it has) never touches
 * another network's: config dir <run>/dns/net/<network id>/ with the
 * table (named by the id) and the process's pid file, found again (and
 * checked to be ours) after a restart of the daemon.  It binds UDP port
 * 53 on the network's gateway, so tables are set after the bridge has its
 * address, and before the container's process starts.  It answers by the
 * asking address: a container sees the names of the networks its address
 * is on; an address in no table (the host) sees the names of the network
 * whose gateway it asked.  So a container must reach port 53 only on its
 * own networks' gateways (nft), never another network's.
 *
 * Processes: at most one per network that has a container running (or had
 * one within NET_DNS_IDLE_MS); networks are bounded by the pools'
 * subnets (NETWORK_POOL, NETWORK_DEFAULT_POOL).
 *
 * net_dns_sweep: at daemon start, after the bridges: end every
 * aardvark-dns of this run dir but the servers of the networks in
 * network_ids (NULL-terminated), drop the other networks' tables, start
 * the server of a table that names a container (after a kill -9), stop
 * one whose table names none.  net_sweep calls it.
 * net_dns_ensure: for a periodic check (the daemon's, every 2 s): start the server of a table that names a container
 * where none runs (it died), stop one whose table has named none for
 * NET_DNS_IDLE_MS; 1 when one was started, 0 otherwise.
 * net_dns_stop: stop every server, keep the tables (tests, shutdown of a
 * node). */
#define NET_DNS_IDLE_MS 10000
int net_dns_sweep(const struct net_config *cfg, const char *const *network_ids,
    sdc_error_t *err);
int net_dns_ensure(const struct net_config *cfg, sdc_error_t *err);
void net_dns_stop(const struct net_config *cfg);

/* The tables applied off the daemon's loop thread (dns-queue.c): one
 * queue per daemon, one ordered line of jobs per network, each network's
 * run by a thread of its own.  net_dns_queue_set formats the table now
 * (a name it cannot carry is the 400 now) and applies it after every
 * job queued before it for the network; a table that has not begun is
 * replaced by a newer one.  Failures are logged.  base NULL: jobs run at
 * once on the caller's thread.  The queue lives as long as the daemon. */
struct event_base;
struct net_dns_queue;
struct net_dns_queue *net_dns_queue_new(struct event_base *base,
    const struct net_config *cfg);
int net_dns_queue_set(struct net_dns_queue *q, const struct net_bridge *b,
    const struct net_dns_entry *entries, size_t n, sdc_error_t *err);
int net_dns_queue_remove(struct net_dns_queue *q, const char *network_id,
    sdc_error_t *err);
/* net_dns_ensure, a job per network dir (the periodic check). */
void net_dns_queue_ensure(struct net_dns_queue *q);

/* What a start waits for before its process runs (and a request that
 * changed names before it is answered): the last table queued for each
 * of its networks.  Add on the loop, after the tables are queued; wait
 * on a thread (the start's own): -1 when a table was not applied (its
 * error) or not within timeout_ms. */
struct net_dns_wait {
	struct net_dns_queue *q;
	struct net_dns_ticket { char id[65]; uint64_t seq; } *v;
	size_t n;
};
#define NET_DNS_WAIT_MS 15000	/* a start (5 s) behind a reload (2 s), twice */
void net_dns_wait_add(struct net_dns_wait *w, struct net_dns_queue *q,
    const char *network_id);
int net_dns_wait(const struct net_dns_wait *w, long timeout_ms,
    sdc_error_t *err);
/* A start's wait, on its thread, a head's or an agent's alike: up to
 * NET_DNS_WAIT_MS for w's tables; one not applied (a stuck or dead
 * server, not back in time) is logged for container uuid and the start
 * goes on: its names come with the server's next check. */
void net_dns_wait_start(const struct net_dns_wait *w, const char *uuid);
void net_dns_wait_clear(struct net_dns_wait *w);
/* names-reply.c: answer req with status and body (taken; NULL: none)
 * once the tables w waits for are applied, or NET_DNS_WAIT_MS passed
 * (then logged): the request deferred (HTTP_ASYNC) on a thread of
 * base's, not the loop.  Nothing to wait for: answered now (HTTP_DONE).
 * Takes w's tickets; req NULL (its client gone): w cleared. */
struct http_request;
int net_names_reply(struct event_base *base, struct http_request *req,
    struct net_dns_wait *w, int status, json_t *body);

/* A network across nodes (vxlan.c): on each node its bridge, as above,
 * plus one vxlan device ("sdx" + 12 hex of the id) enslaved to it,
 * carrying the network's VNI from this node's VTEP address to UDP port
 * 4789, learning off.  Where each MAC lives is the caller's (the store's)
 * and only that: the forwarding entries are set whole from its list.
 * nftables accept VXLAN only from the VTEPs set by net_vxlan_vteps_set
 * (every node's, the node's own included) and let no container send to
 * UDP 4789.  Give the network's veths the device's MTU (net_bridge.mtu).
 *
 * net_vxlan_ensure: the bridge made first; again: nothing changes (a
 * device with another VNI or VTEP is made again).
 * net_vxlan_fdb_set: the device's entries made exactly these: one
 * all-zeros entry per VTEP in vteps (the other nodes having the network:
 * broadcast and ARP copied to each) and one per remote endpoint (its MAC
 * to its node's VTEP); whatever else is there is deleted.  Empty lists
 * remove every entry.
 * net_vxlan_remove: the device gone (net_bridge_remove and net_sweep
 * also delete it with the bridge); absent is fine.
 * net_vxlan_vteps_set: the node's list of VTEPs accepted on the underlay,
 * replaced in one transaction. */
#define NET_VXLAN_PORT 4789
#define NET_VXLAN_VNI_MAX 16777215u
#define NET_VXLAN_MTU 1450		/* 1500 less VXLAN over IPv4's 50 */

struct net_vxlan {
	const char *network_id;
	uint32_t vni;			/* 1 to NET_VXLAN_VNI_MAX */
	struct in_addr local;		/* this node's VTEP (underlay) address */
	int mtu;			/* 0: NET_VXLAN_MTU */
};

/* An endpoint of the network on another node. */
struct net_vxlan_peer {
	uint8_t mac[6];
	struct in_addr ip;		/* named in errors */
	struct in_addr vtep;		/* its node's */
};

void net_vxlan_ifname(const char *network_id, char out[16]);
int net_vxlan_ensure(const struct net_config *cfg, const struct net_vxlan *v,
    sdc_error_t *err);
int net_vxlan_fdb_set(const struct net_config *cfg, const char *network_id,
    const struct in_addr *vteps, size_t nvteps,
    const struct net_vxlan_peer *peers, size_t npeers, sdc_error_t *err);
int net_vxlan_remove(const struct net_config *cfg, const char *network_id,
    sdc_error_t *err);
int net_vxlan_vteps_set(const struct net_config *cfg,
    const struct in_addr *vteps, size_t n, sdc_error_t *err);

/* Remove every bridge, veth, netns, nft element and DNS table whose
 * network or container id is not in the given lists (NULL-terminated). */
int net_sweep(const struct net_config *cfg, const char *const *network_ids,
    const char *const *container_ids, sdc_error_t *err);

#endif
