/*
 * system-auth.c: POST /auth, which `docker login` and docker-py's
 * login() call with {"username", "password", "serveraddress"} (or an
 * "identitytoken").
 *
 * The answer is Docker's: 200 {"Status": "Login Succeeded"} when the
 * registry takes the credentials, 401 with the registry's refusal when it
 * does not, 500 when it cannot be reached.  The daemon keeps nothing; the
 * client stores the credentials and sends them with each pull.
 */
#include <string.h>

#include "images-api.h"
#include "jsonutil.h"
#include "xalloc.h"

static void
login_field(json_t *body, const char *key, char **to)
{
	const char *s = json_str(body, key, NULL);

	*to = s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

int
images_api_login(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	struct images_auth auth = { 0 };
	struct images_job *job;
	struct imgjob *j;
	sdc_error_t err = NULL;
	json_t *body;
	int rc;

	if ((body = http_body_json(req, &err)) == NULL ||
	    !json_is_object(body)) {
		api_error(req, 400, "a login takes a JSON object: %s",
		    err != NULL ? sdc_error_msg(err) : "not an object");
		sdc_error_release(&err);
		json_decref(body);
		return HTTP_DONE;
	}
	login_field(body, "username", &auth.username);
	login_field(body, "password", &auth.password);
	login_field(body, "identitytoken", &auth.identitytoken);
	j = imgjob_new(d, req, 0, NULL);
	rc = images_login_start(d->images, json_str(body, "serveraddress", ""),
	    &auth, &job, &err);
	images_auth_free(&auth);
	json_decref(body);
	if (rc < 0)
		return imgjob_refuse(j, &err);
	imgjob_answer_with(j, json_pack("{s:s, s:s}", "Status",
	    "Login Succeeded", "IdentityToken", ""));
	return imgjob_run(j, job);
}

const struct api_endpoint system_auth_routes[] = {
	{ { "POST", "/auth", images_api_login, 0, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
