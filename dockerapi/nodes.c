/*
 * nodes.c: the compute nodes as a head sees them (see nodes.h).
 *
 * Every reading of the nodes table goes through nodes_read(), so the
 * judgement "available" (state running, heard from within
 * NODES_MISSED_HEARTBEATS of the node's own intervals, not drained) is
 * made in one place and placement starts from nodes_list_available().
 *
 * The head's containers still run on the machine it runs on; the node
 * they are recorded on is the one whose agent answers at agent_url
 * (GET /v1/node, with the head's client certificate from
 * agent_cert_path, through lib/fetch).  The head asks at start and, until
 * the agent has answered, once a second, so head and agent may start in
 * either order; the question is a few milliseconds on loopback, with a
 * one-second limit, and runs on an rtcall thread (an agent stopped with
 * SIGSTOP holds it for the whole limit, every second, which on the loop
 * held every client).  Containers created before the answer record no
 * node.
 *
 * A container's runtime calls go to the agent of the node it records
 * (node-calls.c): nodes_agent_of() says where that agent is, from the
 * node's row, or that the node is not heard from, and the caller then
 * answers "node unavailable" at once and changes nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "containers.h"
#include "fetch.h"
#include "jsonutil.h"
#include "log.h"
#include "node-calls.h"
#include "node-relay.h"
#include "node-request.h"
#include "node-exits.h"
#include "node-states.h"
#include "nodes.h"
#include "rtcall.h"
#include "timeutil.h"
#include "xalloc.h"

struct nodes {
	struct dockerapi *d;
	struct fetch *agent;            /* NULL: no local agent configured */
	char *agent_url;
	char local[37];                 /* "" until the agent answered */
	struct event *ask;              /* retry until it does */
	bool asking;                    /* a question under way */
	unsigned asked;                 /* questions without an answer */
	char *ask_error;                /* the last one's reason, logged once */
};

static int64_t
nodes_now_ms(void)
{
	return time_now_ns() / 1000000;
}

/* The one reading of the table: every node, or those matching ref. */
static int
nodes_read(struct dockerapi *d, const char *ref, struct node_list *out,
    sdc_error_t *err)
{
	return nodes_table_read(d->store, ref, nodes_now_ms(), out, err);
}

int
nodes_list_available(struct dockerapi *d, struct node_list *out,
    sdc_error_t *err)
{
	size_t k = 0;

	if (nodes_read(d, NULL, out, err) < 0)
		return -1;
	for (size_t i = 0; i < out->n; i++) {
		if (out->v[i].available && !out->v[i].drained)
			out->v[k++] = out->v[i];
		else
			node_clear(&out->v[i]);
	}
	out->n = k;
	return 0;
}

int
nodes_list_all(struct dockerapi *d, struct node_list *out, sdc_error_t *err)
{
	return nodes_read(d, NULL, out, err);
}

const char *
nodes_local_id(struct dockerapi *d)
{
	return d->nodes != NULL && d->nodes->local[0] != '\0' ?
	    d->nodes->local : NULL;
}

bool
nodes_have_agents(struct dockerapi *d)
{
	return d->nodes != NULL && d->nodes->agent != NULL;
}

bool
nodes_local_drained(struct dockerapi *d)
{
	struct node_list l;
	sdc_error_t err = NULL;
	bool drained;

	if (nodes_local_id(d) == NULL)
		return false;
	if (nodes_read(d, nodes_local_id(d), &l, &err) < 0) {
		log_warn("nodes: %s", sdc_error_msg(err));
		sdc_error_release(&err);
		return false;
	}
	drained = l.n == 1 && l.v[0].drained;
	node_list_free(&l);
	return drained;
}

void
nodes_totals(struct dockerapi *d, struct nodes_totals *t)
{
	struct node_list l;
	sdc_error_t err = NULL;

	memset(t, 0, sizeof *t);
	if (nodes_read(d, NULL, &l, &err) < 0) {
		log_warn("nodes: %s", sdc_error_msg(err));
		sdc_error_release(&err);
		return;
	}
	t->nodes = (int)l.n;
	for (size_t i = 0; i < l.n; i++) {
		if (!l.v[i].available)
			continue;
		t->available++;
		t->cpus += l.v[i].cpus;
		t->memory += l.v[i].memory;
	}
	node_list_free(&l);
}

json_t *
nodes_container_json(struct dockerapi *d, const char *node_id, char **zones)
{
	struct node_list l;
	sdc_error_t err = NULL;
	json_t *j = NULL;
	char *ip;

	if (zones != NULL)
		*zones = NULL;
	if (node_id == NULL || *node_id == '\0')
		return NULL;
	if (nodes_read(d, node_id, &l, &err) < 0) {
		log_warn("nodes: %s", sdc_error_msg(err));
		sdc_error_release(&err);
		return json_pack("{s:s}", "ID", node_id);
	}
	for (size_t i = 0; i < l.n && j == NULL; i++) {
		const struct node *n = &l.v[i];
		const char *colon = strrchr(n->address, ':');

		if (strcmp(n->id, node_id) != 0)
			continue;
		ip = colon != NULL ? xstrndup(n->address,
		    (size_t)(colon - n->address)) : xstrdup(n->address);
		j = json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:{s:s, s:b}}",
		    "ID", n->id, "IP", ip, "Addr", n->address,
		    "Name", n->hostname, "Cpus", n->cpus,
		    "Memory", (json_int_t)n->memory,
		    "Labels", "state", n->state, "available", n->available);
		free(ip);
		if (zones != NULL && n->zones != NULL && n->zones[0] != '\0')
			*zones = xstrdup(n->zones);
	}
	node_list_free(&l);
	return j != NULL ? j : json_pack("{s:s}", "ID", node_id);
}

/* --- the agents --- */

int
nodes_agent_of(struct dockerapi *d, const char *node_id,
    struct node_agent *out, sdc_error_t *err)
{
	struct nodes *ns = d->nodes;
	struct node_list l;
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (ns == NULL || ns->agent == NULL || node_id == NULL || *node_id == '\0')
		return NODES_LOCAL;
	if (nodes_read(d, node_id, &l, err) < 0)
		return -1;
	if (l.n != 1 || strcmp(l.v[0].id, node_id) != 0 || !l.v[0].available)
		rc = sdc_make_error_code(err, 503, "node unavailable: the node "
		    "of this container (%s) is not heard from; try again when "
		    "it is back", l.n == 1 ? l.v[0].hostname : node_id);
	else {
		out->address = xstrdup(l.v[0].address);
		out->hostname = xstrdup(l.v[0].hostname);
		out->client = ns->agent;
	}
	node_list_free(&l);
	return rc;
}

int
nodes_container_kill(struct dockerapi *d, const char *node_id,
    const char *uuid, int sig, sdc_error_t *err)
{
	struct node_target t;
	int rc;

	if ((rc = node_target_get(d, node_id, &t, err)) != 0)
		return rc;
	rc = node_rt_kill(&t, NULL, uuid, sig, err);
	node_target_clear(&t);
	return rc;
}

/* --- the local agent --- */

/* Who the local agent's node is: asked from a thread, never on the loop
 * (an agent stopped with SIGSTOP holds a question for its whole bound,
 * and it is asked again every second until it answers).  The bound is
 * a few seconds rather than the node calls' one: a TLS handshake with an
 * agent on a loaded machine can take more than a second, and a bound
 * shorter than it would fail every try. */
#define NODES_ASK_TIMEOUT_MS 5000
struct nodes_asking {
	struct nodes *ns;
	struct fetch *client;           /* the question's own */
	char *url;
	char id[37];
};

static int
nodes_ask_fn(void *arg, sdc_error_t *err)
{
	struct nodes_asking *q = arg;
	struct fetch_request rq = { .method = "GET", .url = q->url,
		.timeout_ms = NODES_ASK_TIMEOUT_MS };
	struct fetch_response r;
	json_t *j;
	int rc = -1;

	if (fetch_request(q->client, &rq, &r, err) < 0)
		return -1;
	if (r.status != 200)
		sdc_make_error(err, 0, "%s: %d", q->url, r.status);
	else if ((j = json_parse(buf_str(&r.body), r.body.len, err)) != NULL) {
		const char *id = json_str(j, "ID", "");

		if (strlen(id) != 36)
			sdc_make_error(err, 0, "%s: no node id in the answer",
			    q->url);
		else {
			memcpy(q->id, id, 37);
			rc = 0;
		}
		json_decref(j);
	}
	fetch_response_free(&r);
	return rc;
}

static void
nodes_ask_done(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	struct nodes_asking *q = arg;
	struct nodes *ns = q->ns;
	const char *why;

	(void)req;
	ns->asking = false;
	ns->asked++;
	if (rc == 0) {
		memcpy(ns->local, q->id, sizeof ns->local);
		log_info("nodes: containers run on node %s (the agent at %s, "
		    "asked %u time%s)", ns->local, ns->agent_url, ns->asked,
		    ns->asked == 1 ? "" : "s");
		event_del(ns->ask);
	} else {
		/* each new reason once: a first refusal and a later
		 * timeout tell different stories */
		why = sdc_error_msg(*err);
		if (ns->ask_error == NULL || strcmp(ns->ask_error, why) != 0) {
			log_warn("nodes: the local agent: %s (asking again "
			    "every second)", why);
			free(ns->ask_error);
			ns->ask_error = xstrdup(why);
		}
	}
	fetch_free(q->client);
	free(q->url);
	free(q);
}

static void
nodes_ask(evutil_socket_t fd, short what, void *arg)
{
	struct nodes *ns = arg;
	struct nodes_asking *q;
	sdc_error_t err = NULL;

	(void)fd;
	(void)what;
	if (ns->asking || ns->local[0] != '\0')
		return;
	q = xcalloc(1, sizeof *q);
	q->ns = ns;
	q->client = fetch_dup(ns->agent);
	xasprintf(&q->url, "%s/v1/node", ns->agent_url);
	if (rtcall_start(ns->d->base, NULL, "the local agent's node",
	    nodes_ask_fn, nodes_ask_done, q, &err) < 0) {
		log_warn("nodes: %s", sdc_error_msg(err));
		sdc_error_release(&err);
		fetch_free(q->client);
		free(q->url);
		free(q);
		return;
	}
	ns->asking = true;
}

static int
nodes_agent_client(struct nodes *ns, const char *url, const char *certs,
    sdc_error_t *err)
{
	struct fetch_options o = {
		.connect_timeout_ms = 1000,
		.timeout_ms = 1000,
		.user_agent = "dockerapi/" SDC_VERSION,
	};
	char *cert, *key, *ca;

	if (strncmp(url, "https://", 8) != 0)
		return sdc_make_error(err, 0, "agent_url %s: the agent speaks "
		    "https only (mutual TLS)", url);
	if (certs == NULL || *certs == '\0')
		return sdc_make_error(err, 0, "agent_url %s needs "
		    "agent_cert_path: the head's cert.pem, key.pem and ca.pem "
		    "(sdc-docker-certgen head)", url);
	xasprintf(&cert, "%s/cert.pem", certs);
	xasprintf(&key, "%s/key.pem", certs);
	xasprintf(&ca, "%s/ca.pem", certs);
	o.cert_file = cert;
	o.key_file = key;
	o.ca_file = ca;
	ns->agent = fetch_new(&o);          /* copies what it keeps */
	free(cert);
	free(key);
	free(ca);
	ns->agent_url = xstrdup(url);
	while (strlen(ns->agent_url) > 8 &&
	    ns->agent_url[strlen(ns->agent_url) - 1] == '/')
		ns->agent_url[strlen(ns->agent_url) - 1] = '\0';
	return 0;
}

int
nodes_init(struct dockerapi *d, sdc_error_t *err)
{
	struct nodes *ns = xcalloc(1, sizeof *ns);
	struct timeval second = { 1, 0 };
	const char *url = d->cfg.agent_url;

	ns->d = d;
	d->nodes = ns;
	if (nodes_table_migrate(d->store, err) < 0)
		return sdc_error_wrap(err, "the nodes table");
	if (url == NULL || *url == '\0') {
		log_info("nodes: no agent_url: containers record no node");
		return 0;
	}
	if (nodes_agent_client(ns, url, d->cfg.agent_cert_path, err) < 0 ||
	    node_exits_init(d, err) < 0)
		return -1;
	ns->ask = event_new(d->base, -1, EV_PERSIST, nodes_ask, ns);
	event_add(ns->ask, &second);
	nodes_ask(-1, 0, ns);
	return 0;
}

void
nodes_free(struct dockerapi *d)
{
	struct nodes *ns = d->nodes;

	if (ns == NULL)
		return;
	if (ns->ask != NULL)
		event_free(ns->ask);
	free(ns->ask_error);
	node_calls_free();
	node_relay_cancel_all();
	node_exits_free();
	node_states_free();
	if (ns->agent != NULL)
		fetch_free(ns->agent);
	node_create_orphans_free();
	free(ns->agent_url);
	free(ns);
	d->nodes = NULL;
}

/* --- the admin API --- */

/* The containers recorded on a node. */
static int
containers_on_node(struct dockerapi *d, const char *id)
{
	int n = 0;

	if (d->containers == NULL)
		return 0;
	for (struct ctr *c = d->containers->list; c != NULL; c = c->next)
		n += strcmp(json_str(c->extra, "Node", ""), id) == 0;
	return n;
}

/* The one node ref names (an id, a unique prefix of one, a hostname). */
static int
nodes_admin_one(struct http_request *req, struct dockerapi *d,
    struct node_list *l)
{
	const char *ref = http_param(req, "id");
	sdc_error_t err = NULL;

	if (nodes_read(d, ref, l, &err) < 0)
		return api_error_from(req, &err);
	if (l->n == 1)
		return 0;
	if (l->n == 0)
		api_error(req, 404, "No such node: %s", ref);
	else
		api_error(req, 409, "%s names %zu nodes: give more of the id",
		    ref, l->n);
	node_list_free(l);
	return -1;
}

int
nodes_admin_list(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct node_list l;
	sdc_error_t err = NULL;
	json_t *a = json_array();
	int n;

	if (nodes_read(d, NULL, &l, &err) < 0) {
		json_decref(a);
		return api_error_from(req, &err);
	}
	for (size_t i = 0; i < l.n; i++) {
		json_t *j = nodes_table_json(&l.v[i]);

		n = containers_on_node(d, l.v[i].id);
		json_object_set_new(j, "Containers", json_integer(n));
		json_array_append_new(a, j);
	}
	node_list_free(&l);
	return api_json(req, 200, a);
}

int
nodes_admin_get(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct node_list l;
	json_t *j;

	if (nodes_admin_one(req, d, &l) < 0)
		return HTTP_DONE;
	j = nodes_table_json(&l.v[0]);
	json_object_set_new(j, "Containers",
	    json_integer(containers_on_node(d, l.v[0].id)));
	node_list_free(&l);
	return api_json(req, 200, j);
}

static int
nodes_admin_set_drained(struct http_request *req, struct dockerapi *d,
    bool drained)
{
	struct node_list l;
	sdc_error_t err = NULL;
	json_t *j;

	if (nodes_admin_one(req, d, &l) < 0)
		return HTTP_DONE;
	if (nodes_table_set_drained(d->store, l.v[0].id, drained, &err) < 0) {
		node_list_free(&l);
		return api_error_from(req, &err);
	}
	log_info("nodes: node %s (%s) %s", l.v[0].id, l.v[0].hostname,
	    drained ? "drained: no new containers" : "undrained");
	l.v[0].drained = drained;
	j = nodes_table_json(&l.v[0]);
	node_list_free(&l);
	return api_json(req, 200, j);
}

int
nodes_admin_drain(struct http_request *req, void *arg)
{
	return nodes_admin_set_drained(req, arg, true);
}

int
nodes_admin_undrain(struct http_request *req, void *arg)
{
	return nodes_admin_set_drained(req, arg, false);
}
