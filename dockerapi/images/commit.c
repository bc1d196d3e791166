/*
 * commit.c: `docker commit` -- a container's writable layer becomes a new
 * image on top of the container's image.
 *
 * The library knows nothing of containers: the caller gives a function
 * that writes the layer's tar (the runtime's, which turns overlay's
 * whiteouts into Docker's), and the container's config.  On the worker
 * the tar is hashed into a blob as it is written, so its digest is the
 * new diff id; the layer is unpacked from it like an import's (which
 * keeps its tar-split, so `docker save` hands out these very bytes), and
 * the blob charged against the account's quota as it grows.  The layer
 * is the account's own bytes, so the job proves it (proofs.c); the
 * parent's layers are the account's already, since the parent is.
 *
 * The config is Docker's: the container's Config with the changes
 * applied (a bad change is a 400 before anything runs), the parent's
 * history and diff ids with one more of each, author, comment, and the
 * container's id and config as "container" and "container_config".
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "images-int.h"
#include "jsonutil.h"
#include "xalloc.h"

struct commit {
	images_layer_fn *layer;
	void *layer_arg;
	json_t *image;			/* the new config, but for the layer */
	struct job_layer *layers;	/* the parent's */
	size_t nlayers;
	char *repo_tag;
	struct blob_writer w;
};

struct commit_sink {
	struct images_job *job;
	struct commit *cm;
	sdc_error_t err;
};

static int
commit_write(void *arg, const void *data, size_t len)
{
	struct commit_sink *s = arg;

	if (s->err != NULL)
		return -1;
	if (job_cancelled(s->job)) {
		sdc_make_error(&s->err, 0, "commit cancelled");
		return -1;
	}
	if (budget_charge(&s->job->budget, &s->job->budget.stored,
	    (int64_t)len, &s->err) < 0 ||
	    blob_writer_write(&s->cm->w, data, len, &s->err) < 0)
		return -1;
	return 0;
}

/* The layer's tar into a blob; diff gets its digest. */
static int
commit_store_tar(struct images_job *job, struct commit *cm, char diff[72],
    sdc_error_t *err)
{
	struct commit_sink s = { job, cm, NULL };
	int rc;

	/* layer() runs even so: it is called once whatever happens */
	if (blob_writer_open(&cm->w, job->im, &s.err) < 0)
		cm->w.md = NULL;
	rc = cm->layer(cm->layer_arg, commit_write, &s, err);
	if (rc < 0 && s.err != NULL) {	/* ours says more */
		sdc_error_release(err);
		*err = s.err;
		s.err = NULL;
	}
	sdc_error_release(&s.err);
	if (rc < 0) {
		if (cm->w.md != NULL)
			blob_writer_abort(&cm->w);
		return sdc_error_wrap(err, "writing the container's layer");
	}
	return blob_writer_commit(&cm->w, NULL, -1, diff, err);
}

static int
commit_run(struct images_job *job, sdc_error_t *err)
{
	struct commit *cm = job->data;
	struct job_image *img;
	json_t *ids;
	char diff[72], id[72], *config;
	int64_t size;

	/* no layer: a config-only step of a build (ENV, CMD, ...) */
	if (cm->layer != NULL) {
		if (commit_store_tar(job, cm, diff, err) < 0 ||
		    import_own_layer(job, diff, &size, err) < 0)
			return -1;
		ids = json_object_get(json_object_get(cm->image, "rootfs"),
		    "diff_ids");
		json_array_append_new(ids, json_string(diff));
	}
	config = json_dumps(cm->image, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (blobs_put(job->im, config, strlen(config), NULL, id, err) < 0) {
		free(config);
		return -1;
	}
	job_pin(job, id);
	job_created_blob(job, id);
	img = job_add_image(job);
	img->id = xstrdup(id);
	img->config = config;
	img->nlayers = cm->nlayers + (cm->layer != NULL);
	img->layers = xcalloc(img->nlayers + 1, sizeof *img->layers);
	for (size_t i = 0; i < cm->nlayers; i++) {
		const struct job_layer *p = &cm->layers[i];
		img->layers[i].digest = xstrdup(p->digest);
		img->layers[i].diff_id = xstrdup(p->diff_id);
		img->layers[i].media_type = xstrdup(p->media_type);
		img->layers[i].blob_size = p->blob_size;
		img->layers[i].size = p->size;
	}
	if (cm->layer == NULL)
		goto tags;
	img->layers[cm->nlayers].digest = xstrdup(diff);
	img->layers[cm->nlayers].diff_id = xstrdup(diff);
	img->layers[cm->nlayers].media_type =
	    xstrdup("application/vnd.docker.image.rootfs.diff.tar");
	img->layers[cm->nlayers].blob_size = -1;
	img->layers[cm->nlayers].size = size;
tags:
	if (cm->repo_tag != NULL)
		strvec_push(&img->tags, cm->repo_tag);
	return 0;
}

static void
commit_free(struct images_job *job)
{
	struct commit *cm = job->data;

	if (cm == NULL)
		return;
	json_decref(cm->image);
	job_layers_free(cm->layers, cm->nlayers);
	free(cm->repo_tag);
	free(cm);
}

static void
commit_set_string(json_t *o, const char *key, const char *value)
{
	if (value != NULL && *value != '\0')
		json_object_set_new(o, key, json_string(value));
}

/* The new config from the parent's, all but the new layer's diff id. */
static json_t *
commit_image(json_t *parent, const struct images_commit_opts *o,
    json_t *config, const char *now)
{
	json_t *c = json_object(), *h, *he = json_object(), *rootfs;
	json_t *pr = json_object_get(parent, "rootfs");
	json_t *ids = json_object_get(pr, "diff_ids");

	json_object_set(c, "architecture", json_object_get(parent, "architecture") ?
	    json_object_get(parent, "architecture") : json_string("amd64"));
	commit_set_string(c, "author", o->author);
	commit_set_string(c, "comment", o->comment);
	json_object_set(c, "config", config);
	commit_set_string(c, "container", o->container_id);
	if (o->container_config != NULL)
		json_object_set_new(c, "container_config",
		    json_deep_copy(o->container_config));
	json_object_set_new(c, "created", json_string(now));
	json_object_set_new(c, "docker_version", json_string("sdc-docker " SDC_VERSION));
	h = json_deep_copy(json_object_get(parent, "history"));
	if (!json_is_array(h)) {
		json_decref(h);
		h = json_array();
	}
	json_object_set_new(he, "created", json_string(now));
	commit_set_string(he, "author", o->author);
	commit_set_string(he, "created_by", o->created_by);
	commit_set_string(he, "comment", o->comment);
	if (o->layer == NULL)
		json_object_set_new(he, "empty_layer", json_true());
	json_array_append_new(h, he);
	json_object_set_new(c, "history", h);
	json_object_set(c, "os", json_object_get(parent, "os") ?
	    json_object_get(parent, "os") : json_string("linux"));
	rootfs = json_object();
	json_object_set_new(rootfs, "type", json_string("layers"));
	json_object_set_new(rootfs, "diff_ids", json_is_array(ids) ?
	    json_deep_copy(ids) : json_array());
	json_object_set_new(c, "rootfs", rootfs);
	return c;
}

int
images_commit_start(struct images *im, const char *account,
    const struct images_commit_opts *o, images_event_fn *cb, void *arg,
    struct images_job **out, sdc_error_t *err)
{
	struct commit *cm = xcalloc(1, sizeof *cm);
	struct images_job *job;
	json_t *parent = NULL, *config;
	char *id = NULL, now[TIME_RFC3339_LEN];
	int rc = 0;

	cm->layer = o->layer;
	cm->layer_arg = o->layer_arg;
	job = job_new(im, account, cb, arg);
	job->data = cm;
	job->run = commit_run;
	job->commit = import_commit;
	job->free_data = commit_free;
	config = json_is_object(o->config) ? json_deep_copy(o->config) : json_object();
	if (import_repo_tag(o->repo, &cm->repo_tag, err) < 0 ||
	    import_apply_changes(config, o->changes, err) < 0)
		rc = -1;
	else if (o->parent == NULL)	/* FROM scratch */
		parent = json_object();
	else if (images_resolve(im, account, o->parent, &id, err) < 0 ||
	    meta_image_get(im, id, &parent, &cm->layers, &cm->nlayers, err) < 0)
		rc = -1;
	if (rc == 0) {
		/* what the new image is made of stays until it is recorded */
		if (id != NULL)
			job_pin(job, id);
		for (size_t i = 0; i < cm->nlayers; i++)
			job_pin(job, cm->layers[i].digest);
		time_rfc3339(now, sizeof now, time_now_ns(), 9);
		cm->image = commit_image(parent, o, config, now);
	}
	json_decref(config);
	json_decref(parent);
	free(id);
	if (rc < 0) {
		images_job_free(job);
		return -1;
	}
	return job_start(job, out, err);
}
