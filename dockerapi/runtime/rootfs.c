/*
 * rootfs.c: a container's root filesystem, an overlay of the image's layer
 * folders with a writable layer of its own.
 *
 * Layout: <dir>/root is the overlay's mount point; <dir>/rw holds upper/
 * and work/.  With a disk limit, <dir>/rw is a tmpfs of that size: the
 * simplest real limit (ext4 here has no project quotas, and a loop device
 * with its own filesystem per container costs a mkfs and a device).  The
 * price: the writable layer lives in memory (swappable, and charged to
 * the container's memory cgroup as it writes), and does not survive a
 * reboot of the host.  Without a limit it is a plain folder and does.
 *
 * Layers are given lowest first (image order) and overlay wants the top
 * first.  The mount's option string must fit a page, which limits how many
 * layers of long paths one image can have; that is reported, not worked
 * around.  Folder names with ',' or ':' cannot be expressed and are refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

static int
rt_rootfs_mkdir(const char *dir, const char *name, sdc_error_t *err)
{
	char *p;
	int rc = 0;

	xasprintf(&p, "%s/%s", dir, name);
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		rc = sdc_make_error(err, errno, "creating %s", p);
	free(p);
	return rc;
}

static bool
rt_rootfs_is_mount(const char *dir, const char *name)
{
	struct stat a, b;
	char *p;
	bool m;

	xasprintf(&p, "%s/%s", dir, name);
	m = stat(dir, &a) == 0 && stat(p, &b) == 0 && a.st_dev != b.st_dev;
	free(p);
	return m;
}

/* The overlay's options, or -1 if a layer cannot be named in them.  With
 * fds (idmapped layers, userns.c), layer i is /proc/self/fd/<fds[i]>. */
static int
rt_rootfs_options(const char *dir, const json_t *layers, const int *fds,
    struct buf *o, sdc_error_t *err)
{
	const char *l;
	size_t i;

	buf_puts(o, "lowerdir=");
	if (json_array_size(layers) == 0)
		buf_printf(o, "%s/%s/empty", dir, RT_DIR_RW);
	for (i = json_array_size(layers); i-- > 0;) {
		l = json_string_value(json_array_get(layers, i));
		if (l == NULL || l[0] != '/' || strpbrk(l, ",:") != NULL)
			return sdc_make_error(err, 0, "layer folder '%s' must be an "
			    "absolute path without ',' or ':'", l != NULL ? l : "");
		buf_puts(o, i + 1 == json_array_size(layers) ? "" : ":");
		if (fds != NULL)
			buf_printf(o, "/proc/self/fd/%d", fds[i]);
		else
			buf_puts(o, l);
	}
	buf_printf(o, ",upperdir=%s/%s/upper,workdir=%s/%s/work", dir,
	    RT_DIR_RW, dir, RT_DIR_RW);
	if (strpbrk(dir, ",:") != NULL)
		return sdc_make_error(err, 0, "zones folder '%s' must not contain "
		    "',' or ':'", dir);
	if (o->len >= 4000)
		return sdc_make_error(err, 0, "too many image layers for one "
		    "overlay mount (%zu)", json_array_size(layers));
	return 0;
}

static int
rt_rootfs_rw(const char *dir, int64_t disk, sdc_error_t *err)
{
	char *rw, opts[64];
	int rc = 0;

	if (rt_rootfs_mkdir(dir, RT_DIR_RW, err) < 0)
		return -1;
	if (disk > 0 && !rt_rootfs_is_mount(dir, RT_DIR_RW)) {
		xasprintf(&rw, "%s/%s", dir, RT_DIR_RW);
		snprintf(opts, sizeof opts, "size=%lld,mode=0755", (long long)disk);
		if (mount("tmpfs", rw, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
			rc = sdc_make_error(err, errno, "mounting the writable "
			    "layer's tmpfs on %s", rw);
		free(rw);
		if (rc < 0)
			return rc;
	}
	if (rt_rootfs_mkdir(dir, RT_DIR_UPPER, err) < 0 ||
	    rt_rootfs_mkdir(dir, RT_DIR_WORK, err) < 0 ||
	    rt_rootfs_mkdir(dir, RT_DIR_RW "/empty", err) < 0)
		return -1;
	return 0;
}

int
rt_rootfs_mount(const char *dir, const json_t *layers, int64_t disk,
    const struct rt_idmap *idmap, sdc_error_t *err)
{
	size_t n = json_array_size(layers);
	struct buf opts = BUF_INIT;
	int *fds = NULL, rc = 0;
	char *root;

	if (rt_rootfs_is_mount(dir, RT_DIR_ROOT))
		return 0;
	if (rt_rootfs_rw(dir, disk, err) < 0 ||
	    rt_rootfs_mkdir(dir, RT_DIR_ROOT, err) < 0)
		return sdc_error_wrap(err, "root filesystem");
	if (rt_userns_on(idmap)) {
		fds = xcalloc(n + 1, sizeof *fds);
		if (rt_userns_own_rw(dir, idmap, err) < 0 ||
		    rt_userns_layers(layers, idmap, fds, err) < 0) {
			free(fds);
			return sdc_error_wrap(err, "root filesystem");
		}
	}
	if (rt_rootfs_options(dir, layers, fds, &opts, err) < 0)
		rc = -1;
	else {
		xasprintf(&root, "%s/%s", dir, RT_DIR_ROOT);
		if (mount("overlay", root, "overlay", 0, buf_str(&opts)) < 0)
			rc = sdc_make_error(err, errno, "mounting the overlay on "
			    "%s", root);
		free(root);
	}
	if (fds != NULL)
		rt_userns_close(fds, n);
	free(fds);
	buf_free(&opts);
	return rc;
}

/* Mount again what a reboot unmounted, from runtime.json. */
int
rt_rootfs_ensure(const char *dir, sdc_error_t *err)
{
	struct rt_idmap idmap;
	json_t *rt;
	char *path;
	int rc;

	if (rt_rootfs_is_mount(dir, RT_DIR_ROOT))
		return 0;
	xasprintf(&path, "%s/%s", dir, RT_FILE_RUNTIME);
	rt = rt_json_read(path, err);
	free(path);
	if (rt == NULL)
		return -1;
	rt_userns_from_json(json_object_get(rt, "idmap"), &idmap);
	rc = rt_rootfs_mount(dir, json_object_get(rt, "layers"),
	    json_integer_value(json_object_get(rt, "disk")), &idmap, err);
	json_decref(rt);
	return rc;
}

static int
rt_rootfs_umount(const char *dir, const char *name, sdc_error_t *err)
{
	char *p;
	int rc = 0;

	if (!rt_rootfs_is_mount(dir, name))
		return 0;
	xasprintf(&p, "%s/%s", dir, name);
	if (umount2(p, 0) < 0 && umount2(p, MNT_DETACH) < 0)
		rc = sdc_make_error(err, errno, "unmounting %s", p);
	free(p);
	return rc;
}

int
rt_rootfs_unmount(const char *dir, sdc_error_t *err)
{
	rt_sysfs_unmount(dir);
	if (rt_rootfs_umount(dir, RT_DIR_ROOT, err) < 0 ||
	    rt_rootfs_umount(dir, RT_DIR_RW, err) < 0)
		return -1;
	return 0;
}

/* Bytes in use under an open folder; never follows a symlink. */
static int64_t
rt_rootfs_du(int dfd)
{
	struct dirent *d;
	struct stat st;
	int64_t sum = 0;
	DIR *dir;
	int fd;

	if ((dir = fdopendir(dfd)) == NULL) {
		close(dfd);
		return 0;
	}
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0 ||
		    fstatat(dirfd(dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		sum += (int64_t)st.st_blocks * 512;
		if (S_ISDIR(st.st_mode) && (fd = openat(dirfd(dir), d->d_name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0)
			sum += rt_rootfs_du(fd);
	}
	closedir(dir);
	return sum;
}

int
rt_size_rw(const struct rt_config *cfg, const char *id, int64_t *bytes,
    sdc_error_t *err)
{
	char *dir, *upper;
	struct statfs fs;
	int fd, rc = 0;

	*bytes = 0;
	if (rt_id_check("container id", id, err) < 0)
		return -1;
	dir = rt_path(cfg, id, NULL);
	xasprintf(&upper, "%s/%s/upper", dir, RT_DIR_RW);
	if (rt_rootfs_is_mount(dir, RT_DIR_RW) && statfs(upper, &fs) == 0)
		*bytes = (int64_t)(fs.f_blocks - fs.f_bfree) * fs.f_bsize;
	else if ((fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
		*bytes = rt_rootfs_du(fd);
	else
		rc = sdc_make_error_code(err, 404, "No such container: %s", id);
	free(upper);
	free(dir);
	return rc;
}
