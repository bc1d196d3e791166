/*
 * req-group.c: requests that wait together for one result in flight.
 *
 * Some answers cost the same whoever asks and whenever, within the time
 * the work takes: a node's walk over its containers' logs, a head's
 * question to every node.  Two operators, a cron job and the TUI, or a
 * flood of callers would otherwise each start the work again, in
 * parallel, on the same files.  So the work's owner keeps the one in
 * flight, and a request arriving meanwhile joins its group and gets its
 * result.  The group is bounded (max): past it a request is refused
 * with 429 at once, so a caller that floods queues neither work nor
 * memory beyond max pointers.
 *
 * A client that leaves while it waits is forgotten through the
 * request's close hook (its slot set to NULL), so the answer never
 * reaches a request that is gone; the group must therefore outlive its
 * requests, which is why it lives in the work's own allocation.
 */
#include <stdlib.h>

#include "http.h"
#include "req-group.h"
#include "xalloc.h"

static void
req_group_closed(struct http_request *req, void *arg)
{
	struct req_group *g = arg;

	for (size_t i = 0; i < g->n; i++)
		if (g->reqs[i] == req)
			g->reqs[i] = NULL;
}

int
req_group_join(struct req_group *g, struct http_request *req,
    sdc_error_t *err)
{
	if (req_group_waiting(g) >= g->max)
		return sdc_make_error_code(err, 429, "too many requests wait "
		    "for the one in flight (%zu); try again when it is "
		    "answered", g->max);
	/* a slot of a client that left is taken again before growing */
	for (size_t i = 0; i < g->n; i++)
		if (g->reqs[i] == NULL) {
			g->reqs[i] = req;
			http_on_close(req, req_group_closed, g);
			return 0;
		}
	g->reqs = xrealloc(g->reqs, (g->n + 1) * sizeof *g->reqs);
	g->reqs[g->n++] = req;
	http_on_close(req, req_group_closed, g);
	return 0;
}

size_t
req_group_waiting(const struct req_group *g)
{
	size_t k = 0;

	for (size_t i = 0; i < g->n; i++)
		if (g->reqs[i] != NULL)
			k++;
	return k;
}

void
req_group_answer(struct req_group *g, req_group_answer_fn *answer,
    void *arg)
{
	for (size_t i = 0; i < g->n; i++) {
		struct http_request *req = g->reqs[i];

		if (req == NULL)
			continue;
		g->reqs[i] = NULL;
		http_on_close(req, NULL, NULL);
		answer(req, arg);
	}
	free(g->reqs);
	g->reqs = NULL;
	g->n = 0;
}
