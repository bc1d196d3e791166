/*
 * cgroup.c: finding a container's cgroups, on v1, v2 or the hybrid of both.
 *
 * runc makes them from linux.cgroupsPath, "/<cgroup_parent>/<id>", under
 * every hierarchy mounted.  This host is hybrid: v1 controllers under
 * /sys/fs/cgroup/<name> and an empty v2 tree at /sys/fs/cgroup/unified, so
 * a controller is looked for among the v1 mounts first and in the v2 tree
 * only when no v1 hierarchy carries it.  Mount points come from
 * /proc/self/mountinfo, not from assumed paths.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

/* Calls fn(mountpoint, v2, superopts, arg) for each cgroup mount, until fn
 * returns non-zero; returns that. */
static int
rt_cgroup_mounts(int (*fn)(const char *, bool, const char *, void *),
    void *arg)
{
	char line[4096], mnt[1024], type[64], opts[1024], *dash;
	FILE *f;
	int rc = 0;

	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL)
		return 0;
	while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
		if ((dash = strstr(line, " - ")) == NULL ||
		    sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1 ||
		    sscanf(dash + 3, "%63s %*s %1023s", type, opts) != 2)
			continue;
		if (strcmp(type, "cgroup") == 0)
			rc = fn(mnt, false, opts, arg);
		else if (strcmp(type, "cgroup2") == 0)
			rc = fn(mnt, true, opts, arg);
	}
	fclose(f);
	return rc;
}

static bool
rt_cgroup_has(const char *opts, const char *controller)
{
	size_t n = strlen(controller);
	const char *p = opts;

	while ((p = strstr(p, controller)) != NULL) {
		if ((p == opts || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

struct rt_cgroup_find {
	const char *controller;
	char v1[1024];
	char v2[1024];
};

static int
rt_cgroup_find_cb(const char *mnt, bool v2, const char *opts, void *arg)
{
	struct rt_cgroup_find *f = arg;

	if (v2)
		snprintf(f->v2, sizeof f->v2, "%s", mnt);
	else if (rt_cgroup_has(opts, f->controller)) {
		snprintf(f->v1, sizeof f->v1, "%s", mnt);
		return 1;
	}
	return 0;
}

char *
rt_cgroups_path(const struct rt_config *cfg, const char *id)
{
	char *p;

	xasprintf(&p, "/%s/%s", rt_cgroup_parent(cfg), id);
	return p;
}

/* The folder of the container's cgroup for controller; NULL if no
 * hierarchy has it.  *v2 tells which kind it is. */
static char *
rt_cgroup_find(const struct rt_config *cfg, const char *id,
    const char *controller, bool *v2)
{
	struct rt_cgroup_find f = { .controller = controller };
	char *p;

	rt_cgroup_mounts(rt_cgroup_find_cb, &f);
	if (f.v1[0] == '\0' && f.v2[0] == '\0')
		return NULL;
	*v2 = f.v1[0] == '\0';
	xasprintf(&p, "%s/%s/%s", *v2 ? f.v2 : f.v1, rt_cgroup_parent(cfg), id);
	return p;
}

char *
rt_cgroup_dir(const struct rt_config *cfg, const char *id,
    const char *controller, bool *v2)
{
	bool ignored;

	return rt_cgroup_find(cfg, id, controller, v2 != NULL ? v2 : &ignored);
}

char *
rt_oom_file(const struct rt_config *cfg, const char *id)
{
	char *dir, *p;
	bool v2;

	if ((dir = rt_cgroup_find(cfg, id, "memory", &v2)) == NULL)
		return NULL;
	xasprintf(&p, "%s/%s", dir, v2 ? "memory.events" : "memory.oom_control");
	free(dir);
	return p;
}

bool
rt_cgroup_frozen(const struct rt_config *cfg, const char *id)
{
	char *dir, *path, state[32] = "";
	FILE *f;
	bool v2;

	if ((dir = rt_cgroup_find(cfg, id, "freezer", &v2)) == NULL)
		return false;
	xasprintf(&path, "%s/%s", dir, v2 ? "cgroup.freeze" : "freezer.state");
	free(dir);
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(state, sizeof state, f) == NULL)
			state[0] = '\0';
		fclose(f);
	}
	free(path);
	return strncmp(state, v2 ? "1" : "FROZEN", v2 ? 1 : 6) == 0;
}

struct rt_cgroup_rm {
	const char *rel;
	int busy;
};

static int
rt_cgroup_rm_cb(const char *mnt, bool v2, const char *opts, void *arg)
{
	struct rt_cgroup_rm *r = arg;
	char path[2048];

	snprintf(path, sizeof path, "%s%s", mnt, r->rel);
	if (rmdir(path) < 0 && errno != ENOENT)
		r->busy = errno;
	return 0;
}

/* Remove what runc left (it removes its own on delete; this is for a
 * container whose runtime state was lost). */
int
rt_cgroup_remove(const struct rt_config *cfg, const char *id, sdc_error_t *err)
{
	struct rt_cgroup_rm r = { .busy = 0 };
	char *rel = rt_cgroups_path(cfg, id);

	r.rel = rel;
	rt_cgroup_mounts(rt_cgroup_rm_cb, &r);
	free(rel);
	if (r.busy != 0)
		return sdc_make_error(err, r.busy, "removing the cgroups of %s", id);
	return 0;
}
