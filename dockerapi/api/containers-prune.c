/*
 * api/containers-prune.c: POST /containers/prune, the account's stopped
 * containers, filtered by label (label=K[=V], label!=K[=V]) and `until`
 * (a Unix time).
 *
 * Each container goes as the daemon's own removals go
 * (container-remove.c): its writable layer measured for SpaceReclaimed
 * and `runc delete` run on a thread, never on the loop, where a prune of
 * a tenant's many or large containers, or one hung runc, held every
 * other client.  They go one after the other, as before, so that a prune
 * of many costs one thread at a time; the list is chosen when the
 * request comes, and a container that started or went meanwhile is left
 * out.  The answer comes when the last is gone; a client that leaves
 * first does not stop the prune.
 */
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "strvec.h"
#include "xalloc.h"

struct ctr_pruning {
	struct containers *cs;
	struct http_request *req;	/* NULL once the client has gone */
	char account[37];
	struct strvec ids;
	size_t next;
	json_t *deleted;
	int64_t space;
};

static bool
prune_match(const struct ctr *c, const json_t *filters)
{
	json_t *v = ctr_filter_values(filters, "label");
	json_t *nv = ctr_filter_values(filters, "label!");
	json_t *u = ctr_filter_values(filters, "until"), *x;
	const char *until = json_string_value(json_array_get(u, 0));
	bool ok = until == NULL ||
	    c->created / 1000000000 < (int64_t)strtoll(until, NULL, 10);
	size_t i;

	json_array_foreach(v, i, x)
		ok = ok && labels_match(ctr_labels(c), json_string_value(x) ?: "");
	json_array_foreach(nv, i, x)
		ok = ok && !labels_match(ctr_labels(c), json_string_value(x) ?: "");
	json_decref(v);
	json_decref(nv);
	json_decref(u);
	return ok;
}

static void
prune_closed(struct http_request *req, void *arg)
{
	struct ctr_pruning *p = arg;

	(void)req;
	p->req = NULL;
}

static struct ctr *
prune_find(struct ctr_pruning *p, const char *id)
{
	struct ctr *c;

	for (c = p->cs->list; c != NULL; c = c->next)
		if (strcmp(c->id, id) == 0 && strcmp(c->account, p->account) == 0)
			return c;
	return NULL;
}

static void prune_next(struct ctr_pruning *p);

static void
prune_removed(void *arg, int rc, int64_t size, sdc_error_t *err)
{
	struct ctr_pruning *p = arg;

	(void)err;		/* logged by no one before either: skipped */
	if (rc == 0) {
		json_array_append_new(p->deleted,
		    json_string(p->ids.v[p->next - 1]));
		p->space += size;
	}
	prune_next(p);
}

static void
prune_next(struct ctr_pruning *p)
{
	struct ctr *c;

	while (p->next < p->ids.n) {
		c = prune_find(p, p->ids.v[p->next++]);
		if (c == NULL || ctr_running(c) || c->removing)
			continue;
		ctr_remove_async(p->cs, c, false, true, prune_removed, p);
		return;
	}
	if (p->req != NULL) {
		http_on_close(p->req, NULL, NULL);
		api_json(p->req, 200, json_pack("{s:O,s:I}", "ContainersDeleted",
		    p->deleted, "SpaceReclaimed", (json_int_t)p->space));
	}
	json_decref(p->deleted);
	strvec_clear(&p->ids);
	free(p);
}

int
ctr_prune(struct http_request *req, void *arg)
{
	struct containers *cs = ctrs(arg);
	const char *f = http_query(req, "filters");
	const char *acct = ctr_account(req);
	json_t *filters = f != NULL ? json_loads(f, 0, NULL) : NULL;
	struct ctr_pruning *p = xcalloc(1, sizeof *p);
	struct ctr *c;

	p->cs = cs;
	p->req = req;
	snprintf(p->account, sizeof p->account, "%s", acct);
	p->deleted = json_array();
	for (c = cs->list; c != NULL; c = c->next)
		if (strcmp(c->account, acct) == 0 && !ctr_running(c) &&
		    !c->removing && prune_match(c, filters))
			strvec_push(&p->ids, c->id);
	json_decref(filters);
	http_on_close(req, prune_closed, p);
	prune_next(p);
	return HTTP_ASYNC;
}

const struct api_endpoint containers_prune_routes[] = {
	{ { "POST", "/containers/prune", ctr_prune, 0, NULL }, 25 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
