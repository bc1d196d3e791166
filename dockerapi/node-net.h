/*
 * node-net.h: a container's network plumbing left to its node's agent
 * (node-net.c; the agent's side is agent/container-net.c).
 */
#ifndef SDC_DOCKERAPI_NODE_NET_H
#define SDC_DOCKERAPI_NODE_NET_H

#include <stdbool.h>

#include <jansson.h>

#include "error.h"

struct containers;
struct ctr;

/* Whether this head does c's kernel part: c records no node behind an
 * agent, or its sandbox is in this head's networking folder (a start
 * with a client attached, which still runs here). */
bool nodenet_here(struct containers *cs, const struct ctr *c);

/* The start's "Network" document (version 1) from the store's rows once
 * the leases and ports are taken, with files ({"hosts", "resolv.conf"}
 * as rendered here); a new reference, or NULL with *err. */
json_t *nodenet_doc(struct containers *cs, const struct ctr *c,
    json_t *files, sdc_error_t *err);

/* The same for --network container:, joining o's sandbox: its files
 * ("FilesOf"), no networks of its own. */
json_t *nodenet_doc_joined(const struct ctr *c, const struct ctr *o);

/* docker network connect of running c to n, its endpoint ep leased (the
 * agent links interface eth<index>): {"Version", "Account", "ID",
 * "Networks": [n's], "Index"}; and disconnect, once the store released
 * the address: {"Version", "Account", "ID", "Network"}.  New references. */
struct network;
struct netep;
json_t *nodenet_doc_connect(const struct ctr *c, const struct network *n,
    const struct netep *ep, int index);
json_t *nodenet_doc_disconnect(const struct ctr *c, const char *network_id);
/* A rename of running c, the store's row renamed: {"Version", "Account",
 * "ID", "Name": its new name}.  A new reference. */
json_t *nodenet_doc_rename(const struct ctr *c);

/* node-connect.c: connect (epcfg, the body's EndpointConfig) or
 * disconnect c, running on a node behind an agent, to or from n: the
 * store's part here, then the agent's call off the loop; answers req
 * (HTTP_ASYNC, or done). */
struct http_request;
int nodenet_membership(struct http_request *req, struct containers *cs,
    struct ctr *c, const struct network *n, const json_t *epcfg,
    bool connect);
/* node-connect.c: the names tables of running c's networks on its node
 * made again by its agent after c's rename (its row renamed); req
 * answered 204 once the agent has them (HTTP_ASYNC), or at once, the
 * failure logged, when the agent cannot be asked.  Not while c->busy
 * (ctr_busy first). */
int nodenet_renamed(struct http_request *req, struct containers *cs,
    struct ctr *c);

#endif
