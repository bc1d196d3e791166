/*
 * nft-rules.c: the text of the nftables transactions, built apart from
 * running them so it can be read and tested.
 *
 * Everything lives in one table, `inet sdc_docker`.  Its base chains hold
 * only fixed rules over four sets of interface names, so a network is a
 * few set elements and a container's published ports one chain:
 *
 *   sets     bridges   every bridge of ours (any account)
 *            same      "sdcX" . "sdcX": traffic inside one network
 *            internal  bridges of --internal networks
 *            natifs    bridges whose traffic is masqueraded going out
 *   prerouting (nat, dstnat)  to a local address (never 127/8 from outside:
 *            route_localnet is on for our bridges) -> jump ports
 *   output   (nat, dstnat)  the host's own connections, 127.0.0.1 included
 *            -> jump ports
 *   ports    one "jump p_<container>_<network>" per endpoint with ports;
 *            each p_ chain: "[ip daddr H] tcp dport P dnat ip to IP:Q"
 *   postrouting (nat, srcnat)  masquerade: 127/8 sources into a bridge (the
 *            host's 127.0.0.1:P), DNAT'd traffic from a bridge into a
 *            bridge (hairpin), a non-internal network going anywhere but
 *            our bridges
 *   forward  (filter)  from a bridge with a source address it does not
 *            route back to (a forged one, another network's): drop, as in
 *            input; same network: accept; internal: nothing in or out;
 *            published ports (ct status dnat): accept; bridge to another
 *            bridge: drop; into a bridge: only replies; out to
 *            169.254.0.0/16: drop; out: accept
 *   input    (filter)  from a bridge: replies, and DNS (53) to the address
 *            of the bridge it came in on (its gateway: "fib daddr . iif
 *            type local"), nothing else of the host's
 *
 * A set element that may or may not be there is removed by adding then
 * deleting it in the same transaction, which cannot fail (nft 1.0.6 has
 * no "destroy").  The base chains are flushed and written again by each
 * ensure: one transaction, atomic, so no packet sees them half written.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>

#include "dockerapi/net/internal.h"

#define T NET_NFT_TABLE

void
net_nft_base_text(struct buf *o)
{
	buf_puts(o,
	    "add table " T "\n"
	    "add set " T " bridges { type ifname; }\n"
	    "add set " T " same { type ifname . ifname; }\n"
	    "add set " T " internal { type ifname; }\n"
	    "add set " T " natifs { type ifname; }\n"
	    "add chain " T " ports\n"
	    "add chain " T " prerouting { type nat hook prerouting priority dstnat; policy accept; }\n"
	    "flush chain " T " prerouting\n"
	    "add rule " T " prerouting ip daddr 127.0.0.0/8 return\n"
	    "add rule " T " prerouting fib daddr type local jump ports\n"
	    "add chain " T " output { type nat hook output priority -100; policy accept; }\n"
	    "flush chain " T " output\n"
	    "add rule " T " output fib daddr type local jump ports\n"
	    "add chain " T " postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
	    "flush chain " T " postrouting\n"
	    "add rule " T " postrouting oifname @bridges ip saddr 127.0.0.0/8 masquerade\n"
	    "add rule " T " postrouting oifname @bridges iifname @bridges ct status dnat masquerade\n"
	    "add rule " T " postrouting iifname @natifs oifname != @bridges masquerade\n"
	    "add chain " T " forward { type filter hook forward priority filter; policy accept; }\n"
	    "flush chain " T " forward\n"
	    "add rule " T " forward iifname @bridges fib saddr . iif oif missing drop\n"
	    "add rule " T " forward iifname . oifname @same accept\n"
	    "add rule " T " forward iifname @internal drop\n"
	    "add rule " T " forward oifname @internal drop\n"
	    "add rule " T " forward oifname @bridges ct status dnat accept\n"
	    "add rule " T " forward iifname @bridges oifname @bridges drop\n"
	    "add rule " T " forward oifname @bridges ct state established,related accept\n"
	    "add rule " T " forward oifname @bridges drop\n"
	    "add rule " T " forward iifname @bridges ip daddr 169.254.0.0/16 drop\n"
	    "add rule " T " forward iifname @bridges accept\n"
	    "add chain " T " input { type filter hook input priority filter; policy accept; }\n"
	    "flush chain " T " input\n"
	    "add rule " T " input iifname @bridges fib saddr . iif oif missing drop\n"
	    "add rule " T " input iifname @bridges ct state established,related accept\n"
	    "add rule " T " input iifname @bridges fib daddr . iif type local udp dport 53 accept\n"
	    "add rule " T " input iifname @bridges fib daddr . iif type local tcp dport 53 accept\n"
	    "add rule " T " input iifname @bridges drop\n");
}

/* Add and delete: the element is gone, whether it was there or not. */
static void
net_nft_absent(struct buf *o, const char *set, const char *elem)
{
	buf_printf(o, "add element " T " %s { %s }\n", set, elem);
	buf_printf(o, "delete element " T " %s { %s }\n", set, elem);
}

void
net_nft_bridge_text(struct buf *o, const char *ifname, bool internal)
{
	char q[24], same[56];

	snprintf(q, sizeof q, "\"%s\"", ifname);
	snprintf(same, sizeof same, "%s . %s", q, q);
	buf_printf(o, "add element " T " bridges { %s }\n", q);
	buf_printf(o, "add element " T " same { %s }\n", same);
	if (internal) {
		net_nft_absent(o, "natifs", q);
		buf_printf(o, "add element " T " internal { %s }\n", q);
	} else {
		net_nft_absent(o, "internal", q);
		buf_printf(o, "add element " T " natifs { %s }\n", q);
	}
}

void
net_nft_bridge_remove_text(struct buf *o, const char *ifname)
{
	char q[24], same[56];

	snprintf(q, sizeof q, "\"%s\"", ifname);
	snprintf(same, sizeof same, "%s . %s", q, q);
	net_nft_absent(o, "bridges", q);
	net_nft_absent(o, "same", same);
	net_nft_absent(o, "internal", q);
	net_nft_absent(o, "natifs", q);
}

int
net_nft_ports_text(struct buf *o, const char *container_id,
    const char *network_id, const struct net_endpoint *ep, bool jump,
    sdc_error_t *err)
{
	char *chain = net_ports_chain(container_id, network_id);
	char ip[INET_ADDRSTRLEN], hip[INET_ADDRSTRLEN];
	size_t i;

	inet_ntop(AF_INET, &ep->ip, ip, sizeof ip);
	buf_printf(o, "add chain " T " %s\nflush chain " T " %s\n", chain,
	    chain);
	for (i = 0; i < ep->nports; i++) {
		const struct net_port *p = &ep->ports[i];
		const char *proto = p->proto == IPPROTO_TCP ? "tcp" :
		    p->proto == IPPROTO_UDP ? "udp" : NULL;

		if (proto == NULL || p->host_port == 0 || p->container_port == 0) {
			free(chain);
			return sdc_make_error_code(err, 400, "invalid published "
			    "port %u:%u (protocol %d): tcp or udp, ports 1 to "
			    "65535", p->host_port, p->container_port, p->proto);
		}
		buf_printf(o, "add rule " T " %s ", chain);
		if (p->host_ip.s_addr != htonl(INADDR_ANY)) {
			inet_ntop(AF_INET, &p->host_ip, hip, sizeof hip);
			buf_printf(o, "ip daddr %s ", hip);
		}
		buf_printf(o, "%s dport %u dnat ip to %s:%u\n", proto,
		    p->host_port, ip, p->container_port);
	}
	if (jump)
		buf_printf(o, "add rule " T " ports jump %s\n", chain);
	free(chain);
	return 0;
}

void
net_nft_ports_remove_text(struct buf *o, const char *chain, long long handle)
{
	if (handle > 0)
		buf_printf(o, "delete rule " T " ports handle %lld\n", handle);
	buf_printf(o, "flush chain " T " %s\ndelete chain " T " %s\n", chain,
	    chain);
}

/*
 * VXLAN on the underlay (vxlan.c): UDP 4789 accepted only from a known
 * VTEP, and never forwarded from a container (masqueraded, it would leave
 * with this node's VTEP as source).  Base chains of their own, a little
 * before the filter's, so a bridge's ensure (which flushes the others)
 * leaves them be; the set's elements are net_vxlan_vteps_set's.
 */
void
net_nft_vxlan_text(struct buf *o)
{
	buf_printf(o,
	    "add table " T "\n"
	    "add set " T " bridges { type ifname; }\n"
	    "add set " T " vteps { type ipv4_addr; }\n"
	    "add chain " T " vxlan_in { type filter hook input priority filter - 5; policy accept; }\n"
	    "flush chain " T " vxlan_in\n"
	    "add rule " T " vxlan_in udp dport %d ip saddr != @vteps drop\n"
	    "add chain " T " vxlan_fwd { type filter hook forward priority filter - 5; policy accept; }\n"
	    "flush chain " T " vxlan_fwd\n"
	    "add rule " T " vxlan_fwd iifname @bridges udp dport %d drop\n",
	    NET_VXLAN_PORT, NET_VXLAN_PORT);
}

/*
 * Docker (and other iptables users) may set the FORWARD policy of
 * iptables-nft's `ip filter` table to DROP.  In nftables an accept ends a
 * packet's walk through one base chain only: every other base chain on the
 * hook still sees it, so that policy would drop what our forward chain
 * accepted.  Docker documents the DOCKER-USER chain as the place for a
 * host's own forwarding rules ("Docker on a router"), evaluated before its
 * own; where there is no DOCKER-USER, FORWARD itself.  The two rules only
 * accept what touches our bridges, which our own chain (same hook) has
 * already filtered: a drop there is final whatever these say.
 */
void
net_nft_foreign_text(struct buf *o, const char *table, const char *chain)
{
	buf_printf(o, "insert rule %s %s oifname \"" NET_BRIDGE_PREFIX "*\" "
	    "accept comment \"" NET_NFT_FOREIGN_TAG "\"\n", table, chain);
	buf_printf(o, "insert rule %s %s iifname \"" NET_BRIDGE_PREFIX "*\" "
	    "accept comment \"" NET_NFT_FOREIGN_TAG "\"\n", table, chain);
}
