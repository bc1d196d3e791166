/*
 * volume.c: a volume's files on the node: its folder, its first content,
 * its size, its removal.
 *
 * A volume is a folder the daemon keeps (dockerapi's volumes.c says
 * where), whose `_data` is bound into containers.  Everything in `_data`
 * is the tenant's: a container may have planted a symlink to / in it, or
 * may race a copy by swapping a folder for a symlink.  So nothing here
 * follows a path into it: every step is an *at() call on a descriptor
 * already held, with O_NOFOLLOW and no symlink resolved, and new entries
 * are made with O_EXCL.  The image's side of a copy (the container's
 * mounted root) is opened with RESOLVE_IN_ROOT, so an image's symlink
 * resolves inside the container's root as the container would see it.
 *
 * The copy is Docker's "populate on first mount": what the image has at
 * the mount's destination goes into an empty volume, ids and modes kept
 * (the root is idmapped, so they read as the account's host ids already),
 * device nodes skipped (a tenant may not make them), ids outside the
 * account's range given to its nobody.
 *
 * Two creates may mount the same new volume at once, each copying on a
 * thread of its own.  The copy holds an exclusive flock on the volume's
 * folder (the daemon's, not the tenant's `_data`), so the second waits
 * for the first's end and then finds the volume filled, rather than
 * copying beside it ("File exists") or starting its container on half
 * the files.  A copy that fails empties `_data` again before letting
 * go, so the one that waited makes the copy whole.
 *
 * A copy is as long as the image makes it, so whoever waits for one
 * (the head, for a node's create) judges it by its progress, not by a
 * total time: each entry made and each chunk of bytes written grows a
 * counter another thread reads (rt_copy_progress).  A file's bytes go in
 * chunks of VOLUME_COPY_CHUNK, so a large one moves the counter too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fsutil.h"
#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

#define VOLUME_DEPTH_MAX 256
#define VOLUME_COPY_CHUNK (64 << 20)

int
rt_volume_make(const char *dir, const struct rt_idmap *idmap, sdc_error_t *err)
{
	char *data;
	int rc = 0;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return sdc_make_error(err, errno, "creating volume %s", dir);
	xasprintf(&data, "%s/_data", dir);
	if (mkdir(data, 0755) < 0 && errno != EEXIST)
		rc = sdc_make_error(err, errno, "creating %s", data);
	else if (idmap->count > 0 && lchown(data, idmap->uid, idmap->gid) < 0)
		rc = sdc_make_error(err, errno, "giving %s to the account", data);
	free(data);
	return rc;
}

int
rt_volume_remove(const char *dir, sdc_error_t *err)
{
	return fs_rmtree(dir, err);
}

/* --- size --- */

static int
rt_volume_size_at(int dfd, int depth, int64_t *total)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd;

	if (depth > VOLUME_DEPTH_MAX)
		return 0;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;	/* gone meanwhile */
		if (!S_ISDIR(st.st_mode)) {
			*total += st.st_size;
			continue;
		}
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			rt_volume_size_at(fd, depth + 1, total);
	}
	closedir(d);
	return 0;
}

int
rt_volume_size(const char *dir, int64_t *bytes, sdc_error_t *err)
{
	char *data;
	int fd;

	*bytes = 0;
	xasprintf(&data, "%s/_data", dir);
	fd = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(data);
	if (fd < 0)
		return errno == ENOENT ? 0 :
		    sdc_make_error(err, errno, "opening volume %s", dir);
	if (rt_volume_size_at(fd, 0, bytes) < 0)
		return sdc_make_error(err, errno, "reading volume %s", dir);
	return 0;
}

/* --- the first copy --- */

struct rt_volcopy {
	const struct rt_idmap *idmap;
	struct rt_copy_progress *progress;	/* or NULL */
};

static void
rt_volcopy_moved(const struct rt_volcopy *vc, int64_t entries, int64_t bytes)
{
	if (vc->progress == NULL)
		return;
	atomic_fetch_add(&vc->progress->entries, entries);
	atomic_fetch_add(&vc->progress->bytes, bytes);
}

static void
rt_volcopy_ids(const struct rt_volcopy *vc, const struct stat *st,
    uid_t *uid, gid_t *gid)
{
	const struct rt_idmap *m = vc->idmap;

	*uid = st->st_uid;
	*gid = st->st_gid;
	if (m->count == 0)
		return;
	if (*uid < m->uid || *uid - m->uid >= m->count)
		*uid = m->uid + (m->count > 65534 ? 65534 : m->count - 1);
	if (*gid < m->gid || *gid - m->gid >= m->count)
		*gid = m->gid + (m->count > 65534 ? 65534 : m->count - 1);
}

static int
rt_volcopy_file(const struct rt_volcopy *vc, int sfd, int dfd,
    const char *name, const struct stat *st, uid_t uid, gid_t gid)
{
	char buf[65536];
	ssize_t n;
	int in, out, rc = 0;

	in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (in < 0)
		return -1;
	out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (out < 0) {
		close(in);
		return -1;
	}
	for (;;) {
		n = copy_file_range(in, NULL, out, NULL, VOLUME_COPY_CHUNK, 0);
		if (n == 0)
			break;
		if (n > 0) {
			rt_volcopy_moved(vc, 0, n);
			continue;
		}
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS &&
		    errno != EOPNOTSUPP) {
			rc = -1;
			break;
		}
		/* a write that fails (ENOSPC: the account's volume quota)
		 * fails the copy, never leaves the file cut short */
		while ((n = read(in, buf, sizeof buf)) > 0) {
			if (fd_write_all(out, buf, (size_t)n) < 0) {
				n = -1;
				break;
			}
			rt_volcopy_moved(vc, 0, n);
		}
		rc = n < 0 ? -1 : 0;
		break;
	}
	if (rc == 0 && (fchown(out, uid, gid) < 0 ||
	    fchmod(out, st->st_mode & 07777) < 0))
		rc = -1;
	if (rc == 0) {
		struct timespec ts[2] = { st->st_atim, st->st_mtim };

		futimens(out, ts);
		rt_volcopy_moved(vc, 1, 0);
	}
	close(in);
	close(out);
	return rc;
}

static int rt_volcopy_dir(const struct rt_volcopy *vc, int sfd, int dfd,
    int depth);

static int
rt_volcopy_entry(const struct rt_volcopy *vc, int sfd, int dfd,
    const char *name, int depth)
{
	char target[4096];
	struct stat st;
	uid_t uid;
	gid_t gid;
	ssize_t n;
	int s, t, rc;

	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	rt_volcopy_ids(vc, &st, &uid, &gid);
	if (S_ISREG(st.st_mode))
		return rt_volcopy_file(vc, sfd, dfd, name, &st, uid, gid);
	rt_volcopy_moved(vc, 1, 0);
	if (S_ISLNK(st.st_mode)) {
		if ((n = readlinkat(sfd, name, target, sizeof target - 1)) < 0)
			return -1;
		target[n] = '\0';
		if (symlinkat(target, dfd, name) < 0)
			return -1;
		return fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
	}
	if (S_ISFIFO(st.st_mode)) {
		if (mknodat(dfd, name, S_IFIFO | 0600, 0) < 0)
			return -1;
		if (fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			return -1;
		return fchmodat(dfd, name, st.st_mode & 07777, 0);
	}
	if (!S_ISDIR(st.st_mode))
		return 0;	/* devices and sockets are not copied */
	if (mkdirat(dfd, name, 0700) < 0)
		return -1;
	s = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	t = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s < 0 || t < 0) {
		if (s >= 0)
			close(s);
		if (t >= 0)
			close(t);
		return -1;
	}
	rc = rt_volcopy_dir(vc, s, t, depth + 1);	/* closes s */
	if (rc == 0 && (fchown(t, uid, gid) < 0 ||
	    fchmod(t, st.st_mode & 07777) < 0))
		rc = -1;
	close(t);
	return rc;
}

/* Copy the entries of sfd (which this closes) into dfd. */
static int
rt_volcopy_dir(const struct rt_volcopy *vc, int sfd, int dfd, int depth)
{
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (depth > VOLUME_DEPTH_MAX) {
		close(sfd);
		errno = ELOOP;
		return -1;
	}
	if ((d = fdopendir(sfd)) == NULL) {
		close(sfd);
		return -1;
	}
	while (rc == 0 && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			rc = rt_volcopy_entry(vc, dirfd(d), dfd, e->d_name,
			    depth);
	closedir(d);
	return rc;
}

static bool
rt_volume_empty(int fd)
{
	struct dirent *e;
	int dup_fd = dup(fd);
	DIR *d;
	bool empty = true;

	if (dup_fd < 0 || (d = fdopendir(dup_fd)) == NULL) {
		if (dup_fd >= 0)
			close(dup_fd);
		return false;
	}
	while (empty && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = false;
	closedir(d);
	return empty;
}

/* A failed copy's files taken out again, so that the next copy finds
 * the volume empty. */
static void
rt_volume_empty_out(int dfd)
{
	sdc_error_t err = NULL;
	struct dirent *e;
	int dup_fd = dup(dfd);
	DIR *d;

	if (dup_fd < 0 || (d = fdopendir(dup_fd)) == NULL) {
		if (dup_fd >= 0)
			close(dup_fd);
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0 &&
		    fs_rmtree_at(dirfd(d), e->d_name, &err) < 0)
			sdc_error_release(&err);
	closedir(d);
}

/* Copy what sfd (which this closes) has into the empty dfd, the volume's
 * owner and mode taken from sfd as dockerd does. */
static int
rt_volume_fill(const struct rt_volcopy *vc, int sfd, int dfd,
    const char *dest, sdc_error_t *err)
{
	struct stat st;
	uid_t uid;
	gid_t gid;

	if (fstat(sfd, &st) < 0) {
		close(sfd);
		return 0;
	}
	if (rt_volcopy_dir(vc, sfd, dfd, 0) < 0)
		return sdc_make_error(err, errno, "copying the image's %s into "
		    "the volume", dest);
	rt_volcopy_ids(vc, &st, &uid, &gid);
	if (fchown(dfd, uid, gid) < 0 || fchmod(dfd, st.st_mode & 07777) < 0)
		return sdc_make_error(err, errno, "giving the volume the ids "
		    "of %s", dest);
	return 0;
}

int
rt_volume_populate(const struct rt_config *cfg, const char *id,
    const char *dest, const char *dir, const struct rt_idmap *idmap,
    struct rt_copy_progress *progress, sdc_error_t *err)
{
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	struct rt_volcopy vc = { .idmap = idmap, .progress = progress };
	const char *rel = dest;
	char *root, *data;
	int rfd, sfd, lfd, dfd, rc = 0;

	root = rt_dir(cfg, id);
	xasprintf(&data, "%s/%s", root, RT_DIR_ROOT);
	free(root);
	rfd = open(data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(data);
	if (rfd < 0)
		return sdc_make_error(err, errno, "opening the root of %s", id);
	while (*rel == '/')
		rel++;
	sfd = (int)syscall(SYS_openat2, rfd, *rel != '\0' ? rel : ".", &how,
	    sizeof how);
	close(rfd);
	if (sfd < 0)
		return 0;	/* nothing there, or not a folder: nothing to copy */
	lfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (lfd < 0 || flock(lfd, LOCK_EX) < 0) {
		rc = sdc_make_error(err, errno, "locking volume %s", dir);
		if (lfd >= 0)
			close(lfd);
		close(sfd);
		return rc;
	}
	dfd = openat(lfd, "_data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (dfd < 0)
		rc = sdc_make_error(err, errno, "opening volume %s", dir);
	else if (!rt_volume_empty(dfd))
		close(sfd);	/* filled already, maybe by a copy we waited for */
	else if ((rc = rt_volume_fill(&vc, sfd, dfd, dest, err)) < 0)
		rt_volume_empty_out(dfd);
	if (dfd >= 0)
		close(dfd);
	else
		close(sfd);
	close(lfd);		/* lets the next copy go */
	return rc;
}

void
rt_volumes_settled(const char *const *dirs, size_t n)
{
	int fd;

	for (size_t i = 0; i < n; i++) {
		fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd < 0)
			continue;
		/* waits for a copy's LOCK_EX; a wait cut short (EINTR)
		 * starts the container as before */
		(void)flock(fd, LOCK_SH);
		close(fd);
	}
}

/* "<vroot>/ACCOUNT/VOLUME/_data": the volume's folder, or NULL. */
static char *
rt_volume_dir_of_source(const char *source, const char *vroot)
{
	size_t rl = strlen(vroot), sl = strlen(source);
	static const char data[] = "/_data";

	if (sl <= rl + sizeof data || strncmp(source, vroot, rl) != 0 ||
	    source[rl] != '/' || strcmp(source + sl - (sizeof data - 1),
	    data) != 0)
		return NULL;
	return xstrndup(source, sl - (sizeof data - 1));
}

void
rt_volumes_settled_of(const struct rt_config *cfg, const char *id,
    const char *vroot)
{
	char *path = rt_path(cfg, id, RT_FILE_CONFIG), *dir;
	sdc_error_t err = NULL;
	const json_t *m;
	json_t *config;
	size_t i;

	config = rt_json_read(path, &err);
	free(path);
	if (config == NULL) {		/* the runtime's start says so */
		sdc_error_release(&err);
		return;
	}
	json_array_foreach(json_object_get(config, "mounts"), i, m) {
		dir = rt_volume_dir_of_source(json_string_value(
		    json_object_get(m, "source")) ?: "", vroot);
		if (dir != NULL)
			rt_volumes_settled((const char *const *)&dir, 1);
		free(dir);
	}
	json_decref(config);
}
