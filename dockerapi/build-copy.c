/*
 * build-copy.c: COPY and ADD of docker build.  The sources (globs
 * expanded, .dockerignore applied, nothing outside the context: a path
 * with ".." or a symlink out is refused) are written as the step's layer
 * tar by the commit job's worker, with --chown and --chmod applied; ADD
 * unpacks a local tar.  A URL is refused by name.
 */
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "build-int.h"
#include "jsonutil.h"
#include "tarout.h"
#include "xalloc.h"

/* ---- COPY and ADD ---- */

struct copy_item {
	char *host;			/* the file in the context */
	char *rel;			/* its path in the context */
	char *name;			/* its name in the layer (no leading /) */
};

struct copy_job {
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
	free(cj);
}

static int
copy_entry(struct archive *a, struct copy_job *cj, const char *host,
    const char *rel, const char *name, sdc_error_t *err);

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
copy_entry(struct archive *a, struct copy_job *cj, const char *host,
    const char *rel, const char *name, sdc_error_t *err)
{
	struct archive_entry *e;
	struct stat st;
	char target[PATH_MAX];
	int rc;

	if (*rel && dockerignore_excluded(cj->di, rel))
		return 0;
	if (lstat(host, &st) < 0)
		return sdc_make_error(err, errno, "stat %s", rel);
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
	DIR *dp = opendir(host);
	struct dirent *de;
	if (dp == NULL)
		return sdc_make_error(err, errno, "opening %s", rel);
	while ((de = readdir(dp)) != NULL) {
		char *h, *r, *n;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		xasprintf(&h, "%s/%s", host, de->d_name);
		xasprintf(&r, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		xasprintf(&n, "%s/%s", name, de->d_name);
		rc = copy_entry(a, cj, h, r, n, err);
		free(h);
		free(r);
		free(n);
		if (rc < 0) {
			closedir(dp);
			return -1;
		}
	}
	closedir(dp);
	return 0;
}

/* The layer, on the job's worker. */
static int
copy_layer(void *arg, int (*write)(void *, const void *, size_t), void *warg,
    sdc_error_t *err)
{
	struct copy_job *cj = arg;
	struct archive *a = tarout_new(write, warg, err);
	int rc = a == NULL ? -1 : 0;

	for (size_t i = 0; rc == 0 && i < cj->ndirs; i++)
		rc = tarout_entry(a, cj->dirs[i], AE_IFDIR, 0755, 0, time(NULL), err);
	for (size_t i = 0; rc == 0 && i < cj->n; i++) {
		/* a top folder's own entry is the destination's */
		rc = copy_entry(a, cj, cj->items[i].host, cj->items[i].rel,
		    cj->items[i].name, err);
	}
	if (tarout_close(a, rc < 0 ? NULL : err) < 0)
		rc = -1;
	copy_job_free(cj);
	return rc;
}

/* "uid[:gid]" in numbers; names need the image's /etc/passwd. */
static int
parse_chown(const char *s, int64_t *uid, int64_t *gid, int line, sdc_error_t *err)
{
	char *end;
	long long u = strtoll(s, &end, 10), g;

	if (end == s || u < 0 || u > 0xfffffffeLL || (*end != '\0' && *end != ':'))
		goto bad;
	g = u;
	if (*end == ':') {
		const char *gs = end + 1;
		g = strtoll(gs, &end, 10);
		if (end == gs || *end != '\0' || g < 0 || g > 0xfffffffeLL)
			goto bad;
	}
	*uid = u;
	*gid = g;
	return 0;
bad:
	return sdc_make_error_code(err, 400, "Dockerfile line %d: --chown=%s: only "
	    "numeric user and group ids are supported by this builder", line, s);
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
	if ((f = dockerfile_flag(in, "from")) != NULL)
		return sdc_make_error_code(err, 400, "Dockerfile line %d: COPY "
		    "--from=%s is not supported by this builder yet", in->line, f);
	cj = xcalloc(1, sizeof *cj);
	cj->uid = cj->gid = -1;
	cj->chmod = -1;
	cj->add = add;
	cj->di = &b->di;
	if ((f = dockerfile_flag(in, "chown")) != NULL) {
		char *x;
		if (build_expand(b, f, &x, err) < 0)
			goto out;
		rc = parse_chown(x, &cj->uid, &cj->gid, in->line, err);
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
			sdc_make_error_code(err, 400, "Dockerfile line %d: ADD of a URL "
			    "(%s) is not supported by this builder: download the file "
			    "into the build context and ADD it from there", in->line, s);
			free(s);
			goto out;
		}
		size_t before = nsrcs;
		rc = copy_sources(b, s, &srcs, &nsrcs, what, err);
		free(s);
		if (rc < 0)
			goto out;
		rc = -1;
		if (nsrcs - before > 1)
			dest_dir = true;
	}
	if (nsrcs > 1 && !dest_dir) {
		sdc_make_error_code(err, 400, "When using %s with more than one source "
		    "file, the destination must be a directory and end with a /", what);
		goto out;
	}
	if (realpath(b->ctx, rootreal) == NULL) {
		sdc_make_error(err, errno, "the build context");
		goto out;
	}
	/* The destination's folders, root first ("app", "app/sub"). */
	const char *d0 = full[0] == '/' ? full + 1 : full;
	for (const char *s = d0; *s;) {
		const char *e = strchr(s, '/');
		bool last = e == NULL;
		if (last && !dest_dir) {
			/* a single file to a name: a folder only if it is one */
			struct stat st;
			char *h;
			xasprintf(&h, "%s/%s", rootreal, srcs[0]);
			if (stat(h, &st) == 0 && S_ISDIR(st.st_mode))
				dest_dir = true;
			free(h);
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
		xasprintf(&host, "%s%s%s", rootreal, *srcs[i] ? "/" : "", srcs[i]);
		if (stat(host, &st) < 0) {
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
				DIR *dp = opendir(host);
				struct dirent *de;
				cj->n--;
				free(it->rel);
				while (dp != NULL && (de = readdir(dp)) != NULL) {
					if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
						continue;
					cj->items = xrealloc(cj->items, (cj->n + 1) * sizeof *cj->items);
					it = &cj->items[cj->n++];
					xasprintf(&it->host, "%s/%s", host, de->d_name);
					xasprintf(&it->rel, "%s%s%s", srcs[i], *srcs[i] ? "/" : "", de->d_name);
					it->name = xstrdup(de->d_name);
				}
				if (dp != NULL)
					closedir(dp);
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
