/*
 * netsync.c: the node's networks across nodes, kept equal to the store.
 *
 * An account's network spans the nodes its containers run on over the
 * kernel's VXLAN, one VNI per network (docs/architecture.md, "Networks
 * across nodes").  The heads write what is (networks, endpoints with
 * their addresses and MACs, each container's node; the nodes table has
 * every node's VTEP); each agent makes its own node's kernel say the
 * same through libsdcnet: for each network with a running endpoint here
 * and on another available node, the bridge and the vxlan device with
 * the network's VNI, the device's forwarding entries (an all-zeros one
 * per other node of the network, one per endpoint there: its MAC to its
 * node's VTEP), the VTEPs the underlay's guard accepts, and the
 * network's names table listing its containers on every node, so names
 * resolve across nodes.  What the plan no longer has goes: a device of
 * a network that no longer spans (its last endpoint here or elsewhere
 * stopped, or the other node is not heard from), the entries of a gone
 * endpoint or node, the bridge and names of a network gone from the
 * store.
 *
 * Why a whole pass each time rather than deltas: the plan is a pure
 * function of a few small queries (netsync-plan.c), every library call
 * is idempotent and cheap when nothing changed (the entries are one
 * dump, an unchanged names table is not written), and a pass repairs
 * whatever was missed (a notification lost while PostgreSQL restarted,
 * an agent restarted, a device deleted by hand).  Passes run at start,
 * soon after each notification on dockerapi_events that can move or
 * rename an endpoint (every head sends one for each container's start,
 * death, removal or rename and each network's event: lib/store-listen.c,
 * PostgreSQL only; execs and the like are passed over), and every
 * netsync_interval, the safety net and, on SQLite (one machine), the
 * only trigger.  A node not heard from is seen by the periodic pass.
 *
 * Why a device only where the network spans, not on every node with an
 * endpoint: on one machine (make run, the single-node tests) no network
 * spans, and nothing of VXLAN is made, so the node's nftables ruleset is
 * never touched by the agent (each change of it makes the heads' next
 * bridge check list the ruleset again).  Both ends of a span see it at
 * the same time, from the same rows.
 *
 * The containers this agent starts are plumbed by it (container-net.c),
 * names included, so a pass also writes the names table of every
 * network with a running container here that spans nothing, and counts
 * this node's containers by its own word (plumbed and not taken down,
 * or running) rather than by the store's leases, which a head releases
 * only after it hears of the exit.  Expensive steps are skipped when
 * nothing changed: the vxlan device is ensured only when missing or its
 * VNI or VTEP changed, and the guard's VTEPs are set only when the list
 * changed.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <event2/event.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "jsonutil.h"
#include "log.h"
#include "netsync.h"
#include "store-listen.h"
#include "strvec.h"
#include "timeutil.h"
#include "xalloc.h"

#define NETSYNC_CHANNEL "dockerapi_events"
#define NETSYNC_SOON_MS 20      /* a burst of notifications, one pass */

/* A device this agent ensured, as it was made. */
struct netsync_dev {
	char id[65];
	uint32_t vni;
	struct in_addr local;
};

struct netsync {
	struct agent *a;
	struct net_config cfg;
	struct in_addr vtep;
	struct event *tick;             /* every netsync_ms */
	struct event *soon;             /* a pass after a notification */
	struct store_listener *l;
	struct netsync_dev *devs;       /* ensured and believed there */
	size_t ndevs;
	struct strvec spanned;          /* networks whose names we wrote */
	struct in_addr *vteps;          /* the guard's list, as last set */
	size_t nvteps;
	bool vteps_set;
	bool failing;                   /* the last pass's reads failed */
	const char *starting;           /* a uuid counted as running (its
	                                   start plumbs before it runs) */
	const char *ending;             /* one counted as not (its network
	                                   taken down: a forced rm's runs
	                                   until the delete after it) */
};

/* --- the rows, read from the store --- */

struct netsync_read {
	struct node_list nodes;
	struct netsync_node *n;
	struct netsync_network *nets;
	size_t nnets;
	struct netsync_endpoint *eps;
	size_t neps;
	struct strvec text;             /* every string the rows point to */
	const char ***names;            /* each endpoint's, NULL-terminated */
	struct in_addr **servers;
};

static const char *
netsync_keep(struct netsync_read *r, const char *s)
{
	return strvec_push(&r->text, s != NULL ? s : "");
}

static void
netsync_read_free(struct netsync_read *r)
{
	for (size_t i = 0; i < r->neps; i++) {
		free(r->names[i]);
		free(r->servers[i]);
	}
	free(r->names);
	free(r->servers);
	free(r->eps);
	free(r->nets);
	free(r->n);
	node_list_free(&r->nodes);
	strvec_clear(&r->text);
}

static int
netsync_read_networks(struct store *st, struct netsync_read *r,
    sdc_error_t *err)
{
	struct store_stmt *s;
	size_t cap = 0;
	int rc;

	if (store_prepare(st, &s, "SELECT id, vni, subnet, prefix, gateway, "
	    "internal FROM networks ORDER BY id", err) < 0)
		return -1;
	while ((rc = store_step(s, err)) == 1) {
		struct netsync_network *n;

		if (r->nnets == cap) {
			cap = cap ? cap * 2 : 16;
			r->nets = xrealloc(r->nets, cap * sizeof *r->nets);
		}
		n = &r->nets[r->nnets++];
		memset(n, 0, sizeof *n);
		n->id = netsync_keep(r, store_col_text(s, 0));
		n->vni = store_col_is_null(s, 1) ? 0 :
		    (uint32_t)store_col_int64(s, 1);
		n->bridge.id = n->id;
		inet_pton(AF_INET, store_col_text(s, 2) ?: "", &n->bridge.subnet);
		n->bridge.prefix = (int)store_col_int64(s, 3);
		inet_pton(AF_INET, store_col_text(s, 4) ?: "", &n->bridge.gateway);
		n->bridge.internal = store_col_int64(s, 5) != 0;
	}
	store_finalize(s);
	return rc;
}

/* One endpoint's names as its head sets them (container-net.c): the
 * container's name, its aliases on the network, its short id; a name no
 * name server can carry left out as there (net_dns_name_add), so the
 * container still starts and answers by its id, as on a head. */
static void
netsync_names(struct netsync_read *r, size_t i, const char *name,
    const char *aliases, const char *container, const char *host_config)
{
	json_t *al = json_loads(aliases ?: "[]", 0, NULL);
	json_t *hc = json_loads(host_config ?: "{}", 0, NULL);
	json_t *dns = json_object_get(hc, "Dns");
	const char **v = xcalloc(json_array_size(al) + 3, sizeof *v);
	struct in_addr *sv = xcalloc(json_array_size(dns) + 1, sizeof *sv);
	size_t k = 0, a;

	net_dns_name_add(v, &k, netsync_keep(r, name));
	for (a = 0; a < json_array_size(al); a++)
		if (json_string_value(json_array_get(al, a)) != NULL)
			net_dns_name_add(v, &k, netsync_keep(r,
			    json_string_value(json_array_get(al, a))));
	v[k++] = strvec_pushf(&r->text, "%.12s", container);
	r->names[i] = v;
	r->eps[i].names = v;
	for (a = 0; a < json_array_size(dns); a++)
		if (inet_pton(AF_INET, json_string_value(json_array_get(dns, a))
		    ?: "", &sv[r->eps[i].nservers]) == 1)
			r->eps[i].nservers++;
	r->servers[i] = sv;
	r->eps[i].servers = sv;
	json_decref(al);
	json_decref(hc);
}

/* Whether this node's container uuid runs (or is the one starting, and
 * not the one ending):
 * the node's own runtime is the truth for its containers, so a name
 * goes from this node's tables at the exit its agent saw, not when a
 * head releases the address later. */
static bool
netsync_running_here(struct netsync *ns, const char *uuid)
{
	struct rt_state st;
	sdc_error_t err = NULL;

	if (ns->ending != NULL && strcmp(ns->ending, uuid) == 0)
		return false;
	/* plumbed here and not yet taken down: from its start's plumbing
	 * (before runc runs it) to its exit's teardown (container-net.c) */
	if ((ns->starting != NULL && strcmp(ns->starting, uuid) == 0) ||
	    agent_net_plumbed(ns->a, uuid))
		return true;
	if (rt_state_read(&ns->a->rt, uuid, &st, &err) < 0) {
		sdc_error_release(&err);
		return false;
	}
	return st.status == RT_RUNNING || st.status == RT_PAUSED;
}

static int
netsync_read_endpoints(struct netsync *ns, struct netsync_read *r,
    sdc_error_t *err)
{
	struct store *st = ns->a->store;
	struct store_stmt *s;
	size_t cap = 0;
	int rc;

	if (store_prepare(st, &s, "SELECT e.network, e.container, e.ip, e.mac, "
	    "e.aliases, c.name, c.extra, c.host_config, c.uuid "
	    "FROM network_endpoints e "
	    "JOIN containers c ON c.id = e.container WHERE e.ip <> '' "
	    "ORDER BY e.network, e.container", err) < 0)
		return -1;
	while ((rc = store_step(s, err)) == 1) {
		struct netsync_endpoint *e;
		json_t *extra;

		if (r->neps == cap) {
			cap = cap ? cap * 2 : 32;
			r->eps = xrealloc(r->eps, cap * sizeof *r->eps);
			r->names = xrealloc(r->names, cap * sizeof *r->names);
			r->servers = xrealloc(r->servers, cap * sizeof *r->servers);
		}
		e = &r->eps[r->neps];
		memset(e, 0, sizeof *e);
		if (inet_pton(AF_INET, store_col_text(s, 2) ?: "", &e->ip) != 1 ||
		    netsync_mac_parse(store_col_text(s, 3), e->mac) < 0)
			continue;       /* not an address held: not running */
		e->network = netsync_keep(r, store_col_text(s, 0));
		e->container = netsync_keep(r, store_col_text(s, 1));
		extra = json_loads(store_col_text(s, 6) ?: "{}", 0, NULL);
		e->node = netsync_keep(r, json_str(extra, "Node", ""));
		json_decref(extra);
		if (strcmp(e->node, ns->a->self.id) == 0 &&
		    !netsync_running_here(ns, store_col_text(s, 8) ?: ""))
			continue;       /* exited here, not yet released */
		netsync_names(r, r->neps, store_col_text(s, 5),
		    store_col_text(s, 4), e->container, store_col_text(s, 7));
		r->neps++;
	}
	store_finalize(s);
	return rc;
}

static int
netsync_read(struct netsync *ns, struct netsync_read *r, sdc_error_t *err)
{
	struct store *st = ns->a->store;

	memset(r, 0, sizeof *r);
	if (nodes_table_read(st, NULL, time_now_ns() / 1000000, &r->nodes,
	    err) < 0 || netsync_read_networks(st, r, err) < 0 ||
	    netsync_read_endpoints(ns, r, err) < 0)
		return -1;
	r->n = xcalloc(r->nodes.n + 1, sizeof *r->n);
	for (size_t i = 0; i < r->nodes.n; i++) {
		r->n[i].id = r->nodes.v[i].id;
		r->n[i].available = r->nodes.v[i].available;
		if (inet_pton(AF_INET, r->nodes.v[i].vtep ?: "",
		    &r->n[i].vtep) != 1)
			r->n[i].vtep.s_addr = htonl(INADDR_ANY);
	}
	return 0;
}

/* The ids of the networks whose bridge this node's networking made
 * (<net_dir>/networks/<id>, net/bridge.c's markers). */
static void
netsync_markers(struct netsync *ns, struct strvec *out)
{
	char *path;
	DIR *d;
	struct dirent *de;

	xasprintf(&path, "%s/networks", ns->cfg.run_dir);
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (strlen(de->d_name) == 64)
				strvec_push(out, de->d_name);
		closedir(d);
	}
	free(path);
}

/* --- making it so --- */

static bool
netsync_link(const char *name)
{
	return if_nametoindex(name) != 0;
}

static struct netsync_dev *
netsync_dev(struct netsync *ns, const char *id)
{
	for (size_t i = 0; i < ns->ndevs; i++)
		if (strcmp(ns->devs[i].id, id) == 0)
			return &ns->devs[i];
	return NULL;
}

static void
netsync_dev_forget(struct netsync *ns, const char *id)
{
	struct netsync_dev *d = netsync_dev(ns, id);

	if (d != NULL)
		*d = ns->devs[--ns->ndevs];
}

static void
netsync_warn(const char *what, const char *id, sdc_error_t *err)
{
	log_warn("networks across nodes: %s %.12s: %s", what, id,
	    sdc_error_msg(*err));
	sdc_error_release(err);
}

/* A spanning network: bridge, device, entries, names. */
static void
netsync_span(struct netsync *ns, const struct netsync_net *w)
{
	const struct netsync_network *net = w->net;
	struct net_vxlan v = { .network_id = net->id, .vni = net->vni,
		.local = ns->vtep };
	struct netsync_dev *d = netsync_dev(ns, net->id);
	sdc_error_t err = NULL;
	char br[16], vx[16];

	if (net->vni == 0) {
		log_warn("networks across nodes: network %.12s has no VNI yet "
		    "(a head gives it one at its start)", net->id);
		return;
	}
	net_bridge_ifname(net->id, br);
	net_vxlan_ifname(net->id, vx);
	if (!netsync_link(br) && net_bridge_ensure(&ns->cfg, &net->bridge,
	    &err) < 0) {
		netsync_warn("bridge of network", net->id, &err);
		return;
	}
	if (d == NULL || d->vni != net->vni ||
	    d->local.s_addr != ns->vtep.s_addr || !netsync_link(vx)) {
		if (net_vxlan_ensure(&ns->cfg, &v, &err) < 0) {
			netsync_warn("vxlan device of network", net->id, &err);
			return;
		}
		if (d == NULL) {
			ns->devs = xrealloc(ns->devs, (ns->ndevs + 1) *
			    sizeof *ns->devs);
			d = &ns->devs[ns->ndevs++];
			snprintf(d->id, sizeof d->id, "%s", net->id);
			log_info("network %.12s spans nodes: vxlan %s, VNI %u",
			    net->id, vx, net->vni);
		}
		d->vni = net->vni;
		d->local = ns->vtep;
	}
	if (net_vxlan_fdb_set(&ns->cfg, net->id, w->vteps, w->nvteps, w->peers,
	    w->npeers, &err) < 0) {
		netsync_warn("forwarding entries of network", net->id, &err);
		return;
	}
	if (net_dns_queue_set(agent_dns_queue(ns->a), &net->bridge, w->names,
	    w->nnames, &err) < 0)
		netsync_warn("names of network", net->id, &err);
	if (!strvec_has(&ns->spanned, net->id))
		strvec_push(&ns->spanned, net->id);
}

static bool
netsync_wanted(const struct netsync_want *w, const char *id)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].spans && w->v[i].net->vni != 0 &&
		    strcmp(w->v[i].net->id, id) == 0)
			return true;
	return false;
}

static bool
netsync_in_store(const struct netsync_read *r, const char *id)
{
	for (size_t i = 0; i < r->nnets; i++)
		if (strcmp(r->nets[i].id, id) == 0)
			return true;
	return false;
}

/* What spans no more: its device; its names back to this node's own
 * and the nodeless ones, once. */
static void
netsync_unspan(struct netsync *ns, const struct netsync_read *r,
    const struct netsync_want *w)
{
	sdc_error_t err = NULL;
	struct strvec keep = STRVEC_INIT;
	char vx[16];
	size_t i;

	for (i = 0; i < r->nnets; i++) {
		const char *id = r->nets[i].id;

		if (netsync_wanted(w, id))
			continue;
		net_vxlan_ifname(id, vx);
		if (netsync_link(vx)) {
			if (net_vxlan_remove(&ns->cfg, id, &err) < 0)
				netsync_warn("removing the vxlan device of "
				    "network", id, &err);
			else
				log_info("network %.12s spans nodes no more: "
				    "vxlan %s removed", id, vx);
		}
		netsync_dev_forget(ns, id);
	}
	for (i = 0; i < ns->spanned.n; i++) {
		const char *id = ns->spanned.v[i];

		if (netsync_wanted(w, id)) {
			strvec_push(&keep, id);
			continue;
		}
		for (size_t k = 0; k < w->n; k++)
			if (strcmp(w->v[k].net->id, id) == 0 &&
			    net_dns_queue_set(agent_dns_queue(ns->a),
			    &w->v[k].net->bridge, w->v[k].names,
			    w->v[k].nnames, &err) < 0)
				netsync_warn("names of network", id, &err);
	}
	strvec_clear(&ns->spanned);
	ns->spanned = keep;
}

/* Networks gone from the store whose bridge this node still has (the
 * head that removed it removed its own node's only). */
static void
netsync_gone(struct netsync *ns, const struct netsync_read *r,
    const struct strvec *markers)
{
	sdc_error_t err = NULL;

	for (size_t i = 0; i < markers->n; i++) {
		const char *id = markers->v[i];

		if (netsync_in_store(r, id))
			continue;
		netsync_dev_forget(ns, id);
		if (net_dns_queue_remove(agent_dns_queue(ns->a), id,
		    &err) < 0 ||
		    net_bridge_remove(&ns->cfg, id, &err) < 0)
			netsync_warn("removing gone network", id, &err);
		else
			log_info("network %.12s is gone: its bridge removed",
			    id);
	}
}

static void
netsync_guard(struct netsync *ns, const struct netsync_want *w)
{
	sdc_error_t err = NULL;

	if (ns->ndevs == 0 && !ns->vteps_set)
		return;         /* nothing of VXLAN on this node */
	if (ns->vteps_set && ns->nvteps == w->nvteps &&
	    memcmp(ns->vteps, w->vteps, w->nvteps * sizeof *w->vteps) == 0)
		return;
	if (net_vxlan_vteps_set(&ns->cfg, w->vteps, w->nvteps, &err) < 0) {
		log_warn("networks across nodes: the VTEPs' guard: %s",
		    sdc_error_msg(err));
		sdc_error_release(&err);
		ns->vteps_set = false;
		return;
	}
	free(ns->vteps);
	ns->vteps = xcalloc(w->nvteps + 1, sizeof *ns->vteps);
	memcpy(ns->vteps, w->vteps, w->nvteps * sizeof *w->vteps);
	ns->nvteps = w->nvteps;
	ns->vteps_set = true;
}

/* A network with endpoints here alone: its names table, as a head
 * writes its own (an unchanged table is not written again). */
static void
netsync_local_names(struct netsync *ns, const struct netsync_net *w)
{
	sdc_error_t err = NULL;
	char br[16];

	net_bridge_ifname(w->net->id, br);
	if (!netsync_link(br))
		return;         /* not plumbed here (yet): no server to feed */
	if (net_dns_queue_set(agent_dns_queue(ns->a), &w->net->bridge,
	    w->names, w->nnames, &err) < 0)
		netsync_warn("names of network", w->net->id, &err);
}

static void
netsync_pass(struct netsync *ns)
{
	struct strvec markers = STRVEC_INIT;
	struct netsync_read r;
	struct netsync_rows rows;
	struct netsync_want w;
	sdc_error_t err = NULL;
	struct timespec t0, t1;
	size_t spans = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* the markers before the rows: a bridge made after this listing
	 * belongs to a network the rows then have */
	netsync_markers(ns, &markers);
	if (netsync_read(ns, &r, &err) < 0) {
		if (!ns->failing)
			log_warn("networks across nodes: reading the store: %s "
			    "(tried again at the next pass)",
			    sdc_error_msg(err));
		ns->failing = true;
		sdc_error_release(&err);
		netsync_read_free(&r);
		strvec_clear(&markers);
		return;
	}
	if (ns->failing)
		log_info("networks across nodes: the store answers again");
	ns->failing = false;
	rows = (struct netsync_rows){ .self = ns->a->self.id,
		.self_vtep = ns->vtep, .nodes = r.n, .nnodes = r.nodes.n,
		.networks = r.nets, .nnetworks = r.nnets, .eps = r.eps,
		.neps = r.neps };
	netsync_plan(&rows, &w);
	for (size_t i = 0; i < w.n; i++)
		if (w.v[i].spans) {
			netsync_span(ns, &w.v[i]);
			spans++;
		} else
			netsync_local_names(ns, &w.v[i]);
	netsync_guard(ns, &w);
	netsync_unspan(ns, &r, &w);
	netsync_gone(ns, &r, &markers);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_debug("networks across nodes: a pass in %.2f ms (%zu networks, "
	    "%zu endpoints running, %zu networks here, %zu spanning)",
	    (double)(time_ts_ns(&t1) - time_ts_ns(&t0)) / 1e6, r.nnets, r.neps,
	    w.n, spans);
	netsync_want_free(&w);
	netsync_read_free(&r);
	strvec_clear(&markers);
}

/* The names tables of the networks given, now (a container's start
 * or end here, container-net.c): every available node's containers on
 * each, uuid counted as running or not; a network with none of its
 * endpoints here any more gets an empty table (its server idles out). */
int
agent_netsync_names(struct agent *a, const char *const *networks,
    const char *uuid, bool running, struct net_dns_wait *names,
    sdc_error_t *err)
{
	struct netsync tmp = { .a = a }, *ns = a->netsync != NULL ?
	    a->netsync : &tmp;
	struct netsync_read r;
	struct netsync_rows rows;
	struct netsync_want w;
	int rc = 0;

	tmp.cfg.run_dir = a->opt->net_dir;
	ns->starting = running ? uuid : NULL;
	ns->ending = running ? NULL : uuid;
	rc = netsync_read(ns, &r, err);
	ns->starting = ns->ending = NULL;
	if (rc < 0) {
		netsync_read_free(&r);
		return -1;
	}
	rows = (struct netsync_rows){ .self = a->self.id,
		.self_vtep = ns->vtep, .nodes = r.n, .nnodes = r.nodes.n,
		.networks = r.nets, .nnetworks = r.nnets, .eps = r.eps,
		.neps = r.neps };
	netsync_plan(&rows, &w);
	for (size_t i = 0; rc == 0 && networks[i] != NULL; i++) {
		const struct netsync_net *v = NULL;
		const struct netsync_network *net = NULL;

		for (size_t k = 0; k < w.n; k++)
			if (strcmp(w.v[k].net->id, networks[i]) == 0)
				v = &w.v[k];
		for (size_t k = 0; k < r.nnets && v == NULL; k++)
			if (strcmp(r.nets[k].id, networks[i]) == 0)
				net = &r.nets[k];
		if (v != NULL)
			rc = net_dns_queue_set(agent_dns_queue(a), &v->net->bridge,
			    v->names, v->nnames, err);
		else if (net != NULL)
			rc = net_dns_queue_set(agent_dns_queue(a), &net->bridge,
			    NULL, 0, err);
		if (rc == 0 && names != NULL && (v != NULL || net != NULL))
			net_dns_wait_add(names, agent_dns_queue(a), networks[i]);
	}
	netsync_want_free(&w);
	netsync_read_free(&r);
	return rc;
}

/* --- when --- */

static void
netsync_on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	netsync_pass(arg);
}

static void
netsync_schedule(void *arg)
{
	struct netsync *ns = arg;
	struct timeval tv = { 0, NETSYNC_SOON_MS * 1000 };

	if (!evtimer_pending(ns->soon, NULL))
		evtimer_add(ns->soon, &tv);
}

/* A head's event that can move an endpoint or rename one
 * (netsync_event_moves) brings a pass; execs, attaches and the rest do
 * not. */
static void
netsync_heard(void *arg, const char *channel, const char *payload)
{
	(void)channel;
	if (netsync_event_moves(payload))
		netsync_schedule(arg);
}

static const struct store_listen_ops netsync_listen_ops = {
	.channel = NETSYNC_CHANNEL,
	.what = "the heads' changes (networks across nodes follow at the "
	    "periodic pass meanwhile)",
	.again = "listening to the heads' changes again",
	.each = netsync_heard,
	.back = netsync_schedule,
};

int
agent_netsync_start(struct agent *a, sdc_error_t *err)
{
	const char *vtep = agent_options_vtep(a->opt);
	struct timeval tv = {
		.tv_sec = a->opt->netsync_ms / 1000,
		.tv_usec = (a->opt->netsync_ms % 1000) * 1000,
	};
	struct netsync *ns;

	if (vtep == NULL) {
		log_info("networks across nodes: off (no VTEP: the address "
		    "%s is not an IPv4 address; set vtep)", a->opt->address);
		return 0;
	}
	ns = xcalloc(1, sizeof *ns);
	if (inet_pton(AF_INET, vtep, &ns->vtep) != 1) {
		free(ns);
		return sdc_make_error(err, 0, "vtep \"%s\": not an IPv4 "
		    "address", vtep);
	}
	ns->a = a;
	ns->cfg.run_dir = a->opt->net_dir;
	ns->tick = event_new(a->base, -1, EV_PERSIST, netsync_on_timer, ns);
	ns->soon = evtimer_new(a->base, netsync_on_timer, ns);
	a->netsync = ns;
	netsync_pass(ns);
	event_add(ns->tick, &tv);
	ns->l = store_listener_start(a->base, a->opt->store,
	    &netsync_listen_ops, ns);
	log_info("networks across nodes: VTEP %s, networking in %s, a pass "
	    "every %lld ms%s", vtep, ns->cfg.run_dir,
	    (long long)a->opt->netsync_ms, ns->l != NULL ?
	    " and on the heads' notifications" : "");
	return 0;
}

void
agent_netsync_stop(struct agent *a)
{
	struct netsync *ns = a->netsync;

	if (ns == NULL)
		return;
	store_listener_free(ns->l);
	event_free(ns->tick);
	event_free(ns->soon);
	free(ns->devs);
	free(ns->vteps);
	strvec_clear(&ns->spanned);
	free(ns);
	a->netsync = NULL;
}
