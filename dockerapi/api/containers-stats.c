/*
 * containers-stats.c: GET /containers/:id/stats, in Docker's JSON shape.
 *
 * A CPU percentage needs two readings, so every answer carries the
 * previous one as precpu_stats, as dockerd's do: a stream sends a reading
 * a second; a single answer (docker stats --no-stream) takes one reading,
 * waits a second on a timer (not blocking the loop) and answers with the
 * second, unless the client asked for one-shot, which has no precpu.
 * A stream holds the container's id, not the container, and looks it up
 * at each tick, so a container removed meanwhile simply ends it.
 */
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "containers.h"
#include "jsonutil.h"
#include "node-relay.h"
#include "nodes.h"
#include "xalloc.h"

struct stats_req {
	struct http_request *req;
	struct containers *cs;
	char id[65];
	char *account;
	struct rt_stats_answer sa;
	struct event *timer;
};

static void
stats_free(struct stats_req *r)
{
	if (r->timer != NULL)
		event_free(r->timer);
	free(r->account);
	free(r);
}

static void
stats_closed(struct http_request *req, void *arg)
{
	stats_free(arg);
}

static void
stats_finish(struct stats_req *r)
{
	http_on_close(r->req, NULL, NULL);
	http_stream_end(r->req);
	stats_free(r);
}

static void
stats_tick(evutil_socket_t fd, short what, void *arg)
{
	struct stats_req *r = arg;
	struct timeval sec = { 1, 0 };
	struct ctr *c = ctr_find(r->cs, r->account, r->id, NULL);
	char *line;
	bool end;

	if (c == NULL || !ctr_running(c)) {
		stats_finish(r);
		return;
	}
	end = rt_stats_next(&r->cs->rt, c->uuid, &r->sa, c->name, c->id, &line);
	if (line != NULL)
		http_stream_printf(r->req, "%s", line);
	free(line);
	if (end)
		stats_finish(r);
	else
		evtimer_add(r->timer, &sec);
}

/* A stopped container: Docker's blank reading. */
static int
stats_blank(struct http_request *req, struct dockerapi *d, const struct ctr *c)
{
	return api_json(req, 200, rt_stats_once(&ctrs(d)->rt, NULL, c->name,
	    c->id));
}

/* A container on a node behind an agent: its readings are the node's,
 * relayed as they come (node-relay.c).  False when it is here (nothing
 * done); true with *answered the handler's return. */
static bool
stats_relay(struct http_request *req, struct dockerapi *d,
    const struct ctr *c, int *answered)
{
	struct node_relay_opts o = { .first_byte_ms = 0 };
	struct buf q = BUF_INIT;
	sdc_error_t err = NULL;
	int rc;

	buf_printf(&q, "stream=%d&one-shot=%d",
	    http_query_bool(req, "stream", true),
	    http_query_bool(req, "one-shot", false));
	node_relay_query(&q, "name", c->name);
	node_relay_query(&q, "id", c->id);
	rc = node_relay_container(d, req, json_str(c->extra, "Node", NULL),
	    c->uuid, "stats", buf_str(&q), &o, &err);
	buf_free(&q);
	if (rc < 0)
		*answered = api_error_from(req, &err);
	else if (rc == 0)
		*answered = HTTP_ASYNC;
	return rc != NODES_LOCAL;
}

int
ctr_stats(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg);
	struct stats_req *r;
	int rc = HTTP_DONE;

	if (c == NULL)
		return HTTP_DONE;
	if (!ctr_running(c))
		return stats_blank(req, arg, c);
	if (stats_relay(req, arg, c, &rc))
		return rc;
	if (http_query_bool(req, "one-shot", false) &&
	    !http_query_bool(req, "stream", true))
		return api_json(req, 200, rt_stats_once(&ctrs(arg)->rt, c->uuid,
		    c->name, c->id));
	r = xcalloc(1, sizeof *r);
	r->req = req;
	r->cs = ctrs(arg);
	snprintf(r->id, sizeof r->id, "%s", c->id);
	r->account = xstrdup(c->account);
	r->sa.stream = http_query_bool(req, "stream", true);
	r->timer = evtimer_new(r->cs->d->base, stats_tick, r);
	http_on_close(req, stats_closed, r);
	http_stream_start(req, 200, "application/json");
	stats_tick(-1, 0, r);
	return HTTP_ASYNC;
}

const struct api_endpoint containers_stats_routes[] = {
	{ { "GET", "/containers/:id/stats", ctr_stats, API_LONG, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
