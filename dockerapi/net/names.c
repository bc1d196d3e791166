/*
 * names.c: every kernel object's name, derived from the store's ids.
 *
 * Nothing here keeps state: a bridge is "sdc" + the network id's first 12
 * hex digits, a veth's host end "sdv" + 12 hex digits of a hash of both
 * ids (15 characters, the kernel's limit, and no collision between two
 * endpoints of one network in practice), its ifalias the two full ids, an
 * endpoint's nftables chain "p_<container id>_<network id>", a sandbox
 * <run>/netns/<container id>, and a network this daemon made has an
 * empty file <run>/networks/<network id>.  So net_sweep can tell, from
 * the kernel and that folder alone, what belongs to whom, and leaves
 * alone what another daemon (another run dir: a test's) made.  Ids are checked to be hex before they go
 * into a name or an nft command.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "dockerapi/net/internal.h"

#define NET_ID_MAX 64

bool
net_id_ok(const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;

	if (n < 12 || n > NET_ID_MAX)
		return false;
	return strspn(id, "0123456789abcdef") == n;
}

int
net_id_check(const char *what, const char *id, sdc_error_t *err)
{
	if (net_id_ok(id))
		return 0;
	return sdc_make_error_code(err, 400, "invalid %s id '%s': 12 to 64 "
	    "lower-case hex digits", what, id != NULL ? id : "");
}

bool
net_id_in(const char *id, const char *const *ids)
{
	for (; ids != NULL && *ids != NULL; ids++)
		if (strcmp(*ids, id) == 0)
			return true;
	return false;
}

void
net_bridge_ifname(const char *network_id, char out[16])
{
	snprintf(out, 16, NET_BRIDGE_PREFIX "%.12s", network_id);
}

void
net_veth_ifname(const char *container_id, const char *network_id,
    char out[16])
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	const char *p;

	for (p = container_id; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	h = (h ^ '/') * 0x100000001b3ULL;
	for (p = network_id; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	snprintf(out, 16, NET_VETH_PREFIX "%012llx",
	    (unsigned long long)(h & 0xffffffffffffULL));
}

static bool
net_hex_name(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(name, prefix, n) == 0 && strlen(name) == n + 12 &&
	    strspn(name + n, "0123456789abcdef") == 12;
}

bool
net_bridge_ifname_ours(const char *ifname)
{
	return net_hex_name(ifname, NET_BRIDGE_PREFIX);
}

bool
net_vxlan_ifname_ours(const char *ifname)
{
	return net_hex_name(ifname, NET_VXLAN_PREFIX);
}

bool
net_veth_ifname_ours(const char *ifname)
{
	return net_hex_name(ifname, NET_VETH_PREFIX);
}

char *
net_veth_alias(const char *container_id, const char *network_id)
{
	char *s;

	xasprintf(&s, NET_ALIAS_PREFIX "%s %s", container_id, network_id);
	return s;
}

/* "<a><sep><b>" with two ids, each copied into 65 bytes. */
static bool
net_two_ids(const char *s, char sep, char *a, char *b)
{
	const char *mid = strchr(s, sep);

	if (mid == NULL || mid - s > NET_ID_MAX || strlen(mid + 1) > NET_ID_MAX)
		return false;
	memcpy(a, s, (size_t)(mid - s));
	a[mid - s] = '\0';
	strcpy(b, mid + 1);
	return net_id_ok(a) && net_id_ok(b);
}

bool
net_veth_alias_parse(const char *alias, char *container_id, char *network_id)
{
	if (alias == NULL || strncmp(alias, NET_ALIAS_PREFIX,
	    strlen(NET_ALIAS_PREFIX)) != 0)
		return false;
	return net_two_ids(alias + strlen(NET_ALIAS_PREFIX), ' ', container_id,
	    network_id);
}

char *
net_ports_chain(const char *container_id, const char *network_id)
{
	char *s;

	xasprintf(&s, "p_%s_%s", container_id, network_id);
	return s;
}

bool
net_ports_chain_parse(const char *chain, char *container_id, char *network_id)
{
	if (strncmp(chain, "p_", 2) != 0)
		return false;
	return net_two_ids(chain + 2, '_', container_id, network_id);
}

char *
net_netns_dir(const struct net_config *cfg)
{
	char *s;

	xasprintf(&s, "%s/netns", cfg->run_dir);
	return s;
}

char *
net_netns_path(const struct net_config *cfg, const char *container_id)
{
	char *s;

	xasprintf(&s, "%s/netns/%s", cfg->run_dir, container_id);
	return s;
}

char *
net_network_dir(const struct net_config *cfg)
{
	char *s;

	xasprintf(&s, "%s/networks", cfg->run_dir);
	return s;
}

char *
net_network_marker(const struct net_config *cfg, const char *network_id)
{
	char *s;

	xasprintf(&s, "%s/networks/%s", cfg->run_dir, network_id);
	return s;
}
