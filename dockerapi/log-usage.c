/*
 * log-usage.c: the admin API's GET /logs/usage, what the logs of every
 * container of the data center take, node by node, for `sdcadm-docker
 * logs usage` and its TUI pane.
 *
 * A node's files are on the node, so each registered node's agent is
 * asked, GET /v1/log-usage (agent/log-usage.c), once, all nodes at
 * once: each question on an rtcall thread of its own, bounded by
 * LOG_USAGE_NODE_MS, the answer given from the last one's done on the
 * loop, as log-bytes.c does for the container list.  So a node whose
 * agent is stopped with its row still fresh holds neither the loop nor
 * the other nodes' figures, only this answer, for the bound.
 *
 * No node is left out silently: one not heard from is not asked and
 * its entry says so; one that does not answer in time, fails, or
 * answers anything but {"Node": its id, "Complete", "LogUsage": {UUID:
 * figures}} (a node may be compromised) has an entry with the reason
 * and no figures, never wrong ones.  A walk cut short by the agent's
 * deadline is shown as such (Complete false).
 *
 * A head with no client certificate for agents runs its containers on
 * its own zones root, and measures that itself with the same walk
 * (logs_usage_zones) on one more thread.  A head with agents still has
 * its own root, normally its local node's (then the node answers for
 * it) or empty; the rare containers a head made there before its agent
 * answered are shown under an entry of the head's own ("ID" "") when
 * the root is not the local node's.
 *
 * One question at a time: an admin request arriving while one is in
 * flight joins it (req-group.c) and gets its answer, so two operators,
 * or a cron job and the TUI, cost each node one walk, never one each.
 * At most LOG_USAGE_WAITERS wait for it; one more is refused with 429.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "containers.h"
#include "http.h"
#include "ids.h"
#include "jsonutil.h"
#include "log-usage.h"
#include "log.h"
#include "node-request.h"
#include "nodes.h"
#include "req-group.h"
#include "rtcall.h"
#include "timeutil.h"
#include "xalloc.h"

struct lu_job;

/* One thread's work: a node's question, or (node_id NULL) the head's
 * own root. */
struct lu_ask {
	struct lu_job *job;
	char *node_id;			/* NULL: this head's own root */
	char *hostname;
	struct node_request *k;
	char *zones;			/* own: the head's root */
	char *node_zones;		/* own: its local node's, or NULL */
	bool agents;			/* own: the head has agents */
	int64_t deadline_ms;		/* own: the walk's */
	json_t *usage;			/* the containers, checked */
	bool complete;
	char *error;			/* why there are no figures */
};

/* Admin requests that may wait for the question in flight: more than
 * a data center's operators and crons ask at once, few enough that
 * their answers are cheap to write. */
#define LOG_USAGE_WAITERS 8

/* The question in flight (d->log_usage), and who waits for it. */
struct lu_job {
	struct dockerapi *d;
	struct req_group waiting;
	struct lu_ask **asks;
	size_t nasks, pending;
};

/* A container's entry: its three figures and nothing else, each an
 * integer from 0 to its bound (log-usage.h). */
static bool
lu_figures_valid(const json_t *c)
{
	static const struct {
		const char *key;
		json_int_t max;
	} figures[] = {
		{ "Live", LOG_USAGE_MAX_BYTES },
		{ "Rotated", LOG_USAGE_MAX_BYTES },
		{ "RotatedFiles", LOG_USAGE_MAX_FILES },
	};
	const json_t *v;

	if (!json_is_object(c) || json_object_size(c) != 3)
		return false;
	for (size_t i = 0; i < sizeof figures / sizeof *figures; i++)
		if (!json_is_integer(v = json_object_get(c, figures[i].key)) ||
		    json_integer_value(v) < 0 ||
		    json_integer_value(v) > figures[i].max)
			return false;
	return true;
}

const json_t *
log_usage_answer(const json_t *answer, const char *node_id)
{
	const json_t *usage = json_object_get(answer, "LogUsage"), *c;
	const char *uuid;

	if (!json_is_object(answer) || !json_is_object(usage) ||
	    !json_is_boolean(json_object_get(answer, "Complete")) ||
	    !json_is_string(json_object_get(answer, "Node")) ||
	    strcmp(json_str(answer, "Node", ""), node_id) != 0 ||
	    json_object_size(usage) > LOG_USAGE_MAX_CONTAINERS)
		return NULL;
	json_object_foreach((json_t *)usage, uuid, c)
		if (!uuid_valid(uuid) || !lu_figures_valid(c))
			return NULL;
	return usage;
}

static struct lu_ask *
lu_ask_new(struct lu_job *j, const char *node_id, const char *hostname)
{
	struct lu_ask *a = xcalloc(1, sizeof *a);

	a->job = j;
	a->node_id = node_id != NULL ? xstrdup(node_id) : NULL;
	a->hostname = xstrdup(hostname);
	j->asks = xrealloc(j->asks, (j->nasks + 1) * sizeof *j->asks);
	j->asks[j->nasks++] = a;
	return a;
}

static void
lu_ask_free(struct lu_ask *a)
{
	free(a->node_id);
	free(a->hostname);
	node_request_free(a->k);
	free(a->zones);
	free(a->node_zones);
	json_decref(a->usage);
	free(a->error);
	free(a);
}

/* A node's ask, or its entry's reason when it cannot be asked. */
static void
lu_ask_node(struct dockerapi *d, struct lu_job *j, const struct node *n)
{
	struct lu_ask *a = lu_ask_new(j, n->id, n->hostname);
	sdc_error_t err = NULL;

	if (!nodes_have_agents(d))
		a->error = xstrdup("not asked: this head has no client "
		    "certificate for agents (agent_cert_path)");
	else if (!n->available)
		xasprintf(&a->error, "not heard from (%s, no heartbeat within "
		    "%d intervals)", n->state, NODES_MISSED_HEARTBEATS);
	else if (node_request_prepare(d, n->id, "GET", "/v1/log-usage", NULL,
	    LOG_USAGE_NODE_MS, &a->k, &err) != 0) {
		a->error = xstrdup(sdc_error_msg(err));
		sdc_error_release(&err);
	}
}

/* The head's own root: always with no agents, else measured only when
 * it is not the local node's (the thread decides, lu_own_walk). */
static void
lu_ask_own(struct dockerapi *d, struct lu_job *j, const struct node_list *l)
{
	const char *local = nodes_local_id(d);
	struct lu_ask *a = lu_ask_new(j, NULL, "");

	a->zones = xstrdup(d->containers->zones);
	a->agents = nodes_have_agents(d);
	for (size_t i = 0; local != NULL && i < l->n; i++)
		if (strcmp(l->v[i].id, local) == 0 && l->v[i].zones != NULL &&
		    l->v[i].zones[0] != '\0')
			a->node_zones = xstrdup(l->v[i].zones);
	a->deadline_ms = time_mono_ms() + LOGS_USAGE_WALK_MS;
}

static bool
lu_same_dir(const char *x, const char *y)
{
	struct stat a, b;

	return y != NULL && stat(x, &a) == 0 && stat(y, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* On the thread: the head's root walked, unless its local node answers
 * for it; with agents, an empty root is no entry (usage stays NULL). */
static int
lu_own_walk(struct lu_ask *a, sdc_error_t *err)
{
	struct rt_config rt = { .zones = a->zones };

	if (a->agents && lu_same_dir(a->zones, a->node_zones))
		return 0;
	if ((a->usage = logs_usage_zones(&rt, a->deadline_ms, &a->complete,
	    err)) == NULL)
		return -1;
	if (a->agents && json_object_size(a->usage) == 0) {
		json_decref(a->usage);
		a->usage = NULL;
	}
	return 0;
}

static int
lu_ask_fn(void *arg, sdc_error_t *err)
{
	struct lu_ask *a = arg;

	return a->node_id == NULL ? lu_own_walk(a, err) :
	    node_request_send(a->k, err);
}

static json_t *
lu_entry(const struct lu_ask *a)
{
	json_t *e = json_pack("{s:s, s:s, s:b}", "ID",
	    a->node_id != NULL ? a->node_id : "", "Hostname", a->hostname,
	    "Answered", a->usage != NULL);

	if (a->usage != NULL) {
		json_object_set_new(e, "Complete", json_boolean(a->complete));
		json_object_set(e, "Containers", a->usage);
	} else
		json_object_set_new(e, "Error", json_string(a->error != NULL ?
		    a->error : "no answer"));
	return e;
}

static void
lu_answer(struct http_request *req, void *arg)
{
	api_json(req, 200, json_incref(arg));
}

/* Every ask over: the answer, in the nodes' order, the head's last, to
 * every request that waits for it. */
static void
lu_finish(struct lu_job *j)
{
	json_t *nodes = json_array(), *doc;

	for (size_t i = 0; i < j->nasks; i++) {
		struct lu_ask *a = j->asks[i];

		/* the head's own root, empty or its node's: no entry */
		if (a->node_id != NULL || a->usage != NULL || a->error != NULL)
			json_array_append_new(nodes, lu_entry(a));
		lu_ask_free(a);
	}
	j->d->log_usage = NULL;	/* a request from now on asks anew */
	doc = json_pack("{s:o}", "Nodes", nodes);
	req_group_answer(&j->waiting, lu_answer, doc);
	json_decref(doc);
	free(j->asks);
	free(j);
}

/* An ask over (rc 0: its thread's work done), on the loop. */
static void
lu_ask_over(struct lu_ask *a, int rc, sdc_error_t *err)
{
	struct lu_job *j = a->job;
	const json_t *usage;

	if (rc < 0)
		a->error = xstrdup(err != NULL && *err != NULL ?
		    sdc_error_msg(*err) : "not asked");
	else if (a->node_id != NULL && (usage = log_usage_answer(a->k->answer,
	    a->node_id)) != NULL) {
		a->usage = json_incref((json_t *)usage);
		a->complete = json_is_true(json_object_get(a->k->answer,
		    "Complete"));
	} else if (a->node_id != NULL) {
		log_warn("node %s: GET /v1/log-usage: not the answer's shape",
		    a->hostname);
		a->error = xstrdup("the node's answer was not its log usage");
	}
	if (--j->pending == 0)
		lu_finish(j);
}

static void
lu_ask_done(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	(void)req;
	lu_ask_over(arg, rc, err);
}

int
log_usage_admin(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct lu_job *j;
	struct node_list l;
	sdc_error_t err = NULL;

	if (d->log_usage != NULL) {
		if (req_group_join(&d->log_usage->waiting, req, &err) < 0)
			return api_error_from(req, &err);
		log_info("log usage: a request joins the question in flight "
		    "(%zu waiting)", req_group_waiting(&d->log_usage->waiting));
		return HTTP_ASYNC;
	}
	if (nodes_list_all(d, &l, &err) < 0)
		return api_error_from(req, &err);
	j = xcalloc(1, sizeof *j);
	j->d = d;
	j->waiting.max = LOG_USAGE_WAITERS;
	/* the first of an empty group: it always joins */
	(void)req_group_join(&j->waiting, req, &err);
	d->log_usage = j;
	for (size_t i = 0; i < l.n; i++)
		lu_ask_node(d, j, &l.v[i]);
	lu_ask_own(d, j, &l);
	node_list_free(&l);
	j->pending = 1;		/* held until every ask is started */
	for (size_t i = 0; i < j->nasks; i++) {
		struct lu_ask *a = j->asks[i];

		if (a->error != NULL)
			continue;	/* not asked: its reason stands */
		j->pending++;
		if (rtcall_start(d->base, NULL, "log usage", lu_ask_fn,
		    lu_ask_done, a, &err) < 0) {
			lu_ask_over(a, -1, &err);
			sdc_error_release(&err);
		}
	}
	if (--j->pending == 0) {
		lu_finish(j);
		return HTTP_DONE;
	}
	return HTTP_ASYNC;
}
