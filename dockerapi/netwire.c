/*
 * netwire.c: the store's networks, endpoints and ports (networks.h) in
 * the node's networking library's terms (dockerapi/net/net.h): host-order
 * addresses to network order, MAC text to bytes, a ports list to the
 * library's, one net_config for the daemon.
 *
 * The library keeps its state (sandboxes, aardvark-dns's tables, the
 * markers of the bridges it made) under <data>/net: one daemon's objects
 * apart from another's on the same node, and found again after a
 * restart, so net_sweep removes only what this daemon made.
 *
 * The sandbox belongs to the host's user namespace, so a container's root
 * (an unprivileged host user) has no CAP_NET_BIND_SERVICE there: as
 * Docker does for each container since 20.10, the sandbox gets
 * net.ipv4.ip_unprivileged_port_start=0 (httpd -p 80 binds) and
 * ping_group_range open to all (ping works without a raw socket), written
 * from a short thread that joined it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dockerapi/net/net.h"
#include "fsutil.h"
#include "networks.h"
#include "xalloc.h"

static struct net_config netwire_cfg;

static const struct net_config *
netwire_config(struct dockerapi *d)
{
	if (netwire_cfg.run_dir == NULL) {
		char *dir;

		xasprintf(&dir, "%s/net", d->cfg.data_dir);
		netwire_cfg.run_dir = dir;
	}
	return &netwire_cfg;
}

char *
netwire_netns_path(struct dockerapi *d, const char *container)
{
	char *p;

	xasprintf(&p, "%s/netns/%s", netwire_config(d)->run_dir, container);
	return p;
}

static void
netwire_bridge(const struct network *n, struct net_bridge *b)
{
	memset(b, 0, sizeof *b);
	b->id = n->id;
	b->subnet.s_addr = htonl(n->subnet);
	b->prefix = n->prefix;
	b->gateway.s_addr = htonl(n->gateway);
	b->internal = n->internal;
}

struct netwire_ns_job {
	const char *path;
	const char *const *sysctls;
	int errnum;
	const char *what;
};

static int
netwire_write(const char *file, const char *value)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fd_write_all(fd, value, strlen(value));
	close(fd);
	return rc;
}

static void *
netwire_ns_thread(void *arg)
{
	struct netwire_ns_job *j = arg;
	int fd = open(j->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		j->errnum = errno;
		j->what = "joining";
	} else if (netwire_write("/proc/sys/net/ipv4/ip_unprivileged_port_start",
	    "0") < 0 || netwire_write("/proc/sys/net/ipv4/ping_group_range",
	    "0 2147483647") < 0) {
		j->errnum = errno;
		j->what = "setting the ports and ping of";
	}
	for (size_t i = 0; j->errnum == 0 && j->sysctls != NULL &&
	    j->sysctls[i] != NULL; i++) {
		const char *kv = j->sysctls[i], *eq = strchr(kv, '=');
		char file[256];
		size_t k, n;

		if (eq == NULL || strncmp(kv, "net.", 4) != 0)
			continue;
		n = (size_t)snprintf(file, sizeof file, "/proc/sys/%.*s",
		    (int)(eq - kv), kv);
		for (k = 10; k < n && k < sizeof file; k++)
			if (file[k] == '.')
				file[k] = '/';
		if (strstr(file, "..") != NULL || netwire_write(file, eq + 1) < 0) {
			j->errnum = errno != 0 ? errno : EINVAL;
			j->what = "setting a --sysctl in";
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

int
netwire_sandbox(struct dockerapi *d, const char *container,
    const char *const *sysctls, sdc_error_t *err)
{
	struct netwire_ns_job j = { .sysctls = sysctls };
	pthread_t t;
	char *path = NULL;
	int rc;

	if (net_sandbox_create(netwire_config(d), container, &path, err) < 0)
		return -1;
	j.path = path;
	if ((rc = pthread_create(&t, NULL, netwire_ns_thread, &j)) != 0) {
		j.errnum = rc;
		j.what = "a thread for";
	} else
		pthread_join(t, NULL);
	free(path);
	if (j.errnum != 0)
		return sdc_make_error(err, j.errnum, "%s the container's network "
		    "namespace", j.what);
	return 0;
}

int
netwire_attach(struct dockerapi *d, const char *container,
    const struct network *net, const struct netep *ep, int index,
    bool default_route, const struct netport *ports, size_t nports,
    sdc_error_t *err)
{
	const struct net_config *cfg = netwire_config(d);
	struct net_bridge b;
	struct net_endpoint e = { 0 };
	struct net_port *p = xcalloc(nports + 1, sizeof *p);
	unsigned m[6];
	char ifname[16];
	size_t i;
	int rc;

	netwire_bridge(net, &b);
	snprintf(ifname, sizeof ifname, "eth%d", index);
	e.bridge = &b;
	e.ifname = ifname;
	e.ip.s_addr = htonl(ep->ip);
	if (sscanf(ep->mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3],
	    &m[4], &m[5]) == 6)
		for (i = 0; i < 6; i++)
			e.mac[i] = (uint8_t)m[i];
	e.default_route = default_route;
	for (i = 0; i < nports; i++) {
		p[i].proto = strcmp(ports[i].proto, "udp") == 0 ? IPPROTO_UDP :
		    IPPROTO_TCP;
		p[i].host_ip.s_addr = htonl(ports[i].host_ip);
		p[i].host_port = ports[i].host_port;
		p[i].container_port = ports[i].container_port;
	}
	e.ports = p;
	e.nports = net->internal ? 0 : nports;
	rc = net_bridge_ensure(cfg, &b, err) < 0 ||
	    net_endpoint_attach(cfg, container, &e, err) < 0 ? -1 : 0;
	free(p);
	return rc;
}

int
netwire_detach(struct dockerapi *d, const char *container,
    const char *network_id, sdc_error_t *err)
{
	return net_endpoint_detach(netwire_config(d), container, network_id,
	    err);
}

int
netwire_destroy(struct dockerapi *d, const char *container, sdc_error_t *err)
{
	return net_sandbox_destroy(netwire_config(d), container, err);
}

int
netwire_bridge_remove(struct dockerapi *d, const char *network_id,
    sdc_error_t *err)
{
	return net_bridge_remove(netwire_config(d), network_id, err);
}

int
netwire_dns(struct dockerapi *d, const struct network *net,
    const struct netwire_name *v, size_t n, sdc_error_t *err)
{
	struct net_dns_entry *e = xcalloc(n + 1, sizeof *e);
	struct net_bridge b;
	size_t i;
	int rc;

	netwire_bridge(net, &b);
	for (i = 0; i < n; i++) {
		e[i].container_id = v[i].container;
		e[i].ip.s_addr = htonl(v[i].ip);
		e[i].names = v[i].names;
	}
	rc = net_dns_set(netwire_config(d), &b, e, n, err);
	free(e);
	return rc;
}

int
netwire_sweep(struct dockerapi *d, const char *const *networks,
    const char *const *containers, sdc_error_t *err)
{
	return net_sweep(netwire_config(d), networks, containers, err);
}
