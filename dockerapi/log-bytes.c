/*
 * log-bytes.c: the admin container list's LogBytes, each container's
 * live and rotated log files added up, wherever the files are.
 *
 * A container with no node, or on this head's own node (whose agent
 * runs beside it), has its files on this disk: they are measured here
 * (logs_bytes, the runtime library's walk of a logs folder).  A
 * container on another node has its files there, so that node's agent
 * is asked, GET /v1/log-bytes (agent/container-list.c): once per node for
 * all of the node's containers, not once per container, so a list of
 * many containers costs one round trip per node.
 *
 * Neither the walks nor the questions run on the loop: an agent stopped
 * with its row still fresh holds a connection for the whole bound, and
 * the loop serves every client.  The route settles on the loop who is
 * asked (a node not heard from is not asked: its containers are null at
 * once), then each node's question runs on an rtcall thread of its own
 * (all at once, each bounded by LOG_BYTES_NODE_MS), the local walks on
 * one more, and the list is answered from the last one's done, on the
 * loop.  A node that does not answer in time, or answers anything but
 * {"Node": its id, "LogBytes": {UUID: non-negative integer}} (a node may
 * be compromised), gives null for its containers: not known, never a
 * wrong figure (sdcadm-docker shows "-").
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dockerapi/runtime/logs-read.h"
#include "http.h"
#include "jsonutil.h"
#include "log-bytes.h"
#include "log.h"
#include "node-request.h"
#include "nodes.h"
#include "rtcall.h"
#include "strvec.h"
#include "xalloc.h"

struct lb_job;

/* One thread's work: a node's question, or (k NULL) the local walks. */
struct lb_ask {
	struct lb_job *job;
	char *node_id;			/* NULL: this head's own files */
	bool here;			/* node_id's containers measured here */
	struct node_request *k;
	struct strvec dirs;		/* local: the logs folders */
	int64_t *sizes;			/* local: their bytes */
	json_t *answer;			/* a node's, checked, or NULL */
};

struct lb_job {
	struct http_request *req;	/* NULL once the client has gone */
	json_t *list;
	struct {
		struct lb_ask *ask;	/* NULL: not known */
		size_t dir;		/* local: in ask->dirs */
	} *rows;
	struct lb_ask **asks;
	size_t nasks, pending;
};

const json_t *
log_bytes_answer(const json_t *answer, const char *node_id)
{
	const json_t *bytes = json_object_get(answer, "LogBytes");

	if (!json_is_object(answer) || !json_is_object(bytes) ||
	    strcmp(json_str(answer, "Node", ""), node_id) != 0)
		return NULL;
	return bytes;
}

json_t *
log_bytes_of(const json_t *bytes, const char *uuid)
{
	const json_t *v = json_object_get(bytes, uuid);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return json_null();
	return json_integer(json_integer_value(v));
}

static void
lb_ask_free(struct lb_ask *a)
{
	free(a->node_id);
	node_request_free(a->k);
	strvec_clear(&a->dirs);
	free(a->sizes);
	json_decref(a->answer);
	free(a);
}

/* The ask of node_id (NULL: the local one), made if new. */
static struct lb_ask *
lb_ask_of(struct lb_job *j, const char *node_id)
{
	struct lb_ask *a;

	for (size_t i = 0; i < j->nasks; i++)
		if (node_id == NULL ? j->asks[i]->node_id == NULL :
		    j->asks[i]->node_id != NULL &&
		    strcmp(j->asks[i]->node_id, node_id) == 0)
			return j->asks[i];
	a = xcalloc(1, sizeof *a);
	a->job = j;
	a->node_id = node_id != NULL ? xstrdup(node_id) : NULL;
	j->asks = xrealloc(j->asks, (j->nasks + 1) * sizeof *j->asks);
	j->asks[j->nasks++] = a;
	return a;
}

/* Row i's container measured here: its LogPath's folder ("": none, not
 * known). */
static void
lb_row_local(struct lb_job *j, size_t i, const json_t *c)
{
	const char *path = json_str(c, "LogPath", ""), *slash;
	struct lb_ask *a;

	if (*path == '\0' || (slash = strrchr(path, '/')) == NULL)
		return;
	a = lb_ask_of(j, NULL);
	j->rows[i].ask = a;
	j->rows[i].dir = a->dirs.n;
	strvec_pushf(&a->dirs, "%.*s", (int)(slash - path), path);
}

/* Row i's container on node_id: asked of its agent (one ask per node),
 * measured here when the head runs that node's containers itself (no
 * agent certificate), not known when the node is not heard from. */
static void
lb_row_node(struct dockerapi *d, struct lb_job *j, size_t i,
    const json_t *c, const char *node_id)
{
	size_t had = j->nasks;
	struct lb_ask *a = lb_ask_of(j, node_id);
	sdc_error_t err = NULL;

	if (j->nasks > had && node_request_prepare(d, node_id, "GET",
	    "/v1/log-bytes", NULL, LOG_BYTES_NODE_MS, &a->k, &err) ==
	    NODES_LOCAL)
		a->here = true;
	sdc_error_release(&err);	/* not heard from: a stays unasked */
	if (a->here)
		lb_row_local(j, i, c);
	else
		j->rows[i].ask = a;
}

static int
lb_ask_fn(void *arg, sdc_error_t *err)
{
	struct lb_ask *a = arg;

	if (a->k != NULL)
		return node_request_send(a->k, err);
	a->sizes = xcalloc(a->dirs.n + 1, sizeof *a->sizes);
	for (size_t i = 0; i < a->dirs.n; i++)
		a->sizes[i] = logs_bytes(a->dirs.v[i]);
	return 0;
}

static void
lb_closed(struct http_request *req, void *arg)
{
	struct lb_job *j = arg;

	(void)req;
	j->req = NULL;
}

/* Every ask over: the rows' LogBytes, the answer. */
static int
lb_finish(struct lb_job *j)
{
	struct http_request *req = j->req;
	json_t *c;
	size_t i;
	int rc = HTTP_DONE;

	json_array_foreach(j->list, i, c) {
		struct lb_ask *a = j->rows[i].ask;
		json_t *v = json_null();

		if (a != NULL && a->node_id == NULL && a->sizes != NULL)
			v = json_integer((json_int_t)a->sizes[j->rows[i].dir]);
		else if (a != NULL && a->answer != NULL)
			v = log_bytes_of(log_bytes_answer(a->answer,
			    a->node_id), json_str(c, "Uuid", ""));
		json_object_set_new(c, "LogBytes", v);
	}
	if (req != NULL) {
		http_on_close(req, NULL, NULL);
		rc = api_json(req, 200, j->list);
	} else
		json_decref(j->list);
	for (i = 0; i < j->nasks; i++)
		lb_ask_free(j->asks[i]);
	free(j->asks);
	free(j->rows);
	free(j);
	return rc;
}

/* An ask over (rc 0: its thread's work done), on the loop. */
static void
lb_ask_over(struct lb_ask *a, int rc)
{
	struct lb_job *j = a->job;

	if (a->k != NULL && rc == 0 && a->k->answer != NULL &&
	    log_bytes_answer(a->k->answer, a->node_id) != NULL)
		a->answer = json_incref(a->k->answer);
	else if (a->k != NULL && rc == 0)	/* a failure is logged already */
		log_warn("node %s: GET /v1/log-bytes: not the answer's shape: "
		    "its containers' log bytes shown as not known", a->node_id);
	if (--j->pending == 0)
		lb_finish(j);
}

static void
lb_ask_done(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	(void)req;
	(void)err;
	lb_ask_over(arg, rc);
}

int
log_bytes_reply(struct dockerapi *d, struct http_request *req, json_t *list)
{
	const char *local = nodes_local_id(d);
	struct lb_job *j = xcalloc(1, sizeof *j);
	sdc_error_t err = NULL;
	json_t *c;
	size_t i;

	j->req = req;
	j->list = list;
	j->rows = xcalloc(json_array_size(list) + 1, sizeof *j->rows);
	json_array_foreach(list, i, c) {
		const char *node = json_str(json_object_get(c, "Node"), "ID",
		    NULL);

		if (node == NULL || *node == '\0' || !nodes_have_agents(d) ||
		    (local != NULL && strcmp(node, local) == 0))
			lb_row_local(j, i, c);
		else
			lb_row_node(d, j, i, c, node);
	}
	j->pending = 1;		/* held until every ask is started */
	http_on_close(req, lb_closed, j);
	for (i = 0; i < j->nasks; i++) {
		struct lb_ask *a = j->asks[i];

		if (a->node_id != NULL && a->k == NULL)
			continue;	/* the node not heard from */
		j->pending++;
		if (rtcall_start(d->base, NULL, "log bytes", lb_ask_fn,
		    lb_ask_done, a, &err) < 0) {
			log_warn("log bytes: %s", sdc_error_msg(err));
			lb_ask_over(a, -1);
			sdc_error_release(&err);
		}
	}
	if (--j->pending == 0)
		return lb_finish(j);
	return HTTP_ASYNC;
}
