/*
 * bridge.c: a network on this node: its bridge (rtnetlink), its kernel
 * settings, and its elements in our nftables table, in that order, so
 * that the policy names a bridge only once it exists.  Ensure can be
 * called again at any time (a restart, a repair): each part keeps what is
 * already right.  It also writes our base chains again (unless they and
 * the bridge are as this process left them) and makes sure an iptables
 * FORWARD policy of DROP does not undo them (nft-rules.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "xalloc.h"
#include "dockerapi/net/internal.h"

/*
 * What this process has ensured: a bridge (by its ifindex, which a bridge
 * deleted and made again does not keep) and whether it was internal.
 * When the bridge is the same one and one listing of the table finds every
 * base rule and the bridge's elements, the sysctls and the table are not
 * written again: that transaction (the base chains flushed and refilled)
 * was most of a start's networking cost, some 5 to 50 ms.  And when the
 * ruleset's generation (nft-gen.c) is still the one read just before the
 * last listing found everything right, there is not even a listing: no
 * change of any table can have happened since.  A restart starts with
 * nothing known, so its first ensure of each bridge is whole.
 */
struct net_ensured {
	char id[65];
	int ifindex;
	bool internal;
	bool gen_ok;	/* gen: the generation when last found right */
	uint32_t gen;
};
static struct net_ensured *net_ensured_v;
static size_t net_ensured_n;

static struct net_ensured *
net_ensured_find(const char *id)
{
	size_t i;

	for (i = 0; i < net_ensured_n; i++)
		if (strcmp(net_ensured_v[i].id, id) == 0)
			return &net_ensured_v[i];
	return NULL;
}

static void
net_ensured_set(const char *id, int ifindex, bool internal)
{
	struct net_ensured *e = net_ensured_find(id);

	if (e == NULL) {
		net_ensured_v = xrealloc(net_ensured_v,
		    (net_ensured_n + 1) * sizeof *net_ensured_v);
		e = &net_ensured_v[net_ensured_n++];
		snprintf(e->id, sizeof e->id, "%s", id);
	}
	e->ifindex = ifindex;
	e->internal = internal;
	e->gen_ok = false;	/* our own write moved it on: listed next time */
}

static void
net_ensured_forget(const char *id)
{
	struct net_ensured *e = net_ensured_find(id);

	if (e != NULL)
		*e = net_ensured_v[--net_ensured_n];
}

/* The marker first: a crash after it leaves a bridge net_sweep removes. */
static int
net_bridge_mark(const struct net_config *cfg, const char *id,
    sdc_error_t *err)
{
	char *dir = net_network_dir(cfg), *path = net_network_marker(cfg, id);
	int fd = -1;

	if (mkdir_p(dir, 0755, err) == 0 &&
	    (fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
		sdc_make_error(err, errno, "creating %s", path);
	free(dir);
	free(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int
net_bridge_check(const struct net_bridge *b, sdc_error_t *err)
{
	uint32_t mask;

	if (net_id_check("network", b->id, err) < 0)
		return -1;
	if (b->prefix < 8 || b->prefix > 30)
		return sdc_make_error_code(err, 400, "network %s: prefix /%d: "
		    "from /8 to /30", b->id, b->prefix);
	mask = htonl(~0U << (32 - b->prefix));
	if ((b->gateway.s_addr & mask) != (b->subnet.s_addr & mask) ||
	    (b->subnet.s_addr & ~mask) != 0)
		return sdc_make_error_code(err, 400, "network %s: gateway %s is "
		    "not in subnet %s/%d", b->id, inet_ntoa(b->gateway),
		    inet_ntoa(b->subnet), b->prefix);
	return 0;
}

int
net_bridge_ensure(const struct net_config *cfg, const struct net_bridge *b,
    sdc_error_t *err)
{
	char name[16], path[96];
	struct buf text = { NULL, 0, 0 };
	struct net_ensured *known;
	struct nl_sock *sk;
	int rc, ifindex;
	uint32_t gen = 0;
	bool gen_ok;

	if (net_bridge_check(b, err) < 0 || net_forwarding_on(err) < 0)
		return -1;
	net_bridge_ifname(b->id, name);
	if (net_bridge_mark(cfg, b->id, err) < 0 ||
	    (sk = net_nl_open(err)) == NULL)
		return -1;
	ifindex = net_link_bridge(sk, b, err);
	net_nl_close(sk);
	if (ifindex < 0)
		return -1;
	known = net_ensured_find(b->id);
	gen_ok = net_nft_genid(&gen, NULL) == 0;
	if (known != NULL && known->ifindex == ifindex &&
	    known->internal == b->internal) {
		if (gen_ok && known->gen_ok && known->gen == gen)
			return 0;
		if (net_nft_bridge_intact(name, b->internal)) {
			if (net_nft_foreign_ensure(err) < 0)
				return sdc_error_wrap(err, "network %s", b->id);
			known->gen_ok = gen_ok;
			known->gen = gen;
			return 0;
		}
	}
	net_ensured_forget(b->id);
	snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/%s/route_localnet",
	    name);
	if (net_sysctl_set(path, "1", err) < 0)
		return -1;
	/* strict reverse path: a source address this bridge does not route
	 * back to (forged by a container's packet socket) is dropped by the
	 * kernel too, whatever another daemon's copy of the table says */
	snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/%s/rp_filter",
	    name);
	if (net_sysctl_set(path, "1", err) < 0)
		return -1;
	snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
	    name);
	(void)net_sysctl_set(path, "1", NULL);	/* no IPv6 at all: fine */
	net_nft_base_text(&text);
	net_nft_bridge_text(&text, name, b->internal);
	rc = net_nft_run(buf_str(&text), err);
	buf_free(&text);
	if (rc < 0 || net_nft_foreign_ensure(err) < 0)
		return sdc_error_wrap(err, "network %s", b->id);
	net_ensured_set(b->id, ifindex, b->internal);
	return 0;
}

int
net_bridge_remove(const struct net_config *cfg, const char *network_id,
    sdc_error_t *err)
{
	char name[16];
	struct buf text = { NULL, 0, 0 };
	struct nl_sock *sk;
	int rc;

	if (net_id_check("network", network_id, err) < 0)
		return -1;
	net_ensured_forget(network_id);
	net_bridge_ifname(network_id, name);
	if (net_nft_ports_remove(NULL, network_id, err) < 0)
		return -1;
	net_nft_bridge_remove_text(&text, name);
	rc = net_nft_run(buf_str(&text), err);
	buf_free(&text);
	if (rc < 0)
		return -1;
	if ((sk = net_nl_open(err)) == NULL)
		return -1;
	rc = net_link_delete(sk, name, err);
	/* its vxlan device, if it spans nodes: released, not deleted, by
	 * the bridge's deletion */
	net_vxlan_ifname(network_id, name);
	if (rc == 0)
		rc = net_link_delete(sk, name, err);
	net_nl_close(sk);
	if (rc == 0) {
		char *marker = net_network_marker(cfg, network_id);

		if (unlink(marker) < 0 && errno != ENOENT)
			rc = sdc_make_error(err, errno, "removing %s", marker);
		free(marker);
	}
	return rc;
}
