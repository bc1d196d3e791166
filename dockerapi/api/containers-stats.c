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
#include "xalloc.h"

struct stats_req {
	struct http_request *req;
	struct containers *cs;
	char id[65];
	char *account;
	bool stream;
	bool have_prev;
	struct rt_stats prev;
	struct event *timer;
};

static json_t *
stats_cpu(const struct rt_stats *s, bool have)
{
	json_t *percpu = json_array();
	int i;

	for (i = 0; have && i < s->npercpu; i++)
		json_array_append_new(percpu, json_integer(s->percpu_ns[i]));
	return json_pack("{s:{s:I,s:o,s:I,s:I},s:I,s:i,s:{s:i,s:i,s:i}}",
	    "cpu_usage", "total_usage", (json_int_t)(have ? s->cpu_total_ns : 0),
	    "percpu_usage", percpu,
	    "usage_in_kernelmode", (json_int_t)(have ? s->cpu_system_ns : 0),
	    "usage_in_usermode", (json_int_t)(have ? s->cpu_user_ns : 0),
	    "system_cpu_usage", (json_int_t)(have ? s->system_cpu_ns : 0),
	    "online_cpus", have ? s->online_cpus : 0,
	    "throttling_data", "periods", 0, "throttled_periods", 0,
	    "throttled_time", 0);
}

static json_int_t
stats_nz(int64_t v)
{
	return v < 0 ? 0 : (json_int_t)v;
}

static json_t *
stats_blkio(const struct rt_stats *s)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < s->nblkio; i++)
		json_array_append_new(a, json_pack("{s:i,s:i,s:s,s:I}", "major",
		    s->blkio[i].major, "minor", s->blkio[i].minor, "op",
		    s->blkio[i].op, "value", (json_int_t)s->blkio[i].value));
	return a;
}

static json_t *
stats_networks(const struct rt_stats *s)
{
	json_t *o = json_object();
	const struct rt_netdev *n;
	int i;

	for (i = 0; i < s->nnet; i++) {
		n = &s->net[i];
		json_object_set_new(o, n->name, json_pack("{s:I,s:I,s:I,s:I,"
		    "s:I,s:I,s:I,s:I}", "rx_bytes", (json_int_t)n->rx_bytes,
		    "rx_packets", (json_int_t)n->rx_packets, "rx_errors",
		    (json_int_t)n->rx_errors, "rx_dropped", (json_int_t)n->rx_dropped,
		    "tx_bytes", (json_int_t)n->tx_bytes, "tx_packets",
		    (json_int_t)n->tx_packets, "tx_errors", (json_int_t)n->tx_errors,
		    "tx_dropped", (json_int_t)n->tx_dropped));
	}
	return o;
}

static json_t *
stats_json(const struct ctr *c, const struct rt_stats *s,
    const struct rt_stats *prev)
{
	char read[48], preread[48];

	time_rfc3339(read, sizeof read, time_ts_ns(&s->read_at), 9);
	if (prev != NULL)
		time_rfc3339(preread, sizeof preread, time_ts_ns(&prev->read_at), 9);
	else
		snprintf(preread, sizeof preread, "0001-01-01T00:00:00Z");
	return json_pack("{s:s,s:s,s:{s:I,s:I},s:{s:o,s:n,s:n,s:n,s:n,s:n,"
	    "s:n,s:n},s:i,s:{},s:o,s:o,s:{s:I,s:I,s:{s:I,s:I},s:I,s:I},"
	    "s:s+,s:s,s:o}",
	    "read", read, "preread", preread,
	    "pids_stats", "current", stats_nz(s->pids_current),
	    "limit", stats_nz(s->pids_limit),
	    "blkio_stats", "io_service_bytes_recursive", stats_blkio(s),
	    "io_serviced_recursive", "io_queue_recursive",
	    "io_service_time_recursive", "io_wait_time_recursive",
	    "io_merged_recursive", "io_time_recursive", "sectors_recursive",
	    "num_procs", 0, "storage_stats",
	    "cpu_stats", stats_cpu(s, true),
	    "precpu_stats", stats_cpu(prev != NULL ? prev : s, prev != NULL),
	    "memory_stats", "usage", stats_nz(s->memory_usage),
	    "max_usage", stats_nz(s->memory_max_usage),
	    "stats", "cache", stats_nz(s->memory_cache),
	    "rss", stats_nz(s->memory_rss),
	    "failcnt", stats_nz(s->memory_failcnt),
	    "limit", stats_nz(s->memory_limit),
	    "name", "/", c->name, "id", c->id,
	    "networks", stats_networks(s));
}

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
	struct rt_stats *s = xmalloc(sizeof *s);
	struct ctr *c = ctr_find(r->cs, r->account, r->id, NULL);
	json_t *j;
	char *text;

	if (c == NULL || !ctr_running(c) ||
	    rt_stats_read(&r->cs->rt, c->uuid, s, NULL) < 0) {
		free(s);
		stats_finish(r);
		return;
	}
	if (r->stream || r->have_prev) {
		j = stats_json(c, s, r->have_prev ? &r->prev : NULL);
		text = json_dumps(j, JSON_COMPACT);
		http_stream_printf(r->req, "%s\n", text);
		free(text);
		json_decref(j);
	}
	if (!r->stream && r->have_prev) {
		free(s);
		stats_finish(r);
		return;
	}
	r->prev = *s;
	r->have_prev = true;
	free(s);
	evtimer_add(r->timer, &sec);
}

/* A stopped container: Docker's blank reading. */
static int
stats_blank(struct http_request *req, const struct ctr *c)
{
	struct rt_stats *s = xcalloc(1, sizeof *s);
	json_t *j = stats_json(c, s, NULL);

	free(s);
	return api_json(req, 200, j);
}

int
ctr_stats(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg);
	struct rt_stats *s;
	struct stats_req *r;
	json_t *j;

	if (c == NULL)
		return HTTP_DONE;
	if (!ctr_running(c))
		return stats_blank(req, c);
	if (http_query_bool(req, "one-shot", false) &&
	    !http_query_bool(req, "stream", true)) {
		s = xmalloc(sizeof *s);
		j = rt_stats_read(&ctrs(arg)->rt, c->uuid, s, NULL) == 0 ?
		    stats_json(c, s, NULL) : NULL;
		free(s);
		return j != NULL ? api_json(req, 200, j) : stats_blank(req, c);
	}
	r = xcalloc(1, sizeof *r);
	r->req = req;
	r->cs = ctrs(arg);
	snprintf(r->id, sizeof r->id, "%s", c->id);
	r->account = xstrdup(c->account);
	r->stream = http_query_bool(req, "stream", true);
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
