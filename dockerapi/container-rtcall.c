/*
 * container-rtcall.c: a container's runtime call off the loop thread.
 *
 * rtcall.c runs the call; this keeps the container consistent while it
 * runs.  The container is marked busy, and a request that would run the
 * runtime on it too (a stop during a start, an rm during an update)
 * waits for the call's end and is then handled afresh, finding the
 * container as the call left it: calls on one container are serialised,
 * as dockerd's container lock does, instead of racing each other in runc,
 * and none waits longer than the runtime's timeout.  Reads (inspect, ps,
 * logs) go on as usual and show the state before the call.  The state
 * changes the call makes are applied by its done function on the loop,
 * only once the runtime has answered, so a call that failed or timed out
 * leaves the container as it was.  A container removed by the daemon
 * itself meanwhile (an AutoRemove after its exit) is freed only when the
 * call ends.
 */
#include <stdio.h>
#include <stdlib.h>

#include "containers.h"
#include "rtcall.h"
#include "xalloc.h"

struct ctr_call {
	struct ctr *c;
	const char *what;
	int (*fn)(void *arg, sdc_error_t *err);
	ctr_call_done_fn *done;
	void *arg;
};

/* A request waiting for the container's call to end. */
struct ctr_deferred {
	struct ctr_deferred *next;
	struct ctr *c;
	struct http_request *req;
	int (*handler)(struct http_request *req, void *arg);
	void *arg;
	char account[37];		/* the caller's, lent again to handler */
	/* the daemon's own work instead of a request's (ctr_after_call) */
	void (*later)(struct ctr *c, void *arg);
};

static int
ctr_call_fn(void *arg, sdc_error_t *err)
{
	struct ctr_call *k = arg;

	return k->fn(k->arg, err);
}

/* The client left while waiting. */
static void
ctr_deferred_closed(struct http_request *req, void *arg)
{
	struct ctr_deferred *w = arg, **p;

	(void)req;
	for (p = &w->c->deferred; *p != NULL; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	free(w);
}

/* The waiting requests, handled again now that the call is over (or
 * answered 404 when the container is gone). */
static void
ctr_deferred_run(struct dockerapi *d, struct ctr_deferred *w, bool gone)
{
	struct ctr_deferred *next;
	struct account *a;
	sdc_error_t err = NULL;

	for (; w != NULL; w = next) {
		next = w->next;
		if (w->later != NULL) {
			w->later(gone ? NULL : w->c, w->arg);
			free(w);
			continue;
		}
		http_on_close(w->req, NULL, NULL);
		/* the account was lent for the first call only (api.c): the
		 * handler gets it again, read afresh */
		a = gone ? NULL : account_find(d, w->account, &err);
		if (gone)
			api_error(w->req, 404, "No such container: it was removed "
			    "while the request waited");
		else if (a == NULL)
			api_error_from(w->req, &err);
		else {
			w->req->data = a;
			(void)w->handler(w->req, w->arg);
			/* answered or async: either way done with the account */
			if (w->req->data == a)
				w->req->data = NULL;
			account_free(a);
		}
		free(w);
	}
}

static void
ctr_call_done(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	struct ctr_call *k = arg;
	struct ctr *c = k->c;
	struct ctr_deferred *waiting = c->deferred;
	struct dockerapi *d = c->cs->d;
	bool gone = c->gone;

	c->busy = NULL;
	c->deferred = NULL;
	if (gone) {
		ctr_free(c);
		c = NULL;
		if (req != NULL)
			api_error(req, 409, "the container was removed while "
			    "its %s ran", k->what);
		req = NULL;
	}
	k->done(c, k->arg, req, rc, err);
	free(k);
	ctr_deferred_run(d, waiting, gone);
}

int
ctr_call(struct http_request *req, struct ctr *c, const char *what,
    int (*fn)(void *arg, sdc_error_t *err), ctr_call_done_fn *done,
    void *arg, sdc_error_t *err)
{
	struct ctr_call *k = xcalloc(1, sizeof *k);

	k->c = c;
	k->what = what;
	k->fn = fn;
	k->done = done;
	k->arg = arg;
	if (rtcall_start(c->cs->d->base, req, what, ctr_call_fn,
	    ctr_call_done, k, err) < 0) {
		free(k);
		return -1;
	}
	c->busy = what;
	return 0;
}

bool
ctr_busy(struct http_request *req, struct ctr *c,
    int (*handler)(struct http_request *req, void *arg), void *arg)
{
	struct ctr_deferred *w, **p;

	if (c->busy == NULL)
		return false;
	w = xcalloc(1, sizeof *w);
	w->c = c;
	w->req = req;
	w->handler = handler;
	w->arg = arg;
	/* the container's own account, which is the requester's (it was
	 * found among that account's): a request deferred after its first
	 * call (a restart's start once the stop's exit came) no longer
	 * holds the account it was lent then */
	snprintf(w->account, sizeof w->account, "%s", c->account);
	for (p = &c->deferred; *p != NULL; p = &(*p)->next)
		;
	*p = w;
	http_on_close(req, ctr_deferred_closed, w);
	return true;
}

void
ctr_after_call(struct ctr *c, void (*later)(struct ctr *c, void *arg),
    void *arg)
{
	struct ctr_deferred *w = xcalloc(1, sizeof *w), **p;

	w->c = c;
	w->later = later;
	w->arg = arg;
	for (p = &c->deferred; *p != NULL; p = &(*p)->next)
		;
	*p = w;
}
