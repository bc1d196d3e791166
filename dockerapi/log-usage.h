/*
 * log-usage.h: the admin API's GET /logs/usage, every node's containers'
 * logs, asked of each node's agent off the loop (log-usage.c).
 */
#ifndef SDC_DOCKERAPI_LOG_USAGE_H
#define SDC_DOCKERAPI_LOG_USAGE_H

#include <jansson.h>

#include "dockerapi.h"
#include "dockerapi/runtime/logs-read.h"

/* A node's agent has this long to answer GET /v1/log-usage; its walk
 * stops at half of it (LOGS_USAGE_WALK_MS), so a node of many
 * containers answers in part rather than not at all. */
#define LOG_USAGE_NODE_MS (2 * LOGS_USAGE_WALK_MS)

/* The admin route: {"Nodes": [{"ID", "Hostname", "Answered",
 * "Complete", "Containers": {UUID: {"Live", "Rotated", "RotatedFiles"}}
 * or "Error"}]}, one entry per registered node, and one for this head's
 * own zones root ("ID" "") when containers are there that no node
 * reports. */
int log_usage_admin(struct http_request *req, void *arg);

/* What no node's answer holds but a forged one: more containers than a
 * node runs by far, a figure beyond any disk's file (16 TiB) or a count
 * of rotated files beyond any folder's.  Bounded so, a node's totals
 * (at most 2^17 x 2 x 2^44 = 2^62 bytes) fit the integers every reader
 * adds them up in. */
#define LOG_USAGE_MAX_CONTAINERS (1 << 17)
#define LOG_USAGE_MAX_BYTES ((json_int_t)1 << 44)
#define LOG_USAGE_MAX_FILES ((json_int_t)1 << 24)

/* A node's answer to GET /v1/log-usage, checked: its LogUsage object
 * (borrowed) when answer is {"Node": node_id, "Complete": BOOL,
 * "LogUsage": {UUID: {"Live", "Rotated", "RotatedFiles"}}} with each
 * figure an integer from 0 to its bound above, at most
 * LOG_USAGE_MAX_CONTAINERS of them, else NULL (a node may be
 * compromised: an answer of any other shape is not shown at all). */
const json_t *log_usage_answer(const json_t *answer, const char *node_id);

#endif
