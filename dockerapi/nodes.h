/*
 * nodes.h: the data center's compute nodes as a head sees them.
 *
 * The nodes table is the agents' (agent/nodes-table.c writes and reads
 * it); this is the head's side: which nodes are available (the one
 * reading placement starts from), the node this head's containers run
 * on today (its local agent's, asked over mutual TLS), the totals of
 * `docker info`, the Node field of `docker inspect`, and the operator's
 * node routes of the admin API.
 */
#ifndef SDC_DOCKERAPI_NODES_H
#define SDC_DOCKERAPI_NODES_H

#include <jansson.h>

#include "agent/nodes-table.h"
#include "dockerapi.h"

struct fetch;

/* The table brought up to date; with agent_url set, the local agent
 * asked who its node is (again every second until it answers). */
int nodes_init(struct dockerapi *d, sdc_error_t *err);
void nodes_free(struct dockerapi *d);

/* Every node placement may choose: running, heard from in time and not
 * drained, in id order.  Free with node_list_free. */
int nodes_list_available(struct dockerapi *d, struct node_list *out,
    sdc_error_t *err);

/* Every registered node, available or not (available judged now), in
 * id order.  Free with node_list_free. */
int nodes_list_all(struct dockerapi *d, struct node_list *out,
    sdc_error_t *err);

/* The node containers made now run on: the local agent's node, or NULL
 * while there is none (no agent_url, or it has not answered yet). */
const char *nodes_local_id(struct dockerapi *d);

/* Whether the head has a client certificate for agents (agent_url and
 * agent_cert_path): the containers that record a node are then their
 * agents' to make, run and tell the state of. */
bool nodes_have_agents(struct dockerapi *d);

/* Whether the operator drained the local node: placement then has no
 * node for a new container (a read of its row; false without a node). */
bool nodes_local_drained(struct dockerapi *d);

/* docker info: the available nodes' CPUs and memory added up, and the
 * counts of nodes; 0 nodes when none ever registered. */
struct nodes_totals {
	int nodes, available;
	int cpus;
	int64_t memory;
};
void nodes_totals(struct dockerapi *d, struct nodes_totals *t);

/* A container's Node field (the shape Docker's API kept from Swarm:
 * ID, IP, Addr, Name, Cpus, Memory, Labels), or NULL for no node.  With
 * zones, *zones is the node's zones root as its agent told it (free it),
 * or NULL when it is not known (no such row, a row from an agent that
 * did not tell it yet, or the store not answering). */
json_t *nodes_container_json(struct dockerapi *d, const char *node_id,
    char **zones);

/* The agent of a container's node, read from the node's row: 0 with *out
 * filled (free address and hostname; client is the head's template
 * for agents, for fetch_dup on the loop thread), -1 with *err (503 "node
 * unavailable" when the node is not heard from), or NODES_LOCAL when the
 * container records no node or the head has no client certificate for
 * agents (the caller then runs the call on its own runtime, as before
 * nodes). */
#define NODES_LOCAL 1
struct node_agent {
	char *address;			/* HOST:PORT of its API */
	char *hostname;
	struct fetch *client;
};
int nodes_agent_of(struct dockerapi *d, const char *node_id,
    struct node_agent *out, sdc_error_t *err);

/* Signal a container on the node that holds it, on the calling thread
 * (node-calls.c does it off the loop: node_rt_kill); 0, -1 with *err as
 * node_call, or NODES_LOCAL as above (nothing done). */
int nodes_container_kill(struct dockerapi *d, const char *node_id,
    const char *uuid, int sig, sdc_error_t *err);

/* The admin API: GET /nodes, GET /nodes/:id, POST /nodes/:id/drain and
 * /undrain. */
int nodes_admin_list(struct http_request *req, void *arg);
int nodes_admin_get(struct http_request *req, void *arg);
int nodes_admin_drain(struct http_request *req, void *arg);
int nodes_admin_undrain(struct http_request *req, void *arg);

#endif
