/*
 * container-stats.c: GET /v1/containers/:uuid/stats, a container's
 * readings from the node's own cgroups, in Docker's JSON shape, so the
 * head passes the body to its client as it is.
 *
 *   GET /v1/containers/:uuid/stats?stream=0|1&one-shot=0|1&name=N&id=ID
 *   -> 200 application/json: one reading a line (a stream), or one
 *      answer (stream=0: two readings a second apart, the first its
 *      precpu_stats; with one-shot=1 a single reading, no precpu)
 *
 * The name and id are the head's (the node knows the container by its
 * folder's uuid only), checked for their shape and only copied into the
 * answer.  A container that is not running gets Docker's blank reading.
 * A reading is a few small cgroup files, so it is taken on the loop, as
 * a head takes them, a timer a second apart; a stream ends when the
 * container stops, and its timer goes with a head that leaves.
 */
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "agent.h"
#include "dockerapi/runtime/runtime.h"
#include "http.h"
#include "ids.h"
#include "jsonutil.h"
#include "log.h"
#include "xalloc.h"

struct cstats {
	struct http_request *req;
	struct agent *a;
	char uuid[37];
	char *name, *id;
	struct rt_stats_answer sa;
	struct event *timer;
};

static void
cstats_free(struct cstats *r)
{
	if (r->timer != NULL)
		event_free(r->timer);
	free(r->name);
	free(r->id);
	free(r);
}

static void
cstats_closed(struct http_request *req, void *arg)
{
	(void)req;
	cstats_free(arg);
}

static void
cstats_finish(struct cstats *r)
{
	http_on_close(r->req, NULL, NULL);
	http_stream_end(r->req);
	cstats_free(r);
}

static bool
cstats_running(struct agent *a, const char *uuid)
{
	struct rt_state st;

	return rt_state_read(&a->rt, uuid, &st, NULL) == 0 &&
	    (st.status == RT_RUNNING || st.status == RT_PAUSED);
}

static void
cstats_tick(evutil_socket_t fd, short what, void *arg)
{
	struct cstats *r = arg;
	struct timeval sec = { 1, 0 };
	char *line;
	bool end;

	(void)fd;
	(void)what;
	if (!cstats_running(r->a, r->uuid)) {
		cstats_finish(r);
		return;
	}
	end = rt_stats_next(&r->a->rt, r->uuid, &r->sa, r->name, r->id, &line);
	if (line != NULL)
		http_stream_printf(r->req, "%s", line);
	free(line);
	if (end)
		cstats_finish(r);
	else
		evtimer_add(r->timer, &sec);
}

/* A container's name as Docker spells them, or its id: nothing else is
 * copied into an answer. */
static bool
cstats_word(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z')
		    && !(s[i] >= '0' && s[i] <= '9') && strchr("_.-", s[i]) == NULL)
			return false;
	return true;
}

static int
cstats_route(struct http_request *req, void *arg)
{
	struct agent *a = arg;
	const char *uuid = http_param(req, "uuid");
	const char *name = http_query(req, "name"), *id = http_query(req, "id");
	struct rt_state st;
	struct cstats *r;

	if (uuid == NULL || !uuid_valid(uuid))
		return agent_error(req, 400, "a container's uuid, please");
	if (name == NULL)
		name = uuid;
	if (id == NULL)
		id = uuid;
	if (!cstats_word(name) || !cstats_word(id))
		return agent_error(req, 400, "name and id: a container's, "
		    "please");
	if (rt_state_read(&a->rt, uuid, &st, NULL) < 0)
		return agent_error(req, 404, "No such container on this node");
	if (st.status != RT_RUNNING && st.status != RT_PAUSED)
		return http_reply_json(req, 200, rt_stats_once(&a->rt, NULL,
		    name, id));                         /* blank */
	if (http_query_bool(req, "one-shot", false) &&
	    !http_query_bool(req, "stream", true))
		return http_reply_json(req, 200, rt_stats_once(&a->rt, uuid,
		    name, id));
	r = xcalloc(1, sizeof *r);
	r->req = req;
	r->a = a;
	snprintf(r->uuid, sizeof r->uuid, "%s", uuid);
	r->name = xstrdup(name);
	r->id = xstrdup(id);
	r->sa.stream = http_query_bool(req, "stream", true);
	r->timer = evtimer_new(a->base, cstats_tick, r);
	http_on_close(req, cstats_closed, r);
	http_stream_start(req, 200, "application/json");
	log_info("container %s: stats%s", uuid, r->sa.stream ? " (stream)" : "");
	cstats_tick(-1, 0, r);
	return HTTP_ASYNC;
}

const struct route agent_stats_routes[] = {
	{ "GET", "/v1/containers/:uuid/stats", cstats_route, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};
