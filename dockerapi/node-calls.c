/*
 * node-calls.c: a container's runtime calls on the node that holds it,
 * through that node's agent, off the loop thread.
 *
 * A head's runtime calls already run on a thread each (rtcall.c,
 * container-rtcall.c): the loop checks and keeps the books, the thread
 * blocks.  A container that records a node gets the same thread, and
 * the thread asks the node's agent (agent/container-ops.c) instead of
 * running runc here, so a slow or hung agent holds one thread, never the
 * loop and the other tenants' requests.  Where the call goes is settled
 * on the loop (node_target_get: the node's row read from the store,
 * which is the loop's): a node not heard from answers "node unavailable"
 * at once, before anything changed.  The thread then touches only its
 * target and its arguments.
 *
 * lib/fetch clients are one thread's at a time and keep their
 * connections, so the head keeps a small pool of them: a call takes one
 * on the loop (a copy of the head's agent client when the pool is
 * empty) and gives it back from its thread, its connection to the agent
 * kept for the next call.  The agent's refusals come back as the head's
 * own runtime's would (node-calls.h), so a client cannot tell where its
 * container runs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "jsonutil.h"
#include "log.h"
#include "node-calls.h"
#include "node-states.h"
#include "nodes.h"
#include "timeutil.h"
#include "xalloc.h"

/* A kill is answered by the agent in milliseconds; the others wait for
 * the node's runtime, which ends its own calls at its timeout. */
#define NODE_CALL_KILL_MS 3000
#define NODE_CALL_SLACK_MS 3000
/* A layer read from a node: as long as it moves, and no longer than
 * this while nothing comes (the agent writes it as it walks the tree). */
#define NODE_LAYER_MS (24L * 3600 * 1000)
#define NODE_LAYER_IDLE_MS 30000

#define NODE_POOL_MAX 8

static pthread_mutex_t node_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fetch *node_pool[NODE_POOL_MAX];
static size_t node_pool_n;

static struct fetch *
node_pool_take(struct fetch *template)
{
	struct fetch *f = NULL;

	pthread_mutex_lock(&node_pool_lock);
	if (node_pool_n > 0)
		f = node_pool[--node_pool_n];
	pthread_mutex_unlock(&node_pool_lock);
	return f != NULL ? f : fetch_dup(template);
}

static void
node_pool_give(struct fetch *f)
{
	pthread_mutex_lock(&node_pool_lock);
	if (node_pool_n < NODE_POOL_MAX) {
		node_pool[node_pool_n++] = f;
		f = NULL;
	}
	pthread_mutex_unlock(&node_pool_lock);
	if (f != NULL)
		fetch_free(f);
}

void
node_calls_free(void)
{
	pthread_mutex_lock(&node_pool_lock);
	while (node_pool_n > 0)
		fetch_free(node_pool[--node_pool_n]);
	pthread_mutex_unlock(&node_pool_lock);
}

int
node_target_get(struct dockerapi *d, const char *node_id,
    struct node_target *t, sdc_error_t *err)
{
	struct node_agent a;
	int rc;

	memset(t, 0, sizeof *t);
	if ((rc = nodes_agent_of(d, node_id, &a, err)) == NODES_LOCAL)
		return 0;
	if (rc < 0)
		return -1;
	t->address = a.address;
	t->hostname = a.hostname;
	t->client = node_pool_take(a.client);
	return 0;
}

void
node_target_clear(struct node_target *t)
{
	if (t->client != NULL)
		node_pool_give(t->client);
	free(t->address);
	free(t->hostname);
	memset(t, 0, sizeof *t);
}

/* The agent's refusal as the head's runtime would have given it. */
int
node_call_refused(struct node_target *t, const struct fetch_response *r,
    sdc_error_t *err)
{
	sdc_error_t perr = NULL;
	json_t *j = json_parse(buf_str(&r->body), r->body.len, &perr);
	const char *msg = json_str(j, "message", "the node's agent failed");
	int code = (int)json_int(j, "ExitCode", 0);
	int rc;

	sdc_error_release(&perr);
	if (r->status == 504) {
		rc = sdc_make_error(err, ETIMEDOUT, "%s", msg);
		(*err)->code = 504;
	} else if (r->status == 400 && (code == 126 || code == 127))
		rc = sdc_make_error_code(err, code, "%s", msg);
	else if (r->status == 400 || r->status == 404 || r->status == 409)
		rc = sdc_make_error_code(err, r->status, "%s", msg);
	else
		rc = sdc_make_error_code(err, 502, "node %s: %s", t->hostname,
		    msg);
	json_decref(j);
	return rc;
}

/* node_call with the method given (GET: body NULL). */
static int
node_request(struct node_target *t, const char *method, const char *uuid,
    const char *op, const char *query, json_t *body, long timeout_ms,
    json_t **out, sdc_error_t *err)
{
	static const char *const json_hdr[] = {
		"Content-Type: application/json", NULL };
	struct fetch_request rq = { .method = method, .timeout_ms = timeout_ms };
	struct fetch_response r;
	sdc_error_t ferr = NULL;
	char *url, *text = NULL;
	int rc = 0;

	if (out != NULL)
		*out = NULL;
	xasprintf(&url, "https://%s/v1/containers/%s/%s%s%s", t->address, uuid,
	    op, query != NULL ? "?" : "", query != NULL ? query : "");
	rq.url = url;
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		rq.body = text;
		rq.body_len = strlen(text);
		rq.headers = json_hdr;
	}
	if (fetch_request(t->client, &rq, &r, &ferr) < 0) {
		log_warn("nodes: %s", sdc_error_msg(ferr));
		sdc_error_release(&ferr);
		free(text);
		free(url);
		return sdc_make_error_code(err, 503, "node unavailable: the "
		    "agent of node %s does not answer", t->hostname);
	}
	if (r.status != 200)
		rc = node_call_refused(t, &r, err);
	else if (out != NULL && (*out = json_parse(buf_str(&r.body), r.body.len,
	    &ferr)) == NULL) {
		rc = sdc_make_error_code(err, 502, "node %s: its answer: %s",
		    t->hostname, sdc_error_msg(ferr));
		sdc_error_release(&ferr);
	}
	fetch_response_free(&r);
	free(text);
	free(url);
	return rc;
}

int
node_call(struct node_target *t, const char *uuid, const char *op,
    const char *query, json_t *body, long timeout_ms, json_t **out,
    sdc_error_t *err)
{
	return node_request(t, "POST", uuid, op, query, body, timeout_ms, out,
	    err);
}

int
node_rt_exec_state(struct node_target *t, const struct rt_config *rt,
    const char *uuid, const char *exec_id, struct rt_state *out,
    sdc_error_t *err)
{
	const char *status;
	json_t *j;
	char *op;
	int rc;

	if (t->address == NULL)
		return rt_exec_state(rt, uuid, exec_id, out, err);
	xasprintf(&op, "exec/%s", exec_id);
	rc = node_request(t, "GET", uuid, op, NULL, NULL, node_call_ms(rt), &j,
	    err);
	free(op);
	if (rc < 0)
		return -1;
	memset(out, 0, sizeof *out);
	status = json_str(j, "Status", "");
	out->status = strcmp(status, "running") == 0 ? RT_RUNNING :
	    strcmp(status, "paused") == 0 ? RT_PAUSED :
	    strcmp(status, "created") == 0 ? RT_CREATED : RT_EXITED;
	out->pid = (pid_t)json_int(j, "Pid", 0);
	out->exit_code = (int)json_int(j, "ExitCode", 0);
	json_decref(j);
	return 0;
}

json_t *
node_start_body(const struct rt_start_opts *opts)
{
	json_t *args = json_array();

	for (size_t i = 0; opts->log_args != NULL && opts->log_args[i] != NULL;
	    i++)
		json_array_append_new(args, json_string(opts->log_args[i]));
	return json_pack("{s:b, s:I, s:I, s:i, s:o}", "NoLog", opts->no_log,
	    "LogMaxSize", (json_int_t)opts->log_max_size,
	    "LogBudget", (json_int_t)opts->log_budget,
	    "LogMaxFile", opts->log_max_file, "LogArgs", args);
}

long
node_call_ms(const struct rt_config *rt)
{
	return (rt != NULL && rt->timeout_ms > 0 ? rt->timeout_ms : 60000) +
	    NODE_CALL_SLACK_MS;
}

int
node_rt_kill(struct node_target *t, const struct rt_config *rt,
    const char *uuid, int sig, sdc_error_t *err)
{
	char query[32];

	if (t->address == NULL)
		return rt_kill(rt, uuid, sig, err);
	snprintf(query, sizeof query, "signal=%d", sig);
	return node_call(t, uuid, "kill", query, NULL, NODE_CALL_KILL_MS,
	    NULL, err);
}

int
node_rt_start(struct node_target *t, const struct rt_config *rt,
    const char *uuid, const struct rt_start_opts *opts,
    struct rt_started *out, sdc_error_t *err)
{
	return node_rt_start_net(t, rt, uuid, opts, NULL, out, err);
}

int
node_rt_start_net(struct node_target *t, const struct rt_config *rt,
    const char *uuid, const struct rt_start_opts *opts, json_t *net,
    struct rt_started *out, sdc_error_t *err)
{
	json_t *body, *ans;
	int rc;

	memset(&out->started_at, 0, sizeof out->started_at);
	if (t->address == NULL)
		return rt_start(rt, uuid, opts, out, err);
	body = node_start_body(opts);
	if (net != NULL)
		json_object_set(body, "Network", net);
	rc = node_call(t, uuid, "start", NULL, body, node_call_ms(rt), &ans,
	    err);
	json_decref(body);
	if (rc < 0)
		return -1;
	out->pid = (pid_t)json_int(ans, "Pid", 0);
	out->attach_fd = -1;
	/* the node's time, as every head reads it from the node after */
	out->started_at = node_states_time(ans, "StartedAt");
	json_decref(ans);
	return 0;
}

int
node_rt_pause(struct node_target *t, const struct rt_config *rt,
    const char *uuid, bool pause, sdc_error_t *err)
{
	if (t->address == NULL)
		return pause ? rt_pause(rt, uuid, err) : rt_resume(rt, uuid, err);
	return node_call(t, uuid, pause ? "pause" : "unpause", NULL, NULL,
	    node_call_ms(rt), NULL, err);
}

int
node_rt_update(struct node_target *t, const struct rt_config *rt,
    const char *uuid, const struct rt_resources *r, sdc_error_t *err)
{
	json_t *body;
	int rc;

	if (t->address == NULL)
		return rt_update(rt, uuid, r, err);
	body = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:i}",
	    "Memory", (json_int_t)r->memory,
	    "MemoryReservation", (json_int_t)r->memory_reservation,
	    "CpuQuota", (json_int_t)r->cpu_quota,
	    "CpuPeriod", (json_int_t)r->cpu_period,
	    "CpuShares", (json_int_t)r->cpu_shares,
	    "PidsLimit", (json_int_t)r->pids_limit,
	    "BlkioWeight", (int)r->blkio_weight);
	if (r->cpuset_cpus != NULL)
		json_object_set_new(body, "CpusetCpus", json_string(r->cpuset_cpus));
	if (r->cpuset_mems != NULL)
		json_object_set_new(body, "CpusetMems", json_string(r->cpuset_mems));
	rc = node_call(t, uuid, "update", NULL, body, node_call_ms(rt), NULL,
	    err);
	json_decref(body);
	return rc;
}

/* --- a container's writable layer read from its node --- */

struct node_layer_read {
	rt_write_fn *write;
	void *arg;
	int64_t got;			/* bytes so far */
	int64_t moved_ms;		/* when they last grew */
	bool failed;			/* write refused them */
};

static int
node_layer_sink(void *arg, const struct fetch_response *r, const void *data,
    size_t len, sdc_error_t *err)
{
	struct node_layer_read *l = arg;

	(void)err;
	if (r->status != 200)		/* the refusal's body: kept for it */
		return 0;
	if (l->write(l->arg, data, len) < 0) {
		l->failed = true;
		return -1;
	}
	return 0;
}

static int
node_layer_progress(void *arg, int64_t got, int64_t total)
{
	struct node_layer_read *l = arg;
	int64_t now = time_mono_ms();

	(void)total;
	if (got != l->got) {
		l->got = got;
		l->moved_ms = now;
	}
	return now - l->moved_ms > NODE_LAYER_IDLE_MS ? -1 : 0;
}

int
node_rt_layer_tar(struct node_target *t, const struct rt_config *rt,
    const char *uuid, rt_write_fn *write, void *arg, sdc_error_t *err)
{
	struct node_layer_read l = { .write = write, .arg = arg };
	struct fetch_request rq = {
		.method = "GET", .timeout_ms = NODE_LAYER_MS,
		.sink = node_layer_sink, .sink_arg = &l,
		.progress = node_layer_progress, .progress_arg = &l,
	};
	struct fetch_response r;
	sdc_error_t ferr = NULL;
	char *url;
	int rc = 0;

	if (t->address == NULL)
		return rt_layer_tar(rt, uuid, write, arg, err);
	xasprintf(&url, "https://%s/v1/containers/%s/layer", t->address, uuid);
	rq.url = url;
	l.moved_ms = time_mono_ms();
	if (fetch_request(t->client, &rq, &r, &ferr) < 0) {
		if (l.failed)
			rc = sdc_make_error(err, 0, "the layer of container %s: "
			    "its copy stopped", uuid);
		else
			rc = sdc_make_error_code(err, 503, "node unavailable: "
			    "the agent of node %s: %s", t->hostname,
			    sdc_error_msg(ferr));
		sdc_error_release(&ferr);
		free(url);
		return rc;
	}
	if (r.status != 200)
		rc = node_call_refused(t, &r, err);
	fetch_response_free(&r);
	free(url);
	return rc;
}
