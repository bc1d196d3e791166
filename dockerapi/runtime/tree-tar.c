/*
 * tree-tar.c: a container's files as a tar -- the whole root for `docker
 * export`, the writable layer as an image layer for `docker commit`.
 *
 * The tree belongs to the tenant and may change while it is read (a
 * running container, or one racing the copy), so it is walked through
 * directory descriptors only: every name is opened relative to its
 * folder's descriptor with O_NOFOLLOW, a symlink is recorded as a link and
 * never followed, a folder on another device (a mount) is left out
 * (only folders are checked: overlay shows a file with the device of the
 * layer that holds it), and
 * what an entry turned into between the listing and the open is taken
 * from the open file, never from the name.  Nothing outside the tree is
 * reachable this way, whatever the tenant plants.
 *
 * Owners are the container's: in a user namespace (userns.c) a file the
 * container's root wrote is owned on disk by the account's first host id,
 * and the merged view shows the image's files shifted the same way, so
 * host id base+k is written as k and an id outside the range as 65534
 * (nobody, as the container sees it).
 *
 * The export reads the merged view through the overlay's mount point
 * (mounted again if a reboot unmounted it).  The layer reads rw/upper and
 * turns overlayfs's markers into Docker's layer format: a 0/0 character
 * device (a deleted name) becomes an empty ".wh.NAME", a folder marked
 * opaque (trusted.overlay.opaque=y: everything below it in the image was
 * replaced) gets a ".wh..wh..opq" entry inside.  Hard links within the
 * tree become tar hard links (libarchive's link resolver).  Entries come
 * in byte order of their names, parents first, as Go's walk gives them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "tarout.h"
#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

#define TT_CHUNK (128 * 1024)
#define TT_DEPTH_MAX 512
#define TT_NOBODY 65534

struct tt {
	struct archive *a;
	struct archive_entry_linkresolver *links;
	struct rt_idmap map;
	bool layer;			/* rw/upper as a layer, or the root */
	dev_t dev;			/* the tree's file system */
	char *chunk;
};

static unsigned
tt_id(unsigned id, unsigned base, unsigned count)
{
	if (count == 0)
		return id;
	if (id >= base && id - base < count)
		return id - base;
	return TT_NOBODY;
}

static int
tt_names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct tt_names {
	char **v;
	size_t n, cap;
};

static void
tt_names_free(struct tt_names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* The folder's names, sorted; the descriptor stays the caller's. */
static int
tt_list(int dfd, struct tt_names *out, sdc_error_t *err)
{
	struct dirent *d;
	DIR *dir;
	int fd = dup(dfd);

	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return sdc_make_error(err, errno, "reading a folder");
	}
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (out->n == out->cap) {
			out->cap = out->cap ? out->cap * 2 : 16;
			out->v = xrealloc(out->v, out->cap * sizeof *out->v);
		}
		out->v[out->n++] = xstrdup(d->d_name);
	}
	closedir(dir);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, tt_names_cmp);
	return 0;
}

/* Write the entry; with fd >= 0, its data follows from fd. */
static int
tt_write(struct tt *t, struct archive_entry *e, int fd, sdc_error_t *err)
{
	struct archive_entry *spare = NULL;
	int64_t left;
	int rc = 0;

	if (t->links != NULL && archive_entry_filetype(e) != AE_IFDIR)
		archive_entry_linkify(t->links, &e, &spare);
	if (e == NULL)
		return 0;
	if (tarout_header(t->a, e, err) < 0)
		return -1;
	left = archive_entry_hardlink(e) == NULL && fd >= 0 ?
	    archive_entry_size(e) : 0;
	while (left > 0) {
		ssize_t n = read(fd, t->chunk, left < TT_CHUNK ? (size_t)left : TT_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sdc_make_error(err, errno, "reading %s",
			    archive_entry_pathname(e));
		if (n == 0)
			break;		/* it shrank: libarchive pads with zeros */
		if (tarout_data(t->a, t->chunk, (size_t)n, err) < 0)
			return -1;
		left -= n;
	}
	if (spare != NULL)
		archive_entry_free(spare);
	return rc;
}

static struct archive_entry *
tt_entry(struct tt *t, const char *path, const struct stat *st)
{
	struct archive_entry *e = archive_entry_new();
	struct stat s = *st;

	s.st_atime = s.st_ctime = 0;
	archive_entry_copy_stat(e, &s);
	archive_entry_set_mtime(e, st->st_mtime, 0);
	archive_entry_unset_atime(e);
	archive_entry_unset_ctime(e);
	archive_entry_set_uid(e, tt_id(st->st_uid, t->map.uid, t->map.count));
	archive_entry_set_gid(e, tt_id(st->st_gid, t->map.gid, t->map.count));
	archive_entry_set_pathname(e, path);
	return e;
}

static int tt_dir(struct tt *t, int dfd, struct buf *path, int depth,
    sdc_error_t *err);

/* A 0/0 character device in the writable layer: the name was deleted. */
static bool
tt_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == 0 &&
	    minor(st->st_rdev) == 0;
}

static bool
tt_opaque(int fd)
{
	char v[4];
	ssize_t n = fgetxattr(fd, "trusted.overlay.opaque", v, sizeof v);

	return n == 1 && v[0] == 'y';
}

static int
tt_one(struct tt *t, int dfd, const char *name, struct buf *path, int depth,
    sdc_error_t *err)
{
	size_t at = path->len;
	struct archive_entry *e = NULL;
	struct stat st;
	int fd = -1, rc = 0;
	char link[4096];
	ssize_t n;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;		/* gone meanwhile */
	if (S_ISDIR(st.st_mode) && st.st_dev != t->dev)
		return 0;		/* a mount on the tree: not its files */
	if (t->layer && tt_whiteout(&st)) {
		buf_printf(path, ".wh.%s", name);
		st.st_mode = S_IFREG | (st.st_mode & 07777);
		st.st_size = 0;
		st.st_nlink = 1;
		e = tt_entry(t, buf_str(path), &st);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		rc = tt_write(t, e, -1, err);
		goto out;
	}
	buf_puts(path, name);
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
		if (fd < 0 || fstat(fd, &st) < 0 ||
		    (S_ISDIR(st.st_mode) && st.st_dev != t->dev) ||
		    !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
			goto out;	/* replaced meanwhile: left out */
	} else if (S_ISLNK(st.st_mode)) {
		n = readlinkat(dfd, name, link, sizeof link - 1);
		if (n < 0)
			goto out;
		link[n] = '\0';
	}
	if (S_ISDIR(st.st_mode))
		buf_putc(path, '/');
	e = tt_entry(t, buf_str(path), &st);
	if (S_ISLNK(st.st_mode))
		archive_entry_set_symlink(e, link);
	if (S_ISDIR(st.st_mode)) {
		rc = tt_write(t, e, -1, err);
		if (rc == 0 && t->layer && tt_opaque(fd)) {
			struct archive_entry *o = tt_entry(t, "", &st);
			size_t dl = path->len;
			buf_puts(path, ".wh..wh..opq");
			archive_entry_set_pathname(o, buf_str(path));
			archive_entry_set_filetype(o, AE_IFREG);
			archive_entry_set_size(o, 0);
			archive_entry_set_nlink(o, 1);
			archive_entry_set_uid(o, 0);
			archive_entry_set_gid(o, 0);
			rc = tarout_header(t->a, o, err);
			archive_entry_free(o);
			path->len = dl;
			path->data[dl] = '\0';
		}
		if (rc == 0)
			rc = tt_dir(t, fd, path, depth + 1, err);
	} else
		rc = tt_write(t, e, S_ISREG(st.st_mode) ? fd : -1, err);
out:
	if (e != NULL)
		archive_entry_free(e);
	if (fd >= 0)
		close(fd);
	path->len = at;
	if (path->data != NULL)
		path->data[at] = '\0';
	return rc;
}

static int
tt_dir(struct tt *t, int dfd, struct buf *path, int depth, sdc_error_t *err)
{
	struct tt_names names = { 0 };
	int rc = 0;

	if (depth > TT_DEPTH_MAX)
		return sdc_make_error(err, 0, "folders nested deeper than %d "
		    "levels at %s", TT_DEPTH_MAX, buf_str(path));
	if (tt_list(dfd, &names, err) < 0)
		return -1;
	for (size_t i = 0; i < names.n && rc == 0; i++)
		rc = tt_one(t, dfd, names.v[i], path, depth, err);
	tt_names_free(&names);
	return rc;
}

static int
tt_run(const struct rt_config *cfg, const char *id, bool layer,
    rt_write_fn *write, void *arg, sdc_error_t *err)
{
	struct tt t = { .layer = layer };
	struct buf path = BUF_INIT;
	char *dir, *tree, *file;
	struct stat st;
	json_t *rt;
	int fd, rc = -1;

	if (rt_id_check("container id", id, err) < 0)
		return -1;
	dir = rt_path(cfg, id, NULL);
	file = rt_path(cfg, id, RT_FILE_RUNTIME);
	rt = rt_json_read(file, err);
	free(file);
	if (rt == NULL) {
		free(dir);
		return sdc_error_wrap(err, "No such container: %s", id);
	}
	rt_userns_from_json(json_object_get(rt, "idmap"), &t.map);
	json_decref(rt);
	if (!layer && rt_rootfs_ensure(dir, err) < 0) {
		free(dir);
		return -1;
	}
	xasprintf(&tree, "%s/%s", dir, layer ? RT_DIR_UPPER : RT_DIR_ROOT);
	free(dir);
	fd = open(tree, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = sdc_make_error(err, errno, "opening the container's %s",
		    layer ? "writable layer" : "root");
		goto out;
	}
	t.dev = st.st_dev;
	if ((t.a = tarout_new(write, arg, err)) == NULL)
		goto out;
	t.links = archive_entry_linkresolver_new();
	archive_entry_linkresolver_set_strategy(t.links, archive_format(t.a));
	t.chunk = xmalloc(TT_CHUNK);
	rc = tt_dir(&t, fd, &path, 0, err);
	if (rc == 0)
		rc = tarout_close(t.a, err);
	else
		tarout_close(t.a, NULL);
	archive_entry_linkresolver_free(t.links);
	free(t.chunk);
out:
	if (fd >= 0)
		close(fd);
	free(tree);
	buf_free(&path);
	return rc;
}

int
rt_export_tar(const struct rt_config *cfg, const char *id, rt_write_fn *write,
    void *arg, sdc_error_t *err)
{
	return tt_run(cfg, id, false, write, arg, err);
}

int
rt_layer_tar(const struct rt_config *cfg, const char *id, rt_write_fn *write,
    void *arg, sdc_error_t *err)
{
	return tt_run(cfg, id, true, write, arg, err);
}
