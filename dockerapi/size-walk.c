/*
 * size-walk.c: the sizes of writable layers and volumes, walked off the
 * loop thread.
 *
 * `docker ps -s` and `docker system df` add up every file of a tenant's
 * writable layers and volumes: a walk of the file system whose length
 * the tenant decides (a million small files is one `docker run`).  On
 * the loop thread it would hold every other client for as long, so the
 * route lists what to measure on the loop, the walk runs on a thread
 * (rtcall.c) with nothing but paths, and the answer is put together back
 * on the loop from the figures.  A layer that is gone meanwhile (the
 * container removed) counts 0, as before.
 *
 * A container on a node behind an agent is measured by its node (the
 * agent's GET /v1/containers/UUID/size, agent/container-files.c): the
 * node's address is settled on the loop when the container is added
 * (nodes_agent_of: a node not heard from counts 0 at once), one client
 * per node kept for the walk so its containers share a connection, and
 * the thread asks each in turn, within NODE_SIZE_MS; a node that does
 * not answer counts 0 too: docker ps -s never fails for a node away.
 */
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "fetch.h"
#include "jsonutil.h"
#include "nodes.h"
#include "rtcall.h"
#include "size-walk.h"
#include "xalloc.h"

#define NODE_SIZE_MS 10000

struct size_node {
	char *address, *hostname;
	struct fetch *client;
};

struct size_walk {
	const struct rt_config *rt;
	struct dockerapi *d;
	size_t n, cap;
	struct {
		char *path;		/* a container's uuid, or a volume's dir */
		bool volume;
		int node;		/* in nodes; -1: here, -2: unavailable */
	} *items;
	struct size_node *nodes;
	size_t nnodes;
	int64_t *sizes;
	size_walk_done_fn *done;
	void *arg;
};

struct size_walk *
size_walk_new(struct containers *cs)
{
	struct size_walk *w = xcalloc(1, sizeof *w);

	w->rt = &cs->rt;
	w->d = cs->d;
	return w;
}

static void
size_walk_add(struct size_walk *w, char *path, bool volume)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->items = xrealloc(w->items, w->cap * sizeof *w->items);
	}
	w->items[w->n].path = path;
	w->items[w->n].volume = volume;
	w->items[w->n].node = -1;
	w->n++;
}

/* The walk's client for the node of node_id: its index, -1 when the
 * container is here, -2 when the node is not heard from. */
static int
size_walk_node(struct size_walk *w, const char *node_id)
{
	struct node_agent a;
	sdc_error_t err = NULL;
	size_t i;
	int rc = nodes_agent_of(w->d, node_id, &a, &err);

	if (rc == NODES_LOCAL)
		return -1;
	if (rc < 0) {
		sdc_error_release(&err);
		return -2;
	}
	for (i = 0; i < w->nnodes; i++)
		if (strcmp(w->nodes[i].address, a.address) == 0) {
			free(a.address);
			free(a.hostname);
			return (int)i;
		}
	w->nodes = xrealloc(w->nodes, (w->nnodes + 1) * sizeof *w->nodes);
	w->nodes[w->nnodes].address = a.address;
	w->nodes[w->nnodes].hostname = a.hostname;
	w->nodes[w->nnodes].client = fetch_dup(a.client);
	return (int)w->nnodes++;
}

void
size_walk_add_rw_on(struct size_walk *w, const char *uuid,
    const char *node_id)
{
	size_walk_add(w, xstrdup(uuid), false);
	w->items[w->n - 1].node = size_walk_node(w, node_id);
}

/* On the thread: the writable layer's size as its node measures it. */
static int
size_walk_ask(struct size_node *nd, const char *uuid, int64_t *out,
    sdc_error_t *err)
{
	struct fetch_request rq = { .timeout_ms = NODE_SIZE_MS };
	struct fetch_response r;
	sdc_error_t perr = NULL;
	json_t *j;
	char *url;
	int rc = 0;

	xasprintf(&url, "https://%s/v1/containers/%s/size", nd->address, uuid);
	rq.url = url;
	rc = fetch_request(nd->client, &rq, &r, err);
	free(url);
	if (rc < 0)
		return -1;
	j = json_parse(buf_str(&r.body), r.body.len, &perr);
	sdc_error_release(&perr);
	if (r.status != 200 || !json_is_integer(json_object_get(j, "SizeRw")))
		rc = sdc_make_error_code(err, 502, "node %s: %d", nd->hostname,
		    r.status);
	else
		*out = json_int(j, "SizeRw", 0);
	json_decref(j);
	fetch_response_free(&r);
	return rc;
}

void
size_walk_add_rw(struct size_walk *w, const char *uuid)
{
	size_walk_add(w, xstrdup(uuid), false);
}

void
size_walk_add_dir(struct size_walk *w, char *dir)
{
	size_walk_add(w, dir, true);
}

static void
size_walk_free(struct size_walk *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->items[i].path);
	for (size_t i = 0; i < w->nnodes; i++) {
		free(w->nodes[i].address);
		free(w->nodes[i].hostname);
		fetch_free(w->nodes[i].client);
	}
	free(w->nodes);
	free(w->items);
	free(w->sizes);
	free(w);
}

static int
size_walk_fn(void *arg, sdc_error_t *err)
{
	struct size_walk *w = arg;
	sdc_error_t ignored = NULL;
	size_t i;

	(void)err;
	for (i = 0; i < w->n; i++) {
		if (w->items[i].node != -1) {
			if (w->items[i].node < 0 || size_walk_ask(
			    &w->nodes[w->items[i].node], w->items[i].path,
			    &w->sizes[i], &ignored) < 0)
				w->sizes[i] = 0;
			sdc_error_release(&ignored);
			continue;
		}
		if ((w->items[i].volume ? rt_volume_size(w->items[i].path,
		    &w->sizes[i], &ignored) : rt_size_rw(w->rt,
		    w->items[i].path, &w->sizes[i], &ignored)) < 0)
			w->sizes[i] = w->items[i].volume ? -1 : 0;
		sdc_error_release(&ignored);
	}
	return 0;
}

static void
size_walk_done(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	struct size_walk *w = arg;

	(void)rc;
	(void)err;
	w->done(w->arg, req, w->sizes);
	size_walk_free(w);
}

int
size_walk_start(struct size_walk *w, struct event_base *base,
    struct http_request *req, size_walk_done_fn *done, void *arg,
    sdc_error_t *err)
{
	w->sizes = xcalloc(w->n + 1, sizeof *w->sizes);
	w->done = done;
	w->arg = arg;
	if (rtcall_start(base, req, "size walk", size_walk_fn, size_walk_done,
	    w, err) < 0) {
		size_walk_free(w);
		return -1;
	}
	return 0;
}
