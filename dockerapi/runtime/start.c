/*
 * start.c: rt_start(), the container's monitor started and the container
 * running under it.
 *
 * A start after an exit waits for the previous monitor to finish (it
 * removes the container from runc after reporting the exit), mounts the
 * root again if a reboot unmounted it, and clears runtime state that a
 * killed monitor left behind, so the same id can run again.
 */
#include <errno.h>
#include <stdlib.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

#define RT_START_WAIT_MS 10000

static int
rt_start_prepare(const struct rt_config *cfg, const char *id, const char *dir,
    json_t **rt, sdc_error_t *err)
{
	const char *del[] = { "delete", "--force", id, NULL };
	struct rt_state st;
	char *path;

	if (rt_state_read(cfg, id, &st, err) < 0)
		return -1;
	if (st.status == RT_RUNNING || st.status == RT_PAUSED)
		return sdc_make_error(err, 0, "Container %s is already %s", id,
		    rt_status_name(st.status));
	/* Exited: its monitor may still be removing it from runc. */
	if (rt_monitor_wait(dir, RT_START_WAIT_MS, err) < 0)
		return -1;
	xasprintf(&path, "%s/%s", dir, RT_FILE_RUNTIME);
	*rt = rt_json_read(path, err);
	free(path);
	if (*rt == NULL)
		return sdc_error_wrap(err, "container %s", id);
	if (rt_rootfs_ensure(dir, err) < 0)
		return -1;
	if (rt_runc_known(cfg, id) && rt_runc(cfg, del, err) < 0)
		return sdc_error_wrap(err, "clearing old runtime state");
	return 0;
}

int
rt_start(const struct rt_config *cfg, const char *id,
    const struct rt_start_opts *opts, struct rt_started *out, sdc_error_t *err)
{
	static const struct rt_start_opts none = { .no_log = false };
	json_t *rt = NULL;
	char *dir;
	int rc;

	out->pid = 0;
	out->attach_fd = -1;
	if (rt_id_check("container id", id, err) < 0)
		return -1;
	dir = rt_path(cfg, id, NULL);
	rc = rt_start_prepare(cfg, id, dir, &rt, err);
	if (rc == 0)
		rc = rt_sysfs_mount(dir, err);
	if (rc == 0 && (rc = rt_userns_join_prepare(dir, rt, err)) < 0)
		rt_sysfs_unmount(dir);
	if (rc == 0) {
		rc = rt_monitor_spawn(cfg, id, dir, NULL,
		    json_is_true(json_object_get(rt, "tty")),
		    json_is_true(json_object_get(rt, "open_stdin")),
		    opts != NULL ? opts : &none, out, err);
		/* running, it has its own copies (sysfs.c, userns-join.c) */
		rt_sysfs_unmount(dir);
		rt_userns_join_release(dir);
	}
	json_decref(rt);
	free(dir);
	return rc;
}
