/*
 * internal.h: what libsdcnet's plumbing files share (names of kernel
 * objects, the netlink and nftables helpers); callers use net.h.
 */
#ifndef SDC_NET_INTERNAL_H
#define SDC_NET_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "buf.h"
#include "error.h"
#include "strvec.h"
#include "dockerapi/net/net.h"

/* Our one nftables table. */
#define NET_NFT_TABLE "inet sdc_docker"
/* The comment on the accept rules we add to iptables-nft's chains. */
#define NET_NFT_FOREIGN_TAG "sdc-docker"
/* A veth's host end: "sdv" + 12 hex of a hash of both ids; its ifalias
 * "sdc <container id> <network id>" names its owners for net_sweep. */
#define NET_VETH_PREFIX "sdv"
#define NET_BRIDGE_PREFIX "sdc"
#define NET_ALIAS_PREFIX "sdc "
/* A network's vxlan device (vxlan.c): "sdx" + 12 hex of its id. */
#define NET_VXLAN_PREFIX "sdx"

/* names.c: ids and the names derived from them (no system calls). */
/* A store id: 12 to 64 lower-case hex digits (it goes into names and nft
 * text, so nothing else passes). */
bool net_id_ok(const char *id);
int net_id_check(const char *what, const char *id, sdc_error_t *err);
void net_veth_ifname(const char *container_id, const char *network_id,
    char out[16]);
/* "sdc <container id> <network id>" */
char *net_veth_alias(const char *container_id, const char *network_id);
/* Parse an alias of ours into its ids (64+1 bytes each); false if not. */
bool net_veth_alias_parse(const char *alias, char *container_id,
    char *network_id);
/* Whether a link name has the shape of one of ours. */
bool net_bridge_ifname_ours(const char *ifname);
bool net_veth_ifname_ours(const char *ifname);
bool net_vxlan_ifname_ours(const char *ifname);
/* <run>/networks/<network id>: an empty file saying this run dir's
 * daemon made that network's bridge (net_sweep touches only its own). */
char *net_network_marker(const struct net_config *cfg, const char *network_id);
char *net_network_dir(const struct net_config *cfg);
/* <run>/netns/<container id>, <run>/netns */
char *net_netns_path(const struct net_config *cfg, const char *container_id);
char *net_netns_dir(const struct net_config *cfg);
/* "p_<container id>_<network id>": the chain of an endpoint's ports. */
char *net_ports_chain(const char *container_id, const char *network_id);
bool net_ports_chain_parse(const char *chain, char *container_id,
    char *network_id);
bool net_id_in(const char *id, const char *const *ids);

/* nft-rules.c: the text of each nftables transaction (no system calls). */
void net_nft_base_text(struct buf *out);
void net_nft_bridge_text(struct buf *out, const char *ifname, bool internal);
void net_nft_bridge_remove_text(struct buf *out, const char *ifname);
/* The endpoint's chain, made anew; jump: also the jump from "ports". */
int net_nft_ports_text(struct buf *out, const char *container_id,
    const char *network_id, const struct net_endpoint *ep, bool jump,
    sdc_error_t *err);
/* Delete an endpoint's chain; handle > 0: and the jump to it. */
void net_nft_ports_remove_text(struct buf *out, const char *chain,
    long long handle);
/* The chains guarding VXLAN's port on the underlay, and the VTEPs' set
 * (vxlan.c); the set keeps its elements. */
void net_nft_vxlan_text(struct buf *out);
/* The accept rules in an iptables-nft chain (family, table, chain). */
void net_nft_foreign_text(struct buf *out, const char *table,
    const char *chain);

/* nft.c: run one transaction; list in JSON. */
int net_nft_run(const char *text, sdc_error_t *err);
/* The parsed JSON of a list command; NULL with *err when it fails. */
struct json_t;
struct json_t *net_nft_list(const char *cmd, sdc_error_t *err);
/* Every jump rule of "ports": target chain and handle. */
struct net_nft_jump {
	char *chain;
	long long handle;
};
int net_nft_jumps(struct net_nft_jump **out, size_t *n, sdc_error_t *err);
void net_nft_jumps_free(struct net_nft_jump *v, size_t n);
/* Every chain name of our table (NULL-terminated, malloc'ed). */
char **net_nft_chains(sdc_error_t *err);
/* Remove the chains of endpoints with their jumps, in one transaction:
 * a container's on a network; NULL for either id: on any. */
int net_nft_ports_remove(const char *container_id, const char *network_id,
    sdc_error_t *err);
/* Whether our table holds every rule of its base chains (as many as
 * net_nft_base_text writes) and the bridge's elements (as
 * net_nft_bridge_text adds them): one listing, nothing written. */
bool net_nft_bridge_intact(const char *ifname, bool internal);
/* Let our bridges through an iptables-nft FORWARD policy drop. */
int net_nft_foreign_ensure(sdc_error_t *err);
/* nft-gen.c: the ruleset's generation, moved on by every change */
int net_nft_genid(uint32_t *out, sdc_error_t *err);

/* link.c: rtnetlink through libnl-route-3. */
struct nl_sock;
struct nl_sock *net_nl_open(sdc_error_t *err);
void net_nl_close(struct nl_sock *sk);
/* The socket opened inside the namespace at path (a short thread joins it:
 * a socket stays in the namespace it was made in). */
struct nl_sock *net_nl_open_in(const char *netns_path, sdc_error_t *err);
/* The bridge made, up, with its gateway address: its ifindex, or -1. */
int net_link_bridge(struct nl_sock *sk, const struct net_bridge *b,
    sdc_error_t *err);
/* Delete a link by name; absent is fine. */
int net_link_delete(struct nl_sock *sk, const char *ifname, sdc_error_t *err);
int net_link_veth(struct nl_sock *sk, const char *host, const char *alias,
    const char *bridge, int netns_fd, const struct net_endpoint *ep,
    sdc_error_t *err);
/* Inside a sandbox: lo up; an endpoint's address and route. */
int net_link_configure(struct nl_sock *ns, const struct net_endpoint *ep,
    sdc_error_t *err);
int net_link_lo_up(struct nl_sock *ns, sdc_error_t *err);
/* Each link of the host: fn(name, alias or NULL, kind or NULL, arg). */
int net_link_each(struct nl_sock *sk, void (*fn)(const char *, const char *,
    const char *, void *), void *arg, sdc_error_t *err);

/* sandbox.c: unmounted, unlinked; absent is fine. */
int net_sandbox_remove_path(const char *path, sdc_error_t *err);

/* attach.c: what an endpoint must be before anything is made of it */
int net_endpoint_check(const char *container_id,
    const struct net_endpoint *ep, sdc_error_t *err);

/* sysctl.c */
int net_sysctl_set(const char *path, const char *value, sdc_error_t *err);
int net_forwarding_on(sdc_error_t *err);

#endif
