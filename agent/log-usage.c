/*
 * log-usage.c: GET /v1/log-usage, what the logs of every container of
 * the node take, for `sdcadm-docker logs usage` through a head
 * (dockerapi/log-usage.c asks every node once and shows them together).
 *
 * The answer is {"Node": ID, "Complete": BOOL, "LogUsage": {UUID:
 * {"Live": BYTES, "Rotated": BYTES, "RotatedFiles": N}}}, every
 * container folder of the node's zones root measured by the runtime
 * library's walk (logs_usage_zones), the one a head without agents uses
 * on its own folder, so the two agree file for file.
 *
 * Unlike GET /v1/log-bytes, which reads the folders of the containers a
 * head lists, this one reads every folder of the node, however many,
 * and a rotated log a container keeps is a file more each: the walk
 * runs on an rtcall thread, never on the loop that heartbeats and
 * serves the other heads, and stops at LOGS_USAGE_WALK_MS, answering
 * what it measured by then with Complete false, well inside the head's
 * own bound for the question (LOG_USAGE_NODE_MS) so that a partial
 * answer arrives rather than none.  Like every route here it sits
 * behind mutual TLS: only the operator's heads reach it (api.c).
 */
#include <stdlib.h>

#include "agent.h"
#include "dockerapi/runtime/logs-read.h"
#include "http.h"
#include "log.h"
#include "rtcall.h"
#include "timeutil.h"
#include "xalloc.h"

struct usage_job {
	struct agent *a;
	int64_t deadline_ms;
	bool complete;
	json_t *usage;
};

static int
usage_walk(void *arg, sdc_error_t *err)
{
	struct usage_job *j = arg;

	j->usage = logs_usage_zones(&j->a->rt, j->deadline_ms, &j->complete,
	    err);
	return j->usage != NULL ? 0 : -1;
}

static void
usage_done(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	struct usage_job *j = arg;

	if (rc < 0) {
		log_warn("log usage: %s", sdc_error_msg(*err));
		if (req != NULL)
			agent_error(req, 500, "the node could not list its "
			    "containers");
	} else {
		if (!j->complete)
			log_warn("log usage: the walk stopped after %d ms, "
			    "%zu containers measured", LOGS_USAGE_WALK_MS,
			    json_object_size(j->usage));
		if (req != NULL) {
			http_reply_json(req, 200, json_pack("{s:s, s:b, s:O}",
			    "Node", j->a->self.id, "Complete", j->complete,
			    "LogUsage", j->usage));
		}
	}
	json_decref(j->usage);
	free(j);
}

static int
usage_route(struct http_request *req, void *arg)
{
	struct usage_job *j = xcalloc(1, sizeof *j);
	sdc_error_t err = NULL;
	int rc;

	j->a = arg;
	j->deadline_ms = time_mono_ms() + LOGS_USAGE_WALK_MS;
	if (rtcall_start(j->a->base, req, "log usage", usage_walk, usage_done,
	    j, &err) == 0)
		return HTTP_ASYNC;
	free(j);
	rc = agent_error(req, 500, sdc_error_msg(err));
	sdc_error_release(&err);
	return rc;
}

const struct route agent_log_usage_routes[] = {
	{ "GET", "/v1/log-usage", usage_route, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};
