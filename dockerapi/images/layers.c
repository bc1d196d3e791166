/*
 * layers.c: unpacking a layer blob into layers/<diff hex>/diff, safely,
 * with the tar-split that lets `docker save` rebuild the exact tar.
 *
 * Two libarchive readers are chained: the first (format "raw", every
 * filter) turns the blob into the uncompressed tar stream, which is hashed
 * on its way to the second (format tar), so the diff id is checked in the
 * same single pass as the unpacking (the stream also feeds the tar-split).
 * Entries go through archive_write_disk into a temp dir under tmp/, which
 * is renamed to its final name only when the whole layer is in and its
 * diff id matches; a failure removes it.
 *
 * No entry may reach outside the layer dir.  Our own checks come first and
 * refuse: absolute names, any ".." component, a parent component that is a
 * symlink (so nothing is ever written through a link an earlier entry
 * made), and hard links whose target is absolute, has "..", or goes through
 * a symlink.  libarchive then checks again with SECURE_NODOTDOT and
 * SECURE_SYMLINKS.  SECURE_SYMLINKS checks every component of a name
 * from its start, so the names are kept relative to the temp dir: the
 * unpacking thread takes a working directory of its own (unshare of
 * CLONE_FS, which a threaded daemon may do for one thread) and moves into
 * the temp dir for the unpacking, then back.  With the absolute temp dir
 * in front of each name, that check cost a dozen opens and stats an
 * entry, most of the time of a `docker commit`.  Should the unshare fail,
 * the absolute prefix is used (the data dir is resolved with realpath()
 * at open, so that prefix holds no symlink).
 *
 * Whiteouts become what overlayfs reads: ".wh.NAME" a 0/0 character device
 * NAME owned by root, ".wh..wh..opq" the xattr trusted.overlay.opaque=y on
 * its folder.  trusted.overlay.* xattrs carried in the tar itself are
 * dropped: only whiteouts may speak to overlayfs.  Owners are numeric (no
 * user name lookup), as in Docker.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "images-int.h"
#include "xalloc.h"

#define LAYER_DISK_FLAGS (ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER | \
	ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL | \
	ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS | \
	ARCHIVE_EXTRACT_SPARSE)

struct unpack {
	char *root;		/* the temp dir's diff/ being filled */
	const char *base;	/* what names are joined to: root, or "."
				 * once the thread works in root */
	struct archive *raw;	/* blob -> uncompressed bytes */
	struct archive *tar;
	struct archive *disk;
	EVP_MD_CTX *md;		/* over the uncompressed bytes */
	char chunk[128 * 1024];
	int64_t blob_size;
	int64_t size;
	layers_progress_fn *progress;
	void *arg;
	atomic_int *cancel;
	struct images_budget *budget;
	sdc_error_t over;	/* the budget ran out */
	struct tarsplit ts;
	struct strvec skipped;	/* device nodes not made, by name */
};

bool
layers_exists(struct images *im, const char *diff_id)
{
	struct stat sb;
	char *p;
	bool ok;

	if (!digest_valid(diff_id))
		return false;
	p = images_layer_dir(im, diff_id);
	ok = lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
	free(p);
	return ok;
}

char *
layers_root(struct images *im, const char *diff_id)
{
	char *p;

	xasprintf(&p, "%s/%s", im->layerdir,
	    digest_valid(diff_id) ? digest_hex(diff_id) : "invalid");
	return p;
}

static char *
layers_split_path(struct images *im, const char *diff_id)
{
	char *root = layers_root(im, diff_id), *p;

	xasprintf(&p, "%s/tar-split", root);
	free(root);
	return p;
}

bool
layers_has_split(struct images *im, const char *diff_id)
{
	char *p = layers_split_path(im, diff_id);
	bool ok = access(p, F_OK) == 0;

	free(p);
	return ok;
}

/*
 * Make a tar name relative and clean: drop "./" and empty components,
 * refuse absolute names and "..".  "" stands for the layer root.
 */
int
layer_clean_name(const char *name, char **out, sdc_error_t *err)
{
	struct buf b = BUF_INIT;
	const char *c = name;

	if (name[0] == '/')
		return sdc_make_error_code(err, 500,
		    "refusing layer entry with an absolute path: %s", name);
	while (*c != '\0') {
		const char *end = strchr(c, '/');
		size_t len = end ? (size_t)(end - c) : strlen(c);
		if (len == 2 && strncmp(c, "..", 2) == 0) {
			buf_free(&b);
			return sdc_make_error_code(err, 500,
			    "refusing layer entry with a '..' component: %s", name);
		}
		if (len > 0 && !(len == 1 && c[0] == '.')) {
			if (b.len > 0)
				buf_putc(&b, '/');
			buf_append(&b, c, len);
		}
		c += len;
		if (*c == '/')
			c++;
	}
	*out = buf_detach(&b, NULL);
	return 0;
}

/* No component of `rel` but the last may be a symlink (or a non-folder). */
static int
layer_check_parents(const char *root, const char *rel, const char *what,
    sdc_error_t *err)
{
	char path[PATH_MAX];
	size_t rootlen = strlen(root);
	const char *c = rel;
	struct stat sb;

	if (rootlen + 1 + strlen(rel) >= sizeof path)
		return sdc_make_error_code(err, 500, "layer path too long: %s", rel);
	memcpy(path, root, rootlen);
	for (;;) {
		const char *slash = strchr(c, '/');
		if (slash == NULL)
			return 0;
		size_t upto = rootlen + 1 + (size_t)(slash - rel);
		path[rootlen] = '/';
		memcpy(path + rootlen + 1, rel, (size_t)(slash - rel));
		path[upto] = '\0';
		if (lstat(path, &sb) < 0) {
			if (errno == ENOENT)
				return 0;	/* libarchive creates it as a folder */
			return sdc_make_error(err, errno, "checking %s", rel);
		}
		if (S_ISLNK(sb.st_mode))
			return sdc_make_error_code(err, 500, "refusing layer entry "
			    "%s: it goes through the symlink %.*s", what,
			    (int)(slash - rel), rel);
		if (!S_ISDIR(sb.st_mode))
			return sdc_make_error_code(err, 500, "refusing layer entry "
			    "%s: %.*s is not a folder", what, (int)(slash - rel), rel);
		c = slash + 1;
	}
}

static char *
layer_join(const char *root, const char *rel)
{
	char *p;

	if (*rel == '\0')
		return xstrdup(root);
	if (strcmp(root, ".") == 0)
		return xstrdup(rel);
	xasprintf(&p, "%s/%s", root, rel);
	return p;
}

/* Drop trusted.overlay.* from the entry's xattrs. */
static void
layer_filter_xattrs(struct archive_entry *e)
{
	const char *name;
	const void *val;
	size_t size;
	struct strvec names = { 0 };
	struct buf vals = BUF_INIT;
	size_t *lens, n = 0;
	bool drop = false;

	if (archive_entry_xattr_reset(e) == 0)
		return;
	while (archive_entry_xattr_next(e, &name, &val, &size) == ARCHIVE_OK)
		if (strncmp(name, "trusted.overlay.", 16) == 0)
			drop = true;
	if (!drop)
		return;
	lens = xcalloc(archive_entry_xattr_count(e) + 1, sizeof *lens);
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &val, &size) == ARCHIVE_OK) {
		if (strncmp(name, "trusted.overlay.", 16) == 0)
			continue;
		strvec_push(&names, name);
		buf_append(&vals, val, size);
		lens[n++] = size;
	}
	archive_entry_xattr_clear(e);
	for (size_t i = 0, off = 0; i < n; off += lens[i], i++)
		archive_entry_xattr_add_entry(e, names.v[i], vals.data + off, lens[i]);
	free(lens);
	buf_free(&vals);
	strvec_clear(&names);
}

static int
layer_disk_error(struct unpack *u, const char *rel, sdc_error_t *err)
{
	return sdc_make_error_code(err, 500, "extracting %s: %s", rel,
	    archive_error_string(u->disk));
}

static int
layer_write_entry(struct unpack *u, struct archive_entry *e, const char *rel,
    sdc_error_t *err)
{
	const void *block;
	size_t len;
	la_int64_t off;
	int r;

	r = archive_write_header(u->disk, e);
	if (r < ARCHIVE_WARN)
		return layer_disk_error(u, rel, err);
	if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0 &&
	    archive_entry_hardlink(e) == NULL) {
		u->size += archive_entry_size(e);
		while ((r = archive_read_data_block(u->tar, &block, &len,
		    &off)) == ARCHIVE_OK)
			if (archive_write_data_block(u->disk, block, len, off) <
			    ARCHIVE_OK)
				return layer_disk_error(u, rel, err);
		if (r != ARCHIVE_EOF)
			return sdc_make_error_code(err, 500, "reading layer entry %s: %s",
			    rel, archive_error_string(u->tar));
	}
	if (archive_write_finish_entry(u->disk) < ARCHIVE_WARN)
		return layer_disk_error(u, rel, err);
	return 0;
}

/* ".wh..wh..opq": mark the folder opaque. */
static int
layer_opaque(struct unpack *u, const char *dir, sdc_error_t *err)
{
	char *path = layer_join(u->base, dir);
	struct stat sb;
	int rc = 0;

	if (lstat(path, &sb) < 0 && errno == ENOENT && mkdir_p(path, 0755, err) < 0)
		rc = -1;
	else if (lstat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
		rc = sdc_make_error_code(err, 500,
		    "opaque marker in %s, not a folder", dir);
	else if (lsetxattr(path, "trusted.overlay.opaque", "y", 1, 0) < 0)
		rc = sdc_make_error(err, errno, "marking %s opaque", dir);
	free(path);
	return rc;
}

/* ".wh.NAME": a 0/0 character device NAME. */
static int
layer_whiteout(struct unpack *u, struct archive_entry *e, const char *dir,
    const char *name, sdc_error_t *err)
{
	char *rel, *path;
	time_t mtime = archive_entry_mtime(e);
	int rc;

	if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return sdc_make_error_code(err, 500, "refusing whiteout of \"%s\"", name);
	if (*dir != '\0')
		xasprintf(&rel, "%s/%s", dir, name);
	else
		rel = xstrdup(name);
	path = layer_join(u->base, rel);
	archive_entry_clear(e);
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFCHR);
	archive_entry_set_perm(e, 0);
	archive_entry_set_rdev(e, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_mtime(e, mtime, 0);
	rc = layer_write_entry(u, e, rel, err);
	free(path);
	free(rel);
	return rc;
}

static int
layer_hardlink(struct unpack *u, struct archive_entry *e, const char *rel,
    sdc_error_t *err)
{
	const char *target = archive_entry_hardlink(e);
	char *clean, *path;
	struct stat sb;

	if (layer_clean_name(target, &clean, err) < 0)
		return sdc_error_wrap(err, "hard link %s", rel);
	if (*clean == '\0' || layer_check_parents(u->base, clean, rel, err) < 0) {
		free(clean);
		if (*err == NULL)
			sdc_make_error_code(err, 500,
			    "refusing hard link %s to the layer root", rel);
		return -1;
	}
	path = layer_join(u->base, clean);
	free(clean);
	if (lstat(path, &sb) < 0 || S_ISDIR(sb.st_mode)) {
		free(path);
		return sdc_make_error_code(err, 500, "refusing hard link %s to %s: "
		    "no such file in the layer", rel, target);
	}
	archive_entry_set_hardlink(e, path);
	free(path);
	return 0;
}

/*
 * Device nodes are not made in the store: the store lives on the host,
 * and a node there (a block device of the host's disk, /dev/mem, ...) is
 * reachable by whatever reads the store, while a container gets its /dev
 * from the runtime and cannot use other nodes anyway (the device cgroup
 * and its user namespace refuse them).  Docker skips them the same way
 * when it unpacks inside a user namespace.  A 0/0 character device is the
 * overlayfs whiteout and stays.  A hard link to a skipped node is skipped
 * too.  The tar-split keeps their headers, so `docker save` still writes
 * the layer's exact tar.
 */
static bool
layer_skip_device(struct unpack *u, struct archive_entry *e, const char *rel)
{
	mode_t t = archive_entry_filetype(e);
	const char *target = archive_entry_hardlink(e);
	char *clean;
	sdc_error_t err = NULL;
	bool skip = false;

	if (target != NULL && u->skipped.n > 0 &&
	    layer_clean_name(target, &clean, &err) == 0) {
		skip = strvec_has(&u->skipped, clean);
		free(clean);
	}
	sdc_error_release(&err);
	if (target == NULL && (t == AE_IFBLK ||
	    (t == AE_IFCHR && archive_entry_rdev(e) != 0)))
		skip = true;
	if (skip)
		strvec_push(&u->skipped, rel);
	return skip;
}

static int
layer_entry(struct unpack *u, struct archive_entry *e, sdc_error_t *err)
{
	char *rel, *path, *slash;
	const char *base, *dir;
	int rc;

	if (layer_clean_name(archive_entry_pathname(e), &rel, err) < 0)
		return -1;
	slash = strrchr(rel, '/');
	base = slash ? slash + 1 : rel;
	if (slash != NULL)
		*slash = '\0';
	dir = slash ? rel : "";
	if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0 &&
	    archive_entry_hardlink(e) == NULL) {
		if (strncmp(base, ".wh.", 4) == 0)
			u->ts.invalid = true;	/* contents the folder cannot keep */
		else if (slash != NULL) {
			*slash = '/';
			tarsplit_name(&u->ts, rel);
			*slash = '\0';
		} else
			tarsplit_name(&u->ts, rel);
	}
	if (strncmp(base, ".wh.", 4) == 0) {
		/* the folder must be reachable without symlinks */
		char *probe;
		rc = 0;
		if (*dir != '\0') {
			xasprintf(&probe, "%s/x", dir);
			rc = layer_check_parents(u->base, probe, base, err);
			free(probe);
		}
		if (rc == 0 && strcmp(base, ".wh..wh..opq") == 0)
			rc = layer_opaque(u, dir, err);
		else if (rc == 0 && strncmp(base, ".wh..wh.", 8) != 0)
			rc = layer_whiteout(u, e, dir, base + 4, err);
		free(rel);
		return rc;
	}
	if (slash != NULL)
		*slash = '/';
	if (layer_skip_device(u, e, rel)) {
		free(rel);
		return 0;
	}
	rc = layer_check_parents(u->base, rel, rel, err);
	if (rc == 0 && archive_entry_hardlink(e) != NULL)
		rc = layer_hardlink(u, e, rel, err);
	if (rc == 0) {
		layer_filter_xattrs(e);
		path = layer_join(u->base, rel);
		archive_entry_set_pathname(e, path);
		free(path);
		rc = layer_write_entry(u, e, rel, err);
	}
	free(rel);
	return rc;
}

static la_ssize_t
layer_read_cb(struct archive *a, void *arg, const void **buf)
{
	struct unpack *u = arg;
	la_ssize_t n;

	(void)a;
	if (u->cancel != NULL && atomic_load(u->cancel)) {
		archive_set_error(u->tar, ECANCELED, "cancelled");
		return -1;
	}
	n = archive_read_data(u->raw, u->chunk, sizeof u->chunk);
	if (n < 0) {
		archive_set_error(u->tar, EIO, "%s", archive_error_string(u->raw));
		return -1;
	}
	if (u->over != NULL || budget_charge(u->budget, u->budget != NULL ?
	    &u->budget->unpacked : NULL, n, &u->over) < 0) {
		archive_set_error(u->tar, EDQUOT, "%s", sdc_error_msg(u->over));
		return -1;
	}
	EVP_DigestUpdate(u->md, u->chunk, (size_t)n);
	tarsplit_feed(&u->ts, u->chunk, (size_t)n);
	*buf = u->chunk;
	if (u->progress != NULL)
		u->progress(u->arg, archive_filter_bytes(u->raw, -1), u->blob_size);
	return n;
}

static int
layer_open_readers(struct unpack *u, const char *blob, sdc_error_t *err)
{
	struct archive_entry *e;
	struct stat sb;

	u->raw = archive_read_new();
	archive_read_support_filter_all(u->raw);
	archive_read_support_format_raw(u->raw);
	if (archive_read_open_filename(u->raw, blob, 128 * 1024) != ARCHIVE_OK ||
	    archive_read_next_header(u->raw, &e) != ARCHIVE_OK)
		return sdc_make_error_code(err, 500, "reading layer: %s",
		    archive_error_string(u->raw));	/* no store path: tenants read it */
	u->blob_size = stat(blob, &sb) == 0 ? sb.st_size : 0;
	u->tar = archive_read_new();
	archive_read_support_format_tar(u->tar);
	archive_read_support_format_gnutar(u->tar);
	if (archive_read_open(u->tar, u, NULL, layer_read_cb, NULL) != ARCHIVE_OK)
		return sdc_make_error_code(err, 500, "reading layer: %s",
		    archive_error_string(u->tar));
	u->disk = archive_write_disk_new();
	archive_write_disk_set_options(u->disk, LAYER_DISK_FLAGS);
	return 0;
}

static int
layer_extract(struct unpack *u, sdc_error_t *err)
{
	struct archive_entry *e;
	la_ssize_t n;
	int r;

	while ((r = archive_read_next_header(u->tar, &e)) == ARCHIVE_OK) {
		if (u->cancel != NULL && atomic_load(u->cancel))
			return sdc_make_error_code(err, 500, "cancelled");
		if (layer_entry(u, e, err) < 0)
			return -1;
	}
	if (r != ARCHIVE_EOF)
		return sdc_make_error_code(err, 500, "reading layer: %s",
		    archive_error_string(u->tar));
	/* hash what follows the end-of-archive blocks too */
	while ((n = archive_read_data(u->raw, u->chunk, sizeof u->chunk)) > 0) {
		if (budget_charge(u->budget, u->budget != NULL ?
		    &u->budget->unpacked : NULL, n, &u->over) < 0)
			return sdc_make_error_code(err, 403, "%s",
			    sdc_error_msg(u->over));
		EVP_DigestUpdate(u->md, u->chunk, (size_t)n);
		tarsplit_feed(&u->ts, u->chunk, (size_t)n);
	}
	if (n < 0)
		return sdc_make_error_code(err, 500, "reading layer: %s",
		    archive_error_string(u->raw));
	if (archive_write_close(u->disk) != ARCHIVE_OK)
		return sdc_make_error_code(err, 500, "finishing layer: %s",
		    archive_error_string(u->disk));
	return 0;
}

static void
layer_close(struct unpack *u)
{
	if (u->tar != NULL)
		archive_read_free(u->tar);
	if (u->raw != NULL)
		archive_read_free(u->raw);
	if (u->disk != NULL)
		archive_write_free(u->disk);
	EVP_MD_CTX_free(u->md);
	tarsplit_free(&u->ts);
	strvec_clear(&u->skipped);
	free(u->root);
}

static int
layer_hash_cb(void *arg, const void *data, size_t len)
{
	EVP_DigestUpdate(arg, data, len);
	return 0;
}

/*
 * Keep a tar-split beside the folder, but only once it has rebuilt the very
 * tar we unpacked; otherwise the caller keeps the blob.
 */
static bool
layer_keep_split(struct unpack *u, const char *tmp, const char *diff_id)
{
	char *path, got[72];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	sdc_error_t err = NULL;
	bool ok;

	xasprintf(&path, "%s/tar-split", tmp);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	ok = tarsplit_write(&u->ts, path, &err) == 0 &&
	    tarsplit_rebuild(path, u->root, layer_hash_cb, md, &err) == 0;
	digest_final(md, got);
	ok = ok && strcmp(got, diff_id) == 0;
	if (!ok)
		unlink(path);
	sdc_error_release(&err);
	EVP_MD_CTX_free(md);
	free(path);
	return ok;
}

/* Move the finished temp dir to its name; losing a race is fine. */
static int
layer_publish(struct images *im, const char *tmp, const char *diff_id,
    struct layer_result *res, sdc_error_t *err)
{
	char *dst = layers_root(im, diff_id);
	int rc = 0;

	res->created = true;
	if (rename(tmp, dst) < 0) {
		if (errno == EEXIST || errno == ENOTEMPTY) {
			res->created = false;
			rc = fs_rmtree(tmp, err);
		} else
			rc = sdc_make_error(err, errno, "storing layer %s", diff_id);
	}
	free(dst);
	return rc;
}

/* The thread's own working directory, in dir; *back is where it was. */
static bool
layer_enter(const char *dir, int *back)
{
	if ((*back = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return false;
	if (unshare(CLONE_FS) == 0 && chdir(dir) == 0)
		return true;
	close(*back);
	*back = -1;
	return false;
}

static void
layer_leave(int *back)
{
	if (*back < 0)
		return;
	if (fchdir(*back) < 0)
		(void)chdir("/");
	close(*back);
	*back = -1;
}

/* layer_extract with the thread working in the temp dir, if it can. */
static int
layer_extract_in(struct unpack *u, sdc_error_t *err)
{
	int back = -1, rc;

	if (layer_enter(u->root, &back))
		u->base = ".";
	rc = layer_extract(u, err);
	layer_leave(&back);
	u->base = u->root;
	return rc;
}

int
layers_unpack(struct images *im, const char *blob, const char *want_diff,
    layers_progress_fn *progress, void *arg, atomic_int *cancel,
    struct images_budget *budget, struct layer_result *res, sdc_error_t *err)
{
	struct unpack *u = xcalloc(1, sizeof *u);
	char *tmp = tmp_name(im->tmpdir, "layer");
	int rc = -1;

	memset(res, 0, sizeof *res);
	xasprintf(&u->root, "%s/diff", tmp);
	tarsplit_init(&u->ts);
	u->progress = progress;
	u->arg = arg;
	u->cancel = cancel;
	u->budget = budget;
	u->md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(u->md, EVP_sha256(), NULL);
	u->base = u->root;
	if (mkdir(tmp, 0700) < 0 || mkdir(u->root, 0755) < 0)
		sdc_make_error(err, errno, "creating %s", u->root);
	else if (layer_open_readers(u, blob, err) == 0 &&
	    layer_extract_in(u, err) == 0) {
		digest_final(u->md, res->diff_id);
		res->size = u->size;
		if (want_diff != NULL && strcmp(want_diff, res->diff_id) != 0)
			sdc_make_error_code(err, 500, "layer diff id mismatch: "
			    "expected %s, got %s", want_diff, res->diff_id);
		else {
			res->split = layer_keep_split(u, tmp, res->diff_id);
			rc = layer_publish(im, tmp, res->diff_id, res, err);
		}
	}
	if (rc < 0 && u->over != NULL) {
		/* whatever libarchive made of it, the reason is the quota */
		sdc_error_release(err);
		*err = u->over;
		u->over = NULL;
	}
	sdc_error_release(&u->over);
	layer_close(u);
	free(u);
	if (rc < 0) {
		sdc_error_t e2 = NULL;
		fs_rmtree(tmp, &e2);
		sdc_error_release(&e2);
	}
	free(tmp);
	return rc;
}

/*
 * The stream can be no longer than the layer's own tar, which its
 * tar-split tells cheaply: a gzip bomb claiming a layer that is here is
 * stopped there instead of being hashed to its end.
 */
int
layers_verify(struct images *im, const char *blob, const char *want_diff,
    layers_progress_fn *progress, void *arg, atomic_int *cancel,
    sdc_error_t *err)
{
	struct archive *raw = archive_read_new();
	struct archive_entry *e;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *chunk = xmalloc(128 * 1024), got[72], *split;
	struct stat sb;
	int64_t total = stat(blob, &sb) == 0 ? sb.st_size : 0, max = -1, seen = 0;
	sdc_error_t e2 = NULL;
	la_ssize_t n;
	int rc = 0;

	if (layers_has_split(im, want_diff)) {
		split = layers_split_path(im, want_diff);
		if (tarsplit_size(split, &max, &e2) < 0)
			max = -1;
		sdc_error_release(&e2);
		free(split);
	}

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	archive_read_support_filter_all(raw);
	archive_read_support_format_raw(raw);
	if (archive_read_open_filename(raw, blob, 128 * 1024) != ARCHIVE_OK ||
	    archive_read_next_header(raw, &e) != ARCHIVE_OK)
		rc = sdc_make_error_code(err, 500, "reading layer: %s",
		    archive_error_string(raw));
	while (rc == 0 && (n = archive_read_data(raw, chunk, 128 * 1024)) != 0) {
		if (n < 0)
			rc = sdc_make_error_code(err, 500, "reading layer: %s",
			    archive_error_string(raw));
		else if (cancel != NULL && atomic_load(cancel))
			rc = sdc_make_error_code(err, 500, "cancelled");
		else if (max >= 0 && (seen += n) > max)
			rc = sdc_make_error_code(err, 500, "layer diff id mismatch: "
			    "expected %s, got more bytes than that layer has",
			    want_diff);
		else {
			EVP_DigestUpdate(md, chunk, (size_t)n);
			if (progress != NULL)
				progress(arg, archive_filter_bytes(raw, -1), total);
		}
	}
	digest_final(md, got);
	if (rc == 0 && strcmp(got, want_diff) != 0)
		rc = sdc_make_error_code(err, 500, "layer diff id mismatch: "
		    "expected %s, got %s", want_diff, got);
	archive_read_free(raw);
	EVP_MD_CTX_free(md);
	free(chunk);
	return rc;
}

static int
layers_blob_tar(const char *blob, images_write_fn *write, void *arg,
    int64_t *size, sdc_error_t *err)
{
	struct archive *raw = archive_read_new();
	struct archive_entry *e;
	char *chunk = xmalloc(128 * 1024);
	la_ssize_t n;
	int rc = 0;

	*size = 0;
	archive_read_support_filter_all(raw);
	archive_read_support_format_raw(raw);
	if (archive_read_open_filename(raw, blob, 128 * 1024) != ARCHIVE_OK ||
	    archive_read_next_header(raw, &e) != ARCHIVE_OK)
		rc = sdc_make_error(err, 0, "opening %s: %s", blob,
		    archive_error_string(raw));
	while (rc == 0 && (n = archive_read_data(raw, chunk, 128 * 1024)) != 0) {
		if (n < 0)
			rc = sdc_make_error(err, 0, "reading %s: %s", blob,
			    archive_error_string(raw));
		else if (write != NULL && write(arg, chunk, (size_t)n) < 0)
			rc = sdc_make_error(err, 0, "writing the archive");
		else
			*size += n;
	}
	archive_read_free(raw);
	free(chunk);
	return rc;
}

struct layer_count {
	images_write_fn *write;
	void *arg;
	int64_t n;
};

static int
layer_count_cb(void *arg, const void *data, size_t len)
{
	struct layer_count *c = arg;

	c->n += (int64_t)len;
	return c->write(c->arg, data, len);
}

int
layers_copy_tar(struct images *im, const char *diff_id, const char *digest,
    images_write_fn *write, void *arg, int64_t *size, sdc_error_t *err)
{
	struct layer_count c = { write, arg, 0 };
	char *split, *dir, *blob;
	int rc;

	if (!layers_has_split(im, diff_id)) {
		blob = blobs_path(im, digest);
		rc = layers_blob_tar(blob, write, arg, size, err);
		free(blob);
		return rc;
	}
	split = layers_split_path(im, diff_id);
	dir = images_layer_dir(im, diff_id);
	rc = tarsplit_rebuild(split, dir, layer_count_cb, &c, err);
	*size = c.n;
	free(split);
	free(dir);
	return rc;
}

int
layers_tar_size(struct images *im, const char *diff_id, const char *digest,
    int64_t *size, sdc_error_t *err)
{
	char *p;
	int rc;

	if (layers_has_split(im, diff_id)) {
		p = layers_split_path(im, diff_id);
		rc = tarsplit_size(p, size, err);
	} else {
		p = blobs_path(im, digest);
		rc = layers_blob_tar(p, NULL, NULL, size, err);
	}
	free(p);
	return rc;
}
