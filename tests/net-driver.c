/*
 * net-driver.c: a command-line front to libsdcnet's plumbing for the
 * integration tests (40-net-plumbing.sh); built beside the unit tests,
 * never installed.
 *
 *   net-driver -r RUN CMD ARGS...
 *   bridge NETID SUBNET/PREFIX GATEWAY [internal]
 *   unbridge NETID
 *   sandbox CID                    (prints the namespace's path)
 *   unsandbox CID
 *   attach CID NETID SUBNET/PREFIX GATEWAY IFNAME IP MAC route|noroute
 *          [internal] [tcp|udp:HOSTIP:HOSTPORT:PORT]...
 *          [mtu=N]
 *   detach CID NETID
 *   vxlan NETID VNI LOCALVTEP [MTU]
 *   unvxlan NETID
 *   fdb NETID VTEPS PEERS          (VTEPS: a,b; PEERS: MAC/IP/VTEP,...;
 *                                   "-" for none)
 *   vteps VTEPS                    (the node's accepted VTEPs; "-": none)
 *   vxbench NETID VNI LOCALVTEP N  (the vxlan device made, then again; the
 *          entries of N remote endpoints set, then again; prints ms)
 *   sweep NETIDS CIDS              (comma-separated; "-" for none)
 *   bench N NETID SUBNET/PREFIX GATEWAY   (N x sandbox + attach with one
 *          port + unsandbox; prints the mean in ms)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"
#include "dockerapi/net/net.h"

/* The names part linked in, so that net_sweep (which calls it when it is
 * there) also stops the names server when no network is left, as the
 * daemon's sweep does: a network keeps its names table, and the server
 * runs, until the network goes. */
static int (*const net_driver_dns_sweep)(const struct net_config *,
    const char *const *, sdc_error_t *) __attribute__((used)) = net_dns_sweep;

#define MAXPORTS 16

static int
fail(sdc_error_t *err)
{
	fprintf(stderr, "net-driver: %s\n", sdc_error_msg(*err));
	sdc_error_release(err);
	return 1;
}

static int
parse_bridge(struct net_bridge *b, const char *id, const char *subnet,
    const char *gw)
{
	char s[32], *slash;

	snprintf(s, sizeof s, "%s", subnet);
	if ((slash = strchr(s, '/')) == NULL)
		return -1;
	*slash = '\0';
	b->id = id;
	b->prefix = atoi(slash + 1);
	return inet_pton(AF_INET, s, &b->subnet) == 1 &&
	    inet_pton(AF_INET, gw, &b->gateway) == 1 ? 0 : -1;
}

static int
parse_port(struct net_port *p, const char *arg)
{
	char proto[8], ip[32];
	unsigned hp, cp;

	if (sscanf(arg, "%7[a-z]:%31[0-9.]:%u:%u", proto, ip, &hp, &cp) != 4 ||
	    inet_pton(AF_INET, ip, &p->host_ip) != 1)
		return -1;
	p->proto = strcmp(proto, "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
	p->host_port = (uint16_t)hp;
	p->container_port = (uint16_t)cp;
	return 0;
}

static const char **
split(char *s)
{
	const char **v = xcalloc(strlen(s) + 2, sizeof *v);
	char *p, *save;
	size_t n = 0;

	if (strcmp(s, "-") == 0)
		return v;
	for (p = strtok_r(s, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save))
		v[n++] = p;
	return v;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
bench(const struct net_config *cfg, int n, struct net_bridge *b)
{
	struct net_port port = { .proto = IPPROTO_TCP, .host_port = 39000,
	    .container_port = 80 };
	struct net_endpoint ep = { .bridge = b, .ifname = "eth0",
	    .default_route = true, .ports = &port, .nports = 1,
	    .mac = { 0x02, 0x42, 0, 0, 0, 0 } };
	double t0, t_create = 0, t_attach = 0, t_destroy = 0, t_ensure;
	sdc_error_t err = NULL;
	char cid[65], *path;
	int i;

	if (net_bridge_ensure(cfg, b, &err) < 0)
		return fail(&err);
	t0 = now_ms();		/* again, as after a restart */
	if (net_bridge_ensure(cfg, b, &err) < 0)
		return fail(&err);
	t_ensure = now_ms() - t0;
	for (i = 0; i < n; i++) {
		snprintf(cid, sizeof cid, "%064x", 0xbe00 + i);
		ep.ip.s_addr = htonl(ntohl(b->subnet.s_addr) + 10 + (uint32_t)i);
		ep.mac[5] = (uint8_t)i;
		port.host_port = (uint16_t)(39000 + i);
		t0 = now_ms();
		if (net_sandbox_create(cfg, cid, &path, &err) < 0)
			return fail(&err);
		t_create += now_ms() - t0;
		free(path);
		t0 = now_ms();
		if (net_endpoint_attach(cfg, cid, &ep, &err) < 0)
			return fail(&err);
		t_attach += now_ms() - t0;
		t0 = now_ms();
		if (net_sandbox_destroy(cfg, cid, &err) < 0)
			return fail(&err);
		t_destroy += now_ms() - t0;
	}
	printf("sandbox %.2f ms, attach (1 port) %.2f ms, destroy %.2f ms, "
	    "total %.2f ms per container (mean of %d); bridge ensure again "
	    "%.2f ms\n", t_create / n, t_attach / n, t_destroy / n,
	    (t_create + t_attach + t_destroy) / n, n, t_ensure);
	return 0;
}

/* A network across nodes: the vxlan device's ensure, made then again, and
 * the forwarding entries of n remote endpoints on 4 other nodes, set then
 * set again unchanged (what an agent's periodic pass costs). */
static int
vxbench(const struct net_config *cfg, struct net_vxlan *v, int n)
{
	struct net_vxlan_peer *peers = xcalloc((size_t)n + 1, sizeof *peers);
	struct in_addr vteps[4];
	sdc_error_t err = NULL;
	double t0, t[4];
	int i;

	for (i = 0; i < 4; i++)
		vteps[i].s_addr = htonl(0xc0000264u + (uint32_t)i); /* .100 */
	for (i = 0; i < n; i++) {
		peers[i].mac[0] = 0x02;
		peers[i].mac[1] = 0x42;
		peers[i].mac[4] = (uint8_t)(i >> 8);
		peers[i].mac[5] = (uint8_t)i;
		peers[i].ip.s_addr = htonl(0x0a630000u + (uint32_t)i);
		peers[i].vtep = vteps[i % 4];
	}
	t0 = now_ms();
	if (net_vxlan_ensure(cfg, v, &err) < 0)
		return fail(&err);
	t[0] = now_ms() - t0;
	t0 = now_ms();
	if (net_vxlan_ensure(cfg, v, &err) < 0)
		return fail(&err);
	t[1] = now_ms() - t0;
	t0 = now_ms();
	if (net_vxlan_fdb_set(cfg, v->network_id, vteps, 4, peers,
	    (size_t)n, &err) < 0)
		return fail(&err);
	t[2] = now_ms() - t0;
	t0 = now_ms();
	if (net_vxlan_fdb_set(cfg, v->network_id, vteps, 4, peers,
	    (size_t)n, &err) < 0)
		return fail(&err);
	t[3] = now_ms() - t0;
	free(peers);
	printf("vxlan ensure %.2f ms, again %.2f ms; %d remote endpoints' "
	    "entries set %.2f ms, again unchanged %.2f ms\n", t[0], t[1], n,
	    t[2], t[3]);
	return 0;
}

int
main(int argc, char **argv)
{
	struct net_config cfg = { .run_dir = NULL };
	struct net_bridge b = { .internal = false };
	struct net_port ports[MAXPORTS];
	struct net_endpoint ep = { .bridge = &b };
	sdc_error_t err = NULL;
	unsigned mac[6];
	char *path;
	int c, i, rc = 0;

	log_init("net-driver", 2, LOG_INFO);
	while ((c = getopt(argc, argv, "r:")) != -1) {
		if (c == 'r')
			cfg.run_dir = optarg;
		else
			return 2;
	}
	argc -= optind;
	argv += optind;
	if (cfg.run_dir == NULL || argc < 1) {
		fprintf(stderr, "usage: net-driver -r RUN CMD ARGS... (see the "
		    "source)\n");
		return 2;
	}
	if (strcmp(argv[0], "bridge") == 0 && argc >= 4) {
		if (parse_bridge(&b, argv[1], argv[2], argv[3]) < 0)
			return 2;
		b.internal = argc > 4 && strcmp(argv[4], "internal") == 0;
		rc = net_bridge_ensure(&cfg, &b, &err);
	} else if (strcmp(argv[0], "unbridge") == 0 && argc == 2) {
		rc = net_bridge_remove(&cfg, argv[1], &err);
	} else if (strcmp(argv[0], "sandbox") == 0 && argc == 2) {
		if ((rc = net_sandbox_create(&cfg, argv[1], &path, &err)) == 0)
			puts(path);
		free(rc == 0 ? path : NULL);
	} else if (strcmp(argv[0], "unsandbox") == 0 && argc == 2) {
		rc = net_sandbox_destroy(&cfg, argv[1], &err);
	} else if (strcmp(argv[0], "attach") == 0 && argc >= 9) {
		if (parse_bridge(&b, argv[2], argv[3], argv[4]) < 0 ||
		    inet_pton(AF_INET, argv[6], &ep.ip) != 1 ||
		    sscanf(argv[7], "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1],
		    &mac[2], &mac[3], &mac[4], &mac[5]) != 6)
			return 2;
		for (i = 0; i < 6; i++)
			ep.mac[i] = (uint8_t)mac[i];
		ep.ifname = argv[5];
		ep.default_route = strcmp(argv[8], "route") == 0;
		for (i = 9; i < argc; i++) {
			if (strcmp(argv[i], "internal") == 0)
				b.internal = true;
			else if (strncmp(argv[i], "mtu=", 4) == 0)
				b.mtu = atoi(argv[i] + 4);
			else if (ep.nports == MAXPORTS ||
			    parse_port(&ports[ep.nports++], argv[i]) < 0)
				return 2;
		}
		ep.ports = ports;
		rc = net_endpoint_attach(&cfg, argv[1], &ep, &err);
	} else if (strcmp(argv[0], "detach") == 0 && argc == 3) {
		rc = net_endpoint_detach(&cfg, argv[1], argv[2], &err);
	} else if (strcmp(argv[0], "sweep") == 0 && argc == 3) {
		const char **nets = split(argv[1]), **ctrs = split(argv[2]);

		rc = net_sweep(&cfg, nets, ctrs, &err);
		free(nets);
		free(ctrs);
	} else if (strcmp(argv[0], "vxlan") == 0 && (argc == 4 || argc == 5)) {
		struct net_vxlan v = { .network_id = argv[1],
		    .vni = (uint32_t)strtoul(argv[2], NULL, 10),
		    .mtu = argc == 5 ? atoi(argv[4]) : 0 };

		if (inet_pton(AF_INET, argv[3], &v.local) != 1)
			return 2;
		rc = net_vxlan_ensure(&cfg, &v, &err);
	} else if (strcmp(argv[0], "unvxlan") == 0 && argc == 2) {
		rc = net_vxlan_remove(&cfg, argv[1], &err);
	} else if (strcmp(argv[0], "fdb") == 0 && argc == 4) {
		const char **vs = split(argv[2]), **ps = split(argv[3]);
		struct in_addr *vteps = xcalloc(strlen(argv[2]) + 1,
		    sizeof *vteps);
		struct net_vxlan_peer *peers = xcalloc(strlen(argv[3]) + 1,
		    sizeof *peers);
		size_t nv = 0, np = 0;
		char ip[32], vtep[32];

		for (; vs[nv] != NULL; nv++)
			if (inet_pton(AF_INET, vs[nv], &vteps[nv]) != 1)
				return 2;
		for (; ps[np] != NULL; np++) {
			if (sscanf(ps[np], "%x:%x:%x:%x:%x:%x/%31[0-9.]/%31[0-9.]",
			    &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5],
			    ip, vtep) != 8 ||
			    inet_pton(AF_INET, ip, &peers[np].ip) != 1 ||
			    inet_pton(AF_INET, vtep, &peers[np].vtep) != 1)
				return 2;
			for (i = 0; i < 6; i++)
				peers[np].mac[i] = (uint8_t)mac[i];
		}
		rc = net_vxlan_fdb_set(&cfg, argv[1], vteps, nv, peers, np, &err);
		free(vs);
		free(ps);
		free(vteps);
		free(peers);
	} else if (strcmp(argv[0], "vteps") == 0 && argc == 2) {
		const char **vs = split(argv[1]);
		struct in_addr *vteps = xcalloc(strlen(argv[1]) + 1,
		    sizeof *vteps);
		size_t nv = 0;

		for (; vs[nv] != NULL; nv++)
			if (inet_pton(AF_INET, vs[nv], &vteps[nv]) != 1)
				return 2;
		rc = net_vxlan_vteps_set(&cfg, vteps, nv, &err);
		free(vs);
		free(vteps);
	} else if (strcmp(argv[0], "vxbench") == 0 && argc == 5) {
		struct net_vxlan v = { .network_id = argv[1],
		    .vni = (uint32_t)strtoul(argv[2], NULL, 10) };

		if (inet_pton(AF_INET, argv[3], &v.local) != 1)
			return 2;
		return vxbench(&cfg, &v, atoi(argv[4]));
	} else if (strcmp(argv[0], "bench") == 0 && argc == 5) {
		if (parse_bridge(&b, argv[2], argv[3], argv[4]) < 0)
			return 2;
		return bench(&cfg, atoi(argv[1]), &b);
	} else {
		fprintf(stderr, "net-driver: unknown command or arguments\n");
		return 2;
	}
	return rc < 0 ? fail(&err) : 0;
}
