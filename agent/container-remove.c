/*
 * container-remove.c: DELETE /v1/containers/:uuid, a container taken off
 * this node.
 *
 * The head has marked the container's row as being removed before it
 * asks (dockerapi/containers.c), so whatever happens here the head
 * finishes or undoes its part by the answer: 204 removed, 404 there was
 * no such container on this node (already gone: the head drops its row
 * all the same), 409 it runs and force was not given or its create is
 * still under way (its mark, container-create.c), 500 the runtime
 * failed (the row is kept, the container as it was).  rt_delete does the
 * node's whole part: runc's state, the cgroups, the root's unmount, the
 * folder.  The uuid is checked before any path is made of it.  A
 * running container's names go from its networks' tables with its
 * network, and the 204 waits until this node's name servers have the
 * tables without it (dockerapi/net/names-reply.c, off the loop, bounded
 * as a head's own): the head answers its client once this one is, so a
 * peer's lookup right after `docker rm -f` finds the name gone.
 */
#include <errno.h>

#include "agent.h"
#include "dockerapi/net/net.h"
#include "http.h"
#include "ids.h"
#include "log.h"

static int
ctr_remove(struct http_request *req, void *arg)
{
	struct agent *a = arg;
	const char *uuid = http_param(req, "uuid");
	bool force = http_query_bool(req, "force", false);
	sdc_error_t err = NULL;
	struct rt_state st;
	struct net_dns_wait names = { 0 };
	int status, rc;

	if (uuid == NULL || !uuid_valid(uuid))
		return agent_error(req, 400, "a container's uuid, please");
	/* its create's thread still works in its folder: a head that gave
	 * up on that create asks again (node-create.c) */
	if (agent_create_underway(a, uuid))
		return agent_error(req, 409, "the container is still being "
		    "made on this node; try again");
	/* its network down first (container-net.c; its record is in the
	 * folder): a running container only when forced, since a refused
	 * removal leaves it running; down twice is down once */
	if (force || (rt_state_read(&a->rt, uuid, &st, &err) == 0 &&
	    st.status != RT_RUNNING && st.status != RT_PAUSED))
		agent_net_down(a, uuid, &names);
	sdc_error_release(&err);
	if (rt_delete(&a->rt, uuid, force, &err) < 0) {
		net_dns_wait_clear(&names);
		status = err->code == 404 || err->errnum == ENOENT ? 404 :
		    err->code == 0 && err->errnum == 0 ? 409 : 500;
		log_info("container %s: remove: %s", uuid, sdc_error_msg(err));
		rc = agent_error(req, status, status == 404 ?
		    "no such container on this node" : sdc_error_msg(err));
		sdc_error_release(&err);
		return rc;
	}
	log_info("container %s: removed%s", uuid, force ? " (forced)" : "");
	return net_names_reply(a->base, req, &names, 204, NULL);
}

const struct route agent_remove_routes[] = {
	{ "DELETE", "/v1/containers/:uuid", ctr_remove, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};
