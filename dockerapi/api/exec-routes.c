/*
 * exec-routes.c: docker exec: create, start (attached or detached), inspect,
 * resize.
 *
 * An exec is a record in memory, as in dockerd: it lives as long as its
 * container (or this daemon), which is all a client needs to run one and
 * read its exit code.  Starting runs it under a monitor of its own
 * (rt_exec_start), whose attach connection either becomes the client's
 * hijacked stream (containers-attach.c, the same code as a container's) or,
 * when detached, is kept just to learn the exit.  The exit code is recorded
 * from the exit frame before the stream ends, so the CLI's inspect right
 * after the stream always sees it.  A finished exec's folder is removed at
 * the next exec of the same container; on a node, by its agent once it
 * has been finished for exec_keep (agent/execs-sweep.c).  An exec another
 * head started is inspected where it runs: its folder here, or the
 * node's agent asked off the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>

#include "containers.h"
#include "heads.h"
#include "ids.h"
#include "jsonutil.h"
#include "log.h"
#include "node-calls.h"
#include "rtcall.h"
#include "xalloc.h"

struct exec_inst {
	struct exec_inst *next;
	char id[65];
	struct ctr *c;
	json_t *config;			/* the create request */
	bool started, running, cleaned;
	bool foreign;			/* started through another head: its
					 * state is read from its folder */
	int exit_code;
	pid_t pid;
	int fd;				/* detached: the exit watcher */
	struct event *ev;
	struct exec_job *job;		/* its start, while the runtime runs */
};

/* A start: the runtime's part (the monitor and `runc exec`) off the loop
 * (rtcall.c), the answer or the hijack back on it. */
struct exec_job {
	struct exec_inst *e;		/* NULL once the exec is gone */
	struct containers *cs;
	char uuid[37];
	char id[65];
	json_t *config;			/* p's strings point into it */
	const char **argv, **env;
	struct rt_process p;
	struct rt_start_opts o;
	struct rt_started s;
	bool detach, raw;
	struct node_target t;		/* the container's node, or here */
};

/* An exec another head made (heads.h), of the account's container. */
static struct exec_inst *
exec_adopt(struct containers *cs, const char *id, const char *account)
{
	struct exec_inst *e;
	struct ctr *c;
	json_t *config;
	char *container;
	bool started;

	if (heads_exec_get(cs->d, id, &container, &config, &started) < 0)
		return NULL;
	for (c = cs->list; c != NULL; c = c->next)
		if (strcmp(c->id, container) == 0)
			break;
	free(container);
	if (c == NULL || strcmp(c->account, account) != 0) {
		json_decref(config);
		return NULL;
	}
	e = xcalloc(1, sizeof *e);
	snprintf(e->id, sizeof e->id, "%s", id);
	e->c = c;
	e->config = config;
	e->fd = -1;
	e->started = e->foreign = started;
	e->next = cs->execs;
	cs->execs = e;
	return e;
}

static struct exec_inst *
exec_find(struct containers *cs, struct http_request *req)
{
	const char *id = http_param(req, "id");
	struct exec_inst *e;

	for (e = cs->execs; e != NULL; e = e->next)
		if (strcmp(e->id, id) == 0 &&
		    strcmp(e->c->account, ctr_account(req)) == 0)
			return e;
	if ((e = exec_adopt(cs, id, ctr_account(req))) != NULL)
		return e;
	api_error(req, 404, "No such exec instance: %s", id);
	return NULL;
}

static void
exec_state_set(struct exec_inst *e, const struct rt_state *st)
{
	e->running = st->status == RT_RUNNING;
	e->pid = st->pid;
	if (!e->running)
		e->exit_code = st->exit_code;
}

/* Started through another head?  Then its running state, pid and exit
 * are read where it runs: from its folder here, or (foreign_node)
 * from the node's agent, off the loop (exec_inspect). */
static void
exec_foreign_state(struct containers *cs, struct exec_inst *e)
{
	sdc_error_t err = NULL;
	struct rt_state st;
	json_t *config;
	char *container;
	bool started;

	if (!e->started && heads_exec_get(cs->d, e->id, &container, &config,
	    &started) == 0) {
		free(container);
		json_decref(config);
		e->started = e->foreign = started;
	}
	if (!e->foreign || json_str(e->c->extra, "Node", NULL) != NULL)
		return;
	if (rt_exec_state(&cs->rt, e->c->uuid, e->id, &st, &err) < 0) {
		sdc_error_release(&err);
		return;
	}
	exec_state_set(e, &st);
}

static char *
exec_cmdline(const struct exec_inst *e)
{
	struct buf b = BUF_INIT;
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(e->config, "Cmd"), i, v)
		buf_printf(&b, "%s%s", i > 0 ? " " : "", json_string_value(v));
	return buf_detach(&b, NULL);
}

static void
exec_event(struct exec_inst *e, const char *what, json_t *attrs)
{
	char *cmd = exec_cmdline(e), *action;

	if (strcmp(what, "exec_die") == 0)
		action = xstrdup(what);
	else
		xasprintf(&action, "%s: %s", what, cmd);
	json_object_set_new(attrs, "execID", json_string(e->id));
	events_container(e->c->cs, e->c, action, attrs);
	free(action);
	free(cmd);
}

static void
exec_unwatch(struct exec_inst *e)
{
	if (e->ev != NULL)
		event_free(e->ev);
	if (e->fd >= 0)
		close(e->fd);
	e->ev = NULL;
	e->fd = -1;
}

static void
exec_free(struct exec_inst *e)
{
	if (e->job != NULL)
		e->job->e = NULL;
	exec_unwatch(e);
	json_decref(e->config);
	free(e);
}

/* The exit frame (or the monitor's hang-up, f NULL). */
static void
exec_exited(void *arg, const struct rt_frame *f)
{
	struct exec_inst *e = arg;
	sdc_error_t err = NULL;
	struct rt_state st;
	char code[16];

	if (!e->running)
		return;
	e->running = false;
	if ((f != NULL && rt_attach_exit_state(f, &st, &err) == 0) ||
	    rt_exec_state(&e->c->cs->rt, e->c->uuid, e->id, &st, &err) == 0)
		e->exit_code = st.exit_code;
	else
		e->exit_code = -1;
	sdc_error_release(&err);
	snprintf(code, sizeof code, "%d", e->exit_code);
	exec_event(e, "exec_die", json_pack("{s:s}", "exitCode", code));
}

static void
exec_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct exec_inst *e = arg;
	struct rt_frame *f = xmalloc(sizeof *f);
	int rc;

	while ((rc = rt_attach_recv(fd, f, NULL)) == 1 && f->type != RT_FRAME_EXIT)
		;
	if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		free(f);
		return;
	}
	exec_exited(e, rc == 1 ? f : NULL);
	exec_unwatch(e);
	free(f);
}

/* The client typed the detach keys: the exec runs on, watched for its
 * exit as a detached one. */
static void
exec_detached(void *arg, int fd)
{
	struct exec_inst *e = arg;

	e->fd = fd;
	rt_attach_send(e->fd, RT_FRAME_MUTE, NULL, 0, NULL);
	e->ev = event_new(e->c->cs->d->base, e->fd, EV_READ | EV_PERSIST,
	    exec_watch_cb, e);
	event_add(e->ev, NULL);
}

/* Finished execs of the container: their folders can go.  One whose
 * start is still with the runtime (job set) is started but not yet
 * running, and its folder is being made: removing it then failed that
 * start ("opening ...: No such file or directory", a 500) whenever
 * another exec of the container was created meanwhile. */
static void
exec_sweep(struct containers *cs, const struct ctr *c)
{
	struct exec_inst *e;

	for (e = cs->execs; e != NULL; e = e->next)
		if (e->c == c && e->started && e->job == NULL && !e->running &&
		    !e->cleaned && !e->foreign &&
		    rt_exec_remove(&cs->rt, c->uuid, e->id, NULL) == 0)
			e->cleaned = true;
}

int
exec_create(struct http_request *req, void *arg)
{
	struct containers *cs = ctrs(arg);
	struct ctr *c = ctr_lookup(req, arg);
	sdc_error_t err = NULL;
	struct exec_inst *e;
	json_t *body, *cmd;

	if (c == NULL)
		return HTTP_DONE;
	if ((body = http_body_json(req, &err)) == NULL)
		return api_error_from(req, &err);
	cmd = json_object_get(body, "Cmd");
	if (json_is_string(cmd))
		json_object_set_new(body, "Cmd", cmd = json_pack("[O]", cmd));
	if (!json_is_array(cmd) || json_array_size(cmd) == 0) {
		json_decref(body);
		return api_error(req, 400, "No exec command specified");
	}
	/* Go's decoder takes any case: docker-py sends "detachKeys" */
	if (json_object_get(body, "DetachKeys") == NULL &&
	    json_object_get(body, "detachKeys") != NULL)
		json_object_set(body, "DetachKeys",
		    json_object_get(body, "detachKeys"));
	if (attach_detach_keys(json_str(body, "DetachKeys", NULL),
	    &(struct attach_opts){ 0 }, &err) < 0) {
		json_decref(body);
		return api_error_from(req, &err);
	}
	if (c->st.status == RT_PAUSED || !ctr_running(c)) {
		json_decref(body);
		return api_error(req, 409, c->st.status == RT_PAUSED ?
		    "Container %s is paused, unpause the container before exec" :
		    "Container %s is not running", c->id);
	}
	exec_sweep(cs, c);
	e = xcalloc(1, sizeof *e);
	docker_id_make(e->id);
	e->c = c;
	e->config = body;
	e->fd = -1;
	e->next = cs->execs;
	cs->execs = e;
	heads_exec_created(cs->d, e->id, c->id, e->config);
	exec_event(e, "exec_create", json_object());
	return api_json(req, 201, json_pack("{s:s}", "Id", e->id));
}

static const char **
exec_strv(const json_t *a)
{
	const char **v = xcalloc(json_array_size(a) + 1, sizeof *v);
	size_t i;

	for (i = 0; i < json_array_size(a); i++)
		v[i] = json_string_value(json_array_get(a, i)) ?: "";
	return v;
}

static void
exec_job_free(struct exec_job *j)
{
	if (j->e != NULL)
		j->e->job = NULL;
	free(j->argv);
	free(j->env);
	json_decref(j->config);
	node_target_clear(&j->t);
	free(j);
}

static int
exec_job_fn(void *arg, sdc_error_t *err)
{
	struct exec_job *j = arg;

	if (j->t.address != NULL)       /* relayed from the node */
		return node_exec_start(&j->t, &j->cs->rt, j->uuid, j->id, &j->p,
		    &j->s, err);
	return rt_exec_start(&j->cs->rt, j->uuid, j->id, &j->p, &j->o, &j->s,
	    err);
}

/* The exec runs: watched (detached) or the client's stream (attached). */
static void
exec_running(struct exec_job *j, struct http_request *req)
{
	struct exec_inst *e = j->e;
	struct attach_opts o = { .stdin_once = true };
	struct bufferevent *bev;

	e->running = true;
	e->pid = j->s.pid;
	exec_event(e, "exec_start", json_object());
	if (j->detach || req == NULL) {
		e->fd = j->s.attach_fd;
		fcntl(e->fd, F_SETFL, fcntl(e->fd, F_GETFL) | O_NONBLOCK);
		rt_attach_send(e->fd, RT_FRAME_MUTE, NULL, 0, NULL);
		e->ev = event_new(j->cs->d->base, e->fd, EV_READ | EV_PERSIST,
		    exec_watch_cb, e);
		event_add(e->ev, NULL);
		if (req != NULL)
			http_reply(req, 200, NULL, NULL, 0);
		return;
	}
	o.hold = limits_keep(req);
	if ((bev = http_hijack(req, "application/vnd.docker.raw-stream")) == NULL) {
		limits_release(o.hold);
		close(j->s.attach_fd);
		return;
	}
	o.in = json_bool(e->config, "AttachStdin", false);
	o.out = json_bool(e->config, "AttachStdout", true);
	o.err = json_bool(e->config, "AttachStderr", true);
	o.raw = j->raw;
	/* checked at create */
	attach_detach_keys(json_str(e->config, "DetachKeys", NULL), &o, NULL);
	o.on_detach = exec_detached;
	attach_open(e->c, bev, j->s.attach_fd, &o, exec_exited, e);
}

static void
exec_job_done(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	struct exec_job *j = arg;

	if (j->e == NULL) {
		/* its container went meanwhile */
		if (rc == 0 && j->s.attach_fd >= 0)
			close(j->s.attach_fd);
		if (req != NULL)
			api_error(req, 409, "the container of exec %s was removed "
			    "while it started", j->id);
	} else if (rc < 0) {
		j->e->started = false;
		ctr_rt_error(j->cs, j->e->c, err);
		if ((*err)->code == 0 && ((*err)->errnum == ETIMEDOUT ||
		    strstr((*err)->msg, "did not answer within") != NULL))
			(*err)->code = 504;
		if (req != NULL)
			api_error_from(req, err);
	} else
		exec_running(j, req);
	exec_job_free(j);
}

int
exec_start(struct http_request *req, void *arg)
{
	struct containers *cs = ctrs(arg);
	struct exec_inst *e = exec_find(cs, req);
	sdc_error_t err = NULL;
	struct node_target t;
	struct exec_job *j;
	json_t *body;
	bool tty;

	if (e == NULL)
		return HTTP_DONE;
	/* where it runs, before anything is marked: a node not heard from
	 * answers 503 with the exec as it was */
	if (node_target_get(cs->d, json_str(e->c->extra, "Node", NULL), &t,
	    &err) < 0)
		return api_error_from(req, &err);
	if (t.address != NULL && node_attach_ready(cs->d, &err) < 0) {
		node_target_clear(&t);
		return api_error_from(req, &err);
	}
	if (!e->started && !heads_exec_start(cs->d, e->id))
		e->started = e->foreign = true;	/* through another head */
	if (e->started) {
		node_target_clear(&t);
		return api_error(req, 409, "Error: Exec command %s is already "
		    "running", e->id);
	}
	if ((body = http_body_json(req, &err)) == NULL) {
		node_target_clear(&t);
		return api_error_from(req, &err);
	}
	if (!ctr_running(e->c)) {
		node_target_clear(&t);
		json_decref(body);
		return api_error(req, 409, "Container %s is not running", e->c->id);
	}
	j = xcalloc(1, sizeof *j);
	j->t = t;
	j->detach = json_bool(body, "Detach", false);
	/* As dockerd: the process has a TTY when the exec was created with
	 * one; the start's Tty only says how the stream is framed. */
	tty = json_bool(e->config, "Tty", false);
	j->raw = json_bool(body, "Tty", tty);
	json_decref(body);
	j->e = e;
	j->cs = cs;
	snprintf(j->uuid, sizeof j->uuid, "%s", e->c->uuid);
	snprintf(j->id, sizeof j->id, "%s", e->id);
	j->config = json_incref(e->config);
	j->argv = exec_strv(json_object_get(j->config, "Cmd"));
	j->env = exec_strv(json_object_get(j->config, "Env"));
	j->p.argv = j->argv;
	j->p.env = j->env;
	j->p.cwd = json_str(j->config, "WorkingDir", NULL);
	if (j->p.cwd != NULL && *j->p.cwd == '\0')
		j->p.cwd = NULL;
	j->p.user = json_str(j->config, "User", NULL);
	j->p.tty = tty;
	j->p.open_stdin = !j->detach && json_bool(j->config, "AttachStdin",
	    false);
	j->o.no_log = true;
	j->o.attach = true;
	if (rtcall_start(cs->d->base, req, "exec start", exec_job_fn,
	    exec_job_done, j, &err) < 0) {
		exec_job_free(j);
		return api_error_from(req, &err);
	}
	e->job = j;
	e->started = true;
	return HTTP_ASYNC;
}

static int
exec_inspect_reply(struct http_request *req, struct exec_inst *e)
{
	json_t *cmd, *j;

	cmd = json_deep_copy(json_object_get(e->config, "Cmd"));
	j = json_pack("{s:s,s:b,s:n,s:{s:b,s:O,s:o,s:b,s:s},s:b,s:b,s:b,"
	    "s:b,s:s,s:s,s:i}", "ID", e->id, "Running", e->running, "ExitCode",
	    "ProcessConfig", "tty", json_bool(e->config, "Tty", false),
	    "entrypoint", json_array_get(cmd, 0), "arguments", json_array(),
	    "privileged", false, "user", json_str(e->config, "User", ""),
	    "OpenStdin", json_bool(e->config, "AttachStdin", false),
	    "OpenStderr", json_bool(e->config, "AttachStderr", false),
	    "OpenStdout", json_bool(e->config, "AttachStdout", false),
	    "CanRemove", false, "ContainerID", e->c->id, "DetachKeys",
	    json_str(e->config, "DetachKeys", ""),
	    "Pid", e->running ? (int)e->pid : 0);
	json_array_remove(cmd, 0);
	json_object_set_new(json_object_get(j, "ProcessConfig"), "arguments", cmd);
	if (e->started && !e->running)
		json_object_set_new(j, "ExitCode", json_integer(e->exit_code));
	return api_json(req, 200, j);
}

/* The state of an exec another head started on a node, asked of the
 * node's agent off the loop. */
struct exec_state_job {
	struct containers *cs;
	char uuid[37];
	char id[65];
	char *account;
	struct node_target t;
	struct rt_state st;
};

static int
exec_state_fn(void *arg, sdc_error_t *err)
{
	struct exec_state_job *j = arg;

	return node_rt_exec_state(&j->t, &j->cs->rt, j->uuid, j->id, &j->st,
	    err);
}

static void
exec_state_done(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	struct exec_state_job *j = arg;
	struct exec_inst *e;

	for (e = j->cs->execs; e != NULL; e = e->next)
		if (strcmp(e->id, j->id) == 0 &&
		    strcmp(e->c->account, j->account) == 0)
			break;
	if (rc == 0 && e != NULL)
		exec_state_set(e, &j->st);
	else if (rc < 0 && e != NULL && (*err)->code != 404)
		log_info("exec %.12s: its state from node %s: %s", j->id,
		    j->t.hostname, sdc_error_msg(*err));
	if (req != NULL) {
		if (e == NULL)
			api_error(req, 404, "No such exec instance: %s", j->id);
		else if (rc < 0 && (*err)->code == 503)
			api_error_from(req, err);
		else
			exec_inspect_reply(req, e);
	}
	node_target_clear(&j->t);
	free(j->account);
	free(j);
}

int
exec_inspect(struct http_request *req, void *arg)
{
	struct containers *cs = ctrs(arg);
	struct exec_inst *e = exec_find(cs, req);
	struct exec_state_job *j;
	sdc_error_t err = NULL;
	struct node_target t;

	if (e == NULL)
		return HTTP_DONE;
	exec_foreign_state(cs, e);
	if (!e->foreign || json_str(e->c->extra, "Node", NULL) == NULL)
		return exec_inspect_reply(req, e);
	if (node_target_get(cs->d, json_str(e->c->extra, "Node", NULL), &t,
	    &err) < 0)
		return api_error_from(req, &err);
	j = xcalloc(1, sizeof *j);
	j->cs = cs;
	j->t = t;
	snprintf(j->uuid, sizeof j->uuid, "%s", e->c->uuid);
	snprintf(j->id, sizeof j->id, "%s", e->id);
	j->account = xstrdup(e->c->account);
	if (rtcall_start(cs->d->base, req, "exec inspect", exec_state_fn,
	    exec_state_done, j, &err) < 0) {
		node_target_clear(&j->t);
		free(j->account);
		free(j);
		return api_error_from(req, &err);
	}
	return HTTP_ASYNC;
}

int
exec_resize(struct http_request *req, void *arg)
{
	struct containers *cs = ctrs(arg);
	struct exec_inst *e = exec_find(cs, req);
	const char *h = http_query(req, "h"), *w = http_query(req, "w");
	struct node_resize_job *j;
	struct node_target t;
	sdc_error_t err = NULL;
	int fd;

	if (e == NULL)
		return HTTP_DONE;
	if (!e->running)
		return api_error(req, 409, "Exec %s is not running", e->id);
	if (node_target_get(cs->d, json_str(e->c->extra, "Node", NULL), &t,
	    &err) < 0)
		return api_error_from(req, &err);
	if (t.address != NULL && h != NULL && w != NULL) {
		j = node_resize_job(&t, e->c->uuid, e->id, h, w);
		if (rtcall_start(cs->d->base, req, "exec resize",
		    node_resize_run, node_resize_done, j, &err) < 0) {
			node_resize_job_free(j);
			return api_error_from(req, &err);
		}
		return HTTP_ASYNC;
	}
	node_target_clear(&t);
	if ((fd = rt_attach_open(&cs->rt, e->c->uuid, e->id, &err)) < 0)
		return api_error_from(req, &err);
	rt_attach_send(fd, RT_FRAME_MUTE, NULL, 0, NULL);
	if (h != NULL && w != NULL)
		rt_attach_resize(fd, (unsigned)atoi(h), (unsigned)atoi(w), NULL);
	close(fd);
	return http_reply(req, 200, NULL, NULL, 0);
}

void
exec_forget(struct containers *cs, const struct ctr *c)
{
	struct exec_inst **p = &cs->execs, *e;

	while ((e = *p) != NULL) {
		if (e->c == c) {
			*p = e->next;
			exec_free(e);
		} else
			p = &e->next;
	}
}

void
exec_free_all(struct containers *cs)
{
	struct exec_inst *e;

	while ((e = cs->execs) != NULL) {
		cs->execs = e->next;
		exec_free(e);
	}
}

const struct api_endpoint exec_routes[] = {
	{ { "POST", "/containers/:id/exec", exec_create, 0, NULL }, 0 },
	{ { "POST", "/exec/:id/start", exec_start, API_LONG, NULL }, 0 },
	{ { "POST", "/exec/:id/resize", exec_resize, 0, NULL }, 0 },
	{ { "GET", "/exec/:id/json", exec_inspect, 0, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
