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
 *                                       "LogMaxFile", "LogArgs": [...],
 *                                       "Network": {...}}
 *                                       -> {"ID", "Pid", "StartedAt"}
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
 * container runs, becomes the watch on its exit (exits.c), or with
 * ?attach=1 the head's attached stream (container-attach.c).  The checks
 * (the container's state, read from its folder) run on the agent's loop,
 * the runtime's call on a thread of its own (lib/rtcall.c, as a head's
 * own runtime calls): a runc that hangs on one container holds that
 * call until the runtime's timeout, never the node's heartbeats or its
 * other containers' calls.  A start's "Network" (container-net.c) is
 * checked and plumbed on the loop before the runtime's thread runs it,
 * and taken down again if the runtime fails.  On that thread too a start
 * waits for a first copy under way into one of its volumes (another
 * create's, rt_volumes_settled_of), as a head's own start does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "dockerapi/net/net.h"
#include "dockerapi/runtime/runtime.h"
#include "http.h"
#include "ids.h"
#include "jsonutil.h"
#include "log.h"
#include "rtcall.h"
#include "store.h"
#include "strvec.h"
#include "xalloc.h"

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
		agent_error(req, 400, "a container's uuid, please");
		return NULL;
	}
	if (rt_state_read(&a->rt, uuid, st, &err) < 0) {
		agent_error(req, 404, "No such container on this node");
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
		agent_error(req, 400, err != NULL ? sdc_error_msg(err) :
		    "the body must be a JSON object");
		sdc_error_release(&err);
		json_decref(body);
		return NULL;
	}
	return body;
}

/* A call's arguments and result: checked and built on the loop, run on
 * a thread of its own (lib/rtcall.c), answered back on the loop. */
enum ops_kind { OPS_START, OPS_PAUSE, OPS_UNPAUSE, OPS_UPDATE };

struct ops_job {
	struct agent *a;
	enum ops_kind kind;
	char uuid[37];
	json_t *body;			/* the strings below point into it */
	struct rt_start_opts opts;
	struct strvec args;
	struct rt_started s;
	struct rt_resources r;
	bool relay;			/* start?attach=1: its attach fd to the
					 * head (container-attach.c) */
	struct net_dns_wait names;	/* a start's networks' tables */
};

static const char *const ops_names[] = { "start", "pause", "unpause",
	"update" };

static int
ops_job_fn(void *arg, sdc_error_t *err)
{
	struct ops_job *j = arg;
	const struct rt_config *rt = &j->a->rt;

	switch (j->kind) {
	case OPS_START:
		/* its names set before it runs, as a head's start waits */
		net_dns_wait_start(&j->names, j->uuid);
		/* a volume another create is filling: its copy's end
		 * first, so the container never runs on part of it */
		rt_volumes_settled_of(rt, j->uuid, j->a->opt->volumes);
		return rt_start(rt, j->uuid, &j->opts, &j->s, err);
	case OPS_PAUSE:
		return rt_pause(rt, j->uuid, err);
	case OPS_UNPAUSE:
		return rt_resume(rt, j->uuid, err);
	case OPS_UPDATE:
		return rt_update(rt, j->uuid, &j->r, err);
	}
	return -1;
}

/* A start made here, in the heads' change log (dockerapi/heads-sync.c)
 * on PostgreSQL: every head reloads the container from this node.  The
 * head that asked logs it too once it has the answer, but a head killed
 * meanwhile never does, and the others would show the container as
 * created while it runs.  A row of a node's origin changes no restart
 * count: the count is the heads'. */
static void
ops_started_changed(struct ops_job *j)
{
	struct store_stmt *s;
	sdc_error_t err = NULL;
	char origin[64];

	if (strcmp(store_backend(j->a->store), "postgresql") != 0)
		return;
	snprintf(origin, sizeof origin, "node:%s", j->a->self.id);
	if (store_prepare(j->a->store, &s, "INSERT INTO head_changes (ref, "
	    "origin, at) SELECT id, ?, ? FROM containers WHERE uuid = ?",
	    &err) == 0) {
		if (store_bind_text(s, 1, origin, &err) == 0 &&
		    store_bind_int64(s, 2, (int64_t)time(NULL), &err) == 0 &&
		    store_bind_text(s, 3, j->uuid, &err) == 0)
			(void)store_step(s, &err);
		store_finalize(s);
	}
	if (err != NULL) {
		log_warn("container %s: its start not logged for the heads: %s",
		    j->uuid, sdc_error_msg(err));
		sdc_error_release(&err);
	}
}

/* The run's start time as the node recorded it, which every head reads
 * from here later: the head that started it shows the same. */
static void
ops_started_at(struct ops_job *j, json_t *ans)
{
	sdc_error_t err = NULL;
	struct rt_state st;
	json_t *sj;

	if (rt_state_read(&j->a->rt, j->uuid, &st, &err) < 0) {
		sdc_error_release(&err);
		return;
	}
	sj = agent_state_json(&st);
	json_object_set(ans, "StartedAt", json_object_get(sj, "StartedAt"));
	json_decref(sj);
}

static void
ops_job_done(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	struct ops_job *j = arg;
	json_t *ans = NULL;

	if (rc < 0) {
		if (j->kind == OPS_START)
			agent_net_down(j->a, j->uuid, NULL);
		if (req != NULL)
			ops_rt_failed(req, j->a, j->uuid, j->kind == OPS_START ?
			    400 : 500, err);
		goto out;
	}
	switch (j->kind) {
	case OPS_START:
		log_info("container %s: started, pid %d", j->uuid, (int)j->s.pid);
		ops_started_changed(j);
		if (j->relay && req != NULL) {
			/* the start's own connection is the head's; the exit
			 * is watched through one of its own */
			agent_exits_watch(j->a, j->uuid, j->s.pid, -1);
			agent_attach_relay(req, j->a, j->uuid, "start",
			    j->s.attach_fd, j->s.pid);
			goto out;
		}
		/* watched even if the head has gone: its exit is reported */
		agent_exits_watch(j->a, j->uuid, j->s.pid, j->s.attach_fd);
		ans = json_pack("{s:s, s:i}", "ID", j->uuid, "Pid", (int)j->s.pid);
		ops_started_at(j, ans);
		break;
	case OPS_PAUSE:
	case OPS_UNPAUSE:
		log_info("container %s: %s", j->uuid, j->kind == OPS_PAUSE ?
		    "paused" : "unpaused");
		ans = json_pack("{s:s, s:s}", "ID", j->uuid, "Status",
		    j->kind == OPS_PAUSE ? "paused" : "running");
		break;
	case OPS_UPDATE:
		log_info("container %s: resources updated", j->uuid);
		ans = json_pack("{s:s}", "ID", j->uuid);
		break;
	}
	if (req != NULL)
		http_reply_json(req, 200, ans);
	else
		json_decref(ans);
out:
	strvec_clear(&j->args);
	net_dns_wait_clear(&j->names);
	json_decref(j->body);
	free(j);
}

static int
ops_job_run(struct http_request *req, struct ops_job *j)
{
	sdc_error_t err = NULL;
	int rc;

	if (rtcall_start(j->a->base, req, ops_names[j->kind], ops_job_fn,
	    ops_job_done, j, &err) == 0)
		return HTTP_ASYNC;
	rc = agent_error(req, 500, sdc_error_msg(err));
	sdc_error_release(&err);
	if (j->kind == OPS_START)
		agent_net_down(j->a, j->uuid, NULL);
	strvec_clear(&j->args);
	net_dns_wait_clear(&j->names);
	json_decref(j->body);
	free(j);
	return rc;
}

static struct ops_job *
ops_job_new(struct agent *a, enum ops_kind kind, const char *uuid)
{
	struct ops_job *j = xcalloc(1, sizeof *j);

	j->a = a;
	j->kind = kind;
	snprintf(j->uuid, sizeof j->uuid, "%s", uuid);
	j->s.attach_fd = -1;
	return j;
}

static int
ops_start(struct http_request *req, void *arg)
{
	struct agent *a = arg;
	struct rt_state st;
	const char *uuid = ops_container(req, a, &st);
	struct ops_job *j;
	json_t *body, *v;
	size_t i;

	if (uuid == NULL)
		return HTTP_DONE;
	if (st.status == RT_RUNNING || st.status == RT_PAUSED)
		return agent_error(req, 409, "the container is already running");
	if ((body = ops_body(req)) == NULL)
		return HTTP_DONE;
	j = ops_job_new(a, OPS_START, uuid);
	j->body = body;
	j->opts.no_log = json_is_true(json_object_get(body, "NoLog"));
	j->opts.log_max_size = json_int(body, "LogMaxSize", 0);
	j->opts.log_budget = json_int(body, "LogBudget", 0);
	j->opts.log_max_file = (int)json_int(body, "LogMaxFile", 0);
	json_array_foreach(json_object_get(body, "LogArgs"), i, v)
		if (json_is_string(v))
			strvec_push(&j->args, json_string_value(v));
	j->opts.log_args = j->args.n > 0 ? j->args.v : NULL;
	j->opts.attach = true;		/* its exit's watch, from the start */
	if (json_object_get(body, "Network") != NULL) {
		sdc_error_t err = NULL;
		int rc;

		if (agent_net_up(a, uuid, json_object_get(body, "Network"),
		    &j->names, &err) < 0) {
			rc = agent_error(req, err->code == 400 ||
			    err->code == 409 ? err->code : 500,
			    sdc_error_msg(err));
			sdc_error_release(&err);
			strvec_clear(&j->args);
			json_decref(j->body);
			free(j);
			return rc;
		}
	}
	j->relay = http_query_bool(req, "attach", false);
	return ops_job_run(req, j);
}

static int
ops_pause_or_not(struct http_request *req, struct agent *a, bool pause)
{
	struct rt_state st;
	const char *uuid = ops_container(req, a, &st);

	if (uuid == NULL)
		return HTTP_DONE;
	if (st.status != RT_RUNNING && st.status != RT_PAUSED)
		return agent_error(req, 409, "the container is not running");
	if (pause && st.status == RT_PAUSED)
		return agent_error(req, 409, "the container is already paused");
	if (!pause && st.status != RT_PAUSED)
		return agent_error(req, 409, "the container is not paused");
	return ops_job_run(req, ops_job_new(a, pause ? OPS_PAUSE : OPS_UNPAUSE,
	    uuid));
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
	struct ops_job *j;
	json_t *body;

	if (uuid == NULL || (body = ops_body(req)) == NULL)
		return HTTP_DONE;
	if (json_int(body, "Memory", 0) < 0 || json_int(body, "CpuQuota", 0) < 0 ||
	    json_int(body, "CpuPeriod", 0) < 0 ||
	    json_int(body, "CpuShares", 0) < 0 ||
	    json_int(body, "BlkioWeight", 0) < 0 ||
	    json_int(body, "BlkioWeight", 0) > 1000) {
		json_decref(body);
		return agent_error(req, 400, "a resource out of its range");
	}
	j = ops_job_new(a, OPS_UPDATE, uuid);
	j->body = body;
	j->r.memory = json_int(body, "Memory", 0);
	j->r.memory_reservation = json_int(body, "MemoryReservation", -1);
	j->r.cpu_quota = json_int(body, "CpuQuota", 0);
	j->r.cpu_period = json_int(body, "CpuPeriod", 0);
	j->r.cpu_shares = (uint64_t)json_int(body, "CpuShares", 0);
	j->r.cpuset_cpus = json_str(body, "CpusetCpus", NULL);
	j->r.cpuset_mems = json_str(body, "CpusetMems", NULL);
	j->r.pids_limit = json_int(body, "PidsLimit", 0);
	j->r.blkio_weight = (uint16_t)json_int(body, "BlkioWeight", 0);
	return ops_job_run(req, j);
}

const struct route agent_container_ops_routes[] = {
	{ "POST", "/v1/containers/:uuid/start", ops_start, 0, NULL },
	{ "POST", "/v1/containers/:uuid/pause", ops_pause, 0, NULL },
	{ "POST", "/v1/containers/:uuid/unpause", ops_unpause, 0, NULL },
	{ "POST", "/v1/containers/:uuid/update", ops_update, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};
