/*
 * build-run.c: RUN of docker build.  The step is a container of the
 * building account made as POST /containers/create makes one (its
 * package, user namespace, seccomp and network), so a RUN is confined as
 * any container of the tenant; its output and exit reach the build
 * through the container watcher's run hooks, so the loop never waits.
 * Once it exits 0 its changes are committed as the step's image and the
 * container goes (kept only with rm=0 and no forcerm, as Docker does).
 *
 * It takes the path of any container of the tenant, on whichever node
 * placement gives it: its create (the quota's claim, the node's agent
 * making it, the layers sent when the node lacks them), its start (the
 * node's agent starting it, its output relayed from the first byte, so
 * the relayed stream is its watcher: node-attach.c) and its removal all
 * run off the loop (ctr_create_for, ctr_start_async, ctr_remove_async),
 * and its writable layer is read for the commit from the node that
 * holds it (the agent's GET /v1/containers/UUID/layer, on the commit
 * job's worker: node_rt_layer_tar).  A slow or hung runtime or agent
 * holds the build, never the other tenants.  The build waits for the
 * container's removal before its next step and before its answer ends,
 * as Docker's builder does (build_run_remove).  A build that ends while
 * the create, the start or the removal is under way lets go of it
 * (build_run_forget) and the container goes once it has answered.
 */
#include <stdlib.h>
#include <string.h>

#include "build-int.h"
#include "containers.h"
#include "jsonutil.h"
#include "log.h"
#include "node-calls.h"
#include "xalloc.h"

/* ---- RUN ---- */

/* A RUN container's removal the build waits for; b NULL once the build
 * is freed meanwhile (its client went), so that the answer touches
 * nothing of it. */
struct build_run_rm {
	struct build *b;
	char id[13];
};

static void
build_run_removed(void *arg, int rc, int64_t size, sdc_error_t *err)
{
	struct build_run_rm *o = arg;
	struct build *b = o->b;
	void (*then)(struct build *);

	(void)size;
	if (rc < 0) {
		log_warn("build: removing intermediate container %s: %s", o->id,
		    sdc_error_msg(*err));
		if (b != NULL)
			build_say(b, "Error removing intermediate container %s: "
			    "%s\n", o->id, sdc_error_msg(*err));
	}
	free(o);
	if (b == NULL)
		return;
	then = b->run_rm_then;
	b->run_rm = NULL;
	b->run_rm_then = NULL;
	if (then != NULL)
		then(b);
}

/* The RUN container goes, whatever happened; its hooks first, so its
 * removal does not call back.  With then, the build waits: then is
 * called on the loop once the container is gone or could not be removed
 * (said in the stream, and the build goes on, as Docker's does), perhaps
 * before this returns; Docker's builder removes the container before its
 * next step and before its answer ends, so a client listing containers
 * right after `docker build` sees none.  A removal already under way
 * calls then instead of what it was to call.  Without then (the build is
 * freed) the container goes on its own. */
void
build_run_remove(struct build *b, void (*then)(struct build *))
{
	struct containers *cs = ctrs(b->d);
	struct build_run_rm *o;
	sdc_error_t err = NULL;
	struct ctr *c = NULL;

	if (b->run_rm != NULL) {
		b->run_rm_then = then;
		return;
	}
	if (b->run_ev != NULL)		/* an exit told: moot now */
		event_del(b->run_ev);
	if (b->run_id[0] != '\0')
		c = ctr_find(cs, b->account, b->run_id, &err);
	sdc_error_release(&err);
	b->run_id[0] = '\0';
	if (c == NULL) {
		if (then != NULL)
			then(b);
		return;
	}
	c->run_out = NULL;
	c->run_end = NULL;
	if (then == NULL) {
		ctr_remove_async(cs, c, true, false, NULL, NULL);
		return;
	}
	build_say(b, "Removing intermediate container %.12s\n", c->id);
	o = xcalloc(1, sizeof *o);
	o->b = b;
	snprintf(o->id, sizeof o->id, "%.12s", c->id);
	b->run_rm = o;			/* before: it may answer at once */
	b->run_rm_then = then;
	ctr_remove_async(cs, c, true, false, build_run_removed, o);
}

/* rm=0: the step's container stays, an ordinary stopped container of
 * the account; the build lets go of it. */
void
build_run_keep(struct build *b)
{
	sdc_error_t err = NULL;
	struct ctr *c = ctr_find(ctrs(b->d), b->account, b->run_id, &err);

	if (c != NULL) {
		c->run_out = NULL;
		c->run_end = NULL;
	}
	sdc_error_release(&err);
	b->run_id[0] = '\0';
}

/* The container's output, into the build's stream as Docker sends it. */
static void
build_run_out(void *arg, int stream, const char *data, size_t len)
{
	struct build *b = arg;
	json_t *t = json_stringn(data, len);
	char *s;

	(void)stream;
	if (b->quiet)
		return;
	if (t != NULL) {
		s = xstrdup(json_string_value(t));
		json_decref(t);
	} else {		/* not UTF-8: the bytes that are not ASCII go */
		s = xstrndup(data, len);
		for (char *p = s; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
	}
	build_line(b, "stream", s);
	free(s);
}

/* Told by the watcher (exit or removal): go on off its call. */
static void
build_run_end(void *arg)
{
	struct build *b = arg;

	event_active(b->run_ev, EV_TIMEOUT, 1);
}

struct run_src {
	struct rt_config rt;
	char uuid[37];
	struct node_target t;		/* its node, or here */
};

static void
run_src_free(struct run_src *s)
{
	node_target_clear(&s->t);
	free(s);
}

/* The container's writable layer, on the commit job's worker: read
 * from its node's agent, or here. */
static int
build_run_layer(void *arg, int (*write)(void *, const void *, size_t),
    void *warg, sdc_error_t *err)
{
	struct run_src *s = arg;
	int rc = node_rt_layer_tar(&s->t, &s->rt, s->uuid, write, warg, err);

	run_src_free(s);
	return rc;
}

void
build_run_exited(evutil_socket_t fd, short what, void *arg)
{
	struct build *b = arg;
	struct containers *cs = ctrs(b->d);
	sdc_error_t err = NULL;
	struct run_src *src;
	struct ctr *c;

	(void)fd;
	(void)what;
	if ((c = ctr_find(cs, b->account, b->run_id, &err)) == NULL) {
		sdc_error_release(&err);
		b->run_id[0] = '\0';
		sdc_make_error_code(&err, 500, "The command '%s' could not finish: "
		    "its container was removed", b->run_cmd);
		build_finish(b, &err);
		return;
	}
	if (c->st.exit_code != 0) {
		sdc_make_error_code(&err, 500, "The command '%s' returned a "
		    "non-zero code: %d", b->run_cmd,
		    c->st.exit_code < 0 ? 255 : c->st.exit_code);
		build_finish(b, &err);	/* once the container is gone */
		return;
	}
	src = xcalloc(1, sizeof *src);
	src->rt = cs->rt;
	memcpy(src->uuid, c->uuid, sizeof src->uuid);
	if (node_target_get(b->d, json_str(c->extra, "Node", NULL), &src->t,
	    &err) < 0 ||
	    build_commit(b, b->run_cmd, build_run_layer, src, &err) < 0) {
		run_src_free(src);
		sdc_error_wrap(&err, "The command '%s': its changes", b->run_cmd);
		build_finish(b, &err);
	}
	/* build_on_job removes the container and goes on */
}

/* The environment of RUN: the image's Env, and the stage's ARGs under
 * it (an ENV of the same name wins, as in Docker). */
static json_t *
run_env(struct build *b)
{
	json_t *env = json_deep_copy(json_object_get(b->config, "Env"));
	json_t *cfg = json_pack("{s:o}", "Env", json_is_array(env) ? env :
	    json_array());
	const char *k;
	json_t *v;

	if (!json_is_array(env))
		json_decref(env);
	json_object_foreach(b->args, k, v) {
		size_t kl = strlen(k), i;
		json_t *e;
		bool set = false;
		json_array_foreach(json_object_get(cfg, "Env"), i, e) {
			const char *s = json_string_value(e);
			set = set || (s != NULL && strncmp(s, k, kl) == 0 && s[kl] == '=');
		}
		if (!set && json_is_string(v))
			build_env_set(cfg, k, json_string_value(v));
	}
	/* the predefined proxy args reach RUN without an ARG */
	for (size_t i = 0; build_proxy_args[i] != NULL; i++) {
		v = json_object_get(b->buildargs, build_proxy_args[i]);
		if (json_is_string(v) && !json_object_get(b->args, build_proxy_args[i])) {
			build_env_set(cfg, build_proxy_args[i], json_string_value(v));
			json_object_set_new(b->used_args, build_proxy_args[i], json_true());
		}
	}
	env = json_incref(json_object_get(cfg, "Env"));
	json_decref(cfg);
	return env;
}

/* A RUN's create or start while it is under way; b NULL once the build
 * is over. */
struct build_run_start {
	struct build *b;
	int line;
};

void
build_run_forget(struct build *b)
{
	if (b->run_starting != NULL)
		b->run_starting->b = NULL;
	b->run_starting = NULL;
	if (b->run_rm != NULL)
		b->run_rm->b = NULL;
	b->run_rm = NULL;
}

/* The runtime answered the start: on failure the build ends; else the
 * exit comes back through the watcher (build_run_end). */
static void
build_run_started(void *arg, int rc, sdc_error_t *err)
{
	struct build_run_start *s = arg;
	struct build *b = s->b;
	int line = s->line;

	free(s);
	if (b == NULL)
		return;
	b->run_starting = NULL;
	if (rc < 0) {
		sdc_error_wrap(err, "Dockerfile line %d: RUN", line);
		build_finish(b, err);	/* once its container is gone */
	}
}

/* The container is made (c), or could not be (err): its start, whose
 * exit comes back through the watcher (build_run_end). */
static void
build_run_created(void *arg, struct ctr *c, sdc_error_t *err)
{
	struct build_run_start *s = arg;
	struct build *b = s->b;
	sdc_error_t e2 = NULL;

	if (b == NULL) {		/* the build is over: it goes */
		if (c != NULL)
			ctr_remove_async(c->cs, c, true, false, NULL, NULL);
		sdc_error_release(err);
		free(s);
		return;
	}
	b->run_starting = NULL;
	if (c == NULL) {
		sdc_error_wrap(err, "Dockerfile line %d: RUN", s->line);
		free(s);
		build_finish(b, err);
		return;
	}
	snprintf(b->run_id, sizeof b->run_id, "%s", c->id);
	if (b->run_ev == NULL)
		b->run_ev = evtimer_new(b->d->base, build_run_exited, b);
	c->run_out = build_run_out;
	c->run_end = build_run_end;
	c->run_arg = b;
	build_say(b, " ---> Running in %.12s\n", c->id);
	if (ctr_start_async(c->cs, c, build_run_started, s, &e2) < 0) {
		sdc_error_wrap(&e2, "Dockerfile line %d: RUN", s->line);
		free(s);
		build_finish(b, &e2);
		return;
	}
	b->run_starting = s;
}

/* RUN: a container of the account made as docker create makes one (its
 * package, user namespace, seccomp, network, its node), started; its
 * exit comes back through the watcher (build_run_end), never waited for
 * here. */
int
step_run(struct build *b, const struct df_instr *in, sdc_error_t *err)
{
	struct containers *cs = ctrs(b->d);
	json_t *argv, *body, *hc, *v;
	struct buf cmd = BUF_INIT;
	struct build_run_start *s;
	struct ctr *c;
	size_t i;
	int rc;

	if (dockerfile_check_flags(in, NULL, err) < 0)
		return -1;
	if (b->image == NULL)
		return sdc_make_error_code(err, 400, "Dockerfile line %d: RUN on "
		    "an empty scratch image: there is nothing to run yet", in->line);
	argv = build_command_json(b, in, 0);
	json_array_foreach(argv, i, v)
		buf_printf(&cmd, "%s%s", i ? " " : "", json_string_value(v));
	free(b->run_cmd);
	b->run_cmd = buf_detach(&cmd, NULL);
	hc = json_object();
	if (b->netmode != NULL)
		json_object_set_new(hc, "NetworkMode", json_string(b->netmode));
	body = json_pack("{s:s,s:[],s:o,s:o,s:s,s:s,s:o}", "Image", b->image,
	    "Entrypoint", "Cmd", argv, "Env", run_env(b),
	    "WorkingDir", json_str(b->config, "WorkingDir", ""),
	    "User", json_str(b->config, "User", ""), "HostConfig", hc);
	s = xcalloc(1, sizeof *s);
	s->b = b;
	s->line = in->line;
	rc = ctr_create_for(cs, b->account, body, build_run_created, s, &c, err);
	json_decref(body);
	if (rc < 0) {
		free(s);
		return sdc_error_wrap(err, "Dockerfile line %d: RUN", in->line);
	}
	b->run_starting = s;
	if (rc == 0)			/* made here at once */
		build_run_created(s, c, NULL);
	return 0;
}
