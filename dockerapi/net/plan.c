/*
 * plan.c: a container's endpoints, written down by the daemon before each
 * start and made so by sdc-docker-nethook, the runtime's createRuntime
 * hook, while the container's namespaces exist and its process has not
 * started yet.
 *
 * Why a hook: the sandbox must be the network namespace runc makes for
 * the container, inside the container's user namespace (one owned by the
 * host's user namespace is closed to `runc exec`, which joins the user
 * namespace first, and to the container's root: no low ports, no net.*
 * sysctls), and that namespace exists only once runc made it.  runc 1.1
 * runs createRuntime hooks in the host's namespaces after making the
 * container's, before pivot_root and long before the process's first
 * instruction; so the endpoints are there when it runs, as with Docker.
 * The hook needs nothing of the daemon (whose loop may be waiting for the
 * runtime's report): the plan is a file with all it needs, and the hook
 * is a process of its own; an error fails runc, hence the start, with the
 * hook's message.
 *
 * The plan: { "run_dir", "container", "endpoints": [ { "network",
 * "subnet", "prefix", "gateway", "internal", "ifname", "ip", "mac",
 * "default_route", "ports": [ { "proto", "host_ip", "host_port",
 * "container_port" } ] } ] }, addresses as dotted quads.  The hook makes
 * the links alone (net_endpoint_link): the ports, listed for whoever
 * reads the plan, were published by the daemon before the start, so the
 * hook needs no nftables and is linked static (dockerapi/nethook/).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "xalloc.h"
#include "dockerapi/net/internal.h"

static json_t *
net_plan_addr(struct in_addr a)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof s);
	return json_string(s);
}

static json_t *
net_plan_endpoint(const struct net_endpoint *ep)
{
	const struct net_bridge *b = ep->bridge;
	json_t *ports = json_array();
	char mac[18];
	size_t i;

	for (i = 0; i < ep->nports; i++)
		json_array_append_new(ports, json_pack("{s:s,s:o,s:i,s:i}",
		    "proto", ep->ports[i].proto == IPPROTO_UDP ? "udp" : "tcp",
		    "host_ip", net_plan_addr(ep->ports[i].host_ip),
		    "host_port", (int)ep->ports[i].host_port,
		    "container_port", (int)ep->ports[i].container_port));
	snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", ep->mac[0],
	    ep->mac[1], ep->mac[2], ep->mac[3], ep->mac[4], ep->mac[5]);
	return json_pack("{s:s,s:o,s:i,s:o,s:b,s:i,s:s,s:o,s:s,s:b,s:o}",
	    "network", b->id, "subnet", net_plan_addr(b->subnet),
	    "prefix", b->prefix, "gateway", net_plan_addr(b->gateway),
	    "internal", b->internal, "mtu", b->mtu, "ifname", ep->ifname,
	    "ip", net_plan_addr(ep->ip), "mac", mac,
	    "default_route", ep->default_route, "ports", ports);
}

int
net_plan_write(const struct net_config *cfg, const char *path,
    const char *container_id, const struct net_endpoint *eps, size_t n,
    sdc_error_t *err)
{
	json_t *plan, *v = json_array();
	char *text;
	size_t i;
	int rc;

	if (net_id_check("container", container_id, err) < 0) {
		json_decref(v);
		return -1;
	}
	for (i = 0; i < n; i++)
		json_array_append_new(v, net_plan_endpoint(&eps[i]));
	plan = json_pack("{s:s,s:s,s:o}", "run_dir", cfg->run_dir,
	    "container", container_id, "endpoints", v);
	text = json_text(plan);
	rc = file_write_replace(path, text, strlen(text), 0600, err);
	free(text);
	json_decref(plan);
	return rc < 0 ? sdc_error_wrap(err, "the network plan %s", path) : 0;
}

/* A dotted quad of obj[key] into *out; the error names the key. */
static int
net_plan_ip(const json_t *obj, const char *key, struct in_addr *out,
    sdc_error_t *err)
{
	const char *s;

	if (json_str_req(obj, key, &s, err) < 0)
		return -1;
	if (inet_pton(AF_INET, s, out) != 1)
		return sdc_make_error(err, 0, "%s: not an IPv4 address: '%s'",
		    key, s);
	return 0;
}

/* One endpoint of the plan into the library's terms: b, ports owned by
 * the caller (ports freed by it). */
static int
net_plan_parse_endpoint(const json_t *o, struct net_bridge *b,
    struct net_endpoint *ep, struct net_port **ports, sdc_error_t *err)
{
	const json_t *pv = json_object_get(o, "ports"), *p;
	unsigned m[6];
	const char *mac;
	size_t i;

	memset(b, 0, sizeof *b);
	memset(ep, 0, sizeof *ep);
	*ports = NULL;
	if (json_str_req(o, "network", &b->id, err) < 0 ||
	    net_plan_ip(o, "subnet", &b->subnet, err) < 0 ||
	    net_plan_ip(o, "gateway", &b->gateway, err) < 0 ||
	    json_str_req(o, "ifname", &ep->ifname, err) < 0 ||
	    net_plan_ip(o, "ip", &ep->ip, err) < 0 ||
	    json_str_req(o, "mac", &mac, err) < 0)
		return -1;
	b->prefix = (int)json_int(o, "prefix", 0);
	b->internal = json_bool(o, "internal", false);
	b->mtu = (int)json_int(o, "mtu", 0);	/* 0: absent, before VXLAN */
	if (sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x", &m[0], &m[1], &m[2], &m[3],
	    &m[4], &m[5]) != 6)
		return sdc_make_error(err, 0, "mac: not a MAC address: '%s'",
		    mac);
	for (i = 0; i < 6; i++)
		ep->mac[i] = (uint8_t)m[i];
	ep->bridge = b;
	ep->default_route = json_bool(o, "default_route", false);
	*ports = xcalloc(json_array_size(pv) + 1, sizeof **ports);
	json_array_foreach(pv, i, p) {
		struct net_port *q = &(*ports)[i];

		if (net_plan_ip(p, "host_ip", &q->host_ip, err) < 0)
			return -1;
		q->proto = strcmp(json_str(p, "proto", "tcp"), "udp") == 0 ?
		    IPPROTO_UDP : IPPROTO_TCP;
		q->host_port = (uint16_t)json_int(p, "host_port", 0);
		q->container_port = (uint16_t)json_int(p, "container_port", 0);
	}
	ep->ports = *ports;
	ep->nports = json_array_size(pv);
	return 0;
}

int
net_plan_apply(const char *path, pid_t pid, sdc_error_t *err)
{
	struct buf text = { NULL, 0, 0 };
	struct net_config cfg = { .run_dir = NULL };
	struct net_bridge *b = NULL;
	struct net_endpoint *ep = NULL;
	struct net_port **ports = NULL;
	const char *container;
	json_t *plan = NULL, *v, *o;
	char ns[64];
	size_t i, n = 0;
	int rc = -1;

	/* all of it read before anything is done */
	if (file_read(path, &text, 1 << 20, err) < 0 ||
	    (plan = json_parse(buf_str(&text), text.len, err)) == NULL ||
	    json_str_req(plan, "run_dir", &cfg.run_dir, err) < 0 ||
	    json_str_req(plan, "container", &container, err) < 0)
		goto bad;
	v = json_object_get(plan, "endpoints");
	n = json_array_size(v);
	b = xcalloc(n + 1, sizeof *b);
	ep = xcalloc(n + 1, sizeof *ep);
	ports = xcalloc(n + 1, sizeof *ports);
	json_array_foreach(v, i, o)
		if (net_plan_parse_endpoint(o, &b[i], &ep[i], &ports[i],
		    err) < 0)
			goto bad;
	snprintf(ns, sizeof ns, "/proc/%d/ns/net", (int)pid);
	if (net_sandbox_bind(&cfg, container, ns, err) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (net_endpoint_link(&cfg, container, &ep[i], err) < 0)
			goto out;
	rc = 0;
	goto out;
bad:
	sdc_error_wrap(err, "the network plan %s", path);
out:
	for (i = 0; i < n; i++)
		free(ports[i]);
	free(ports);
	free(ep);
	free(b);
	json_decref(plan);
	buf_free(&text);
	return rc;
}
