/*
 * addrcheck.c: which addresses the registry client may connect to.
 *
 * A pull names its registry, so without a check any tenant could make the
 * daemon send GETs to the host's own loopback services or to the private
 * network behind it, and read from the error which ports answer.  The
 * http client asks addrcheck_allowed() about every address a registry
 * host (a bearer token realm, a redirect to blob storage) resolves to,
 * all of them, before it connects anywhere, and then connects only to the
 * addresses it asked about, so a DNS answer cannot change in between.
 * Loopback, unspecified, link-local, private (RFC 1918, shared 100.64/10,
 * IPv6 unique local and site-local), multicast and reserved addresses are
 * refused, IPv4 inside IPv6 (mapped, compatible, NAT64) judged as IPv4,
 * and so is any address of the host's own interfaces, public or not (its
 * services listen there too), unless the operator allows the host: the docker.io mirror,
 * INSECURE_REGISTRIES, or REGISTRY_ALLOW_PRIVATE, whose entries are
 * "host" (every port), "host:port", or a network "10.1.0.0/16".
 * The refusal happens before any packet leaves, so it reads the same
 * whether a port is open, closed or filtered.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "images-int.h"
#include "xalloc.h"

/* a.b.c.d as a host-order number */
static bool
addr_v4_private(uint32_t a)
{
	static const struct { uint32_t net; int bits; } nets[] = {
		{ 0x00000000, 8 },	/* 0/8: this network, unspecified */
		{ 0x0a000000, 8 },	/* 10/8 */
		{ 0x64400000, 10 },	/* 100.64/10: shared (carrier NAT) */
		{ 0x7f000000, 8 },	/* 127/8: loopback */
		{ 0xa9fe0000, 16 },	/* 169.254/16: link-local */
		{ 0xac100000, 12 },	/* 172.16/12 */
		{ 0xc0a80000, 16 },	/* 192.168/16 */
		{ 0xe0000000, 4 },	/* 224/4: multicast */
		{ 0xf0000000, 4 },	/* 240/4: reserved, broadcast */
	};

	for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++)
		if ((a >> (32 - nets[i].bits)) == (nets[i].net >> (32 - nets[i].bits)))
			return true;
	return false;
}

static uint32_t
addr_v4_at(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static bool
addr_v6_private(const unsigned char *b)
{
	static const unsigned char zero[12], mapped[12] =
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff },
	    nat64[12] = { 0, 0x64, 0xff, 0x9b };

	if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0 ||
	    memcmp(b, zero, 12) == 0)	/* ::a.b.c.d, :: and ::1 too */
		return addr_v4_private(addr_v4_at(b + 12)) ||
		    memcmp(b, zero, 12) == 0;
	return (b[0] & 0xfe) == 0xfc ||			/* fc00::/7 */
	    (b[0] == 0xfe && (b[1] & 0x80) == 0x80) ||	/* fe80::/10, fec0::/10 */
	    b[0] == 0xff;				/* ff00::/8 */
}

/* One of this host's own addresses?  Read afresh each time: interfaces
 * come and go, and a pull makes few connections. */
static bool
addr_local(const struct sockaddr *sa)
{
	struct ifaddrs *ifs, *i;
	bool found = false;

	if (getifaddrs(&ifs) < 0)
		return true;	/* on doubt, refuse */
	for (i = ifs; i != NULL && !found; i = i->ifa_next) {
		const struct sockaddr *a = i->ifa_addr;
		if (a == NULL || a->sa_family != sa->sa_family)
			continue;
		if (sa->sa_family == AF_INET)
			found = memcmp(&((const struct sockaddr_in *)(const void *)
			    a)->sin_addr, &((const struct sockaddr_in *)
			    (const void *)sa)->sin_addr, 4) == 0;
		else if (sa->sa_family == AF_INET6)
			found = memcmp(&((const struct sockaddr_in6 *)(const void *)
			    a)->sin6_addr, &((const struct sockaddr_in6 *)
			    (const void *)sa)->sin6_addr, 16) == 0;
	}
	freeifaddrs(ifs);
	return found;
}

bool
addrcheck_private(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return addr_v4_private(ntohl(((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr.s_addr));
	if (sa->sa_family == AF_INET6)
		return addr_v6_private(((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr.s6_addr);
	return true;
}

/* sa within the network "addr/bits"? */
static bool
addr_in_net(const char *net, const struct sockaddr *sa)
{
	char buf[64];
	const char *slash = strchr(net, '/');
	unsigned char want[16];
	const unsigned char *have;
	int bits, af, len;
	char *end;

	if (slash == NULL || (size_t)(slash - net) >= sizeof buf)
		return false;
	memcpy(buf, net, (size_t)(slash - net));
	buf[slash - net] = '\0';
	bits = (int)strtol(slash + 1, &end, 10);
	if (*end != '\0' || slash[1] == '\0')
		return false;
	af = strchr(buf, ':') != NULL ? AF_INET6 : AF_INET;
	len = af == AF_INET ? 4 : 16;
	if (af != sa->sa_family || bits < 0 || bits > len * 8 ||
	    inet_pton(af, buf, want) != 1)
		return false;
	have = af == AF_INET ?
	    (const unsigned char *)&((const struct sockaddr_in *)(const void *)
	    sa)->sin_addr : ((const struct sockaddr_in6 *)(const void *)
	    sa)->sin6_addr.s6_addr;
	if (memcmp(want, have, (size_t)bits / 8) != 0)
		return false;
	if (bits % 8 == 0)
		return true;
	return ((want[bits / 8] ^ have[bits / 8]) & (0xff00 >> (bits % 8))) == 0;
}

/* "host", "host:port" or "[v6]:port" naming host and port. */
static bool
addr_name_matches(const char *entry, const char *host, int port)
{
	char hp[300];

	if (strcmp(entry, host) == 0)
		return true;
	snprintf(hp, sizeof hp, strchr(host, ':') ? "[%s]" : "%s", host);
	if (strcmp(entry, hp) == 0)
		return true;
	snprintf(hp + strlen(hp), sizeof hp - strlen(hp), ":%d", port);
	return strcmp(entry, hp) == 0;
}

int
addrcheck_allowed(const struct strvec *allowed, const char *host, int port,
    const struct sockaddr *sa)
{
	if (!addrcheck_private(sa) && !addr_local(sa))
		return 0;
	for (size_t i = 0; allowed != NULL && i < allowed->n; i++) {
		const char *e = allowed->v[i];
		if (strchr(e, '/') != NULL ? addr_in_net(e, sa) :
		    addr_name_matches(e, host, port))
			return 0;
	}
	return -1;
}

void
addrcheck_allow_url(struct strvec *allowed, const char *url)
{
	const char *h = strstr(url, "://");
	size_t n;

	h = h != NULL ? h + 3 : url;
	n = strcspn(h, "/?#");
	if (n > 0) {
		char *hp = xstrndup(h, n);
		strvec_push(allowed, hp);
		free(hp);
	}
}

/* ---- the same rules for other fetches a tenant names ---- */

struct images_addr_rules {
	struct strvec allowed;
};

struct images_addr_rules *
images_addr_rules_new(struct images *im)
{
	struct images_addr_rules *r = xcalloc(1, sizeof *r);

	strvec_copy(&r->allowed, &im->insecure);
	strvec_copy(&r->allowed, &im->allow_private);
	if (im->mirror != NULL && *im->mirror != '\0')
		addrcheck_allow_url(&r->allowed, im->mirror);
	return r;
}

void
images_addr_rules_free(struct images_addr_rules *r)
{
	if (r == NULL)
		return;
	strvec_clear(&r->allowed);
	free(r);
}

int
images_addr_rules_check(void *arg, const char *host, int port,
    const struct sockaddr *sa)
{
	struct images_addr_rules *r = arg;

	return addrcheck_allowed(&r->allowed, host, port, sa);
}
