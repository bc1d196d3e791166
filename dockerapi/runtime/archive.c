/*
 * archive.c: files in and out of a container's root (docker cp): the
 * stat of a path, a tar of it, and a tar extracted into a folder.
 *
 * The root is the container's overlay as the host sees it (<dir>/root,
 * mounted at create and again by rt_rootfs_ensure after a reboot), so a
 * running, stopped or created container is read and written alike, as
 * dockerd does through its own mount of the rootfs.  The work runs as the
 * daemon, host root, so where it goes must be proved to stay inside that
 * root whatever the tenant put there or changes while it runs.  Why it
 * does, rule by rule:
 *
 * - A path the client names is cleaned as Go's filepath.Clean would
 *   (no "..", no "."), then opened with openat2(RESOLVE_IN_ROOT |
 *   RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV) from an fd of the root: the
 *   kernel resolves every symlink and ".." as if the root were "/", and
 *   retries the walk when a rename races it, so neither an absolute link
 *   (`ln -s / /x`), nor a chain of relative ones (`../../..`), nor a
 *   link swapped in mid-walk leads above it; /proc's magic links are
 *   refused and no other filesystem (a proc or a bind mount) is entered.
 * - Below that fd nothing is opened by a path of more than one name:
 *   a tree is read by readdir, each entry opened with openat(dir, name,
 *   O_NOFOLLOW) and checked with fstat on the fd that is then read, so a
 *   name swapped for a symlink or a folder between two calls is refused
 *   or skipped, never followed.
 * - A tar is not handed to a path-based extractor (libarchive's
 *   write_disk resolves names through the host's "/").  Each entry's
 *   name is cleaned, refused if it climbs out of the destination, and its
 *   parent walked one name at a time from the destination's fd
 *   (O_NOFOLLOW); a symlink met on the way (in the image, made by the
 *   tenant or by an earlier entry) is resolved again by openat2 with
 *   RESOLVE_IN_ROOT from the container's root, which is where Docker's
 *   chrooted extraction would take it.  The entry itself is made relative
 *   to that parent fd: an old name is unlinked (never opened for
 *   writing), the file is made with O_CREAT|O_EXCL|O_NOFOLLOW and
 *   written through that fd, a symlink's target is stored, not followed;
 *   a hard link's source is found the same way inside the destination
 *   and linked without following.  Char and block devices are refused
 *   (nothing in this project makes them), fifos are made as Docker makes
 *   them, modes (setuid included) are kept as Docker keeps them.
 * - Mounts the host's view of the root does not show (volumes, a running
 *   container's tmpfs) are grafted where the container has them
 *   (rt_root_graft: an fd of the mount's top and its container path).
 *   With grafts the kernel's walk would find the folder under a mount,
 *   so the walk is done by hand (arc_resolve), with the same rules: one
 *   name at a time, O_NOFOLLOW, from an fd already inside; a symlink's
 *   target cleaned against its folder (".." stops at the top) and walked
 *   again from the top; a graft's fd taken at its path.  A tar out swaps
 *   a grafted folder for the mount's top, a tar in walks into it, and no
 *   entry replaces or removes a mount point.
 * - Ownership is the container's: files written belong to the account's
 *   ids (the container's root, or with copyUIDGID the tar's ids inside
 *   the account's range, anything else refused), and files read show the
 *   ids the container sees (host id - base, else 65534).  What is
 *   written lands in the writable layer, a tmpfs of the container's disk
 *   limit, so a PUT larger than what is left fails with ENOSPC and
 *   cannot take more of the node.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <archive.h>
#include <archive_entry.h>

#include "tarout.h"
#include "xalloc.h"
#include "dockerapi/runtime/internal.h"

#define ARC_RESOLVE (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)
#define ARC_OVERFLOW_ID 65534
#define ARC_CHUNK (128 * 1024)

/* Go's os.FileMode bits, which the stat header carries. */
#define GO_MODE_DIR (1u << 31)
#define GO_MODE_SYMLINK (1u << 27)
#define GO_MODE_DEVICE (1u << 26)
#define GO_MODE_PIPE (1u << 25)
#define GO_MODE_SOCKET (1u << 24)
#define GO_MODE_SETUID (1u << 23)
#define GO_MODE_SETGID (1u << 22)
#define GO_MODE_CHARDEV (1u << 21)
#define GO_MODE_STICKY (1u << 20)

static int
arc_openat2(int dfd, const char *path, int flags, sdc_error_t *err)
{
	struct open_how how = { .flags = (uint64_t)flags | O_CLOEXEC,
	    .resolve = ARC_RESOLVE };
	int fd;

	while (*path == '/')
		path++;
	if (*path == '\0')
		path = ".";
	do
		fd = (int)syscall(SYS_openat2, dfd, path, &how, sizeof how);
	while (fd < 0 && errno == EAGAIN);
	if (fd < 0 && err != NULL)
		sdc_make_error(err, errno, "opening %s", path);
	return fd;
}

/* ---- the root ---- */

int
rt_root_open(const struct rt_config *cfg, const char *id, struct rt_root *r,
    sdc_error_t *err)
{
	char *dir, *path, link[64], host[PATH_MAX];
	json_t *rt;
	ssize_t n;

	memset(r, 0, sizeof *r);
	r->fd = -1;
	if (rt_id_check("container id", id, err) < 0)
		return -1;
	dir = rt_path(cfg, id, NULL);
	if (rt_rootfs_ensure(dir, err) < 0) {
		free(dir);
		return -1;
	}
	xasprintf(&path, "%s/%s", dir, RT_FILE_RUNTIME);
	rt = rt_json_read(path, err);
	free(path);
	if (rt == NULL) {
		free(dir);
		return -1;
	}
	rt_userns_from_json(json_object_get(rt, "idmap"), &r->idmap);
	json_decref(rt);
	xasprintf(&path, "%s/%s", dir, RT_DIR_ROOT);
	free(dir);
	r->fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	if (r->fd < 0)
		return sdc_make_error(err, errno, "opening the container's root");
	snprintf(link, sizeof link, "/proc/self/fd/%d", r->fd);
	if ((n = readlink(link, host, sizeof host - 1)) <= 0) {
		rt_root_close(r);
		return sdc_make_error(err, errno, "reading the container's root");
	}
	host[n] = '\0';
	r->host = xstrdup(host);
	return 0;
}

int
rt_root_rebase(struct rt_root *r, const char *hostdir, const char *mount,
    sdc_error_t *err)
{
	int fd;

	fd = open(hostdir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return sdc_make_error(err, errno, "opening the volume at %s",
		    mount);
	return rt_root_rebase_fd(r, fd, mount, err);
}

int
rt_root_rebase_fd(struct rt_root *r, int fd, const char *mount,
    sdc_error_t *err)
{
	char link[64], host[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if ((n = readlink(link, host, sizeof host - 1)) <= 0) {
		close(fd);
		return sdc_make_error(err, errno, "reading the mount at %s",
		    mount);
	}
	host[n] = '\0';
	if (r->fd >= 0)
		close(r->fd);
	r->fd = fd;
	free(r->host);
	r->host = xstrdup(host);
	free(r->mount);
	r->mount = xstrdup(mount);
	return 0;
}

void
rt_root_graft(struct rt_root *r, const char *mount, int fd, bool ro)
{
	r->grafts = xrealloc(r->grafts, (r->ngrafts + 1) * sizeof *r->grafts);
	r->grafts[r->ngrafts].path = xstrdup(mount);
	r->grafts[r->ngrafts].fd = fd;
	r->grafts[r->ngrafts].ro = ro;
	r->ngrafts++;
}

int
rt_mount_open_tmpfs(pid_t pid, const char *dest, sdc_error_t *err)
{
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	char proc[64], *clean = rt_path_clean(dest);
	struct statfs sf;
	struct statx sx;
	int root, fd;

	snprintf(proc, sizeof proc, "/proc/%d/root", (int)pid);
	if ((root = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		free(clean);
		return sdc_make_error(err, errno, "opening the container's "
		    "mounts");
	}
	do
		fd = (int)syscall(SYS_openat2, root, clean[1] != '\0' ?
		    clean + 1 : ".", &how, sizeof how);
	while (fd < 0 && errno == EAGAIN);
	close(root);
	/* the top of a tmpfs, nothing else: not proc, sys, nor a folder
	 * below a mount the tenant moved */
	if (fd >= 0 && (fstatfs(fd, &sf) < 0 || sf.f_type != TMPFS_MAGIC ||
	    statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) < 0 ||
	    !(sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) ||
	    !(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT))) {
		close(fd);
		fd = -1;
		errno = ENOENT;
	}
	if (fd < 0)
		sdc_make_error_code(err, 404, "the tmpfs at %s: %s", clean,
		    strerror(errno));
	free(clean);
	return fd;
}

void
rt_root_close(struct rt_root *r)
{
	size_t i;

	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	free(r->host);
	r->host = NULL;
	free(r->mount);
	r->mount = NULL;
	for (i = 0; i < r->ngrafts; i++) {
		close(r->grafts[i].fd);
		free(r->grafts[i].path);
	}
	free(r->grafts);
	r->grafts = NULL;
	r->ngrafts = 0;
}

/* The graft at cpath (a clean container path), or NULL; the root's own
 * top is never one. */
static const struct rt_graft *
arc_graft_at(const struct rt_root *r, const char *cpath)
{
	size_t i;

	if (cpath == NULL || strcmp(cpath, r->mount != NULL ? r->mount : "/")
	    == 0)
		return NULL;
	for (i = 0; i < r->ngrafts; i++)
		if (strcmp(r->grafts[i].path, cpath) == 0)
			return &r->grafts[i];
	return NULL;
}

/* The deepest graft holding cpath (*rest its remainder, "" for the top),
 * or NULL. */
static const struct rt_graft *
arc_graft_holding(const struct rt_root *r, const char *cpath,
    const char **rest)
{
	const struct rt_graft *best = NULL;
	size_t i, n;

	for (i = 0; i < r->ngrafts; i++) {
		n = strlen(r->grafts[i].path);
		if (strncmp(cpath, r->grafts[i].path, n) == 0 &&
		    (cpath[n] == '/' || cpath[n] == '\0') &&
		    (best == NULL || n > strlen(best->path))) {
			best = &r->grafts[i];
			*rest = cpath + n;
		}
	}
	return best;
}

/* A graft at or below cpath: what must not be replaced nor removed. */
static bool
arc_graft_under(const struct rt_root *r, const char *cpath)
{
	size_t i, n = strlen(cpath);

	for (i = 0; i < r->ngrafts; i++)
		if (strncmp(r->grafts[i].path, cpath, n) == 0 &&
		    (r->grafts[i].path[n] == '/' || r->grafts[i].path[n] ==
		    '\0' || strcmp(cpath, "/") == 0))
			return true;
	return false;
}

/* cpath + "/" + name, for container paths. */
static char *
arc_cjoin(const char *cpath, const char *name)
{
	char *p;

	xasprintf(&p, "%s/%s", strcmp(cpath, "/") == 0 ? "" : cpath, name);
	return p;
}

/* The path inside the container of an fd under the root, or NULL. */
static char *
arc_fd_cpath(const struct rt_root *r, int fd)
{
	char link[64], host[PATH_MAX];
	size_t hl = strlen(r->host);
	ssize_t n;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if ((n = readlink(link, host, sizeof host - 1)) <= 0)
		return NULL;
	host[n] = '\0';
	if (strncmp(host, r->host, hl) != 0 || (host[hl] != '\0' &&
	    host[hl] != '/'))
		return NULL;
	if (r->mount != NULL) {
		char *in;

		xasprintf(&in, "%s%s", r->mount, host + hl);
		return in;
	}
	return xstrdup(host[hl] == '\0' ? "/" : host + hl);
}

/* ---- paths as Docker reads them ---- */

/* path cleaned as Go's filepath.Clean does: no "." or "..", no doubled
 * or trailing '/'; lead is "/" (absolute) or "" (relative, where a ".."
 * that would climb above the start sets *escaped). */
static char *
arc_clean(const char *path, const char *lead, bool *escaped)
{
	size_t len, mark, top = strlen(lead);
	struct buf b = BUF_INIT;
	const char *p = path, *e;

	buf_puts(&b, lead);
	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		e = strchrnul(p, '/');
		len = (size_t)(e - p);
		if (len == 1 && p[0] == '.')
			;
		else if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (b.len == top && escaped != NULL)
				*escaped = true;
			mark = b.len;
			while (mark > top && b.data[mark - 1] != '/')
				mark--;
			b.len = mark > top ? mark - 1 : top;
		} else {
			if (b.len > top)
				buf_putc(&b, '/');
			buf_append(&b, p, len);
		}
		p = e;
	}
	buf_str(&b);
	return buf_detach(&b, NULL);
}

/* Go's filepath.Clean of "/" + path. */
char *
rt_path_clean(const char *path)
{
	return arc_clean(path, "/", NULL);
}

/* openat2's RESOLVE_IN_ROOT walk done by hand, for a root with mounts
 * grafted in (the kernel's walk would find the folders under them): one
 * name at a time with O_NOFOLLOW from an fd already inside; a symlink's
 * target cleaned against the folder it stands in (so ".." stops at the
 * top) and walked again from the top; where the container has a mount,
 * the mount's top.  Every fd opened is inside the root or a mount of the
 * container's, and the walk stays on one filesystem between them.  The
 * object's O_PATH fd, links followed; *cpath where the container has it.
 */
#define ARC_MAXHOPS 40

static int
arc_resolve(const struct rt_root *r, const char *path, char **cpath)
{
	const char *top = r->mount != NULL ? r->mount : "";
	char *todo = rt_path_clean(path), *here = NULL, *c, *next_todo, *full;
	char target[PATH_MAX];
	const struct rt_graft *gr;
	int fd = -1, next, hops = 0, e = 0;
	struct stat st;
	dev_t dev;
	ssize_t n;

again:
	if (fd >= 0)
		close(fd);
	free(here);
	here = xstrdup("/");		/* below the root's top */
	if ((fd = fcntl(r->fd, F_DUPFD_CLOEXEC, 0)) < 0 || fstat(fd, &st) < 0) {
		e = errno;
		goto fail;
	}
	dev = st.st_dev;
	for (c = todo + 1; *c != '\0';) {
		size_t len = strcspn(c, "/");
		char *name = xstrndup(c, len), *nhere = arc_cjoin(here, name);

		c += len + (c[len] == '/');
		xasprintf(&full, "%s%s", top, nhere);
		gr = arc_graft_at(r, full);
		free(full);
		if (gr != NULL)
			next = fcntl(gr->fd, F_DUPFD_CLOEXEC, 0);
		else
			next = openat(fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 || fstat(next, &st) < 0) {
			e = errno;
			if (next >= 0)
				close(next);
			free(name);
			free(nhere);
			goto fail;
		}
		if (S_ISLNK(st.st_mode)) {
			n = readlinkat(next, "", target, sizeof target - 1);
			close(next);
			if (n < 0 || ++hops > ARC_MAXHOPS) {
				e = n < 0 ? errno : ELOOP;
				free(name);
				free(nhere);
				goto fail;
			}
			target[n] = '\0';
			if (target[0] == '/')
				xasprintf(&full, "%s/%s", target, c);
			else
				xasprintf(&full, "%s/%s/%s", here, target, c);
			next_todo = rt_path_clean(full);
			free(full);
			free(todo);
			todo = next_todo;
			free(name);
			free(nhere);
			goto again;
		}
		if (gr == NULL && S_ISDIR(st.st_mode) && st.st_dev != dev) {
			close(next);	/* no other filesystem of the host's */
			free(name);
			free(nhere);
			e = EXDEV;
			goto fail;
		}
		dev = st.st_dev;
		close(fd);
		fd = next;
		free(here);
		here = nhere;
		free(name);
	}
	if (cpath != NULL)
		xasprintf(cpath, "%s%s", top, strcmp(here, "/") == 0 && *top ?
		    "" : here);
	free(here);
	free(todo);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	free(here);
	free(todo);
	errno = e;
	return -1;
}

/* A path below the root opened: the kernel's walk (arc_openat2) when no
 * mount is grafted, else arc_resolve, the fd then reopened with flags.
 * *cpath (if asked, NULL when unknown) where the container has it. */
static int
arc_open_root(const struct rt_root *r, const char *path, int flags,
    char **cpath, sdc_error_t *err)
{
	struct stat st;
	int fd, fd2, e;

	if (cpath != NULL)
		*cpath = NULL;
	if (r->ngrafts == 0) {
		fd = arc_openat2(r->fd, path, flags, err);
		if (fd >= 0 && cpath != NULL)
			*cpath = arc_fd_cpath(r, fd);
		return fd;
	}
	if ((fd = arc_resolve(r, path, cpath)) < 0) {
		e = errno;
		if (err != NULL)
			sdc_make_error(err, e, "opening %s", path);
		errno = e;
		return -1;
	}
	if ((flags & O_DIRECTORY) && (fstat(fd, &st) < 0 ||
	    !S_ISDIR(st.st_mode))) {
		fd2 = -1;
		e = ENOTDIR;
	} else if (!(flags & O_PATH)) {
		/* a folder (the callers' only other kind) opened to read */
		fd2 = openat(fd, ".", flags | O_CLOEXEC);
		e = errno;
	} else {
		fd2 = fd;
		fd = -1;
		e = 0;
	}
	if (fd >= 0)
		close(fd);
	if (fd2 < 0) {
		if (cpath != NULL) {
			free(*cpath);
			*cpath = NULL;
		}
		if (err != NULL)
			sdc_make_error(err, e, "opening %s", path);
		errno = e;
	}
	return fd2;
}

/* A path ending in "/" or "/." means the thing it resolves to, links
 * followed; otherwise the last name is taken as it is. */
static bool
arc_follow_last(const char *path)
{
	size_t n = strlen(path);

	return n == 0 || path[n - 1] == '/' ||
	    (path[n - 1] == '.' && (n == 1 || path[n - 2] == '/'));
}

/* The name Docker gives the path: filepath.Base of it, "." kept; the top
 * of a volume is named as its mount point is. */
static char *
arc_base(const struct rt_root *r, const char *path, const char *clean)
{
	size_t n = strlen(path);
	const char *s;

	if (n > 0 && path[n - 1] == '.' && (n == 1 || path[n - 2] == '/'))
		return xstrdup(".");
	if (strcmp(clean, "/") == 0 && r->mount != NULL)
		return xstrdup(strrchr(r->mount, '/') + 1);
	if (strcmp(clean, "/") == 0)
		return xstrdup("/");
	s = strrchr(clean, '/');
	return xstrdup(s + 1);
}

/* The path's object: *dfd its folder and *name its last name (fstatat
 * with AT_SYMLINK_NOFOLLOW), or, following it, *dfd the object itself
 * and *name "". */
static int
arc_locate(const struct rt_root *r, const char *path, bool follow, int *dfd,
    char **name, sdc_error_t *err)
{
	char *clean = rt_path_clean(path), *slash;

	*name = NULL;
	if (follow || arc_follow_last(path) || strcmp(clean, "/") == 0) {
		*dfd = arc_open_root(r, clean, O_PATH, NULL, err);
		*name = xstrdup("");
	} else {
		slash = strrchr(clean, '/');
		*name = xstrdup(slash + 1);
		*slash = '\0';
		*dfd = arc_open_root(r, clean, O_PATH | O_DIRECTORY, NULL,
		    err);
	}
	free(clean);
	if (*dfd < 0) {
		free(*name);
		*name = NULL;
		if (errno == ENOENT || errno == ELOOP)
			(*err)->code = 404;
		return -1;
	}
	return 0;
}

static int
arc_lstat(int dfd, const char *name, struct stat *st)
{
	return fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH);
}

/* ---- stat ---- */

static uint32_t
arc_go_mode(mode_t m)
{
	uint32_t g = m & 0777;

	if (S_ISDIR(m))
		g |= GO_MODE_DIR;
	else if (S_ISLNK(m))
		g |= GO_MODE_SYMLINK;
	else if (S_ISFIFO(m))
		g |= GO_MODE_PIPE;
	else if (S_ISSOCK(m))
		g |= GO_MODE_SOCKET;
	else if (S_ISCHR(m))
		g |= GO_MODE_DEVICE | GO_MODE_CHARDEV;
	else if (S_ISBLK(m))
		g |= GO_MODE_DEVICE;
	if (m & S_ISUID)
		g |= GO_MODE_SETUID;
	if (m & S_ISGID)
		g |= GO_MODE_SETGID;
	if (m & S_ISVTX)
		g |= GO_MODE_STICKY;
	return g;
}

void
rt_path_stat_free(struct rt_path_stat *st)
{
	free(st->name);
	free(st->link_target);
	memset(st, 0, sizeof *st);
}

int
rt_archive_stat(const struct rt_root *r, const char *path,
    struct rt_path_stat *out, sdc_error_t *err)
{
	char *name, *clean;
	struct stat st;
	int dfd, fd;

	memset(out, 0, sizeof *out);
	if (arc_locate(r, path, false, &dfd, &name, err) < 0)
		return -1;
	if (arc_lstat(dfd, name, &st) < 0) {
		sdc_make_error_code(err, errno == ENOENT ? 404 : 500,
		    "stat %s: %s", path, strerror(errno));
		close(dfd);
		free(name);
		return -1;
	}
	close(dfd);
	free(name);
	clean = rt_path_clean(path);
	out->name = arc_base(r, path, clean);
	out->size = (int64_t)st.st_size;
	out->mode = arc_go_mode(st.st_mode);
	out->mtime = st.st_mtim;
	out->link_target = xstrdup("");
	if (S_ISLNK(st.st_mode)) {
		/* Docker's linkTarget: the link evaluated inside the root. */
		char *t;

		fd = arc_open_root(r, clean, O_PATH, &t, NULL);
		if (fd >= 0) {
			if (t != NULL) {
				free(out->link_target);
				out->link_target = t;
			}
			close(fd);
		}
	}
	free(clean);
	return 0;
}

/* ---- ids ---- */

static unsigned
arc_cid(const struct rt_idmap *m, unsigned host, unsigned base)
{
	if (m->count == 0)
		return host;
	if (host >= base && host - base < m->count)
		return host - base;
	return ARC_OVERFLOW_ID;
}

static int
arc_hid(const struct rt_idmap *m, int64_t id, unsigned base, unsigned *out,
    const char *what, const char *entry, sdc_error_t *err)
{
	if (id < 0 || (m->count > 0 && id >= (int64_t)m->count) || id > INT32_MAX)
		return sdc_make_error_code(err, 400, "%s %lld of \"%s\" cannot be "
		    "mapped into the container's user namespace", what,
		    (long long)id, entry);
	*out = m->count == 0 ? (unsigned)id : base + (unsigned)id;
	return 0;
}

/* ---- get: a tar of a path ---- */

/* Written by lib/tarout (libarchive's pax-restricted writer): ustar
 * headers, a pax header only for what ustar cannot hold, as Go's
 * archive/tar and so dockerd write them. */
struct arc_get {
	const struct rt_root *r;
	struct archive *a;
	sdc_error_t *err;
	char buf[ARC_CHUNK];
};

/* One header: ids as the container sees them, no user or group names,
 * mtime to the second, as Docker's tar of a path has them. */
static int
arc_tar_header(struct arc_get *g, const char *name, const struct stat *st,
    int64_t size, const char *link)
{
	const struct rt_idmap *m = &g->r->idmap;
	struct archive_entry *e = archive_entry_new();
	int rc;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, st->st_mode & S_IFMT);
	archive_entry_set_perm(e, st->st_mode & 07777);
	archive_entry_set_uid(e, arc_cid(m, st->st_uid, m->uid));
	archive_entry_set_gid(e, arc_cid(m, st->st_gid, m->gid));
	archive_entry_set_size(e, size);
	archive_entry_set_mtime(e, st->st_mtim.tv_sec < 0 ? 0 :
	    st->st_mtim.tv_sec, 0);
	if (link != NULL)
		archive_entry_set_symlink(e, link);
	rc = tarout_header(g->a, e, g->err);
	archive_entry_free(e);
	return rc;
}

static int arc_get_tree(struct arc_get *g, int dfd, const char *tname,
    const char *cpath, dev_t dev);

/* name in dfd opened for reading without following it; "" is dfd's own
 * object (an O_PATH fd), reopened through its fd. */
static int
arc_reopen(int dfd, const char *name, int flags)
{
	char p[64];

	flags |= O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
	if (*name != '\0')
		return openat(dfd, name, flags);
	if (flags & O_DIRECTORY)
		return openat(dfd, ".", flags & ~O_NOFOLLOW);
	snprintf(p, sizeof p, "/proc/self/fd/%d", dfd);
	return open(p, flags & ~O_NOFOLLOW);
}

/* The file's bytes, at most size of them; a file that shrank meanwhile
 * is padded with zeros by the writer, as its header promised. */
static int
arc_get_data(struct arc_get *g, int fd, off_t size)
{
	off_t left = size;
	ssize_t n;

	while (left > 0 && (n = read(fd, g->buf, left < (off_t)sizeof g->buf ?
	    (size_t)left : sizeof g->buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (tarout_data(g->a, g->buf, (size_t)n, g->err) < 0)
			return -1;
		left -= n;
	}
	return 0;
}

/* One entry: name (in dfd, on dev) as tname in the tar; cpath is where
 * the container has it.  Entries that vanish or change kind under us are
 * skipped, as a tar of a live tree must; a folder where a mount is
 * grafted is the mount's top. */
static int
arc_get_entry(struct arc_get *g, int dfd, const char *name, const char *tname,
    const char *cpath, dev_t dev)
{
	const struct rt_graft *gr = arc_graft_at(g->r, cpath);
	char target[PATH_MAX], *hname = NULL;
	struct stat st, st2;
	ssize_t n;
	int fd = -1, rc;

	if (gr != NULL) {
		dfd = gr->fd;
		name = "";
	}
	if (arc_lstat(dfd, name, &st) < 0)
		return 0;
	if (gr != NULL)
		dev = st.st_dev;
	if (S_ISLNK(st.st_mode)) {
		if ((n = readlinkat(dfd, name, target, sizeof target - 1)) < 0)
			return 0;
		target[n] = '\0';
		return arc_tar_header(g, tname, &st, 0, target);
	}
	if (S_ISFIFO(st.st_mode))
		return arc_tar_header(g, tname, &st, 0, NULL);
	if (S_ISREG(st.st_mode)) {
		fd = arc_reopen(dfd, name, O_RDONLY | O_NONBLOCK);
		if (fd < 0 || fstat(fd, &st2) < 0 || !S_ISREG(st2.st_mode) ||
		    st2.st_ino != st.st_ino || st2.st_dev != st.st_dev) {
			if (fd >= 0)
				close(fd);
			return 0;
		}
		rc = arc_tar_header(g, tname, &st2, (int64_t)st2.st_size, NULL);
		if (rc == 0)
			rc = arc_get_data(g, fd, st2.st_size);
		close(fd);
		return rc;
	}
	if (!S_ISDIR(st.st_mode) || st.st_dev != dev)
		return 0;	/* devices, sockets, another filesystem */
	fd = arc_reopen(dfd, name, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st2) < 0 || st2.st_ino != st.st_ino ||
	    st2.st_dev != st.st_dev) {
		close(fd);
		return 0;
	}
	xasprintf(&hname, "%s/", tname);
	rc = arc_tar_header(g, strcmp(tname, "/") == 0 ? "./" : hname, &st, 0,
	    NULL);
	free(hname);
	if (rc == 0)
		rc = arc_get_tree(g, fd, tname, cpath, dev);
	else
		close(fd);
	return rc;
}

/* The entries of a folder (fd, taken) under tname/, cpath in the
 * container. */
static int
arc_get_tree(struct arc_get *g, int fd, const char *tname, const char *cpath,
    dev_t dev)
{
	struct dirent *d;
	char *child, *ccpath;
	DIR *dir;
	int rc = 0;

	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while (rc == 0 && (d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		xasprintf(&child, "%s/%s", strcmp(tname, "/") == 0 ? "." : tname,
		    d->d_name);
		ccpath = cpath != NULL ? arc_cjoin(cpath, d->d_name) : NULL;
		rc = arc_get_entry(g, dirfd(dir), d->d_name, child, ccpath, dev);
		free(ccpath);
		free(child);
	}
	closedir(dir);
	return rc;
}

int
rt_archive_get(const struct rt_root *r, const char *path, rt_write_fn *write,
    void *arg, sdc_error_t *err)
{
	struct arc_get *g;
	struct stat rst, st;
	char *name, *clean, *tname, *dpath, *cpath = NULL;
	int dfd, rc;

	if (arc_locate(r, path, false, &dfd, &name, err) < 0)
		return -1;
	if (fstat(r->fd, &rst) < 0) {
		close(dfd);
		free(name);
		return sdc_make_error(err, errno, "stat of the container's root");
	}
	if (arc_lstat(dfd, name, &st) < 0) {
		rc = sdc_make_error_code(err, errno == ENOENT ? 404 : 500,
		    "stat %s: %s", path, strerror(errno));
		close(dfd);
		free(name);
		return rc;
	}
	clean = rt_path_clean(path);
	tname = arc_base(r, path, clean);
	free(clean);
	/* where the container has it, to meet the mounts grafted below */
	if ((dpath = arc_fd_cpath(r, dfd)) != NULL)
		cpath = *name != '\0' ? arc_cjoin(dpath, name) : xstrdup(dpath);
	free(dpath);
	g = xcalloc(1, sizeof *g);
	g->r = r;
	g->err = err;
	if ((g->a = tarout_new(write, arg, err)) == NULL)
		rc = -1;
	else if ((rc = arc_get_entry(g, dfd, name, tname, cpath,
	    rst.st_dev)) == 0)
		rc = tarout_close(g->a, err);
	else
		tarout_close(g->a, NULL);
	free(g);
	free(tname);
	free(cpath);
	free(name);
	close(dfd);
	return rc;
}

/* ---- put: a tar extracted into a folder ---- */

struct arc_put {
	const struct rt_root *r;
	const struct rt_put_opts *o;
	int dest;			/* the destination folder */
	char *dcpath;			/* where the container has it */
	dev_t dev;
	char *pdir;			/* the last parent walked, its fd and */
	int pfd;
	char *pcpath;			/* where the container has it */
};

static int
arc_put_errno(int e, const char *entry, sdc_error_t *err)
{
	if (e == ENOSPC || e == EDQUOT)
		return sdc_make_error_code(err, 403, "extracting \"%s\": no space "
		    "left in the container's writable layer (its disk limit)",
		    entry);
	if (e == EROFS)
		return sdc_make_error_code(err, 403, "extracting \"%s\": "
		    "read-only file system", entry);
	return sdc_make_error(err, e, "extracting \"%s\"", entry);
}

/* A tar name cleaned relative to the destination; NULL (400) when it
 * climbs out of it.  "" is the destination itself. */
static char *
arc_entry_name(const char *name, sdc_error_t *err)
{
	bool escaped = false;
	char *rel = arc_clean(name, "", &escaped);

	if (!escaped)
		return rel;
	free(rel);
	sdc_make_error_code(err, 400, "invalid tar entry \"%s\": it leads "
	    "outside of the destination", name);
	return NULL;
}

static int
arc_own(const struct arc_put *p, int dfd, const char *name, int fd,
    struct archive_entry *e, const char *entry, sdc_error_t *err)
{
	const struct rt_idmap *m = &p->r->idmap;
	unsigned uid = 0, gid = 0;
	int rc;

	if (arc_hid(m, p->o->copy_uidgid ? archive_entry_uid(e) : 0, m->uid,
	    &uid, "uid", entry, err) < 0 ||
	    arc_hid(m, p->o->copy_uidgid ? archive_entry_gid(e) : 0, m->gid,
	    &gid, "gid", entry, err) < 0)
		return -1;
	rc = fd >= 0 ? fchown(fd, uid, gid) :
	    fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
	if (rc < 0)
		return arc_put_errno(errno, entry, err);
	return 0;
}

/* A folder met by a walk: a grafted mount's top replaces it (its fd
 * reopened into *next, *dev its filesystem); 403 for a read-only one. */
static int
arc_walk_graft(struct arc_put *p, const char *cpath, const char *rel,
    int *next, dev_t *dev, sdc_error_t *err)
{
	const struct rt_graft *gr = arc_graft_at(p->r, cpath);
	struct stat st;
	int fd;

	if (gr == NULL)
		return 0;
	if (gr->ro)
		return sdc_make_error_code(err, 403, "extracting \"%s\": the "
		    "volume mounted at %s is marked read-only", rel, gr->path);
	fd = openat(gr->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		arc_put_errno(errno, rel, err);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(*next);
	*next = fd;
	*dev = st.st_dev;
	return 0;
}

/* A symlink c met in the folder at cpath (the container's), resolved as
 * the container would, inside its root and the mounts grafted in; *cpath
 * becomes where it led.  A read-only mount is not entered (EROFS). */
static int
arc_walk_link(struct arc_put *p, const char *c, char **cpath)
{
	const char *top = p->r->mount != NULL ? p->r->mount : "", *rest;
	char *full = arc_cjoin(*cpath, c), *where = NULL;
	const struct rt_graft *gr;
	size_t n = strlen(top);
	int fd;

	fd = arc_open_root(p->r, strncmp(full, top, n) == 0 ? full + n : full,
	    O_PATH | O_DIRECTORY, &where, NULL);
	free(full);
	if (fd >= 0 && where != NULL &&
	    (gr = arc_graft_holding(p->r, where, &rest)) != NULL && gr->ro &&
	    arc_graft_at(p->r, gr->path) != NULL) {
		close(fd);
		fd = -1;
		errno = EROFS;
	}
	if (fd >= 0 && where != NULL) {
		free(*cpath);
		*cpath = where;
	} else
		free(where);
	return fd;
}

/* The folder at rel (a cleaned name under the destination), walked one
 * name at a time; missing folders made when create is set.  A mount
 * grafted on the way is entered (rt_root_graft). */
static int
arc_walk(struct arc_put *p, const char *rel, bool create, char **out_cpath,
    sdc_error_t *err)
{
	char *copy = xstrdup(rel), *c, *save = NULL, *cpath, *ncpath;
	struct stat st;
	int cur = dup(p->dest), next;
	dev_t dev = p->dev;

	if (cur < 0) {
		free(copy);
		return sdc_make_error(err, errno, "extracting");
	}
	cpath = xstrdup(p->dcpath);
	for (c = strtok_r(copy, "/", &save); c != NULL;
	    c = strtok_r(NULL, "/", &save)) {
		ncpath = arc_cjoin(cpath, c);
		next = openat(cur, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(cur, c, 0755) < 0 && errno != EEXIST) {
				arc_put_errno(errno, rel, err);
				free(ncpath);
				goto fail;
			}
			next = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC);
			if (next >= 0) {
				const struct rt_idmap *m = &p->r->idmap;

				if (fchown(next, m->count ? m->uid : 0,
				    m->count ? m->gid : 0) < 0) {
					close(next);
					arc_put_errno(errno, rel, err);
					free(ncpath);
					goto fail;
				}
			}
		}
		if (next < 0 || fstat(next, &st) < 0) {
			arc_put_errno(errno, rel, err);
			if (next >= 0)
				close(next);
			free(ncpath);
			goto fail;
		}
		if (S_ISLNK(st.st_mode)) {
			/* resolved as the container would, inside its root */
			close(next);
			next = arc_walk_link(p, c, &cpath);
			free(ncpath);
			ncpath = xstrdup(cpath);
			if (next < 0 || fstat(next, &st) < 0) {
				sdc_make_error_code(err, 400, "extracting \"%s\": "
				    "\"%s\" is a symbolic link to nothing that "
				    "can hold it", rel, c);
				if (next >= 0)
					close(next);
				free(ncpath);
				goto fail;
			}
			/* inside the root or a mount, wherever it led */
			dev = st.st_dev;
		} else if (S_ISDIR(st.st_mode) && arc_graft_at(p->r, ncpath)) {
			if (arc_walk_graft(p, ncpath, rel, &next, &dev,
			    err) < 0) {
				free(ncpath);
				goto fail;
			}
			st.st_dev = dev;
		}
		if (!S_ISDIR(st.st_mode) || st.st_dev != dev) {
			close(next);
			free(ncpath);
			sdc_make_error_code(err, 400, "extracting \"%s\": \"%s\" "
			    "is not a directory", rel, c);
			goto fail;
		}
		free(cpath);
		cpath = ncpath;
		close(cur);
		cur = next;
	}
	if (out_cpath != NULL)
		*out_cpath = cpath;
	else
		free(cpath);
	free(copy);
	return cur;
fail:
	free(cpath);
	close(cur);
	free(copy);
	return -1;
}

/* Make room for an entry of kind dir (or not) at name. */
static int
arc_clear(struct arc_put *p, int dfd, const char *name, bool dir,
    const char *entry, bool *is_dir, sdc_error_t *err)
{
	struct stat st;

	*is_dir = false;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : arc_put_errno(errno, entry, err);
	if (S_ISDIR(st.st_mode) && dir) {
		*is_dir = true;
		return 0;
	}
	if (p->o->no_overwrite_dir_non_dir && S_ISDIR(st.st_mode) != dir)
		return sdc_make_error_code(err, 400, dir ?
		    "cannot overwrite non-directory \"%s\" with directory \"%s\"" :
		    "cannot overwrite directory \"%s\" with non-directory \"%s\"",
		    entry, entry);
	if (fs_rmtree_at(dfd, name, err) < 0)
		return arc_put_errno((*err)->errnum != 0 ? (*err)->errnum : EIO,
		    entry, err);
	return 0;
}

static int
arc_put_data(struct archive *a, int fd, const char *entry, sdc_error_t *err)
{
	const void *buf;
	size_t len;
	la_int64_t off, end = 0;
	int r;

	while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
		end = off + (la_int64_t)len;
		while (len > 0) {
			ssize_t n = pwrite(fd, buf, len, off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return arc_put_errno(n < 0 ? errno : ENOSPC, entry,
				    err);
			buf = (const char *)buf + n;
			len -= (size_t)n;
			off += n;
		}
	}
	if (r != ARCHIVE_EOF)
		return sdc_make_error_code(err, 400, "reading the tar at \"%s\": %s",
		    entry, archive_error_string(a));
	(void)end;
	return 0;
}

static int
arc_put_entry(struct arc_put *p, struct archive *a, struct archive_entry *e,
    sdc_error_t *err)
{
	const char *raw = archive_entry_pathname(e);
	char *rel, *pdir, *name, *slash, *lrel = NULL, *ecpath = NULL;
	const struct rt_graft *gr;
	mode_t type = archive_entry_filetype(e);
	mode_t mode = archive_entry_perm(e) | (archive_entry_mode(e) & 07000);
	struct timespec ts[2];
	int dfd, fd = -1, rc = -1, lfd = -1;
	bool is_dir;

	if (raw == NULL)
		return sdc_make_error_code(err, 400, "a tar entry has no name");
	if ((rel = arc_entry_name(raw, err)) == NULL)
		return -1;
	if (*rel == '\0') {
		free(rel);
		return 0;		/* the destination itself: kept as it is */
	}
	if (archive_entry_hardlink(e) == NULL && (type == AE_IFCHR ||
	    type == AE_IFBLK || type == AE_IFSOCK)) {
		sdc_make_error_code(err, 400, "tar entry \"%s\": device nodes and "
		    "sockets cannot be copied into a container", raw);
		free(rel);
		return -1;
	}
	slash = strrchr(rel, '/');
	pdir = slash != NULL ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup("");
	name = slash != NULL ? slash + 1 : rel;
	if (p->pdir != NULL && strcmp(p->pdir, pdir) == 0) {
		dfd = p->pfd;
		free(pdir);
	} else {
		char *pcpath;

		if ((dfd = arc_walk(p, pdir, true, &pcpath, err)) < 0) {
			free(pdir);
			free(rel);
			return -1;
		}
		if (p->pfd >= 0)
			close(p->pfd);
		free(p->pdir);
		free(p->pcpath);
		p->pdir = pdir;
		p->pfd = dfd;
		p->pcpath = pcpath;
	}
	/* a mount's top takes a folder's metadata; no mount point is
	 * replaced, nor removed with what holds it */
	ecpath = arc_cjoin(p->pcpath, name);
	gr = type == AE_IFDIR && archive_entry_hardlink(e) == NULL ?
	    arc_graft_at(p->r, ecpath) : NULL;
	if (gr == NULL && type != AE_IFDIR && arc_graft_under(p->r, ecpath)) {
		sdc_make_error_code(err, 400, "tar entry \"%s\": cannot "
		    "overwrite the mount point %s with a non-directory", raw,
		    ecpath);
		goto out;
	}
	if (gr != NULL && gr->ro) {
		sdc_make_error_code(err, 403, "extracting \"%s\": the volume "
		    "mounted at %s is marked read-only", raw, gr->path);
		goto out;
	}
	ts[0].tv_sec = ts[1].tv_sec = archive_entry_mtime(e);
	ts[0].tv_nsec = ts[1].tv_nsec = archive_entry_mtime_nsec(e);

	if (archive_entry_hardlink(e) != NULL) {
		char *lpdir, *lname, *ls;

		if ((lrel = arc_entry_name(archive_entry_hardlink(e), err)) == NULL)
			goto out;
		ls = strrchr(lrel, '/');
		lpdir = ls != NULL ? xstrndup(lrel, (size_t)(ls - lrel)) :
		    xstrdup("");
		lname = ls != NULL ? ls + 1 : lrel;
		lfd = *lrel != '\0' ? arc_walk(p, lpdir, false, NULL, err) : -1;
		free(lpdir);
		if (lfd < 0) {
			sdc_error_release(err);
			sdc_make_error_code(err, 400, "tar entry \"%s\": cannot "
			    "link to \"%s\"", raw, archive_entry_hardlink(e));
			goto out;
		}
		if (arc_clear(p, dfd, name, false, raw, &is_dir, err) < 0)
			goto out;
		if (linkat(lfd, lname, dfd, name, 0) < 0) {
			if (errno == ENOENT || errno == EPERM || errno == EXDEV)
				sdc_make_error_code(err, 400, "tar entry \"%s\": "
				    "cannot link to \"%s\"", raw,
				    archive_entry_hardlink(e));
			else
				arc_put_errno(errno, raw, err);
			goto out;
		}
		rc = 0;
		goto out;
	}
	switch (type) {
	case AE_IFDIR:
		if (gr != NULL) {
			fd = openat(gr->fd, ".", O_RDONLY | O_DIRECTORY |
			    O_CLOEXEC);
			break;
		}
		if (arc_clear(p, dfd, name, true, raw, &is_dir, err) < 0)
			goto out;
		if (!is_dir && mkdirat(dfd, name, 0700) < 0) {
			arc_put_errno(errno, raw, err);
			goto out;
		}
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		break;
	case AE_IFREG:
		if (arc_clear(p, dfd, name, false, raw, &is_dir, err) < 0)
			goto out;
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd >= 0 && (arc_put_data(a, fd, raw, err) < 0 ||
		    ftruncate(fd, archive_entry_size(e)) < 0)) {
			if (*err == NULL)
				arc_put_errno(errno, raw, err);
			goto out;
		}
		break;
	case AE_IFLNK:
		if (arc_clear(p, dfd, name, false, raw, &is_dir, err) < 0)
			goto out;
		if (symlinkat(archive_entry_symlink(e) != NULL ?
		    archive_entry_symlink(e) : "", dfd, name) < 0) {
			arc_put_errno(errno, raw, err);
			goto out;
		}
		if (arc_own(p, dfd, name, -1, e, raw, err) < 0)
			goto out;
		(void)utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
		rc = 0;
		goto out;
	case AE_IFIFO:
		if (arc_clear(p, dfd, name, false, raw, &is_dir, err) < 0)
			goto out;
		if (mkfifoat(dfd, name, 0600) < 0) {
			arc_put_errno(errno, raw, err);
			goto out;
		}
		fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			/* fchown/fchmod need a real fd: go through O_PATH's */
			char pp[64];
			int f2;

			snprintf(pp, sizeof pp, "/proc/self/fd/%d", fd);
			f2 = open(pp, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
			close(fd);
			fd = f2;
		}
		break;
	default:
		sdc_make_error_code(err, 400, "tar entry \"%s\": unsupported type",
		    raw);
		goto out;
	}
	if (fd < 0) {
		arc_put_errno(errno, raw, err);
		goto out;
	}
	if (arc_own(p, dfd, name, fd, e, raw, err) < 0)
		goto out;
	if (fchmod(fd, mode) < 0) {
		arc_put_errno(errno, raw, err);
		goto out;
	}
	(void)futimens(fd, ts);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (lfd >= 0)
		close(lfd);
	free(ecpath);
	free(lrel);
	free(rel);
	return rc;
}

/* A tmpfs of a running container belongs to its user namespace, where
 * the daemon's root is no id: the kernel refuses it a new file
 * (EOVERFLOW).  So the put's thread takes the container root's host ids
 * as its filesystem ids, as if that root made the files, and raises again
 * the capabilities that change drops (it still overrides permissions as
 * the daemon does); back to root's at the end.  Per thread, as Linux
 * keeps filesystem ids and capabilities. */
static void
arc_put_ids(const struct rt_idmap *m, bool container)
{
	struct __user_cap_header_struct h = {
	    .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct c[2];

	if (m->count == 0)
		return;
	setfsgid(container ? m->gid : 0);
	setfsuid(container ? m->uid : 0);
	if (syscall(SYS_capget, &h, c) == 0) {
		c[0].effective = c[0].permitted;
		c[1].effective = c[1].permitted;
		(void)syscall(SYS_capset, &h, c);
	}
}

static int
arc_put_all(const struct rt_root *r, const char *path,
    const struct rt_put_opts *o, int in, sdc_error_t *err)
{
	struct arc_put p = { .r = r, .o = o, .pfd = -1 };
	const struct rt_graft *gr;
	const char *rest;
	struct archive_entry *e;
	struct archive *a;
	struct stat st;
	char *clean = rt_path_clean(path);
	int rc = 0, h;

	p.dest = arc_open_root(r, clean, O_RDONLY | O_DIRECTORY, &p.dcpath,
	    NULL);
	if (p.dest < 0) {
		int e2 = errno;

		if (e2 == ENOTDIR)
			rc = sdc_make_error_code(err, 400, "extraction point is not "
			    "a directory");
		else if (e2 == ENOENT || e2 == ELOOP)
			rc = sdc_make_error_code(err, 404, "no such directory: %s",
			    path);
		else
			rc = sdc_make_error(err, e2, "opening %s", path);
		free(clean);
		return rc;
	}
	free(clean);
	if (fstat(p.dest, &st) < 0) {
		close(p.dest);
		return sdc_make_error(err, errno, "stat %s", path);
	}
	p.dev = st.st_dev;
	if (p.dcpath == NULL) {
		close(p.dest);
		return sdc_make_error(err, 0, "extracting: the destination "
		    "moved");
	}
	/* the caller refuses a path named inside a read-only mount; one
	 * that only resolves there (a tenant's link to it) is refused here,
	 * where it is known */
	if ((gr = arc_graft_holding(r, p.dcpath, &rest)) != NULL && gr->ro) {
		rc = sdc_make_error_code(err, 403, "extracting into %s: the "
		    "volume mounted at %s is marked read-only", path, gr->path);
		free(p.dcpath);
		close(p.dest);
		return rc;
	}
	a = archive_read_new();
	archive_read_support_format_tar(a);
	archive_read_support_filter_none(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	if (archive_read_open_fd(a, in, ARC_CHUNK) != ARCHIVE_OK)
		rc = sdc_make_error_code(err, 400, "reading the tar: %s",
		    archive_error_string(a));
	while (rc == 0 && (h = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		if (h != ARCHIVE_OK && h != ARCHIVE_WARN) {
			rc = sdc_make_error_code(err, 400, "reading the tar: %s",
			    archive_error_string(a));
			break;
		}
		rc = arc_put_entry(&p, a, e, err);
	}
	archive_read_free(a);
	if (p.pfd >= 0)
		close(p.pfd);
	free(p.pdir);
	free(p.pcpath);
	free(p.dcpath);
	close(p.dest);
	return rc;
}

int
rt_archive_put(const struct rt_root *r, const char *path,
    const struct rt_put_opts *o, int in, sdc_error_t *err)
{
	int rc;

	arc_put_ids(&r->idmap, true);
	rc = arc_put_all(r, path, o, in, err);
	arc_put_ids(&r->idmap, false);
	return rc;
}
