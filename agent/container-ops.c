/*
 * container-ops.c: the lifecycle of a node's existing container behind
 * the agent's API: start, pause, unpause and update (its resources),
 * beside the state and the signal of containers.c.
 *
 * A head keeps the bookkeeping (the container's row, its events, the
 * restart policy, the waits) and asks the node that holds the container
 * for the runtime's part only, so each route here is one call of the
 * runtime library on the node's zones root:
 *
 *   POST /v1/containers/:uuid/start    {"NoLog", "LogMaxSize", "LogBudget",
 *                                       "LogMaxFile", "LogArgs": [...]}
 *                                       -> {"ID", "Pid"}
 *   POST /v1/containers/:uuid/pause    -> {"ID", "Status"}
 *   POST /v1/containers/:uuid/unpause  -> {"ID", "Status"}
 *   POST /v1/containers/:uuid/update   {"Memory", "MemoryReservation",
 *                                       "CpuQuota", "CpuPeriod", "CpuShares",
 *                                       "CpusetCpus", "CpusetMems",
 *                                       "PidsLimit", "BlkioWeight"}
 *
 * Refusals are the ones a head answers for its own runtime, so a client
 * cannot tell where the container runs: 404 no such container, 409 not
 * running / already paused / not paused / already running, 400 a start
 * the runtime refused (with "ExitCode", 126 or 127 when Docker reports
 * one), 504 a runtime that did not answer within its timeout.  Messages
 * go through rt_error_text() first: a head's client never reads this
 * node's host paths.  A restart is no call of its own: the head sends
 * the stop signal, learns the exit and asks for the start, as it does
 * on its own runtime.  A start's attach connection, made before the
 * container runs, becomes the watch on its exit (exits.c).  The agent's
 * loop runs these calls itself (tens of milliseconds each); a runtime
 * that hangs holds this node's API until the runtime's timeout, never a
 * head's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "dockerapi/runtime/runtime.h"
#include "http.h"
#include "ids.h"
#include "jsonutil.h"
#include "log.h"
#include "strvec.h"

static int
ops_error(struct http_request *req, int status, const char *msg)
{
	return http_reply_json(req, status, json_pack("{s:s}", "message", msg));
}

/* The runtime's failure as the head's runtime would have answered it. */
static int
ops_rt_failed(struct http_request *req, struct agent *a, const char *uuid,
    int fallback, sdc_error_t *err)
{
	char *text = rt_error_text(&a->rt, uuid, sdc_error_msg(*err));
	int code = (*err)->code, status = fallback;
	int rc;

	if ((*err)->errnum == ETIMEDOUT || strstr(text, "did not answer "
	    "within") != NULL)
		status = 504;
	else if (code == 404)
		status = 404;
	log_info("container %s: %s", uuid, text);
	rc = http_reply_json(req, status, json_pack("{s:s, s:i}", "message",
	    text, "ExitCode", code == 126 || code == 127 ? code : 0));
	free(text);
	sdc_error_release(err);
	return rc;
}

/* The container the path names and its state, or an answer given. */
static const char *
ops_container(struct http_request *req, struct agent *a, struct rt_state *st)
{
	const char *uuid = http_param(req, "uuid");
	sdc_error_t err = NULL;

	if (uuid == NULL || !uuid_valid(uuid)) {
		ops_error(req, 400, "a container's uuid, please");
		return NULL;
	}
	if (rt_state_read(&a->rt, uuid, st, &err) < 0) {
		ops_error(req, 404, "No such container on this node");
		sdc_error_release(&err);
		return NULL;
	}
	return uuid;
}

static json_t *
ops_body(struct http_request *req)
{
	sdc_error_t err = NULL;
	json_t *body;

	if ((body = http_body_json(req, &err)) == NULL || !json_is_object(body)) {
		ops_error(req, 400, err != NULL ? sdc_error_msg(err) :
		    "the body must be a JSON object");
		sdc_error_release(&err);
		json_decref(body);
		return NULL;
	}
	return body;
}

static int
ops_start(struct http_request *req, void *arg)
{
	struct agent *a = arg;
	struct rt_state st;
	const char *uuid = ops_container(req, a, &st);
	struct rt_start_opts opts = { 0 };
	struct rt_started s = { 0, -1 };
	struct strvec args = STRVEC_INIT;
	sdc_error_t err = NULL;
	json_t *body, *v;
	size_t i;
	int rc;

	if (uuid == NULL)
		return HTTP_DONE;
	if (st.status == RT_RUNNING || st.status == RT_PAUSED)
		return ops_error(req, 409, "the container is already running");
	if ((body = ops_body(req)) == NULL)
		return HTTP_DONE;
	opts.no_log = json_is_true(json_object_get(body, "NoLog"));
	opts.log_max_size = json_int(body, "LogMaxSize", 0);
	opts.log_budget = json_int(body, "LogBudget", 0);
	opts.log_max_file = (int)json_int(body, "LogMaxFile", 0);
	json_array_foreach(json_object_get(body, "LogArgs"), i, v)
		if (json_is_string(v))
			strvec_push(&args, json_string_value(v));
	opts.log_args = args.n > 0 ? args.v : NULL;
	opts.attach = true;		/* its exit's watch, from the start */
	if (rt_start(&a->rt, uuid, &opts, &s, &err) < 0)
		rc = ops_rt_failed(req, a, uuid, 400, &err);
	else {
		log_info("container %s: started, pid %d", uuid, (int)s.pid);
		agent_exits_watch(a, uuid, s.pid, s.attach_fd);
		rc = http_reply_json(req, 200, json_pack("{s:s, s:i}", "ID", uuid,
		    "Pid", (int)s.pid));
	}
	strvec_clear(&args);
	json_decref(body);
	return rc;
}

static int
ops_pause_or_not(struct http_request *req, struct agent *a, bool pause)
{
	struct rt_state st;
	const char *uuid = ops_container(req, a, &st);
	sdc_error_t err = NULL;

	if (uuid == NULL)
		return HTTP_DONE;
	if (st.status != RT_RUNNING && st.status != RT_PAUSED)
		return ops_error(req, 409, "the container is not running");
	if (pause && st.status == RT_PAUSED)
		return ops_error(req, 409, "the container is already paused");
	if (!pause && st.status != RT_PAUSED)
		return ops_error(req, 409, "the container is not paused");
	if ((pause ? rt_pause(&a->rt, uuid, &err) :
	    rt_resume(&a->rt, uuid, &err)) < 0)
		return ops_rt_failed(req, a, uuid, 500, &err);
	log_info("container %s: %s", uuid, pause ? "paused" : "unpaused");
	return http_reply_json(req, 200, json_pack("{s:s, s:s}", "ID", uuid,
	    "Status", pause ? "paused" : "running"));
}

static int
ops_pause(struct http_request *req, void *arg)
{
	return ops_pause_or_not(req, arg, true);
}

static int
ops_unpause(struct http_request *req, void *arg)
{
	return ops_pause_or_not(req, arg, false);
}

static int
ops_update(struct http_request *req, void *arg)
{
	struct agent *a = arg;
	struct rt_state st;
	const char *uuid = ops_container(req, a, &st);
	struct rt_resources r = { 0 };
	sdc_error_t err = NULL;
	json_t *body;
	int rc;

	if (uuid == NULL || (body = ops_body(req)) == NULL)
		return HTTP_DONE;
	r.memory = json_int(body, "Memory", 0);
	r.memory_reservation = json_int(body, "MemoryReservation", -1);
	r.cpu_quota = json_int(body, "CpuQuota", 0);
	r.cpu_period = json_int(body, "CpuPeriod", 0);
	r.cpu_shares = (uint64_t)json_int(body, "CpuShares", 0);
	r.cpuset_cpus = json_str(body, "CpusetCpus", NULL);
	r.cpuset_mems = json_str(body, "CpusetMems", NULL);
	r.pids_limit = json_int(body, "PidsLimit", 0);
	r.blkio_weight = (uint16_t)json_int(body, "BlkioWeight", 0);
	if (r.memory < 0 || r.cpu_quota < 0 || r.cpu_period < 0 ||
	    json_int(body, "CpuShares", 0) < 0 ||
	    json_int(body, "BlkioWeight", 0) < 0 ||
	    json_int(body, "BlkioWeight", 0) > 1000)
		rc = ops_error(req, 400, "a resource out of its range");
	else if (rt_update(&a->rt, uuid, &r, &err) < 0)
		rc = ops_rt_failed(req, a, uuid, 500, &err);
	else {
		log_info("container %s: resources updated", uuid);
		rc = http_reply_json(req, 200, json_pack("{s:s}", "ID", uuid));
	}
	json_decref(body);
	return rc;
}

const struct route agent_container_ops_routes[] = {
	{ "POST", "/v1/containers/:uuid/start", ops_start, 0, NULL },
	{ "POST", "/v1/containers/:uuid/pause", ops_pause, 0, NULL },
	{ "POST", "/v1/containers/:uuid/unpause", ops_unpause, 0, NULL },
	{ "POST", "/v1/containers/:uuid/update", ops_update, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};
