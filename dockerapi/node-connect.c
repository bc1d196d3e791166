/*
 * node-connect.c: docker network connect and disconnect of a container
 * running on a node behind an agent.
 *
 * On a head's own node a connect is the store's lease and the endpoint
 * attached here (container-net.c).  A container its node's agent
 * plumbed at start has its namespace on that node, so the head settles
 * what the store holds on the loop, as for a start (the endpoint's row
 * and its lease; for a disconnect, the address released), and asks the
 * agent, from a thread (ctr_call: the container is busy meanwhile, so a
 * stop, a second connect or an rm waits for the answer), to link or
 * delete that one endpoint in the running container's namespace
 * (agent/container-connect.c, which checks the document against the
 * store as it checks a start's).  The agent writes its node's names
 * table of the network; the network's connect or disconnect event, as
 * dockerd sends it, makes the other nodes' agents take the endpoint
 * from the store at once (agent/netsync.c: a pass on every network
 * event, and every few seconds whatever happens).  A
 * refusal or a node that does not answer puts the store back as it was
 * (the row removed, or the address leased again) and answers as the
 * head's runtime would: 503 "node unavailable", or the agent's 400, 404,
 * 409.  A connect the agent did not refuse but did not confirm either
 * (no answer in time, an error of its own) may have made the interface:
 * once the store is put back, the head asks the agent to disconnect that
 * endpoint, which it does since the store gives it no address (a 409,
 * never made, is the other expected answer), rather than leave an
 * interface the store does not know until the container exits.
 *
 * The agent answers once its node's name servers have the tables
 * (agent/container-connect.c), so the head's answer, given on the
 * agent's, comes after them too: a peer's lookup right after `docker
 * network connect` finds the name.  A rename of such a container while
 * it runs goes the same way: the store's row is renamed here, then the
 * agent makes its networks' tables again from the store, the new name
 * in them (nodenet_renamed), and the 204 waits for its answer.  The
 * rename is made whatever the agent answers: a failure is logged and
 * the node's next pass sets its tables, as a head's own stuck server is
 * logged and the request answered all the same.
 */
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "dockerapi/net/net.h"
#include "jsonutil.h"
#include "log.h"
#include "networks.h"
#include "node-calls.h"
#include "node-net.h"
#include "xalloc.h"

/* The agent's part is a few netlink messages and a names table on its
 * loop: milliseconds, seconds when that loop is busy; then its wait for
 * its name servers, up to NET_DNS_WAIT_MS. */
#define NODECONN_MS (NET_DNS_WAIT_MS + 10000)

struct nodeconn {
	struct containers *cs;
	char uuid[37];
	char network[65];
	bool connect;
	bool takeback;			/* a failed connect's cleanup */
	bool rename;			/* a rename's names, not a membership */
	uint32_t ip;			/* a disconnect's, to put back */
	char mac[18];
	json_t *doc;
	struct node_target t;
};

static void
nodeconn_free(struct nodeconn *k)
{
	node_target_clear(&k->t);
	json_decref(k->doc);
	free(k);
}

static int
nodeconn_fn(void *arg, sdc_error_t *err)
{
	struct nodeconn *k = arg;

	return node_call(&k->t, k->uuid, k->rename ? "rename" : k->connect ?
	    "connect" : "disconnect", NULL, k->doc, NODECONN_MS, NULL, err);
}

static void nodeconn_takeback(struct containers *cs, struct ctr *c,
    const char *network_id);

static void
nodeconn_done(struct ctr *c, void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct nodeconn *k = arg;
	sdc_error_t ferr = NULL;
	struct network n;
	bool unsure;

	/* removed meanwhile: its rows went with it, req was answered */
	if (c == NULL)
		goto out;
	if (k->rename) {
		if (rc < 0)
			log_warn("container %s: renamed; the names tables on its "
			    "node: %s (set again at the node's next pass)", c->id,
			    err != NULL && *err != NULL ? sdc_error_msg(*err) :
			    "no answer");
		if (req != NULL)
			http_reply(req, 204, NULL, NULL, 0);
		goto out;
	}
	if (k->takeback) {
		if (rc == 0)
			log_info("container %s: interface on network %.12s "
			    "taken down on its node after a connect that "
			    "failed", c->id, k->network);
		else if (err == NULL || *err == NULL || (*err)->code != 409)
			log_warn("container %s: interface on network %.12s "
			    "after a connect that failed: %s (it goes at the "
			    "container's exit)", c->id, k->network,
			    err != NULL && *err != NULL ? sdc_error_msg(*err) :
			    "no answer");
		goto out;
	}
	unsure = rc < 0 && k->connect && (err == NULL || *err == NULL ||
	    ((*err)->code != 400 && (*err)->code != 404 &&
	    (*err)->code != 409));
	if (network_find(k->cs->d, c->account, k->network, &n, &ferr) < 0) {
		/* the network cannot go while the container is on it */
		log_warn("container %s: network %.12s: %s", c->id, k->network,
		    sdc_error_msg(ferr));
		sdc_error_release(&ferr);
		if ((rc < 0) == k->connect)	/* the row goes all the same */
			ctrnet_connect_undo(k->cs, c, k->network);
	} else {
		if (rc < 0 && k->connect) {
			ctrnet_connect_undo(k->cs, c, k->network);
			if (unsure)
				nodeconn_takeback(k->cs, c, k->network);
		} else if (rc < 0)
			ctrnet_disconnect_undo(k->cs, c, &n, k->ip, k->mac);
		else if (!k->connect)
			ctrnet_disconnect_done(k->cs, c, &n);
		/* the other nodes' agents pass on it: their names tables */
		if (rc == 0)
			events_network(k->cs, c->account, n.id, n.name,
			    k->connect ? "connect" : "disconnect", c->id);
		network_clear(&n);
	}
	if (rc == 0)
		log_info("container %s: %s network %.12s through its node's "
		    "agent", c->id, k->connect ? "connected to" :
		    "disconnected from", k->network);
	if (req == NULL)
		;
	else if (rc < 0)
		api_error_from(req, err);
	else
		http_reply(req, 200, NULL, NULL, 0);
out:
	nodeconn_free(k);
}

/* c's node's agent as k's target, on the loop: -1 with *err when the
 * node is not heard from (503) or this head has no way to its agent. */
static int
nodeconn_target(struct containers *cs, struct ctr *c, struct nodeconn *k,
    sdc_error_t *err)
{
	k->cs = cs;
	snprintf(k->uuid, sizeof k->uuid, "%s", c->uuid);
	if (node_target_get(cs->d, json_str(c->extra, "Node", NULL), &k->t,
	    err) < 0)
		return -1;
	if (k->t.address == NULL)	/* no agent certificate: no way there */
		return sdc_make_error_code(err, 503, "node unavailable: this "
		    "head cannot reach the agent of container %s's node",
		    c->name);
	return 0;
}

/* The agent asked to take down what a connect it did not confirm may
 * have made, the store put back first (its disconnect takes down only
 * an endpoint the store gives no address).  A fresh target: the
 * failed call's client may hold a connection in an unknown state. */
static void
nodeconn_takeback(struct containers *cs, struct ctr *c, const char *network_id)
{
	struct nodeconn *k = xcalloc(1, sizeof *k);
	sdc_error_t err = NULL;

	k->takeback = true;
	snprintf(k->network, sizeof k->network, "%s", network_id);
	if (nodeconn_target(cs, c, k, &err) < 0)
		goto fail;
	k->doc = nodenet_doc_disconnect(c, network_id);
	if (ctr_call(NULL, c, "disconnect", nodeconn_fn, nodeconn_done, k,
	    &err) == 0)
		return;
fail:
	log_warn("container %s: interface on network %.12s after a connect "
	    "that failed: %s (it goes at the container's exit)", c->id,
	    network_id, sdc_error_msg(err));
	sdc_error_release(&err);
	nodeconn_free(k);
}

int
nodenet_membership(struct http_request *req, struct containers *cs,
    struct ctr *c, const struct network *n, const json_t *epcfg,
    bool connect)
{
	struct nodeconn *k = xcalloc(1, sizeof *k);
	sdc_error_t err = NULL;

	k->connect = connect;
	snprintf(k->network, sizeof k->network, "%s", n->id);
	/* where first: a node not heard from changes nothing */
	if (nodeconn_target(cs, c, k, &err) < 0)
		goto fail;
	k->doc = connect ? ctrnet_connect_node(cs, c, n, epcfg, &err) :
	    ctrnet_disconnect_node(cs, c, n, &k->ip, k->mac, &err);
	if (k->doc == NULL)
		goto fail;
	if (ctr_call(req, c, connect ? "connect" : "disconnect", nodeconn_fn,
	    nodeconn_done, k, &err) == 0)
		return HTTP_ASYNC;
	if (connect)
		ctrnet_connect_undo(cs, c, n->id);
	else
		ctrnet_disconnect_undo(cs, c, n, k->ip, k->mac);
fail:
	nodeconn_free(k);
	return api_error_from(req, &err);
}

int
nodenet_renamed(struct http_request *req, struct containers *cs,
    struct ctr *c)
{
	struct nodeconn *k = xcalloc(1, sizeof *k);
	sdc_error_t err = NULL;

	k->rename = true;
	if (nodeconn_target(cs, c, k, &err) < 0)
		goto fail;
	k->doc = nodenet_doc_rename(c);
	if (ctr_call(req, c, "rename", nodeconn_fn, nodeconn_done, k,
	    &err) == 0)
		return HTTP_ASYNC;
fail:
	log_warn("container %s: renamed; the names tables on its node: %s "
	    "(set again at the node's next pass)", c->id, sdc_error_msg(err));
	sdc_error_release(&err);
	nodeconn_free(k);
	return http_reply(req, 204, NULL, NULL, 0);
}
