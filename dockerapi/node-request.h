/*
 * node-request.h: the head's requests to the nodes' agents (node-request.c),
 * and the two a container's create and rm make (node-create.c).
 */
#ifndef SDC_DOCKERAPI_NODE_REQUEST_H
#define SDC_DOCKERAPI_NODE_REQUEST_H

#include <stdbool.h>
#include <jansson.h>

#include "dockerapi.h"
#include "error.h"

struct fetch;
struct rt_spec;
struct containers;
struct ctr;
struct cvol_set;
struct node_layers;

struct node_request {
	struct fetch *client;           /* the call's own */
	const char *method;
	char *url, *body;
	long timeout_ms;
	long idle_ms;                   /* > 0: a create answered in progress
	                                   lines (agent/container-create.c),
	                                   given up when none came for this
	                                   long; timeout_ms then bounds the
	                                   whole */
	char *node_id, *hostname;
	int status;                     /* the agent's answer, 0: none */
	json_t *answer;                 /* its body, or NULL */
	bool lost;                      /* sent, and no answer came */
	struct node_layers *layers;     /* a create's: node-layers.c */
};

/* On the loop: a call to the agent of node_id (body copied, or NULL).
 * 0 with *out; NODES_LOCAL when the head has no agents or no node is
 * given (nothing to call: the caller acts here); -1 with err 503 "node
 * unavailable" when the node is not heard from. */
int node_request_prepare(struct dockerapi *d, const char *node_id,
    const char *method, const char *path, const json_t *body,
    long timeout_ms, struct node_request **out, sdc_error_t *err);
/* On any thread: send it and read the answer.  -1 with err: the agent's
 * status and message (a 5xx as 502), or 503 when no answer came (lost).
 * A create's call (k->layers set) first sends the layers the node says
 * it lacks (node_layers_run). */
int node_request_run(struct node_request *k, sdc_error_t *err);
/* The request alone, as node_request_run without the layers. */
int node_request_send(struct node_request *k, sdc_error_t *err);
void node_request_free(struct node_request *k);

/* --- node-layers.c --- */

/* On the loop: the sources of a create's layers (diff_ids, lowest
 * first) in the image store, pinned until node_layers_free; NULL for a
 * head without an image store. */
struct node_layers *node_layers_prepare(struct dockerapi *d,
    const json_t *diff_ids);
void node_layers_free(struct node_layers *l);
/* On the create's thread: the create; on the node's 424 naming layers
 * it lacks, each of them sent (PUT /v1/layers/DIFF_ID), then the create
 * again.  As node_request_send. */
int node_layers_run(struct node_request *k, sdc_error_t *err);

/* --- node-create.c --- */

/* A create's or rm's call waits on the agent as long as a runtime call
 * may take here (RUNTIME_TIMEOUT), and this much more for the way. */
#define NODE_REQUEST_SLACK_MS 3000

/* The create call for container c on its node (c->extra's Node): the
 * version 1 document of spec, with the image's layers as digests
 * (diff_ids) and the volumes as set has them.  As node_request_prepare. */
int node_create_prepare(struct containers *cs, const struct ctr *c,
    const struct rt_spec *spec, const json_t *diff_ids,
    const struct cvol_set *vols, struct node_request **out, sdc_error_t *err);
/* The rm call (DELETE /v1/containers/UUID, force or not).  As
 * node_request_prepare. */
int node_remove_prepare(struct containers *cs, const struct ctr *c,
    bool force, struct node_request **out, sdc_error_t *err);
/* A container the node may have made though the head never heard it
 * finish (the call was lost): removed from the node as soon as its
 * agent answers, tried again every second until then. */
void node_create_orphan(struct dockerapi *d, const char *node_id,
    const char *uuid);
void node_create_orphans_free(void);

#endif
