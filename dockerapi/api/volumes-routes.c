/*
 * volumes-routes.c: the /volumes routes (`docker volume create, ls,
 * inspect, rm, prune`) over the account's volumes (volumes.c).
 *
 * Answers are dockerd's: its JSON of a volume, its filters (dangling,
 * name as a regular expression, label, driver), its messages ("get X: no
 * such volume", "volume is in use - [ids]").  Only the local driver is
 * offered, and of its options only size (a filesystem of that many bytes
 * for the volume, volumes.c); type, device and o would mount a host's
 * device or path: refused with a 400 saying so.  Prune
 * follows the API version asked: before 1.42 every unused volume goes,
 * from 1.42 only anonymous ones unless the filter all=true is given;
 * the sizes it reports are walked off the loop.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "jsonutil.h"
#include "log.h"
#include "size-walk.h"
#include "volumes.h"
#include "xalloc.h"

static const char *
vapi_account(struct http_request *req)
{
	return api_account(req)->uuid;
}

/* The filters query as an object, 400 for a key not in allowed. */
static int
vapi_filters(struct http_request *req, const char *const *allowed,
    json_t **out)
{
	const char *f = http_query(req, "filters"), *k;
	json_t *v;
	size_t i;

	*out = NULL;
	if (f == NULL || *f == '\0')
		return 0;
	*out = json_loads(f, 0, NULL);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return api_error(req, 400, "invalid filters: %s", f), -1;
	}
	json_object_foreach(*out, k, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], k) == 0)
				break;
		if (allowed[i] == NULL) {
			api_error(req, 400, "invalid filter '%s'", k);
			json_decref(*out);
			*out = NULL;
			return -1;
		}
	}
	return 0;
}

/* Every value of filter key matched by fn. */
static bool
vapi_each(const json_t *filters, const char *key,
    bool (*fn)(const struct volume *, const char *), const struct volume *v)
{
	json_t *vals = ctr_filter_values(filters, key), *x;
	bool ok = true;
	size_t i;

	json_array_foreach(vals, i, x)
		ok = ok && fn(v, json_string_value(x) ?: "");
	json_decref(vals);
	return ok;
}

static bool
vapi_label(const struct volume *v, const char *f)
{
	return labels_match(v->labels, f);
}

static bool
vapi_not_label(const struct volume *v, const char *f)
{
	return !labels_match(v->labels, f);
}

static bool
vapi_driver(const struct volume *v, const char *f)
{
	(void)v;
	return strcmp(f, "local") == 0;
}

/* Docker matches names as a regular expression. */
static bool
vapi_name(const struct volume *v, const char *f)
{
	regex_t re;
	bool ok;

	if (regcomp(&re, f, REG_EXTENDED | REG_NOSUB) != 0)
		return strstr(v->name, f) != NULL;
	ok = regexec(&re, v->name, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

/* dangling: true/1 or false/0; 400 for anything else. */
static int
vapi_dangling(struct http_request *req, const json_t *filters, int *want)
{
	json_t *vals = ctr_filter_values(filters, "dangling");
	const char *s = json_string_value(json_array_get(vals, 0));

	*want = -1;
	if (s != NULL) {
		if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
			*want = 1;
		else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
			*want = 0;
		else {
			json_decref(vals);
			return api_error(req, 400, "invalid filter "
			    "'dangling=%s'", s), -1;
		}
	}
	json_decref(vals);
	return 0;
}

static bool
vapi_in_use(struct dockerapi *d, const struct volume *v)
{
	sdc_error_t err = NULL;
	json_t *u = volume_users(d, v, &err);
	bool used = u == NULL || json_array_size(u) > 0;

	sdc_error_release(&err);
	json_decref(u);
	return used;
}

static int
vapi_list(struct http_request *req, void *arg)
{
	static const char *const allowed[] = { "dangling", "name", "label",
	    "label!", "driver", NULL };
	struct dockerapi *d = arg;
	struct volume **vs;
	sdc_error_t err = NULL;
	json_t *filters, *out;
	size_t n, i;
	int dangling;

	if (vapi_filters(req, allowed, &filters) < 0)
		return HTTP_DONE;
	if (vapi_dangling(req, filters, &dangling) < 0) {
		json_decref(filters);
		return HTTP_DONE;
	}
	if (volumes_list(d, vapi_account(req), &vs, &n, &err) < 0) {
		json_decref(filters);
		return api_error_from(req, &err);
	}
	out = json_array();
	for (i = 0; i < n; i++) {
		if (!vapi_each(filters, "name", vapi_name, vs[i]) ||
		    !vapi_each(filters, "label", vapi_label, vs[i]) ||
		    !vapi_each(filters, "label!", vapi_not_label, vs[i]) ||
		    !vapi_each(filters, "driver", vapi_driver, vs[i]) ||
		    (dangling >= 0 && vapi_in_use(d, vs[i]) == (dangling == 1)))
			continue;
		json_array_append_new(out, volume_json(d, vs[i], false));
	}
	volumes_free(vs, n);
	json_decref(filters);
	return api_json(req, 200, json_pack("{s:o,s:n}", "Volumes", out,
	    "Warnings"));
}

/* The local driver's options: only size (a filesystem of that many
 * bytes); type, device and o would mount a device or path of the host.
 * Anything else is answered 400 here (rc -1). */
static int
vapi_opts(struct http_request *req, const char *name, const json_t *opts,
    int64_t *size)
{
	const char *k, *text;
	json_t *v;

	*size = 0;
	if (opts != NULL && !json_is_null(opts) && !json_is_object(opts))
		return api_error(req, 400, "DriverOpts must be an object"), -1;
	json_object_foreach((json_t *)opts, k, v) {
		if (strcmp(k, "size") != 0)
			return api_error(req, 400, "create %s: volume option "
			    "(--opt %s) is not offered: only size is; the local "
			    "driver's type, device and o would mount a device or "
			    "path of the host", name, k), -1;
		text = json_string_value(v);
		if (text == NULL || (*size = opt_size(text)) <= 0)
			return api_error(req, 400, "create %s: invalid size "
			    "\"%s\" (--opt size): a number of bytes, or with "
			    "k, m or g (\"512m\")", name, text ?: ""), -1;
	}
	return 0;
}

/* A create whose account filesystem is made off the loop
 * (volumes_account_fs_start): the rest is done when it is ready. */
struct vapi_creating {
	struct dockerapi *d;
	char account[37];
	char *login;
	char *name;			/* NULL: a generated one */
	json_t *labels;
	int64_t size;
};

static void
vapi_creating_free(struct vapi_creating *o)
{
	free(o->login);
	free(o->name);
	json_decref(o->labels);
	free(o);
}

static void
vapi_create_made(void *arg, struct http_request *req, struct volume *v,
    bool made, sdc_error_t *err)
{
	struct vapi_creating *o = arg;

	if (v != NULL && made)
		log_emit(LOG_INFO, req != NULL ? req->req_id : NULL, NULL,
		    "created volume %s (%s) for %s", v->name, v->uuid, o->login);
	if (req == NULL)
		;			/* the client left: nothing to answer */
	else if (v == NULL)
		api_error_from(req, err);
	else
		api_json(req, 201, volume_json(o->d, v, false));
	if (v != NULL)
		volume_free(v);
	vapi_creating_free(o);
}

/* The account's filesystem is ready: the volume is made, a size's own
 * filesystem on a thread as well (volume_create_start). */
static void
vapi_create_fs_ready(void *arg, struct http_request *req, int rc,
    sdc_error_t *err)
{
	struct vapi_creating *o = arg;

	if (req == NULL)
		vapi_creating_free(o);	/* the client left: nothing is made */
	else if (rc < 0) {
		api_error_from(req, err);
		vapi_creating_free(o);
	} else
		volume_create_start(o->d, req, o->account, o->name, o->labels,
		    o->size, vapi_create_made, o);
}

static int
vapi_create(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	sdc_error_t err = NULL;
	const char *name, *driver;
	struct vapi_creating *o;
	json_t *body, *opts, *labels;
	int64_t size;
	int rc;

	if ((body = http_body_json(req, &err)) == NULL || !json_is_object(body)) {
		json_decref(body);
		if (err == NULL)
			sdc_make_error_code(&err, 400, "the body must be a JSON "
			    "object");
		return api_error_from(req, &err);
	}
	name = json_str(body, "Name", "");
	driver = json_str(body, "Driver", "");
	opts = json_object_get(body, "DriverOpts");
	labels = json_object_get(body, "Labels");
	if (*driver != '\0' && strcmp(driver, "local") != 0)
		rc = api_error(req, 400, "create %s: volume driver \"%s\" is not "
		    "offered: only the local driver is", name, driver);
	else if (vapi_opts(req, name, opts, &size) < 0)
		rc = -1;
	else if (labels != NULL && !json_is_null(labels) &&
	    !json_is_object(labels))
		rc = api_error(req, 400, "Labels must be an object");
	else {
		o = xcalloc(1, sizeof *o);
		o->d = d;
		snprintf(o->account, sizeof o->account, "%s", vapi_account(req));
		o->login = xstrdup(api_account(req)->login);
		o->name = *name != '\0' ? xstrdup(name) : NULL;
		o->labels = json_is_object(labels) ? json_incref(labels) : NULL;
		o->size = size;
		if (volumes_account_fs_start(d, req, o->account, o->name,
		    vapi_create_fs_ready, o, &err) < 0) {
			vapi_creating_free(o);
			rc = api_error_from(req, &err);
		} else
			rc = HTTP_ASYNC;
	}
	json_decref(body);
	return rc;
}

static int
vapi_inspect(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	sdc_error_t err = NULL;
	struct volume *v;
	int rc;

	if ((v = volume_get(d, vapi_account(req), http_param(req, "name"),
	    &err)) == NULL)
		return api_error_from(req, &err);
	rc = api_json(req, 200, volume_json(d, v, false));
	volume_free(v);
	return rc;
}

static int
vapi_delete(struct http_request *req, void *arg)
{
	struct dockerapi *d = arg;
	sdc_error_t err = NULL;
	struct volume *v;

	v = volume_get(d, vapi_account(req), http_param(req, "name"), &err);
	if (v == NULL) {
		if (err->code == 404 && http_query_bool(req, "force", false)) {
			sdc_error_release(&err);
			return http_reply(req, 204, NULL, NULL, 0);
		}
		return api_error_from(req, &err);
	}
	if (volume_remove(d, v, &err) < 0) {
		volume_free(v);
		return api_error_from(req, &err);
	}
	log_emit(LOG_INFO, req->req_id, NULL, "removed volume %s (%s) of %s",
	    v->name, v->uuid, api_account(req)->login);
	volume_free(v);
	return http_reply(req, 204, NULL, NULL, 0);
}

/* Prune's SpaceReclaimed is the size of the volumes it removes, each a
 * walk of as many files as the tenant made: the walk runs on a thread
 * (size-walk.c) and the volumes go in its done function, back on the
 * loop, but for one a container took or a request removed meanwhile. */
struct vprune {
	struct dockerapi *d;
	char account[37];
	struct volume **vs;
	size_t n;
};

static void
vprune_done(void *arg, struct http_request *req, const int64_t *sizes)
{
	struct vprune *p = arg;
	struct volume *now;
	sdc_error_t err = NULL;
	json_t *deleted = json_array();
	int64_t reclaimed = 0;
	size_t i;

	for (i = 0; i < p->n; i++) {
		now = volume_get(p->d, p->account, p->vs[i]->name, &err);
		sdc_error_release(&err);
		if (now == NULL || strcmp(now->uuid, p->vs[i]->uuid) != 0 ||
		    vapi_in_use(p->d, now) || volume_remove(p->d, now,
		    &err) < 0) {
			sdc_error_release(&err);
			volume_free(now);
			continue;
		}
		volume_free(now);
		if (sizes[i] > 0)
			reclaimed += sizes[i];
		json_array_append_new(deleted, json_string(p->vs[i]->name));
	}
	volumes_free(p->vs, p->n);
	free(p);
	if (req == NULL) {
		json_decref(deleted);
		return;
	}
	api_json(req, 200, json_pack("{s:o,s:I}", "VolumesDeleted",
	    json_array_size(deleted) > 0 ? deleted : (json_decref(deleted),
	    json_null()), "SpaceReclaimed", (json_int_t)reclaimed));
}

static int
vapi_prune(struct http_request *req, void *arg)
{
	static const char *const allowed[] = { "label", "label!", "all", NULL };
	struct dockerapi *d = arg;
	struct volume **vs;
	struct size_walk *w;
	struct vprune *p;
	sdc_error_t err = NULL;
	json_t *filters, *all;
	const char *a;
	bool only_anon;
	size_t n, i;

	if (vapi_filters(req, allowed, &filters) < 0)
		return HTTP_DONE;
	all = ctr_filter_values(filters, "all");
	a = json_string_value(json_array_get(all, 0));
	only_anon = api_minor(req) >= 42 && !(a != NULL &&
	    (strcmp(a, "true") == 0 || strcmp(a, "1") == 0));
	json_decref(all);
	if (volumes_list(d, vapi_account(req), &vs, &n, &err) < 0) {
		json_decref(filters);
		return api_error_from(req, &err);
	}
	p = xcalloc(1, sizeof *p);
	p->d = d;
	snprintf(p->account, sizeof p->account, "%s", vapi_account(req));
	p->vs = xcalloc(n + 1, sizeof *p->vs);
	w = size_walk_new(ctrs(d));
	for (i = 0; i < n; i++) {
		if ((only_anon && !vs[i]->anonymous) ||
		    !vapi_each(filters, "label", vapi_label, vs[i]) ||
		    !vapi_each(filters, "label!", vapi_not_label, vs[i]) ||
		    vapi_in_use(d, vs[i])) {
			volume_free(vs[i]);
			continue;
		}
		size_walk_add_dir(w, volume_dir(d, vs[i]));
		p->vs[p->n++] = vs[i];
	}
	free(vs);
	json_decref(filters);
	if (size_walk_start(w, d->base, req, vprune_done, p, &err) < 0) {
		volumes_free(p->vs, p->n);
		free(p);
		return api_error_from(req, &err);
	}
	return HTTP_ASYNC;
}

#define R(m, p, h, f, v) { { m, p, h, f, NULL }, v }

const struct api_endpoint volumes_routes[] = {
	R("POST", "/volumes/create", vapi_create, API_PROVISION, 21),
	R("GET", "/volumes", vapi_list, 0, 21),
	R("POST", "/volumes/prune", vapi_prune, 0, 25),
	R("GET", "/volumes/:name", vapi_inspect, 0, 21),
	R("DELETE", "/volumes/:name", vapi_delete, 0, 21),
	{ { NULL, NULL, NULL, 0, NULL }, 0 },
};
