/*
 * containers.c: the node's containers behind the agent's API, the first
 * runtime operations a head asks for instead of doing them itself.
 *
 * A head names a container by its folder uuid (the runtime's id) and the
 * agent acts on its own zones root with the node's runtime library
 * (dockerapi/runtime): GET /v1/containers/:uuid reads its state,
 * POST /v1/containers/:uuid/kill?signal=N signals its init.  The rest
 * of the runtime follows the same pattern (docs/architecture.md,
 * "Compute nodes").  A uuid the runtime would not take as an id is
 * refused before any path is made of it.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "dockerapi/runtime/runtime.h"
#include "http.h"
#include "ids.h"
#include "log.h"
#include "timeutil.h"

/* The container the path names, or an answer already given. */
static const char *
ctr_uuid(struct http_request *req)
{
	const char *uuid = http_param(req, "uuid");

	if (uuid == NULL || !uuid_valid(uuid)) {
		agent_error(req, 400, "a container's uuid, please");
		return NULL;
	}
	return uuid;
}

json_t *
agent_state_json(const struct rt_state *st)
{
	char started[TIME_RFC3339_LEN], finished[TIME_RFC3339_LEN];

	time_rfc3339(started, sizeof started, time_ts_ns(&st->started_at), 9);
	time_rfc3339(finished, sizeof finished, time_ts_ns(&st->finished_at), 9);
	return json_pack("{s:s, s:i, s:i, s:i, s:b, s:s, s:s}",
	    "Status", rt_status_name(st->status), "Pid", (int)st->pid,
	    "ExitCode", st->exit_code, "Signal", st->signal,
	    "OOMKilled", st->oom_killed, "StartedAt", started,
	    "FinishedAt", finished);
}

static int
ctr_state(struct http_request *req, void *arg)
{
	struct agent *a = arg;
	const char *uuid = ctr_uuid(req);
	struct rt_state st;
	sdc_error_t err = NULL;
	int rc;

	if (uuid == NULL)
		return HTTP_DONE;
	if (rt_state_read(&a->rt, uuid, &st, &err) < 0) {
		rc = agent_error(req, 404, sdc_error_msg(err));
		sdc_error_release(&err);
		return rc;
	}
	return http_reply_json(req, 200, agent_state_json(&st));
}

static int
ctr_kill(struct http_request *req, void *arg)
{
	struct agent *a = arg;
	const char *uuid = ctr_uuid(req), *s = http_query(req, "signal");
	sdc_error_t err = NULL;
	char *end;
	long sig;
	int rc;

	if (uuid == NULL)
		return HTTP_DONE;
	sig = s != NULL ? strtol(s, &end, 10) : SIGKILL;
	if (s != NULL && (*s == '\0' || *end != '\0' || sig < 1 || sig > 64))
		return agent_error(req, 400, "signal: a number from 1 to 64");
	if (rt_kill(&a->rt, uuid, (int)sig, &err) < 0) {
		rc = agent_error(req, 409, sdc_error_msg(err));
		sdc_error_release(&err);
		return rc;
	}
	log_info("container %s: signal %ld", uuid, sig);
	return http_reply_json(req, 200, json_pack("{s:s, s:i}", "ID", uuid,
	    "Signal", (int)sig));
}

const struct route agent_container_routes[] = {
	{ "GET", "/v1/containers/:uuid", ctr_state, 0, NULL },
	{ "POST", "/v1/containers/:uuid/kill", ctr_kill, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};
