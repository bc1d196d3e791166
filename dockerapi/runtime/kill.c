/*
 * kill.c: a signal to the container's init.
 *
 * Sent with kill(2) straight to the pid the monitor recorded, after
 * checking that the pid still names the same process (its start time), so
 * a pid reused by some other process is never signalled.  This skips a
 * runtime exec (`runc kill` does the same thing after reading its state)
 * and works the same after a daemon restart.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

int
rt_kill(const struct rt_config *cfg, const char *id, int sig,
    sdc_error_t *err)
{
	struct rt_state st;
	char *dir;
	json_t *j;
	char *path;
	long long start;

	if (rt_state_read(cfg, id, &st, err) < 0)
		return -1;
	if (st.status != RT_RUNNING && st.status != RT_PAUSED)
		return sdc_make_error(err, 0, "Container %s is not running", id);
	dir = rt_path(cfg, id, NULL);
	xasprintf(&path, "%s/%s", dir, RT_FILE_STATE);
	j = rt_json_read(path, err);
	free(path);
	free(dir);
	if (j == NULL)
		return -1;
	start = json_integer_value(json_object_get(j, "pid_start"));
	json_decref(j);
	if (start <= 0 || rt_pid_start(st.pid) != start)
		return sdc_make_error(err, 0, "Container %s is not running", id);
	if (kill(st.pid, sig) < 0)
		return sdc_make_error(err, errno, "signalling container %s", id);
	return 0;
}
