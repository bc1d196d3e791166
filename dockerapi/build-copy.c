/*
 * build-copy.c: COPY and ADD of docker build.  The sources (globs
 * expanded, .dockerignore applied, nothing outside the context: a path
 * with ".." or a symlink out is refused) are written as the step's layer
 * tar by the commit job's worker, with --chown and --chmod applied; ADD
 * unpacks a local tar.  COPY --from reads an earlier stage's image, or
 * another image of the account, through its layers (build-rootfs.c), so
 * its links resolve inside that image.  --chown by name reads the
 * image's /etc/passwd and /etc/group the same way.  The folders the
 * destination needs are written with the metadata they already have in
 * the image, and only those missing are made (0755, the --chown owner),
 * as Docker does.  ADD <url> fetches the file on the job's worker under
 * the pull rules' address checks (images_addr_rules: loopback, private
 * and the host's own addresses refused unless the operator allowed them
 * for registries), capped by the account's image quota; such a step is
 * never taken from the cache.
 *
 * The step cache's input for COPY and ADD is the digest of the files
 * the step copies (their context-relative names, modes, link targets and
 * bytes, digested once as the context is unpacked), so a change to
 * another file of the context misses no step.
 */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "build-int.h"
#include "fetch.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "tarout.h"
#include "xalloc.h"

/* ---- COPY and ADD ---- */

struct copy_item {
	char *host;			/* the file in the context */
	char *rel;			/* its path in the context */
	char *name;			/* its name in the layer (no leading /) */
};

/* ADD <url>: fetched on the worker into the build's folder. */
struct copy_url {
	char *url;
	char *name;			/* its name in the layer */
};

struct copy_job {
	struct copy_url *urls;
	size_t nurls;
	struct images_addr_rules *rules;	/* the pull rules' addresses */
	char *tmpdir;			/* the build's folder */
	int64_t max;			/* bytes a download may have */
	struct rootfs from;		/* --from: the image read; n == 0: the context */
	bool from_image;
	struct rootfs parent;		/* the image copied into */
	struct copy_item *items;
	size_t n;
	char **dirs;			/* the destination's folders */
	size_t ndirs;
	struct dockerignore *di;	/* the build's; the build outlives the job */
	int64_t uid, gid;		/* -1: as root */
	int chmod;			/* -1: as in the context */
	bool add;			/* ADD: a local tar is unpacked */
};

static void
copy_job_free(struct copy_job *cj)
{
	for (size_t i = 0; i < cj->n; i++) {
		free(cj->items[i].host);
		free(cj->items[i].rel);
		free(cj->items[i].name);
	}
	free(cj->items);
	for (size_t i = 0; i < cj->ndirs; i++)
		free(cj->dirs[i]);
	free(cj->dirs);
	rootfs_free(&cj->from);
	rootfs_free(&cj->parent);
	for (size_t i = 0; i < cj->nurls; i++) {
		free(cj->urls[i].url);
		free(cj->urls[i].name);
	}
	free(cj->urls);
	images_addr_rules_free(cj->rules);
	free(cj->tmpdir);
	free(cj);
}

static int
copy_entry(struct archive *a, struct copy_job *cj, const char *host,
    const char *rel, const char *name, sdc_error_t *err);

/* The names in a source folder: the context's, or the image's merged. */
static int
copy_children(struct copy_job *cj, const char *host, const char *rel,
    char ***out, size_t *n, sdc_error_t *err)
{
	DIR *dp;
	struct dirent *de;

	*out = NULL;
	*n = 0;
	if (cj->from_image)
		return rootfs_list(&cj->from, rel, out, n);
	if ((dp = opendir(host)) == NULL)
		return sdc_make_error(err, errno, "opening %s", *rel ? rel : ".");
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		(*out)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(dp);
	return 0;
}

static int
copy_file_data(struct archive *a, const char *host, sdc_error_t *err)
{
	char buf[65536];
	ssize_t n;
	int fd = open(host, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return sdc_make_error(err, errno, "opening %s", host);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		if (tarout_data(a, buf, (size_t)n, err) < 0) {
			close(fd);
			return -1;
		}
	close(fd);
	if (n < 0)
		return sdc_make_error(err, errno, "reading %s", host);
	return 0;
}

/* ADD of a local tar: its entries under the destination folder. */
static int
copy_untar(struct archive *a, struct copy_job *cj, const char *host,
    const char *dest, sdc_error_t *err)
{
	struct archive *in = archive_read_new();
	struct archive_entry *e;
	int r, rc = 0;

	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	if (archive_read_open_filename(in, host, 65536) != ARCHIVE_OK) {
		archive_read_free(in);
		return 1;	/* not a tar: copied as a file */
	}
	if ((r = archive_read_next_header(in, &e)) != ARCHIVE_OK) {
		archive_read_free(in);
		return r == ARCHIVE_EOF ? 0 : 1;
	}
	do {
		char *clean = dockerignore_clean(archive_entry_pathname(e) ?
		    archive_entry_pathname(e) : "");
		const char *p = clean[0] == '/' ? clean + 1 : clean;
		char *name;
		if (strcmp(p, "..") == 0 || strncmp(p, "../", 3) == 0 ||
		    archive_entry_hardlink(e) != NULL) {
			free(clean);
			continue;	/* what would leave the folder is dropped */
		}
		xasprintf(&name, "%s%s%s", dest, *p && strcmp(p, ".") ? "/" : "",
		    strcmp(p, ".") ? p : "");
		archive_entry_set_pathname(e, name);
		if (cj->uid >= 0) {
			archive_entry_set_uid(e, cj->uid);
			archive_entry_set_gid(e, cj->gid);
		}
		archive_entry_set_uname(e, NULL);
		archive_entry_set_gname(e, NULL);
		free(name);
		free(clean);
		if (tarout_header(a, e, err) < 0) {
			rc = -1;
			break;
		}
		const void *blk;
		size_t sz;
		int64_t off;
		while ((r = archive_read_data_block(in, &blk, &sz, &off)) == ARCHIVE_OK)
			if (tarout_data(a, blk, sz, err) < 0) {
				rc = -1;
				break;
			}
		if (rc < 0)
			break;
		if (r != ARCHIVE_EOF) {
			rc = sdc_make_error_code(err, 400, "ADD: reading %s: %s", host,
			    archive_error_string(in));
			break;
		}
	} while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK);
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = sdc_make_error_code(err, 400, "ADD: reading the archive: %s",
		    archive_error_string(in));
	archive_read_free(in);
	return rc;
}

static int
copy_entry_at(struct archive *a, struct copy_job *cj, const char *host,
    const char *rel, const char *name, const struct stat *stp, sdc_error_t *err);

static int
copy_entry(struct archive *a, struct copy_job *cj, const char *host,
    const char *rel, const char *name, sdc_error_t *err)
{
	struct stat st;
	int rc;
	char *ihost = NULL;

	if (cj->from_image) {
		/* rel is resolved in the image; host is its layer's file */
		if (rootfs_resolve(&cj->from, rel, false, NULL, &ihost, &st) != 0)
			return 0;	/* hidden meanwhile: nothing */
		host = ihost != NULL ? ihost : "";	/* "": the image's root */
	} else if (*rel && dockerignore_excluded(cj->di, rel))
		return 0;
	else if (lstat(host, &st) < 0)
		return sdc_make_error(err, errno, "stat %s", rel);
	rc = copy_entry_at(a, cj, host, rel, name, &st, err);
	free(ihost);
	return rc;
}

static int
copy_entry_at(struct archive *a, struct copy_job *cj, const char *host,
    const char *rel, const char *name, const struct stat *stp, sdc_error_t *err)
{
	struct archive_entry *e;
	struct stat st = *stp;
	char target[PATH_MAX];
	int rc;

	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
		return 0;
	if (cj->add && S_ISREG(st.st_mode)) {
		const char *slash = strrchr(name, '/');
		char *dest = slash ? xstrndup(name, (size_t)(slash - name)) : xstrdup("");
		/* "dest/name" for a file: a tar unpacks into dest */
		rc = copy_untar(a, cj, host, dest, err);
		free(dest);
		if (rc <= 0)
			return rc;
	}
	e = archive_entry_new();
	archive_entry_copy_stat(e, &st);
	archive_entry_set_pathname(e, name);
	archive_entry_set_uid(e, cj->uid >= 0 ? cj->uid : 0);
	archive_entry_set_gid(e, cj->gid >= 0 ? cj->gid : 0);
	archive_entry_set_nlink(e, 1);
	if (cj->chmod >= 0 && !S_ISLNK(st.st_mode))
		archive_entry_set_perm(e, (mode_t)cj->chmod);
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlink(host, target, sizeof target - 1);
		if (n < 0) {
			archive_entry_free(e);
			return sdc_make_error(err, errno, "readlink %s", rel);
		}
		target[n] = 0;
		archive_entry_set_symlink(e, target);
	}
	if (!S_ISREG(st.st_mode))
		archive_entry_set_size(e, 0);
	rc = tarout_header(a, e, err);
	archive_entry_free(e);
	if (rc < 0)
		return -1;
	if (S_ISREG(st.st_mode))
		return copy_file_data(a, host, err);
	if (!S_ISDIR(st.st_mode))
		return 0;
	char **kids;
	size_t nkids;
	if (copy_children(cj, host, rel, &kids, &nkids, err) < 0)
		return -1;
	for (size_t i = 0; i < nkids; i++) {
		char *h, *r, *n;
		xasprintf(&h, "%s/%s", host, kids[i]);
		xasprintf(&r, "%s%s%s", rel, *rel ? "/" : "", kids[i]);
		xasprintf(&n, "%s/%s", name, kids[i]);
		if (rc == 0)
			rc = copy_entry(a, cj, h, r, n, err);
		free(h);
		free(r);
		free(n);
		free(kids[i]);
	}
	free(kids);
	return rc;
}

struct url_sink {
	int fd;
	int64_t got, max;
};

static int
url_sink(void *arg, const struct fetch_response *r, const void *data,
    size_t len, sdc_error_t *err)
{
	struct url_sink *u = arg;

	if (r->status != 200)
		return 0;	/* the error page is not kept */
	if (u->got + (int64_t)len > u->max)
		return sdc_make_error_code(err, 403, "the download is larger than "
		    "this account's image quota allows (%" PRId64 " bytes)", u->max);
	u->got += (int64_t)len;
	return fd_write_all(u->fd, data, len) < 0 ?
	    sdc_make_error(err, errno, "writing the download") : 0;
}

/* ADD <url>: GET it under the pull rules' address checks (loopback,
 * private and the host's own addresses refused unless the operator
 * allowed them for registries), then the file, 0600 as in Docker. */
static int
copy_url(struct archive *a, struct copy_job *cj, const struct copy_url *cu,
    sdc_error_t *err)
{
	struct fetch_options o = {
		.follow_redirects = true,
		.use_proxy_env = true,
		.connect_timeout_ms = 30000,
		.idle_timeout_ms = 60000,
		.user_agent = "sdc-docker/" SDC_VERSION,
		.addr_check = images_addr_rules_check,
		.addr_check_arg = cj->rules,
	};
	struct url_sink u = { -1, 0, cj->max };
	struct fetch_request rq = { 0 };
	struct fetch_response r = { 0 };
	struct fetch *f;
	char *tmp;
	int rc;

	xasprintf(&tmp, "%s/add-XXXXXX", cj->tmpdir);
	if ((u.fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		rc = sdc_make_error(err, errno, "ADD %s", cu->url);
		free(tmp);
		return rc;
	}
	unlink(tmp);
	free(tmp);
	f = fetch_new(&o);
	rq.url = cu->url;
	rq.sink = url_sink;
	rq.sink_arg = &u;
	rc = fetch_request(f, &rq, &r, err);
	fetch_free(f);
	if (rc < 0) {
		close(u.fd);
		return sdc_error_wrap(err, "ADD failed");
	}
	if (r.status != 200) {
		rc = sdc_make_error_code(err, 400, "ADD failed: GET %s: the server "
		    "answered %d", cu->url, r.status);
		fetch_response_free(&r);
		close(u.fd);
		return rc;
	}
	fetch_response_free(&r);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, cu->name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, cj->chmod >= 0 ? (mode_t)cj->chmod : 0600);
	archive_entry_set_uid(e, cj->uid >= 0 ? cj->uid : 0);
	archive_entry_set_gid(e, cj->gid >= 0 ? cj->gid : 0);
	archive_entry_set_size(e, u.got);
	archive_entry_set_mtime(e, time(NULL), 0);
	rc = tarout_header(a, e, err);
	archive_entry_free(e);
	char chunk[65536];
	ssize_t n;
	lseek(u.fd, 0, SEEK_SET);
	while (rc == 0 && (n = read(u.fd, chunk, sizeof chunk)) > 0)
		rc = tarout_data(a, chunk, (size_t)n, err);
	close(u.fd);
	return rc;
}

/* The layer, on the job's worker. */
static int
copy_layer(void *arg, int (*write)(void *, const void *, size_t), void *warg,
    sdc_error_t *err)
{
	struct copy_job *cj = arg;
	struct archive *a = tarout_new(write, warg, err);
	int rc = a == NULL ? -1 : 0;

	for (size_t i = 0; rc == 0 && i < cj->ndirs; i++) {
		/* a folder the image has keeps its mode, owner and time */
		struct archive_entry *e = archive_entry_new();
		struct stat st;
		char *rel = NULL;
		archive_entry_set_pathname(e, cj->dirs[i]);
		if (rootfs_resolve(&cj->parent, cj->dirs[i], false, &rel, NULL,
		    &st) == 0 && S_ISDIR(st.st_mode) && strcmp(rel, cj->dirs[i]) == 0) {
			archive_entry_copy_stat(e, &st);
			archive_entry_set_nlink(e, 1);
			archive_entry_set_size(e, 0);
		} else {
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
			archive_entry_set_uid(e, cj->uid >= 0 ? cj->uid : 0);
			archive_entry_set_gid(e, cj->gid >= 0 ? cj->gid : 0);
			archive_entry_set_mtime(e, time(NULL), 0);
		}
		free(rel);
		rc = tarout_header(a, e, err);
		archive_entry_free(e);
	}
	for (size_t i = 0; rc == 0 && i < cj->n; i++) {
		/* a top folder's own entry is the destination's */
		rc = copy_entry(a, cj, cj->items[i].host, cj->items[i].rel,
		    cj->items[i].name, err);
	}
	for (size_t i = 0; rc == 0 && i < cj->nurls; i++)
		rc = copy_url(a, cj, &cj->urls[i], err);
	if (tarout_close(a, rc < 0 ? NULL : err) < 0)
		rc = -1;
	copy_job_free(cj);
	return rc;
}

/* end, less its last component and the slashes before it. */
static const char *
path_drop_last(const char *p, const char *end)
{
	while (end > p && end[-1] != '/')
		end--;
	while (end > p && end[-1] == '/')
		end--;
	return end;
}

/* The destination as the image has it: the links among its existing
 * folders followed inside the image, as Docker copies through them
 * (`COPY f /link/` with /link -> /real writes /real/f, and leaves the
 * link).  full is absolute and clean; whole: the destination itself is
 * a folder, followed too.  The longest prefix that is a folder wins. */
static char *
copy_dest_resolve(const struct rootfs *r, const char *full, bool whole)
{
	const char *p = full[0] == '/' ? full + 1 : full;
	const char *end = p + strlen(p);
	char *out;

	if (!whole)
		end = path_drop_last(p, end);
	for (; end > p; end = path_drop_last(p, end)) {
		char *prefix = xstrndup(p, (size_t)(end - p)), *rel = NULL;
		struct stat st;
		int rc = rootfs_resolve(r, prefix, true, &rel, NULL, &st);

		free(prefix);
		if (rc == 0 && S_ISDIR(st.st_mode)) {
			if (*rel == '\0')
				xasprintf(&out, "/%s", *end == '/' ? end + 1 : end);
			else
				xasprintf(&out, "/%s%s", rel, end);
			free(rel);
			return out;
		}
		free(rel);
	}
	return xstrdup(full);
}

/* A user's or group's id in the image's /etc/passwd or /etc/group (the
 * third field of the line whose first is name): 0, or -1 if none. */
static int
lookup_id(const struct rootfs *r, const char *file, const char *name, int64_t *id)
{
	struct buf text = BUF_INIT;
	size_t nl = strlen(name);
	int rc = -1;

	if (rootfs_read(r, file, &text, 1 << 20) != 0) {
		buf_free(&text);
		return -1;
	}
	buf_putc(&text, '\0');
	for (char *line = text.data, *next; line != NULL && rc < 0; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strncmp(line, name, nl) != 0 || line[nl] != ':')
			continue;
		const char *f = strchr(line + nl + 1, ':');
		char *end;
		long long v;
		if (f == NULL)
			continue;
		v = strtoll(f + 1, &end, 10);
		if (end != f + 1 && (*end == ':' || *end == '\0') && v >= 0 &&
		    v <= 0xfffffffeLL) {
			*id = v;
			rc = 0;
		}
	}
	buf_free(&text);
	return rc;
}

/* A number, or a name looked up in the image. */
static int
chown_part(const struct rootfs *r, const char *s, const char *file,
    const char *what, int64_t *id, int line, sdc_error_t *err)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*s == '\0')
		return sdc_make_error_code(err, 400, "Dockerfile line %d: --chown: "
		    "an empty %s", line, what);
	if (end != s && *end == '\0') {
		if (v < 0 || v > 0xfffffffeLL)
			return sdc_make_error_code(err, 400, "Dockerfile line %d: "
			    "--chown: %s id %s out of range", line, what, s);
		*id = v;
		return 0;
	}
	if (lookup_id(r, file, s, id) < 0)
		return sdc_make_error_code(err, 400, "Dockerfile line %d: can't "
		    "find %s for %s %s: no such %s in the image's %s", line,
		    strcmp(what, "user") == 0 ? "uid" : "gid", what, s, what, file);
	return 0;
}

/* "user[:group]", numbers or names from the image copied into (a user
 * alone is also the group, as Docker reads it). */
static int
parse_chown(const struct rootfs *r, const char *s, int64_t *uid, int64_t *gid,
    int line, sdc_error_t *err)
{
	const char *colon = strchr(s, ':');
	char *user = colon ? xstrndup(s, (size_t)(colon - s)) : xstrdup(s);
	const char *group = colon ? colon + 1 : user;
	int rc;

	if (colon != NULL && strchr(colon + 1, ':') != NULL)
		rc = sdc_make_error_code(err, 400, "Dockerfile line %d: invalid "
		    "chown string format: %s", line, s);
	else if ((rc = chown_part(r, user, "/etc/passwd", "user", uid, line, err)) == 0)
		rc = chown_part(r, group, "/etc/group", "group", gid, line, err);
	free(user);
	return rc;
}

/* Glob matches in name order, as Go's filepath.Glob gives them. */
static int
cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* The context-relative sources a COPY source names (a glob, several). */
static int
copy_sources(struct build *b, const char *src, char ***out, size_t *n,
    const char *what, sdc_error_t *err)
{
	char *clean = dockerignore_clean(src);
	const char *rel = clean;
	char real[PATH_MAX], *host;
	char rootreal[PATH_MAX];
	int rc = 0;

	while (*rel == '/')
		rel++;
	if (*rel == '\0')
		rel = ".";
	if (strcmp(rel, "..") == 0 || strncmp(rel, "../", 3) == 0) {
		rc = sdc_make_error_code(err, 400, "%s failed: forbidden path outside "
		    "the build context: %s ()", what, src);
		free(clean);
		return rc;
	}
	if (realpath(b->ctx, rootreal) == NULL) {
		free(clean);
		return sdc_make_error(err, errno, "the build context");
	}
	if (has_glob(rel)) {
		const char *slash = strrchr(rel, '/');
		char *dir = slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup(".");
		const char *pat = slash ? slash + 1 : rel;
		char *hd;
		DIR *dp;
		struct dirent *de;
		size_t before = *n;
		xasprintf(&hd, "%s/%s", b->ctx, dir);
		if (!has_glob(dir) && (dp = opendir(hd)) != NULL) {
			while ((de = readdir(dp)) != NULL) {
				if (de->d_name[0] == '.' && (de->d_name[1] == 0 ||
				    (de->d_name[1] == '.' && de->d_name[2] == 0)))
					continue;
				if (fnmatch(pat, de->d_name, FNM_PATHNAME) != 0)
					continue;
				char *r;
				if (strcmp(dir, ".") == 0)
					r = xstrdup(de->d_name);
				else
					xasprintf(&r, "%s/%s", dir, de->d_name);
				if (dockerignore_excluded(&b->di, r)) {
					free(r);
					continue;
				}
				*out = xrealloc(*out, (*n + 1) * sizeof **out);
				(*out)[(*n)++] = r;
			}
			closedir(dp);
			if (*n - before > 1)
				qsort(*out + before, *n - before, sizeof **out, cmp_strp);
		}
		free(hd);
		free(dir);
		if (*n == 0)
			rc = sdc_make_error_code(err, 400, "%s failed: no source files "
			    "were specified", what);
		free(clean);
		return rc;
	}
	xasprintf(&host, "%s/%s", b->ctx, rel);
	if ((strcmp(rel, ".") != 0 && dockerignore_excluded(&b->di, rel)) ||
	    realpath(host, real) == NULL) {
		rc = sdc_make_error_code(err, 400, "%s failed: file not found in "
		    "build context or excluded by .dockerignore: stat %s: file does "
		    "not exist", what, src);
	} else if (strcmp(real, rootreal) != 0 &&
	    (strncmp(real, rootreal, strlen(rootreal)) != 0 ||
	    real[strlen(rootreal)] != '/')) {
		/* a symlink out of the context */
		rc = sdc_make_error_code(err, 400, "%s failed: forbidden path "
		    "outside the build context: %s ()", what, src);
	} else {
		/* followed inside the context, as Docker does */
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		(*out)[(*n)++] = strcmp(real, rootreal) == 0 ? xstrdup("") :
		    xstrdup(real + strlen(rootreal) + 1);
	}
	free(host);
	free(clean);
	return rc;
}

/* The sources a COPY --from source names in the image (a glob in its
 * last part), resolved there (links followed inside the image). */
static int
copy_sources_image(const struct rootfs *r, const char *src, char ***out,
    size_t *n, const char *what, sdc_error_t *err)
{
	char *clean = dockerignore_clean(src), *res = NULL;
	const char *rel = clean;
	int rc = 0;

	while (*rel == '/')
		rel++;
	const char *slash = strrchr(rel, '/');
	const char *pat = slash ? slash + 1 : rel;
	if (has_glob(pat)) {
		char *dir = slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup("");
		char **names = NULL;
		size_t nn = 0;
		struct stat st;
		if (!has_glob(dir) && rootfs_resolve(r, dir, true, &res, NULL, &st) == 0 &&
		    S_ISDIR(st.st_mode))
			rootfs_list(r, res, &names, &nn);
		for (size_t i = 0; i < nn; i++) {
			char *p, *rp = NULL;
			if (fnmatch(pat, names[i], FNM_PATHNAME) == 0) {
				xasprintf(&p, "%s%s%s", res, *res ? "/" : "", names[i]);
				if (rootfs_resolve(r, p, true, &rp, NULL, &st) == 0) {
					*out = xrealloc(*out, (*n + 1) * sizeof **out);
					(*out)[(*n)++] = rp;
				}
				free(p);
			}
			free(names[i]);
		}
		free(names);
		free(dir);
		if (*n == 0)
			rc = sdc_make_error_code(err, 400, "%s failed: no source files "
			    "were specified", what);
	} else if (rootfs_resolve(r, rel, true, &res, NULL, NULL) != 0) {
		rc = sdc_make_error_code(err, 400, "%s failed: stat %s: file does "
		    "not exist", what, src);
	} else {
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		(*out)[(*n)++] = res;
		res = NULL;
	}
	free(res);
	free(clean);
	return rc;
}

/* A source's type: from the image, or the context. */
static int
source_stat(struct copy_job *cj, const char *rootreal, const char *rel,
    struct stat *st)
{
	char *h;
	int rc;

	if (cj->from_image)
		return rootfs_resolve(&cj->from, rel, false, NULL, NULL, st) == 0 ? 0 : -1;
	xasprintf(&h, "%s%s%s", rootreal, *rel ? "/" : "", rel);
	rc = stat(h, st);
	free(h);
	return rc;
}

/* --from=: an earlier stage (its name or index), else an image of the
 * account's own. */
static int
copy_from(struct build *b, const struct df_instr *in, const char *from,
    struct copy_job *cj, sdc_error_t *err)
{
	const char *image = NULL;
	char *id = NULL, *end;
	size_t done = b->nstages > 0 ? b->nstages - 1 : 0;	/* finished */
	unsigned long idx = strtoul(from, &end, 10);
	int rc;

	if (*from == '\0')
		return sdc_make_error_code(err, 400, "Dockerfile line %d: COPY "
		    "--from needs a stage or an image", in->line);
	if (end != from && *end == '\0') {
		if (idx >= done)
			return sdc_make_error_code(err, 400, "Dockerfile line %d: "
			    "invalid from flag value %s: refers to current or a later "
			    "build stage", in->line, from);
		image = b->stages[idx].image;
		cj->from_image = true;
		return rootfs_open(b, image, &cj->from, err);
	}
	for (size_t i = 0; i < done; i++)
		if (b->stages[i].name != NULL && strcasecmp(b->stages[i].name, from) == 0) {
			cj->from_image = true;
			return rootfs_open(b, b->stages[i].image, &cj->from, err);
		}
	/* an image: the account's own only */
	if (images_resolve(b->d->images, b->account, from, &id, err) < 0) {
		if ((*err)->code == 404)
			sdc_error_wrap(err, "Dockerfile line %d: COPY --from=%s: no "
			    "build stage and no image of this account by that name "
			    "(docker pull it first)", in->line, from);
		return -1;
	}
	cj->from_image = true;
	rc = rootfs_open(b, id, &cj->from, err);
	free(id);
	return rc;
}

/* Whether rel, or a folder above it, is a link of the context's list. */
static bool
list_link_on_path(const struct build *b, const char *rel)
{
	char *p = xstrdup(rel);
	bool link = false;

	for (char *s = p; !link; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			const struct build_file *f;
			*s = '\0';
			f = build_context_find(b, p);
			link = f != NULL && f->type == 'l';
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return link;
}

/* Whether the list has rel, as an entry or a folder above entries. */
static bool
list_has(const struct build *b, const char *rel)
{
	size_t rl = strlen(rel);

	if (build_context_find(b, rel) != NULL)
		return true;
	for (size_t i = build_context_first(b, rel); i < b->nfiles && strncmp(b->files[i].rel, rel, rl) == 0; i++)
		if (b->files[i].rel[rl] == '/')
			return true;
	return false;
}

/* copy_sources from the context's list alone, before its files are
 * written: the same sources, in the same order, where no link and no
 * error is in play; -1 otherwise (copy_sources then decides). */
static int
copy_sources_list(struct build *b, const char *src, char ***out, size_t *n)
{
	char *clean = dockerignore_clean(src);
	const char *rel = clean;
	char **got = NULL;
	size_t ngot = 0;
	int rc = 0;

	while (*rel == '/')
		rel++;
	if (*rel == '\0' || strcmp(rel, ".") == 0) {
		got = xcalloc(1, sizeof *got);
		got[ngot++] = xstrdup("");
		goto done;
	}
	if (strcmp(rel, "..") == 0 || strncmp(rel, "../", 3) == 0 ||
	    list_link_on_path(b, rel)) {
		rc = -1;
		goto done;
	}
	if (has_glob(rel)) {
		const char *slash = strrchr(rel, '/');
		char *dir = slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup("");
		const char *pat = slash ? slash + 1 : rel;
		size_t dl = strlen(dir);
		if (has_glob(dir)) {
			free(dir);
			rc = -1;
			goto done;
		}
		/* the folder's children: the next part of every name under it */
		for (size_t i = 0; i < b->nfiles; i++) {
			const char *r = b->files[i].rel, *child, *end;
			if (dl > 0 && (strncmp(r, dir, dl) != 0 || r[dl] != '/'))
				continue;
			child = dl > 0 ? r + dl + 1 : r;
			end = strchr(child, '/');
			char *name = end ? xstrndup(child, (size_t)(end - child)) : xstrdup(child);
			char *full;
			if (dl > 0)
				xasprintf(&full, "%s/%s", dir, name);
			else
				full = xstrdup(name);
			bool dup = false;
			for (size_t k = ngot; k-- > 0 && !dup;)
				dup = strcmp(got[k], full) == 0;
			if (!dup && fnmatch(pat, name, FNM_PATHNAME) == 0 &&
			    !dockerignore_excluded(&b->di, full)) {
				got = xrealloc(got, (ngot + 1) * sizeof *got);
				got[ngot++] = full;
				full = NULL;
			}
			free(full);
			free(name);
		}
		free(dir);
		if (ngot == 0)
			rc = -1;
		else if (ngot > 1)
			qsort(got, ngot, sizeof *got, cmp_strp);
		goto done;
	}
	if (dockerignore_excluded(&b->di, rel) || !list_has(b, rel)) {
		rc = -1;
		goto done;
	}
	got = xcalloc(1, sizeof *got);
	got[ngot++] = xstrdup(rel);
done:
	for (size_t i = 0; i < ngot; i++) {
		if (rc == 0) {
			*out = xrealloc(*out, (*n + 1) * sizeof **out);
			(*out)[(*n)++] = got[i];
		} else
			free(got[i]);
	}
	free(got);
	free(clean);
	return rc;
}

/* The step cache's input of a COPY or ADD: the digest of what it copies
 * (context files by their digests, an image's by the image's id), in
 * hex; -1 when the step cannot be told from its inputs (ADD of a URL),
 * or they cannot be read now (the step then says why); -2 while the
 * context's files are not written yet and the list alone cannot name
 * the sources. */
int
step_copy_inputs(struct build *b, const struct df_instr *in, char out[65])
{
	sdc_error_t err = NULL;
	const char *f = dockerfile_flag(in, "from");
	EVP_MD_CTX *md;
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned int nraw = 0;
	char **srcs = NULL;
	size_t nsrcs = 0;
	int rc = 0;

	if (f != NULL) {
		/* an image never changes: its id and the sources' text say it */
		struct copy_job cj = { 0 };
		if (copy_from(b, in, f, &cj, &err) < 0) {
			sdc_error_release(&err);
			return -1;
		}
		struct buf t = BUF_INIT;
		for (size_t i = 0; i < cj.from.n; i++)
			buf_printf(&t, "%s\n", cj.from.layers[i]);
		rootfs_free(&cj.from);
		EVP_Digest(t.data ? t.data : "", t.len, raw, &nraw, EVP_sha256(), NULL);
		buf_free(&t);
		goto hex;
	}
	md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (size_t i = 0; rc == 0 && i + 1 < in->nargs; i++) {
		char *s;
		if (build_expand(b, in->args[i], &s, &err) < 0) {
			rc = -1;
			break;
		}
		if (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0)
			rc = -1;
		else if (copy_sources_list(b, s, &srcs, &nsrcs) == 0)
			rc = 0;		/* the list names them: the same sources */
		else if (!b->unpacked)
			rc = -2;	/* links or errors: the files decide */
		else
			rc = copy_sources(b, s, &srcs, &nsrcs, "COPY", &err);
		free(s);
	}
	for (size_t i = 0; i < nsrcs; i++) {
		if (rc == 0)
			build_context_digest(b, srcs[i], md);
		free(srcs[i]);
	}
	free(srcs);
	EVP_DigestFinal_ex(md, raw, &nraw);
	EVP_MD_CTX_free(md);
	sdc_error_release(&err);
	if (rc < 0)
		return rc;
hex:
	for (unsigned int i = 0; i < nraw && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

int
step_copy(struct build *b, const struct df_instr *in, sdc_error_t *err)
{
	static const char *const copy_flags[] = { "chown", "chmod", "from", NULL };
	static const char *const add_flags[] = { "chown", "chmod", NULL };
	bool add = in->cmd == DF_ADD;
	const char *what = add ? "ADD" : "COPY";
	struct copy_job *cj;
	char **srcs = NULL, *dest = NULL, *full = NULL, rootreal[PATH_MAX];
	size_t nsrcs = 0;
	const char *f;
	int rc = -1;

	if (dockerfile_check_flags(in, add ? add_flags : copy_flags, err) < 0)
		return -1;
	cj = xcalloc(1, sizeof *cj);
	cj->uid = cj->gid = -1;
	cj->chmod = -1;
	cj->add = add;
	cj->di = &b->di;
	if (rootfs_open(b, b->image, &cj->parent, err) < 0)
		goto out;
	if ((f = dockerfile_flag(in, "from")) != NULL) {
		char *x;
		if (build_expand(b, f, &x, err) < 0)
			goto out;
		rc = copy_from(b, in, x, cj, err);
		free(x);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	if ((f = dockerfile_flag(in, "chown")) != NULL) {
		char *x;
		if (build_expand(b, f, &x, err) < 0)
			goto out;
		rc = parse_chown(&cj->parent, x, &cj->uid, &cj->gid, in->line, err);
		free(x);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	if ((f = dockerfile_flag(in, "chmod")) != NULL) {
		char *end;
		long m = strtol(f, &end, 8);
		if (end == f || *end != '\0' || m < 0 || m > 07777) {
			sdc_make_error_code(err, 400, "Dockerfile line %d: invalid "
			    "--chmod=%s: an octal mode", in->line, f);
			goto out;
		}
		cj->chmod = (int)m;
	}
	if (build_expand(b, in->args[in->nargs - 1], &dest, err) < 0)
		goto out;
	bool dest_dir = dest[strlen(dest) - 1] == '/' || in->nargs > 2;
	if (in->nargs > 2 && dest[strlen(dest) - 1] != '/') {
		sdc_make_error_code(err, 400, "When using %s with more than one source "
		    "file, the destination must be a directory and end with a /", what);
		goto out;
	}
	if (dest[0] == '/')
		full = dockerignore_clean(dest);
	else {
		char *j;
		const char *wd = json_str(b->config, "WorkingDir", "/");
		xasprintf(&j, "%s/%s", *wd ? wd : "/", dest);
		full = dockerignore_clean(j);
		free(j);
	}
	for (size_t i = 0; i + 1 < in->nargs; i++) {
		char *s;
		if (build_expand(b, in->args[i], &s, err) < 0)
			goto out;
		if (add && (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0)) {
			/* its name: the URL path's last part */
			size_t pl = strcspn(s, "?#");
			const char *p = s + pl, *start = strchr(s, '/') + 2;
			while (p > start && p[-1] != '/')
				p--;
			if (p == start || p == s + pl) {
				sdc_make_error_code(err, 400, "Dockerfile line %d: ADD %s: "
				    "cannot determine a file name from the URL", in->line, s);
				free(s);
				goto out;
			}
			cj->urls = xrealloc(cj->urls, (cj->nurls + 1) * sizeof *cj->urls);
			cj->urls[cj->nurls].url = s;
			cj->urls[cj->nurls++].name = xstrndup(p, (size_t)(s + pl - p));
			continue;
		}
		size_t before = nsrcs;
		if (cj->from_image)
			rc = copy_sources_image(&cj->from, s, &srcs, &nsrcs, what, err);
		else
			rc = copy_sources(b, s, &srcs, &nsrcs, what, err);
		free(s);
		if (rc < 0)
			goto out;
		rc = -1;
		if (nsrcs - before > 1)
			dest_dir = true;
	}
	if (nsrcs + cj->nurls > 1 && !dest_dir) {
		sdc_make_error_code(err, 400, "When using %s with more than one source "
		    "file, the destination must be a directory and end with a /", what);
		goto out;
	}
	if (realpath(b->ctx, rootreal) == NULL) {
		sdc_make_error(err, errno, "the build context");
		goto out;
	}
	{
		char *r = copy_dest_resolve(&cj->parent, full, dest_dir);
		free(full);
		full = r;
	}
	/* The destination's folders, root first ("app", "app/sub"). */
	const char *d0 = full[0] == '/' ? full + 1 : full;
	for (const char *s = d0; *s;) {
		const char *e = strchr(s, '/');
		bool last = e == NULL;
		if (last && !dest_dir) {
			/* a single file to a name: a folder only if it is one */
			struct stat st;
			if (nsrcs > 0 && source_stat(cj, rootreal, srcs[0], &st) == 0 &&
			    S_ISDIR(st.st_mode))
				dest_dir = true;
			if (!dest_dir)
				break;
		}
		cj->dirs = xrealloc(cj->dirs, (cj->ndirs + 1) * sizeof *cj->dirs);
		cj->dirs[cj->ndirs++] = last ? xstrdup(d0) : xstrndup(d0, (size_t)(e - d0));
		if (last)
			break;
		s = e + 1;
	}
	for (size_t i = 0; i < nsrcs; i++) {
		struct copy_item *it;
		struct stat st;
		char *host;
		if (cj->from_image)
			host = xstrdup("");
		else
			xasprintf(&host, "%s%s%s", rootreal, *srcs[i] ? "/" : "", srcs[i]);
		if (source_stat(cj, rootreal, srcs[i], &st) < 0) {
			sdc_make_error(err, errno, "%s failed: stat %s", what, srcs[i]);
			free(host);
			goto out;
		}
		cj->items = xrealloc(cj->items, (cj->n + 1) * sizeof *cj->items);
		it = &cj->items[cj->n++];
		it->host = host;
		it->rel = xstrdup(srcs[i]);
		if (S_ISDIR(st.st_mode)) {
			/* its content into the destination folder */
			it->name = NULL;
			if (*d0 == '\0') {
				/* into / : each child on its own */
				char **kids;
				size_t nkids;
				cj->n--;
				free(it->rel);
				if (copy_children(cj, host, srcs[i], &kids, &nkids, err) < 0) {
					free(host);
					goto out;
				}
				for (size_t k = 0; k < nkids; k++) {
					cj->items = xrealloc(cj->items, (cj->n + 1) * sizeof *cj->items);
					it = &cj->items[cj->n++];
					xasprintf(&it->host, "%s/%s", host, kids[k]);
					xasprintf(&it->rel, "%s%s%s", srcs[i], *srcs[i] ? "/" : "", kids[k]);
					it->name = kids[k];
				}
				free(kids);
				free(host);
			} else
				it->name = xstrdup(d0);
		} else if (dest_dir) {
			const char *base = strrchr(srcs[i], '/');
			base = base ? base + 1 : srcs[i];
			if (*d0)
				xasprintf(&it->name, "%s/%s", d0, base);
			else
				it->name = xstrdup(base);
		} else
			it->name = xstrdup(d0);
	}
	for (size_t i = 0; i < cj->nurls; i++) {
		char *base = cj->urls[i].name;
		if (!dest_dir)
			cj->urls[i].name = xstrdup(d0);
		else if (*d0)
			xasprintf(&cj->urls[i].name, "%s/%s", d0, base);
		else
			cj->urls[i].name = xstrdup(base);
		free(base);
	}
	if (cj->nurls > 0) {
		cj->rules = images_addr_rules_new(b->d->images);
		cj->tmpdir = xstrdup(b->dir);
		cj->max = b->cap;
	}
	/* the folder entries named by an item come from the items */
	if (build_commit(b, in->original, copy_layer, cj, err) < 0)
		goto out;
	cj = NULL;
	rc = 0;
out:
	if (cj != NULL)
		copy_job_free(cj);
	for (size_t i = 0; i < nsrcs; i++)
		free(srcs[i]);
	free(srcs);
	free(dest);
	free(full);
	return rc;
}
