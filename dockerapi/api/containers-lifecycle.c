/*
 * containers-lifecycle.c: start, stop, restart, kill, pause, unpause, rm,
 * rename.
 *
 * The runtime calls here block for the few tens of milliseconds runc
 * takes; everything that waits longer is asynchronous.  A stop sends the
 * stop signal, arms a timer for the grace time that sends SIGKILL, and is
 * answered when the watcher sees the exit (ops_exited); a restart is a
 * stop whose answer comes after the start that follows.  Only the API's
 * own stop and kill count as "stopped by the user"; the exit code is the
 * process's, whatever caused it.  A start, stop, restart or kill by the
 * user also settles the restart policy's part (container-restart.c): a
 * pending restart is cancelled, and the row records whether the user
 * stopped it.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <event2/event.h>

#include "containers.h"
#include "dockerapi/images/images-int.h"
#include "dockerapi/net/net.h"
#include "jsonutil.h"
#include "log.h"
#include "node-request.h"
#include "node-calls.h"
#include "strvec.h"
#include "nodes.h"
#include "node-net.h"
#include "volumes.h"
#include "networks.h"
#include "xalloc.h"

struct ctr_stopper {
	struct ctr_stopper *next;
	struct http_request *req;
	struct ctr *c;
	bool restart;
	bool kill;		/* a SIGKILL's answer: no stop event */
};

/* The signals seed 002 lists, by Docker's names. */
static const struct {
	const char *name;
	int sig;
} ops_signals[] = {
	{ "ABRT", SIGABRT }, { "ALRM", SIGALRM }, { "BUS", SIGBUS },
	{ "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "FPE", SIGFPE },
	{ "HUP", SIGHUP }, { "ILL", SIGILL }, { "INT", SIGINT },
	{ "IO", SIGIO }, { "IOT", SIGIOT }, { "KILL", SIGKILL },
	{ "LOST", SIGPWR }, { "PIPE", SIGPIPE }, { "POLL", SIGPOLL },
	{ "PROF", SIGPROF }, { "PWR", SIGPWR }, { "QUIT", SIGQUIT },
	{ "SEGV", SIGSEGV }, { "STOP", SIGSTOP }, { "SYS", SIGSYS },
	{ "TERM", SIGTERM }, { "TRAP", SIGTRAP }, { "TSTP", SIGTSTP },
	{ "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
	{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "VTALRM", SIGVTALRM },
	{ "WINCH", SIGWINCH }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
};

/* "HUP", "SIGHUP", "sighup" or "1"; -1 if none of those. */
int
signal_parse(const char *s)
{
	char *end;
	long n;
	size_t i;

	if (isdigit((unsigned char)*s)) {
		n = strtol(s, &end, 10);
		return *end == '\0' && n > 0 && n < 65 ? (int)n : -1;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < sizeof ops_signals / sizeof ops_signals[0]; i++)
		if (strcasecmp(s, ops_signals[i].name) == 0)
			return ops_signals[i].sig;
	return -1;
}

static int
ops_not_running(struct http_request *req, const struct ctr *c)
{
	return api_error(req, 409, "Container %s is not running", c->id);
}

/* --- start --- */

static void
ops_started_state(struct containers *cs, struct ctr *c,
    const struct rt_started *s)
{
	sdc_error_t err = NULL;

	if (rt_state_read(&cs->rt, c->uuid, &c->st, &err) == 0 &&
	    ctr_running(c))
		return;
	sdc_error_release(&err);
	memset(&c->st, 0, sizeof c->st);
	c->st.status = RT_RUNNING;
	c->st.pid = s->pid;
	if (s->started_at.tv_sec != 0)
		c->st.started_at = s->started_at;       /* its node's */
	else
		clock_gettime(CLOCK_REALTIME, &c->st.started_at);
}

/* A start's options and result, built on the loop, run off it. */
struct ops_start {
	struct containers *cs;
	char uuid[37];
	struct rt_start_opts opts;
	struct strvec ship;
	struct rt_started s;
	bool restart;			/* POST restart: a "restart" event */
	bool policy;			/* the restart policy's: no client */
	struct node_target t;		/* the container's node, or here */
	json_t *net;			/* its network, for the node's agent */
	bool relay;			/* attached: its stream from the node */
	ctr_started_fn *then;		/* ctr_start_async's */
	void *then_arg;
	bool quota_check;		/* the user's start: the walk below */
	struct volumes_quota quota;	/* QUOTA_VOLUME_BYTES's folders */
	struct strvec voldirs;		/* its volumes', a first copy waited */
	struct net_dns_wait names;	/* its networks' tables, queued */
};

static void
ops_start_free(struct ops_start *o)
{
	strvec_clear(&o->ship);
	node_target_clear(&o->t);
	json_decref(o->net);
	volumes_quota_clear(&o->quota);
	strvec_clear(&o->voldirs);
	net_dns_wait_clear(&o->names);
	free(o);
}

/* Where a start goes: the agent of the container's node.  With a client
 * attached (docker run, start -a) or a build reading the output of its
 * RUN (c->run_out) the start's attach connection, which sees the output
 * from the first byte, is relayed from the node (node-attach.c) and
 * becomes the watcher, as a start here gives it. */
static bool
ops_start_relayed(const struct ctr *c)
{
	return c->attachers != NULL || c->run_out != NULL;
}

static int
ops_start_target(struct ctr *c, struct node_target *t, sdc_error_t *err)
{
	memset(t, 0, sizeof *t);
	if (node_target_get(c->cs->d, json_str(c->extra, "Node", NULL), t,
	    err) < 0)
		return -1;
	if (t->address != NULL && ops_start_relayed(c) &&
	    node_attach_ready(c->cs->d, err) < 0) {
		node_target_clear(t);
		return -1;
	}
	return 0;
}

/* What comes before the runtime: the log's options, capacity, networks
 * (for a start on a node's agent, t, the store's part here and the rest
 * sent to the agent: node-net.c). */
static struct ops_start *
ops_start_pre(struct containers *cs, struct ctr *c,
    const struct node_target *t, sdc_error_t *err)
{
	struct ops_start *o = xcalloc(1, sizeof *o);
	struct logconfig lc;

	o->cs = cs;
	snprintf(o->uuid, sizeof o->uuid, "%s", c->uuid);
	o->opts.attach = true;
	logconfig_of(c, &lc);
	o->opts.no_log = lc.no_log;
	o->opts.log_max_size = logconfig_max_size(cs->d, &lc);
	o->opts.log_max_file = lc.max_file;
	o->opts.log_budget = lc.no_log ? 0 : logconfig_budget(cs->d, c);
	/* a log server: its address judged again now (logship.c) */
	if (logship_args(cs->d, c, &o->ship, err) < 0) {
		free(o);
		return NULL;
	}
	o->opts.log_args = o->ship.v;
	if (capacity_check(cs->d, json_int(c->host_config, "Memory", 0) /
	    (1024 * 1024), c, err) < 0) {
		ops_start_free(o);
		return NULL;
	}
	/* every start, the user's, the restart policy's and the daemon's
	 * own, waits on its thread for a first copy under way into one of
	 * its volumes (another create's), so it never runs on part of the
	 * files; a node's agent waits so on its own */
	if ((t == NULL || t->address == NULL) &&
	    cvol_dirs(cs->d, c, &o->voldirs, err) < 0) {
		ops_start_free(o);
		return NULL;
	}
	restart_cancel(c);
	if (t != NULL && t->address != NULL ?
	    ctrnet_start_node(cs, c, &o->net, err) < 0 :
	    ctrnet_start(cs, c, err) < 0) {
		ops_start_free(o);
		return NULL;
	}
	if (t == NULL || t->address == NULL)
		ctrnet_names_wait(cs, c, &o->names);
	return o;
}

/* What comes after the runtime answered rc: the container's networks
 * attached, its watcher, the events; undone on failure.  A runtime that
 * timed out answers 504. */
static int
ops_start_post(struct containers *cs, struct ctr *c, struct ops_start *o,
    int rc, sdc_error_t *err)
{
	struct rt_started *s = &o->s;

	if (rc < 0) {
		ctrnet_stop(cs, c);
		ctr_rt_error(cs, c, err);
		if (*err != NULL && (*err)->code == 0)
			(*err)->code = (*err)->errnum == ETIMEDOUT ||
			    strstr((*err)->msg, "did not answer within") != NULL ?
			    504 : 400;
		return -1;
	}
	if (o->t.address != NULL)
		;	/* its node's agent plumbed it (node-net.c) */
	else if (ctrnet_started(cs, c, s->pid, err) < 0 &&
	    (*err)->errnum == ENOENT) {
		/* it ran and exited already: nothing left to attach */
		sdc_error_release(err);
		ctrnet_stop(cs, c);
	} else if (*err != NULL) {
		sdc_error_t ignored = NULL;

		/* no half-networked container: it goes as if it never ran */
		log_warn("container %s: its networks: %s", c->id,
		    sdc_error_msg(*err));
		rt_kill(&cs->rt, c->uuid, SIGKILL, &ignored);
		sdc_error_release(&ignored);
		if (s->attach_fd >= 0)
			close(s->attach_fd);
		ctrnet_stop(cs, c);
		return -1;
	}
	ops_started_state(cs, c, s);
	c->stopping = false;
	/* started by its node's agent: the agent watches it, and its exit
	 * comes from there (node-exits.c); an attached one's relayed
	 * stream is the watcher, as here, until it ends */
	if (o->t.address == NULL || s->attach_fd >= 0) {
		watch_start(cs, c, s->attach_fd, c->attachers == NULL &&
		    c->run_out == NULL);
		c->watch_relayed = o->t.address != NULL;
	} else
		watch_stop(c);
	attach_started(c);
	events_container(cs, c, "start", NULL);
	return 0;
}

int
ctr_start_one(struct containers *cs, struct ctr *c, sdc_error_t *err)
{
	struct ops_start *o;
	int rc;

	if ((o = ops_start_pre(cs, c, NULL, err)) == NULL)
		return -1;
	net_dns_wait_start(&o->names, o->uuid);
	rc = rt_start(&cs->rt, c->uuid, &o->opts, &o->s, err);
	rc = ops_start_post(cs, c, o, rc, err);
	ops_start_free(o);
	return rc;
}

/* As dockerd does: an AutoRemove container whose start failed is removed:
 * its removal begins before the error is answered, and its runtime's
 * delete ends off the loop, shortly after (`docker run --rm` waits for
 * the removal after a failed start, and waited for ever before). */
static void
ops_start_failed(struct containers *cs, struct ctr *c)
{
	if (ctr_running(c) || c->removing ||
	    !json_is_true(json_object_get(c->host_config, "AutoRemove")))
		return;
	ctr_remove_async(cs, c, true, false, NULL, NULL);
}

/* A start the user asked for, not the policy's: QUOTA_VOLUME_BYTES, no
 * start with volumes over it (volumes.c).  The account's volumes are
 * listed here and walked on the start's thread (a tenant's volume of a
 * million files is a walk of seconds), before the runtime is called. */
static int
ops_user_check(struct containers *cs, struct ctr *c, struct ops_start *o,
    sdc_error_t *err)
{
	if (json_array_size(json_object_get(c->extra, "Mounts")) == 0)
		return 0;
	if (volumes_quota_prepare(cs->d, c->account, &o->quota, err) < 0)
		return -1;
	o->quota_check = true;
	return 0;
}

static int
ops_start_fn(void *arg, sdc_error_t *err)
{
	struct ops_start *o = arg;

	/* a volume another create is filling: its copy's end first */
	rt_volumes_settled((const char *const *)o->voldirs.v, o->voldirs.n);
	if (o->quota_check && volumes_quota_walk(&o->quota, err) < 0)
		return -1;
	net_dns_wait_start(&o->names, o->uuid);
	if (o->relay)
		return node_attach_start(&o->t, &o->cs->rt, o->uuid, &o->opts,
		    o->net, &o->s, err);
	return node_rt_start_net(&o->t, &o->cs->rt, o->uuid, &o->opts, o->net,
	    &o->s, err);
}

static void
ops_start_done(struct ctr *c, void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct ops_start *o = arg;
	struct containers *cs = o->cs;

	if (o->then != NULL) {
		if (c != NULL)
			rc = ops_start_post(cs, c, o, rc, err);
		else {
			if (rc == 0 && o->s.attach_fd >= 0)
				close(o->s.attach_fd);
			rc = -1;
			sdc_error_release(err);
			sdc_make_error_code(err, 409, "the container was "
			    "removed while it started");
		}
		o->then(o->then_arg, rc, err);
		ops_start_free(o);
		return;
	}
	if (c == NULL) {
		if (rc == 0 && o->s.attach_fd >= 0)
			close(o->s.attach_fd);
		ops_start_free(o);
		return;
	}
	if (o->policy) {
		restart_policy_answered(c);
		if (ops_start_post(cs, c, o, rc, err) < 0)
			log_warn("container %s: restart (policy): %s", c->id,
			    sdc_error_msg(*err));
	} else if (ops_start_post(cs, c, o, rc, err) < 0) {
		ops_start_failed(cs, c);
		if (req != NULL)
			api_error_from(req, err);
	} else {
		restart_user_started(cs, c);
		if (o->restart)
			events_container(cs, c, "restart", NULL);
		if (req != NULL)
			http_reply(req, 204, NULL, NULL, 0);
	}
	ops_start_free(o);
}

/* The start's runtime call sent on a thread of its own (req NULL for the
 * daemon's own starts); on a refusal the network made for it is undone
 * and o freed. */
static int
ops_start_send(struct http_request *req, struct containers *cs,
    struct ctr *c, struct ops_start *o, sdc_error_t *err)
{
	if (ctr_call(req, c, "start", ops_start_fn, ops_start_done, o,
	    err) < 0) {
		ctrnet_stop(cs, c);
		ops_start_free(o);
		return -1;
	}
	return 0;
}

/* The user's start, its runtime part off the loop; answered when done.
 * in_exit: called from the exit's handling, which goes on using c, so a
 * failure here never removes it (AutoRemove). */
static int
ops_user_start_async(struct http_request *req, struct ctr *c, bool restart,
    bool in_exit)
{
	struct containers *cs = c->cs;
	struct ops_start *o;
	struct node_target t;
	sdc_error_t err = NULL;

	if (c->busy != NULL)
		return api_error(req, 409, "Container %s is busy: its %s "
		    "is under way", c->id, c->busy);
	if (ops_start_target(c, &t, &err) < 0)
		return api_error_from(req, &err);	/* nothing changed */
	if ((o = ops_start_pre(cs, c, &t, &err)) == NULL) {
		node_target_clear(&t);
		if (!in_exit)
			ops_start_failed(cs, c);
		return api_error_from(req, &err);
	}
	if (ops_user_check(cs, c, o, &err) < 0) {
		node_target_clear(&t);
		ctrnet_stop(cs, c);
		ops_start_free(o);
		if (!in_exit)
			ops_start_failed(cs, c);
		return api_error_from(req, &err);
	}
	o->t = t;
	o->relay = t.address != NULL && ops_start_relayed(c);
	o->restart = restart;
	if (ops_start_send(req, cs, c, o, &err) < 0)
		return api_error_from(req, &err);
	return HTTP_ASYNC;
}

int
ctr_start_policy(struct containers *cs, struct ctr *c, sdc_error_t *err)
{
	struct ops_start *o;
	struct node_target t;

	if (c->busy != NULL)
		return sdc_make_error_code(err, 409, "its %s is under way",
		    c->busy);
	if (ops_start_target(c, &t, err) < 0)
		return -1;
	if ((o = ops_start_pre(cs, c, &t, err)) == NULL) {
		node_target_clear(&t);
		return -1;
	}
	o->t = t;
	o->policy = true;
	return ops_start_send(NULL, cs, c, o, err);
}

int
ctr_start_async(struct containers *cs, struct ctr *c, ctr_started_fn *then,
    void *arg, sdc_error_t *err)
{
	struct ops_start *o;
	struct node_target t;

	if (c->busy != NULL)
		return sdc_make_error_code(err, 409, "its %s is under way",
		    c->busy);
	if (ops_start_target(c, &t, err) < 0)
		return -1;
	if ((o = ops_start_pre(cs, c, &t, err)) == NULL) {
		node_target_clear(&t);
		return -1;
	}
	o->t = t;
	o->relay = t.address != NULL && ops_start_relayed(c);
	o->then = then;
	o->then_arg = arg;
	return ops_start_send(NULL, cs, c, o, err);
}

int
ctr_start(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg);

	if (c == NULL)
		return HTTP_DONE;
	if (ctr_busy(req, c, ctr_start, arg))
		return HTTP_ASYNC;
	if (c->st.status == RT_PAUSED)
		return api_error(req, 409, "cannot start a paused container, try "
		    "unpause instead");
	if (ctr_running(c))
		return http_reply(req, 304, NULL, NULL, 0);
	if (c->removing)
		return api_error(req, 409, "container %s is marked for removal "
		    "and cannot be started", c->id);
	return ops_user_start_async(req, c, false, false);
}

/* --- stop and restart --- */

static void
ops_stopper_closed(struct http_request *req, void *arg)
{
	struct ctr_stopper *s = arg, **p;

	for (p = &s->c->stoppers; *p != NULL;
	    p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	free(s);
}

static void ops_thaw(struct ctr *c);

static int
ops_stop_signal(const struct ctr *c)
{
	const char *s = json_str(c->config, "StopSignal", "");
	int sig = *s != '\0' ? signal_parse(s) : -1;

	return sig > 0 ? sig : SIGTERM;
}

/* A signal, off the loop: through the agent of the container's node
 * (node-calls.c), or here when it records none.  What follows the signal
 * (the kill event, the stop's SIGKILL timer, the answer at the exit) is
 * done on the loop once it was delivered; the client's request is kept
 * here rather than by ctr_call, as an exit the signal caused may remove
 * the container (AutoRemove) before the call's end, and the signal was
 * still delivered. */
enum ops_kill_kind { OPS_KILL_USER, OPS_KILL_STOP, OPS_KILL_TIMER };

struct ops_kill {
	struct containers *cs;
	char uuid[37];
	int sig;
	enum ops_kill_kind kind;
	struct node_target t;
	struct http_request *req;	/* NULL: none, or the client left */
	bool paused;			/* frozen when asked: thawed after */
	bool restart;			/* a stop: the restart's */
	bool was_stopping;		/* c->stopping before, for a failure */
	int grace;			/* a stop: seconds before the SIGKILL */
};

static void ops_kill_timer_cb(evutil_socket_t fd, short what, void *arg);

static void
ops_kill_free(struct ops_kill *k)
{
	node_target_clear(&k->t);
	free(k);
}

static void
ops_kill_closed(struct http_request *req, void *arg)
{
	(void)req;
	((struct ops_kill *)arg)->req = NULL;
}

static int
ops_kill_fn(void *arg, sdc_error_t *err)
{
	struct ops_kill *k = arg;

	return node_rt_kill(&k->t, &k->cs->rt, k->uuid, k->sig, err);
}

/* The answer waits for the exit (ops_exited). */
static void
ops_kill_stopper(struct ops_kill *k, struct ctr *c)
{
	struct ctr_stopper *s = xcalloc(1, sizeof *s);

	s->req = k->req;
	s->c = c;
	s->restart = k->restart;
	s->kill = k->kind == OPS_KILL_USER;
	s->next = c->stoppers;
	c->stoppers = s;
	http_on_close(k->req, ops_stopper_closed, s);
	k->req = NULL;
}

static void
ops_kill_done(struct ctr *c, void *arg, struct http_request *unused, int rc,
    sdc_error_t *err)
{
	struct ops_kill *k = arg;
	struct containers *cs = k->cs;
	struct timeval tv = { k->grace, 0 }, retry = { 1, 0 };
	char sigtext[16];

	(void)unused;
	if (k->req != NULL)
		http_on_close(k->req, NULL, NULL);
	if (c == NULL) {
		/* removed meanwhile: it exited and went (AutoRemove) */
		if (k->req != NULL)
			(void)(rc < 0 ? api_error_from(k->req, err) :
			    http_reply(k->req, 204, NULL, NULL, 0));
		ops_kill_free(k);
		return;
	}
	if (rc < 0) {
		ctr_rt_error(cs, c, err);
		if (k->kind != OPS_KILL_TIMER)
			c->stopping = k->was_stopping;
		else if (ctr_running(c) && c->stop_timer != NULL)
			evtimer_add(c->stop_timer, &retry);	/* once it is back */
		if (k->req != NULL)
			api_error_from(k->req, err);
		else
			log_warn("container %s: signal %d: %s", c->id, k->sig,
			    sdc_error_msg(*err));
		ops_kill_free(k);
		return;
	}
	/* a frozen container gets the signal once thawed */
	if (k->paused && (k->sig == SIGKILL || k->sig == SIGTERM))
		ops_thaw(c);
	if (k->kind != OPS_KILL_TIMER) {
		snprintf(sigtext, sizeof sigtext, "%d", k->sig);
		events_container(cs, c, "kill", json_pack("{s:s}", "signal",
		    sigtext));
	}
	if (k->kind == OPS_KILL_STOP) {
		if (c->stop_timer == NULL)
			c->stop_timer = evtimer_new(cs->d->base, ops_kill_timer_cb,
			    c);
		evtimer_add(c->stop_timer, &tv);
	}
	if (k->req != NULL && (k->kind == OPS_KILL_STOP ||
	    (k->sig == SIGKILL && ctr_running(c)))) {
		/* As dockerd: a stop, and a SIGKILL, are answered once the
		 * container is dead, so an inspect right after shows it
		 * exited; if it died during the call, that is now. */
		ops_kill_stopper(k, c);
		if (!ctr_running(c))
			ops_exited(cs, c);
	} else if (k->req != NULL)
		http_reply(k->req, 204, NULL, NULL, 0);
	ops_kill_free(k);
}

/* Send sig to c off the loop; NULL with *err (503 "node unavailable",
 * nothing sent) when it cannot be. */
static struct ops_kill *
ops_kill_begin(struct http_request *req, struct ctr *c, int sig,
    enum ops_kill_kind kind, sdc_error_t *err)
{
	struct ops_kill *k = xcalloc(1, sizeof *k);

	k->cs = c->cs;
	k->sig = sig;
	k->kind = kind;
	k->paused = c->st.status == RT_PAUSED;
	snprintf(k->uuid, sizeof k->uuid, "%s", c->uuid);
	if (node_target_get(c->cs->d, json_str(c->extra, "Node", NULL), &k->t,
	    err) < 0 || ctr_call(NULL, c, "kill", ops_kill_fn, ops_kill_done,
	    k, err) < 0) {
		ops_kill_free(k);
		return NULL;
	}
	k->req = req;
	if (req != NULL)
		http_on_close(req, ops_kill_closed, k);
	return k;
}

static void
ops_kill_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctr *c = arg;
	struct timeval again = { 0, 100000 }, retry = { 1, 0 };
	sdc_error_t err = NULL;

	(void)fd;
	(void)what;
	if (!ctr_running(c))
		return;
	if (c->busy != NULL) {
		/* another call on it (a thaw): the SIGKILL right after */
		evtimer_add(c->stop_timer, &again);
		return;
	}
	if (ops_kill_begin(NULL, c, SIGKILL, OPS_KILL_TIMER, &err) == NULL) {
		/* its node unavailable: again each second, the stop waiting */
		log_warn("container %s: SIGKILL: %s", c->id, sdc_error_msg(err));
		sdc_error_release(&err);
		evtimer_add(c->stop_timer, &retry);
	}
}

/* Signal, arm the SIGKILL, answer at the exit (ops_kill_done). */
static int
ops_stop_begin(struct http_request *req, struct ctr *c, bool restart)
{
	const char *t = http_query(req, "t");
	int secs = t != NULL ? atoi(t) :
	    (int)json_int(c->config, "StopTimeout", 10);
	bool was = c->stopping;
	struct ops_kill *k;
	sdc_error_t err = NULL;

	c->stopping = true;
	if ((k = ops_kill_begin(req, c, secs > 0 ? ops_stop_signal(c) : SIGKILL,
	    OPS_KILL_STOP, &err)) == NULL) {
		c->stopping = was;
		return api_error_from(req, &err);
	}
	k->restart = restart;
	k->grace = secs > 0 ? secs : 0;
	k->was_stopping = was;
	return HTTP_ASYNC;
}

int
ctr_stop(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg);

	if (c == NULL)
		return HTTP_DONE;
	if (ctr_busy(req, c, ctr_stop, arg))
		return HTTP_ASYNC;
	if (restart_user_stopped(ctrs(arg), c))
		return http_reply(req, 204, NULL, NULL, 0);
	if (!ctr_running(c))
		return http_reply(req, 304, NULL, NULL, 0);
	return ops_stop_begin(req, c, false);
}

int
ctr_restart(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg);

	if (c == NULL)
		return HTTP_DONE;
	if (ctr_busy(req, c, ctr_restart, arg))
		return HTTP_ASYNC;
	if (ctr_running(c))
		return ops_stop_begin(req, c, true);
	return ops_user_start_async(req, c, true, false);
}

void
ops_exited(struct containers *cs, struct ctr *c)
{
	struct ctr_stopper *s = c->stoppers, *next;
	bool restart = false, any = s != NULL;

	if (c->stop_timer != NULL) {
		event_free(c->stop_timer);
		c->stop_timer = NULL;
	}
	c->stoppers = NULL;
	any = false;
	for (next = s; next != NULL; next = next->next) {
		restart |= next->restart;
		any |= !next->kill;
	}
	if (any)
		events_container(cs, c, "stop", NULL);
	for (; s != NULL; s = next) {
		next = s->next;
		http_on_close(s->req, NULL, NULL);
		if (restart && s->restart && !c->removing) {
			/* the start, off the loop, answers this one; after
			 * the stop's own signal call if the exit came first */
			restart = false;
			if (!ctr_busy(s->req, c, ctr_restart, cs->d))
				(void)ops_user_start_async(s->req, c, true,
				    true);
		} else
			http_reply(s->req, 204, NULL, NULL, 0);
		free(s);
	}
}

/* --- kill, pause --- */

int
ctr_kill(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg);
	const char *name = http_query(req, "signal");
	sdc_error_t err = NULL;
	struct ops_kill *k;
	int sig = SIGKILL;
	bool was;

	if (c == NULL)
		return HTTP_DONE;
	if (ctr_busy(req, c, ctr_kill, arg))
		return HTTP_ASYNC;
	if (name != NULL && *name != '\0' && (sig = signal_parse(name)) < 0)
		return api_error(req, 400, "Invalid signal: %s", name);
	if (!ctr_running(c) && !ctr_restarting(c))
		return ops_not_running(req, c);
	if (restart_user_stopped(ctrs(arg), c))
		return http_reply(req, 204, NULL, NULL, 0);
	/* As with dockerd, the exit that follows is the user's (no restart
	 * after it) unless the container names a stop signal and this is
	 * another one, a reload say. */
	was = c->stopping;
	if (sig == SIGKILL || sig == ops_stop_signal(c) ||
	    *json_str(c->config, "StopSignal", "") == '\0')
		c->stopping = true;
	if ((k = ops_kill_begin(req, c, sig, OPS_KILL_USER, &err)) == NULL) {
		c->stopping = was;
		return api_error_from(req, &err);
	}
	k->was_stopping = was;
	return HTTP_ASYNC;
}

/* pause and unpause: runc off the loop, the state changed once it
 * answered. */
struct ops_call {
	struct containers *cs;
	char uuid[37];
	bool pause;
	bool quiet;			/* a stop's thaw: no unpause event */
	struct node_target t;		/* the container's node, or here */
	json_t *net;			/* its network, for the node's agent */
	bool relay;			/* attached: its stream from the node */
};

static void
ops_call_free(struct ops_call *o)
{
	node_target_clear(&o->t);
	free(o);
}

static int
ops_pause_fn(void *arg, sdc_error_t *err)
{
	struct ops_call *o = arg;

	return node_rt_pause(&o->t, &o->cs->rt, o->uuid, o->pause, err);
}

static void
ops_pause_done(struct ctr *c, void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct ops_call *o = arg;

	if (c != NULL && rc < 0) {
		ctr_rt_error(o->cs, c, err);
		if ((*err)->errnum == ETIMEDOUT && (*err)->code == 0)
			(*err)->code = 504;
		if (req != NULL)
			api_error_from(req, err);
	} else if (c != NULL) {
		/* unless it exited meanwhile (the watcher has said so) */
		if (ctr_running(c))
			c->st.status = o->pause ? RT_PAUSED : RT_RUNNING;
		if (!o->quiet)
			events_container(o->cs, c, o->pause ? "pause" : "unpause",
			    NULL);
		if (req != NULL)
			http_reply(req, 204, NULL, NULL, 0);
	}
	ops_call_free(o);
}

/* Thaw c off the loop, for a stop or kill of a paused container. */
static void
ops_thaw(struct ctr *c)
{
	struct ops_call *o;
	sdc_error_t err = NULL;

	if (c->busy != NULL)
		return;
	o = xcalloc(1, sizeof *o);
	o->cs = c->cs;
	o->quiet = true;
	snprintf(o->uuid, sizeof o->uuid, "%s", c->uuid);
	if (node_target_get(c->cs->d, json_str(c->extra, "Node", NULL), &o->t,
	    &err) < 0 || ctr_call(NULL, c, "unpause", ops_pause_fn,
	    ops_pause_done, o, &err) < 0) {
		log_warn("container %s: thawing it: %s", c->id,
		    sdc_error_msg(err));
		sdc_error_release(&err);
		ops_call_free(o);
	}
}

static int
ops_pause_start(struct http_request *req, struct ctr *c, bool pause)
{
	struct ops_call *o = xcalloc(1, sizeof *o);
	sdc_error_t err = NULL;

	o->cs = c->cs;
	o->pause = pause;
	snprintf(o->uuid, sizeof o->uuid, "%s", c->uuid);
	if (node_target_get(c->cs->d, json_str(c->extra, "Node", NULL), &o->t,
	    &err) < 0 || ctr_call(req, c, pause ? "pause" : "unpause",
	    ops_pause_fn, ops_pause_done, o, &err) < 0) {
		ops_call_free(o);
		return api_error_from(req, &err);
	}
	return HTTP_ASYNC;
}

int
ctr_pause(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg);

	if (c == NULL)
		return HTTP_DONE;
	if (ctr_busy(req, c, ctr_pause, arg))
		return HTTP_ASYNC;
	if (!ctr_running(c))
		return ops_not_running(req, c);
	if (c->st.status == RT_PAUSED)
		return api_error(req, 409, "Container %s is already paused", c->id);
	return ops_pause_start(req, c, true);
}

int
ctr_unpause(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg);

	if (c == NULL)
		return HTTP_DONE;
	if (ctr_busy(req, c, ctr_unpause, arg))
		return HTTP_ASYNC;
	if (c->st.status != RT_PAUSED)
		return api_error(req, 409, "Container %s is not paused", c->id);
	return ops_pause_start(req, c, false);
}

/* --- rm, rename --- */

struct ops_rm {
	struct containers *cs;
	char uuid[37];
	bool force;
	struct node_request *call;	/* its node's agent removes it */
	struct strvec named;		/* the networks it had names on */
};

static void
ops_rm_free(struct ops_rm *o)
{
	strvec_clear(&o->named);
	node_request_free(o->call);
	free(o);
}

static int
ops_rm_fn(void *arg, sdc_error_t *err)
{
	struct ops_rm *o = arg;

	if (o->call != NULL)
		return node_request_run(o->call, err);
	return rt_delete(&o->cs->rt, o->uuid, o->force, err);
}

/* A removal that took a running container's names (at its exit, which
 * the delete's kill may bring first, or here): answered once its
 * networks' servers have forgotten them (net/names-reply.c). */
static void
ops_rm_done(struct ctr *c, void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct ops_rm *o = arg;
	struct net_dns_wait names = { 0 };

	if (c != NULL && ctr_remove_end(o->cs, c, rc, err) < 0) {
		if ((*err)->errnum == ETIMEDOUT && (*err)->code == 0)
			(*err)->code = 504;
		if (req != NULL)
			api_error_from(req, err);
	} else {
		for (size_t i = 0; i < o->named.n; i++)
			netwire_dns_wait_add(o->cs->d, &names, o->named.v[i]);
		net_names_reply(o->cs->d->base, req, &names, 204, NULL);
	}
	ops_rm_free(o);
}

int
ctr_delete(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg);
	struct ops_rm *o;
	sdc_error_t err = NULL;

	if (c == NULL)
		return HTTP_DONE;
	if (ctr_busy(req, c, ctr_delete, arg))
		return HTTP_ASYNC;
	c->remove_volumes = http_query_bool(req, "v", false);
	o = xcalloc(1, sizeof *o);
	o->cs = ctrs(arg);
	o->force = http_query_bool(req, "force", false);
	snprintf(o->uuid, sizeof o->uuid, "%s", c->uuid);
	/* a node not heard from: 503, and the container stays as it is */
	if (node_remove_prepare(o->cs, c, o->force, &o->call, &err) < 0) {
		free(o);
		return api_error_from(req, &err);
	}
	ctrnet_named_networks(o->cs, c, &o->named);
	if (ctr_remove_begin(o->cs, c, o->force, &err) < 0 ||
	    ctr_call(req, c, "rm", ops_rm_fn, ops_rm_done, o, &err) < 0) {
		if (c->removing)
			ctr_remove_end(o->cs, c, -1, &err);
		ops_rm_free(o);
		return api_error_from(req, &err);
	}
	return HTTP_ASYNC;
}

int
ctr_rename(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg), *other;
	const char *name = http_query(req, "name");
	struct net_dns_wait names = { 0 };
	sdc_error_t err = NULL;
	char *old;

	if (c == NULL)
		return HTTP_DONE;
	/* its node's agent is told (below) after a call under way */
	if (!nodenet_here(ctrs(arg), c) && ctr_busy(req, c, ctr_rename, arg))
		return HTTP_ASYNC;
	if (name == NULL || !ctr_name_valid(name))
		return api_error(req, 400, "Invalid container name (%s), only "
		    "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name ? name : "");
	if (name[0] == '/')
		name++;
	if ((other = ctr_by_name(ctrs(arg), c->account, name)) != NULL) {
		if (other == c)
			return api_error(req, 400, "Renaming a container with the "
			    "same name as its current name");
		return api_error(req, 409, "Conflict. The container name \"/%s\" "
		    "is already in use by container \"%s\". You have to remove "
		    "(or rename) that container to be able to reuse that name.",
		    name, other->id);
	}
	xasprintf(&old, "/%s", c->name);
	if (ctr_rename_row(ctrs(arg), c, name, &err) < 0) {
		free(old);
		return api_error_from(req, &err);
	}
	/* a running container's names change in its networks' servers,
	 * as Docker's do, its node's when an agent runs it; answered once
	 * they have them */
	ctrnet_renamed(ctrs(arg), c, &names);
	events_container(ctrs(arg), c, "rename", json_pack("{s:s}", "oldName",
	    old));
	free(old);
	if (ctr_running(c) && !nodenet_here(ctrs(arg), c)) {
		net_dns_wait_clear(&names);
		return nodenet_renamed(req, ctrs(arg), c);
	}
	return net_names_reply(ctrs(arg)->d->base, req, &names, 204, NULL);
}

const struct api_endpoint containers_lifecycle_routes[] = {
	{ { "POST", "/containers/:id/start", ctr_start, 0, NULL }, 0 },
	{ { "POST", "/containers/:id/stop", ctr_stop, 0, NULL }, 0 },
	{ { "POST", "/containers/:id/restart", ctr_restart, 0, NULL }, 0 },
	{ { "POST", "/containers/:id/kill", ctr_kill, 0, NULL }, 0 },
	{ { "POST", "/containers/:id/pause", ctr_pause, 0, NULL }, 0 },
	{ { "POST", "/containers/:id/unpause", ctr_unpause, 0, NULL }, 0 },
	{ { "POST", "/containers/:id/rename", ctr_rename, 0, NULL }, 0 },
	{ { "DELETE", "/containers/:id", ctr_delete, 0, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
