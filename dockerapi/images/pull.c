/*
 * pull.c: a pull, as a job (see job.c for the threading).
 *
 * The worker resolves the manifest (a manifest list or OCI index is
 * narrowed to linux/amd64), fetches the config, and then fetches and
 * unpacks the missing layers on up to max_downloads threads.  Layers are
 * unpacked into folders of their own, named by diff id and independent of
 * their parents, so unlike Docker we need not wait for layer N-1 before
 * unpacking layer N: each layer thread downloads and then unpacks straight
 * away, which keeps both cores busy.  A layer counts as here only when the
 * account proved it has it (proofs.c): any other is downloaded and
 * checked, so neither the store's content nor "Already exists" tells one
 * account what another holds.  Every digest is pinned before it is
 * looked at, so the owner's garbage collection cannot remove a blob or a
 * layer between "it exists" and the commit.  The owner commits the image,
 * tag and digest, and only it can tell "Downloaded newer image" from
 * "Image is up to date".  A pull of every tag (`docker pull -a`) lists the
 * repository's tags and pulls them one after the other in the same job,
 * each an image of the job's: nothing is tagged unless every tag came.
 */
#include <stdlib.h>
#include <string.h>

#include "images-int.h"
#include "jsonutil.h"
#include "xalloc.h"

#define PULL_TICK_MS 100

struct pull_layer {
	char *digest;
	char *media_type;
	int64_t size;
	char *diff_id;
	char id[13];
	bool present;		/* proved by the account and unpacked here */
	int64_t usize;		/* unpacked */
	int64_t last_ms;
	int64_t last_cur;
	struct pull *p;
};

struct pull {
	struct images_job *job;
	struct image_ref ref;
	char *mirror;
	struct strvec insecure;
	struct strvec allow_private;
	struct images_auth auth;
	bool all_tags;
	struct strvec proved;	/* the account's proofs at start (proofs.c) */
	struct strvec owned;	/* the account's image ids at start */
	struct registry *reg;
	/* the image being pulled */
	char *manifest_digest;
	char *config_digest;
	struct buf config;
	struct pull_layer *layers;
	size_t nlayers;
	pthread_mutex_t lock;	/* next, err */
	size_t next;
	sdc_error_t err;
};

static json_t *
pull_fetch_manifest(struct pull *p, const char *ref, char **media_type,
    char digest[72], sdc_error_t *err)
{
	struct buf body = BUF_INIT;
	json_t *m;

	if (registry_manifest(p->reg, ref, &body, media_type, digest, err) < 0) {
		buf_free(&body);
		return NULL;
	}
	m = json_parse(body.data, body.len, err);
	buf_free(&body);
	if (m == NULL) {
		free(*media_type);
		*media_type = NULL;
		sdc_error_wrap(err, "manifest %s", ref);
	}
	return m;
}

/* Resolve ref to an image manifest; p->manifest_digest is the top one. */
static json_t *
pull_resolve(struct pull *p, sdc_error_t *err)
{
	const char *ref = p->ref.digest ? p->ref.digest : p->ref.tag;
	char digest[72], *mt = NULL, *pick = NULL;
	json_t *m;

	if ((m = pull_fetch_manifest(p, ref, &mt, digest, err)) == NULL)
		return NULL;
	p->manifest_digest = xstrdup(digest);
	if (manifest_is_index(mt, m)) {
		free(mt);
		mt = NULL;
		if (manifest_pick_platform(m, &pick, err) < 0) {
			json_decref(m);
			return NULL;
		}
		json_decref(m);
		m = pull_fetch_manifest(p, pick, &mt, digest, err);
		free(pick);
		if (m == NULL)
			return NULL;
	}
	free(mt);
	return m;
}

static int
pull_read_layers(struct pull *p, json_t *m, sdc_error_t *err)
{
	const char *ref = p->ref.digest ? p->ref.digest : p->ref.tag;
	struct manifest_image mi;

	if (manifest_image(m, ref, &mi, err) < 0)
		return -1;
	p->nlayers = mi.nlayers;
	p->layers = xcalloc(p->nlayers + 1, sizeof *p->layers);
	for (size_t i = 0; i < mi.nlayers; i++) {
		struct pull_layer *pl = &p->layers[i];
		pl->digest = xstrdup(mi.layers[i].digest);
		pl->media_type = xstrdup(mi.layers[i].media_type);
		pl->size = mi.layers[i].size;
		pl->p = p;
		digest_short(pl->digest, pl->id);
	}
	manifest_image_clear(&mi);
	return 0;
}

/* Fetch (or find) the config and match its diff ids with the layers. */
static int
pull_config(struct pull *p, json_t *m, bool *had, sdc_error_t *err)
{
	json_t *cd = json_object_get(m, "config");
	const char *d = json_str(cd, "digest", NULL);	/* manifest_image checked it */
	struct strvec ids = STRVEC_INIT;
	char *path;
	size_t i;

	p->config_digest = xstrdup(d);
	job_pin(p->job, d);
	/* Only the account's own images are "up to date": whether another
	 * account has this one is none of its business.  Nor is its config
	 * (environment, labels) to be had by naming its digest in a
	 * manifest: a config the account does not own comes from the
	 * registry, verified, even when the store holds it. */
	*had = strvec_has(&p->owned, d);
	if (*had) {
		path = blobs_path(p->job->im, d);
		if (file_read(path, &p->config, 16 << 20, err) < 0) {
			free(path);
			return -1;
		}
		free(path);
	} else {
		bool existed = blobs_exists(p->job->im, d);
		if (registry_blob_mem(p->reg, d, json_int(cd, "size", -1),
		    &p->config, err) < 0)
			return -1;
		if (!existed) {
			if (blobs_put(p->job->im, p->config.data, p->config.len,
			    d, NULL, err) < 0)
				return -1;
			job_created_blob(p->job, d);
		}
	}
	if (manifest_diff_ids(p->config.data, p->config.len, p->nlayers, &ids,
	    err) < 0)
		return -1;
	for (i = 0; i < ids.n; i++)
		p->layers[i].diff_id = xstrdup(ids.v[i]);
	strvec_clear(&ids);
	return 0;
}

static void
pull_fail(struct pull *p, sdc_error_t *err)
{
	pthread_mutex_lock(&p->lock);
	if (p->err == NULL) {
		p->err = *err;
		*err = NULL;
		atomic_store(&p->job->cancel, 1);
	}
	sdc_error_release(err);
	pthread_mutex_unlock(&p->lock);
}

static void
pull_tick(struct pull_layer *pl, enum images_ev kind, int64_t cur, int64_t total)
{
	int64_t now = time_mono_ms();

	if (cur == pl->last_cur || (now - pl->last_ms < PULL_TICK_MS && cur != total))
		return;
	pl->last_ms = now;
	pl->last_cur = cur;
	job_event(pl->p->job, kind, pl->id, NULL, cur, total);
}

static void
pull_download_progress(void *arg, int64_t cur, int64_t total)
{
	if (cur > 0)
		pull_tick(arg, IMAGES_EV_DOWNLOADING, cur, total);
}

static void
pull_extract_progress(void *arg, int64_t cur, int64_t total)
{
	pull_tick(arg, IMAGES_EV_EXTRACTING, cur, total);
}

/*
 * A layer the account has not proved is downloaded whatever the store
 * holds, so the account proves it has the bytes (the blob verified
 * against the manifest's digest, its uncompressed bytes against the diff
 * id) and its progress cannot tell it which layers other accounts hold.
 * A layer already unpacked is only hashed (still shown as extracting);
 * a new one is unpacked.
 */
static int
pull_one_layer(struct pull_layer *pl, struct registry *r, sdc_error_t *err)
{
	struct images_job *job = pl->p->job;
	struct blob_writer w = { 0 };
	struct layer_result res;
	bool spare;		/* the blob need not be kept */
	char *dir;
	int rc;

	if (registry_blob_fetch(r, job->im, pl->digest, pl->size,
	    pull_download_progress, pl, &w, err) < 0)
		return -1;
	job_event(job, IMAGES_EV_VERIFYING, pl->id, NULL, 0, 0);
	job_event(job, IMAGES_EV_DOWNLOAD_COMPLETE, pl->id, NULL, 0, 0);
	pl->last_ms = 0;
	pl->last_cur = -1;
	if (layers_exists(job->im, pl->diff_id)) {
		rc = layers_verify(job->im, w.tmp, pl->diff_id,
		    pull_extract_progress, pl, &job->cancel, err);
		dir = images_layer_dir(job->im, pl->diff_id);
		res.size = tree_size(dir);
		free(dir);
		spare = layers_has_split(job->im, pl->diff_id) ||
		    blobs_exists(job->im, pl->digest);
	} else {
		rc = layers_unpack(job->im, w.tmp, pl->diff_id,
		    pull_extract_progress, pl, &job->cancel, &job->budget, &res, err);
		if (rc == 0 && res.created)
			job_created_layer(job, pl->diff_id);
		spare = res.split;
	}
	/* the blob stays only where no tar-split can stand in for it */
	if (rc == 0 && !spare) {
		rc = blob_writer_keep(&w, pl->digest, err);
		if (rc == 0)
			job_created_blob(job, pl->digest);
	} else
		blob_writer_abort(&w);
	if (rc < 0)
		return sdc_error_wrap(err, "failed to register layer");
	job_proved(job, pl->diff_id);
	pl->usize = res.size;
	job_event(job, IMAGES_EV_PULL_COMPLETE, pl->id, NULL, 0, 0);
	return 0;
}

static void *
pull_layer_thread(void *arg)
{
	struct pull *p = arg;
	struct registry *r = registry_dup(p->reg);
	sdc_error_t err = NULL;

	for (;;) {
		struct pull_layer *pl = NULL;
		pthread_mutex_lock(&p->lock);
		while (p->next < p->nlayers && p->layers[p->next].present)
			p->next++;
		if (p->next < p->nlayers && p->err == NULL)
			pl = &p->layers[p->next++];
		pthread_mutex_unlock(&p->lock);
		if (pl == NULL)
			break;
		if (pull_one_layer(pl, r, &err) < 0)
			pull_fail(p, &err);
	}
	registry_close(r);
	return NULL;
}

/* Announce the layers as Docker does, then work through them. */
static int
pull_layers(struct pull *p, bool quiet, sdc_error_t *err)
{
	struct images_job *job = p->job;
	size_t missing = 0, nthreads;
	pthread_t th[16];

	for (size_t i = 0; i < p->nlayers; i++) {
		struct pull_layer *pl = &p->layers[i];
		job_pin(job, pl->digest);
		job_pin(job, pl->diff_id);
		pl->present = strvec_has(&p->proved, pl->diff_id) &&
		    layers_exists(job->im, pl->diff_id);
		if (pl->present) {
			char *path = images_layer_dir(job->im, pl->diff_id);
			pl->usize = tree_size(path);
			free(path);
			job_proved(job, pl->diff_id);
			if (!quiet)
				job_event(job, IMAGES_EV_ALREADY_EXISTS, pl->id, NULL, 0, 0);
		} else {
			job_event(job, IMAGES_EV_FS_LAYER, pl->id, NULL, 0, 0);
			missing++;
		}
	}
	nthreads = missing < (size_t)job->im->max_downloads ? missing :
	    (size_t)job->im->max_downloads;
	if (nthreads > 16)
		nthreads = 16;
	for (size_t i = 0, seen = 0; i < p->nlayers; i++)
		if (!p->layers[i].present && seen++ >= nthreads)
			job_event(job, IMAGES_EV_WAITING, p->layers[i].id, NULL, 0, 0);
	for (size_t i = 0; i < nthreads; i++)
		if (pthread_create(&th[i], NULL, pull_layer_thread, p) != 0) {
			nthreads = i;
			pthread_mutex_lock(&p->lock);
			if (p->err == NULL)
				sdc_make_error(&p->err, 0, "cannot start a download thread");
			pthread_mutex_unlock(&p->lock);
			break;
		}
	for (size_t i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	if (p->err != NULL) {
		sdc_error_release(err);
		*err = p->err;
		p->err = NULL;
		return -1;
	}
	if (job_cancelled(job))
		return sdc_make_error_code(err, 500, "cancelled");
	return 0;
}

static void
pull_fill_image(struct pull *p)
{
	struct job_image *img = job_add_image(p->job);
	char *repo = image_ref_repo(&p->ref), *tag;

	img->id = xstrdup(p->config_digest);
	img->config = xstrndup(p->config.data, p->config.len);
	img->nlayers = p->nlayers;
	img->layers = xcalloc(p->nlayers + 1, sizeof *img->layers);
	for (size_t i = 0; i < p->nlayers; i++) {
		img->layers[i].digest = xstrdup(p->layers[i].digest);
		img->layers[i].media_type = xstrdup(p->layers[i].media_type);
		img->layers[i].blob_size = p->layers[i].size;
		img->layers[i].diff_id = xstrdup(p->layers[i].diff_id);
		img->layers[i].size = p->layers[i].usize;
	}
	if (p->ref.tag != NULL) {
		xasprintf(&tag, "%s:%s", repo, p->ref.tag);
		strvec_push(&img->tags, tag);
		free(tag);
	}
	img->repo = repo;
	img->digest = xstrdup(p->manifest_digest);
}

/* Forget the image pulled last, for the next tag. */
static void
pull_image_reset(struct pull *p)
{
	free(p->manifest_digest);
	free(p->config_digest);
	p->manifest_digest = p->config_digest = NULL;
	buf_free(&p->config);
	for (size_t i = 0; i < p->nlayers; i++) {
		free(p->layers[i].digest);
		free(p->layers[i].media_type);
		free(p->layers[i].diff_id);
	}
	free(p->layers);
	p->layers = NULL;
	p->nlayers = p->next = 0;
}

/* The image p->ref names: manifest, config, layers, and its job_image. */
static int
pull_image(struct pull *p, sdc_error_t *err)
{
	json_t *m;
	bool had_config = false;
	int rc;

	if ((m = pull_resolve(p, err)) == NULL)
		return -1;
	rc = pull_read_layers(p, m, err);
	if (rc == 0) {
		job_event(p->job, IMAGES_EV_PULLING_FROM,
		    p->ref.digest ? p->ref.digest : p->ref.tag, p->ref.path, 0, 0);
		rc = pull_config(p, m, &had_config, err);
	}
	json_decref(m);
	if (rc < 0 || pull_layers(p, had_config, err) < 0)
		return -1;
	pull_fill_image(p);
	return 0;
}

static int
pull_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
pull_every_tag(struct pull *p, sdc_error_t *err)
{
	struct strvec tags = { 0 };
	int rc = registry_tags(p->reg, &tags, err);

	if (rc == 0)
		qsort(tags.v, tags.n, sizeof *tags.v, pull_cmp);
	for (size_t i = 0; rc == 0 && i < tags.n; i++) {
		free(p->ref.tag);
		p->ref.tag = xstrdup(tags.v[i]);
		pull_image_reset(p);
		rc = pull_image(p, err);
	}
	strvec_clear(&tags);
	return rc;
}

static int
pull_run(struct images_job *job, sdc_error_t *err)
{
	struct pull *p = job->data;
	struct registry_opts o = { p->mirror, &p->insecure, &p->allow_private,
	    &p->auth, &job->cancel, false, NULL };

	if (registry_open(&p->reg, &p->ref, &o, err) < 0)
		return -1;
	return p->all_tags ? pull_every_tag(p, err) : pull_image(p, err);
}

static int
pull_commit(struct images_job *job, sdc_error_t *err)
{
	struct pull *p = job->data;
	struct images_event ev = { IMAGES_EV_DIGEST, NULL, NULL, 0, 0 };
	bool up_to_date = true;
	char *name, *status;

	for (size_t i = 0; i < job->nimages; i++) {
		if (meta_commit_image(job->im, job->account, &job->images[i],
		    &job->proved, err) < 0)
			return -1;
		up_to_date &= job->images[i].up_to_date;
	}
	if (job->cb != NULL) {
		for (size_t i = 0; i < job->nimages; i++) {
			ev.text = job->images[i].digest;
			job->cb(job->arg, &ev);
		}
		name = p->all_tags ? image_ref_familiar(&p->ref) :
		    image_ref_familiar_full(&p->ref);
		xasprintf(&status, "%s for %s", up_to_date ?
		    "Image is up to date" : "Downloaded newer image", name);
		ev.kind = IMAGES_EV_STATUS;
		ev.text = status;
		job->cb(job->arg, &ev);
		free(status);
		free(name);
	}
	return 0;
}

static void
pull_free(struct images_job *job)
{
	struct pull *p = job->data;

	if (p == NULL)
		return;
	registry_close(p->reg);
	image_ref_free(&p->ref);
	free(p->mirror);
	strvec_clear(&p->insecure);
	strvec_clear(&p->allow_private);
	images_auth_free(&p->auth);
	strvec_clear(&p->proved);
	strvec_clear(&p->owned);
	pull_image_reset(p);
	sdc_error_release(&p->err);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static int
pull_start(struct images *im, const char *account, struct pull *p,
    const struct images_auth *auth, images_event_fn *cb, void *arg,
    struct images_job **out, sdc_error_t *err)
{
	struct images_job *job;

	pthread_mutex_init(&p->lock, NULL);
	/* what the account has, read now: the worker cannot read the store */
	if (proofs_list(im, account, &p->proved, err) < 0 ||
	    proofs_owned_images(im, account, &p->owned, err) < 0) {
		image_ref_free(&p->ref);
		strvec_clear(&p->proved);
		strvec_clear(&p->owned);
		pthread_mutex_destroy(&p->lock);
		free(p);
		return -1;
	}
	p->mirror = im->mirror ? xstrdup(im->mirror) : NULL;
	strvec_copy(&p->insecure, &im->insecure);
	strvec_copy(&p->allow_private, &im->allow_private);
	images_auth_copy(&p->auth, auth);
	job = job_new(im, account, cb, arg);
	job->data = p;
	p->job = job;
	job->run = pull_run;
	job->commit = pull_commit;
	job->free_data = pull_free;
	return job_start(job, out, err);
}

int
images_pull_start(struct images *im, const char *account, const char *name,
    const struct images_auth *auth, images_event_fn *cb, void *arg,
    struct images_job **out, sdc_error_t *err)
{
	struct pull *p = xcalloc(1, sizeof *p);

	if (image_ref_parse(&p->ref, name, err) < 0) {
		free(p);
		return -1;
	}
	return pull_start(im, account, p, auth, cb, arg, out, err);
}

int
images_pull_all_start(struct images *im, const char *account,
    const char *repo, const struct images_auth *auth, images_event_fn *cb,
    void *arg, struct images_job **out, sdc_error_t *err)
{
	struct pull *p = xcalloc(1, sizeof *p);

	if (image_ref_parse_notag(&p->ref, repo, err) < 0) {
		free(p);
		return -1;
	}
	if (p->ref.tag != NULL || p->ref.digest != NULL) {
		image_ref_free(&p->ref);
		free(p);
		return sdc_make_error_code(err, 400, "%s: a pull of every tag "
		    "takes a repository name, without tag or digest", repo);
	}
	p->all_tags = true;
	return pull_start(im, account, p, auth, cb, arg, out, err);
}
