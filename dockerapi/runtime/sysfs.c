/*
 * sysfs.c: the /sys of a container that has a user namespace and joins a
 * network namespace made outside it (the sandbox of dockerapi/net/net.h).
 *
 * sysfs shows the network devices of the namespace its mounter is in, so
 * the kernel lets it be mounted only with CAP_SYS_ADMIN over the user
 * namespace owning that network namespace.  The container's root has it
 * over its own user namespace only, and the sandbox belongs to the initial
 * one: runc 1.1 fails with "mount sysfs ... operation not permitted".  The
 * usual fallback, a bind of the host's /sys, would show a tenant every
 * link of the host, other tenants' veths (named after their ids) included.
 *
 * Instead, just before runc runs, the daemon mounts a sysfs read-only at
 * <dir>/sysfs from a short-lived thread that joined the sandbox
 * (lib/netns.c: setns is per thread and ends with it), and config.json
 * binds that at /sys (bundle.c).  Once the container runs its mount
 * namespace holds its own copy, so the daemon's is detached at once: the
 * sandbox is pinned by nothing but the container.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns.h"
#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

static int
rt_sysfs_mount_here(void *target, sdc_error_t *err)
{
	if (mount("sysfs", target, "sysfs", MS_RDONLY | MS_NOSUID |
	    MS_NOEXEC | MS_NODEV, NULL) < 0)
		return sdc_make_error(err, errno, "mounting sysfs");
	return 0;
}

/* The network namespace path config.json joins when its /sys is ours. */
static const char *
rt_sysfs_netns(const json_t *config, const char *target)
{
	const json_t *m = NULL, *ns;
	size_t i;

	json_array_foreach(json_object_get(config, "mounts"), i, m) {
		const char *dst = json_string_value(json_object_get(m,
		    "destination"));
		const char *src = json_string_value(json_object_get(m, "source"));

		if (dst == NULL || strcmp(dst, "/sys") != 0)
			continue;
		if (src == NULL || strcmp(src, target) != 0)
			return NULL;
		break;
	}
	if (m == NULL)
		return NULL;
	json_array_foreach(json_object_get(json_object_get(config, "linux"),
	    "namespaces"), i, ns) {
		const char *type = json_string_value(json_object_get(ns, "type"));

		if (type != NULL && strcmp(type, "network") == 0)
			return json_string_value(json_object_get(ns, "path"));
	}
	return NULL;
}

void
rt_sysfs_unmount(const char *dir)
{
	char *target;

	xasprintf(&target, "%s/%s", dir, RT_DIR_SYSFS);
	while (umount2(target, MNT_DETACH) == 0)
		;
	free(target);
}

int
rt_sysfs_mount(const char *dir, sdc_error_t *err)
{
	const char *netns;
	char *target, *path;
	json_t *config;
	int rc = 0;

	xasprintf(&target, "%s/%s", dir, RT_DIR_SYSFS);
	xasprintf(&path, "%s/" RT_FILE_CONFIG, dir);
	config = rt_json_read(path, err);
	free(path);
	if (config == NULL) {
		free(target);
		return -1;
	}
	if ((netns = rt_sysfs_netns(config, target)) != NULL) {
		rt_sysfs_unmount(dir);
		if (mkdir(target, 0555) < 0 && errno != EEXIST)
			rc = sdc_make_error(err, errno, "making %s", target);
		else
			rc = netns_run(netns, rt_sysfs_mount_here, target, err);
		if (rc < 0)
			sdc_error_wrap(err, "the container's /sys");
	}
	json_decref(config);
	free(target);
	return rc;
}
