/*
 * build-cache.c: the step cache, per account.  A step's key is a digest
 * of the account, the parent image, the instruction, the config, the
 * ARGs, the network and (COPY, ADD) the context's content; a key names
 * the image the step made (<data>/build-cache/<account>/<key>), used
 * again only if the account still has that image.
 */
#include <stdlib.h>
#include <string.h>

#include "build-int.h"
#include "fsutil.h"
#include "log.h"
#include "xalloc.h"

/* ---- the step cache ----
 *
 * A step's key is the digest of the account, the parent image, the
 * instruction's text, the config and ARGs it runs with, and for COPY and
 * ADD the digest of the context's names, modes and bytes as unpacked, not
 * its times (conservative: any change of the context misses).  <data>/build-cache/<account>/<key>
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
	if (b->nocache)
		return false;
	if ((b->cache_key = build_cache_key(b, in)) == NULL)
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
