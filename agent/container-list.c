/*
 * container-list.c: GET /v1/containers, the state of every container of
 * the node, and GET /v1/log-bytes, every container's log bytes, each in
 * one answer.
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
 * The operator's container list (the admin API's LogBytes) shows each
 * container's live and rotated log files added up; a node's files are
 * the node's, so a head asks GET /v1/log-bytes, once per node as well
 * (dockerapi/log-bytes.c): {"Node": ID, "LogBytes": {UUID: BYTES, ...}},
 * BYTES as the runtime library's logs_bytes() counts them, the one walk
 * of a logs folder a head uses on its own files too.  A logs folder not
 * made yet counts 0, as its empty log would.
 *
 * The folders are read on the agent's loop, as GET /v1/containers/UUID
 * does: a few small files each, no runtime call.
 */
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "dockerapi/runtime/container-layout.h"
#include "dockerapi/runtime/logs-read.h"
#include "http.h"
#include "ids.h"
#include "log.h"
#include "xalloc.h"

/* What an answer holds of one container: NULL leaves it out. */
typedef json_t *list_one_fn(struct agent *a, const char *uuid);

/* {"Node": ID, what: {UUID: one(uuid), ...}} for every container of the
 * node, or 500 when the node cannot list them. */
static int
list_reply(struct http_request *req, struct agent *a, const char *what,
    list_one_fn *one)
{
	json_t *all = json_object(), *j;
	sdc_error_t err = NULL;
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
	for (size_t i = 0; i < n; i++)
		if (uuid_valid(ids[i]) && (j = one(a, ids[i])) != NULL)
			json_object_set_new(all, ids[i], j);
	rt_list_free(ids, n);
	return http_reply_json(req, 200, json_pack("{s:s, s:o}", "Node",
	    a->self.id, what, all));
}

static json_t *
list_state(struct agent *a, const char *uuid)
{
	sdc_error_t err = NULL;
	struct rt_state st;

	if (rt_state_read(&a->rt, uuid, &st, &err) < 0) {
		log_debug("container %s: no state: %s", uuid,
		    sdc_error_msg(err));
		sdc_error_release(&err);
		return NULL;
	}
	return agent_state_json(&st);
}

static json_t *
list_log_bytes(struct agent *a, const char *uuid)
{
	char *dir;
	json_t *j;

	xasprintf(&dir, "%s/%s/" RT_LOG_DIR, a->rt.zones, uuid);
	j = json_integer((json_int_t)logs_bytes(dir));
	free(dir);
	return j;
}

static int
ctr_list(struct http_request *req, void *arg)
{
	return list_reply(req, arg, "Containers", list_state);
}

static int
ctr_log_bytes(struct http_request *req, void *arg)
{
	return list_reply(req, arg, "LogBytes", list_log_bytes);
}

const struct route agent_container_list_routes[] = {
	{ "GET", "/v1/containers", ctr_list, 0, NULL },
	{ "GET", "/v1/log-bytes", ctr_log_bytes, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};
