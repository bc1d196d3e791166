/*
 * images-save-load.c: images as tarballs -- docker load, docker import, and
 * docker save.
 *
 * Load and import stream the request body into a library job (see
 * imgjob.c).  Save goes the other way: the library writes the
 * docker-archive with blocking writes, so it runs on a thread of its own
 * whose output is streamed to the client (thread-stream.c).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "images-api.h"
#include "thread-stream.h"
#include "xalloc.h"


/* ---- load and import ---- */

int
images_api_load(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct images_job *job;
	sdc_error_t err = NULL;
	unsigned flags = IMGJOB_BODY;
	struct imgjob *j;
	int fd;

	/* Docker's daemon defaults to quiet; the CLI always says */
	if (http_query_bool(req, "quiet", true))
		flags |= IMGJOB_QUIET;
	j = imgjob_new(d, req, flags, &fd);
	if (images_load_start(d->images, api_account(req)->uuid, fd, imgjob_event,
	    j, &job, &err) < 0)
		return imgjob_refuse(j, &err);
	return imgjob_run(j, job);
}

/* Every "changes" parameter, in order (one per --change). */
const char **
images_api_changes(const struct http_request *req)
{
	const char **v = xcalloc(req->nquery + 1, sizeof *v);
	size_t n = 0;

	for (size_t i = 0; i < req->nquery; i++)
		if (strcmp(req->query[i].name, "changes") == 0 &&
		    *req->query[i].value != '\0')
			v[n++] = req->query[i].value;
	return v;
}

int
images_api_import(struct http_request *req, struct dockerapi *d)
{
	const char *repo = http_query(req, "repo"), *tag = http_query(req, "tag");
	const char **changes = images_api_changes(req);
	struct images_job *job;
	sdc_error_t err = NULL;
	struct imgjob *j;
	char *target = NULL;
	int fd, rc;

	if (repo != NULL && *repo != '\0' && tag != NULL && *tag != '\0')
		xasprintf(&target, "%s:%s", repo, tag);
	else if (repo != NULL && *repo != '\0')
		target = xstrdup(repo);
	j = imgjob_new(d, req, IMGJOB_BODY, &fd);
	rc = images_import_start(d->images, api_account(req)->uuid, fd, target,
	    changes, http_query(req, "message"), imgjob_event, j, &job, &err);
	free(target);
	free(changes);
	if (rc < 0)
		return imgjob_refuse(j, &err);
	return imgjob_run(j, job);
}

/* ---- save ---- */

static int
save_run(void *arg, thread_stream_write_fn *write, void *warg, sdc_error_t *err)
{
	return images_save_write(arg, write, warg, err);
}

static void
save_done(void *arg)
{
	images_save_free(arg);
}

/* names= (GET /images/get, one per image) or the one in the path */
static const char **
save_names(const struct http_request *req)
{
	const char **v = xcalloc(req->nquery + 2, sizeof *v);
	const char *one = http_param(req, "name");
	size_t n = 0;

	if (one != NULL)
		v[n++] = one;
	for (size_t i = 0; one == NULL && i < req->nquery; i++)
		if (strcmp(req->query[i].name, "names") == 0 &&
		    *req->query[i].value != '\0')
			v[n++] = req->query[i].value;
	return v;
}

int
images_api_save(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	const char **names = save_names(req);
	struct images_save *sv;
	sdc_error_t err = NULL;

	if (names[0] == NULL) {
		free(names);
		return api_error(req, 400, "no image names given");
	}
	if (images_save_prepare(d->images, api_account(req)->uuid, names, &sv,
	    &err) < 0) {
		free(names);
		return api_error_from(req, &err);
	}
	free(names);
	if (thread_stream_start(req, d->base, "image save", "application/x-tar",
	    save_run, save_done, sv, &err) < 0) {
		images_save_free(sv);
		return api_error_from(req, &err);
	}
	return HTTP_ASYNC;
}

const struct api_endpoint images_save_load_routes[] = {
	{ { "GET", "/images/get", images_api_save, 0, NULL }, 0 },
	{ { "GET", "/images/*name/get", images_api_save, 0, NULL }, 0 },
	{ { "POST", "/images/load", images_api_load,
	    API_PROVISION | API_BODY_STREAM, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
