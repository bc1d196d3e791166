/*
 * container-rtcall.c: a container's runtime call off the loop thread.
 *
 * rtcall.c runs the call; this keeps the container consistent while it
 * runs.  The container is marked busy, so a second call that would run
 * the runtime on it (a pause during a start, an rm during an update) is
 * answered 409 at once rather than racing the first in runc; reads
 * (inspect, ps, logs) go on as usual and show the state before the call.
 * The state changes the call makes are applied by its done function on
 * the loop, only once the runtime has answered, so a call that failed or
 * timed out leaves the container as it was.  A container removed by the
 * daemon itself meanwhile (an AutoRemove after its exit) is freed only
 * when the call ends.
 */
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

static int
ctr_call_fn(void *arg, sdc_error_t *err)
{
	struct ctr_call *k = arg;

	return k->fn(k->arg, err);
}

static void
ctr_call_done(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	struct ctr_call *k = arg;
	struct ctr *c = k->c;

	c->busy = NULL;
	if (c->gone) {
		ctr_free(c);
		c = NULL;
		if (req != NULL)
			api_error(req, 409, "the container was removed while "
			    "its %s ran", k->what);
		req = NULL;
	}
	k->done(c, k->arg, req, rc, err);
	free(k);
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
ctr_busy(struct http_request *req, const struct ctr *c)
{
	if (c->busy == NULL)
		return false;
	api_error(req, 409, "Container %s is busy: its %s is under way",
	    c->id, c->busy);
	return true;
}
