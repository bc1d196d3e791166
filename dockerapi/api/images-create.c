/*
 * images-create.c: POST /images/create, which Docker's API uses for two
 * things: pulling (fromImage) and importing a tarball (fromSrc).
 *
 * A pull streams the library's progress events as Docker's JSON lines, so
 * the docker CLI draws its bars; the library sends no event before the
 * manifest is resolved, so an unknown name or a refused login is still a
 * plain HTTP error that the CLI prints as "Error response from daemon".
 * A name with neither tag nor digest, and no tag parameter, is a pull of
 * every tag, as with dockerd: that is what `docker pull -a` sends (the CLI
 * adds ":latest" to a plain `docker pull`).
 */
#include <stdlib.h>
#include <string.h>

#include "images-api.h"
#include "xalloc.h"

/* fromImage plus tag as one reference: "busybox" + "1.36" gives
 * "busybox:1.36", a digest gives "busybox@sha256:...".  As in Docker, the
 * tag parameter wins over one in fromImage. */
static char *
pull_name(const char *image, const char *tag)
{
	const char *slash = strrchr(image, '/');
	const char *colon = strchr(slash != NULL ? slash : image, ':');
	size_t len = strcspn(image, "@");       /* the name, without a digest */
	char *name;

	if (tag == NULL || *tag == '\0')
		return xstrdup(image);
	if (colon != NULL && (size_t)(colon - image) < len)
		len = (size_t)(colon - image);  /* ... and without a tag */
	xasprintf(&name, "%.*s%c%s", (int)len, image,
	    strchr(tag, ':') != NULL ? '@' : ':', tag);
	return name;
}

/* The nodes run linux/amd64, and that is the image a pull chooses from a
 * manifest list; asking for another platform is an error, not a surprise
 * at run time. */
static bool
pull_platform_ok(const char *platform)
{
	return platform == NULL || *platform == '\0' ||
	    strcmp(platform, "linux") == 0 || strcmp(platform, "linux/amd64") == 0 ||
	    strcmp(platform, "amd64") == 0;
}

/* No tag anywhere: every tag. */
static bool
pull_every_tag(const char *image, const char *tag)
{
	struct image_ref ref;
	sdc_error_t err = NULL;
	bool all;

	if (tag != NULL && *tag != '\0')
		return false;
	if (image_ref_parse_notag(&ref, image, &err) < 0) {
		sdc_error_release(&err);
		return false;           /* the pull itself says what is wrong */
	}
	all = ref.tag == NULL && ref.digest == NULL;
	image_ref_free(&ref);
	return all;
}

static int
pull_start(struct http_request *req, struct dockerapi *d, const char *image)
{
	struct images_auth auth;
	struct images_job *job;
	struct imgjob *j;
	sdc_error_t err = NULL;
	char *name;
	int rc;

	if (*image == '\0')
		return api_error(req, 400, "fromImage must not be empty");
	if (!pull_platform_ok(http_query(req, "platform")))
		return api_error(req, 400, "platform %s is not served here: this data "
		    "center runs linux/amd64", http_query(req, "platform"));
	if (images_auth_parse(&auth, http_header(req, "X-Registry-Auth"), &err) < 0) {
		sdc_error_wrap(&err, "X-Registry-Auth");
		return api_error_from(req, &err);
	}
	j = imgjob_new(d, req, 0, NULL);
	if (pull_every_tag(image, http_query(req, "tag"))) {
		name = xstrdup(image);
		rc = images_pull_all_start(d->images, api_account(req)->uuid,
		    name, &auth, imgjob_event, j, &job, &err);
	} else {
		name = pull_name(image, http_query(req, "tag"));
		rc = images_pull_start(d->images, api_account(req)->uuid, name,
		    &auth, imgjob_event, j, &job, &err);
	}
	images_auth_free(&auth);
	free(name);
	if (rc < 0)
		return imgjob_refuse(j, &err);
	return imgjob_run(j, job);
}

int
images_api_create(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	const char *image = http_query(req, "fromImage");
	const char *src = http_query(req, "fromSrc");

	if (image != NULL)
		return pull_start(req, d, image);
	if (src == NULL)
		return api_error(req, 400, "fromImage or fromSrc is required");
	if (strcmp(src, "-") != 0)
		return api_error(req, 501, "importing from a URL is not supported "
		    "here: send the tarball in the request (docker import FILE, or "
		    "curl -o - URL | docker import -)");
	return images_api_import(req, d);
}

const struct api_endpoint images_create_routes[] = {
	{ { "POST", "/images/create", images_api_create,
	    API_PROVISION | API_BODY_STREAM, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
