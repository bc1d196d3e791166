/*
 * images.c: the Docker API's image routes, over libsdcimages
 * (dockerapi/images/images.h), and the image store's place in the daemon.
 *
 * The quick routes (list, inspect, history, tag, remove, prune) are store queries
 * on the loop thread and answer at once; the slow ones (pull, import, load,
 * save) live in images-pull.c and images-archive.c.  Images belong to an
 * account, keyed by its uuid, so a login can change without losing them.
 *
 * The registry settings are tunables: DOCKER_IO_MIRROR and
 * INSECURE_REGISTRIES reach the library at start and again after every
 * change, so the next pull uses them; pulls in flight keep their own.
 *
 * `docker search` answers 501.  Triton passed searches on to Docker Hub;
 * a data center that pulls docker.io through its own mirror has no index
 * to ask (a v2 registry has no search), and a list that silently misses
 * images would mislead more than a clear refusal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "images-api.h"
#include "jsonutil.h"
#include "log.h"
#include "xalloc.h"

/* ---- the container module's hook ---- */

/* No container module linked in: no container uses any image.  The
 * container module's own definition replaces this one. */
__attribute__((weak)) bool
containers_image_in_use(struct dockerapi *d, const char *account,
    const char *image_id, char **container, bool *running)
{
	return false;
}

static bool
images_in_use(void *arg, const char *account, const char *id, char **container,
    bool *running)
{
	return containers_image_in_use(arg, account, id, container, running);
}

/* ---- settings ---- */

/* INSECURE_REGISTRIES as a list: a JSON array, or a string of names
 * separated by commas or spaces (as typed into sapiadm). */
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
images_apply_tunables(struct dockerapi *d, void *arg)
{
	char **insecure = images_insecure_list(json_object_get(tunables_get(d),
	    "INSECURE_REGISTRIES"));
	char *mirror = images_mirror_url(tunable_str(d, "DOCKER_IO_MIRROR", ""),
	    insecure);

	images_configure(d->images, mirror, (const char *const *)insecure);
	for (char **p = insecure; *p != NULL; p++)
		free(*p);
	free(insecure);
	free(mirror);
}

int
images_api_init(struct dockerapi *d, sdc_error_t *err)
{
	struct images_opts opts = { .datadir = d->cfg.data_dir };

	if (images_open(&d->images, d->store, &opts, err) < 0)
		return -1;
	images_apply_tunables(d, NULL);
	tunables_on_change(d, images_apply_tunables, NULL);
	return 0;
}

void
images_api_free(struct dockerapi *d)
{
	imgjob_cancel_all();
	images_api_save_cancel_all();
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

/* ---- GET /images/json ---- */

/* Docker's filters: {"key": {"value": true}}, or {"key": ["value"]} from
 * older clients.  Each value list comes out NULL-terminated. */
static int
images_filter_values(json_t *filters, const char *key, const char ***out,
    sdc_error_t *err)
{
	json_t *v = json_object_get(filters, key), *e;
	const char *name;
	size_t n = 0, i;

	*out = NULL;
	if (v == NULL)
		return 0;
	*out = xcalloc((json_is_array(v) ? json_array_size(v) :
	    json_object_size(v)) + 1, sizeof **out);
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (json_is_string(e))
				(*out)[n++] = json_string_value(e);
	} else if (json_is_object(v)) {
		json_object_foreach(v, name, e)
			if (json_is_true(e))
				(*out)[n++] = name;
	} else
		return sdc_make_error_code(err, 400, "invalid filter '%s'", key);
	return 0;
}

static const char *const images_filter_keys[] = {
	"dangling", "label", "reference", "before", "since", NULL,
};

struct images_query {
	json_t *filters;
	const char **dangling, **labels, **refs, **before, **since;
	const char *legacy[2];          /* ?filter= of API < 1.41 */
};

static void
images_query_free(struct images_query *q)
{
	json_decref(q->filters);
	free(q->dangling);
	free(q->labels);
	free(q->refs);
	free(q->before);
	free(q->since);
}

static int
images_query_parse(struct http_request *req, struct images_query *q,
    sdc_error_t *err)
{
	const char *text = http_query(req, "filters"), *key;
	json_t *v;

	memset(q, 0, sizeof *q);
	q->filters = text != NULL && *text != '\0' ?
	    json_parse(text, strlen(text), err) : json_object();
	if (q->filters == NULL) {
		sdc_error_wrap(err, "invalid filters");
		(*err)->code = 400;
		return -1;
	}
	if (!json_is_object(q->filters))
		return sdc_make_error_code(err, 400, "invalid filters: not an object");
	json_object_foreach(q->filters, key, v) {
		size_t i;
		for (i = 0; images_filter_keys[i] != NULL; i++)
			if (strcmp(key, images_filter_keys[i]) == 0)
				break;
		if (images_filter_keys[i] == NULL)
			return sdc_make_error_code(err, 400, "invalid filter '%s'", key);
	}
	if (images_filter_values(q->filters, "dangling", &q->dangling, err) < 0 ||
	    images_filter_values(q->filters, "label", &q->labels, err) < 0 ||
	    images_filter_values(q->filters, "reference", &q->refs, err) < 0 ||
	    images_filter_values(q->filters, "before", &q->before, err) < 0 ||
	    images_filter_values(q->filters, "since", &q->since, err) < 0)
		return -1;
	if (q->dangling != NULL && q->dangling[0] != NULL &&
	    strcmp(q->dangling[0], "true") != 0 && strcmp(q->dangling[0], "1") != 0 &&
	    strcmp(q->dangling[0], "false") != 0 && strcmp(q->dangling[0], "0") != 0)
		return sdc_make_error_code(err, 400, "Invalid filter 'dangling=%s'",
		    q->dangling[0]);
	text = http_query(req, "filter");
	if (q->refs == NULL && text != NULL && *text != '\0' && api_minor(req) < 41) {
		q->legacy[0] = text;
	}
	return 0;
}

/* An RFC 3339 time in nanoseconds since the epoch; 0 if unreadable. */
static int64_t
images_time_ns(const char *s)
{
	struct tm tm = { 0 };
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	int64_t ns = 0, scale = 100000000;
	int sign, hh, mm;

	if (p == NULL)
		return 0;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			ns += (*p - '0') * scale;
	ns += (int64_t)timegm(&tm) * 1000000000;
	if ((*p == '+' || *p == '-') && sscanf(p + 1, "%d:%d", &hh, &mm) == 2) {
		sign = *p == '+' ? 1 : -1;
		ns -= sign * ((int64_t)hh * 3600 + mm * 60) * 1000000000;
	}
	return ns;
}

/* An image's creation time to the nanosecond, from its config. */
static int64_t
images_created_ns(struct dockerapi *d, const char *account, const char *id)
{
	sdc_error_t err = NULL;
	json_t *info;
	int64_t ns;

	if (images_inspect(d->images, account, id, &info, &err) < 0) {
		sdc_error_release(&err);
		return 0;
	}
	ns = images_time_ns(json_str(info, "Created", ""));
	json_decref(info);
	return ns;
}

/* -1, 0, 1 as image a was made before, with, after image b: by the
 * list's seconds, and to the nanosecond within one second, where chains
 * of images made by one script mostly are. */
static int
images_compare_created(struct dockerapi *d, const char *account,
    const json_t *a, const json_t *b)
{
	json_int_t sa = json_int(a, "Created", 0), sb = json_int(b, "Created", 0);
	int64_t na, nb;

	if (sa != sb)
		return sa < sb ? -1 : 1;
	na = images_created_ns(d, account, json_str(a, "Id", ""));
	nb = images_created_ns(d, account, json_str(b, "Id", ""));
	return na < nb ? -1 : na > nb;
}

/* before= and since=: strictly older, strictly newer than the image
 * `name` names. */
static int
images_time_filter(struct dockerapi *d, const char *account, json_t **list,
    const char *name, bool before, sdc_error_t *err)
{
	json_t *all, *keep, *e, *ref = NULL;
	char *id;
	size_t i;

	if (name == NULL)
		return 0;
	if (images_resolve(d->images, account, name, &id, err) < 0)
		return -1;
	if (images_list(d->images, account, NULL, &all, err) < 0) {
		free(id);
		return -1;
	}
	json_array_foreach(all, i, e)
		if (strcmp(json_str(e, "Id", ""), id) == 0)
			ref = e;
	free(id);
	keep = json_array();
	json_array_foreach(*list, i, e) {
		int c = ref != NULL ? images_compare_created(d, account, e, ref) : 0;
		if (before ? c < 0 : c > 0)
			json_array_append(keep, e);
	}
	json_decref(all);
	json_decref(*list);
	*list = keep;
	return 0;
}

static int
images_get_list(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	const char *account = api_account(req)->uuid;
	struct images_query q;
	struct images_filter f = { .dangling = -1 };
	sdc_error_t err = NULL;
	json_t *list = NULL;

	if (images_query_parse(req, &q, &err) < 0) {
		images_query_free(&q);
		return api_error_from(req, &err);
	}
	f.all = http_query_bool(req, "all", false);
	if (q.dangling != NULL && q.dangling[0] != NULL)
		f.dangling = strcmp(q.dangling[0], "true") == 0 ||
		    strcmp(q.dangling[0], "1") == 0;
	f.labels = q.labels;
	f.references = q.legacy[0] != NULL ? q.legacy : q.refs;
	if (images_list(d->images, account, &f, &list, &err) < 0 ||
	    images_time_filter(d, account, &list, q.before ? q.before[0] : NULL,
	    true, &err) < 0 ||
	    images_time_filter(d, account, &list, q.since ? q.since[0] : NULL,
	    false, &err) < 0) {
		json_decref(list);
		images_query_free(&q);
		return api_error_from(req, &err);
	}
	images_query_free(&q);
	return api_json(req, 200, list);
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
	    http_query_bool(req, "force", false), http_query_bool(req, "noprune", false),
	    images_in_use, d, &out, &err) < 0)
		return api_error_from(req, &err);
	return api_json(req, 200, out);
}

/* ---- POST /images/prune ---- */

/* Remove one unused image for prune, with all its references; adds what
 * was removed to `deleted` and its size to *space when it went. */
static void
images_prune_one(struct dockerapi *d, const char *account, json_t *img,
    json_t *deleted, json_int_t *space)
{
	const char *id = json_str(img, "Id", "");
	sdc_error_t err = NULL;
	char *ctr = NULL;
	bool running = false, gone = false;
	json_t *out, *e;
	size_t i;

	if (containers_image_in_use(d, account, id, &ctr, &running)) {
		free(ctr);
		return;
	}
	if (images_remove(d->images, account, id, true, false, images_in_use, d,
	    &out, &err) < 0) {
		log_warn("prune %s: %s", id, sdc_error_msg(err));
		sdc_error_release(&err);
		return;
	}
	json_array_foreach(out, i, e) {
		gone = gone || json_object_get(e, "Deleted") != NULL;
		json_array_append(deleted, e);
	}
	if (gone)
		*space += json_int(img, "Size", 0);
	json_decref(out);
}

/* Unused images: untagged ones, or all with dangling=false; label
 * narrows them down. */
static int
images_post_prune(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	const char *account = api_account(req)->uuid;
	struct images_filter f = { .dangling = 1 };
	struct images_query q;
	sdc_error_t err = NULL;
	json_t *list, *deleted = json_array(), *e;
	json_int_t space = 0;
	size_t i;

	if (images_query_parse(req, &q, &err) == 0 &&
	    (q.refs != NULL || q.before != NULL || q.since != NULL))
		sdc_make_error_code(&err, 400, "prune takes the filters dangling "
		    "and label");
	if (err != NULL) {
		images_query_free(&q);
		json_decref(deleted);
		return api_error_from(req, &err);
	}
	if (q.dangling != NULL && q.dangling[0] != NULL &&
	    (strcmp(q.dangling[0], "false") == 0 || strcmp(q.dangling[0], "0") == 0))
		f.dangling = -1;
	f.labels = q.labels;
	if (images_list(d->images, account, &f, &list, &err) < 0) {
		images_query_free(&q);
		json_decref(deleted);
		return api_error_from(req, &err);
	}
	json_array_foreach(list, i, e)
		images_prune_one(d, account, e, deleted, &space);
	json_decref(list);
	images_query_free(&q);
	if (json_array_size(deleted) == 0) {
		json_decref(deleted);
		deleted = json_null();
	}
	return api_json(req, 200, json_pack("{s:o,s:I}", "ImagesDeleted", deleted,
	    "SpaceReclaimed", space));
}

static int
images_search(struct http_request *req, void *arg)
{
	return api_error(req, 501, "docker search is not available in this data "
	    "center: docker.io images come through its registry mirror, which "
	    "has no search index; pull an image by its name");
}

/* The literal routes come before the "*name" ones: "/images/json" is the
 * list, not the inspection of an image called "json". */
const struct api_endpoint api_images_endpoints[] = {
	{ { "GET", "/images/json", images_get_list, 0, NULL }, 0 },
	{ { "GET", "/images/search", images_search, 0, NULL }, 0 },
	{ { "GET", "/images/get", images_api_save, 0, NULL }, 0 },
	{ { "POST", "/images/create", images_api_create,
	    API_PROVISION | API_BODY_STREAM, NULL }, 0 },
	{ { "POST", "/images/load", images_api_load,
	    API_PROVISION | API_BODY_STREAM, NULL }, 0 },
	{ { "POST", "/images/prune", images_post_prune, 0, NULL }, 25 },
	{ { "GET", "/images/*name/json", images_get_inspect, 0, NULL }, 0 },
	{ { "GET", "/images/*name/history", images_get_history, 0, NULL }, 0 },
	{ { "GET", "/images/*name/get", images_api_save, 0, NULL }, 0 },
	{ { "POST", "/images/*name/tag", images_post_tag, 0, NULL }, 0 },
	{ { "DELETE", "/images/*name", images_delete, 0, NULL }, 0 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
