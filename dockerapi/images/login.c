/*
 * login.c: `docker login`'s check, as a job: do these credentials open
 * that registry?
 *
 * Nothing is stored here.  As with Docker, the client keeps the
 * credentials it logged in with and sends them with each pull
 * (X-Registry-Auth); the daemon only says whether the registry takes
 * them.  The check is a request to a registry that may be slow or
 * unreachable, so it runs on a worker like a pull, and a docker.io login
 * goes to Docker Hub itself, never to the pull mirror.
 */
#include <stdlib.h>
#include <string.h>

#include "images-int.h"
#include "xalloc.h"

struct login {
	char *domain;
	struct strvec insecure;
	struct strvec allow_private;	/* and the mirror's host */
	struct images_auth auth;
};

static int
login_run(struct images_job *job, sdc_error_t *err)
{
	struct login *l = job->data;
	struct registry_opts o = { .insecure = &l->insecure,
	    .allow_private = &l->allow_private, .auth = &l->auth,
	    .cancel = &job->cancel };

	return registry_login(l->domain, &o, err);
}

static void
login_free(struct images_job *job)
{
	struct login *l = job->data;

	free(l->domain);
	strvec_clear(&l->insecure);
	strvec_clear(&l->allow_private);
	images_auth_free(&l->auth);
	free(l);
}

static bool
login_host_is(const char *s, size_t len, const char *name)
{
	return strlen(name) == len && strncmp(s, name, len) == 0;
}

char *
images_login_domain(const char *server, sdc_error_t *err)
{
	const char *s = server != NULL ? server : "";
	size_t len;

	if (strncmp(s, "https://", 8) == 0)
		s += 8;
	else if (strncmp(s, "http://", 7) == 0)
		s += 7;
	len = strcspn(s, "/");
	if (len == 0 || login_host_is(s, len, "index.docker.io") ||
	    login_host_is(s, len, "registry-1.docker.io") ||
	    login_host_is(s, len, "docker.io"))
		return xstrdup("docker.io");
	if (strcspn(s, " \t\r\n@?#") < len) {
		sdc_make_error_code(err, 400, "invalid registry address %s",
		    server);
		return NULL;
	}
	return xstrndup(s, len);
}

int
images_login_start(struct images *im, const char *server,
    const struct images_auth *auth, struct images_job **out,
    sdc_error_t *err)
{
	struct images_job *job;
	struct login *l = xcalloc(1, sizeof *l);

	if ((l->domain = images_login_domain(server, err)) == NULL) {
		free(l);
		return -1;
	}
	strvec_copy(&l->insecure, &im->insecure);
	strvec_copy(&l->allow_private, &im->allow_private);
	if (im->mirror != NULL)
		addrcheck_allow_url(&l->allow_private, im->mirror);
	images_auth_copy(&l->auth, auth);
	job = job_new(im, "", NULL, NULL);
	job->data = l;
	job->run = login_run;
	job->free_data = login_free;
	return job_start(job, out, err);
}
