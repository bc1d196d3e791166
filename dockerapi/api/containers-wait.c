/*
 * containers-wait.c: POST /containers/:id/wait, `docker wait` and the wait
 * `docker run` makes before it starts the container.
 *
 * A wait answers its headers at once and its body at the exit, as dockerd
 * does: the docker CLI sends the wait before the start and only goes on
 * once the wait's response has begun, so the exit cannot slip between.
 * The waiters hang on their container; the watcher (container-watch.c)
 * wakes them at its exit and at its removal (wait_wake).
 */
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "xalloc.h"

enum wait_cond { WAIT_NOT_RUNNING, WAIT_NEXT_EXIT, WAIT_REMOVED };

struct ctr_waiter {
	struct ctr_waiter *next;
	struct http_request *req;
	struct ctr *c;
	enum wait_cond cond;
};

static void
wait_answer(struct ctr_waiter *w, int code)
{
	http_stream_printf(w->req, "{\"StatusCode\":%d}\n", code);
	http_stream_end(w->req);
}

static void
wait_unlink(struct ctr_waiter *w)
{
	struct ctr_waiter **p;

	for (p = &w->c->waiters; *p != NULL; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			return;
		}
}

static void
wait_closed(struct http_request *req, void *arg)
{
	struct ctr_waiter *w = arg;

	wait_unlink(w);
	free(w);
}

void
wait_wake(struct ctr *c, bool all)
{
	struct ctr_waiter *w, *next, *keep = NULL;
	int code = c->st.exit_code < 0 ? 255 : c->st.exit_code;

	for (w = c->waiters; w != NULL; w = next) {
		next = w->next;
		if (all || w->cond != WAIT_REMOVED) {
			http_on_close(w->req, NULL, NULL);
			wait_answer(w, code);
			free(w);
		} else {
			w->next = keep;
			keep = w;
		}
	}
	c->waiters = keep;
}

int
ctr_wait(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg);
	const char *cond = http_query(req, "condition");
	struct ctr_waiter *w;

	if (c == NULL)
		return HTTP_DONE;
	w = xcalloc(1, sizeof *w);
	if (cond == NULL || api_minor(req) < 30 || *cond == '\0' ||
	    strcmp(cond, "not-running") == 0)
		w->cond = WAIT_NOT_RUNNING;
	else if (strcmp(cond, "next-exit") == 0)
		w->cond = WAIT_NEXT_EXIT;
	else if (strcmp(cond, "removed") == 0)
		w->cond = WAIT_REMOVED;
	else {
		free(w);
		return api_error(req, 400, "invalid condition: \"%s\"", cond);
	}
	w->req = req;
	w->c = c;
	http_stream_start(req, 200, "application/json");
	if (w->cond == WAIT_NOT_RUNNING && !ctr_running(c)) {
		wait_answer(w, c->st.exit_code < 0 ? 255 : c->st.exit_code);
		free(w);
		return HTTP_ASYNC;
	}
	w->next = c->waiters;
	c->waiters = w;
	http_on_close(req, wait_closed, w);
	return HTTP_ASYNC;
}

const struct api_endpoint containers_wait_routes[] = {
	{ { "POST", "/containers/:id/wait", ctr_wait, API_LONG, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
