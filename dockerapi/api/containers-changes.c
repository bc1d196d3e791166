/*
 * containers-changes.c: GET /containers/:id/changes, `docker diff`.
 *
 * The runtime reads the writable layer (changes.c: additions,
 * modifications, deletions as overlay's whiteouts record them); this
 * finds the caller's container and answers.  A container may have changed
 * very many files, so the walk runs on a thread of its own and its JSON
 * is streamed (ctr_stream_files), never holding up the loop; a failure of
 * the walk (the container removed meanwhile) ends the answer empty.
 */
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "jsonutil.h"
#include "node-relay.h"

static int
changes_write(const struct rt_config *rt, const char *uuid,
    int (*write)(void *, const void *, size_t), void *warg, sdc_error_t *err)
{
	json_t *out;
	char *text;
	int rc;

	if (rt_changes(rt, uuid, &out, err) < 0)
		return -1;
	text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(out);
	rc = write(warg, text, strlen(text));
	if (rc == 0)
		rc = write(warg, "\n", 1);
	free(text);
	return rc < 0 ? sdc_make_error(err, 0, "the client went away") : 0;
}

int
ctr_changes(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg);
	struct node_relay_opts o = { .first_byte_ms = 0 };
	int rc;

	if (c == NULL)
		return HTTP_DONE;
	/* on a node behind an agent: the node's walk, relayed */
	if (node_relay_answer(arg, req, json_str(c->extra, "Node", NULL),
	    c->uuid, "changes", NULL, &o, &rc))
		return rc;
	return ctr_stream_files(req, arg, c, "container diff",
	    "application/json", changes_write);
}

const struct api_endpoint containers_changes_routes[] = {
	{ { "GET", "/containers/:id/changes", ctr_changes, 0, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
