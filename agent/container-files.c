/*
 * container-files.c: what a head asks of a container's files and
 * processes on the node that holds it, answered from the node's zones
 * root in the shape the Docker client reads, so the head only relays:
 *
 *   GET /v1/containers/:uuid/export   -> 200 application/x-tar, the whole
 *                                        root filesystem (docker export)
 *   GET /v1/containers/:uuid/layer    -> 200 application/x-tar, the
 *                                        writable layer as an image layer
 *                                        (a build's RUN committed)
 *   GET /v1/containers/:uuid/changes  -> 200 [{"Path", "Kind"}] (docker
 *                                        diff)
 *   GET /v1/containers/:uuid/top?ps_args=A -> 200 {"Titles", "Processes"}
 *   GET /v1/containers/:uuid/size     -> 200 {"SizeRw"} (ps -s, inspect
 *                                        --size)
 *
 * Each is one call of the runtime library, which walks the container's
 * tree without following the tenant's symlinks (tree-tar.c, changes.c),
 * reads its processes through their /proc folders (top.c) and measures
 * its writable layer (rt_size_rw).  All of them block for as long as the
 * tree is large, so none runs on the agent's loop: the export's tar is
 * written on a thread of its own into a pipe the loop copies at the
 * head's pace (lib/thread-stream.c); the others run on an rtcall thread
 * and are answered as one JSON document.  The uuid is checked for its
 * shape before any path is made of it; a container the node does not
 * hold is 404, top of one that does not run 409, and the runtime's
 * messages go out without the node's paths (rt_error_text).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "dockerapi/runtime/runtime.h"
#include "http.h"
#include "ids.h"
#include "log.h"
#include "rtcall.h"
#include "thread-stream.h"
#include "xalloc.h"

/* The container the path names, or an answer already given. */
static const char *
cfiles_container(struct http_request *req, struct agent *a,
    struct rt_state *st)
{
	const char *uuid = http_param(req, "uuid");

	if (uuid == NULL || !uuid_valid(uuid)) {
		agent_error(req, 400, "a container's uuid, please");
		return NULL;
	}
	if (rt_state_read(&a->rt, uuid, st, NULL) < 0) {
		agent_error(req, 404, "No such container on this node");
		return NULL;
	}
	return uuid;
}

/* --- export: a tar on a thread, streamed --- */

struct cexport {
	const struct rt_config *rt;
	char uuid[37];
	bool layer;			/* the writable layer only */
};

static int
cexport_run(void *arg, thread_stream_write_fn *write, void *warg,
    sdc_error_t *err)
{
	struct cexport *x = arg;

	if (x->layer)
		return rt_layer_tar(x->rt, x->uuid, write, warg, err);
	return rt_export_tar(x->rt, x->uuid, write, warg, err);
}

static void
cexport_done(void *arg)
{
	free(arg);
}

static int
cfiles_tar(struct http_request *req, struct agent *a, bool layer)
{
	struct rt_state st;
	const char *uuid = cfiles_container(req, a, &st);
	const char *what = layer ? "layer" : "export";
	struct cexport *x;
	sdc_error_t err = NULL;
	int rc;

	if (uuid == NULL)
		return HTTP_DONE;
	x = xcalloc(1, sizeof *x);
	x->rt = &a->rt;
	x->layer = layer;
	snprintf(x->uuid, sizeof x->uuid, "%s", uuid);
	if (thread_stream_start(req, a->base, layer ? "container layer" :
	    "container export", "application/x-tar", cexport_run, cexport_done,
	    x, &err) < 0) {
		free(x);
		rc = agent_error(req, 500, sdc_error_msg(err));
		sdc_error_release(&err);
		return rc;
	}
	log_info("container %s: %s", uuid, what);
	return HTTP_ASYNC;
}

static int
cfiles_export(struct http_request *req, void *arg)
{
	return cfiles_tar(req, arg, false);
}

static int
cfiles_layer(struct http_request *req, void *arg)
{
	return cfiles_tar(req, arg, true);
}

/* --- changes, top, size: one JSON answer from an rtcall thread --- */

enum cjob_kind { CJOB_CHANGES, CJOB_TOP, CJOB_SIZE };

static const char *const cjob_names[] = { "changes", "top", "size" };

struct cjob {
	struct agent *a;
	enum cjob_kind kind;
	char uuid[37];
	char *ps_args;
	json_t *out;
	int64_t size;
};

static int
cjob_fn(void *arg, sdc_error_t *err)
{
	struct cjob *j = arg;
	const struct rt_config *rt = &j->a->rt;

	switch (j->kind) {
	case CJOB_CHANGES:
		return rt_changes(rt, j->uuid, &j->out, err);
	case CJOB_TOP:
		return rt_top(rt, j->uuid, j->ps_args, &j->out, err);
	case CJOB_SIZE:
		return rt_size_rw(rt, j->uuid, &j->size, err);
	}
	return -1;
}

static void
cjob_done(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	struct cjob *j = arg;
	char *text;

	if (req != NULL && rc < 0) {
		text = rt_error_text(&j->a->rt, j->uuid, sdc_error_msg(*err));
		log_info("container %s: %s: %s", j->uuid, cjob_names[j->kind],
		    text);
		agent_error(req, (*err)->code >= 400 && (*err)->code < 500 ?
		    (*err)->code : 500, text);
		free(text);
	} else if (req != NULL && j->kind == CJOB_SIZE)
		http_reply_json(req, 200, json_pack("{s:I}", "SizeRw",
		    (json_int_t)j->size));
	else if (req != NULL) {
		http_reply_json(req, 200, j->out);
		j->out = NULL;
	}
	json_decref(j->out);
	free(j->ps_args);
	free(j);
}

static int
cjob_start(struct http_request *req, struct agent *a, enum cjob_kind kind,
    const char *uuid, const char *ps_args)
{
	struct cjob *j = xcalloc(1, sizeof *j);
	sdc_error_t err = NULL;
	int rc;

	j->a = a;
	j->kind = kind;
	snprintf(j->uuid, sizeof j->uuid, "%s", uuid);
	j->ps_args = ps_args != NULL ? xstrdup(ps_args) : NULL;
	if (rtcall_start(a->base, req, cjob_names[kind], cjob_fn, cjob_done, j,
	    &err) < 0) {
		free(j->ps_args);
		free(j);
		rc = agent_error(req, 500, sdc_error_msg(err));
		sdc_error_release(&err);
		return rc;
	}
	log_info("container %s: %s", uuid, cjob_names[kind]);
	return HTTP_ASYNC;
}

static int
cfiles_changes(struct http_request *req, void *arg)
{
	struct rt_state st;
	const char *uuid = cfiles_container(req, arg, &st);

	return uuid == NULL ? HTTP_DONE : cjob_start(req, arg, CJOB_CHANGES,
	    uuid, NULL);
}

static int
cfiles_top(struct http_request *req, void *arg)
{
	struct rt_state st;
	const char *uuid = cfiles_container(req, arg, &st);

	if (uuid == NULL)
		return HTTP_DONE;
	if (st.status != RT_RUNNING && st.status != RT_PAUSED)
		return agent_error(req, 409, "the container is not running");
	return cjob_start(req, arg, CJOB_TOP, uuid, http_query(req, "ps_args"));
}

static int
cfiles_size(struct http_request *req, void *arg)
{
	struct rt_state st;
	const char *uuid = cfiles_container(req, arg, &st);

	return uuid == NULL ? HTTP_DONE : cjob_start(req, arg, CJOB_SIZE,
	    uuid, NULL);
}

const struct route agent_files_routes[] = {
	{ "GET", "/v1/containers/:uuid/export", cfiles_export, 0, NULL },
	{ "GET", "/v1/containers/:uuid/layer", cfiles_layer, 0, NULL },
	{ "GET", "/v1/containers/:uuid/changes", cfiles_changes, 0, NULL },
	{ "GET", "/v1/containers/:uuid/top", cfiles_top, 0, NULL },
	{ "GET", "/v1/containers/:uuid/size", cfiles_size, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};
