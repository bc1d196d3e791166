/*
 * containers-top.c: GET /containers/:id/top.
 *
 * The runtime lists the container's own processes from its cgroup and
 * formats ps's columns for ps_args itself (dockerapi/runtime/ps.c): no
 * ps runs on the host, so no argument can show another process, and ps
 * options it does not know are refused with 400.  The reads of /proc run
 * off the loop (rtcall.c): a process's cmdline read waits on its memory
 * map's lock, which a process of the tenant's can hold for long.
 */
#include <stdlib.h>

#include "containers.h"
#include "jsonutil.h"
#include "node-relay.h"
#include "rtcall.h"
#include "xalloc.h"

struct top_job {
	struct containers *cs;
	char uuid[37];
	char *ps_args;
	json_t *out;
};

static int
top_fn(void *arg, sdc_error_t *err)
{
	struct top_job *j = arg;

	return rt_top(&j->cs->rt, j->uuid, j->ps_args, &j->out, err);
}

static void
top_done(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	struct top_job *j = arg;

	if (req != NULL && rc < 0) {
		/* host paths out of the message, as ctr_rt_error does */
		char *text = rt_error_text(&j->cs->rt, j->uuid, (*err)->msg);

		free((*err)->msg);
		(*err)->msg = text;
		api_error_from(req, err);
	} else if (req != NULL) {
		api_json(req, 200, j->out);
		j->out = NULL;
	}
	json_decref(j->out);
	free(j->ps_args);
	free(j);
}

int
ctr_top(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg);
	const char *ps_args = http_query(req, "ps_args");
	sdc_error_t err = NULL;
	struct node_relay_opts o = { .first_byte_ms = 0 };
	struct buf q = BUF_INIT;
	struct top_job *j;
	bool relayed;
	int rc;

	if (c == NULL)
		return HTTP_DONE;
	if (!ctr_running(c))
		return api_error(req, 409, "Container %s is not running", c->id);
	/* on a node behind an agent: its processes, read there */
	node_relay_query(&q, "ps_args", ps_args);
	relayed = node_relay_answer(arg, req, json_str(c->extra, "Node", NULL),
	    c->uuid, "top", buf_str(&q), &o, &rc);
	buf_free(&q);
	if (relayed)
		return rc;
	j = xcalloc(1, sizeof *j);
	j->cs = ctrs(arg);
	snprintf(j->uuid, sizeof j->uuid, "%s", c->uuid);
	j->ps_args = ps_args != NULL ? xstrdup(ps_args) : NULL;
	if (rtcall_start(j->cs->d->base, req, "top", top_fn, top_done, j,
	    &err) < 0) {
		free(j->ps_args);
		free(j);
		return api_error_from(req, &err);
	}
	return HTTP_ASYNC;
}

const struct api_endpoint containers_top_routes[] = {
	{ { "GET", "/containers/:id/top", ctr_top, 0, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
