/*
 * images-routes.c: the Docker API's image routes, over libsdcimages
 * (dockerapi/images/images.h), and the image store's place in the daemon.
 *
 * The quick routes (inspect, history, tag, remove here; list and prune in
 * images-json.c) are store queries on the loop thread and answer at once;
 * the slow ones (pull, import, load, save) live in images-create.c and
 * images-save-load.c.  Images belong to an
 * account, keyed by its uuid, so a login can change without losing them.
 *
 * The registry settings are tunables: DOCKER_IO_MIRROR,
 * INSECURE_REGISTRIES and REGISTRY_ALLOW_PRIVATE (registries that may be on
 * loopback or private addresses, beside the first two) reach the library
 * at start and again after every change, so the next pull uses them;
 * pulls in flight keep their own.
 *
 * `docker search` answers 501.  Triton passed searches on to Docker Hub;
 * a data center that pulls docker.io through its own mirror has no index
 * to ask (a v2 registry has no search), and a list that silently misses
 * images would mislead more than a clear refusal.
 */
#include <stdlib.h>
#include <string.h>

#include "images-api.h"
#include "jsonutil.h"
#include "log.h"
#include "thread-stream.h"
#include "tree-remove.h"
#include "xalloc.h"

/* ---- the container module's hook ---- */

bool
images_api_in_use(void *arg, const char *account, const char *id,
    char **container, bool *running)
{
	return containers_image_in_use(arg, account, id, container, running);
}

/* ---- settings ---- */

/* INSECURE_REGISTRIES (or REGISTRY_ALLOW_PRIVATE) as a list: a JSON
 * array, or a string of names separated by commas or spaces (as typed
 * into sapiadm). */
static char **
images_insecure_list(const json_t *v)
{
	char **list, *copy, *tok, *save;
	size_t n = 0, i;
	json_t *e;

	if (json_is_array(v)) {
		list = xcalloc(json_array_size(v) + 1, sizeof *list);
		json_array_foreach(v, i, e)
			if (json_is_string(e) && *json_string_value(e) != '\0')
				list[n++] = xstrdup(json_string_value(e));
		return list;
	}
	copy = xstrdup(json_is_string(v) ? json_string_value(v) : "");
	list = xcalloc(strlen(copy) / 2 + 2, sizeof *list);
	for (tok = strtok_r(copy, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save))
		list[n++] = xstrdup(tok);
	free(copy);
	return list;
}

static bool
images_listed(char *const *list, const char *host)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, host) == 0)
			return true;
	return false;
}

/* The mirror as a URL.  Operators write "10.0.0.5:5000" as often as
 * "https://10.0.0.5:5000": without a scheme it is plain HTTP when the host
 * is listed as insecure or is a loopback address, HTTPS otherwise. */
static char *
images_mirror_url(const char *mirror, char *const *insecure)
{
	char *url;

	if (*mirror == '\0' || strstr(mirror, "://") != NULL)
		return xstrdup(mirror);
	if (images_listed(insecure, mirror) || strncmp(mirror, "127.", 4) == 0 ||
	    strncmp(mirror, "localhost", 9) == 0 || strncmp(mirror, "[::1]", 5) == 0)
		xasprintf(&url, "http://%s", mirror);
	else
		xasprintf(&url, "https://%s", mirror);
	return url;
}

static void
images_list_free(char **list)
{
	for (char **p = list; *p != NULL; p++)
		free(*p);
	free(list);
}

static void
images_apply_tunables(struct dockerapi *d, void *arg)
{
	char **insecure = images_insecure_list(json_object_get(tunables_get(d),
	    "INSECURE_REGISTRIES"));
	char **allow = images_insecure_list(json_object_get(tunables_get(d),
	    "REGISTRY_ALLOW_PRIVATE"));
	char *mirror = images_mirror_url(tunable_str(d, "DOCKER_IO_MIRROR", ""),
	    insecure);

	(void)arg;
	images_configure(d->images, mirror, (const char *const *)insecure,
	    (const char *const *)allow);
	images_list_free(insecure);
	images_list_free(allow);
	free(mirror);
}

static void
images_api_reap(void *arg, char *dir)
{
	struct dockerapi *d = arg;

	tree_remove_async(d->base, dir, NULL, NULL);
}

int
images_api_init(struct dockerapi *d, sdc_error_t *err)
{
	struct images_opts opts = { .datadir = d->cfg.data_dir };

	if (images_open(&d->images, d->store, &opts, err) < 0)
		return -1;
	/* a layer's files unlinked off the loop, rmi answered once it is
	 * out of sight (tree-remove.c) */
	images_set_reaper(d->images, images_api_reap, d);
	images_apply_tunables(d, NULL);
	tunables_on_change(d, images_apply_tunables, NULL);
	return 0;
}

void
images_api_free(struct dockerapi *d)
{
	imgjob_cancel_all();
	thread_stream_cancel_all();
	images_close(d->images);
	d->images = NULL;
}

int
images_api_count(struct dockerapi *d, const struct account *a)
{
	json_t *list;
	sdc_error_t err = NULL;
	int n;

	if (d->images == NULL)
		return 0;
	if (images_list(d->images, a->uuid, NULL, &list, &err) < 0) {
		log_warn("counting images: %s", sdc_error_msg(err));
		sdc_error_release(&err);
		return 0;
	}
	n = (int)json_array_size(list);
	json_decref(list);
	return n;
}

/* Remove every image of an account (its containers are gone first):
 * what deleting the account with force means.  Layers other accounts
 * share stay. */
int
images_api_remove_account(struct dockerapi *d, const char *account, sdc_error_t *err)
{
	json_t *list, *img, *out;
	size_t i;
	int rc = 0;

	if (d->images == NULL)
		return 0;
	if (images_list(d->images, account, NULL, &list, err) < 0)
		return -1;
	json_array_foreach(list, i, img) {
		if (images_remove(d->images, account, json_str(img, "Id", ""), true,
		    false, images_api_in_use, d, &out, err) < 0) {
			rc = -1;
			break;
		}
		json_decref(out);
	}
	json_decref(list);
	return rc;
}

/* ---- one image ---- */

static int
images_get_inspect(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	sdc_error_t err = NULL;
	json_t *out;

	if (images_inspect(d->images, api_account(req)->uuid, http_param(req, "name"),
	    &out, &err) < 0)
		return api_error_from(req, &err);
	return api_json(req, 200, out);
}

static int
images_get_history(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	sdc_error_t err = NULL;
	json_t *out;

	if (images_history(d->images, api_account(req)->uuid, http_param(req, "name"),
	    &out, &err) < 0)
		return api_error_from(req, &err);
	return api_json(req, 200, out);
}

static int
images_post_tag(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	const char *repo = http_query(req, "repo"), *tag = http_query(req, "tag");
	sdc_error_t err = NULL;
	char *target;
	int rc;

	if (repo == NULL || *repo == '\0')
		return api_error(req, 400, "repository name must have at least one "
		    "component");
	if (tag != NULL && *tag != '\0')
		xasprintf(&target, "%s:%s", repo, tag);
	else
		target = xstrdup(repo);
	rc = images_tag(d->images, api_account(req)->uuid, http_param(req, "name"),
	    target, &err);
	free(target);
	if (rc < 0)
		return api_error_from(req, &err);
	http_reply(req, 201, NULL, NULL, 0);
	return HTTP_DONE;
}

static int
images_delete(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	sdc_error_t err = NULL;
	json_t *out;

	if (images_remove(d->images, api_account(req)->uuid, http_param(req, "name"),
	    http_query_bool(req, "force", false),
	    http_query_bool(req, "noprune", false), images_api_in_use, d, &out,
	    &err) < 0)
		return api_error_from(req, &err);
	return api_json(req, 200, out);
}

static int
images_search(struct http_request *req, void *arg)
{
	return api_error(req, 501, "docker search is not available in this data "
	    "center: docker.io images come through its registry mirror, which "
	    "has no search index; pull an image by its name");
}

const struct api_endpoint images_routes[] = {
	{ { "GET", "/images/search", images_search, 0, NULL }, 0 },
	{ { "GET", "/images/*name/json", images_get_inspect, 0, NULL }, 0 },
	{ { "GET", "/images/*name/history", images_get_history, 0, NULL }, 0 },
	{ { "POST", "/images/*name/tag", images_post_tag, 0, NULL }, 0 },
	{ { "DELETE", "/images/*name", images_delete, 0, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
