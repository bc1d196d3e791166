/*
 * container-net.c: a container on its networks, from create to rm.
 *
 * At create the network fields (HostConfig.NetworkMode, PortBindings,
 * PublishAllPorts, Links, Dns*, NetworkingConfig, Config.MacAddress) are
 * checked and resolved within the caller's account into a plan kept with
 * the container (extra "NetPlan"): which network, which ports, which
 * links.  Nothing of the network is made before the container starts, as
 * with Docker: addresses and published ports are held only while it
 * runs.  A start takes, in this order and all or nothing, the addresses
 * (networks.c), the host ports (a port another container or a host
 * process holds fails the start with Docker's error, leaving nothing),
 * the sandbox, each network's bridge and the endpoints, the names the
 * network's DNS answers, and writes /etc/hosts and /etc/resolv.conf in
 * the container's folder (bound in by the runtime).  An exit, a failed
 * start and rm undo it the same way.  The endpoints themselves are made
 * by the runtime's createRuntime hook (sdc-docker-nethook, named in the
 * config written at create) from a plan written in the container's
 * folder at each start: in the network namespace runc makes, inside the
 * container's user namespace, before the container's process starts.
 * --network container:<id> joins the other's sandbox by its path
 * (rt_spec.netns_path), fixed per container.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "buf.h"
#include "containers.h"
#include "dockerapi/net/net.h"
#include "dockerapi/runtime/container-layout.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "log.h"
#include "networks.h"
#include "node-net.h"
#include "node-states.h"
#include "strvec.h"
#include "xalloc.h"

#define PLAN(c) json_object_get((c)->extra, "NetPlan")

static const char *
plan_mode(const struct ctr *c)
{
	return json_str(PLAN(c), "Mode", "none");
}

/* --- create --- */

static int
cn_mac_valid(const char *s)
{
	unsigned b[6];
	char tail;

	return sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
	    &b[4], &b[5], &tail) == 6 && strlen(s) == 17 && !(b[0] & 1);
}

/* "80/tcp" → port and protocol. */
static int
cn_port_key(const char *key, unsigned *port, char proto[4], sdc_error_t *err)
{
	const char *p = "tcp";
	char *end;
	unsigned long n = strtoul(key, &end, 10);

	if (end == key || n == 0 || n > 65535 || (*end != '\0' && *end != '/'))
		return sdc_make_error_code(err, 400, "HostConfig.PortBindings "
		    "(-p): invalid port specification: \"%s\"", key);
	if (*end == '/')
		p = end + 1;
	if (strcmp(p, "tcp") != 0 && strcmp(p, "udp") != 0)
		return sdc_make_error_code(err, 400, "protocol %s of port %s is "
		    "not supported: tcp and udp only", p, key);
	*port = (unsigned)n;
	snprintf(proto, 4, "%s", p);
	return 0;
}

/* PortBindings and -P into [[proto, host ip, host port, container port]]. */
static int
cn_ports(json_t *config, const json_t *hc, const json_t *img, json_t *out,
    sdc_error_t *err)
{
	json_t *exposed = json_object_get(config, "ExposedPorts"), *b, *v;
	const char *key, *hip, *hport;
	char proto[4], *end;
	unsigned port;
	uint32_t ip;
	long hp;
	size_t i;

	if (!json_is_object(exposed)) {
		exposed = json_object();
		json_object_set_new(config, "ExposedPorts", exposed);
	}
	json_object_foreach((json_t *)json_object_get(img, "ExposedPorts"), key, v)
		if (json_object_get(exposed, key) == NULL)
			json_object_set_new(exposed, key, json_object());
	json_object_foreach((json_t *)json_object_get(hc, "PortBindings"), key,
	    b) {
		if (cn_port_key(key, &port, proto, err) < 0)
			return -1;
		if (json_object_get(exposed, key) == NULL)
			json_object_set_new(exposed, key, json_object());
		json_array_foreach(b, i, v) {
			hip = json_str(v, "HostIp", "");
			hport = json_str(v, "HostPort", "");
			ip = 0;
			if (*hip != '\0' && net_ip_parse(hip, &ip) < 0)
				return sdc_make_error_code(err, 400, "invalid host "
				    "IP %s for port %s: an IPv4 address is needed",
				    hip, key);
			hp = 0;
			if (*hport != '\0') {
				hp = strtol(hport, &end, 10);
				if (*end != '\0' || hp <= 0 || hp > 65535)
					return sdc_make_error_code(err, 400,
					    "HostConfig.PortBindings (-p): "
					    "invalid host port \"%s\" for %s: one "
					    "port (1-65535), ranges are not "
					    "supported", hport, key);
			}
			json_array_append_new(out, json_pack("[s,s,i,i]", proto,
			    *hip != '\0' ? hip : "0.0.0.0", (int)hp, (int)port));
		}
	}
	if (!json_bool(hc, "PublishAllPorts", false))
		return 0;
	json_object_foreach(exposed, key, v) {
		if (cn_port_key(key, &port, proto, err) < 0)
			return -1;
		if (json_object_get(json_object_get(hc, "PortBindings"), key) ==
		    NULL)
			json_array_append_new(out, json_pack("[s,s,i,i]", proto,
			    "0.0.0.0", 0, (int)port));
	}
	return 0;
}

static int
cn_dns(const json_t *hc, sdc_error_t *err)
{
	json_t *v;
	uint32_t ip;
	size_t i;

	json_array_foreach(json_object_get(hc, "Dns"), i, v)
		if (net_ip_parse(json_string_value(v), &ip) < 0)
			return sdc_make_error_code(err, 400, "HostConfig.Dns "
			    "(--dns): %s is not an IPv4 address",
			    json_string_value(v) ?: "(not a string)");
	json_array_foreach(json_object_get(hc, "DnsSearch"), i, v)
		if (!json_is_string(v) || strpbrk(json_string_value(v),
		    " \t\n") != NULL)
			return sdc_make_error_code(err, 400, "HostConfig."
			    "DnsSearch (--dns-search): invalid domain");
	json_array_foreach(json_object_get(hc, "DnsOptions"), i, v)
		if (!json_is_string(v) || strpbrk(json_string_value(v),
		    " \t\n") != NULL)
			return sdc_make_error_code(err, 400, "HostConfig."
			    "DnsOptions (--dns-option): invalid option");
	return 0;
}

/* Links: "name[:alias]" of the account's containers. */
static int
cn_links(struct containers *cs, const char *account, const json_t *hc,
    json_t *out, sdc_error_t *err)
{
	char name[256];
	const char *s, *colon, *alias;
	struct ctr *o;
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(hc, "Links"), i, v) {
		s = json_string_value(v);
		if (s == NULL)
			return sdc_make_error_code(err, 400, "HostConfig.Links: "
			    "strings are needed");
		colon = strchr(s, ':');
		snprintf(name, sizeof name, "%.*s", colon != NULL ?
		    (int)(colon - s) : (int)strlen(s), s[0] == '/' ? s + 1 : s);
		if (colon != NULL && s[0] == '/' && strchr(s, ':') != NULL)
			snprintf(name, sizeof name, "%.*s", (int)(colon - s - 1),
			    s + 1);
		alias = colon != NULL ? colon + 1 : name;
		if (strrchr(alias, '/') != NULL)
			alias = strrchr(alias, '/') + 1;
		if ((o = ctr_find(cs, account, name, err)) == NULL) {
			sdc_error_release(err);
			return sdc_make_error_code(err, 400, "HostConfig.Links "
			    "(--link): Could not get container for %s", name);
		}
		json_array_append_new(out, json_pack("[s,s]", o->id, alias));
	}
	return 0;
}

int
ctrnet_check(struct containers *cs, struct ctr *c, json_t *body,
    const json_t *img, sdc_error_t *err)
{
	json_t *hc = json_object_get(body, "HostConfig"), *eps, *ep = NULL,
	    *plan, *ports = json_array(), *links = json_array(), *v;
	const char *mode = json_str(hc, "NetworkMode", ""), *key, *ip, *mac;
	struct network n = { 0 };
	struct ctr *o;
	uint32_t want = 0;
	int rc;

	eps = json_object_get(json_object_get(body, "NetworkingConfig"),
	    "EndpointsConfig");
	plan = json_object();
	json_object_set_new(plan, "Ports", ports);
	json_object_set_new(plan, "Links", links);
	if (*mode == '\0' || strcmp(mode, "default") == 0)
		mode = NETWORK_DEFAULT_NAME;
	if (strcmp(mode, "host") == 0) {
		json_decref(plan);
		return sdc_make_error_code(err, 400, "HostConfig.NetworkMode "
		    "(--network host): not supported: a container must not "
		    "share the host's network; publish ports with -p instead");
	}
	if (json_object_size(eps) > 1) {
		json_decref(plan);
		return sdc_make_error_code(err, 400, "Container cannot be "
		    "connected to network endpoints: create it on one network, "
		    "then use docker network connect");
	}
	json_object_foreach(eps, key, v) {
		if (strcmp(key, mode) != 0 && !(strcmp(mode,
		    NETWORK_DEFAULT_NAME) == 0 && strcmp(key, "default") == 0)) {
			json_decref(plan);
			return sdc_make_error_code(err, 400, "NetworkingConfig."
			    "EndpointsConfig names network %s but NetworkMode is "
			    "%s", key, mode);
		}
		ep = v;
	}
	if (cn_dns(hc, err) < 0 || cn_ports(body, hc, img, ports, err) < 0 ||
	    cn_links(cs, c->account, hc, links, err) < 0) {
		json_decref(plan);
		return -1;
	}
	if (strcmp(mode, "none") == 0 || strncmp(mode, "container:", 10) == 0) {
		if (json_array_size(ports) > 0 || json_array_size(links) > 0 ||
		    json_array_size(json_object_get(ep, "Aliases")) > 0 ||
		    *json_str(json_object_get(ep, "IPAMConfig"), "IPv4Address",
		    "") != '\0' || *json_str(ep, "MacAddress", "") != '\0' ||
		    *json_str(body, "MacAddress", "") != '\0') {
			json_decref(plan);
			return sdc_make_error_code(err, 400, "conflicting options: "
			    "port publishing, links, endpoint settings and "
			    "--mac-address need a network, not --network %s",
			    mode);
		}
	}
	if (strcmp(mode, "none") == 0) {
		json_object_set_new(plan, "Mode", json_string("none"));
		json_object_set_new(c->extra, "NetPlan", plan);
		return 0;
	}
	if (strncmp(mode, "container:", 10) == 0) {
		const char *k;

		json_object_foreach(json_object_get(hc, "Sysctls"), k, v)
			if (strncmp(k, "net.", 4) == 0) {
				json_decref(plan);
				return sdc_make_error_code(err, 400, "HostConfig."
				    "Sysctls (--sysctl): %s is not allowed with "
				    "--network %s: that network is the other "
				    "container's", k, mode);
			}
		if ((o = ctr_find(cs, c->account, mode + 10, err)) == NULL) {
			json_decref(plan);
			if (*err != NULL && (*err)->code == 404)
				(*err)->code = 400;
			return sdc_error_wrap(err, "--network %s", mode);
		}
		json_object_set_new(plan, "Mode", json_string("container"));
		json_object_set_new(plan, "Container", json_string(o->id));
		json_object_set_new(hc, "NetworkMode", json_sprintf("container:%s",
		    o->id));
		json_object_set_new(c->extra, "NetPlan", plan);
		return 0;
	}
	if (network_find(cs->d, c->account, mode, &n, err) < 0) {
		json_decref(plan);
		/* not a 404: the docker CLI would take it for a missing image */
		if (*err != NULL && (*err)->code == 404)
			(*err)->code = 400;
		return -1;
	}
	ip = json_str(json_object_get(ep, "IPAMConfig"), "IPv4Address", "");
	mac = json_str(ep, "MacAddress", "");
	if (*mac == '\0')
		mac = json_str(body, "MacAddress", "");
	/* the CLI sends --link on a user network as the endpoint's links */
	if (json_array_size(json_object_get(ep, "Links")) > 0) {
		json_t *hcl = json_pack("{s:O}", "Links", json_object_get(ep,
		    "Links"));

		rc = cn_links(cs, c->account, hcl, links, err);
		json_decref(hcl);
		if (rc < 0) {
			network_clear(&n);
			json_decref(plan);
			return -1;
		}
	}
	if (*json_str(json_object_get(ep, "IPAMConfig"), "IPv6Address", "") !=
	    '\0' || json_object_size(json_object_get(ep, "DriverOpts")) > 0) {
		network_clear(&n);
		json_decref(plan);
		return sdc_make_error_code(err, 400, "NetworkingConfig: IPv6 "
		    "addresses and driver options are not supported");
	}
	if (*ip != '\0' && (n.is_default || net_ip_parse(ip, &want) < 0)) {
		network_clear(&n);
		json_decref(plan);
		if (want == 0 && *ip != '\0' && !n.is_default)
			return sdc_make_error_code(err, 400, "invalid IPv4 "
			    "address %s", ip);
		return sdc_make_error_code(err, 400, "user specified IP address "
		    "is supported on user defined networks only");
	}
	if (*mac != '\0' && !cn_mac_valid(mac)) {
		network_clear(&n);
		json_decref(plan);
		return sdc_make_error_code(err, 400, "Config.MacAddress "
		    "(--mac-address): invalid MAC address %s: "
		    "six unicast hex pairs such as 02:42:0a:00:00:05", mac);
	}
	json_object_set_new(plan, "Mode", json_string("network"));
	json_object_set_new(plan, "Network", json_string(n.id));
	json_object_set_new(plan, "IP", json_string(ip));
	json_object_set_new(plan, "Mac", json_string(mac));
	if (json_is_array(json_object_get(ep, "Aliases")))
		json_object_set(plan, "Aliases", json_object_get(ep, "Aliases"));
	else
		json_object_set_new(plan, "Aliases", json_array());
	json_object_set_new(hc, "NetworkMode", json_string(
	    n.is_default ? "default" : n.name));
	network_clear(&n);
	json_object_set_new(c->extra, "NetPlan", plan);
	return 0;
}

#define CN_PLAN_FILE RT_FILE_NETPLAN
#define CN_HOOK_NAME "sdc-docker-nethook"

static char *cn_path(struct containers *cs, const struct ctr *c,
    const char *file);
static int cn_plan(struct containers *cs, struct ctr *c, sdc_error_t *err);

char **
ctrnet_hook(struct containers *cs, const struct ctr *c)
{
	char **argv;

	if (strcmp(plan_mode(c), "network") != 0)
		return NULL;
	argv = xcalloc(3, sizeof *argv);
	argv[0] = rt_binary_path(CN_HOOK_NAME);
	argv[1] = cn_path(cs, c, CN_PLAN_FILE);
	return argv;
}

char *
ctrnet_netns_path(struct containers *cs, const struct ctr *c)
{
	if (strcmp(plan_mode(c), "container") == 0)
		return netwire_netns_path(cs->d, json_str(PLAN(c), "Container",
		    ""));
	return NULL;
}

int
ctrnet_created(struct containers *cs, struct ctr *c, sdc_error_t *err)
{
	json_t *plan = PLAN(c);
	struct network n;
	uint32_t want = 0;
	int rc;

	if (strcmp(plan_mode(c), "network") != 0)
		return 0;
	if (network_find(cs->d, c->account, json_str(plan, "Network", ""), &n,
	    err) < 0)
		return -1;
	net_ip_parse(json_str(plan, "IP", ""), &want);
	rc = netep_add(cs->d, &n, c->id, c->name, json_object_get(plan,
	    "Aliases"), want, json_str(plan, "Mac", ""), err);
	network_clear(&n);
	return rc;
}

/* --- names --- */

/* The network's whole name table, from the endpoints that hold an
 * address: container name, aliases, short id. */
static void
cn_dns_update(struct containers *cs, const struct network *n)
{
	struct netep *eps = NULL;
	struct netwire_name *v;
	size_t neps = 0, i, k, m = 0;
	const char ***names;
	sdc_error_t err = NULL;
	struct ctr *c;
	char (*shorts)[13];
	uint32_t **servers;

	if (neteps_list(cs->d, NULL, n->id, &eps, &neps, &err) < 0) {
		log_warn("network %s: names: %s", n->id, sdc_error_msg(err));
		sdc_error_release(&err);
		return;
	}
	v = xcalloc(neps + 1, sizeof *v);
	names = xcalloc(neps + 1, sizeof *names);
	shorts = xcalloc(neps + 1, sizeof *shorts);
	servers = xcalloc(neps + 1, sizeof *servers);
	for (i = 0; i < neps; i++) {
		if (eps[i].ip == 0 ||
		    (c = ctr_find(cs, n->account, eps[i].container, &err)) == NULL) {
			sdc_error_release(&err);
			continue;
		}
		if (!nodenet_here(cs, c))
			continue;	/* its node's agent names it there */
		names[m] = xcalloc(json_array_size(eps[i].aliases) + 3,
		    sizeof **names);
		k = 0;
		net_dns_name_add(names[m], &k, c->name);
		for (size_t a = 0; a < json_array_size(eps[i].aliases); a++)
			net_dns_name_add(names[m], &k, json_string_value(
			    json_array_get(eps[i].aliases, a)));
		snprintf(shorts[m], sizeof shorts[m], "%.12s", c->id);
		names[m][k++] = shorts[m];
		v[m].container = c->id;
		v[m].ip = eps[i].ip;
		v[m].names = names[m];
		/* --dns: the server forwards its other names there, as
		 * Docker's embedded server does (cn_resolv names only it) */
		servers[m] = xcalloc(json_array_size(json_object_get(
		    c->host_config, "Dns")) + 1, sizeof **servers);
		for (size_t a = 0; a < json_array_size(json_object_get(
		    c->host_config, "Dns")); a++)
			if (net_ip_parse(json_string_value(json_array_get(
			    json_object_get(c->host_config, "Dns"), a)),
			    &servers[m][v[m].nservers]) == 0)
				v[m].nservers++;
		v[m].servers = servers[m];
		m++;
	}
	if (netwire_dns(cs->d, n, v, m, &err) < 0) {
		log_warn("network %s: names: %s", n->id, sdc_error_msg(err));
		sdc_error_release(&err);
	}
	for (i = 0; i < m; i++) {
		free(names[i]);
		free(servers[i]);
	}
	free(names);
	free(servers);
	free(shorts);
	free(v);
	neteps_free(eps, neps);
}

/* --- files --- */

static char *
cn_path(struct containers *cs, const struct ctr *c, const char *file)
{
	char *p;

	xasprintf(&p, "%s/%s/%s", cs->zones, c->uuid, file);
	return p;
}

/* The file in the container's folder, or, for a start its node's agent
 * plumbs (node-net.c), into files for the agent to write there. */
static json_t *cn_files;

static int
cn_write(struct containers *cs, const struct ctr *c, const char *file,
    const struct buf *b, sdc_error_t *err)
{
	char *p;
	int rc;

	if (cn_files != NULL) {
		json_object_set_new(cn_files, file, json_stringn(b->data != NULL ?
		    b->data : "", b->len));
		return 0;
	}
	p = cn_path(cs, c, file);
	rc = file_write_replace(p, b->data != NULL ? b->data : "", b->len,
	    0644, err);
	free(p);
	return rc;
}

/* The host's resolvers but loopback ones (which mean nothing inside). */
static void
cn_host_resolvers(struct buf *out)
{
	struct buf b = BUF_INIT;
	sdc_error_t err = NULL;
	char *line, *save = NULL, *text;

	if (file_read("/etc/resolv.conf", &b, 65536, &err) < 0) {
		sdc_error_release(&err);
		buf_free(&b);
		return;
	}
	text = xstrndup(b.data != NULL ? b.data : "", b.len);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "nameserver", 10) == 0 &&
		    strstr(line, "127.") == NULL && strstr(line, "::1") == NULL)
			buf_printf(out, "%s\n", line);
	free(text);
	buf_free(&b);
}

static int
cn_resolv(struct containers *cs, const struct ctr *c, uint32_t dns,
    sdc_error_t *err)
{
	struct buf b = BUF_INIT;
	const json_t *hc = c->host_config;
	char ip[16];
	json_t *v;
	size_t i;
	int rc;

	/* on a network, its name server alone, which forwards to --dns's
	 * (cn_dns_update), as Docker's embedded server on its networks */
	if (dns != 0) {
		net_ip_str(dns, ip);
		buf_printf(&b, "nameserver %s\n", ip);
	} else
		json_array_foreach(json_object_get(hc, "Dns"), i, v)
			buf_printf(&b, "nameserver %s\n",
			    json_string_value(v));
	if (dns == 0 && json_array_size(json_object_get(hc, "Dns")) == 0)
		cn_host_resolvers(&b);
	if (json_array_size(json_object_get(hc, "DnsSearch")) > 0) {
		buf_puts(&b, "search");
		json_array_foreach(json_object_get(hc, "DnsSearch"), i, v)
			buf_printf(&b, " %s", json_string_value(v));
		buf_puts(&b, "\n");
	}
	if (json_array_size(json_object_get(hc, "DnsOptions")) > 0) {
		buf_puts(&b, "options");
		json_array_foreach(json_object_get(hc, "DnsOptions"), i, v)
			buf_printf(&b, " %s", json_string_value(v));
		buf_puts(&b, "\n");
	}
	rc = cn_write(cs, c, RT_FILE_RESOLV, &b, err);
	buf_free(&b);
	return rc;
}

/* The container's first address on any network, 0 if none. */
static uint32_t
cn_first_ip(struct containers *cs, const char *container)
{
	struct netep *eps;
	size_t n = 0, i;
	sdc_error_t err = NULL;
	uint32_t ip = 0;

	if (neteps_list(cs->d, container, NULL, &eps, &n, &err) < 0) {
		sdc_error_release(&err);
		return 0;
	}
	for (i = 0; i < n && ip == 0; i++)
		ip = eps[i].ip;
	neteps_free(eps, n);
	return ip;
}

/* Docker's /etc/hosts: loopback, --add-host, links, then itself. */
static int
cn_hosts(struct containers *cs, const struct ctr *c, uint32_t self,
    sdc_error_t *err)
{
	struct buf b = BUF_INIT;
	const char *host = json_str(c->config, "Hostname", ""), *s;
	json_t *v;
	struct ctr *o;
	sdc_error_t ignored = NULL;
	char ip[16];
	size_t i, n;
	int rc;

	buf_puts(&b, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
	    "ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\n"
	    "ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n");
	json_array_foreach(json_object_get(c->host_config, "ExtraHosts"), i, v) {
		s = json_string_value(v) ?: "";
		n = strcspn(s, ":=");
		if (s[n] != '\0')
			buf_printf(&b, "%s\t%.*s\n", s + n + 1, (int)n, s);
	}
	json_array_foreach(json_object_get(PLAN(c), "Links"), i, v) {
		o = ctr_find(cs, c->account, json_string_value(json_array_get(v,
		    0)) ?: "", &ignored);
		sdc_error_release(&ignored);
		if (o == NULL || !ctr_running(o))
			continue;
		net_ip_str(cn_first_ip(cs, o->id), ip);
		buf_printf(&b, "%s\t%s %.12s %s\n", ip, json_string_value(
		    json_array_get(v, 1)), o->id, o->name);
	}
	if (self != 0) {
		net_ip_str(self, ip);
		buf_printf(&b, "%s\t%s\n", ip, host);
	}
	rc = cn_write(cs, c, RT_FILE_HOSTS, &b, err);
	buf_free(&b);
	return rc;
}

/* --- start and stop --- */

static int
cn_ports_of_plan(const struct ctr *c, struct netport **out, size_t *n)
{
	json_t *ports = json_object_get(PLAN(c), "Ports"), *p;
	size_t i;

	*n = json_array_size(ports);
	*out = xcalloc(*n + 1, sizeof **out);
	json_array_foreach(ports, i, p) {
		snprintf((*out)[i].proto, sizeof (*out)[i].proto, "%s",
		    json_string_value(json_array_get(p, 0)) ?: "tcp");
		net_ip_parse(json_string_value(json_array_get(p, 1)),
		    &(*out)[i].host_ip);
		(*out)[i].host_port = (uint16_t)json_integer_value(
		    json_array_get(p, 2));
		(*out)[i].container_port = (uint16_t)json_integer_value(
		    json_array_get(p, 3));
	}
	return 0;
}

/* The networks of the container's endpoints, in the endpoints' order. */
static int
cn_networks(struct containers *cs, const struct ctr *c, struct netep *eps,
    size_t neps, struct network **nets, sdc_error_t *err)
{
	size_t i;

	*nets = xcalloc(neps + 1, sizeof **nets);
	for (i = 0; i < neps; i++)
		if (network_find(cs->d, c->account, eps[i].network, &(*nets)[i],
		    err) < 0) {
			networks_free(*nets, i);
			*nets = NULL;
			return -1;
		}
	return 0;
}

static int
cn_container_mode(struct containers *cs, struct ctr *c, sdc_error_t *err)
{
	const char *id = json_str(PLAN(c), "Container", "");
	struct ctr *o = ctr_find(cs, c->account, id, err);
	struct buf b = BUF_INIT;
	char *p;
	int rc;

	if (o == NULL || !ctr_running(o)) {
		sdc_error_release(err);
		return sdc_make_error_code(err, 409, "cannot join network of a "
		    "non running container: %s", id);
	}
	/* the other's names and resolvers, as Docker shares them */
	p = cn_path(cs, o, RT_FILE_RESOLV);
	rc = file_read(p, &b, 65536, err);
	free(p);
	if (rc == 0)
		rc = cn_write(cs, c, RT_FILE_RESOLV, &b, err);
	buf_reset(&b);
	if (rc == 0) {
		p = cn_path(cs, o, RT_FILE_HOSTS);
		rc = file_read(p, &b, 65536, err);
		free(p);
	}
	if (rc == 0)
		rc = cn_write(cs, c, RT_FILE_HOSTS, &b, err);
	buf_free(&b);
	return rc;
}

static int cn_start(struct containers *cs, struct ctr *c, json_t **node_doc,
    sdc_error_t *err);

int
ctrnet_start(struct containers *cs, struct ctr *c, sdc_error_t *err)
{
	return cn_start(cs, c, NULL, err);
}

/* The same, the kernel's part left to the node's agent: *node_doc, the
 * start's "Network" (node-net.c), carries the store's settlement and the
 * files; for --network container:, the other's id, whose files the
 * agent copies. */
int
ctrnet_start_node(struct containers *cs, struct ctr *c, json_t **node_doc,
    sdc_error_t *err)
{
	json_t *files;
	int rc;

	*node_doc = NULL;
	if (strcmp(plan_mode(c), "container") == 0) {
		const char *id = json_str(PLAN(c), "Container", "");
		struct ctr *o = ctr_find(cs, c->account, id, err);

		if (o == NULL || !ctr_running(o)) {
			sdc_error_release(err);
			return sdc_make_error_code(err, 409, "cannot join network "
			    "of a non running container: %s", id);
		}
		*node_doc = nodenet_doc_joined(c, o);
		return 0;
	}
	files = json_object();
	cn_files = files;
	rc = cn_start(cs, c, node_doc, err);
	cn_files = NULL;
	if (rc == 0 && (*node_doc = nodenet_doc(cs, c, files, err)) == NULL) {
		ctrnet_stop(cs, c);
		rc = -1;
	}
	json_decref(files);
	return rc;
}

static int
cn_start(struct containers *cs, struct ctr *c, json_t **node_doc,
    sdc_error_t *err)
{
	const char *mode = plan_mode(c);
	struct netep *eps = NULL;
	struct network *nets = NULL;
	struct netport *ports = NULL;
	size_t neps = 0, nports = 0, i, pub = (size_t)-1;
	int rc = -1;

	/* no network on another node, plumbed by the head (no start
	 * document to carry files): the files its create made stand; a
	 * start through the agent sends them (its document needs them) */
	if (strcmp(mode, "none") == 0 && node_doc == NULL &&
	    node_states_remote(cs->d, c))
		return 0;
	if (strcmp(mode, "none") == 0)
		return cn_resolv(cs, c, 0, err) < 0 || cn_hosts(cs, c, 0, err) < 0 ?
		    -1 : 0;
	if (strcmp(mode, "container") == 0)
		return cn_container_mode(cs, c, err);
	if (neteps_list(cs->d, c->id, NULL, &eps, &neps, err) < 0 ||
	    cn_networks(cs, c, eps, neps, &nets, err) < 0)
		goto out;
	/* every lease in one commit, not waited to disk: leases are the
	 * state of a running container, which a crash of the machine ends
	 * too, and the recovery releases those of a stopped one */
	if (store_begin_lazy(cs->d->store, err) < 0)
		goto out;
	for (i = 0; i < neps; i++) {
		/* a start names them in order, here and on a node */
		snprintf(eps[i].ifname, sizeof eps[i].ifname, "eth%d", (int)i);
		if (netep_lease(cs->d, &nets[i], &eps[i], err) < 0) {
			store_rollback(cs->d->store);
			goto undo;
		}
		if (!nets[i].internal && pub == (size_t)-1)
			pub = i;
	}
	if (store_commit(cs->d->store, err) < 0) {
		store_rollback(cs->d->store);
		goto undo;
	}
	cn_ports_of_plan(c, &ports, &nports);
	if (nports > 0 && pub == (size_t)-1) {
		sdc_make_error_code(err, 400, "ports cannot be published from "
		    "internal networks only");
		goto undo;
	}
	if (netports_bind(cs->d, c->account, c->id, ports, nports, err) < 0) {
		if (*err != NULL && (*err)->code == 500)
			sdc_error_wrap(err, "driver failed programming external "
			    "connectivity on endpoint %s (%s)", c->name,
			    pub != (size_t)-1 ? eps[pub].endpoint_id : "");
		goto undo;
	}
	if (cn_resolv(cs, c, neps > 0 ? nets[0].gateway : 0, err) < 0 ||
	    cn_hosts(cs, c, neps > 0 ? eps[0].ip : 0, err) < 0 ||
	    (node_doc == NULL && cn_plan(cs, c, err) < 0))
		goto undo;
	rc = 0;
	goto out;
undo:
	ctrnet_stop(cs, c);
out:
	free(ports);
	neteps_free(eps, neps);
	if (nets != NULL)
		networks_free(nets, neps);
	return rc;
}

/* The endpoints as the store holds them once leased: the plan the hook
 * applies, each network's bridge, then the names (queued here, applied
 * off the loop; the start's thread waits for them before the process
 * starts, ctrnet_names_wait: aardvark-dns 1.4 answers nothing for a few
 * ms after a reload).
 * With apply, attached here instead (a container created before the hook
 * existed: its config names none). */
static int
cn_plan_or_attach(struct containers *cs, struct ctr *c, bool apply,
    sdc_error_t *err)
{
	struct netep *eps = NULL;
	struct network *nets = NULL;
	struct netport *ports = NULL;
	size_t neps = 0, np = 0, i, pub = (size_t)-1;
	char *path = NULL;
	int rc = -1;

	if (neteps_list(cs->d, c->id, NULL, &eps, &neps, err) < 0 ||
	    cn_networks(cs, c, eps, neps, &nets, err) < 0 ||
	    netports_list(cs->d, c->id, &ports, &np, err) < 0)
		goto out;
	for (i = 0; i < neps; i++)
		if (!nets[i].internal && pub == (size_t)-1)
			pub = i;
	if (!apply) {
		path = cn_path(cs, c, CN_PLAN_FILE);
		if (netwire_plan(cs->d, path, c->id, nets, eps, neps, pub,
		    ports, np, err) < 0)
			goto out;
	} else
		for (i = 0; i < neps; i++)
			if (netwire_attach(cs->d, c->id, &nets[i], &eps[i],
			    (int)i, i == pub, i == pub ? ports : NULL,
			    i == pub ? np : 0, err) < 0)
				goto out;
	for (i = 0; i < neps; i++)
		cn_dns_update(cs, &nets[i]);
	rc = 0;
out:
	free(path);
	free(ports);
	neteps_free(eps, neps);
	if (nets != NULL)
		networks_free(nets, neps);
	return rc;
}

static int
cn_plan(struct containers *cs, struct ctr *c, sdc_error_t *err)
{
	return cn_plan_or_attach(cs, c, false, err);
}

void
ctrnet_named_networks(struct containers *cs, const struct ctr *c,
    struct strvec *ids)
{
	struct netep *eps = NULL;
	size_t neps = 0, i;
	sdc_error_t err = NULL;

	if (strcmp(plan_mode(c), "network") != 0 || !nodenet_here(cs, c))
		return;
	if (neteps_list(cs->d, c->id, NULL, &eps, &neps, &err) < 0) {
		log_warn("container %s: its networks' names: %s", c->id,
		    sdc_error_msg(err));
		sdc_error_release(&err);
		return;
	}
	for (i = 0; i < neps; i++)
		if (eps[i].ip != 0)
			strvec_push(ids, eps[i].network);
	neteps_free(eps, neps);
}

void
ctrnet_names_wait(struct containers *cs, const struct ctr *c,
    struct net_dns_wait *w)
{
	struct strvec ids = STRVEC_INIT;

	ctrnet_named_networks(cs, c, &ids);
	for (size_t i = 0; i < ids.n; i++)
		netwire_dns_wait_add(cs->d, w, ids.v[i]);
	strvec_clear(&ids);
}

void
ctrnet_renamed(struct containers *cs, const struct ctr *c,
    struct net_dns_wait *w)
{
	struct strvec ids = STRVEC_INIT;
	struct network n;
	sdc_error_t err = NULL;

	if (ctr_running(c))
		ctrnet_named_networks(cs, c, &ids);
	for (size_t i = 0; i < ids.n; i++) {
		if (network_find(cs->d, c->account, ids.v[i], &n, &err) < 0) {
			sdc_error_release(&err);
			continue;
		}
		cn_dns_update(cs, &n);
		network_clear(&n);
		netwire_dns_wait_add(cs->d, w, ids.v[i]);
	}
	strvec_clear(&ids);
}

int
ctrnet_started(struct containers *cs, struct ctr *c, pid_t pid,
    sdc_error_t *err)
{
	if (strcmp(plan_mode(c), "network") != 0 ||
	    netwire_sandbox_exists(cs->d, c->id))
		return 0;	/* the hook attached it */
	if (netwire_sandbox(cs->d, c->id, pid, err) < 0)
		return -1;
	return cn_plan_or_attach(cs, c, true, err);
}

void
ctrnet_stop(struct containers *cs, struct ctr *c)
{
	struct netep *eps = NULL;
	struct netport *ports = NULL;
	struct network n;
	size_t neps = 0, np = 0, i;
	sdc_error_t err = NULL;
	bool here;

	if (strcmp(plan_mode(c), "network") != 0)
		return;
	/* plumbed by its node's agent, which takes it down at the exit it
	 * sees (node-net.c): the store's part alone here */
	here = nodenet_here(cs, c);
	if (here && netports_list(cs->d, c->id, &ports, &np, &err) < 0) {
		log_warn("container %s: its ports: %s", c->id,
		    sdc_error_msg(err));
		sdc_error_release(&err);
		np = 1;	/* look in the kernel */
	}
	free(ports);
	if (here && netwire_destroy(cs->d, c->id, np > 0, &err) < 0) {
		log_warn("container %s: its sandbox: %s", c->id,
		    sdc_error_msg(err));
		sdc_error_release(&err);
	}
	/* not waited to disk, as the leases were (ctrnet_start) */
	if (store_begin_lazy(cs->d->store, &err) < 0 ||
	    netports_release(cs->d, c->id, &err) < 0 ||
	    neteps_list(cs->d, c->id, NULL, &eps, &neps, &err) < 0 ||
	    netep_release(cs->d, c->id, NULL, &err) < 0 ||
	    store_commit(cs->d->store, &err) < 0) {
		store_rollback(cs->d->store);
		log_warn("container %s: releasing its ports and addresses: %s",
		    c->id, sdc_error_msg(err));
		sdc_error_release(&err);
	}
	for (i = 0; here && i < neps; i++) {
		if (eps[i].ip == 0)
			continue;
		if (network_find(cs->d, c->account, eps[i].network, &n,
		    &err) < 0) {
			sdc_error_release(&err);
			continue;
		}
		cn_dns_update(cs, &n);
		network_clear(&n);
	}
	neteps_free(eps, neps);
}

void
ctrnet_removed(struct containers *cs, struct ctr *c)
{
	sdc_error_t err = NULL;

	ctrnet_stop(cs, c);
	/* one commit, made durable by the removal of the container's row
	 * that follows at once (containers.c): the log is written in order */
	if (store_begin_lazy(cs->d->store, &err) < 0 ||
	    netep_remove(cs->d, c->id, NULL, &err) < 0 ||
	    netports_release(cs->d, c->id, &err) < 0 ||
	    store_commit(cs->d->store, &err) < 0) {
		store_rollback(cs->d->store);
		log_warn("container %s: its endpoints: %s", c->id,
		    sdc_error_msg(err));
		sdc_error_release(&err);
	}
}

/* --- connect, disconnect --- */

/* The checks of a connect and the endpoint's row. */
static int
cn_connect_row(struct containers *cs, struct ctr *c, const struct network *n,
    const json_t *epcfg, sdc_error_t *err)
{
	const char *ip = json_str(json_object_get(epcfg, "IPAMConfig"),
	    "IPv4Address", "");
	uint32_t want = 0;

	if (strcmp(plan_mode(c), "network") != 0)
		return sdc_make_error_code(err, 400, "container %s has "
		    "--network %s: it cannot join networks", c->name,
		    plan_mode(c));
	if (*ip != '\0' && (n->is_default || net_ip_parse(ip, &want) < 0))
		return sdc_make_error_code(err, 400, n->is_default ? "user "
		    "specified IP address is supported on user defined networks "
		    "only" : "invalid IPv4 address %s", ip);
	return netep_add(cs->d, n, c->id, c->name, json_object_get(epcfg,
	    "Aliases"), want, json_str(epcfg, "MacAddress", ""), err);
}

bool
ctrnet_on_node(struct containers *cs, const struct ctr *c)
{
	return ctr_running(c) && !nodenet_here(cs, c);
}

/* The endpoint a connect's row made for c on n, named the lowest ethN
 * free (as Docker: a disconnect leaves a gap) and its address leased:
 * *ep within *eps (the caller's to free), its index returned; -1 with
 * err. */
static int
cn_connect_lease(struct containers *cs, const struct ctr *c,
    const struct network *n, struct netep **eps, size_t *neps,
    struct netep **ep, sdc_error_t *err)
{
	int index;

	*ep = NULL;
	if (neteps_list(cs->d, c->id, NULL, eps, neps, err) < 0)
		return -1;
	for (size_t i = 0; i < *neps; i++)
		if (strcmp((*eps)[i].network, n->id) == 0)
			*ep = &(*eps)[i];
	if (*ep == NULL)
		return sdc_make_error_code(err, 500, "container %s: its "
		    "endpoint on network %.12s is gone", c->id, n->id);
	index = netep_free_ifname(*eps, *neps, n->id);
	snprintf((*ep)->ifname, sizeof (*ep)->ifname, "eth%d", index);
	if (netep_lease(cs->d, n, *ep, err) < 0)
		return -1;
	return index;
}

int
ctrnet_connect(struct containers *cs, struct ctr *c, const struct network *n,
    const json_t *epcfg, sdc_error_t *err)
{
	struct netep *eps = NULL, *ep = NULL;
	size_t neps = 0;
	int index;

	if (ctrnet_on_node(cs, c))	/* node-connect.c's */
		return sdc_make_error_code(err, 500, "container %s runs on a "
		    "compute node: its agent connects it", c->name);
	if (cn_connect_row(cs, c, n, epcfg, err) < 0)
		return -1;
	if (!ctr_running(c))
		return 0;
	if ((index = cn_connect_lease(cs, c, n, &eps, &neps, &ep, err)) < 0 ||
	    netwire_attach(cs->d, c->id, n, ep, index, false, NULL, 0, err) < 0) {
		neteps_free(eps, neps);
		ctrnet_connect_undo(cs, c, n->id);
		return -1;
	}
	neteps_free(eps, neps);
	cn_dns_update(cs, n);
	return 0;
}

int
ctrnet_disconnect(struct containers *cs, struct ctr *c,
    const struct network *n, sdc_error_t *err)
{
	struct netep *eps = NULL;
	size_t neps = 0, i;
	bool on = false;

	if (neteps_list(cs->d, c->id, NULL, &eps, &neps, err) < 0)
		return -1;
	for (i = 0; i < neps; i++)
		on |= strcmp(eps[i].network, n->id) == 0;
	neteps_free(eps, neps);
	if (!on)
		return sdc_make_error_code(err, 403, "container %s is not "
		    "connected to network %s", c->id, n->name);
	if (ctrnet_on_node(cs, c))	/* node-connect.c's */
		return sdc_make_error_code(err, 500, "container %s runs on a "
		    "compute node: its agent disconnects it", c->name);
	if (ctr_running(c) && netwire_detach(cs->d, c->id, n->id, err) < 0)
		return -1;
	if (netep_remove(cs->d, c->id, n->id, err) < 0)
		return -1;
	cn_dns_update(cs, n);
	return 0;
}

/* The node's part left to its agent (node-connect.c): the store's
 * here. */
json_t *
ctrnet_connect_node(struct containers *cs, struct ctr *c,
    const struct network *n, const json_t *epcfg, sdc_error_t *err)
{
	struct netep *eps = NULL, *ep = NULL;
	size_t neps = 0;
	json_t *doc = NULL;
	int index;

	if (cn_connect_row(cs, c, n, epcfg, err) < 0)
		return NULL;
	if ((index = cn_connect_lease(cs, c, n, &eps, &neps, &ep, err)) < 0) {
		neteps_free(eps, neps);
		ctrnet_connect_undo(cs, c, n->id);
		return NULL;
	}
	doc = nodenet_doc_connect(c, n, ep, index);
	neteps_free(eps, neps);
	return doc;
}

void
ctrnet_connect_undo(struct containers *cs, const struct ctr *c,
    const char *network_id)
{
	sdc_error_t err = NULL;

	if (netep_remove(cs->d, c->id, network_id, &err) < 0) {
		log_warn("container %s: its endpoint on %.12s: %s", c->id,
		    network_id, sdc_error_msg(err));
		sdc_error_release(&err);
	}
}

json_t *
ctrnet_disconnect_node(struct containers *cs, struct ctr *c,
    const struct network *n, uint32_t *ip, char mac[18], sdc_error_t *err)
{
	struct netep *eps = NULL;
	size_t neps = 0, i;
	bool on = false;

	if (neteps_list(cs->d, c->id, NULL, &eps, &neps, err) < 0)
		return NULL;
	for (i = 0; i < neps; i++)
		if (strcmp(eps[i].network, n->id) == 0) {
			on = true;
			*ip = eps[i].ip;
			snprintf(mac, 18, "%s", eps[i].mac);
		}
	neteps_free(eps, neps);
	if (!on) {
		sdc_make_error_code(err, 403, "container %s is not connected to "
		    "network %s", c->id, n->name);
		return NULL;
	}
	/* the address released first: the agent takes down only what the
	 * store no longer gives */
	if (netep_release(cs->d, c->id, n->id, err) < 0)
		return NULL;
	return nodenet_doc_disconnect(c, n->id);
}

void
ctrnet_disconnect_undo(struct containers *cs, const struct ctr *c,
    const struct network *n, uint32_t ip, const char *mac)
{
	struct netep ep;
	sdc_error_t err = NULL;

	memset(&ep, 0, sizeof ep);
	snprintf(ep.network, sizeof ep.network, "%s", n->id);
	snprintf(ep.container, sizeof ep.container, "%s", c->id);
	ep.want_ip = ip;
	snprintf(ep.want_mac, sizeof ep.want_mac, "%s", mac);
	if (ip != 0 && netep_lease(cs->d, n, &ep, &err) < 0) {
		log_warn("container %s: its address on %s again: %s", c->id,
		    n->name, sdc_error_msg(err));
		sdc_error_release(&err);
	}
}

void
ctrnet_disconnect_done(struct containers *cs, const struct ctr *c,
    const struct network *n)
{
	sdc_error_t err = NULL;

	if (netep_remove(cs->d, c->id, n->id, &err) < 0) {
		log_warn("container %s: its endpoint on %s: %s", c->id,
		    n->name, sdc_error_msg(err));
		sdc_error_release(&err);
	}
}

int
ctrnet_network_gone(struct dockerapi *d, const struct network *n,
    sdc_error_t *err)
{
	if (netwire_dns_remove(d, n, err) < 0)
		return -1;
	return netwire_bridge_remove(d, n->id, err);
}

/* --- recovery --- */

#define CN_DNS_CHECK_MS 2000

/* Every CN_DNS_CHECK_MS: a network's name server that died (kill -9,
 * a crash) is started again, one idle since its last container stopped
 * is stopped (net.h). */
static void
cn_dns_check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct containers *cs = arg;

	(void)fd;
	(void)what;
	netwire_dns_ensure(cs->d);
}

static void
cn_dns_check_arm(struct containers *cs)
{
	struct timeval every = { CN_DNS_CHECK_MS / 1000,
	    (CN_DNS_CHECK_MS % 1000) * 1000 };

	if (cs->d->base == NULL || cs->dns_check != NULL)
		return;
	cs->dns_check = event_new(cs->d->base, -1, EV_PERSIST, cn_dns_check_cb,
	    cs);
	if (cs->dns_check != NULL)
		event_add(cs->dns_check, &every);
}

void
ctrnet_recover_one(struct containers *cs, struct ctr *c)
{
	if (!ctr_running(c) && cn_first_ip(cs, c->id) != 0)
		ctrnet_stop(cs, c);
}

void
ctrnet_recover(struct containers *cs)
{
	struct network *nets = NULL;
	size_t nnets = 0, nctrs = 0, i;
	const char **net_ids, **ctr_ids;
	sdc_error_t err = NULL;
	struct ctr *c;

	for (c = cs->list; c != NULL; c = c->next)
		nctrs++;
	if (networks_list(cs->d, NULL, &nets, &nnets, &err) < 0) {
		log_warn("networks: %s", sdc_error_msg(err));
		sdc_error_release(&err);
		return;
	}
	net_ids = xcalloc(nnets + 1, sizeof *net_ids);
	ctr_ids = xcalloc(nctrs + 1, sizeof *ctr_ids);
	for (i = 0; i < nnets; i++)
		net_ids[i] = nets[i].id;
	/* a container whose node has not told its state yet (make run's
	 * agent starts after the head) may be running: its sandbox and
	 * leases stay until its node says otherwise */
	i = 0;
	for (c = cs->list; c != NULL; c = c->next)
		if (ctr_running(c) || node_states_unknown(c))
			ctr_ids[i++] = c->id;
	if (netwire_sweep(cs->d, net_ids, ctr_ids, &err) < 0) {
		log_warn("networks: sweep: %s", sdc_error_msg(err));
		sdc_error_release(&err);
	}
	/* what stopped while the daemon was away lets its ports go; what
	 * runs gets its endpoints again (the sandbox outlived us) */
	for (c = cs->list; c != NULL; c = c->next) {
		struct netep *eps = NULL;
		struct network *cn = NULL;
		struct netport *ports = NULL;
		size_t neps = 0, np = 0, k;

		if (node_states_unknown(c))
			continue;
		if (!ctr_running(c)) {
			if (cn_first_ip(cs, c->id) != 0)
				ctrnet_stop(cs, c);
			continue;
		}
		if (strcmp(plan_mode(c), "network") != 0 ||
		    !nodenet_here(cs, c))
			continue;	/* its node's agent keeps it */
		if (neteps_list(cs->d, c->id, NULL, &eps, &neps, &err) < 0 ||
		    cn_networks(cs, c, eps, neps, &cn, &err) < 0 ||
		    netports_list(cs->d, c->id, &ports, &np, &err) < 0) {
			log_warn("container %s: networks: %s", c->id,
			    sdc_error_msg(err));
			sdc_error_release(&err);
			neteps_free(eps, neps);
			if (cn != NULL)
				networks_free(cn, neps);
			continue;
		}
		for (k = 0; k < neps; k++)
			if (eps[k].ip != 0 && netwire_attach(cs->d, c->id, &cn[k],
			    &eps[k], (int)k, k == 0, k == 0 ? ports : NULL,
			    k == 0 ? np : 0, &err) < 0) {
				log_warn("container %s: network %s: %s", c->id,
				    cn[k].name, sdc_error_msg(err));
				sdc_error_release(&err);
			}
		free(ports);
		neteps_free(eps, neps);
		networks_free(cn, neps);
	}
	for (i = 0; i < nnets; i++)
		cn_dns_update(cs, &nets[i]);
	free(net_ids);
	free(ctr_ids);
	networks_free(nets, nnets);
	cn_dns_check_arm(cs);
}

/* --- inspect and ps --- */

json_t *
ctrnet_ps_ports(struct containers *cs, const struct ctr *c)
{
	struct netport *p = NULL;
	size_t n = 0, i;
	sdc_error_t err = NULL;
	json_t *out = json_array();
	char hip[16];

	if (!ctr_running(c) || netports_list(cs->d, c->id, &p, &n, &err) < 0) {
		sdc_error_release(&err);
		return out;
	}
	for (i = 0; i < n; i++) {
		net_ip_str(p[i].host_ip, hip);
		json_array_append_new(out, json_pack("{s:s,s:i,s:i,s:s}", "IP",
		    hip, "PrivatePort", (int)p[i].container_port, "PublicPort",
		    (int)p[i].host_port, "Type", p[i].proto));
	}
	free(p);
	return out;
}

json_t *
ctrnet_settings(struct containers *cs, const struct ctr *c)
{
	struct netep *eps = NULL;
	struct netport *p = NULL;
	size_t neps = 0, np = 0, i;
	sdc_error_t err = NULL;
	json_t *s, *nets = json_object(), *ports = json_object(), *v, *dn;
	const char *key;
	char ip[16], gw[16], key_s[16], hip[16], hport[8], *sandbox;
	struct network n;
	bool first = true;

	s = json_pack("{s:s,s:s,s:b,s:s,s:n,s:n,s:s,s:i,s:s,s:s,s:s,s:i,s:s,"
	    "s:s}", "Bridge", "", "SandboxID", "", "HairpinMode", false,
	    "LinkLocalIPv6Address", "", "SecondaryIPAddresses",
	    "SecondaryIPv6Addresses", "EndpointID", "", "IPPrefixLen", 0,
	    "IPAddress", "", "Gateway", "", "GlobalIPv6Address", "",
	    "GlobalIPv6PrefixLen", 0, "IPv6Gateway", "", "MacAddress", "");
	json_object_set_new(s, "LinkLocalIPv6PrefixLen", json_integer(0));
	/* exposed ports, bound or not, as Docker lists them */
	json_object_foreach(json_object_get(c->config, "ExposedPorts"), key, v)
		json_object_set_new(ports, key, json_null());
	if (ctr_running(c) && netports_list(cs->d, c->id, &p, &np, &err) == 0)
		for (i = 0; i < np; i++) {
			snprintf(key_s, sizeof key_s, "%u/%s",
			    (unsigned)p[i].container_port, p[i].proto);
			net_ip_str(p[i].host_ip, hip);
			snprintf(hport, sizeof hport, "%u", (unsigned)p[i].host_port);
			if (!json_is_array(json_object_get(ports, key_s)))
				json_object_set_new(ports, key_s, json_array());
			json_array_append_new(json_object_get(ports, key_s),
			    json_pack("{s:s,s:s}", "HostIp", hip, "HostPort",
			    hport));
		}
	sdc_error_release(&err);
	free(p);
	json_object_set_new(s, "Ports", ports);
	if (ctr_running(c) && strcmp(plan_mode(c), "network") == 0) {
		sandbox = netwire_netns_path(cs->d, c->id);
		json_object_set_new(s, "SandboxKey", json_string(sandbox));
		json_object_set_new(s, "SandboxID", json_string(c->id));
		free(sandbox);
	} else
		json_object_set_new(s, "SandboxKey", json_string(""));
	if (neteps_list(cs->d, c->id, NULL, &eps, &neps, &err) < 0)
		sdc_error_release(&err);
	for (i = 0; i < neps; i++) {
		if (network_find(cs->d, c->account, eps[i].network, &n, &err) < 0) {
			sdc_error_release(&err);
			continue;
		}
		ip[0] = gw[0] = '\0';
		if (eps[i].ip != 0) {
			net_ip_str(eps[i].ip, ip);
			net_ip_str(n.gateway, gw);
		}
		dn = json_array();
		if (eps[i].ip != 0) {
			json_array_append_new(dn, json_string(c->name));
			for (size_t a = 0; a < json_array_size(eps[i].aliases); a++)
				json_array_append(dn, json_array_get(eps[i].aliases,
				    a));
			json_array_append_new(dn, json_stringn(c->id, 12));
		}
		v = json_pack("{s:n,s:n,s:O,s:s,s:s,s:s,s:s,s:i,s:s,s:i,s:s,"
		    "s:s,s:n,s:o}", "IPAMConfig", "Links", "Aliases",
		    eps[i].aliases, "NetworkID", n.id, "EndpointID",
		    eps[i].ip != 0 ? eps[i].endpoint_id : "", "Gateway", gw,
		    "IPAddress", ip, "IPPrefixLen", eps[i].ip != 0 ? n.prefix : 0,
		    "IPv6Gateway", "", "GlobalIPv6PrefixLen", 0,
		    "GlobalIPv6Address", "", "MacAddress", eps[i].mac,
		    "DriverOpts", "DNSNames", dn);
		if (eps[i].want_ip != 0) {
			char w[16];

			net_ip_str(eps[i].want_ip, w);
			json_object_set_new(v, "IPAMConfig", json_pack("{s:s}",
			    "IPv4Address", w));
		}
		if (first && eps[i].ip != 0) {
			char br[16];

			snprintf(br, sizeof br, "sdc%.12s", n.id);
			json_object_set_new(s, "Bridge", json_string(br));
			json_object_set_new(s, "IPAddress", json_string(ip));
			json_object_set_new(s, "IPPrefixLen", json_integer(n.prefix));
			json_object_set_new(s, "Gateway", json_string(gw));
			json_object_set_new(s, "MacAddress", json_string(eps[i].mac));
			json_object_set_new(s, "EndpointID",
			    json_string(eps[i].endpoint_id));
			first = false;
		}
		json_object_set_new(nets, n.name, v);
		network_clear(&n);
	}
	neteps_free(eps, neps);
	if (strcmp(plan_mode(c), "none") == 0)
		json_object_set_new(nets, "none", json_pack("{s:n,s:n,s:n,s:s,"
		    "s:s,s:s,s:s,s:i,s:s}", "IPAMConfig", "Links", "Aliases",
		    "NetworkID", "", "EndpointID", "", "Gateway", "", "IPAddress",
		    "", "IPPrefixLen", 0, "MacAddress", ""));
	json_object_set_new(s, "Networks", nets);
	return s;
}
