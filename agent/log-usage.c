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
 *
 * One walk at a time: a request arriving while a walk runs joins it
 * (req-group.c) and gets its answer, so several heads, or a head's
 * operators asking at once, cost the node one walk, never one each in
 * parallel over the same files.  At most USAGE_WAITERS requests wait
 * for it; one more is refused with 429 at once, so a caller that floods
 * the route queues neither walks nor answers.
 */
#include <stdlib.h>

#include "agent.h"
#include "dockerapi/runtime/logs-read.h"
#include "http.h"
#include "log.h"
#include "req-group.h"
#include "rtcall.h"
#include "timeutil.h"
#include "xalloc.h"

/* Requests that may wait for the walk in flight: far more than the
 * heads of a data center (each asks once at a time, dockerapi/
 * log-usage.c), few enough that their answers are cheap to write. */
#define USAGE_WAITERS 8

/* The walk in flight (a->usage_walk), and who waits for it. */
struct usage_walk {
	struct agent *a;
	int64_t deadline_ms;
	bool complete;
	json_t *usage;
	struct req_group waiting;
};

static int
usage_walk(void *arg, sdc_error_t *err)
{
	struct usage_walk *w = arg;

	w->usage = logs_usage_zones(&w->a->rt, w->deadline_ms, &w->complete,
	    err);
	return w->usage != NULL ? 0 : -1;
}

static void
usage_answer(struct http_request *req, void *arg)
{
	struct usage_walk *w = arg;

	http_reply_json(req, 200, json_pack("{s:s, s:b, s:O}", "Node",
	    w->a->self.id, "Complete", w->complete, "LogUsage", w->usage));
}

static void
usage_failed(struct http_request *req, void *arg)
{
	(void)arg;
	agent_error(req, 500, "the node could not list its containers");
}

static void
usage_done(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	struct usage_walk *w = arg;

	(void)req;
	w->a->usage_walk = NULL;	/* a request from now on walks anew */
	if (rc < 0) {
		log_warn("log usage: %s", sdc_error_msg(*err));
		req_group_answer(&w->waiting, usage_failed, w);
	} else {
		if (!w->complete)
			log_warn("log usage: the walk stopped after %d ms, "
			    "%zu containers measured", LOGS_USAGE_WALK_MS,
			    json_object_size(w->usage));
		req_group_answer(&w->waiting, usage_answer, w);
	}
	json_decref(w->usage);
	free(w);
}

/* req joins the walk in flight: its answer will be that walk's. */
static int
usage_join(struct agent *a, struct http_request *req)
{
	sdc_error_t err = NULL;
	int rc;

	if (req_group_join(&a->usage_walk->waiting, req, &err) == 0) {
		log_info("log usage: a request joins the walk in flight "
		    "(%zu waiting)", req_group_waiting(&a->usage_walk->waiting));
		return HTTP_ASYNC;
	}
	rc = agent_error(req, 429, sdc_error_msg(err));
	sdc_error_release(&err);
	return rc;
}

static int
usage_route(struct http_request *req, void *arg)
{
	struct agent *a = arg;
	struct usage_walk *w;
	sdc_error_t err = NULL;
	int rc;

	if (a->usage_walk != NULL)
		return usage_join(a, req);
	w = xcalloc(1, sizeof *w);
	w->a = a;
	w->deadline_ms = time_mono_ms() + LOGS_USAGE_WALK_MS;
	w->waiting.max = USAGE_WAITERS;
	/* no request of its own: the walk answers every one that waits */
	if (rtcall_start(a->base, NULL, "log usage", usage_walk, usage_done,
	    w, &err) == 0) {
		a->usage_walk = w;
		/* the first of an empty group: it always joins */
		(void)req_group_join(&w->waiting, req, &err);
		return HTTP_ASYNC;
	}
	free(w);
	rc = agent_error(req, 500, sdc_error_msg(err));
	sdc_error_release(&err);
	return rc;
}

const struct route agent_log_usage_routes[] = {
	{ "GET", "/v1/log-usage", usage_route, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};
