/*
 * exec.c: a process started in a running container (docker exec).
 *
 * Each exec has a folder <zones>/<id>/exec/<exec_id>/ and a monitor of its
 * own, running `runc exec --detach` as a subreaper exactly as the
 * container's monitor runs `runc run`: the exec's exit code is then its
 * real wait status, and its attach socket speaks the same frames.  The
 * process inherits the container's environment (the exec's Env added,
 * last wins), working folder and user unless the exec names its own.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

/* The container's env with the exec's on top: a NULL-terminated array
 * whose strings belong to the config and proc.  An exec entry without
 * '=' unsets the variable, as dockerd's ReplaceOrAppendEnvValues does. */
static const char **
rt_exec_env(const json_t *base, const char *const *add)
{
	size_t n = json_array_size(base), i, j, m = 0, k, len;
	const char **env;
	const char *e;

	for (j = 0; add != NULL && add[j] != NULL; j++)
		;
	env = xcalloc(n + j + 1, sizeof *env);
	for (i = 0; i < n; i++) {
		e = json_string_value(json_array_get(base, i));
		if (e == NULL)
			continue;
		len = strcspn(e, "=");
		for (k = 0; k < j; k++)
			if (strncmp(add[k], e, len) == 0 &&
			    (add[k][len] == '=' || add[k][len] == '\0'))
				break;
		if (k == j)
			env[m++] = e;
	}
	for (k = 0; k < j; k++)
		if (strchr(add[k], '=') != NULL)
			env[m++] = add[k];
	return env;
}

static json_t *
rt_exec_process(const struct rt_config *cfg, const char *id,
    const struct rt_process *proc, sdc_error_t *err)
{
	char *dir = rt_path(cfg, id, NULL), *path, *rootfs;
	json_t *config, *cproc, *p = NULL;
	struct rt_process merged = *proc;
	const char **env;

	xasprintf(&path, "%s/" RT_FILE_CONFIG, dir);
	config = rt_json_read(path, err);
	free(path);
	if (config == NULL) {
		free(dir);
		return NULL;
	}
	cproc = json_object_get(config, "process");
	env = rt_exec_env(json_object_get(cproc, "env"), proc->env);
	merged.env = env;
	if (merged.cwd == NULL)
		merged.cwd = json_string_value(json_object_get(cproc, "cwd"));
	xasprintf(&rootfs, "%s/%s", dir, RT_DIR_ROOT);
	p = rt_bundle_process(&merged, rootfs,
	    json_string_value(json_object_get(config, "hostname")), err);
	if (p != NULL && (proc->user == NULL || proc->user[0] == '\0'))
		json_object_set(p, "user", json_object_get(cproc, "user"));
	if (p != NULL)
		rt_bundle_options_exec(p, cproc);
	free(rootfs);
	free(env);
	free(dir);
	json_decref(config);
	return p;
}

int
rt_exec_start(const struct rt_config *cfg, const char *id,
    const char *exec_id, const struct rt_process *proc,
    const struct rt_start_opts *opts, struct rt_started *out,
    sdc_error_t *err)
{
	static const struct rt_start_opts none = { .no_log = true };
	char *edir = NULL, *path = NULL;
	struct rt_state st;
	json_t *p = NULL;
	int rc = -1;

	out->pid = 0;
	out->attach_fd = -1;
	if (rt_id_check("exec id", exec_id, err) < 0 ||
	    rt_state_read(cfg, id, &st, err) < 0)
		return -1;
	if (st.status == RT_PAUSED)
		return sdc_make_error(err, 0, "Container %s is paused, unpause the "
		    "container before exec", id);
	if (st.status != RT_RUNNING)
		return sdc_make_error(err, 0, "Container %s is not running", id);
	path = rt_path(cfg, id, RT_DIR_EXEC);
	edir = rt_exec_path(cfg, id, exec_id);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		sdc_make_error(err, errno, "creating %s", path);
	else if (mkdir(edir, 0700) < 0)
		sdc_make_error(err, errno, "creating %s", edir);
	else if ((p = rt_exec_process(cfg, id, proc, err)) != NULL) {
		free(path);
		xasprintf(&path, "%s/%s", edir, RT_FILE_PROCESS);
		if (rt_json_write(path, p, err) == 0)
			rc = rt_monitor_spawn(cfg, id, edir, path, proc->tty,
			    proc->open_stdin, opts != NULL ? opts : &none, out,
			    err);
	}
	json_decref(p);
	free(path);
	free(edir);
	return rc;
}

int
rt_exec_state(const struct rt_config *cfg, const char *id,
    const char *exec_id, struct rt_state *out, sdc_error_t *err)
{
	struct stat st;
	char *edir;
	int rc;

	if (rt_id_check("container id", id, err) < 0 ||
	    rt_id_check("exec id", exec_id, err) < 0)
		return -1;
	edir = rt_exec_path(cfg, id, exec_id);
	if (stat(edir, &st) < 0)
		rc = sdc_make_error_code(err, 404, "No such exec instance: %s",
		    exec_id);
	else
		rc = rt_state_file(edir, out, err);
	free(edir);
	return rc;
}

int
rt_exec_remove(const struct rt_config *cfg, const char *id,
    const char *exec_id, sdc_error_t *err)
{
	char *edir;
	int rc;

	if (rt_id_check("container id", id, err) < 0 ||
	    rt_id_check("exec id", exec_id, err) < 0)
		return -1;
	edir = rt_exec_path(cfg, id, exec_id);
	if (rt_monitor_alive(edir))
		rc = sdc_make_error(err, 0, "exec %s is still running", exec_id);
	else
		rc = fs_rmtree(edir, err);
	free(edir);
	return rc;
}
