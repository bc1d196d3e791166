/*
 * changes.c: `docker diff` -- what the container changed, read from its
 * writable layer (rw/upper) as Docker's overlay driver reads it.
 *
 * Every name in the upper folder is a change: a 0/0 character device is a
 * deletion, a folder marked opaque that the image has is a deletion too
 * (the image's folder was removed and made again), anything else is an
 * addition, or a modification when the image's layers have the name.  A
 * folder that is only there because something below it changed (overlay
 * copies the parents up with their times) is not reported by itself; the
 * parent of an addition or deletion is, as "modified", once, before it.
 * Entries come in the order of Go's walk (byte order, parents first), as
 * Docker sends them.
 *
 * The image's layers are looked up below each layer's folder with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): a symlink in an image
 * (the tenant may have made the image) must not make this look at a host
 * path, and overlay itself does not follow one there either.  The upper
 * folder is walked by descriptors, never following a symlink, as in
 * tree-tar.c.  The mount points runc makes when an image lacks them
 * (/proc, /sys, /dev, /etc/hosts, ...) are Docker's "init layer", which
 * its diff never shows; they are left out here too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <jansson.h>

#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

#define CH_DEPTH_MAX 512

enum { CH_MODIFY = 0, CH_ADD = 1, CH_DELETE = 2 };

/* Docker's init layer: the mount points of every container. */
static const char *const ch_init_layer[] = {
	"/dev", "/proc", "/sys", "/.dockerenv", "/etc/hosts",
	"/etc/hostname", "/etc/resolv.conf", "/etc/mtab", NULL,
};

struct ch {
	int *lowers;			/* layer folders, top first */
	size_t nlowers;
	json_t *out;
	json_t *dirs;			/* changed folders, as an object */
};

static int
ch_names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Upper's names in one folder, sorted; NULL-terminated. */
static char **
ch_list(int dfd, size_t *n)
{
	struct dirent *d;
	char **v = NULL;
	size_t cap = 0;
	DIR *dir;
	int fd = dup(dfd);

	*n = 0;
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof *v);
		}
		v[(*n)++] = xstrdup(d->d_name);
	}
	closedir(dir);
	if (*n > 1)
		qsort(v, *n, sizeof *v, ch_names_cmp);
	return v;
}

/* The path in the image's layers (top first): found, deleted there by a
 * whiteout, or absent. */
static bool
ch_lower(struct ch *c, const char *path, struct stat *st)
{
	struct open_how how = { .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
	    RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV };
	int fd;

	for (size_t i = 0; i < c->nlowers; i++) {
		fd = (int)syscall(SYS_openat2, c->lowers[i], path + 1, &how,
		    sizeof how);
		if (fd < 0)
			continue;
		if (fstat(fd, st) < 0) {
			close(fd);
			continue;
		}
		close(fd);
		if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0))
			return false;
		return true;
	}
	return false;
}

static bool
ch_same_time(const struct stat *a, const struct stat *b)
{
	if (a->st_mtim.tv_nsec == 0 || b->st_mtim.tv_nsec == 0)
		return a->st_mtim.tv_sec == b->st_mtim.tv_sec;
	return a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void
ch_add(struct ch *c, const char *path, int kind)
{
	json_t *o = json_object();

	json_object_set_new(o, "Path", json_string(path));
	json_object_set_new(o, "Kind", json_integer(kind));
	json_array_append_new(c->out, o);
}

static bool
ch_ignored(const char *path)
{
	for (size_t i = 0; ch_init_layer[i] != NULL; i++)
		if (strcmp(path, ch_init_layer[i]) == 0)
			return true;
	return false;
}

static int ch_dir(struct ch *c, int dfd, struct buf *path, int depth,
    sdc_error_t *err);

static int
ch_one(struct ch *c, int dfd, const char *name, struct buf *path, int depth,
    sdc_error_t *err)
{
	size_t at = path->len;
	struct stat st, lo;
	int kind = -1, fd = -1, rc = 0;
	char v[4], *parent, *slash;

	buf_putc(path, '/');
	buf_puts(path, name);
	if (ch_ignored(buf_str(path)) ||
	    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		goto out;
	if (S_ISDIR(st.st_mode)) {
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0)
			goto out;
	}
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
		kind = CH_DELETE;
	else if (fd >= 0 && fgetxattr(fd, "trusted.overlay.opaque", v,
	    sizeof v) == 1 && v[0] == 'y' && ch_lower(c, buf_str(path), &lo))
		kind = CH_DELETE;
	else if (ch_lower(c, buf_str(path), &lo)) {
		kind = CH_MODIFY;
		if (S_ISDIR(lo.st_mode) && S_ISDIR(st.st_mode) &&
		    lo.st_size == st.st_size && lo.st_mode == st.st_mode &&
		    ch_same_time(&lo, &st))
			kind = -1;	/* only a parent of a change */
	} else
		kind = CH_ADD;
	if (kind >= 0 && S_ISDIR(st.st_mode))
		json_object_set_new(c->dirs, buf_str(path), json_true());
	if (kind == CH_ADD || kind == CH_DELETE) {
		parent = xstrdup(buf_str(path));
		slash = strrchr(parent, '/');
		*slash = '\0';
		if (*parent != '\0' && json_object_get(c->dirs, parent) == NULL) {
			ch_add(c, parent, CH_MODIFY);
			json_object_set_new(c->dirs, parent, json_true());
		}
		free(parent);
	}
	if (kind >= 0)
		ch_add(c, buf_str(path), kind);
	if (fd >= 0)
		rc = ch_dir(c, fd, path, depth + 1, err);
out:
	if (fd >= 0)
		close(fd);
	path->len = at;
	path->data[at] = '\0';
	return rc;
}

static int
ch_dir(struct ch *c, int dfd, struct buf *path, int depth, sdc_error_t *err)
{
	size_t n;
	char **names;
	int rc = 0;

	if (depth > CH_DEPTH_MAX)
		return sdc_make_error(err, 0, "folders nested deeper than %d "
		    "levels at %s", CH_DEPTH_MAX, buf_str(path));
	names = ch_list(dfd, &n);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			rc = ch_one(c, dfd, names[i], path, depth, err);
		free(names[i]);
	}
	free(names);
	return rc;
}

int
rt_changes(const struct rt_config *cfg, const char *id, json_t **out,
    sdc_error_t *err)
{
	struct ch c = { 0 };
	struct buf path = BUF_INIT;
	json_t *rt, *layers;
	char *file, *upper;
	int fd, rc = -1;

	*out = NULL;
	if (rt_id_check("container id", id, err) < 0)
		return -1;
	file = rt_path(cfg, id, RT_FILE_RUNTIME);
	rt = rt_json_read(file, err);
	free(file);
	if (rt == NULL)
		return sdc_error_wrap(err, "No such container: %s", id);
	layers = json_object_get(rt, "layers");
	c.lowers = xcalloc(json_array_size(layers) + 1, sizeof *c.lowers);
	for (size_t i = json_array_size(layers); i-- > 0;) {
		const char *l = json_string_value(json_array_get(layers, i));
		if (l != NULL && (fd = open(l, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) >= 0)
			c.lowers[c.nlowers++] = fd;
	}
	json_decref(rt);
	upper = rt_path(cfg, id, RT_DIR_UPPER);
	fd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		sdc_make_error(err, errno, "opening the container's writable "
		    "layer");
	else {
		c.out = json_array();
		c.dirs = json_object();
		buf_puts(&path, "");
		rc = ch_dir(&c, fd, &path, 0, err);
		close(fd);
		json_decref(c.dirs);
		if (rc == 0)
			*out = c.out;
		else
			json_decref(c.out);
	}
	for (size_t i = 0; i < c.nlowers; i++)
		close(c.lowers[i]);
	free(c.lowers);
	free(upper);
	buf_free(&path);
	return rc;
}
