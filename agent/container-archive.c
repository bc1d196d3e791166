/*
 * container-archive.c: docker cp on the node that holds the container,
 * the head relaying its client's request and this answer:
 *
 *   HEAD /v1/containers/:uuid/archive?path=P   -> 200, the path's stat in
 *        X-Docker-Container-Path-Stat (base64 JSON, as dockerd's)
 *   GET  /v1/containers/:uuid/archive?path=P   -> the same header and the
 *        path as a tar
 *   PUT  /v1/containers/:uuid/archive?path=P&noOverwriteDirNonDir=&
 *        copyUIDGID=   <- a tar, extracted into the folder at P
 *
 * with, beside path, what the head knows of the container's mounts:
 * mounts=[{"Destination", "Volume": "ACCOUNT/VOLUME" (absent: a tmpfs,
 * found in the running container's namespace), "ReadOnly"}], in=N (path
 * is then inside mounts[N], relative to its top), and shown and id, the
 * client's path and the container as the client named it (its name or
 * id) for Docker's 404 "Could not find the file P in container ID".
 *
 * All of it is untrusted input, checked before any file is opened: the
 * uuid's shape, mounts' destinations absolute paths inside without ".."
 * and volumes two uuids under the node's volumes root (as a create's
 * document), N within mounts.  The file work and its threads are the
 * runtime library's (dockerapi/runtime/archive.c, archive-job.c), the
 * head's own for a container on its machine: every path is resolved
 * inside the container's root or the mount it is in, so a symlink the
 * tenant planted cannot lead out to the node's files, and a read-only
 * mount refuses a PUT (403).  PUT's body streams (the head hook in
 * api.c turns streaming on for this route).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "dockerapi/runtime/archive-job.h"
#include "http.h"
#include "ids.h"
#include "jsonutil.h"
#include "log.h"
#include "xalloc.h"

#define CARCH_MOUNTS_MAX 256

struct carch {
	struct agent *a;
	char uuid[37];
	struct rt_cp cp;                /* root, path, the transfer */
	char *shown, *id;
};

static void
carch_free(struct carch *j)
{
	rt_cp_release(&j->cp);
	free(j->shown);
	free(j->id);
	free(j);
}

/* An absolute path inside the container, no "..", no NUL. */
static bool
carch_inside(const char *p)
{
	size_t n = p != NULL ? strlen(p) : 0;
	const char *s;

	if (n == 0 || n >= PATH_MAX || p[0] != '/')
		return false;
	for (s = p; (s = strstr(s, "..")) != NULL; s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'))
			return false;
	return true;
}

/* The query's path: the one the client named, not empty, not past
 * PATH_MAX (resolved inside the root later, never checked as clean). */
static bool
carch_path_ok(const char *path)
{
	return path != NULL && *path != '\0' && strlen(path) < PATH_MAX;
}

/* "ACCOUNT/VOLUME", two uuids: a folder under the volumes root. */
static bool
carch_volume(const char *s)
{
	char acct[UUID_LEN + 1];

	if (s == NULL || strlen(s) != 2 * UUID_LEN + 1 || s[UUID_LEN] != '/')
		return false;
	memcpy(acct, s, UUID_LEN);
	acct[UUID_LEN] = '\0';
	return uuid_valid(acct) && uuid_valid(s + UUID_LEN + 1);
}

/* A mount's top opened (O_PATH): a volume's data folder, or the tmpfs in
 * the running container's namespace. */
static int
carch_mount_open(struct carch *j, const char *volume, const char *dest,
    pid_t pid, sdc_error_t *err)
{
	char *dir;
	int fd;

	if (volume == NULL) {
		if (pid <= 0)
			return sdc_make_error_code(err, 409, "the container is "
			    "not running");
		return rt_mount_open_tmpfs(pid, dest, err);
	}
	xasprintf(&dir, "%s/%s/_data", j->a->opt->volumes, volume);
	fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return sdc_make_error_code(err, errno == ENOENT ? 404 : 500,
		    "opening the volume at %s: %s", dest, strerror(errno));
	return fd;
}

/* The mounts: the one the path is in made the root, every one grafted
 * where the container has it.  -1 with *err (400: bad input). */
static int
carch_mounts(struct carch *j, struct http_request *req, pid_t pid,
    sdc_error_t *err)
{
	const char *text = http_query(req, "mounts"), *in_s = http_query(req,
	    "in");
	json_t *ms = NULL, *m;
	long in = -1;
	char *end, *dest;
	size_t i;
	int fd, rc = 0;

	if (in_s != NULL && *in_s != '\0') {
		errno = 0;
		in = strtol(in_s, &end, 10);
		if (errno != 0 || *end != '\0' || in < 0)
			return sdc_make_error_code(err, 400, "in: a mount's index");
	}
	if (text != NULL && (ms = json_loads(text, 0, NULL)) == NULL)
		return sdc_make_error_code(err, 400, "mounts: JSON, please");
	if (ms != NULL && (!json_is_array(ms) ||
	    json_array_size(ms) > CARCH_MOUNTS_MAX))
		rc = sdc_make_error_code(err, 400, "mounts: an array");
	json_array_foreach(ms, i, m) {
		const json_t *vol = json_object_get(m, "Volume");

		if (rc < 0)
			break;
		if (!json_is_object(m) || !carch_inside(json_str(m,
		    "Destination", NULL)) || (vol != NULL &&
		    !carch_volume(json_string_value(vol))))
			rc = sdc_make_error_code(err, 400, "mounts[%zu]: "
			    "{\"Destination\": a path inside, \"Volume\": "
			    "\"ACCOUNT/VOLUME\" or none, \"ReadOnly\"}", i);
	}
	if (rc == 0 && in >= (long)json_array_size(ms))
		rc = sdc_make_error_code(err, 400, "in: a mount's index");
	json_array_foreach(ms, i, m) {
		if (rc < 0)
			break;
		dest = rt_path_clean(json_str(m, "Destination", "/"));
		if ((long)i == in && ((fd = carch_mount_open(j, json_str(m,
		    "Volume", NULL), dest, pid, err)) < 0 ||
		    rt_root_rebase_fd(&j->cp.root, fd, dest, err) < 0))
			rc = -1;
		else if ((fd = carch_mount_open(j, json_str(m, "Volume", NULL),
		    dest, pid, err)) < 0)
			rc = -1;
		else
			rt_root_graft(&j->cp.root, dest, fd, json_is_true(
			    json_object_get(m, "ReadOnly")));
		free(dest);
	}
	json_decref(ms);
	return rc;
}

/* The job for the request, its root open; NULL having answered. */
static struct carch *
carch_job(struct http_request *req, struct agent *a)
{
	const char *uuid = http_param(req, "uuid");
	const char *path = http_query(req, "path");
	const char *shown = http_query(req, "shown"), *id = http_query(req, "id");
	struct rt_state st;
	struct carch *j;
	sdc_error_t err = NULL;
	char *text;

	if (uuid == NULL || !uuid_valid(uuid)) {
		agent_error(req, 400, "a container's uuid, please");
		return NULL;
	}
	if (!carch_path_ok(path)) {
		agent_error(req, 400, "bad parameter: 'path' cannot be empty");
		return NULL;
	}
	if (rt_state_read(&a->rt, uuid, &st, NULL) < 0) {
		agent_error(req, 404, "No such container on this node");
		return NULL;
	}
	j = xcalloc(1, sizeof *j);
	j->a = a;
	rt_cp_init(&j->cp);
	snprintf(j->uuid, sizeof j->uuid, "%s", uuid);
	j->cp.path = xstrdup(path);
	j->shown = xstrdup(shown != NULL && *shown != '\0' ? shown : path);
	j->id = xstrdup(id != NULL && *id != '\0' ? id : uuid);
	if (rt_root_open(&a->rt, uuid, &j->cp.root, &err) < 0 ||
	    carch_mounts(j, req, st.status == RT_RUNNING ||
	    st.status == RT_PAUSED ? st.pid : 0, &err) < 0) {
		text = rt_error_text(&a->rt, uuid, sdc_error_msg(err));
		agent_error(req, err->code >= 400 && err->code < 500 ? err->code :
		    500, text);
		free(text);
		sdc_error_release(&err);
		carch_free(j);
		return NULL;
	}
	return j;
}

/* Docker's answer for a path that is not there, or the runtime's. */
static void
carch_failed(struct carch *j, struct http_request *req, sdc_error_t *err)
{
	struct buf msg = BUF_INIT;
	char *text;

	if ((*err)->code == 404) {
		buf_printf(&msg, "Could not find the file %s in container %s",
		    j->shown, j->id);
		agent_error(req, 404, buf_str(&msg));
		buf_free(&msg);
	} else {
		text = rt_error_text(&j->a->rt, j->uuid, sdc_error_msg(*err));
		agent_error(req, (*err)->code >= 400 && (*err)->code < 500 ?
		    (*err)->code : 500, text);
		free(text);
	}
	sdc_error_release(err);
}

/* The stat header; -1 having answered. */
static int
carch_stat_header(struct carch *j, struct http_request *req)
{
	sdc_error_t err = NULL;

	if (rt_cp_stat_header(&j->cp, req, &err) < 0) {
		carch_failed(j, req, &err);
		return -1;
	}
	return 0;
}

static int
carch_head(struct http_request *req, void *arg)
{
	struct carch *j = carch_job(req, arg);

	if (j == NULL)
		return HTTP_DONE;
	if (carch_stat_header(j, req) == 0)
		http_reply(req, 200, "application/json", NULL, 0);
	carch_free(j);
	return HTTP_DONE;
}

/* --- GET: the tar out --- */

static void
carch_get_done(void *arg)
{
	carch_free(arg);
}

static int
carch_get(struct http_request *req, void *arg)
{
	struct carch *j = carch_job(req, arg);
	sdc_error_t err = NULL;
	int rc;

	if (j == NULL)
		return HTTP_DONE;
	if (carch_stat_header(j, req) < 0) {
		carch_free(j);
		return HTTP_DONE;
	}
	if (rt_cp_get_start(&j->cp, req, j->a->base, carch_get_done, j,
	    &err) < 0) {
		rc = agent_error(req, 500, sdc_error_msg(err));
		sdc_error_release(&err);
		carch_free(j);
		return rc;
	}
	log_info("container %s: archive of %s", j->uuid, j->shown);
	return HTTP_ASYNC;
}

/* --- PUT: a tar in --- */

static void
carch_put_done(void *arg, struct http_request *req, int rc, sdc_error_t *err)
{
	struct carch *j = arg;

	if (req != NULL && rc < 0) {
		log_info("container %s: extracting into %s: %s", j->uuid,
		    j->shown, sdc_error_msg(*err));
		carch_failed(j, req, err);
	} else if (req != NULL) {
		log_info("container %s: extracted into %s", j->uuid, j->shown);
		http_reply(req, 200, "text/plain", NULL, 0);
	}
	carch_free(j);
}

static int
carch_put(struct http_request *req, void *arg)
{
	struct carch *j = carch_job(req, arg);
	sdc_error_t err = NULL;
	int rc;

	if (j == NULL)
		return HTTP_DONE;
	j->cp.put.no_overwrite_dir_non_dir = http_query_bool(req,
	    "noOverwriteDirNonDir", false);
	j->cp.put.copy_uidgid = http_query_bool(req, "copyUIDGID", false);
	if (rt_cp_put_check(&j->cp, &err) < 0) {     /* a folder, please */
		carch_failed(j, req, &err);
		carch_free(j);
		return HTTP_DONE;
	}
	if (rt_cp_put_start(&j->cp, req, j->a->base, carch_put_done, j,
	    &err) < 0) {
		rc = agent_error(req, 500, sdc_error_msg(err));
		sdc_error_release(&err);
		carch_free(j);
		return rc;
	}
	log_info("container %s: extracting into %s", j->uuid, j->shown);
	return HTTP_ASYNC;
}

const struct route agent_archive_routes[] = {
	{ "HEAD", "/v1/containers/:uuid/archive", carch_head, 0, NULL },
	{ "GET", "/v1/containers/:uuid/archive", carch_get, 0, NULL },
	{ "PUT", "/v1/containers/:uuid/archive", carch_put, AGENT_BODY_STREAM,
	  NULL },
	{ NULL, NULL, NULL, 0, NULL },
};
