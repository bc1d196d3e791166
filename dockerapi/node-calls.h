/*
 * node-calls.h: a container's runtime calls on the node that holds it,
 * through that node's agent, off the loop thread (see node-calls.c).
 */
#ifndef SDC_DOCKERAPI_NODE_CALLS_H
#define SDC_DOCKERAPI_NODE_CALLS_H

#include <jansson.h>

#include "dockerapi.h"
#include "dockerapi/runtime/runtime.h"

/* Where a container's call goes, settled on the loop before the call. */
struct node_target {
	char *address;			/* the agent's HOST:PORT; NULL: here */
	char *hostname;
	struct fetch *client;		/* this call's, from the pool */
};

/* On the loop thread: 0 with *t filled (t->address NULL when the
 * container records no node or the head has no agent certificate: the
 * call then runs on this head's runtime, as before nodes), or -1 with
 * *err, 503 "node unavailable" when the node is not heard from.  Free
 * with node_target_clear(), from any thread. */
int node_target_get(struct dockerapi *d, const char *node_id,
    struct node_target *t, sdc_error_t *err);
void node_target_clear(struct node_target *t);

/* On any thread: POST /v1/containers/UUID/OP[?QUERY] with body (or
 * none) to t's agent, within timeout_ms; 0 with *out (the answer, or
 * NULL if out is NULL), or -1 with *err: 503 "node unavailable" when the
 * agent does not answer, the agent's 400, 404 and 409 as they are (a
 * start's ExitCode 126 or 127 as err->code, as rt_start gives it), 504
 * with errnum ETIMEDOUT for a runtime that timed out there, else 502. */
int node_call(struct node_target *t, const char *uuid, const char *op,
    const char *query, json_t *body, long timeout_ms, json_t **out,
    sdc_error_t *err);

/* The runtime library's calls on t's node, or on rt here when t has no
 * address; the same results and errors either way.  A start through an
 * agent returns no attach fd from the node (out->attach_fd -1). */
int node_rt_kill(struct node_target *t, const struct rt_config *rt,
    const char *uuid, int sig, sdc_error_t *err);
int node_rt_start(struct node_target *t, const struct rt_config *rt,
    const char *uuid, const struct rt_start_opts *opts,
    struct rt_started *out, sdc_error_t *err);
/* The same with the container's network for the node's agent to plumb
 * ("Network", node-net.c; NULL: none). */
int node_rt_start_net(struct node_target *t, const struct rt_config *rt,
    const char *uuid, const struct rt_start_opts *opts, json_t *net,
    struct rt_started *out, sdc_error_t *err);
int node_rt_pause(struct node_target *t, const struct rt_config *rt,
    const char *uuid, bool pause, sdc_error_t *err);
int node_rt_update(struct node_target *t, const struct rt_config *rt,
    const char *uuid, const struct rt_resources *r, sdc_error_t *err);

/* On a thread: container uuid's writable layer as an image layer tar
 * (rt_layer_tar's), read from t's node (its agent's GET
 * /v1/containers/UUID/layer) or from rt here, written through write as
 * it comes.  -1 with *err: 503 "node unavailable" when the agent does
 * not answer or stops sending for 30 s, its refusal (404) as the
 * runtime's. */
int node_rt_layer_tar(struct node_target *t, const struct rt_config *rt,
    const char *uuid, rt_write_fn *write, void *arg, sdc_error_t *err);

/* The pieces node-attach.c shares: the agent's refusal r as the head's
 * runtime would have given it (-1 with *err); a start's body; the time
 * a runtime call may take on a node, the way there included. */
struct fetch_response;
int node_call_refused(struct node_target *t, const struct fetch_response *r,
    sdc_error_t *err);
json_t *node_start_body(const struct rt_start_opts *opts);
long node_call_ms(const struct rt_config *rt);

/* --- node-attach.c: attach streams relayed from the node --- */

/* On the loop, once: the head's TLS client for relays (its agent
 * certificate); 0, or -1 with *err. */
int node_attach_ready(struct dockerapi *d, sdc_error_t *err);
/* On a thread: an attach to running container uuid on t's node; the fd
 * returned speaks the monitor's frames as rt_attach_open's does, relayed
 * through the agent by a thread of its own until either side closes it.
 * -1 with *err: 503 "node unavailable" when the agent does not answer
 * within a few seconds, else the agent's refusal (404, 409). */
int node_attach_open(struct node_target *t, const char *uuid,
    sdc_error_t *err);
/* On a thread: start uuid on t's node with its output relayed from the
 * first byte: out->attach_fd as node_attach_open's, out->pid the init's;
 * net, when not NULL, goes in the start's body as its "Network" (the
 * container's network for the node's agent).  Errors as node_rt_start's. */
int node_attach_start(struct node_target *t, const struct rt_config *rt,
    const char *uuid, const struct rt_start_opts *opts, json_t *net,
    struct rt_started *out, sdc_error_t *err);
/* On a thread: run proc in uuid on t's node as exec exec_id, its stream
 * relayed from the first byte (out->attach_fd, out->pid), whether the
 * client is attached or not (a detached exec's stream is its exit). */
int node_exec_start(struct node_target *t, const struct rt_config *rt,
    const char *uuid, const char *exec_id, const struct rt_process *proc,
    struct rt_started *out, sdc_error_t *err);
/* On a thread: exec exec_id's state (running, pid, exit code) on t's
 * node (its agent's GET /v1/containers/UUID/exec/ID), or from rt here;
 * errors as node_call's (404: no such exec there). */
int node_rt_exec_state(struct node_target *t, const struct rt_config *rt,
    const char *uuid, const char *exec_id, struct rt_state *out,
    sdc_error_t *err);
/* On a thread: a TTY's size on t's node, the container's (exec_id NULL)
 * or an exec's. */
int node_resize(struct node_target *t, const char *uuid,
    const char *exec_id, unsigned rows, unsigned cols, sdc_error_t *err);

/* At the daemon's end: the pool's idle clients freed. */
void node_calls_free(void);

#endif
