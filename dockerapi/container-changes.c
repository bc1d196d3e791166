/*
 * container-changes.c: GET /containers/:id/changes, `docker diff`.
 *
 * The runtime reads the writable layer (changes.c: additions,
 * modifications, deletions as overlay's whiteouts record them); this
 * finds the caller's container and answers.  A container may have changed
 * very many files, so the walk runs on a thread of its own and its JSON
 * is streamed (thread-stream.c), never holding up the loop; a failure of
 * the walk (the container removed meanwhile) ends the answer empty.
 */
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "jsonutil.h"
#include "thread-stream.h"
#include "xalloc.h"

struct changes {
	struct rt_config rt;
	char uuid[37];
};

static int
changes_run(void *arg, thread_stream_write_fn *write, void *warg,
    sdc_error_t *err)
{
	struct changes *x = arg;
	json_t *out;
	char *text;
	int rc;

	if (rt_changes(&x->rt, x->uuid, &out, err) < 0)
		return -1;
	text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(out);
	rc = write(warg, text, strlen(text));
	if (rc == 0)
		rc = write(warg, "\n", 1);
	free(text);
	return rc < 0 ? sdc_make_error(err, 0, "the client went away") : 0;
}

static void
changes_done(void *arg)
{
	free(arg);
}

int
ctr_changes(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct ctr *c = ctr_lookup(req, d);
	sdc_error_t err = NULL;
	struct changes *x;

	if (c == NULL)
		return HTTP_DONE;
	x = xcalloc(1, sizeof *x);
	x->rt = ctrs(d)->rt;
	memcpy(x->uuid, c->uuid, sizeof x->uuid);
	if (thread_stream_start(req, d->base, "container diff",
	    "application/json", changes_run, changes_done, x, &err) < 0) {
		free(x);
		return api_error_from(req, &err);
	}
	return HTTP_ASYNC;
}
