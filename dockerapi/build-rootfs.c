/*
 * build-rootfs.c: an image's files, read from its unpacked layers
 * without mounting them, for what a build reads in an image: COPY
 * --from's sources, --chown's /etc/passwd and /etc/group, and the
 * folders a COPY writes into that already exist.
 *
 * The layers are overlayfs lower dirs (images/layers.c): a whiteout is a
 * 0/0 character device, an opaque folder has trusted.overlay.opaque=y.
 * A path is looked up as overlayfs would show it: layer by layer from
 * the top, stopping at a whiteout, at a folder that is opaque, or at a
 * name that is no folder in an upper layer.  Every component is opened
 * with O_NOFOLLOW in the layer itself, so a symlink in a layer is never
 * followed by the kernel: the lookup reads the link and goes on with its
 * target inside the image's root (an absolute target from the root, ".."
 * stopping at the root), as Docker's FollowSymlinkInScope does, so no
 * link of an image reaches the host's files.
 *
 * Layers never change once stored, so the lookup is safe on any thread
 * while the build holds the image.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "build-int.h"
#include "xalloc.h"

#define ROOTFS_MAX_LINKS 40

void
rootfs_free(struct rootfs *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->layers[i]);
	free(r->layers);
	r->layers = NULL;
	r->n = 0;
}

int
rootfs_open(struct build *b, const char *image, struct rootfs *r, sdc_error_t *err)
{
	json_t *ids = NULL, *v;
	size_t i;

	r->layers = NULL;
	r->n = 0;
	if (image == NULL)
		return 0;		/* scratch: nothing */
	if (images_layers(b->d->images, b->account, image, &ids, NULL, err) < 0)
		return -1;
	r->layers = xcalloc(json_array_size(ids) + 1, sizeof *r->layers);
	/* top first */
	json_array_foreach(ids, i, v) {
		r->layers[json_array_size(ids) - 1 - i] =
		    images_layer_dir(b->d->images, json_string_value(v));
	}
	r->n = json_array_size(ids);
	json_decref(ids);
	return 0;
}

static bool
is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

/* The folder `dir` (resolved, no leading "/", "" the root) opened in
 * layer l, every component without following a link: fd, or -1 with
 * *hidden set when a component is there but no folder (it hides the
 * layers below). */
static int
layer_open_dir(const char *layer, const char *dir, bool *hidden)
{
	int fd = open(layer, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char *copy = xstrdup(dir), *save = NULL;

	*hidden = false;
	for (char *c = strtok_r(copy, "/", &save); fd >= 0 && c != NULL;
	    c = strtok_r(NULL, "/", &save)) {
		int n = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (n >= 0 && (fstat(n, &st) < 0 || !S_ISDIR(st.st_mode))) {
			close(n);
			n = -1;
			errno = ENOTDIR;
		}
		if (n < 0 && errno != ENOENT)
			*hidden = true;
		close(fd);
		fd = n;
	}
	free(copy);
	return fd;
}

static bool
dir_opaque(int fd)
{
	char v[4];
	char path[64];
	ssize_t n;

	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	n = getxattr(path, "trusted.overlay.opaque", v, sizeof v);
	return n == 1 && v[0] == 'y';
}

/* The top layer holding dir/name: 1 and *st (and *layer), 0 none. */
static int
rootfs_find(const struct rootfs *r, const char *dir, const char *name,
    struct stat *st, size_t *layer)
{
	for (size_t i = 0; i < r->n; i++) {
		bool hidden;
		int fd = layer_open_dir(r->layers[i], dir, &hidden);
		if (fd < 0) {
			if (hidden)
				return 0;
			continue;
		}
		int rc = fstatat(fd, name, st, AT_SYMLINK_NOFOLLOW);
		bool opaque = dir_opaque(fd);
		close(fd);
		if (rc == 0) {
			if (is_whiteout(st))
				return 0;
			*layer = i;
			return 1;
		}
		if (opaque)
			return 0;
	}
	return 0;
}

static char *
join_rel(const char *a, const char *b)
{
	char *s;

	if (*a == '\0')
		return xstrdup(b);
	xasprintf(&s, "%s/%s", a, b);
	return s;
}

/* Resolve path in the image (links followed inside the root; the last
 * one only when follow_last): 0 and *rel (resolved, no leading "/"),
 * *host (the file in its layer) and *st; 1 when it does not exist. */
int
rootfs_resolve(const struct rootfs *r, const char *path, bool follow_last,
    char **rel_out, char **host_out, struct stat *st_out)
{
	char *todo = xstrdup(path), *cur = xstrdup("");
	int links = 0, rc = 1;
	struct stat st = { 0 };
	size_t layer = 0;
	bool have = false;

	/* todo: what is left to walk, from cur */
	for (;;) {
		char *p = todo;
		while (*p == '/')
			p++;
		if (*p == '\0') {
			rc = 0;
			break;
		}
		char *end = strchr(p, '/');
		char *comp = end ? xstrndup(p, (size_t)(end - p)) : xstrdup(p);
		char *rest = xstrdup(end ? end : "");
		bool last = true;
		for (const char *q = rest; *q; q++)
			if (*q != '/')
				last = false;
		if (strcmp(comp, ".") == 0) {
			free(comp);
			free(todo);
			todo = rest;
			continue;
		}
		if (strcmp(comp, "..") == 0) {
			char *slash = strrchr(cur, '/');
			if (slash)
				*slash = '\0';
			else
				cur[0] = '\0';
			free(comp);
			free(todo);
			todo = rest;
			have = false;
			continue;
		}
		if (!rootfs_find(r, cur, comp, &st, &layer)) {
			free(comp);
			free(rest);
			break;
		}
		if (S_ISLNK(st.st_mode) && (!last || follow_last)) {
			char target[PATH_MAX], *h, *next;
			ssize_t n;
			if (++links > ROOTFS_MAX_LINKS) {
				free(comp);
				free(rest);
				break;
			}
			h = join_rel(cur, comp);
			char *host;
			xasprintf(&host, "%s/%s", r->layers[layer], h);
			n = readlink(host, target, sizeof target - 1);
			free(host);
			free(h);
			free(comp);
			if (n < 0) {
				free(rest);
				break;
			}
			target[n] = '\0';
			if (target[0] == '/')
				cur[0] = '\0';
			xasprintf(&next, "%s%s", target, rest);
			free(rest);
			free(todo);
			todo = next;
			have = false;
			continue;
		}
		if (!last && !S_ISDIR(st.st_mode)) {
			free(comp);
			free(rest);
			break;
		}
		char *ncur = join_rel(cur, comp);
		free(cur);
		cur = ncur;
		free(comp);
		free(todo);
		todo = rest;
		have = true;
	}
	free(todo);
	if (rc == 0 && !have) {
		/* the root itself, or a path ending in ".." */
		memset(&st, 0, sizeof st);
		st.st_mode = S_IFDIR | 0755;
		if (*cur != '\0') {
			char *slash = strrchr(cur, '/');
			char *dir = slash ? xstrndup(cur, (size_t)(slash - cur)) : xstrdup("");
			if (!rootfs_find(r, dir, slash ? slash + 1 : cur, &st, &layer))
				rc = 1;
			free(dir);
		} else if (r->n > 0)
			(void)lstat(r->layers[r->n - 1], &st);
	}
	if (rc == 0) {
		if (rel_out != NULL)
			*rel_out = xstrdup(cur);
		if (host_out != NULL) {
			if (*cur == '\0' || r->n == 0)
				*host_out = NULL;
			else
				xasprintf(host_out, "%s/%s", r->layers[layer], cur);
		}
		if (st_out != NULL)
			*st_out = st;
	}
	free(cur);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in the folder rel (resolved) as overlayfs shows them. */
int
rootfs_list(const struct rootfs *r, const char *rel, char ***names, size_t *n)
{
	char **v = NULL, **gone = NULL;
	size_t nv = 0, ngone = 0;

	for (size_t i = 0; i < r->n; i++) {
		bool hidden;
		int fd = layer_open_dir(r->layers[i], rel, &hidden);
		if (fd < 0) {
			if (hidden)
				break;
			continue;
		}
		int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		bool opaque = dir_opaque(fd);
		close(fd);
		DIR *dp = dfd >= 0 ? fdopendir(dfd) : NULL;
		struct dirent *de;
		if (dp == NULL) {
			if (dfd >= 0)
				close(dfd);
			break;
		}
		while ((de = readdir(dp)) != NULL) {
			struct stat st;
			bool seen = false;
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			for (size_t j = 0; j < nv && !seen; j++)
				seen = strcmp(v[j], de->d_name) == 0;
			for (size_t j = 0; j < ngone && !seen; j++)
				seen = strcmp(gone[j], de->d_name) == 0;
			if (seen)
				continue;
			if (fstatat(dirfd(dp), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    is_whiteout(&st)) {
				gone = xrealloc(gone, (ngone + 1) * sizeof *gone);
				gone[ngone++] = xstrdup(de->d_name);
				continue;
			}
			v = xrealloc(v, (nv + 1) * sizeof *v);
			v[nv++] = xstrdup(de->d_name);
		}
		closedir(dp);
		if (opaque)
			break;
	}
	for (size_t j = 0; j < ngone; j++)
		free(gone[j]);
	free(gone);
	if (nv > 1)
		qsort(v, nv, sizeof *v, cmp_str);
	*names = v;
	*n = nv;
	return 0;
}

/* A regular file of the image (links followed inside it), up to max
 * bytes, into out: 0, or 1 when there is none. */
int
rootfs_read(const struct rootfs *r, const char *path, struct buf *out, size_t max)
{
	char *host = NULL;
	struct stat st;
	char chunk[8192];
	ssize_t n;
	int fd;

	if (rootfs_resolve(r, path, true, NULL, &host, &st) != 0 || host == NULL ||
	    !S_ISREG(st.st_mode)) {
		free(host);
		return 1;
	}
	fd = open(host, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	free(host);
	if (fd < 0)
		return 1;
	while ((n = read(fd, chunk, sizeof chunk)) > 0 && out->len < max)
		buf_append(out, chunk, (size_t)n);
	close(fd);
	return 0;
}
