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
 */
#include <stdlib.h>

#include "containers.h"
#include "rtcall.h"
#include "size-walk.h"
#include "xalloc.h"

struct size_walk {
	const struct rt_config *rt;
	size_t n, cap;
	struct {
		char *path;		/* a container's uuid, or a volume's dir */
		bool volume;
	} *items;
	int64_t *sizes;
	size_walk_done_fn *done;
	void *arg;
};

struct size_walk *
size_walk_new(struct containers *cs)
{
	struct size_walk *w = xcalloc(1, sizeof *w);

	w->rt = &cs->rt;
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
	w->n++;
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
