/*
 * paths.c: the config's defaults and the names of things in a folder.
 *
 * Ids become path components and runc arguments, so they are checked
 * here once against a strict alphabet instead of escaped everywhere.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

#define RT_MONITOR_NAME "sdc-docker-monitor"

const char *
rt_zones(const struct rt_config *cfg)
{
	return cfg->zones != NULL ? cfg->zones : "/zones";
}

const char *
rt_runtime(const struct rt_config *cfg)
{
	return cfg->runtime != NULL ? cfg->runtime : "/usr/sbin/runc";
}

const char *
rt_runtime_root(const struct rt_config *cfg)
{
	return cfg->runtime_root != NULL ? cfg->runtime_root :
	    "/run/sdc-docker/runc";
}

/* How long a runtime call may take before it is killed. */
int
rt_timeout_ms(const struct rt_config *cfg)
{
	return cfg->timeout_ms > 0 ? cfg->timeout_ms : 60000;
}

/* The runtime's name for messages ("runc"), not its host path. */
const char *
rt_runtime_name(const struct rt_config *cfg)
{
	const char *slash = strrchr(rt_runtime(cfg), '/');

	return slash != NULL ? slash + 1 : rt_runtime(cfg);
}

const char *
rt_cgroup_parent(const struct rt_config *cfg)
{
	return cfg->cgroup_parent != NULL ? cfg->cgroup_parent : "sdc-docker";
}

/* Beside the running binary (the build tree, or the install's bin), else
 * whatever $PATH finds. */
char *
rt_monitor_path(const struct rt_config *cfg)
{
	if (cfg->monitor != NULL)
		return xstrdup(cfg->monitor);
	return rt_binary_path(RT_MONITOR_NAME);
}

char *
rt_binary_path(const char *name)
{
	char self[PATH_MAX], *slash, *path;
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			xasprintf(&path, "%s/%s", self, name);
			if (access(path, X_OK) == 0)
				return path;
			free(path);
		}
	}
	return xstrdup(name);
}

int
rt_id_check(const char *what, const char *id, sdc_error_t *err)
{
	size_t n = id != NULL ? strlen(id) : 0;

	if (n == 0 || n > 128 || id[0] == '.' || id[0] == '-' ||
	    strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") != n)
		return sdc_make_error(err, 0, "invalid %s '%s'", what,
		    id != NULL ? id : "");
	return 0;
}

/* Folder paths are always absolute: runc resolves a relative path (a bind
 * mount's source, say) against the bundle, not our working folder. */
char *
rt_path(const struct rt_config *cfg, const char *id, const char *name)
{
	const char *zones = rt_zones(cfg);
	char cwd[PATH_MAX] = "", *p;

	if (zones[0] != '/' && getcwd(cwd, sizeof cwd - 1) != NULL)
		strcat(cwd, "/");
	if (name != NULL)
		xasprintf(&p, "%s%s/%s/%s", cwd, zones, id, name);
	else
		xasprintf(&p, "%s%s/%s", cwd, zones, id);
	return p;
}

char *
rt_exec_path(const struct rt_config *cfg, const char *id, const char *exec_id)
{
	char *p;

	char *dir = rt_path(cfg, id, RT_DIR_EXEC);

	xasprintf(&p, "%s/%s", dir, exec_id);
	free(dir);
	return p;
}

char *
rt_dir(const struct rt_config *cfg, const char *id)
{
	return rt_path(cfg, id, NULL);
}
