/*
 * build-routes.c: POST /build, `docker build` through Docker's classic
 * builder API.
 *
 * The context tar arrives as the body and is written to a file under the
 * data dir while it comes, capped by the account's image quota (a tenant
 * cannot fill the disk with a context); once it is whole it is unpacked
 * on a worker (build-context.c) with libarchive's secure flags (no "..",
 * no write through a symlink) into a private folder.  The Dockerfile is parsed
 * (build/dockerfile.c) before the answer starts, so a malformed one is a
 * plain 400 naming its line.
 *
 * Then each instruction runs in turn on the loop thread, streaming
 * Docker's progress lines ({"stream":"Step 1/5 : FROM busybox\n"},
 * " ---> 3f2a...", "Successfully built", "Successfully tagged").  Every
 * step that changes the image is a commit job of the image library
 * (images/commit.c), as `docker commit` is: COPY and ADD write their
 * layer's tar from the context on the job's worker; ENV, CMD, LABEL and
 * the other config instructions commit the config alone (an empty_layer
 * history entry).  The images are the account's own, looked up and
 * stored through the account's image store only, so a build sees no
 * other account's images.  A failed build removes every image it made.
 *
 * RUN makes a container of the account the way POST /containers/create
 * does (the package's limits, the account's user namespace, seccomp, the
 * build's network), starts it and goes back to the loop: the container's
 * watcher feeds its output into the build's stream and tells its exit
 * (struct ctr's run hooks), then its writable layer is committed as the
 * step's image like POST /commit does, and the container is removed, also
 * when the build fails or its client leaves.  The next step, and the
 * answer's end, wait for that removal (on the loop, told by its
 * callback), as in Docker, where `docker ps -a` right after a build
 * never shows a step's container.
 *
 * The builder's parts: this file (the request, its options and the
 * loop over the instructions, ONBUILD triggers and the labels parameter
 * included), build-context.c (the context, unpacked on a worker),
 * build-copy.c (COPY, ADD), build-config.c (FROM, ARG and the
 * instructions that only change the config), build-run.c (RUN),
 * build-pull.c (pull=1), build-rootfs.c (an image's files, from its
 * layers), build-cache.c (the step cache); all share struct build
 * through build-int.h.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build-int.h"
#include "containers.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "log.h"
#include "xalloc.h"

/* Without an image quota, the context is still capped. */
#define BUILD_CONTEXT_MAX ((int64_t)1 << 30)

const char *const build_proxy_args[] = {
	"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
	"ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", NULL,
};

void
build_free(struct build *b)
{
	build_context_stop(b);
	if (b->ev != NULL)
		event_free(b->ev);
	images_job_free(b->job);
	build_run_forget(b);
	build_run_remove(b, NULL);	/* after the job: it read the layer */
	sdc_error_release(&b->end_err);
	if (b->run_ev != NULL)
		event_free(b->run_ev);
	free(b->run_cmd);
	free(b->netmode);
	free(b->cache_key);
	dockerfile_free(&b->trig);
	free(b->pull_name);
	free(b->registry_config);
	build_context_free(b);
	for (size_t i = 0; i < b->nstages; i++) {
		free(b->stages[i].name);
		free(b->stages[i].image);
	}
	free(b->stages);
	if (b->tarfd >= 0)
		close(b->tarfd);
	if (b->dir != NULL)
		build_context_remove(b->dir);	/* the thread frees it */
	free(b->ctx);
	for (size_t i = 0; i < b->ntags; i++)
		free(b->tags[i]);
	free(b->tags);
	json_decref(b->buildargs);
	json_decref(b->labels);
	json_decref(b->used_args);
	free(b->target);
	dockerfile_free(&b->df);
	dockerignore_free(&b->di);
	free(b->image);
	json_decref(b->config);
	json_decref(b->args);
	json_decref(b->meta_args);
	free(b->author);
	for (size_t i = 0; i < b->nmade; i++)
		free(b->made[i]);
	free(b->made);
	free(b);
}

void
build_line(struct build *b, const char *key, const char *text)
{
	struct buf out = BUF_INIT;
	json_t *j;

	if (b->req == NULL)
		return;
	if (!b->streaming) {
		http_stream_start(b->req, 200, "application/json");
		b->streaming = true;
	}
	j = json_pack("{s:s}", key, text);
	json_append(&out, j);
	buf_putc(&out, '\n');
	http_stream_write(b->req, out.data, out.len);
	buf_free(&out);
	json_decref(j);
}

void SDC_PRINTF(2, 3)
build_say(struct build *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (b->quiet)		/* -q: the image id alone, at the end */
		return;
	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	build_line(b, "stream", s);
	free(s);
}

static void
build_finish_removed(struct build *b)
{
	sdc_error_t err = b->end_err;

	b->end_err = NULL;
	build_finish(b, &err);
}

/* The build ends once its step's container is gone, as Docker's does:
 * nothing else runs meanwhile (a commit under way is stopped first, as
 * it reads the container's layer); the first end's error is kept. */
static void
build_finish_after_removal(struct build *b, sdc_error_t *err)
{
	if (b->end_err == NULL && err != NULL) {
		b->end_err = *err;
		*err = NULL;
	}
	sdc_error_release(err);
	if (b->ev != NULL)
		event_free(b->ev);
	b->ev = NULL;
	images_job_free(b->job);
	b->job = NULL;
	build_run_remove(b, build_finish_removed);
}

/* The build is over: once its step's container is gone, answer, and
 * free it.  A client that went is not waited for. */
void
build_finish(struct build *b, sdc_error_t *err)
{
	if (b->req != NULL && (b->run_id[0] != '\0' || b->run_rm != NULL)) {
		build_finish_after_removal(b, err);
		return;
	}
	if (err != NULL && *err != NULL) {
		/* Nothing of a failed build stays. */
		for (size_t i = b->nmade; i-- > 0;) {
			sdc_error_t e2 = NULL;
			json_t *out = NULL;
			if (images_remove(b->d->images, b->account, b->made[i], true,
			    false, NULL, NULL, &out, &e2) < 0)
				log_emit(LOG_WARN, NULL, NULL, "build: removing %s: %s",
				    b->made[i], sdc_error_msg(e2));
			sdc_error_release(&e2);
			json_decref(out);
		}
		if (b->req != NULL) {
			if (b->streaming) {
				json_t *e = images_error_json(sdc_error_msg(*err));
				struct buf out = BUF_INIT;
				json_append(&out, e);
				buf_putc(&out, '\n');
				http_stream_write(b->req, out.data, out.len);
				buf_free(&out);
				json_decref(e);
				http_stream_end(b->req);
				sdc_error_release(err);
			} else
				api_error_from(b->req, err);
		}
		sdc_error_release(err);
	} else if (b->req != NULL) {
		if (!b->streaming) {
			http_stream_start(b->req, 200, "application/json");
			b->streaming = true;
		}
		http_stream_end(b->req);
	}
	build_free(b);
}

/* ---- variables ---- */

static const char *
build_lookup(void *arg, const char *name)
{
	struct build *b = arg;
	size_t nl = strlen(name);
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(b->config, "Env"), i, v) {
		const char *s = json_string_value(v);
		if (s != NULL && strncmp(s, name, nl) == 0 && s[nl] == '=')
			return s + nl + 1;
	}
	if (json_is_string(json_object_get(b->args, name)))
		return json_string_value(json_object_get(b->args, name));
	return NULL;
}

int
build_expand(struct build *b, const char *word, char **out, sdc_error_t *err)
{
	return dockerfile_expand(word, b->df.escape, build_lookup, b, out, err);
}

void
build_env_set(json_t *config, const char *k, const char *v)
{
	json_t *env = json_object_get(config, "Env");
	size_t kl = strlen(k), i;
	json_t *e;
	char *kv;

	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(config, "Env", env);
	}
	xasprintf(&kv, "%s=%s", k, v);
	json_array_foreach(env, i, e) {
		const char *s = json_string_value(e);
		if (s != NULL && strncmp(s, k, kl) == 0 && s[kl] == '=') {
			json_array_set_new(env, i, json_string(kv));
			free(kv);
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
	free(kv);
}

/* ---- steps ---- */

static void build_next(struct build *b);

static void
build_on_event(void *arg, const struct images_event *ev)
{
	(void)arg;
	(void)ev;
}

/* The step's image is made and its container gone: the next step. */
static void
build_step_done(struct build *b)
{
	build_say(b, " ---> %.12s\n", b->image + 7);
	build_next(b);
}

void
build_on_job(evutil_socket_t fd, short what, void *arg)
{
	struct build *b = arg;
	sdc_error_t err = NULL;
	int r = images_job_dispatch(b->job, &err);

	(void)fd;
	(void)what;
	if (r == 0)
		return;
	event_free(b->ev);
	b->ev = NULL;
	if (b->pull_in != NULL) {	/* FROM's pull (pull=1) */
		images_job_free(b->job);
		b->job = NULL;
		build_pull_done(b, r, &err);
		return;
	}
	if (b->run_id[0] != '\0' && r > 0 && b->keep_run)
		build_run_keep(b);
	if (r < 0) {
		images_job_free(b->job);
		b->job = NULL;
		build_finish(b, &err);	/* once the step's container is gone */
		return;
	}
	free(b->image);
	b->image = xstrdup(images_job_image_id(b->job));
	images_job_free(b->job);
	b->job = NULL;
	b->made = xrealloc(b->made, (b->nmade + 1) * sizeof *b->made);
	b->made[b->nmade++] = xstrdup(b->image);
	build_cache_store(b);
	build_run_remove(b, build_step_done);	/* at once when none */
}

/* Commit the current config (and a layer, when layer is set). */
int
build_commit(struct build *b, const char *created_by, images_layer_fn *layer,
    void *layer_arg, sdc_error_t *err)
{
	struct images_commit_opts o = { 0 };

	o.parent = b->image;
	o.config = b->config;
	o.author = b->author;
	o.created_by = created_by;
	o.layer = layer;
	o.layer_arg = layer_arg;
	if (images_commit_start(b->d->images, b->account, &o, build_on_event, b,
	    &b->job, err) < 0)
		return -1;
	b->ev = event_new(b->d->base, images_job_fd(b->job), EV_READ | EV_PERSIST,
	    build_on_job, b);
	event_add(b->ev, NULL);
	return 0;
}

/* ---- the loop over the instructions ---- */

void
build_pull_done(struct build *b, int r, sdc_error_t *err)
{
	const struct df_instr *in = b->pull_in;

	b->pull_in = NULL;
	if (r < 0 || step_from_image(b, in, b->pull_name, err) < 0) {
		build_finish(b, err);
		return;
	}
	build_next(b);
}

/* The labels parameter: one step more after the last, as Docker adds
 * them to the last stage.  1: under way, 0: nothing to do, -1: failed. */
static int
build_labels(struct build *b, sdc_error_t *err)
{
	struct df_instr in = { 0 };
	struct buf text = BUF_INIT;
	const char *k;
	json_t *v, *l;
	int rc;

	b->labels_done = true;
	if (json_object_size(b->labels) == 0 || b->config == NULL)
		return 0;
	buf_puts(&text, "LABEL");
	json_object_foreach(b->labels, k, v)
		buf_printf(&text, " %s=%s", k, json_is_string(v) ?
		    json_string_value(v) : "");
	in.cmd = DF_LABEL;
	in.original = (char *)buf_str(&text);
	if (build_cache_hit(b, &in)) {
		buf_free(&text);
		return 0;
	}
	if (!json_is_object(json_object_get(b->config, "Labels")))
		json_object_set_new(b->config, "Labels", json_object());
	l = json_object_get(b->config, "Labels");
	json_object_foreach(b->labels, k, v)
		json_object_set_new(l, k, json_string(json_is_string(v) ?
		    json_string_value(v) : ""));
	char *by;
	xasprintf(&by, "/bin/sh -c #(nop)  %s", text.data);
	rc = build_commit(b, by, NULL, NULL, err);
	free(by);
	buf_free(&text);
	return rc < 0 ? -1 : 1;
}

static void
build_done(struct build *b)
{
	sdc_error_t err = NULL;
	const char *k;
	json_t *v;
	struct buf unused = BUF_INIT;

	json_object_foreach(b->buildargs, k, v)
		if (!json_object_get(b->used_args, k)) {
			bool proxy = false;
			for (size_t i = 0; build_proxy_args[i]; i++)
				proxy = proxy || strcmp(build_proxy_args[i], k) == 0;
			if (!proxy)
				buf_printf(&unused, "%s%s", unused.len ? " " : "", k);
		}
	if (unused.len)
		build_say(b, "[Warning] One or more build-args [%s] were not consumed\n",
		    unused.data);
	buf_free(&unused);
	if (!b->labels_done) {
		int r = build_labels(b, &err);
		if (r < 0) {
			build_finish(b, &err);
			return;
		}
		if (r > 0)
			return;		/* build_on_job comes back here */
	}
	if (b->image == NULL) {
		sdc_make_error_code(&err, 400, "No image was generated. Is your "
		    "Dockerfile empty?");
		build_finish(b, &err);
		return;
	}
	if (b->quiet) {
		char *line;
		xasprintf(&line, "%s\n", b->image);
		build_line(b, "stream", line);
		free(line);
	}
	build_say(b, "Successfully built %.12s\n", b->image + 7);
	for (size_t i = 0; i < b->ntags; i++) {
		if (images_tag(b->d->images, b->account, b->image, b->tags[i], &err) < 0) {
			build_finish(b, &err);
			return;
		}
		build_say(b, "Successfully tagged %s\n", b->tags[i]);
	}
	/* the image stays: nothing to undo now */
	b->nmade = 0;
	build_finish(b, NULL);
}

static void
build_next(struct build *b)
{
	sdc_error_t err = NULL;

	while (b->tpc < b->trig.ninstrs || b->pc < b->stage_end) {
		bool trigger = b->tpc < b->trig.ninstrs;
		const struct df_instr *in = trigger ? &b->trig.instrs[b->tpc++] :
		    &b->df.instrs[b->pc++];
		bool resumed = in == b->resume;
		int rc = 0;

		b->resume = NULL;

		if (b->image == NULL && b->config == NULL && in->cmd != DF_FROM &&
		    in->cmd != DF_ARG) {
			sdc_make_error_code(&err, 400, "Dockerfile line %d: no build "
			    "stage in current context", in->line);
			build_finish(b, &err);
			return;
		}
		if (!trigger && !resumed) {
			b->step++;
			build_say(b, "Step %zu/%zu : %s\n", b->step, b->nsteps,
			    in->original);
		}
		if ((in->cmd == DF_COPY || in->cmd == DF_ADD) && !b->unpacked) {
			/* from the cache if the list names its files; else
			 * it waits for them (build_context_written) */
			char inputs[65];
			if (!b->nocache && step_copy_inputs(b, in, inputs) != -2 &&
			    build_cache_hit(b, in))
				continue;
			if (trigger)
				b->tpc--;
			else
				b->pc--;
			b->resume = in;
			b->waiting = true;
			return;
		}
		if (in->cmd != DF_FROM && in->cmd != DF_ARG && build_cache_hit(b, in))
			continue;
		switch (in->cmd) {
		case DF_FROM:
			if ((rc = step_from(b, in, &err)) > 0)
				return;		/* build_pull_done goes on */
			break;
		case DF_ARG:
			if (b->config == NULL)
				rc = step_arg(b, in, b->meta_args, &err);
			else {
				rc = step_arg(b, in, b->args, &err);
				if (rc == 0) {
					build_say(b, " ---> %.12s\n", b->image ?
						    b->image + 7 : "scratch");
					continue;
				}
			}
			break;
		case DF_RUN:
			if ((rc = step_run(b, in, &err)) == 0)
				return;		/* build_run_exited goes on */
			break;
		case DF_COPY:
		case DF_ADD:
			if ((rc = step_copy(b, in, &err)) == 0)
				return;		/* build_on_job goes on */
			break;
		default:
			if ((rc = step_config(b, in, &err)) == 0)
				return;
			break;
		}
		if (rc < 0) {
			build_finish(b, &err);
			return;
		}
	}
	build_done(b);
}

/* ---- the request ---- */

static void
build_on_close(struct http_request *req, void *arg)
{
	struct build *b = arg;

	sdc_error_t err = NULL;

	(void)req;
	b->req = NULL;
	/* a job under way is cancelled by build_free; what was made goes */
	sdc_make_error(&err, 0, "the client went away");
	build_finish(b, &err);
}

/* The context is listed: parse the Dockerfile it holds. */
static int
build_begin(struct build *b, const struct build_context_list *l,
    sdc_error_t *err)
{
	if (l->ignore != NULL && dockerignore_parse(l->ignore->data ?
	    l->ignore->data : "", l->ignore->len, &b->di, err) < 0)
		return -1;
	if (l->dockerfile == NULL)
		return sdc_make_error_code(err, 400, "Cannot locate specified "
		    "Dockerfile: %s", b->dockerfile);
	if (dockerfile_parse(l->dockerfile->data ? l->dockerfile->data : "",
	    l->dockerfile->len, &b->df, err) < 0)
		return -1;
	if (b->df.syntax != NULL)
		log_emit(LOG_INFO, NULL, NULL, "build: # syntax=%s ignored by the "
		    "classic builder", b->df.syntax);
	/* --target: up to the end of that stage */
	b->stage_end = b->df.ninstrs;
	if (b->target != NULL) {
		bool found = false;
		for (size_t i = 0; i < b->df.ninstrs; i++) {
			const struct df_instr *in = &b->df.instrs[i];
			if (in->cmd != DF_FROM)
				continue;
			if (found) {
				b->stage_end = i;
				break;
			}
			if (in->nargs == 3 && strcasecmp(in->args[2], b->target) == 0)
				found = true;
		}
		if (!found)
			return sdc_make_error_code(err, 400, "failed to reach build "
			    "target %s in Dockerfile", b->target);
	}
	b->nsteps = b->stage_end;
	return 0;
}

static int
build_sink(struct http_request *req, const char *data, size_t len, void *arg)
{
	struct build *b = arg;
	sdc_error_t err = NULL;

	(void)req;
	if (len > 0) {
		if (b->over)
			return 0;
		if (b->got + (int64_t)len > b->cap) {
			b->over = true;
			return 0;
		}
		b->got += (int64_t)len;
		if (fd_write_all(b->tarfd, data, len) < 0) {
			b->over = true;		/* reported as a failure below */
			b->cap = b->got;
		}
		return 0;
	}
	if (b->req == NULL)
		return 0;
	if (b->over) {
		sdc_make_error_code(&err, 403, "quota exceeded: the build "
		    "context is larger than this account's image quota of %" PRId64
		    " bytes", b->cap);
		build_finish(b, &err);
		return 0;
	}
	char *clean = dockerignore_clean(b->dockerfile);
	if (clean[0] == '/' || strncmp(clean, "../", 3) == 0 || strcmp(clean, "..") == 0) {
		free(clean);
		sdc_make_error_code(&err, 400, "the Dockerfile (%s) must be "
		    "within the build context", b->dockerfile);
		build_finish(b, &err);
		return 0;
	}
	if (build_context_start(b, clean, &err) < 0)
		build_finish(b, &err);
	free(clean);
	return 0;
}

void
build_context_done(struct build *b, int rc, const struct build_context_list *l,
    sdc_error_t *err)
{
	if (rc < 0 || build_begin(b, l, err) < 0) {
		build_finish(b, err);
		return;
	}
	build_next(b);
}

void
build_context_written(struct build *b, int rc, sdc_error_t *err)
{
	if (rc < 0) {
		build_finish(b, err);
		return;
	}
	if (b->waiting) {
		b->waiting = false;
		build_next(b);
	}
}

/* The query's parameters: applied, refused, or harmless at their default. */
static int
build_options(struct build *b, struct http_request *req, sdc_error_t *err)
{
	static const char *const applied[] = { "t", "dockerfile", "buildargs",
	    "labels", "target", "nocache", "pull", "rm", "forcerm", "q",
	    "networkmode", "platform", "version", "session", NULL };
	static const char *const defaults[] = { "0", "", "null", "[]", "{}",
	    "false", "default", NULL };
	const char *v, *k2;
	json_t *x2;

	for (size_t i = 0; i < req->nquery; i++) {
		const char *k = req->query[i].name, *val = req->query[i].value;
		bool ok = false;
		for (size_t j = 0; applied[j] && !ok; j++)
			ok = strcmp(applied[j], k) == 0;
		for (size_t j = 0; defaults[j] && !ok; j++)
			ok = strcmp(defaults[j], val) == 0;
		if (!ok)
			return sdc_make_error_code(err, 400, "the build option %s=%s is "
			    "not supported by this builder", k, val);
	}
	if ((v = http_query(req, "version")) != NULL && *v && strcmp(v, "1") != 0)
		return sdc_make_error_code(err, 400, "BuildKit (DOCKER_BUILDKIT=1, "
		    "docker buildx) is not supported by this endpoint: build with "
		    "DOCKER_BUILDKIT=0, which uses the classic builder");
	if ((v = http_query(req, "remote")) != NULL && *v)
		return sdc_make_error_code(err, 400, "a remote build context (%s) "
		    "is not supported: send the context", v);
	if ((v = http_query(req, "platform")) != NULL && *v &&
	    strcmp(v, "linux/amd64") != 0 && strcmp(v, "linux") != 0)
		return sdc_make_error_code(err, 400, "platform %s: this builder "
		    "builds linux/amd64 only", v);
	if ((v = http_query(req, "networkmode")) != NULL && *v &&
	    strcmp(v, "default") != 0 && strcmp(v, "bridge") != 0 &&
	    strcmp(v, "none") != 0)
		return sdc_make_error_code(err, 400, "networkmode %s: a build's "
		    "network is the account's default one, or none", v);
	if (v != NULL && (strcmp(v, "none") == 0 || strcmp(v, "bridge") == 0))
		b->netmode = xstrdup(v);
	for (size_t i = 0; i < req->nquery; i++) {
		const char *k = req->query[i].name, *val = req->query[i].value;
		if (strcmp(k, "t") != 0 || *val == '\0')
			continue;
		struct image_ref ref;
		if (image_ref_parse(&ref, val, err) < 0)
			return sdc_error_wrap(err, "invalid tag %s", val);
		b->tags = xrealloc(b->tags, (b->ntags + 1) * sizeof *b->tags);
		b->tags[b->ntags++] = xstrdup(val);
	}
	b->dockerfile = http_query(req, "dockerfile");
	if (b->dockerfile == NULL || *b->dockerfile == '\0')
		b->dockerfile = "Dockerfile";
	b->buildargs = json_object();
	b->labels = json_object();
	for (int w = 0; w < 2; w++) {
		const char *name = w ? "labels" : "buildargs";
		json_t **dst = w ? &b->labels : &b->buildargs;
		v = http_query(req, name);
		if (v == NULL || *v == '\0' || strcmp(v, "null") == 0)
			continue;
		json_t *j = json_loads(v, 0, NULL);
		const char *k;
		json_t *x;
		if (!json_is_object(j)) {
			json_decref(j);
			return sdc_make_error_code(err, 400, "%s must be a JSON object "
			    "of strings", name);
		}
		json_object_foreach(j, k, x)
			if (!json_is_string(x) && !json_is_null(x)) {
				json_decref(j);
				return sdc_make_error_code(err, 400, "%s must be a JSON "
				    "object of strings", name);
			}
		json_decref(*dst);
		*dst = j;
	}
	json_object_foreach(b->labels, k2, x2)
		if (labels_reserved(b->d, k2))
			return sdc_make_error_code(err, 400, "labels: the label %s is "
			    "reserved", k2);
	v = http_query(req, "target");
	if (v != NULL && *v)
		b->target = xstrdup(v);
	b->quiet = http_query_bool(req, "q", false);
	b->nocache = http_query_bool(req, "nocache", false);
	/* A failed step's container always goes (forcerm's way), so a failed
	 * build leaves nothing; rm=0 keeps a successful step's, as Docker. */
	b->keep_run = !http_query_bool(req, "rm", true) &&
	    !http_query_bool(req, "forcerm", false);
	b->pull = http_query_bool(req, "pull", false);
	if ((v = http_header(req, "X-Registry-Config")) != NULL)
		b->registry_config = xstrdup(v);
	return 0;
}

static int
build_post(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct build *b = xcalloc(1, sizeof *b);
	sdc_error_t err = NULL;
	char *base, *tpl;
	int64_t quota;

	b->d = d;
	b->req = req;
	b->tarfd = -1;
	snprintf(b->account, sizeof b->account, "%s", api_account(req)->uuid);
	b->used_args = json_object();
	b->meta_args = json_object();
	if (build_options(b, req, &err) < 0)
		goto refuse;
	quota = quota_limit(d, b->account, QUOTA_IMAGE_BYTES);
	b->cap = quota > 0 ? quota : BUILD_CONTEXT_MAX;
	xasprintf(&base, "%s/build", d->cfg.data_dir);
	if (mkdir_p(base, 0700, &err) < 0) {
		free(base);
		goto refuse;
	}
	xasprintf(&tpl, "%s/XXXXXX", base);
	free(base);
	if (mkdtemp(tpl) == NULL) {
		sdc_make_error(&err, errno, "a folder for the build");
		free(tpl);
		goto refuse;
	}
	b->dir = tpl;
	xasprintf(&b->ctx, "%s/context", b->dir);
	xasprintf(&tpl, "%s/context.tar", b->dir);
	b->tarfd = open(tpl, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	free(tpl);
	if (b->tarfd < 0 || mkdir(b->ctx, 0700) < 0) {
		sdc_make_error(&err, errno, "the build context's file");
		goto refuse;
	}
	http_on_close(req, build_on_close, b);
	http_stream_body(req, build_sink, b);
	return HTTP_ASYNC;
refuse:
	build_free(b);
	return api_error_from(req, &err);
}

const struct api_endpoint build_routes[] = {
	{ { "POST", "/build", build_post, API_PROVISION | API_BODY_STREAM, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
