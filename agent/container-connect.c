/*
 * container-connect.c: docker network connect and disconnect of a
 * container running on this node, and its rename, behind the agent's
 * API: the changes of a running container's names.
 *
 *   POST /v1/containers/:uuid/connect     {"Version": 1, "Account", "ID",
 *                                          "Networks": [ one network ],
 *                                          "Index": N}
 *   POST /v1/containers/:uuid/disconnect  {"Version": 1, "Account", "ID",
 *                                          "Network": network id}
 *   POST /v1/containers/:uuid/rename      {"Version": 1, "Account", "ID",
 *                                          "Name": its new name}
 *
 * The head keeps the store's part, as for a start: a connect's endpoint
 * row and its lease are taken before it asks, a disconnect's address
 * released before it asks, and it puts them back if the node refuses.
 * The node's part is the kernel's, in the running container's network
 * namespace (the sandbox its start's plumbing bound): the endpoint's
 * veth linked as interface ethN (no default route, no ports, as a
 * connect on a head) or deleted, and the network's names table written
 * again from the store.  The documents are checked as a start's
 * "Network" is (container-net.c: the container this node's and the
 * account's, the network that account's with the store's subnet,
 * gateway and VNI, the address and MAC the ones leased), and a
 * disconnect only takes down an endpoint the store no longer gives an
 * address: a client holding a head's certificate cannot plumb another
 * account's network into a container, or cut one a head did not cut.
 * A rename is the head's in the store; the node's part is its names
 * tables made again from the store's rows, the new name in them (a name
 * no name server can carry left out, as on a head), once the document's
 * Name is checked to be the store's (a forged one names nothing).
 * Everything runs on the loop (a few netlink messages and a names table,
 * as the start's plumbing) but the wait for the tables: each is answered
 * once this node's name servers have them (dockerapi/net/names-reply.c,
 * a thread of its own, bounded by NET_DNS_WAIT_MS), so the head answers
 * its client only then and a peer's first lookup sees the change.
 */
#include "agent.h"
#include "dockerapi/net/net.h"
#include "http.h"
#include "ids.h"
#include "jsonutil.h"

/* agent_net_connect, agent_net_disconnect, agent_net_rename */
typedef int connect_op_fn(struct agent *a, const char *uuid,
    const json_t *doc, struct net_dns_wait *names, sdc_error_t *err);

static int
connect_route(struct http_request *req, struct agent *a, connect_op_fn *op)
{
	const char *uuid = http_param(req, "uuid");
	struct net_dns_wait names = { 0 };
	sdc_error_t err = NULL;
	json_t *body;
	int rc, status;

	if (uuid == NULL || !uuid_valid(uuid))
		return agent_error(req, 400, "a container's uuid, please");
	if ((body = http_body_json(req, &err)) == NULL || !json_is_object(body)) {
		rc = agent_error(req, 400, err != NULL ? sdc_error_msg(err) :
		    "the body must be a JSON object");
		sdc_error_release(&err);
		json_decref(body);
		return rc;
	}
	if (op(a, uuid, body, &names, &err) == 0) {
		json_decref(body);
		return net_names_reply(a->base, req, &names, 200,
		    json_pack("{s:s}", "ID", uuid));
	}
	net_dns_wait_clear(&names);
	status = err->code == 400 || err->code == 404 || err->code == 409 ?
	    err->code : 500;
	rc = agent_error(req, status, sdc_error_msg(err));
	sdc_error_release(&err);
	json_decref(body);
	return rc;
}

static int
connect_connect(struct http_request *req, void *arg)
{
	return connect_route(req, arg, agent_net_connect);
}

static int
connect_disconnect(struct http_request *req, void *arg)
{
	return connect_route(req, arg, agent_net_disconnect);
}

static int
connect_rename(struct http_request *req, void *arg)
{
	return connect_route(req, arg, agent_net_rename);
}

const struct route agent_connect_routes[] = {
	{ "POST", "/v1/containers/:uuid/connect", connect_connect, 0, NULL },
	{ "POST", "/v1/containers/:uuid/disconnect", connect_disconnect, 0,
	    NULL },
	{ "POST", "/v1/containers/:uuid/rename", connect_rename, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};
