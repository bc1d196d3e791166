/*
 * volume-fs.c: a folder with a filesystem of its own, so that the kernel
 * caps what can be written in it.
 *
 * The node's data filesystem is ext4 without project quotas, so a folder
 * on it has no limit of its own: a tenant's container writing into a
 * volume could fill the node's disk.  A cap the kernel enforces is a
 * filesystem of the cap's size: a sparse file (it takes only what is
 * written in it), made ext4 by mke2fs, mounted on the folder through a
 * loop device.  A write past its end gets ENOSPC in the writer, and
 * nothing else on the node notices.  `discard` gives the blocks of
 * removed files back to the file below, so a volume emptied gives its
 * bytes back to the node.  mount(8) sets the loop device to go with the
 * last unmount (autoclear), so nothing has to be detached by hand.
 *
 * mke2fs makes its root owned by the given ids (root_owner), so a
 * volume's top belongs to the account's user-namespace root as a plain
 * folder's would; lost+found is removed (a volume starts empty, and
 * Docker's first copy fills only an empty volume; e2fsck makes it again
 * if it ever needs one).  A filesystem grows online when its cap grows
 * (resize2fs on the mounted device); it never shrinks.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "run-command.h"
#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

#define VOLUME_FS_TIMEOUT_MS 60000
#define LOOP_MAJOR 7

bool
rt_volume_fs_mounted(const char *mnt)
{
	struct stat st, up;
	char *parent;
	int rc;

	if (lstat(mnt, &st) < 0 || !S_ISDIR(st.st_mode))
		return false;
	xasprintf(&parent, "%s/..", mnt);
	rc = stat(parent, &up);
	free(parent);
	return rc == 0 && (st.st_dev != up.st_dev || st.st_ino == up.st_ino);
}

static int
rt_volume_fs_run(const char *const *argv, sdc_error_t *err)
{
	struct run_command rc = { .argv = argv,
	    .timeout_ms = VOLUME_FS_TIMEOUT_MS };

	return run_command(&rc, err);
}

int
rt_volume_fs_mount(const char *img, const char *mnt, sdc_error_t *err)
{
	const char *argv[] = { "mount", "-t", "ext4", "-o",
	    "loop,discard,nodev", img, mnt, NULL };

	if (rt_volume_fs_mounted(mnt))
		return 0;
	if (rt_volume_fs_run(argv, err) < 0)
		return sdc_error_wrap(err, "mounting %s", img);
	return 0;
}

int
rt_volume_fs_make(const char *img, const char *mnt, int64_t bytes, uid_t uid,
    gid_t gid, mode_t mode, sdc_error_t *err)
{
	char ext[128], *lf;
	const char *argv[] = { "mke2fs", "-q", "-F", "-t", "ext4", "-m", "0",
	    "-E", ext, img, NULL };
	int fd, rc = 0;

	if (bytes < RT_VOLUME_FS_MIN)
		return sdc_make_error_code(err, 400, "a filesystem of %lld "
		    "bytes is too small: at least %d", (long long)bytes,
		    RT_VOLUME_FS_MIN);
	snprintf(ext, sizeof ext, "root_owner=%u:%u,lazy_itable_init=1,"
	    "lazy_journal_init=1,nodiscard", (unsigned)uid, (unsigned)gid);
	fd = open(img, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return sdc_make_error(err, errno, "creating %s", img);
	if (ftruncate(fd, bytes) < 0)
		rc = sdc_make_error(err, errno, "sizing %s", img);
	close(fd);
	if (rc == 0 && rt_volume_fs_run(argv, err) < 0)
		rc = sdc_error_wrap(err, "making a filesystem in %s", img);
	if (rc == 0)
		rc = rt_volume_fs_mount(img, mnt, err);
	if (rc < 0) {
		unlink(img);
		return -1;
	}
	xasprintf(&lf, "%s/lost+found", mnt);
	rmdir(lf);
	free(lf);
	if (chmod(mnt, mode) < 0) {
		rc = sdc_make_error(err, errno, "setting the mode of %s", mnt);
		rt_volume_fs_unmount(img, mnt, NULL);
	}
	return rc;
}

int
rt_volume_fs_grow(const char *img, const char *mnt, int64_t bytes,
    sdc_error_t *err)
{
	char dev[32];
	const char *argv[] = { "resize2fs", dev, NULL };
	struct stat st, ist;
	int fd, rc = 0;

	if (stat(mnt, &st) < 0 || stat(img, &ist) < 0)
		return sdc_make_error(err, errno, "reading %s", img);
	if (ist.st_size >= bytes)
		return 0;		/* never shrunk */
	if (major(st.st_dev) != LOOP_MAJOR)
		return sdc_make_error(err, EINVAL, "%s is not on a loop "
		    "device", mnt);
	snprintf(dev, sizeof dev, "/dev/loop%u", minor(st.st_dev));
	if (truncate(img, bytes) < 0)
		return sdc_make_error(err, errno, "growing %s", img);
	if ((fd = open(dev, O_RDONLY | O_CLOEXEC)) < 0)
		return sdc_make_error(err, errno, "opening %s", dev);
	if (ioctl(fd, LOOP_SET_CAPACITY, 0) < 0)
		rc = sdc_make_error(err, errno, "growing %s", dev);
	close(fd);
	if (rc == 0 && rt_volume_fs_run(argv, err) < 0)
		rc = sdc_error_wrap(err, "growing the filesystem of %s", img);
	return rc;
}

int
rt_volume_fs_unmount(const char *img, const char *mnt, sdc_error_t *err)
{
	if (rt_volume_fs_mounted(mnt) && umount2(mnt, UMOUNT_NOFOLLOW) < 0 &&
	    (errno != EBUSY ||
	    umount2(mnt, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)) {
		if (err != NULL)
			sdc_make_error(err, errno, "unmounting %s", mnt);
		return -1;
	}
	if (img != NULL && unlink(img) < 0 && errno != ENOENT) {
		if (err != NULL)
			sdc_make_error(err, errno, "removing %s", img);
		return -1;
	}
	return 0;
}
