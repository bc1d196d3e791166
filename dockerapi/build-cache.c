/*
 * build-cache.c: the step cache, per account.  A step's key is a digest
 * of the account, the parent image, the instruction, the config, the
 * ARGs, the network and (COPY, ADD) the files copied; a key names
 * the image the step made (<data>/build-cache/<account>/<key>), used
 * again only if the account still has that image.  The operators see
 * an account's cache (its keys and the untagged images they name) and
 * prune it through the admin API (build_cache_usage, build_cache_prune).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build-int.h"
#include "build.h"
#include "images-api.h"
#include "jsonutil.h"
#include "fsutil.h"
#include "log.h"
#include "xalloc.h"

/* ---- the step cache ----
 *
 * A step's key is the digest of the account, the parent image, the
 * instruction's text, the config and ARGs it runs with, the network, and
 * for COPY and ADD the digest of the files it copies (step_copy_inputs:
 * their names and the digests taken as the context was unpacked; for
 * COPY --from the source image's layers).  <data>/build-cache/<account>/<key>
 * holds the image the step made; a hit is taken only if the account still
 * has that image.  A build that fails removes what it made, so a key of
 * it then points to no image and misses. */

static char *
build_cache_path(struct build *b, const char *key)
{
	char *p;

	xasprintf(&p, "%s/build-cache/%s%s%s", b->d->cfg.data_dir, b->account,
	    key ? "/" : "", key ? key : "");
	return p;
}

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

/* The step's image from the cache: true, with b->image and b->config. */
bool
build_cache_hit(struct build *b, const struct df_instr *in)
{
	sdc_error_t err = NULL;
	struct buf id = BUF_INIT;
	json_t *config = NULL;
	char *path, *resolved = NULL;

	free(b->cache_key);
	b->cache_key = NULL;
	/* nocache: the step is made and still stored under its key, so the
	 * next build may use it, as Docker's --no-cache builds serve later */
	if ((b->cache_key = build_cache_key(b, in)) == NULL || b->nocache)
		return false;
	path = build_cache_path(b, b->cache_key);
	if (file_read(path, &id, 128, &err) < 0 || id.len == 0 ||
	    images_resolve(b->d->images, b->account, id.data, &resolved, &err) < 0 ||
	    strcmp(resolved, id.data) != 0 ||
	    images_layers(b->d->images, b->account, resolved, NULL, &config,
	    &err) < 0) {
		sdc_error_release(&err);
		free(path);
		free(resolved);
		buf_free(&id);
		json_decref(config);
		return false;
	}
	free(path);
	buf_free(&id);
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

/* The step made b->image: remember it under the step's key. */
void
build_cache_store(struct build *b)
{
	sdc_error_t err = NULL;
	char *dir, *path;

	if (b->cache_key == NULL)
		return;
	dir = build_cache_path(b, NULL);
	path = build_cache_path(b, b->cache_key);
	if (mkdir_p(dir, 0700, &err) < 0 ||
	    file_write_atomic(path, b->image, strlen(b->image), 0600, &err) < 0) {
		log_emit(LOG_WARN, NULL, NULL, "build: the step cache: %s",
		    sdc_error_msg(err));
		sdc_error_release(&err);
	}
	free(dir);
	free(path);
	free(b->cache_key);
	b->cache_key = NULL;
}

/* ---- the operators' view: usage and prune ----
 *
 * An account's build cache is its key files and the images they name
 * that no tag holds (the steps' intermediate images: a tagged one is the
 * account's image, not cache).  Its bytes are the key files' and the
 * layer each such image added (its history's newest entry), which count
 * in the account's image quota as any of its images.  Prune removes the
 * key files and those images no container uses. */

struct cache_walk {
	json_t *images;			/* id -> its own layer's bytes */
	int64_t key_bytes;
	int64_t keys;
};

static int
cache_walk(struct dockerapi *d, const char *account, struct cache_walk *w,
    bool remove_keys, sdc_error_t *err)
{
	char *dir;
	DIR *dp;
	struct dirent *de;

	w->images = json_object();
	w->key_bytes = w->keys = 0;
	xasprintf(&dir, "%s/build-cache/%s", d->cfg.data_dir, account);
	if ((dp = opendir(dir)) == NULL) {
		free(dir);
		return errno == ENOENT ? 0 : sdc_make_error(err, errno,
		    "the build cache of %s", account);
	}
	while ((de = readdir(dp)) != NULL) {
		struct buf id = BUF_INIT;
		struct stat st;
		char *path, *resolved = NULL;
		json_t *ins = NULL, *hist = NULL;
		sdc_error_t e2 = NULL;

		if (de->d_name[0] == '.')
			continue;
		xasprintf(&path, "%s/%s", dir, de->d_name);
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		w->keys++;
		w->key_bytes += st.st_size;
		if (file_read(path, &id, 128, &e2) == 0 && id.len > 0 &&
		    images_resolve(d->images, account, id.data, &resolved, &e2) == 0 &&
		    strcmp(resolved, id.data) == 0 &&
		    !json_object_get(w->images, resolved) &&
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
		buf_free(&id);
		if (remove_keys)
			(void)unlink(path);
		free(path);
	}
	closedir(dp);
	if (remove_keys)
		(void)rmdir(dir);
	free(dir);
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
