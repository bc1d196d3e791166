/*
 * update.c: changing a container's resource limits (docker update).
 *
 * The limits live in config.json's linux.resources, which every start
 * reads again (the monitor runs `runc run` on the bundle), so a change
 * written there holds across restarts.  A running or paused container
 * gets the change at once through `runc update -r`, with the resources
 * as they will stand; config.json is rewritten only once runc has taken
 * them, so a refused value leaves the container as it was.  Swap is not
 * offered: the memory+swap limit follows the memory limit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonutil.h"
#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

static json_t *
rt_update_obj(json_t *parent, const char *key)
{
	json_t *o = json_object_get(parent, key);

	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(parent, key, o);
	}
	return o;
}

/* The new linux.resources, in the config read (not yet written). */
static void
rt_update_apply(json_t *res, const struct rt_resources *r)
{
	json_t *mem, *cpu;

	if (r->memory > 0) {
		mem = rt_update_obj(res, "memory");
		json_object_set_new(mem, "limit", json_integer(r->memory));
		json_object_set_new(mem, "swap", json_integer(r->memory));
	}
	if (r->memory_reservation >= 0)
		json_object_set_new(rt_update_obj(res, "memory"), "reservation",
		    json_integer(r->memory_reservation));
	cpu = rt_update_obj(res, "cpu");
	if (r->cpu_quota > 0)
		json_object_set_new(cpu, "quota", json_integer(r->cpu_quota));
	if (r->cpu_period > 0)
		json_object_set_new(cpu, "period", json_integer(r->cpu_period));
	if (r->cpu_shares > 0)
		json_object_set_new(cpu, "shares",
		    json_integer((json_int_t)r->cpu_shares));
	if (r->cpuset_cpus != NULL)
		json_object_set_new(cpu, "cpus", json_string(r->cpuset_cpus));
	if (r->cpuset_mems != NULL)
		json_object_set_new(cpu, "mems", json_string(r->cpuset_mems));
	if (r->pids_limit > 0)
		json_object_set_new(rt_update_obj(res, "pids"), "limit",
		    json_integer(r->pids_limit));
	if (r->blkio_weight > 0)
		json_object_set_new(rt_update_obj(res, "blockIO"), "weight",
		    json_integer(r->blkio_weight));
}

static int
rt_update_live(const struct rt_config *cfg, const char *id, json_t *res,
    sdc_error_t *err)
{
	char *path = rt_path(cfg, id, RT_FILE_UPDATE);
	const char *args[] = { "update", "-r", path, id, NULL };
	int rc = rt_json_write(path, res, err);

	if (rc == 0 && (rc = rt_runc(cfg, args, err)) < 0)
		sdc_error_wrap(err, "update %s", id);
	unlink(path);
	free(path);
	return rc;
}

int
rt_update(const struct rt_config *cfg, const char *id,
    const struct rt_resources *r, sdc_error_t *err)
{
	char *path;
	json_t *config, *res;
	struct rt_state st;
	int rc = -1;

	if (rt_id_check("container", id, err) < 0 ||
	    rt_state_read(cfg, id, &st, err) < 0)
		return -1;
	path = rt_path(cfg, id, RT_FILE_CONFIG);
	if ((config = rt_json_read(path, err)) == NULL) {
		free(path);
		return -1;
	}
	res = rt_update_obj(rt_update_obj(config, "linux"), "resources");
	rt_update_apply(res, r);
	if ((st.status == RT_RUNNING || st.status == RT_PAUSED) &&
	    rt_runc_known(cfg, id) && rt_update_live(cfg, id, res, err) < 0)
		goto out;
	rc = rt_json_write(path, config, err);
out:
	json_decref(config);
	free(path);
	return rc;
}

bool
rt_blkio_weight_supported(void)
{
	static const char *const files[] = {
		"/sys/fs/cgroup/blkio/blkio.weight",
		"/sys/fs/cgroup/blkio/blkio.bfq.weight",
		"/sys/fs/cgroup/unified/io.weight",
		"/sys/fs/cgroup/io.weight",
		"/sys/fs/cgroup/unified/io.bfq.weight",
		"/sys/fs/cgroup/io.bfq.weight",
	};

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		if (access(files[i], F_OK) == 0)
			return true;
	return false;
}
