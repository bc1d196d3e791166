/*
 * container-list.c: GET /v1/containers, the state of every container of
 * the node, in one answer.
 *
 * A head holds each container's state in its memory (ps and inspect
 * never ask anyone), and learns it where the container is: a container
 * behind an agent is read from that agent, never from a folder of the
 * head's.  At the head's start, and when it reloads every container
 * (heads-sync.c), it asks each node once for all of its containers
 * rather than once per container: one round trip per node, whatever the
 * number of containers.  The answer is {"Node": ID, "Containers":
 * {UUID: STATE, ...}}, STATE as GET /v1/containers/UUID gives it
 * (containers.c).  A folder whose state cannot be read (a create the
 * agent is making now, or one cut short that its next start takes
 * back) is left out: the head then keeps what it knows of it.
 *
 * The folders are read on the agent's loop, as GET /v1/containers/UUID
 * does: a few small files each, no runtime call.
 */
#include <string.h>

#include "agent.h"
#include "http.h"
#include "ids.h"
#include "log.h"

static int
ctr_list(struct http_request *req, void *arg)
{
	struct agent *a = arg;
	json_t *all = json_object();
	sdc_error_t err = NULL;
	struct rt_state st;
	char **ids;
	size_t n;
	int rc;

	if (rt_list(&a->rt, &ids, &n, &err) < 0) {
		json_decref(all);
		log_warn("listing the containers: %s", sdc_error_msg(err));
		rc = agent_error(req, 500, "the node could not list its "
		    "containers");
		sdc_error_release(&err);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		if (!uuid_valid(ids[i]))
			continue;
		if (rt_state_read(&a->rt, ids[i], &st, &err) < 0) {
			log_debug("container %s: no state: %s", ids[i],
			    sdc_error_msg(err));
			sdc_error_release(&err);
			continue;
		}
		json_object_set_new(all, ids[i], agent_state_json(&st));
	}
	rt_list_free(ids, n);
	return http_reply_json(req, 200, json_pack("{s:s, s:o}", "Node",
	    a->self.id, "Containers", all));
}

const struct route agent_container_list_routes[] = {
	{ "GET", "/v1/containers", ctr_list, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};
