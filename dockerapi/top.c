/*
 * top.c: GET /containers/:id/top.
 *
 * The runtime lists the container's own processes from its cgroup and
 * formats ps's columns for ps_args itself (dockerapi/runtime/ps.c): no
 * ps runs on the host, so no argument can show another process, and ps
 * options it does not know are refused with 400.
 */
#include "containers.h"

int
ctr_top(struct http_request *req, void *arg)
{
	struct ctr *c = ctr_lookup(req, arg);
	sdc_error_t err = NULL;
	json_t *out = NULL;

	if (c == NULL)
		return HTTP_DONE;
	if (!ctr_running(c))
		return api_error(req, 409, "Container %s is not running", c->id);
	if (rt_top(&ctrs(arg)->rt, c->uuid, http_query(req, "ps_args"), &out,
	    &err) < 0) {
		ctr_rt_error(ctrs(arg), c, &err);
		return api_error_from(req, &err);
	}
	return api_json(req, 200, out);
}
