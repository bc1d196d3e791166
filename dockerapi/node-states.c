/*
 * node-states.c: the state of a container behind an agent, read from
 * that node's agent, never from a folder of the head's.
 *
 * A head keeps every container's state in its memory (ps and inspect
 * never ask anyone) and learns it in three ways: from its own calls
 * (start, stop ...), from the exits the agents report (node-exits.c),
 * and, when it has nothing to go by, from the container's node: at its
 * start, and when another head changed the container (heads-sync.c).
 * Before nodes that was the container's folder (rt_state_read) and a
 * monitor connection of the head's own; a container on another machine
 * has neither here, so its node's agent is asked instead:
 *
 *  - in a pass over many containers (the head's start, a reload of every
 *    container) each node is asked once, GET /v1/containers, for all of
 *    its containers (agent/container-list.c): one round trip per node
 *    however many containers it holds;
 *  - for one container (another head's change), GET /v1/containers/UUID.
 *
 * The calls run on the loop thread, where the containers are, each
 * bounded (two seconds for a node's list, one for a container), and a
 * node not heard from (its row's heartbeats) is not asked at all.  A
 * node that does not answer leaves its containers as the head knew them
 * (at the head's start: not known, shown as created, and neither
 * restarted nor removed on that ground); they are asked for again every
 * second until their node answers, as issue 18's faults bullet wants: an
 * agent down changes nothing the clients see.  A container its node
 * does not have (its folder gone) reads as exited with code -1, as a
 * folder that cannot be read did.
 *
 * No monitor connection is opened for such a container: the agent
 * watches its runs and reports their exits (node-exits.c).
 */
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "agent/exits-table.h"
#include "containers.h"
#include "fetch.h"
#include "jsonutil.h"
#include "log.h"
#include "node-states.h"
#include "nodes.h"
#include "strvec.h"
#include "timeutil.h"
#include "xalloc.h"

#define NODE_STATES_LIST_MS 2000
#define NODE_STATES_ONE_MS 1000

/* One node's answer within a pass: states NULL when it did not give one. */
struct node_answer {
	char id[37];
	json_t *states;			/* {UUID: STATE} */
};

static struct node_answer *pass;
static size_t npass;
static bool in_pass;
static int64_t pass_ms;			/* when the pass began */
static bool retrying;			/* the every-second pass: quiet */
static struct strvec pending;		/* uuids whose state is not known */
static struct event *retry_ev;
static struct dockerapi *retry_d;

bool
node_states_remote(struct dockerapi *d, const struct ctr *c)
{
	return nodes_have_agents(d) && *json_str(c->extra, "Node", "") != '\0';
}

/* GET path of node_id's agent within ms: the answer's JSON on 200, else
 * NULL with *status (0: the node was not asked or did not answer). */
static json_t *
node_states_get(struct dockerapi *d, const char *node_id, const char *path,
    long ms, int *status)
{
	struct fetch_request rq = { .method = "GET", .timeout_ms = ms };
	struct fetch_response r;
	struct node_agent a;
	sdc_error_t err = NULL;
	json_t *j = NULL;
	char *url;

	*status = 0;
	if (nodes_agent_of(d, node_id, &a, &err) != 0) {
		sdc_error_release(&err);
		return NULL;
	}
	xasprintf(&url, "https://%s%s", a.address, path);
	rq.url = url;
	if (fetch_request(a.client, &rq, &r, &err) == 0) {
		*status = r.status;
		if (r.status == 200 && (j = json_parse(buf_str(&r.body),
		    r.body.len, &err)) == NULL)
			*status = 0;
		fetch_response_free(&r);
	}
	if (err != NULL && !retrying)
		log_warn("nodes: node %s (%s): %s: %s", a.hostname, node_id,
		    path, sdc_error_msg(err));
	sdc_error_release(&err);
	free(url);
	free(a.address);
	free(a.hostname);
	return j;
}

static enum rt_status
node_states_status(const char *s)
{
	if (strcmp(s, "running") == 0)
		return RT_RUNNING;
	if (strcmp(s, "paused") == 0)
		return RT_PAUSED;
	if (strcmp(s, "created") == 0)
		return RT_CREATED;
	return RT_EXITED;
}

struct timespec
node_states_time(const json_t *j, const char *key)
{
	struct timespec ts = { 0, 0 };
	sdc_error_t err = NULL;
	int64_t ns;

	if (time_parse_rfc3339(json_str(j, key, ""), &ns, &err) < 0 || ns < 0)
		sdc_error_release(&err);
	else {
		ts.tv_sec = (time_t)(ns / TIME_NS_PER_SEC);
		ts.tv_nsec = (long)(ns % TIME_NS_PER_SEC);
	}
	return ts;
}

/* The agent's STATE (agent_state_json) into c, or "exited, unknown
 * code" for a container its node has not got. */
static void
node_states_set(struct ctr *c, const json_t *j)
{
	struct rt_state st;

	memset(&st, 0, sizeof st);
	if (j == NULL) {
		st.status = RT_EXITED;
		st.exit_code = -1;
		c->st = st;
		return;
	}
	st.status = node_states_status(json_str(j, "Status", "exited"));
	st.pid = (pid_t)json_int(j, "Pid", 0);
	st.exit_code = (int)json_int(j, "ExitCode", 0);
	st.signal = (int)json_int(j, "Signal", 0);
	st.oom_killed = json_bool(j, "OOMKilled", false);
	st.monitor_alive = st.status == RT_RUNNING || st.status == RT_PAUSED;
	st.started_at = node_states_time(j, "StartedAt");
	st.finished_at = node_states_time(j, "FinishedAt");
	c->st = st;
}

/* The pass's answer of node_id, asked for now if it was not yet. */
static struct node_answer *
node_states_answer(struct dockerapi *d, const char *node_id)
{
	struct node_answer *a;
	json_t *j;
	int status;

	for (size_t i = 0; i < npass; i++)
		if (strcmp(pass[i].id, node_id) == 0)
			return &pass[i];
	pass = xrealloc(pass, (npass + 1) * sizeof *pass);
	a = &pass[npass++];
	snprintf(a->id, sizeof a->id, "%s", node_id);
	j = node_states_get(d, node_id, "/v1/containers", NODE_STATES_LIST_MS,
	    &status);
	a->states = json_incref(json_object_get(j, "Containers"));
	if (a->states != NULL && !json_is_object(a->states)) {
		json_decref(a->states);
		a->states = NULL;
	}
	json_decref(j);
	if (a->states == NULL && !retrying)
		log_warn("nodes: node %s not heard from: its containers kept as "
		    "they were, asked for again every second", node_id);
	return a;
}

static void node_states_retry(evutil_socket_t fd, short what, void *arg);

static void
node_states_pend(struct dockerapi *d, const struct ctr *c)
{
	struct timeval second = { 1, 0 };

	if (!strvec_has(&pending, c->uuid))
		strvec_push(&pending, c->uuid);
	if (retry_ev == NULL) {
		retry_d = d;
		retry_ev = event_new(d->base, -1, EV_PERSIST, node_states_retry,
		    NULL);
	}
	if (!event_pending(retry_ev, EV_TIMEOUT, NULL))
		event_add(retry_ev, &second);
}

static void
node_states_unpend(const struct ctr *c)
{
	for (size_t i = 0; i < pending.n; i++)
		if (strcmp(pending.v[i], c->uuid) == 0) {
			free(pending.v[i]);
			pending.v[i] = pending.v[--pending.n];
			pending.v[pending.n] = NULL;
			return;
		}
}

bool
node_states_unknown(const struct ctr *c)
{
	return pending.n > 0 && strvec_has(&pending, c->uuid);
}

void
node_states_begin(struct dockerapi *d)
{
	(void)d;
	in_pass = true;
	pass_ms = time_mono_ms();
}

void
node_states_end(struct dockerapi *d)
{
	size_t heard = 0, ctrs = 0;

	(void)d;
	for (size_t i = 0; i < npass; i++) {
		heard += pass[i].states != NULL;
		ctrs += json_object_size(pass[i].states);
	}
	if (npass > 0 && in_pass && (!retrying || heard > 0))
		log_info("nodes: %zu containers' states from %zu of %zu nodes "
		    "in %lld ms", ctrs, heard, npass,
		    (long long)(time_mono_ms() - pass_ms));
	for (size_t i = 0; i < npass; i++)
		json_decref(pass[i].states);
	free(pass);
	pass = NULL;
	npass = 0;
	in_pass = false;
}

/* The node has not got c (any more): the exit its agent reported for
 * c's last run (pid), when there is one.  Another head that reacted to
 * that exit may have removed c from the node already (AutoRemove)
 * before this head asked: without the report, its wait would answer
 * "exited, unknown code" (255). */
static void
node_states_gone(struct dockerapi *d, struct ctr *c, pid_t pid)
{
	sdc_error_t err = NULL;
	struct node_exit e;

	if (pid <= 0 || exits_table_get(d->store, c->uuid, pid, &e, &err) != 1) {
		sdc_error_release(&err);
		return;
	}
	c->st.exit_code = e.exit_code;
	c->st.signal = e.signal;
	c->st.oom_killed = e.oom_killed;
	c->st.started_at.tv_sec = (time_t)(e.started_ns / TIME_NS_PER_SEC);
	c->st.started_at.tv_nsec = (long)(e.started_ns % TIME_NS_PER_SEC);
	c->st.finished_at.tv_sec = (time_t)(e.finished_ns / TIME_NS_PER_SEC);
	c->st.finished_at.tv_nsec = (long)(e.finished_ns % TIME_NS_PER_SEC);
}

void
node_states_apply(struct dockerapi *d, struct ctr *c)
{
	const char *node = json_str(c->extra, "Node", "");
	pid_t pid = c->st.pid;          /* the run it knew */
	json_t *j, *one;
	char *path;
	int status;

	if (in_pass) {
		struct node_answer *a = node_states_answer(d, node);

		if (a->states == NULL) {
			node_states_pend(d, c);
			return;
		}
		node_states_set(c, one = json_object_get(a->states, c->uuid));
		if (one == NULL)
			node_states_gone(d, c, pid);
		node_states_unpend(c);
		return;
	}
	xasprintf(&path, "/v1/containers/%s", c->uuid);
	j = node_states_get(d, node, path, NODE_STATES_ONE_MS, &status);
	free(path);
	if (status == 200 || status == 404) {
		node_states_set(c, j);
		if (j == NULL || status == 404)
			node_states_gone(d, c, pid);
		node_states_unpend(c);
	} else
		node_states_pend(d, c);
	json_decref(j);
}

/* Every second while some container's node did not answer. */
static void
node_states_retry(evutil_socket_t fd, short what, void *arg)
{
	struct dockerapi *d = retry_d;
	struct containers *cs = d != NULL ? d->containers : NULL;
	struct strvec was = pending;

	(void)fd;
	(void)what;
	(void)arg;
	memset(&pending, 0, sizeof pending);
	if (cs == NULL) {
		strvec_clear(&was);
		return;
	}
	retrying = true;
	node_states_begin(d);
	for (size_t i = 0; i < was.n; i++) {
		struct ctr *c;

		for (c = cs->list; c != NULL; c = c->next)
			if (strcmp(c->uuid, was.v[i]) == 0)
				break;
		if (c == NULL || !node_states_remote(d, c))
			continue;	/* gone meanwhile */
		if (c->busy != NULL) {	/* its call's end tells */
			strvec_push(&pending, c->uuid);
			continue;
		}
		node_states_apply(d, c);
		if (!strvec_has(&pending, c->uuid)) {
			free(c->ps_json);
			c->ps_json = NULL;
			log_info("container %s: its node answered: %s", c->id,
			    rt_status_name(c->st.status));
		}
	}
	node_states_end(d);
	retrying = false;
	strvec_clear(&was);
	if (pending.n == 0)
		event_del(retry_ev);
}

void
node_states_free(void)
{
	node_states_end(NULL);
	strvec_clear(&pending);
	if (retry_ev != NULL)
		event_free(retry_ev);
	retry_ev = NULL;
	retry_d = NULL;
}
