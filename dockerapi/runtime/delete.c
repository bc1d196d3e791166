/*
 * delete.c: removing a container and everything it had on the host.
 *
 * Force kills a running container (thawing a paused one first, since a
 * frozen task does not die) and waits for its monitor, and for the
 * monitors of its execs, to finish.  Then whatever is left goes, each step
 * safe to repeat, so a delete that failed halfway can simply be retried:
 * runc's state and cgroups (the monitor normally removed them already),
 * the root overlay and the writable layer's tmpfs, and the folder.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

#define RT_DELETE_WAIT_MS 10000

static int
rt_delete_stop(const struct rt_config *cfg, const char *id, const char *dir,
    sdc_error_t *err)
{
	const char *resume[] = { "resume", id, NULL };
	struct rt_state st;

	if (rt_state_read(cfg, id, &st, err) < 0)
		return -1;
	if (st.status == RT_PAUSED && rt_runc(cfg, resume, err) < 0)
		return -1;
	if ((st.status == RT_RUNNING || st.status == RT_PAUSED) &&
	    rt_kill(cfg, id, SIGKILL, err) < 0 && rt_monitor_alive(dir))
		return -1;
	return rt_monitor_wait(dir, RT_DELETE_WAIT_MS, err);
}

static int
rt_delete_execs(const char *dir, sdc_error_t *err)
{
	struct dirent *d;
	char *edir;
	DIR *ds;
	int rc = 0;

	xasprintf(&edir, "%s/%s", dir, RT_DIR_EXEC);
	ds = opendir(edir);
	free(edir);
	while (ds != NULL && rc == 0 && (d = readdir(ds)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		xasprintf(&edir, "%s/%s/%s", dir, RT_DIR_EXEC, d->d_name);
		rc = rt_monitor_wait(edir, RT_DELETE_WAIT_MS, err);
		free(edir);
	}
	if (ds != NULL)
		closedir(ds);
	return rc;
}

int
rt_delete(const struct rt_config *cfg, const char *id, bool force,
    sdc_error_t *err)
{
	const char *del[] = { "delete", "--force", id, NULL };
	struct rt_state st;
	char *dir;
	int rc = -1;

	if (rt_state_read(cfg, id, &st, err) < 0)
		return -1;
	if ((st.status == RT_RUNNING || st.status == RT_PAUSED) && !force)
		return sdc_make_error(err, 0, "You cannot remove a %s container "
		    "%s. Stop the container before attempting removal or force "
		    "remove", rt_status_name(st.status), id);
	dir = rt_path(cfg, id, NULL);
	if (rt_delete_stop(cfg, id, dir, err) == 0 &&
	    rt_delete_execs(dir, err) == 0 &&
	    (!rt_runc_known(cfg, id) || rt_runc(cfg, del, err) == 0) &&
	    rt_cgroup_remove(cfg, id, err) == 0 &&
	    rt_rootfs_unmount(dir, err) == 0)
		rc = fs_rmtree(dir, err);
	free(dir);
	if (rc < 0)
		return sdc_error_wrap(err, "removing container %s", id);
	return 0;
}
