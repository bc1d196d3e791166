/*
 * push.c: `docker push`, as a job (see job.c for the threading).
 *
 * On the owner thread the start reads what the account has: the images
 * its own tags of the repository point at (another account's images are
 * simply not there, so a push of them is Docker's "An image does not
 * exist locally"), their configs as stored and their layer rows, and pins
 * every layer and blob so garbage collection leaves them alone while the
 * worker reads them.
 *
 * The worker pushes each image as Docker does: every layer HEADed first
 * ("Layer already exists"), mounted from another repository of the same
 * registry where this account pushed the same blob before ("Mounted
 * from"), else uploaded ("Pushing", "Pushed"); then the config blob, then
 * a schema2 manifest by tag.  The bytes pushed must be the ones the
 * manifest names: a layer whose compressed blob the store still holds
 * goes up as it is; the others (a pulled layer kept as files and a
 * tar-split, a committed layer kept uncompressed) are rebuilt from the
 * layer, checked against the diff id, and compressed once with gzip at a
 * fixed level and no timestamp, which is deterministic.  The result is
 * kept beside the layer (layers/<hex>/push.gz, its digest in
 * push.gz.digest) and goes with it, so a second push compresses nothing
 * and, the registry having every blob, uploads nothing.
 *
 * Where this account pushed a blob is recorded beside the layer too
 * (layers/<hex>/pushed: account, registry, repository, digest), only to
 * offer mounts to the same account later; a mount is also checked by
 * the registry against the credentials of the push.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "images-int.h"
#include "jsonutil.h"
#include "xalloc.h"

#define PUSH_CHUNK (8 * 1024 * 1024)
#define PUSH_MOUNTS_MAX 8
#define PUSH_GZIP_MEDIA "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define PUSH_MANIFEST_MEDIA "application/vnd.docker.distribution.manifest.v2+json"
#define PUSH_CONFIG_MEDIA "application/vnd.docker.container.image.v1+json"

struct push_layer {
	char *diff_id;
	char *digest;		/* the blob the store recorded */
	char *media_type;
	char id[13];
	/* what goes up */
	char *up_path;
	char up_digest[72];
	int64_t up_size;
	char *from;		/* a repository to mount it from, or NULL */
	bool recorded;		/* "pushed" already names this repository */
};

struct push_image {
	char *tag;
	char *id;
	char *config;		/* as stored: its digest is the id */
	struct push_layer *layers;
	size_t nlayers;
	char manifest_digest[72];
};

struct push {
	struct images_job *job;
	struct image_ref ref;	/* the repository; tag unused */
	char *familiar;		/* "127.0.0.1:5000/x" */
	char *repo;		/* "127.0.0.1:5000/x", normalised */
	char *missing;		/* the name none of the account's tags has */
	struct push_image *images;
	size_t nimages;
	struct strvec insecure;
	struct strvec allow_private;
	struct images_auth auth;
	struct strvec mount_from;
	struct registry *reg;
};

/* ---- the bytes that go up ---- */

struct push_gz {
	z_stream z;
	struct blob_writer *w;
	EVP_MD_CTX *diff;	/* the uncompressed bytes' digest */
	atomic_int *cancel;
	sdc_error_t err;
	unsigned char out[128 * 1024];
};

static int
push_gz_drain(struct push_gz *g, int flush)
{
	int zr;

	do {
		g->z.next_out = g->out;
		g->z.avail_out = sizeof g->out;
		zr = deflate(&g->z, flush);
		if (zr == Z_STREAM_ERROR)
			return sdc_make_error(&g->err, 0, "gzip failed");
		if (blob_writer_write(g->w, g->out, sizeof g->out - g->z.avail_out,
		    &g->err) < 0)
			return -1;
	} while (g->z.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
	return 0;
}

static int
push_gz_write(void *arg, const void *data, size_t len)
{
	struct push_gz *g = arg;

	if (g->err != NULL)
		return -1;
	if (g->cancel != NULL && atomic_load(g->cancel)) {
		sdc_make_error(&g->err, 0, "push cancelled");
		return -1;
	}
	EVP_DigestUpdate(g->diff, data, len);
	g->z.next_in = (unsigned char *)(uintptr_t)data;
	g->z.avail_in = (uInt)len;
	return push_gz_drain(g, Z_NO_FLUSH);
}

/* layers/<hex>/<name>, a new string. */
static char *
push_layer_file(struct images *im, const char *diff_id, const char *name)
{
	char *root = layers_root(im, diff_id), *p;

	xasprintf(&p, "%s/%s", root, name);
	free(root);
	return p;
}

/* The layers being gzipped now: a push and a node's send (layer-send.c),
 * or two sends, of one layer at once make it once, the second waiting
 * for the first (their temp names would meet: one process). */
static pthread_mutex_t gz_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gz_done = PTHREAD_COND_INITIALIZER;
static struct strvec gz_busy;

static int push_layer_gz_once(struct images *im, const char *diff_id,
    const char *digest, atomic_int *cancel, char **path, char up_digest[72],
    int64_t *up_size, sdc_error_t *err);

/* The layer's tar, rebuilt, checked against its diff id, gzipped into
 * layers/<hex>/push.gz once (images-int.h). */
int
push_layer_gz(struct images *im, const char *diff_id, const char *digest,
    atomic_int *cancel, char **path, char up_digest[72], int64_t *up_size,
    sdc_error_t *err)
{
	int rc;

	pthread_mutex_lock(&gz_lock);
	while (strvec_has(&gz_busy, diff_id))
		pthread_cond_wait(&gz_done, &gz_lock);
	strvec_push(&gz_busy, diff_id);
	pthread_mutex_unlock(&gz_lock);
	rc = push_layer_gz_once(im, diff_id, digest, cancel, path, up_digest,
	    up_size, err);
	pthread_mutex_lock(&gz_lock);
	(void)strvec_remove_one(&gz_busy, diff_id);
	pthread_cond_broadcast(&gz_done);
	pthread_mutex_unlock(&gz_lock);
	return rc;
}

static int
push_layer_gz_once(struct images *im, const char *diff_id, const char *digest,
    atomic_int *cancel, char **path, char up_digest[72], int64_t *up_size,
    sdc_error_t *err)
{
	char *gz = push_layer_file(im, diff_id, "push.gz");
	char *dg = push_layer_file(im, diff_id, "push.gz.digest");
	char short_id[13];
	struct buf b = BUF_INIT;
	struct blob_writer w;
	struct push_gz *g;
	struct stat sb;
	char diff[72];
	int64_t tarsize;
	int rc = 0;

	*path = gz;
	digest_short(diff_id, short_id);
	if (file_read(dg, &b, 128, NULL) == 0 && stat(gz, &sb) == 0 &&
	    b.len >= 71 && digest_valid(buf_str(&b))) {
		memcpy(up_digest, b.data, 71);
		up_digest[71] = '\0';
		*up_size = sb.st_size;
		buf_free(&b);
		free(dg);
		return 0;
	}
	buf_free(&b);
	if (blob_writer_open(&w, im, err) < 0) {
		free(dg);
		return -1;
	}
	g = xcalloc(1, sizeof *g);
	g->w = &w;
	g->cancel = cancel;
	g->diff = EVP_MD_CTX_new();
	EVP_DigestInit_ex(g->diff, EVP_sha256(), NULL);
	/* level 6, no name, no time: the same tar gives the same bytes */
	if (deflateInit2(&g->z, 6, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		rc = sdc_make_error(err, 0, "gzip failed to start");
	if (rc == 0 && layers_copy_tar(im, diff_id, digest, push_gz_write,
	    g, &tarsize, err) < 0) {
		if (g->err != NULL) {
			sdc_error_release(err);
			*err = g->err;
			g->err = NULL;
		}
		rc = sdc_error_wrap(err, "reading layer %s", short_id);
	}
	if (rc == 0 && push_gz_drain(g, Z_FINISH) < 0) {
		*err = g->err;
		g->err = NULL;
		rc = -1;
	}
	deflateEnd(&g->z);
	digest_final(g->diff, diff);
	EVP_MD_CTX_free(g->diff);
	sdc_error_release(&g->err);
	free(g);
	if (rc == 0 && strcmp(diff, diff_id) != 0)
		rc = sdc_make_error_code(err, 500, "layer %s reads back as %s: "
		    "the store is damaged", diff_id, diff);
	if (rc == 0)
		rc = blob_writer_verify(&w, NULL, -1, up_digest, err);
	else
		blob_writer_abort(&w);
	if (rc == 0) {
		*up_size = w.size;
		if (fsync(w.fd) < 0 || rename(w.tmp, gz) < 0)
			rc = sdc_make_error(err, errno, "keeping %s", gz);
		else {
			free(w.tmp);	/* renamed: nothing left to unlink */
			w.tmp = NULL;
		}
		blob_writer_abort(&w);
	}
	if (rc == 0)
		rc = file_write_atomic(dg, up_digest, strlen(up_digest),
		    0644, err);
	free(dg);
	return rc;
}

static int
push_compress(struct images_job *job, struct push_layer *l, sdc_error_t *err)
{
	return push_layer_gz(job->im, l->diff_id, l->digest, &job->cancel,
	    &l->up_path, l->up_digest, &l->up_size, err);
}

/* Which blob goes up for l, and from where it may be mounted. */
static int
push_prepare_layer(struct push *p, struct push_layer *l, sdc_error_t *err)
{
	struct images *im = p->job->im;
	struct buf b = BUF_INIT;
	struct stat sb;
	char *path, *line, *save = NULL, *want;

	path = blobs_path(im, l->digest);
	if (strstr(l->media_type, "gzip") != NULL && blobs_exists(im, l->digest) &&
	    stat(path, &sb) == 0) {
		l->up_path = path;
		snprintf(l->up_digest, sizeof l->up_digest, "%s", l->digest);
		l->up_size = sb.st_size;
	} else {
		free(path);
		if (push_compress(p->job, l, err) < 0)
			return -1;
	}
	/* a repository this account pushed the same blob to on this registry */
	path = push_layer_file(im, l->diff_id, "pushed");
	xasprintf(&want, "%s\t%s\t", p->job->account, p->ref.domain);
	if (file_read(path, &b, 1024 * 1024, NULL) == 0 && buf_str(&b) != NULL)
		for (line = strtok_r(b.data, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			char *repo = line + strlen(want), *tab;
			if (strncmp(line, want, strlen(want)) != 0 ||
			    (tab = strchr(repo, '\t')) == NULL ||
			    strcmp(tab + 1, l->up_digest) != 0)
				continue;
			*tab = '\0';
			if (strcmp(repo, p->ref.path) == 0) {
				l->recorded = true;
				continue;
			}
			free(l->from);
			l->from = xstrdup(repo);
			if (!strvec_has(&p->mount_from, repo) &&
			    p->mount_from.n < PUSH_MOUNTS_MAX)
				strvec_push(&p->mount_from, repo);
		}
	buf_free(&b);
	free(want);
	free(path);
	return 0;
}

/* Remember that this account's blob is in this repository now. */
static void
push_record(struct push *p, struct push_layer *l)
{
	char *path, *line;
	int fd;

	if (l->recorded)
		return;
	path = push_layer_file(p->job->im, l->diff_id, "pushed");
	xasprintf(&line, "%s\t%s\t%s\t%s\n", p->job->account, p->ref.domain,
	    p->ref.path, l->up_digest);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		fd_write_all(fd, line, strlen(line));
		close(fd);
	}
	l->recorded = true;
	free(line);
	free(path);
}

/* ---- the upload ---- */

struct push_reader {
	int fd;
	const char *mem;
	size_t len;
	const char *what;
};

/* The upload reads by offset, so that it can start again (a registry
 * that forgot the upload session when its token was renewed). */
static ssize_t
push_read(void *arg, int64_t off, void *buf, size_t len, sdc_error_t *err)
{
	struct push_reader *rd = arg;
	size_t got = 0;
	ssize_t n;

	if (rd->mem != NULL) {
		if (off < 0 || (size_t)off >= rd->len)
			return 0;
		got = rd->len - (size_t)off < len ? rd->len - (size_t)off : len;
		memcpy(buf, rd->mem + off, got);
		return (ssize_t)got;
	}
	while (got < len) {
		n = pread(rd->fd, (char *)buf + got, len - got, (off_t)(off + (int64_t)got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sdc_make_error(err, errno, "reading %s", rd->what);
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

struct push_tick {
	struct push *p;
	const char *id;
};

static void
push_progress(void *arg, int64_t current, int64_t total)
{
	struct push_tick *t = arg;

	job_event(t->p->job, IMAGES_EV_PUSHING, t->id, NULL, current, total);
}

static int
push_layer(struct push *p, struct push_layer *l, sdc_error_t *err)
{
	struct push_reader rd = { .what = l->up_path };
	struct push_tick t = { p, l->id };
	int rc;

	if ((rc = registry_blob_exists(p->reg, l->up_digest, err)) < 0)
		return -1;
	if (rc == 1) {
		job_event(p->job, IMAGES_EV_LAYER_EXISTS, l->id, NULL, 0, 0);
		push_record(p, l);
		return 0;
	}
	if (l->from != NULL &&
	    (rc = registry_blob_mount(p->reg, l->up_digest, l->from, err)) != 0) {
		if (rc < 0)
			return -1;
		job_event(p->job, IMAGES_EV_MOUNTED, l->id, l->from, 0, 0);
		push_record(p, l);
		return 0;
	}
	if ((rd.fd = open(l->up_path, O_RDONLY | O_CLOEXEC)) < 0)
		return sdc_make_error(err, errno, "opening %s", l->up_path);
	job_event(p->job, IMAGES_EV_PUSHING, l->id, NULL, 0, l->up_size);
	rc = registry_blob_upload(p->reg, l->up_digest, l->up_size, push_read,
	    &rd, PUSH_CHUNK, push_progress, &t, err);
	close(rd.fd);
	if (rc < 0)
		return -1;
	job_event(p->job, IMAGES_EV_PUSHED, l->id, NULL, 0, 0);
	push_record(p, l);
	return 0;
}

static char *
push_manifest(struct push_image *pi, const char *config_digest)
{
	json_t *m, *layers = json_array();

	for (size_t i = 0; i < pi->nlayers; i++)
		json_array_append_new(layers, json_pack("{s:s, s:I, s:s}",
		    "mediaType", PUSH_GZIP_MEDIA,
		    "size", (json_int_t)pi->layers[i].up_size,
		    "digest", pi->layers[i].up_digest));
	m = json_pack("{s:i, s:s, s:{s:s, s:I, s:s}, s:o}",
	    "schemaVersion", 2, "mediaType", PUSH_MANIFEST_MEDIA,
	    "config", "mediaType", PUSH_CONFIG_MEDIA,
	    "size", (json_int_t)strlen(pi->config), "digest", config_digest,
	    "layers", layers);
	char *s = json_dumps(m, JSON_INDENT(3) | JSON_PRESERVE_ORDER);
	json_decref(m);
	return s;
}

static int
push_image(struct push *p, struct push_image *pi, sdc_error_t *err)
{
	struct push_reader rd = { .fd = -1, .mem = pi->config,
	    .len = strlen(pi->config), .what = "config" };
	char *cfg = digest_of(pi->config, strlen(pi->config)), *m, *d;
	int rc = 0;

	for (size_t i = pi->nlayers; rc == 0 && i-- > 0; )
		rc = push_layer(p, &pi->layers[i], err);
	if (rc == 0 && (rc = registry_blob_exists(p->reg, cfg, err)) == 0)
		rc = registry_blob_upload(p->reg, cfg, (int64_t)rd.len, push_read,
		    &rd, PUSH_CHUNK, NULL, NULL, err);
	if (rc < 0) {
		free(cfg);
		return -1;
	}
	m = push_manifest(pi, cfg);
	free(cfg);
	rc = registry_manifest_put(p->reg, pi->tag, PUSH_MANIFEST_MEDIA, m,
	    strlen(m), err);
	if (rc == 0) {
		d = digest_of(m, strlen(m));
		memcpy(pi->manifest_digest, d, 72);
		free(d);
		job_event(p->job, IMAGES_EV_PUSH_DIGEST, pi->tag,
		    pi->manifest_digest, 0, (int64_t)strlen(m));
	}
	free(m);
	return rc;
}

static int
push_run(struct images_job *job, sdc_error_t *err)
{
	struct push *p = job->data;
	/* never the pull mirror: a push to docker.io goes to Docker Hub */
	struct registry_opts o = { NULL, &p->insecure, &p->allow_private,
	    &p->auth, &job->cancel, true, &p->mount_from };
	struct strvec seen = { 0 };
	int rc = 0;

	job_event(job, IMAGES_EV_PUSH_REFERS, NULL, p->repo, 0, 0);
	if (p->missing != NULL)
		return sdc_make_error_code(err, 404, "An image does not exist "
		    "locally with the tag: %s", p->missing);
	/* every layer once, top first, as Docker lists them */
	for (size_t i = 0; i < p->nimages; i++)
		for (size_t j = p->images[i].nlayers; j-- > 0; ) {
			struct push_layer *l = &p->images[i].layers[j];
			if (!strvec_has(&seen, l->diff_id))
				job_event(job, IMAGES_EV_PREPARING, l->id, NULL, 0, 0);
			strvec_push(&seen, l->diff_id);
		}
	strvec_clear(&seen);
	for (size_t i = 0; rc == 0 && i < p->nimages; i++)
		for (size_t j = 0; rc == 0 && j < p->images[i].nlayers; j++)
			rc = push_prepare_layer(p, &p->images[i].layers[j], err);
	if (rc == 0)
		rc = registry_open(&p->reg, &p->ref, &o, err);
	for (size_t i = 0; rc == 0 && i < p->nimages; i++)
		rc = push_image(p, &p->images[i], err);
	return rc;
}

/* Owner: the pushed digests become the images' RepoDigests. */
static int
push_commit(struct images_job *job, sdc_error_t *err)
{
	struct push *p = job->data;

	for (size_t i = 0; i < p->nimages; i++)
		if (meta_exec(job->im, err, "INSERT INTO image_digests (account, "
		    "repo, digest, image_id) VALUES (?, ?, ?, ?) ON CONFLICT "
		    "(account, repo, digest) DO NOTHING", "tttt", job->account,
		    p->repo, p->images[i].manifest_digest, p->images[i].id) < 0)
			return -1;
	return 0;
}

static void
push_free(struct images_job *job)
{
	struct push *p = job->data;

	if (p == NULL)
		return;
	registry_close(p->reg);
	for (size_t i = 0; i < p->nimages; i++) {
		struct push_image *pi = &p->images[i];
		for (size_t j = 0; j < pi->nlayers; j++) {
			free(pi->layers[j].diff_id);
			free(pi->layers[j].digest);
			free(pi->layers[j].media_type);
			free(pi->layers[j].up_path);
			free(pi->layers[j].from);
		}
		free(pi->layers);
		free(pi->tag);
		free(pi->id);
		free(pi->config);
	}
	free(p->images);
	image_ref_free(&p->ref);
	free(p->familiar);
	free(p->repo);
	free(p->missing);
	strvec_clear(&p->insecure);
	strvec_clear(&p->allow_private);
	strvec_clear(&p->mount_from);
	images_auth_free(&p->auth);
	free(p);
}

/* Owner: one tag of the account's, its config and layers, pinned. */
static int
push_add_image(struct push *p, struct images_job *job, const char *tag,
    const char *id, sdc_error_t *err)
{
	struct push_image *pi;
	struct job_layer *jl = NULL;
	size_t n = 0;
	char *config;

	config = meta_string(job->im, err, "SELECT config FROM images WHERE "
	    "id = ?", "t", id);
	if (config == NULL)
		return *err != NULL ? -1 : sdc_make_error_code(err, 404,
		    "No such image: %s", id);
	if (meta_image_get(job->im, id, NULL, &jl, &n, err) < 0) {
		free(config);
		return -1;
	}
	p->images = xrealloc(p->images, (p->nimages + 1) * sizeof *p->images);
	pi = &p->images[p->nimages++];
	memset(pi, 0, sizeof *pi);
	pi->tag = xstrdup(tag);
	pi->id = xstrdup(id);
	pi->config = config;
	pi->layers = xcalloc(n + 1, sizeof *pi->layers);
	pi->nlayers = n;
	for (size_t i = 0; i < n; i++) {
		struct push_layer *l = &pi->layers[i];
		l->diff_id = jl[i].diff_id;
		l->digest = jl[i].digest;
		l->media_type = jl[i].media_type;
		jl[i].diff_id = jl[i].digest = jl[i].media_type = NULL;
		digest_short(l->diff_id, l->id);
		job_pin(job, l->diff_id);
		job_pin(job, l->digest);
	}
	job_layers_free(jl, n);
	job_pin(job, id);
	return 0;
}

/* Owner: the account's tags of the repository -- one, or all of them. */
static int
push_find(struct push *p, struct images_job *job, const char *tag,
    sdc_error_t *err)
{
	struct store_stmt *q;
	struct strvec tags = { 0 }, ids = { 0 };
	int r, rc = 0;

	q = meta_query(job->im, err, "SELECT tag, image_id FROM image_tags "
	    "WHERE account = ? AND repo = ? ORDER BY tag", "tt", job->account,
	    p->repo);
	if (q == NULL)
		return -1;
	while ((r = store_step(q, err)) == 1)
		if (tag == NULL || strcmp(tag, store_col_text(q, 0)) == 0) {
			strvec_push(&tags, store_col_text(q, 0));
			strvec_push(&ids, store_col_text(q, 1));
		}
	store_finalize(q);
	if (r < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < tags.n; i++)
		rc = push_add_image(p, job, tags.v[i], ids.v[i], err);
	if (rc == 0 && tags.n == 0)	/* Docker names the repository only */
		p->missing = xstrdup(p->familiar);
	strvec_clear(&tags);
	strvec_clear(&ids);
	return rc;
}

/* Docker's tag grammar: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
static bool
push_tag_valid(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
		return false;
	return strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") == n;
}

int
images_push_start(struct images *im, const char *account, const char *name,
    const char *tag, const struct images_auth *auth, images_event_fn *cb,
    void *arg, struct images_job **out, sdc_error_t *err)
{
	struct push *p = xcalloc(1, sizeof *p);
	struct images_job *job;

	if (image_ref_parse_notag(&p->ref, name, err) < 0) {
		free(p);
		return -1;
	}
	if (p->ref.digest != NULL) {
		image_ref_free(&p->ref);
		free(p);
		return sdc_make_error_code(err, 400, "%s: a push names a tag, "
		    "not a digest", name);
	}
	if (tag == NULL || *tag == '\0')
		tag = p->ref.tag;
	else if (!push_tag_valid(tag)) {
		image_ref_free(&p->ref);
		free(p);
		return sdc_make_error_code(err, 400, "invalid tag format: %s", tag);
	}
	p->repo = image_ref_repo(&p->ref);
	p->familiar = image_ref_familiar(&p->ref);
	job = job_new(im, account, cb, arg);
	job->data = p;
	job->free_data = push_free;
	p->job = job;
	if (push_find(p, job, tag, err) < 0) {
		images_job_free(job);
		return -1;
	}
	strvec_copy(&p->insecure, &im->insecure);
	strvec_copy(&p->allow_private, &im->allow_private);
	images_auth_copy(&p->auth, auth);
	job->run = push_run;
	job->commit = push_commit;
	return job_start(job, out, err);
}
