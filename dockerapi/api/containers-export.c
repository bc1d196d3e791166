/*
 * containers-export.c: GET /containers/:id/export, `docker export`.
 *
 * The container's whole file system as a tar, running or not: the
 * runtime walks the overlay's merged view (tree-tar.c, which never
 * follows the tenant's symlinks and gives owners as the container sees
 * them), on a thread of its own whose output is streamed to the client
 * (thread-stream.c).  Only the caller's own containers are found
 * (ctr_lookup), so another account's id is a 404 like an unknown one.
 * ctr_stream_files() is that thread for `docker diff` too.
 */
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "jsonutil.h"
#include "node-relay.h"
#include "thread-stream.h"
#include "xalloc.h"

struct files_job {
	struct rt_config rt;
	char uuid[37];
	ctr_files_fn *fn;
};

static int
files_run(void *arg, thread_stream_write_fn *write, void *warg,
    sdc_error_t *err)
{
	struct files_job *x = arg;

	return x->fn(&x->rt, x->uuid, write, warg, err);
}

static void
files_done(void *arg)
{
	free(arg);
}

int
ctr_stream_files(struct http_request *req, struct dockerapi *d,
    const struct ctr *c, const char *what, const char *content_type,
    ctr_files_fn *fn)
{
	sdc_error_t err = NULL;
	struct files_job *x = xcalloc(1, sizeof *x);

	x->rt = ctrs(d)->rt;
	memcpy(x->uuid, c->uuid, sizeof x->uuid);
	x->fn = fn;
	if (thread_stream_start(req, d->base, what, content_type, files_run,
	    files_done, x, &err) < 0) {
		free(x);
		return api_error_from(req, &err);
	}
	return HTTP_ASYNC;
}

int
ctr_export(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg);
	struct node_relay_opts o = { .first_byte_ms = 0 };
	int rc;

	if (c == NULL)
		return HTTP_DONE;
	if (c->removing)
		return api_error(req, 409, "You cannot export container %s "
		    "which is being removed", c->id);
	/* on a node behind an agent: the node's tar, relayed */
	if (node_relay_answer(arg, req, json_str(c->extra, "Node", NULL),
	    c->uuid, "export", NULL, &o, &rc))
		return rc;
	return ctr_stream_files(req, arg, c, "container export",
	    "application/x-tar", rt_export_tar);
}

const struct api_endpoint containers_export_routes[] = {
	{ { "GET", "/containers/:id/export", ctr_export, API_LONG, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
