/*
 * networks.h: an account's networks as the store keeps them, for the
 * network routes (api/networks-routes.c) and the containers' side
 * (container-net.c).  The kernel side is dockerapi/net/net.h.
 *
 * Four tables, one component ("networks"): networks (one row a network,
 * its subnet the record of that subnet's allocation: two live rows never
 * overlap, and a removed network's subnet is free again only once its row
 * is gone, after its bridge), network_endpoints (a container's membership
 * of a network: what it asked, and the address, MAC and interface name
 * it holds while it runs), network_leases (one row per address held, unique per network)
 * and port_bindings (a published host port, unique on the node whatever
 * the account: a port belongs to one account).
 *
 * Addresses are IPv4, kept as dotted text in the store and as host-order
 * uint32_t here.
 */
#ifndef DOCKERAPI_NETWORKS_H
#define DOCKERAPI_NETWORKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "dockerapi.h"

/* What `docker network ls` calls the account's default network. */
#define NETWORK_DEFAULT_NAME "bridge"

struct network {
	char id[65];
	char account[37];
	char *name;
	bool is_default;
	bool internal;
	uint32_t subnet;		/* host order */
	int prefix;
	uint32_t gateway;
	uint32_t range;			/* --ip-range; range_prefix 0: none */
	int range_prefix;
	json_t *labels;
	int64_t created;		/* ns since the epoch */
	int64_t vni;			/* its VXLAN id across nodes; 0: none */
};

struct netep {
	char network[65];
	char container[65];
	char endpoint_id[65];
	json_t *aliases;		/* array of strings */
	uint32_t want_ip;		/* --ip; 0: any */
	char want_mac[18];		/* --mac-address; "": from the ip */
	uint32_t ip;			/* held while running; 0: none */
	char mac[18];
	char ifname[16];		/* "ethN" while running; "": not named */
};

/* networks.c: the tables, IPAM */
int networks_init(struct dockerapi *d, sdc_error_t *err);
void network_clear(struct network *n);
void networks_free(struct network *v, size_t n);
void neteps_free(struct netep *v, size_t n);
/* By full id, name, or id prefix, the account's only; "bridge" and
 * "default" are its default network, made on first use.  404 "network X
 * not found". */
int network_find(struct dockerapi *d, const char *account, const char *ref,
    struct network *out, sdc_error_t *err);
int network_default(struct dockerapi *d, const char *account,
    struct network *out, sdc_error_t *err);
/* The account's networks (every account's when NULL), oldest first. */
int networks_list(struct dockerapi *d, const char *account,
    struct network **out, size_t *n, sdc_error_t *err);
/* A new network from Docker's create body (checked whole first). */
int network_create(struct dockerapi *d, const char *account,
    const json_t *body, struct network *out, sdc_error_t *err);
/* The row goes (its subnet is released): the caller removed the bridge. */
int network_delete_row(struct dockerapi *d, const struct network *n,
    sdc_error_t *err);

/* Endpoints of a container, or of a network (the other NULL). */
int neteps_list(struct dockerapi *d, const char *container,
    const char *network, struct netep **out, size_t *n, sdc_error_t *err);
/* 403 when the container already is on the network. */
int netep_add(struct dockerapi *d, const struct network *net,
    const char *container, const char *container_name, const json_t *aliases,
    uint32_t want_ip, const char *want_mac, sdc_error_t *err);
int netep_remove(struct dockerapi *d, const char *container,
    const char *network, sdc_error_t *err);
/* An address (the one asked, else the lowest free of the range) and a MAC
 * for ep, recorded; 403 when the one asked is taken or outside. */
int netep_lease(struct dockerapi *d, const struct network *net,
    struct netep *ep, sdc_error_t *err);
/* The lowest N whose ethN no endpoint of eps (a container's, running)
 * holds, network's own aside: the name a connect to network takes, as
 * Docker picks it. */
int netep_free_ifname(const struct netep *eps, size_t n, const char *network);
/* Every address the container holds (all networks, or one) goes. */
int netep_release(struct dockerapi *d, const char *container,
    const char *network, sdc_error_t *err);

/* Published ports. */
struct netport {
	char proto[4];			/* "tcp", "udp" */
	uint32_t host_ip;		/* 0: every address */
	uint16_t host_port;		/* 0 in a request: an ephemeral one */
	uint16_t container_port;
};
/* Record the bindings for container (filling in ephemeral ports); all or
 * nothing.  A port held by another container, or by a host process,
 * gives Docker's "Bind for 0.0.0.0:N failed: port is already allocated"
 * (500). */
int netports_bind(struct dockerapi *d, const char *account,
    const char *container, struct netport *ports, size_t n,
    sdc_error_t *err);
int netports_release(struct dockerapi *d, const char *container,
    sdc_error_t *err);
int netports_list(struct dockerapi *d, const char *container,
    struct netport **out, size_t *n, sdc_error_t *err);

/* Text forms. */
void net_ip_str(uint32_t ip, char out[16]);
int net_ip_parse(const char *s, uint32_t *out);
/* "a.b.c.d/n"; the address is masked. */
int net_cidr_parse(const char *s, uint32_t *addr, int *prefix);
uint32_t net_mask(int prefix);

/* api/networks-routes.c: the routes */
/* The admin API: GET /networks[?account=LOGIN] and /networks/:id, every
 * account's, each with its "Account" (uuid) and "Login". */
int networks_admin_list(struct http_request *req, void *arg);
int networks_admin_get(struct http_request *req, void *arg);
/* Docker's network JSON (inspect and ls). */
json_t *network_json(struct dockerapi *d, const struct network *n,
    bool containers);

/* container-net.c: containers on networks */
struct containers;
struct ctr;
struct net_dns_wait;
struct strvec;
/* At create, after the options: NetworkMode, EndpointsConfig, ports,
 * links and DNS options checked and resolved into c->extra "NetPlan";
 * the image's ExposedPorts merged into Config.  Nothing made. */
int ctrnet_check(struct containers *cs, struct ctr *c, json_t *body,
    const json_t *img, sdc_error_t *err);
/* The sandbox the runtime joins (rt_spec.netns_path): the one of the
 * container whose network it shares (--network container:), else NULL
 * (runc makes one, which becomes the sandbox once it runs).  Free it. */
char *ctrnet_netns_path(struct containers *cs, const struct ctr *c);
/* The argv of the runtime's createRuntime hook that attaches the
 * container's endpoints (NULL-terminated, each malloc'ed); NULL when it
 * has none of its own. */
char **ctrnet_hook(struct containers *cs, const struct ctr *c);
/* Once the row is in: the endpoint rows of the plan. */
int ctrnet_created(struct containers *cs, struct ctr *c, sdc_error_t *err);
/* Before the runtime starts it: addresses, ports, /etc/hosts and
 * /etc/resolv.conf, bridges, names and the plan of its endpoints that
 * the runtime's hook applies; all or nothing. */
int ctrnet_start(struct containers *cs, struct ctr *c, sdc_error_t *err);
/* After ctrnet_start, on the loop: the names tables of the container's
 * networks, queued and maybe not applied yet, added to w; the start's
 * thread waits for them (net_dns_wait) before its process runs. */
void ctrnet_names_wait(struct containers *cs, const struct ctr *c,
    struct net_dns_wait *w);
/* The same for a start its node's agent plumbs (node-net.c): the store's
 * part here, the kernel's and the files' sent as *node_doc (new
 * reference; NULL for --network container:, written here). */
int ctrnet_start_node(struct containers *cs, struct ctr *c, json_t **node_doc,
    sdc_error_t *err);
/* Once it runs (pid): nothing if the hook attached it; else (a container
 * created without the hook) its namespace as the sandbox, endpoints,
 * names; on failure the caller kills it. */
int ctrnet_started(struct containers *cs, struct ctr *c, pid_t pid,
    sdc_error_t *err);
/* It stopped (or its start failed): sandbox, ports, addresses go. */
void ctrnet_stop(struct containers *cs, struct ctr *c);
void ctrnet_removed(struct containers *cs, struct ctr *c);
/* The networks whose names c's stop or removal changes (ids pushed to
 * ids): those it has an address on, here (a node's agent names its own). */
void ctrnet_named_networks(struct containers *cs, const struct ctr *c,
    struct strvec *ids);
/* After a rename: the names tables of the networks a running container
 * is on, queued again with its new name; those tables added to w. */
void ctrnet_renamed(struct containers *cs, const struct ctr *c,
    struct net_dns_wait *w);
/* The daemon starts: sweep what no live container or network owns and
 * rebuild what running ones need. */
void ctrnet_recover(struct containers *cs);
/* The same for one container whose state came later (a node that told
 * it after the start): a stopped one's ports and addresses go. */
void ctrnet_recover_one(struct containers *cs, struct ctr *c);
json_t *ctrnet_settings(struct containers *cs, const struct ctr *c);
/* ps's Ports of a running container (new reference). */
json_t *ctrnet_ps_ports(struct containers *cs, const struct ctr *c);
int ctrnet_connect(struct containers *cs, struct ctr *c,
    const struct network *n, const json_t *epcfg, sdc_error_t *err);
int ctrnet_disconnect(struct containers *cs, struct ctr *c,
    const struct network *n, sdc_error_t *err);
/* Connect and disconnect of a container running on a node behind an
 * agent (ctrnet_on_node), whose kernel part is the agent's
 * (node-connect.c): the store's part, the agent's document returned (a
 * new reference, or NULL with *err), undone if the agent refuses; a
 * disconnect's address released first (*ip, mac: what it was, to put
 * back), its row removed once the agent took the endpoint down. */
bool ctrnet_on_node(struct containers *cs, const struct ctr *c);
json_t *ctrnet_connect_node(struct containers *cs, struct ctr *c,
    const struct network *n, const json_t *epcfg, sdc_error_t *err);
void ctrnet_connect_undo(struct containers *cs, const struct ctr *c,
    const char *network_id);
json_t *ctrnet_disconnect_node(struct containers *cs, struct ctr *c,
    const struct network *n, uint32_t *ip, char mac[18], sdc_error_t *err);
void ctrnet_disconnect_undo(struct containers *cs, const struct ctr *c,
    const struct network *n, uint32_t ip, const char *mac);
void ctrnet_disconnect_done(struct containers *cs, const struct ctr *c,
    const struct network *n);
/* An account is being deleted, its containers gone: its networks go. */
int networks_remove_account(struct dockerapi *d, const char *account,
    sdc_error_t *err);
/* A network is being removed: its bridge and names go. */
int ctrnet_network_gone(struct dockerapi *d, const struct network *n,
    sdc_error_t *err);

/* netwire.c: the kernel side, through dockerapi/net/net.h */
/* Where a container's sandbox is (malloc'ed). */
char *netwire_netns_path(struct dockerapi *d, const char *container);
/* The running container's network namespace (of process pid) becomes
 * its sandbox. */
int netwire_sandbox(struct dockerapi *d, const char *container, pid_t pid,
    sdc_error_t *err);
int netwire_attach(struct dockerapi *d, const char *container,
    const struct network *net, const struct netep *ep, int index,
    bool default_route, const struct netport *ports, size_t nports,
    sdc_error_t *err);
/* Before a start: each network's bridge made, and the plan the runtime's
 * hook applies written at path (the endpoint pub gets the ports). */
int netwire_plan(struct dockerapi *d, const char *path, const char *container,
    const struct network *nets, const struct netep *eps, size_t n,
    size_t pub, const struct netport *ports, size_t nports, sdc_error_t *err);
/* Whether the container's sandbox is bound (the hook ran). */
bool netwire_sandbox_exists(struct dockerapi *d, const char *container);
int netwire_detach(struct dockerapi *d, const char *container,
    const char *network_id, sdc_error_t *err);
int netwire_destroy(struct dockerapi *d, const char *container,
    bool ports, sdc_error_t *err);
int netwire_bridge_remove(struct dockerapi *d, const char *network_id,
    sdc_error_t *err);
struct netwire_name {
	const char *container;
	uint32_t ip;
	const char *const *names;	/* NULL-terminated */
	const uint32_t *servers;	/* --dns: its other names go there */
	size_t nservers;
};
int netwire_dns(struct dockerapi *d, const struct network *net,
    const struct netwire_name *v, size_t n, sdc_error_t *err);
int netwire_dns_remove(struct dockerapi *d, const struct network *net,
    sdc_error_t *err);
/* The tables are applied off the loop, in order (net/dns-queue.c):
 * netwire_dns and netwire_dns_remove queue them; netwire_dns_wait_add
 * adds the last one queued for a network to what a start waits for. */
void netwire_dns_wait_add(struct dockerapi *d, struct net_dns_wait *w,
    const char *network_id);
/* net_dns_ensure, queued: a dead name server started again, an idle one
 * stopped. */
void netwire_dns_ensure(struct dockerapi *d);
int netwire_sweep(struct dockerapi *d, const char *const *networks,
    const char *const *containers, sdc_error_t *err);

#endif
