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
 * has neither here, so its node's agent is asked instead, GET
 * /v1/containers (agent/container-list.c: every container's state, one
 * round trip however many it holds): in a pass over many containers
 * (the head's start, a reload of every container) each node is asked
 * once; a single container another head made or changed is asked for
 * alone, GET /v1/containers/UUID (one second at most), as a call of the
 * container's own (ctr_call): the requests that would act on it wait
 * for the answer (ctr_busy), as they waited for the loop's read.
 *
 * The questions never run on the loop: an agent stopped (SIGSTOP) with
 * its row still fresh holds a connection for the whole bound, and a
 * head whose loop waited two seconds per such node at its start, and
 * again every second after, answered no client meanwhile (not even
 * /_ping).  So a pass only collects, per node, the containers whose
 * state its answer sets; at its end each node's question is sent from
 * an rtcall thread of its own (all nodes at once, each bounded by two
 * seconds, with a client of the node calls' pool: node_target_get), and
 * the answer is applied on the loop when it comes.  A node whose row
 * says it is not heard from is not asked at all.
 *
 * A container of a pass whose state was never known (the head's start)
 * is "not known" until its node answers:
 * shown as created, neither restarted nor removed on that ground, and a
 * request that would change it answers 503 "node unavailable"
 * (ctr_lookup); its sandbox and leases stay (ctrnet_recover).  One whose
 * state the head had keeps it while the question runs.  A node that does
 * not answer leaves its containers as the head knew them and they are
 * not known until it does; they are asked for again every second, as
 * issue 18's faults bullet wants: an agent down changes nothing the
 * clients see.  What the head's start does with a state it reads (an
 * exited container's addresses let go, its AutoRemove, its restart
 * policy) is done for a container of the start's pass when its state
 * comes (ctr_recover_learned), whenever that is.  A container its node
 * does not have (its folder gone) reads as exited with code -1, as a
 * folder that cannot be read did.
 *
 * No monitor connection is opened for such a container: the agent
 * watches its runs and reports their exits (node-exits.c).  Only the
 * head whose claim took a report acts on it; another head learns the
 * exit here, from the node's state after the claiming head's change
 * (heads-sync.c), and tells its own clients then (a stop sent through
 * it is answered at the exit, its waits woken): a running container
 * read as no longer running is its exit (watch_exited_elsewhere).  A
 * container busy with a call of this head's when asked for (the stop's
 * own signal) is asked for again once the call ended, so that exit is
 * never passed over and the stop left waiting for ever.
 */
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "agent/exits-table.h"
#include "containers.h"
#include "fetch.h"
#include "jsonutil.h"
#include "log.h"
#include "node-calls.h"
#include "node-states.h"
#include "nodes.h"
#include "rtcall.h"
#include "strvec.h"
#include "timeutil.h"
#include "xalloc.h"

#define NODE_STATES_LIST_MS 2000
#define NODE_STATES_ONE_MS 1000

/* One node's question: the containers its answer sets, and the answer
 * (states NULL when none came), filled on the question's thread. */
struct node_ask {
	struct node_ask *next;
	struct dockerapi *d;
	char id[37];
	struct strvec uuids;
	struct node_target t;		/* taken on the loop */
	json_t *states;			/* {UUID: STATE} */
	int64_t asked_ms;
	bool quiet;			/* the every-second retry's */
};

static struct node_ask *pass;		/* collected in the pass */
static bool in_pass;
static bool started;			/* the head's start's pass is over */
static bool retrying;			/* the every-second pass: quiet */
static struct strvec pending;		/* uuids whose state is not known */
static struct strvec at_start;		/* of those, the start's pass's */
static struct strvec asking;		/* nodes with a question under way */
static struct event *retry_ev;
static struct dockerapi *retry_d;

bool
node_states_remote(struct dockerapi *d, const struct ctr *c)
{
	return nodes_have_agents(d) && *json_str(c->extra, "Node", "") != '\0';
}

static void
node_ask_free(struct node_ask *a)
{
	strvec_clear(&a->uuids);
	node_target_clear(&a->t);
	json_decref(a->states);
	free(a);
}

static void
strvec_remove(struct strvec *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->v[i], s) == 0) {
			free(v->v[i]);
			v->v[i] = v->v[--v->n];
			v->v[v->n] = NULL;
			return;
		}
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

/* The agent's STATE (agent_state_json) into c, or, for a container its
 * node has not got, the exit reported for its last run (else "exited,
 * unknown code"). */
static void
node_states_set(struct dockerapi *d, struct ctr *c, const json_t *j)
{
	struct rt_state st;
	pid_t pid = c->st.pid;          /* the run it knew */

	memset(&st, 0, sizeof st);
	if (j == NULL) {
		st.status = RT_EXITED;
		st.exit_code = -1;
		c->st = st;
		node_states_gone(d, c, pid);
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

static void node_states_retry(evutil_socket_t fd, short what, void *arg);

static void
node_states_pend(struct dockerapi *d, const char *uuid)
{
	struct timeval second = { 1, 0 };

	if (!strvec_has(&pending, uuid))
		strvec_push(&pending, uuid);
	if (retry_ev == NULL) {
		retry_d = d;
		retry_ev = event_new(d->base, -1, EV_PERSIST, node_states_retry,
		    NULL);
	}
	if (!event_pending(retry_ev, EV_TIMEOUT, NULL))
		event_add(retry_ev, &second);
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
}

/* One container's state, asked for outside a pass (another head made
 * or changed it): a call of the container's own (ctr_call), so that
 * the requests that would act on it wait for the answer (ctr_busy), as
 * they waited for the loop's read before. */
struct node_one {
	struct dockerapi *d;
	struct node_target t;
	char uuid[37];
	int status;			/* the agent's, 0: none */
	json_t *state;
};

static void
node_one_free(struct node_one *o)
{
	node_target_clear(&o->t);
	json_decref(o->state);
	free(o);
}

static int
node_one_fn(void *arg, sdc_error_t *err)
{
	struct node_one *o = arg;
	struct fetch_request rq = { .method = "GET",
	    .timeout_ms = NODE_STATES_ONE_MS };
	struct fetch_response r;
	char *url;

	xasprintf(&url, "https://%s/v1/containers/%s", o->t.address, o->uuid);
	rq.url = url;
	if (fetch_request(o->t.client, &rq, &r, err) < 0) {
		free(url);
		return -1;
	}
	o->status = r.status;
	if (r.status == 200 && (o->state = json_parse(buf_str(&r.body),
	    r.body.len, err)) == NULL)
		o->status = 0;
	fetch_response_free(&r);
	free(url);
	return o->status == 200 || o->status == 404 ? 0 : -1;
}

/* c's state just set from its node (was: it was running before): an
 * exit another head acted on is told to this head's clients. */
static void
node_states_exit_told(struct dockerapi *d, struct ctr *c, bool was)
{
	if (was && !ctr_running(c) && d->containers != NULL)
		watch_exited_elsewhere(d->containers, c);
}

static void
node_one_done(struct ctr *c, void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct node_one *o = arg;
	bool was;

	(void)req;
	(void)err;
	if (c != NULL && rc == 0) {
		pid_t ran = ctr_running(c) ? c->st.pid : 0;

		was = ctr_running(c);
		node_states_set(o->d, c, o->state); /* NULL: not on its node */
		if (!was && ctr_running(c))
			c->stopping = false;	/* another head started it */
		/* read before its exit row was taken: that row still brings
		 * the exit to the head that claims it (the restart policy) */
		if (was && !ctr_running(c))
			c->exit_unseen = ran;
		free(c->ps_json);
		c->ps_json = NULL;
		strvec_remove(&pending, c->uuid);
		node_states_exit_told(o->d, c, was);
	} else if (c != NULL)
		node_states_pend(o->d, c->uuid);
	node_one_free(o);
}

static void node_states_one(struct dockerapi *d, struct ctr *c);

static void
node_states_one_later(struct ctr *c, void *arg)
{
	if (c != NULL)
		node_states_one(arg, c);
}

static void
node_states_one(struct dockerapi *d, struct ctr *c)
{
	struct node_one *o;
	sdc_error_t err = NULL;

	if (c->busy != NULL) {
		/* the call may end before the exit another head took: asked
		 * for once it has ended */
		ctr_after_call(c, node_states_one_later, d);
		return;
	}
	o = xcalloc(1, sizeof *o);
	o->d = d;
	snprintf(o->uuid, sizeof o->uuid, "%s", c->uuid);
	if (node_target_get(d, json_str(c->extra, "Node", ""), &o->t,
	    &err) < 0 || o->t.address == NULL ||
	    ctr_call(NULL, c, "its state from its node", node_one_fn,
	    node_one_done, o, &err) < 0) {
		/* its node not heard from: not known until it is */
		sdc_error_release(&err);
		node_one_free(o);
		node_states_pend(d, c->uuid);
	}
}

void
node_states_apply(struct dockerapi *d, struct ctr *c, bool known)
{
	const char *node = json_str(c->extra, "Node", "");
	struct node_ask *a;

	if (!in_pass) {
		node_states_one(d, c);
		return;
	}

	if (!known && !strvec_has(&pending, c->uuid)) {
		strvec_push(&pending, c->uuid);
		if (!started)
			strvec_push(&at_start, c->uuid);
	}
	for (a = pass; a != NULL; a = a->next)
		if (strcmp(a->id, node) == 0)
			break;
	if (a == NULL) {
		a = xcalloc(1, sizeof *a);
		a->d = d;
		snprintf(a->id, sizeof a->id, "%s", node);
		a->quiet = retrying;
		a->next = pass;
		pass = a;
	}
	if (!strvec_has(&a->uuids, c->uuid))
		strvec_push(&a->uuids, c->uuid);
}

/* The node's question, on its thread. */
static int
node_ask_fn(void *arg, sdc_error_t *err)
{
	struct node_ask *a = arg;
	struct fetch_request rq = { .method = "GET",
	    .timeout_ms = NODE_STATES_LIST_MS };
	struct fetch_response r;
	json_t *j = NULL;
	char *url;
	int rc = 0;

	xasprintf(&url, "https://%s/v1/containers", a->t.address);
	rq.url = url;
	if (fetch_request(a->t.client, &rq, &r, err) < 0) {
		free(url);
		return -1;
	}
	if (r.status != 200)
		rc = sdc_make_error_code(err, 502, "GET /v1/containers: %d",
		    r.status);
	else if ((j = json_parse(buf_str(&r.body), r.body.len, err)) != NULL &&
	    json_is_object(json_object_get(j, "Containers")))
		a->states = json_incref(json_object_get(j, "Containers"));
	else if (*err == NULL)
		rc = sdc_make_error_code(err, 502, "GET /v1/containers: no "
		    "Containers");
	else
		rc = -1;
	json_decref(j);
	fetch_response_free(&r);
	free(url);
	return rc;
}

/* The node's answer (a->states), or none, on the loop. */
static void
node_states_answered(struct node_ask *a, sdc_error_t *err)
{
	struct containers *cs = a->d->containers;
	size_t set = 0;

	strvec_remove(&asking, a->id);
	if (a->states == NULL && !a->quiet)
		log_warn("nodes: node %s not heard from%s%s: its containers "
		    "kept as they were, asked for again every second", a->id,
		    *err != NULL ? ": " : "", *err != NULL ?
		    sdc_error_msg(*err) : "");
	for (size_t i = 0; cs != NULL && i < a->uuids.n; i++) {
		const char *uuid = a->uuids.v[i];
		bool unknown = strvec_has(&pending, uuid), was;
		struct ctr *c;

		for (c = cs->list; c != NULL; c = c->next)
			if (strcmp(c->uuid, uuid) == 0)
				break;
		if (c == NULL || !node_states_remote(a->d, c) ||
		    strcmp(json_str(c->extra, "Node", ""), a->id) != 0) {
			strvec_remove(&pending, uuid);	/* gone meanwhile */
			strvec_remove(&at_start, uuid);
			continue;
		}
		if (a->states == NULL || c->busy != NULL) {
			/* not known until its node (or its call's end) tells */
			if (a->states == NULL || unknown)
				node_states_pend(a->d, uuid);
			continue;
		}
		was = ctr_running(c);
		node_states_set(a->d, c, json_object_get(a->states, uuid));
		if (!was && ctr_running(c))
			c->stopping = false;	/* another head started it */
		free(c->ps_json);
		c->ps_json = NULL;
		node_states_exit_told(a->d, c, was);
		set++;
		if (!unknown)
			continue;
		strvec_remove(&pending, uuid);
		if (a->quiet)
			log_info("container %s: its node answered: %s", c->id,
			    rt_status_name(c->st.status));
		if (strvec_has(&at_start, uuid)) {
			strvec_remove(&at_start, uuid);
			ctr_recover_learned(cs, c);
		}
	}
	if (a->states != NULL && (!a->quiet || set > 0))
		log_info("nodes: %zu containers' states from node %s in %lld ms",
		    set, a->id, (long long)(time_mono_ms() - a->asked_ms));
}

static void
node_ask_done(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	struct node_ask *a = arg;

	(void)req;
	(void)rc;
	node_states_answered(a, err);
	node_ask_free(a);
}

/* Each node of the pass asked, off the loop. */
void
node_states_end(struct dockerapi *d)
{
	struct node_ask *a, *next;
	sdc_error_t err = NULL;

	(void)d;
	in_pass = false;
	started = true;
	for (a = pass, pass = NULL; a != NULL; a = next) {
		next = a->next;
		a->next = NULL;
		a->asked_ms = time_mono_ms();
		/* a node not heard from is not asked: "not known" */
		if (node_target_get(a->d, a->id, &a->t, &err) < 0 ||
		    a->t.address == NULL ||
		    rtcall_start(a->d->base, NULL, "node states", node_ask_fn,
		    node_ask_done, a, &err) < 0) {
			node_states_answered(a, &err);
			sdc_error_release(&err);
			node_ask_free(a);
			continue;
		}
		if (!strvec_has(&asking, a->id))
			strvec_push(&asking, a->id);
	}
}

/* Every second while some container's node did not answer: the
 * containers not known asked for again, but of a node whose question
 * is still under way. */
static void
node_states_retry(evutil_socket_t fd, short what, void *arg)
{
	struct dockerapi *d = retry_d;
	struct containers *cs = d != NULL ? d->containers : NULL;

	(void)fd;
	(void)what;
	(void)arg;
	if (cs == NULL)
		return;
	for (size_t i = pending.n; i-- > 0;) {	/* gone meanwhile */
		struct ctr *c;

		for (c = cs->list; c != NULL; c = c->next)
			if (strcmp(c->uuid, pending.v[i]) == 0)
				break;
		if (c == NULL || !node_states_remote(d, c)) {
			strvec_remove(&at_start, pending.v[i]);
			strvec_remove(&pending, pending.v[i]);
		}
	}
	retrying = true;
	node_states_begin(d);
	for (struct ctr *c = cs->list; c != NULL; c = c->next)
		if (node_states_unknown(c) && node_states_remote(d, c) &&
		    !strvec_has(&asking, json_str(c->extra, "Node", "")))
			node_states_apply(d, c, false);
	node_states_end(d);
	retrying = false;
	if (pending.n == 0)
		event_del(retry_ev);
}

void
node_states_free(void)
{
	struct node_ask *a, *next;

	for (a = pass; a != NULL; a = next) {
		next = a->next;
		node_ask_free(a);
	}
	pass = NULL;
	strvec_clear(&pending);
	strvec_clear(&at_start);
	strvec_clear(&asking);
	if (retry_ev != NULL)
		event_free(retry_ev);
	retry_ev = NULL;
	retry_d = NULL;
}
