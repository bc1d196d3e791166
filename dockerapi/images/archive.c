/*
 * archive.c: docker-archive, the format of `docker save` and `docker load`.
 *
 * Save writes the layout every Docker since 1.10 loads: manifest.json
 * ([{Config, RepoTags, Layers}]), repositories, <config hex>.json, and one
 * folder per layer with layer.tar (the exact uncompressed tar whose digest
 * is the diff id, so ids survive the round trip), VERSION and json.  A tar
 * header needs the size first, so a compressed layer is read twice: once
 * to count, once to copy.
 *
 * Load reads the archive as a stream, in whatever order its files come
 * (Docker writes manifest.json last): every file goes into the blob store
 * under its digest, and names are mapped to digests.  At the end the
 * manifest tells which blobs are configs and which are layers; layers are
 * unpacked and checked against the config's diff ids -- a layer already in
 * the store is hashed all the same, since only the archive's own bytes
 * prove the account may use it (proofs.c).  The files nobody
 * needs (VERSION, legacy json, ...) are collected after the job like any
 * blob no image refers to.  Docker 25+ archives (OCI layout inside) carry
 * a manifest.json too, with blobs/sha256/<hex> paths, and load the same way;
 * a bare OCI layout (index.json only, as `skopeo copy oci-archive:` writes)
 * is turned into the same entries.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "images-int.h"
#include "jsonutil.h"
#include "tarout.h"
#include "xalloc.h"

#define ARCHIVE_META_MAX (16 << 20)

/* ---- load ---- */

struct load {
	int fd;
	struct strvec names;	/* file names in the archive ... */
	struct strvec digests;	/* ... and their blobs */
};

static const char *
load_digest_of(struct load *ld, const char *name)
{
	if (strncmp(name, "./", 2) == 0)
		name += 2;
	for (size_t i = 0; i < ld->names.n; i++)
		if (strcmp(ld->names.v[i], name) == 0)
			return ld->digests.v[i];
	return NULL;
}

/* Only what the archive carried: the store may hold the same digest for
 * another account, and neither its bytes nor its presence are this
 * load's to learn. */
static int
load_read_blob(struct images_job *job, const char *digest, struct buf *out,
    sdc_error_t *err)
{
	struct load *ld = job->data;
	char *path;
	int rc;

	if (!strvec_has(&ld->digests, digest))
		return sdc_make_error_code(err, 400, "the archive lacks blob %s",
		    digest);
	path = blobs_path(job->im, digest);
	rc = file_read(path, out, ARCHIVE_META_MAX, err);
	free(path);
	return rc;
}

static int
load_store_entry(struct images_job *job, struct archive *a, const char *name,
    char *chunk, sdc_error_t *err)
{
	struct load *ld = job->data;
	struct blob_writer w;
	char digest[72];
	la_ssize_t n;

	if (blob_writer_open(&w, job->im, err) < 0)
		return -1;
	while ((n = archive_read_data(a, chunk, 128 * 1024)) > 0)
		if (budget_charge(&job->budget, &job->budget.stored, n,
		    err) < 0 || blob_writer_write(&w, chunk, (size_t)n, err) < 0) {
			blob_writer_abort(&w);
			return -1;
		}
	if (n < 0 || job_cancelled(job)) {
		blob_writer_abort(&w);
		return sdc_make_error_code(err, 400, "reading %s in the archive: %s",
		    name, n < 0 ? archive_error_string(a) : "cancelled");
	}
	if (blob_writer_commit(&w, NULL, -1, digest, err) < 0)
		return -1;
	job_pin(job, digest);
	job_created_blob(job, digest);
	strvec_push(&ld->names, strncmp(name, "./", 2) == 0 ? name + 2 : name);
	strvec_push(&ld->digests, digest);
	return 0;
}

static int
load_read_archive(struct images_job *job, sdc_error_t *err)
{
	struct load *ld = job->data;
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char *chunk = xmalloc(128 * 1024);
	int r, rc = 0;

	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	if (archive_read_open_fd(a, ld->fd, 128 * 1024) != ARCHIVE_OK)
		rc = sdc_make_error_code(err, 400, "reading the archive: %s",
		    archive_error_string(a));
	while (rc == 0 && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK)
		if (archive_entry_filetype(e) == AE_IFREG)
			rc = load_store_entry(job, a, archive_entry_pathname(e),
			    chunk, err);
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = sdc_make_error_code(err, 400, "reading the archive: %s",
		    archive_error_string(a));
	archive_read_free(a);
	free(chunk);
	return rc;
}

struct load_progress {
	struct images_job *job;
	char id[13];
	int64_t last;
};

static void
load_progress(void *arg, int64_t cur, int64_t total)
{
	struct load_progress *lp = arg;
	int64_t now = time_mono_ms();

	if (now - lp->last < 100 && cur != total)
		return;
	lp->last = now;
	job_event(lp->job, IMAGES_EV_LOADING, lp->id, NULL, cur, total);
}

static int
load_layer(struct images_job *job, const char *digest, const char *diff,
    struct job_layer *l, sdc_error_t *err)
{
	struct load_progress lp = { job, "", 0 };
	struct layer_result res;
	char *blob, *dir;
	int rc = 0;

	job_pin(job, diff);
	digest_short(diff, lp.id);
	l->digest = xstrdup(digest);
	l->diff_id = xstrdup(diff);
	l->media_type = xstrdup(strcmp(digest, diff) == 0 ?
	    "application/vnd.docker.image.rootfs.diff.tar" :
	    "application/vnd.oci.image.layer.v1.tar+gzip");
	l->blob_size = -1;
	blob = blobs_path(job->im, digest);
	/* a layer already here is not taken on its name: the archive's
	 * bytes must be that layer's (proofs.c) */
	if (layers_exists(job->im, diff)) {
		rc = layers_verify(job->im, blob, diff, load_progress, &lp,
		    &job->cancel, err);
		dir = images_layer_dir(job->im, diff);
		res.size = tree_size(dir);
		res.created = false;
		free(dir);
	} else
		rc = layers_unpack(job->im, blob, diff, load_progress, &lp,
		    &job->cancel, &job->budget, &res, err);
	free(blob);
	if (rc < 0)
		return sdc_error_wrap(err, "loading layer %s", lp.id);
	if (res.created)
		job_created_layer(job, diff);
	job_proved(job, diff);
	l->size = res.size;
	return 0;
}

static void
load_tags(struct job_image *img, json_t *repotags)
{
	struct image_ref ref;
	sdc_error_t err = NULL;
	json_t *t;
	size_t i;
	char *repo, *s;

	json_array_foreach(repotags, i, t) {
		if (image_ref_parse(&ref, json_string_value(t), &err) < 0) {
			sdc_error_release(&err);
			continue;
		}
		if (ref.tag != NULL) {
			repo = image_ref_repo(&ref);
			xasprintf(&s, "%s:%s", repo, ref.tag);
			strvec_push(&img->tags, s);
			free(s);
			free(repo);
		}
		image_ref_free(&ref);
	}
}

static int
load_image(struct images_job *job, json_t *entry, sdc_error_t *err)
{
	struct load *ld = job->data;
	const char *cname = json_str(entry, "Config", ""), *cd;
	json_t *layers = json_object_get(entry, "Layers"), *config, *ids, *l;
	struct buf text = BUF_INIT;
	struct job_image *img;
	size_t i;

	if ((cd = load_digest_of(ld, cname)) == NULL)
		return sdc_make_error_code(err, 400, "archive lacks config %s", cname);
	if (load_read_blob(job, cd, &text, err) < 0 ||
	    (config = json_parse(text.data, text.len, err)) == NULL) {
		buf_free(&text);
		return sdc_error_wrap(err, "config %s", cname);
	}
	ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	img = job_add_image(job);
	img->id = xstrdup(cd);
	img->config = buf_detach(&text, NULL);
	img->nlayers = json_array_size(layers);
	img->layers = xcalloc(img->nlayers + 1, sizeof *img->layers);
	load_tags(img, json_object_get(entry, "RepoTags"));
	if (json_array_size(ids) != img->nlayers) {
		json_decref(config);
		return sdc_make_error_code(err, 400, "config %s has %zu diff ids for "
		    "%zu layers", cname, json_array_size(ids), img->nlayers);
	}
	json_array_foreach(layers, i, l) {
		const char *ld_digest = load_digest_of(ld, json_string_value(l) ?
		    json_string_value(l) : "");
		const char *diff = json_string_value(json_array_get(ids, i));
		if (ld_digest == NULL || !digest_valid(diff)) {
			json_decref(config);
			return sdc_make_error_code(err, 400, "archive lacks layer %s",
			    json_string_value(l) ? json_string_value(l) : "?");
		}
		if (load_layer(job, ld_digest, diff, &img->layers[i], err) < 0) {
			json_decref(config);
			return -1;
		}
	}
	json_decref(config);
	return 0;
}

/* "blobs/sha256/<hex>" of a descriptor, the name its file has in an OCI
 * layout. */
static json_t *
load_oci_path(json_t *desc)
{
	const char *d = json_str(desc, "digest", "");
	char *p;
	json_t *s;

	if (!digest_valid(d))
		return json_string("");
	xasprintf(&p, "blobs/sha256/%s", digest_hex(d));
	s = json_string(p);
	free(p);
	return s;
}

/* The tag an OCI index gives a manifest, if any. */
static void
load_oci_tag(json_t *desc, json_t *tags)
{
	json_t *ann = json_object_get(desc, "annotations");
	const char *name = json_str(ann, "io.containerd.image.name", NULL);
	const char *ref = json_str(ann, "org.opencontainers.image.ref.name", NULL);

	if (name != NULL)
		json_array_append_new(tags, json_string(name));
	else if (ref != NULL && strpbrk(ref, "/:") != NULL)	/* not a bare tag */
		json_array_append_new(tags, json_string(ref));
}

/* An OCI image layout (index.json) without manifest.json: build the
 * manifest.json entries from it.  Nested indexes are narrowed to
 * linux/amd64 as in a pull. */
static json_t *
load_oci_manifest(struct images_job *job, const char *index_digest, int depth,
    sdc_error_t *err)
{
	struct buf text = BUF_INIT;
	json_t *idx, *out = json_array(), *desc, *m;
	size_t i, k;

	if (depth > 2 || load_read_blob(job, index_digest, &text, err) < 0 ||
	    (idx = json_parse(text.data, text.len, err)) == NULL) {
		buf_free(&text);
		json_decref(out);
		if (*err == NULL)
			sdc_make_error_code(err, 400, "OCI index nested too deep");
		return NULL;
	}
	buf_free(&text);
	json_array_foreach(json_object_get(idx, "manifests"), i, desc) {
		const char *mt = json_str(desc, "mediaType", "");
		json_t *pl = json_object_get(desc, "platform"), *e, *layers, *l;
		if (pl != NULL && (strcmp(json_str(pl, "os", "linux"), "linux") != 0 ||
		    strcmp(json_str(pl, "architecture", "amd64"), "amd64") != 0))
			continue;
		if (strstr(mt, "index") != NULL || strstr(mt, "list") != NULL) {
			json_t *sub = load_oci_manifest(job, json_str(desc, "digest", ""),
			    depth + 1, err);
			if (sub == NULL)
				break;
			json_array_extend(out, sub);
			json_decref(sub);
			continue;
		}
		if (!digest_valid(json_str(desc, "digest", NULL)) ||
		    load_read_blob(job, json_str(desc, "digest", ""), &text, err) < 0 ||
		    (m = json_parse(text.data, text.len, err)) == NULL) {
			buf_free(&text);
			if (*err == NULL)
				sdc_make_error_code(err, 400,
				    "OCI index entry without digest");
			break;
		}
		buf_free(&text);
		e = json_object();
		json_object_set_new(e, "Config",
		    load_oci_path(json_object_get(m, "config")));
		json_object_set_new(e, "RepoTags", json_array());
		load_oci_tag(desc, json_object_get(e, "RepoTags"));
		layers = json_array();
		json_array_foreach(json_object_get(m, "layers"), k, l)
			json_array_append_new(layers, load_oci_path(l));
		json_object_set_new(e, "Layers", layers);
		json_array_append_new(out, e);
		json_decref(m);
	}
	json_decref(idx);
	if (*err != NULL) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static json_t *
load_manifest(struct images_job *job, sdc_error_t *err)
{
	struct load *ld = job->data;
	struct buf text = BUF_INIT;
	const char *md = load_digest_of(ld, "manifest.json");
	json_t *m;

	if (md == NULL && (md = load_digest_of(ld, "index.json")) != NULL)
		return load_oci_manifest(job, md, 0, err);
	if (md == NULL) {
		sdc_make_error_code(err, 400, "not a docker-archive: no manifest.json "
		    "(archives from Docker before 1.10 are not supported)");
		return NULL;
	}
	if (load_read_blob(job, md, &text, err) < 0 ||
	    (m = json_parse(text.data, text.len, err)) == NULL) {
		buf_free(&text);
		sdc_error_wrap(err, "manifest.json");
		return NULL;
	}
	buf_free(&text);
	return m;
}

static int
load_run(struct images_job *job, sdc_error_t *err)
{
	json_t *m, *entry;
	size_t i;

	if (load_read_archive(job, err) < 0 || (m = load_manifest(job, err)) == NULL)
		return -1;
	json_array_foreach(m, i, entry)
		if (load_image(job, entry, err) < 0) {
			json_decref(m);
			return -1;
		}
	json_decref(m);
	if (job->nimages == 0)
		return sdc_make_error_code(err, 400, "the archive holds no image");
	return 0;
}

static void
load_event(struct images_job *job, const char *text)
{
	struct images_event ev = { IMAGES_EV_LOADED, NULL, text, 0, 0 };

	if (job->cb != NULL)
		job->cb(job->arg, &ev);
}

static int
load_commit(struct images_job *job, sdc_error_t *err)
{
	char *s, *fam;

	if (store_begin(job->im->st, err) < 0)
		return -1;
	for (size_t i = 0; i < job->nimages; i++) {
		if (meta_record_image(job->im, job->account, &job->images[i],
		    &job->proved, err) == 0)
			continue;
		store_rollback(job->im->st);
		return -1;
	}
	if (store_commit(job->im->st, err) < 0)
		return -1;
	for (size_t i = 0; i < job->nimages; i++) {
		struct job_image *img = &job->images[i];
		for (size_t t = 0; t < img->tags.n; t++) {
			fam = refs_familiar_repo(img->tags.v[t]);
			xasprintf(&s, "Loaded image: %s", fam);
			load_event(job, s);
			free(s);
			free(fam);
		}
		if (img->tags.n == 0) {
			xasprintf(&s, "Loaded image ID: %s", img->id);
			load_event(job, s);
			free(s);
		}
	}
	return 0;
}

static void
load_free(struct images_job *job)
{
	struct load *ld = job->data;

	if (ld == NULL)
		return;
	if (ld->fd >= 0)
		close(ld->fd);
	strvec_clear(&ld->names);
	strvec_clear(&ld->digests);
	free(ld);
}

int
images_load_start(struct images *im, const char *account, int fd,
    images_event_fn *cb, void *arg, struct images_job **out, sdc_error_t *err)
{
	struct load *ld = xcalloc(1, sizeof *ld);
	struct images_job *job = job_new(im, account, cb, arg);

	ld->fd = fd;
	job->data = ld;
	job->run = load_run;
	job->commit = load_commit;
	job->free_data = load_free;
	return job_start(job, out, err);
}

/* ---- save ---- */

struct save_image {
	char *id;
	char *config;
	struct job_layer *layers;
	size_t nlayers;
	struct strvec tags;	/* familiar "repo:tag" chosen for the archive */
};

struct images_save {
	struct images *im;
	struct save_image *imgs;
	size_t n;
	struct strvec pins;
};

static struct save_image *
save_find(struct images_save *sv, const char *id)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->imgs[i].id, id) == 0)
			return &sv->imgs[i];
	return NULL;
}

static int
save_add(struct images_save *sv, const char *id, const char *tag, sdc_error_t *err)
{
	struct save_image *si = save_find(sv, id);

	if (si == NULL) {
		sv->imgs = xrealloc(sv->imgs, (sv->n + 1) * sizeof *sv->imgs);
		si = &sv->imgs[sv->n];
		memset(si, 0, sizeof *si);
		si->id = xstrdup(id);
		sv->n++;
		if (meta_image_get(sv->im, id, NULL, &si->layers, &si->nlayers, err) < 0)
			return -1;
		si->config = meta_string(sv->im, err, "SELECT config FROM images "
		    "WHERE id = ?", "t", id);
		if (si->config == NULL)
			return -1;
		images_pin(sv->im, id);
		strvec_push(&sv->pins, id);
		for (size_t i = 0; i < si->nlayers; i++) {
			images_pin(sv->im, si->layers[i].digest);
			strvec_push(&sv->pins, si->layers[i].digest);
		}
	}
	if (tag != NULL && !strvec_has(&si->tags, tag))
		strvec_push(&si->tags, tag);
	return 0;
}

/* "busybox" without a tag: every tag of that repository. */
static int
save_add_repo(struct images_save *sv, const char *account, const char *name,
    bool *found, sdc_error_t *err)
{
	struct image_ref ref;
	sdc_error_t perr = NULL;
	struct store_stmt *q;
	char *repo, *fam, *tag;
	int r = 0;

	*found = false;
	if (image_ref_parse_notag(&ref, name, &perr) < 0 || ref.tag || ref.digest) {
		sdc_error_release(&perr);
		image_ref_free(&ref);
		return 0;
	}
	repo = image_ref_repo(&ref);
	fam = image_ref_familiar(&ref);
	q = meta_query(sv->im, err, "SELECT tag, image_id FROM image_tags WHERE "
	    "account = ? AND repo = ? ORDER BY tag", "tt", account, repo);
	while (q != NULL && r == 0 && (r = store_step(q, err)) == 1) {
		xasprintf(&tag, "%s:%s", fam, store_col_text(q, 0));
		r = save_add(sv, store_col_text(q, 1), tag, err) < 0 ? -1 : 0;
		free(tag);
		*found = true;
	}
	if (q != NULL)
		store_finalize(q);
	free(repo);
	free(fam);
	image_ref_free(&ref);
	return q == NULL || r < 0 ? -1 : 0;
}

static int
save_add_name(struct images_save *sv, const char *account, const char *name,
    sdc_error_t *err)
{
	struct image_ref ref;
	sdc_error_t perr = NULL;
	char *id, *tag = NULL;
	bool found;
	int rc;

	if (save_add_repo(sv, account, name, &found, err) < 0 || found)
		return found ? 0 : -1;
	if (images_resolve(sv->im, account, name, &id, err) < 0)
		return -1;
	/* "sha256:<hex>" names the image, not a tag of a "sha256" repo */
	if (strncmp(name, "sha256:", 7) != 0) {
		if (image_ref_parse_notag(&ref, name, &perr) == 0 && ref.tag != NULL)
			tag = image_ref_familiar_full(&ref);
		sdc_error_release(&perr);
		image_ref_free(&ref);
	}
	rc = save_add(sv, id, tag, err);
	free(tag);
	free(id);
	return rc;
}

int
images_save_prepare(struct images *im, const char *account,
    const char *const *names, struct images_save **out, sdc_error_t *err)
{
	struct images_save *sv = xcalloc(1, sizeof *sv);

	sv->im = im;
	for (size_t i = 0; names != NULL && names[i] != NULL; i++)
		if (save_add_name(sv, account, names[i], err) < 0) {
			images_save_free(sv);
			return -1;
		}
	if (sv->n == 0) {
		images_save_free(sv);
		return sdc_make_error_code(err, 400, "no image to save");
	}
	*out = sv;
	return 0;
}

void
images_save_free(struct images_save *sv)
{
	if (sv == NULL)
		return;
	for (size_t i = 0; i < sv->pins.n; i++)
		images_unpin(sv->im, sv->pins.v[i]);
	strvec_clear(&sv->pins);
	for (size_t i = 0; i < sv->n; i++) {
		free(sv->imgs[i].id);
		free(sv->imgs[i].config);
		job_layers_free(sv->imgs[i].layers, sv->imgs[i].nlayers);
		strvec_clear(&sv->imgs[i].tags);
	}
	free(sv->imgs);
	free(sv);
}

struct save_out {
	struct archive *tar;
	time_t mtime;
	sdc_error_t data_err;           /* from save_data_cb */
};

static int
save_header(struct save_out *so, const char *name, unsigned type, int64_t size,
    sdc_error_t *err)
{
	return tarout_entry(so->tar, name, type, type == AE_IFDIR ? 0755 : 0644,
	    size, so->mtime, err);
}

static int
save_file(struct save_out *so, const char *name, const char *data, size_t len,
    sdc_error_t *err)
{
	return tarout_file(so->tar, name, data, len, so->mtime, err);
}

static int
save_data_cb(void *arg, const void *data, size_t len)
{
	struct save_out *so = arg;

	if (so->data_err != NULL)
		return -1;
	return tarout_data(so->tar, data, len, &so->data_err);
}

static int
save_layer(struct images_save *sv, struct save_out *so, const struct job_layer *l,
    const char *parent, sdc_error_t *err)
{
	const char *hex = digest_hex(l->diff_id);
	char *name, *json;
	int64_t size, copied;
	int rc;

	rc = layers_tar_size(sv->im, l->diff_id, l->digest, &size, err);
	xasprintf(&name, "%s/", hex);
	if (rc == 0)
		rc = save_header(so, name, AE_IFDIR, 0, err);
	free(name);
	xasprintf(&name, "%s/VERSION", hex);
	if (rc == 0)
		rc = save_file(so, name, "1.0", 3, err);
	free(name);
	if (parent != NULL)
		xasprintf(&json, "{\"id\":\"%s\",\"parent\":\"%s\"}", hex, parent);
	else
		xasprintf(&json, "{\"id\":\"%s\"}", hex);
	xasprintf(&name, "%s/json", hex);
	if (rc == 0)
		rc = save_file(so, name, json, strlen(json), err);
	free(name);
	free(json);
	xasprintf(&name, "%s/layer.tar", hex);
	if (rc == 0)
		rc = save_header(so, name, AE_IFREG, size, err);
	free(name);
	if (rc == 0 && layers_copy_tar(sv->im, l->diff_id, l->digest, save_data_cb,
	    so, &copied, err) < 0) {
		if (so->data_err != NULL) {     /* ours says more than "copy" */
			sdc_error_release(err);
			*err = so->data_err;
			so->data_err = NULL;
		}
		rc = -1;
	}
	if (rc == 0 && copied != size)
		rc = sdc_make_error(err, 0, "layer %s changed while saving", hex);
	return rc;
}

static json_t *
save_manifest(struct images_save *sv, json_t **repos)
{
	json_t *m = json_array();

	*repos = json_object();
	for (size_t i = 0; i < sv->n; i++) {
		struct save_image *si = &sv->imgs[i];
		json_t *e = json_object(), *tags = json_array(), *layers = json_array();
		char *cfg;
		xasprintf(&cfg, "%s.json", digest_hex(si->id));
		json_object_set_new(e, "Config", json_string(cfg));
		free(cfg);
		for (size_t t = 0; t < si->tags.n; t++) {
			char *repo = xstrdup(si->tags.v[t]), *colon = strrchr(repo, ':');
			json_t *r;
			json_array_append_new(tags, json_string(si->tags.v[t]));
			*colon = '\0';
			if ((r = json_object_get(*repos, repo)) == NULL) {
				r = json_object();
				json_object_set_new(*repos, repo, r);
			}
			if (si->nlayers > 0)
				json_object_set_new(r, colon + 1, json_string(
				    digest_hex(si->layers[si->nlayers - 1].diff_id)));
			free(repo);
		}
		json_object_set_new(e, "RepoTags", si->tags.n ? tags : json_null());
		if (si->tags.n == 0)
			json_decref(tags);
		for (size_t k = 0; k < si->nlayers; k++) {
			char *p;
			xasprintf(&p, "%s/layer.tar", digest_hex(si->layers[k].diff_id));
			json_array_append_new(layers, json_string(p));
			free(p);
		}
		json_object_set_new(e, "Layers", layers);
		json_array_append_new(m, e);
	}
	return m;
}

static int
save_images(struct images_save *sv, struct save_out *so, sdc_error_t *err)
{
	struct strvec done = { 0 };
	int rc = 0;

	for (size_t i = 0; i < sv->n && rc == 0; i++) {
		struct save_image *si = &sv->imgs[i];
		char *name;
		for (size_t k = 0; k < si->nlayers && rc == 0; k++) {
			if (strvec_has(&done, si->layers[k].diff_id))
				continue;
			strvec_push(&done, si->layers[k].diff_id);
			rc = save_layer(sv, so, &si->layers[k], k > 0 ?
			    digest_hex(si->layers[k - 1].diff_id) : NULL, err);
		}
		xasprintf(&name, "%s.json", digest_hex(si->id));
		if (rc == 0)
			rc = save_file(so, name, si->config, strlen(si->config), err);
		free(name);
	}
	strvec_clear(&done);
	return rc;
}

int
images_save_write(struct images_save *sv, images_write_fn *write, void *arg,
    sdc_error_t *err)
{
	struct save_out so = { .mtime = time(NULL) };
	json_t *m, *repos;
	char *mt, *rt;
	int rc;

	if ((so.tar = tarout_new(write, arg, err)) == NULL)
		return -1;
	rc = save_images(sv, &so, err);
	m = save_manifest(sv, &repos);
	mt = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
	rt = json_dumps(repos, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (rc == 0)
		rc = save_file(&so, "manifest.json", mt, strlen(mt), err);
	if (rc == 0 && json_object_size(repos) > 0)
		rc = save_file(&so, "repositories", rt, strlen(rt), err);
	free(mt);
	free(rt);
	json_decref(m);
	json_decref(repos);
	if (rc == 0)
		rc = tarout_close(so.tar, err);
	else
		tarout_close(so.tar, NULL);
	sdc_error_release(&so.data_err);
	return rc;
}
