/*
 * create.c: rt_create(), a container's folder from its spec.
 *
 * Order matters for cleaning up: the folder first (its existence is the
 * container's), then runtime.json (what a later start or a reboot needs
 * to mount the root again), the mounts, and config.json last, since
 * resolving a user by name needs the image's /etc/passwd in the mounted
 * root.  Any failure undoes all of it.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

static int
rt_create_runtime_json(const struct rt_spec *spec, const char *dir,
    json_t **out, sdc_error_t *err)
{
	json_t *layers = json_array(), *rt;
	const char *const *l;
	char *path;
	int rc;

	for (l = spec->layers; l != NULL && *l != NULL; l++)
		json_array_append_new(layers, json_string(*l));
	rt = json_pack("{s:o,s:I,s:b,s:b,s:o}", "layers", layers, "disk",
	    (json_int_t)spec->disk, "tty", spec->tty, "open_stdin",
	    spec->open_stdin, "idmap", rt_userns_json(&spec->idmap));
	xasprintf(&path, "%s/%s", dir, RT_FILE_RUNTIME);
	rc = rt_json_write(path, rt, err);
	free(path);
	*out = rt;
	return rc;
}

static int
rt_create_in(const struct rt_config *cfg, const struct rt_spec *spec,
    const char *dir, sdc_error_t *err)
{
	json_t *rt = NULL;
	char *logs;
	int rc;

	rc = rt_create_runtime_json(spec, dir, &rt, err);
	if (rc == 0)
		rc = rt_rootfs_mount(dir, json_object_get(rt, "layers"),
		    spec->disk, &spec->idmap, err);
	json_decref(rt);
	if (rc == 0)
		rc = rt_bundle_write(cfg, spec, dir, err);
	if (rc == 0)
		rc = rt_userns_own_dir(dir, &spec->idmap, err);
	if (rc == 0) {
		xasprintf(&logs, "%s/%s", dir, RT_LOG_DIR);
		if (mkdir(logs, 0750) < 0 && errno != EEXIST)
			rc = sdc_make_error(err, errno, "creating %s", logs);
		free(logs);
	}
	return rc;
}

int
rt_create(const struct rt_config *cfg, const struct rt_spec *spec,
    sdc_error_t *err)
{
	sdc_error_t ignored = NULL;
	char *dir;
	int rc;

	if (rt_id_check("container id", spec->id, err) < 0 ||
	    rt_userns_check(&spec->idmap, err) < 0)
		return -1;
	if (mkdir_p(rt_zones(cfg), 0755, err) < 0)
		return sdc_error_wrap(err, "zones folder");
	dir = rt_path(cfg, spec->id, NULL);
	if (mkdir(dir, 0700) < 0) {
		rc = sdc_make_error(err, errno, "creating %s", dir);
		free(dir);
		return rc;
	}
	if ((rc = rt_create_in(cfg, spec, dir, err)) < 0) {
		rt_rootfs_unmount(dir, &ignored);
		fs_rmtree(dir, &ignored);
		sdc_error_release(&ignored);
	}
	free(dir);
	return rc;
}
