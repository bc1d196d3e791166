/*
 * endpoint.c: a container on a network, whole: its link (attach.c) and
 * its published ports as one nftables chain of the endpoint's own; and
 * their end, with the sandbox's.
 *
 * The ports are apart from the link so that the runtime's hook, which
 * makes the link (plan.c), needs no nftables: the daemon writes the
 * chain before the start (a DNAT to an address not there yet drops
 * nothing that could have been delivered), and the hook is a small static
 * program (dockerapi/nethook/).
 *
 * Attach again replaces what was there (the old pair is deleted first), so
 * a repair after a restart is the same call; a failure part way deletes
 * the new pair and leaves nothing.  Detach accepts what is already gone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dockerapi/net/internal.h"

static int net_endpoint_ports_write(const char *container_id,
    const struct net_endpoint *ep, sdc_error_t *err);

int
net_endpoint_ports(const char *container_id, const struct net_endpoint *ep,
    sdc_error_t *err)
{
	if (ep->nports == 0)
		return 0;
	if (net_endpoint_check(container_id, ep, err) < 0)
		return -1;
	return net_endpoint_ports_write(container_id, ep, err);
}

static int
net_endpoint_ports_write(const char *container_id,
    const struct net_endpoint *ep, sdc_error_t *err)
{
	char *chain = net_ports_chain(container_id, ep->bridge->id);
	struct net_nft_jump *jumps;
	struct buf text = { NULL, 0, 0 };
	bool jump = true;
	size_t n, i;
	int rc;

	if (net_nft_jumps(&jumps, &n, err) < 0) {
		free(chain);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (strcmp(jumps[i].chain, chain) == 0)
			jump = false;
	net_nft_jumps_free(jumps, n);
	free(chain);
	rc = net_nft_ports_text(&text, container_id, ep->bridge->id, ep, jump,
	    err);
	if (rc == 0)
		rc = net_nft_run(buf_str(&text), err);
	buf_free(&text);
	return rc;
}

int
net_endpoint_attach(const struct net_config *cfg, const char *container_id,
    const struct net_endpoint *ep, sdc_error_t *err)
{
	char host[16];
	struct nl_sock *sk;

	if (net_endpoint_link(cfg, container_id, ep, err) < 0)
		return -1;
	if (ep->nports == 0 || net_endpoint_ports(container_id, ep, err) == 0)
		return 0;
	sdc_error_wrap(err, "container %.12s on network %.12s", container_id,
	    ep->bridge->id);
	net_veth_ifname(container_id, ep->bridge->id, host);
	if ((sk = net_nl_open(NULL)) != NULL) {
		net_link_delete(sk, host, NULL);
		net_nl_close(sk);
	}
	return -1;
}

int
net_endpoint_detach(const struct net_config *cfg, const char *container_id,
    const char *network_id, sdc_error_t *err)
{
	char host[16];
	struct nl_sock *sk;
	int rc;

	if (net_id_check("container", container_id, err) < 0 ||
	    net_id_check("network", network_id, err) < 0)
		return -1;
	if (net_nft_ports_remove(container_id, network_id, err) < 0)
		return -1;
	net_veth_ifname(container_id, network_id, host);
	if ((sk = net_nl_open(err)) == NULL)
		return -1;
	rc = net_link_delete(sk, host, err);
	net_nl_close(sk);
	return rc;
}

int
net_sandbox_destroy(const struct net_config *cfg, const char *container_id,
    sdc_error_t *err)
{
	if (net_id_check("container", container_id, err) < 0)
		return -1;
	if (net_nft_ports_remove(container_id, NULL, err) < 0)
		return sdc_error_wrap(err, "the ports of %s", container_id);
	return net_sandbox_unbind(cfg, container_id, err);
}
