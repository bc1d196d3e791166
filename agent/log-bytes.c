/*
 * log-bytes.c: GET /v1/log-bytes, how many bytes each container of the
 * node keeps in its log, in one answer.
 *
 * The operator's container list (the admin API's LogBytes, sdcadm-docker
 * container list) shows each container's live and rotated log files
 * added up.  A head reads that on its own disk for its own node's
 * containers; a node's files are the node's, so it asks the agent, once
 * per node for all of its containers (dockerapi/log-bytes.c), as GET
 * /v1/containers does for the states.  The answer is {"Node": ID,
 * "LogBytes": {UUID: BYTES, ...}}, BYTES as the runtime library's
 * logs_bytes() gives it, the one walk of a logs folder the head uses on
 * its own files too, so both count the same files.  A folder not made
 * yet counts 0, as its empty log would.
 *
 * Read on the agent's loop, as GET /v1/containers is: one small folder
 * per container, a readdir and a few stats.
 */
#include <stdlib.h>

#include "agent.h"
#include "dockerapi/runtime/container-layout.h"
#include "dockerapi/runtime/logs-read.h"
#include "http.h"
#include "ids.h"
#include "log.h"
#include "xalloc.h"

static int
log_bytes_list(struct http_request *req, void *arg)
{
	struct agent *a = arg;
	json_t *all = json_object();
	sdc_error_t err = NULL;
	char **ids, *dir;
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
		xasprintf(&dir, "%s/%s/" RT_LOG_DIR, a->rt.zones, ids[i]);
		json_object_set_new(all, ids[i],
		    json_integer((json_int_t)logs_bytes(dir)));
		free(dir);
	}
	rt_list_free(ids, n);
	return http_reply_json(req, 200, json_pack("{s:s, s:o}", "Node",
	    a->self.id, "LogBytes", all));
}

const struct route agent_log_bytes_routes[] = {
	{ "GET", "/v1/log-bytes", log_bytes_list, 0, NULL },
	{ NULL, NULL, NULL, 0, NULL },
};
