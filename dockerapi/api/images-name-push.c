/*
 * images-name-push.c: POST /images/{name}/push, `docker push`.
 *
 * The CLI sends the repository as the name, the tag as ?tag= (none for
 * `docker push -a`, which pushes every tag) and the registry's
 * credentials as X-Registry-Auth, which the job uses and nobody logs.
 * The answer is Docker's progress stream; even a push of an image the
 * account does not have streams "The push refers to repository" before
 * its error, as dockerd does.
 */
#include <stdlib.h>

#include "images-api.h"

int
images_api_push(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct images_auth auth;
	struct images_job *job;
	struct imgjob *j;
	sdc_error_t err = NULL;
	int rc;

	if (images_auth_parse(&auth, http_header(req, "X-Registry-Auth"), &err) < 0) {
		sdc_error_wrap(&err, "X-Registry-Auth");
		return api_error_from(req, &err);
	}
	j = imgjob_new(d, req, 0, NULL);
	rc = images_push_start(d->images, api_account(req)->uuid,
	    http_param(req, "name"), http_query(req, "tag"), &auth,
	    imgjob_event, j, &job, &err);
	images_auth_free(&auth);
	if (rc < 0)
		return imgjob_refuse(j, &err);
	return imgjob_run(j, job);
}

const struct api_endpoint images_name_push_routes[] = {
	{ { "POST", "/images/*name/push", images_api_push, 0, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
