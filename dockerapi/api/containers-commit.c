/*
 * containers-commit.c: POST /commit, `docker commit`.
 *
 * The runtime writes the container's writable layer as a layer tar
 * (tree-tar.c: whiteouts as .wh. files, owners as the container sees
 * them) and the image library stores it on the container's image as a
 * new image of the account (images/commit.c: a layer proved by the
 * account's own bytes, counted in its image quota), through the image
 * jobs' machinery (imgjob.c) that answers once the job is done.
 *
 * With pause (Docker's default) a running container is frozen by the
 * job's worker before it reads the layer and thawed as soon as the layer
 * is read, so the tar is one moment of the container and the freeze
 * lasts only the read; `runc pause` and `resume` run on the worker, off
 * the loop thread, like every runtime call.  Another account's container is not found, like an unknown one.
 *
 * A container on a node (behind its agent) is read from there as a
 * build's RUN step is: the freeze and the thaw are the agent's pause and
 * unpause, the layer its GET /v1/containers/UUID/layer, all on the job's
 * worker (node-calls.c), so a slow or hung agent holds this commit only.
 * Where they go is settled on the loop before the job starts: a node not
 * heard from answers "node unavailable" at once, nothing frozen.
 */
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "images-api.h"
#include "jsonutil.h"
#include "log.h"
#include "node-calls.h"
#include "node-states.h"
#include "xalloc.h"

/* What the worker needs of the container; freed by commit_layer. */
struct commit_src {
	struct rt_config rt;
	char uuid[37];
	struct node_target t;		/* its node, or here */
	bool pause;			/* freeze for the read */
	bool resume;			/* thaw once the layer is read */
};

static void
commit_src_free(struct commit_src *s)
{
	if (s == NULL)
		return;
	node_target_clear(&s->t);
	free(s);
}

static void
commit_thaw(struct commit_src *s)
{
	sdc_error_t err = NULL;

	if (s->resume &&
	    node_rt_pause(&s->t, &s->rt, s->uuid, false, &err) < 0) {
		log_emit(LOG_WARN, NULL, NULL, "commit: thawing container %s: %s",
		    s->uuid, sdc_error_msg(err));
		sdc_error_release(&err);
	}
}

static int
commit_layer(void *arg, int (*write)(void *, const void *, size_t),
    void *warg, sdc_error_t *err)
{
	struct commit_src *s = arg;
	int rc;

	if (s->pause) {
		if (node_rt_pause(&s->t, &s->rt, s->uuid, true, err) < 0) {
			/* host paths out, as ctr_rt_error does on the loop */
			char *text = rt_error_text(&s->rt, s->uuid, (*err)->msg);

			free((*err)->msg);
			(*err)->msg = text;
			commit_src_free(s);
			return -1;
		}
		s->resume = true;
	}
	rc = node_rt_layer_tar(&s->t, &s->rt, s->uuid, write, warg, err);
	commit_thaw(s);
	commit_src_free(s);
	return rc;
}

static void
commit_event(void *arg, const struct images_event *ev)
{
	if (ev->kind == IMAGES_EV_IMPORTED && ev->text != NULL)
		imgjob_answer_with(arg, json_pack("{s:s}", "Id", ev->text));
}

/* The container's Config, with what the body's config sets over it. */
static json_t *
commit_config(struct http_request *req, const struct ctr *c, sdc_error_t *err)
{
	json_t *config = json_deep_copy(c->config), *body;
	const char *k;
	json_t *v;

	/* docker-py sends "null" for no config */
	if (req->body.len == 4 && memcmp(req->body.data, "null", 4) == 0)
		return config;
	body = http_body_json(req, err);
	if (body == NULL) {
		json_decref(config);
		return NULL;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		json_decref(config);
		sdc_make_error_code(err, 400, "the body must be a container "
		    "config object");
		return NULL;
	}
	json_object_foreach(body, k, v)
		if (!json_is_null(v))
			json_object_set(config, k, v);
	json_decref(body);
	return config;
}

/* "Path Args...", as Docker's history shows a commit. */
static char *
commit_created_by(const struct ctr *c)
{
	struct buf b = BUF_INIT;
	const char *p = json_string_value(json_object_get(c->extra, "Path"));
	json_t *v;
	size_t i;

	buf_puts(&b, p != NULL ? p : "");
	json_array_foreach(json_object_get(c->extra, "Args"), i, v) {
		buf_putc(&b, ' ');
		buf_puts(&b, json_string_value(v) ? json_string_value(v) : "");
	}
	return buf_detach(&b, NULL);
}

int
ctr_commit(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	const char *ref = http_query(req, "container");
	const char *repo = http_query(req, "repo"), *tag = http_query(req, "tag");
	struct images_commit_opts o = { 0 };
	struct images_job *job;
	struct commit_src *src;
	sdc_error_t err = NULL;
	struct imgjob *j;
	struct ctr *c;
	json_t *config;
	char *target = NULL, *created_by;
	const char **changes;
	int rc;

	if (ref == NULL || *ref == '\0')
		return api_error(req, 400, "No container specified");
	if ((c = ctr_find(ctrs(d), ctr_account(req), ref, &err)) == NULL)
		return api_error_from(req, &err);
	if (c->removing)
		return api_error(req, 409, "You cannot commit container %s "
		    "which is being removed", c->id);
	if (node_states_unknown(c))
		return ctr_node_unavailable(req, c);
	if ((tag != NULL && *tag != '\0') && (repo == NULL || *repo == '\0'))
		return api_error(req, 400, "invalid reference format: a tag "
		    "needs a repository");
	if ((config = commit_config(req, c, &err)) == NULL)
		return api_error_from(req, &err);
	if (repo != NULL && *repo != '\0')
		xasprintf(&target, "%s%s%s", repo, tag && *tag ? ":" : "",
		    tag && *tag ? tag : "");
	src = xcalloc(1, sizeof *src);
	src->rt = ctrs(d)->rt;
	memcpy(src->uuid, c->uuid, sizeof src->uuid);
	if (node_target_get(d, json_str(c->extra, "Node", NULL), &src->t,
	    &err) < 0) {
		commit_src_free(src);
		free(target);
		json_decref(config);
		return api_error_from(req, &err);
	}
	changes = images_api_changes(req);
	created_by = commit_created_by(c);
	o.parent = c->image_id;
	o.config = config;
	o.container_config = c->config;
	o.container_id = c->id;
	o.changes = changes;
	o.repo = target;
	o.comment = http_query(req, "comment");
	o.author = http_query(req, "author");
	o.created_by = created_by;
	o.layer = commit_layer;
	o.layer_arg = src;
	/* frozen for the read, unless the user paused it (it stays so) */
	src->pause = http_query_bool(req, "pause", true) &&
	    c->st.status == RT_RUNNING && ctr_running(c);
	j = imgjob_new(d, req, 0, NULL);
	rc = images_commit_start(d->images, ctr_account(req), &o, commit_event, j,
	    &job, &err);
	if (rc < 0) {
		commit_thaw(src);
		rc = imgjob_refuse(j, &err);
	} else {
		src = NULL;			/* the worker's now */
		rc = imgjob_run(j, job);
	}
	commit_src_free(src);
	free(target);
	free(created_by);
	free(changes);
	json_decref(config);
	return rc;
}

const struct api_endpoint containers_commit_routes[] = {
	{ { "POST", "/commit", ctr_commit, 0, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
