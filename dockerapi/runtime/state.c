/*
 * state.c: a container's state, read back from its folder.
 *
 * state.json is the monitor's record (written whole and renamed: see the
 * monitor's exit.c); the monitor's lock says whether the monitor lives,
 * and the freezer cgroup whether the container is paused.  No state.json
 * means never started.  A "running" record with no live monitor means the
 * monitor was killed: the container is still running if its pid is still
 * the same process (the pid's start time matches), and otherwise exited
 * with an unknown code (-1).  All a restarted daemon needs is this.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "timeutil.h"
#include "xalloc.h"
#include "dockerapi/runtime/internal.h"
#include "dockerapi/runtime/procstat.h"

const char *
rt_status_name(enum rt_status s)
{
	switch (s) {
	case RT_CREATED: return "created";
	case RT_RUNNING: return "running";
	case RT_PAUSED: return "paused";
	case RT_EXITED: return "exited";
	}
	return "unknown";
}

long long
rt_pid_start(pid_t pid)
{
	return rt_proc_start_time(pid);
}

/* runc's RFC 3339 time at key; zero when missing or unreadable. */
static void
rt_state_time(const json_t *j, const char *key, struct timespec *ts)
{
	int64_t ns = 0;

	if (time_parse_rfc3339(json_string_value(json_object_get(j, key)), &ns,
	    NULL) < 0)
		ns = 0;
	ts->tv_sec = (time_t)(ns / TIME_NS_PER_SEC);
	ts->tv_nsec = (long)(ns % TIME_NS_PER_SEC);
}

int
rt_state_json(json_t *j, struct rt_state *out)
{
	const char *status = json_string_value(json_object_get(j, "status"));
	json_int_t pid_start;

	if (status == NULL)
		return -1;
	out->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
	out->monitor_pid = (pid_t)json_integer_value(json_object_get(j,
	    "monitor_pid"));
	rt_state_time(j, "started_at", &out->started_at);
	if (strcmp(status, "running") == 0) {
		out->status = RT_RUNNING;
		pid_start = json_integer_value(json_object_get(j, "pid_start"));
		if (!out->monitor_alive && (pid_start <= 0 ||
		    rt_pid_start(out->pid) != pid_start)) {
			out->status = RT_EXITED;
			out->exit_code = -1;
		}
		return 0;
	}
	out->status = RT_EXITED;
	out->exit_code = (int)json_integer_value(json_object_get(j, "exit_code"));
	out->signal = (int)json_integer_value(json_object_get(j, "signal"));
	out->oom_killed = json_is_true(json_object_get(j, "oom_killed"));
	rt_state_time(j, "finished_at", &out->finished_at);
	return 0;
}

int
rt_state_file(const char *dir, struct rt_state *out, sdc_error_t *err)
{
	json_error_t je;
	char *path;
	json_t *j;
	int rc = 0;

	memset(out, 0, sizeof *out);
	out->status = RT_CREATED;
	out->monitor_alive = rt_monitor_alive(dir);
	xasprintf(&path, "%s/%s", dir, RT_FILE_STATE);
	j = json_load_file(path, 0, &je);
	if (j == NULL && errno != ENOENT && access(path, F_OK) == 0)
		rc = sdc_make_error(err, 0, "%s: %s", path, je.text);
	else if (j != NULL && rt_state_json(j, out) < 0)
		rc = sdc_make_error(err, 0, "%s: no status", path);
	json_decref(j);
	free(path);
	return rc;
}

int
rt_state_read(const struct rt_config *cfg, const char *id,
    struct rt_state *out, sdc_error_t *err)
{
	struct stat st;
	char *dir;
	int rc;

	if (rt_id_check("container id", id, err) < 0)
		return -1;
	dir = rt_path(cfg, id, NULL);
	if (stat(dir, &st) < 0) {
		rc = sdc_make_error_code(err, 404, "No such container: %s", id);
		free(dir);
		return rc;
	}
	rc = rt_state_file(dir, out, err);
	free(dir);
	if (rc == 0 && out->status == RT_RUNNING && rt_cgroup_frozen(cfg, id))
		out->status = RT_PAUSED;
	return rc;
}

int
rt_wait(const struct rt_config *cfg, const char *id, int timeout_ms,
    struct rt_state *out, sdc_error_t *err)
{
	struct rt_frame *f = xmalloc(sizeof *f);
	struct pollfd p;
	int fd, rc = 1;

	if ((fd = rt_attach_open(cfg, id, NULL, NULL)) >= 0 &&
	    rt_attach_send(fd, RT_FRAME_MUTE, NULL, 0, NULL) == 0) {
		p.fd = fd;
		p.events = POLLIN;
		while ((rc = poll(&p, 1, timeout_ms)) > 0 &&
		    rt_attach_recv(fd, f, NULL) == 1 && f->type != RT_FRAME_EXIT)
			;
	}
	if (fd >= 0)
		close(fd);
	free(f);
	if (rc == 0 && fd >= 0)
		return sdc_make_error(err, ETIMEDOUT, "waiting for %s", id);
	/* The exit record is written before the monitor hangs up. */
	return rt_state_read(cfg, id, out, err);
}

int
rt_list(const struct rt_config *cfg, char ***ids, size_t *n, sdc_error_t *err)
{
	struct dirent *d;
	size_t cap = 0;
	DIR *dir;

	*ids = NULL;
	*n = 0;
	if ((dir = opendir(rt_zones(cfg))) == NULL) {
		if (errno == ENOENT)
			return 0;
		return sdc_make_error(err, errno, "%s", rt_zones(cfg));
	}
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.' || rt_id_check("id", d->d_name, NULL) < 0)
			continue;
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			*ids = xrealloc(*ids, cap * sizeof **ids);
		}
		(*ids)[(*n)++] = xstrdup(d->d_name);
	}
	closedir(dir);
	return 0;
}

void
rt_list_free(char **ids, size_t n)
{
	while (n > 0)
		free(ids[--n]);
	free(ids);
}
