/*
 * stats-json.c: a container's readings (rt_stats_read) in the JSON shape
 * of Docker's GET /containers/:id/stats, for whoever reads them: a head
 * for a container on its own machine (dockerapi/api/containers-stats.c)
 * or the node's agent (agent/container-stats.c), so both answer alike.
 * The previous reading is the answer's precpu_stats, as dockerd's are.
 * The steps of an answer, a reading a second, are here too
 * (rt_stats_next, rt_stats_once), so that both send the same lines and
 * end at the same moment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "dockerapi/runtime/runtime.h"
#include "timeutil.h"
#include "xalloc.h"

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

json_t *
rt_stats_json(const struct rt_stats *s, const struct rt_stats *prev,
    const char *name, const char *id)
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
	    "name", "/", name, "id", id,
	    "networks", stats_networks(s));
}

json_t *
rt_stats_once(const struct rt_config *cfg, const char *uuid,
    const char *name, const char *id)
{
	struct rt_stats *s = xcalloc(1, sizeof *s);
	json_t *j;

	if (uuid != NULL && rt_stats_read(cfg, uuid, s, NULL) < 0)
		memset(s, 0, sizeof *s);
	j = rt_stats_json(s, NULL, name, id);
	free(s);
	return j;
}

bool
rt_stats_next(const struct rt_config *cfg, const char *uuid,
    struct rt_stats_answer *sa, const char *name, const char *id,
    char **line)
{
	struct rt_stats *s = xmalloc(sizeof *s);
	json_t *j;
	char *text;
	bool end;

	*line = NULL;
	if (rt_stats_read(cfg, uuid, s, NULL) < 0) {
		free(s);
		return true;
	}
	if (sa->stream || sa->have_prev) {
		j = rt_stats_json(s, sa->have_prev ? &sa->prev : NULL, name, id);
		text = json_dumps(j, JSON_COMPACT);
		xasprintf(line, "%s\n", text);
		free(text);
		json_decref(j);
	}
	end = !sa->stream && sa->have_prev;
	sa->prev = *s;
	sa->have_prev = true;
	free(s);
	return end;
}
