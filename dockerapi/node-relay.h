/*
 * node-relay.h: a Docker route's answer relayed from the agent of the
 * container's node (node-relay.c).
 */
#ifndef SDC_DOCKERAPI_NODE_RELAY_H
#define SDC_DOCKERAPI_NODE_RELAY_H

#include <stdbool.h>
#include <stddef.h>

#include "dockerapi.h"
#include "error.h"

struct http_request;

struct node_relay_opts {
	const char *method;             /* NULL: GET */
	const char *path;               /* the agent's, query included */
	const void *body;               /* sent (copied), or NULL */
	size_t body_len;
	const char *body_type;          /* its Content-Type */
	/* Or the client's body streamed through as it comes (a route with
	 * API_BODY_STREAM: docker cp's PUT). */
	bool body_stream;
	/* The agent's answer headers passed on to the client (NULL-ended),
	 * beside its Content-Type. */
	const char *const *pass_headers;
	/* No answer byte within this long: 503 "node unavailable" (0: wait;
	 * a followed log or a stats stream may be silent for long). */
	long first_byte_ms;
};

/* On the loop, for req about a container recorded on node_id:
 * NODES_LOCAL when it has no node or the head no agents (nothing done:
 * the caller answers from its own machine), 0 once the agent's answer
 * is being relayed to req (the handler returns HTTP_ASYNC), or -1 with *err, 503 "node
 * unavailable" when the node is not heard from (nothing sent). */
int node_relay(struct dockerapi *d, struct http_request *req,
    const char *node_id, const struct node_relay_opts *o, sdc_error_t *err);
/* The same for container uuid on node_id: GET (or o->method) of
 * /v1/containers/UUID/OP?QUERY (query already escaped, or NULL).  As
 * node_relay; the path in o is ignored. */
int node_relay_container(struct dockerapi *d, struct http_request *req,
    const char *node_id, const char *uuid, const char *op, const char *query,
    const struct node_relay_opts *o, sdc_error_t *err);
/* For a route's handler: true when the container is on a node behind an
 * agent, the request then answered or relayed (*ret: HTTP_ASYNC, or
 * HTTP_DONE with the 503 given); false when it is here (nothing done:
 * the caller answers from its own machine). */
bool node_relay_answer(struct dockerapi *d, struct http_request *req,
    const char *node_id, const char *uuid, const char *op, const char *query,
    const struct node_relay_opts *o, int *ret);
/* "&NAME=VALUE" appended to q (VALUE escaped) when value is not NULL. */
struct buf;
void node_relay_query(struct buf *q, const char *name, const char *value);

/* At the daemon's end: every relay stopped. */
void node_relay_cancel_all(void);

#endif
