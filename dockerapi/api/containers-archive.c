/*
 * containers-archive.c: docker cp's routes -- HEAD, GET and PUT
 * /containers/:id/archive, and the old POST /containers/:id/copy.
 *
 * The file work is libsdcnode's (runtime/archive.c, whose top comment
 * says why no path it follows leads out of the container's root); this
 * file answers as dockerd does: the stat of the path base64-encoded in
 * X-Docker-Container-Path-Stat, Docker's 404 "Could not find the file
 * ... in container ...", 400 for an extraction point that is not a
 * folder, 403 for a read-only root filesystem.
 *
 * The container's mounts the host's view of its root does not show (its
 * volumes; its tmpfs mounts while it runs, which live only in its mount
 * namespace) are opened here and handed to the copy: a path in one takes
 * the mount as its root, and one above them walks through them where the
 * container has them (rt_root_graft), as `docker cp` through dockerd's
 * view of the container does.
 *
 * A tar can be large and the file calls block, so they run on a thread
 * of the request's own, joined to the loop by pipes (runtime/
 * archive-job.c, the node's agent's too): GET's tar is copied to the
 * client while it keeps up; PUT's answer goes once both the extraction
 * and the body are done.  A client that leaves closes its pipe, which
 * stops the thread at its next read or write.  What is checked before the first
 * byte (the container, the path, the read-only flag) is answered before
 * anything starts, so a tar stream never has to carry an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "containers.h"
#include "dockerapi/runtime/archive-job.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "log.h"
#include "node-relay.h"
#include "volumes.h"
#include "xalloc.h"

struct cpjob {
	struct dockerapi *d;
	struct http_request *req;	/* until the transfer starts */
	struct rt_cp cp;		/* root, path (a volume's, maybe) */
	char *shown;			/* as the client gave it */
	bool is_put;
};

static void
cp_free(struct cpjob *j)
{
	rt_cp_release(&j->cp);
	free(j->shown);
	free(j);
}

/* Docker's answer for a path that is not there. */
static int
cp_not_found(struct http_request *req, const char *path)
{
	return api_error(req, 404, "Could not find the file %s in container %s",
	    path, http_param(req, "id"));
}

static const char *
cp_path(struct http_request *req)
{
	const char *p = http_query(req, "path");

	if (p == NULL || *p == '\0') {
		api_error(req, 400, "bad parameter: 'path' cannot be empty");
		return NULL;
	}
	return p;
}

/* The mounts whose files the host's view of the root does not show: the
 * volumes, and, while the container runs, its tmpfs mounts (--tmpfs,
 * --mount type=tmpfs), which live only in its mount namespace.  A
 * stopped container's tmpfs paths are plain folders of its root, as
 * dockerd copies them. */
struct cpmount {
	const char *dest;		/* in the container, clean */
	const char *volume;		/* its name; NULL for a tmpfs */
	bool ro;
};

static bool
cp_running(const struct ctr *c)
{
	return (c->st.status == RT_RUNNING || c->st.status == RT_PAUSED) &&
	    c->st.pid > 0;
}

/* A tmpfs's options say "ro". */
static bool
cp_tmpfs_ro(const char *opts)
{
	size_t n;

	for (; opts != NULL && *opts != '\0'; opts += n + (opts[n] == ',')) {
		n = strcspn(opts, ",");
		if (n == 2 && strncmp(opts, "ro", 2) == 0)
			return true;
	}
	return false;
}

static size_t
cp_mounts(const struct ctr *c, struct cpmount **out)
{
	const json_t *m, *v;
	const char *k;
	size_t i, n = 0;

	*out = xcalloc(json_array_size(json_object_get(c->extra, "Mounts")) +
	    json_object_size(json_object_get(c->host_config, "Tmpfs")) +
	    json_array_size(json_object_get(c->host_config, "Mounts")) + 1,
	    sizeof **out);
	json_array_foreach(json_object_get(c->extra, "Mounts"), i, m)
		if (strcmp(json_str(m, "Type", ""), "volume") == 0 &&
		    json_string_value(json_object_get(m, "Destination"))) {
			(*out)[n].dest = json_str(m, "Destination", "");
			(*out)[n].volume = json_str(m, "Name", "");
			(*out)[n++].ro = !json_bool(m, "RW", true);
		}
	if (!cp_running(c))
		return n;
	json_object_foreach(json_object_get(c->host_config, "Tmpfs"), k, v) {
		(*out)[n].dest = k;
		(*out)[n++].ro = cp_tmpfs_ro(json_string_value(v));
	}
	json_array_foreach(json_object_get(c->host_config, "Mounts"), i, m)
		if (strcmp(json_str(m, "Type", ""), "tmpfs") == 0 &&
		    json_string_value(json_object_get(m, "Target"))) {
			(*out)[n].dest = json_str(m, "Target", "");
			(*out)[n++].ro = json_bool(m, "ReadOnly", false);
		}
	return n;
}

/* The deepest mount holding the path (NULL: none); *rel the path's
 * remainder from the mount's top ("/" for the top itself, a trailing "/"
 * or "/." kept). */
static const struct cpmount *
cp_mount_of(const struct cpmount *ms, size_t nm, const char *path,
    char **rel)
{
	const struct cpmount *in = NULL;
	size_t i, n, plen = strlen(path);
	char *clean = rt_path_clean(path), *dest;
	const char *tail = "";

	*rel = NULL;
	if (plen >= 2 && strcmp(path + plen - 2, "/.") == 0)
		tail = "/.";
	else if (plen > 1 && path[plen - 1] == '/')
		tail = "/";
	for (i = 0; i < nm; i++) {
		dest = rt_path_clean(ms[i].dest);
		n = strlen(dest);
		if (strncmp(clean, dest, n) == 0 && (clean[n] == '/' ||
		    clean[n] == '\0') && (in == NULL || n > strlen(in->dest))) {
			in = &ms[i];
			free(*rel);
			xasprintf(rel, "%s%s", clean[n] == '\0' ? "/" :
			    clean + n, strcmp(tail, "/") == 0 &&
			    clean[n] == '\0' ? "" : tail);
		}
		free(dest);
	}
	free(clean);
	return in;
}

/* A mount's top opened (O_PATH): a volume's folder, a tmpfs's top in the
 * running container's namespace. */
static int
cp_mount_open(struct dockerapi *d, const struct ctr *c,
    const struct cpmount *m, sdc_error_t *err)
{
	struct volume *vol;
	char *dir;
	int fd;

	if (m->volume == NULL)
		return rt_mount_open_tmpfs(c->st.pid, m->dest, err);
	if ((vol = volume_get(d, c->account, m->volume, err)) == NULL)
		return -1;
	dir = volume_data_dir(d, vol);
	fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		sdc_make_error(err, errno, "opening the volume at %s", m->dest);
	free(dir);
	volume_free(vol);
	return fd;
}

/* The job's root: the mount the path is in (so everything below is
 * resolved inside it: a link there to "/" names its top, never the
 * node's or the image's), and every mount grafted where the container
 * has it, so that a copy above one goes through it; -1 having answered. */
static int
cp_enter_mounts(struct http_request *req, struct dockerapi *d,
    const struct ctr *c, const struct cpmount *ms, size_t nm,
    const struct cpmount *in, struct cpjob *j)
{
	sdc_error_t err = NULL;
	char *dest;
	size_t i;
	int fd;

	if (in != NULL) {
		if (j->is_put && in->ro) {
			api_error(req, 403, in->volume != NULL ? "mounted volume "
			    "is marked read-only" : "mounted tmpfs is marked "
			    "read-only");
			return -1;
		}
		dest = rt_path_clean(in->dest);
		if ((fd = cp_mount_open(d, c, in, &err)) < 0 ||
		    rt_root_rebase_fd(&j->cp.root, fd, dest, &err) < 0) {
			free(dest);
			api_error_from(req, &err);
			return -1;
		}
		free(dest);
	}
	for (i = 0; i < nm; i++) {
		if ((fd = cp_mount_open(d, c, &ms[i], &err)) < 0) {
			api_error_from(req, &err);
			return -1;
		}
		dest = rt_path_clean(ms[i].dest);
		rt_root_graft(&j->cp.root, dest, fd, ms[i].ro);
		free(dest);
	}
	return 0;
}

/* The container's root (or the volume the path is in), opened; NULL
 * having answered. */
static struct cpjob *
cp_job(struct http_request *req, struct dockerapi *d, const char *path,
    bool is_put)
{
	struct cpjob *j;
	sdc_error_t err = NULL;
	const struct cpmount *in;
	struct cpmount *ms;
	size_t nm;
	char *rel;
	struct ctr *c;

	if ((c = ctr_lookup(req, d)) == NULL)
		return NULL;
	nm = cp_mounts(c, &ms);
	in = cp_mount_of(ms, nm, path, &rel);
	if (is_put && in == NULL && json_is_true(json_object_get(
	    c->host_config, "ReadonlyRootfs"))) {
		free(rel);
		free(ms);
		api_error(req, 403, "container rootfs is marked read-only");
		return NULL;
	}
	j = xcalloc(1, sizeof *j);
	j->d = d;
	j->req = req;
	j->is_put = is_put;
	rt_cp_init(&j->cp);
	j->shown = xstrdup(path);
	j->cp.path = rel != NULL ? rel : xstrdup(path);
	if (rt_root_open(&ctrs(d)->rt, c->uuid, &j->cp.root, &err) < 0) {
		ctr_rt_error(ctrs(d), c, &err);
		api_error_from(req, &err);
		free(ms);
		cp_free(j);
		return NULL;
	}
	if (cp_enter_mounts(req, d, c, ms, nm, in, j) < 0) {
		free(ms);
		cp_free(j);
		return NULL;
	}
	free(ms);
	return j;
}

/* A container on a node behind an agent: the node does the copy, on its
 * own folder (agent/container-archive.c), and the answer is relayed
 * (node-relay.c); the head sends what it knows of the mounts (which
 * holds the path, the volumes by their folders, the tmpfs mounts) and
 * answers the read-only refusals itself.  False when the container is
 * here (nothing done); true with *ret the handler's return. */
static bool
cp_relay(struct http_request *req, struct dockerapi *d, const char *path,
    const char *method, int *ret)
{
	static const char *const pass[] = { "X-Docker-Container-Path-Stat",
		NULL };
	struct node_relay_opts o = { .method = method, .pass_headers = pass,
		.body_stream = strcmp(method, "PUT") == 0 };
	bool is_put = o.body_stream, relayed;
	const struct cpmount *in;
	struct cpmount *ms;
	struct volume *vol;
	struct buf q = BUF_INIT;
	sdc_error_t err = NULL;
	json_t *mounts;
	char *rel, *text, *v;
	const char *node;
	struct ctr *c;
	size_t i, nm;

	if ((c = ctr_lookup(req, d)) == NULL) {
		*ret = HTTP_DONE;
		return true;
	}
	node = json_str(c->extra, "Node", "");
	if (*node == '\0')
		return false;
	nm = cp_mounts(c, &ms);
	in = cp_mount_of(ms, nm, path, &rel);
	if (is_put && (in != NULL ? in->ro : json_is_true(json_object_get(
	    c->host_config, "ReadonlyRootfs")))) {
		*ret = api_error(req, 403, in == NULL ? "container rootfs is "
		    "marked read-only" : in->volume != NULL ? "mounted volume "
		    "is marked read-only" : "mounted tmpfs is marked read-only");
		free(rel);
		free(ms);
		return true;
	}
	mounts = json_array();
	for (i = 0; i < nm; i++) {
		json_t *m = json_pack("{s:s, s:b}", "Destination", ms[i].dest,
		    "ReadOnly", ms[i].ro);

		if (ms[i].volume != NULL) {
			if ((vol = volume_get(d, c->account, ms[i].volume,
			    &err)) == NULL) {
				json_decref(m);
				json_decref(mounts);
				free(rel);
				free(ms);
				*ret = api_error_from(req, &err);
				return true;
			}
			xasprintf(&v, "%s/%s", vol->account, vol->uuid);
			json_object_set_new(m, "Volume", json_string(v));
			free(v);
			volume_free(vol);
		}
		json_array_append_new(mounts, m);
	}
	node_relay_query(&q, "path", rel != NULL ? rel : path);
	node_relay_query(&q, "shown", path);
	/* Docker's 404 names the container as the client did */
	node_relay_query(&q, "id", http_param(req, "id"));
	text = json_dumps(mounts, JSON_COMPACT);
	node_relay_query(&q, "mounts", text);
	free(text);
	json_decref(mounts);
	if (in != NULL)
		buf_printf(&q, "&in=%zu", (size_t)(in - ms));
	if (is_put)
		buf_printf(&q, "&noOverwriteDirNonDir=%d&copyUIDGID=%d",
		    http_query_bool(req, "noOverwriteDirNonDir", false),
		    http_query_bool(req, "copyUIDGID", false));
	relayed = node_relay_answer(d, req, node, c->uuid, "archive",
	    buf_str(&q), &o, ret);
	buf_free(&q);
	free(rel);
	free(ms);
	return relayed;
}

/* Docker's 404 for a path not there, or the error as it is; -1. */
static int
cp_failed(struct cpjob *j, struct http_request *req, sdc_error_t *err)
{
	if (*err != NULL && (*err)->code == 404) {
		sdc_error_release(err);
		cp_not_found(req, j->shown);
	} else
		api_error_from(req, err);
	return -1;
}

/* The stat header; -1 having answered (404 or 500). */
static int
cp_stat_header(struct cpjob *j)
{
	sdc_error_t err = NULL;

	if (rt_cp_stat_header(&j->cp, j->req, &err) < 0)
		return cp_failed(j, j->req, &err);
	return 0;
}

/* HEAD /containers/:id/archive */
static int
cp_head(struct http_request *req, void *arg)
{
	const char *path = cp_path(req);
	struct cpjob *j;
	int rc;

	if (path == NULL)
		return HTTP_DONE;
	if (cp_relay(req, arg, path, "HEAD", &rc))
		return rc;
	if ((j = cp_job(req, arg, path, false)) == NULL)
		return HTTP_DONE;
	if (cp_stat_header(j) == 0)
		http_reply(req, 200, "application/json", NULL, 0);
	j->req = NULL;
	cp_free(j);
	return HTTP_DONE;
}

/* ---- GET: the tar out ---- */

static void
cp_get_done(void *arg)
{
	cp_free(arg);
}

static int
cp_get_start(struct cpjob *j)
{
	sdc_error_t err = NULL;

	if (rt_cp_get_start(&j->cp, j->req, j->d->base, cp_get_done, j,
	    &err) < 0) {
		api_error(j->req, 500, "copying: %s", sdc_error_msg(err));
		sdc_error_release(&err);
		return -1;
	}
	return 0;
}

/* GET /containers/:id/archive */
static int
cp_get(struct http_request *req, void *arg)
{
	const char *path = cp_path(req);
	struct cpjob *j;
	int rc;

	if (path == NULL)
		return HTTP_DONE;
	if (cp_relay(req, arg, path, "GET", &rc))
		return rc;
	if ((j = cp_job(req, arg, path, false)) == NULL)
		return HTTP_DONE;
	if (cp_stat_header(j) < 0 || cp_get_start(j) < 0) {
		j->req = NULL;
		cp_free(j);
		return HTTP_DONE;
	}
	return HTTP_ASYNC;
}

/* POST /containers/:id/copy {"Resource": path}: API 1.23 and older. */
static int
cp_copy(struct http_request *req, void *arg)
{
	sdc_error_t err = NULL;
	const char *path;
	struct cpjob *j;
	json_t *body;
	int rc;

	if (api_minor(req) >= 24)
		return api_error(req, 404, "POST /containers/{id}/copy was removed "
		    "in API 1.24: use GET /containers/{id}/archive");
	if ((body = http_body_json(req, &err)) == NULL) {
		api_error(req, 400, "%s", sdc_error_msg(err));
		sdc_error_release(&err);
		return HTTP_DONE;
	}
	path = json_string_value(json_object_get(body, "Resource"));
	if (path == NULL || *path == '\0') {
		json_decref(body);
		return api_error(req, 400, "Path cannot be empty");
	}
	if (cp_relay(req, arg, path, "GET", &rc)) {
		json_decref(body);
		return rc;
	}
	j = cp_job(req, arg, path, false);
	json_decref(body);
	if (j == NULL)
		return HTTP_DONE;
	if (rt_archive_stat(&j->cp.root, j->cp.path, &(struct rt_path_stat){ 0 },
	    &err) < 0) {
		cp_failed(j, req, &err);
		j->req = NULL;
		cp_free(j);
		return HTTP_DONE;
	}
	if (cp_get_start(j) < 0) {
		j->req = NULL;
		cp_free(j);
		return HTTP_DONE;
	}
	return HTTP_ASYNC;
}

/* ---- PUT: a tar in ---- */

static void
cp_put_done(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	struct cpjob *j = arg;

	if (req != NULL && rc < 0) {
		log_emit(LOG_INFO, req->req_id, NULL, "extracting into %s: %s",
		    j->shown, sdc_error_msg(*err));
		api_error_from(req, err);
	} else if (req != NULL)
		http_reply(req, 200, "text/plain", NULL, 0);
	cp_free(j);
}

/* The destination must be a folder (links followed inside the root);
 * then the extraction.  -1 having answered. */
static int
cp_put_start(struct cpjob *j)
{
	sdc_error_t err = NULL;

	if (rt_cp_put_check(&j->cp, &err) < 0)
		return cp_failed(j, j->req, &err);
	if (rt_cp_put_start(&j->cp, j->req, j->d->base, cp_put_done, j,
	    &err) < 0) {
		api_error(j->req, 500, "copying: %s", sdc_error_msg(err));
		sdc_error_release(&err);
		return -1;
	}
	return 0;
}

/* PUT /containers/:id/archive */
static int
cp_put(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	const char *path = cp_path(req);
	struct cpjob *j;
	int rc;

	if (path == NULL)
		return HTTP_DONE;
	if (cp_relay(req, d, path, "PUT", &rc))
		return rc;
	if ((j = cp_job(req, d, path, true)) == NULL)
		return HTTP_DONE;
	j->cp.put.no_overwrite_dir_non_dir = http_query_bool(req,
	    "noOverwriteDirNonDir", false);
	j->cp.put.copy_uidgid = http_query_bool(req, "copyUIDGID", false);
	if (cp_put_start(j) < 0) {
		j->req = NULL;
		cp_free(j);
		return HTTP_DONE;
	}
	return HTTP_ASYNC;
}

#define R(m, p, h, f, v) { { m, p, h, f, NULL }, v }

const struct api_endpoint containers_archive_routes[] = {
	R("HEAD", "/containers/:id/archive", cp_head, 0, 0),
	R("GET", "/containers/:id/archive", cp_get, 0, 0),
	R("PUT", "/containers/:id/archive", cp_put, API_BODY_STREAM, 0),
	R("POST", "/containers/:id/copy", cp_copy, 0, 0),
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
