/*
 * execs-sweep.c: the folders of the node's finished execs, removed once
 * they have been finished for exec_keep.
 *
 * Each docker exec leaves a folder on the node (<zones>/<uuid>/exec/<id>:
 * its process, its monitor's state and socket).  A head removes the
 * folders of its own finished execs at the container's next exec
 * (dockerapi/api/exec-routes.c), but only in its own zones root: those of
 * a node's containers would stay until the container goes, so a tenant
 * running execs in a loop in a long-lived container would fill the
 * node's disk.  So every half exec_keep (half a second to ten minutes)
 * the agent looks at the execs of its containers and removes each whose
 * monitor is gone and whose state (written at its exit) has not changed
 * for exec_keep.  Until then another head may still read the exec's exit
 * code through the agent (container-exec.c); the head that started it
 * took it from the exit frame.  A running exec is never touched
 * (rt_exec_remove refuses one whose monitor lives).  The pass reads and
 * removes folders, so it runs on a thread (lib/rtcall.c), one at a time:
 * the loop only starts it.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <event2/event.h>

#include "agent.h"
#include "dockerapi/runtime/container-layout.h"
#include "ids.h"
#include "log.h"
#include "rtcall.h"
#include "xalloc.h"

/* Exec id of container uuid finished for exec_keep? */
static bool
execs_old(struct agent *a, const char *uuid, const char *id, time_t now)
{
	sdc_error_t err = NULL;
	struct rt_state st;
	struct stat sb;
	char *path;
	int rc;

	if (rt_exec_state(&a->rt, uuid, id, &st, &err) < 0) {
		sdc_error_release(&err);
		return false;
	}
	if (st.status == RT_RUNNING || st.status == RT_PAUSED ||
	    st.monitor_alive)
		return false;
	xasprintf(&path, "%s/%s/" RT_DIR_EXEC "/%s/" RT_FILE_STATE,
	    a->rt.zones, uuid, id);
	rc = stat(path, &sb);
	free(path);
	return rc == 0 && (int64_t)(now - sb.st_mtime) * 1000 >=
	    a->opt->exec_keep_ms;
}

/* One container's finished execs; the number removed. */
static int
execs_sweep_one(struct agent *a, const char *uuid, time_t now)
{
	sdc_error_t err = NULL;
	struct dirent *de;
	char *dir;
	DIR *d;
	int n = 0;

	xasprintf(&dir, "%s/%s/" RT_DIR_EXEC, a->rt.zones, uuid);
	d = opendir(dir);
	free(dir);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (!docker_id_valid(de->d_name) ||
		    !execs_old(a, uuid, de->d_name, now))
			continue;
		if (rt_exec_remove(&a->rt, uuid, de->d_name, &err) < 0) {
			log_warn("container %s: exec %.12s: not removed: %s",
			    uuid, de->d_name, sdc_error_msg(err));
			sdc_error_release(&err);
			continue;
		}
		n++;
	}
	closedir(d);
	return n;
}

/* The pass, on a thread: the runtime library and the file system only. */
static int
execs_pass(void *arg, sdc_error_t *err)
{
	struct agent *a = arg;
	time_t now = time(NULL);
	char **ids;
	size_t n;
	int gone;

	if (rt_list(&a->rt, &ids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((gone = execs_sweep_one(a, ids[i], now)) > 0)
			log_info("container %s: %d finished exec%s removed",
			    ids[i], gone, gone == 1 ? "" : "s");
	rt_list_free(ids, n);
	return 0;
}

static void
execs_pass_done(void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct agent *a = arg;

	(void)req;
	if (rc < 0)
		log_debug("execs: no pass: %s", sdc_error_msg(*err));
	a->exec_sweeping = false;
}

static void
execs_run(evutil_socket_t fd, short what, void *arg)
{
	struct agent *a = arg;
	sdc_error_t err = NULL;

	(void)fd;
	(void)what;
	if (a->exec_sweeping)
		return;                 /* the last pass is still going */
	if (rtcall_start(a->base, NULL, "exec sweep", execs_pass,
	    execs_pass_done, a, &err) < 0) {
		log_warn("execs: no pass: %s", sdc_error_msg(err));
		sdc_error_release(&err);
		return;
	}
	a->exec_sweeping = true;
}

void
agent_execs_sweep_start(struct agent *a)
{
	a->exec_sweep = agent_sweep_timer(a, a->opt->exec_keep_ms, 600000,
	    execs_run);
}

void
agent_execs_sweep_stop(struct agent *a)
{
	agent_sweep_timer_stop(&a->exec_sweep);
}
