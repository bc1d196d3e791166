/*
 * node-states.h: the state of the containers behind agents, read from
 * their nodes' agents (see node-states.c).
 */
#ifndef SDC_DOCKERAPI_NODE_STATES_H
#define SDC_DOCKERAPI_NODE_STATES_H

#include <stdbool.h>

#include "dockerapi.h"

struct ctr;

/* Whether c's state is its node agent's to tell: it records a node and
 * the head has a certificate for agents.  The head then never reads its
 * folder nor opens its monitor. */
bool node_states_remote(struct dockerapi *d, const struct ctr *c);

/* Around a pass over many containers (the head's start, a reload of
 * every container): each node that is heard from is asked once for all
 * of its containers (GET /v1/containers, bounded), and
 * node_states_apply() reads from those answers. */
void node_states_begin(struct dockerapi *d);
void node_states_end(struct dockerapi *d);

/* c's state from its node (within a pass, from the node's answer; else
 * GET /v1/containers/UUID, bounded).  A node that does not answer leaves
 * c->st as it was, and it is asked again every second until it does. */
void node_states_apply(struct dockerapi *d, struct ctr *c);

/* Whether c's node has not answered since the head needed its state:
 * the head's requests that would change c are then refused with 503
 * "node unavailable" (ctr_lookup), not judged on a state not known. */
bool node_states_unknown(const struct ctr *c);

/* At the daemon's end. */
void node_states_free(void);

/* The agent's RFC 3339 time j[key]; 0 when absent or not a time. */
struct timespec node_states_time(const json_t *j, const char *key);

#endif
