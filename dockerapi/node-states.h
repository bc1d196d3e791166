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
 * every container): node_states_apply() collects each container under
 * its node, and node_states_end() asks each node that is heard from
 * once for all of its containers (GET /v1/containers, bounded), off the
 * loop; the answers set the states on the loop when they come. */
void node_states_begin(struct dockerapi *d);
void node_states_end(struct dockerapi *d);

/* c's state from its node, asked for off the loop: in a pass, with the
 * others of its node (known false: the head has no state of c yet, its
 * start's pass, so c is not known, node_states_unknown, until its node
 * answers; true: c keeps the state it has meanwhile); else alone, as a
 * call of c's (ctr_call: the requests that would act on it wait).  A node that does
 * not answer leaves c->st as it was, c not known, and it is asked again
 * every second until it does. */
void node_states_apply(struct dockerapi *d, struct ctr *c, bool known);

/* Whether c's node has not answered since the head needed its state:
 * the head's requests that would change c are then refused with 503
 * "node unavailable" (ctr_lookup), not judged on a state not known. */
bool node_states_unknown(const struct ctr *c);

/* At the daemon's end. */
void node_states_free(void);

/* The agent's RFC 3339 time j[key]; 0 when absent or not a time. */
struct timespec node_states_time(const json_t *j, const char *key);

#endif
