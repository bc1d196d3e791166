/*
 * netwire-none.c: the kernel side of networks while the node's networking
 * library (dockerapi/net/net.h) is not linked in: every call succeeds and
 * does nothing, so the store, IPAM, the routes and what inspect shows can
 * be built and tried on their own.  netwire.c replaces this file when the
 * library lands.
 */
#include <stdlib.h>

#include "networks.h"
#include "xalloc.h"

char *
netwire_netns_path(struct dockerapi *d, const char *container)
{
	char *p;

	xasprintf(&p, "%s/net/netns/%s", d->cfg.data_dir, container);
	return p;
}

int
netwire_sandbox(struct dockerapi *d, const char *container, sdc_error_t *err)
{
	return 0;
}

int
netwire_attach(struct dockerapi *d, const char *container,
    const struct network *net, const struct netep *ep, int index,
    bool default_route, const struct netport *ports, size_t nports,
    sdc_error_t *err)
{
	return 0;
}

int
netwire_detach(struct dockerapi *d, const char *container,
    const char *network_id, sdc_error_t *err)
{
	return 0;
}

int
netwire_destroy(struct dockerapi *d, const char *container, sdc_error_t *err)
{
	return 0;
}

int
netwire_bridge_remove(struct dockerapi *d, const char *network_id,
    sdc_error_t *err)
{
	return 0;
}

int
netwire_dns(struct dockerapi *d, const struct network *net,
    const struct netwire_name *v, size_t n, sdc_error_t *err)
{
	return 0;
}

int
netwire_sweep(struct dockerapi *d, const char *const *networks,
    const char *const *containers, sdc_error_t *err)
{
	return 0;
}
