/*
 * remove.c: tag and rmi, with Docker's rules, per account.
 *
 * `rmi NAME:TAG` drops one reference; when it was the account's last one
 * (tags and digests), the image goes from the account too.  `rmi ID` on an
 * image with tags in more than one repository needs force.  A container of
 * the account that uses the image blocks the removal of its last reference
 * (and, for a running container, even a forced one), as in Docker; the
 * caller says which containers those are.  When the last account lets go,
 * the image row goes and the blobs and layer folders nobody else refers to
 * are collected.  Parents (images loaded with a parent chain) are pruned
 * unless noprune, when they end up untagged and unused.  What the daemon
 * keeps beside an account's image (images_set_forget) is dropped in the
 * same transaction as the account's hold on it.
 */
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "images-int.h"
#include "jsonutil.h"
#include "xalloc.h"

int
images_tag(struct images *im, const char *account, const char *name,
    const char *target, sdc_error_t *err)
{
	struct image_ref ref;
	char *id, *repo;
	bool same;
	int rc;

	if (images_resolve(im, account, name, &id, err) < 0)
		return -1;
	if (image_ref_parse(&ref, target, err) < 0) {
		free(id);
		return -1;
	}
	if (ref.digest != NULL) {
		image_ref_free(&ref);
		free(id);
		return sdc_make_error_code(err, 400, "refusing to create a tag with a "
		    "digest reference");
	}
	repo = image_ref_repo(&ref);
	rc = meta_set_tag(im, account, repo, ref.tag, id, &same, err);
	free(repo);
	image_ref_free(&ref);
	free(id);
	return rc;
}

void
images_set_forget(struct images *im, images_forget_fn *fn, void *arg)
{
	im->forget_fn = fn;
	im->forget_arg = arg;
}

static void
remove_note(json_t *out, const char *key, const char *value)
{
	json_t *o = json_object();

	json_object_set_new(o, key, json_string(value));
	json_array_append_new(out, o);
}

/* References of the account to id: tags only, or tags and digests. */
static int
remove_refcount(struct images *im, const char *account, const char *id,
    bool digests, int64_t *n, sdc_error_t *err)
{
	char *s = meta_string(im, err, "SELECT (SELECT COUNT(*) FROM image_tags WHERE "
	    "account = ? AND image_id = ?) + ? * (SELECT COUNT(*) FROM image_digests "
	    "WHERE account = ? AND image_id = ?)", "ttitt", account, id,
	    (int64_t)digests, account, id);

	if (s == NULL)
		return -1;
	*n = strtoll(s, NULL, 10);
	free(s);
	return 0;
}

/* Untag one reference named by `name`; 0 when name is no reference. */
static int
remove_untag(struct images *im, const char *account, const char *name,
    const char *id, json_t *out, sdc_error_t *err)
{
	struct image_ref ref;
	sdc_error_t perr = NULL;
	char *repo, *fam;
	int n;

	if (image_ref_parse_notag(&ref, name, &perr) < 0) {
		sdc_error_release(&perr);
		return 0;
	}
	if (ref.tag == NULL && ref.digest == NULL)
		ref.tag = xstrdup("latest");
	repo = image_ref_repo(&ref);
	if (ref.digest != NULL)
		n = meta_exec(im, err, "DELETE FROM image_digests WHERE account = ? AND "
		    "repo = ? AND digest = ? AND image_id = ?", "tttt", account, repo,
		    ref.digest, id);
	else
		n = meta_exec(im, err, "DELETE FROM image_tags WHERE account = ? AND "
		    "repo = ? AND tag = ? AND image_id = ?", "tttt", account, repo,
		    ref.tag, id);
	if (n > 0) {
		fam = image_ref_familiar_full(&ref);
		remove_note(out, "Untagged", fam);
		free(fam);
	}
	free(repo);
	image_ref_free(&ref);
	return n;
}

/* Drop every reference of the account to id. */
static int
remove_untag_all(struct images *im, const char *account, const char *id,
    json_t *out, sdc_error_t *err)
{
	struct strvec tags = { 0 }, digests = { 0 };
	int rc = meta_image_tags(im, account, id, &tags, &digests, err);

	for (size_t i = 0; rc == 0 && i < tags.n; i++)
		remove_note(out, "Untagged", tags.v[i]);
	for (size_t i = 0; rc == 0 && i < digests.n; i++)
		remove_note(out, "Untagged", digests.v[i]);
	if (rc == 0 && (meta_exec(im, err, "DELETE FROM image_tags WHERE account = ? "
	    "AND image_id = ?", "tt", account, id) < 0 || meta_exec(im, err,
	    "DELETE FROM image_digests WHERE account = ? AND image_id = ?", "tt",
	    account, id) < 0))
		rc = -1;
	strvec_clear(&tags);
	strvec_clear(&digests);
	return rc;
}

/* Tags of id in more than one repository? */
static int
remove_repos(struct images *im, const char *account, const char *id,
    int64_t *n, sdc_error_t *err)
{
	char *s = meta_string(im, err, "SELECT COUNT(DISTINCT repo) FROM image_tags "
	    "WHERE account = ? AND image_id = ?", "tt", account, id);

	if (s == NULL)
		return -1;
	*n = strtoll(s, NULL, 10);
	free(s);
	return 0;
}

/* The account lets go of id; the last owner takes the rows with it.
 * Blobs and layers to collect are added to gc. */
static int
remove_image(struct images *im, const char *account, const char *id,
    json_t *out, struct strvec *gc_blobs, struct strvec *gc_layers, sdc_error_t *err)
{
	struct job_layer *l = NULL;
	size_t n = 0;
	char *owner;

	if (meta_exec(im, err, "DELETE FROM image_owners WHERE account = ? AND "
	    "image_id = ?", "tt", account, id) < 0 ||
	    (im->forget_fn != NULL && im->forget_fn(im->forget_arg, account, id,
	    err) < 0))
		return -1;
	remove_note(out, "Deleted", id);
	owner = meta_string(im, err, "SELECT account FROM image_owners WHERE "
	    "image_id = ? LIMIT 1", "t", id);
	if (owner != NULL || *err != NULL) {
		free(owner);
		return *err ? -1 : 0;
	}
	if (meta_image_get(im, id, NULL, &l, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		strvec_push(gc_layers, l[i].diff_id);
		strvec_push(gc_blobs, l[i].digest);
	}
	job_layers_free(l, n);
	strvec_push(gc_blobs, id);
	if (meta_exec(im, err, "DELETE FROM image_layers WHERE image_id = ?",
	    "t", id) < 0 ||
	    meta_exec(im, err, "DELETE FROM images WHERE id = ?", "t", id) < 0)
		return -1;
	return 0;
}

/* The parent of id, if it is untagged, owned and nobody else's parent. */
static char *
remove_prunable_parent(struct images *im, const char *account, const char *id,
    sdc_error_t *err)
{
	return meta_string(im, err, "SELECT p.id FROM images c JOIN images p ON "
	    "p.id = c.parent JOIN image_owners o ON o.image_id = p.id AND "
	    "o.account = ? WHERE c.id = ? AND NOT EXISTS (SELECT 1 FROM image_tags t "
	    "WHERE t.account = ? AND t.image_id = p.id) AND (SELECT COUNT(*) FROM "
	    "images k JOIN image_owners ko ON ko.image_id = k.id AND ko.account = ? "
	    "WHERE k.parent = p.id) = 1", "tttt", account, id, account, account);
}

static int
remove_conflict(const char *name, const char *id, const char *container,
    bool running, bool by_ref, sdc_error_t *err)
{
	char sid[13];

	digest_short(id, sid);
	if (by_ref && !running)
		return sdc_make_error_code(err, 409, "conflict: unable to remove "
		    "repository reference \"%s\" (must force) - container %s is "
		    "using its referenced image %s", name, container, sid);
	return sdc_make_error_code(err, 409, "conflict: unable to delete %s "
	    "(%s) - image is being used by %s container %s", sid,
	    running ? "cannot be forced" : "must be forced",
	    running ? "running" : "stopped", container);
}

static int
remove_check_use(const char *account, const char *name, const char *id,
    bool force, bool by_ref, images_in_use_fn *in_use, void *arg, sdc_error_t *err)
{
	char *container = NULL;
	bool running = false;
	int rc = 0;

	if (in_use == NULL || !in_use(arg, account, id, &container, &running))
		return 0;
	if (running || !force)
		rc = remove_conflict(name, id, container ? container : "?", running,
		    by_ref, err);
	else
		rc = 1;
	free(container);
	return rc;
}

static bool
remove_named_by_id(const char *name, const char *id)
{
	const char *hex = strncmp(name, "sha256:", 7) == 0 ? name + 7 : name;

	return docker_id_prefix_valid(hex) &&
	    strncmp(digest_hex(id), hex, strlen(hex)) == 0;
}

static int
remove_tx(struct images *im, const char *account, const char *name,
    bool force, bool noprune, images_in_use_fn *in_use, void *arg,
    json_t *out, struct strvec *gcb, struct strvec *gcl, sdc_error_t *err)
{
	char *id, *parent;
	int64_t refs, repos;
	int n, used, rc = -1;

	if (images_resolve(im, account, name, &id, err) < 0)
		return -1;
	n = remove_named_by_id(name, id) ? 0 : 1;	/* 1: named by reference */
	/* one of several tags (or a digest among other references): untag */
	if (n == 1 && remove_refcount(im, account, id, strchr(name, '@') != NULL,
	    &refs, err) == 0 && refs > 1) {
		rc = remove_untag(im, account, name, id, out, err) < 0 ? -1 : 0;
		goto done;
	}
	if ((used = remove_check_use(account, name, id, force, n == 1, in_use, arg,
	    err)) < 0)
		goto done;
	if (n == 0 && !force && remove_repos(im, account, id, &repos, err) == 0 &&
	    repos > 1) {
		char sid[13];
		digest_short(id, sid);
		sdc_make_error_code(err, 409, "conflict: unable to delete %s (must be "
		    "forced) - image is referenced in multiple repositories", sid);
		goto done;
	}
	if (*err != NULL || remove_untag_all(im, account, id, out, err) < 0)
		goto done;
	/* forced past a stopped container: its root still stands on these
	 * layers, so the image stays, untagged, until the container goes */
	if (used) {
		rc = 0;
		goto done;
	}
	if (remove_image(im, account, id, out, gcb, gcl, err) < 0)
		goto done;
	rc = 0;
	while (!noprune && rc == 0 &&
	    (parent = remove_prunable_parent(im, account, id, err)) != NULL) {
		free(id);
		id = parent;
		rc = remove_image(im, account, id, out, gcb, gcl, err);
	}
	if (*err != NULL)
		rc = -1;
done:
	free(id);
	return rc;
}

int
images_remove(struct images *im, const char *account, const char *name,
    bool force, bool noprune, images_in_use_fn *in_use, void *arg,
    json_t **out, sdc_error_t *err)
{
	struct strvec gcb = { 0 }, gcl = { 0 };
	json_t *a = json_array();

	if (store_begin(im->st, err) < 0) {
		json_decref(a);
		return -1;
	}
	if (remove_tx(im, account, name, force, noprune, in_use, arg, a, &gcb,
	    &gcl, err) < 0 || proofs_forget_unused(im, account, err) < 0 ||
	    store_commit(im->st, err) < 0) {
		store_rollback(im->st);
		json_decref(a);
		strvec_clear(&gcb);
		strvec_clear(&gcl);
		return -1;
	}
	for (size_t i = 0; i < gcl.n; i++)
		meta_gc_layer(im, gcl.v[i]);
	for (size_t i = 0; i < gcb.n; i++)
		meta_gc_blob(im, gcb.v[i]);
	strvec_clear(&gcb);
	strvec_clear(&gcl);
	*out = a;
	return 0;
}
