/*
 * node-exits.h: exits of containers reported by their nodes' agents,
 * acted on by the head (see node-exits.c).
 */
#ifndef SDC_DOCKERAPI_NODE_EXITS_H
#define SDC_DOCKERAPI_NODE_EXITS_H

#include "dockerapi.h"

/* With agents: the exits table, and its reading four times a second. */
int node_exits_init(struct dockerapi *d, sdc_error_t *err);
void node_exits_free(void);

#endif
