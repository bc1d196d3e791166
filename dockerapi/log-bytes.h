/*
 * log-bytes.h: the admin container list's LogBytes, read here or asked
 * from the containers' nodes off the loop (log-bytes.c).
 */
#ifndef SDC_DOCKERAPI_LOG_BYTES_H
#define SDC_DOCKERAPI_LOG_BYTES_H

#include <jansson.h>

#include "dockerapi.h"

/* A node's agent has this long to answer GET /v1/log-bytes. */
#define LOG_BYTES_NODE_MS 2000

/* On the loop: each row of list (the admin API's inspect objects, with
 * their Uuid, Node and LogPath) given its LogBytes, then req answered
 * 200 with list (taken).  HTTP_ASYNC while nodes are asked, or the
 * answer's return when nothing had to wait. */
int log_bytes_reply(struct dockerapi *d, struct http_request *req,
    json_t *list);

/* A node's answer to GET /v1/log-bytes, checked: its LogBytes object
 * (borrowed) when answer is {"Node": node_id, "LogBytes": {...}}, else
 * NULL.  Then one container's bytes in it: a new integer when the node
 * gave a non-negative integer for uuid, else JSON null (not known). */
const json_t *log_bytes_answer(const json_t *answer, const char *node_id);
json_t *log_bytes_of(const json_t *bytes, const char *uuid);

#endif
