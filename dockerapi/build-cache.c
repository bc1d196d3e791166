/*
 * build-cache.c: the step cache, per account.  A step's key is a digest
 * of the account, the parent image, the instruction, the config, the
 * ARGs, the network and (COPY, ADD) the files copied; a key names the
 * image the step made, and is used again only while the account still
 * has that image.
 *
 * The keys are rows of the store (build_cache_keys), not files, so that
 * they can be bounded and go with what they name: a hit on a key whose
 * image the account no longer has drops the key and misses; an image
 * the account lets go of (rmi, image prune, build-cache prune, a failed
 * build, the account's removal) takes its keys with it, in the same
 * transaction (images_set_forget); and an account holds at most
 * BUILD_CACHE_KEYS of them (a tunable, read at each step stored), the
 * oldest dropped first, so a tenant building distinct steps in a loop
 * cannot grow the table.  The images of dropped keys stay the account's
 * (untagged, in its image quota) until it removes or prunes them.
 *
 * The operators see an account's cache (its keys and the untagged
 * images they name) and prune it through the admin API
 * (build_cache_usage, build_cache_prune).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build-int.h"
#include "build.h"
#include "images-api.h"
#include "jsonutil.h"
#include "fsutil.h"
#include "log.h"
#include "strvec.h"
#include "timeutil.h"
#include "xalloc.h"

/* BUILD_CACHE_KEYS: its default, and the bounds the schema gives it
 * (etc/sapi-bootstrap.yaml), held here too for a config cached before */
#define BUILD_CACHE_KEYS_DEFAULT 5000
#define BUILD_CACHE_KEYS_MIN 1
#define BUILD_CACHE_KEYS_MAX 1000000

static const char *const build_cache_migrations[] = {
	"CREATE TABLE build_cache_keys ("
	"  account TEXT NOT NULL,"
	"  step_key TEXT NOT NULL,"
	"  image_id TEXT NOT NULL,"
	"  added BIGINT NOT NULL,"
	"  PRIMARY KEY (account, step_key));"
	"CREATE INDEX build_cache_keys_image ON build_cache_keys "
	"  (account, image_id);"
	"CREATE INDEX build_cache_keys_added ON build_cache_keys "
	"  (account, added);",
	NULL
};

/* Prepare sql with its text arguments bound, in order (NULL-ended). */
static struct store_stmt *
build_cache_sql(struct dockerapi *d, sdc_error_t *err, const char *sql, ...)
{
	struct store_stmt *q;
	const char *v;
	va_list ap;
	int i = 1, rc = 0;

	if (store_prepare(d->store, &q, sql, err) < 0)
		return NULL;
	va_start(ap, sql);
	while (rc == 0 && (v = va_arg(ap, const char *)) != NULL)
		rc = store_bind_text(q, i++, v, err);
	va_end(ap);
	if (rc < 0) {
		store_finalize(q);
		return NULL;
	}
	return q;
}

/* Run a statement that returns no rows. */
static int
build_cache_run(struct store_stmt *q, sdc_error_t *err)
{
	int rc;

	if (q == NULL)
		return -1;
	rc = store_step(q, err);
	store_finalize(q);
	return rc < 0 ? -1 : 0;
}

/* The account let go of image id: its keys go (images_forget_fn). */
static int
build_cache_forget(void *arg, const char *account, const char *id,
    sdc_error_t *err)
{
	return build_cache_run(build_cache_sql(arg, err, "DELETE FROM "
	    "build_cache_keys WHERE account = ? AND image_id = ?", account, id,
	    (char *)NULL), err);
}

int
build_cache_init(struct dockerapi *d, sdc_error_t *err)
{
	char *old;

	if (store_migrate(d->store, "build_cache", build_cache_migrations,
	    err) < 0)
		return -1;
	if (d->images != NULL)
		images_set_forget(d->images, build_cache_forget, d);
	/* the keys were files once (<data>/build-cache/<account>/<key>):
	 * a cache, so they are dropped rather than carried over */
	xasprintf(&old, "%s/build-cache", d->cfg.data_dir);
	if (access(old, F_OK) == 0 && fs_rmtree(old, err) < 0)
		log_emit(LOG_WARN, NULL, NULL, "build: the old step cache %s: %s",
		    old, sdc_error_msg(*err));
	sdc_error_release(err);
	free(old);
	return 0;
}

int
build_cache_remove_account(struct dockerapi *d, const char *account,
    sdc_error_t *err)
{
	return build_cache_run(build_cache_sql(d, err, "DELETE FROM "
	    "build_cache_keys WHERE account = ?", account, (char *)NULL), err);
}

/* ---- the step cache ----
 *
 * A step's key is the digest of the account, the parent image, the
 * instruction's text, the config and ARGs it runs with, the network, and
 * for COPY and ADD the digest of the files it copies (step_copy_inputs:
 * their names and the digests taken as the context was unpacked; for
 * COPY --from the source image's layers).  A hit is taken only if the
 * account still has the key's image; a key whose image is gone is
 * dropped there. */

static char *
build_cache_key(struct build *b, const struct df_instr *in)
{
	struct buf t = BUF_INIT;
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *c = json_dumps(b->config, JSON_SORT_KEYS | JSON_COMPACT);
	char *a = json_dumps(b->args, JSON_SORT_KEYS | JSON_COMPACT);
	char *hex = xcalloc(1, 65);
	char inputs[65] = "";

	if ((in->cmd == DF_COPY || in->cmd == DF_ADD) &&
	    step_copy_inputs(b, in, inputs) < 0) {
		free(c);
		free(a);
		free(hex);
		return NULL;	/* not cached */
	}

	buf_printf(&t, "%s\n%s\n%s\n%s\n%s\n%s\n%s\n", b->account,
	    b->image ? b->image : "scratch", in->original, c ? c : "",
	    a ? a : "", b->netmode ? b->netmode : "",
	    inputs);
	free(c);
	free(a);
	EVP_Digest(t.data, t.len, raw, &n, EVP_sha256(), NULL);
	buf_free(&t);
	for (unsigned int i = 0; i < n && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	return hex;
}

static int
build_cache_forget_key(struct dockerapi *d, const char *account,
    const char *key, sdc_error_t *err)
{
	return build_cache_run(build_cache_sql(d, err, "DELETE FROM "
	    "build_cache_keys WHERE account = ? AND step_key = ?", account, key,
	    (char *)NULL), err);
}

/* The key's image, or NULL (a miss; a store error is one too). */
static char *
build_cache_lookup(struct build *b, const char *key)
{
	sdc_error_t err = NULL;
	struct store_stmt *q;
	char *id = NULL;
	int rc;

	q = build_cache_sql(b->d, &err, "SELECT image_id FROM build_cache_keys "
	    "WHERE account = ? AND step_key = ?", b->account, key, (char *)NULL);
	if (q != NULL && (rc = store_step(q, &err)) == 1)
		id = xstrdup(store_col_text(q, 0) ? store_col_text(q, 0) : "");
	store_finalize(q);
	if (err != NULL) {
		log_emit(LOG_WARN, NULL, NULL, "build: the step cache: %s",
		    sdc_error_msg(err));
		sdc_error_release(&err);
	}
	return id;
}

/* The step's image from the cache: true, with b->image and b->config. */
bool
build_cache_hit(struct build *b, const struct df_instr *in)
{
	sdc_error_t err = NULL;
	json_t *config = NULL;
	char *id, *resolved = NULL;
	bool gone;

	free(b->cache_key);
	b->cache_key = NULL;
	/* nocache: the step is made and still stored under its key, so the
	 * next build may use it, as Docker's --no-cache builds serve later */
	if ((b->cache_key = build_cache_key(b, in)) == NULL || b->nocache ||
	    (id = build_cache_lookup(b, b->cache_key)) == NULL)
		return false;
	if (images_resolve(b->d->images, b->account, id, &resolved, &err) < 0 ||
	    strcmp(resolved, id) != 0 ||
	    images_layers(b->d->images, b->account, resolved, NULL, &config,
	    &err) < 0) {
		/* the account's image is gone: so is the key, and it misses */
		gone = err == NULL || err->code == 404;
		sdc_error_release(&err);
		if (gone && build_cache_forget_key(b->d, b->account, b->cache_key,
		    &err) < 0) {
			log_emit(LOG_WARN, NULL, NULL, "build: the step cache: %s",
			    sdc_error_msg(err));
			sdc_error_release(&err);
		}
		free(id);
		free(resolved);
		json_decref(config);
		return false;
	}
	free(id);
	json_decref(b->config);
	b->config = json_deep_copy(json_object_get(config, "config"));
	if (!json_is_object(b->config)) {
		json_decref(b->config);
		b->config = json_object();
	}
	json_decref(config);
	free(b->image);
	b->image = resolved;
	if (in->cmd == DF_CMD)
		b->cmd_set = true;
	if (in->cmd == DF_MAINTAINER) {
		free(b->author);
		b->author = xstrdup(in->args[0]);
	}
	free(b->cache_key);
	b->cache_key = NULL;
	build_say(b, " ---> Using cache\n ---> %.12s\n", b->image + 7);
	return true;
}

/* Keep the account under its BUILD_CACHE_KEYS: the oldest keys go. */
static int
build_cache_trim(struct dockerapi *d, const char *account, sdc_error_t *err)
{
	int64_t cap = tunable_int(d, "BUILD_CACHE_KEYS", BUILD_CACHE_KEYS_DEFAULT),
	    n = 0;
	struct store_stmt *q;
	int rc;

	q = build_cache_sql(d, err, "SELECT COUNT(*) FROM build_cache_keys "
	    "WHERE account = ?", account, (char *)NULL);
	if (q == NULL)
		return -1;
	if ((rc = store_step(q, err)) == 1)
		n = store_col_int64(q, 0);
	store_finalize(q);
	if (rc < 0)
		return -1;
	cap = cap < BUILD_CACHE_KEYS_MIN ? BUILD_CACHE_KEYS_MIN :
	    cap > BUILD_CACHE_KEYS_MAX ? BUILD_CACHE_KEYS_MAX : cap;
	if (n <= cap)
		return 0;
	if (store_prepare(d->store, &q, "DELETE FROM build_cache_keys WHERE "
	    "account = ? AND step_key IN (SELECT step_key FROM build_cache_keys "
	    "WHERE account = ? ORDER BY added, step_key LIMIT ?)", err) < 0)
		return -1;
	if (store_bind_text(q, 1, account, err) < 0 ||
	    store_bind_text(q, 2, account, err) < 0 ||
	    store_bind_int64(q, 3, n - cap, err) < 0) {
		store_finalize(q);
		return -1;
	}
	return build_cache_run(q, err);
}

/* The step made b->image: remember it under the step's key. */
void
build_cache_store(struct build *b)
{
	sdc_error_t err = NULL;
	struct store_stmt *q;
	int rc = -1;

	if (b->cache_key == NULL)
		return;
	q = build_cache_sql(b->d, &err, "INSERT INTO build_cache_keys (account, "
	    "step_key, image_id, added) VALUES (?, ?, ?, ?) ON CONFLICT "
	    "(account, step_key) DO UPDATE SET image_id = excluded.image_id, "
	    "added = excluded.added", b->account, b->cache_key, b->image,
	    (char *)NULL);
	if (q != NULL && store_bind_int64(q, 4, time_now_ns() / 1000, &err) == 0)
		rc = build_cache_run(q, &err);
	else
		store_finalize(q);
	if (rc < 0 || build_cache_trim(b->d, b->account, &err) < 0) {
		log_emit(LOG_WARN, NULL, NULL, "build: the step cache: %s",
		    sdc_error_msg(err));
		sdc_error_release(&err);
	}
	free(b->cache_key);
	b->cache_key = NULL;
}

/* ---- the operators' view: usage and prune ----
 *
 * An account's build cache is its keys and the images they name that no
 * tag holds (the steps' intermediate images: a tagged one is the
 * account's image, not cache).  Its bytes are the keys' rows and the
 * layer each such image added (its history's newest entry), which count
 * in the account's image quota as any of its images.  Prune removes the
 * keys and those images no container uses. */

struct cache_walk {
	json_t *images;			/* id -> its own layer's bytes */
	int64_t key_bytes;
	int64_t keys;
};

static int
cache_walk(struct dockerapi *d, const char *account, struct cache_walk *w,
    bool remove_keys, sdc_error_t *err)
{
	struct store_stmt *q;
	struct strvec ids = { 0 };
	int rc;

	w->images = json_object();
	w->key_bytes = w->keys = 0;
	q = build_cache_sql(d, err, "SELECT step_key, image_id FROM "
	    "build_cache_keys WHERE account = ?", account, (char *)NULL);
	if (q == NULL)
		return -1;
	while ((rc = store_step(q, err)) == 1) {
		const char *k = store_col_text(q, 0), *id = store_col_text(q, 1);
		w->keys++;
		/* a row: the account, the key, the image and the time */
		w->key_bytes += (int64_t)(strlen(account) + (k ? strlen(k) : 0) +
		    (id ? strlen(id) : 0) + 8);
		if (id != NULL && !strvec_has(&ids, id))
			strvec_push(&ids, id);
	}
	store_finalize(q);
	if (rc < 0) {
		strvec_clear(&ids);
		return -1;
	}
	for (size_t i = 0; i < ids.n; i++) {
		char *resolved = NULL;
		json_t *ins = NULL, *hist = NULL;
		sdc_error_t e2 = NULL;

		if (images_resolve(d->images, account, ids.v[i], &resolved, &e2) == 0 &&
		    strcmp(resolved, ids.v[i]) == 0 &&
		    images_inspect(d->images, account, resolved, &ins, &e2) == 0 &&
		    json_array_size(json_object_get(ins, "RepoTags")) == 0 &&
		    images_history(d->images, account, resolved, &hist, &e2) == 0) {
			json_t *top = json_array_get(hist, 0);
			json_object_set_new(w->images, resolved,
			    json_integer(json_int(top, "Size", 0)));
		}
		sdc_error_release(&e2);
		json_decref(ins);
		json_decref(hist);
		free(resolved);
	}
	strvec_clear(&ids);
	if (remove_keys && build_cache_remove_account(d, account, err) < 0) {
		json_decref(w->images);
		w->images = NULL;
		return -1;
	}
	return 0;
}

int
build_cache_usage(struct dockerapi *d, const char *account, json_t **out,
    sdc_error_t *err)
{
	struct cache_walk w;
	int64_t bytes;
	const char *k;
	json_t *v;

	if (cache_walk(d, account, &w, false, err) < 0)
		return -1;
	bytes = w.key_bytes;
	json_object_foreach(w.images, k, v)
		bytes += json_integer_value(v);
	*out = json_pack("{s:I, s:I, s:I}", "Keys", (json_int_t)w.keys,
	    "Images", (json_int_t)json_object_size(w.images), "Bytes",
	    (json_int_t)bytes);
	json_decref(w.images);
	return 0;
}

int
build_cache_prune(struct dockerapi *d, const char *account, json_t **out,
    sdc_error_t *err)
{
	struct cache_walk w;
	int64_t reclaimed, deleted = 0;
	const char *k;
	json_t *v;

	if (cache_walk(d, account, &w, true, err) < 0)
		return -1;
	reclaimed = w.key_bytes;
	json_object_foreach(w.images, k, v) {
		char *ctr = NULL;
		bool running = false;
		json_t *gone = NULL;
		sdc_error_t e2 = NULL;
		if (containers_image_in_use(d, account, k, &ctr, &running)) {
			free(ctr);
			continue;
		}
		if (images_remove(d->images, account, k, false, false,
		    images_api_in_use, d, &gone, &e2) == 0) {
			deleted++;
			reclaimed += json_integer_value(v);
		} else {
			log_emit(LOG_WARN, NULL, NULL, "build cache prune %s: %s", k,
			    sdc_error_msg(e2));
			sdc_error_release(&e2);
		}
		json_decref(gone);
	}
	*out = json_pack("{s:I, s:I, s:I}", "KeysDeleted", (json_int_t)w.keys,
	    "ImagesDeleted", (json_int_t)deleted, "SpaceReclaimed",
	    (json_int_t)reclaimed);
	json_decref(w.images);
	return 0;
}
