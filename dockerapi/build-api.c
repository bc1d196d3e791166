/*
 * build-api.c: POST /build, `docker build` through Docker's classic
 * builder API.
 *
 * The context tar arrives as the body and is written to a file under the
 * data dir while it comes, capped by the account's image quota (a tenant
 * cannot fill the disk with a context); once it is whole it is unpacked
 * with libarchive's secure flags (no "..", no write
 * through a symlink) into a private folder.  The Dockerfile is parsed
 * (build/dockerfile.c) before the answer starts, so a malformed one is a
 * plain 400 naming its line.
 *
 * Then each instruction runs in turn on the loop thread, streaming
 * Docker's progress lines ({"stream":"Step 1/5 : FROM busybox\n"},
 * " ---> 3f2a...", "Successfully built", "Successfully tagged").  Every
 * step that changes the image is a commit job of the image library
 * (images/commit.c), as `docker commit` is: COPY and ADD write their
 * layer's tar from the context on the job's worker; ENV, CMD, LABEL and
 * the other config instructions commit the config alone (an empty_layer
 * history entry).  The images are the account's own, looked up and
 * stored through the account's image store only, so a build sees no
 * other account's images.  A failed build removes every image it made.
 *
 * RUN makes a container of the account the way POST /containers/create
 * does (the package's limits, the account's user namespace, seccomp, the
 * build's network), starts it and goes back to the loop: the container's
 * watcher feeds its output into the build's stream and tells its exit
 * (struct ctr's run hooks), then its writable layer is committed as the
 * step's image like POST /commit does, and the container is removed, also
 * when the build fails or its client leaves.
 *
 * What the classic builder does that this one does not yet do (COPY
 * --from, ADD of a URL, the step cache) is refused by name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <event2/event.h>
#include <openssl/evp.h>

#include "build/dockerfile.h"
#include "build/dockerignore.h"
#include "containers.h"
#include "dockerapi.h"
#include "dockerapi/images/images.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "log.h"
#include "tarout.h"
#include "xalloc.h"

/* Without an image quota, the context is still capped. */
#define BUILD_CONTEXT_MAX ((int64_t)1 << 30)

struct build {
	struct dockerapi *d;
	struct http_request *req;	/* NULL once the client has gone */
	char account[37];
	char *dir;			/* <data>/build/<random> */
	char *ctx;			/* dir/context */
	int tarfd;
	int64_t got, cap;
	bool over;
	/* options */
	char **tags;
	size_t ntags;
	const char *dockerfile;
	json_t *buildargs, *labels, *used_args;
	char *target;
	bool quiet;
	/* the Dockerfile */
	struct dockerfile df;
	struct dockerignore di;
	size_t pc, step, nsteps, stage_end;
	/* the current stage */
	char *image;			/* NULL: scratch */
	json_t *config;
	json_t *args;			/* ARG values of the stage */
	json_t *meta_args;		/* ARGs before the first FROM */
	bool cmd_set;
	char *author;
	/* every image this build made, removed if it fails */
	char **made;
	size_t nmade;
	struct images_job *job;
	struct event *ev;
	bool streaming;
	/* RUN: its container while it runs and is committed */
	char *netmode;			/* HostConfig.NetworkMode; NULL: default */
	char run_id[65];		/* "" when none */
	char *run_cmd;			/* the argv joined, for the history */
	struct event *run_ev;		/* the exit, handled off the watcher */
	bool keep_run;			/* rm=0 without forcerm: a RUN's container
					 * stays after its step succeeds */
	/* the step cache */
	bool nocache;
	EVP_MD_CTX *ctx_md;		/* the context's content, unpacked */
	char ctx_digest[65];
	char *cache_key;		/* the step under way's, stored once done */
};

static const char *const proxy_args[] = {
	"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
	"ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", NULL,
};

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		rmdir(p);
	else
		unlink(p);
	return 0;
}

static void build_run_remove(struct build *b);
static void build_run_keep(struct build *b);

static void
build_free(struct build *b)
{
	if (b->ev != NULL)
		event_free(b->ev);
	images_job_free(b->job);
	build_run_remove(b);		/* after the job: it read the layer */
	if (b->run_ev != NULL)
		event_free(b->run_ev);
	free(b->run_cmd);
	free(b->netmode);
	free(b->cache_key);
	EVP_MD_CTX_free(b->ctx_md);
	if (b->tarfd >= 0)
		close(b->tarfd);
	if (b->dir != NULL)
		nftw(b->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(b->dir);
	free(b->ctx);
	for (size_t i = 0; i < b->ntags; i++)
		free(b->tags[i]);
	free(b->tags);
	json_decref(b->buildargs);
	json_decref(b->labels);
	json_decref(b->used_args);
	free(b->target);
	dockerfile_free(&b->df);
	dockerignore_free(&b->di);
	free(b->image);
	json_decref(b->config);
	json_decref(b->args);
	json_decref(b->meta_args);
	free(b->author);
	for (size_t i = 0; i < b->nmade; i++)
		free(b->made[i]);
	free(b->made);
	free(b);
}

static void
build_line(struct build *b, const char *key, const char *text)
{
	struct buf out = BUF_INIT;
	json_t *j;

	if (b->req == NULL)
		return;
	if (!b->streaming) {
		http_stream_start(b->req, 200, "application/json");
		b->streaming = true;
	}
	j = json_pack("{s:s}", key, text);
	json_append(&out, j);
	buf_putc(&out, '\n');
	http_stream_write(b->req, out.data, out.len);
	buf_free(&out);
	json_decref(j);
}

static void SDC_PRINTF(2, 3)
build_say(struct build *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (b->quiet)		/* -q: the image id alone, at the end */
		return;
	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	build_line(b, "stream", s);
	free(s);
}

/* The build is over: answer, and free it. */
static void
build_finish(struct build *b, sdc_error_t *err)
{
	if (err != NULL && *err != NULL) {
		/* Nothing of a failed build stays. */
		for (size_t i = b->nmade; i-- > 0;) {
			sdc_error_t e2 = NULL;
			json_t *out = NULL;
			if (images_remove(b->d->images, b->account, b->made[i], true,
			    false, NULL, NULL, &out, &e2) < 0)
				log_emit(LOG_WARN, NULL, NULL, "build: removing %s: %s",
				    b->made[i], sdc_error_msg(e2));
			sdc_error_release(&e2);
			json_decref(out);
		}
		if (b->req != NULL) {
			if (b->streaming) {
				json_t *e = images_error_json(sdc_error_msg(*err));
				struct buf out = BUF_INIT;
				json_append(&out, e);
				buf_putc(&out, '\n');
				http_stream_write(b->req, out.data, out.len);
				buf_free(&out);
				json_decref(e);
				http_stream_end(b->req);
				sdc_error_release(err);
			} else
				api_error_from(b->req, err);
		}
		sdc_error_release(err);
	} else if (b->req != NULL) {
		if (!b->streaming) {
			http_stream_start(b->req, 200, "application/json");
			b->streaming = true;
		}
		http_stream_end(b->req);
	}
	build_free(b);
}

/* ---- variables ---- */

static const char *
build_lookup(void *arg, const char *name)
{
	struct build *b = arg;
	size_t nl = strlen(name);
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(b->config, "Env"), i, v) {
		const char *s = json_string_value(v);
		if (s != NULL && strncmp(s, name, nl) == 0 && s[nl] == '=')
			return s + nl + 1;
	}
	if (json_is_string(json_object_get(b->args, name)))
		return json_string_value(json_object_get(b->args, name));
	return NULL;
}

static int
build_expand(struct build *b, const char *word, char **out, sdc_error_t *err)
{
	return dockerfile_expand(word, b->df.escape, build_lookup, b, out, err);
}

static void
env_set(json_t *config, const char *k, const char *v)
{
	json_t *env = json_object_get(config, "Env");
	size_t kl = strlen(k), i;
	json_t *e;
	char *kv;

	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(config, "Env", env);
	}
	xasprintf(&kv, "%s=%s", k, v);
	json_array_foreach(env, i, e) {
		const char *s = json_string_value(e);
		if (s != NULL && strncmp(s, k, kl) == 0 && s[kl] == '=') {
			json_array_set_new(env, i, json_string(kv));
			free(kv);
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
	free(kv);
}

/* ---- steps ---- */

static void build_next(struct build *b);
static void build_cache_store(struct build *b);

static void
build_on_event(void *arg, const struct images_event *ev)
{
	(void)arg;
	(void)ev;
}

static void
build_on_job(evutil_socket_t fd, short what, void *arg)
{
	struct build *b = arg;
	sdc_error_t err = NULL;
	int r = images_job_dispatch(b->job, &err);

	(void)fd;
	(void)what;
	if (r == 0)
		return;
	event_free(b->ev);
	b->ev = NULL;
	if (b->run_id[0] != '\0' && r > 0 && b->keep_run) {
		build_run_keep(b);
	} else if (b->run_id[0] != '\0') {
		build_say(b, "Removing intermediate container %.12s\n", b->run_id);
		build_run_remove(b);
	}
	if (r < 0) {
		images_job_free(b->job);
		b->job = NULL;
		build_finish(b, &err);
		return;
	}
	free(b->image);
	b->image = xstrdup(images_job_image_id(b->job));
	images_job_free(b->job);
	b->job = NULL;
	b->made = xrealloc(b->made, (b->nmade + 1) * sizeof *b->made);
	b->made[b->nmade++] = xstrdup(b->image);
	build_cache_store(b);
	build_say(b, " ---> %.12s\n", b->image + 7);
	build_next(b);
}

/* Commit the current config (and a layer, when layer is set). */
static int
build_commit(struct build *b, const char *created_by, images_layer_fn *layer,
    void *layer_arg, sdc_error_t *err)
{
	struct images_commit_opts o = { 0 };

	o.parent = b->image;
	o.config = b->config;
	o.author = b->author;
	o.created_by = created_by;
	o.layer = layer;
	o.layer_arg = layer_arg;
	if (images_commit_start(b->d->images, b->account, &o, build_on_event, b,
	    &b->job, err) < 0)
		return -1;
	b->ev = event_new(b->d->base, images_job_fd(b->job), EV_READ | EV_PERSIST,
	    build_on_job, b);
	event_add(b->ev, NULL);
	return 0;
}

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

static int
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

/* ---- the config instructions ---- */

static json_t *
strv_json(char **v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* CMD, ENTRYPOINT, HEALTHCHECK CMD: exec form, or the shell's. */
static json_t *
command_json(struct build *b, const struct df_instr *in, size_t from)
{
	json_t *a;

	if (in->json)
		return strv_json(in->args + from, in->nargs - from);
	a = json_deep_copy(json_object_get(b->config, "Shell"));
	if (!json_is_array(a)) {
		json_decref(a);
		a = json_pack("[s,s]", "/bin/sh", "-c");
	}
	if (in->nargs > from)
		json_array_append_new(a, json_string(in->args[from]));
	return a;
}

/* Go's duration ("30s", "1m30s", "500ms") in nanoseconds. */
static int
duration_ns(const char *s, int64_t *out)
{
	static const struct { const char *u; int64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 },
		{ "s", 1000000000LL }, { "m", 60000000000LL }, { "h", 3600000000000LL },
	};
	int64_t total = 0;

	if (*s == '\0')
		return -1;
	while (*s) {
		char *end;
		double v = strtod(s, &end);
		if (end == s || v < 0)
			return -1;
		size_t best = 0;
		int64_t mul = 0;
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
			size_t l = strlen(units[i].u);
			if (strncmp(end, units[i].u, l) == 0 && l > best &&
			    !(l == 1 && units[i].u[0] == 'm' && end[1] == 's')) {
				best = l;
				mul = units[i].ns;
			}
		}
		if (best == 0)
			return -1;
		total += (int64_t)(v * (double)mul);
		s = end + best;
	}
	*out = total;
	return 0;
}

static int
step_config(struct build *b, const struct df_instr *in, sdc_error_t *err)
{
	json_t *c = b->config;
	char *x = NULL, *y = NULL;

	if (in->cmd != DF_HEALTHCHECK && dockerfile_check_flags(in, NULL, err) < 0)
		return -1;
	switch (in->cmd) {
	case DF_ENV:
	case DF_LABEL:
		for (size_t i = 0; i + 1 < in->nargs; i += 2) {
			if (build_expand(b, in->args[i], &x, err) < 0 ||
			    build_expand(b, in->args[i + 1], &y, err) < 0)
				goto fail;
			if (in->cmd == DF_ENV)
				env_set(c, x, y);
			else {
				if (labels_reserved(b->d, x)) {
					sdc_make_error_code(err, 400, "Dockerfile line %d: "
					    "the label %s is reserved", in->line, x);
					goto fail;
				}
				if (!json_is_object(json_object_get(c, "Labels")))
					json_object_set_new(c, "Labels", json_object());
				json_object_set_new(json_object_get(c, "Labels"), x,
				    json_string(y));
			}
			free(x);
			free(y);
			x = y = NULL;
		}
		break;
	case DF_CMD:
		json_object_set_new(c, "Cmd", command_json(b, in, 0));
		b->cmd_set = true;
		break;
	case DF_ENTRYPOINT:
		json_object_set_new(c, "Entrypoint", command_json(b, in, 0));
		if (!b->cmd_set)
			json_object_set_new(c, "Cmd", json_null());
		break;
	case DF_SHELL:
		json_object_set_new(c, "Shell", strv_json(in->args, in->nargs));
		break;
	case DF_EXPOSE:
		if (!json_is_object(json_object_get(c, "ExposedPorts")))
			json_object_set_new(c, "ExposedPorts", json_object());
		for (size_t i = 0; i < in->nargs; i++) {
			char *p, *end;
			if (build_expand(b, in->args[i], &x, err) < 0)
				goto fail;
			long port = strtol(x, &end, 10);
			if (end == x || port < 1 || port > 65535 || (*end != '\0' &&
			    strcmp(end, "/tcp") != 0 && strcmp(end, "/udp") != 0 &&
			    strcmp(end, "/sctp") != 0)) {
				sdc_make_error_code(err, 400, "Dockerfile line %d: invalid "
				    "port for EXPOSE: %s", in->line, x);
				goto fail;
			}
			xasprintf(&p, "%ld%s", port, *end ? end : "/tcp");
			json_object_set_new(json_object_get(c, "ExposedPorts"), p,
			    json_object());
			free(p);
			free(x);
			x = NULL;
		}
		break;
	case DF_VOLUME:
		if (!json_is_object(json_object_get(c, "Volumes")))
			json_object_set_new(c, "Volumes", json_object());
		for (size_t i = 0; i < in->nargs; i++) {
			if (build_expand(b, in->args[i], &x, err) < 0)
				goto fail;
			json_object_set_new(json_object_get(c, "Volumes"), x, json_object());
			free(x);
			x = NULL;
		}
		break;
	case DF_USER:
	case DF_STOPSIGNAL:
		if (build_expand(b, in->args[0], &x, err) < 0)
			goto fail;
		json_object_set_new(c, in->cmd == DF_USER ? "User" : "StopSignal",
		    json_string(x));
		break;
	case DF_WORKDIR: {
		char *j;
		if (build_expand(b, in->args[0], &x, err) < 0)
			goto fail;
		if (x[0] == '/')
			j = xstrdup(x);
		else
			xasprintf(&j, "%s/%s", json_str(c, "WorkingDir", "/"), x);
		y = dockerignore_clean(j);
		free(j);
		json_object_set_new(c, "WorkingDir", json_string(y));
		break;
	}
	case DF_MAINTAINER:
		free(b->author);
		b->author = xstrdup(in->args[0]);
		break;
	case DF_ONBUILD: {
		json_t *ob = json_object_get(c, "OnBuild");
		if (!json_is_array(ob)) {
			ob = json_array();
			json_object_set_new(c, "OnBuild", ob);
		}
		json_array_append_new(ob, json_string(in->args[0]));
		break;
	}
	case DF_HEALTHCHECK: {
		static const char *const hc_flags[] = { "interval", "timeout",
		    "start-period", "start-interval", "retries", NULL };
		static const char *const keys[] = { "Interval", "Timeout",
		    "StartPeriod", "StartInterval" };
		json_t *h = json_object();
		if (dockerfile_check_flags(in, hc_flags, err) < 0) {
			json_decref(h);
			goto fail;
		}
		if (strcmp(in->args[0], "NONE") == 0)
			json_object_set_new(h, "Test", json_pack("[s]", "NONE"));
		else {
			json_t *t = in->json ? strv_json(in->args + 1, in->nargs - 1) :
			    json_pack("[s]", in->args[1]);
			json_array_insert_new(t, 0, json_string(in->json ? "CMD" : "CMD-SHELL"));
			json_object_set_new(h, "Test", t);
		}
		for (size_t i = 0; i < 4; i++) {
			const char *v = dockerfile_flag(in, hc_flags[i]);
			int64_t ns;
			if (v == NULL)
				continue;
			if (duration_ns(v, &ns) < 0) {
				json_decref(h);
				sdc_make_error_code(err, 400, "Dockerfile line %d: invalid "
				    "duration --%s=%s", in->line, hc_flags[i], v);
				goto fail;
			}
			json_object_set_new(h, keys[i], json_integer(ns));
		}
		const char *r = dockerfile_flag(in, "retries");
		if (r != NULL) {
			char *end;
			long n = strtol(r, &end, 10);
			if (end == r || *end || n < 0) {
				json_decref(h);
				sdc_make_error_code(err, 400, "Dockerfile line %d: invalid "
				    "--retries=%s", in->line, r);
				goto fail;
			}
			json_object_set_new(h, "Retries", json_integer(n));
		}
		json_object_set_new(c, "Healthcheck", h);
		break;
	}
	default:
		break;
	}
	free(x);
	free(y);
	char *by;
	xasprintf(&by, "/bin/sh -c #(nop)  %s", in->original);
	int rc = build_commit(b, by, NULL, NULL, err);
	free(by);
	return rc;
fail:
	free(x);
	free(y);
	return -1;
}

/* ---- FROM and ARG ---- */

static int
step_arg(struct build *b, const struct df_instr *in, json_t *into, sdc_error_t *err)
{
	for (size_t i = 0; i < in->nargs; i++) {
		char *eq = strchr(in->args[i], '=');
		char *name = eq ? xstrndup(in->args[i], (size_t)(eq - in->args[i])) :
		    xstrdup(in->args[i]);
		json_t *v = json_object_get(b->buildargs, name);
		if (json_is_string(v)) {
			json_object_set(into, name, v);
			json_object_set_new(b->used_args, name, json_true());
		} else if (eq != NULL) {
			char *x;
			if (build_expand(b, eq + 1, &x, err) < 0) {
				free(name);
				return -1;
			}
			json_object_set_new(into, name, json_string(x));
			free(x);
		} else if (json_object_get(b->meta_args, name) && into == b->args) {
			/* a global ARG brought into the stage */
			json_object_set(into, name, json_object_get(b->meta_args, name));
		}
		free(name);
	}
	return 0;
}

static int
step_from(struct build *b, const struct df_instr *in, sdc_error_t *err)
{
	static const char *const from_flags[] = { "platform", NULL };
	const char *plat = dockerfile_flag(in, "platform");
	char *name = NULL, *id = NULL;
	json_t *config = NULL;
	json_t *saved = b->args;

	if (dockerfile_check_flags(in, from_flags, err) < 0)
		return -1;
	if (plat != NULL && strcmp(plat, "linux/amd64") != 0 &&
	    strcmp(plat, "$BUILDPLATFORM") != 0 && strcmp(plat, "$TARGETPLATFORM") != 0)
		return sdc_make_error_code(err, 400, "Dockerfile line %d: FROM "
		    "--platform=%s: this builder builds linux/amd64 only", in->line, plat);
	/* FROM sees the global ARGs only */
	b->args = b->meta_args;
	json_t *cfg = b->config;
	b->config = NULL;
	int rc = build_expand(b, in->args[0], &name, err);
	b->config = cfg;
	b->args = saved;
	if (rc < 0)
		return -1;
	json_decref(b->args);
	b->args = json_object();
	b->cmd_set = false;
	free(b->image);
	b->image = NULL;
	json_decref(b->config);
	b->config = NULL;
	if (strcmp(name, "scratch") == 0) {
		b->config = json_object();
		free(name);
		build_say(b, " ---> %s\n", "scratch");
		return 0;
	}
	if (images_resolve(b->d->images, b->account, name, &id, err) < 0 ||
	    images_layers(b->d->images, b->account, id, NULL, &config, err) < 0) {
		if ((*err)->code == 404)
			sdc_error_wrap(err, "Dockerfile line %d: FROM %s: pull the "
			    "image first (docker pull %s)", in->line, name, name);
		free(name);
		free(id);
		return -1;
	}
	free(name);
	b->config = json_deep_copy(json_object_get(config, "config"));
	if (!json_is_object(b->config)) {
		json_decref(b->config);
		b->config = json_object();
	}
	json_decref(config);
	if (json_array_size(json_object_get(b->config, "OnBuild")) > 0) {
		free(id);
		return sdc_make_error_code(err, 400, "Dockerfile line %d: the base "
		    "image has ONBUILD triggers, which this builder does not run yet",
		    in->line);
	}
	b->image = id;
	build_say(b, " ---> %.12s\n", id + 7);
	return 0;
}

/* ---- RUN ---- */

/* The RUN container goes, whatever happened; its hooks first, so its
 * removal does not call back. */
static void
build_run_remove(struct build *b)
{
	struct containers *cs;
	sdc_error_t err = NULL;
	struct ctr *c;

	if (b->run_id[0] == '\0')
		return;
	cs = ctrs(b->d);
	if ((c = ctr_find(cs, b->account, b->run_id, &err)) != NULL) {
		c->run_out = NULL;
		c->run_end = NULL;
		if (ctr_remove(cs, c, true, &err) < 0)
			log_emit(LOG_WARN, NULL, NULL, "build: removing container "
			    "%s: %s", b->run_id, sdc_error_msg(err));
	}
	sdc_error_release(&err);
	b->run_id[0] = '\0';
}

/* rm=0: the step's container stays, an ordinary stopped container of
 * the account; the build lets go of it. */
static void
build_run_keep(struct build *b)
{
	sdc_error_t err = NULL;
	struct ctr *c = ctr_find(ctrs(b->d), b->account, b->run_id, &err);

	if (c != NULL) {
		c->run_out = NULL;
		c->run_end = NULL;
	}
	sdc_error_release(&err);
	b->run_id[0] = '\0';
}

/* The container's output, into the build's stream as Docker sends it. */
static void
build_run_out(void *arg, int stream, const char *data, size_t len)
{
	struct build *b = arg;
	json_t *t = json_stringn(data, len);
	char *s;

	(void)stream;
	if (b->quiet)
		return;
	if (t != NULL) {
		s = xstrdup(json_string_value(t));
		json_decref(t);
	} else {		/* not UTF-8: the bytes that are not ASCII go */
		s = xstrndup(data, len);
		for (char *p = s; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
	}
	build_line(b, "stream", s);
	free(s);
}

/* Told by the watcher (exit or removal): go on off its call. */
static void
build_run_end(void *arg)
{
	struct build *b = arg;

	event_active(b->run_ev, EV_TIMEOUT, 1);
}

struct run_src {
	struct rt_config rt;
	char uuid[37];
};

/* The container's writable layer, on the commit job's worker. */
static int
build_run_layer(void *arg, int (*write)(void *, const void *, size_t),
    void *warg, sdc_error_t *err)
{
	struct run_src *s = arg;
	int rc = rt_layer_tar(&s->rt, s->uuid, write, warg, err);

	free(s);
	return rc;
}

static void
build_run_exited(evutil_socket_t fd, short what, void *arg)
{
	struct build *b = arg;
	struct containers *cs = ctrs(b->d);
	sdc_error_t err = NULL;
	struct run_src *src;
	struct ctr *c;

	(void)fd;
	(void)what;
	if ((c = ctr_find(cs, b->account, b->run_id, &err)) == NULL) {
		sdc_error_release(&err);
		b->run_id[0] = '\0';
		sdc_make_error_code(&err, 500, "The command '%s' could not finish: "
		    "its container was removed", b->run_cmd);
		build_finish(b, &err);
		return;
	}
	if (c->st.exit_code != 0) {
		sdc_make_error_code(&err, 500, "The command '%s' returned a "
		    "non-zero code: %d", b->run_cmd,
		    c->st.exit_code < 0 ? 255 : c->st.exit_code);
		build_finish(b, &err);	/* build_free removes the container */
		return;
	}
	src = xcalloc(1, sizeof *src);
	src->rt = cs->rt;
	memcpy(src->uuid, c->uuid, sizeof src->uuid);
	if (build_commit(b, b->run_cmd, build_run_layer, src, &err) < 0) {
		free(src);
		build_finish(b, &err);
	}
	/* build_on_job removes the container and goes on */
}

/* The environment of RUN: the image's Env, and the stage's ARGs under
 * it (an ENV of the same name wins, as in Docker). */
static json_t *
run_env(struct build *b)
{
	json_t *env = json_deep_copy(json_object_get(b->config, "Env"));
	json_t *cfg = json_pack("{s:o}", "Env", json_is_array(env) ? env :
	    json_array());
	const char *k;
	json_t *v;

	if (!json_is_array(env))
		json_decref(env);
	json_object_foreach(b->args, k, v) {
		size_t kl = strlen(k), i;
		json_t *e;
		bool set = false;
		json_array_foreach(json_object_get(cfg, "Env"), i, e) {
			const char *s = json_string_value(e);
			set = set || (s != NULL && strncmp(s, k, kl) == 0 && s[kl] == '=');
		}
		if (!set && json_is_string(v))
			env_set(cfg, k, json_string_value(v));
	}
	/* the predefined proxy args reach RUN without an ARG */
	for (size_t i = 0; proxy_args[i] != NULL; i++) {
		v = json_object_get(b->buildargs, proxy_args[i]);
		if (json_is_string(v) && !json_object_get(b->args, proxy_args[i])) {
			env_set(cfg, proxy_args[i], json_string_value(v));
			json_object_set_new(b->used_args, proxy_args[i], json_true());
		}
	}
	env = json_incref(json_object_get(cfg, "Env"));
	json_decref(cfg);
	return env;
}

/* RUN: a container of the account made as docker create makes one (its
 * package, user namespace, seccomp, network), started; its exit comes
 * back through the watcher (build_run_end), never waited for here. */
static int
step_run(struct build *b, const struct df_instr *in, sdc_error_t *err)
{
	struct containers *cs = ctrs(b->d);
	json_t *argv, *body, *hc, *v;
	struct buf cmd = BUF_INIT;
	struct ctr *c;
	size_t i;

	if (dockerfile_check_flags(in, NULL, err) < 0)
		return -1;
	if (b->image == NULL)
		return sdc_make_error_code(err, 400, "Dockerfile line %d: RUN on "
		    "an empty scratch image: there is nothing to run yet", in->line);
	argv = command_json(b, in, 0);
	json_array_foreach(argv, i, v)
		buf_printf(&cmd, "%s%s", i ? " " : "", json_string_value(v));
	free(b->run_cmd);
	b->run_cmd = buf_detach(&cmd, NULL);
	hc = json_object();
	if (b->netmode != NULL)
		json_object_set_new(hc, "NetworkMode", json_string(b->netmode));
	body = json_pack("{s:s,s:[],s:o,s:o,s:s,s:s,s:o}", "Image", b->image,
	    "Entrypoint", "Cmd", argv, "Env", run_env(b),
	    "WorkingDir", json_str(b->config, "WorkingDir", ""),
	    "User", json_str(b->config, "User", ""), "HostConfig", hc);
	c = ctr_create_for(cs, b->account, body, err);
	json_decref(body);
	if (c == NULL)
		return sdc_error_wrap(err, "Dockerfile line %d: RUN", in->line);
	snprintf(b->run_id, sizeof b->run_id, "%s", c->id);
	if (b->run_ev == NULL)
		b->run_ev = evtimer_new(b->d->base, build_run_exited, b);
	c->run_out = build_run_out;
	c->run_end = build_run_end;
	c->run_arg = b;
	build_say(b, " ---> Running in %.12s\n", c->id);
	if (ctr_start_one(cs, c, err) < 0) {
		build_run_remove(b);
		return sdc_error_wrap(err, "Dockerfile line %d: RUN", in->line);
	}
	return 0;
}

/* ---- the step cache ----
 *
 * A step's key is the digest of the account, the parent image, the
 * instruction's text, the config and ARGs it runs with, and for COPY and
 * ADD the digest of the context's names, modes and bytes as unpacked, not
 * its times (conservative: any change of the context misses).  <data>/build-cache/<account>/<key>
 * holds the image the step made; a hit is taken only if the account still
 * has that image.  A build that fails removes what it made, so a key of
 * it then points to no image and misses. */

static char *
build_cache_path(struct build *b, const char *key)
{
	char *p;

	xasprintf(&p, "%s/build-cache/%s%s%s", b->d->cfg.data_dir, b->account,
	    key ? "/" : "", key ? key : "");
	return p;
}

static char *
build_cache_key(struct build *b, const struct df_instr *in)
{
	struct buf t = BUF_INIT;
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *c = json_dumps(b->config, JSON_SORT_KEYS | JSON_COMPACT);
	char *a = json_dumps(b->args, JSON_SORT_KEYS | JSON_COMPACT);
	char *hex = xcalloc(1, 65);

	buf_printf(&t, "%s\n%s\n%s\n%s\n%s\n%s\n%s\n", b->account,
	    b->image ? b->image : "scratch", in->original, c ? c : "",
	    a ? a : "", b->netmode ? b->netmode : "",
	    in->cmd == DF_COPY || in->cmd == DF_ADD ? b->ctx_digest : "");
	free(c);
	free(a);
	EVP_Digest(t.data, t.len, raw, &n, EVP_sha256(), NULL);
	buf_free(&t);
	for (unsigned int i = 0; i < n && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	return hex;
}

/* The step's image from the cache: true, with b->image and b->config. */
static bool
build_cache_hit(struct build *b, const struct df_instr *in)
{
	sdc_error_t err = NULL;
	struct buf id = BUF_INIT;
	json_t *config = NULL;
	char *path, *resolved = NULL;

	free(b->cache_key);
	b->cache_key = NULL;
	if (b->nocache)
		return false;
	b->cache_key = build_cache_key(b, in);
	path = build_cache_path(b, b->cache_key);
	if (file_read(path, &id, 128, &err) < 0 || id.len == 0 ||
	    images_resolve(b->d->images, b->account, id.data, &resolved, &err) < 0 ||
	    strcmp(resolved, id.data) != 0 ||
	    images_layers(b->d->images, b->account, resolved, NULL, &config,
	    &err) < 0) {
		sdc_error_release(&err);
		free(path);
		free(resolved);
		buf_free(&id);
		json_decref(config);
		return false;
	}
	free(path);
	buf_free(&id);
	json_decref(b->config);
	b->config = json_deep_copy(json_object_get(config, "config"));
	if (!json_is_object(b->config)) {
		json_decref(b->config);
		b->config = json_object();
	}
	json_decref(config);
	free(b->image);
	b->image = resolved;
	if (in->cmd == DF_CMD)
		b->cmd_set = true;
	if (in->cmd == DF_MAINTAINER) {
		free(b->author);
		b->author = xstrdup(in->args[0]);
	}
	free(b->cache_key);
	b->cache_key = NULL;
	build_say(b, " ---> Using cache\n ---> %.12s\n", b->image + 7);
	return true;
}

/* The step made b->image: remember it under the step's key. */
static void
build_cache_store(struct build *b)
{
	sdc_error_t err = NULL;
	char *dir, *path;

	if (b->cache_key == NULL)
		return;
	dir = build_cache_path(b, NULL);
	path = build_cache_path(b, b->cache_key);
	if (mkdir_p(dir, 0700, &err) < 0 ||
	    file_write_atomic(path, b->image, strlen(b->image), 0600, &err) < 0) {
		log_emit(LOG_WARN, NULL, NULL, "build: the step cache: %s",
		    sdc_error_msg(err));
		sdc_error_release(&err);
	}
	free(dir);
	free(path);
	free(b->cache_key);
	b->cache_key = NULL;
}

/* ---- the loop over the instructions ---- */

static void
build_done(struct build *b)
{
	sdc_error_t err = NULL;
	const char *k;
	json_t *v;
	struct buf unused = BUF_INIT;

	json_object_foreach(b->buildargs, k, v)
		if (!json_object_get(b->used_args, k)) {
			bool proxy = false;
			for (size_t i = 0; proxy_args[i]; i++)
				proxy = proxy || strcmp(proxy_args[i], k) == 0;
			if (!proxy)
				buf_printf(&unused, "%s%s", unused.len ? " " : "", k);
		}
	if (unused.len)
		build_say(b, "[Warning] One or more build-args [%s] were not consumed\n",
		    unused.data);
	buf_free(&unused);
	if (b->image == NULL) {
		sdc_make_error_code(&err, 400, "No image was generated. Is your "
		    "Dockerfile empty?");
		build_finish(b, &err);
		return;
	}
	if (b->quiet) {
		char *line;
		xasprintf(&line, "%s\n", b->image);
		build_line(b, "stream", line);
		free(line);
	}
	build_say(b, "Successfully built %.12s\n", b->image + 7);
	for (size_t i = 0; i < b->ntags; i++) {
		if (images_tag(b->d->images, b->account, b->image, b->tags[i], &err) < 0) {
			build_finish(b, &err);
			return;
		}
		build_say(b, "Successfully tagged %s\n", b->tags[i]);
	}
	/* the image stays: nothing to undo now */
	b->nmade = 0;
	build_finish(b, NULL);
}

static void
build_next(struct build *b)
{
	sdc_error_t err = NULL;

	while (b->pc < b->stage_end) {
		const struct df_instr *in = &b->df.instrs[b->pc++];
		int rc = 0;

		if (b->image == NULL && b->config == NULL && in->cmd != DF_FROM &&
		    in->cmd != DF_ARG) {
			sdc_make_error_code(&err, 400, "Dockerfile line %d: no build "
			    "stage in current context", in->line);
			build_finish(b, &err);
			return;
		}
		b->step++;
		build_say(b, "Step %zu/%zu : %s\n", b->step, b->nsteps, in->original);
		if (in->cmd != DF_FROM && in->cmd != DF_ARG && build_cache_hit(b, in))
			continue;
		switch (in->cmd) {
		case DF_FROM:
			rc = step_from(b, in, &err);
			break;
		case DF_ARG:
			if (b->config == NULL)
				rc = step_arg(b, in, b->meta_args, &err);
			else {
				rc = step_arg(b, in, b->args, &err);
				if (rc == 0) {
					build_say(b, " ---> %.12s\n", b->image ?
						    b->image + 7 : "scratch");
					continue;
				}
			}
			break;
		case DF_RUN:
			if ((rc = step_run(b, in, &err)) == 0)
				return;		/* build_run_exited goes on */
			break;
		case DF_COPY:
		case DF_ADD:
			if ((rc = step_copy(b, in, &err)) == 0)
				return;		/* build_on_job goes on */
			break;
		default:
			if ((rc = step_config(b, in, &err)) == 0)
				return;
			break;
		}
		if (rc < 0) {
			build_finish(b, &err);
			return;
		}
	}
	build_done(b);
}

/* ---- the request ---- */

static void
build_on_close(struct http_request *req, void *arg)
{
	struct build *b = arg;

	sdc_error_t err = NULL;

	(void)req;
	b->req = NULL;
	/* a job under way is cancelled by build_free; what was made goes */
	sdc_make_error(&err, 0, "the client went away");
	build_finish(b, &err);
}

/* Unpack the context safely into b->ctx. */
static int
build_unpack(struct build *b, sdc_error_t *err)
{
	struct archive *in = archive_read_new(), *out = archive_write_disk_new();
	struct archive_entry *e;
	int r, rc = 0;

	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	archive_write_disk_set_options(out, ARCHIVE_EXTRACT_PERM |
	    ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	    ARCHIVE_EXTRACT_SECURE_SYMLINKS);
	lseek(b->tarfd, 0, SEEK_SET);
	if (b->got == 0) {
		archive_read_free(in);
		archive_write_free(out);
		return 0;	/* an empty context */
	}
	b->ctx_md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(b->ctx_md, EVP_sha256(), NULL);
	if (archive_read_open_fd(in, b->tarfd, 65536) != ARCHIVE_OK) {
		rc = sdc_make_error_code(err, 400, "the build context is not a tar: %s",
		    archive_error_string(in));
		goto out;
	}
	while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(e);
		char *clean = dockerignore_clean(p ? p : "");
		const char *rel = clean;
		mode_t type = archive_entry_filetype(e);
		while (*rel == '/')
			rel++;
		if (strcmp(rel, "..") == 0 || strncmp(rel, "../", 3) == 0) {
			rc = sdc_make_error_code(err, 400, "the build context holds a "
			    "path outside it: %s", p);
			free(clean);
			goto out;
		}
		if ((type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) ||
		    archive_entry_hardlink(e) != NULL || strcmp(rel, ".") == 0) {
			free(clean);
			continue;
		}
		/* the step cache's input digest: names, modes, link targets
		 * and bytes, not times */
		char *dst;
		xasprintf(&dst, "%s\n%o\n%s\n", rel, (unsigned)archive_entry_mode(e),
		    archive_entry_symlink(e) ? archive_entry_symlink(e) : "");
		EVP_DigestUpdate(b->ctx_md, dst, strlen(dst));
		free(dst);
		xasprintf(&dst, "%s/%s", b->ctx, rel);
		archive_entry_set_pathname(e, dst);
		free(dst);
		free(clean);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		if (archive_write_header(out, e) != ARCHIVE_OK) {
			rc = sdc_make_error_code(err, 400, "the build context: %s",
			    archive_error_string(out));
			goto out;
		}
		const void *blk;
		size_t sz;
		int64_t off;
		while ((r = archive_read_data_block(in, &blk, &sz, &off)) == ARCHIVE_OK)
			if (EVP_DigestUpdate(b->ctx_md, blk, sz) != 1 ||
			    archive_write_data_block(out, blk, sz, off) != ARCHIVE_OK) {
				rc = sdc_make_error_code(err, 500, "the build context: %s",
				    archive_error_string(out));
				goto out;
			}
		if (r != ARCHIVE_EOF) {
			rc = sdc_make_error_code(err, 400, "the build context: %s",
			    archive_error_string(in));
			goto out;
		}
		archive_write_finish_entry(out);
	}
	if (r != ARCHIVE_EOF)
		rc = sdc_make_error_code(err, 400, "the build context is not a "
		    "valid tar: %s", archive_error_string(in));
	else {
		unsigned char raw[EVP_MAX_MD_SIZE];
		unsigned int n = 0;
		EVP_DigestFinal_ex(b->ctx_md, raw, &n);
		for (unsigned int i = 0; i < n && i < 32; i++)
			snprintf(b->ctx_digest + 2 * i, 3, "%02x", raw[i]);
	}
out:
	archive_read_free(in);
	archive_write_close(out);
	archive_write_free(out);
	return rc;
}

/* The body is whole: unpack, parse, and run the first step. */
static int
build_begin(struct build *b, sdc_error_t *err)
{
	struct buf text = BUF_INIT;
	char *path, *clean;

	if (b->over)
		return sdc_make_error_code(err, 403, "quota exceeded: the build "
		    "context is larger than this account's image quota of %" PRId64
		    " bytes", b->cap);
	if (build_unpack(b, err) < 0)
		return -1;
	close(b->tarfd);
	b->tarfd = -1;
	xasprintf(&path, "%s/.dockerignore", b->ctx);
	if (file_read(path, &text, 1 << 20, NULL) == 0 &&
	    dockerignore_parse(text.data, text.len, &b->di, err) < 0) {
		free(path);
		buf_free(&text);
		return -1;
	}
	free(path);
	buf_reset(&text);
	clean = dockerignore_clean(b->dockerfile);
	if (clean[0] == '/' || strncmp(clean, "../", 3) == 0 || strcmp(clean, "..") == 0) {
		free(clean);
		buf_free(&text);
		return sdc_make_error_code(err, 400, "the Dockerfile (%s) must be "
		    "within the build context", b->dockerfile);
	}
	xasprintf(&path, "%s/%s", b->ctx, clean);
	free(clean);
	struct stat st;
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    file_read(path, &text, 4 << 20, NULL) < 0) {
		free(path);
		buf_free(&text);
		return sdc_make_error_code(err, 400, "Cannot locate specified "
		    "Dockerfile: %s", b->dockerfile);
	}
	free(path);
	int rc = dockerfile_parse(text.data, text.len, &b->df, err);
	buf_free(&text);
	if (rc < 0)
		return -1;
	if (b->df.syntax != NULL)
		log_emit(LOG_INFO, NULL, NULL, "build: # syntax=%s ignored by the "
		    "classic builder", b->df.syntax);
	/* --target: up to the end of that stage */
	b->stage_end = b->df.ninstrs;
	if (b->target != NULL) {
		bool found = false;
		for (size_t i = 0; i < b->df.ninstrs; i++) {
			const struct df_instr *in = &b->df.instrs[i];
			if (in->cmd != DF_FROM)
				continue;
			if (found) {
				b->stage_end = i;
				break;
			}
			if (in->nargs == 3 && strcasecmp(in->args[2], b->target) == 0)
				found = true;
		}
		if (!found)
			return sdc_make_error_code(err, 400, "failed to reach build "
			    "target %s in Dockerfile", b->target);
	}
	b->nsteps = b->stage_end;
	return 0;
}

static int
build_sink(struct http_request *req, const char *data, size_t len, void *arg)
{
	struct build *b = arg;
	sdc_error_t err = NULL;

	(void)req;
	if (len > 0) {
		if (b->over)
			return 0;
		if (b->got + (int64_t)len > b->cap) {
			b->over = true;
			return 0;
		}
		b->got += (int64_t)len;
		if (fd_write_all(b->tarfd, data, len) < 0) {
			b->over = true;		/* reported as a failure below */
			b->cap = b->got;
		}
		return 0;
	}
	if (b->req == NULL)
		return 0;
	if (build_begin(b, &err) < 0) {
		build_finish(b, &err);
		return 0;
	}
	build_next(b);
	return 0;
}

/* The query's parameters: applied, refused, or harmless at their default. */
static int
build_options(struct build *b, struct http_request *req, sdc_error_t *err)
{
	static const char *const applied[] = { "t", "dockerfile", "buildargs",
	    "labels", "target", "nocache", "pull", "rm", "forcerm", "q",
	    "networkmode", "platform", "version", "session", NULL };
	static const char *const defaults[] = { "0", "", "null", "[]", "{}",
	    "false", "default", NULL };
	const char *v;

	for (size_t i = 0; i < req->nquery; i++) {
		const char *k = req->query[i].name, *val = req->query[i].value;
		bool ok = false;
		for (size_t j = 0; applied[j] && !ok; j++)
			ok = strcmp(applied[j], k) == 0;
		for (size_t j = 0; defaults[j] && !ok; j++)
			ok = strcmp(defaults[j], val) == 0;
		if (!ok)
			return sdc_make_error_code(err, 400, "the build option %s=%s is "
			    "not supported by this builder", k, val);
	}
	if ((v = http_query(req, "version")) != NULL && *v && strcmp(v, "1") != 0)
		return sdc_make_error_code(err, 400, "BuildKit (DOCKER_BUILDKIT=1, "
		    "docker buildx) is not supported by this endpoint: build with "
		    "DOCKER_BUILDKIT=0, which uses the classic builder");
	if ((v = http_query(req, "remote")) != NULL && *v)
		return sdc_make_error_code(err, 400, "a remote build context (%s) "
		    "is not supported: send the context", v);
	if ((v = http_query(req, "platform")) != NULL && *v &&
	    strcmp(v, "linux/amd64") != 0 && strcmp(v, "linux") != 0)
		return sdc_make_error_code(err, 400, "platform %s: this builder "
		    "builds linux/amd64 only", v);
	if ((v = http_query(req, "networkmode")) != NULL && *v &&
	    strcmp(v, "default") != 0 && strcmp(v, "bridge") != 0 &&
	    strcmp(v, "none") != 0)
		return sdc_make_error_code(err, 400, "networkmode %s: a build's "
		    "network is the account's default one, or none", v);
	if (v != NULL && (strcmp(v, "none") == 0 || strcmp(v, "bridge") == 0))
		b->netmode = xstrdup(v);
	for (size_t i = 0; i < req->nquery; i++) {
		const char *k = req->query[i].name, *val = req->query[i].value;
		if (strcmp(k, "t") != 0 || *val == '\0')
			continue;
		struct image_ref ref;
		if (image_ref_parse(&ref, val, err) < 0)
			return sdc_error_wrap(err, "invalid tag %s", val);
		b->tags = xrealloc(b->tags, (b->ntags + 1) * sizeof *b->tags);
		b->tags[b->ntags++] = xstrdup(val);
	}
	b->dockerfile = http_query(req, "dockerfile");
	if (b->dockerfile == NULL || *b->dockerfile == '\0')
		b->dockerfile = "Dockerfile";
	b->buildargs = json_object();
	b->labels = json_object();
	for (int w = 0; w < 2; w++) {
		const char *name = w ? "labels" : "buildargs";
		json_t **dst = w ? &b->labels : &b->buildargs;
		v = http_query(req, name);
		if (v == NULL || *v == '\0' || strcmp(v, "null") == 0)
			continue;
		json_t *j = json_loads(v, 0, NULL);
		const char *k;
		json_t *x;
		if (!json_is_object(j)) {
			json_decref(j);
			return sdc_make_error_code(err, 400, "%s must be a JSON object "
			    "of strings", name);
		}
		json_object_foreach(j, k, x)
			if (!json_is_string(x) && !json_is_null(x)) {
				json_decref(j);
				return sdc_make_error_code(err, 400, "%s must be a JSON "
				    "object of strings", name);
			}
		json_decref(*dst);
		*dst = j;
	}
	if (json_object_size(b->labels) > 0)
		return sdc_make_error_code(err, 400, "the labels build option is not "
		    "supported by this builder yet: use LABEL in the Dockerfile");
	v = http_query(req, "target");
	if (v != NULL && *v)
		b->target = xstrdup(v);
	b->quiet = http_query_bool(req, "q", false);
	b->nocache = http_query_bool(req, "nocache", false);
	/* A failed step's container always goes (forcerm's way), so a failed
	 * build leaves nothing; rm=0 keeps a successful step's, as Docker. */
	b->keep_run = !http_query_bool(req, "rm", true) &&
	    !http_query_bool(req, "forcerm", false);
	if (http_query_bool(req, "pull", false))
		return sdc_make_error_code(err, 400, "pull (--pull): this builder "
		    "does not pull base images; docker pull the base image first");
	return 0;
}

static int
build_post(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct build *b = xcalloc(1, sizeof *b);
	sdc_error_t err = NULL;
	char *base, *tpl;
	int64_t quota;

	b->d = d;
	b->req = req;
	b->tarfd = -1;
	snprintf(b->account, sizeof b->account, "%s", api_account(req)->uuid);
	b->used_args = json_object();
	b->meta_args = json_object();
	if (build_options(b, req, &err) < 0)
		goto refuse;
	quota = quota_limit(d, b->account, QUOTA_IMAGE_BYTES);
	b->cap = quota > 0 ? quota : BUILD_CONTEXT_MAX;
	xasprintf(&base, "%s/build", d->cfg.data_dir);
	if (mkdir_p(base, 0700, &err) < 0) {
		free(base);
		goto refuse;
	}
	xasprintf(&tpl, "%s/XXXXXX", base);
	free(base);
	if (mkdtemp(tpl) == NULL) {
		sdc_make_error(&err, errno, "a folder for the build");
		free(tpl);
		goto refuse;
	}
	b->dir = tpl;
	xasprintf(&b->ctx, "%s/context", b->dir);
	xasprintf(&tpl, "%s/context.tar", b->dir);
	b->tarfd = open(tpl, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	free(tpl);
	if (b->tarfd < 0 || mkdir(b->ctx, 0700) < 0) {
		sdc_make_error(&err, errno, "the build context's file");
		goto refuse;
	}
	http_on_close(req, build_on_close, b);
	http_stream_body(req, build_sink, b);
	return HTTP_ASYNC;
refuse:
	build_free(b);
	return api_error_from(req, &err);
}

const struct api_endpoint api_build_endpoints[] = {
	{ { "POST", "/build", build_post, API_PROVISION | API_BODY_STREAM, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
