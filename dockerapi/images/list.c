/*
 * list.c: name resolution and the read-only views -- the image list,
 * inspect, history -- in the shapes of Docker's API.
 *
 * Every query goes through the account: an image exists for an account only
 * through its image_owners row, so another account's image is "No such
 * image" even when its id is given in full.  Names resolve as Docker
 * resolves them: a reference first (repo:tag, repo@digest), then an id or
 * id prefix with or without "sha256:".
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "images-int.h"
#include "jsonutil.h"
#include "xalloc.h"

static char *
list_by_ref(struct images *im, const char *account, const char *name,
    sdc_error_t *err)
{
	struct image_ref ref;
	sdc_error_t perr = NULL;
	char *repo, *id;

	if (image_ref_parse_notag(&ref, name, &perr) < 0) {
		sdc_error_release(&perr);
		return NULL;
	}
	repo = image_ref_repo(&ref);
	if (ref.digest != NULL)
		id = meta_string(im, err, "SELECT image_id FROM image_digests WHERE "
		    "account = ? AND repo = ? AND digest = ?", "ttt", account, repo,
		    ref.digest);
	else
		id = meta_string(im, err, "SELECT image_id FROM image_tags WHERE "
		    "account = ? AND repo = ? AND tag = ?", "ttt", account, repo,
		    ref.tag ? ref.tag : "latest");
	free(repo);
	image_ref_free(&ref);
	return id;
}

static char *
list_by_id(struct images *im, const char *account, const char *name,
    sdc_error_t *err)
{
	const char *hex = strncmp(name, "sha256:", 7) == 0 ? name + 7 : name;
	struct store_stmt *q;
	char *pattern, *id = NULL;
	int n = 0, r;

	if (!docker_id_prefix_valid(hex))
		return NULL;
	xasprintf(&pattern, "sha256:%s%%", hex);
	q = meta_query(im, err, "SELECT image_id FROM image_owners WHERE account = ? "
	    "AND image_id LIKE ? LIMIT 2", "tt", account, pattern);
	free(pattern);
	if (q == NULL)
		return NULL;
	while ((r = store_step(q, err)) == 1 && n++ == 0)
		id = xstrdup(store_col_text(q, 0));
	store_finalize(q);
	if (n > 1) {
		free(id);
		sdc_make_error_code(err, 400,
		    "multiple images found with id prefix %s", hex);
		return NULL;
	}
	return id;
}

int
images_resolve(struct images *im, const char *account, const char *name,
    char **id, sdc_error_t *err)
{
	char *found = list_by_ref(im, account, name, err);

	if (found == NULL && *err == NULL)
		found = list_by_id(im, account, name, err);
	if (found == NULL && *err == NULL)
		return sdc_make_error_code(err, 404, "No such image: %s", name);
	if (found == NULL)
		return -1;
	*id = found;
	return 0;
}

int
meta_image_tags(struct images *im, const char *account, const char *id,
    struct strvec *tags, struct strvec *digests, sdc_error_t *err)
{
	struct store_stmt *q;
	char *fam, *s;
	int r;

	q = meta_query(im, err, "SELECT repo, tag FROM image_tags WHERE account = ? "
	    "AND image_id = ? ORDER BY added, repo, tag", "tt", account, id);
	if (q == NULL)
		return -1;
	while (tags != NULL && (r = store_step(q, err)) == 1) {
		fam = refs_familiar_repo(store_col_text(q, 0));
		xasprintf(&s, "%s:%s", fam, store_col_text(q, 1));
		strvec_push(tags, s);
		free(s);
		free(fam);
	}
	store_finalize(q);
	if (digests == NULL)
		return *err ? -1 : 0;
	q = meta_query(im, err, "SELECT repo, digest FROM image_digests WHERE "
	    "account = ? AND image_id = ? ORDER BY repo, digest", "tt", account, id);
	if (q == NULL)
		return -1;
	while ((r = store_step(q, err)) == 1) {
		fam = refs_familiar_repo(store_col_text(q, 0));
		xasprintf(&s, "%s@%s", fam, store_col_text(q, 1));
		strvec_push(digests, s);
		free(s);
		free(fam);
	}
	store_finalize(q);
	return *err ? -1 : 0;
}

int
meta_image_get(struct images *im, const char *id, json_t **config,
    struct job_layer **layers, size_t *nlayers, sdc_error_t *err)
{
	struct store_stmt *q;
	char *text;
	size_t n = 0, cap = 0;
	struct job_layer *l = NULL;
	int r;

	if (config != NULL) {
		text = meta_string(im, err, "SELECT config FROM images WHERE id = ?",
		    "t", id);
		if (text == NULL && *err != NULL)
			return -1;
		if (text == NULL)
			return sdc_make_error_code(err, 404, "No such image: %s", id);
		*config = json_parse(text, strlen(text), err);
		free(text);
		if (*config == NULL)
			return -1;
	}
	if (layers == NULL)
		return 0;
	q = meta_query(im, err, "SELECT diff_id, blob, media_type, blob_size, size "
	    "FROM image_layers WHERE image_id = ? ORDER BY idx", "t", id);
	if (q == NULL)
		return -1;
	while ((r = store_step(q, err)) == 1) {
		if (n + 1 >= cap) {
			cap = cap ? 2 * cap : 8;
			l = xrealloc(l, cap * sizeof *l);
		}
		l[n].diff_id = xstrdup(store_col_text(q, 0));
		l[n].digest = xstrdup(store_col_text(q, 1));
		l[n].media_type = xstrdup(store_col_text(q, 2));
		l[n].blob_size = store_col_int64(q, 3);
		l[n].size = store_col_int64(q, 4);
		n++;
	}
	store_finalize(q);
	*layers = l;
	*nlayers = n;
	if (r < 0) {
		job_layers_free(l, n);
		*layers = NULL;
		return -1;
	}
	return 0;
}

static json_t *
list_strv_json(const struct strvec *sv)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

static bool
list_labels_match(json_t *labels, const char *const *want)
{
	for (size_t i = 0; want != NULL && want[i] != NULL; i++) {
		const char *eq = strchr(want[i], '=');
		char *key = eq ? xstrndup(want[i], (size_t)(eq - want[i])) :
		    xstrdup(want[i]);
		const char *v = json_string_value(json_object_get(labels, key));
		bool ok = v != NULL && (eq == NULL || strcmp(v, eq + 1) == 0);
		free(key);
		if (!ok)
			return false;
	}
	return true;
}

/* Keep the references ("repo:tag", or "repo@digest" with sep '@') that
 * match any pattern, as a whole or by their repository; false when none
 * does.  Docker filters both RepoTags and RepoDigests this way. */
static bool
list_refs_match(struct strvec *refs, const char *const *patterns, char sep)
{
	struct strvec keep = { 0 };

	if (patterns == NULL || patterns[0] == NULL)
		return true;
	for (size_t i = 0; i < refs->n; i++) {
		char *name = xstrdup(refs->v[i]), *cut = strrchr(name, sep);
		bool ok = false;
		if (sep == '@' && cut != NULL)
			cut = strchr(name, '@');
		for (size_t j = 0; patterns[j] != NULL && !ok; j++) {
			ok = fnmatch(patterns[j], refs->v[i], 0) == 0;
			if (cut != NULL)
				*cut = '\0';
			ok = ok || fnmatch(patterns[j], name, 0) == 0;
			if (cut != NULL)
				*cut = sep;
		}
		if (ok)
			strvec_push(&keep, refs->v[i]);
		free(name);
	}
	strvec_clear(refs);
	*refs = keep;
	return keep.n > 0;
}

static json_t *
list_summary(const char *id, json_t *config, int64_t created, int64_t size,
    struct strvec *tags, struct strvec *digests)
{
	json_t *o = json_object(), *labels;

	labels = json_object_get(json_object_get(config, "config"), "Labels");
	json_object_set_new(o, "Containers", json_integer(-1));
	json_object_set_new(o, "Created", json_integer(created));
	json_object_set_new(o, "Id", json_string(id));
	json_object_set(o, "Labels", json_is_object(labels) ? labels : json_null());
	json_object_set_new(o, "ParentId", json_string(""));
	if (tags->n == 0 && digests->n == 0) {
		strvec_push(tags, "<none>:<none>");
		strvec_push(digests, "<none>@<none>");
	}
	json_object_set_new(o, "RepoDigests", list_strv_json(digests));
	json_object_set_new(o, "RepoTags", list_strv_json(tags));
	json_object_set_new(o, "SharedSize", json_integer(-1));
	json_object_set_new(o, "Size", json_integer(size));
	json_object_set_new(o, "VirtualSize", json_integer(size));
	return o;
}

static int
list_one(struct images *im, const char *account, struct store_stmt *q,
    const struct images_filter *f, json_t *out, sdc_error_t *err)
{
	const char *id = store_col_text(q, 0), *text = store_col_text(q, 1);
	struct strvec tags = { 0 }, digests = { 0 };
	json_t *config;
	bool keep, by_tag, by_digest;

	if (meta_image_tags(im, account, id, &tags, &digests, err) < 0)
		return -1;
	config = json_parse(text, strlen(text), err);
	if (config == NULL) {
		strvec_clear(&tags);
		strvec_clear(&digests);
		return -1;
	}
	keep = (f->dangling < 0 || (f->dangling == 1) == (tags.n == 0)) &&
	    list_labels_match(json_object_get(json_object_get(config, "config"),
	    "Labels"), f->labels);
	by_tag = list_refs_match(&tags, f->references, ':');
	by_digest = list_refs_match(&digests, f->references, '@');
	keep = keep && (by_tag || by_digest);
	if (keep)
		json_array_append_new(out, list_summary(id, config,
		    store_col_int64(q, 2), store_col_int64(q, 3), &tags, &digests));
	json_decref(config);
	strvec_clear(&tags);
	strvec_clear(&digests);
	return 0;
}

int
images_list(struct images *im, const char *account,
    const struct images_filter *filter, json_t **out, sdc_error_t *err)
{
	static const struct images_filter none = { false, -1, NULL, NULL };
	struct store_stmt *q;
	json_t *a = json_array();
	int r;

	if (filter == NULL)
		filter = &none;
	q = meta_query(im, err, "SELECT i.id, i.config, i.created, i.size FROM "
	    "image_owners o JOIN images i ON i.id = o.image_id WHERE o.account = ? "
	    "ORDER BY i.created DESC, i.id", "t", account);
	if (q == NULL) {
		json_decref(a);
		return -1;
	}
	while ((r = store_step(q, err)) == 1)
		if (list_one(im, account, q, filter, a, err) < 0) {
			r = -1;
			break;
		}
	store_finalize(q);
	if (r < 0) {
		json_decref(a);
		return -1;
	}
	*out = a;
	return 0;
}

static json_t *
list_copy_or(json_t *config, const char *key, json_t *fallback)
{
	json_t *v = json_object_get(config, key);

	if (v == NULL)
		return fallback;
	json_decref(fallback);
	return json_deep_copy(v);
}

static json_t *
list_graph_driver(struct images *im, struct job_layer *l, size_t n)
{
	json_t *gd = json_object(), *data = json_object();
	struct buf lower = BUF_INIT;

	for (size_t i = n; i-- > 0; ) {
		char *dir = images_layer_dir(im, l[i].diff_id);
		if (lower.len > 0)
			buf_putc(&lower, ':');
		buf_puts(&lower, dir);
		free(dir);
	}
	json_object_set_new(data, "LowerDir", json_string(buf_str(&lower)));
	json_object_set_new(gd, "Data", data);
	json_object_set_new(gd, "Name", json_string("overlay"));
	buf_free(&lower);
	return gd;
}

static json_t *
list_inspect_json(struct images *im, const char *id, json_t *c,
    struct job_layer *l, size_t n, struct strvec *tags, struct strvec *digests)
{
	json_t *o = json_object(), *rootfs = json_object(), *ids = json_array();
	json_t *meta = json_object();
	int64_t size = 0;

	for (size_t i = 0; i < n; i++) {
		size += l[i].size;
		json_array_append_new(ids, json_string(l[i].diff_id));
	}
	json_object_set_new(o, "Id", json_string(id));
	json_object_set_new(o, "RepoTags", list_strv_json(tags));
	json_object_set_new(o, "RepoDigests", list_strv_json(digests));
	json_object_set_new(o, "Parent", json_string(""));
	json_object_set_new(o, "Comment", list_copy_or(c, "comment", json_string("")));
	json_object_set_new(o, "Created", list_copy_or(c, "created", json_string("")));
	json_object_set_new(o, "Container", list_copy_or(c, "container", json_string("")));
	json_object_set_new(o, "ContainerConfig",
	    list_copy_or(c, "container_config", json_object()));
	json_object_set_new(o, "DockerVersion",
	    list_copy_or(c, "docker_version", json_string("")));
	json_object_set_new(o, "Author", list_copy_or(c, "author", json_string("")));
	json_object_set_new(o, "Config", list_copy_or(c, "config", json_null()));
	json_object_set_new(o, "Architecture",
	    list_copy_or(c, "architecture", json_string("amd64")));
	json_object_set_new(o, "Os", list_copy_or(c, "os", json_string("linux")));
	json_object_set_new(o, "Size", json_integer(size));
	json_object_set_new(o, "VirtualSize", json_integer(size));
	json_object_set_new(o, "GraphDriver", list_graph_driver(im, l, n));
	json_object_set_new(rootfs, "Type", json_string("layers"));
	json_object_set_new(rootfs, "Layers", ids);
	json_object_set_new(o, "RootFS", rootfs);
	json_object_set_new(meta, "LastTagTime", json_string("0001-01-01T00:00:00Z"));
	json_object_set_new(o, "Metadata", meta);
	return o;
}

/* The shared start of inspect, history and layers. */
struct list_image {
	char *id;
	json_t *config;
	struct job_layer *layers;
	size_t n;
	struct strvec tags, digests;
};

static int
list_load(struct images *im, const char *account, const char *name,
    struct list_image *li, sdc_error_t *err)
{
	memset(li, 0, sizeof *li);
	if (images_resolve(im, account, name, &li->id, err) < 0)
		return -1;
	if (meta_image_get(im, li->id, &li->config, &li->layers, &li->n, err) < 0 ||
	    meta_image_tags(im, account, li->id, &li->tags, &li->digests, err) < 0)
		return -1;
	return 0;
}

static void
list_unload(struct list_image *li)
{
	free(li->id);
	json_decref(li->config);
	job_layers_free(li->layers, li->n);
	strvec_clear(&li->tags);
	strvec_clear(&li->digests);
}

int
images_inspect(struct images *im, const char *account, const char *name,
    json_t **out, sdc_error_t *err)
{
	struct list_image li;
	int rc = list_load(im, account, name, &li, err);

	if (rc == 0)
		*out = list_inspect_json(im, li.id, li.config, li.layers, li.n,
		    &li.tags, &li.digests);
	list_unload(&li);
	return rc;
}

static json_t *
list_history_entry(const char *id, json_t *h, int64_t size)
{
	json_t *o = json_object();

	json_object_set_new(o, "Comment", json_string(json_str(h, "comment", "")));
	json_object_set_new(o, "Created",
	    json_integer(time_rfc3339_secs(json_str(h, "created", NULL))));
	json_object_set_new(o, "CreatedBy", json_string(json_str(h, "created_by", "")));
	json_object_set_new(o, "Id", json_string(id));
	json_object_set_new(o, "Size", json_integer(size));
	json_object_set_new(o, "Tags", json_null());
	return o;
}

int
images_history(struct images *im, const char *account, const char *name,
    json_t **out, sdc_error_t *err)
{
	struct list_image li;
	json_t *hist, *h, *a;
	size_t i, layer = 0;

	if (list_load(im, account, name, &li, err) < 0) {
		list_unload(&li);
		return -1;
	}
	hist = json_object_get(li.config, "history");
	a = json_array();
	json_array_foreach(hist, i, h) {
		int64_t size = 0;
		if (!json_bool(h, "empty_layer", false) && layer < li.n)
			size = li.layers[layer++].size;
		json_array_insert_new(a, 0, list_history_entry("<missing>", h, size));
	}
	/* configs without history: one line a layer */
	for (; layer < li.n; layer++) {
		json_t *e = json_object();
		json_object_set_new(e, "created",
		    json_deep_copy(json_object_get(li.config, "created")));
		json_array_insert_new(a, 0, list_history_entry("<missing>", e,
		    li.layers[layer].size));
		json_decref(e);
	}
	if (json_array_size(a) > 0) {
		json_t *top = json_array_get(a, 0);
		json_object_set_new(top, "Id", json_string(li.id));
		json_object_set_new(top, "Tags", li.tags.n ? list_strv_json(&li.tags) :
		    json_null());
	}
	*out = a;
	list_unload(&li);
	return 0;
}

int
images_layers(struct images *im, const char *account, const char *name,
    json_t **diff_ids, json_t **config, sdc_error_t *err)
{
	struct list_image li;

	if (list_load(im, account, name, &li, err) < 0) {
		list_unload(&li);
		return -1;
	}
	if (diff_ids != NULL) {
		*diff_ids = json_array();
		for (size_t i = 0; i < li.n; i++)
			json_array_append_new(*diff_ids, json_string(li.layers[i].diff_id));
	}
	if (config != NULL)
		*config = json_incref(li.config);
	list_unload(&li);
	return 0;
}
