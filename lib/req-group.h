/*
 * req-group.h: requests that wait together for one result in flight
 * (one walk of a node's logs, one question to every node), so that a
 * request arriving while the work runs shares it instead of starting it
 * again, and a bounded number of them can wait.
 */
#ifndef SDC_REQ_GROUP_H
#define SDC_REQ_GROUP_H

#include <stddef.h>

#include "error.h"

struct http_request;

/* Lives as long as its work (the address is the close hooks' argument):
 * embed it in the work's own allocation, zeroed, max set. */
struct req_group {
	struct http_request **reqs;	/* NULL: that client has gone */
	size_t n;
	size_t max;			/* the most that may wait at once */
};

/* req waits for the group's answer; -1 with *err (code 429) when max
 * requests wait already: nothing changed, the caller answers it. */
int req_group_join(struct req_group *g, struct http_request *req,
    sdc_error_t *err);
/* The number of requests still waiting (those whose client left not
 * counted). */
size_t req_group_waiting(const struct req_group *g);
/* Each request still waiting handed to answer, which must answer it;
 * the group then emptied (its storage freed, max kept). */
typedef void req_group_answer_fn(struct http_request *req, void *arg);
void req_group_answer(struct req_group *g, req_group_answer_fn *answer,
    void *arg);

#endif
