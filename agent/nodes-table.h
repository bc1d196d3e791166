/*
 * nodes-table.h: the data center's compute nodes, as the store keeps them.
 *
 * Each node's agent registers its node (a row keyed by the node's id,
 * which the agent keeps in its data dir, so a restart is the same node)
 * and heartbeats it; the heads read the rows and judge from the last
 * heartbeat and the node's own interval whether it is available; the
 * operator drains and undrains a node through a head.  Every statement
 * on the table is in nodes-table.c, and both the agent and dockerapi
 * bring its schema up to date at start (store_migrate "nodes"), on
 * SQLite or PostgreSQL alike.
 *
 * Times are wall-clock milliseconds since the epoch of the process that
 * wrote them: the nodes and heads of a data center keep their clocks in
 * step (NTP), as Triton's heartbeats assumed.
 */
#ifndef SDC_AGENT_NODES_TABLE_H
#define SDC_AGENT_NODES_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "error.h"
#include "store.h"

/* A node missing this many of its heartbeats in a row is unavailable. */
#define NODES_MISSED_HEARTBEATS 3

struct node {
	char id[37];
	char *hostname;
	char *address;          /* HOST:PORT of its agent's API */
	char *vtep;             /* its VXLAN address on the underlay; "" none */
	char *zones;            /* its zones root, absolute; "" not told yet */
	int64_t memory;         /* bytes */
	int64_t disk;           /* bytes of its zones root's file system */
	int cpus;
	char *runtime;          /* the OCI runtime's name and version */
	char *state;            /* "running" (its agent is up) or "stopped" */
	bool drained;           /* the operator took it out of placement */
	int64_t heartbeat_interval_ms;
	int64_t last_heartbeat_ms;
	int64_t registered_ms;  /* first seen */
	bool available;         /* running and heard from in time (read) */
};

struct node_list {
	struct node *v;
	size_t n;
};

int nodes_table_migrate(struct store *st, sdc_error_t *err);

/* The agent: the node's row made or brought up to date (state running,
 * heard from now; its drained flag and first-seen time kept). */
int nodes_table_register(struct store *st, const struct node *n,
    sdc_error_t *err);
/* The agent: heard from now.  0, or 1 when the row is gone (the node
 * must register again), or -1. */
int nodes_table_heartbeat(struct store *st, const char *id, int64_t now_ms,
    sdc_error_t *err);
/* The agent, on its way out: state stopped. */
int nodes_table_leave(struct store *st, const char *id, sdc_error_t *err);

/* Every node (id NULL) or one, by id or a unique prefix of it or its
 * hostname, in id order; available judged at now_ms.  */
int nodes_table_read(struct store *st, const char *id, int64_t now_ms,
    struct node_list *out, sdc_error_t *err);
/* The operator: drained or not; 404 when there is no such node. */
int nodes_table_set_drained(struct store *st, const char *id, bool drained,
    sdc_error_t *err);

/* Whether a row read at now_ms is available (running, heard from within
 * NODES_MISSED_HEARTBEATS intervals). */
bool nodes_table_heard(const struct node *n, int64_t now_ms);

/* A row as the heads and the agent show it (sdcadm-docker node inspect):
 * ID, Hostname, Address, VTEP, Zones, Memory, Disk, CPUs, Runtime, State, Drained,
 * Available, HeartbeatIntervalMs, LastHeartbeat and Registered (RFC 3339). */
json_t *nodes_table_json(const struct node *n);

void node_clear(struct node *n);
void node_list_free(struct node_list *l);

#endif
