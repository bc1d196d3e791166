/*
 * meta.c: the image tables in the daemon's store, and garbage collection.
 *
 * images and image_layers describe content and are shared by every
 * account; image_owners, image_tags and image_digests are per account and
 * are what makes an image visible to one account and not to another.  An
 * image row lives while some account owns it; a layer folder or a blob
 * lives while some image row refers to it (or a job has it pinned).  All
 * of this runs on the owner thread; only the pin check is shared with the
 * workers, and it is made under the pin lock together with the removal so
 * a worker can never see a blob that is about to go.
 *
 * A layer's folder no image uses leaves layers/ at once, renamed into
 * tmp/ (a pull of the same layer unpacks into a new folder), and its
 * files are unlinked by whoever the owner named (images_set_reaper: the
 * daemon does it on a thread), as tmp/ is swept at the next open.
 *
 * Which layers an account may use is proofs.c's, checked here before an
 * image is recorded for an account.
 *
 * The SQL is plain enough for PostgreSQL too (ON CONFLICT is in both).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "images-int.h"
#include "jsonutil.h"
#include "log.h"
#include "xalloc.h"

static const char *const meta_migrations[] = {
	"CREATE TABLE images ("
	"  id TEXT PRIMARY KEY,"
	"  config TEXT NOT NULL,"
	"  parent TEXT,"
	"  created BIGINT NOT NULL,"
	"  size BIGINT NOT NULL);"
	"CREATE TABLE image_layers ("
	"  image_id TEXT NOT NULL,"
	"  idx INTEGER NOT NULL,"
	"  diff_id TEXT NOT NULL,"
	"  blob TEXT NOT NULL,"
	"  media_type TEXT NOT NULL,"
	"  blob_size BIGINT NOT NULL,"
	"  size BIGINT NOT NULL,"
	"  PRIMARY KEY (image_id, idx));"
	"CREATE INDEX image_layers_diff ON image_layers (diff_id);"
	"CREATE INDEX image_layers_blob ON image_layers (blob);"
	"CREATE TABLE image_owners ("
	"  account TEXT NOT NULL,"
	"  image_id TEXT NOT NULL,"
	"  added BIGINT NOT NULL,"
	"  PRIMARY KEY (account, image_id));"
	"CREATE INDEX image_owners_image ON image_owners (image_id);"
	"CREATE TABLE image_tags ("
	"  account TEXT NOT NULL,"
	"  repo TEXT NOT NULL,"
	"  tag TEXT NOT NULL,"
	"  image_id TEXT NOT NULL,"
	"  added BIGINT NOT NULL,"
	"  PRIMARY KEY (account, repo, tag));"
	"CREATE TABLE image_digests ("
	"  account TEXT NOT NULL,"
	"  repo TEXT NOT NULL,"
	"  digest TEXT NOT NULL,"
	"  image_id TEXT NOT NULL,"
	"  PRIMARY KEY (account, repo, digest));",
	/* 2: the layers each account proved it has (proofs.c); what a store
	 * of version 1 holds was pulled, loaded or imported before, so the
	 * account's images stand as proof of their layers */
	"CREATE TABLE layer_proofs ("
	"  account TEXT NOT NULL,"
	"  diff_id TEXT NOT NULL,"
	"  added BIGINT NOT NULL,"
	"  PRIMARY KEY (account, diff_id));"
	"INSERT INTO layer_proofs (account, diff_id, added) "
	"  SELECT DISTINCT o.account, l.diff_id, o.added FROM image_owners o "
	"  JOIN image_layers l ON l.image_id = o.image_id "
	"  ON CONFLICT (account, diff_id) DO NOTHING;",
	NULL
};

int
meta_open(struct images *im, sdc_error_t *err)
{
	return store_migrate(im->st, "images", meta_migrations, err);
}

void
meta_close(struct images *im)
{
	(void)im;
}

/* Prepare sql and bind the arguments described by fmt: 't' text, 'i' int64. */
static struct store_stmt *
meta_vprepare(struct images *im, sdc_error_t *err, const char *sql,
    const char *fmt, va_list ap)
{
	struct store_stmt *q;
	int rc = 0;

	if (store_prepare(im->st, &q, sql, err) < 0)
		return NULL;
	for (int i = 0; fmt[i] != '\0' && rc == 0; i++) {
		if (fmt[i] == 't')
			rc = store_bind_text(q, i + 1, va_arg(ap, const char *), err);
		else
			rc = store_bind_int64(q, i + 1, va_arg(ap, int64_t), err);
	}
	if (rc < 0) {
		store_finalize(q);
		return NULL;
	}
	return q;
}

struct store_stmt *
meta_query(struct images *im, sdc_error_t *err, const char *sql, const char *fmt, ...)
{
	struct store_stmt *q;
	va_list ap;

	va_start(ap, fmt);
	q = meta_vprepare(im, err, sql, fmt, ap);
	va_end(ap);
	return q;
}

int
meta_exec(struct images *im, sdc_error_t *err, const char *sql, const char *fmt, ...)
{
	struct store_stmt *q;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	q = meta_vprepare(im, err, sql, fmt, ap);
	va_end(ap);
	if (q == NULL)
		return -1;
	while ((rc = store_step(q, err)) == 1)
		;
	store_finalize(q);
	return rc < 0 ? -1 : store_changes(im->st);
}

/* The first column of the first row as a new string, or NULL. */
char *
meta_string(struct images *im, sdc_error_t *err, const char *sql, const char *fmt, ...)
{
	struct store_stmt *q;
	va_list ap;
	char *out = NULL;

	va_start(ap, fmt);
	q = meta_vprepare(im, err, sql, fmt, ap);
	va_end(ap);
	if (q == NULL)
		return NULL;
	if (store_step(q, err) == 1 && store_col_text(q, 0) != NULL)
		out = xstrdup(store_col_text(q, 0));
	store_finalize(q);
	return out;
}

static int
meta_insert_image(struct images *im, struct job_image *img, sdc_error_t *err)
{
	json_t *c = json_parse(img->config, strlen(img->config), err);
	int64_t created, size = 0;
	int n;

	if (c == NULL)
		return sdc_error_wrap(err, "image config");
	created = time_rfc3339_secs(json_str(c, "created", NULL));
	json_decref(c);
	for (size_t i = 0; i < img->nlayers; i++)
		size += img->layers[i].size;
	n = meta_exec(im, err, "INSERT INTO images (id, config, parent, created, size) "
	    "VALUES (?, ?, NULL, ?, ?) ON CONFLICT (id) DO NOTHING", "ttii",
	    img->id, img->config, created, size);
	if (n <= 0)
		return n;
	for (size_t i = 0; i < img->nlayers; i++) {
		struct job_layer *l = &img->layers[i];
		if (meta_exec(im, err, "INSERT INTO image_layers (image_id, idx, "
		    "diff_id, blob, media_type, blob_size, size) VALUES "
		    "(?, ?, ?, ?, ?, ?, ?)", "titttii", img->id, (int64_t)i,
		    l->diff_id, l->digest, l->media_type, l->blob_size, l->size) < 0)
			return -1;
	}
	return 0;
}

/* Point repo:tag at id; *same is set when it already did. */
int
meta_set_tag(struct images *im, const char *account, const char *repo,
    const char *tag, const char *id, bool *same, sdc_error_t *err)
{
	char *prev = meta_string(im, err, "SELECT image_id FROM image_tags WHERE "
	    "account = ? AND repo = ? AND tag = ?", "ttt", account, repo, tag);

	if (prev == NULL && *err != NULL)
		return -1;
	*same = prev != NULL && strcmp(prev, id) == 0;
	free(prev);
	return meta_exec(im, err, "INSERT INTO image_tags (account, repo, tag, "
	    "image_id, added) VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, repo, tag) "
	    "DO UPDATE SET image_id = excluded.image_id, added = excluded.added",
	    "tttti", account, repo, tag, id,
	    (int64_t)time(NULL)) < 0 ? -1 : 0;
}

int
meta_add_owner(struct images *im, const char *account, const char *id,
    bool *existed, sdc_error_t *err)
{
	int n = meta_exec(im, err, "INSERT INTO image_owners (account, image_id, added) "
	    "VALUES (?, ?, ?) ON CONFLICT (account, image_id) DO NOTHING", "tti",
	    account, id, (int64_t)time(NULL));

	if (n < 0)
		return -1;
	if (existed != NULL)
		*existed = n == 0;
	return 0;
}

int
meta_record_image(struct images *im, const char *account, struct job_image *img,
    const struct strvec *proved, sdc_error_t *err)
{
	bool owned, same = true, one;
	char *repo, *colon;

	if (proofs_check_record(im, account, img, proved, err) < 0 ||
	    meta_insert_image(im, img, err) < 0 ||
	    meta_add_owner(im, account, img->id, &owned, err) < 0)
		return -1;
	for (size_t i = 0; i < img->tags.n; i++) {
		repo = xstrdup(img->tags.v[i]);
		colon = strrchr(repo, ':');
		*colon = '\0';
		if (meta_set_tag(im, account, repo, colon + 1, img->id, &one, err) < 0) {
			free(repo);
			return -1;
		}
		same = same && one;
		free(repo);
	}
	if (img->digest != NULL && img->repo != NULL) {
		int n = meta_exec(im, err, "INSERT INTO image_digests (account, repo, "
		    "digest, image_id) VALUES (?, ?, ?, ?) ON CONFLICT (account, repo, "
		    "digest) DO UPDATE SET image_id = excluded.image_id", "tttt",
		    account, img->repo, img->digest, img->id);
		if (n < 0)
			return -1;
	}
	img->up_to_date = owned && same;
	return 0;
}

int
meta_commit_image(struct images *im, const char *account, struct job_image *img,
    const struct strvec *proved, sdc_error_t *err)
{
	if (store_begin(im->st, err) < 0)
		return -1;
	if (meta_record_image(im, account, img, proved, err) < 0) {
		store_rollback(im->st);
		return sdc_error_wrap(err, "recording image %s", img->id);
	}
	return store_commit(im->st, err);
}

static bool
meta_exists(struct images *im, const char *sql, const char *a, const char *b)
{
	sdc_error_t err = NULL;
	char *s = meta_string(im, &err, sql, b ? "tt" : "t", a, b);
	bool found = s != NULL || err != NULL;	/* on doubt, keep */

	free(s);
	sdc_error_release(&err);
	return found;
}

/* A config is used while its image exists; a layer blob only while its
 * layer has no tar-split to rebuild the tar from. */
bool
meta_blob_used(struct images *im, const char *digest)
{
	struct store_stmt *q;
	sdc_error_t err = NULL;
	bool used;
	int r;

	if (meta_exists(im, "SELECT id FROM images WHERE id = ?", digest, NULL))
		return true;
	q = meta_query(im, &err, "SELECT DISTINCT diff_id FROM image_layers WHERE "
	    "blob = ?", "t", digest);
	used = q == NULL;	/* on doubt, keep */
	while (q != NULL && !used && (r = store_step(q, &err)) == 1)
		used = !layers_has_split(im, store_col_text(q, 0));
	if (q != NULL)
		store_finalize(q);
	used = used || err != NULL;
	sdc_error_release(&err);
	return used;
}

bool
meta_layer_used(struct images *im, const char *diff_id)
{
	return meta_exists(im, "SELECT diff_id FROM image_layers WHERE diff_id = ?",
	    diff_id, NULL);
}

void
meta_gc_blob(struct images *im, const char *digest)
{
	char *path;
	int fd;

	if (!digest_valid(digest) || meta_blob_used(im, digest))
		return;
	path = blobs_path(im, digest);
	pthread_mutex_lock(&im->pin_lock);
	if (!strvec_has(&im->pins, digest) &&
	    (fd = pinfile_exclusive(im, digest)) != PINFILE_TAKEN) {
		unlink(path);
		pinfile_release(im, digest, fd);
	}
	pthread_mutex_unlock(&im->pin_lock);
	free(path);
}

void
meta_gc_layer(struct images *im, const char *diff_id)
{
	char *path, *grave;
	bool moved = false;
	sdc_error_t err = NULL;
	int fd;

	if (!digest_valid(diff_id) || meta_layer_used(im, diff_id))
		return;
	path = layers_root(im, diff_id);
	grave = tmp_name(im->tmpdir, "gone");
	/* out of sight at once, removed at leisure */
	pthread_mutex_lock(&im->pin_lock);
	if (!strvec_has(&im->pins, diff_id) &&
	    (fd = pinfile_exclusive(im, diff_id)) != PINFILE_TAKEN) {
		moved = rename(path, grave) == 0;
		pinfile_release(im, diff_id, fd);
	}
	pthread_mutex_unlock(&im->pin_lock);
	if (moved && im->reap_fn != NULL) {
		im->reap_fn(im->reap_arg, grave);	/* its own now */
		grave = NULL;
	} else if (moved && fs_rmtree(grave, &err) < 0) {
		log_warn("images: %s", sdc_error_msg(err));
		sdc_error_release(&err);
	}
	free(grave);
	free(path);
}

void
images_set_reaper(struct images *im, images_reap_fn *fn, void *arg)
{
	im->reap_fn = fn;
	im->reap_arg = arg;
}
