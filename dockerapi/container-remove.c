/*
 * container-remove.c: the removals the daemon makes itself, off the
 * loop thread.
 *
 * A container goes with `runc delete` (rt_delete), a child whose wait is
 * tens of milliseconds when all is well and the runtime's timeout when
 * runc hangs.  DELETE /containers/:id already runs it on a thread
 * (container-ops.c); the daemon's own removals ran it on the loop: the
 * AutoRemove of a container that exited, the --rm of one whose start
 * failed, the rm of a create whose commit failed, prune, a build's RUN
 * container, the rm a restart finishes, an operator's delete of an
 * account.
 * Each of those held every other tenant's request for as long.  Here
 * they take the same road as the user's rm: ctr_remove_begin on the loop
 * (the row marked), rt_delete on a thread through ctr_call (so calls on
 * one container stay serialised, and a container busy with another call
 * is removed only once that call ends), and ctr_remove_end on the loop
 * once the runtime has answered, which alone changes the container's
 * state.  A container on a node is removed by the node's agent, the
 * call made on the same thread (node-create.c).  An account's
 * containers go one after another, the admin request answered once the
 * last is gone.  Prune wants the writable layer's size as well: it is walked on
 * the same thread, before the delete, instead of on the loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "log.h"
#include "node-request.h"
#include "strvec.h"
#include "xalloc.h"

struct ctr_rm {
	struct containers *cs;
	char uuid[37];
	bool force;
	bool size_first;
	int64_t size;
	ctr_removed_fn *done;
	void *arg;
	struct node_request *call;	/* its node's agent removes it */
};

static void
ctr_rm_tell(struct ctr_rm *o, int rc, sdc_error_t *err)
{
	if (o->done != NULL)
		o->done(o->arg, rc, o->size, err);
	else if (rc < 0)
		log_warn("container %s: removal: %s", o->uuid,
		    sdc_error_msg(*err));
	sdc_error_release(err);
	node_request_free(o->call);
	free(o);
}

/* On the thread: nothing but the runtime and the paths. */
static int
ctr_rm_fn(void *arg, sdc_error_t *err)
{
	struct ctr_rm *o = arg;
	sdc_error_t ignored = NULL;

	if (o->size_first && rt_size_rw(&o->cs->rt, o->uuid, &o->size,
	    &ignored) < 0)
		o->size = 0;
	sdc_error_release(&ignored);
	if (o->call != NULL)
		return node_request_run(o->call, err);
	return rt_delete(&o->cs->rt, o->uuid, o->force, err);
}

static void
ctr_rm_done(struct ctr *c, void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct ctr_rm *o = arg;

	(void)req;
	if (c != NULL)
		rc = ctr_remove_end(o->cs, c, rc, err);
	else
		rc = 0;		/* freed meanwhile: gone all the same */
	ctr_rm_tell(o, rc, err);
}

static void
ctr_rm_run(struct ctr *c, void *arg)
{
	struct ctr_rm *o = arg;
	sdc_error_t err = NULL;

	if (c == NULL) {		/* removed while it waited */
		ctr_rm_tell(o, 0, &err);
		return;
	}
	if (c->busy != NULL) {
		ctr_after_call(c, ctr_rm_run, o);
		return;
	}
	if (c->removing) {
		sdc_make_error_code(&err, 409, "removal of container %s is "
		    "already in progress", c->id);
		ctr_rm_tell(o, -1, &err);
		return;
	}
	/* a node not heard from: the container stays as it is */
	if (node_remove_prepare(o->cs, c, o->force, &o->call, &err) < 0 ||
	    ctr_remove_begin(o->cs, c, o->force, &err) < 0) {
		ctr_rm_tell(o, -1, &err);
		return;
	}
	if (ctr_call(NULL, c, "rm", ctr_rm_fn, ctr_rm_done, o, &err) < 0) {
		ctr_remove_end(o->cs, c, -1, &err);
		ctr_rm_tell(o, -1, &err);
	}
}

void
ctr_remove_async(struct containers *cs, struct ctr *c, bool force,
    bool size_first, ctr_removed_fn *done, void *arg)
{
	struct ctr_rm *o = xcalloc(1, sizeof *o);

	o->cs = cs;
	snprintf(o->uuid, sizeof o->uuid, "%s", c->uuid);
	o->force = force;
	o->size_first = size_first;
	o->done = done;
	o->arg = arg;
	ctr_rm_run(c, o);
}

/* An operator's removal of an account (the admin API's delete with
 * force): its containers one after another, running ones killed, each as
 * ctr_remove_async, so that a hung `runc delete` holds that request
 * only.  done is told on the loop once the last is gone, or with the
 * first that could not be removed. */
struct ctr_rm_account {
	struct containers *cs;
	char account[37];
	struct strvec uuids;
	size_t next;
	containers_removed_fn *done;
	void *arg;
};

static void ctr_rm_account_next(struct ctr_rm_account *o);

static void
ctr_rm_account_end(struct ctr_rm_account *o, int rc, sdc_error_t *err)
{
	o->done(o->arg, rc, err);
	strvec_clear(&o->uuids);
	free(o);
}

static void
ctr_rm_account_removed(void *arg, int rc, int64_t size, sdc_error_t *err)
{
	struct ctr_rm_account *o = arg;

	(void)size;
	if (rc < 0)
		ctr_rm_account_end(o, -1, err);
	else
		ctr_rm_account_next(o);
}

static void
ctr_rm_account_next(struct ctr_rm_account *o)
{
	sdc_error_t err = NULL;
	const char *uuid;
	struct ctr *c;

	while (o->next < o->uuids.n) {
		uuid = o->uuids.v[o->next++];
		for (c = o->cs->list; c != NULL; c = c->next)
			if (strcmp(c->uuid, uuid) == 0 &&
			    strcmp(c->account, o->account) == 0)
				break;
		if (c == NULL)
			continue;	/* gone meanwhile */
		ctr_remove_async(o->cs, c, true, false, ctr_rm_account_removed,
		    o);
		return;
	}
	ctr_rm_account_end(o, 0, &err);
	sdc_error_release(&err);
}

void
containers_remove_account(struct dockerapi *d, const char *account,
    containers_removed_fn *done, void *arg)
{
	struct ctr_rm_account *o = xcalloc(1, sizeof *o);
	struct ctr *c;

	o->cs = d->containers;
	snprintf(o->account, sizeof o->account, "%s", account);
	o->done = done;
	o->arg = arg;
	for (c = o->cs != NULL ? o->cs->list : NULL; c != NULL; c = c->next)
		if (strcmp(c->account, account) == 0)
			strvec_push(&o->uuids, c->uuid);
	ctr_rm_account_next(o);
}
