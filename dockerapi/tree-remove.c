/*
 * tree-remove.c: folders removed off the loop thread.
 *
 * A folder's removal is a walk as long as the folder: an image layer of
 * a hundred thousand files (node_modules, a distribution's man pages), a
 * volume a tenant filled with small files.  Unlinking them on the loop
 * thread held every other tenant's request for seconds, and the tenant
 * decides how many files there are.  The daemon's removals of such
 * folders (rmi's and prune's layers; a volume's rm has a trash of its
 * own, volumes.c) first take the folder out of sight on the loop (a rename or a row
 * deleted, so that nothing counts or reuses it), then call this, which
 * runs fs_rmtree on a thread of its own (rtcall.c) and tells the caller
 * on the loop once the files are gone.  A daemon stopped meanwhile
 * leaves the rest of the folder where its owner's start sweeps it
 * (images' tmp/, for one).
 */
#include <stdlib.h>

#include "fsutil.h"
#include "log.h"
#include "rtcall.h"
#include "tree-remove.h"
#include "xalloc.h"

struct tree_remove {
	char *path;
	tree_removed_fn *done;
	void *arg;
};

/* On the thread: the file system alone. */
static int
tree_remove_fn(void *arg, sdc_error_t *err)
{
	return fs_rmtree(((struct tree_remove *)arg)->path, err);
}

static void
tree_remove_done(void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct tree_remove *t = arg;

	(void)req;
	if (t->done != NULL)
		t->done(t->arg, rc, err);
	else if (rc < 0)
		log_warn("removing %s: %s", t->path, sdc_error_msg(*err));
	sdc_error_release(err);
	free(t->path);
	free(t);
}

void
tree_remove_async(struct event_base *base, char *path, tree_removed_fn *done,
    void *arg)
{
	struct tree_remove *t = xcalloc(1, sizeof *t);
	sdc_error_t err = NULL;
	int rc;

	t->path = path;
	t->done = done;
	t->arg = arg;
	if (base != NULL && rtcall_start(base, NULL, "removing a folder",
	    tree_remove_fn, tree_remove_done, t, &err) == 0)
		return;
	sdc_error_release(&err);
	rc = tree_remove_fn(t, &err);
	tree_remove_done(t, NULL, rc, &err);
}
