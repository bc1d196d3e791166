/*
 * logs-usage.c: what every container's logs take on a zones root, for
 * `sdcadm-docker logs usage`: a node's agent measures its own node's
 * (agent/log-usage.c, GET /v1/log-usage), a head with no agents its own
 * folder (dockerapi/log-usage.c), so both answer in one shape,
 * {UUID: {"Live": BYTES, "Rotated": BYTES, "RotatedFiles": N}}, each
 * folder read by logs_usage() (logs-record.c), the walk a head's
 * LogBytes uses too.
 *
 * The caller runs it off its loop; a node of many containers on a slow
 * disk could still take long, so the walk has a deadline and stops
 * there, saying so (*complete false): the containers measured by then
 * are in the answer, the others are not, and the operator is told the
 * node's figures are partial rather than waiting on them.
 */
#include <stdlib.h>

#include "dockerapi/runtime/container-layout.h"
#include "dockerapi/runtime/internal.h"
#include "dockerapi/runtime/logs-read.h"
#include "ids.h"
#include "timeutil.h"

json_t *
logs_usage_json(const struct logs_usage *u)
{
	return json_pack("{s:I, s:I, s:I}", "Live", (json_int_t)u->live,
	    "Rotated", (json_int_t)u->rotated,
	    "RotatedFiles", (json_int_t)u->rotated_files);
}

json_t *
logs_usage_zones(const struct rt_config *cfg, int64_t deadline_ms,
    bool *complete, sdc_error_t *err)
{
	struct logs_usage u;
	json_t *all;
	char **ids, *dir;
	size_t n, i;

	*complete = true;
	if (rt_list(cfg, &ids, &n, err) < 0)
		return NULL;
	all = json_object();
	for (i = 0; i < n; i++) {
		if (!uuid_valid(ids[i]))
			continue;
		if (time_mono_ms() >= deadline_ms) {
			*complete = false;
			break;
		}
		dir = rt_path(cfg, ids[i], RT_LOG_DIR);
		logs_usage(dir, &u);
		free(dir);
		json_object_set_new(all, ids[i], logs_usage_json(&u));
	}
	rt_list_free(ids, n);
	return all;
}
