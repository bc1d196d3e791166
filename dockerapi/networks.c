/*
 * networks.c: the networks of every account in the store, and IPAM: which
 * subnet a network gets, which address and MAC a container gets on it,
 * which host ports it holds.
 *
 * The store is the one truth (networks.h lists the tables); nothing is
 * cached here, since a node has tens of networks and the queries are a
 * few rows.  Subnets come from two pools, SAPI tunables: the accounts'
 * default networks are carved from NETWORK_DEFAULT_POOL, the networks
 * users create from NETWORK_POOL (a --subnet must lie within it too, so
 * that no tenant can claim an address range the node routes elsewhere).
 * A subnet is handed out only when it overlaps no live network of any
 * account (the kernel's routes are the node's, not an account's) and no
 * route of the host that is not one of our own bridges (/proc/net/route):
 * so a second daemon on the node, or the host's LAN, is never shadowed.
 *
 * An address is the one asked (--ip), else the lowest free one of the
 * network's range that is not the gateway; the MAC is Docker's, 02:42
 * then the address.  Addresses are held only while the container runs,
 * as with Docker: a restart may get another unless --ip pinned it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ids.h"
#include "jsonutil.h"
#include "log.h"
#include "networks.h"
#include "strvec.h"
#include "xalloc.h"

static const char *const networks_migrations[] = {
	"CREATE TABLE networks ("
	" id TEXT PRIMARY KEY,"
	" account TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" driver TEXT NOT NULL,"
	" subnet TEXT NOT NULL,"
	" prefix INTEGER NOT NULL,"
	" gateway TEXT NOT NULL,"
	" ip_range TEXT NOT NULL,"
	" internal INTEGER NOT NULL,"
	" labels TEXT NOT NULL,"
	" created BIGINT NOT NULL,"
	" is_default INTEGER NOT NULL,"
	" UNIQUE (account, name));"
	"CREATE TABLE network_endpoints ("
	" container TEXT NOT NULL,"
	" network TEXT NOT NULL,"
	" endpoint_id TEXT NOT NULL,"
	" aliases TEXT NOT NULL,"
	" want_ip TEXT NOT NULL,"
	" want_mac TEXT NOT NULL,"
	" ip TEXT NOT NULL,"
	" mac TEXT NOT NULL,"
	" PRIMARY KEY (container, network));"
	"CREATE INDEX network_endpoints_network ON network_endpoints (network);"
	"CREATE TABLE network_leases ("
	" network TEXT NOT NULL,"
	" ip TEXT NOT NULL,"
	" container TEXT NOT NULL,"
	" PRIMARY KEY (network, ip));"
	"CREATE TABLE port_bindings ("
	" proto TEXT NOT NULL,"
	" host_port INTEGER NOT NULL,"
	" host_ip TEXT NOT NULL,"
	" container_port INTEGER NOT NULL,"
	" container TEXT NOT NULL,"
	" account TEXT NOT NULL,"
	" PRIMARY KEY (proto, host_port));"
	"CREATE INDEX port_bindings_container ON port_bindings (container);"
	"CREATE INDEX network_leases_container ON network_leases (container);",
	/* 2: the order endpoints were added in (eth0 first), which was
	 * SQLite's rowid: a column both engines have.  Rows from before
	 * keep 0, and their order by network. */
	"ALTER TABLE network_endpoints ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;",
	/* 3: each network's VXLAN id, unique across accounts (a network
	 * spans nodes as one VNI); rows from before get theirs at start. */
	"ALTER TABLE networks ADD COLUMN vni BIGINT;"
	"CREATE UNIQUE INDEX networks_vni ON networks (vni);",
	/* 4: the interface a running container has the endpoint as (eth0,
	 * eth1...): a disconnect leaves a gap, which the next connect
	 * fills (netep_free_ifname).  Rows from before keep '' and are
	 * taken as named by their order, as a start names them. */
	"ALTER TABLE network_endpoints ADD COLUMN ifname TEXT NOT NULL "
	"DEFAULT '';",
	NULL,
};

static int net_vni_backfill(struct dockerapi *d, sdc_error_t *err);

int
networks_init(struct dockerapi *d, sdc_error_t *err)
{
	if (store_migrate(d->store, "networks", networks_migrations, err) < 0)
		return -1;
	return net_vni_backfill(d, err);
}

/* --- addresses --- */

uint32_t
net_mask(int prefix)
{
	return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu :
	    ~((1u << (32 - prefix)) - 1);
}

void
net_ip_str(uint32_t ip, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255,
	    (ip >> 8) & 255, ip & 255);
}

int
net_ip_parse(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (s == NULL || inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

int
net_cidr_parse(const char *s, uint32_t *addr, int *prefix)
{
	char ip[16], *end;
	const char *slash = strchr(s, '/');
	long p;

	if (slash == NULL || (size_t)(slash - s) >= sizeof ip)
		return -1;
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	p = strtol(slash + 1, &end, 10);
	if (*end != '\0' || end == slash + 1 || p < 0 || p > 32 ||
	    net_ip_parse(ip, addr) < 0)
		return -1;
	*prefix = (int)p;
	*addr &= net_mask(*prefix);
	return 0;
}

static bool
net_overlap(uint32_t a, int ap, uint32_t b, int bp)
{
	uint32_t m = net_mask(ap < bp ? ap : bp);

	return (a & m) == (b & m);
}

/* --- rows --- */

void
network_clear(struct network *n)
{
	free(n->name);
	json_decref(n->labels);
	memset(n, 0, sizeof *n);
}

void
networks_free(struct network *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		network_clear(&v[i]);
	free(v);
}

void
neteps_free(struct netep *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(v[i].aliases);
	free(v);
}

/* Prepare sql and bind args by types: 's' text (NULL: SQL NULL), 'i'
 * int64. */
static int
nq(struct dockerapi *d, struct store_stmt **st, const char *sql,
    sdc_error_t *err, const char *types, ...)
{
	va_list ap;
	int i, rc = 0;
	const char *s;

	if (store_prepare(d->store, st, sql, err) < 0)
		return -1;
	va_start(ap, types);
	for (i = 0; types[i] != '\0' && rc == 0; i++) {
		if (types[i] == 'i') {
			rc = store_bind_int64(*st, i + 1, va_arg(ap, int64_t), err);
			continue;
		}
		s = va_arg(ap, const char *);
		rc = s != NULL ? store_bind_text(*st, i + 1, s, err) :
		    store_bind_null(*st, i + 1, err);
	}
	va_end(ap);
	if (rc < 0) {
		store_finalize(*st);
		*st = NULL;
	}
	return rc;
}

/* A statement with no rows to read. */
static int
nexec(struct dockerapi *d, const char *sql, sdc_error_t *err,
    const char *types, ...)
{
	struct store_stmt *st;
	va_list ap;
	const char *s;
	int i, rc = 0;

	if (store_prepare(d->store, &st, sql, err) < 0)
		return -1;
	va_start(ap, types);
	for (i = 0; types[i] != '\0' && rc == 0; i++) {
		if (types[i] == 'i') {
			rc = store_bind_int64(st, i + 1, va_arg(ap, int64_t), err);
			continue;
		}
		s = va_arg(ap, const char *);
		rc = store_bind_text(st, i + 1, s, err);
	}
	va_end(ap);
	if (rc == 0)
		rc = store_step(st, err) < 0 ? -1 : 0;
	store_finalize(st);
	return rc;
}

#define NET_COLS "id, account, name, subnet, prefix, gateway, ip_range, " \
	"internal, labels, created, is_default, vni"

static void
net_from_row(struct store_stmt *st, struct network *n)
{
	const char *range = store_col_text(st, 6);

	memset(n, 0, sizeof *n);
	snprintf(n->id, sizeof n->id, "%s", store_col_text(st, 0));
	snprintf(n->account, sizeof n->account, "%s", store_col_text(st, 1));
	n->name = xstrdup(store_col_text(st, 2));
	net_ip_parse(store_col_text(st, 3), &n->subnet);
	n->prefix = (int)store_col_int64(st, 4);
	net_ip_parse(store_col_text(st, 5), &n->gateway);
	if (range != NULL && *range != '\0')
		net_cidr_parse(range, &n->range, &n->range_prefix);
	n->internal = store_col_int64(st, 7) != 0;
	n->labels = json_loads(store_col_text(st, 8) ?: "{}", 0, NULL);
	if (n->labels == NULL)
		n->labels = json_object();
	n->created = store_col_int64(st, 9);
	n->is_default = store_col_int64(st, 10) != 0;
	n->vni = store_col_is_null(st, 11) ? 0 : store_col_int64(st, 11);
}

int
networks_list(struct dockerapi *d, const char *account, struct network **out,
    size_t *n, sdc_error_t *err)
{
	struct store_stmt *st;
	size_t cap = 8;
	int rc;

	*n = 0;
	*out = xcalloc(cap, sizeof **out);
	if ((account != NULL ? nq(d, &st, "SELECT " NET_COLS " FROM networks "
	    "WHERE account = ? ORDER BY created", err, "s", account) :
	    nq(d, &st, "SELECT " NET_COLS " FROM networks ORDER BY created",
	    err, "")) < 0)
		return -1;
	while ((rc = store_step(st, err)) == 1) {
		if (*n == cap)
			*out = xrealloc(*out, (cap *= 2) * sizeof **out);
		net_from_row(st, &(*out)[(*n)++]);
	}
	store_finalize(st);
	if (rc < 0) {
		networks_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

/* --- subnets --- */

/* The host's own routes, but for the bridges of our networks. */
static bool
net_host_route_overlaps(const struct network *ours, size_t nours,
    uint32_t subnet, int prefix)
{
	char line[256], ifname[32], br[16];
	unsigned long dst, mask;
	FILE *f = fopen("/proc/net/route", "r");
	uint32_t hd, hm;
	bool hit = false;
	size_t i;

	if (f == NULL)
		return false;
	if (fgets(line, sizeof line, f) == NULL) {	/* the header */
		fclose(f);
		return false;
	}
	while (!hit && fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "%31s %lx %*x %*x %*d %*d %*d %lx", ifname, &dst,
		    &mask) != 3)
			continue;
		hd = ntohl((uint32_t)dst);
		hm = ntohl((uint32_t)mask);
		if (hm == 0)			/* the default route */
			continue;
		for (i = 0; i < nours; i++) {
			snprintf(br, sizeof br, "sdc%.12s", ours[i].id);
			if (strcmp(br, ifname) == 0)
				break;
		}
		if (i < nours)
			continue;
		hit = net_overlap(hd, __builtin_popcount(hm), subnet, prefix);
	}
	fclose(f);
	return hit;
}

/* Whether subnet/prefix may be handed out: 0 yes, -1 with the reason. */
static int
net_subnet_free(const struct network *all, size_t n, uint32_t subnet,
    int prefix, sdc_error_t *err)
{
	for (size_t i = 0; i < n; i++)
		if (net_overlap(all[i].subnet, all[i].prefix, subnet, prefix))
			return sdc_make_error_code(err, 403, "Pool overlaps "
			    "with other one on this address space");
	if (net_host_route_overlaps(all, n, subnet, prefix))
		return sdc_make_error_code(err, 403, "Pool overlaps with a "
		    "route of the host");
	return 0;
}

/* The first free /carve of a pool tunable ("10.200.0.0/16"). */
static int
net_carve(struct dockerapi *d, const char *pool_key, const char *pool_def,
    const char *carve_key, uint32_t *subnet, int *prefix, sdc_error_t *err)
{
	const char *pool = tunable_str(d, pool_key, pool_def);
	int carve = (int)tunable_int(d, carve_key, 24), pp;
	struct network *all;
	size_t n;
	uint32_t base, step, s;
	sdc_error_t why = NULL;

	if (net_cidr_parse(pool, &base, &pp) < 0 || carve < pp || carve > 30)
		return sdc_make_error_code(err, 500, "%s (%s) or %s (%d) is not "
		    "a valid pool", pool_key, pool, carve_key, carve);
	if (networks_list(d, NULL, &all, &n, err) < 0)
		return -1;
	step = carve == 32 ? 1 : 1u << (32 - carve);
	for (s = base; (s & net_mask(pp)) == base; s += step) {
		if (net_subnet_free(all, n, s, carve, &why) == 0) {
			networks_free(all, n);
			*subnet = s;
			*prefix = carve;
			return 0;
		}
		sdc_error_release(&why);
		if (s + step < s)
			break;
	}
	networks_free(all, n);
	return sdc_make_error_code(err, 403, "could not find an available, "
	    "non-overlapping IPv4 address pool among the defaults to assign "
	    "to the network (%s is used up)", pool_key);
}

/* NETWORK_VNI_RANGE, "LO-HI" within VXLAN's 24 bits; a value sapi's
 * schema let through but out of range falls back to the default. */
static void
net_vni_range(struct dockerapi *d, int64_t *lo, int64_t *hi)
{
	const char *s = tunable_str(d, "NETWORK_VNI_RANGE", "4096-16777215");
	long long a, b;
	int end = 0;

	if (sscanf(s, "%lld-%lld%n", &a, &b, &end) == 2 && s[end] == '\0' &&
	    a >= 1 && a <= b && b <= 16777215) {
		*lo = a;
		*hi = b;
		return;
	}
	log_warn("NETWORK_VNI_RANGE \"%s\" is not LO-HI within 1-16777215: "
	    "using 4096-16777215", s);
	*lo = 4096;
	*hi = 16777215;
}

/* The lowest VNI of the range no network holds.  Called under the
 * networks' lock, so two heads never pick the same one. */
static int
net_vni_pick(struct dockerapi *d, int64_t *vni, sdc_error_t *err)
{
	struct store_stmt *st;
	int64_t lo, hi, next;
	int rc;

	net_vni_range(d, &lo, &hi);
	if (nq(d, &st, "SELECT vni FROM networks WHERE vni >= ? AND vni <= ? "
	    "ORDER BY vni", err, "ii", lo, hi) < 0)
		return -1;
	next = lo;
	while ((rc = store_step(st, err)) == 1 &&
	    store_col_int64(st, 0) == next)
		next++;
	store_finalize(st);
	if (rc < 0)
		return -1;
	if (next > hi)
		return sdc_make_error_code(err, 403, "no network id left: "
		    "every VNI of NETWORK_VNI_RANGE (%lld-%lld) is taken",
		    (long long)lo, (long long)hi);
	*vni = next;
	return 0;
}

/* Networks made before VNIs existed get theirs, once. */
static int
net_vni_backfill(struct dockerapi *d, sdc_error_t *err)
{
	struct store_stmt *st;
	struct strvec ids = STRVEC_INIT;
	int64_t vni;
	int rc;

	if (store_begin(d->store, err) < 0)
		return -1;
	if (store_lock(d->store, "networks", err) < 0 ||
	    nq(d, &st, "SELECT id FROM networks WHERE vni IS NULL "
	    "ORDER BY created", err, "") < 0)
		goto fail;
	while ((rc = store_step(st, err)) == 1)
		strvec_push(&ids, store_col_text(st, 0));
	store_finalize(st);
	if (rc < 0)
		goto fail;
	for (size_t i = 0; i < ids.n; i++)
		if (net_vni_pick(d, &vni, err) < 0 ||
		    nexec(d, "UPDATE networks SET vni = ? WHERE id = ?", err,
		    "is", vni, ids.v[i]) < 0)
			goto fail;
	strvec_clear(&ids);
	return store_commit(d->store, err);
fail:
	strvec_clear(&ids);
	store_rollback(d->store);
	return sdc_error_wrap(err, "giving networks their VNI");
}

static int
net_insert(struct dockerapi *d, struct network *n, const char *ip_range,
    sdc_error_t *err)
{
	char sub[16], gw[16], *labels;
	int rc;

	if (net_vni_pick(d, &n->vni, err) < 0)
		return -1;
	labels = json_text(n->labels);
	net_ip_str(n->subnet, sub);
	net_ip_str(n->gateway, gw);
	rc = nexec(d, "INSERT INTO networks (id, account, name, driver, subnet, "
	    "prefix, gateway, ip_range, internal, labels, created, is_default, "
	    "vni) VALUES (?,?,?,'bridge',?,?,?,?,?,?,?,?,?)", err,
	    "ssssissisiii", n->id, n->account, n->name, sub, (int64_t)n->prefix,
	    gw, ip_range, (int64_t)n->internal, labels, n->created,
	    (int64_t)n->is_default, n->vni);
	free(labels);
	if (rc < 0 && *err != NULL && (*err)->code == STORE_CONSTRAINT) {
		sdc_error_release(err);
		return sdc_make_error_code(err, 409, "network with name %s "
		    "already exists", n->name);
	}
	return rc;
}

static int64_t
net_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- lookup --- */

static int
net_get_where(struct dockerapi *d, const char *where, const char *account,
    const char *value, struct network *out, sdc_error_t *err)
{
	struct store_stmt *st;
	char *sql;
	int rc, hits = 0;

	xasprintf(&sql, "SELECT " NET_COLS " FROM networks WHERE account = ? "
	    "AND %s", where);
	rc = nq(d, &st, sql, err, "s", account);
	free(sql);
	if (rc < 0)
		return -1;
	if (store_bind_text(st, 2, value, err) < 0) {
		store_finalize(st);
		return -1;
	}
	while ((rc = store_step(st, err)) == 1) {
		if (hits++ == 0)
			net_from_row(st, out);
	}
	store_finalize(st);
	if (rc < 0) {
		if (hits > 0)
			network_clear(out);
		return -1;
	}
	if (hits > 1) {
		network_clear(out);
		return 2;
	}
	return hits;
}

int
network_default(struct dockerapi *d, const char *account, struct network *out,
    sdc_error_t *err)
{
	struct network n = { 0 };
	int rc;

	if ((rc = net_get_where(d, "is_default = ?", account, "1", out,
	    err)) != 0)
		return rc < 0 ? -1 : 0;
	docker_id_make(n.id);
	snprintf(n.account, sizeof n.account, "%s", account);
	n.name = xstrdup(NETWORK_DEFAULT_NAME);
	n.is_default = true;
	n.labels = json_object();
	n.created = net_now();
	/* A subnet is picked from what the store holds, then taken: under
	 * the networks' lock, so daemons sharing one PostgreSQL never pick
	 * the same one (nor make an account two default networks). */
	if (store_begin(d->store, err) < 0 ||
	    store_lock(d->store, "networks", err) < 0 ||
	    (rc = net_get_where(d, "is_default = ?", account, "1", out,
	    err)) < 0 || (rc == 0 && (net_carve(d, "NETWORK_DEFAULT_POOL",
	    "10.200.0.0/16", "NETWORK_DEFAULT_PREFIX", &n.subnet, &n.prefix,
	    err) < 0 || (n.gateway = n.subnet + 1,
	    net_insert(d, &n, "", err)) < 0)) ||
	    store_commit(d->store, err) < 0) {
		store_rollback(d->store);
		network_clear(&n);
		return sdc_error_wrap(err, "the account's default network");
	}
	if (rc != 0) {
		network_clear(&n);
		return 0;
	}
	log_info("account %s: default network %.12s on %u.%u.%u.0/%d", account,
	    n.id, n.subnet >> 24, (n.subnet >> 16) & 255, (n.subnet >> 8) & 255,
	    n.prefix);
	*out = n;
	return 0;
}

int
network_find(struct dockerapi *d, const char *account, const char *ref,
    struct network *out, sdc_error_t *err)
{
	int rc;

	memset(out, 0, sizeof *out);
	if (ref == NULL || *ref == '\0')
		return sdc_make_error_code(err, 404, "network not found");
	if (strcmp(ref, NETWORK_DEFAULT_NAME) == 0 || strcmp(ref, "default") == 0)
		return network_default(d, account, out, err);
	if ((rc = net_get_where(d, "id = ?", account, ref, out, err)) != 0 ||
	    (rc = net_get_where(d, "name = ?", account, ref, out, err)) != 0) {
		return rc < 0 ? -1 : 0;
	}
	if (strspn(ref, "0123456789abcdef") == strlen(ref)) {
		char *like;

		xasprintf(&like, "%s%%", ref);
		rc = net_get_where(d, "id LIKE ?", account, like, out, err);
		free(like);
		if (rc == 2)
			return sdc_make_error_code(err, 400, "network %s is "
			    "ambiguous (more than one network matches)", ref);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	return sdc_make_error_code(err, 404, "network %s not found", ref);
}

/* --- create --- */

static bool
net_name_valid(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= 128 && strchr("._-", name[0]) == NULL &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") == n;
}

/* IPAM.Config[0]: Subnet, Gateway, IPRange; AuxiliaryAddresses refused. */
static int
net_create_ipam(struct dockerapi *d, const json_t *ipam, struct network *n,
    char range[24], sdc_error_t *err)
{
	const json_t *cfgs = json_object_get(ipam, "Config"), *c, *v;
	const char *s, *key, *pool = tunable_str(d, "NETWORK_POOL",
	    "10.210.0.0/15");
	struct network *all;
	size_t count;
	uint32_t pbase;
	int pp, rc;

	range[0] = '\0';
	s = json_str(ipam, "Driver", "");
	if (*s != '\0' && strcmp(s, "default") != 0)
		return sdc_make_error_code(err, 400, "IPAM driver %s is not "
		    "supported: only the default one", s);
	json_object_foreach((json_t *)ipam, key, v)
		if (strcmp(key, "Driver") != 0 && strcmp(key, "Config") != 0 &&
		    !json_is_null(v) && json_object_size(v) + json_array_size(v) > 0)
			return sdc_make_error_code(err, 400, "IPAM.%s is not "
			    "supported", key);
	if (json_array_size(cfgs) > 1)
		return sdc_make_error_code(err, 400, "one IPAM config (one "
		    "--subnet) per network is supported");
	c = json_array_get(cfgs, 0);
	if (json_object_size(json_object_get(c, "AuxiliaryAddresses")) > 0)
		return sdc_make_error_code(err, 400, "--aux-address is not "
		    "supported");
	s = json_str(c, "Subnet", "");
	if (*s == '\0') {
		if (*json_str(c, "Gateway", "") != '\0' ||
		    *json_str(c, "IPRange", "") != '\0')
			return sdc_make_error_code(err, 400, "--gateway and "
			    "--ip-range need a --subnet");
		return net_carve(d, "NETWORK_POOL", "10.210.0.0/15",
		    "NETWORK_POOL_PREFIX", &n->subnet, &n->prefix, err);
	}
	if (strchr(s, ':') != NULL)
		return sdc_make_error_code(err, 400, "IPv6 subnets are not "
		    "supported: %s", s);
	if (net_cidr_parse(s, &n->subnet, &n->prefix) < 0)
		return sdc_make_error_code(err, 400, "invalid subnet %s: it must "
		    "be an IPv4 CIDR such as 10.210.5.0/24", s);
	if (net_cidr_parse(pool, &pbase, &pp) < 0 || n->prefix < pp ||
	    (n->subnet & net_mask(pp)) != pbase)
		return sdc_make_error_code(err, 403, "subnet %s is not within "
		    "this data center's pool for networks (%s)", s, pool);
	if (n->prefix > 30)
		return sdc_make_error_code(err, 400, "subnet %s is too small: "
		    "/30 at most", s);
	s = json_str(c, "Gateway", "");
	if (*s != '\0') {
		if (net_ip_parse(s, &n->gateway) < 0)
			return sdc_make_error_code(err, 400, "invalid gateway "
			    "%s", s);
		if ((n->gateway & net_mask(n->prefix)) != n->subnet ||
		    n->gateway == n->subnet ||
		    n->gateway == (n->subnet | ~net_mask(n->prefix)))
			return sdc_make_error_code(err, 400, "gateway %s is not "
			    "a host address of subnet %s", s,
			    json_str(c, "Subnet", ""));
	}
	s = json_str(c, "IPRange", "");
	if (*s != '\0') {
		if (net_cidr_parse(s, &n->range, &n->range_prefix) < 0)
			return sdc_make_error_code(err, 400, "invalid ip-range "
			    "%s", s);
		if (n->range_prefix < n->prefix ||
		    (n->range & net_mask(n->prefix)) != n->subnet)
			return sdc_make_error_code(err, 400, "ip-range %s is not "
			    "within subnet %s", s, json_str(c, "Subnet", ""));
		snprintf(range, 24, "%s", s);
	}
	if (networks_list(d, NULL, &all, &count, err) < 0)
		return -1;
	rc = net_subnet_free(all, count, n->subnet, n->prefix, err);
	networks_free(all, count);
	return rc;
}

int
network_create(struct dockerapi *d, const char *account, const json_t *body,
    struct network *out, sdc_error_t *err)
{
	struct network n = { 0 }, other;
	const char *name = json_str(body, "Name", ""), *driver, *key;
	const json_t *v, *labels = json_object_get(body, "Labels");
	char range[24];

	if (*name == '\0')
		return sdc_make_error_code(err, 400, "network name is required");
	if (!net_name_valid(name))
		return sdc_make_error_code(err, 400, "invalid network name %s: "
		    "only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
	if (strcmp(name, NETWORK_DEFAULT_NAME) == 0 ||
	    strcmp(name, "host") == 0 || strcmp(name, "none") == 0 ||
	    strcmp(name, "default") == 0)
		return sdc_make_error_code(err, 403, "%s is a pre-defined "
		    "network and cannot be created", name);
	driver = json_str(body, "Driver", "");
	if (*driver != '\0' && strcmp(driver, "bridge") != 0)
		return sdc_make_error_code(err, 400, "network driver %s is not "
		    "supported: only bridge (each account's networks are "
		    "bridges of their own on this node)", driver);
	if (json_bool(body, "EnableIPv6", false))
		return sdc_make_error_code(err, 400, "IPv6 networks are not "
		    "supported");
	if (json_bool(body, "Ingress", false) || json_bool(body, "ConfigOnly",
	    false) || json_object_size(json_object_get(body, "ConfigFrom")) > 0)
		return sdc_make_error_code(err, 400, "swarm networks (ingress, "
		    "config-only, config-from) are not supported");
	if (*json_str(body, "Scope", "") != '\0' &&
	    strcmp(json_str(body, "Scope", ""), "local") != 0)
		return sdc_make_error_code(err, 400, "scope %s is not supported: "
		    "only local", json_str(body, "Scope", ""));
	json_object_foreach((json_t *)json_object_get(body, "Options"), key, v)
		return sdc_make_error_code(err, 400, "network option %s is not "
		    "supported (no driver options are)", key);
	if (labels != NULL && !json_is_null(labels) && !json_is_object(labels))
		return sdc_make_error_code(err, 400, "Labels must be an object");
	json_object_foreach((json_t *)labels, key, v)
		if (!json_is_string(v))
			return sdc_make_error_code(err, 400, "label %s: the value "
			    "must be a string", key);
	if (network_find(d, account, name, &other, err) == 0) {
		network_clear(&other);
		return sdc_make_error_code(err, 409, "network with name %s "
		    "already exists", name);
	}
	sdc_error_release(err);
	docker_id_make(n.id);
	snprintf(n.account, sizeof n.account, "%s", account);
	n.name = xstrdup(name);
	n.internal = json_bool(body, "Internal", false);
	n.labels = json_is_object(labels) ? json_deep_copy(labels) : json_object();
	n.created = net_now();
	/* the subnet checked free and taken under the networks' lock, as
	 * in network_default() */
	if (store_begin(d->store, err) < 0)
		return -1;
	if (store_lock(d->store, "networks", err) < 0 ||
	    net_create_ipam(d, json_object_get(body, "IPAM"), &n, range,
	    err) < 0) {
		store_rollback(d->store);
		network_clear(&n);
		return -1;
	}
	if (n.gateway == 0)
		n.gateway = n.subnet + 1;
	if (net_insert(d, &n, range, err) < 0 ||
	    store_commit(d->store, err) < 0) {
		store_rollback(d->store);
		network_clear(&n);
		return -1;
	}
	*out = n;
	return 0;
}

int
network_delete_row(struct dockerapi *d, const struct network *n,
    sdc_error_t *err)
{
	if (nexec(d, "DELETE FROM network_leases WHERE network = ?", err, "s",
	    n->id) < 0 ||
	    nexec(d, "DELETE FROM network_endpoints WHERE network = ?", err, "s",
	    n->id) < 0)
		return -1;
	return nexec(d, "DELETE FROM networks WHERE id = ?", err, "s", n->id);
}

/* --- endpoints --- */

#define EP_COLS "container, network, endpoint_id, aliases, want_ip, " \
	"want_mac, ip, mac, ifname"

static void
ep_from_row(struct store_stmt *st, struct netep *e)
{
	memset(e, 0, sizeof *e);
	snprintf(e->container, sizeof e->container, "%s", store_col_text(st, 0));
	snprintf(e->network, sizeof e->network, "%s", store_col_text(st, 1));
	snprintf(e->endpoint_id, sizeof e->endpoint_id, "%s",
	    store_col_text(st, 2));
	e->aliases = json_loads(store_col_text(st, 3) ?: "[]", 0, NULL);
	if (!json_is_array(e->aliases)) {
		json_decref(e->aliases);
		e->aliases = json_array();
	}
	net_ip_parse(store_col_text(st, 4), &e->want_ip);
	snprintf(e->want_mac, sizeof e->want_mac, "%s", store_col_text(st, 5));
	net_ip_parse(store_col_text(st, 6), &e->ip);
	snprintf(e->mac, sizeof e->mac, "%s", store_col_text(st, 7));
	snprintf(e->ifname, sizeof e->ifname, "%s",
	    store_col_text(st, 8) ?: "");
}

int
neteps_list(struct dockerapi *d, const char *container, const char *network,
    struct netep **out, size_t *n, sdc_error_t *err)
{
	struct store_stmt *st;
	size_t cap = 4;
	int rc;

	*n = 0;
	*out = xcalloc(cap, sizeof **out);
	rc = container != NULL ? nq(d, &st, "SELECT " EP_COLS " FROM "
	    "network_endpoints WHERE container = ? ORDER BY seq, network", err,
	    "s", container) : nq(d, &st, "SELECT " EP_COLS " FROM "
	    "network_endpoints WHERE network = ? ORDER BY seq, container", err,
	    "s", network);
	if (rc < 0)
		return -1;
	while ((rc = store_step(st, err)) == 1) {
		if (*n == cap)
			*out = xrealloc(*out, (cap *= 2) * sizeof **out);
		ep_from_row(st, &(*out)[(*n)++]);
	}
	store_finalize(st);
	if (rc < 0) {
		neteps_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int
netep_add(struct dockerapi *d, const struct network *net,
    const char *container, const char *container_name, const json_t *aliases,
    uint32_t want_ip, const char *want_mac, sdc_error_t *err)
{
	char epid[65], wip[16] = "", *al;
	int rc;

	if (want_ip != 0) {
		net_ip_str(want_ip, wip);
		if ((want_ip & net_mask(net->prefix)) != net->subnet ||
		    want_ip == net->gateway || want_ip == net->subnet ||
		    want_ip == (net->subnet | ~net_mask(net->prefix)))
			return sdc_make_error_code(err, 400, "no configured "
			    "subnet or ip-range contain the IP address %s", wip);
	}
	docker_id_make(epid);
	al = json_text(json_is_array(aliases) ? aliases : json_array());
	rc = nexec(d, "INSERT INTO network_endpoints (" EP_COLS ", seq) "
	    "VALUES (?,?,?,?,?,?,'','','',?)", err, "ssssssi", container,
	    net->id, epid, al, wip, want_mac != NULL ? want_mac : "", net_now());
	free(al);
	if (rc < 0 && *err != NULL && (*err)->code == STORE_CONSTRAINT) {
		sdc_error_release(err);
		return sdc_make_error_code(err, 403, "endpoint with name %s "
		    "already exists in network %s", container_name, net->name);
	}
	return rc;
}

int
netep_remove(struct dockerapi *d, const char *container, const char *network,
    sdc_error_t *err)
{
	if (netep_release(d, container, network, err) < 0)
		return -1;
	if (network == NULL)
		return nexec(d, "DELETE FROM network_endpoints WHERE container = ?",
		    err, "s", container);
	return nexec(d, "DELETE FROM network_endpoints WHERE container = ? AND "
	    "network = ?", err, "ss", container, network);
}

static bool
net_ip_held(struct dockerapi *d, const char *network, uint32_t ip,
    sdc_error_t *err, int *rc)
{
	struct store_stmt *st;
	char s[16];

	net_ip_str(ip, s);
	if (nq(d, &st, "SELECT container FROM network_leases WHERE network = ? "
	    "AND ip = ?", err, "ss", network, s) < 0) {
		*rc = -1;
		return true;
	}
	*rc = store_step(st, err);
	store_finalize(st);
	return *rc != 0;
}

/* The lowest free address from `from` to hi, 0 when none (rc -1 on a
 * store error). */
static uint32_t
net_ip_free_from(struct dockerapi *d, const struct network *net,
    uint32_t from, uint32_t hi, sdc_error_t *err, int *rc)
{
	uint32_t bcast = net->subnet | ~net_mask(net->prefix);

	*rc = 0;
	for (uint32_t ip = from; ; ip++) {
		if (ip != net->subnet && ip != bcast && ip != net->gateway) {
			if (!net_ip_held(d, net->id, ip, err, rc))
				return ip;
			if (*rc < 0)
				return 0;
		}
		if (ip == hi)
			return 0;
	}
}

int
netep_lease(struct dockerapi *d, const struct network *net, struct netep *ep,
    sdc_error_t *err)
{
	uint32_t lo, hi, ip = 0, bcast = net->subnet | ~net_mask(net->prefix);
	char s[16];
	int rc = 0;

	if (net->range_prefix > 0) {
		lo = net->range;
		hi = net->range | ~net_mask(net->range_prefix);
	} else {
		lo = net->subnet;
		hi = bcast;
	}
	for (;;) {
		if (ep->want_ip != 0)
			ip = ep->want_ip;
		else if ((ip = net_ip_free_from(d, net, ip != 0 ? ip + 1 : lo,
		    hi, err, &rc)) == 0) {
			if (rc < 0)
				return -1;
			return sdc_make_error_code(err, 403, "no available IPv4 "
			    "addresses on network %s", net->name);
		}
		net_ip_str(ip, s);
		/* another head may take the same address between the look
		 * and the insert: the row's key decides, and the next free
		 * one is tried (a wanted one is refused) */
		if (nexec(d, "INSERT INTO network_leases (network, ip, container) "
		    "VALUES (?,?,?) ON CONFLICT DO NOTHING", err, "sss", net->id,
		    s, ep->container) < 0)
			return -1;
		if (store_changes(d->store) > 0)
			break;
		if (ep->want_ip != 0)
			return sdc_make_error_code(err, 403, "Address already in "
			    "use: %s on network %s", s, net->name);
		if (ip == hi)
			return sdc_make_error_code(err, 403, "no available IPv4 "
			    "addresses on network %s", net->name);
	}
	ep->ip = ip;
	if (ep->want_mac[0] != '\0')
		snprintf(ep->mac, sizeof ep->mac, "%s", ep->want_mac);
	else
		snprintf(ep->mac, sizeof ep->mac, "02:42:%02x:%02x:%02x:%02x",
		    ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
	/* the interface, when the caller named it (a start, a connect);
	 * an address put back after a refused disconnect keeps its own */
	if (ep->ifname[0] != '\0')
		return nexec(d, "UPDATE network_endpoints SET ip = ?, mac = ?, "
		    "ifname = ? WHERE container = ? AND network = ?", err,
		    "sssss", s, ep->mac, ep->ifname, ep->container, net->id);
	return nexec(d, "UPDATE network_endpoints SET ip = ?, mac = ? WHERE "
	    "container = ? AND network = ?", err, "ssss", s, ep->mac,
	    ep->container, net->id);
}

int
netep_free_ifname(const struct netep *eps, size_t n, const char *network)
{
	size_t i;
	int k, index;
	bool used;

	for (k = 0;; k++) {
		used = false;
		for (i = 0; i < n && !used; i++) {
			if (eps[i].ip == 0 || strcmp(eps[i].network, network) == 0)
				continue;
			if (eps[i].ifname[0] == '\0')	/* a row from before */
				index = (int)i;
			else if (sscanf(eps[i].ifname, "eth%d", &index) != 1)
				continue;
			used = index == k;
		}
		if (!used)
			return k;
	}
}

int
netep_release(struct dockerapi *d, const char *container, const char *network,
    sdc_error_t *err)
{
	/* a row already released is not written again (each write is a
	 * commit on disk, and stop then rm release twice) */
	if (network != NULL)
		return nexec(d, "DELETE FROM network_leases WHERE container = ? "
		    "AND network = ?", err, "ss", container, network) < 0 ||
		    nexec(d, "UPDATE network_endpoints SET ip = '', mac = '' "
		    "WHERE container = ? AND network = ? AND (ip != '' OR "
		    "mac != '')", err, "ss", container, network) < 0 ? -1 : 0;
	return nexec(d, "DELETE FROM network_leases WHERE container = ?", err,
	    "s", container) < 0 ||
	    nexec(d, "UPDATE network_endpoints SET ip = '', mac = '' WHERE "
	    "container = ? AND (ip != '' OR mac != '')", err, "s",
	    container) < 0 ? -1 : 0;
}

/* --- ports --- */

/* Whether a process of the host holds the port (a bind fails). */
static bool
net_port_busy_on_host(const char *proto, uint32_t host_ip, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
	    .sin_port = htons(port), .sin_addr.s_addr = htonl(host_ip) };
	int one = 1, fd, rc;

	fd = socket(AF_INET, (strcmp(proto, "udp") == 0 ? SOCK_DGRAM :
	    SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	close(fd);
	return rc < 0 && errno == EADDRINUSE;
}

static int
net_port_insert(struct dockerapi *d, const char *account,
    const char *container, const struct netport *p, sdc_error_t *err)
{
	char hip[16];

	net_ip_str(p->host_ip, hip);
	return nexec(d, "INSERT INTO port_bindings (proto, host_port, host_ip, "
	    "container_port, container, account) VALUES (?,?,?,?,?,?)", err,
	    "sisiss", p->proto, (int64_t)p->host_port, hip,
	    (int64_t)p->container_port, container, account);
}

static int
net_port_taken(const struct netport *p, sdc_error_t *err)
{
	char hip[16];

	net_ip_str(p->host_ip, hip);
	return sdc_make_error_code(err, 500, "Bind for %s:%u failed: port is "
	    "already allocated", hip, (unsigned)p->host_port);
}

int
netports_bind(struct dockerapi *d, const char *account, const char *container,
    struct netport *ports, size_t n, sdc_error_t *err)
{
	const char *range = tunable_str(d, "NETWORK_EPHEMERAL_PORTS",
	    "49153-60999");
	unsigned lo = 49153, hi = 60999, port;
	size_t i;

	if (n == 0)
		return 0;
	if (sscanf(range, "%u-%u", &lo, &hi) != 2 || lo == 0 || hi > 65535 ||
	    lo > hi) {
		lo = 49153;
		hi = 60999;
	}
	/* not waited to disk, as the leases (ctrnet_start) */
	if (store_begin_lazy(d->store, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (ports[i].host_port != 0) {
			if (net_port_busy_on_host(ports[i].proto,
			    ports[i].host_ip, ports[i].host_port))
				goto taken;
			if (net_port_insert(d, account, container, &ports[i],
			    err) < 0) {
				if (*err != NULL &&
				    (*err)->code == STORE_CONSTRAINT) {
					sdc_error_release(err);
					goto taken;
				}
				goto fail;
			}
			continue;
		}
		for (port = lo; port <= hi; port++) {
			ports[i].host_port = (uint16_t)port;
			if (net_port_busy_on_host(ports[i].proto,
			    ports[i].host_ip, ports[i].host_port))
				continue;
			if (net_port_insert(d, account, container, &ports[i],
			    err) == 0)
				break;
			if (*err == NULL || (*err)->code != STORE_CONSTRAINT)
				goto fail;
			sdc_error_release(err);
		}
		if (port > hi) {
			ports[i].host_port = 0;
			store_rollback(d->store);
			return sdc_make_error_code(err, 500, "no free port in "
			    "the ephemeral range %u-%u to publish %u/%s", lo, hi,
			    (unsigned)ports[i].container_port, ports[i].proto);
		}
	}
	return store_commit(d->store, err);
taken:
	store_rollback(d->store);
	return net_port_taken(&ports[i], err);
fail:
	store_rollback(d->store);
	return -1;
}

int
netports_release(struct dockerapi *d, const char *container, sdc_error_t *err)
{
	return nexec(d, "DELETE FROM port_bindings WHERE container = ?", err,
	    "s", container);
}

int
netports_list(struct dockerapi *d, const char *container, struct netport **out,
    size_t *n, sdc_error_t *err)
{
	struct store_stmt *st;
	size_t cap = 4;
	int rc;

	*n = 0;
	*out = xcalloc(cap, sizeof **out);
	if (nq(d, &st, "SELECT proto, host_port, host_ip, container_port FROM "
	    "port_bindings WHERE container = ? ORDER BY container_port, proto",
	    err, "s", container) < 0)
		return -1;
	while ((rc = store_step(st, err)) == 1) {
		struct netport *p;

		if (*n == cap)
			*out = xrealloc(*out, (cap *= 2) * sizeof **out);
		p = &(*out)[(*n)++];
		memset(p, 0, sizeof *p);
		snprintf(p->proto, sizeof p->proto, "%s", store_col_text(st, 0));
		p->host_port = (uint16_t)store_col_int64(st, 1);
		net_ip_parse(store_col_text(st, 2), &p->host_ip);
		p->container_port = (uint16_t)store_col_int64(st, 3);
	}
	store_finalize(st);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}
