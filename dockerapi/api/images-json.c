/*
 * images-json.c: the image list (GET /images/json) with Docker's filters,
 * and prune, which removes what a filtered list names.
 *
 * The library filters by dangling, label and reference as it reads the
 * store; before and since need the image they name resolved first, so
 * they are applied here, on the list the library gave.  Creation times
 * are compared by the list's seconds and, within one second, to the
 * nanosecond from the image configs: chains of images built by one script
 * are mostly made within a second of each other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "images-api.h"
#include "jsonutil.h"
#include "log.h"
#include "timeutil.h"
#include "xalloc.h"

/* Docker's filters: {"key": {"value": true}}, or {"key": ["value"]} from
 * older clients.  Each value list comes out NULL-terminated. */
static int
imglist_filter_values(json_t *filters, const char *key, const char ***out,
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

static const char *const imglist_filter_keys[] = {
	"dangling", "label", "reference", "before", "since", NULL,
};

struct imglist_query {
	json_t *filters;
	const char **dangling, **labels, **refs, **before, **since;
	const char *legacy[2];          /* ?filter= of API < 1.41 */
};

static void
imglist_query_free(struct imglist_query *q)
{
	json_decref(q->filters);
	free(q->dangling);
	free(q->labels);
	free(q->refs);
	free(q->before);
	free(q->since);
}

static int
imglist_query_parse(struct http_request *req, struct imglist_query *q,
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
		for (i = 0; imglist_filter_keys[i] != NULL; i++)
			if (strcmp(key, imglist_filter_keys[i]) == 0)
				break;
		if (imglist_filter_keys[i] == NULL)
			return sdc_make_error_code(err, 400, "invalid filter '%s'", key);
	}
	if (imglist_filter_values(q->filters, "dangling", &q->dangling, err) < 0 ||
	    imglist_filter_values(q->filters, "label", &q->labels, err) < 0 ||
	    imglist_filter_values(q->filters, "reference", &q->refs, err) < 0 ||
	    imglist_filter_values(q->filters, "before", &q->before, err) < 0 ||
	    imglist_filter_values(q->filters, "since", &q->since, err) < 0)
		return -1;
	if (q->dangling != NULL && q->dangling[0] != NULL &&
	    strcmp(q->dangling[0], "true") != 0 && strcmp(q->dangling[0], "1") != 0 &&
	    strcmp(q->dangling[0], "false") != 0 && strcmp(q->dangling[0], "0") != 0)
		return sdc_make_error_code(err, 400, "Invalid filter 'dangling=%s'",
		    q->dangling[0]);
	text = http_query(req, "filter");
	if (q->refs == NULL && text != NULL && *text != '\0' && api_minor(req) < 41)
		q->legacy[0] = text;
	return 0;
}

/* An image's creation time to the nanosecond, from its config. */
static int64_t
imglist_created_ns(struct dockerapi *d, const char *account, const char *id)
{
	sdc_error_t err = NULL;
	json_t *info;
	int64_t ns;

	if (images_inspect(d->images, account, id, &info, &err) < 0) {
		sdc_error_release(&err);
		return 0;
	}
	if (time_parse_rfc3339(json_str(info, "Created", ""), &ns, NULL) < 0)
		ns = 0;
	json_decref(info);
	return ns;
}

/* -1, 0, 1 as image a was made before, with, after image b: by the
 * list's seconds, and to the nanosecond within one second, where chains
 * of images made by one script mostly are. */
static int
imglist_compare_created(struct dockerapi *d, const char *account,
    const json_t *a, const json_t *b)
{
	json_int_t sa = json_int(a, "Created", 0), sb = json_int(b, "Created", 0);
	int64_t na, nb;

	if (sa != sb)
		return sa < sb ? -1 : 1;
	na = imglist_created_ns(d, account, json_str(a, "Id", ""));
	nb = imglist_created_ns(d, account, json_str(b, "Id", ""));
	return na < nb ? -1 : na > nb;
}

/* before= and since=: strictly older, strictly newer than the image
 * `name` names. */
static int
imglist_time_filter(struct dockerapi *d, const char *account, json_t **list,
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
		int c = ref != NULL ? imglist_compare_created(d, account, e, ref) : 0;
		if (before ? c < 0 : c > 0)
			json_array_append(keep, e);
	}
	json_decref(all);
	json_decref(*list);
	*list = keep;
	return 0;
}

int
images_api_list(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	const char *account = api_account(req)->uuid;
	struct imglist_query q;
	struct images_filter f = { .dangling = -1 };
	sdc_error_t err = NULL;
	json_t *list = NULL;

	if (imglist_query_parse(req, &q, &err) < 0) {
		imglist_query_free(&q);
		return api_error_from(req, &err);
	}
	f.all = http_query_bool(req, "all", false);
	if (q.dangling != NULL && q.dangling[0] != NULL)
		f.dangling = strcmp(q.dangling[0], "true") == 0 ||
		    strcmp(q.dangling[0], "1") == 0;
	f.labels = q.labels;
	f.references = q.legacy[0] != NULL ? q.legacy : q.refs;
	if (images_list(d->images, account, &f, &list, &err) < 0 ||
	    imglist_time_filter(d, account, &list, q.before ? q.before[0] : NULL,
	    true, &err) < 0 ||
	    imglist_time_filter(d, account, &list, q.since ? q.since[0] : NULL,
	    false, &err) < 0) {
		json_decref(list);
		imglist_query_free(&q);
		return api_error_from(req, &err);
	}
	imglist_query_free(&q);
	return api_json(req, 200, list);
}

/* ---- POST /images/prune ---- */

/* Remove one unused image for prune, with all its references; adds what
 * was removed to `deleted` and its size to *space when it went. */
static void
imglist_prune_one(struct dockerapi *d, const char *account, json_t *img,
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
	if (images_remove(d->images, account, id, true, false, images_api_in_use, d,
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
int
images_api_prune(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	const char *account = api_account(req)->uuid;
	struct images_filter f = { .dangling = 1 };
	struct imglist_query q;
	sdc_error_t err = NULL;
	json_t *list, *deleted = json_array(), *e;
	json_int_t space = 0;
	size_t i;

	if (imglist_query_parse(req, &q, &err) == 0 &&
	    (q.refs != NULL || q.before != NULL || q.since != NULL))
		sdc_make_error_code(&err, 400, "prune takes the filters dangling "
		    "and label");
	if (err != NULL) {
		imglist_query_free(&q);
		json_decref(deleted);
		return api_error_from(req, &err);
	}
	if (q.dangling != NULL && q.dangling[0] != NULL &&
	    (strcmp(q.dangling[0], "false") == 0 || strcmp(q.dangling[0], "0") == 0))
		f.dangling = -1;
	f.labels = q.labels;
	if (images_list(d->images, account, &f, &list, &err) < 0) {
		imglist_query_free(&q);
		json_decref(deleted);
		return api_error_from(req, &err);
	}
	json_array_foreach(list, i, e)
		imglist_prune_one(d, account, e, deleted, &space);
	json_decref(list);
	imglist_query_free(&q);
	if (json_array_size(deleted) == 0) {
		json_decref(deleted);
		deleted = json_null();
	}
	return api_json(req, 200, json_pack("{s:o,s:I}", "ImagesDeleted", deleted,
	    "SpaceReclaimed", space));
}


const struct api_endpoint images_json_routes[] = {
	{ { "GET", "/images/json", images_api_list, 0, NULL }, 0 },
	{ { "POST", "/images/prune", images_api_prune, 0, NULL }, 25 },
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
